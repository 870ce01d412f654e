import JSON

/// DNS settings of a network or endpoint (`Dns`): all members omitempty.
public struct Dns: Sendable, Equatable {
    public var domain: String
    public var search: [String]
    public var serverList: [String]
    public var options: [String]
    /// The object this value was decoded from (nil when built in code); see `HCNObjectWriter`.
    public var original: JSONObject?

    public init(domain: String = "", search: [String] = [], serverList: [String] = [], options: [String] = []) {
        self.domain = domain
        self.search = search
        self.serverList = serverList
        self.options = options
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) { self = try decodeFields(json, path: "", Dns.init(fields:)) }

    init(fields: JSONFields) throws(JSONFieldError) {
        domain = try fields.string("Domain") ?? ""
        search = try fields.strings("Search") ?? []
        serverList = try fields.strings("ServerList") ?? []
        options = try fields.strings("Options") ?? []
        original = fields.object
    }

    public var isEmpty: Bool { domain.isEmpty && search.isEmpty && serverList.isEmpty && options.isEmpty }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("Domain", domain)
        writer.strings("Search", search)
        writer.strings("ServerList", serverList)
        writer.strings("Options", options)
        return writer.json
    }
}

/// One range of a network's MAC pool, MACs written as HNS does (`00-15-5D-52-C0-00`).
public struct MacRange: Sendable, Equatable {
    public var startMacAddress: String
    public var endMacAddress: String
    public var original: JSONObject?

    public init(startMacAddress: String, endMacAddress: String) {
        self.startMacAddress = startMacAddress
        self.endMacAddress = endMacAddress
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", MacRange.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        startMacAddress = try fields.string("StartMacAddress") ?? ""
        endMacAddress = try fields.string("EndMacAddress") ?? ""
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("StartMacAddress", startMacAddress)
        writer.string("EndMacAddress", endMacAddress)
        return writer.json
    }
}

/// A network's `MacPool`: the ranges endpoint MACs are allocated from.
public struct MacPool: Sendable, Equatable {
    public var ranges: [MacRange]
    public var original: JSONObject?

    public init(ranges: [MacRange] = []) {
        self.ranges = ranges
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", MacPool.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        ranges = try fields.list("Ranges", MacRange.init(fields:))
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.array("Ranges", ranges.map(\.json))
        return writer.json
    }
}

/// A route of a subnet or an endpoint (`Route`): the gateway is `NextHop` of the `0.0.0.0/0` / `::/0` route.
public struct Route: Sendable, Equatable {
    public var nextHop: String
    public var destinationPrefix: String
    public var metric: UInt16
    public var original: JSONObject?

    public init(nextHop: String, destinationPrefix: String, metric: UInt16 = 0) {
        self.nextHop = nextHop
        self.destinationPrefix = destinationPrefix
        self.metric = metric
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) { self = try decodeFields(json, path: "", Route.init(fields:)) }

    init(fields: JSONFields) throws(JSONFieldError) {
        nextHop = try fields.string("NextHop") ?? ""
        destinationPrefix = try fields.string("DestinationPrefix") ?? ""
        metric = try fields.uint16("Metric")
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("NextHop", nextHop)
        writer.string("DestinationPrefix", destinationPrefix)
        writer.unsigned("Metric", metric)
        return writer.json
    }
}

/// An endpoint address (`IpConfig`): `PrefixLength` 0 means unset (HNS fills in the subnet's length).
public struct IpConfig: Sendable, Equatable {
    public var ipAddress: String
    public var prefixLength: UInt8
    public var original: JSONObject?

    public init(ipAddress: String, prefixLength: UInt8 = 0) {
        self.ipAddress = ipAddress
        self.prefixLength = prefixLength
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", IpConfig.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        ipAddress = try fields.string("IpAddress") ?? ""
        prefixLength = try fields.uint8("PrefixLength")
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("IpAddress", ipAddress)
        writer.unsigned("PrefixLength", prefixLength)
        return writer.json
    }
}

/// A subnet of a network's IPAM (`Subnet`). `flags` 1 = DoNotReserveGatewayAddress.
public struct Subnet: Sendable, Equatable {
    public var ipAddressPrefix: String
    public var policies: [SubnetPolicy]
    public var routes: [Route]
    public var flags: UInt32
    public var original: JSONObject?

    public static let doNotReserveGatewayAddress: UInt32 = 1

    public init(ipAddressPrefix: String, policies: [SubnetPolicy] = [], routes: [Route] = [], flags: UInt32 = 0) {
        self.ipAddressPrefix = ipAddressPrefix
        self.policies = policies
        self.routes = routes
        self.flags = flags
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) { self = try decodeFields(json, path: "", Subnet.init(fields:)) }

    init(fields: JSONFields) throws(JSONFieldError) {
        ipAddressPrefix = try fields.string("IpAddressPrefix") ?? ""
        policies = try fields.list("Policies", SubnetPolicy.init(fields:))
        routes = try fields.list("Routes", Route.init(fields:))
        flags = try fields.uint32("Flags")
        original = fields.object
    }

    /// The `NextHop` of the default route (`0.0.0.0/0` or `::/0`), as hcsshim and the CNIs read the gateway.
    public var gateway: String? {
        routes.first { $0.destinationPrefix == "0.0.0.0/0" || $0.destinationPrefix == "::/0" }?.nextHop
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("IpAddressPrefix", ipAddressPrefix)
        writer.array("Policies", policies.map(\.json))
        writer.array("Routes", routes.map(\.json))
        writer.unsigned("Flags", flags)
        return writer.json
    }
}

/// A network's IPAM block (`Ipam`): `type` "Static" or "Dhcp"; empty means Static to HNS.
public struct Ipam: Sendable, Equatable {
    public var type: String
    public var subnets: [Subnet]
    public var original: JSONObject?

    public init(type: String = "Static", subnets: [Subnet]) {
        self.type = type
        self.subnets = subnets
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) { self = try decodeFields(json, path: "", Ipam.init(fields:)) }

    static let types = HCNEnumTable(names: ["Static", "Dhcp"])

    init(fields: JSONFields) throws(JSONFieldError) {
        type = try fields.enumeration("Type", table: Ipam.types) ?? ""
        subnets = try fields.list("Subnets", Subnet.init(fields:))
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.enumeration("Type", type, table: Ipam.types)
        writer.array("Subnets", subnets.map(\.json))
        return writer.json
    }
}
