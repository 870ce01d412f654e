import NetAddress
import Platform

/// One address handed out for one range set: the address with its subnet's prefix length, and the range's gateway.
public struct HostLocalAllocation: Sendable, Equatable {
    public var address: IPPrefix
    public var gateway: IPAddress?

    public init(address: IPPrefix, gateway: IPAddress?) {
        self.address = address
        self.gateway = gateway
    }
}

/// The reservations of one network, kept on disk exactly as containernetworking's host-local keeps them, so the Go
/// plugin and wincni can share a data directory:
///
/// - directory `<dataDir>/<networkName>/`;
/// - one file per reserved address, named by the address as Go prints it (`10.244.1.5`, `fd00::5`), holding
///   `<containerID>\r\n<ifname>` with no trailing newline;
/// - `last_reserved_ip.<rangeSetIndex>` holding the last address handed out in that range set (no newline);
/// - `lock`, locked with `flock(LOCK_EX)` around every operation.
///
/// Allocation follows host-local's order: the address after the set's `last_reserved_ip`, round-robin through the
/// set's ranges, skipping the gateway. Where wincni differs, it is on the safe side: a repeated allocation for the same
/// container and interface returns the address it already holds (host-local fails), the network and IPv4 broadcast
/// addresses and the `excluding` addresses are never handed out.
public struct HostLocalStore: Sendable {
    public let config: HostLocalConfig
    public let networkName: String
    /// `<dataDir>/<networkName>`.
    public let directory: String
    /// The conventions of the platform whose file names the store uses: on Windows, `:` is spelled `_` in
    /// reservation file names, as host-local does there (`GetEscapedPath`), because NTFS would take `fd00::5` for a
    /// stream; the network name must be a valid Windows file name; paths are joined with `\`. Either spelling of an
    /// IPv6 name is read back on every platform.
    public let platform: PlatformConventions
    /// Whether reservation file names spell `:` as `_` (on Windows).
    public var escapesColonsInFileNames: Bool { platform.isWindows }

    /// Checks the network name and the config; touches nothing on disk.
    public init(config: HostLocalConfig, networkName: String, platform: PlatformConventions = .current)
        throws(HostLocalError)
    {
        try StoreName.check(networkName, as: .networkName)
        if let problem = platform.fileNameProblem(networkName) {
            throw HostLocalError(
                .invalidName, path: "", "network name \(quoted(networkName)) \(problem); rename the network")
        }
        try config.validate()
        self.config = config
        self.networkName = networkName
        self.platform = platform
        self.directory = platform.join(config.dataDir, networkName)
    }

    /// One address per range set, in the order of `config.rangeSets`. Idempotent for the same containerID+ifname:
    /// a range set in which they already hold an address (written by wincni or by the Go plugin) returns that
    /// address. `excluding` addresses are never handed out (the L2Bridge `.2`). If any range set fails, the
    /// addresses this call reserved are released again.
    ///
    /// A reservation appears whole or not at all (the platform layer's exclusive create links a complete temporary
    /// file into place), and what a killed writer left (such a temporary file, an empty reservation file of an
    /// older writer) is removed by the scan under the store's lock, where no live writer can be at work. So an ADD
    /// killed at any moment and retried holds one address.
    ///
    /// `requested` (CNI_ARGS `IP`, `args.cni.ips`, `runtimeConfig.ips`) are host-local's requested addresses: each
    /// is reserved in the range set that contains it, exactly, or the call fails (one outside every range set, the
    /// range's gateway, an excluded address, one another container holds, or one in a range set where the
    /// container already holds another address); the other range sets allocate as usual.
    ///
    /// `knownNew` is for a caller that knows the container can hold nothing yet (the plugin, when flannel had saved
    /// no config for this sandbox before this ADD and HNS has no endpoint of it): then the store is not scanned,
    /// and exclusive creates from after `last_reserved_ip` find the free address (round-robin makes the first try
    /// succeed almost always), so an ADD costs the same with 10 pods on the node as with 1,000. Leftovers of killed
    /// writers are then reclaimed by the next scan (a retried ADD, DEL's fallback, GC).
    ///
    /// `containerLock`: the caller's lock of this container on this store (`lockContainer`), whose open `lock` file
    /// then carries the store lock; here and in the other operations that take it.
    public func allocate(
        containerID: String, ifname: String, excluding: [IPAddress] = [], requested: [IPAddress] = [],
        knownNew: Bool = false, under containerLock: ContainerLock? = nil
    ) throws(HostLocalError) -> [HostLocalAllocation] {
        let owner = try Owner(containerID: containerID, ifname: ifname)
        var resolvedConfig = config
        resolvedConfig.resolveRanges()
        let sets = resolvedConfig.rangeSets
        var pending = requested.map(goCanonical)
        for address in pending where !sets.contains(where: { HostLocalConfig.Range.index(of: address, in: $0) != nil })
        {
            throw HostLocalError(
                .invalidConfig, path: "",
                "requested IP address \(goText(address)) is in no range set of network \(quoted(networkName)) ("
                    + sets.map { $0.map(\.description).joined(separator: ",") }.joined(separator: "; ") + ")")
        }
        guard
            let store = try StoreDirectory(
                path: directory, create: true, platform: platform, containerLock: containerLock)
        else {
            throw HostLocalError(.io, path: directory, "the store directory could not be created")
        }
        let excluded = excluding.map(goCanonical)
        let scan = knownNew ? Scan() : try self.scan(store, owner: owner, readOnlyWithin: sets)

        var created: [String] = []
        var allocations: [HostLocalAllocation] = []
        do throws(HostLocalError) {
            for (setIndex, set) in sets.enumerated() {
                let wanted = pending.firstIndex { HostLocalConfig.Range.index(of: $0, in: set) != nil }.map {
                    pending.remove(at: $0)
                }
                if let held = scan.owned.first(where: { HostLocalConfig.Range.index(of: $0, in: set) != nil }),
                    let range = set.first(where: { $0.contains(held) })
                {
                    if let wanted, wanted != held {
                        throw HostLocalError(
                            .invalidConfig, path: "",
                            "requested IP address \(goText(wanted)): container \(quoted(containerID)) interface "
                                + "\(quoted(ifname)) already holds \(goText(held)) in that range set")
                    }
                    allocations.append(allocation(held, in: range))
                    continue
                }
                if let wanted, let range = set.first(where: { $0.contains(wanted) }) {
                    allocations.append(
                        allocation(
                            try reserveRequested(
                                wanted, in: range, store: store, owner: owner, excluded: excluded,
                                created: &created), in: range))
                    continue
                }
                let (address, range, name) = try reserve(
                    in: set, setIndex: setIndex, store: store, owner: owner, taken: scan.reserved, excluded: excluded)
                created.append(name)
                allocations.append(allocation(address, in: range))
            }
        } catch {
            for name in created { try? store.remove(name) }
            throw error
        }
        return allocations
    }

    /// Removes every reservation held by containerID+ifname, whichever range set or plugin wrote it; nothing held
    /// (or no store directory) is success. Like host-local, files written by its older versions (content: the
    /// container ID alone) are released when no file names the interface.
    public func release(containerID: String, ifname: String, under containerLock: ContainerLock? = nil)
        throws(HostLocalError)
    {
        let owner = try Owner(containerID: containerID, ifname: ifname)
        guard
            let store = try StoreDirectory(
                path: directory, create: false, platform: platform, containerLock: containerLock)
        else { return }
        let scan = try self.scan(store, owner: owner, readOnlyWithin: nil)
        let names = scan.ownedNames.isEmpty ? scan.legacyNames : scan.ownedNames
        guard !names.isEmpty else { return }
        for name in names { try store.remove(name) }
    }

    /// Releases what containerID+ifname hold when the caller knows their addresses (the plugin reads them from
    /// the HNS endpoint): each file is opened, its owner checked and removed, with no directory scan. When a file
    /// is missing or held by someone else, falls back to `release(containerID:ifname:)`'s scan.
    public func release(
        containerID: String, ifname: String, addresses: [IPAddress], under containerLock: ContainerLock? = nil
    ) throws(HostLocalError) {
        let owner = try Owner(containerID: containerID, ifname: ifname)
        guard !addresses.isEmpty else {
            return try release(containerID: containerID, ifname: ifname, under: containerLock)
        }
        guard
            let store = try StoreDirectory(
                path: directory, create: false, platform: platform, containerLock: containerLock)
        else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: owner.contentLength + 64, alignment: 1)
        defer { buffer.deallocate() }
        var names: [String] = []
        for address in addresses {
            let name = fileName(for: address)
            guard let count = store.read(name, into: buffer), count < buffer.count,
                owner.match(UnsafeRawBufferPointer(rebasing: buffer[..<count])) == .current
            else {
                // Not where expected (the other spelling, a legacy file, or gone): the full scan decides.
                let scan = try self.scan(store, owner: owner, readOnlyWithin: nil)
                for name in scan.ownedNames.isEmpty ? scan.legacyNames : scan.ownedNames { try store.remove(name) }
                return
            }
            names.append(name)
        }
        for name in names { try store.remove(name) }
    }

    /// Removes, under one lock and with one scan, every reservation whose owner `keep` rejects (GC); returns how
    /// many distinct owners lost reservations. Files of older host-local versions have an empty `ifname`. The spare
    /// file earlier wincni versions kept in the store (`.wincni..spare`, a released reservation's bytes) goes too,
    /// so an upgraded node's store ends up holding only what the Go plugin would.
    public func releaseAll(keeping keep: (_ containerID: String, _ ifname: String) -> Bool) throws(HostLocalError)
        -> Int
    {
        guard let store = try StoreDirectory(path: directory, create: false, platform: platform) else { return 0 }
        var released = Set<String>()
        for name in try store.reclaimingLeftovers(try store.fileNames()) {
            if name == Self.formerSpareName {
                try store.remove(name)
                continue
            }
            guard StoreName.address(fromFileName: name) != nil else { continue }
            let owner = Owner.parse(store.read(name, limit: 4096)?.bytes ?? [])
            if keep(owner.containerID, owner.ifname) { continue }
            try store.remove(name)
            released.insert(owner.containerID + "\r\n" + owner.ifname)
        }
        return released.count
    }

    /// Removes the reservation of `address` whoever holds it (for garbage collection of files with no usable
    /// owner); an absent reservation is success.
    public func release(address: IPAddress) throws(HostLocalError) {
        guard let store = try StoreDirectory(path: directory, create: false, platform: platform) else { return }
        // Either spelling of an IPv6 name: the file may come from a plugin with the other setting.
        let (plain, escaped) = StoreName.fileNames(for: address)
        try store.remove(plain)
        if escaped != plain { try store.remove(escaped) }
    }

    /// Every reserved address with its owner, sorted by address. A file written by an older host-local has an
    /// empty `ifname`; an empty or unreadable file has an empty `containerID`.
    public func reservations() throws(HostLocalError) -> [(address: IPAddress, containerID: String, ifname: String)] {
        guard let store = try StoreDirectory(path: directory, create: false, platform: platform) else { return [] }
        var result: [(address: IPAddress, containerID: String, ifname: String)] = []
        for name in try store.fileNames() {
            guard let address = StoreName.address(fromFileName: name) else { continue }
            let content = store.read(name, limit: 4096)?.bytes ?? []
            let owner = Owner.parse(content)
            result.append((address, owner.containerID, owner.ifname))
        }
        return result.sorted { $0.address < $1.address }
    }

    /// The addresses containerID+ifname hold, in any range set, sorted (host-local's CHECK looks them up the same
    /// way, files of its older versions included).
    public func addresses(containerID: String, ifname: String) throws(HostLocalError) -> [IPAddress] {
        let owner = try Owner(containerID: containerID, ifname: ifname)
        guard let store = try StoreDirectory(path: directory, create: false, platform: platform) else { return [] }
        return try scan(store, owner: owner, readOnlyWithin: nil).owned.sorted()
    }

    /// The name of the reservation file of `address`.
    public func fileName(for address: IPAddress) -> String {
        let names = StoreName.fileNames(for: address)
        return escapesColonsInFileNames ? names.escaped : names.plain
    }

    /// The content of `last_reserved_ip.<rangeSet>` when it holds an address.
    public func lastReservedAddress(rangeSet: Int) throws(HostLocalError) -> IPAddress? {
        guard let store = try StoreDirectory(path: directory, create: false, platform: platform) else { return nil }
        return lastReserved(store, rangeSet: rangeSet)
    }

    // MARK: - Internals

    /// The name of the file earlier wincni versions recycled reservations through; GC removes it.
    static let formerSpareName = ".wincni..spare"

    private func allocation(_ address: IPAddress, in range: HostLocalConfig.Range) -> HostLocalAllocation {
        let prefix = IPPrefix(address: address, length: range.subnet.length) ?? range.subnet
        return HostLocalAllocation(address: prefix, gateway: range.effectiveGateway)
    }

    private func lastReserved(_ store: StoreDirectory, rangeSet: Int) -> IPAddress? {
        guard let content = store.read("last_reserved_ip.\(rangeSet)", limit: 64), !content.truncated else {
            return nil
        }
        // host-local parses the content as is; surrounding whitespace is tolerated here.
        let text = String(decoding: trimmingASCIIWhitespace(content.bytes), as: UTF8.self)
        return IPAddress(text).map(goCanonical)
    }

    /// Reserves exactly `address` (host-local's `Get` with a requested IP); `last_reserved_ip` is left alone, as
    /// host-local leaves it.
    private func reserveRequested(
        _ address: IPAddress, in range: HostLocalConfig.Range, store: StoreDirectory, owner: Owner,
        excluded: [IPAddress], created: inout [String]
    ) throws(HostLocalError) -> IPAddress {
        if address == range.effectiveGateway {
            throw HostLocalError(
                .invalidConfig, path: "", "requested IP address \(goText(address)) is the subnet's gateway")
        }
        if excluded.contains(address) {
            throw HostLocalError(
                .invalidConfig, path: "",
                "requested IP address \(goText(address)) is reserved for the host (the L2Bridge gateway)")
        }
        let name = fileName(for: address)
        guard try store.createExclusive(name, content: owner.content) else {
            throw HostLocalError(
                .exhausted, path: "",
                "requested IP address \(goText(address)) is not available in range set \(range.description) of "
                    + "network \(quoted(networkName)): another container holds it")
        }
        created.append(name)
        return address
    }

    /// Walks the candidates of one range set the way host-local's `RangeIter` does and reserves the first free
    /// one. `taken` (from the directory listing) spares a failed create for addresses known to be reserved;
    /// O_EXCL still decides.
    private func reserve(
        in set: [HostLocalConfig.Range], setIndex: Int, store: StoreDirectory, owner: Owner, taken: Set<IPAddress>,
        excluded: [IPAddress]
    ) throws(HostLocalError) -> (IPAddress, HostLocalConfig.Range, String) {
        let content = owner.content
        var rangeIndex = 0
        var current: IPAddress? = nil
        if let last = lastReserved(store, rangeSet: setIndex),
            let index = HostLocalConfig.Range.index(of: last, in: set)
        {
            rangeIndex = index
            current = last
        }
        var first: IPAddress? = nil
        while true {
            let candidate: IPAddress
            if let position = current {
                if position == set[rangeIndex].lastAddress {
                    rangeIndex = (rangeIndex + 1) % set.count
                    candidate = set[rangeIndex].firstAddress
                } else if let next = position.adding(1) {
                    candidate = next
                } else {
                    break
                }
            } else {
                candidate = set[rangeIndex].firstAddress
            }
            current = candidate
            if let first {
                if candidate == first { break }
            } else {
                first = candidate
            }
            let range = set[rangeIndex]
            if candidate == range.effectiveGateway || candidate == range.subnet.network
                || (candidate.isIPv4 && candidate == range.subnet.masked.lastAddress)
                || excluded.contains(candidate) || (!taken.isEmpty && taken.contains(candidate))
            {
                continue
            }
            let name = fileName(for: candidate)
            guard try store.createExclusive(name, content: content) else { continue }
            do {
                try store.overwrite("last_reserved_ip.\(setIndex)", content: Array(goText(candidate).utf8))
            } catch {
                try? store.remove(name)
                throw error
            }
            return (candidate, range, name)
        }
        let ranges = set.map(\.description).joined(separator: ",")
        throw HostLocalError(
            .exhausted, path: config.path(ofRangeSet: setIndex),
            "no IP addresses available in range set \(ranges) of network \(quoted(networkName))")
    }

    private struct Scan {
        /// Every address that has a reservation file.
        var reserved: Set<IPAddress> = []
        /// Addresses held by the owner, in either content form (host-local's `GetByID`).
        var owned: [IPAddress] = []
        var ownedNames: [String] = []
        var legacyNames: [String] = []
    }

    /// Lists the directory once and reads the reservation files whose address lies in `readOnlyWithin` (all when
    /// nil). This is the one directory scan of an allocation: host-local's idempotency and release lookups read
    /// every file too, and a reservation file is a few dozen bytes.
    private func scan(_ store: StoreDirectory, owner: Owner, readOnlyWithin sets: [[HostLocalConfig.Range]]?)
        throws(HostLocalError) -> Scan
    {
        var scan = Scan()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: owner.contentLength + 64, alignment: 1)
        defer { buffer.deallocate() }
        for name in try store.reclaimingLeftovers(try store.fileNames()) {
            guard let address = StoreName.address(fromFileName: name) else { continue }
            if let sets, !sets.contains(where: { HostLocalConfig.Range.index(of: address, in: $0) != nil }) {
                scan.reserved.insert(address)
                continue
            }
            guard let count = store.read(name, into: buffer) else {
                scan.reserved.insert(address)
                continue
            }
            if count == 0 {
                // Empty under the store's lock: created by a writer that died before writing its owner (host-local
                // creates, then writes). Nobody can attribute it, so the address goes back to the pool.
                try store.remove(name)
                continue
            }
            scan.reserved.insert(address)
            guard count < buffer.count else { continue }
            switch owner.match(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
            case .current:
                scan.owned.append(address)
                scan.ownedNames.append(name)
            case .legacy:
                scan.owned.append(address)
                scan.legacyNames.append(name)
            case .none:
                break
            }
        }
        return scan
    }
}

/// The holder of a reservation and the exact bytes host-local writes for it.
struct Owner {
    enum Match { case current, legacy, none }

    let containerID: String
    let ifname: String
    /// The length of `content`.
    let contentLength: Int
    private let idLength: Int

    init(containerID: String, ifname: String) throws(HostLocalError) {
        try StoreName.check(containerID, as: .containerID)
        try StoreName.check(ifname, as: .interfaceName)
        self.containerID = containerID
        self.ifname = ifname
        self.idLength = containerID.utf8.count
        self.contentLength = idLength + 2 + ifname.utf8.count
    }

    /// `<containerID>\r\n<ifname>`: host-local's `LineBreak` is `\r\n` on every platform. Made where a file is
    /// written: an array kept in the owner was destroyed through its generic value witness, which set up the
    /// metadata of Array in every ADD (~15 K instructions).
    var content: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(contentLength)
        bytes.append(contentsOf: containerID.utf8)
        bytes.append(0x0D)
        bytes.append(0x0A)
        bytes.append(contentsOf: ifname.utf8)
        return bytes
    }

    /// host-local compares the whitespace-trimmed file content with `<id>\r\n<ifname>`, and with `<id>` alone for
    /// files from its versions before the interface name was stored.
    func match(_ bytes: UnsafeRawBufferPointer) -> Match {
        let trimmed = trimmingASCIIWhitespace(bytes)
        // Lengths first: almost every file in a scan belongs to someone else.
        if trimmed.count == contentLength {
            let rest = trimmed.dropFirst(idLength)
            if trimmed.prefix(idLength).elementsEqual(containerID.utf8), rest.first == 0x0D,
                rest.dropFirst().first == 0x0A, rest.dropFirst(2).elementsEqual(ifname.utf8)
            {
                return .current
            }
        }
        if trimmed.count == idLength, trimmed.elementsEqual(containerID.utf8) { return .legacy }
        return .none
    }

    static func parse<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> (containerID: String, ifname: String) {
        let trimmed = trimmingASCIIWhitespace(bytes)
        guard let newline = trimmed.firstIndex(of: 0x0A) else {
            return (String(decoding: trimmed, as: UTF8.self), "")
        }
        let id = trimmingASCIIWhitespace(trimmed[..<newline])
        let ifname = trimmingASCIIWhitespace(trimmed[trimmed.index(after: newline)...])
        return (String(decoding: id, as: UTF8.self), String(decoding: ifname, as: UTF8.self))
    }
}

/// Go's `strings.TrimSpace`, limited to ASCII white space (the only kind host-local's own files contain).
func trimmingASCIIWhitespace<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
    while start < end, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
    return bytes[start..<end]
}
