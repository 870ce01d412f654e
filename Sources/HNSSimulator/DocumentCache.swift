import HCN
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The last document of each kind this process read or wrote, with the exact bytes of its file. A pod's calls go
/// back to the same network and endpoint again and again (create reads the network the lookup just read, attaching
/// reads the endpoint create just wrote); a file is still read every time, but when its bytes are the ones remembered
/// the document is not parsed again. Keyed by content, so another process's change is never missed. It also keeps
/// the last query parsed (an enumeration and the queries of its results share one).
final class DocumentCache: @unchecked Sendable {
    private struct Entry {
        var id: GUID
        var bytes: [UInt8]
        var document: JSONObject
    }

    private var mutex = pthread_mutex_t()
    // One entry per kind: plain stored properties, no generic container to instantiate at run time.
    private var network: Entry?
    private var endpoint: Entry?
    private var namespace: Entry?
    private var queryText = ""
    private var queryObject: JSONObject?

    init() { pthread_mutex_init(&mutex, nil) }

    deinit { pthread_mutex_destroy(&mutex) }

    /// The document parsed from `bytes` before, nil when these are not the bytes remembered for `id`.
    func document(_ kind: HCNResourceKind, _ id: GUID, bytes: [UInt8]) -> JSONObject? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard let entry = entry(kind), entry.id == id, Self.same(entry.bytes, bytes) else { return nil }
        return entry.document
    }

    func remember(_ kind: HCNResourceKind, _ id: GUID, bytes: [UInt8], document: JSONObject) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let entry = Entry(id: id, bytes: bytes, document: document)
        switch kind {
        case .network: network = entry
        case .endpoint: endpoint = entry
        case .namespace: namespace = entry
        }
    }

    func forget(_ kind: HCNResourceKind, _ id: GUID) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard entry(kind)?.id == id else { return }
        switch kind {
        case .network: network = nil
        case .endpoint: endpoint = nil
        case .namespace: namespace = nil
        }
    }

    /// The query `text` parsed before, if it was the last one.
    func query(_ text: String) -> JSONObject? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return text == queryText ? queryObject : nil
    }

    func rememberQuery(_ text: String, _ object: JSONObject) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        queryText = text
        queryObject = object
    }

    private func entry(_ kind: HCNResourceKind) -> Entry? {
        switch kind {
        case .network: return network
        case .endpoint: return endpoint
        case .namespace: return namespace
        }
    }

    private static func same(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                guard let left = l.baseAddress, let right = r.baseAddress else { return true }
                return memcmp(left, right, l.count) == 0
            }
        }
    }
}
