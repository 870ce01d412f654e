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

    @Test("object files reuse the folder's two spare files: churn makes and frees no inode, and no call sees them")
    func spareFiles() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let namespace = try node.createNamespace()
        let folder = node.directory + "/endpoints"
        let inode = inodeNumber
        func cycle(_ name: String) throws -> (created: UInt64?, attached: UInt64?) {
            let endpoint = try node.createEndpoint(network: network, name: name)
            let path = folder + "/\(guid(endpoint)).json"
            let created = inode(path)
            try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
            let attached = inode(path)
            #expect(
                try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"]?.stringValue
                    == guid(namespace).description)
            try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
            try node.service.delete(.endpoint, id: guid(endpoint))
            #expect(!FileManager.default.fileExists(atPath: path))
            return (created, attached)
        }
        _ = try cycle("first")
        let free = inode(folder + "/.spare-free")
        let swap = inode(folder + "/.spare-swap")
        #expect(free != nil && swap != nil)
        // The next pod's file is the last one removed, and its attach trades places with the swap spare.
        let second = try cycle("second")
        #expect(second.created == free)
        #expect(second.attached == swap)
        #expect(Set([inode(folder + "/.spare-free"), inode(folder + "/.spare-swap")]) == Set([free, swap]))
        // Only the spares are left, and no call lists or opens them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [".spare-free", ".spare-swap"])
        #expect(try node.enumerate(.endpoint, filter: nil).isEmpty)
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"second"}"#).isEmpty)

        // A spare longer than the next document (or left half-written by a killed writer) is cut to length.
        try String(repeating: "x", count: 6000).write(
            toFile: folder + "/.spare-free", atomically: false, encoding: .utf8)
        let endpoint = try node.createEndpoint(network: network, name: "third")
        let stored = try #require(FileManager.default.contents(atPath: folder + "/\(guid(endpoint)).json"))
        let parsed = try #require(try JSON.parse(Array(stored)).objectValue)
        #expect(parsed["Name"]?.stringValue == "third")
        #expect(stored.count == JSON.object(parsed).compactBytes().count)
        #expect(try node.enumerate(.endpoint, filter: nil) == [guid(endpoint).description])
    }

    @Test("catalog entries reuse their folder's free spare: churn makes and frees no inode, and no call sees them")
    func catalogSpares() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let namespace = try node.createNamespace()
        let root = node.directory
        let inode = inodeNumber
        func text(_ path: String) -> String? {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }
        // An attached pod's entries, by catalog folder, with what each holds.
        typealias Entry = (path: String, holds: String)
        func entries(_ endpoint: JSONObject, name: String, ip: String) throws -> [String: Entry] {
            let id = guid(endpoint).description
            let mac = try #require(endpoint["MacAddress"]?.stringValue).uppercased().filter { $0 != "-" && $0 != ":" }
            return [
                "born": ("\(root)/born/Endpoint/\(id)", ""),
                "names": ("\(root)/names/Endpoint/\(name)", id + "\n"),
                "members": ("\(root)/members/\(guid(network))/\(id)", ""),
                "claims": ("\(root)/claims/\(guid(network))/\(ip)", id),
                "macs": ("\(root)/macs/\(mac)", id),
                "attached": ("\(root)/attached/\(guid(namespace))/\(id)", ""),
            ]
        }
        func pod(_ name: String, _ ip: String) throws -> (JSONObject, [String: Entry]) {
            let endpoint = try node.createEndpoint(network: network, name: name, ip: ip)
            try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
            let made = try entries(endpoint, name: name, ip: ip)
            for (folder, entry) in made { #expect(text(entry.path) == entry.holds, "\(folder)") }
            return (endpoint, made)
        }
        func remove(_ endpoint: JSONObject) throws {
            try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
            try node.service.delete(.endpoint, id: guid(endpoint))
        }

        let (first, firstEntries) = try pod("first", "10.244.1.10")
        try remove(first)
        var spares: [String: UInt64] = [:]
        for (folder, entry) in firstEntries {
            #expect(inode(entry.path) == nil, "\(folder)")
            let spare = inode("\(root)/\(folder)/.spare-free")
            #expect(spare != nil, "\(folder)")
            spares[folder] = spare
        }
        // A longer spare (a claim written by hand, or by a writer killed half-way) is cut to the new entry.
        try String(repeating: "x", count: 600).write(
            toFile: "\(root)/claims/.spare-free", atomically: false, encoding: .utf8)

        // The next pod's entries are the inodes the first one left, each moved into its folder.
        let (second, secondEntries) = try pod("second", "10.244.1.11")
        for (folder, entry) in secondEntries {
            #expect(inode(entry.path) == spares[folder], "\(folder)")
            #expect(inode("\(root)/\(folder)/.spare-free") == nil, "\(folder)")
        }
        // No call lists or opens a spare: listings by age, by name, by network and a namespace's members.
        try remove(second)
        let (third, _) = try pod("third", "10.244.1.12")
        #expect(try node.enumerate(.endpoint, filter: nil) == [guid(third).description])
        #expect(try node.enumerate(.endpoint, filter: #"{"Name":"second"}"#).isEmpty)
        #expect(
            try node.enumerate(.endpoint, filter: #"{"VirtualNetwork":"\#(guid(network))"}"#)
                == [guid(third).description])
        let resources = try node.document(.namespace, guid(namespace))["Resources"]?.arrayValue ?? []
        #expect(resources.count == 1)
        #expect(try node.enumerate(.network, filter: nil) == [guid(network).description])
        try remove(third)
        #expect(try node.enumerate(.endpoint, filter: nil).isEmpty)
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

/// The inode number of `path` (not following a symbolic link), or nil when there is none: which file a name holds.
private func inodeNumber(_ path: String) -> UInt64? {
    var info = stat()
    return lstat(path, &info) == 0 ? UInt64(info.st_ino) : nil
}
