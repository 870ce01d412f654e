import JSON
import NetAddress

/// DNS for the endpoint and the result: the config's `dns` with `runtimeConfig.dns` laid over it.
public struct DNSSettings: Sendable, Equatable {
    public var nameservers: [String]
    public var domain: String
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], domain: String = "", search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    public var isEmpty: Bool { nameservers.isEmpty && domain.isEmpty && search.isEmpty && options.isEmpty }

    /// HCN's `Dns` object (`Domain`, `Search`, `ServerList`, `Options`), empty members left out.
    public var hcnJSON: JSON {
        var object = JSONObject()
        if !domain.isEmpty { object["Domain"] = .string(domain) }
        if !search.isEmpty { object["Search"] = .array(search.map { .string($0) }) }
        if !nameservers.isEmpty { object["ServerList"] = .array(nameservers.map { .string($0) }) }
        if !options.isEmpty { object["Options"] = .array(options.map { .string($0) }) }
        return .object(object)
    }
}

/// One `additionalRoutes` entry of sdnbridge/sdnoverlay.
public struct AdditionalRoute: Sendable, Equatable {
    public var destination: IPPrefix
    public var gateway: IPAddress

    public init(destination: IPPrefix, gateway: IPAddress) {
        self.destination = destination
        self.gateway = gateway
    }

    /// `0.0.0.0/0` or `::/0`, as Microsoft's plugins compare it (the address and the prefix length).
    var isDefault: Bool { destination.length == 0 && destination.address == destination.network }
}

/// The switches of Microsoft's sdnbridge/sdnoverlay (`optionalFlags`), read for every type.
public struct OptionalFlags: Sendable, Equatable {
    public var localRoutedPortMapping = false
    public var allowAclPortMapping = false
    public var forceBridgeGateway = false
    public var enableDualStack = false
    public var loopbackDSR = false
    public var gatewayFromAdditionalRoutes = false

    public init() {}
}

/// The config of the endpoint plugins — `win-bridge`, `sdnbridge` (L2Bridge), `win-overlay`, `sdnoverlay` (Overlay)
/// and `wincni` with `"mode"` — decoded once and validated once. Keys match case-insensitively as Go's decoder does;
/// unknown keys are ignored; `apiVersion` is accepted and ignored because wincni always speaks HCN v2.
public struct BridgeOverlayConfig: Sendable, Equatable {
    public var cniVersion: String
    /// The HNS network name.
    public var name: String
    public var type: String
    public var mode: NetworkMode
    /// The raw `ipam` object, handed to host-local or the exec'd IPAM plugin; nil when HNS allocates.
    public var ipam: JSONObject?
    public var ipamType: String?
    /// `dns` with `runtimeConfig.dns` applied.
    public var dns: DNSSettings
    /// Whether `dns.search` came from `runtimeConfig.dns.searches` (the runtime's list is used as given).
    public var searchFromRuntime: Bool
    /// `policies` then `AdditionalArgs`, translated to HCN v2.
    public var policies: [PolicyDocument]
    /// win-bridge: no SNAT towards this CIDR (flannel sets the cluster CIDR).
    public var ipMasqNetwork: IPPrefix?
    /// win-overlay: no SNAT towards the node's pod subnet.
    public var ipMasq: Bool
    /// win-overlay: the first two bytes of pod MACs; the rest are the IPv4 address.
    public var endpointMacPrefix: [UInt8]
    public var loopbackDSR: Bool
    public var optionalFlags: OptionalFlags
    public var portMappings: [PortMapping]
    /// sdnbridge/sdnoverlay `additionalRoutes` (`[{"dst": CIDR, "gw": IP}]`). As in Microsoft's plugins only the
    /// default routes are used, and only with `optionalFlags.gatewayFromAdditionalRoutes`: each gives the gateway of
    /// its family when IPAM gave none. Read for ADD only.
    public var additionalRoutes: [AdditionalRoute]
    public var logFile: String?
    public var capabilities: JSONObject?

    /// flanneld's vxlan `MacPrefix` default, which win-overlay also assumes.
    public static let defaultEndpointMacPrefix: [UInt8] = [0x0E, 0x2A]

    /// Decodes and validates a whole stdin document. `path` prefixes error paths (`delegate` when the document
    /// was built by the flannel meta plugin from the user's `delegate` object). Without `policies`, the policy
    /// lists are neither translated nor checked and `policies` stays empty (only ADD sends them to HNS; a DEL
    /// must not fail over a policy it does not use).
    public init(_ document: JSONObject, path: String = "", policies translatePolicies: Bool = true)
        throws(WinCNIError)
    {
        let fields = ConfigFields(object: document, path: path)
        cniVersion = try fields.string("cniVersion") ?? "0.1.0"
        guard let name = try fields.string("name"), !name.isEmpty else {
            throw .invalidConfig(path: fields.path(of: "name"), message: "missing: the HNS network name")
        }
        self.name = name
        guard let type = try fields.string("type"), !type.isEmpty else {
            throw .invalidConfig(path: fields.path(of: "type"), message: "missing")
        }
        self.type = type
        guard case .endpoint(let mode) = try PluginKind.of(type: type, mode: try fields.string("mode")) else {
            throw .invalidConfig(
                path: fields.path(of: "type"), message: "\"flannel\" is a meta plugin, not an endpoint plugin")
        }
        self.mode = mode

        if let ipamFields = try fields.child("ipam"), let ipamType = try ipamFields.string("type"), !ipamType.isEmpty {
            ipam = ipamFields.object
            self.ipamType = ipamType
        } else {
            ipam = nil
            ipamType = nil
        }

        if translatePolicies {
            var policyEntries = try fields.objects("policies") ?? []
            policyEntries += try fields.objects("AdditionalArgs") ?? []
            policies = try EndpointPolicyTranslation.policies(from: policyEntries)
        } else {
            policies = []
        }

        if let text = try fields.string("ipMasqNetwork"), !text.isEmpty {
            guard let prefix = IPPrefix(text.trimmingASCIISpaces()) else {
                throw .invalidConfig(path: fields.path(of: "ipMasqNetwork"), message: "\(quoted(text)) is not a CIDR")
            }
            ipMasqNetwork = prefix
        } else {
            ipMasqNetwork = nil
        }
        ipMasq = try fields.bool("ipMasq") ?? false

        if let text = try fields.string("endpointMacPrefix"), !text.isEmpty {
            guard let bytes = parseMacPrefix(text) else {
                throw .invalidConfig(
                    path: fields.path(of: "endpointMacPrefix"),
                    message: "\(quoted(text)) is not a MAC prefix: expected two hex bytes such as \"0E-2A\"")
            }
            endpointMacPrefix = bytes
        } else {
            endpointMacPrefix = Self.defaultEndpointMacPrefix  // win-overlay and flanneld vxlan default
        }

        var flags = OptionalFlags()
        if let optional = try fields.child("optionalFlags") {
            flags.localRoutedPortMapping = try optional.bool("localRoutedPortMapping") ?? false
            flags.allowAclPortMapping = try optional.bool("allowAclPortMapping") ?? false
            flags.forceBridgeGateway = try optional.bool("forceBridgeGateway") ?? false
            flags.enableDualStack = try optional.bool("enableDualStack") ?? false
            flags.loopbackDSR = try optional.bool("loopbackDSR") ?? false
            flags.gatewayFromAdditionalRoutes = try optional.bool("gatewayFromAdditionalRoutes") ?? false
        }
        optionalFlags = flags
        loopbackDSR = try fields.bool("loopbackDSR") ?? false || flags.loopbackDSR

        var dns = DNSSettings()
        if let dnsFields = try fields.child("dns") {
            dns.nameservers = try dnsFields.strings("nameservers") ?? []
            try checkAddresses(dns.nameservers, path: dnsFields.path(of: "nameservers"))
            dns.domain = try dnsFields.string("domain") ?? ""
            dns.search = try dnsFields.strings("search") ?? []
            dns.options = try dnsFields.strings("options") ?? []
        }
        var mappings: [PortMapping] = []
        searchFromRuntime = false
        if let runtime = try fields.child("runtimeConfig") {
            // Runtime values replace the config's field by field, as pkg/hns GetDNS does; sdnbridge also takes
            // `options`, which win-bridge drops.
            if let runtimeDNS = try runtime.child("dns") {
                if let servers = try runtimeDNS.strings("servers"), !servers.isEmpty {
                    try checkAddresses(servers, path: runtimeDNS.path(of: "servers"))
                    dns.nameservers = servers
                }
                if let searches = try runtimeDNS.strings("searches"), !searches.isEmpty {
                    dns.search = searches
                    searchFromRuntime = true
                }
                if let options = try runtimeDNS.strings("options"), !options.isEmpty { dns.options = options }
            }
            for entry in try runtime.objects("portMappings") ?? [] {
                let entry = ConfigFields(entry)
                let mapping = try PortMapping.decode(entry)
                // HNS holds one host port per protocol and address (HCN_E_PORT_ALREADY_EXISTS after the endpoint
                // and IP exist); only ADD sends the mappings, so DEL does not fail over them.
                if translatePolicies, let index = mappings.firstIndex(where: { $0.conflicts(with: mapping) }) {
                    throw .invalidConfig(
                        path: entry.path,
                        message: "host port \(mapping.hostPort)/\(mapping.protocolName) is already mapped by "
                            + "\(runtime.path(of: "portMappings"))[\(index)]: a host port and protocol can be mapped "
                            + "once per host address")
                }
                mappings.append(mapping)
            }
        }
        self.dns = dns
        portMappings = mappings
        var routes: [AdditionalRoute] = []
        if translatePolicies {
            for entry in try fields.objects("additionalRoutes") ?? [] {
                let entry = ConfigFields(entry)
                let destinationText = try entry.string("dst") ?? ""
                guard let destination = IPPrefix(destinationText) else {
                    throw .invalidConfig(
                        path: entry.path(of: "dst"), message: "\(quoted(destinationText)) is not a CIDR")
                }
                let gatewayText = try entry.string("gw") ?? ""
                guard let gateway = IPAddress(gatewayText), gateway.isIPv4 == destination.isIPv4 else {
                    throw .invalidConfig(
                        path: entry.path(of: "gw"),
                        message: "\(quoted(gatewayText)) is not an IP address of the destination's family")
                }
                routes.append(AdditionalRoute(destination: destination, gateway: gateway))
            }
        }
        additionalRoutes = routes
        logFile = try fields.string("logFile").flatMap { $0.isEmpty ? nil : $0 }
        capabilities = try fields.child("capabilities")?.object
        try validate(fields)
    }

    /// Checks across fields, once everything is read.
    private func validate(_ fields: ConfigFields) throws(WinCNIError) {
        // sdnbridge: dual stack needs an L2Bridge network; HNS Overlay networks carry one family.
        if optionalFlags.enableDualStack && mode == .overlay {
            throw .invalidConfig(
                path: fields.path(of: "optionalFlags") + ".enableDualStack",
                message: "dual stack needs an L2Bridge network (sdnbridge, win-bridge), not Overlay")
        }
    }
}

private func checkAddresses(_ list: [String], path: String) throws(WinCNIError) {
    for (index, text) in list.enumerated() where IPAddress(text) == nil {
        throw .invalidConfig(path: "\(path)[\(index)]", message: "\(quoted(text)) is not an IP address")
    }
}

/// `xx-xx` with hex digits (win-overlay only checks the length and the dash, so `zz-zz` used to reach HNS).
func parseMacPrefix(_ text: String) -> [UInt8]? {
    let bytes = Array(text.utf8)
    guard bytes.count == 5, bytes[2] == UInt8(ascii: "-") else { return nil }
    guard [0, 1, 3, 4].allSatisfy({ Character(Unicode.Scalar(bytes[$0])).isHexDigit }) else { return nil }
    guard let first = UInt8(String(decoding: bytes[0..<2], as: UTF8.self), radix: 16),
        let second = UInt8(String(decoding: bytes[3..<5], as: UTF8.self), radix: 16)
    else { return nil }
    return [first, second]
}
