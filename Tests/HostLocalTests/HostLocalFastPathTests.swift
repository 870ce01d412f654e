import HostLocal
import NetAddress
import Testing

@Suite("host-local store: the plugin's cheap paths")
struct HostLocalFastPathTests {
    @Test("a known-new allocation reads no reservation file and takes the next free address")
    func knownNewAllocation() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        // The owner's own leftover: the idempotent path would read it and answer .2.
        writeFile(fixture.directory + "/10.0.0.2", "ctr\r\neth0")
        let allocated = try fixture.store.allocate(containerID: "ctr", ifname: "eth0", knownNew: true)
        // Not read (the caller said there is nothing to find): the next free address.
        #expect(fixture.addresses(allocated) == ["10.0.0.3/24"])
        #expect(fixture.file("10.0.0.3") == "ctr\r\neth0")
        #expect(fixture.file("last_reserved_ip.0") == "10.0.0.3")
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
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0", knownNew: true)
        #expect(fixture.file("10.0.0.2") == "a\r\neth0")
        lock.release()
        #expect(!fixture.store.isContainerLocked("a"))
        #expect(fixture.store.isContainerLocked("b"))
        other.release()
        #expect(!fixture.store.isContainerLocked("b"))
        // The lock file is the store's `lock`; no other file appeared.
        #expect(listing(fixture.directory) == ["10.0.0.2", "last_reserved_ip.0", "lock"])
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
