import HCN
import JSON
import NetAddress

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What lookups, filters and the uniqueness rules need, kept as many small files next to the object files so that
/// no operation reads or writes a file that grows with the number of objects:
///
/// - `names/<kind>/<key>`: the GUIDs (one per line) of the objects with that name, `key` being the lower-cased
///   name %-escaped (names compare case-insensitively, as in HNS);
/// - `members/<network>/<endpoint>`: the endpoints of a network (empty files);
/// - `claims/<network>/<address>`: an address taken on a network, holding the endpoint's GUID;
/// - `ports/<network>/<port>/<protocol>,<vip>,<endpoint>`: a host port of a `PortMapping` (empty files);
/// - `macs/<12 hex digits>`: a MAC in use, holding the GUID of the endpoint that took it (and
///   `claims/<network>/mac-hint`, a value below which every MAC of the network's pool is taken);
/// - `attached/<namespace>/<endpoint>`: candidates for a namespace's members;
/// - `compartments/<number>`: a compartment in use, holding the namespace's GUID;
/// - `born/<kind>/<GUID>`: every object (empty files, whose age gives listings HNS's creation order).
///
/// Each of these folders also keeps `.spare-free`, the inode of the last entry removed from it, which the next new
/// entry takes (`createEntry`), so pod churn makes and frees no inode here either.
///
/// The object files stay the truth. Writers create these entries before the object file and remove them after it,
/// so at any point (also after a crash) they are a superset of what the objects say, and readers check each entry
/// against its object. An endpoint's `HostComputeNamespace` decides membership; `attached` only narrows the search.
struct SimulatorCatalog {
    let store: SimulatorStore

    static let folders = ["names", "born", "members", "claims", "ports", "macs", "attached", "compartments"]

    // MARK: - Objects

    func contains(_ kind: HCNResourceKind, _ id: GUID) -> Bool { POSIXFiles.exists(store.path(kind, id)) }

    func document(_ kind: HCNResourceKind, _ id: GUID) throws(POSIXFailure) -> JSONObject? {
        try store.document(kind, id)
    }

    func network(_ id: GUID) throws(POSIXFailure) -> NetworkRecord? {
        try store.document(.network, id).map { StoredNetwork.record(id: id, document: $0) }
    }

    func endpoint(_ id: GUID) throws(POSIXFailure) -> EndpointRecord? {
        try store.document(.endpoint, id).map { StoredEndpoint.record(id: id, document: $0) }
    }

    func bornPath(_ kind: HCNResourceKind, _ id: GUID) -> String {
        store.directory + "/born/" + kind.rawValue + "/" + id.description
    }

    /// Every object of `kind`, oldest first.
    func listed(_ kind: HCNResourceKind) throws(POSIXFailure) -> [GUID] {
        try POSIXFiles.listByAge(store.directory + "/born/" + kind.rawValue).compactMap { name in
            GUID(name).flatMap { contains(kind, $0) ? $0 : nil }
        }
    }

    /// Every object file of `kind`, in GUID order (what a repair starts from).
    func all(_ kind: HCNResourceKind) throws(POSIXFailure) -> [GUID] {
        var ids: [GUID] = []
        for name in try POSIXFiles.list(store.folder(kind)) where name.hasSuffix(".json") && !name.hasPrefix(".") {
            if let id = GUID(String(name.dropLast(5))) { ids.append(id) }
        }
        return ids.sorted { $0.description < $1.description }
    }

    // MARK: - Entries

    /// Creates the entry `path` holding `content` unless it exists (false then), with the inode of the last entry
    /// removed from the same catalog folder when there is one (`POSIXFiles.createEntry`).
    @discardableResult
    func createEntry(_ path: String, _ content: [UInt8] = []) throws(POSIXFailure) -> Bool {
        try POSIXFiles.createEntry(path, content, spare: spare(of: path))
    }

    @discardableResult
    func createEntry(_ path: String, holding owner: GUID) throws(POSIXFailure) -> Bool {
        try createEntry(path, Array(owner.description.utf8))
    }

    /// Removes the entry `path` (a missing one is fine), keeping its inode for the folder's next entry.
    func removeEntry(_ path: String) throws(POSIXFailure) {
        try POSIXFiles.retire(path, spare: spare(of: path))
    }

    /// Removes the entry `path` when it holds `owner`'s GUID (a claim another object took over stays); true when
    /// removed.
    @discardableResult
    func removeEntry(_ path: String, ifHolding owner: GUID) throws(POSIXFailure) -> Bool {
        try POSIXFiles.retire(path, ifHolding: owner, spare: spare(of: path))
    }

    /// The free spare of the catalog folder (`members`, `claims`, …) that holds `path`. No entry is named like it:
    /// entries are GUIDs, addresses, numbers and %-escaped keys, none starting with a dot.
    private func spare(of path: String) -> String {
        let folder = path.utf8.dropFirst(store.directory.utf8.count + 1).prefix { $0 != UInt8(ascii: "/") }
        return store.directory + "/" + String(Substring(folder)) + "/" + POSIXFiles.freeSpare
    }

    // MARK: - Names

    func namePath(_ kind: HCNResourceKind, _ name: String) -> (path: String, hashed: Bool) {
        let key = Self.key(name)
        return (store.directory + "/names/" + kind.rawValue + "/" + key.text, key.hashed)
    }

    /// The objects of `kind` named `name` (case-insensitively), in the order they were created.
    func ids(_ kind: HCNResourceKind, named name: String) throws(POSIXFailure) -> [GUID] {
        let (path, hashed) = namePath(kind, name)
        guard let bytes = try POSIXFiles.readFile(path) else { return [] }
        var ids: [GUID] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[start..<end]
            start = end + 1
            guard let id = GUID(String(decoding: line, as: UTF8.self)) else { continue }
            if hashed {
                let stored = kind == .network ? try network(id)?.name : try endpoint(id)?.name
                guard let stored, sameText(stored, name) else { continue }
            } else if !contains(kind, id) {
                continue
            }
            ids.append(id)
        }
        return ids
    }

    // MARK: - Endpoints of a network, members of a namespace

    func memberFolder(_ network: GUID) -> String { store.directory + "/members/" + network.description }

    func endpointIDs(onNetwork network: GUID) throws(POSIXFailure) -> [GUID] {
        try POSIXFiles.listByAge(memberFolder(network)).compactMap { name in
            GUID(name).flatMap { contains(.endpoint, $0) ? $0 : nil }
        }
    }

    func attachedFolder(_ namespace: GUID) -> String { store.directory + "/attached/" + namespace.description }

    /// The endpoints whose `HostComputeNamespace` is `namespace`.
    func members(ofNamespace namespace: GUID) throws(POSIXFailure) -> [GUID] {
        var ids: [GUID] = []
        for name in try POSIXFiles.listByAge(attachedFolder(namespace)) {
            guard let id = GUID(name), try endpoint(id)?.namespace == namespace else { continue }
            ids.append(id)
        }
        return ids
    }

    // MARK: - Uniqueness

    func claimPath(_ network: GUID, _ address: IPAddress) -> String {
        store.directory + "/claims/" + network.description + "/" + address.description
    }

    func isClaimed(_ address: IPAddress, on network: GUID) -> Bool {
        POSIXFiles.exists(claimPath(network, address))
    }

    func portFolder(_ network: GUID, _ port: UInt16) -> String {
        store.directory + "/ports/" + network.description + "/" + String(port)
    }

    static func portEntry(_ port: HostPort, owner: GUID) -> String {
        "\(port.protocolNumber),\(key(port.vip).text),\(owner)"
    }

    /// The mappings of host port `port` on `network`, except those of `excluded`.
    func hostPorts(_ port: UInt16, on network: GUID, excluding excluded: GUID?) throws(POSIXFailure) -> [HostPort] {
        var result: [HostPort] = []
        for entry in try POSIXFiles.list(portFolder(network, port)) {
            let parts = entry.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 3, let protocolNumber = UInt32(parts[0]), let owner = GUID(String(parts[2])),
                owner != excluded, contains(.endpoint, owner)
            else { continue }
            result.append(HostPort(protocolNumber: protocolNumber, port: port, vip: Self.unescape(parts[1])))
        }
        return result
    }

    func macPath(_ value: UInt64) -> String {
        var digits = String(value, radix: 16, uppercase: true)
        while digits.utf8.count < 12 { digits = "0" + digits }
        return store.directory + "/macs/" + digits
    }

    /// Per network: pools of different networks may differ.
    func macHintPath(_ network: GUID) -> String { store.directory + "/claims/" + network.description + "/mac-hint" }

    func isMACTaken(_ value: UInt64) -> Bool { POSIXFiles.exists(macPath(value)) }

    func compartmentPath(_ compartment: UInt32) -> String { store.directory + "/compartments/" + String(compartment) }

    /// The highest compartment a namespace uses (1, the host's, when there is none).
    func highestCompartment() throws(POSIXFailure) -> UInt32 {
        var highest: UInt32 = 1
        for name in try POSIXFiles.list(store.directory + "/compartments") {
            if let value = UInt32(name), value > highest { highest = value }
        }
        return highest
    }

    // MARK: - Keys

    /// A file name for free text: lower-cased, bytes other than letters, digits, `-` and `_` %-escaped; text too
    /// long for one file name ends in a hash of the whole (then readers compare the object's own name).
    static func key(_ text: String) -> (text: String, hashed: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        let digits = Array("0123456789ABCDEF".utf8)
        var isASCII = true
        for byte in text.utf8 where byte >= 0x80 {
            isASCII = false
            break
        }
        for original in (isASCII ? text : text.lowercased()).utf8 {
            let byte = original >= UInt8(ascii: "A") && original <= UInt8(ascii: "Z") ? original | 0x20 : original
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
                UInt8(ascii: "_"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        // `%` alone is no escaped text: the empty name's key.
        if out.isEmpty { return ("%", false) }
        guard out.count > 200 else { return (String(decoding: out, as: UTF8.self), false) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (String(decoding: out.prefix(180), as: UTF8.self) + "~" + String(hash, radix: 16), true)
    }

    static func unescape(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "%"), position + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(position + 1)...(position + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                position += 3
            } else {
                output.append(bytes[position])
                position += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A network's MAC hint (`claims/<network>/mac-hint`): every MAC of the network's pool below its value is taken.
/// Only writers use it, holding the lock, and a repair drops it, so it is read and rewritten in place through one
/// descriptor: always 12 hex digits (at least as long as any earlier value), in one `pwrite`.
final class MACHintFile {
    private var fd: Int32 = -1
    private let path: String
    /// 0 when the file is missing or unreadable.
    private(set) var value: UInt64 = 0

    /// Opens the hint; `create` makes a missing file (and its folder), else a missing one reads 0 and is not set.
    init(path: String, create: Bool) throws(POSIXFailure) {
        self.path = path
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        fd = open(path, flags, 0o600)
        if fd < 0 && errno == ENOENT && create, let slash = path.lastIndex(of: "/") {
            try POSIXFiles.makeDirectory(String(path[..<slash]), mode: 0o700)
            fd = open(path, flags, 0o600)
        }
        if fd < 0 {
            if errno == ENOENT && !create { return }
            throw POSIXFailure("open", path)
        }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { value = UInt64(String(decoding: buffer[..<count], as: UTF8.self), radix: 16) ?? 0 }
    }

    func set(_ newValue: UInt64) throws(POSIXFailure) {
        guard fd >= 0 else { return }
        var digits = Array(String(newValue, radix: 16).utf8)
        if digits.count < 12 { digits = [UInt8](repeating: UInt8(ascii: "0"), count: 12 - digits.count) + digits }
        let written = digits.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == digits.count else { throw POSIXFailure("write", path) }
        value = newValue
    }

    deinit { if fd >= 0 { close(fd) } }
}

/// A state-directory failure as the HCN error of `operation`.
func simulatorIO<T>(_ operation: String, _ body: () throws(POSIXFailure) -> T) throws(HCNError) -> T {
    do {
        return try body()
    } catch {
        throw SimulatorErrorCatalog.error(
            operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
    }
}
