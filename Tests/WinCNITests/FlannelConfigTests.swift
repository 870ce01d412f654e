import HCN
import JSON
import NetAddress
import Testing

@testable import WinCNI

@Suite("flannel subnet.env")
struct SubnetEnvTests {
    @Test("F3: IPv4, host bits of the subnet cleared")
    func ipv4() throws {
        let env = try SubnetEnv.parse(
            "FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n",
            path: "s")
        #expect(
            env
                == SubnetEnv(
                    networks: [IPPrefix("10.1.0.0/16")!], subnet: IPPrefix("10.1.17.0/24"), mtu: 1472, ipMasq: true))
    }

    @Test("F4: IPv6 only")
    func ipv6() throws {
        let env = try SubnetEnv.parse(
            "FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false",
            path: "s")
        #expect(env.ipv6Networks == [IPPrefix("fc00::/48")!])
        #expect(env.ipv6Subnet == IPPrefix("fc00::/64"))
        #expect(env.subnet == nil)
        #expect(env.ipMasq == false)
    }

    @Test("F5 and F7: dual stack, several networks deduplicated, CRLF line ends")
    func dualStackCRLF() throws {
        let text =
            "FLANNEL_NETWORK=10.1.0.0/16,192.168.0.0/16,10.1.0.0/16\r\nFLANNEL_SUBNET=10.1.17.1/24\r\n"
            + "FLANNEL_IPV6_NETWORK=fc00::/48\r\nFLANNEL_IPV6_SUBNET=fc00::1/64\r\nFLANNEL_MTU=1450\r\nFLANNEL_IPMASQ=true\r\n"
        let env = try SubnetEnv.parse(text, path: "s")
        #expect(env.networks == [IPPrefix("10.1.0.0/16")!, IPPrefix("192.168.0.0/16")!])
        #expect(env.ipv6Subnet == IPPrefix("fc00::/64"))
        #expect(env.mtu == 1450)
        #expect(env.ipMasq)
    }

    @Test(
        "F6 and friends: the same errors as flannel, never a crash",
        arguments: [
            (
                "foo=bar",
                "is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK, FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ"
            ),
            (
                "FLANNEL_NETWORK\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true",
                "is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK"
            ),
            (
                "FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true",
                #"FLANNEL_SUBNET=10.1.17.1: "10.1.17.1" is not a CIDR"#
            ),
            (
                "FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=big\nFLANNEL_IPMASQ=true",
                "FLANNEL_MTU=big: not a number"
            ),
            ("", "is missing FLANNEL_NETWORK"),
        ])
    func errors(_ text: String, _ message: String) {
        let error = thrownError { try SubnetEnv.parse(text, path: "/run/flannel/subnet.env") }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.contains("/run/flannel/subnet.env") == true)
    }

    @Test("a missing file says to look at flanneld")
    func missingFile() {
        let error = thrownError { try SubnetEnv.load(path: "/nonexistent/subnet.env") }
        guard case .subnetEnvMissing = error else {
            Issue.record("expected subnetEnvMissing, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("is flanneld running") == true)
    }
}

@Suite("flannel meta config")
struct FlannelConfigTests {
    static let env = SubnetEnv(
        networks: [IPPrefix("10.244.0.0/16")].compactMap { $0 }, subnet: IPPrefix("10.244.1.0/24"), mtu: 1450,
        ipMasq: false)

    @Test("F1/F2: explicit paths and the defaults")
    func paths() throws {
        let explicit = try FlannelConfig(
            try object(#"{"name":"cni-flannel","type":"flannel","subnetFile":"/f","dataDir":"/d"}"#))
        #expect(explicit.subnetFile == "/f")
        #expect(explicit.dataDir == "/d")
        let defaults = try FlannelConfig(try object(#"{"name":"cni-flannel","type":"flannel"}"#))
        #expect(defaults.subnetFile == "/run/flannel/subnet.env")
        #expect(defaults.dataDir == "/var/lib/cni/flannel")
        #expect(defaults.delegateType == "win-bridge")
    }

    @Test("§6.3 golden: the delegate config flannel builds on Windows, keys sorted as Go sorts them")
    func delegateGolden() throws {
        let config = try FlannelConfig(
            try object(
                #"""
                {"cniVersion":"0.2.0","name":"cbr0","type":"flannel",
                 "delegate":{"type":"win-bridge","policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]}}]},
                 "runtimeConfig":{"dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local"]}}}
                """#))
        let document = try config.delegateDocument(Self.env)
        #expect(
            document.compact()
                == #"{"cniVersion":"0.2.0","ipMasq":false,"ipMasqNetwork":"10.244.0.0/16","ipam":{"subnet":"10.244.1.0/24","type":"host-local"},"name":"cbr0","policies":[{"Name":"EndpointPolicy","Value":{"ExceptionList":["10.244.0.0/16"],"Type":"OutBoundNAT"}}],"runtimeConfig":{"dns":{"searches":["default.svc.cluster.local"],"servers":["10.96.0.10"]}},"type":"win-bridge"}"#
        )
    }

    @Test("no cniVersion: the delegate gets 0.2.0; dual stack: one host-local range per family")
    func versionAndDualStack() throws {
        let config = try FlannelConfig(
            try object(#"{"name":"cbr0","type":"flannel","delegate":{"type":"win-overlay"}}"#))
        var env = Self.env
        env.ipv6Networks = [IPPrefix("fd00::/56")!]
        env.ipv6Subnet = IPPrefix("fd00:0:0:1::/64")
        let document = try config.delegateDocument(env)
        #expect(document["cniVersion"] == "0.2.0")
        #expect(document["type"] == "win-overlay")
        #expect(
            document["ipam"]?.compact()
                == #"{"ranges":[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00:0:0:1::/64"}]],"type":"host-local"}"#)
    }

    @Test(
        "the delegate must not set name or ipam, and its type must be a string",
        arguments: [
            (#"{"name":"cbr0","type":"flannel","delegate":{"name":"x"}}"#, "delegate.name: must not be set"),
            (#"{"name":"cbr0","type":"flannel","delegate":{"IPAM":{}}}"#, "delegate.IPAM: must not be set"),
            (#"{"name":"cbr0","type":"flannel","delegate":{"type":5}}"#, "delegate.type: expected a plugin name"),
            (#"{"type":"flannel"}"#, "name: missing"),
            (#"{"name":"cbr0","type":"flannel","delegate":{"type":"flannel"}}"#, "delegate.type: the delegate cannot"),
        ])
    func badDelegate(_ json: String, _ message: String) throws {
        let document = try object(json)
        let error = thrownError { try FlannelConfig(document) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    struct RealConfig: Sendable, CustomTestStringConvertible {
        var fixture: String
        var delegateError: String?
        var testDescription: String { fixture }
    }

    @Test(
        "§8 real configs: flannel reads them; filled ones give a working delegate, templates name the empty placeholder",
        arguments: [
            RealConfig(fixture: "win-bridge-sample-v2-flannel", delegateError: nil),
            RealConfig(fixture: "mssdn-l2bridge", delegateError: nil),
            RealConfig(fixture: "mssdn-overlay", delegateError: nil),
            RealConfig(fixture: "wcn-flannel-l2bridge", delegateError: nil),
            RealConfig(
                fixture: "sigwin-host-gw-docker",
                delegateError: #"delegate.policies[1].Value.DestinationPrefix: "" is not a CIDR"#),
            RealConfig(
                fixture: "sigwin-host-gw-containerd",
                delegateError: #"delegate.AdditionalArgs[1].Value.Settings.DestinationPrefix: "" is not a CIDR"#),
            RealConfig(
                fixture: "sigwin-overlay-docker",
                delegateError: #"delegate.policies[1].Value.DestinationPrefix: "" is not a CIDR"#),
            RealConfig(
                fixture: "sigwin-overlay-hostprocess",
                delegateError: #"delegate.AdditionalArgs[1].Value.Settings.DestinationPrefix: "" is not a CIDR"#),
        ])
    func realConfigs(_ real: RealConfig) throws {
        let config = try FlannelConfig(try fixtureObject(real.fixture))
        let document = try #require(try config.delegateDocument(Self.env).objectValue)
        let result = Result { () throws(WinCNIError) -> BridgeOverlayConfig in
            try BridgeOverlayConfig(document, path: "delegate")
        }
        switch (result, real.delegateError) {
        case (.success(let delegate), nil):
            #expect(delegate.name == config.name)
            #expect(delegate.ipamType == "host-local")
            #expect(delegate.ipMasqNetwork == IPPrefix("10.244.0.0/16"))
            #expect(!delegate.policies.isEmpty)
        case (.failure(let error), let message?):
            #expect(error.description.hasPrefix(message), "\(error)")
        default:
            Issue.record("unexpected \(result)")
        }
    }
}

@Suite("Endpoint naming, gateway and MAC")
struct EndpointDerivationTests {
    @Test(
        "§10.1: endpoint name from container ID and netns",
        arguments: [
            ("abc123", "none", "cbr0", "abc123_cbr0"),
            ("app456", "container:abc123", "cbr0", "abc123_cbr0"),
            ("abc123", "", "cbr0", "abc123_cbr0"),
            ("abc123", "6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "flannel.4096", "abc123_flannel.4096"),
            ("abc123", "/run/netns/6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "cbr0", "abc123_cbr0"),
            ("abc123", "container:", "cbr0", "abc123_cbr0"),
            ("abc123", "x:y:z", "cbr0", "y:z_cbr0"),
        ])
    func naming(_ containerID: String, _ netns: String, _ network: String, _ expected: String) {
        #expect(EndpointNaming.endpointName(containerID: containerID, netns: netns, network: network) == expected)
    }

    @Test("the namespace is the GUID or the last element of a path")
    func namespace() {
        let guid = "6B1E2F3A-4C5D-4E6F-8A9B-0C1D2E3F4A5B"
        #expect(EndpointNaming.namespaceID(netns: guid.lowercased())?.description == guid)
        #expect(EndpointNaming.namespaceID(netns: "/run/netns/\(guid)")?.description == guid)
        #expect(EndpointNaming.namespaceID(netns: "C:\\ns\\" + guid)?.description == guid)
        #expect(EndpointNaming.namespaceID(netns: "none") == nil)
        #expect(EndpointNaming.namespaceID(netns: "/var/run/netns/cni-1234") == nil)
    }

    @Test(
        "§10.2: the L2Bridge gateway is the subnet's network address + 2",
        arguments: [
            ("10.244.1.5/24", "10.244.1.2"), ("10.244.1.200/24", "10.244.1.2"), ("10.244.3.7/16", "10.244.0.2"),
            ("192.168.0.130/25", "192.168.0.130"), ("fd00::5/64", "fd00::2"),
        ])
    func bridgeGateway(_ address: String, _ gateway: String) {
        #expect(EndpointAddressing.bridgeGateway(for: IPPrefix(address)!)?.description == gateway)
    }

    @Test("§10.2: a /31 or /32 has no room for the .2 (win-bridge wrapped to an address outside the subnet)")
    func tinySubnets() {
        #expect(EndpointAddressing.bridgeGateway(for: IPPrefix("10.0.0.254/31")!) == nil)
        #expect(EndpointAddressing.bridgeGateway(for: IPPrefix("10.0.0.1/32")!) == nil)
        #expect(EndpointAddressing.bridgeGateway(for: IPPrefix("10.0.0.1/30")!) == IPAddress("10.0.0.2"))
    }

    @Test(
        "§10.3: the Overlay MAC is the prefix then the IPv4 bytes",
        arguments: [
            ([UInt8(0x0E), 0x2A], "10.244.1.5", "0E-2A-0A-F4-01-05"),
            ([UInt8(0x0E), 0x2A], "192.168.255.254", "0E-2A-C0-A8-FF-FE"),
            ([UInt8(0x0E), 0x2A], "10.0.0.1", "0E-2A-0A-00-00-01"),
        ])
    func overlayMAC(_ prefix: [UInt8], _ address: String, _ mac: String) {
        #expect(EndpointAddressing.overlayMAC(prefix: prefix, address: IPAddress(address)!)?.description == mac)
        #expect(parseMacPrefix("0e-2a") == [0x0E, 0x2A])
    }

    @Test("the endpoint document: HCN keys, PrefixLength, default routes per family, MAC; already in the typed form")
    func endpointDocument() throws {
        var policies = EndpointPolicyList()
        policies.addOutboundNATException(IPPrefix("10.244.0.0/16")!)
        let document = EndpointDocument(
            name: "abc_cbr0", networkID: "NET", addresses: [IPPrefix("10.244.1.5/24")!, IPPrefix("fd00::5/64")!],
            gateways: [IPAddress("10.244.1.2")!, IPAddress("fd00::2")!], mac: MACAddress("0E-2A-0A-F4-01-05"),
            dns: DNSSettings(nameservers: ["10.96.0.10"], search: ["svc.cluster.local"]), policies: policies)
        #expect(
            document.json.compact()
                == #"{"Name":"abc_cbr0","HostComputeNetwork":"NET","Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16"]}}],"IpConfigurations":[{"IpAddress":"10.244.1.5","PrefixLength":24},{"IpAddress":"fd00::5","PrefixLength":64}],"Dns":{"Search":["svc.cluster.local"],"ServerList":["10.96.0.10"]},"Routes":[{"NextHop":"10.244.1.2","DestinationPrefix":"0.0.0.0/0"},{"NextHop":"fd00::2","DestinationPrefix":"::/0"}],"MacAddress":"0E-2A-0A-F4-01-05","SchemaVersion":{"Major":2,"Minor":0}}"#
        )
        // ADD sends the document as built: it must be what the typed HCN endpoint encodes it to.
        #expect(try HostComputeEndpoint(json: document.json).json.compact() == document.json.compact())
    }
}
