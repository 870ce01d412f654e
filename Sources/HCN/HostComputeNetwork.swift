import JSON

/// HNS network modes (`HostComputeNetwork.Type`), matched case-insensitively. NAT is enum value 0, which HNS
/// leaves out of its output.
public enum NetworkType: String, Sendable, CaseIterable {
    case nat = "NAT"
    case ics = "ICS"
    case transparent = "Transparent"
    case l2Bridge = "L2Bridge"
    case l2Tunnel = "L2Tunnel"
    case overlay = "Overlay"
    case `private` = "Private"
    case `internal` = "Internal"
    case mirrored = "Mirrored"
    case infiniband = "Infiniband"
    case constrainedICS = "ConstrainedICS"

    static let table = HCNEnumTable(
        names: [
            "NAT", "ICS", "Transparent", "L2Bridge", "L2Tunnel", "Overlay", "Private", "Internal", "Mirrored",
            "Infiniband", "ConstrainedICS",
        ],
        values: [0])
}

/// `NetworkFlags` bits.
public enum NetworkFlags {
    public static let enableDns: UInt32 = 1
    public static let enableDhcp: UInt32 = 2
    public static let enableMirroring: UInt32 = 4
    public static let enableNonPersistent: UInt32 = 8
    public static let enablePersistent: UInt32 = 16
    public static let isolateVSwitch: UInt32 = 32
    public static let enableFlowSteering: UInt32 = 64
    public static let disableSharing: UInt32 = 128
    public static let enableFirewall: UInt32 = 256
    public static let suppressMediaDisconnect: UInt32 = 512
    public static let disableHostPort: UInt32 = 1024
    public static let weakHostReceiveAdapter: UInt32 = 2048
    public static let weakHostSendAdapter: UInt32 = 4096
    public static let enableIov: UInt32 = 8192
}

/// An HNS v2 network (`HostComputeNetwork`). Encoding follows hcsshim: `MacPool`, `Dns` and `SchemaVersion` are
/// always written (Go ignores omitempty on struct fields), plus `"Health":{"Extra":{}}` for networks built in code.
public struct HostComputeNetwork: Sendable, Equatable {
    public var id: String
    public var name: String
    /// "NAT", "L2Bridge", "Overlay", ... (canonical spelling when known; see `NetworkType`).
    public var type: String
    public var policies: [NetworkPolicy]
    public var macPool: MacPool?
    public var dns: Dns?
    public var ipams: [Ipam]
    public var flags: UInt32
    public var schemaVersion: SchemaVersion
    /// The object this value was decoded from (nil when built in code): keeps what HNS adds (`Health`, `Version`,
    /// `State`, ...) and the key order across a decode→encode round trip.
    public var original: JSONObject?

    public init(
        id: String = "", name: String, type: String, policies: [NetworkPolicy] = [], macPool: MacPool? = nil,
        dns: Dns? = nil, ipams: [Ipam] = [], flags: UInt32 = 0, schemaVersion: SchemaVersion = .v2
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.policies = policies
        self.macPool = macPool
        self.dns = dns
        self.ipams = ipams
        self.flags = flags
        self.schemaVersion = schemaVersion
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", HostComputeNetwork.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        id = try fields.string("ID") ?? ""
        name = try fields.string("Name") ?? ""
        // hcsshim presets NAT before decoding: HNS omits the Type of NAT networks (enum value 0).
        type = try fields.enumeration("Type", table: NetworkType.table) ?? NetworkType.nat.rawValue
        policies = try fields.list("Policies", NetworkPolicy.init(fields:))
        macPool = try fields.nonEmptyObject("MacPool").map { (fields) throws(JSONFieldError) in
            try MacPool(fields: fields)
        }
        dns = try fields.nonEmptyObject("Dns").map { (fields) throws(JSONFieldError) in try Dns(fields: fields) }
        ipams = try fields.list("Ipams", Ipam.init(fields:))
        flags = try fields.uint32("Flags")
        schemaVersion = try fields.schemaVersion()
        original = fields.object
    }

    public var networkType: NetworkType? { NetworkType(rawValue: type) }

    /// The network's policies of one type.
    public func policies(ofType type: NetworkPolicyType) -> [NetworkPolicy] {
        policies.filter { $0.type == type.rawValue }
    }

    /// All subnets of all IPAM blocks.
    public var subnets: [Subnet] { ipams.flatMap(\.subnets) }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("ID", id)
        writer.string("Name", name)
        let typeOmittedByHNS = original != nil && original?.matchedKey(goKey: "Type") == nil && type == "NAT"
        if !typeOmittedByHNS { writer.enumeration("Type", type, table: NetworkType.table) }
        writer.array("Policies", policies.map(\.json))
        writer.always("MacPool", macPool?.json ?? .object(JSONObject()), isZero: macPool?.json.isZeroLike ?? true)
        writer.always("Dns", dns?.json ?? .object(JSONObject()), isZero: dns?.json.isZeroLike ?? true)
        writer.array("Ipams", ipams.map(\.json))
        writer.unsigned("Flags", flags)
        writer.freshOnly("Health", ["Extra": .object(JSONObject())])
        writer.schemaVersion(schemaVersion)
        return writer.json
    }
}
