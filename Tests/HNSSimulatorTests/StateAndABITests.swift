import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: state directory and C ABI")
struct StateAndABITests {
    @Test("after a crash, the next writer rebuilds the name and claim files from the object files")
    func lostCatalog() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.createEndpoint(network: network, name: "a")
        try FileManager.default.removeItem(atPath: node.directory + "/names")
        try FileManager.default.removeItem(atPath: node.directory + "/claims")
        // The mark a writer that died leaves: the lock file's first byte is 1.
        try "1".write(toFile: node.directory + "/lock", atomically: false, encoding: .utf8)
        // The next writer rebuilds them, with the new object.
        try node.createEndpoint(network: network, name: "b")
        #expect(FileManager.default.fileExists(atPath: node.directory + "/names/Endpoint/a"))
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"a"}"#).count == 1)
        #expect(try node.enumerate(.endpoint, filter: nil).count == 2)
        #expect(try String(contentsOfFile: node.directory + "/lock", encoding: .utf8) == "0")
    }

    @Test("after a writer died between its catalog entries and its object file, the next writer cleans up")
    func interruptedWriter() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network, name: "a")
        // An object file without its catalog entries (writers create them first, so only a hand edit leaves this):
        // listings miss it until the next writer rebuilds the catalog.
        let orphan = try #require(GUID("0F0F0F0F-1111-4222-8333-444455556666"))
        let path = node.directory + "/endpoints/\(guid(endpoint)).json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: guid(endpoint).description, with: orphan.description)
            .replacingOccurrences(of: "10.244.1.2", with: "10.244.1.50")
        try text.write(toFile: node.directory + "/endpoints/\(orphan).json", atomically: true, encoding: .utf8)
        // And one killed before its object write: a claim and a name entry with no object.
        let ghost = "0E0E0E0E-1111-4222-8333-444455556666"
        try ghost.write(
            toFile: node.directory + "/claims/\(guid(network))/10.244.1.60", atomically: true, encoding: .utf8)
        try (ghost + "\n").write(toFile: node.directory + "/names/Endpoint/ghost", atomically: true, encoding: .utf8)
        // The mark a writer that died leaves: the lock file's first byte is 1.
        try "1".write(toFile: node.directory + "/lock", atomically: false, encoding: .utf8)
        #expect(try node.enumerate(.endpoint, filter: nil).count == 1)
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"ghost"}"#).isEmpty)
        try node.createEndpoint(network: network, name: "b")
        #expect(try node.enumerate(.endpoint, filter: nil).count == 3)
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"a"}"#).count == 2)
        #expect(try String(contentsOfFile: node.directory + "/lock", encoding: .utf8) == "0")
        #expect(!FileManager.default.fileExists(atPath: node.directory + "/claims/\(guid(network))/10.244.1.60"))
        #expect(FileManager.default.fileExists(atPath: node.directory + "/claims/\(guid(network))/10.244.1.50"))
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
