import HostLocal
import JSON
import NetAddress
import Testing

struct BadConfig: Sendable, CustomTestStringConvertible {
    let name: String
    let ipam: String
    let path: String
    let message: String
    var testDescription: String { name }
}

@Suite("host-local config")
struct HostLocalConfigTests {
    @Test("a legacy subnet gets host-local's defaults: start .1, end .254, gateway .1")
    func legacyDefaults() throws {
        let decoded = try config(#"{"type":"host-local","subnet":"10.244.1.0/24"}"#)
        #expect(decoded.rangeSets.count == 1)
        let range = try #require(decoded.rangeSets.first?.first)
        #expect(range.subnet == IPPrefix("10.244.1.0/24"))
        #expect(range.rangeStart == IPAddress("10.244.1.1"))
        #expect(range.rangeEnd == IPAddress("10.244.1.254"))
        #expect(range.gateway == IPAddress("10.244.1.1"))
        #expect(decoded.dataDir == "/var/lib/cni/networks")
        #expect(decoded.routes.isEmpty)
    }

    @Test("IPv6 ranges end at the last address of the subnet")
    func ipv6Defaults() throws {
        let decoded = try config(#"{"ranges":[[{"subnet":"fd00:10::/120"}]]}"#)
        let range = try #require(decoded.rangeSets.first?.first)
        #expect(range.rangeStart == IPAddress("fd00:10::1"))
        #expect(range.rangeEnd == IPAddress("fd00:10::ff"))
        #expect(range.gateway == IPAddress("fd00:10::1"))
    }

    @Test("explicit values, routes, dataDir and resolvConf are kept; keys match case-insensitively")
    func explicitValues() throws {
        let decoded = try config(
            #"""
            {"Ranges":[[{"Subnet":"10.0.0.0/16","RangeStart":"10.0.5.10","rangeEnd":"10.0.5.20","GATEWAY":"10.0.0.254"}],
                       [{"subnet":"fd00::/64"}]],
             "routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.0.0.254"}],
             "DataDir":"/run/ipam","resolvConf":"/etc/resolv.conf"}
            """#)
        #expect(decoded.rangeSets.count == 2)
        let range = try #require(decoded.rangeSets.first?.first)
        #expect(range.rangeStart == IPAddress("10.0.5.10"))
        #expect(range.rangeEnd == IPAddress("10.0.5.20"))
        #expect(range.gateway == IPAddress("10.0.0.254"))
        #expect(decoded.routes.count == 2)
        #expect(decoded.routes[1].destination == IPPrefix("192.168.0.0/16"))
        #expect(decoded.routes[1].gateway == IPAddress("10.0.0.254"))
        #expect(decoded.routes[0].gateway == nil)
        #expect(decoded.dataDir == "/run/ipam")
        #expect(decoded.resolvConf == "/etc/resolv.conf")
    }

    @Test("the legacy subnet comes first, before the ranges; empty strings count as absent")
    func legacyFirst() throws {
        let decoded = try config(
            #"{"subnet":"10.1.0.0/24","gateway":"","dataDir":"","ranges":[[{"subnet":"fd00::/64","rangeStart":""}]]}"#)
        #expect(decoded.rangeSets.map { $0[0].subnet } == [IPPrefix("10.1.0.0/24"), IPPrefix("fd00::/64")])
        #expect(decoded.rangeSets[0][0].gateway == IPAddress("10.1.0.1"))
        #expect(decoded.rangeSets[1][0].rangeStart == IPAddress("fd00::1"))
        #expect(decoded.dataDir == "/var/lib/cni/networks")
    }

    @Test("top-level range keys without a subnet are ignored, as host-local ignores them")
    func legacyWithoutSubnet() throws {
        let decoded = try config(#"{"rangeStart":"10.9.9.9","ranges":[[{"subnet":"10.0.0.0/24"}]]}"#)
        #expect(decoded.rangeSets.count == 1)
        #expect(decoded.rangeSets[0][0].rangeStart == IPAddress("10.0.0.1"))
    }

    @Test("a /30 is the smallest IPv4 subnet; disjoint ranges of one subnet may share a set")
    func smallAndSplit() throws {
        let small = try config(#"{"subnet":"10.0.0.0/30"}"#)
        #expect(small.rangeSets[0][0].rangeStart == IPAddress("10.0.0.1"))
        #expect(small.rangeSets[0][0].rangeEnd == IPAddress("10.0.0.2"))
        let split = try config(
            #"""
            {"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.10","rangeEnd":"10.0.0.19"},
                        {"subnet":"10.0.0.0/24","rangeStart":"10.0.0.20","rangeEnd":"10.0.0.29"}]]}
            """#)
        #expect(split.rangeSets[0].count == 2)
    }

    static let badConfigs: [BadConfig] = [
        BadConfig(name: "no ranges", ipam: #"{"type":"host-local"}"#, path: "ipam", message: "no IP ranges specified"),
        BadConfig(
            name: "subnet is not a CIDR", ipam: #"{"subnet":"10.0.0.0/33"}"#, path: "ipam.subnet",
            message: #""10.0.0.0/33" is not a CIDR"#),
        BadConfig(
            name: "subnet has the wrong type", ipam: #"{"subnet":5}"#, path: "ipam.subnet",
            message: "expected a string, found a number"),
        BadConfig(
            name: "key spelled differently keeps its spelling in the path", ipam: #"{"Subnet":"nope"}"#,
            path: "ipam.Subnet", message: #""nope" is not a CIDR"#),
        BadConfig(
            name: "range subnet is not a CIDR", ipam: #"{"ranges":[[{"subnet":"10.0.0.0"}]]}"#,
            path: "ipam.ranges[0][0].subnet", message: #""10.0.0.0" is not a CIDR"#),
        BadConfig(
            name: "range without subnet", ipam: #"{"ranges":[[{"rangeStart":"10.0.0.1"}]]}"#,
            path: "ipam.ranges[0][0].subnet", message: "missing subnet"),
        BadConfig(
            name: "host bits set", ipam: #"{"ranges":[[{"subnet":"10.0.0.5/24"}]]}"#,
            path: "ipam.ranges[0][0].subnet", message: "the network address is 10.0.0.0/24"),
        BadConfig(
            name: "IPv4 /32", ipam: #"{"subnet":"10.0.0.1/32"}"#, path: "ipam.subnet",
            message: #""10.0.0.1/32" is too small to allocate from"#),
        BadConfig(
            name: "IPv4 /31", ipam: #"{"ranges":[[{"subnet":"10.0.0.0/31"}]]}"#, path: "ipam.ranges[0][0].subnet",
            message: "too small to allocate from"),
        BadConfig(
            name: "IPv6 /128", ipam: #"{"ranges":[[{"subnet":"fd00::1/128"}]]}"#, path: "ipam.ranges[0][0].subnet",
            message: "too small to allocate from"),
        BadConfig(
            name: "IPv6 /127", ipam: #"{"ranges":[[{"subnet":"fd00::/127"}]]}"#, path: "ipam.ranges[0][0].subnet",
            message: "too small to allocate from"),
        BadConfig(
            name: "IPv4-mapped subnet", ipam: #"{"subnet":"::ffff:10.0.0.0/120"}"#, path: "ipam.subnet",
            message: "IPv6 mask"),
        BadConfig(
            name: "rangeStart is not an address",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.300"}]]}"#,
            path: "ipam.ranges[0][0].rangeStart", message: #""10.0.0.300" is not an IP address"#),
        BadConfig(
            name: "rangeStart outside the subnet",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.1.5"}]]}"#,
            path: "ipam.ranges[0][0].rangeStart", message: #""10.0.1.5" is not in subnet 10.0.0.0/24"#),
        BadConfig(
            name: "rangeEnd outside the subnet", ipam: #"{"subnet":"10.0.0.0/24","rangeEnd":"10.0.1.5"}"#,
            path: "ipam.rangeEnd", message: #""10.0.1.5" is not in subnet 10.0.0.0/24"#),
        BadConfig(
            name: "rangeEnd before rangeStart",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.50","rangeEnd":"10.0.0.40"}]]}"#,
            path: "ipam.ranges[0][0].rangeEnd", message: #""10.0.0.40" is before rangeStart 10.0.0.50"#),
        BadConfig(
            name: "gateway outside the subnet",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24","gateway":"10.0.9.1"}]]}"#,
            path: "ipam.ranges[0][0].gateway", message: #""10.0.9.1" is not in subnet 10.0.0.0/24"#),
        BadConfig(
            name: "gateway of the other family", ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24","gateway":"fd00::1"}]]}"#,
            path: "ipam.ranges[0][0].gateway", message: "not the same IP family"),
        BadConfig(
            name: "empty range set", ipam: #"{"ranges":[[]]}"#, path: "ipam.ranges[0]", message: "empty range set"),
        BadConfig(
            name: "range set is not an array", ipam: #"{"ranges":[{"subnet":"10.0.0.0/24"}]}"#, path: "ipam.ranges[0]",
            message: "expected an array of ranges"),
        BadConfig(
            name: "ranges is not an array", ipam: #"{"ranges":"10.0.0.0/24"}"#, path: "ipam.ranges",
            message: "expected an array"),
        BadConfig(
            name: "overlap within a set",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"10.0.0.0/16","rangeStart":"10.0.0.100"}]]}"#,
            path: "ipam.ranges[0][1]", message: "overlaps range 10.0.0.1-10.0.0.254"),
        BadConfig(
            name: "overlap between sets",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}],[{"subnet":"10.0.0.128/25"}]]}"#,
            path: "ipam.ranges[2]", message: "range set 2 overlaps range set 0"),
        BadConfig(
            name: "legacy subnet overlaps a range set",
            ipam: #"{"subnet":"10.0.0.0/24","ranges":[[{"subnet":"10.0.0.0/24"}]]}"#,
            path: "ipam.ranges[0]", message: "range set 1 overlaps range set 0"),
        BadConfig(
            name: "mixed families in one set",
            ipam: #"{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]]}"#,
            path: "ipam.ranges[0][1].subnet", message: "mixes address families"),
        BadConfig(
            name: "route destination is not a CIDR", ipam: #"{"subnet":"10.0.0.0/24","routes":[{"dst":"default"}]}"#,
            path: "ipam.routes[0].dst", message: #""default" is not a CIDR"#),
        BadConfig(
            name: "route gateway is not an address",
            ipam: #"{"subnet":"10.0.0.0/24","routes":[{"dst":"0.0.0.0/0","gw":"x"}]}"#,
            path: "ipam.routes[0].gw", message: #""x" is not an IP address"#),
        BadConfig(
            name: "dataDir has the wrong type", ipam: #"{"subnet":"10.0.0.0/24","dataDir":true}"#,
            path: "ipam.dataDir", message: "expected a string"),
    ]

    @Test("invalid configs are refused with the JSON path and the value", arguments: badConfigs)
    func refused(_ bad: BadConfig) throws {
        let error = try #require(throws: HostLocalError.self) { try config(bad.ipam) }
        #expect(error.kind == .invalidConfig)
        #expect(error.path == bad.path)
        #expect(error.message.contains(bad.message), "\(error)")
        #expect(error.description.hasPrefix(bad.path + ": "))
    }
}
