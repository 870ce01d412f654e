import JSON

/// Decodes a policy's `Settings`; a missing or null `Settings` reads as `{}`.
func decodeSettings<T>(_ json: JSON, _ body: (JSONFields) throws(JSONFieldError) -> T) throws(HCNDecodingError) -> T {
    try decodeFields(json.isNull ? .object(JSONObject()) : json, path: "Settings", body)
}

/// IP protocol numbers as HNS takes them (6 TCP, 17 UDP). v1 documents and some configs spell them as names or
/// decimal strings; both are accepted when decoding.
enum IPProtocolNumber {
    static func decode(_ fields: JSONFields, _ key: String) throws(JSONFieldError) -> UInt32 {
        guard let value = fields.value(key) else { return 0 }
        if let number = parse(value) { return number }
        throw .mismatch(fields.path(of: key), expected: "a protocol number (6, 17, ...)", found: value)
    }

    static func parse(_ value: JSON) -> UInt32? {
        if let number = value.uint64Value { return UInt32(exactly: number) }
        guard case .string(let text) = value else { return nil }
        switch text.uppercased() {
        case "TCP": return 6
        case "UDP": return 17
        case "ICMP": return 1
        case "ICMPV6": return 58
        default: return UInt32(text)
        }
    }
}

extension JSONFields {
    /// `Exceptions`, or v1's and the HNS doc's `ExceptionList` (configs written for the v1 path still carry it).
    func exceptionList() throws(JSONFieldError) -> [String] {
        if let exceptions = try strings("Exceptions") { return exceptions }
        return try strings("ExceptionList") ?? []
    }
}

/// Network address translation flags (`NatFlags`) of OutBoundNAT and PortMapping settings.
public enum NatFlags {
    public static let localRoutedVip: UInt32 = 1
    public static let ipv6: UInt32 = 2
    public static let externalPortReserved: UInt32 = 4
}

/// `OutBoundNAT` endpoint policy (hcsshim `OutboundNatPolicySetting`): SNAT of pod traffic except to
/// `Exceptions`; with `Destinations` only, the loopback-DSR form win-bridge adds for the pod's own IP.
public struct OutBoundNatPolicySetting: EndpointPolicySetting {
    public static let policyType = EndpointPolicyType.outBoundNAT.rawValue
    public var virtualIP: String
    public var exceptions: [String]
    public var destinations: [String]
    public var flags: UInt32
    public var maxPortPoolUsage: UInt16
    public var original: JSONObject?

    public init(
        virtualIP: String = "", exceptions: [String] = [], destinations: [String] = [], flags: UInt32 = 0,
        maxPortPoolUsage: UInt16 = 0
    ) {
        self.virtualIP = virtualIP
        self.exceptions = exceptions
        self.destinations = destinations
        self.flags = flags
        self.maxPortPoolUsage = maxPortPoolUsage
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = OutBoundNatPolicySetting(
                virtualIP: try fields.string("VirtualIP") ?? "",
                exceptions: try fields.exceptionList(),
                destinations: try fields.strings("Destinations") ?? [],
                flags: try fields.uint32("Flags"),
                maxPortPoolUsage: try fields.uint16("MaxPortPoolUsage"))
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("VirtualIP", virtualIP)
        let exceptionsKey =
            original?.matchedKey(goKey: "Exceptions") == nil && original?.matchedKey(goKey: "ExceptionList") != nil
            ? "ExceptionList" : "Exceptions"
        writer.strings(exceptionsKey, exceptions)
        writer.strings("Destinations", destinations)
        writer.unsigned("Flags", flags)
        writer.unsigned("MaxPortPoolUsage", maxPortPoolUsage)
        return writer.json
    }
}

/// hcsshim's spelling of the same type.
public typealias OutboundNatPolicySetting = OutBoundNatPolicySetting

/// `SDNRoute` endpoint policy: a route applied in the virtual switch; `NeedEncap` sends it through the
/// encapsulation (win-bridge's service CIDR and node IP routes).
public struct SDNRoutePolicySetting: EndpointPolicySetting {
    public static let policyType = EndpointPolicyType.sdnRoute.rawValue
    public var destinationPrefix: String
    public var nextHop: String
    public var needEncap: Bool
    public var original: JSONObject?

    public init(destinationPrefix: String = "", nextHop: String = "", needEncap: Bool = false) {
        self.destinationPrefix = destinationPrefix
        self.nextHop = nextHop
        self.needEncap = needEncap
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = SDNRoutePolicySetting(
                destinationPrefix: try fields.string("DestinationPrefix") ?? "",
                nextHop: try fields.string("NextHop") ?? "",
                needEncap: try fields.bool("NeedEncap") ?? false)
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("DestinationPrefix", destinationPrefix)
        writer.string("NextHop", nextHop)
        writer.bool("NeedEncap", needEncap)
        return writer.json
    }
}

/// `PortMapping` endpoint policy: host port `ExternalPort` → pod port `InternalPort` for `Protocol` (6 TCP, 17 UDP).
public struct PortMappingPolicySetting: EndpointPolicySetting {
    public static let policyType = EndpointPolicyType.portMapping.rawValue
    public var protocolNumber: UInt32
    public var internalPort: UInt16
    public var externalPort: UInt16
    public var vip: String
    public var flags: UInt32
    public var original: JSONObject?

    public init(protocolNumber: UInt32, internalPort: UInt16, externalPort: UInt16, vip: String = "", flags: UInt32 = 0)
    {
        self.protocolNumber = protocolNumber
        self.internalPort = internalPort
        self.externalPort = externalPort
        self.vip = vip
        self.flags = flags
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = PortMappingPolicySetting(
                protocolNumber: try IPProtocolNumber.decode(fields, "Protocol"),
                internalPort: try fields.uint16("InternalPort"),
                externalPort: try fields.uint16("ExternalPort"),
                vip: try fields.string("VIP") ?? "",
                flags: try fields.uint32("Flags"))
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        let number = protocolNumber
        writer.optional(
            "Protocol", .integer(Int64(number)), isZero: number == 0, same: { IPProtocolNumber.parse($0) == number })
        writer.unsigned("InternalPort", internalPort)
        writer.unsigned("ExternalPort", externalPort)
        writer.string("VIP", vip)
        writer.unsigned("Flags", flags)
        return writer.json
    }
}

/// `ProviderAddress` policy, on an endpoint (win-overlay: the host's PA) or a network (HNS fills it in for
/// Overlay and L2Bridge; flannel waits for it).
public struct ProviderAddressEndpointPolicySetting: EndpointPolicySetting, NetworkPolicySetting {
    public static let policyType = EndpointPolicyType.providerAddress.rawValue
    public var providerAddress: String
    public var original: JSONObject?

    public init(providerAddress: String) {
        self.providerAddress = providerAddress
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = ProviderAddressEndpointPolicySetting(
                providerAddress: try fields.string("ProviderAddress") ?? "")
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("ProviderAddress", providerAddress)
        return writer.json
    }
}

/// The network form of the same setting.
public typealias ProviderAddressNetworkPolicySetting = ProviderAddressEndpointPolicySetting

/// `ACL` endpoint policy. `Action` ("Allow", "Block", "Pass") and `Direction` ("In", "Out") are always written;
/// addresses and ports are comma lists; `RuleType` "Host" (WFP) or "Switch" (VFP).
public struct AclPolicySetting: EndpointPolicySetting {
    public static let policyType = EndpointPolicyType.acl.rawValue
    public var protocols: String
    public var action: String
    public var direction: String
    public var localAddresses: String
    public var remoteAddresses: String
    public var localPorts: String
    public var remotePorts: String
    public var ruleType: String
    public var priority: UInt16
    public var original: JSONObject?

    static let actions = HCNEnumTable(names: ["Allow", "Block", "Pass"])
    static let directions = HCNEnumTable(names: ["In", "Out"])
    static let ruleTypes = HCNEnumTable(names: ["Host", "Switch"])

    public init(
        protocols: String = "", action: String, direction: String, localAddresses: String = "",
        remoteAddresses: String = "", localPorts: String = "", remotePorts: String = "", ruleType: String = "",
        priority: UInt16 = 0
    ) {
        self.protocols = protocols
        self.action = action
        self.direction = direction
        self.localAddresses = localAddresses
        self.remoteAddresses = remoteAddresses
        self.localPorts = localPorts
        self.remotePorts = remotePorts
        self.ruleType = ruleType
        self.priority = priority
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = AclPolicySetting(
                protocols: try fields.string("Protocols") ?? "",
                action: try fields.enumeration("Action", table: AclPolicySetting.actions) ?? "",
                direction: try fields.enumeration("Direction", table: AclPolicySetting.directions) ?? "",
                localAddresses: try fields.string("LocalAddresses") ?? "",
                remoteAddresses: try fields.string("RemoteAddresses") ?? "",
                localPorts: try fields.string("LocalPorts") ?? "",
                remotePorts: try fields.string("RemotePorts") ?? "",
                ruleType: try fields.enumeration("RuleType", table: AclPolicySetting.ruleTypes) ?? "",
                priority: try fields.uint16("Priority"))
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("Protocols", protocols)
        writer.enumeration("Action", action, table: AclPolicySetting.actions, always: true)
        writer.enumeration("Direction", direction, table: AclPolicySetting.directions, always: true)
        writer.string("LocalAddresses", localAddresses)
        writer.string("RemoteAddresses", remoteAddresses)
        writer.string("LocalPorts", localPorts)
        writer.string("RemotePorts", remotePorts)
        writer.enumeration("RuleType", ruleType, table: AclPolicySetting.ruleTypes)
        writer.unsigned("Priority", priority)
        return writer.json
    }
}

/// `L4Proxy` policy (endpoint, or network as hcsshim's `NetworkL4Proxy`). `Destination` is always written.
/// hcsshim writes `Exceptions`/`OutboundNAT`; the HNS doc and v1 say `ExceptionList`/`OutboundNat`: both are read,
/// and a decoded document keeps its spelling.
public struct L4ProxyPolicySetting: EndpointPolicySetting, NetworkPolicySetting {
    public static let policyType = EndpointPolicyType.l4Proxy.rawValue
    public var ip: String
    public var port: String
    public var protocolNumber: UInt32
    public var exceptions: [String]
    public var destination: String
    public var outboundNAT: Bool
    public var original: JSONObject?

    public init(
        ip: String = "", port: String = "", protocolNumber: UInt32 = 0, exceptions: [String] = [],
        destination: String, outboundNAT: Bool = false
    ) {
        self.ip = ip
        self.port = port
        self.protocolNumber = protocolNumber
        self.exceptions = exceptions
        self.destination = destination
        self.outboundNAT = outboundNAT
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = L4ProxyPolicySetting(
                ip: try fields.string("IP") ?? "",
                port: try fields.string("Port") ?? "",
                protocolNumber: try IPProtocolNumber.decode(fields, "Protocol"),
                exceptions: try fields.exceptionList(),
                destination: try fields.string("Destination") ?? "",
                outboundNAT: try fields.bool("OutboundNAT") ?? false)
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("IP", ip)
        writer.string("Port", port)
        let number = protocolNumber
        writer.optional(
            "Protocol", .integer(Int64(number)), isZero: number == 0, same: { IPProtocolNumber.parse($0) == number })
        let exceptionsKey =
            original?.matchedKey(goKey: "Exceptions") == nil && original?.matchedKey(goKey: "ExceptionList") != nil
            ? "ExceptionList" : "Exceptions"
        writer.strings(exceptionsKey, exceptions)
        writer.always("Destination", .string(destination), isZero: destination.isEmpty)
        writer.bool("OutboundNAT", outboundNAT)
        return writer.json
    }
}

/// `EncapOverhead` endpoint policy: bytes of encapsulation overhead (VXLAN: 50) to subtract from the MTU.
public struct EncapOverheadEndpointPolicySetting: EndpointPolicySetting {
    public static let policyType = EndpointPolicyType.encapOverhead.rawValue
    public var overhead: UInt16
    public var original: JSONObject?

    public init(overhead: UInt16) {
        self.overhead = overhead
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = EncapOverheadEndpointPolicySetting(overhead: try fields.uint16("Overhead"))
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.unsigned("Overhead", overhead)
        return writer.json
    }
}

/// `RemoteSubnetRoute` network policy (Overlay): another node's pod subnet behind its provider address. All four
/// keys are always written (no omitempty in hcsshim). `IsolationId` is uint16 in hcsshim and uint32 in the doc;
/// it is read as uint32 so VSIDs above 65535 survive.
public struct RemoteSubnetRoutePolicySetting: NetworkPolicySetting {
    public static let policyType = NetworkPolicyType.remoteSubnetRoute.rawValue
    public var destinationPrefix: String
    public var isolationId: UInt32
    public var providerAddress: String
    public var distributedRouterMacAddress: String
    public var original: JSONObject?

    public init(
        destinationPrefix: String, isolationId: UInt32, providerAddress: String, distributedRouterMacAddress: String
    ) {
        self.destinationPrefix = destinationPrefix
        self.isolationId = isolationId
        self.providerAddress = providerAddress
        self.distributedRouterMacAddress = distributedRouterMacAddress
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = RemoteSubnetRoutePolicySetting(
                destinationPrefix: try fields.string("DestinationPrefix") ?? "",
                isolationId: try fields.uint32("IsolationId"),
                providerAddress: try fields.string("ProviderAddress") ?? "",
                distributedRouterMacAddress: try fields.string("DistributedRouterMacAddress") ?? "")
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.always("DestinationPrefix", .string(destinationPrefix), isZero: destinationPrefix.isEmpty)
        writer.always("IsolationId", .integer(Int64(isolationId)), isZero: isolationId == 0)
        writer.always("ProviderAddress", .string(providerAddress), isZero: providerAddress.isEmpty)
        writer.always(
            "DistributedRouterMacAddress", .string(distributedRouterMacAddress),
            isZero: distributedRouterMacAddress.isEmpty)
        return writer.json
    }
}

/// `HostRoute` network policy: no settings (`"Settings":{}`); flannel adds it to Overlay networks.
public struct HostRoutePolicySetting: NetworkPolicySetting {
    public static let policyType = NetworkPolicyType.hostRoute.rawValue
    public var original: JSONObject?

    public init() { original = nil }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = HostRoutePolicySetting()
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON { .object(original ?? JSONObject()) }
}

/// `DrMacAddress` network policy: the distributed router MAC HNS assigns to an Overlay network (flannel's VTEP MAC).
public struct DrMacAddressNetworkPolicySetting: NetworkPolicySetting {
    public static let policyType = NetworkPolicyType.drMacAddress.rawValue
    public var address: String
    public var original: JSONObject?

    public init(address: String) {
        self.address = address
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = DrMacAddressNetworkPolicySetting(address: try fields.string("Address") ?? "")
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("Address", address)
        return writer.json
    }
}

/// `NetAdapterName` network policy: the host adapter the network's switch binds to.
public struct NetAdapterNamePolicySetting: NetworkPolicySetting {
    public static let policyType = NetworkPolicyType.netAdapterName.rawValue
    public var networkAdapterName: String
    public var original: JSONObject?

    public init(networkAdapterName: String) {
        self.networkAdapterName = networkAdapterName
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = NetAdapterNamePolicySetting(networkAdapterName: try fields.string("NetworkAdapterName") ?? "")
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("NetworkAdapterName", networkAdapterName)
        return writer.json
    }
}

/// `VSID` subnet policy: the Overlay network's virtual subnet ID (VXLAN VNI, 4096–16777214). Always written.
public struct VsidPolicySetting: SubnetPolicySetting {
    public static let policyType = SubnetPolicyType.vsid.rawValue
    public var isolationId: UInt32
    public var original: JSONObject?

    public init(isolationId: UInt32) {
        self.isolationId = isolationId
        self.original = nil
    }

    public init(settings: JSON) throws(HCNDecodingError) {
        self = try decodeSettings(settings) { (fields) throws(JSONFieldError) in
            var setting = VsidPolicySetting(isolationId: try fields.uint32("IsolationId"))
            setting.original = fields.object
            return setting
        }
    }

    public var settings: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.always("IsolationId", .integer(Int64(isolationId)), isZero: isolationId == 0)
        return writer.json
    }
}
