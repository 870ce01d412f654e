import NetAddress
import Platform
import Testing

@testable import HostLocal

@Suite("host-local store: the plugin's cheap paths")
struct HostLocalFastPathTests {
    @Test("an allocation retried after a killed one gets the address the container already holds")
    func retriedAfterKill() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        // What an ADD killed after its reservation leaves: the file, and last_reserved_ip pointing at it.
        writeFile(fixture.directory + "/10.0.0.2", "ctr\r\neth0")
        writeFile(fixture.directory + "/last_reserved_ip.0", "10.0.0.2")
        let allocated = try fixture.store.allocate(containerID: "ctr", ifname: "eth0")
        #expect(fixture.addresses(allocated) == ["10.0.0.2/24"])
        #expect(listing(fixture.directory) == ["10.0.0.2", "last_reserved_ip.0", "lock"])
    }

    @Test("a killed writer's leftovers are reclaimed under the store's lock: empty files and temporary files")
    func leftoversReclaimed() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        writeFile(fixture.directory + "/last_reserved_ip.0", "10.0.0.2")
        // Created by a writer that died before writing its owner (host-local creates, then writes).
        writeFile(fixture.directory + "/10.0.0.3", "")
        // The exclusive create's complete temporary file of a writer killed before it took the name.
        writeFile(fixture.directory + "/10.0.0.9.tmp4242.0", "gone\r\neth0")
        // A writer killed between linking its temporary file into place and removing the temporary name: the
        // reservation has two links until the temporary name goes.
        writeFile(fixture.directory + "/10.0.0.5", "kept\r\neth0")
        try makeHardLink(fixture.directory + "/10.0.0.5", fixture.directory + "/10.0.0.5.tmp4243.1")
        #expect(try Files.information(fixture.directory + "/10.0.0.5")?.links == 2)

        // The empty file's address is free again; the pod that held .5 finds it.
        let fresh = try fixture.store.allocate(containerID: "new", ifname: "eth0")
        #expect(fixture.addresses(fresh) == ["10.0.0.3/24"])
        #expect(fixture.file("10.0.0.3") == "new\r\neth0")
        let kept = try fixture.store.allocate(containerID: "kept", ifname: "eth0")
        #expect(fixture.addresses(kept) == ["10.0.0.5/24"])
        #expect(listing(fixture.directory) == ["10.0.0.3", "10.0.0.5", "last_reserved_ip.0", "lock"])
        #expect(try Files.information(fixture.directory + "/10.0.0.5")?.links == 1)
    }

    @Test("last_reserved_ip with a second hard link is not written through: the other file keeps its bytes")
    func linkedLastReserved() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        let victim = fixture.temporary.path + "/victim"
        writeFile(victim, "precious")
        try makeHardLink(victim, fixture.directory + "/last_reserved_ip.0")
        do {
            _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
            Issue.record("the allocation wrote last_reserved_ip.0 through its hard link")
        } catch {
            let text = "\(error)"
            #expect(text.contains("last_reserved_ip.0") && text.contains("hard link"), "\(text)")
        }
        #expect(readText(victim) == "precious")
        // The address it had reserved is given back: nothing but the lock and the link is left.
        #expect(listing(fixture.directory) == ["last_reserved_ip.0", "lock"])
    }

    @Test("the container lock is per container, needs no file of its own, and is gone once released")
    func containerLock() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        // Without create, a store that does not exist is not made and nothing is locked.
        #expect(try fixture.store.lockContainer("a", create: false) == nil)
        #expect(!exists(fixture.directory))
        let lock = try #require(try fixture.store.lockContainer("a"))
        #expect(fixture.store.isContainerLocked("a"))
        #expect(!fixture.store.isContainerLocked("b"))
        // Other containers go on, and the store's own lock (flock, as the Go plugin takes it) is independent.
        let other = try #require(try fixture.store.lockContainer("b"))
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
        #expect(fixture.file("10.0.0.2") == "a\r\neth0")
        lock.release()
        #expect(Self.eventuallyUnlocked(fixture.store, "a"))
        #expect(fixture.store.isContainerLocked("b"))
        other.release()
        #expect(Self.eventuallyUnlocked(fixture.store, "b"))
        // The lock file is the store's `lock`; no other file appeared.
        #expect(listing(fixture.directory) == ["10.0.0.2", "last_reserved_ip.0", "lock"])
    }

    @Test(
        "under the container lock the store lock uses its file, unless it is another store's or was replaced since"
    )
    func storeLockThroughContainerLock() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        let lock = try #require(try fixture.store.lockContainer("a"))
        do {
            let store = try #require(
                try StoreDirectory(path: fixture.directory, create: false, platform: .posix, containerLock: lock))
            #expect(store.sharesContainerLock)
            // The container lock's release waits for the store lock taken through its file.
            lock.release()
            #expect(fixture.store.isContainerLocked("a"))
        }
        #expect(Self.eventuallyUnlocked(fixture.store, "a"))

        let other = try Fixture(#"{"subnet":"10.0.0.0/24"}"#, network: "other")
        defer { other.temporary.remove() }
        let otherLock = try #require(try other.store.lockContainer("a"))
        do {
            let store = try #require(
                try StoreDirectory(path: fixture.directory, create: false, platform: .posix, containerLock: otherLock))
            #expect(!store.sharesContainerLock)
        }

        // A link put in place of the held lock file, replaced by a regular file as DEL does: that file is the lock.
        let relock = try #require(try fixture.store.lockContainer("a"))
        try Files.remove(fixture.directory + "/lock")
        try Files.makeLink(fixture.directory + "/lock", to: other.directory + "/lock")
        #expect(fixture.store.replaceLinkedLock() != nil)
        do {
            let store = try #require(
                try StoreDirectory(path: fixture.directory, create: false, platform: .posix, containerLock: relock))
            #expect(!store.sharesContainerLock)
        }
        #expect(listing(fixture.directory) == ["lock"])
        relock.release()
        otherLock.release()
    }

    /// Whether `containerID`'s lock is free, looking again for up to 5 s. A released lock can stay held for a moment
    /// in a test process: another test's posix_spawn gives its child a copy of every descriptor until the child's
    /// exec closes them (O_CLOEXEC), and the lock goes with the last copy. The plugin is one thread and never
    /// sees that.
    static func eventuallyUnlocked(_ store: HostLocalStore, _ containerID: String) -> Bool {
        for _ in 0..<500 {
            if !store.isContainerLocked(containerID) { return true }
            ProcessEnvironment.sleep(milliseconds: 10)
        }
        return false
    }

    @Test("release by address removes the owner's files and leaves the others")
    func releaseByAddress() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
        _ = try fixture.store.allocate(containerID: "b", ifname: "eth0")
        try fixture.store.release(containerID: "a", ifname: "eth0", addresses: [IPAddress("10.0.0.2")!])
        #expect(!exists(fixture.directory + "/10.0.0.2"))
        #expect(fixture.file("10.0.0.3") == "b\r\neth0")
    }

    @Test("release by address falls back to the owner scan when the file belongs to someone else or is gone")
    func releaseByAddressFallback() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
        _ = try fixture.store.allocate(containerID: "b", ifname: "eth0")
        // The endpoint said .3 (b's): b keeps it, and a's own .2 is found by the scan.
        try fixture.store.release(containerID: "a", ifname: "eth0", addresses: [IPAddress("10.0.0.3")!])
        #expect(!exists(fixture.directory + "/10.0.0.2"))
        #expect(fixture.file("10.0.0.3") == "b\r\neth0")
        // Nothing held at all is success.
        try fixture.store.release(containerID: "a", ifname: "eth0", addresses: [IPAddress("10.0.0.9")!])
    }

    @Test("releaseAll removes every reservation whose owner is not kept, with one scan, and counts the owners")
    func releaseAll() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        for id in ["a", "b", "c"] { _ = try fixture.store.allocate(containerID: id, ifname: "eth0") }
        let released = try fixture.store.releaseAll { containerID, _ in containerID == "b" }
        #expect(released == 2)
        let left = try fixture.store.reservations().map { "\($0.address) \($0.containerID)" }
        #expect(left == ["10.0.0.3 b", "fd00::3 b"])
    }

    @Test("GC removes the spare file earlier wincni versions left in the store, and nothing else of the Go plugin's")
    func formerSpare() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
        writeFile(fixture.directory + "/.wincni..spare", "gone\r\neth0")
        #expect(try fixture.store.releaseAll { _, _ in true } == 0)
        #expect(listing(fixture.directory) == ["10.0.0.2", "last_reserved_ip.0", "lock"])
    }
}
