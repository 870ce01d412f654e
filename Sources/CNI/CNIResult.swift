import JSON
import NetAddress

/// The result of ADD, held in one internal shape (the 1.1.0 one) and printed in whichever version the
/// configuration asks for; results and `prevResult`s of every version are read back into it.
public struct CNIResult: Sendable, Equatable {
    /// An interface the plugin created or uses (`interfaces[]`).
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        public var sandbox: String?
        public var socketPath: String?
        public var pciID: String?

        public init(
            name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil, socketPath: String? = nil,
            pciID: String? = nil
        ) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    /// An address given to an interface (`ips[]`): the host address with its prefix length, e.g. `10.244.1.5/24`.
    public struct IPConfig: Sendable, Equatable {
        public var address: IPPrefix
        public var gateway: IPAddress?
        /// Index into `interfaces`; IPAM plugins leave it out.
        public var interface: Int?

        public init(address: IPPrefix, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    /// A route (`routes[]`); the fields after `gateway` came with 1.1.0.
    public struct Route: Sendable, Equatable {
        public var destination: IPPrefix
        public var gateway: IPAddress?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(
            destination: IPPrefix, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
            priority: Int? = nil, table: Int? = nil, scope: Int? = nil
        ) {
            self.destination = destination
            self.gateway = gateway
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    public var cniVersion: String
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(
        cniVersion: String = CNIVersion.current, interfaces: [Interface] = [], ips: [IPConfig] = [],
        routes: [Route] = [], dns: DNS = DNS()
    ) {
        self.cniVersion = cniVersion
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }
}

// MARK: - Printing

extension CNIResult {
    /// The result as the Go types of `version` marshal it, converted the way the Go library converts (research
    /// cni-spec-and-clients.md §A.9/§A.10): members in Go's field order, empty ones left out (`omitempty`), except
    /// `dns`, which Go always writes (`{}` when empty) because `omitempty` does not apply to a struct, and an
    /// `interface` index of 0, which is written because Go keeps it as a pointer.
    public func json(version: String) throws(CNIError) -> JSON {
        switch ResultFamily(version) {
        case .v020?: return try json020(version: version)
        case .v040?: return json040(version: version)
        case .v100?: return json100(version: version)
        case nil: throw NetworkConfig.unsupportedVersion(version, path: "the result version")
        }
    }

    /// `json(version:)` pretty-printed like Go's `json.MarshalIndent(result, "", "    ")` (no trailing newline).
    public func printed(version: String) throws(CNIError) -> [UInt8] {
        Array(try json(version: version).pretty().utf8)
    }

    private func json100(version: String) -> JSON {
        var object: JSONObject = ["cniVersion": .string(version)]
        if !interfaces.isEmpty {
            object["interfaces"] = .array(
                interfaces.map { interface in
                    var entry: JSONObject = ["name": .string(interface.name)]
                    entry["mac"] = nonEmpty(interface.mac)
                    entry["mtu"] = nonZero(interface.mtu)
                    entry["sandbox"] = nonEmpty(interface.sandbox)
                    entry["socketPath"] = nonEmpty(interface.socketPath)
                    entry["pciID"] = nonEmpty(interface.pciID)
                    return .object(entry)
                })
        }
        if !ips.isEmpty {
            object["ips"] = .array(
                ips.map { ip in
                    var entry = JSONObject()
                    if let index = ip.interface { entry["interface"] = .integer(Int64(index)) }
                    entry["address"] = .string(ip.address.description)
                    if let gateway = ip.gateway { entry["gateway"] = .string(gateway.description) }
                    return .object(entry)
                })
        }
        if !routes.isEmpty { object["routes"] = .array(routes.map(Self.routeJSON)) }
        object["dns"] = dns.json
        return .object(object)
    }

    private func json040(version: String) -> JSON {
        var object: JSONObject = ["cniVersion": .string(version)]
        if !interfaces.isEmpty {
            // 0.4.0 interfaces have no mtu, socketPath or pciID: Go's converter drops them.
            object["interfaces"] = .array(
                interfaces.map { interface in
                    var entry: JSONObject = ["name": .string(interface.name)]
                    entry["mac"] = nonEmpty(interface.mac)
                    entry["sandbox"] = nonEmpty(interface.sandbox)
                    return .object(entry)
                })
        }
        if !ips.isEmpty {
            object["ips"] = .array(
                ips.map { ip in
                    var entry: JSONObject = ["version": .string(ip.address.isIPv4 ? "4" : "6")]
                    if let index = ip.interface { entry["interface"] = .integer(Int64(index)) }
                    entry["address"] = .string(ip.address.description)
                    if let gateway = ip.gateway { entry["gateway"] = .string(gateway.description) }
                    return .object(entry)
                })
        }
        // 0.4.0 shares Go's route type with 1.x, so the newer route fields survive the conversion.
        if !routes.isEmpty { object["routes"] = .array(routes.map(Self.routeJSON)) }
        object["dns"] = dns.json
        return .object(object)
    }

    private func json020(version: String) throws(CNIError) -> JSON {
        let ip4 = ips.first { $0.address.isIPv4 }
        let ip6 = ips.first { !$0.address.isIPv4 }
        guard ip4 != nil || ip6 != nil else {
            throw CNIError(
                .incompatibleVersion, "cannot convert the result to CNI \(version): it has no IP address",
                details:
                    "a \(version) result holds only ip4/ip6; use cniVersion 0.3.0 or later in the network configuration"
            )
        }
        var object: JSONObject = ["cniVersion": .string(version)]
        // Only the first address of each family fits; each route goes with the family of its destination, and
        // only its dst and gw are kept (Go's 1.x → 0.2.0 converter).
        func family(_ ip: IPConfig?, v4: Bool) -> JSON? {
            guard let ip else { return nil }
            var entry: JSONObject = ["ip": .string(ip.address.description)]
            if let gateway = ip.gateway { entry["gateway"] = .string(gateway.description) }
            let familyRoutes = routes.filter { $0.destination.isIPv4 == v4 }
            if !familyRoutes.isEmpty {
                entry["routes"] = .array(
                    familyRoutes.map { Self.routeJSON(Route(destination: $0.destination, gateway: $0.gateway)) })
            }
            return .object(entry)
        }
        object["ip4"] = family(ip4, v4: true)
        object["ip6"] = family(ip6, v4: false)
        object["dns"] = dns.json
        return .object(object)
    }

    private static func routeJSON(_ route: Route) -> JSON {
        var entry: JSONObject = ["dst": .string(route.destination.description)]
        if let gateway = route.gateway { entry["gw"] = .string(gateway.description) }
        entry["mtu"] = nonZero(route.mtu)
        entry["advmss"] = nonZero(route.advmss)
        entry["priority"] = nonZero(route.priority)
        // Go keeps table and scope as pointers: 0 is written when set.
        if let table = route.table { entry["table"] = .integer(Int64(table)) }
        if let scope = route.scope { entry["scope"] = .integer(Int64(scope)) }
        return .object(entry)
    }
}

private func nonEmpty(_ text: String?) -> JSON? {
    guard let text, !text.isEmpty else { return nil }
    return .string(text)
}

private func nonZero(_ number: Int?) -> JSON? {
    guard let number, number != 0 else { return nil }
    return .integer(Int64(number))
}

/// The three result layouts of the spec's history.
enum ResultFamily {
    case v020, v040, v100

    init?(_ version: String) {
        switch version {
        case "0.1.0", "0.2.0": self = .v020
        case "0.3.0", "0.3.1", "0.4.0": self = .v040
        case "1.0.0", "1.1.0": self = .v100
        default: return nil
        }
    }
}

// MARK: - Parsing

extension CNIResult {
    /// Reads a result of any version into the internal model. The version is the result's own `cniVersion`; a
    /// result without one (allowed before 1.0.0) is read in `defaultVersion` (the configuration's, as libcni does)
    /// or, without that, by its shape (`ip4`/`ip6` means 0.2.0). `path` prefixes every error (`prevResult.ips[0]`).
    /// Wrong types and malformed addresses are code 6; an unknown version is code 1.
    public static func decode(_ json: JSON, path: String, defaultVersion: String? = nil) throws(CNIError) -> CNIResult {
        do {
            let fields = try JSONFields(json, path: path)
            let declared = try fields.string("cniVersion").flatMap { $0.isEmpty ? nil : $0 }
            let version: String
            if let declared {
                version = declared
            } else if let defaultVersion, ResultFamily(defaultVersion) != nil {
                version = defaultVersion
            } else {
                version = fields.value("ip4") != nil || fields.value("ip6") != nil ? "0.2.0" : CNIVersion.current
            }
            guard let family = ResultFamily(version) else {
                throw NetworkConfig.unsupportedVersion(version, path: fields.path(of: "cniVersion"))
            }
            var result = CNIResult(cniVersion: version)
            result.dns =
                try fields.fields("dns").map { fields throws(JSONFieldError) in try DNS.decode(fields) } ?? DNS()
            switch family {
            case .v020:
                for (key, v4) in [("ip4", true), ("ip6", false)] {
                    guard let entry = try fields.fields(key) else { continue }
                    let address = try prefix(entry, "ip")
                    if address.isIPv4 != v4 {
                        throw JSONFieldError(
                            path: entry.path(of: "ip"), message: "\(address) is not an IPv\(v4 ? 4 : 6) address")
                    }
                    result.ips.append(IPConfig(address: address, gateway: try ip(entry, "gateway")))
                    for route in try entry.objects("routes") ?? [] { result.routes.append(try decodeRoute(route)) }
                }
            case .v040, .v100:
                for entry in try fields.objects("interfaces") ?? [] {
                    result.interfaces.append(
                        Interface(
                            name: try entry.string("name") ?? "", mac: try entry.string("mac"),
                            mtu: try int(entry, "mtu"), sandbox: try entry.string("sandbox"),
                            socketPath: try entry.string("socketPath"), pciID: try entry.string("pciID")))
                }
                // The 0.3.x/0.4.0 `version` member is implied by the address and not read.
                for entry in try fields.objects("ips") ?? [] {
                    result.ips.append(
                        IPConfig(
                            address: try prefix(entry, "address"), gateway: try ip(entry, "gateway"),
                            interface: try int(entry, "interface")))
                }
                for route in try fields.objects("routes") ?? [] { result.routes.append(try decodeRoute(route)) }
            }
            return result
        } catch let error as JSONFieldError {
            throw CNIError(
                .decodingFailure, "invalid CNI result: \(error)",
                details: "the result must follow the CNI result format of its cniVersion")
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.decodingFailure, "invalid CNI result: \(error)")
        }
    }

    private static func decodeRoute(_ fields: JSONFields) throws(JSONFieldError) -> Route {
        Route(
            destination: try prefix(fields, "dst"), gateway: try ip(fields, "gw"), mtu: try int(fields, "mtu"),
            advmss: try int(fields, "advmss"), priority: try int(fields, "priority"), table: try int(fields, "table"),
            scope: try int(fields, "scope"))
    }

    /// A required CIDR member (`ips[].address`, `ip4.ip`, `routes[].dst`).
    private static func prefix(_ fields: JSONFields, _ key: String) throws(JSONFieldError) -> IPPrefix {
        guard let text = try fields.string(key), !text.isEmpty else {
            throw JSONFieldError(
                path: fields.path(of: key),
                message: "missing; expected an address in CIDR form such as \"10.244.1.5/24\"")
        }
        guard let prefix = IPPrefix(text) else {
            throw JSONFieldError(
                path: fields.path(of: key),
                message: "\(quoted(text)) is not an address in CIDR form such as \"10.244.1.5/24\"")
        }
        return prefix
    }

    private static func ip(_ fields: JSONFields, _ key: String) throws(JSONFieldError) -> IPAddress? {
        // Go decodes "" into a nil net.IP: an empty gateway is no gateway.
        guard let text = try fields.string(key), !text.isEmpty else { return nil }
        guard let address = IPAddress(text) else {
            throw JSONFieldError(path: fields.path(of: key), message: "\(quoted(text)) is not an IP address")
        }
        return address
    }

    private static func int(_ fields: JSONFields, _ key: String) throws(JSONFieldError) -> Int? {
        try fields.integer(key, in: Int64(Int32.min)...Int64(Int32.max)).map { Int($0) }
    }
}
