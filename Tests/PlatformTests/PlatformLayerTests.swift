import Platform
import Testing

/// A private temporary directory, removed when the test is done.
final class Scratch {
    let path: String
    init() throws { path = try Files.makeTemporaryDirectory(prefix: "wincni-platform-") }
    deinit { Files.removeTree(path) }
    func path(_ name: String) -> String { path + "/" + name }
}

@Suite("The platform layer's POSIX half, through its Swift API")
struct PlatformLayerTests {
    @Test("read, exclusive create, atomic replace, remove; errors carry a kind, the path and the system's text")
    func files() throws {
        let scratch = try Scratch()
        let file = scratch.path("config")
        try Files.write(file, Array("first".utf8), mode: .exclusive)
        let again = try #require(throws: PlatformError.self) { try Files.write(file, [1], mode: .exclusive) }
        #expect(again.kind == .exists)
        #expect(again.path == file)
        #expect(try Files.read(file) == Array("first".utf8))
        try Files.write(file, Array("second, longer".utf8), mode: [.atomic, .durable])
        #expect(try Files.read(file) == Array("second, longer".utf8))
        // The temporary file of the replace is gone.
        #expect(try Files.list(scratch.path) == ["config"])
        let tooLong = try #require(throws: PlatformError.self) { _ = try Files.read(file, limit: 3) }
        #expect(tooLong.kind == .tooLong)
        try Files.remove(file)
        let missing = try #require(throws: PlatformError.self) { _ = try Files.read(file) }
        #expect(missing.kind == .notFound)
        #expect(missing.nativeCode != 0)
        #expect(missing.description == "cannot read \(file): No such file or directory")
        try Files.removeIfPresent(file)
        let directory = try #require(throws: PlatformError.self) { _ = try Files.read(scratch.path) }
        #expect(directory.kind == .isDirectory)
        let replaceDirectory = try #require(throws: PlatformError.self) {
            try Files.write(scratch.path, [1], mode: .atomic)
        }
        #expect(replaceDirectory.kind == .isDirectory)
    }

    @Test("appends add to the end, one write each")
    func append() throws {
        let scratch = try Scratch()
        let log = scratch.path("log")
        try Files.write(log, Array("a\n".utf8), mode: .append)
        try Files.write(log, Array("b\n".utf8), mode: .append)
        #expect(try Files.read(log) == Array("a\nb\n".utf8))
    }

    @Test("mkdir -p reports what existed, and the undo removes exactly what it made")
    func makeDirectories() throws {
        let scratch = try Scratch()
        let deep = scratch.path("a//b/c/")
        let existing = try Files.makeDirectories(deep)
        #expect(existing == scratch.path.utf8.count)
        #expect(try Files.makeDirectories(deep) == deep.utf8.count)
        try Files.write(scratch.path("a/keep"), [1])
        Files.removeEmptyDirectories(deep, keeping: existing)
        // a/ holds a file, so it stays; b/ and c/ were empty.
        #expect(try Files.list(scratch.path("a")) == ["keep"])
        try Files.write(scratch.path("file"), [1])
        let notDirectory = try #require(throws: PlatformError.self) {
            try Files.makeDirectories(scratch.path("file/sub"))
        }
        #expect(notDirectory.kind == .notDirectory)
    }

    @Test("listing files only leaves out directories and links")
    func list() throws {
        let scratch = try Scratch()
        try Files.write(scratch.path("10.0.0.2"), [1])
        try Files.makeDirectories(scratch.path("sub"))
        try Files.makeLink(scratch.path("link"), to: scratch.path("10.0.0.2"))
        #expect(try Files.list(scratch.path).sorted() == ["10.0.0.2", "link", "sub"])
        #expect(try Files.list(scratch.path, filesOnly: true) == ["10.0.0.2"])
        #expect(try Files.information(scratch.path("link"))?.kind == .link)
        #expect(try Files.readLink(scratch.path("link")) == scratch.path("10.0.0.2"))
        let missing = try #require(throws: PlatformError.self) { _ = try Files.list(scratch.path("none")) }
        #expect(missing.kind == .notFound)
    }

    @Test("reading a prefix does not follow a link")
    func readPrefix() throws {
        let scratch = try Scratch()
        try Files.write(scratch.path("owner"), Array("ctr\r\neth0".utf8))
        try Files.makeLink(scratch.path("link"), to: scratch.path("owner"))
        var buffer = [UInt8](repeating: 0, count: 4)
        let count = try buffer.withUnsafeMutableBytes { try Files.readPrefix(scratch.path("owner"), into: $0) }
        #expect(count == 4)
        #expect(buffer == Array("ctr\r".utf8))
        #expect(throws: PlatformError.self) {
            _ = try buffer.withUnsafeMutableBytes { try Files.readPrefix(scratch.path("link"), into: $0) }
        }
    }

    @Test("the store lock excludes a second holder; the range lock is independent of it and of other ranges")
    func locks() throws {
        let scratch = try Scratch()
        let lockFile = scratch.path("lock")
        let store = try FileLock.lockFile(lockFile)
        let second = try #require(throws: PlatformError.self) { _ = try FileLock.lockFile(lockFile, wait: false) }
        #expect(second.kind == .wouldBlock)
        let offset = FileLock.rangeOffsets.lowerBound + 12345
        let range = try FileLock.lockRange(lockFile, offset: offset, wait: false)
        #expect(try FileLock.isRangeLocked(lockFile, offset: offset))
        #expect(try !FileLock.isRangeLocked(lockFile, offset: offset + 1))
        let other = try FileLock.lockRange(lockFile, offset: offset + 1, wait: false)
        let busy = try #require(throws: PlatformError.self) {
            _ = try FileLock.lockRange(lockFile, offset: offset, wait: false)
        }
        #expect(busy.kind == .wouldBlock)
        range.release()
        #expect(Self.eventually { try !FileLock.isRangeLocked(lockFile, offset: offset) })
        other.release()
        store.release()
        #expect(Self.eventually { try FileLock.lockFile(lockFile, wait: false).release() })
        let invalid = try #require(throws: PlatformError.self) { _ = try FileLock.lockRange(lockFile, offset: 0) }
        #expect(invalid.kind == .invalid)
    }

    @Test(
        "a store lock through a range lock's file excludes like one by name, keeps the range, else falls back to the name"
    )
    func storeLockThroughRange() throws {
        let scratch = try Scratch()
        let lockFile = scratch.path("lock")
        let offset = FileLock.rangeOffsets.lowerBound + 99
        let range = try FileLock.lockRange(lockFile, offset: offset)
        let store = try FileLock.lockFile(lockFile, through: range, wait: false)
        #expect(store.isThroughRange)
        // The store lock excludes every other holder, in this process too.
        let busy = try #require(throws: PlatformError.self) { _ = try FileLock.lockFile(lockFile, wait: false) }
        #expect(busy.kind == .wouldBlock)
        // While the range lends its file, a second store lock through it opens the file itself (and is refused).
        let nested = try #require(throws: PlatformError.self) {
            _ = try FileLock.lockFile(lockFile, through: range, wait: false)
        }
        #expect(nested.kind == .wouldBlock)
        // Releasing the range while the store lock uses its file keeps both until the store lock goes.
        range.release()
        #expect(try FileLock.isRangeLocked(lockFile, offset: offset))
        #expect(throws: PlatformError.self) { _ = try FileLock.lockFile(lockFile, wait: false) }
        store.release()
        #expect(Self.eventually { try !FileLock.isRangeLocked(lockFile, offset: offset) })
        #expect(Self.eventually { try FileLock.lockFile(lockFile, wait: false).release() })

        // Releasing the store lock leaves the range held.
        let again = try FileLock.lockRange(lockFile, offset: offset)
        let second = try FileLock.lockFile(lockFile, through: again)
        #expect(second.isThroughRange)
        second.release()
        #expect(try FileLock.isRangeLocked(lockFile, offset: offset))
        #expect(Self.eventually { try FileLock.lockFile(lockFile, wait: false).release() })

        // A lock file replaced since the range took it is another file: the store lock is the new file's.
        try Files.remove(lockFile)
        try Files.write(lockFile, [], mode: .exclusive)
        let replaced = try FileLock.lockFile(lockFile, through: again, wait: false)
        #expect(!replaced.isThroughRange)
        replaced.release()
        // A store lock is no range to share; neither is a released range.
        let plain = try FileLock.lockFile(lockFile)
        plain.release()
        again.release()
        #expect(try !FileLock.lockFile(lockFile, through: plain).isThroughRange)
        #expect(try !FileLock.lockFile(lockFile, through: again).isThroughRange)
    }

    /// Whether `condition` holds, or comes to hold within 5 s without throwing. A released lock can stay held for a
    /// moment in a test process: another test's spawned child holds a copy of every descriptor until its exec
    /// closes them.
    static func eventually(_ condition: () throws -> Bool) -> Bool {
        for _ in 0..<500 {
            if (try? condition()) == true { return true }
            ProcessEnvironment.sleep(milliseconds: 10)
        }
        return false
    }

    static func eventually(_ action: () throws -> Void) -> Bool {
        eventually { () throws -> Bool in
            try action()
            return true
        }
    }

    @Test("a store lock held by another process makes the caller wait")
    func lockWaits() throws {
        let scratch = try Scratch()
        let lockFile = scratch.path("lock")
        // The holder notes `held` once it has the lock and `done` just before it lets go: the lock is asked for while
        // it is held, and a caller that waited finds `done` (no timing assumed).
        let held = scratch.path("held")
        let done = scratch.path("done")
        let holder = try ChildProcess(
            "/usr/bin/flock", arguments: ["-x", lockFile, "-c", "touch \(held); sleep 0.3; touch \(done)"],
            environment: nil)
        #expect(Self.eventually { Files.exists(held) })
        let lock = try FileLock.lockFile(lockFile)
        #expect(Files.exists(done), "the lock was taken while another process held it")
        lock.release()
        #expect(try holder.wait() == 0)
    }

    @Test("a child gets exactly its environment and arguments; a megabyte goes through the pipes both ways")
    func spawn() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let child = try ChildProcess(
            "/bin/sh", arguments: ["-c", "cat; echo \"$A|$1\" >&2; exit 7", "zero", "one two"],
            environment: ["A=x y"], stdin: input)
        #expect(try child.wait(timeoutMilliseconds: 20_000) == 7)
        #expect(child.standardOutput == input)
        #expect(child.standardError == Array("x y|one two\n".utf8))
    }

    @Test("a timed-out child is killed with what it started")
    func timeout() throws {
        let scratch = try Scratch()
        let marker = scratch.path("grandchild")
        let child = try ChildProcess(
            "/bin/sh", arguments: ["-c", "(sleep 1; echo alive > \(marker)) & sleep 30"],
            environment: ["PATH=/bin:/usr/bin"])
        #expect(try child.wait(timeoutMilliseconds: 200) == nil)
        try child.kill()
        #expect(try child.wait() == 137)
        ProcessEnvironment.sleep(milliseconds: 1300)
        #expect(!Files.exists(marker))
    }

    @Test("a program that cannot be started is an error naming it")
    func notStarted() throws {
        let error = try #require(throws: PlatformError.self) {
            _ = try ChildProcess("/nonexistent/plugin", environment: [])
        }
        #expect(error.kind == .notFound)
        #expect(error.path == "/nonexistent/plugin")
    }

    @Test("the environment, clocks and the HCN loader")
    func environment() throws {
        try ProcessEnvironment.set("WINCNI_PLATFORM_TEST", "a=b")
        #expect(ProcessEnvironment.value("WINCNI_PLATFORM_TEST") == "a=b")
        #expect(ProcessEnvironment.variables().contains("WINCNI_PLATFORM_TEST=a=b"))
        try ProcessEnvironment.set("WINCNI_PLATFORM_TEST", nil)
        #expect(ProcessEnvironment.value("WINCNI_PLATFORM_TEST") == nil)
        let before = ProcessEnvironment.monotonicSeconds()
        ProcessEnvironment.sleep(milliseconds: 20)
        #expect(ProcessEnvironment.monotonicSeconds() - before >= 0.019)
        // 2026 or later, and before 2100.
        #expect((1_767_225_600..<4_102_444_800).contains(ProcessEnvironment.wallClockSeconds()))
        let unsupported = try #require(throws: PlatformError.self) { _ = try HCNLibrary.load() }
        #expect(unsupported.kind == .unsupported)
        #expect(HCNLibrary.entryCount == 23)
    }
}
