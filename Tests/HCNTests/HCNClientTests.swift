import HCN
import JSON
import Testing

/// A small in-memory HNS for the client's sequencing: objects by ID, Filter matching on v1 keys, HNS's
/// not-found codes. (The real simulator lives in HNSSimulator.)
final class InMemoryHNS: HostNetworkService {
    var objects: [HCNResourceKind: [(id: GUID, document: JSONObject)]] = [:]
    var version: (Int, Int)? = (15, 4)
    /// IDs that enumerate but are gone when opened (deleted concurrently).
    var vanished: Set<GUID> = []
    private var counter: UInt8 = 0
    private var handles: [UnsafeMutableRawPointer: (kind: HCNResourceKind, id: GUID)] = [:]
    private var nextHandle = 0x100

    @discardableResult
    func add(_ kind: HCNResourceKind, _ document: JSON) -> GUID {
        counter += 1
        let id = GUID(bytes: [0xAA, counter] + [UInt8](repeating: 0, count: 13) + [counter])
        var object = document.objectValue ?? JSONObject()
        object["ID"] = .string("\(id)".lowercased())
        objects[kind, default: []].append((id, object))
        return id
    }

    func document(_ kind: HCNResourceKind, _ id: GUID) -> JSONObject? {
        objects[kind]?.first { $0.id == id }?.document
    }

    private func notFound(_ kind: HCNResourceKind, _ operation: String) -> HCNError {
        switch kind {
        case .network: return HCNError(operation: operation, code: HCNErrorCatalog.networkNotFound)
        case .endpoint: return HCNError(operation: operation, code: HCNErrorCatalog.endpointNotFound)
        case .namespace: return HCNError(operation: operation, code: HCNErrorCatalog.elementNotFound)
        }
    }

    func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        let filter = (try? HostComputeQuery(json: JSON.parse(query)))?.filterObject ?? JSONObject()
        let matching = (objects[kind] ?? []).filter { entry in
            filter.allSatisfy { key, value in
                let field = key == "VirtualNetwork" ? "HostComputeNetwork" : key
                guard let wanted = value.stringValue, let actual = entry.document.value(goKey: field)?.stringValue
                else { return false }
                return wanted.lowercased() == actual.lowercased()
            }
        }
        return JSON.array(matching.map { .string("\($0.id)".lowercased()) }).compact()
    }

    func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError) -> HCNHandle
    {
        guard let document = try? JSON.parse(settings) else {
            throw HCNError(operation: "HcnCreate\(kind.rawValue)", code: HCNErrorCatalog.invalidJSON)
        }
        return makeHandle(kind, add(kind, document))
    }

    private func makeHandle(_ kind: HCNResourceKind, _ id: GUID) -> HCNHandle {
        nextHandle += 1
        let raw = UnsafeMutableRawPointer(bitPattern: nextHandle).unsafelyUnwrapped
        handles[raw] = (kind, id)
        return HCNHandle(kind: kind, raw: raw)
    }

    func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        guard document(kind, id) != nil, !vanished.contains(id) else { throw notFound(kind, "HcnOpen\(kind.rawValue)") }
        return makeHandle(kind, id)
    }

    func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        guard let (kind, id) = handles[handle.raw], let document = document(kind, id) else {
            throw notFound(handle.kind, "HcnQuery\(handle.kind.rawValue)Properties")
        }
        return JSON.object(document).compact()
    }

    func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        guard let (kind, id) = handles[handle.raw], kind == .namespace,
            let request = try? ModifyRequest(json: JSON.parse(settings)), let endpoint = request.endpointID,
            let index = objects[.namespace]?.firstIndex(where: { $0.id == id })
        else { throw HCNError(operation: "HcnModify\(handle.kind.rawValue)", code: HRESULT(0x803B_0015)) }
        var namespace =
            (try? HostComputeNamespace(json: .object(objects[.namespace]?[index].document ?? [:])))
            ?? HostComputeNamespace()
        if request.requestType == "Add" {
            namespace.resources.append(.endpoint(endpoint))
        } else {
            namespace.resources.removeAll { $0.endpointID == endpoint }
        }
        objects[.namespace]?[index].document = namespace.json.objectValue ?? [:]
    }

    func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        guard let index = objects[kind]?.firstIndex(where: { $0.id == id }) else {
            throw notFound(kind, "HcnDelete\(kind.rawValue)")
        }
        objects[kind]?.remove(at: index)
    }

    func close(_ handle: HCNHandle) { handles[handle.raw] = nil }

    func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        guard let (major, minor) = version else { return #"{"Success":false,"Error":"Element not found. "}"# }
        return #"{"Success":true,"Output":{"Major":\#(major),"Minor":\#(minor)}}"#
    }

    var openHandles: Int { handles.count }
}

@Suite("HCN client")
struct HCNClientTests {
    let hns = InMemoryHNS()

    @Test("lookups of absent objects return nil")
    func absentLookups() throws {
        let client = HCNClient(service: hns)
        #expect(try client.network(named: "cbr0") == nil)
        #expect(try client.network(id: "9d7c5a4e-2f3b-4c1d-8e6f-0a1b2c3d4e5f") == nil)
        #expect(try client.endpoint(named: "abc_cbr0") == nil)
        #expect(try client.endpoint(id: "not-a-guid") == nil)
        #expect(try client.namespace(id: "e2c6c4a1-3b5d-4f7e-9a1c-2b3d4e5f6a7b") == nil)
        #expect(try client.networks().isEmpty)
    }

    @Test("network by name and by ID")
    func networkLookups() throws {
        let id = hns.add(.network, try JSON.parse(Fixtures.document("network-hcsshim-l2bridge.json")))
        hns.add(.network, try JSON.parse(Fixtures.document("network-hcsshim-nat.json")))
        let client = HCNClient(service: hns)
        let byName = try #require(try client.network(named: "GoTestL2Bridge"))
        #expect(byName.type == "L2Bridge")
        #expect(GUID(byName.id) == id)
        #expect(try client.network(id: "\(id)")?.name == "GoTestL2Bridge")
        #expect(try client.networks().map(\.name) == ["GoTestL2Bridge", "GoTestNat"])
        #expect(hns.openHandles == 0)
    }

    @Test("creating an endpoint opens the network, creates with a zero GUID, queries and closes both")
    func createEndpointSequence() throws {
        let networkID = hns.add(.network, try JSON.parse(Fixtures.document("network-hcsshim-l2bridge.json")))
        let recorder = RecordingHostNetworkService(forwardingTo: hns)
        let client = HCNClient(service: recorder)
        let endpoint = HostComputeEndpoint(
            name: "abc_cbr0", policies: [.outBoundNAT(OutBoundNatPolicySetting(exceptions: ["10.244.0.0/16"]))],
            ipConfigurations: [IpConfig(ipAddress: "192.168.100.5")])
        let created = try client.createEndpoint(endpoint, networkID: "\(networkID)".lowercased())
        #expect(created.hostComputeNetwork == "\(networkID)".lowercased())
        #expect(created.ipConfigurations.first?.ipAddress == "192.168.100.5")
        let sent =
            #"{"Name":"abc_cbr0","HostComputeNetwork":"\#("\(networkID)".lowercased())","Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16"]}}],"IpConfigurations":[{"IpAddress":"192.168.100.5"}],"Dns":{},"Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0}}"#
        #expect(
            recorder.lines == [
                "HcnOpenNetwork \(networkID) -> #1",
                "HcnCreateEndpoint #1 00000000-0000-0000-0000-000000000000 \(sent) -> #2",
                #"HcnQueryEndpointProperties #2 {"SchemaVersion":{"Major":2,"Minor":0}}"#,
                "HcnCloseEndpoint #2",
                "HcnCloseNetwork #1",
            ])
        #expect(hns.openHandles == 0)
        #expect(try client.endpoints(networkID: "\(networkID)").map(\.name) == ["abc_cbr0"])
        #expect(try client.endpoints(networkID: "00000000-0000-0000-0000-000000000001").isEmpty)
    }

    @Test("endpoints of a network filter on VirtualNetwork")
    func endpointsFilter() throws {
        let recorder = RecordingHostNetworkService(forwardingTo: hns)
        _ = try HCNClient(service: recorder).endpoints(networkID: "NETWORK-GUID")
        #expect(
            recorder.transcript == "HcnEnumerateEndpoints \(Fixtures.document("query-endpoints-of-network.json"))\n")
    }

    @Test("attaching and detaching an endpoint modifies the namespace with hcsshim's request")
    func namespaceMembership() throws {
        let client = HCNClient(service: hns)
        let namespace = try client.createNamespace(HostComputeNamespace(type: "Host"))
        let recorder = RecordingHostNetworkService(forwardingTo: hns)
        let recordingClient = HCNClient(service: recorder)
        try recordingClient.addEndpoint("ENDPOINT-GUID", toNamespace: namespace.id)
        #expect(
            recorder.lines[1]
                == "HcnModifyNamespace #1 \(Fixtures.document("modify-namespace-add-endpoint.json"))")
        #expect(recorder.lines.first?.hasPrefix("HcnOpenNamespace ") == true)
        #expect(try client.namespace(id: namespace.id)?.endpointIDs == ["ENDPOINT-GUID"])
        try recordingClient.removeEndpoint("ENDPOINT-GUID", fromNamespace: namespace.id)
        #expect(
            recorder.lines.contains(
                "HcnModifyNamespace #2 \(Fixtures.document("modify-namespace-remove-endpoint.json"))"))
        #expect(try client.namespace(id: namespace.id)?.endpointIDs == [])
        #expect(try client.namespaces().count == 1)
        try client.deleteNamespace(id: namespace.id)
        #expect(try client.namespaces().isEmpty)
    }

    @Test("deleting an absent object reports not-found; a bad ID is a GUID conversion failure")
    func deleteErrors() throws {
        let client = HCNClient(service: hns)
        let missing = try #require(throws: HCNError.self) {
            try client.deleteEndpoint(id: "5e6298c2-7a1b-4c3d-8e9f-0a1b2c3d4e5f")
        }
        #expect(missing.isNotFound)
        let malformed = try #require(throws: HCNError.self) { try client.deleteNetwork(id: "cbr0") }
        #expect(malformed.name == "HCN_E_GUID_CONVERSION_FAILURE")
        #expect(malformed.operation == "HcnDeleteNetwork")
        #expect(!malformed.isNotFound)
    }

    @Test("an object deleted between Enumerate and Open is skipped")
    func vanishedObjects() throws {
        let gone = hns.add(.endpoint, ["Name": "a"])
        hns.add(.endpoint, ["Name": "b"])
        hns.vanished = [gone]
        #expect(try HCNClient(service: hns).endpoints(networkID: nil).map(\.name) == ["b"])
    }

    @Test(
        "HNS version and DSR support",
        arguments: [
            ((9, 2), false), ((9, 3), true), ((9, 9), true), ((10, 1), false), ((10, 2), true), ((15, 4), true),
        ])
    func dsrSupport(version: (Int, Int), supported: Bool) throws {
        hns.version = version
        let client = HCNClient(service: hns)
        #expect(try client.hnsVersion() == version)
        #expect(try client.supports(.dsr) == supported)
    }

    @Test("without a version answer (before 1803) no feature is supported; hnsVersion reports HNS's error")
    func noVersion() throws {
        hns.version = nil
        let client = HCNClient(service: hns)
        #expect(try client.supports(.hostRoute) == false)
        let error = try #require(throws: HCNError.self) { _ = try client.hnsVersion() }
        #expect(error.message == "HNS failed with error : Element not found.")
    }
}

@Suite("HNS features and errors")
struct HNSFeatureAndErrorTests {
    @Test(
        "feature thresholds follow hcsshim",
        arguments: [
            (HNSFeature.remoteSubnet, (9, 1), false), (.remoteSubnet, (9, 2), true), (.hostRoute, (9, 2), true),
            (.apiV2, (9, 1), false), (.vxlanPort, (10, 3), true), (.vxlanPort, (10, 2), false),
            (.l4Proxy, (10, 6), true), (.l4Proxy, (11, 10), false), (.l4Proxy, (13, 0), false),
            (.l4Proxy, (13, 1), true),
            (.ipv6DualStack, (11, 10), true), (.slash32EndpointPrefixes, (10, 3), false),
            (.disableHostPort, (15, 1), true), (.modifyLoadBalancer, (15, 3), false), (.tierAcl, (14, 0), true),
        ])
    func thresholds(feature: HNSFeature, version: (Int, Int), supported: Bool) {
        #expect(feature.isSupported(byHNSVersion: version) == supported)
    }

    @Test("the catalog names codes and writes HNS's error records")
    func catalog() {
        #expect(HCNErrorCatalog.name(of: HRESULT(0x803B_0010)) == "HCN_E_NETWORK_ALREADY_EXISTS")
        #expect(HCNErrorCatalog.message(of: HRESULT(0x803B_0013)) == "The specified port already exists.")
        #expect(HCNErrorCatalog.name(of: HRESULT(0x803B_0037)) == "HCN_E_VFP_NOT_ALLOWED")
        #expect(HCNErrorCatalog.name(of: HRESULT(0x1234_5678)) == nil)
        #expect(
            HCNErrorCatalog.errorRecord(code: HRESULT(0x803B_002F))
                == #"{"Success":false,"Error":"An address provided is invalid or reserved. ","ErrorCode":2151350319}"#)
        #expect(Set(HCNErrorCatalog.entries.map(\.code)).count == HCNErrorCatalog.entries.count)
    }

    @Test("isNotFound covers the not-found codes only")
    func notFound() {
        for code: UInt32 in [0x803B_0001, 0x803B_0002, 0x8007_0490] {
            #expect(HCNError(operation: "x", code: HRESULT(code)).isNotFound)
        }
        for code: UInt32 in [0x803B_0010, 0x8007_0057, 0x803B_0005] {
            #expect(!HCNError(operation: "x", code: HRESULT(code)).isNotFound)
        }
    }
}

@Suite("HCN validation")
struct HCNValidationTests {
    @Test(
        "the hcsshim fixtures are valid networks",
        arguments: [
            "network-hcsshim-nat", "network-hcsshim-overlay", "network-hcsshim-l2bridge", "network-flannel-vxlan",
            "network-hns-output-overlay", "network-psm1-lowercase-keys",
        ])
    func validNetworks(name: String) throws {
        try HostComputeNetwork(json: JSON.parse(Fixtures.document(name + ".json"))).validate()
    }

    @Test("hcsshim's negative fixtures fail with its wording")
    func hcsshimNegatives() {
        let noDefault = HostComputeNetwork(
            name: "GoTestNat", type: "NAT",
            ipams: [
                Ipam(subnets: [
                    Subnet(
                        ipAddressPrefix: "192.168.100.0/24",
                        routes: [Route(nextHop: "192.168.100.1", destinationPrefix: "1.1.1.1/0")])
                ])
            ])
        #expect(
            throws: HCNDecodingError(
                path: "Ipams[0].Subnets[0].Routes", message: "network create error, no default gateway")
        ) {
            try noDefault.validate()
        }
        let noGateway = HostComputeNetwork(
            name: "GoTestNat", type: "NAT",
            ipams: [
                Ipam(subnets: [
                    Subnet(ipAddressPrefix: "192.168.100.0/24", routes: [Route(nextHop: "", destinationPrefix: "")])
                ])
            ])
        #expect(throws: HCNDecodingError.self) { try noGateway.validate() }
        let hns = InMemoryHNS()
        let error = #expect(throws: HCNError.self) { _ = try HCNClient(service: hns).createNetwork(noDefault) }
        #expect(error?.name == "E_INVALIDARG")
        #expect(error?.message.contains("no default gateway") == true)
        #expect(hns.objects[.network] == nil)
    }

    @Test(
        "bad values are named with their path",
        arguments: [
            (#"{"Name":"n","Type":"Bridge"}"#, "Type"),
            (
                #"{"Name":"n","Type":"Overlay","Ipams":[{"Subnets":[{"IpAddressPrefix":"10.0.0.0/33"}]}]}"#,
                "Ipams[0].Subnets[0].IpAddressPrefix"
            ),
            (
                #"{"Name":"n","Type":"Overlay","Ipams":[{"Subnets":[{"IpAddressPrefix":"10.0.0.0/24","Routes":[{"NextHop":"10.0.0.1","DestinationPrefix":"0.0.0.0/0"}],"Policies":[{"Type":"VSID","Settings":{"IsolationId":256}}]}]}]}"#,
                "Ipams[0].Subnets[0].Policies[0].Settings.IsolationId"
            ),
        ])
    func badNetworks(document: String, path: String) throws {
        let network = try HostComputeNetwork(json: JSON.parse(document))
        let error = #expect(throws: HCNDecodingError.self) { try network.validate() }
        #expect(error?.path == path)
    }

    @Test("endpoints: addresses, MAC and DNS servers")
    func endpoints() throws {
        try HostComputeEndpoint(json: JSON.parse(Fixtures.document("endpoint-hns-output-attached.json"))).validate()
        var endpoint = HostComputeEndpoint(
            name: "e", ipConfigurations: [IpConfig(ipAddress: "10.244.1.5", prefixLength: 24)],
            macAddress: "0E-2A-0a-f4-01-05")
        try endpoint.validate()
        endpoint.ipConfigurations[0].prefixLength = 33
        #expect(throws: HCNDecodingError.self) { try endpoint.validate() }
        endpoint.ipConfigurations[0] = IpConfig(ipAddress: "10.244.1.500")
        #expect(throws: HCNDecodingError.self) { try endpoint.validate() }
        endpoint.ipConfigurations = []
        endpoint.macAddress = "0E-2A"
        #expect(throws: HCNDecodingError(path: "MacAddress", message: #""0E-2A" is not a MAC address"#)) {
            try endpoint.validate()
        }
    }
}

@Suite("Recording service")
struct RecordingServiceTests {
    @Test("failures are recorded with the HCN_E_* name; IDs can be rewritten for stable goldens")
    func failuresAndRewrites() throws {
        let hns = InMemoryHNS()
        let recorder = RecordingHostNetworkService(forwardingTo: hns) { id in id.isZero ? "ZERO" : "ID" }
        #expect(throws: HCNError.self) { try recorder.delete(.endpoint, id: GUID(bytes: Array(1...16))) }
        #expect(throws: HCNError.self) { _ = try recorder.open(.network, id: GUID(bytes: Array(1...16))) }
        let namespace = try recorder.create(.namespace, id: .zero, settings: "{}", network: nil)
        recorder.close(namespace)
        _ = try recorder.hnsCall(method: "GET", path: "/globals/version", request: "")
        #expect(
            recorder.transcript == """
                HcnDeleteEndpoint ID -> error HCN_E_ENDPOINT_NOT_FOUND
                HcnOpenNetwork ID -> error HCN_E_NETWORK_NOT_FOUND
                HcnCreateNamespace ZERO {} -> #1
                HcnCloseNamespace #1
                HNSCall GET /globals/version

                """)
        recorder.reset()
        #expect(recorder.transcript.isEmpty)
    }

    @Test("error records with a negative ErrorCode or none at all")
    func errorRecordVariants() {
        let negative = HCNError.fromErrorRecord(
            operation: "HcnCreateEndpoint", result: nil,
            record: #"{"Success":false,"Error":"The specified port already exists. ","ErrorCode":-2143617005}"#)
        #expect(negative.name == "HCN_E_PORT_ALREADY_EXISTS")
        #expect(negative.message == "The specified port already exists.")
        let bare = HCNError.fromErrorRecord(operation: "HcnCreateEndpoint", result: nil, record: #"{"Error":""}"#)
        #expect(bare.code == HRESULT(0x8000_4005))
        #expect(bare.message == "Unspecified error.")
    }
}
