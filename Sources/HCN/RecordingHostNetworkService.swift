/// A `HostNetworkService` that forwards every call to another one and records it as a line of text, for golden
/// "HCN calls" traces. A line is the HCN function name, its handle/ID arguments and the JSON sent, verbatim:
///
///     HcnEnumerateNetworks {"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\"Name\":\"cbr0\"}"}
///     HcnOpenNetwork 9D7C5A4E-2F3B-4C1D-8E6F-0A1B2C3D4E5F -> #1
///     HcnCreateEndpoint #1 00000000-0000-0000-0000-000000000000 {"Name":"abc_cbr0",...} -> #2
///     HcnCloseEndpoint #2
///     HcnDeleteEndpoint 5E6298C2-... -> error HCN_E_ENDPOINT_NOT_FOUND
///
/// Handles are numbered in the order they are opened (`#1`, `#2`, ...) so traces do not depend on pointer values.
/// IDs HNS generates differ from run to run; `rewriteID` lets a golden test map them to stable names.
public final class RecordingHostNetworkService: HostNetworkService {
    public let underlying: any HostNetworkService
    public private(set) var lines: [String] = []
    /// Maps an ID to the text recorded for it (identity by default).
    public var rewriteID: (GUID) -> String
    private var handleLabels: [UnsafeMutableRawPointer: String] = [:]
    private var nextHandle = 1

    public init(forwardingTo underlying: any HostNetworkService, rewriteID: @escaping (GUID) -> String = { "\($0)" }) {
        self.underlying = underlying
        self.rewriteID = rewriteID
    }

    /// The recorded lines joined with newlines, with a final newline (empty when nothing was recorded).
    public var transcript: String { lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n" }

    public func reset() {
        lines.removeAll()
        handleLabels.removeAll()
        nextHandle = 1
    }

    public func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        try record("HcnEnumerate\(kind.rawValue)s \(query)") { () throws(HCNError) in
            try underlying.enumerate(kind, query: query)
        }
    }

    public func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        let networkLabel = network.map { label(of: $0) + " " } ?? ""
        let line = "HcnCreate\(kind.rawValue) \(networkLabel)\(rewriteID(id)) \(settings)"
        let handle = try record(line, result: { self.newLabel(for: $0) }) { () throws(HCNError) in
            try underlying.create(kind, id: id, settings: settings, network: network)
        }
        return handle
    }

    public func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        try record("HcnOpen\(kind.rawValue) \(rewriteID(id))", result: { self.newLabel(for: $0) }) {
            () throws(HCNError) in try underlying.open(kind, id: id)
        }
    }

    public func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        try record("HcnQuery\(handle.kind.rawValue)Properties \(label(of: handle)) \(query)") { () throws(HCNError) in
            try underlying.queryProperties(handle, query: query)
        }
    }

    public func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        try record("HcnModify\(handle.kind.rawValue) \(label(of: handle)) \(settings)") { () throws(HCNError) in
            try underlying.modify(handle, settings: settings)
        }
    }

    public func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        try record("HcnDelete\(kind.rawValue) \(rewriteID(id))") { () throws(HCNError) in
            try underlying.delete(kind, id: id)
        }
    }

    public func close(_ handle: HCNHandle) {
        lines.append("HcnClose\(handle.kind.rawValue) \(label(of: handle))")
        handleLabels[handle.raw] = nil
        underlying.close(handle)
    }

    public func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        let line = request.isEmpty ? "HNSCall \(method) \(path)" : "HNSCall \(method) \(path) \(request)"
        return try record(line) { () throws(HCNError) in
            try underlying.hnsCall(method: method, path: path, request: request)
        }
    }

    private func label(of handle: HCNHandle) -> String { handleLabels[handle.raw] ?? "#?" }

    private func newLabel(for handle: HCNHandle) -> String {
        let label = "#\(nextHandle)"
        nextHandle += 1
        handleLabels[handle.raw] = label
        return label
    }

    private func record<Value>(
        _ line: String, result: (Value) -> String? = { _ in nil }, _ call: () throws(HCNError) -> Value
    ) throws(HCNError) -> Value {
        let index = lines.count
        lines.append(line)
        do {
            let value = try call()
            if let suffix = result(value) { lines[index] += " -> " + suffix }
            return value
        } catch {
            lines[index] += " -> error " + (error.name ?? "\(error.code)")
            throw error
        }
    }
}
