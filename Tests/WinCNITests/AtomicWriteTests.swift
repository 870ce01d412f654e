import Glibc
import Testing

@testable import WinCNI

@Suite("Saving a file atomically")
struct AtomicWriteTests {
    @Test("the commit puts the bytes in place; nothing is there before it, no temporary file after")
    func commit() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        let write = try AtomicWrite(path, Array("one".utf8), mode: 0o600)
        #expect(!FileSystem.exists(path))
        try write.commit()
        #expect(try readText(path) == "one")
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
        // Replacing works the same way.
        try FileSystem.writeAtomically(path, Array("two".utf8), mode: 0o600)
        #expect(try readText(path) == "two")
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
    }

    @Test("a directory in the file's place fails before anything is written")
    func directoryInPlace() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        try FileSystem.makeDirectories(path + "/inside", mode: 0o700)
        #expect(throws: FileSystemError.self) { try AtomicWrite(path, Array("x".utf8), mode: 0o600) }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
    }

    @Test("a commit that cannot put the file in place fails, and no temporary file stays")
    func failedRename() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        let write = try AtomicWrite(path, Array("x".utf8), mode: 0o600)
        // Made after the check in init: the rename over a non-empty directory fails.
        try FileSystem.makeDirectories(path + "/inside", mode: 0o700)
        #expect(throws: FileSystemError.self) { try write.commit() }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
    }

    @Test("a write dropped without commit leaves no file")
    func dropped() throws {
        let node = try TestNode()
        do { _ = try AtomicWrite(node.root + "/saved", Array("x".utf8), mode: 0o600) }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") }.isEmpty)
    }
}
