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
    private var networkPositions: [GUID: Int] = [:]
    private var endpointPositions: [GUID: Int] = [:]
    private var namespacePositions: [GUID: Int] = [:]

    init() {}

    func network(_ id: GUID) -> NetworkRecord? { networkPositions[id].map { networks[$0] } }
    func endpoint(_ id: GUID) -> EndpointRecord? { endpointPositions[id].map { endpoints[$0] } }
    func namespace(_ id: GUID) -> NamespaceRecord? { namespacePositions[id].map { namespaces[$0] } }

    func contains(_ kind: HCNResourceKind, _ id: GUID) -> Bool {
        switch kind {
        case .network: return networkPositions[id] != nil
        case .endpoint: return endpointPositions[id] != nil
        case .namespace: return namespacePositions[id] != nil
        }
    }

    mutating func put(_ record: NetworkRecord) {
        if let position = networkPositions[record.id] {
            networks[position] = record
        } else {
            networkPositions[record.id] = networks.count
            networks.append(record)
        }
    }

    mutating func put(_ record: EndpointRecord) {
        if let position = endpointPositions[record.id] {
            endpoints[position] = record
        } else {
            endpointPositions[record.id] = endpoints.count
            endpoints.append(record)
        }
    }

    mutating func put(_ record: NamespaceRecord) {
        if let position = namespacePositions[record.id] {
            namespaces[position] = record
        } else {
            namespacePositions[record.id] = namespaces.count
            namespaces.append(record)
        }
    }

    mutating func remove(_ kind: HCNResourceKind, _ id: GUID) {
        switch kind {
        case .network:
            guard let position = networkPositions[id] else { return }
            networks.remove(at: position)
            networkPositions = Self.positions(networks.map(\.id))
        case .endpoint:
            guard let position = endpointPositions[id] else { return }
            endpoints.remove(at: position)
            endpointPositions = Self.positions(endpoints.map(\.id))
        case .namespace:
            guard let position = namespacePositions[id] else { return }
            namespaces.remove(at: position)
            namespacePositions = Self.positions(namespaces.map(\.id))
        }
    }

    private static func positions(_ ids: [GUID]) -> [GUID: Int] {
        var positions: [GUID: Int] = [:]
        positions.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() { positions[id] = position }
        return positions
    }

    // MARK: - Text form

    // One record per line, fields separated by tabs; free text (names, VIPs) is %-escaped so it cannot break a
    // line or a field. Lists inside a field are comma separated.
    private static let header = "wincni-hns-index 1"

    func encoded() -> [UInt8] {
        var text = Self.header + "\n"
        for record in networks {
            text += "N\t\(record.id)\t\(Self.escape(record.type))\t\(Self.escape(record.name))\n"
        }
        for record in endpoints {
            let ports = record.ports.map { "\($0.protocolNumber)/\($0.port)/\(Self.escape($0.vip))" }
            text += "E\t\(record.id)\t\(record.network)\t\(record.namespace.map { "\($0)" } ?? "-")\t\(record.flags)\t"
            text += "\(record.mac.isEmpty ? "-" : Self.escape(record.mac))\t"
            text += "\(record.ips.isEmpty ? "-" : record.ips.joined(separator: ","))\t"
            text += "\(ports.isEmpty ? "-" : ports.joined(separator: ","))\t\(Self.escape(record.name))\n"
        }
        for record in namespaces {
            text += "S\t\(record.id)\t\(record.compartment)\t\(Self.escape(record.type))\n"
        }
        return Array(text.utf8)
    }

    /// nil when the text is not an index this version wrote (the caller then rebuilds from the object files).
    static func decode(_ bytes: [UInt8]) -> SimulatorIndex? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == header else { return nil }
        var index = SimulatorIndex()
        for line in lines.dropFirst() {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            switch fields.first {
            case "N":
                guard fields.count == 4, let id = GUID(fields[1]) else { return nil }
                index.put(NetworkRecord(id: id, name: unescape(fields[3]), type: unescape(fields[2])))
            case "E":
                guard fields.count == 9, let id = GUID(fields[1]), let network = GUID(fields[2]),
                    let flags = UInt32(fields[4])
                else { return nil }
                var ports: [HostPort] = []
                if fields[7] != "-" {
                    for item in fields[7].split(separator: ",") {
                        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
                        guard parts.count == 3, let proto = UInt32(parts[0]), let port = UInt16(parts[1]) else {
                            return nil
                        }
                        ports.append(HostPort(protocolNumber: proto, port: port, vip: unescape(String(parts[2]))))
                    }
                }
                index.put(
                    EndpointRecord(
                        id: id, name: unescape(fields[8]), network: network,
                        namespace: fields[3] == "-" ? nil : GUID(fields[3]), flags: flags,
                        mac: fields[5] == "-" ? "" : unescape(fields[5]),
                        ips: fields[6] == "-" ? [] : fields[6].split(separator: ",").map(String.init), ports: ports))
            case "S":
                guard fields.count == 4, let id = GUID(fields[1]), let compartment = UInt32(fields[2]) else {
                    return nil
                }
                index.put(NamespaceRecord(id: id, compartment: compartment, type: unescape(fields[3])))
            default:
                return nil
            }
        }
        return index
    }

    private static func escape(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","),
                UInt8(ascii: "/"):
                output.append(UInt8(ascii: "%"))
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func unescape(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "%"), position + 2 < bytes.count,
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
