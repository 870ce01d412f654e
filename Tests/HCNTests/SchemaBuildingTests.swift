import HCN
import JSON
import Testing

private let hcsshimMacPool = MacPool(ranges: [
    MacRange(startMacAddress: "00-15-5D-52-C0-00", endMacAddress: "00-15-5D-52-CF-FF")
])
private let defaultSubnet = Subnet(
    ipAddressPrefix: "192.168.100.0/24", routes: [Route(nextHop: "192.168.100.1", destinationPrefix: "0.0.0.0/0")])

@Suite("HCN documents built in code match what hcsshim sends")
struct SchemaBuildingTests {
    @Test("a NAT network has hcsshim's keys, order and always-written members")
    func natNetwork() {
        let network = HostComputeNetwork(
            name: "GoTestNat", type: "NAT", macPool: hcsshimMacPool, ipams: [Ipam(subnets: [defaultSubnet])])
        #expect(network.json.compact() == Fixtures.document("network-hcsshim-nat.json"))
    }

    @Test("an Overlay network carries the VSID subnet policy and the non-persistent flag")
    func overlayNetwork() {
        var subnet = defaultSubnet
        subnet.policies = [.vsid(5000)]
        let network = HostComputeNetwork(
            name: "GoTestOverlay", type: NetworkType.overlay.rawValue, macPool: hcsshimMacPool,
            ipams: [Ipam(subnets: [subnet])], flags: NetworkFlags.enableNonPersistent)
        #expect(network.json.compact() == Fixtures.document("network-hcsshim-overlay.json"))
    }

    @Test("flannel's vxlan network: empty MacPool and Dns are written as {}")
    func flannelNetwork() {
        let network = HostComputeNetwork(
            name: "flannel.4096", type: "Overlay", policies: [.netAdapterName("Ethernet")],
            ipams: [
                Ipam(subnets: [
                    Subnet(
                        ipAddressPrefix: "10.244.1.0/24", policies: [.vsid(4096)],
                        routes: [Route(nextHop: "10.244.1.1", destinationPrefix: "0.0.0.0/0")])
                ])
            ], flags: NetworkFlags.enableNonPersistent)
        #expect(network.json.compact() == Fixtures.document("network-flannel-vxlan.json"))
    }

    @Test("win-bridge's v2 endpoint")
    func winBridgeEndpoint() {
        let endpoint = HostComputeEndpoint(
            name: "<sandboxID>_cbr0", hostComputeNetwork: "NETWORK-GUID",
            policies: [
                .outBoundNAT(
                    OutBoundNatPolicySetting(exceptions: ["192.168.0.0/16", "11.0.0.0/8", "10.137.196.0/23"])),
                .sdnRoute(SDNRoutePolicySetting(destinationPrefix: "11.0.0.0/8", needEncap: true)),
                .sdnRoute(SDNRoutePolicySetting(destinationPrefix: "10.137.198.27/32", needEncap: true)),
            ],
            ipConfigurations: [IpConfig(ipAddress: "<ipam ip>")],
            dns: Dns(search: ["svc.cluster.local"], serverList: ["11.0.0.10"]),
            routes: [Route(nextHop: "<subnet>.2", destinationPrefix: "0.0.0.0/0")])
        #expect(endpoint.json.compact() == Fixtures.document("endpoint-win-bridge-v2.json"))
    }

    @Test("kube-proxy's remote endpoint with a ProviderAddress policy")
    func remoteEndpoint() {
        let endpoint = HostComputeEndpoint(
            name: "", hostComputeNetwork: "NETWORK-GUID", policies: [.providerAddress("10.0.0.5")],
            ipConfigurations: [IpConfig(ipAddress: "10.244.1.5")], macAddress: "00-11-0a-f4-01-05",
            flags: EndpointFlags.remoteEndpoint)
        #expect(endpoint.json.compact() == Fixtures.document("endpoint-kube-proxy-remote.json"))
        #expect(endpoint.isRemote)
    }

    @Test("port mapping policy with a UDP protocol number")
    func portMappingEndpoint() {
        let endpoint = HostComputeEndpoint(
            name: "GoTestNatEndpoint", hostComputeNetwork: "NETWORK-GUID",
            policies: [
                .portMapping(PortMappingPolicySetting(protocolNumber: 17, internalPort: 45678, externalPort: 56789))
            ])
        #expect(endpoint.json.compact() == Fixtures.document("endpoint-hcsshim-port-mapping.json"))
    }

    @Test("namespaces: hcsshim's test namespace, a guest namespace and containerd's zero value")
    func namespaces() {
        #expect(
            HostComputeNamespace(namespaceId: 5, type: "HostDefault").json.compact()
                == Fixtures.document("namespace-hcsshim-test.json"))
        #expect(HostComputeNamespace(type: "Guest").json.compact() == Fixtures.document("namespace-guest.json"))
        #expect(
            HostComputeNamespace(schemaVersion: .zero).json.compact()
                == Fixtures.document("namespace-containerd-zero.json"))
    }

    @Test("queries and modify requests")
    func requests() {
        #expect(HostComputeQuery.default.json.compact() == Fixtures.document("query-default.json"))
        #expect(
            HostComputeQuery(filter: ["Name": "GoTestNat"]).json.compact()
                == Fixtures.document("query-network-by-name.json"))
        #expect(
            HostComputeQuery(filter: ["VirtualNetwork": "NETWORK-GUID"]).json.compact()
                == Fixtures.document("query-endpoints-of-network.json"))
        #expect(
            ModifyRequest.addNamespaceEndpoint("ENDPOINT-GUID").json.compact()
                == Fixtures.document("modify-namespace-add-endpoint.json"))
        #expect(
            ModifyRequest.removeNamespaceEndpoint("ENDPOINT-GUID").json.compact()
                == Fixtures.document("modify-namespace-remove-endpoint.json"))
        let route = RemoteSubnetRoutePolicySetting(
            destinationPrefix: "192.168.2.0/24", isolationId: 5000, providerAddress: "1.1.1.1",
            distributedRouterMacAddress: "00-12-34-56-78-9a")
        #expect(
            ModifyRequest.networkPolicies(.add, [.remoteSubnetRoute(route)]).json.compact()
                == Fixtures.document("modify-network-add-remote-subnet-route.json"))
        #expect(
            ModifyRequest.networkPolicies(.remove, [.hostRoute]).json.compact()
                == Fixtures.document("modify-network-remove-host-route.json"))
        let acl = { (direction: String) in
            EndpointPolicy.acl(
                AclPolicySetting(
                    protocols: "6", action: "Allow", direction: direction,
                    localAddresses: "192.168.100.0/24,10.0.0.21", remoteAddresses: "192.168.100.0/24,10.0.0.21",
                    localPorts: "80,8080", remotePorts: "80,8080", ruleType: "Switch", priority: 200))
        }
        #expect(
            ModifyRequest.endpointPolicies(.update, [acl("In"), acl("Out")]).json.compact()
                == Fixtures.document("modify-endpoint-apply-acls.json"))
    }

    @Test("zero values write exactly what Go writes for them")
    func zeroValues() {
        #expect(AclPolicySetting(action: "", direction: "").settings.compact() == #"{"Action":"","Direction":""}"#)
        #expect(
            RemoteSubnetRoutePolicySetting(
                destinationPrefix: "", isolationId: 0, providerAddress: "", distributedRouterMacAddress: ""
            ).settings.compact()
                == #"{"DestinationPrefix":"","IsolationId":0,"ProviderAddress":"","DistributedRouterMacAddress":""}"#)
        #expect(L4ProxyPolicySetting(destination: "").settings.compact() == #"{"Destination":""}"#)
        #expect(VsidPolicySetting(isolationId: 0).settings.compact() == #"{"IsolationId":0}"#)
        #expect(EndpointPolicy(type: "", settings: .null).json.compact() == #"{"Type":""}"#)
        #expect(NamespaceResource(type: "", data: .null).json.compact() == #"{"Type":"","Data":null}"#)
        #expect(
            HostComputeNetwork(name: "", type: "", schemaVersion: .zero).json.compact()
                == Fixtures.document("network-zero.json"))
        #expect(
            HostComputeEndpoint(name: "", schemaVersion: .zero).json.compact()
                == Fixtures.document("endpoint-zero.json"))
    }
}

@Suite("HCN documents decode what HNS and other clients send")
struct SchemaDecodingTests {
    @Test("HNS output: lower-case type, NAT without Type, attached namespace, unknown keys")
    func hnsOutput() throws {
        let overlay = try HostComputeNetwork(json: JSON.parse(Fixtures.document("network-hns-output-overlay.json")))
        #expect(overlay.type == "Overlay")
        #expect(overlay.networkType == .overlay)
        let drMac = try overlay.policies(ofType: .drMacAddress).first?.settings(
            as: DrMacAddressNetworkPolicySetting.self)
        #expect(drMac?.address == "00-15-5D-2B-F0-01")
        let pa = try overlay.policies(ofType: .providerAddress).first?.settings(
            as: ProviderAddressNetworkPolicySetting.self)
        #expect(pa?.providerAddress == "10.0.0.4")
        #expect(try overlay.subnets.first?.policies.first?.settings(as: VsidPolicySetting.self)?.isolationId == 4096)
        #expect(overlay.subnets.first?.gateway == "10.244.1.1")
        #expect(overlay.flags & NetworkFlags.enableNonPersistent != 0)

        let nat = try HostComputeNetwork(
            json: JSON.parse(Fixtures.document("network-hns-output-nat-without-type.json")))
        #expect(nat.type == "NAT")

        let endpoint = try HostComputeEndpoint(json: JSON.parse(Fixtures.document("endpoint-hns-output-attached.json")))
        #expect(endpoint.hostComputeNamespace == "E2C6C4A1-3B5D-4F7E-9A1C-2B3D4E5F6A7B")
        #expect(
            endpoint.ipConfigurations
                == [IpConfig(ipAddress: "10.244.1.5", prefixLength: 24)].map {
                    var config = $0
                    config.original = endpoint.ipConfigurations.first?.original
                    return config
                })
        #expect(endpoint.ipConfigurations.first?.prefixLength == 24)
        #expect(endpoint.macAddress == "00-15-5D-CD-BE-47")
        #expect(endpoint.dns?.serverList == ["10.96.0.10"])

        let namespace = try HostComputeNamespace(json: JSON.parse(Fixtures.document("namespace-hns-output.json")))
        #expect(namespace.endpointIDs == ["5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F"])
        #expect(namespace.namespaceId == 7)
    }

    @Test("keys match case-insensitively and enums canonicalise")
    func caseInsensitive() throws {
        let network = try HostComputeNetwork(json: JSON.parse(Fixtures.document("network-psm1-lowercase-keys.json")))
        #expect(network.name == "cbr0")
        #expect(network.type == "L2Bridge")
        #expect(network.schemaVersion == .v2_2)
        #expect(network.policies.first?.type == "NetAdapterName")
        #expect(
            try network.policies.first?.settings(as: NetAdapterNamePolicySetting.self)?.networkAdapterName
                == "Ethernet 2")
        #expect(network.subnets.first?.gateway == "10.244.1.1")
    }

    @Test("integer enums are read as their names")
    func integerEnums() throws {
        let request = try ModifyRequest(
            json: JSON.parse(Fixtures.document("modify-namespace-integer-request-type.json")))
        #expect(request.requestType == "Add")
        #expect(request.endpointID == "ENDPOINT-GUID")
        let policy = try EndpointPolicy(json: ["Type": 4, "Settings": ["Exceptions": ["10.0.0.0/8"]]])
        #expect(policy.type == "OutBoundNAT")
        #expect(policy.json.compact() == #"{"Type":4,"Settings":{"Exceptions":["10.0.0.0/8"]}}"#)
        let network = try HostComputeNetwork(json: ["Name": "n", "Type": 0])
        #expect(network.type == "NAT")
    }

    @Test("empty objects read as unset; editing a decoded value changes only what was edited")
    func emptyObjectsAndEdits() throws {
        var endpoint = try HostComputeEndpoint(json: JSON.parse(Fixtures.document("endpoint-hcsshim-test.json")))
        #expect(endpoint.dns == nil)
        endpoint.id = "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F"
        endpoint.dns = Dns(serverList: ["10.96.0.10"])
        #expect(
            endpoint.json.compact()
                == #"{"Name":"GoTestNatEndpoint","HostComputeNetwork":"NETWORK-GUID","Dns":{"ServerList":["10.96.0.10"]},"Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0},"ID":"5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F"}"#
        )
        endpoint.dns = nil
        #expect(endpoint.json["Dns"] == .object(JSONObject()))
    }

    @Test("v1 spellings in v2 settings: ExceptionList, protocol names")
    func legacySpellings() throws {
        let nat = try OutBoundNatPolicySetting(settings: ["ExceptionList": ["10.244.0.0/16"]])
        #expect(nat.exceptions == ["10.244.0.0/16"])
        #expect(nat.settings.compact() == #"{"ExceptionList":["10.244.0.0/16"]}"#)
        let mapping = try PortMappingPolicySetting(settings: [
            "Protocol": "TCP", "InternalPort": 80, "ExternalPort": 8080,
        ])
        #expect(mapping.protocolNumber == 6)
        #expect(
            PortMappingPolicySetting(protocolNumber: 6, internalPort: 80, externalPort: 8080).settings.compact()
                == #"{"Protocol":6,"InternalPort":80,"ExternalPort":8080}"#)
    }

    @Test("a Filter sent as an object is read as its JSON text and kept as sent")
    func filterObject() throws {
        let query = try HostComputeQuery(json: ["Filter": ["VirtualNetwork": "abc"]])
        #expect(query.filter == #"{"VirtualNetwork":"abc"}"#)
        #expect(query.filterObject?["VirtualNetwork"] == "abc")
        #expect(query.schemaVersion == .zero)
        #expect(query.json.compact() == #"{"Filter":{"VirtualNetwork":"abc"}}"#)
    }

    @Test("wrong types are reported with their JSON path")
    func errorsHavePaths() {
        #expect(
            throws: HCNDecodingError(
                path: "Ipams[0].Subnets[0].Routes[0].Metric", message: "70000 is out of range, expected 0 to 65535")
        ) {
            _ = try HostComputeNetwork(json: [
                "Name": "x", "Ipams": [["Subnets": [["Routes": [["Metric": 70000]]]]]],
            ])
        }
        #expect(throws: HCNDecodingError.self) { _ = try HostComputeEndpoint(json: ["Name": 5]) }
        #expect(throws: HCNDecodingError.self) { _ = try HostComputeNamespace(json: "text") }
    }
}
