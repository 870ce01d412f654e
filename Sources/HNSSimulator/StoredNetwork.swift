import HCN
import JSON
import NetAddress

/// A subnet of a network as the endpoint rules need it.
struct NetworkSubnet {
    var prefix: IPPrefix
    /// Next hops of the subnet's routes that lie inside it: HNS reserves them (the gateway).
    var gateways: [IPAddress]
    /// `Flags` bit 1, DoNotReserveGatewayAddress.
    var reservesGateway: Bool
}

/// HCN networks: validation and normalisation of `HcnCreateNetwork` documents, the stored v2 document, its v1 view.
enum StoredNetwork {
    // NetworkMode names (research §3.1); NAT is mode 0, which HNS leaves out of its output.
    static let types = [
        "NAT", "Transparent", "L2Bridge", "L2Tunnel", "ICS", "Private", "Overlay", "Internal", "Mirrored", "Infiniband",
        "ConstrainedICS",
    ]
    static let policyTypes = [
        "SourceMacAddress", "NetAdapterName", "VSwitchExtension", "DrMacAddress", "AutomaticDNS",
        "InterfaceConstraint", "ProviderAddress", "RemoteSubnetRoute", "VxlanPort", "HostRoute", "SetPolicy",
        "L4Proxy", "LayerConstraint", "NetworkACL", "NeighborDiscovery",
    ]
    static let subnetPolicyTypes = ["VLAN", "VSID"]
    /// The HNS version that introduced a policy type, nil for the older ones.
    static func minimumVersion(of type: String) -> (major: Int, minor: Int)? {
        switch type {
        case "RemoteSubnetRoute", "HostRoute": return (9, 2)
        case "VxlanPort": return (10, 3)
        case "SetPolicy": return (13, 0)
        case "L4WFPPROXY": return (13, 2)
        case "TierAcl": return (14, 0)
        case "NetworkACL": return (15, 0)
        default: return nil
        }
    }
    /// VSID range HNS accepts for Overlay (research §4.3).
    static let vsidRange: ClosedRange<Int64> = 4096...16_777_214
    /// The simulated host's management address, which HNS reports as the ProviderAddress of L2Bridge and Overlay
    /// networks (flannel polls for it).
    static let managementIP = "10.0.0.4"
    // HNS gives a NAT network without subnets a default one.
    static let defaultNATSubnet = ("172.27.144.0/20", "172.27.144.1")

    static func record(id: GUID, document: JSONObject) -> NetworkRecord {
        NetworkRecord(
            id: id, name: document["Name"]?.stringValue ?? "", type: document["Type"]?.stringValue ?? "NAT")
    }

    // MARK: - Create

    static func create(id: GUID, settings: JSONObject, catalog: SimulatorCatalog, reader: DocumentReader)
        throws(HCNError) -> JSONObject
    {
        let request = isV1(settings) ? try fromV1(settings, reader: reader) : settings
        let fields = JSONFields(object: request, path: "")
        let name = try reader.read { () throws(JSONFieldError) in try fields.string("Name") } ?? ""
        let typeText = try reader.read { () throws(JSONFieldError) in try fields.string("Type") } ?? "NAT"
        guard let type = canonical(typeText, in: types) else { throw reader.fail(.invalidNetworkType) }
        if !name.isEmpty, !(try catalog.ids(.network, named: name)).isEmpty {
            throw reader.fail(.networkAlreadyExists)
        }

        var policies = try validatedPolicies(fields.value("Policies"), reader: reader)
        var ipams = try validatedIpams(fields.value("Ipams"), type: type, reader: reader)
        if type == "NAT" && ipams.isEmpty {
            let (prefix, gateway) = defaultNATSubnet
            ipams = [
                .object([
                    "Type": "Static",
                    "Subnets": [
                        .object([
                            "ID": .string(SimulatorRandom.guid().description), "IpAddressPrefix": .string(prefix),
                            "Routes": [["NextHop": .string(gateway), "DestinationPrefix": "0.0.0.0/0"]],
                        ])
                    ],
                ])
            ]
        }
        let macPool = try validatedMacPool(fields.value("MacPool"), reader: reader)
        let flags = try reader.read { () throws(JSONFieldError) in try fields.unsigned("Flags") } ?? 0
        guard flags <= UInt64(UInt32.max) else { throw reader.fail(.invalidNetwork) }

        // Read-back enrichment (research §8.2): the management address on L2Bridge/Overlay, the DR MAC on Overlay.
        if type == "L2Bridge" || type == "Overlay",
            !policies.contains(where: { $0[goKey: "Type"]?.stringValue == "ProviderAddress" })
        {
            policies.append(["Type": "ProviderAddress", "Settings": ["ProviderAddress": .string(managementIP)]])
        }
        if type == "Overlay", !policies.contains(where: { $0[goKey: "Type"]?.stringValue == "DrMacAddress" }) {
            let mac = MACAddress(bytes: [0x00, 0x15, 0x5D, SimulatorRandom.byte(), SimulatorRandom.byte(), 0xFF])
            policies.append(["Type": "DrMacAddress", "Settings": ["Address": .string(mac?.description ?? "")]])
        }

        var document = JSONObject()
        document["Id"] = .string(id.description)
        document["Name"] = .string(name)
        if type != "NAT" { document["Type"] = .string(type) }
        if !policies.isEmpty { document["Policies"] = .array(policies) }
        document["MacPool"] = macPool
        if let dns = fields.value("Dns"), case .object(let object) = dns, !object.isEmpty { document["Dns"] = dns }
        if !ipams.isEmpty { document["Ipams"] = .array(ipams) }
        document["Flags"] = .integer(Int64(flags))
        document["Health"] = [
            "Extra": [
                "LayeredOn": .string(SimulatorRandom.guid().description),
                "SwitchGuid": .string(SimulatorRandom.guid().description),
            ]
        ]
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        return document
    }

    static func validatedPolicy(_ policy: JSON, known: [String], reader: DocumentReader) throws(HCNError) -> JSON {
        guard case .object(let object) = policy, let typeText = object.value(goKey: "Type")?.stringValue else {
            throw reader.fail(.invalidPolicy)
        }
        guard let type = canonical(typeText, in: known) else { throw reader.fail(.invalidPolicyType) }
        // Policy types newer than the HNS version are unknown to it (version ranges of research §6).
        if let minimum = minimumVersion(of: type) {
            let version = reader.version()
            if (version.major, version.minor) < minimum { throw reader.fail(.invalidPolicyType) }
        }
        let settings = object.value(goKey: "Settings") ?? .object(JSONObject())
        guard case .object = settings else { throw reader.fail(.invalidPolicy) }
        return ["Type": .string(type), "Settings": settings]
    }

    static func validatedPolicies(_ value: JSON?, reader: DocumentReader) throws(HCNError) -> [JSON] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let items) = value else { throw reader.fail(.invalidJSON) }
        var policies: [JSON] = []
        for item in items {
            let policy = try validatedPolicy(item, known: policyTypes, reader: reader)
            let settings = JSONFields(object: policy["Settings"]?.objectValue ?? JSONObject(), path: "")
            switch policy["Type"]?.stringValue {
            case "RemoteSubnetRoute":
                let prefix = try reader.read { () throws(JSONFieldError) in try settings.string("DestinationPrefix") }
                let address = try reader.read { () throws(JSONFieldError) in try settings.string("ProviderAddress") }
                guard let prefix, IPPrefix(prefix) != nil, let address, IPAddress(address) != nil else {
                    throw reader.fail(.invalidPolicy)
                }
                // flannel sends Go's colon MACs; HNS takes both spellings.
                if let mac = try reader.read({ () throws(JSONFieldError) in
                    try settings.string("DistributedRouterMacAddress")
                }), !mac.isEmpty, MACAddress(mac) == nil {
                    throw reader.fail(.invalidPolicy)
                }
            case "ProviderAddress":
                let address = try reader.read { () throws(JSONFieldError) in try settings.string("ProviderAddress") }
                guard let address, IPAddress(address) != nil else { throw reader.fail(.invalidPolicy) }
            default:
                break
            }
            policies.append(policy)
        }
        return policies
    }

    private static func validatedIpams(_ value: JSON?, type: String, reader: DocumentReader) throws(HCNError) -> [JSON]
    {
        guard let value, !value.isNull else {
            if type == "Overlay" { throw reader.fail(.invalidParameter) }
            return []
        }
        guard case .array(let items) = value else { throw reader.fail(.invalidJSON) }
        var ipams: [JSON] = []
        var seen: [IPPrefix] = []
        for item in items {
            guard case .object(let ipam) = item else { throw reader.fail(.invalidJSON) }
            let ipamType = ipam.value(goKey: "Type")?.stringValue ?? ""
            // An Ipam without Type is a static one (windows-container-networking's test network sends none).
            guard let normalisedType = ipamType.isEmpty ? "Static" : canonical(ipamType, in: ["Static", "Dhcp"])
            else { throw reader.fail(.invalidNetwork) }
            var subnets: [JSON] = []
            for subnetValue in ipam.value(goKey: "Subnets")?.arrayValue ?? [] {
                let subnet = try validatedSubnet(subnetValue, type: type, reader: reader)
                if let prefix = subnet["IpAddressPrefix"]?.stringValue.flatMap(IPPrefix.init) {
                    if seen.contains(where: { $0.overlaps(prefix) }) { throw reader.fail(.invalidSubnet) }
                    seen.append(prefix)
                }
                subnets.append(subnet)
            }
            if type == "Overlay" && subnets.isEmpty { throw reader.fail(.invalidParameter) }
            ipams.append(["Type": .string(normalisedType), "Subnets": .array(subnets)])
        }
        if type == "Overlay" && ipams.isEmpty { throw reader.fail(.invalidParameter) }
        return ipams
    }

    private static func validatedSubnet(_ value: JSON, type: String, reader: DocumentReader) throws(HCNError) -> JSON {
        guard case .object(let object) = value else { throw reader.fail(.invalidJSON) }
        let fields = JSONFields(object: object, path: "")
        guard let prefixText = try reader.read({ () throws(JSONFieldError) in try fields.string("IpAddressPrefix") }),
            let prefix = IPPrefix(prefixText), prefix.masked == prefix
        else { throw reader.fail(.invalidSubnet) }

        var routes: [JSON] = []
        for routeValue in try reader.read({ () throws(JSONFieldError) in try fields.objects("Routes") }) ?? [] {
            let nextHop = try reader.read { () throws(JSONFieldError) in try routeValue.string("NextHop") }
            let destination = try reader.read { () throws(JSONFieldError) in
                try routeValue.string("DestinationPrefix")
            }
            guard let nextHop, let hop = IPAddress(nextHop), hop.isIPv4 == prefix.isIPv4 else {
                throw reader.fail(.invalidSubnet)
            }
            guard let destination, IPPrefix(destination) != nil else { throw reader.fail(.invalidSubnet) }
            let isDefault = destination == "0.0.0.0/0" || destination == "::/0"
            // The gateway of the default route must be reachable on the subnet.
            if isDefault && !prefix.contains(hop) { throw reader.fail(.invalidSubnet) }
            var route = JSONObject()
            route["NextHop"] = .string(hop.description)
            route["DestinationPrefix"] = .string(destination)
            if let metric = try reader.read({ () throws(JSONFieldError) in
                try routeValue.integer("Metric", in: 0...65535)
            }) {
                route["Metric"] = .integer(metric)
            }
            routes.append(.object(route))
        }

        var policies: [JSON] = []
        var vsid: Int64?
        for policyValue in fields.value("Policies")?.arrayValue ?? [] {
            let policy = try validatedPolicy(policyValue, known: subnetPolicyTypes, reader: reader)
            let isolation = policy["Settings"]?[goKey: "IsolationId"]?.int64Value
            guard let isolation else { throw reader.fail(.invalidPolicy) }
            if policy["Type"]?.stringValue == "VSID" {
                guard vsidRange.contains(isolation) else { throw reader.fail(.invalidParameter) }
                vsid = isolation
            }
            policies.append(["Type": policy["Type"] ?? "", "Settings": ["IsolationId": .integer(isolation)]])
        }
        // Overlay networks isolate by VSID; every client sends one and HNS refuses the network without it.
        if type == "Overlay" && vsid == nil { throw reader.fail(.invalidParameter) }

        let flags = try reader.read { () throws(JSONFieldError) in try fields.unsigned("Flags") } ?? 0
        var subnet = JSONObject()
        let givenID = try reader.read { () throws(JSONFieldError) in try fields.string("ID") }
        subnet["ID"] = .string((givenID.flatMap(GUID.init) ?? SimulatorRandom.guid()).description)
        subnet["IpAddressPrefix"] = .string(prefix.description)
        if !policies.isEmpty { subnet["Policies"] = .array(policies) }
        if !routes.isEmpty { subnet["Routes"] = .array(routes) }
        if flags != 0 { subnet["Flags"] = .integer(Int64(flags)) }
        return .object(subnet)
    }

    private static func validatedMacPool(_ value: JSON?, reader: DocumentReader) throws(HCNError) -> JSON {
        var ranges: [JSON] = []
        for rangeValue in value?[goKey: "Ranges"]?.arrayValue ?? [] {
            guard let start = rangeValue[goKey: "StartMacAddress"]?.stringValue.flatMap(MACAddress.init),
                let end = rangeValue[goKey: "EndMacAddress"]?.stringValue.flatMap(MACAddress.init),
                start.bytes.lexicographicallyPrecedes(end.bytes) || start == end
            else { throw reader.fail(.invalidNetwork) }
            ranges.append(["StartMacAddress": .string(start.description), "EndMacAddress": .string(end.description)])
        }
        if ranges.isEmpty {
            // HNS's default pool: 4096 addresses under the Hyper-V OUI 00-15-5D (research §8.2).
            let fourth = SimulatorRandom.byte()
            let fifth = SimulatorRandom.byte() & 0xF0
            let start = MACAddress(bytes: [0x00, 0x15, 0x5D, fourth, fifth, 0x00])
            let end = MACAddress(bytes: [0x00, 0x15, 0x5D, fourth, fifth | 0x0F, 0xFF])
            ranges.append([
                "StartMacAddress": .string(start?.description ?? ""), "EndMacAddress": .string(end?.description ?? ""),
            ])
        }
        return ["Ranges": .array(ranges)]
    }

    // MARK: - Reading a stored network

    static func subnets(_ document: JSONObject) -> [NetworkSubnet] {
        var result: [NetworkSubnet] = []
        for ipam in document["Ipams"]?.arrayValue ?? [] {
            for subnet in ipam["Subnets"]?.arrayValue ?? [] {
                guard let prefix = subnet["IpAddressPrefix"]?.stringValue.flatMap(IPPrefix.init) else { continue }
                let gateways = (subnet["Routes"]?.arrayValue ?? []).compactMap { route -> IPAddress? in
                    guard let hop = route["NextHop"]?.stringValue.flatMap(IPAddress.init), prefix.contains(hop) else {
                        return nil
                    }
                    return hop
                }
                let flags = subnet["Flags"]?.int64Value ?? 0
                result.append(NetworkSubnet(prefix: prefix, gateways: gateways, reservesGateway: flags & 1 == 0))
            }
        }
        return result
    }

    static func macRanges(_ document: JSONObject) -> [(MACAddress, MACAddress)] {
        (document["MacPool"]?["Ranges"]?.arrayValue ?? []).compactMap { range in
            guard let start = range["StartMacAddress"]?.stringValue.flatMap(MACAddress.init),
                let end = range["EndMacAddress"]?.stringValue.flatMap(MACAddress.init)
            else { return nil }
            return (start, end)
        }
    }

    static func policies(_ document: JSONObject) -> [JSON] { document["Policies"]?.arrayValue ?? [] }

    // MARK: - v1

    /// A v1 `HNSNetwork` document (`Subnets`, `MacPools`, `NetworkAdapterName`), which HcnCreateNetwork accepts too.
    static func isV1(_ settings: JSONObject) -> Bool {
        settings.value(goKey: "Ipams") == nil
            && (settings.value(goKey: "Subnets") != nil || settings.value(goKey: "MacPools") != nil
                || settings.value(goKey: "NetworkAdapterName") != nil)
    }

    private static func fromV1(_ settings: JSONObject, reader: DocumentReader) throws(HCNError) -> JSONObject {
        var request = JSONObject()
        if let name = settings.value(goKey: "Name") { request["Name"] = name }
        if let type = settings.value(goKey: "Type") { request["Type"] = type }
        if let flags = settings.value(goKey: "Flags") { request["Flags"] = flags }
        var policies: [JSON] = []
        if let adapter = settings.value(goKey: "NetworkAdapterName")?.stringValue {
            policies.append(["Type": "NetAdapterName", "Settings": ["NetworkAdapterName": .string(adapter)]])
        }
        if !policies.isEmpty { request["Policies"] = .array(policies) }
        if let pools = settings.value(goKey: "MacPools")?.arrayValue {
            request["MacPool"] = ["Ranges": .array(pools)]
        }
        var dns = JSONObject()
        if let servers = settings.value(goKey: "DNSServerList")?.stringValue, !servers.isEmpty {
            dns["ServerList"] = .array(servers.split(separator: ",").map { .string(String($0)) })
        }
        if let suffix = settings.value(goKey: "DNSSuffix")?.stringValue, !suffix.isEmpty {
            dns["Domain"] = .string(suffix)
        }
        if !dns.isEmpty { request["Dns"] = .object(dns) }
        var subnets: [JSON] = []
        for value in settings.value(goKey: "Subnets")?.arrayValue ?? [] {
            guard case .object(let subnet) = value else { throw reader.fail(.invalidJSON) }
            var converted = JSONObject()
            converted["IpAddressPrefix"] = subnet.value(goKey: "AddressPrefix") ?? .null
            if let gateway = subnet.value(goKey: "GatewayAddress")?.stringValue, !gateway.isEmpty {
                let isV6 = gateway.contains(":")
                converted["Routes"] = [
                    ["NextHop": .string(gateway), "DestinationPrefix": .string(isV6 ? "::/0" : "0.0.0.0/0")]
                ]
            }
            var subnetPolicies: [JSON] = []
            for policy in subnet.value(goKey: "Policies")?.arrayValue ?? [] {
                let type = policy[goKey: "Type"]?.stringValue ?? ""
                if let value = policy[goKey: type]?.int64Value {
                    subnetPolicies.append(["Type": .string(type), "Settings": ["IsolationId": .integer(value)]])
                } else {
                    subnetPolicies.append(policy)
                }
            }
            if !subnetPolicies.isEmpty { converted["Policies"] = .array(subnetPolicies) }
            subnets.append(.object(converted))
        }
        if !subnets.isEmpty { request["Ipams"] = [["Type": "Static", "Subnets": .array(subnets)]] }
        return request
    }

    /// The v1 `HNSNetwork` view of a stored network (query with SchemaVersion 1.x, filters, HNSCall).
    static func v1View(_ document: JSONObject) -> JSONObject {
        var view = JSONObject()
        view["ID"] = document["Id"] ?? ""
        view["Name"] = document["Name"] ?? ""
        view["Type"] = document["Type"] ?? "NAT"
        var subnets: [JSON] = []
        for ipam in document["Ipams"]?.arrayValue ?? [] {
            for subnet in ipam["Subnets"]?.arrayValue ?? [] {
                var converted = JSONObject()
                converted["ID"] = subnet["ID"] ?? ""
                converted["AddressPrefix"] = subnet["IpAddressPrefix"] ?? ""
                let gateway = (subnet["Routes"]?.arrayValue ?? []).first {
                    let destination = $0["DestinationPrefix"]?.stringValue
                    return destination == "0.0.0.0/0" || destination == "::/0"
                }?["NextHop"]
                if let gateway { converted["GatewayAddress"] = gateway }
                let policies: [JSON] = (subnet["Policies"]?.arrayValue ?? []).map { policy in
                    let type = policy["Type"]?.stringValue ?? ""
                    return ["Type": .string(type), type: policy["Settings"]?["IsolationId"] ?? 0]
                }
                if !policies.isEmpty { converted["Policies"] = .array(policies) }
                subnets.append(.object(converted))
            }
        }
        if !subnets.isEmpty { view["Subnets"] = .array(subnets) }
        if let ranges = document["MacPool"]?["Ranges"] { view["MacPools"] = ranges }
        for policy in policies(document) {
            switch policy["Type"]?.stringValue {
            case "ProviderAddress": view["ManagementIP"] = policy["Settings"]?["ProviderAddress"] ?? ""
            case "DrMacAddress": view["DrMacAddress"] = policy["Settings"]?["Address"] ?? ""
            case "NetAdapterName": view["NetworkAdapterName"] = policy["Settings"]?["NetworkAdapterName"] ?? ""
            default: break
            }
        }
        if let servers = document["Dns"]?["ServerList"]?.arrayValue {
            view["DNSServerList"] = .string(servers.compactMap(\.stringValue).joined(separator: ","))
        }
        view["Flags"] = document["Flags"] ?? 0
        view["State"] = 1
        return view
    }
}
