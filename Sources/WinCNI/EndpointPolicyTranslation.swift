import HCN
import JSON
import NetAddress

/// One HCN v2 endpoint policy as wincni sends it: `{"Type": …, "Settings": {…}}` with the setting keys of
/// research/hns-api.md §4.1.
public struct PolicyDocument: Sendable, Equatable {
    public var type: String
    public var settings: JSONObject

    public init(type: String, settings: JSONObject) {
        self.type = type
        self.settings = settings
    }

    public var json: JSON { .object(["Type": .string(type), "Settings": .object(settings)]) }

    /// Reads a policy as HNS returns it on an endpoint.
    public init?(json: JSON) {
        guard let object = json.objectValue, let type = object.value(goKey: "Type")?.stringValue else { return nil }
        self.type = type
        self.settings = object.value(goKey: "Settings")?.objectValue ?? JSONObject()
    }
}

/// Turns the `policies` / `AdditionalArgs` entries of a config into HCN v2 endpoint policies.
///
/// win-bridge and win-overlay (v2 path) unmarshal each value into `{Type, Settings}` and silently drop what does
/// not fit, so a v1-shaped `{"Type":"OutBoundNAT","ExceptionList":[…]}` reaches HNS without its exceptions, and the
/// type string goes verbatim (`ROUTE`, `SDNROUTE`). wincni translates both shapes to v2 with HNS's own type and key
/// spellings, and rejects values it cannot understand with the JSON path of the bad member.
enum EndpointPolicyTranslation {
    /// The policies of `entries` (each `{Name, Value}`); entries whose `Name` is not `EndpointPolicy` (any case,
    /// as pkg/hns compares) are skipped, as both win-bridge and sdnbridge do.
    static func policies(from entries: [JSONFields]) throws(WinCNIError) -> [PolicyDocument] {
        var result: [PolicyDocument] = []
        for entry in entries {
            let entry = ConfigFields(entry)
            guard let name = try entry.string("name"), name.lowercased() == "endpointpolicy" else { continue }
            guard let value = entry.value("value") else {
                throw .invalidConfig(path: entry.path(of: "value"), message: "missing: an EndpointPolicy needs a Value")
            }
            result.append(try translate(ConfigFields(value, path: entry.path(of: "value"))))
        }
        return result
    }

    /// One policy value, v1 (`{"Type":"ROUTE","DestinationPrefix":…}`) or v2 (`{"Type":…,"Settings":{…}}`) shaped.
    static func translate(_ value: ConfigFields) throws(WinCNIError) -> PolicyDocument {
        guard let typeText = try value.string("type"), !typeText.isEmpty else {
            throw .invalidConfig(path: value.path(of: "type"), message: "missing: a policy needs a Type")
        }
        let kind = PolicyKind(typeText)
        let settings: ConfigFields
        if let nested = try value.child("settings") {
            settings = nested
        } else {
            var flat = JSONObject()
            for (key, member) in value.object where key.lowercased() != "type" { flat[key] = member }
            settings = ConfigFields(object: flat, path: value.path)
        }
        return PolicyDocument(type: kind.hcnType, settings: try kind.normalize(settings))
    }
}

/// The endpoint policy types wincni understands, with their v1 aliases.
enum PolicyKind: Equatable {
    case outboundNAT, sdnRoute, providerAddress, portMapping, acl
    case other(String)

    init(_ type: String) {
        switch type.lowercased() {
        case "outboundnat": self = .outboundNAT
        case "sdnroute", "route": self = .sdnRoute
        case "provideraddress", "pa": self = .providerAddress
        case "portmapping", "nat": self = .portMapping
        case "acl": self = .acl
        default:
            let known = [
                "QOS", "L2Driver", "L4Proxy", "L4WFPPROXY", "PortName", "EncapOverhead", "Iov", "InterfaceConstraint",
                "TierAcl",
            ]
            self = .other(known.first { $0.lowercased() == type.lowercased() } ?? type)
        }
    }

    var hcnType: String {
        switch self {
        case .outboundNAT: return "OutBoundNAT"
        case .sdnRoute: return "SDNRoute"
        case .providerAddress: return "ProviderAddress"
        case .portMapping: return "PortMapping"
        case .acl: return "ACL"
        case .other(let type): return type
        }
    }

    /// HNS's spelling of each setting, and the v1 keys that become them as flat (lower-case v1 key, HNS key) pairs
    /// (plain string lists: a dictionary, or a list of tuples, costs every run the set-up of one more generic type).
    private var keys: (canonical: [String], renames: [String]) {
        switch self {
        case .outboundNAT:
            return (
                ["VirtualIP", "Exceptions", "Destinations", "Flags", "MaxPortPoolUsage"],
                ["exceptionlist", "Exceptions", "vip", "VirtualIP"]
            )
        case .sdnRoute: return (["DestinationPrefix", "NextHop", "NeedEncap", "AutomaticEndpointMonitor"], [])
        case .providerAddress: return (["ProviderAddress"], ["pa", "ProviderAddress"])
        case .portMapping: return (["Protocol", "InternalPort", "ExternalPort", "VIP", "Flags"], [])
        case .acl:
            return (
                [
                    "Protocols", "Action", "Direction", "LocalAddresses", "RemoteAddresses", "LocalPorts",
                    "RemotePorts",
                    "RuleType", "Priority", "Id",
                ],
                ["protocol", "Protocols", "localport", "LocalPorts", "remoteport", "RemotePorts"]
            )
        case .other: return ([], [])
        }
    }

    /// The settings with HNS's key spellings and validated values.
    func normalize(_ settings: ConfigFields) throws(WinCNIError) -> JSONObject {
        let (canonical, renames) = keys
        var result = JSONObject()
        // The key each HNS name came from, for error paths (two parallel lists).
        var originalNames: [String] = []
        var originalKeys: [String] = []
        for (key, value) in settings.object {
            var name = canonical.first { asciiEqualFold($0, key) } ?? key
            var index = 0
            while index + 1 < renames.count {
                if asciiEqualFold(renames[index], key) {
                    name = renames[index + 1]
                    break
                }
                index += 2
            }
            if value.isNull { continue }
            result[name] = value
            if let position = originalNames.firstIndex(of: name) {
                originalNames.remove(at: position)
                originalKeys.remove(at: position)
            }
            originalNames.append(name)
            originalKeys.append(key)
        }
        func path(_ name: String) -> String {
            let key = originalNames.firstIndex(of: name).map { originalKeys[$0] } ?? name
            return settings.path.isEmpty ? key : "\(settings.path).\(key)"
        }
        switch self {
        case .outboundNAT:
            for name in ["Exceptions", "Destinations"] {
                guard let value = result[name] else { continue }
                let list = try addressList(value, path: path(name))
                result[name] = .array(list.map { .string($0) })
            }
            if let value = result["VirtualIP"] { _ = try address(value, path: path("VirtualIP")) }
        case .sdnRoute:
            guard let prefix = result["DestinationPrefix"] else {
                throw .invalidConfig(path: path("DestinationPrefix"), message: "missing: an SDNRoute needs one")
            }
            guard let text = prefix.stringValue, IPPrefix(text) != nil else {
                throw .invalidConfig(
                    path: path("DestinationPrefix"), message: "\(prefix.excerpt) is not a CIDR such as 10.96.0.0/12")
            }
            if let hop = result["NextHop"] { _ = try address(hop, path: path("NextHop")) }
            if let encap = result["NeedEncap"], encap.boolValue == nil {
                throw .invalidConfig(path: path("NeedEncap"), message: "expected true or false, found \(encap.excerpt)")
            }
        case .providerAddress:
            guard let value = result["ProviderAddress"] else {
                throw .invalidConfig(path: path("ProviderAddress"), message: "missing: the host's IP address")
            }
            _ = try address(value, path: path("ProviderAddress"))
        case .portMapping:
            if let value = result["Protocol"] {
                let number: UInt32?
                if let text = value.stringValue {
                    number = PortMapping.protocolNumber(text)
                } else {
                    number = value.uint64Value.flatMap { $0 <= 255 ? UInt32($0) : nil }
                }
                guard let number else {
                    throw .invalidConfig(path: path("Protocol"), message: "\(value.excerpt) is not a protocol")
                }
                result["Protocol"] = .integer(Int64(number))
            }
            for name in ["InternalPort", "ExternalPort"] {
                guard let value = result[name] else { continue }
                guard let port = value.uint64Value, port <= 65535 else {
                    throw .invalidConfig(path: path(name), message: "\(value.excerpt) is not a port number")
                }
            }
            if let value = result["VIP"] { _ = try address(value, path: path("VIP")) }
        case .acl:
            // HNS v2 wants the protocol and port lists as strings; v1 ACLs carried numbers.
            for name in ["Protocols", "LocalPorts", "RemotePorts"] {
                if let number = result[name]?.uint64Value { result[name] = .string(String(number)) }
            }
        case .other: break
        }
        return result
    }
}

/// A list of IP addresses or CIDRs, trimmed, each checked.
private func addressList(_ value: JSON, path: @autoclosure () -> String) throws(WinCNIError) -> [String] {
    guard let elements = value.arrayValue else {
        throw .invalidConfig(path: path(), message: "expected a list of CIDRs, found \(value.excerpt)")
    }
    var result: [String] = []
    for (index, element) in elements.enumerated() {
        guard let text = element.stringValue?.trimmingASCIISpaces(), IPPrefix(text) != nil || IPAddress(text) != nil
        else {
            throw .invalidConfig(path: "\(path())[\(index)]", message: "\(element.excerpt) is not a CIDR or IP address")
        }
        result.append(text)
    }
    return result
}

private func address(_ value: JSON, path: @autoclosure () -> String) throws(WinCNIError) -> IPAddress {
    guard let text = value.stringValue, let address = IPAddress(text) else {
        throw .invalidConfig(path: path(), message: "\(value.excerpt) is not an IP address")
    }
    return address
}

extension String {
    /// The string without leading and trailing ASCII spaces, tabs, CRs and LFs; itself, with no copy, when it has
    /// none (every well-formed config value).
    func trimmingASCIISpaces() -> String {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = utf8.first, let last = utf8.last, isSpace(first) || isSpace(last) else { return self }
        return asciiTrimmed(Array(utf8)[...])
    }
}

/// The bytes without leading and trailing ASCII spaces, tabs, CRs and LFs, as a String.
func asciiTrimmed(_ bytes: ArraySlice<UInt8>) -> String {
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    return String(decoding: bytes[start..<end], as: UTF8.self)
}
