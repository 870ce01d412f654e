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

    @Test("a removed file waits as the spare, and the next write takes its inode, cut to the new length")
    func spare() throws {
        let node = try TestNode()
        let (root, spare) = try Self.spareDirectory(node)
        let inode = inodeNumber
        try FileSystem.writeAtomically(root + "/first", Array(String(repeating: "1", count: 300).utf8), mode: 0o600)
        let first = inode(root + "/first")
        try FileSystem.retire(root + "/first", spare: spare)
        #expect(!FileSystem.exists(root + "/first"))
        #expect(inode(spare) == first)
        // A second removal finds the spare taken: that file goes.
        try FileSystem.writeAtomically(root + "/other", Array("o".utf8), mode: 0o600)
        try FileSystem.retire(root + "/other", spare: spare)
        #expect(!FileSystem.exists(root + "/other"))
        #expect(inode(spare) == first)
        // A missing file is removed already.
        try FileSystem.retire(root + "/missing", spare: spare)

        // The next write reuses the spare's inode; the longer old bytes do not show through.
        let write = try AtomicWrite(root + "/second", Array("two".utf8), mode: 0o600, spare: spare)
        #expect(!FileSystem.exists(spare))
        #expect(!FileSystem.exists(root + "/second"))
        try write.commit()
        #expect(inode(root + "/second") == first)
        #expect(try readText(root + "/second") == "two")
        #expect(try FileSystem.list(root).sorted() == ["second"])

        // With no spare the write makes a new file; over an existing file it replaces it.
        try FileSystem.writeAtomically(root + "/third", Array("3".utf8), mode: 0o600, spare: spare)
        #expect(try readText(root + "/third") == "3")
        try FileSystem.retire(root + "/third", spare: spare)
        try FileSystem.writeAtomically(root + "/second", Array("2".utf8), mode: 0o600, spare: spare)
        #expect(try readText(root + "/second") == "2")
        #expect(try FileSystem.list(root).sorted() == ["second"])
    }

    @Test("a write over a spare dropped without commit leaves no file")
    func droppedSpare() throws {
        let node = try TestNode()
        let (root, spare) = try Self.spareDirectory(node)
        try FileSystem.writeAtomically(spare, Array("old".utf8), mode: 0o600)
        do { _ = try AtomicWrite(root + "/saved", Array("x".utf8), mode: 0o600, spare: spare) }
        #expect(try FileSystem.list(root).isEmpty)
    }

    /// An empty directory of the test's own, and the path of a spare file in it.
    private static func spareDirectory(_ node: TestNode) throws -> (root: String, spare: String) {
        let root = node.root + "/spare-test"
        try FileSystem.makeDirectories(root, mode: 0o700)
        return (root, root + "/.spare")
    }
}
