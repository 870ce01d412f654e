import Glibc
import Testing

@testable import WinCNI

@Suite("Saving a file atomically, with the flush beside other work")
struct AtomicWriteTests {
    @Test("the background commit puts the bytes in place; nothing is there before it, no temporary file after")
    func backgroundCommit() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        let write = try AtomicWrite(path, Array("one".utf8), mode: 0o600)
        #expect(!FileSystem.exists(path))
        write.commitInBackground()
        try write.wait()
        #expect(try readText(path) == "one")
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
        // Replacing works the same way.
        let again = try AtomicWrite(path, Array("two".utf8), mode: 0o600)
        again.commitInBackground()
        try again.wait()
        #expect(try readText(path) == "two")
    }

    @Test("a directory in the file's place fails before anything is written")
    func directoryInPlace() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        try FileSystem.makeDirectories(path + "/inside", mode: 0o700)
        #expect(throws: FileSystemError.self) { try AtomicWrite(path, Array("x".utf8), mode: 0o600) }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
    }

    @Test("a rename that fails in the background is reported by wait, and the temporary file is gone")
    func failedRename() throws {
        let node = try TestNode()
        let path = node.root + "/saved"
        let write = try AtomicWrite(path, Array("x".utf8), mode: 0o600)
        // Made after the check in init: the rename over a non-empty directory fails.
        try FileSystem.makeDirectories(path + "/inside", mode: 0o700)
        write.commitInBackground()
        #expect(throws: FileSystemError.self) { try write.wait() }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") } == ["saved"])
    }

    @Test("a write dropped without commit leaves no temporary file")
    func dropped() throws {
        let node = try TestNode()
        do { _ = try AtomicWrite(node.root + "/saved", Array("x".utf8), mode: 0o600) }
        #expect(try FileSystem.list(node.root).filter { $0.hasPrefix("saved") }.isEmpty)
    }
}
