import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: networks")
struct NetworkRuleTests {
    @Test("a second network with the same name fails with HCN_E_NETWORK_ALREADY_EXISTS and HNS's error record")
    func duplicateName() throws {
        let node = try SimulatedNode()
        try node.createNetwork(name: "cbr0")
        let error = expectHCNError(0x803B_0010) { () throws(HCNError) in
            try node.createNetwork(name: "CBR0", subnet: "10.245.0.0/24", gateway: "10.245.0.1")
        }
        #expect(error?.name == "HCN_E_NETWORK_ALREADY_EXISTS")
        #expect(error?.message == "A network with this name already exists.")
        #expect(error?.operation == "HcnCreateNetwork")
        // The record as HNS writes it: the text with a trailing space, the code in unsigned decimal.
        #expect(
            error?.errorRecord
                == #"{"Success":false,"Error":"A network with this name already exists. ","ErrorCode":2151350288}"#)
    }

    @Test("an unknown network type fails with HCN_E_INVALID_NETWORK_TYPE; types match case-insensitively")
    func networkType() throws {
        let node = try SimulatedNode()
        expectHCNError(0x803B_000B) { () throws(HCNError) in try node.createNetwork(type: "Bridge") }
        let network = try node.createNetwork(type: "l2bridge")
        #expect(network["Type"] == "L2Bridge")
    }

    @Test(
        "a subnet that is not a CIDR of a network fails with HCN_E_INVALID_SUBNET",
        arguments: ["10.0.0.0/33", "banana", "10.0.0.1/24", ""])
    func badSubnet(subnet: String) throws {
        let node = try SimulatedNode()
        expectHCNError(0x803B_0032) { () throws(HCNError) in try node.createNetwork(subnet: subnet, gateway: "10.0.0.1")
        }
    }

    @Test("a default gateway outside the subnet fails with HCN_E_INVALID_SUBNET")
    func gatewayOutsideSubnet() throws {
        let node = try SimulatedNode()
        expectHCNError(0x803B_0032) { () throws(HCNError) in try node.createNetwork(gateway: "10.9.9.1") }
    }

    @Test(
        "an Overlay network needs a VSID from 4096 to 16777214 (else E_INVALIDARG)", arguments: [nil, 4095, 16_777_215])
    func overlayVSIDOutOfRange(vsid: Int?) throws {
        let node = try SimulatedNode()
        expectHCNError(0x8007_0057) { () throws(HCNError) in try node.createNetwork(type: "Overlay", vsid: vsid) }
    }

    @Test("HNS adds ProviderAddress to L2Bridge and Overlay networks, and DrMacAddress to Overlay ones")
    func enrichment() throws {
        let node = try SimulatedNode()
        let bridge = try node.createNetwork(name: "cbr0")
        let overlay = try node.createNetwork(
            name: "flannel.4096", type: "Overlay", subnet: "10.244.2.0/24", gateway: "10.244.2.1", vsid: 4096)
        let types = { (network: JSONObject) in
            (network["Policies"]?.arrayValue ?? []).compactMap { $0["Type"]?.stringValue }
        }
        #expect(types(bridge) == ["ProviderAddress"])
        #expect(types(overlay) == ["ProviderAddress", "DrMacAddress"])
        let address = overlay["Policies"]?.arrayValue?.first?["Settings"]?["ProviderAddress"]?.stringValue
        #expect(address != nil && address != "")
    }

    @Test("a network gets a default MAC pool under 00-15-5D, 4096 addresses")
    func defaultMacPool() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let range = network["MacPool"]?["Ranges"]?.arrayValue?.first
        let start = try #require(range?["StartMacAddress"]?.stringValue)
        let end = try #require(range?["EndMacAddress"]?.stringValue)
        #expect(start.hasPrefix("00-15-5D-") && start.hasSuffix("0-00"))
        #expect(end.hasPrefix(String(start.prefix(13))) && end.hasSuffix("F-FF"))
    }

    @Test("malformed JSON settings fail with HCN_E_INVALID_JSON", arguments: ["{", "[]", "\"text\"", #"{"Name":5}"#])
    func malformedJSON(settings: String) throws {
        let node = try SimulatedNode()
        expectHCNError(0x803B_001B) { () throws(HCNError) in try node.createNetwork(settings) }
    }

    @Test("a v1 HNSNetwork document is accepted by HcnCreateNetwork and read back in v2")
    func v1Document() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(
            #"{"Name":"cbr0","Type":"L2Bridge","Subnets":[{"AddressPrefix":"10.244.1.0/24","GatewayAddress":"10.244.1.1"}]}"#
        )
        let subnet = network["Ipams"]?.arrayValue?.first?["Subnets"]?.arrayValue?.first
        #expect(subnet?["IpAddressPrefix"] == "10.244.1.0/24")
        #expect(subnet?["Routes"]?.arrayValue?.first?["NextHop"] == "10.244.1.1")
        let v1 = try node.document(.network, guid(network), query: #"{"SchemaVersion":{"Major":1,"Minor":0}}"#)
        #expect(v1["ManagementIP"] != nil)
        #expect(v1["Subnets"]?.arrayValue?.first?["GatewayAddress"] == "10.244.1.1")
    }

    @Test("a create with a given GUID uses it; the same GUID again fails; the zero GUID gets a fresh v4 GUID")
    func givenGUID() throws {
        let node = try SimulatedNode()
        let id = try #require(GUID("5E6298C2-1111-4222-8333-444455556666"))
        let network = try node.createNetwork(
            #"{"Name":"a","Type":"NAT","SchemaVersion":{"Major":2,"Minor":0}}"#, id: id)
        #expect(guid(network) == id)
        expectHCNError(0x8007_00B7) { () throws(HCNError) in
            try node.createNetwork(#"{"Name":"b","Type":"NAT"}"#, id: id)
        }
        let generated = guid(try node.createNetwork(#"{"Name":"c","Type":"NAT"}"#))
        #expect(!generated.isZero)
        #expect(generated.bytes[6] >> 4 == 4)
    }

    @Test("NAT is left out of a network's v2 document, as HNS omits network mode 0")
    func natOmitted() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(#"{"Name":"nat","Type":"NAT"}"#)
        #expect(network["Type"] == nil)
        // HNS gives a NAT network without subnets a default one.
        #expect(network["Ipams"]?.arrayValue?.count == 1)
    }

    @Test("deleting a network deletes its endpoints; an unknown network is HCN_E_NETWORK_NOT_FOUND")
    func deleteNetwork() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        try node.service.delete(.network, id: guid(network))
        #expect(try node.enumerate(.endpoint, filter: nil).isEmpty)
        expectHCNError(0x803B_0002) { () throws(HCNError) in _ = try node.service.open(.endpoint, id: guid(endpoint)) }
        expectHCNError(0x803B_0001) { () throws(HCNError) in try node.service.delete(.network, id: guid(network)) }
        expectHCNError(0x803B_0001) { () throws(HCNError) in _ = try node.service.open(.network, id: guid(network)) }
    }

    @Test("network policies: Add appends and refuses a duplicate, Remove takes them away")
    func networkPolicies() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(
            name: "vxlan0", type: "Overlay", subnet: "10.244.1.0/24", gateway: "10.244.1.1", vsid: 4096)
        let handle = try node.service.open(.network, id: guid(network))
        defer { node.service.close(handle) }
        let add =
            #"{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"HostRoute","Settings":{}}]}}"#
        try node.service.modify(handle, settings: add)
        expectHCNError(0x803B_0012) { () throws(HCNError) in try node.service.modify(handle, settings: add) }
        let route =
            #"{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"RemoteSubnetRoute","Settings":{"DestinationPrefix":"10.244.2.0/24","IsolationId":4096,"ProviderAddress":"10.0.0.5","DistributedRouterMacAddress":"0e:2a:0a:f4:02:01"}}]}}"#
        try node.service.modify(handle, settings: route)
        var types = (try node.document(handle)["Policies"]?.arrayValue ?? []).compactMap { $0["Type"]?.stringValue }
        #expect(types == ["ProviderAddress", "DrMacAddress", "HostRoute", "RemoteSubnetRoute"])
        try node.service.modify(handle, settings: add.replacingOccurrences(of: "\"Add\"", with: "\"Remove\""))
        types = (try node.document(handle)["Policies"]?.arrayValue ?? []).compactMap { $0["Type"]?.stringValue }
        #expect(!types.contains("HostRoute"))
        expectHCNError(0x803B_000E) { () throws(HCNError) in
            try node.service.modify(
                handle,
                settings: #"{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"ROUTE"}]}}"#)
        }
    }
}
