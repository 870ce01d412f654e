import HCN
import JSON
import NetAddress

/// HCN endpoints: validation of `HcnCreateEndpoint` documents against their network (addresses, host ports,
/// MACs), HNS's allocation of what is missing, the stored v2 document and its v1 view.
enum StoredEndpoint {
    static let policyTypes = [
        "PortMapping", "ACL", "QOS", "L2Driver", "OutBoundNAT", "SDNRoute", "L4Proxy", "L4WFPPROXY", "PortName",
        "EncapOverhead", "Iov", "ProviderAddress", "InterfaceConstraint", "TierAcl", "Encryption", "VLAN",
        "InterfaceParameters", "Firewall",
    ]

    static func record(id: GUID, document: JSONObject) -> EndpointRecord {
        let ips = (document["IpConfigurations"]?.arrayValue ?? []).compactMap { $0["IpAddress"]?.stringValue }
        return EndpointRecord(
            id: id, name: document["Name"]?.stringValue ?? "",
            network: document["HostComputeNetwork"]?.stringValue.flatMap(GUID.init) ?? .zero,
            namespace: document["HostComputeNamespace"]?.stringValue.flatMap(GUID.init),
            flags: UInt32(truncatingIfNeeded: document["Flags"]?.int64Value ?? 0),
            mac: document["MacAddress"]?.stringValue ?? "", ips: ips,
            ports: hostPorts(document["Policies"]?.arrayValue ?? []))
    }

    static func hostPorts(_ policies: [JSON]) -> [HostPort] {
        policies.compactMap { policy in
            guard policy["Type"]?.stringValue == "PortMapping", let settings = policy["Settings"],
                let external = settings[goKey: "ExternalPort"]?.int64Value, external > 0, external <= 65535
            else { return nil }
            return HostPort(
                protocolNumber: UInt32(truncatingIfNeeded: settings[goKey: "Protocol"]?.int64Value ?? 0),
                port: UInt16(external), vip: settings[goKey: "VIP"]?.stringValue ?? "")
        }
    }

    // MARK: - Create

    /// What `create` reads of the network's document (`StoredNetwork.subnets` and `macRanges`).
    static let networkMembers = ["Ipams", "MacPool"]

    static func create(
        id: GUID, settings: JSONObject, networkID: GUID, network: JSONObject, catalog: SimulatorCatalog,
        reader: DocumentReader
    ) throws(HCNError) -> JSONObject {
        let request = isV1(settings) ? fromV1(settings) : settings
        let fields = JSONFields(object: request, path: "")
        let name = try reader.read { () throws(JSONFieldError) in try fields.string("Name") } ?? ""
        let flags = try reader.read { () throws(JSONFieldError) in try fields.unsigned("Flags") } ?? 0
        guard flags <= UInt64(UInt32.max) else { throw reader.fail(.invalidEndpoint) }
        let isRemote = flags & 1 != 0
        let policies = try validatedPolicies(
            fields.value("Policies"),
            taken: { port throws(HCNError) in try catalog.hostPorts(port, on: networkID, excluding: nil) },
            reader: reader)

        let subnets = StoredNetwork.subnets(network)
        // This request's own addresses; the other endpoints' are claims on the network.
        var usedAddresses: [IPAddress] = []
        var configurations: [JSON] = []
        var gateway: IPAddress?
        let requested = try reader.read { () throws(JSONFieldError) in try fields.objects("IpConfigurations") } ?? []
        for configuration in requested {
            let text = try reader.read { () throws(JSONFieldError) in try configuration.string("IpAddress") }
            guard let text, let address = IPAddress(text) else { throw reader.fail(.invalidIP) }
            let prefixLength = try reader.read { () throws(JSONFieldError) in
                try configuration.integer("PrefixLength", in: 0...255)
            }
            var length = prefixLength.map(Int.init) ?? address.bitWidth
            if !isRemote {
                // A local endpoint's address must be a host address of one of the network's subnets.
                guard let subnet = subnets.first(where: { $0.prefix.contains(address) }) else {
                    throw reader.fail(.invalidIP)
                }
                if isReserved(address, in: subnet) { throw reader.fail(.addressInvalidOrReserved) }
                if let prefixLength {
                    let full = Int(prefixLength) == address.bitWidth && supportsSlash32(reader.version())
                    guard Int(prefixLength) == subnet.prefix.length || full else { throw reader.fail(.invalidPrefix) }
                }
                length = prefixLength.map(Int.init) ?? subnet.prefix.length
                gateway = gateway ?? subnet.gateways.first
            }
            // Two endpoints with one address on a network: HNS answers "The object already exists." (0x80071392),
            // the failure flannel's host-gw nodes hit when a pod gets the .2 of <network>_ep.
            guard !usedAddresses.contains(address), !(try catalog.isClaimed(address, on: networkID)) else {
                throw reader.fail(.objectAlreadyExists)
            }
            usedAddresses.append(address)
            configurations.append(["IpAddress": .string(address.description), "PrefixLength": .integer(Int64(length))])
        }
        if configurations.isEmpty {
            // Remote endpoints describe another node's pod: the caller must say which address.
            if isRemote { throw reader.fail(.invalidEndpoint) }
            guard let subnet = subnets.first else { throw reader.fail(.subnetNotFound) }
            let claims = try catalog.claims(on: networkID)
            guard let address = firstFree(in: subnet, isUsed: { claims.contains($0.description) }) else {
                throw reader.fail(.subnetNotFound)
            }
            configurations.append([
                "IpAddress": .string(address.description), "PrefixLength": .integer(Int64(subnet.prefix.length)),
            ])
            gateway = subnet.gateways.first
        }

        var routes: [JSON] = []
        for route in try reader.read({ () throws(JSONFieldError) in try fields.objects("Routes") }) ?? [] {
            let nextHop = try reader.read { () throws(JSONFieldError) in try route.string("NextHop") } ?? ""
            let destination = try reader.read { () throws(JSONFieldError) in try route.string("DestinationPrefix") }
            guard let destination, IPPrefix(destination) != nil, nextHop.isEmpty || IPAddress(nextHop) != nil else {
                throw reader.fail(.invalidEndpoint)
            }
            var entry = JSONObject()
            entry["NextHop"] = .string(nextHop)
            entry["DestinationPrefix"] = .string(destination)
            if let metric = try reader.read({ () throws(JSONFieldError) in try route.integer("Metric", in: 0...65535) })
            {
                entry["Metric"] = .integer(metric)
            }
            routes.append(.object(entry))
        }
        // Without routes, HNS gives the endpoint the subnet's gateway as its default route.
        if routes.isEmpty, let gateway {
            routes.append([
                "NextHop": .string(gateway.description),
                "DestinationPrefix": .string(gateway.isIPv4 ? "0.0.0.0/0" : "::/0"),
            ])
        }

        let mac: MACAddress
        if let text = try reader.read({ () throws(JSONFieldError) in try fields.string("MacAddress") }), !text.isEmpty {
            // Overlay CNIs build MACs from the IP ("0E-2A-0a-f4-01-05"); HNS keeps them, in its own spelling.
            guard let given = MACAddress(text) else { throw reader.fail(.invalidEndpoint) }
            // One MAC, one endpoint: HNS would put two vNICs with one address on its switch.
            if let value = macValue(given.description), try catalog.isMACTaken(value) {
                throw reader.fail(.objectAlreadyExists)
            }
            mac = given
        } else {
            let ranges = StoredNetwork.macRanges(network)
            // With one range every MAC below the one taken now is taken (with several, their order is not numeric):
            // the hint moves past it.
            let hint = ranges.count == 1 ? try catalog.macHint(networkID) : 0
            guard let free = try firstFreeMAC(ranges, from: hint, isUsed: catalog.isMACTaken) else {
                throw reader.fail(.invalidEndpoint)
            }
            mac = free
            if ranges.count == 1 {
                try catalog.setMACHint(networkID, free.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } + 1)
            }
        }

        var document = JSONObject()
        document["Id"] = .string(id.description)
        document["Name"] = .string(name)
        document["HostComputeNetwork"] = .string(networkID.description)
        if !policies.isEmpty { document["Policies"] = .array(policies) }
        document["IpConfigurations"] = .array(configurations)
        if let dns = fields.value("Dns"), case .object(let object) = dns, !object.isEmpty { document["Dns"] = dns }
        if !routes.isEmpty { document["Routes"] = .array(routes) }
        document["MacAddress"] = .string(mac.description)
        document["Flags"] = .integer(Int64(flags))
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        return document
    }

    /// The network address, the IPv4 broadcast address and the gateway (unless DoNotReserveGatewayAddress).
    static func isReserved(_ address: IPAddress, in subnet: NetworkSubnet) -> Bool {
        if address == subnet.prefix.network && subnet.prefix.length < address.bitWidth { return true }
        if address.isIPv4 && address == subnet.prefix.lastAddress && subnet.prefix.length < 31 { return true }
        return subnet.reservesGateway && subnet.gateways.contains(address)
    }

    /// /32 (and /128) endpoint prefixes need HNS 9.3–9.x or 10.4 and later (research §6).
    static func supportsSlash32(_ version: (major: Int, minor: Int)) -> Bool {
        (version.major == 9 && version.minor >= 3) || version.major > 10 || (version.major == 10 && version.minor >= 4)
    }

    static func firstFree(in subnet: NetworkSubnet, isUsed: (IPAddress) -> Bool) -> IPAddress? {
        var candidate = subnet.prefix.network.adding(1)
        var steps = 0
        while let address = candidate, subnet.prefix.contains(address), steps < 1 << 20 {
            if !isReserved(address, in: subnet) && !isUsed(address) { return address }
            candidate = address.adding(1)
            steps += 1
        }
        return nil
    }

    /// The first MAC of the pool not in use; every value below `hint` is known to be in use.
    static func firstFreeMAC(
        _ ranges: [(MACAddress, MACAddress)], from hint: UInt64, isUsed: (UInt64) throws(HCNError) -> Bool
    ) throws(HCNError) -> MACAddress? {
        for (start, end) in ranges {
            let first = max(hint, start.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let last = end.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard first <= last else { continue }
            for value in first...last where !(try isUsed(value)) {
                return MACAddress(bytes: (0..<6).map { UInt8(truncatingIfNeeded: value >> (8 * (5 - UInt64($0)))) })
            }
        }
        return nil
    }

    /// The 48-bit value of a MAC in HNS's stored spelling (`00-15-5D-01-02-03`), without allocating.
    static func macValue(_ text: String) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in text.utf8 {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "-"), UInt8(ascii: ":"): continue
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
            digits += 1
        }
        return digits == 12 ? value : nil
    }

    /// `taken` gives the mappings other endpoints of the network hold on one host port.
    static func validatedPolicies(
        _ value: JSON?, taken: (UInt16) throws(HCNError) -> [HostPort], reader: DocumentReader
    ) throws(HCNError) -> [JSON] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let items) = value else { throw reader.fail(.invalidJSON) }
        var added: [HostPort] = []
        var policies: [JSON] = []
        for item in items {
            let policy = try StoredNetwork.validatedPolicy(item, known: policyTypes, reader: reader)
            let settings = JSONFields(object: policy["Settings"]?.objectValue ?? JSONObject(), path: "")
            switch policy["Type"]?.stringValue {
            case "PortMapping":
                let internalPort = try policyRead(reader) { () throws(JSONFieldError) in
                    try settings.integer("InternalPort", in: 0...65535)
                }
                guard let internalPort, internalPort > 0 else { throw reader.fail(.invalidInternalPort) }
                let external = try policyRead(reader) { () throws(JSONFieldError) in
                    try settings.integer("ExternalPort", in: 0...65535)
                }
                let protocolNumber = try policyRead(reader) { () throws(JSONFieldError) in
                    try settings.integer("Protocol", in: 0...255)
                }
                let vip = try policyRead(reader) { () throws(JSONFieldError) in try settings.string("VIP") } ?? ""
                if !vip.isEmpty && IPAddress(vip) == nil { throw reader.fail(.invalidPolicy) }
                if let external, external > 0 {
                    let port = HostPort(
                        protocolNumber: UInt32(protocolNumber ?? 0), port: UInt16(external), vip: vip)
                    let others = try taken(port.port)
                    if (others + added).contains(where: { $0.conflicts(with: port) }) {
                        throw reader.fail(.portAlreadyExists)
                    }
                    added.append(port)
                }
            case "ProviderAddress":
                let address = try policyRead(reader) { () throws(JSONFieldError) in
                    try settings.string("ProviderAddress")
                }
                guard let address, IPAddress(address) != nil else { throw reader.fail(.invalidPolicy) }
            case "SDNRoute":
                let destination = try policyRead(reader) { () throws(JSONFieldError) in
                    try settings.string("DestinationPrefix")
                }
                if let destination, IPPrefix(destination) == nil { throw reader.fail(.invalidPolicy) }
            case "OutBoundNAT":
                _ = try policyRead(reader) { () throws(JSONFieldError) in try settings.strings("Exceptions") }
                _ = try policyRead(reader) { () throws(JSONFieldError) in try settings.strings("Destinations") }
            default:
                break
            }
            policies.append(policy)
        }
        return policies
    }

    /// A policy setting of the wrong type is a bad policy, not bad JSON.
    private static func policyRead<T>(_ reader: DocumentReader, _ body: () throws(JSONFieldError) -> T)
        throws(HCNError) -> T
    {
        do {
            return try body()
        } catch {
            throw reader.fail(.invalidPolicy)
        }
    }

    // MARK: - v1

    /// A v1 `HNSEndpoint` document (`VirtualNetwork`, `IPAddress`), which HcnCreateEndpoint accepts too.
    static func isV1(_ settings: JSONObject) -> Bool {
        settings.value(goKey: "IpConfigurations") == nil && settings.value(goKey: "HostComputeNetwork") == nil
            && (settings.value(goKey: "VirtualNetwork") != nil || settings.value(goKey: "IPAddress") != nil
                || settings.value(goKey: "IsRemoteEndpoint") != nil)
    }

    private static func fromV1(_ settings: JSONObject) -> JSONObject {
        var request = JSONObject()
        if let name = settings.value(goKey: "Name") { request["Name"] = name }
        if let address = settings.value(goKey: "IPAddress")?.stringValue, !address.isEmpty {
            var configuration: JSONObject = ["IpAddress": .string(address)]
            if let length = settings.value(goKey: "PrefixLength") { configuration["PrefixLength"] = length }
            request["IpConfigurations"] = [.object(configuration)]
        }
        if let mac = settings.value(goKey: "MacAddress") { request["MacAddress"] = mac }
        if settings.value(goKey: "IsRemoteEndpoint")?.boolValue == true { request["Flags"] = 1 }
        if let gateway = settings.value(goKey: "GatewayAddress")?.stringValue, !gateway.isEmpty {
            request["Routes"] = [["NextHop": .string(gateway), "DestinationPrefix": "0.0.0.0/0"]]
        }
        var dns = JSONObject()
        if let servers = settings.value(goKey: "DNSServerList")?.stringValue, !servers.isEmpty {
            dns["ServerList"] = .array(servers.split(separator: ",").map { .string(String($0)) })
        }
        if let suffix = settings.value(goKey: "DNSSuffix")?.stringValue, !suffix.isEmpty {
            dns["Search"] = .array(suffix.split(separator: ",").map { .string(String($0)) })
        }
        if !dns.isEmpty { request["Dns"] = .object(dns) }
        let policies = (settings.value(goKey: "Policies")?.arrayValue ?? []).map(v2Policy)
        if !policies.isEmpty { request["Policies"] = .array(policies) }
        return request
    }

    /// The v2 form of a v1 endpoint policy (the conversions of containernetworking's pkg/hns).
    static func v2Policy(_ policy: JSON) -> JSON {
        guard case .object(let object) = policy, let type = object.value(goKey: "Type")?.stringValue else {
            return policy
        }
        var settings = JSONObject()
        switch type.uppercased() {
        case "OUTBOUNDNAT":
            if let list = object.value(goKey: "ExceptionList") { settings["Exceptions"] = list }
            if let destinations = object.value(goKey: "Destinations") { settings["Destinations"] = destinations }
            if let vip = object.value(goKey: "VIP") { settings["VirtualIP"] = vip }
            return ["Type": "OutBoundNAT", "Settings": .object(settings)]
        case "ROUTE":
            if let prefix = object.value(goKey: "DestinationPrefix") { settings["DestinationPrefix"] = prefix }
            if let hop = object.value(goKey: "NextHop") { settings["NextHop"] = hop }
            if let encap = object.value(goKey: "NeedEncap") { settings["NeedEncap"] = encap }
            return ["Type": "SDNRoute", "Settings": .object(settings)]
        case "PA":
            return ["Type": "ProviderAddress", "Settings": ["ProviderAddress": object.value(goKey: "PA") ?? ""]]
        case "NAT":
            let protocolName = object.value(goKey: "Protocol")?.stringValue?.lowercased()
            settings["InternalPort"] = object.value(goKey: "InternalPort") ?? 0
            settings["ExternalPort"] = object.value(goKey: "ExternalPort") ?? 0
            settings["Protocol"] = .integer(protocolName == "udp" ? 17 : 6)
            return ["Type": "PortMapping", "Settings": .object(settings)]
        default:
            for entry in object where entry.key.lowercased() != "type" { settings[entry.key] = entry.value }
            return ["Type": .string(type), "Settings": .object(settings)]
        }
    }

    /// The v1 `HNSEndpoint` view of a stored endpoint.
    static func v1View(_ document: JSONObject, networkName: String) -> JSONObject {
        var view = JSONObject()
        view["ID"] = document["Id"] ?? ""
        view["Name"] = document["Name"] ?? ""
        view["VirtualNetwork"] = document["HostComputeNetwork"] ?? ""
        view["VirtualNetworkName"] = .string(networkName)
        view["Policies"] = document["Policies"] ?? []
        view["MacAddress"] = document["MacAddress"] ?? ""
        for configuration in document["IpConfigurations"]?.arrayValue ?? [] {
            guard let address = configuration["IpAddress"]?.stringValue else { continue }
            if address.contains(":") {
                if view["IPv6Address"] == nil {
                    view["IPv6Address"] = .string(address)
                    view["IPv6PrefixLength"] = configuration["PrefixLength"] ?? 0
                }
            } else if view["IPAddress"] == nil {
                view["IPAddress"] = .string(address)
                view["PrefixLength"] = configuration["PrefixLength"] ?? 0
            }
        }
        for route in document["Routes"]?.arrayValue ?? [] {
            switch route["DestinationPrefix"]?.stringValue {
            case "0.0.0.0/0": view["GatewayAddress"] = route["NextHop"] ?? ""
            case "::/0": view["GatewayAddressV6"] = route["NextHop"] ?? ""
            default: break
            }
        }
        if let dns = document["Dns"] {
            if let servers = dns["ServerList"]?.arrayValue {
                view["DNSServerList"] = .string(servers.compactMap(\.stringValue).joined(separator: ","))
            }
            if let search = dns["Search"]?.arrayValue {
                view["DNSSuffix"] = .string(search.compactMap(\.stringValue).joined(separator: ","))
            }
        }
        let flags = document["Flags"]?.int64Value ?? 0
        view["IsRemoteEndpoint"] = .bool(flags & 1 != 0)
        if let namespace = document["HostComputeNamespace"] {
            view["Namespace"] = ["ID": namespace]
            view["State"] = 2
        } else {
            view["State"] = 1
        }
        return view
    }
}
