import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: state database and C ABI")
struct StateAndABITests {
    @Test("a directory in the old one-file-per-object layout is refused with a message naming reset; reset opens it")
    func oldLayout() throws {
        let directory = "/tmp/hnssim-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/networks", withIntermediateDirectories: true)
        do {
            _ = try HNSSimulator(directory: directory)
            Issue.record("the old layout was opened")
        } catch {
            #expect(error.message.contains("hnsctl --sim \(directory) reset"), "\(error)")
        }
        let simulator = try HNSSimulator.reset(directory: directory)
        #expect(try simulator.storedDocuments(.network).isEmpty)
        _ = try HNSSimulator(directory: directory)
    }

    @Test("reset empties networks, endpoints, namespaces, faults and the trace")
    func reset() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.createEndpoint(network: network)
        try node.createNamespace()
        try node.simulator().setTracing(true)
        try node.simulator().addFault(SimulatorFault(op: "CreateEndpoint", kind: .crashBefore))
        try HNSSimulator.reset(directory: node.directory)
        let simulator = try node.simulator()
        for kind in HCNResourceKind.allCases { #expect(try simulator.storedDocuments(kind).isEmpty) }
        #expect(simulator.faults().isEmpty)
        #expect(try simulator.traceEntries().isEmpty)
        #expect(try !simulator.isTracing())
        // Names and addresses are free again.
        try node.createEndpoint(network: node.createNetwork(), ip: "10.244.1.2")
    }

    @Test("deleting a network takes its endpoints and their addresses with it")
    func networkCascade() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network, ip: "10.244.1.7")
        let namespace = try node.createNamespace()
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        try node.service.delete(.network, id: guid(network))
        #expect(try node.enumerate(.endpoint, filter: nil).isEmpty)
        #expect(try node.document(.namespace, guid(namespace))["Resources"] == [])
        let again = try node.createNetwork()
        try node.createEndpoint(network: again, ip: "10.244.1.7")
    }

    @Test("deleting a namespace detaches its endpoints")
    func namespaceDelete() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let namespace = try node.createNamespace()
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        try node.service.delete(.namespace, id: guid(namespace))
        #expect(try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"] == nil)
        try node.modifyNamespace(node.createNamespace(), "Add", endpoint: endpoint)
    }

    @Test("while tracing, every call is recorded in order with its object, request and result")
    func trace() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.simulator().setTracing(true)
        try node.createEndpoint(network: network, name: "a", ip: "10.244.1.5")
        let error = expectHCNError(0x8007_1392) { () throws(HCNError) in
            try node.createEndpoint(network: network, name: "b", ip: "10.244.1.5")
        }
        try node.simulator().setTracing(false)
        try node.createEndpoint(network: network, name: "c")
        let id = guid(network).description
        func settings(_ name: String) -> String {
            #"{"Name":"\#(name)","HostComputeNetwork":"\#(id)","IpConfigurations":[{"IpAddress":"10.244.1.5"}],"SchemaVersion":{"Major":2,"Minor":0}}"#
        }
        let entries = try node.simulator().traceEntries()
        #expect(
            entries.map(\.line) == [
                // #1 was the handle of the network's creation.
                "HcnOpenNetwork \(id) -> #2",
                "HcnCreateEndpoint #2 \(GUID.zero) \(settings("a")) -> #3",
                "HcnQueryEndpointProperties #3 \(SimulatedNode.query)",
                "HcnCloseEndpoint #3",
                "HcnCloseNetwork #2",
                "HcnOpenNetwork \(id) -> #4",
                "HcnCreateEndpoint #4 \(GUID.zero) \(settings("b")) -> error \(error?.name ?? "")",
                "HcnCloseNetwork #4",
            ])
        #expect(entries.map(\.hresult.rawValue) == [0, 0, 0, 0, 0, 0, 0x8007_1392, 0])
        #expect(Set(entries.map(\.process)).count == 1)
        let transcript = SimulatorTraceEntry.transcript(entries)
        #expect(transcript == "# process \(entries[0].process)\n" + entries.map { $0.line + "\n" }.joined())
        try node.simulator().clearTrace()
        #expect(try node.simulator().traceEntries().isEmpty)
    }

    @Test("the C thunks return failures as an HRESULT plus a UTF-16 error record freed with coTaskMemFree")
    func rawThunks() throws {
        let node = try SimulatedNode()
        try node.createNetwork(name: "cbr0")
        try node.simulator().withFunctionTable { table in
            var handle: UnsafeMutableRawPointer?
            var record: UnsafeMutablePointer<UInt16>?
            let settings = Array(#"{"Name":"cbr0","Type":"L2Bridge"}"#.utf16) + [0]
            let result = GUID.zero.memoryLayoutBytes.withUnsafeBytes { id in
                settings.withUnsafeBufferPointer {
                    table.createNetwork(id.baseAddress, $0.baseAddress, &handle, &record)
                }
            }
            #expect(UInt32(bitPattern: result) == 0x803B_0010)
            #expect(handle == nil)
            guard let pointer = record else {
                Issue.record("no error record")
                return
            }
            var count = 0
            while pointer[count] != 0 { count += 1 }
            let text = String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF16.self)
            table.coTaskMemFree(UnsafeMutableRawPointer(pointer))
            #expect(
                text == #"{"Success":false,"Error":"A network with this name already exists. ","ErrorCode":2151350288}"#
            )
            // A missing out-parameter is E_POINTER, as for any COM-style API.
            #expect(UInt32(bitPattern: table.enumerateNetworks(nil, nil, nil)) == 0x8000_4003)
        }
    }

    @Test("a GUID passed as a C struct reaches the simulator unchanged")
    func guidLayout() throws {
        let node = try SimulatedNode()
        let id = try #require(GUID("01020304-0506-4708-890A-0B0C0D0E0F10"))
        let network = try node.createNetwork(#"{"Name":"n","Type":"NAT"}"#, id: id)
        #expect(network["Id"] == "01020304-0506-4708-890A-0B0C0D0E0F10")
    }
}
