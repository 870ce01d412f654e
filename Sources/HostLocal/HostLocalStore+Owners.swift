import NetAddress

extension HostLocalStore {
    /// The owners of the reservation files of `addresses`, each file opened by name (either spelling of an IPv6
    /// name) with no directory scan; an address without a readable file is left out. A file of an older host-local
    /// version has an empty `ifname`.
    public func owners(of addresses: [IPAddress]) throws(HostLocalError)
        -> [(address: IPAddress, containerID: String, ifname: String)]
    {
        guard !addresses.isEmpty, let store = try StoreDirectory(path: directory, create: false, platform: platform)
        else { return [] }
        var result: [(address: IPAddress, containerID: String, ifname: String)] = []
        for address in addresses {
            let (plain, escaped) = StoreName.fileNames(for: address)
            let names = escapesColonsInFileNames ? [escaped, plain] : [plain, escaped]
            guard let content = names.lazy.compactMap({ store.read($0, limit: 4096) }).first, !content.truncated
            else { continue }
            let owner = Owner.parse(content.bytes)
            result.append((address, owner.containerID, owner.ifname))
        }
        return result
    }
}
