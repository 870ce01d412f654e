import HCN
import JSON
import NetAddress

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The state directory: one JSON file per object (`networks/<GUID>.json`, `endpoints/…`, `namespaces/…`), the
/// catalog's small files (`SimulatorCatalog`), the `lock` writers hold, `version.json`, `faults.json` and
/// `faults.flag`. Every object file is replaced atomically, so readers in other processes need no lock and a process
/// killed at any point leaves files that all parse. Object files are written through each folder's two spare files
/// (`POSIXFiles.saveObject`), so steady churn makes and frees no inodes.
final class SimulatorStore: @unchecked Sendable {
    let directory: String
    private let lockPath: String
    let faultsPath: String
    let versionPath: String
    /// `1` while `faults.json` may exist: checked before every operation without a system call (`SharedFlag`).
    let faultFlag: SharedFlag
    let documents = DocumentCache()

    init(directory: String) throws(POSIXFailure) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.directory = trimmed
        lockPath = trimmed + "/lock"
        faultsPath = trimmed + "/faults.json"
        versionPath = trimmed + "/version.json"
        let flagPath = trimmed + "/faults.flag"
        // The flag is made last when a directory is set up: where it is, everything else is.
        if let flag = SharedFlag(path: flagPath) {
            faultFlag = flag
            return
        }
        try Self.setUp(trimmed, lockPath: lockPath)
        do {
            try Self.makeFlag(flagPath, directory: trimmed, lockPath: lockPath, faultsPath: faultsPath)
        } catch {
            // A directory this process may read but not write (as before the flag): look for faults.json itself.
            faultFlag = SharedFlag(probing: faultsPath)
            return
        }
        faultFlag = SharedFlag(path: flagPath) ?? SharedFlag(probing: faultsPath)
    }

    /// Makes `faults.flag` unless another process did meanwhile. A directory of a version without the flag may
    /// hold faults already.
    private static func makeFlag(_ path: String, directory: String, lockPath: String, faultsPath: String)
        throws(POSIXFailure)
    {
        let lock = try StateLock(path: lockPath)
        defer { lock.release() }
        guard (try POSIXFiles.readFile(path) ?? []).isEmpty else { return }
        let planted = POSIXFiles.exists(faultsPath)
        try POSIXFiles.writeAtomically(
            [planted ? UInt8(ascii: "1") : UInt8(ascii: "0")], to: path, directory: directory)
    }

    /// Creates the folders of a new directory (or of one from before the catalog).
    private static func setUp(_ directory: String, lockPath: String) throws(POSIXFailure) {
        if POSIXFiles.exists(directory + "/compartments") { return }
        try POSIXFiles.makeDirectory(directory, mode: 0o700)
        for folder in ["networks", "endpoints", "namespaces"] {
            try POSIXFiles.makeDirectory(directory + "/" + folder, mode: 0o700)
        }
        for name in SimulatorCatalog.folders where name != "compartments" {
            try POSIXFiles.makeDirectory(directory + "/" + name, mode: 0o700)
        }
        for kind in HCNResourceKind.allCases {
            try POSIXFiles.makeDirectory(directory + "/names/" + kind.rawValue, mode: 0o700)
            try POSIXFiles.makeDirectory(directory + "/born/" + kind.rawValue, mode: 0o700)
        }
        // A directory from before the catalog (or a new one): the next writer builds the catalog.
        try StateLock(path: lockPath).setMarker(true)
        try POSIXFiles.makeDirectory(directory + "/compartments", mode: 0o700)
    }

    func folder(_ kind: HCNResourceKind) -> String {
        switch kind {
        case .network: return directory + "/networks"
        case .endpoint: return directory + "/endpoints"
        case .namespace: return directory + "/namespaces"
        }
    }

    func path(_ kind: HCNResourceKind, _ id: GUID) -> String { folder(kind) + "/" + id.description + ".json" }

    var catalog: SimulatorCatalog { SimulatorCatalog(store: self) }

    // MARK: - Reading

    /// An object's stored document, nil when it does not exist (any more) or does not parse.
    func document(_ kind: HCNResourceKind, _ id: GUID) throws(POSIXFailure) -> JSONObject? {
        guard let bytes = try storedBytes(kind, id) else { return nil }
        return parsed(kind, id, bytes)
    }

    /// An object's file as it is, nil when it does not exist.
    func storedBytes(_ kind: HCNResourceKind, _ id: GUID) throws(POSIXFailure) -> [UInt8]? {
        try POSIXFiles.readFile(path(kind, id))
    }

    /// `bytes` (an object's file) parsed, or the document parsed from the same bytes before.
    func parsed(_ kind: HCNResourceKind, _ id: GUID, _ bytes: [UInt8]) -> JSONObject? {
        if let known = documents.document(kind, id, bytes: bytes) { return known }
        guard let parsed = try? JSON.parse(bytes), case .object(let object) = parsed else { return nil }
        documents.remember(kind, id, bytes: bytes, document: object)
        return object
    }

    // MARK: - Writing

    /// Runs `body` holding the writer lock; `body` writes object files and catalog entries through the
    /// transaction. A writer that died half-way leaves its mark in the lock file (first byte `1`, see `StateLock`),
    /// and the next writer rebuilds the catalog.
    func write<T>(_ body: (inout SimulatorTransaction) throws(HCNError) -> T, operation: String) throws(HCNError) -> T {
        let lock: StateLock
        do {
            lock = try StateLock(path: lockPath)
            if try lock.marker() { try repair() }
            try lock.setMarker(true)
        } catch {
            throw Self.stateError(operation, error)
        }
        defer { lock.release() }
        var transaction = SimulatorTransaction(store: self, operation: operation)
        let value: T
        do throws(HCNError) {
            value = try body(&transaction)
        } catch {
            // A refused operation wrote nothing that breaks the catalog's rule: no repair needed.
            do { try lock.setMarker(false) } catch let failure { throw Self.stateError(operation, failure) }
            throw error
        }
        do { try lock.setMarker(false) } catch { throw Self.stateError(operation, error) }
        return value
    }

    static func stateError(_ operation: String, _ failure: POSIXFailure) -> HCNError {
        SimulatorErrorCatalog.error(
            operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(failure).")
    }

    /// Runs `body` holding the writer lock without touching objects (faults, version).
    func locked<T>(_ body: () throws(POSIXFailure) -> T) throws(POSIXFailure) -> T {
        let lock = try StateLock(path: lockPath)
        defer { lock.release() }
        return try body()
    }

    /// Rebuilds every catalog entry from the object files (after a writer died between them). Only after a crash:
    /// this reads every object.
    private func repair() throws(POSIXFailure) {
        for name in SimulatorCatalog.folders { try POSIXFiles.removeTree(directory + "/" + name) }
        for name in SimulatorCatalog.folders { try POSIXFiles.makeDirectory(directory + "/" + name, mode: 0o700) }
        for kind in HCNResourceKind.allCases {
            try POSIXFiles.makeDirectory(directory + "/names/" + kind.rawValue, mode: 0o700)
            try POSIXFiles.makeDirectory(directory + "/born/" + kind.rawValue, mode: 0o700)
        }
        let catalog = self.catalog
        for kind in [HCNResourceKind.network, .namespace, .endpoint] {
            for id in try catalog.all(kind) {
                guard let document = try document(kind, id) else { continue }
                try SimulatorTransaction.addEntries(kind, id, document, old: nil, catalog: catalog)
            }
        }
    }
}

/// The changes of one write operation, made while the store's lock is held.
struct SimulatorTransaction {
    let store: SimulatorStore
    let operation: String
    let catalog: SimulatorCatalog

    init(store: SimulatorStore, operation: String) {
        self.store = store
        self.operation = operation
        self.catalog = store.catalog
    }

    func io<T>(_ body: () throws(POSIXFailure) -> T) throws(HCNError) -> T {
        do { return try body() } catch { throw SimulatorStore.stateError(operation, error) }
    }

    func document(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> JSONObject? {
        try io { () throws(POSIXFailure) in try store.document(kind, id) }
    }

    /// Writes the object: its new catalog entries first, then the file (the commit point), then the removal of
    /// entries it no longer has.
    /// `old` is the stored document the caller read in this transaction (nil for a new object).
    mutating func save(_ kind: HCNResourceKind, _ id: GUID, _ document: JSONObject, old: JSONObject?) throws(HCNError) {
        try io { () throws(POSIXFailure) in
            try Self.addEntries(kind, id, document, old: old, catalog: catalog)
            let bytes = JSON.object(document).compactBytes()
            try POSIXFiles.saveObject(bytes, to: store.path(kind, id), directory: store.folder(kind), isNew: old == nil)
            store.documents.remember(kind, id, bytes: bytes, document: document)
            if let old { try Self.removeEntries(kind, id, old, new: document, catalog: catalog) }
        }
    }

    /// `save` of an endpoint whose records (what the catalog holds of it) the caller already has; `bytes`, when
    /// given, are `document` serialised compact (an edit of the stored file, `CompactSplice`).
    mutating func saveEndpoint(
        _ id: GUID, _ document: JSONObject, bytes: [UInt8]?, before: EndpointRecord, after: EndpointRecord
    ) throws(HCNError) {
        try io { () throws(POSIXFailure) in
            try Self.addEndpointEntries(id, after, before: before, catalog: catalog)
            let bytes = bytes ?? JSON.object(document).compactBytes()
            try POSIXFiles.saveObject(
                bytes, to: store.path(.endpoint, id), directory: store.folder(.endpoint), isNew: false)
            store.documents.remember(.endpoint, id, bytes: bytes, document: document)
            try Self.removeEndpointEntries(id, before, after: after, catalog: catalog)
        }
    }

    /// Removes the object whose stored document is `old` (nil when its file does not parse).
    mutating func delete(_ kind: HCNResourceKind, _ id: GUID, old: JSONObject?) throws(HCNError) {
        try io { () throws(POSIXFailure) in
            try POSIXFiles.removeObject(store.path(kind, id), directory: store.folder(kind))
            store.documents.forget(kind, id)
            if let old { try Self.removeEntries(kind, id, old, new: nil, catalog: catalog) }
            switch kind {
            case .network:
                try POSIXFiles.removeTree(catalog.memberFolder(id))
                try POSIXFiles.removeTree(store.directory + "/claims/" + id.description)
                try POSIXFiles.removeTree(store.directory + "/ports/" + id.description)
            case .namespace:
                try POSIXFiles.removeTree(catalog.attachedFolder(id))
            case .endpoint:
                break
            }
        }
    }

    mutating func delete(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) {
        try delete(kind, id, old: try document(kind, id))
    }

    /// The catalog entries `document` has and `old` lacks.
    static func addEntries(
        _ kind: HCNResourceKind, _ id: GUID, _ document: JSONObject, old: JSONObject?, catalog: SimulatorCatalog
    ) throws(POSIXFailure) {
        if old == nil { try catalog.createEntry(catalog.bornPath(kind, id)) }
        switch kind {
        case .network:
            guard old == nil else { break }
            try addName(.network, StoredNetwork.record(id: id, document: document).name, id, catalog)
            // The folders every endpoint of the network writes to, made once here.
            try POSIXFiles.makeFolder(catalog.memberFolder(id))
            try POSIXFiles.makeFolder(catalog.store.directory + "/claims/" + id.description)
        case .namespace:
            guard old == nil else { break }
            let record = StoredNamespace.record(id: id, document: document)
            try catalog.createEntry(catalog.compartmentPath(record.compartment), holding: id)
            // The folder attaching an endpoint writes to, made once here.
            try POSIXFiles.makeFolder(catalog.attachedFolder(id))
        case .endpoint:
            try addEndpointEntries(
                id, StoredEndpoint.record(id: id, document: document),
                before: old.map { StoredEndpoint.record(id: id, document: $0) }, catalog: catalog)
        }
    }

    /// The catalog entries endpoint `new` has and `before` lacks (the born entry aside).
    static func addEndpointEntries(
        _ id: GUID, _ new: EndpointRecord, before: EndpointRecord?, catalog: SimulatorCatalog
    ) throws(POSIXFailure) {
        if before == nil {
            try addName(.endpoint, new.name, id, catalog)
            try catalog.createEntry(catalog.memberFolder(new.network) + "/" + id.description)
        }
        for ip in new.ips where !(before?.ips.contains(ip) ?? false) {
            guard let address = IPAddress(ip) else { continue }
            try catalog.createEntry(catalog.claimPath(new.network, address), holding: id)
        }
        for port in new.ports where !(before?.ports.contains(port) ?? false) {
            let entry = catalog.portFolder(new.network, port.port) + "/" + SimulatorCatalog.portEntry(port, owner: id)
            try catalog.createEntry(entry)
        }
        if new.mac != before?.mac, let value = StoredEndpoint.macValue(new.mac) {
            try catalog.createEntry(catalog.macPath(value), holding: id)
        }
        if let namespace = new.namespace, namespace != before?.namespace {
            try catalog.createEntry(catalog.attachedFolder(namespace) + "/" + id.description)
        }
    }

    /// The catalog entries `old` has and `new` (nil after a delete) lacks.
    static func removeEntries(
        _ kind: HCNResourceKind, _ id: GUID, _ old: JSONObject, new document: JSONObject?, catalog: SimulatorCatalog
    ) throws(POSIXFailure) {
        if document == nil { try catalog.removeEntry(catalog.bornPath(kind, id)) }
        switch kind {
        case .network:
            if document == nil {
                try removeName(.network, StoredNetwork.record(id: id, document: old).name, id, catalog)
            }
        case .namespace:
            let record = StoredNamespace.record(id: id, document: old)
            if document == nil { try catalog.removeEntry(catalog.compartmentPath(record.compartment), ifHolding: id) }
        case .endpoint:
            try removeEndpointEntries(
                id, StoredEndpoint.record(id: id, document: old),
                after: document.map { StoredEndpoint.record(id: id, document: $0) }, catalog: catalog)
        }
    }

    /// The catalog entries endpoint `before` has and `after` (nil after a delete) lacks (the born entry aside).
    static func removeEndpointEntries(
        _ id: GUID, _ before: EndpointRecord, after: EndpointRecord?, catalog: SimulatorCatalog
    ) throws(POSIXFailure) {
        if after == nil {
            try removeName(.endpoint, before.name, id, catalog)
            try catalog.removeEntry(catalog.memberFolder(before.network) + "/" + id.description)
        }
        for ip in before.ips where !(after?.ips.contains(ip) ?? false) {
            // The address was this endpoint's alone on the network: the claim is its own.
            guard let address = IPAddress(ip) else { continue }
            try catalog.removeEntry(catalog.claimPath(before.network, address))
        }
        for port in before.ports where !(after?.ports.contains(port) ?? false) {
            try catalog.removeEntry(
                catalog.portFolder(before.network, port.port) + "/" + SimulatorCatalog.portEntry(port, owner: id))
        }
        if before.mac != after?.mac, let value = StoredEndpoint.macValue(before.mac) {
            if try catalog.removeEntry(catalog.macPath(value), ifHolding: id) {
                let hint = try MACHintFile(path: catalog.macHintPath(before.network), create: false)
                if value < hint.value { try hint.set(value) }
            }
        }
        if let namespace = before.namespace, namespace != after?.namespace {
            try catalog.removeEntry(catalog.attachedFolder(namespace) + "/" + id.description)
        }
    }

    private static func addName(_ kind: HCNResourceKind, _ name: String, _ id: GUID, _ catalog: SimulatorCatalog)
        throws(POSIXFailure)
    {
        let path = catalog.namePath(kind, name).path
        let line = Array(id.description.utf8) + [UInt8(ascii: "\n")]
        // The first object of a name makes the file in one step: readers check each GUID against its object
        // file, which does not exist yet, so a file caught before its line is written lists nothing.
        if try catalog.createEntry(path, line) { return }
        var bytes = try POSIXFiles.readFile(path) ?? []
        bytes += line
        try POSIXFiles.writeAtomically(bytes, to: path, directory: catalog.store.directory + "/names/" + kind.rawValue)
    }

    private static func removeName(_ kind: HCNResourceKind, _ name: String, _ id: GUID, _ catalog: SimulatorCatalog)
        throws(POSIXFailure)
    {
        let path = catalog.namePath(kind, name).path
        guard let bytes = try POSIXFiles.readFile(path) else { return }
        let mine = Array(id.description.utf8)
        // The other lines, each ending in a line feed.
        var kept: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if end > start && !bytes[start..<end].elementsEqual(mine) {
                kept += bytes[start..<end]
                kept.append(UInt8(ascii: "\n"))
            }
            start = end + 1
        }
        if kept.isEmpty {
            try catalog.removeEntry(path)
        } else {
            try POSIXFiles.writeAtomically(
                kept, to: path, directory: catalog.store.directory + "/names/" + kind.rawValue)
        }
    }
}
