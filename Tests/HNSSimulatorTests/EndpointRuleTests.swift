import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: endpoints")
struct EndpointRuleTests {
    @Test(
        "an endpoint IP outside every subnet of its network fails with HCN_E_INVALID_IP",
        arguments: ["10.244.2.5", "fd00::5", "not-an-ip"])
    func ipOutsideSubnet(ip: String) throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let error = expectHCNError(0x803B_001E) { () throws(HCNError) in
            try node.createEndpoint(network: network, ip: ip)
        }
        #expect(error?.name == "HCN_E_INVALID_IP")
        #expect(error?.operation == "HcnCreateEndpoint")
    }

    @Test(
        "the network address, the broadcast address and the gateway are reserved: HCN_E_ADDR_INVALID_OR_RESERVED",
        arguments: ["10.244.1.0", "10.244.1.255", "10.244.1.1"])
    func reservedAddress(ip: String) throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        expectHCNError(0x803B_002F) { () throws(HCNError) in try node.createEndpoint(network: network, ip: ip) }
    }

    @Test("a second endpoint with the same IP on a network fails with 0x80071392 (the object already exists)")
    func duplicateIP() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.createEndpoint(network: network, name: "cbr0_ep", ip: "10.244.1.2")
        expectHCNError(0x8007_1392) { () throws(HCNError) in try node.createEndpoint(network: network, ip: "10.244.1.2")
        }
        // The same address on another network is fine.
        let other = try node.createNetwork(name: "other")
        try node.createEndpoint(network: other, ip: "10.244.1.2")
    }

    @Test("a second PortMapping of the same host port on a network fails with HCN_E_PORT_ALREADY_EXISTS")
    func duplicateHostPort() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(type: "Overlay", vsid: 5000)
        // hcsshim's TestEndpointAlreadyExistsError sends this endpoint twice.
        let mapping = #"[{"Type":"PortMapping","Settings":{"Protocol":17,"InternalPort":45678,"ExternalPort":56789}}]"#
        try node.createEndpoint(network: network, name: "a", policies: mapping)
        let error = expectHCNError(0x803B_0013) { () throws(HCNError) in
            try node.createEndpoint(network: network, name: "b", policies: mapping)
        }
        #expect(error?.message == "The specified port already exists.")
        // Another protocol on the same port does not conflict.
        try node.createEndpoint(
            network: network, name: "c",
            policies: #"[{"Type":"PortMapping","Settings":{"Protocol":6,"InternalPort":80,"ExternalPort":56789}}]"#)
    }

    @Test("a PortMapping without an internal port fails with HCN_E_INVALID_INTERNAL_PORT")
    func internalPortZero() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        expectHCNError(0x803B_002D) { () throws(HCNError) in
            try node.createEndpoint(
                network: network, policies: #"[{"Type":"PortMapping","Settings":{"Protocol":6,"ExternalPort":80}}]"#)
        }
    }

    @Test(
        "v1 policy types in a v2 endpoint fail with HCN_E_INVALID_POLICY_TYPE",
        arguments: [
            #"{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}"#, #"{"Type":"PA","PA":"10.0.0.4"}"#,
        ])
    func v1PolicyInV2(policy: String) throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        expectHCNError(0x803B_000E) { () throws(HCNError) in
            try node.createEndpoint(network: network, policies: "[\(policy)]")
        }
    }

    @Test("HNS allocates an IP, PrefixLength, default route and a MAC from the pool when none are given")
    func allocation() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let first = try node.createEndpoint(network: network, name: "a")
        let second = try node.createEndpoint(network: network, name: "b")
        let ip = { (endpoint: JSONObject) in endpoint["IpConfigurations"]?.arrayValue?.first?["IpAddress"]?.stringValue
        }
        #expect(ip(first) == "10.244.1.2")
        #expect(ip(second) == "10.244.1.3")
        #expect(first["IpConfigurations"]?.arrayValue?.first?["PrefixLength"] == 24)
        #expect(first["Routes"] == [["NextHop": "10.244.1.1", "DestinationPrefix": "0.0.0.0/0"]])
        let pool = network["MacPool"]?["Ranges"]?.arrayValue?.first?["StartMacAddress"]?.stringValue
        #expect(first["MacAddress"]?.stringValue == pool)
        #expect(first["MacAddress"] != second["MacAddress"])
        #expect(
            first.keys == [
                "Id", "Name", "HostComputeNetwork", "IpConfigurations", "Routes", "MacAddress", "Flags",
                "SchemaVersion",
            ])
    }

    @Test("a given MAC is kept in HNS's spelling (dashes, upper case), colon or dash as given")
    func givenMAC() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(
            network: network,
            #"{"Name":"x","IpConfigurations":[{"IpAddress":"10.244.1.5"}],"MacAddress":"0E-2A-0a-f4-01-05"}"#)
        #expect(endpoint["MacAddress"] == "0E-2A-0A-F4-01-05")
    }

    @Test("an unknown endpoint is HCN_E_ENDPOINT_NOT_FOUND on open and delete; a deleted one too through its handle")
    func unknownEndpoint() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let missing = try #require(GUID("11111111-2222-4333-8444-555555555555"))
        expectHCNError(0x803B_0002) { () throws(HCNError) in _ = try node.service.open(.endpoint, id: missing) }
        expectHCNError(0x803B_0002) { () throws(HCNError) in try node.service.delete(.endpoint, id: missing) }
        let endpoint = try node.createEndpoint(network: network)
        let handle = try node.service.open(.endpoint, id: guid(endpoint))
        defer { node.service.close(handle) }
        try node.service.delete(.endpoint, id: guid(endpoint))
        expectHCNError(0x803B_0002) { () throws(HCNError) in _ = try node.document(handle) }
    }

    @Test("IDs are found case-insensitively")
    func caseInsensitiveIDs() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let lower = try #require(GUID(guid(endpoint).description.lowercased()))
        #expect(guid(try node.document(.endpoint, lower)) == guid(endpoint))
        let ids = try node.enumerate(.endpoint, filter: #"{"ID":"\#(guid(endpoint).description.lowercased())"}"#)
        #expect(ids == [guid(endpoint).description])
    }

    @Test("enumerate filters with v1 keys; a v2 key matches nothing; no match is []")
    func enumerateFilters() throws {
        let node = try SimulatedNode()
        let cbr0 = try node.createNetwork(name: "cbr0")
        let other = try node.createNetwork(name: "other", subnet: "10.1.0.0/24", gateway: "10.1.0.1")
        let a = try node.createEndpoint(network: cbr0, name: "a")
        let b = try node.createEndpoint(network: other, name: "b")
        #expect(try node.enumerate(.endpoint, filter: nil).count == 2)
        #expect(try node.enumerate(.endpoint, filter: #"{"VirtualNetwork":"\#(guid(cbr0))"}"#) == [guid(a).description])
        #expect(try node.enumerate(.endpoint, filter: #"{"VirtualNetworkName":"other"}"#) == [guid(b).description])
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"b"}"#) == [guid(b).description])
        #expect(try node.enumerate(.endpoint, filter: #"{"HostComputeNetwork":"\#(guid(cbr0))"}"#).isEmpty)
        #expect(try node.enumerate(.network, filter: #"{"Name":"cbr0"}"#) == [guid(cbr0).description])
        #expect(try node.service.enumerate(.network, query: #"{"Filter":"{\"Name\":\"none\"}"}"#) == "[]")
        expectHCNError(0x803B_001B) { () throws(HCNError) in _ = try node.enumerate(.network, filter: "{bad") }
    }

    @Test("a remote endpoint needs an address, may lie outside the local subnets, and cannot join a namespace")
    func remoteEndpoint() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(type: "Overlay", vsid: 4096)
        expectHCNError(0x803B_000C) { () throws(HCNError) in try node.createEndpoint(network: network, #"{"Flags":1}"#)
        }
        let remote = try node.createEndpoint(
            network: network,
            #"{"IpConfigurations":[{"IpAddress":"10.244.2.5"}],"MacAddress":"00-11-0a-f4-02-05","Flags":1,"Policies":[{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.5"}}]}"#
        )
        let namespace = try node.createNamespace()
        expectHCNError(0x803B_000F) { () throws(HCNError) in
            try node.modifyNamespace(namespace, "Add", endpoint: remote)
        }
    }

    @Test("endpoint policies: Update replaces them and port mappings are checked against other endpoints")
    func modifyEndpointPolicies() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.createEndpoint(
            network: network, name: "a",
            policies: #"[{"Type":"PortMapping","Settings":{"Protocol":6,"InternalPort":80,"ExternalPort":8080}}]"#)
        let b = try node.createEndpoint(network: network, name: "b")
        let handle = try node.service.open(.endpoint, id: guid(b))
        defer { node.service.close(handle) }
        expectHCNError(0x803B_0013) { () throws(HCNError) in
            try node.service.modify(
                handle,
                settings:
                    #"{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"PortMapping","Settings":{"Protocol":6,"InternalPort":80,"ExternalPort":8080}}]}}"#
            )
        }
        try node.service.modify(
            handle,
            settings:
                #"{"ResourceType":"Policy","RequestType":"Update","Settings":{"Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16"]}}]}}"#
        )
        #expect(try node.document(handle)["Policies"]?.arrayValue?.first?["Type"] == "OutBoundNAT")
    }

    @Test("a v1 HNSEndpoint document is accepted and its v1 policies converted")
    func v1Endpoint() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(
            network: network,
            #"{"Name":"abc_cbr0","VirtualNetwork":"\#(guid(network))","Policies":[{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]},{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}],"IPAddress":"10.244.1.5","DNSSuffix":"svc.cluster.local","DNSServerList":"10.96.0.10","GatewayAddress":"10.244.1.2"}"#
        )
        #expect(endpoint["Policies"]?.arrayValue?.map { $0["Type"] } == ["OutBoundNAT", "SDNRoute"])
        #expect(endpoint["Routes"]?.arrayValue?.first?["NextHop"] == "10.244.1.2")
        let v1 = try node.document(.endpoint, guid(endpoint), query: #"{"SchemaVersion":{"Major":1,"Minor":0}}"#)
        #expect(v1["IPAddress"] == "10.244.1.5")
        #expect(v1["VirtualNetworkName"] == "cbr0")
        #expect(v1["GatewayAddress"] == "10.244.1.2")
    }

    @Test("names and settings survive the UTF-16 marshalling of the function table")
    func unicodeRoundTrip() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(name: "réseau-网络-🚀")
        #expect(network["Name"] == "réseau-网络-🚀")
        #expect(try node.enumerate(.network, filter: #"{"Name":"réseau-网络-🚀"}"#).count == 1)
    }
}
