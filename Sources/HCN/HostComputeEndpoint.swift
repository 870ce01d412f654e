import JSON

/// `EndpointFlags` bits.
public enum EndpointFlags {
    public static let remoteEndpoint: UInt32 = 1
    public static let disableICC: UInt32 = 2
    public static let enableMirroring: UInt32 = 4
    public static let enableLowInterfaceMetric: UInt32 = 8
    public static let overrideDNSServerOrder: UInt32 = 16
    public static let enableDhcp: UInt32 = 32
}

/// An HNS v2 endpoint (`HostComputeEndpoint`). Encoding follows hcsshim: `Dns` and `SchemaVersion` are always
/// written, plus `"Health":{"Extra":{}}` for endpoints built in code. `HostComputeNamespace` is read-only in HNS
/// (set by attaching the endpoint to a namespace).
public struct HostComputeEndpoint: Sendable, Equatable {
    public var id: String
    public var name: String
    public var hostComputeNetwork: String
    public var hostComputeNamespace: String?
    public var policies: [EndpointPolicy]
    public var ipConfigurations: [IpConfig]
    public var dns: Dns?
    public var routes: [Route]
    public var macAddress: String?
    public var flags: UInt32
    public var schemaVersion: SchemaVersion
    /// The object this value was decoded from (nil when built in code): keeps what HNS adds and the key order.
    public var original: JSONObject?

    public init(
        id: String = "", name: String, hostComputeNetwork: String = "", hostComputeNamespace: String? = nil,
        policies: [EndpointPolicy] = [], ipConfigurations: [IpConfig] = [], dns: Dns? = nil, routes: [Route] = [],
        macAddress: String? = nil, flags: UInt32 = 0, schemaVersion: SchemaVersion = .v2
    ) {
        self.id = id
        self.name = name
        self.hostComputeNetwork = hostComputeNetwork
        self.hostComputeNamespace = hostComputeNamespace
        self.policies = policies
        self.ipConfigurations = ipConfigurations
        self.dns = dns
        self.routes = routes
        self.macAddress = macAddress
        self.flags = flags
        self.schemaVersion = schemaVersion
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", HostComputeEndpoint.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        id = try fields.string("ID") ?? ""
        name = try fields.string("Name") ?? ""
        hostComputeNetwork = try fields.string("HostComputeNetwork") ?? ""
        hostComputeNamespace = try fields.string("HostComputeNamespace").flatMap { $0.isEmpty ? nil : $0 }
        policies = try fields.list("Policies", EndpointPolicy.init(fields:))
        ipConfigurations = try fields.list("IpConfigurations", IpConfig.init(fields:))
        dns = try fields.nonEmptyObject("Dns").map { (fields) throws(JSONFieldError) in try Dns(fields: fields) }
        routes = try fields.list("Routes", Route.init(fields:))
        macAddress = try fields.string("MacAddress").flatMap { $0.isEmpty ? nil : $0 }
        flags = try fields.uint32("Flags")
        schemaVersion = try fields.schemaVersion()
        original = fields.object
    }

    public var isRemote: Bool { flags & EndpointFlags.remoteEndpoint != 0 }

    /// The endpoint's policies of one type.
    public func policies(ofType type: EndpointPolicyType) -> [EndpointPolicy] {
        policies.filter { $0.type == type.rawValue }
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("ID", id)
        writer.string("Name", name)
        writer.string("HostComputeNetwork", hostComputeNetwork)
        writer.string("HostComputeNamespace", hostComputeNamespace ?? "")
        writer.array("Policies", policies.map(\.json))
        writer.array("IpConfigurations", ipConfigurations.map(\.json))
        writer.always("Dns", dns?.json ?? .object(JSONObject()), isZero: dns?.json.isZeroLike ?? true)
        writer.array("Routes", routes.map(\.json))
        writer.string("MacAddress", macAddress ?? "")
        writer.unsigned("Flags", flags)
        writer.freshOnly("Health", ["Extra": .object(JSONObject())])
        writer.schemaVersion(schemaVersion)
        return writer.json
    }
}
