import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: state directory and C ABI")
struct StateAndABITests {
    @Test("a lost index is rebuilt from the object files")
    func missingIndex() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.createEndpoint(network: network, name: "a")
        try FileManager.default.removeItem(atPath: node.directory + "/index")
        let fresh = try HNSSimulator.functionTableService(directory: node.directory)
        let ids = try fresh.enumerate(.endpoint, query: #"{"Filter":"{\"Name\":\"a\"}"}"#)
        #expect((try JSON.parse(ids).arrayValue ?? []).count == 1)
        // The next writer writes it again, with the new object.
        try node.createEndpoint(network: network, name: "b")
        #expect(FileManager.default.fileExists(atPath: node.directory + "/index"))
        #expect(try node.enumerate(.endpoint, filter: nil).count == 2)
    }

    @Test("after a writer died between an object file and the index, the next writer rebuilds the index")
    func interruptedWriter() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network, name: "a")
        // What a writer killed after its object write leaves behind: its marker and an object the index lacks.
        let orphan = try #require(GUID("0F0F0F0F-1111-4222-8333-444455556666"))
        let path = node.directory + "/endpoints/\(guid(endpoint)).json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: guid(endpoint).description, with: orphan.description)
            .replacingOccurrences(of: "10.244.1.2", with: "10.244.1.50")
        try text.write(toFile: node.directory + "/endpoints/\(orphan).json", atomically: true, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: node.directory + "/dirty", contents: Data()))
        #expect(try node.enumerate(.endpoint, filter: nil).count == 1)
        try node.createEndpoint(network: network, name: "b")
        #expect(try node.enumerate(.endpoint, filter: nil).count == 3)
        #expect(!FileManager.default.fileExists(atPath: node.directory + "/dirty"))
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
