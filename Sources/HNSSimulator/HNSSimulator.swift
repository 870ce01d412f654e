import HCN
import JSON
import NetAddress

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The Linux stand-in for a Windows node's Host Networking Service: HCN networks, endpoints and namespaces kept in
/// a state directory that every process on the machine shares, checked the way HNS checks them and failing with
/// HNS's HRESULTs and texts (research/hns-api.md §7, §8, §11). Faults planted in the directory (`addFault`) make
/// the next matching calls fail or kill the calling process.
public final class HNSSimulator: HostNetworkService, @unchecked Sendable {
    /// Where the simulated node keeps its HNS state when nothing else is configured (CONTRACT.md).
    public static let defaultDirectory = "/var/lib/wincni/hns"
    /// 15.4 (Windows Server 2025) enables every feature hcsshim knows (research §6).
    public static let defaultVersion = (major: 15, minor: 4)

    let store: SimulatorStore

    public var directory: String { store.directory }

    /// Opens the state in `directory`, creating it (mode 0700) if it is missing.
    public init(directory: String) throws(HCNError) {
        do {
            store = try SimulatorStore(directory: directory)
        } catch {
            throw SimulatorErrorCatalog.error(
                "HNSSimulator", SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
        SimulatorRegistry.shared.register(self)
    }

    // MARK: - Version and faults

    /// The version `GET /globals/version` reports (and that feature checks use), stored in the directory.
    public func setVersion(major: Int, minor: Int) throws(HCNError) {
        let document = JSON.object(["Major": .integer(Int64(major)), "Minor": .integer(Int64(minor))])
        try ioOperation("HNSCall") { () throws(POSIXFailure) in
            try store.locked { () throws(POSIXFailure) in
                try POSIXFiles.writeAtomically(
                    document.compactBytes(), to: store.versionPath, directory: store.directory)
            }
        }
    }

    public func version() -> (major: Int, minor: Int) {
        guard let bytes = try? POSIXFiles.readFile(store.versionPath), let parsed = try? JSON.parse(bytes),
            let major = parsed["Major"]?.int64Value, let minor = parsed["Minor"]?.int64Value
        else { return Self.defaultVersion }
        return (Int(major), Int(minor))
    }

    /// Plants `fault`; faults for the same operation are used in the order they were added.
    public func addFault(_ fault: SimulatorFault) throws(HCNError) {
        guard SimulatorFault.operationName(fault.op) != nil else {
            throw SimulatorErrorCatalog.error(
                "HNSSimulator", SimulatorCode.invalidParameter.hresult,
                text:
                    "Unknown operation \"\(fault.op)\"; expected one of \(SimulatorFault.operations.joined(separator: ", "))."
            )
        }
        try ioOperation("HNSSimulator") { () throws(POSIXFailure) in
            try store.locked { () throws(POSIXFailure) in
                let current = try POSIXFiles.readFile(store.faultsPath).map(SimulatorFault.decodeList) ?? []
                // The flag first: a process that sees it unset finds no file either.
                store.faultFlag.set(true)
                try POSIXFiles.writeAtomically(
                    SimulatorFault.encodeList(current + [fault]), to: store.faultsPath, directory: store.directory)
            }
        }
    }

    public func clearFaults() throws(HCNError) {
        try ioOperation("HNSSimulator") { () throws(POSIXFailure) in
            try store.locked { () throws(POSIXFailure) in
                try POSIXFiles.remove(store.faultsPath)
                store.faultFlag.set(false)
            }
        }
    }

    public func faults() -> [SimulatorFault] {
        ((try? POSIXFiles.readFile(store.faultsPath)) ?? nil).map(SimulatorFault.decodeList) ?? []
    }

    /// Takes one use of the first fault planted for `operation`. While no fault is planted this reads one byte of
    /// shared memory (`faults.flag`) and makes no system call.
    private func takeFault(_ operation: String) throws(HCNError) -> SimulatorFault.Kind? {
        guard store.faultFlag.isSet else { return nil }
        return try ioOperation(operation) { () throws(POSIXFailure) -> SimulatorFault.Kind? in
            try store.locked { () throws(POSIXFailure) -> SimulatorFault.Kind? in
                guard let bytes = try POSIXFiles.readFile(store.faultsPath) else {
                    // Set by a writer that died before planting, or left by a version without the flag.
                    store.faultFlag.set(false)
                    return nil
                }
                var faults = SimulatorFault.decodeList(bytes)
                guard let position = faults.firstIndex(where: { $0.op == operation }) else { return nil }
                let kind = faults[position].kind
                faults[position].count -= 1
                if faults[position].count <= 0 { faults.remove(at: position) }
                // The use is recorded before a crash, so the fault does not fire again in the next process.
                if faults.isEmpty {
                    try POSIXFiles.remove(store.faultsPath)
                    store.faultFlag.set(false)
                } else {
                    try POSIXFiles.writeAtomically(
                        SimulatorFault.encodeList(faults), to: store.faultsPath, directory: store.directory)
                }
                return kind
            }
        }
    }

    /// Runs one HCN operation with the faults planted for it.
    private func perform<T>(_ operation: String, _ body: () throws(HCNError) -> T) throws(HCNError) -> T {
        switch try takeFault(operation) {
        case nil:
            return try body()
        case .hresult(let code)?:
            throw SimulatorErrorCatalog.error(operation, code)
        case .crashBefore?:
            _exit(137)
        case .crashAfter?:
            // After the operation, whether it succeeded or failed.
            defer { _exit(137) }
            return try body()
        }
    }

    private func ioOperation<T>(_ operation: String, _ body: () throws(POSIXFailure) -> T) throws(HCNError) -> T {
        do {
            return try body()
        } catch {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
    }

    private func notFound(_ kind: HCNResourceKind, _ operation: String) -> HCNError {
        switch kind {
        case .network: return .simulator(operation, .networkNotFound)
        case .endpoint: return .simulator(operation, .endpointNotFound)
        // HcnOpenNamespace on an unknown ID gives ERROR_NOT_FOUND (hcsshim TestNotFoundError).
        case .namespace: return .simulator(operation, .elementNotFound)
        }
    }

    // MARK: - Handles

    private func makeHandle(_ kind: HCNResourceKind, _ id: GUID) -> HCNHandle {
        let box = SimulatorHandle(kind: kind, id: id, simulator: self)
        return HCNHandle(kind: kind, raw: Unmanaged.passRetained(box).toOpaque())
    }

    private func resolve(_ handle: HCNHandle, _ operation: String) throws(HCNError) -> GUID {
        let box = Unmanaged<SimulatorHandle>.fromOpaque(handle.raw).takeUnretainedValue()
        guard box.kind == handle.kind else { throw .simulator(operation, .invalidHandle) }
        return box.id
    }

    // MARK: - HostNetworkService

    public func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        let operation = "HcnEnumerate\(kind.rawValue)s"
        return try perform(operation) { () throws(HCNError) -> String in
            let reader = DocumentReader(operation: operation)
            let filter = try queryFilter(query, reader: reader)
            let ids = try filter.matching(kind, catalog: store.catalog, operation: operation)
            // A JSON array of GUID strings, which need no escaping.
            var text = "["
            for (index, id) in ids.enumerated() {
                text += index == 0 ? "\"" : ",\""
                text += id.description
                text += "\""
            }
            return text + "]"
        }
    }

    /// The filter of an enumeration's query.
    private func queryFilter(_ text: String, reader: DocumentReader) throws(HCNError) -> QueryFilter {
        if text == QueryText.default { return QueryFilter(conditions: JSONObject()) }
        if let conditions = QueryText.singleFilter(text) { return QueryFilter(conditions: conditions) }
        return try QueryFilter(query: parseQuery(text, reader: reader), reader: reader)
    }

    /// Whether a query asks for v1 documents.
    private func asksForV1(_ text: String, reader: DocumentReader) throws(HCNError) -> Bool {
        if text == QueryText.default || QueryText.singleFilter(text) != nil { return false }
        return wantsV1(try parseQuery(text, reader: reader))
    }

    /// A query document of another shape than `QueryText`'s; the one parsed last (an enumeration's, which the
    /// queries of its results repeat) is not parsed again.
    private func parseQuery(_ text: String, reader: DocumentReader) throws(HCNError) -> JSONObject {
        if let known = store.documents.query(text) { return known }
        let object = try reader.parseQuery(text)
        store.documents.rememberQuery(text, object)
        return object
    }

    public func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        let operation = "HcnCreate\(kind.rawValue)"
        return try perform(operation) { () throws(HCNError) -> HCNHandle in
            let reader = DocumentReader(operation: operation) { self.version() }
            var networkID = GUID.zero
            if kind == .endpoint {
                guard let network, network.kind == .network else { throw .simulator(operation, .invalidHandle) }
                networkID = try resolve(network, operation)
            }
            let request = try reader.parse(settings)
            let newID = id.isZero ? SimulatorRandom.guid() : id
            try store.write(
                { (transaction: inout SimulatorTransaction) throws(HCNError) in
                    // A GUID HNS picks itself (122 random bits) is new; one the caller gives may not be.
                    if !id.isZero && transaction.catalog.contains(kind, newID) {
                        throw .simulator(operation, .fileExists)
                    }
                    let document: JSONObject
                    switch kind {
                    case .network:
                        document = try StoredNetwork.create(
                            id: newID, settings: request, catalog: transaction.catalog, reader: reader)
                    case .endpoint:
                        guard let network = try transaction.document(.network, networkID)
                        else { throw .simulator(operation, .networkNotFound) }
                        document = try StoredEndpoint.create(
                            id: newID, settings: request, networkID: networkID, network: network,
                            catalog: transaction.catalog, reader: reader)
                    case .namespace:
                        document = try StoredNamespace.create(
                            id: newID, settings: request, catalog: transaction.catalog, reader: reader)
                    }
                    try transaction.save(kind, newID, document, old: nil)
                }, operation: operation)
            return makeHandle(kind, newID)
        }
    }

    public func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        let operation = "HcnOpen\(kind.rawValue)"
        return try perform(operation) { () throws(HCNError) -> HCNHandle in
            guard store.catalog.contains(kind, id) else { throw notFound(kind, operation) }
            return makeHandle(kind, id)
        }
    }

    public func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        let operation = "HcnQuery\(handle.kind.rawValue)Properties"
        return try perform(operation) { () throws(HCNError) -> String in
            let id = try resolve(handle, operation)
            let reader = DocumentReader(operation: operation)
            let v1 = try asksForV1(query, reader: reader)
            guard
                let bytes = try simulatorIO(
                    operation, { () throws(POSIXFailure) in try store.storedBytes(handle.kind, id) })
            else { throw notFound(handle.kind, operation) }
            // The v2 document of a network or an endpoint is the file itself (written compact by `save`).
            if !v1 && handle.kind != .namespace && Self.isObjectText(bytes) {
                return String(decoding: bytes, as: UTF8.self)
            }
            guard let document = store.parsed(handle.kind, id, bytes) else { throw notFound(handle.kind, operation) }
            return try Self.view(
                handle.kind, id: id, document: document, catalog: store.catalog, v1: v1, operation: operation
            ).compact()
        }
    }

    /// Starts with `{` and ends with `}`: a file the simulator wrote, not a truncated or foreign one.
    private static func isObjectText(_ bytes: [UInt8]) -> Bool {
        bytes.first == UInt8(ascii: "{") && bytes.last == UInt8(ascii: "}")
    }

    /// The document HNS returns for a stored object: v2, or v1 when the query asks for schema 1.
    static func view(
        _ kind: HCNResourceKind, id: GUID, document: JSONObject, catalog: SimulatorCatalog, v1: Bool,
        operation: String
    ) throws(HCNError) -> JSON {
        switch kind {
        case .network:
            return .object(v1 ? StoredNetwork.v1View(document) : document)
        case .endpoint:
            guard v1 else { return .object(document) }
            let network = document["HostComputeNetwork"]?.stringValue.flatMap(GUID.init)
            let networkName = try simulatorIO(operation) { () throws(POSIXFailure) in
                try network.flatMap { id throws(POSIXFailure) in try catalog.network(id)?.name } ?? ""
            }
            return .object(StoredEndpoint.v1View(document, networkName: networkName))
        case .namespace:
            let members = try simulatorIO(operation) { () throws(POSIXFailure) in
                try catalog.members(ofNamespace: id)
            }
            return .object(
                v1
                    ? StoredNamespace.v1View(document, id: id, members: members)
                    : StoredNamespace.view(document, id: id, members: members))
        }
    }

    public func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        let operation = "HcnModify\(handle.kind.rawValue)"
        try perform(operation) { () throws(HCNError) in
            let id = try resolve(handle, operation)
            let reader = DocumentReader(operation: operation) { self.version() }
            let document: JSONObject
            if let recognised = ModifyRequest.namespaceEndpointText(settings) {
                document = recognised
            } else {
                document = try reader.parse(settings)
            }
            let request = try ModifyRequest(document, reader: reader)
            try store.write(
                { (transaction: inout SimulatorTransaction) throws(HCNError) in
                    // A namespace change edits the endpoint: the namespace's own document is not needed.
                    if handle.kind == .namespace {
                        guard transaction.catalog.contains(.namespace, id) else {
                            throw notFound(.namespace, operation)
                        }
                        try request.applyToNamespace(id: id, transaction: &transaction, reader: reader)
                        return
                    }
                    guard let document = try transaction.document(handle.kind, id)
                    else { throw notFound(handle.kind, operation) }
                    if handle.kind == .network {
                        try request.applyToNetwork(
                            id: id, document: document, transaction: &transaction, reader: reader)
                    } else {
                        try request.applyToEndpoint(
                            id: id, document: document, transaction: &transaction, reader: reader)
                    }
                }, operation: operation)
        }
    }

    public func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        let operation = "HcnDelete\(kind.rawValue)"
        try perform(operation) { () throws(HCNError) in
            try store.write(
                { (transaction: inout SimulatorTransaction) throws(HCNError) in
                    let stored = try transaction.io { () throws(POSIXFailure) in try store.storedBytes(kind, id) }
                    guard let stored else { throw notFound(kind, operation) }
                    let old = store.parsed(kind, id, stored)
                    switch kind {
                    case .network:
                        // HNS removes a network's endpoints with it (research §8.2 item 7: cascade); they go first,
                        // so a crash half-way never leaves endpoints of a missing network.
                        let endpoints = try transaction.io { () throws(POSIXFailure) in
                            try transaction.catalog.endpointIDs(onNetwork: id)
                        }
                        for endpoint in endpoints { try transaction.delete(.endpoint, endpoint) }
                    case .namespace:
                        // Deleting a namespace detaches its endpoints (research §8.4 item 13).
                        let members = try transaction.io { () throws(POSIXFailure) in
                            try transaction.catalog.members(ofNamespace: id)
                        }
                        for member in members {
                            guard let stored = try transaction.document(.endpoint, member) else { continue }
                            var endpoint = stored
                            endpoint["HostComputeNamespace"] = nil
                            try transaction.save(.endpoint, member, endpoint, old: stored)
                        }
                    case .endpoint:
                        break
                    }
                    try transaction.delete(kind, id, old: old)
                }, operation: operation)
        }
    }

    public func close(_ handle: HCNHandle) {
        _ = try? perform("HcnClose\(handle.kind.rawValue)") { () throws(HCNError) in }
        Unmanaged<SimulatorHandle>.fromOpaque(handle.raw).release()
    }

    public func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        try perform("HNSCall") { () throws(HCNError) -> String in
            try V1Call(simulator: self, method: method, path: path).response()
        }
    }

    /// One object's document as HNS returns it, for the v1 surface.
    func v1Document(_ kind: HCNResourceKind, _ id: GUID) -> JSON? {
        guard let document = try? store.document(kind, id) else { return nil }
        return try? Self.view(kind, id: id, document: document, catalog: store.catalog, v1: true, operation: "HNSCall")
    }

    var catalog: SimulatorCatalog { store.catalog }
}

/// What an `HCNHandle` from the simulator points to: the kind and ID of the object, and the simulator, so that the
/// C thunks can find it from the handle alone.
final class SimulatorHandle {
    let kind: HCNResourceKind
    let id: GUID
    let simulator: HNSSimulator

    init(kind: HCNResourceKind, id: GUID, simulator: HNSSimulator) {
        self.kind = kind
        self.id = id
        self.simulator = simulator
    }
}
