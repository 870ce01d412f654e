import JSON

/// Endpoint policy type names (`EndpointPolicyType`). Clients send strings; the integers are the documented
/// order (WSL confirms PortName = 9 and Firewall = 18), accepted when decoding.
public enum EndpointPolicyType: String, Sendable, CaseIterable {
    case portMapping = "PortMapping"
    case acl = "ACL"
    case qos = "QOS"
    case l2Driver = "L2Driver"
    case outBoundNAT = "OutBoundNAT"
    case sdnRoute = "SDNRoute"
    case l4Proxy = "L4Proxy"
    case l4WfpProxy = "L4WFPPROXY"
    case providerAddress = "ProviderAddress"
    case portName = "PortName"
    case encapOverhead = "EncapOverhead"
    case iov = "Iov"
    case interfaceConstraint = "InterfaceConstraint"
    case tierAcl = "TierAcl"
    case encryption = "Encryption"
    case vlan = "VLAN"
    case interfaceParameters = "InterfaceParameters"
    case firewall = "Firewall"

    /// The names with the integer values clients may send; only the documented order's prefix and WSL's Firewall
    /// are known.
    static let table = HCNEnumTable(
        names: [
            "PortMapping", "ACL", "QOS", "L2Driver", "OutBoundNAT", "SDNRoute", "L4Proxy", "L4WFPPROXY",
            "ProviderAddress", "PortName", "EncapOverhead", "Iov", "InterfaceConstraint", "TierAcl", "Encryption",
            "VLAN", "InterfaceParameters", "Firewall",
        ],
        values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1, -1, 18])
}

/// Network policy type names (`NetworkPolicyType`); matched case-insensitively (the SDN PowerShell module sends
/// `INTERFACECONSTRAINT`).
public enum NetworkPolicyType: String, Sendable, CaseIterable {
    case sourceMacAddress = "SourceMacAddress"
    case netAdapterName = "NetAdapterName"
    case vSwitchExtension = "VSwitchExtension"
    case drMacAddress = "DrMacAddress"
    case automaticDNS = "AutomaticDNS"
    case interfaceConstraint = "InterfaceConstraint"
    case providerAddress = "ProviderAddress"
    case remoteSubnetRoute = "RemoteSubnetRoute"
    case vxlanPort = "VxlanPort"
    case hostRoute = "HostRoute"
    case setPolicy = "SetPolicy"
    case l4Proxy = "L4Proxy"
    case layerConstraint = "LayerConstraint"
    case networkACL = "NetworkACL"
    case neighborDiscovery = "NeighborDiscovery"

    static let table = HCNEnumTable(names: [
        "SourceMacAddress", "NetAdapterName", "VSwitchExtension", "DrMacAddress", "AutomaticDNS", "InterfaceConstraint",
        "ProviderAddress", "RemoteSubnetRoute", "VxlanPort", "HostRoute", "SetPolicy", "L4Proxy", "LayerConstraint",
        "NetworkACL", "NeighborDiscovery",
    ])
}

/// Subnet policy type names.
public enum SubnetPolicyType: String, Sendable, CaseIterable {
    case vlan = "VLAN"
    case vsid = "VSID"

    static let table = HCNEnumTable(names: ["VLAN", "VSID"])
}

/// The typed `Settings` of one policy type, with HNS's exact keys. `init(settings:)` reads what HNS and other
/// clients send (keys case-insensitive, unknown keys kept); `settings` writes hcsshim's keys and omitempty rules.
public protocol HCNPolicySetting: Sendable, Equatable {
    static var policyType: String { get }
    init(settings: JSON) throws(HCNDecodingError)
    var settings: JSON { get }
}

/// A setting that can appear in an endpoint's `Policies`.
public protocol EndpointPolicySetting: HCNPolicySetting {}
/// A setting that can appear in a network's `Policies`.
public protocol NetworkPolicySetting: HCNPolicySetting {}
/// A setting that can appear in a subnet's `Policies`.
public protocol SubnetPolicySetting: HCNPolicySetting {}

/// `{"Type":…,"Settings":{…}}`, the shape shared by endpoint, network and subnet policies. `Type` is always
/// written; `Settings` is raw JSON, left out when null (hcsshim's `json.RawMessage` with omitempty).
struct PolicyDocument: Sendable, Equatable {
    var type: String
    var settings: JSON
    var original: JSONObject?

    init(type: String, settings: JSON) {
        self.type = type
        self.settings = settings
        self.original = nil
    }

    init(fields: JSONFields, table: HCNEnumTable) throws(JSONFieldError) {
        type = try fields.enumeration("Type", table: table) ?? ""
        settings = fields.object.value(goKey: "Settings") ?? .null
        original = fields.object
    }

    func json(table: HCNEnumTable) -> JSON {
        var writer = HCNObjectWriter(original: original)
        writer.enumeration("Type", type, table: table, always: true)
        writer.optional("Settings", settings, isZero: settings.isNull)
        return writer.json
    }
}

/// An entry of an endpoint's `Policies` (`EndpointPolicy`). `type` is the canonical name when it is a known one.
public struct EndpointPolicy: Sendable, Equatable {
    private var document: PolicyDocument

    public var type: String {
        get { document.type }
        set { document.type = newValue }
    }
    public var settings: JSON {
        get { document.settings }
        set { document.settings = newValue }
    }

    public init(type: String, settings: JSON) { document = PolicyDocument(type: type, settings: settings) }
    public init(type: EndpointPolicyType, settings: JSON) { self.init(type: type.rawValue, settings: settings) }
    public init<Setting: EndpointPolicySetting>(_ setting: Setting) {
        self.init(type: Setting.policyType, settings: setting.settings)
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", EndpointPolicy.init(fields:))
    }

    public init(fields: JSONFields) throws(JSONFieldError) {
        document = try PolicyDocument(fields: fields, table: EndpointPolicyType.table)
    }

    public var json: JSON { document.json(table: EndpointPolicyType.table) }
    public var knownType: EndpointPolicyType? { EndpointPolicyType(rawValue: type) }

    /// The settings decoded as `Setting`, or nil when this policy has another type.
    public func settings<Setting: EndpointPolicySetting>(as _: Setting.Type) throws(HCNDecodingError) -> Setting? {
        guard type == Setting.policyType else { return nil }
        return try Setting(settings: settings)
    }

    public static func outBoundNAT(_ setting: OutBoundNatPolicySetting) -> EndpointPolicy { EndpointPolicy(setting) }
    public static func sdnRoute(_ setting: SDNRoutePolicySetting) -> EndpointPolicy { EndpointPolicy(setting) }
    public static func portMapping(_ setting: PortMappingPolicySetting) -> EndpointPolicy { EndpointPolicy(setting) }
    public static func providerAddress(_ address: String) -> EndpointPolicy {
        EndpointPolicy(ProviderAddressEndpointPolicySetting(providerAddress: address))
    }
    public static func acl(_ setting: AclPolicySetting) -> EndpointPolicy { EndpointPolicy(setting) }
    public static func l4Proxy(_ setting: L4ProxyPolicySetting) -> EndpointPolicy { EndpointPolicy(setting) }
    public static func encapOverhead(_ overhead: UInt16) -> EndpointPolicy {
        EndpointPolicy(EncapOverheadEndpointPolicySetting(overhead: overhead))
    }
}

/// An entry of a network's `Policies` (`NetworkPolicy`).
public struct NetworkPolicy: Sendable, Equatable {
    private var document: PolicyDocument

    public var type: String {
        get { document.type }
        set { document.type = newValue }
    }
    public var settings: JSON {
        get { document.settings }
        set { document.settings = newValue }
    }

    public init(type: String, settings: JSON) { document = PolicyDocument(type: type, settings: settings) }
    public init(type: NetworkPolicyType, settings: JSON) { self.init(type: type.rawValue, settings: settings) }
    public init<Setting: NetworkPolicySetting>(_ setting: Setting) {
        self.init(type: Setting.policyType, settings: setting.settings)
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", NetworkPolicy.init(fields:))
    }

    public init(fields: JSONFields) throws(JSONFieldError) {
        document = try PolicyDocument(fields: fields, table: NetworkPolicyType.table)
    }

    public var json: JSON { document.json(table: NetworkPolicyType.table) }
    public var knownType: NetworkPolicyType? { NetworkPolicyType(rawValue: type) }

    public func settings<Setting: NetworkPolicySetting>(as _: Setting.Type) throws(HCNDecodingError) -> Setting? {
        guard type == Setting.policyType else { return nil }
        return try Setting(settings: settings)
    }

    public static func providerAddress(_ address: String) -> NetworkPolicy {
        NetworkPolicy(ProviderAddressEndpointPolicySetting(providerAddress: address))
    }
    public static func drMacAddress(_ address: String) -> NetworkPolicy {
        NetworkPolicy(DrMacAddressNetworkPolicySetting(address: address))
    }
    public static func remoteSubnetRoute(_ setting: RemoteSubnetRoutePolicySetting) -> NetworkPolicy {
        NetworkPolicy(setting)
    }
    public static var hostRoute: NetworkPolicy { NetworkPolicy(HostRoutePolicySetting()) }
    public static func netAdapterName(_ name: String) -> NetworkPolicy {
        NetworkPolicy(NetAdapterNamePolicySetting(networkAdapterName: name))
    }
}

/// An entry of a subnet's `Policies` (`SubnetPolicy`), e.g. `{"Type":"VSID","Settings":{"IsolationId":4096}}`.
public struct SubnetPolicy: Sendable, Equatable {
    private var document: PolicyDocument

    public var type: String {
        get { document.type }
        set { document.type = newValue }
    }
    public var settings: JSON {
        get { document.settings }
        set { document.settings = newValue }
    }

    public init(type: String, settings: JSON) { document = PolicyDocument(type: type, settings: settings) }
    public init<Setting: SubnetPolicySetting>(_ setting: Setting) {
        self.init(type: Setting.policyType, settings: setting.settings)
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", SubnetPolicy.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        document = try PolicyDocument(fields: fields, table: SubnetPolicyType.table)
    }

    public var json: JSON { document.json(table: SubnetPolicyType.table) }

    public func settings<Setting: SubnetPolicySetting>(as _: Setting.Type) throws(HCNDecodingError) -> Setting? {
        guard type == Setting.policyType else { return nil }
        return try Setting(settings: settings)
    }

    public static func vsid(_ isolationId: UInt32) -> SubnetPolicy {
        SubnetPolicy(VsidPolicySetting(isolationId: isolationId))
    }
}
