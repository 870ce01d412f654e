import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

/// What one process remembers of the shared state directory (the fault flag, the last documents and queries) never
/// hides a change another process or another simulator on the same directory makes.
@Suite("HNS simulator: shared state between simulators and processes")
struct SharedStateTests {
    private func flag(_ node: SimulatedNode) throws -> String {
        try String(contentsOfFile: node.directory + "/faults.flag", encoding: .utf8)
    }

    @Test("a fault planted through another simulator on the directory hits the next call; using it clears the flag")
    func faultFromAnotherSimulator() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        #expect(try flag(node) == "0")
        // Planted between two calls of the service's simulator, through a second one (as a test or hnsctl does).
        try node.simulator().addFault(SimulatorFault(op: "OpenNetwork", kind: .hresult(HRESULT(0x803B_0020))))
        #expect(try flag(node) == "1")
        expectHCNError(0x803B_0020) { () throws(HCNError) in try node.createEndpoint(network: network) }
        #expect(try flag(node) == "0")
        #expect(!FileManager.default.fileExists(atPath: node.directory + "/faults.json"))
        try node.createEndpoint(network: network)
    }

    @Test("clearing faults clears the flag; a flag left set without faults (a writer that died) is harmless")
    func clearedAndStaleFlag() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.simulator().addFault(SimulatorFault(op: "CreateEndpoint", kind: .hresult(HRESULT(0x803B_0020))))
        try node.simulator().clearFaults()
        #expect(try flag(node) == "0")
        try node.createEndpoint(network: network, name: "a")
        try "1".write(toFile: node.directory + "/faults.flag", atomically: false, encoding: .utf8)
        try node.createEndpoint(network: network, name: "b")
        #expect(try flag(node) == "0")
    }

    @Test("a fault planted by hnsctl in another process hits a simulator that was already open")
    func faultFromAnotherProcess() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let planted = try hnsctl(node.directory, "fault", "add", "--op", "HcnOpenNetwork", "--hresult", "0x803B0020")
        #expect(planted.status == 0, "\(planted.stderr)")
        expectHCNError(0x803B_0020) { () throws(HCNError) in try node.createEndpoint(network: network) }
        try node.createEndpoint(network: network)
    }

    @Test("a directory whose faults were planted by a version without the flag still fires them")
    func directoryWithoutFlag() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.simulator().addFault(SimulatorFault(op: "OpenNetwork", kind: .hresult(HRESULT(0x803B_0020))))
        try FileManager.default.removeItem(atPath: node.directory + "/faults.flag")
        let service = try HNSSimulator.functionTableService(directory: node.directory)
        do {
            _ = try service.open(.network, id: guid(network))
            Issue.record("the fault did not fire")
        } catch {
            #expect(error.code == HRESULT(0x803B_0020))
        }
        #expect(try flag(node) == "0")
    }

    @Test("a flag file cut to nothing is made again, and faults still fire")
    func emptyFlagFile() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        _ = FileManager.default.createFile(atPath: node.directory + "/faults.flag", contents: Data())
        let service = try HNSSimulator.functionTableService(directory: node.directory)
        #expect(try flag(node) == "0")
        try node.simulator().addFault(SimulatorFault(op: "OpenNetwork", kind: .hresult(HRESULT(0x803B_0020))))
        do {
            _ = try service.open(.network, id: guid(network))
            Issue.record("the fault did not fire")
        } catch {
            #expect(error.code == HRESULT(0x803B_0020))
        }
    }

    @Test("a freed MAC is the next one given, also from a hint file an earlier version wrote")
    func macHint() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let first = try node.createEndpoint(network: network, name: "a")
        let second = try node.createEndpoint(network: network, name: "b")
        let hintPath = node.directory + "/claims/\(guid(network))/mac-hint"
        let third = try node.createEndpoint(network: network, name: "c")
        try node.service.delete(.endpoint, id: guid(second))
        #expect(try node.createEndpoint(network: network, name: "d")["MacAddress"] == second["MacAddress"])
        // An earlier version wrote the hint without leading zeros; it reads the same and is overwritten whole.
        let value = try #require(
            third["MacAddress"]?.stringValue.map { $0.replacingOccurrences(of: "-", with: "") }
                .flatMap { UInt64($0, radix: 16) })
        try String(value + 1, radix: 16).write(toFile: hintPath, atomically: true, encoding: .utf8)
        let fifth = try node.createEndpoint(network: network, name: "e")
        #expect(fifth["MacAddress"] != first["MacAddress"] && fifth["MacAddress"] != third["MacAddress"])
        let hint = try String(contentsOfFile: hintPath, encoding: .utf8)
        #expect(hint.count == 12 && UInt64(hint, radix: 16) == value + 2)
    }

    @Test("a change through another simulator is seen: the remembered document is the file's, by content")
    func changeFromAnotherSimulator() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let first = try node.createNamespace()
        let second = try node.createNamespace()
        try node.modifyNamespace(first, "Add", endpoint: endpoint)
        // Another simulator (another process, as far as the state is concerned) detaches it.
        let other = SimulatedNodeView(
            directory: node.directory,
            service: try HNSSimulator.functionTableService(
                directory: node.directory))
        try other.modifyNamespace(first, "Remove", endpoint: endpoint)
        // The first service attaches it elsewhere: it must not go by the document it wrote itself.
        try node.modifyNamespace(second, "Add", endpoint: endpoint)
        #expect(
            try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"]?.stringValue
                == guid(second)
                .description)
    }

    @Test("attaching and detaching edit the file into exactly the compact document, member order kept")
    func namespaceEditsAreCompact() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        // A policy whose settings repeat the network's member: the edit cannot tell the two apart and serialises.
        let tricky = try node.createEndpoint(
            network: network, name: "tricky",
            policies: #"[{"Type":"L2Driver","Settings":{"Kind":1,"HostComputeNetwork":"\#(guid(network))"}}]"#)
        let plain = try node.createEndpoint(network: network, name: "plain")
        let namespace = try node.createNamespace()
        for endpoint in [plain, tricky] {
            let path = node.directory + "/endpoints/\(guid(endpoint)).json"
            try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
            let attached = try #require(FileManager.default.contents(atPath: path))
            let document = try #require(try JSON.parse(Array(attached)).objectValue)
            #expect(JSON.object(document).compactBytes() == Array(attached))
            let keys = document.keys
            let anchor = try #require(keys.firstIndex(of: "HostComputeNetwork"))
            #expect(keys[anchor + 1] == "HostComputeNamespace")
            #expect(document["HostComputeNamespace"]?.stringValue == guid(namespace).description)
            #expect(try node.document(.endpoint, guid(endpoint)) == document)

            try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
            let detached = try #require(FileManager.default.contents(atPath: path))
            let after = try #require(try JSON.parse(Array(detached)).objectValue)
            #expect(JSON.object(after).compactBytes() == Array(detached))
            #expect(after["HostComputeNamespace"] == nil)
            #expect(after.keys == keys.filter { $0 != "HostComputeNamespace" })
        }
    }

    @Test(
        "filters the fast path does not take (escapes, several keys) find the same objects",
        arguments: [
            #"{"Name":"quote\"d"}"#, #"{"Name":"back\\slash"}"#, #"{"Name":"plain","ID":"x"}"#, #"{"Name":"plain"}"#,
        ])
    func filterShapes(filter: String) throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let name = (try JSON.parse(filter))["Name"]?.stringValue ?? ""
        let endpoint = try node.createEndpoint(network: network, #"{"Name":\#(JSON.string(name).compact())}"#)
        let expected = filter.contains("ID") ? [] : [guid(endpoint).description]
        #expect(try node.enumerate(.endpoint, filter: filter) == expected)
        // The same lookup the way the plugin makes it: enumerate, then query each ID with the same query.
        let query = JSON.object(["SchemaVersion": ["Major": 2, "Minor": 0], "Filter": .string(filter)]).compact()
        for id in try node.enumerate(.endpoint, filter: filter) {
            let handle = try node.service.open(.endpoint, id: try #require(GUID(id)))
            defer { node.service.close(handle) }
            let text = try node.service.queryProperties(handle, query: query)
            #expect((try JSON.parse(text))["Name"]?.stringValue == name)
        }
    }

    @Test("namespace requests in hcsshim's exact text and in any other spelling do the same")
    func namespaceRequestSpellings() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let namespace = try node.createNamespace()
        let id = guid(endpoint).description
        let handle = try node.service.open(.namespace, id: guid(namespace))
        defer { node.service.close(handle) }
        func modify(_ text: String) throws(HCNError) { try node.service.modify(handle, settings: text) }
        try modify(#"{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"\#(id.lowercased())"}}"#)
        #expect(
            try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"]?.stringValue
                == guid(namespace)
                .description)
        try modify(#"{ "ResourceType": "Endpoint", "RequestType": "Remove", "Settings": { "EndpointId": "\#(id)" } }"#)
        #expect(try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"] == nil)
        for bad in ["abc", "not-a-guid"] {
            expectHCNError(0x803B_0019) { () throws(HCNError) in
                try modify(#"{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"\#(bad)"}}"#)
            }
        }
        expectHCNError(0x803B_0015) { () throws(HCNError) in
            try modify(#"{"ResourceType":"Endpoint","RequestType":"Refresh","Settings":{"EndpointId":"\#(id)"}}"#)
        }
    }

    @Test("a v2 query answers the stored document, a v1 query its v1 view")
    func queryAnswers() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let stored = try #require(
            FileManager.default.contents(atPath: node.directory + "/endpoints/\(guid(endpoint)).json"))
        let handle = try node.service.open(.endpoint, id: guid(endpoint))
        defer { node.service.close(handle) }
        #expect(
            try node.service.queryProperties(handle, query: SimulatedNode.query)
                == String(decoding: stored, as: UTF8.self))
        let v1 = try JSON.parse(
            try node.service.queryProperties(handle, query: #"{"SchemaVersion":{"Major":1,"Minor":0}}"#))
        #expect(v1["VirtualNetworkName"] == "cbr0")
        expectHCNError(0x803B_001B) { () throws(HCNError) in
            _ = try node.service.queryProperties(handle, query: #"{"SchemaVersion":"#)
        }
    }
}

/// A second service on a node's directory, with the node's helpers.
struct SimulatedNodeView: NamespaceModifying {
    let directory: String
    let service: any HostNetworkService
}
