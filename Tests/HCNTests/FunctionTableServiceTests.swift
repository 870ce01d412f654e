import HCN
import JSON
import Testing

private let endpointGUID = GUID("5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F") ?? .zero
private let networkGUID = GUID("9D7C5A4E-2F3B-4C1D-8E6F-0A1B2C3D4E5F") ?? .zero
private let namespaceGUID = GUID("E2C6C4A1-3B5D-4F7E-9A1C-2B3D4E5F6A7B") ?? .zero
private let addressReservedRecord =
    #"{"Success":false,"Error":"An address provided is invalid or reserved. ","ErrorCode":2151350319}"#

/// The fake table is global state, so these tests run one at a time.
@Suite("HCN function table marshalling", .serialized)
struct FunctionTableServiceTests {
    let service = HCNFunctionTableService(table: fakeHCNTable)

    init() { fakeHCN.reset() }

    @Test("query strings reach HNS as UTF-16, answers come back decoded and are freed once")
    func utf16BothWays() throws {
        let query = #"{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\"Name\":\"réseau-🙂\"}"}"#
        fakeHCN.outputs["HcnEnumerateNetworks"] = #"["9d7c5a4e-2f3b-4c1d-8e6f-0a1b2c3d4e5f","名前"]"#
        let answer = try service.enumerate(.network, query: query)
        #expect(answer == #"["9d7c5a4e-2f3b-4c1d-8e6f-0a1b2c3d4e5f","名前"]"#)
        #expect(fakeHCN.calls == [FakeHCN.Call(function: "HcnEnumerateNetworks", strings: [query])])
        #expect(fakeHCN.allocationCount == 1)
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
        #expect(fakeHCN.unknownFrees.isEmpty)
    }

    @Test("each kind calls its own function", arguments: HCNResourceKind.allCases)
    func rightFunctionPerKind(kind: HCNResourceKind) throws {
        fakeHCN.outputs["HcnQuery\(kind.rawValue)Properties"] = "{}"
        _ = try service.enumerate(kind, query: "{}")
        let handle = try service.open(kind, id: endpointGUID)
        _ = try service.queryProperties(handle, query: "{}")
        try service.modify(handle, settings: "{}")
        service.close(handle)
        try service.delete(kind, id: endpointGUID)
        let name = kind.rawValue
        #expect(
            fakeHCN.calls.map(\.function) == [
                "HcnEnumerate\(name)s", "HcnOpen\(name)", "HcnQuery\(name)Properties", "HcnModify\(name)",
                "HcnClose\(name)", "HcnDelete\(name)",
            ])
        #expect(fakeHCN.closed.map(\.handle) == [UInt(bitPattern: handle.raw)])
        #expect(fakeHCN.calls.allSatisfy { $0.handle == nil || $0.handle == UInt(bitPattern: handle.raw) })
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("GUIDs cross as the C struct: Data1-3 little-endian, Data4 as is")
    func guidLayout() throws {
        let handle = try service.open(.endpoint, id: endpointGUID)
        service.close(handle)
        let call = try #require(fakeHCN.calls.first)
        #expect(call.id == endpointGUID)
        #expect(
            call.idBytes == [
                0xC2, 0x98, 0x62, 0x5E, 0x1B, 0x7A, 0x3D, 0x4C, 0x8E, 0x9F, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F,
            ])
        try service.delete(.network, id: networkGUID)
        #expect(fakeHCN.calls.last?.id == networkGUID)
    }

    @Test("CreateEndpoint gets the open network handle, a zero GUID and the settings")
    func createEndpointArguments() throws {
        let network = try service.open(.network, id: networkGUID)
        let endpoint = try service.create(.endpoint, id: .zero, settings: #"{"Name":"é"}"#, network: network)
        service.close(endpoint)
        service.close(network)
        let create = try #require(fakeHCN.calls.first { $0.function == "HcnCreateEndpoint" })
        #expect(create.handle == UInt(bitPattern: network.raw))
        #expect(create.id == .zero)
        #expect(create.idBytes == [UInt8](repeating: 0, count: 16))
        #expect(create.strings == [#"{"Name":"é"}"#])
        #expect(endpoint.kind == .endpoint)
        #expect(fakeHCN.closed.map(\.function) == ["HcnCloseEndpoint", "HcnCloseNetwork"])
    }

    @Test("a non-empty error record with S_OK is a failure, decoded into HCNError")
    func errorRecordWithSuccess() throws {
        fakeHCN.errorRecords["HcnCreateNetwork"] = addressReservedRecord
        let error = try #require(throws: HCNError.self) {
            _ = try service.create(.network, id: .zero, settings: "{}", network: nil)
        }
        #expect(error.operation == "HcnCreateNetwork")
        #expect(error.code == HRESULT(0x803B_002F))
        #expect(error.name == "HCN_E_ADDR_INVALID_OR_RESERVED")
        #expect(error.message == "An address provided is invalid or reserved.")
        #expect(error.errorRecord == addressReservedRecord)
        #expect(
            error.description
                == "HcnCreateNetwork failed: An address provided is invalid or reserved. (HCN_E_ADDR_INVALID_OR_RESERVED, 0x803b002f)"
        )
        // The handle HNS returned alongside the error is closed, and the record freed.
        #expect(fakeHCN.closed.count == 1)
        #expect(fakeHCN.allocationCount == 1)
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("a failed HRESULT frees the output and the error record, and keeps HNS's message")
    func failedResultFreesEverything() throws {
        fakeHCN.results["HcnQueryEndpointProperties"] = Int32(bitPattern: 0x803B_0002)
        fakeHCN.outputs["HcnQueryEndpointProperties"] = "{}"
        fakeHCN.errorRecords["HcnQueryEndpointProperties"] =
            #"{"Success":false,"Error":"The endpoint was not found. ","ErrorCode":2151350274}"#
        let handle = try service.open(.endpoint, id: endpointGUID)
        let error = try #require(throws: HCNError.self) { _ = try service.queryProperties(handle, query: "{}") }
        service.close(handle)
        #expect(error.name == "HCN_E_ENDPOINT_NOT_FOUND")
        #expect(error.message == "The endpoint was not found.")
        #expect(error.isNotFound)
        #expect(fakeHCN.allocationCount == 2)
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("a failed HRESULT without a record uses the catalog's message")
    func failedResultWithoutRecord() throws {
        fakeHCN.results["HcnOpenNamespace"] = Int32(bitPattern: 0x8007_0490)
        fakeHCN.withoutHandle = ["HcnOpenNamespace"]
        let error = try #require(throws: HCNError.self) { _ = try service.open(.namespace, id: namespaceGUID) }
        #expect(error.operation == "HcnOpenNamespace")
        #expect(error.code == HRESULT(0x8007_0490))
        #expect(error.name == "ERROR_NOT_FOUND")
        #expect(error.message == "Element not found.")
        #expect(error.errorRecord == nil)
        #expect(error.isNotFound)
        #expect(fakeHCN.closed.isEmpty)
    }

    @Test("an error record that is not JSON is still an error, with its text as the message")
    func garbledRecord() throws {
        fakeHCN.errorRecords["HcnDeleteEndpoint"] = "something broke \n"
        let error = try #require(throws: HCNError.self) { try service.delete(.endpoint, id: endpointGUID) }
        #expect(error.code == HRESULT(0x8000_4005))
        #expect(error.message == "something broke")
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("an empty error record is success")
    func emptyRecord() throws {
        fakeHCN.errorRecords["HcnModifyNamespace"] = ""
        let handle = try service.open(.namespace, id: namespaceGUID)
        try service.modify(handle, settings: "{}")
        service.close(handle)
        #expect(fakeHCN.allocationCount == 1)
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("success without a handle is an error, not a crash")
    func missingHandle() throws {
        fakeHCN.withoutHandle = ["HcnOpenNetwork"]
        let error = try #require(throws: HCNError.self) { _ = try service.open(.network, id: networkGUID) }
        #expect(error.code == HRESULT(0x8000_4003))
    }

    @Test("HNSCall passes method, path and request, and frees the response")
    func hnsCallMarshalling() throws {
        fakeHCN.outputs["HNSCall"] = #"{"Success":true,"Output":{"Major":15,"Minor":4}}"#
        let response = try service.hnsCall(method: "GET", path: "/globals/version", request: "")
        #expect(response == #"{"Success":true,"Output":{"Major":15,"Minor":4}}"#)
        #expect(fakeHCN.calls == [FakeHCN.Call(function: "HNSCall", strings: ["GET", "/globals/version", ""])])
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)

        fakeHCN.results["HNSCall"] = Int32(bitPattern: 0x8007_0057)
        let error = try #require(throws: HCNError.self) {
            _ = try service.hnsCall(method: "GET", path: "/globals/version", request: "")
        }
        #expect(error.operation == "HNSCall")
        #expect(error.name == "E_INVALIDARG")
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
    }

    @Test("the client over the function table: lookup by name is Enumerate → Open → Query → Close")
    func clientLookupSequence() throws {
        fakeHCN.outputs["HcnEnumerateNetworks"] = #"["9d7c5a4e-2f3b-4c1d-8e6f-0a1b2c3d4e5f"]"#
        fakeHCN.outputs["HcnQueryNetworkProperties"] = Fixtures.document("network-hns-output-overlay.json")
        let recorder = RecordingHostNetworkService(forwardingTo: service)
        let client = HCNClient(service: recorder)
        let network = try #require(try client.network(named: "flannel.4096"))
        #expect(network.type == "Overlay")
        #expect(network.id == "9d7c5a4e-2f3b-4c1d-8e6f-0a1b2c3d4e5f")
        let query = #"{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\"Name\":\"flannel.4096\"}"}"#
        #expect(
            recorder.lines == [
                "HcnEnumerateNetworks \(query)",
                "HcnOpenNetwork 9D7C5A4E-2F3B-4C1D-8E6F-0A1B2C3D4E5F -> #1",
                "HcnQueryNetworkProperties #1 \(query)",
                "HcnCloseNetwork #1",
            ])
        #expect(fakeHCN.leakedOrDoubleFreed.isEmpty)
        #expect(fakeHCN.allocationCount == 2)
    }
}
