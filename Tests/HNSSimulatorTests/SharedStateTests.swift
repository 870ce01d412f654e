import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

/// Every simulator on a directory, in this process or another, works on the one database: what one plants or
/// changes, the next call of any other sees.
@Suite("HNS simulator: shared state between simulators and processes")
struct SharedStateTests {
    @Test("a fault planted through another simulator on the directory hits the next call, once")
    func faultFromAnotherSimulator() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        // Planted between two calls of the service's simulator, through a second one (as a test or hnsctl does).
        try node.simulator().addFault(SimulatorFault(op: "OpenNetwork", kind: .hresult(HRESULT(0x803B_0020))))
        expectHCNError(0x803B_0020) { () throws(HCNError) in try node.createEndpoint(network: network) }
        #expect(try node.simulator().faults().isEmpty)
        try node.createEndpoint(network: network)
    }

    @Test("clearing faults through one simulator clears them for every other")
    func clearedFaults() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.simulator().addFault(SimulatorFault(op: "CreateEndpoint", kind: .hresult(HRESULT(0x803B_0020))))
        #expect(try node.simulator().faults().count == 1)
        try node.simulator().clearFaults()
        #expect(try node.simulator().faults().isEmpty)
        try node.createEndpoint(network: network, name: "a")
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

    @Test("a freed MAC is the next one given")
    func freedMAC() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let first = try node.createEndpoint(network: network, name: "a")
        let second = try node.createEndpoint(network: network, name: "b")
        let third = try node.createEndpoint(network: network, name: "c")
        try node.service.delete(.endpoint, id: guid(second))
        #expect(try node.createEndpoint(network: network, name: "d")["MacAddress"] == second["MacAddress"])
        let fifth = try node.createEndpoint(network: network, name: "e")
        #expect(Set([first, second, third, fifth].compactMap { $0["MacAddress"]?.stringValue }).count == 4)
    }

    @Test("a MAC given twice is refused: one MAC, one endpoint")
    func duplicateMAC() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let mac = #""MacAddress":"0E-2A-0A-F4-01-05""#
        try node.createEndpoint(
            network: network, #"{"Name":"x","IpConfigurations":[{"IpAddress":"10.244.1.5"}],\#(mac)}"#)
        expectHCNError(0x8007_1392) { () throws(HCNError) in
            try node.createEndpoint(
                network: network, #"{"Name":"y","IpConfigurations":[{"IpAddress":"10.244.1.6"}],\#(mac)}"#)
        }
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

    @Test("attaching puts HostComputeNamespace just after HostComputeNetwork; detaching removes only it")
    func namespaceMemberOrder() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network, name: "plain")
        let namespace = try node.createNamespace()
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        let attached = try node.document(.endpoint, guid(endpoint))
        let keys = attached.keys
        let anchor = try #require(keys.firstIndex(of: "HostComputeNetwork"))
        #expect(keys[anchor + 1] == "HostComputeNamespace")
        #expect(attached["HostComputeNamespace"]?.stringValue == guid(namespace).description)
        try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
        let detached = try node.document(.endpoint, guid(endpoint))
        #expect(detached.keys == keys.filter { $0 != "HostComputeNamespace" })
        #expect(detached == endpoint)
    }

    @Test("attaching and detaching edit the stored text to what printing the edited document gives")
    func namespaceMemberText() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(
            network: network, name: "ported",
            policies: #"[{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6}}]"#)
        let namespace = try node.createNamespace()
        let before = try #require(try node.simulator().storedDocuments(.endpoint).first)
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        let attached = try #require(try node.simulator().storedDocuments(.endpoint).first)
        guard case .object(let document) = try JSON.parse(attached) else {
            Issue.record("the stored document is not an object: \(attached)")
            return
        }
        #expect(JSON.object(document).compact() == attached)
        let anchor = #""HostComputeNetwork":"\#(guid(network).description)""#
        let member = #","HostComputeNamespace":"\#(guid(namespace).description)""#
        #expect(attached == before.replacingOccurrences(of: anchor, with: anchor + member))
        try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
        #expect(try node.simulator().storedDocuments(.endpoint).first == before)
        #expect(try node.simulator().consistencyProblems().isEmpty)
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
        let stored = try node.simulator().storedDocuments(.endpoint)
        let handle = try node.service.open(.endpoint, id: guid(endpoint))
        defer { node.service.close(handle) }
        #expect([try node.service.queryProperties(handle, query: SimulatedNode.query)] == stored)
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
