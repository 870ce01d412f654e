import NetAddress

extension HostLocalStore {
    /// The owners of the reservation files of `addresses`, each file opened by name (either spelling of an IPv6
    /// name) with no directory scan; an address without a readable file is left out. A file of an older host-local
    /// version has an empty `ifname`.
    public func owners(of addresses: [IPAddress]) throws(HostLocalError)
        -> [(address: IPAddress, containerID: String, ifname: String)]
    {
        var result: [(address: IPAddress, containerID: String, ifname: String)] = []
        try forEachOwner(of: addresses) { address, containerID, ifname in
            result.append((address, containerID, ifname))
        }
        return result
    }

    /// Calls `body` with the owner of the reservation file of each of `addresses` in turn, as `owners(of:)` lists
    /// them, without building the list (a caller with one question, such as DEL's "is this another interface's
    /// endpoint", needs no array of tuples, whose generic type every exec would set up).
    public func forEachOwner(
        of addresses: [IPAddress], under containerLock: ContainerLock? = nil,
        _ body: (_ address: IPAddress, _ containerID: String, _ ifname: String) -> Void
    ) throws(HostLocalError) {
        guard !addresses.isEmpty,
            let store = try StoreDirectory(
                path: directory, create: false, platform: platform, containerLock: containerLock)
        else { return }
        // One buffer for every file, one byte longer than the longest content read: a file that fills it is too
        // long to be a reservation and is left out.
        let limit = 4096
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit + 1, alignment: 1)
        defer { buffer.deallocate() }
        for address in addresses {
            let (plain, escaped) = StoreName.fileNames(for: address)
            let (first, second) = escapesColonsInFileNames ? (escaped, plain) : (plain, escaped)
            guard let count = store.read(first, into: buffer) ?? store.read(second, into: buffer), count <= limit
            else { continue }
            let owner = Owner.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            body(address, owner.containerID, owner.ifname)
        }
    }
}
