import JSON
import NetAddress

/// The `ipam` section of a host-local network config, decoded and validated the way containernetworking's
/// host-local (`allocator/config.go`, `range.go`, `range_set.go`) does: `ranges` is a list of range sets, each set
/// yields one address per container; the legacy top-level `subnet`/`rangeStart`/`rangeEnd`/`gateway` form one more
/// range set placed first. After `decode` every `Range` has its defaults filled in (like host-local's
/// `Canonicalize`), so `rangeStart`, `rangeEnd` and `gateway` are never nil.
public struct HostLocalConfig: Sendable {
    /// One contiguous run of allocatable addresses inside `subnet`, with the gateway reported for it.
    public struct Range: Sendable, Equatable, CustomStringConvertible {
        public var subnet: IPPrefix
        public var rangeStart: IPAddress?
        public var rangeEnd: IPAddress?
        public var gateway: IPAddress?

        public init(
            subnet: IPPrefix, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil, gateway: IPAddress? = nil
        ) {
            self.subnet = subnet
            self.rangeStart = rangeStart
            self.rangeEnd = rangeEnd
            self.gateway = gateway
        }

        /// `rangeStart`, or host-local's default: the address after the network address (`.1`, which is also the
        /// default gateway; the allocator skips the gateway, so the first address handed out is `.2`).
        public var firstAddress: IPAddress { rangeStart ?? subnet.network.adding(1) ?? subnet.network }

        /// `rangeEnd`, or host-local's default: the last address of the subnet, minus one for IPv4 (the broadcast).
        public var lastAddress: IPAddress {
            if let rangeEnd { return rangeEnd }
            let last = subnet.masked.lastAddress
            return subnet.isIPv4 ? (last.adding(-1) ?? last) : last
        }

        /// `gateway`, or host-local's default: the address after the network address.
        public var effectiveGateway: IPAddress { gateway ?? subnet.network.adding(1) ?? subnet.network }

        /// Whether `address` is one this range may hand out: in the subnet and between the first and last address.
        public func contains(_ address: IPAddress) -> Bool {
            subnet.contains(address) && firstAddress <= address && address <= lastAddress
        }

        func overlaps(_ other: Range) -> Bool {
            subnet.isIPv4 == other.subnet.isIPv4 && firstAddress <= other.lastAddress
                && other.firstAddress <= lastAddress
        }

        /// `first-last`, host-local's spelling of a range in its messages.
        public var description: String { "\(goText(firstAddress))-\(goText(lastAddress))" }

        /// The range with its defaults made explicit.
        public var resolved: Range {
            Range(subnet: subnet, rangeStart: firstAddress, rangeEnd: lastAddress, gateway: effectiveGateway)
        }

        /// Whether every default is already explicit (`resolved` would return the range as it is).
        var isResolved: Bool { rangeStart != nil && rangeEnd != nil && gateway != nil }
    }

    /// A static route host-local puts in its result.
    public typealias Route = (destination: IPPrefix, gateway: IPAddress?)

    public var rangeSets: [[Range]]
    public var routes: [Route]
    public var dataDir: String
    /// Accepted for compatibility; host-local reads DNS settings from this file, wincni does not.
    public var resolvConf: String?
    /// The JSON path each range set came from, for messages (`ipam.ranges[1]`, or `ipam` for the legacy set).
    var rangeSetPaths: [String]
    /// The JSON path of the `ipam` object itself.
    var ipamPath = "ipam"

    /// host-local's default data directory.
    public static let defaultDataDir = "/var/lib/cni/networks"

    public init(
        rangeSets: [[Range]], routes: [Route] = [], dataDir: String = HostLocalConfig.defaultDataDir,
        resolvConf: String? = nil
    ) {
        self.rangeSets = rangeSets
        self.routes = routes
        self.dataDir = dataDir
        self.resolvConf = resolvConf
        self.rangeSetPaths = rangeSets.indices.map { "ipam.ranges[\($0)]" }
    }

    /// The subnet of every range, range set by range set.
    public var subnets: [IPPrefix] {
        var result: [IPPrefix] = []
        for set in rangeSets {
            for range in set { result.append(range.subnet) }
        }
        return result
    }

    /// The JSON path of range set `index`, as used in error messages.
    public func path(ofRangeSet index: Int) -> String {
        index < rangeSetPaths.count ? rangeSetPaths[index] : "ipam.ranges[\(index)]"
    }

    /// Decodes and validates the `ipam` object; `path` is its JSON path (`ipam`). Keys match case-insensitively as
    /// Go's `encoding/json` does; `null` and `""` addresses count as absent (Go's `net.IP` text decoding).
    public static func decode(_ ipam: JSONObject, path: String) throws(HostLocalError) -> HostLocalConfig {
        do {
            return try decodeFields(JSONFields(object: ipam, path: path))
        } catch let error as HostLocalError {
            throw error
        } catch let error as JSONFieldError {
            throw .config(error.path, error.message)
        } catch {
            throw .config(path, "\(error)")
        }
    }

    private static func decodeFields(_ fields: JSONFields) throws(any Error) -> HostLocalConfig {
        var sets: [[Range]] = []
        var paths: [String] = []

        // host-local embeds a Range in its IPAM struct: a top-level subnet becomes range set 0; without a subnet the
        // other top-level range keys are ignored, as they are there.
        if let subnetText = try fields.string("subnet") {
            let range = try decodeRange(fields, subnetText: subnetText)
            sets.append([range])
            paths.append(fields.path)
        }
        if let rangeSets = try fields.array("ranges") {
            let rangesPath = fields.path(of: "ranges")
            for (setIndex, element) in rangeSets.enumerated() {
                let setPath = "\(rangesPath)[\(setIndex)]"
                guard case .array(let members) = element else {
                    throw JSONFieldError.mismatch(setPath, expected: "an array of ranges", found: element)
                }
                var set: [Range] = []
                for (rangeIndex, member) in members.enumerated() {
                    let rangeFields = try JSONFields(member, path: "\(setPath)[\(rangeIndex)]")
                    guard let subnetText = try rangeFields.string("subnet") else {
                        throw HostLocalError.config(rangeFields.path(of: "subnet"), "missing subnet")
                    }
                    set.append(try decodeRange(rangeFields, subnetText: subnetText))
                }
                sets.append(set)
                paths.append(setPath)
            }
        }

        var routes: [Route] = []
        for route in try fields.objects("routes") ?? [] {
            guard let destinationText = try route.string("dst") else {
                throw HostLocalError.config(route.path(of: "dst"), "missing route destination")
            }
            guard let destination = IPPrefix(destinationText) else {
                throw HostLocalError.config(route.path(of: "dst"), "\(quoted(destinationText)) is not a CIDR")
            }
            routes.append((destination, try address(route, "gw")))
        }

        var dataDir = try fields.string("dataDir") ?? ""
        if dataDir.isEmpty { dataDir = defaultDataDir }

        var config = HostLocalConfig(
            rangeSets: sets, routes: routes, dataDir: dataDir, resolvConf: try fields.string("resolvConf"))
        config.rangeSetPaths = paths
        config.ipamPath = fields.path
        try config.validate()
        config.resolveRanges()
        return config
    }

    /// Makes every range's defaults explicit, in place: a config that is already resolved (every decoded one) is
    /// left as it is, with no array rebuilt (`map` over the nested arrays made new ones and set up their generic
    /// types in every exec).
    mutating func resolveRanges() {
        for setIndex in rangeSets.indices {
            for rangeIndex in rangeSets[setIndex].indices where !rangeSets[setIndex][rangeIndex].isResolved {
                rangeSets[setIndex][rangeIndex] = rangeSets[setIndex][rangeIndex].resolved
            }
        }
    }

    private static func decodeRange(_ fields: JSONFields, subnetText: String) throws(any Error) -> Range {
        let subnetPath = fields.path(of: "subnet")
        guard let parsed = IPPrefix(subnetText) else {
            throw HostLocalError.config(subnetPath, "\(quoted(subnetText)) is not a CIDR")
        }
        // Go's canonicalizeIP turns an IPv4-mapped address into IPv4 but keeps the 128-bit mask, which host-local
        // then rejects as a version mismatch.
        if !parsed.isIPv4, goCanonical(parsed.address).isIPv4 {
            throw HostLocalError.config(subnetPath, "\(quoted(subnetText)) mixes an IPv4 address with an IPv6 mask")
        }
        return Range(
            subnet: parsed, rangeStart: try address(fields, "rangeStart"), rangeEnd: try address(fields, "rangeEnd"),
            gateway: try address(fields, "gateway"))
    }

    private static func address(_ fields: JSONFields, _ key: String) throws(any Error) -> IPAddress? {
        guard let text = try fields.string(key), !text.isEmpty else { return nil }
        guard let address = IPAddress(text) else {
            throw HostLocalError.config(fields.path(of: key), "\(quoted(text)) is not an IP address")
        }
        return goCanonical(address)
    }

    /// Checks what host-local's `Canonicalize` and `LoadIPAMConfig` check, on the ranges as given (defaults
    /// applied where a value is nil).
    public func validate() throws(HostLocalError) {
        let path = ipamPath
        guard !rangeSets.isEmpty else {
            throw .config(path, "no IP ranges specified: set \"ranges\" or \"subnet\"")
        }
        for (setIndex, set) in rangeSets.enumerated() {
            let setPath = self.path(ofRangeSet: setIndex)
            guard !set.isEmpty else { throw .config(setPath, "empty range set") }
            // The legacy top-level range reports its keys directly under `ipam`.
            let isLegacy = setPath == path && setIndex < rangeSetPaths.count
            for (rangeIndex, range) in set.enumerated() {
                let rangePath = isLegacy ? setPath : "\(setPath)[\(rangeIndex)]"
                try Self.validate(range, path: rangePath)
                if rangeIndex > 0, range.subnet.isIPv4 != set[0].subnet.isIPv4 {
                    throw .config(
                        "\(rangePath).subnet",
                        "\(range.subnet) mixes address families with \(set[0].subnet) in one range set")
                }
                for earlier in set[..<rangeIndex] where earlier.overlaps(range) {
                    throw .config(
                        rangePath, "range \(range) (\(range.subnet)) overlaps range \(earlier) (\(earlier.subnet))")
                }
            }
            for (earlierIndex, earlierSet) in rangeSets[..<setIndex].enumerated() {
                for range in set {
                    for earlier in earlierSet where earlier.overlaps(range) {
                        throw .config(
                            setPath,
                            "range set \(setIndex) overlaps range set \(earlierIndex): \(range) and \(earlier)")
                    }
                }
            }
        }
        for (index, route) in routes.enumerated() {
            if let gateway = route.gateway, gateway.isIPv4 != route.destination.isIPv4 {
                throw .config(
                    "\(path).routes[\(index)].gw", "\(goText(gateway)) is not in the family of \(route.destination)")
            }
        }
    }

    private static func validate(_ range: Range, path: String) throws(HostLocalError) {
        let subnet = range.subnet
        // host-local refuses networks without two usable addresses: /31 and /32, /127 and /128.
        guard subnet.length <= subnet.address.bitWidth - 2 else {
            throw .config("\(path).subnet", "\(quoted(subnet.description)) is too small to allocate from")
        }
        guard subnet.address == subnet.network else {
            throw .config(
                "\(path).subnet",
                "\(quoted(subnet.description)) has host bits set: the network address is \(subnet.masked)")
        }
        // A loop over names rather than a list of (name, value) pairs: one generic type fewer to set up per run.
        for key in ["rangeStart", "rangeEnd", "gateway"] {
            let optional = key == "rangeStart" ? range.rangeStart : key == "rangeEnd" ? range.rangeEnd : range.gateway
            guard let value = optional else { continue }
            guard value.isIPv4 == subnet.isIPv4 else {
                throw .config(
                    "\(path).\(key)", "\(quoted(goText(value))) is not the same IP family as subnet \(subnet)")
            }
            // host-local itself does not check the gateway; wincni does, since a gateway outside the subnet
            // cannot be reached on an L2 bridge.
            guard subnet.contains(value) else {
                throw .config("\(path).\(key)", "\(quoted(goText(value))) is not in subnet \(subnet)")
            }
        }
        if range.firstAddress > range.lastAddress {
            throw .config(
                "\(path).rangeEnd",
                "\(quoted(goText(range.lastAddress))) is before rangeStart \(goText(range.firstAddress))")
        }
    }
}

extension HostLocalConfig.Range {
    /// The range set containing `address` within one of its ranges (host-local's `RangeFor`).
    static func index(of address: IPAddress, in set: [HostLocalConfig.Range]) -> Int? {
        set.firstIndex { $0.contains(address) }
    }
}

func quoted(_ text: String) -> String { "\"\(text)\"" }

/// Go's `net.IP` keeps IPv4-mapped IPv6 addresses as IPv4 (`canonicalizeIP`, `To4`).
func goCanonical(_ address: IPAddress) -> IPAddress {
    if case .v6(let high, let low) = address, high == 0, low >> 32 == 0xFFFF {
        return .v4(UInt32(truncatingIfNeeded: low))
    }
    return address
}

/// An address as Go's `net.IP.String()` prints it: what host-local uses as the reservation file name. It matches
/// `IPAddress.description` except for IPv4-mapped IPv6 addresses, which Go prints as a dotted quad.
func goText(_ address: IPAddress) -> String { goCanonical(address).description }
