import HCN

/// One host port taken by a `PortMapping` endpoint policy.
struct HostPort: Hashable, Sendable {
    var protocolNumber: UInt32
    var port: UInt16
    var vip: String

    /// HNS refuses a second mapping of the same external port; protocol 0 and an empty VIP mean "any".
    func conflicts(with other: HostPort) -> Bool {
        guard port == other.port else { return false }
        let sameProtocol = protocolNumber == other.protocolNumber || protocolNumber == 0 || other.protocolNumber == 0
        let sameVIP = vip.isEmpty || other.vip.isEmpty || vip.lowercased() == other.vip.lowercased()
        return sameProtocol && sameVIP
    }
}

struct NetworkRecord: Sendable {
    var id: GUID
    var name: String
    var type: String
}

struct EndpointRecord: Sendable {
    var id: GUID
    var name: String
    var network: GUID
    var namespace: GUID?
    var flags: UInt32
    var mac: String
    var ips: [String]
    var ports: [HostPort]

    var isRemote: Bool { flags & 1 != 0 }
}

struct NamespaceRecord: Sendable {
    var id: GUID
    var compartment: UInt32
    var type: String
}

/// The summary of every object that lookups, filters and the uniqueness rules need, kept in one file (`index`)
/// next to the object files so that an operation reads one small file instead of the whole directory. It is a
/// cache: the object files are the truth, and a writer rebuilds it from them after a crash.
struct SimulatorIndex: Sendable {
    private(set) var networks: [NetworkRecord] = []
    private(set) var endpoints: [EndpointRecord] = []
    private(set) var namespaces: [NamespaceRecord] = []
    private var networkPositions: [GUIDKey: Int] = [:]
    private var endpointPositions: [GUIDKey: Int] = [:]
    private var namespacePositions: [GUIDKey: Int] = [:]

    init() {}

    func network(_ id: GUID) -> NetworkRecord? { networkPositions[GUIDKey(id)].map { networks[$0] } }
    func endpoint(_ id: GUID) -> EndpointRecord? { endpointPositions[GUIDKey(id)].map { endpoints[$0] } }
    func namespace(_ id: GUID) -> NamespaceRecord? { namespacePositions[GUIDKey(id)].map { namespaces[$0] } }

    func contains(_ kind: HCNResourceKind, _ id: GUID) -> Bool {
        switch kind {
        case .network: return networkPositions[GUIDKey(id)] != nil
        case .endpoint: return endpointPositions[GUIDKey(id)] != nil
        case .namespace: return namespacePositions[GUIDKey(id)] != nil
        }
    }

    mutating func put(_ record: NetworkRecord) {
        if let position = networkPositions[GUIDKey(record.id)] {
            networks[position] = record
        } else {
            networkPositions[GUIDKey(record.id)] = networks.count
            networks.append(record)
        }
    }

    mutating func put(_ record: EndpointRecord) {
        if let position = endpointPositions[GUIDKey(record.id)] {
            endpoints[position] = record
        } else {
            endpointPositions[GUIDKey(record.id)] = endpoints.count
            endpoints.append(record)
        }
    }

    mutating func put(_ record: NamespaceRecord) {
        if let position = namespacePositions[GUIDKey(record.id)] {
            namespaces[position] = record
        } else {
            namespacePositions[GUIDKey(record.id)] = namespaces.count
            namespaces.append(record)
        }
    }

    mutating func remove(_ kind: HCNResourceKind, _ id: GUID) {
        switch kind {
        case .network:
            guard let position = networkPositions[GUIDKey(id)] else { return }
            networks.remove(at: position)
            networkPositions = Self.positions(networks.map(\.id))
        case .endpoint:
            guard let position = endpointPositions[GUIDKey(id)] else { return }
            endpoints.remove(at: position)
            endpointPositions = Self.positions(endpoints.map(\.id))
        case .namespace:
            guard let position = namespacePositions[GUIDKey(id)] else { return }
            namespaces.remove(at: position)
            namespacePositions = Self.positions(namespaces.map(\.id))
        }
    }

    private static func positions(_ ids: [GUID]) -> [GUIDKey: Int] {
        var positions: [GUIDKey: Int] = [:]
        positions.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() { positions[GUIDKey(id)] = position }
        return positions
    }

    // MARK: - Text form

    // One record per line, fields separated by tabs; free text (names, VIPs) is %-escaped so it cannot break a
    // line or a field. Lists inside a field are comma separated. Written and read byte by byte: every plugin
    // call reads it, with a thousand endpoints on the node.
    private static let header = Array("wincni-hns-index 1\n".utf8)
    private static let tab = UInt8(ascii: "\t")
    private static let newline = UInt8(ascii: "\n")

    func encoded() -> [UInt8] {
        var out = Self.header
        out.reserveCapacity(64 + networks.count * 64 + endpoints.count * 160 + namespaces.count * 56)
        for record in networks {
            out.append(UInt8(ascii: "N"))
            out.append(Self.tab)
            Self.append(record.id, to: &out)
            out.append(Self.tab)
            Self.append(escaped: record.type, to: &out)
            out.append(Self.tab)
            Self.append(escaped: record.name, to: &out)
            out.append(Self.newline)
        }
        for record in endpoints {
            out.append(UInt8(ascii: "E"))
            out.append(Self.tab)
            Self.append(record.id, to: &out)
            out.append(Self.tab)
            Self.append(record.network, to: &out)
            out.append(Self.tab)
            if let namespace = record.namespace {
                Self.append(namespace, to: &out)
            } else {
                out.append(UInt8(ascii: "-"))
            }
            out.append(Self.tab)
            out += String(record.flags).utf8
            out.append(Self.tab)
            if record.mac.isEmpty { out.append(UInt8(ascii: "-")) } else { Self.append(escaped: record.mac, to: &out) }
            out.append(Self.tab)
            if record.ips.isEmpty { out.append(UInt8(ascii: "-")) }
            for (position, ip) in record.ips.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out += ip.utf8
            }
            out.append(Self.tab)
            if record.ports.isEmpty { out.append(UInt8(ascii: "-")) }
            for (position, port) in record.ports.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out += "\(port.protocolNumber)/\(port.port)/".utf8
                Self.append(escaped: port.vip, to: &out)
            }
            out.append(Self.tab)
            Self.append(escaped: record.name, to: &out)
            out.append(Self.newline)
        }
        for record in namespaces {
            out.append(UInt8(ascii: "S"))
            out.append(Self.tab)
            Self.append(record.id, to: &out)
            out.append(Self.tab)
            out += String(record.compartment).utf8
            out.append(Self.tab)
            Self.append(escaped: record.type, to: &out)
            out.append(Self.newline)
        }
        return out
    }

    /// nil when the bytes are not an index this version wrote (the caller then rebuilds from the object files).
    static func decode(_ bytes: [UInt8]) -> SimulatorIndex? {
        guard bytes.count >= header.count, bytes[0..<header.count].elementsEqual(header) else { return nil }
        var index = SimulatorIndex()
        var lineStart = header.count
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != newline { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            if lineEnd == lineStart { continue }
            var fields: [ArraySlice<UInt8>] = []
            fields.reserveCapacity(9)
            var fieldStart = lineStart
            for position in lineStart...lineEnd where position == lineEnd || bytes[position] == tab {
                fields.append(bytes[fieldStart..<position])
                fieldStart = position + 1
            }
            switch fields[0].first {
            case UInt8(ascii: "N"):
                guard fields.count == 4, let id = parseGUID(fields[1]) else { return nil }
                index.put(NetworkRecord(id: id, name: unescape(fields[3]), type: unescape(fields[2])))
            case UInt8(ascii: "E"):
                guard fields.count == 9, let id = parseGUID(fields[1]), let network = parseGUID(fields[2]),
                    let flags = UInt32(text(fields[4]))
                else { return nil }
                var ports: [HostPort] = []
                if !isDash(fields[7]) {
                    for item in fields[7].split(separator: UInt8(ascii: ",")) {
                        let parts = item.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                        guard parts.count == 3, let proto = UInt32(text(parts[0])), let port = UInt16(text(parts[1]))
                        else { return nil }
                        ports.append(HostPort(protocolNumber: proto, port: port, vip: unescape(parts[2])))
                    }
                }
                let ips = isDash(fields[6]) ? [] : fields[6].split(separator: UInt8(ascii: ",")).map(text)
                index.put(
                    EndpointRecord(
                        id: id, name: unescape(fields[8]), network: network,
                        namespace: isDash(fields[3]) ? nil : parseGUID(fields[3]), flags: flags,
                        mac: isDash(fields[5]) ? "" : unescape(fields[5]), ips: ips, ports: ports))
            case UInt8(ascii: "S"):
                guard fields.count == 4, let id = parseGUID(fields[1]), let compartment = UInt32(text(fields[2]))
                else { return nil }
                index.put(NamespaceRecord(id: id, compartment: compartment, type: unescape(fields[3])))
            default:
                return nil
            }
        }
        return index
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    private static func isDash(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.count == 1 && bytes.first == UInt8(ascii: "-")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// The GUID's canonical upper-case text, written straight into `out`.
    static func append(_ id: GUID, to out: inout [UInt8]) {
        func hex(_ value: UInt64, digits: Int) {
            var shift = (digits - 1) * 4
            while shift >= 0 {
                out.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        hex(UInt64(id.data1), digits: 8)
        out.append(UInt8(ascii: "-"))
        hex(UInt64(id.data2), digits: 4)
        out.append(UInt8(ascii: "-"))
        hex(UInt64(id.data3), digits: 4)
        out.append(UInt8(ascii: "-"))
        let tail = id.data4
        hex(UInt64(tail.0) << 8 | UInt64(tail.1), digits: 4)
        out.append(UInt8(ascii: "-"))
        hex(
            UInt64(tail.2) << 40 | UInt64(tail.3) << 32 | UInt64(tail.4) << 24 | UInt64(tail.5) << 16 | UInt64(tail.6)
                << 8 | UInt64(tail.7), digits: 12)
    }

    /// Parses the 36-character GUID text without building a String.
    static func parseGUID(_ bytes: ArraySlice<UInt8>) -> GUID? {
        guard bytes.count == 36 else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(16)
        var position = bytes.startIndex
        var high: UInt8?
        while position < bytes.endIndex {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "-") { continue }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let first = high {
                values.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard values.count == 16 else { return nil }
        return GUID(bytes: values)
    }

    private static func append(escaped text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","),
                UInt8(ascii: "/"):
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
    }

    private static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        var position = bytes.startIndex
        while position < bytes.endIndex {
            if bytes[position] == UInt8(ascii: "%"), position + 2 < bytes.endIndex,
                let value = UInt8(String(decoding: bytes[(position + 1)...(position + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                position += 3
            } else {
                output.append(bytes[position])
                position += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A GUID as a dictionary key without the array `GUID.hash(into:)` builds.
struct GUIDKey: Hashable {
    let high: UInt64
    let low: UInt64

    init(_ id: GUID) {
        high = UInt64(id.data1) << 32 | UInt64(id.data2) << 16 | UInt64(id.data3)
        let tail = id.data4
        low =
            UInt64(tail.0) << 56 | UInt64(tail.1) << 48 | UInt64(tail.2) << 40 | UInt64(tail.3) << 32
            | UInt64(tail.4) << 24 | UInt64(tail.5) << 16 | UInt64(tail.6) << 8 | UInt64(tail.7)
    }
}
