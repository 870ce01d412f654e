import HCN
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The state directory: one JSON file per object (`networks/<GUID>.json`, `endpoints/…`, `namespaces/…`), the
/// `index`, the `lock` writers hold, `version` and `faults`. Every file is replaced atomically, so readers in
/// other processes need no lock and a process killed at any point leaves files that all parse.
final class SimulatorStore: @unchecked Sendable {
    let directory: String
    private let lockPath: String
    private let indexPath: String
    private let dirtyPath: String
    let faultsPath: String
    let versionPath: String

    // The last index read, reused while `index` on disk is still that file. The file is held open, so its inode
    // cannot be freed and reused by a later index: same device and inode means the same, unchanged file (index
    // files are only ever replaced by rename, never rewritten in place).
    private var cache: (fd: Int32, device: UInt64, inode: UInt64, index: SimulatorIndex)?
    private var cacheMutex = pthread_mutex_t()

    init(directory: String) throws(POSIXFailure) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.directory = trimmed
        lockPath = trimmed + "/lock"
        indexPath = trimmed + "/index"
        dirtyPath = trimmed + "/dirty"
        faultsPath = trimmed + "/faults.json"
        versionPath = trimmed + "/version.json"
        pthread_mutex_init(&cacheMutex, nil)
        try POSIXFiles.makeDirectory(trimmed, mode: 0o700)
        for kind in HCNResourceKind.allCases {
            try POSIXFiles.makeDirectory(folder(kind), mode: 0o700)
        }
    }

    deinit {
        if let cache { close(cache.fd) }
        pthread_mutex_destroy(&cacheMutex)
    }

    func folder(_ kind: HCNResourceKind) -> String {
        switch kind {
        case .network: return directory + "/networks"
        case .endpoint: return directory + "/endpoints"
        case .namespace: return directory + "/namespaces"
        }
    }

    func path(_ kind: HCNResourceKind, _ id: GUID) -> String { "\(folder(kind))/\(id).json" }

    // MARK: - Reading

    /// The current index, without the lock: the last committed one (or, if there is none yet, one built from the
    /// object files in memory).
    func readIndex() throws(POSIXFailure) -> SimulatorIndex {
        var info = stat()
        guard stat(indexPath, &info) == 0 else {
            if errno == ENOENT { return try scan() }
            throw POSIXFailure("stat", indexPath)
        }
        pthread_mutex_lock(&cacheMutex)
        let cached = cache
        pthread_mutex_unlock(&cacheMutex)
        if let cached, cached.device == UInt64(info.st_dev), cached.inode == UInt64(info.st_ino) { return cached.index }
        let fd = open(indexPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return try scan() }
            throw POSIXFailure("open", indexPath)
        }
        let bytes: [UInt8]
        do {
            bytes = try POSIXFiles.readAll(fd, path: indexPath)
        } catch {
            close(fd)
            throw error
        }
        guard let index = SimulatorIndex.decode(bytes) else {
            close(fd)
            return try scan()
        }
        remember(index, fd: fd)
        return index
    }

    /// Keeps `index` as the cache, with `fd` open on the file it came from (taken over; nil fd clears the cache).
    private func remember(_ index: SimulatorIndex, fd: Int32) {
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0 else {
            if fd >= 0 { close(fd) }
            return
        }
        pthread_mutex_lock(&cacheMutex)
        let old = cache
        cache = (fd, UInt64(info.st_dev), UInt64(info.st_ino), index)
        pthread_mutex_unlock(&cacheMutex)
        if let old { close(old.fd) }
    }

    /// An object's stored document, nil when it does not exist (any more).
    func document(_ kind: HCNResourceKind, _ id: GUID) throws(POSIXFailure) -> JSONObject? {
        guard let bytes = try POSIXFiles.readFile(path(kind, id)) else { return nil }
        guard let parsed = try? JSON.parse(bytes), case .object(let object) = parsed else { return nil }
        return object
    }

    /// The index rebuilt from the object files (after a crash between an object write and the index write).
    func scan() throws(POSIXFailure) -> SimulatorIndex {
        var index = SimulatorIndex()
        for kind in [HCNResourceKind.network, .namespace, .endpoint] {
            var documents: [(GUID, JSONObject)] = []
            for name in try POSIXFiles.list(folder(kind)) where name.hasSuffix(".json") && !name.hasPrefix(".") {
                guard let id = GUID(String(name.dropLast(5))), let document = try document(kind, id) else { continue }
                documents.append((id, document))
            }
            // Creation order is not recorded in the files; GUID order keeps a rebuilt index deterministic.
            documents.sort { $0.0.description < $1.0.description }
            for (id, document) in documents {
                switch kind {
                case .network: index.put(StoredNetwork.record(id: id, document: document))
                case .endpoint: index.put(StoredEndpoint.record(id: id, document: document))
                case .namespace: index.put(StoredNamespace.record(id: id, document: document))
                }
            }
        }
        return index
    }

    // MARK: - Writing

    /// Runs `body` holding the writer lock, with the current index; `body` writes object files through the
    /// transaction and changes the index, which is written last (the commit point).
    func write<T>(_ body: (inout SimulatorTransaction) throws(HCNError) -> T, operation: String) throws(HCNError) -> T {
        let outcome: Result<T, HCNError>
        do {
            let lock = try StateLock(path: lockPath)
            defer { lock.release() }
            let index = POSIXFiles.exists(dirtyPath) ? try scan() : try readIndex()
            var transaction = SimulatorTransaction(store: self, index: index, operation: operation)
            let marker = open(dirtyPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            if marker >= 0 { close(marker) }
            do throws(HCNError) {
                outcome = .success(try body(&transaction))
            } catch {
                outcome = .failure(error)
            }
            // What the body wrote before it failed is kept: the index follows the object files.
            if transaction.changed {
                try POSIXFiles.writeAtomically(transaction.index.encoded(), to: indexPath, directory: directory)
                // Still under the lock: the file just renamed into place is the one opened here.
                remember(transaction.index, fd: open(indexPath, O_RDONLY | O_CLOEXEC))
            }
            try POSIXFiles.remove(dirtyPath)
        } catch {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
        return try outcome.get()
    }

    /// Runs `body` holding the writer lock without touching the index (faults, version).
    func locked<T>(_ body: () throws(POSIXFailure) -> T) throws(POSIXFailure) -> T {
        let lock = try StateLock(path: lockPath)
        defer { lock.release() }
        return try body()
    }
}

/// The changes of one write operation, made while the store's lock is held.
struct SimulatorTransaction {
    let store: SimulatorStore
    let operation: String
    var index: SimulatorIndex
    private(set) var changed = false

    init(store: SimulatorStore, index: SimulatorIndex, operation: String) {
        self.store = store
        self.index = index
        self.operation = operation
    }

    private func failure(_ failure: POSIXFailure) -> HCNError {
        SimulatorErrorCatalog.error(
            operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(failure).")
    }

    func document(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> JSONObject? {
        do { return try store.document(kind, id) } catch { throw failure(error) }
    }

    mutating func save(_ kind: HCNResourceKind, _ id: GUID, _ document: JSONObject) throws(HCNError) {
        do {
            try POSIXFiles.writeAtomically(
                JSON.object(document).compactBytes(), to: store.path(kind, id), directory: store.folder(kind))
        } catch {
            throw failure(error)
        }
        switch kind {
        case .network: index.put(StoredNetwork.record(id: id, document: document))
        case .endpoint: index.put(StoredEndpoint.record(id: id, document: document))
        case .namespace: index.put(StoredNamespace.record(id: id, document: document))
        }
        changed = true
    }

    mutating func delete(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) {
        do {
            try POSIXFiles.remove(store.path(kind, id))
            try POSIXFiles.syncDirectory(store.folder(kind))
        } catch {
            throw failure(error)
        }
        index.remove(kind, id)
        changed = true
    }
}
