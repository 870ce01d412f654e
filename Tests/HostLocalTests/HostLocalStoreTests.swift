import HostLocal
import NetAddress
import Platform
import Synchronization
import Testing

/// A store on a fresh data directory, for one test.
struct Fixture {
    let temporary: TemporaryDirectory
    var store: HostLocalStore
    var directory: String { store.directory }

    init(_ ipam: String, network: String = "cbr0", platform: PlatformConventions = .posix) throws {
        temporary = try TemporaryDirectory()
        store = try HostLocalStore(
            config: try config(ipam, dataDir: temporary.path + "/networks"), networkName: network, platform: platform)
    }

    /// Windows' file-name rules with this machine's path separator, so the files land where the test looks.
    static let windowsNaming = PlatformConventions(
        isWindows: true, pathSeparator: "/", pathListSeparator: ";", executableSuffix: ".exe")
    func file(_ name: String) -> String? { readText(directory + "/" + name) }
    func addresses(_ allocations: [HostLocalAllocation]) -> [String] { allocations.map { "\($0.address)" } }
}

@Suite("host-local store")
struct HostLocalStoreTests {
    @Test("allocation starts at .2 (the gateway .1 is skipped) and records last_reserved_ip")
    func firstAllocations() throws {
        let fixture = try Fixture(#"{"subnet":"10.244.1.0/24"}"#)
        defer { fixture.temporary.remove() }
        let first = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0", excluding: [])
        #expect(first == [HostLocalAllocation(address: IPPrefix("10.244.1.2/24")!, gateway: IPAddress("10.244.1.1"))])
        #expect(fixture.file("last_reserved_ip.0") == "10.244.1.2")
        let second = try fixture.store.allocate(containerID: "ctrB", ifname: "eth0", excluding: [])
        #expect(fixture.addresses(second) == ["10.244.1.3/24"])
        #expect(fixture.file("last_reserved_ip.0") == "10.244.1.3")
        #expect(listing(fixture.directory) == ["10.244.1.2", "10.244.1.3", "last_reserved_ip.0", "lock"])
    }

    @Test("a reservation file holds exactly <containerID>\\r\\n<ifname>, mode 0600, in a 0700 directory")
    func exactBytes() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00:1::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "0123abcd", ifname: "eth0", excluding: [])
        #expect(readBytes(fixture.directory + "/10.0.0.2") == Array("0123abcd\r\neth0".utf8))
        #expect(readBytes(fixture.directory + "/fd00:1::2") == Array("0123abcd\r\neth0".utf8))
        #expect(fixture.file("last_reserved_ip.1") == "fd00:1::2")
        #expect(fileMode(fixture.directory + "/10.0.0.2") == 0o600)
        #expect(fileMode(fixture.directory) == 0o700)
    }

    @Test("allocating again for the same container and interface returns the same addresses")
    func idempotent() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/120"}]]}"#)
        defer { fixture.temporary.remove() }
        let first = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0", excluding: [])
        let again = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0", excluding: [])
        #expect(first == again)
        #expect(fixture.addresses(first) == ["10.0.0.2/24", "fd00::2/120"])
        let otherInterface = try fixture.store.allocate(containerID: "ctrA", ifname: "eth1", excluding: [])
        #expect(fixture.addresses(otherInterface) == ["10.0.0.3/24", "fd00::3/120"])
        #expect(try fixture.store.reservations().count == 4)
    }

    @Test(
        "an address the Go plugin reserved for this container is returned, and the next one follows its last_reserved_ip"
    )
    func sharesGoState() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        writeFile(fixture.directory + "/10.0.0.7", "goctr\r\neth0")
        writeFile(fixture.directory + "/last_reserved_ip.0", "10.0.0.7")
        writeFile(fixture.directory + "/lock", "")
        #expect(fixture.addresses(try fixture.store.allocate(containerID: "goctr", ifname: "eth0")) == ["10.0.0.7/24"])
        #expect(fixture.addresses(try fixture.store.allocate(containerID: "newctr", ifname: "eth0")) == ["10.0.0.8/24"])
    }

    @Test("release removes a file written the way the Go plugin writes it, and only that one")
    func releaseGoFile() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        writeFile(fixture.directory + "/10.0.0.5", "goctr\r\neth0")
        writeFile(fixture.directory + "/10.0.0.6", "goctr\r\neth1")
        writeFile(fixture.directory + "/10.0.0.9", "other\r\neth0")
        writeFile(fixture.directory + "/last_reserved_ip.0", "10.0.0.9")
        try fixture.store.release(containerID: "goctr", ifname: "eth0")
        // Only what the Go plugin would leave: the other reservations, last_reserved_ip and the lock.
        #expect(listing(fixture.directory) == ["10.0.0.6", "10.0.0.9", "last_reserved_ip.0", "lock"])
        // last_reserved_ip survives a release, as in host-local: the next address is .10, not .5.
        #expect(fixture.addresses(try fixture.store.allocate(containerID: "next", ifname: "eth0")) == ["10.0.0.10/24"])
    }

    @Test("release falls back to files of old host-local versions holding only the container ID")
    func releaseLegacyFile() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        writeFile(fixture.directory + "/10.0.0.5", "oldctr\n")
        let listed = try fixture.store.reservations()
        #expect(listed.count == 1)
        #expect(listed.first?.containerID == "oldctr")
        #expect(listed.first?.ifname == "")
        try fixture.store.release(containerID: "oldctr", ifname: "eth0")
        #expect(!exists(fixture.directory + "/10.0.0.5"))
    }

    @Test("release of nothing succeeds and creates nothing")
    func releaseAbsent() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        try fixture.store.release(containerID: "ghost", ifname: "eth0")
        #expect(!exists(fixture.temporary.path + "/networks"))
        #expect(try fixture.store.reservations().isEmpty)
        _ = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0")
        try fixture.store.release(containerID: "ghost", ifname: "eth0")
        #expect(try fixture.store.reservations().count == 1)
    }

    @Test("reservations lists every address with its owner, for garbage collection")
    func listsReservations() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "ctrB", ifname: "eth0")
        _ = try fixture.store.allocate(containerID: "ctrA", ifname: "eth1")
        let listed = try fixture.store.reservations().map { "\($0.address) \($0.containerID) \($0.ifname)" }
        #expect(listed == ["10.0.0.2 ctrB eth0", "10.0.0.3 ctrA eth1", "fd00::2 ctrB eth0", "fd00::3 ctrA eth1"])
        try fixture.store.release(address: IPAddress("10.0.0.2")!)
        #expect(try fixture.store.reservations().count == 3)
    }

    @Test("addresses(containerID:ifname:) finds what the owner holds, for CHECK")
    func heldAddresses() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        #expect(try fixture.store.addresses(containerID: "ctrA", ifname: "eth0").isEmpty)
        _ = try fixture.store.allocate(containerID: "other", ifname: "eth0")
        _ = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0")
        #expect(
            try fixture.store.addresses(containerID: "ctrA", ifname: "eth0") == [
                IPAddress("10.0.0.3"), IPAddress("fd00::3"),
            ])
    }

    @Test("with Windows file names, IPv6 reservations are spelled with _ and still found and released")
    func windowsFileNames() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"fd00:1::/64"}]]}"#, platform: Fixture.windowsNaming)
        defer { fixture.temporary.remove() }
        let allocations = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0")
        #expect(fixture.addresses(allocations) == ["fd00:1::2/64"])
        #expect(readBytes(fixture.directory + "/fd00_1__2") == Array("ctrA\r\neth0".utf8))
        #expect(fixture.file("last_reserved_ip.0") == "fd00:1::2")
        #expect(try fixture.store.allocate(containerID: "ctrA", ifname: "eth0") == allocations)
        #expect(try fixture.store.reservations().map(\.address) == [IPAddress("fd00:1::2")])
        try fixture.store.release(containerID: "ctrA", ifname: "eth0")
        #expect(!exists(fixture.directory + "/fd00_1__2"))
    }

    @Test("an excluded address (the L2Bridge .2) is never handed out")
    func excluding() throws {
        let fixture = try Fixture(#"{"subnet":"10.244.1.0/24"}"#)
        defer { fixture.temporary.remove() }
        let excluded: [IPAddress] = [IPAddress("10.244.1.2")!]
        let first = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0", excluding: excluded)
        #expect(fixture.addresses(first) == ["10.244.1.3/24"])
        #expect(!exists(fixture.directory + "/10.244.1.2"))
    }

    @Test("allocation goes round-robin: a released address comes back only after the range wraps")
    func roundRobin() throws {
        let fixture = try Fixture(
            #"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.10","rangeEnd":"10.0.0.12"}]]}"#)
        defer { fixture.temporary.remove() }
        let store = fixture.store
        #expect(fixture.addresses(try store.allocate(containerID: "a", ifname: "eth0")) == ["10.0.0.10/24"])
        #expect(fixture.addresses(try store.allocate(containerID: "b", ifname: "eth0")) == ["10.0.0.11/24"])
        try store.release(containerID: "a", ifname: "eth0")
        #expect(fixture.addresses(try store.allocate(containerID: "c", ifname: "eth0")) == ["10.0.0.12/24"])
        #expect(fixture.addresses(try store.allocate(containerID: "d", ifname: "eth0")) == ["10.0.0.10/24"])
        #expect(fixture.file("last_reserved_ip.0") == "10.0.0.10")
    }

    @Test("last_reserved_ip is rewritten in place and cut to the new address when that is shorter")
    func lastReservedShrinks() throws {
        let fixture = try Fixture(
            #"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.99","rangeEnd":"10.0.0.100"}]]}"#)
        defer { fixture.temporary.remove() }
        let store = fixture.store
        #expect(fixture.addresses(try store.allocate(containerID: "a", ifname: "eth0")) == ["10.0.0.99/24"])
        #expect(fixture.addresses(try store.allocate(containerID: "b", ifname: "eth0")) == ["10.0.0.100/24"])
        #expect(fixture.file("last_reserved_ip.0") == "10.0.0.100")
        try store.release(containerID: "a", ifname: "eth0")
        // The wrap writes the 9-byte address over the 10-byte one: no stray "0" may be left behind.
        #expect(fixture.addresses(try store.allocate(containerID: "c", ifname: "eth0")) == ["10.0.0.99/24"])
        #expect(readBytes(fixture.directory + "/last_reserved_ip.0") == Array("10.0.0.99".utf8))
        #expect(fileMode(fixture.directory + "/last_reserved_ip.0") == 0o600)
    }

    @Test("round-robin crosses the ranges of one set and skips a gateway inside the range")
    func acrossRanges() throws {
        let fixture = try Fixture(
            #"""
            {"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.1","rangeEnd":"10.0.0.3","gateway":"10.0.0.2"},
                        {"subnet":"10.0.1.0/24","rangeStart":"10.0.1.7","rangeEnd":"10.0.1.7"}]]}
            """#)
        defer { fixture.temporary.remove() }
        var got: [String] = []
        for name in ["a", "b", "c"] {
            got += fixture.addresses(try fixture.store.allocate(containerID: name, ifname: "eth0"))
        }
        #expect(got == ["10.0.0.1/24", "10.0.0.3/24", "10.0.1.7/24"])
        #expect(try fixture.store.allocate(containerID: "a", ifname: "eth0")[0].gateway == IPAddress("10.0.0.2"))
        #expect(try fixture.store.allocate(containerID: "c", ifname: "eth0")[0].gateway == IPAddress("10.0.1.1"))
    }

    @Test("the network and broadcast addresses are skipped even when the range includes them")
    func networkAndBroadcast() throws {
        let fixture = try Fixture(
            #"{"ranges":[[{"subnet":"10.0.0.0/30","rangeStart":"10.0.0.0","rangeEnd":"10.0.0.3","gateway":"10.0.0.1"}]]}"#
        )
        defer { fixture.temporary.remove() }
        #expect(fixture.addresses(try fixture.store.allocate(containerID: "a", ifname: "eth0")) == ["10.0.0.2/30"])
        #expect(throws: HostLocalError.self) { try fixture.store.allocate(containerID: "b", ifname: "eth0") }
    }

    @Test("an exhausted range set is an error naming the range and the network")
    func exhausted() throws {
        let fixture = try Fixture(
            #"{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.2","rangeEnd":"10.0.0.3"}"#, network: "cbr0")
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "a", ifname: "eth0")
        _ = try fixture.store.allocate(containerID: "b", ifname: "eth0")
        let error = try #require(throws: HostLocalError.self) {
            try fixture.store.allocate(containerID: "c", ifname: "eth0")
        }
        #expect(error.kind == .exhausted)
        #expect(error.path == "ipam")
        #expect(error.message.contains("10.0.0.2-10.0.0.3"))
        #expect(error.message.contains("\"cbr0\""))
    }

    @Test("dual stack: one address per range set, each set with its own last_reserved_ip")
    func dualStack() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.88.0.0/16"}],[{"subnet":"fd00:88::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        let allocations = try fixture.store.allocate(containerID: "ctrA", ifname: "eth0")
        #expect(
            allocations == [
                HostLocalAllocation(address: IPPrefix("10.88.0.2/16")!, gateway: IPAddress("10.88.0.1")),
                HostLocalAllocation(address: IPPrefix("fd00:88::2/64")!, gateway: IPAddress("fd00:88::1")),
            ])
        #expect(fixture.file("last_reserved_ip.0") == "10.88.0.2")
        #expect(fixture.file("last_reserved_ip.1") == "fd00:88::2")
        try fixture.store.release(containerID: "ctrA", ifname: "eth0")
        #expect(listing(fixture.directory) == ["last_reserved_ip.0", "last_reserved_ip.1", "lock"])
    }

    @Test("when a later range set is exhausted, the addresses this call reserved are released")
    func rollback() throws {
        let fixture = try Fixture(
            #"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64","rangeStart":"fd00::5","rangeEnd":"fd00::5"}]]}"#
        )
        defer { fixture.temporary.remove() }
        _ = try fixture.store.allocate(containerID: "first", ifname: "eth0")
        let error = try #require(throws: HostLocalError.self) {
            try fixture.store.allocate(containerID: "second", ifname: "eth0")
        }
        #expect(error.kind == .exhausted)
        #expect(error.path == "ipam.ranges[1]")
        #expect(try fixture.store.reservations().map(\.containerID) == ["first", "first"])
    }

    @Test("among 1,000 reservations of the Go plugin, allocation finds the owner's address or the first free one")
    func manyReservations() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/20"}"#)
        defer { fixture.temporary.remove() }
        makeDirectory(fixture.temporary.path + "/networks")
        makeDirectory(fixture.directory)
        for index in 0..<1000 {
            let address = IPAddress("10.0.0.2")!.adding(Int64(index))!
            writeFile(fixture.directory + "/\(address)", "ctr\(index)\r\neth0")
        }
        #expect(
            fixture.addresses(try fixture.store.allocate(containerID: "fresh", ifname: "eth0")) == ["10.0.3.234/20"])
        #expect(
            fixture.addresses(try fixture.store.allocate(containerID: "ctr500", ifname: "eth0")) == ["10.0.1.246/20"])
        try fixture.store.release(containerID: "ctr999", ifname: "eth0")
        #expect(!exists(fixture.directory + "/10.0.3.233"))
        #expect(try fixture.store.reservations().count == 1000)
    }

    @Test("threads allocating at once all get distinct addresses")
    func concurrentThreads() throws {
        let fixture = try Fixture(#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00::/64"}]]}"#)
        defer { fixture.temporary.remove() }
        let store = fixture.store
        let results = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        runOnThreads(24) { index in
            do {
                let allocations = try store.allocate(containerID: "ctr\(index)", ifname: "eth0")
                results.withLock { $0 += allocations.map { "\($0.address.address)" } }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let addresses = results.withLock { $0 }
        #expect(addresses.count == 48)
        #expect(Set(addresses).count == 48)
        #expect(try store.reservations().count == 48)
    }

    @Test(
        "allocation and release wait for another process's flock of the lock file, also under the container lock")
    func waitsForLock() throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        let store = fixture.store
        _ = try store.allocate(containerID: "a", ifname: "eth0")
        let lock = try #require(try store.lockContainer("b"))
        let address = try #require(IPAddress("10.0.0.4"))
        // Each operation starts while another process holds the store's flock (flock(1) takes the same flock(2)
        // lock as Go's host-local), which notes `done` just before it lets go: an operation that waited finds it.
        let operations: [(name: String, run: () throws -> Void)] = [
            ("allocation", { _ = try store.allocate(containerID: "c", ifname: "eth0") }),
            (
                "ADD's allocation under the container lock",
                { _ = try store.allocate(containerID: "b", ifname: "eth0", under: lock) }
            ),
            (
                "DEL's owner lookup under the container lock",
                { try store.forEachOwner(of: [address], under: lock) { _, _, _ in } }
            ),
            (
                "DEL's release under the container lock",
                { try store.release(containerID: "b", ifname: "eth0", addresses: [address], under: lock) }
            ),
        ]
        for (index, operation) in operations.enumerated() {
            let held = fixture.temporary.path + "/held.\(index)"
            let done = fixture.temporary.path + "/done.\(index)"
            let child = try ChildProcess(
                "/usr/bin/flock",
                arguments: ["-x", fixture.directory + "/lock", "-c", "touch \(held); sleep 0.5; touch \(done)"],
                environment: nil)
            for _ in 0..<1000 where !exists(held) { ProcessEnvironment.sleep(milliseconds: 10) }
            try #require(exists(held), "the other process never took the store lock")
            try operation.run()
            #expect(exists(done), "\(operation.name) did not wait for the store lock of another process")
            #expect(try child.wait() == 0)
        }
        // The container lock was held throughout and is still.
        #expect(store.isContainerLocked("b"))
        lock.release()
        #expect(try store.reservations().map(\.containerID) == ["a", "c"])
    }

    @Test(
        "unsafe network names are refused before anything touches the disk",
        arguments: ["", "..", ".", "../etc", "a/b", "a\\b", "nul\u{0}x", "-flag", "sp ace", "semi;colon"])
    func unsafeNetworkName(_ name: String) throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let decoded = try config(#"{"subnet":"10.0.0.0/24"}"#, dataDir: temporary.path + "/networks")
        let error = try #require(throws: HostLocalError.self) { try HostLocalStore(config: decoded, networkName: name) }
        #expect(error.kind == .invalidName)
        #expect(error.message.hasPrefix("network name"))
        #expect(listing(temporary.path).isEmpty)
    }

    @Test(
        "unsafe container IDs and interface names are refused before anything touches the disk",
        arguments: [
            ("", "eth0"), ("..", "eth0"), ("../../etc/passwd", "eth0"), ("a\\b", "eth0"), ("id\r\nx", "eth0"),
            ("ok", ""), ("ok", ".."), ("ok", "../x"), ("ok", "eth\u{0}0"), ("ok", "eth 0"), ("ok", "eth0\r\nx"),
            ("ok", "a\\b"), ("ok", "c:d"),
        ])
    func unsafeOwner(_ containerID: String, _ ifname: String) throws {
        let fixture = try Fixture(#"{"subnet":"10.0.0.0/24"}"#)
        defer { fixture.temporary.remove() }
        let allocateError = try #require(throws: HostLocalError.self) {
            try fixture.store.allocate(containerID: containerID, ifname: ifname)
        }
        #expect(allocateError.kind == .invalidName)
        let releaseError = try #require(throws: HostLocalError.self) {
            try fixture.store.release(containerID: containerID, ifname: ifname)
        }
        #expect(releaseError.kind == .invalidName)
        #expect(listing(fixture.temporary.path).isEmpty)
    }
}
