import NetAddress
import Testing

@Suite("IP addresses")
struct IPAddressTests {
    @Test(
        "valid addresses print canonically",
        arguments: [
            ("10.244.1.5", "10.244.1.5"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("::", "::"),
            ("::1", "::1"),
            ("FD00:0:0:0:0:0:0:1", "fd00::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
            ("fe80::", "fe80::"),
            ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
            ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),
            ("1::", "1::"),
        ])
    func canonical(_ input: String, _ expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == expected)
        #expect(IPAddress(expected) == address)
    }

    @Test(
        "malformed addresses are refused",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1..2.3", ":::", "1:::2",
            "1::2::3", "12345::", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "fe80::1%eth0", "::1.2.3", "1:",
            "10.0.0.0/8",
        ])
    func malformed(_ input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test("arithmetic stays within the family")
    func arithmetic() throws {
        let base = try #require(IPAddress("10.0.0.255"))
        #expect(base.adding(1)?.description == "10.0.1.0")
        #expect(base.adding(-255)?.description == "10.0.0.0")
        #expect(IPAddress("255.255.255.255")?.adding(1) == nil)
        #expect(IPAddress("::ffff:ffff:ffff:ffff")?.adding(1)?.description == "0:0:0:1::")
        #expect(IPAddress("0:0:0:1::")?.adding(-1)?.description == "::ffff:ffff:ffff:ffff")
        #expect(IPAddress("::")?.adding(-1) == nil)
    }

    @Test("ordering puts IPv4 first, then numeric")
    func ordering() throws {
        let sorted = ["fd00::1", "10.0.0.2", "10.0.0.10", "::1"].compactMap(IPAddress.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.2", "10.0.0.10", "::1", "fd00::1"])
    }
}

@Suite("CIDR prefixes")
struct IPPrefixTests {
    @Test("host bits are kept and can be masked")
    func hostBits() throws {
        let prefix = try #require(IPPrefix("10.244.1.5/24"))
        #expect(prefix.description == "10.244.1.5/24")
        #expect(prefix.network.description == "10.244.1.0")
        #expect(prefix.masked.description == "10.244.1.0/24")
        #expect(prefix.lastAddress.description == "10.244.1.255")
        #expect(IPPrefix("fd00:1::5/64")?.lastAddress.description == "fd00:1::ffff:ffff:ffff:ffff")
        #expect(IPPrefix("0.0.0.0/0")?.lastAddress.description == "255.255.255.255")
        #expect(IPPrefix("::/0")?.contains(IPAddress("fd00::1")!) == true)
    }

    @Test("containment and overlap")
    func containment() throws {
        let cluster = try #require(IPPrefix("10.244.0.0/16"))
        let node = try #require(IPPrefix("10.244.1.0/24"))
        #expect(cluster.contains(node))
        #expect(!node.contains(cluster))
        #expect(cluster.overlaps(node) && node.overlaps(cluster))
        #expect(!node.overlaps(IPPrefix("10.244.2.0/24")!))
        #expect(node.contains(IPAddress("10.244.1.254")!))
        #expect(!node.contains(IPAddress("10.244.2.1")!))
        #expect(!node.contains(IPAddress("::ffff:10.244.1.1")!))
    }

    @Test(
        "malformed prefixes are refused",
        arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "fd00::/129", "/24", "10.0.0.0/-1", "x/8"])
    func malformed(_ input: String) {
        #expect(IPPrefix(input) == nil)
    }
}

@Suite("MAC addresses")
struct MACAddressTests {
    @Test("both separators parse; HNS style prints with dashes")
    func spellings() throws {
        let mac = try #require(MACAddress("0e:2a:0a:f4:01:05"))
        #expect(mac.description == "0E-2A-0A-F4-01-05")
        #expect(mac.colonSeparated == "0e:2a:0a:f4:01:05")
        #expect(MACAddress("0E-2A-0A-F4-01-05") == mac)
    }

    @Test(
        "malformed MACs are refused",
        arguments: ["", "0E-2A-0A-F4-01", "0E-2A-0A-F4-01-0G", "0E:2A-0A:F4:01:05", "0E2A0AF40105"])
    func malformed(_ input: String) {
        #expect(MACAddress(input) == nil)
    }
}
