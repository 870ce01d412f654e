import JSON
import NetAddress
import Testing

@testable import WinCNI

@Suite("Endpoint plugin configs")
struct BridgeOverlayConfigTests {
    @Test("type picks the mode; other types are refused naming them")
    func typeToMode() throws {
        #expect(try PluginKind.of(type: "win-bridge", mode: nil) == .endpoint(.l2bridge))
        #expect(try PluginKind.of(type: "sdnbridge", mode: nil) == .endpoint(.l2bridge))
        #expect(try PluginKind.of(type: "win-overlay", mode: nil) == .endpoint(.overlay))
        #expect(try PluginKind.of(type: "sdnoverlay", mode: nil) == .endpoint(.overlay))
        #expect(try PluginKind.of(type: "flannel", mode: nil) == .flannel)
        #expect(try PluginKind.of(type: "wincni", mode: "L2Bridge") == .endpoint(.l2bridge))
        #expect(try PluginKind.of(type: "wincni", mode: "overlay") == .endpoint(.overlay))
        #expect(thrownError { try PluginKind.of(type: "bridge", mode: nil) } == .unsupportedType("bridge"))
        #expect(thrownError { try PluginKind.of(type: "wincni", mode: nil) }?.description.contains("mode") == true)
        #expect(thrownError { try PluginKind.of(type: "wincni", mode: "nat") }?.description.contains("\"nat\"") == true)
    }

    @Test("cni.dev win-bridge example: v1 ROUTE becomes SDNRoute, the dead HcnPolicyArgs is ignored")
    func cniDevWinBridge() throws {
        let config = try BridgeOverlayConfig(try fixtureObject("cnidev-win-bridge"))
        #expect(config.name == "mynet")
        #expect(config.mode == .l2bridge)
        #expect(config.ipamType == "host-local")
        #expect(config.ipMasqNetwork == IPPrefix("10.244.0.0/16"))
        #expect(config.loopbackDSR)
        #expect(
            config.policies == [
                PolicyDocument(
                    type: "SDNRoute", settings: ["DestinationPrefix": "10.137.198.27/32", "NeedEncap": true])
            ])
        #expect(config.capabilities?["portMappings"] == .bool(true))
    }

    @Test("win-bridge sample-v1: v1 ExceptionList becomes Settings.Exceptions, nothing dropped")
    func winBridgeSampleV1() throws {
        let config = try BridgeOverlayConfig(try fixtureObject("win-bridge-sample-v1"))
        #expect(config.cniVersion == "0.1.0")
        #expect(config.dns == DNSSettings(nameservers: ["11.0.0.10"], search: ["svc.cluster.local"]))
        #expect(config.ipam == nil)
        #expect(
            config.policies.map { $0.json.compact() } == [
                #"{"Type":"OutBoundNAT","Settings":{"Exceptions":["192.168.0.0/16","11.0.0.0/8","10.137.196.0/23"]}}"#,
                #"{"Type":"SDNRoute","Settings":{"DestinationPrefix":"11.0.0.0/8","NeedEncap":true}}"#,
                #"{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.137.198.27/32","NeedEncap":true}}"#,
            ])
    }

    @Test("cni.dev win-overlay example: ipMasq, the MAC prefix, the misspelt capabilities ignored")
    func cniDevWinOverlay() throws {
        let config = try BridgeOverlayConfig(try fixtureObject("cnidev-win-overlay"))
        #expect(config.mode == .overlay)
        #expect(config.ipMasq)
        #expect(config.endpointMacPrefix == [0x0E, 0x2A])
        #expect(config.capabilities == nil)
    }

    @Test("win-overlay samples, v1 and v2 shaped, give the same kinds of policies")
    func winOverlaySamples() throws {
        let v1 = try BridgeOverlayConfig(try fixtureObject("win-overlay-sample"))
        #expect(v1.policies.map(\.type) == ["OutBoundNAT", "SDNRoute"])
        #expect(v1.policies[0].settings["Exceptions"] == ["192.168.0.0/16", "11.0.0.0/8"])
        let v2 = try BridgeOverlayConfig(try fixtureObject("win-overlay-sample-v2"))
        #expect(v2.policies.map(\.type) == ["OutBoundNAT", "SDNRoute", "ProviderAddress"])
        #expect(v2.policies[2].settings["ProviderAddress"] == "10.0.133.170")
        #expect(v2.name == "OVNKubernetesHybridOverlayNetwork")
    }

    @Test("keys match in any case; apiVersion in any spelling and type is ignored")
    func caseInsensitiveKeys() throws {
        let config = try BridgeOverlayConfig(
            try object(
                #"""
                {"CNIVersion":"1.0.0","Name":"cbr0","Type":"win-bridge","ApiVersion":"2","apiVersion":2,
                 "DNS":{"Nameservers":["10.96.0.10"],"Search":["svc.cluster.local"],"Domain":"cluster.local"},
                 "Policies":[{"NAME":"endpointpolicy","VALUE":{"type":"outboundnat","settings":{"exceptions":["10.96.0.0/12"]}}},
                             {"Name":"NetworkPolicy","Value":{"Type":"Whatever"}}],
                 "IPMasqNetwork":"10.244.0.0/16","LoopbackDSR":true,"hairpinMode":true}
                """#))
        #expect(config.cniVersion == "1.0.0")
        #expect(config.dns.domain == "cluster.local")
        #expect(config.policies == [PolicyDocument(type: "OutBoundNAT", settings: ["Exceptions": ["10.96.0.0/12"]])])
        #expect(config.ipMasqNetwork == IPPrefix("10.244.0.0/16"))
    }

    @Test("runtimeConfig DNS replaces the config's field by field; port mappings are read")
    func runtimeConfig() throws {
        let config = try BridgeOverlayConfig(
            try object(
                #"""
                {"name":"cbr0","type":"win-bridge","dns":{"nameservers":["1.1.1.1"],"search":["a"],"options":["ndots:5"]},
                 "runtimeConfig":{"dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local"]},
                   "portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"TCP"},
                                   {"hostPort":53,"containerPort":53,"protocol":"udp","hostIP":"10.0.0.4"},
                                   {"hostPort":9,"containerPort":9,"protocol":"0x11"}]}}
                """#))
        #expect(
            config.dns
                == DNSSettings(nameservers: ["10.96.0.10"], search: ["default.svc.cluster.local"], options: ["ndots:5"])
        )
        #expect(
            config.portMappings == [
                PortMapping(hostPort: 8080, containerPort: 80, protocolNumber: 6),
                PortMapping(hostPort: 53, containerPort: 53, protocolNumber: 17, hostIP: IPAddress("10.0.0.4")),
                PortMapping(hostPort: 9, containerPort: 9, protocolNumber: 17),
            ])
    }

    @Test("sdn optionalFlags and AdditionalArgs are read")
    func sdnFlags() throws {
        let config = try BridgeOverlayConfig(
            try object(
                #"""
                {"name":"cbr0","type":"sdnbridge","optionalFlags":{"forceBridgeGateway":true,"loopbackDSR":true,
                  "localRoutedPortMapping":true,"allowAclPortMapping":true,"enableDualStack":true},
                 "AdditionalArgs":[{"Name":"EndpointPolicy","Value":{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}}]}
                """#))
        #expect(config.optionalFlags.forceBridgeGateway)
        #expect(config.optionalFlags.localRoutedPortMapping)
        #expect(config.optionalFlags.allowAclPortMapping)
        #expect(config.optionalFlags.enableDualStack)
        #expect(config.loopbackDSR)
        #expect(config.policies.map(\.type) == ["SDNRoute"])
    }

    struct BadConfig: CustomTestStringConvertible, Sendable {
        var label: String
        var json: String
        var message: String
        var testDescription: String { label }
    }

    static let badConfigs: [BadConfig] = [
        BadConfig(
            label: "unknown type", json: #"{"name":"n","type":"bridge"}"#, message: #"type "bridge" is not supported"#),
        BadConfig(label: "missing name", json: #"{"type":"win-bridge"}"#, message: "name: missing"),
        BadConfig(
            label: "MAC prefix without dash", json: #"{"name":"n","type":"win-overlay","endpointMacPrefix":"0E2A"}"#,
            message: #"endpointMacPrefix: "0E2A" is not a MAC prefix"#),
        BadConfig(
            label: "MAC prefix not hex", json: #"{"name":"n","type":"win-overlay","endpointMacPrefix":"zz-zz"}"#,
            message: #"endpointMacPrefix: "zz-zz" is not a MAC prefix"#),
        BadConfig(
            label: "ipMasqNetwork not a CIDR", json: #"{"name":"n","type":"win-bridge","ipMasqNetwork":"10.244.0.0"}"#,
            message: #"ipMasqNetwork: "10.244.0.0" is not a CIDR"#),
        BadConfig(
            label: "loopbackDSR as a string", json: #"{"name":"n","type":"win-bridge","loopbackDSR":"true"}"#,
            message: "loopbackDSR: expected true or false"),
        BadConfig(
            label: "empty route prefix placeholder",
            json:
                #"{"name":"n","type":"win-bridge","policies":[{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"","NeedEncap":true}}]}"#,
            message: #"policies[0].Value.DestinationPrefix: "" is not a CIDR"#),
        BadConfig(
            label: "empty provider address placeholder",
            json:
                #"{"name":"n","type":"sdnoverlay","AdditionalArgs":[{"Name":"EndpointPolicy","Value":{"Type":"ProviderAddress","Settings":{"ProviderAddress":""}}}]}"#,
            message: #"AdditionalArgs[0].Value.Settings.ProviderAddress: "" is not an IP address"#),
        BadConfig(
            label: "exception not a CIDR",
            json:
                #"{"name":"n","type":"win-bridge","policies":[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","ExceptionList":["10.0.0.0/8","cluster"]}}]}"#,
            message: #"policies[0].value.ExceptionList[1]: "cluster" is not a CIDR or IP address"#),
        BadConfig(
            label: "policy without a type",
            json: #"{"name":"n","type":"win-bridge","policies":[{"name":"EndpointPolicy","value":{"Settings":{}}}]}"#,
            message: "policies[0].value.type: missing"),
        BadConfig(
            label: "policies not a list",
            json: #"{"name":"n","type":"win-bridge","policies":{"name":"EndpointPolicy"}}"#,
            message: "policies: expected an array"),
        BadConfig(
            label: "port mapping with an unknown protocol",
            json:
                #"{"name":"n","type":"win-bridge","runtimeConfig":{"portMappings":[{"hostPort":1,"containerPort":1,"protocol":"SCTP"}]}}"#,
            message: #"runtimeConfig.portMappings[0].protocol: "SCTP" is not a protocol"#),
        BadConfig(
            label: "port mapping out of range",
            json:
                #"{"name":"n","type":"win-bridge","runtimeConfig":{"portMappings":[{"hostPort":70000,"containerPort":1}]}}"#,
            message: "runtimeConfig.portMappings[0].hostPort: 70000 is out of range"),
        BadConfig(
            label: "dual stack on Overlay",
            json: #"{"name":"n","type":"sdnoverlay","optionalFlags":{"enableDualStack":true}}"#,
            message: "optionalFlags.enableDualStack: dual stack needs an L2Bridge network"),
        BadConfig(
            label: "nameserver not an IP",
            json: #"{"name":"n","type":"win-bridge","dns":{"nameservers":["dns.local"]}}"#,
            message: #"dns.nameservers[0]: "dns.local" is not an IP address"#),
    ]

    @Test("bad configs fail with the JSON path and the bad value", arguments: badConfigs)
    func badConfig(_ bad: BadConfig) throws {
        let document = try object(bad.json)
        let error = try #require(thrownError { try BridgeOverlayConfig(document) })
        #expect(error.description.contains(bad.message), "\(error)")
    }
}
