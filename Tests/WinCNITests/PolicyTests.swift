import JSON
import NetAddress
import Testing

@testable import WinCNI

@Suite("Endpoint policies")
struct PolicyTests {
    static func translate(_ value: String) throws -> String {
        let fields = try ConfigFields(try JSON.parse(value), path: "value")
        return try EndpointPolicyTranslation.translate(fields).json.compact()
    }

    @Test(
        "v1 and v2 values translate to HCN v2 settings",
        arguments: [
            (
                #"{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]}"#,
                #"{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16","10.96.0.0/12"]}}"#
            ),
            (
                #"{"Type":"OutBoundNAT","Settings":{"Exceptions":["192.168.1.2"]}}"#,
                #"{"Type":"OutBoundNAT","Settings":{"Exceptions":["192.168.1.2"]}}"#
            ),
            (#"{"Type":"OutBoundNAT","ExceptionList":[]}"#, #"{"Type":"OutBoundNAT","Settings":{"Exceptions":[]}}"#),
            (
                #"{"Type":"OutboundNAT","VIP":"10.0.0.9","Destinations":["10.0.0.1"]}"#,
                #"{"Type":"OutBoundNAT","Settings":{"VirtualIP":"10.0.0.9","Destinations":["10.0.0.1"]}}"#
            ),
            (
                #"{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}"#,
                #"{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}"#
            ),
            (
                #"{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}"#,
                #"{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}"#
            ),
            (
                #"{"Type":"SDNRoute","Settings":{"destinationprefix":"10.0.0.0/8","nexthop":"10.0.0.1"}}"#,
                #"{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.0.0.0/8","NextHop":"10.0.0.1"}}"#
            ),
            (
                #"{"Type":"PA","PA":"192.168.0.2"}"#,
                #"{"Type":"ProviderAddress","Settings":{"ProviderAddress":"192.168.0.2"}}"#
            ),
            (
                #"{"Type":"NAT","InternalPort":80,"ExternalPort":8080,"Protocol":"TCP"}"#,
                #"{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6}}"#
            ),
            (
                #"{"Type":"ACL","Protocols":6,"Action":"Allow","Direction":"In","LocalPort":80}"#,
                #"{"Type":"ACL","Settings":{"Protocols":"6","Action":"Allow","Direction":"In","LocalPorts":"80"}}"#
            ),
            (
                #"{"Type":"encapoverhead","Settings":{"Overhead":50}}"#,
                #"{"Type":"EncapOverhead","Settings":{"Overhead":50}}"#
            ),
            (#"{"Type":"OutBoundNAT","OtherList":[]}"#, #"{"Type":"OutBoundNAT","Settings":{"OtherList":[]}}"#),
        ])
    func translation(_ input: String, _ expected: String) throws {
        #expect(try Self.translate(input) == expected)
    }

    @Test("T19/T20: only EndpointPolicy entries reach the endpoint")
    func onlyEndpointPolicies() throws {
        let document = try object(
            #"""
            {"policies":[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","ExceptionList":["192.168.1.2"]}},
                         {"name":"someOtherType","value":{"someOtherKey":"someOtherValue"}}]}
            """#)
        let entries = try #require(try ConfigFields(object: document, path: "").objects("policies"))
        let policies = try EndpointPolicyTranslation.policies(from: entries)
        #expect(policies == [PolicyDocument(type: "OutBoundNAT", settings: ["Exceptions": ["192.168.1.2"]])])
    }

    @Test("a different exception CIDR is merged into the one OutBoundNAT policy (flannel's documented merge)")
    func outboundMerge() {
        var list = EndpointPolicyList()
        list.addOutboundNATException(IPPrefix("192.168.0.0/16")!)
        list.addOutboundNATException(IPPrefix("10.244.0.0/16")!)
        #expect(list.policies.count == 1)
        #expect(
            list.policies[0].json.compact()
                == #"{"Type":"OutBoundNAT","Settings":{"Exceptions":["192.168.0.0/16","10.244.0.0/16"]}}"#)
    }

    @Test("an exception already listed or contained in a listed one (by value, any spelling) is not added again")
    func outboundDedupe() {
        var list = EndpointPolicyList([
            PolicyDocument(type: "OutBoundNAT", settings: ["Exceptions": ["10.244.0.0/16 ", "10.96.0.0/12"]])
        ])
        list.addOutboundNATException(IPPrefix("10.244.0.0/16")!)
        list.addOutboundNATException(IPPrefix("10.244.0.1/16")!)
        list.addOutboundNATException(IPPrefix("10.244.1.0/24")!)
        list.addOutboundNATException(IPPrefix("10.96.0.10/32")!)
        #expect(list.policies.count == 1)
        #expect(list.policies[0].settings["Exceptions"] == ["10.244.0.0/16 ", "10.96.0.0/12"])
        // A wider CIDR than a listed one is new.
        list.addOutboundNATException(IPPrefix("10.0.0.0/8")!)
        #expect(list.policies[0].settings["Exceptions"] == ["10.244.0.0/16 ", "10.96.0.0/12", "10.0.0.0/8"])
    }

    @Test("an OutBoundNAT without exceptions takes the exception; one with Destinations (loopback DSR) does not")
    func outboundOtherList() {
        var list = EndpointPolicyList([PolicyDocument(type: "OutBoundNAT", settings: ["Others": []])])
        list.addOutboundNATException(IPPrefix("10.244.0.0/16")!)
        #expect(list.policies.count == 1)
        #expect(list.policies[0].settings["Others"] == [])
        #expect(list.policies[0].settings["Exceptions"] == ["10.244.0.0/16"])

        var dsr = EndpointPolicyList([PolicyDocument(type: "OutBoundNAT", settings: ["Destinations": ["10.0.0.1"]])])
        dsr.addOutboundNATException(IPPrefix("10.244.0.0/16")!)
        #expect(dsr.policies.count == 2)
        #expect(dsr.policies[1].settings["Exceptions"] == ["10.244.0.0/16"])
    }

    @Test("T1-T4: loopback DSR destinations are deduplicated, different IPs appended")
    func loopbackDSR() {
        var list = EndpointPolicyList()
        list.addLoopbackDSR(IPAddress("172.16.0.12")!)
        list.addLoopbackDSR(IPAddress("172.16.0.12")!)
        #expect(list.policies.count == 1)
        list.addLoopbackDSR(IPAddress("172.16.0.13")!)
        #expect(list.policies.count == 2)
        #expect(
            list.policies[1].json.compact() == #"{"Type":"OutBoundNAT","Settings":{"Destinations":["172.16.0.13"]}}"#)
    }

    @Test("T13: the provider address is added once; the config's own one wins")
    func providerAddress() {
        var list = EndpointPolicyList()
        list.addProviderAddress(IPAddress("192.168.0.1")!)
        list.addProviderAddress(IPAddress("192.168.0.2")!)
        #expect(list.json.compact() == #"[{"Type":"ProviderAddress","Settings":{"ProviderAddress":"192.168.0.1"}}]"#)
    }

    @Test("T15/T17: no port mappings, no policies")
    func noPortMappings() {
        var list = EndpointPolicyList()
        list.addPortMappings([], localRoutedVIP: false, allowACL: false, dualStack: false)
        #expect(list.policies.isEmpty)
    }

    @Test("T18 and §10.4: port mappings become PortMapping policies with protocol numbers and the host IP as VIP")
    func portMappings() {
        var list = EndpointPolicyList()
        list.addPortMappings(
            [
                PortMapping(hostPort: 8080, containerPort: 80, protocolNumber: 6, hostIP: IPAddress("192.168.1.2")),
                PortMapping(hostPort: 53, containerPort: 53, protocolNumber: 17),
                PortMapping(hostPort: 53, containerPort: 53, protocolNumber: 17),
            ], localRoutedVIP: false, allowACL: false, dualStack: false)
        #expect(
            list.policies.map { $0.json.compact() } == [
                #"{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6,"VIP":"192.168.1.2"}}"#,
                #"{"Type":"PortMapping","Settings":{"InternalPort":53,"ExternalPort":53,"Protocol":17}}"#,
            ])
    }

    @Test("sdnbridge flags: local-routed VIP flag, IPv6 twin, and an ACL per mapping")
    func sdnPortMappingFlags() {
        var list = EndpointPolicyList()
        list.addPortMappings(
            [PortMapping(hostPort: 8080, containerPort: 80, protocolNumber: 6)], localRoutedVIP: true, allowACL: true,
            dualStack: true)
        #expect(
            list.policies.map { $0.json.compact() } == [
                #"{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6,"Flags":1}}"#,
                #"{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6,"Flags":3}}"#,
                #"{"Type":"ACL","Settings":{"Protocols":"6","Action":"Allow","Direction":"In","LocalPorts":"80","Priority":1000}}"#,
            ])
    }

    @Test(
        "protocols: numbers in Go's bases and names in any case",
        arguments: [
            ("TCP", UInt32?(6)), ("udp", 17), ("17", 17), ("0x11", 17), ("021", 17), ("icmpv6", 58), ("IGMP", 2),
            ("1023", 1023), ("1024", nil), ("SCTP", nil), ("", nil), ("-6", nil),
        ])
    func protocols(_ text: String, _ expected: UInt32?) {
        #expect(PortMapping.protocolNumber(text) == expected)
    }
}
