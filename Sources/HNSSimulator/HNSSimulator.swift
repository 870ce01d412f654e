import HCN
import JSON
import NetAddress

/// The stand-in for a Windows node's Host Networking Service: HCN networks, endpoints and namespaces kept in one
/// SQLite database (`DIR/hns.db`) that every process on the machine shares, checked the way HNS checks them and
/// failing with HNS's HRESULTs and texts (research/hns-api.md §7, §8, §11). Every HCN call is one transaction, so
/// concurrent processes see one consistent HNS and a killed process leaves nothing half-done. Faults planted in the
/// database (`addFault`) make the next matching calls fail or kill the calling process; while tracing is on, every
/// call of every process is recorded (`traceEntries`).
public final class HNSSimulator: HostNetworkService, @unchecked Sendable {
    /// Where the simulated node keeps its HNS state when nothing else is configured (CONTRACT.md).
    public static let defaultDirectory = "/var/lib/wincni/hns"
    /// 15.4 (Windows Server 2025) enables every feature hcsshim knows (research §6).
    public static let defaultVersion = (major: 15, minor: 4)
    /// The database file in the simulator's directory.
    public static let databaseName = "hns.db"

    public let directory: String
    let database: SimulatorDatabase
    /// The number of the next handle this simulator gives out (`#1`, `#2`, … in the trace), under the database lock.
    private var nextHandle = 1

    /// Opens the simulator in `directory`, creating the directory (mode 0700) and an empty database if missing.
    public convenience init(directory: String) throws(HCNError) {
        try self.init(directory: directory, acceptingOldLayout: false)
    }

    private init(directory: String, acceptingOldLayout: Bool) throws(HCNError) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.directory = trimmed
        let path = trimmed + "/" + Self.databaseName
        func stateError(_ error: DatabaseFailure) -> HCNError {
            SimulatorErrorCatalog.error(
                "HNSSimulator", SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
        do {
            database = try SimulatorDatabase(path: path)
        } catch {
            guard error.isMissingDatabase else { throw stateError(error) }
            // No database yet: a new directory, or one of the file layout before it.
            if !acceptingOldLayout && Self.holdsOldLayout(trimmed) { throw Self.oldLayoutError(trimmed) }
            do {
                _ = try SimulatorPlatform.prepare(directory: trimmed, file: path)
                database = try SimulatorDatabase(path: path)
            } catch {
                throw stateError(error)
            }
        }
        SimulatorRegistry.shared.register(self)
    }

    /// Empties the simulator in `directory` (objects, faults, trace, version), creating it if missing. A directory
    /// in the file layout of earlier versions gets a database; its old files are no longer read.
    @discardableResult
    public static func reset(directory: String) throws(HCNError) -> HNSSimulator {
        let simulator = try HNSSimulator(directory: directory, acceptingOldLayout: true)
        try simulator.administer("HNSSimulator") { () throws(DatabaseFailure) in
            try simulator.database.execute(
                """
                BEGIN IMMEDIATE;
                DELETE FROM endpoint; DELETE FROM namespace; DELETE FROM network; DROP TABLE IF EXISTS fault;
                DROP TABLE IF EXISTS trace;
                UPDATE config SET trace = 0, faults = 0, version_major = NULL, version_minor = NULL;
                COMMIT
                """)
        }
        return simulator
    }

    /// Two entries every directory of the one-file-per-object layout of earlier versions has.
    static func holdsOldLayout(_ directory: String) -> Bool {
        SimulatorPlatform.exists(directory + "/networks") || SimulatorPlatform.exists(directory + "/faults.flag")
    }

    private static func oldLayoutError(_ directory: String) -> HCNError {
        SimulatorErrorCatalog.error(
            "HNSSimulator", SimulatorCode.unspecified.hresult,
            text:
                "HNS simulator state in \(directory) is in the old one-file-per-object layout, which this version "
                + "does not read: run \"hnsctl --sim \(directory) reset\" to start an empty simulator there.")
    }

    // MARK: - Version, faults, trace

    /// The version `GET /globals/version` reports (and that feature checks use).
    public func setVersion(major: Int, minor: Int) throws(HCNError) {
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            try database.run(
                "UPDATE config SET version_major = ?1, version_minor = ?2", .integer(Int64(major)),
                .integer(Int64(minor)))
        }
    }

    public func version() -> (major: Int, minor: Int) {
        (try? database.locked { () throws(DatabaseFailure) in try storedVersion() }) ?? Self.defaultVersion
    }

    private func storedVersion() throws(DatabaseFailure) -> (major: Int, minor: Int) {
        var version = Self.defaultVersion
        try database.query("SELECT version_major, version_minor FROM config") { row in
            if !row.isNull(0) && !row.isNull(1) { version = (Int(row.integer(0)), Int(row.integer(1))) }
        }
        return version
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
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            let hresult: SQLValue
            let crash: SQLValue
            switch fault.kind {
            case .hresult(let code): (hresult, crash) = (.integer(Int64(code.rawValue)), .null)
            case .crashBefore: (hresult, crash) = (.null, .text("before"))
            case .crashAfter: (hresult, crash) = (.null, .text("after"))
            }
            try database.transaction { () throws(DatabaseFailure) in
                try database.execute(SimulatorDatabase.faultTable)
                try database.run(
                    "INSERT INTO fault(op, hresult, crash, count) VALUES (?1, ?2, ?3, ?4)", .text(fault.op), hresult,
                    crash, .integer(Int64(fault.count)))
                try database.run("UPDATE config SET faults = faults + 1")
            }
        }
    }

    public func clearFaults() throws(HCNError) {
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            try database.transaction { () throws(DatabaseFailure) in
                if try database.hasTable("fault") { try database.run("DELETE FROM fault") }
                try database.run("UPDATE config SET faults = 0")
            }
        }
    }

    public func faults() -> [SimulatorFault] {
        (try? administer("HNSSimulator") { () throws(DatabaseFailure) -> [SimulatorFault] in
            var result: [SimulatorFault] = []
            guard try database.hasTable("fault") else { return result }
            try database.query("SELECT op, hresult, crash, count FROM fault ORDER BY seq") { row in
                let kind: SimulatorFault.Kind =
                    row.isNull(1)
                    ? (row.text(2) == "before" ? .crashBefore : .crashAfter)
                    : .hresult(HRESULT(UInt32(truncatingIfNeeded: row.integer(1))))
                result.append(SimulatorFault(op: row.text(0) ?? "", kind: kind, count: Int(row.integer(3))))
            }
            return result
        }) ?? []
    }

    /// Turns the call trace on or off; it records the calls of every process on this simulator.
    public func setTracing(_ on: Bool) throws(HCNError) {
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            try database.transaction { () throws(DatabaseFailure) in
                if on { try database.execute(SimulatorDatabase.traceTable) }
                try database.run("UPDATE config SET trace = ?1", .integer(on ? 1 : 0))
            }
        }
    }

    public func isTracing() throws(HCNError) -> Bool {
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            try database.integer("SELECT trace FROM config") == 1
        }
    }

    public func clearTrace() throws(HCNError) {
        try administer("HNSSimulator") { () throws(DatabaseFailure) in
            if try database.hasTable("trace") { try database.run("DELETE FROM trace") }
        }
    }

    /// The recorded calls, in the order they were made.
    public func traceEntries() throws(HCNError) -> [SimulatorTraceEntry] {
        try administer("HNSSimulator") { () throws(DatabaseFailure) -> [SimulatorTraceEntry] in
            var entries: [SimulatorTraceEntry] = []
            guard try database.hasTable("trace") else { return entries }
            try database.query("SELECT process, function, object, request, hresult, result FROM trace ORDER BY seq") {
                row in
                entries.append(
                    SimulatorTraceEntry(
                        process: row.integer(0), function: row.text(1) ?? "", object: row.text(2) ?? "",
                        request: row.text(3) ?? "", hresult: HRESULT(UInt32(truncatingIfNeeded: row.integer(4))),
                        result: row.text(5) ?? ""))
            }
            return entries
        }
    }

    /// The stored v2 documents of `kind`, oldest first, read without faults or trace (for tests and diagnostics
    /// that must not disturb what they look at).
    public func storedDocuments(_ kind: HCNResourceKind) throws(HCNError) -> [String] {
        try administer("HNSSimulator") { () throws(DatabaseFailure) -> [String] in
            try database.texts("SELECT document FROM \(SimulatorCatalog.table(kind)) ORDER BY seq")
        }
    }

    /// What is wrong with the stored state, empty when nothing is: SQLite's own checks, rows that point at no
    /// object, and endpoints whose address, MAC or namespace rows disagree with their documents. For tests and
    /// `hnsctl doctor`-style diagnostics.
    public func consistencyProblems() throws(HCNError) -> [String] {
        try administer("HNSSimulator") { () throws(DatabaseFailure) -> [String] in
            var problems = try database.texts("PRAGMA integrity_check").filter { $0 != "ok" }
            try database.query("PRAGMA foreign_key_check") { row in
                problems.append("\(row.text(0) ?? "?") row \(row.integer(1)) points at no \(row.text(2) ?? "?")")
            }
            try database.execute("BEGIN")
            defer { try? database.execute("COMMIT") }
            var rows: [(id: String, network: String?, namespace: String?, mac: Int64?, document: String?)] = []
            try database.query("SELECT id, network, namespace, mac, document FROM endpoint") { row in
                rows.append(
                    (row.text(0) ?? "", row.text(1), row.text(2), row.isNull(3) ? nil : row.integer(3), row.text(4)))
            }
            for row in rows {
                guard let id = GUID(row.id), let text = row.document,
                    case .object(let document)? = try? JSON.parse(text)
                else {
                    problems.append("endpoint \(row.id): the document does not parse")
                    continue
                }
                let record = StoredEndpoint.record(id: id, document: document)
                if document["Id"]?.stringValue.flatMap(GUID.init) != id {
                    problems.append("endpoint \(row.id): Id differs")
                }
                if row.network.flatMap(GUID.init) != record.network {
                    problems.append("endpoint \(row.id): network row differs from HostComputeNetwork")
                }
                if row.namespace.flatMap(GUID.init) != record.namespace {
                    problems.append("endpoint \(row.id): namespace row differs from HostComputeNamespace")
                }
                if row.mac != StoredEndpoint.macValue(record.mac).map(Int64.init) {
                    problems.append("endpoint \(row.id): MAC row differs from MacAddress")
                }
                let claimed = Set(
                    try database.texts("SELECT claim FROM claim WHERE endpoint = ?1", .text(row.id)).filter {
                        !$0.hasPrefix(SimulatorCatalog.portClaimPrefix)
                    })
                let listed = Set(record.ips.compactMap { IPAddress($0)?.description })
                if claimed != listed {
                    problems.append(
                        "endpoint \(row.id): address rows \(claimed.sorted()) differ from \(listed.sorted())")
                }
            }
            return problems
        }
    }

    /// Runs `body` (one statement or its own transaction) holding the connection's lock.
    @discardableResult
    private func administer<T>(_ operation: String, _ body: () throws(DatabaseFailure) -> T) throws(HCNError) -> T {
        try SimulatorCatalog(database: database, operation: operation).io { () throws(DatabaseFailure) -> T in
            try database.locked(body)
        }
    }

    // MARK: - One HCN call

    /// Runs one HCN call as one transaction: takes a use of the first fault planted for `operation`, runs `body`
    /// (unless the fault stops it), and records the call while tracing is on. Calls that write start with
    /// `BEGIN IMMEDIATE`; reads start a read transaction and start over as a writer only to use a fault or record a
    /// trace line.
    private func perform<T>(
        _ operation: String, object: String, request: String = "", writes: Bool,
        result: (T) -> String? = { _ in nil }, _ body: (SimulatorCatalog) throws(HCNError) -> T
    ) throws(HCNError) -> T {
        try database.locked { () throws(HCNError) -> T in
            var catalog = SimulatorCatalog(database: database, operation: operation)
            var immediate = writes
            var state: CallState
            while true {
                try catalog.io { () throws(DatabaseFailure) in
                    try database.execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
                }
                do throws(HCNError) {
                    state = try catalog.io { () throws(DatabaseFailure) in try callState(operation) }
                } catch {
                    try? database.execute("ROLLBACK")
                    throw error
                }
                catalog.version = state.version
                if immediate || (!state.tracing && state.fault == nil) { break }
                try? database.execute("ROLLBACK")
                immediate = true
            }
            do throws(HCNError) {
                return try run(
                    operation, object: object, request: request, writes: writes, state: state,
                    catalog: catalog, result: result, body)
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        }
    }

    private struct CallState {
        var tracing: Bool
        var version: (major: Int, minor: Int)
        var fault: (seq: Int64, kind: SimulatorFault.Kind, count: Int64)?
    }

    /// The trace switch, the HNS version, and the first fault planted for `operation` when any fault is planted
    /// (`config.faults` counts them; the `fault` table exists only once one was planted). Every call of a process
    /// runs the first statement and only calls under faults the second. The version in the first spares a create or
    /// modify a statement of its own (21 K instructions to prepare). Before: `(SELECT count(*) FROM fault)` in it,
    /// 33 K to prepare; the fault query apart costs 50 K, both in one statement 81 K (a LEFT JOIN; with an ORDER BY
    /// it also set up a sorter in every call).
    private func callState(_ operation: String) throws(DatabaseFailure) -> CallState {
        var state = CallState(tracing: false, version: Self.defaultVersion, fault: nil)
        var planted = false
        try database.query(
            "SELECT trace, faults, version_major, version_minor FROM config"
        ) { row in
            state.tracing = row.integer(0) == 1
            planted = row.integer(1) > 0
            if !row.isNull(2) && !row.isNull(3) { state.version = (Int(row.integer(2)), Int(row.integer(3))) }
        }
        guard planted else { return state }
        try database.query(
            "SELECT seq, hresult, crash, count FROM fault WHERE op = ?1 ORDER BY seq LIMIT 1", .text(operation)
        ) { row in
            let kind: SimulatorFault.Kind =
                row.isNull(1)
                ? (row.text(2) == "before" ? .crashBefore : .crashAfter)
                : .hresult(HRESULT(UInt32(truncatingIfNeeded: row.integer(1))))
            state.fault = (row.integer(0), kind, row.integer(3))
        }
        return state
    }

    /// The call inside its transaction (begun by `perform`, which rolls back when this throws before committing).
    private func run<T>(
        _ operation: String, object: String, request: String, writes: Bool, state: CallState,
        catalog: SimulatorCatalog, result: (T) -> String?, _ body: (SimulatorCatalog) throws(HCNError) -> T
    ) throws(HCNError) -> T {
        func record(_ code: HRESULT, _ outcome: String) throws(HCNError) {
            guard state.tracing else { return }
            try catalog.io { () throws(DatabaseFailure) in
                try database.run(
                    "INSERT INTO trace(process, function, object, request, hresult, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    .integer(SimulatorPlatform.processID), .text(operation), .text(object), .text(request),
                    .integer(Int64(code.rawValue)), .text(outcome))
            }
        }
        func commit() throws(HCNError) {
            try catalog.io { () throws(DatabaseFailure) in try database.execute("COMMIT") }
        }
        if let fault = state.fault {
            // The use is committed before a crash, so the fault does not fire again in the next process.
            try catalog.io { () throws(DatabaseFailure) in
                if fault.count > 1 {
                    try database.run("UPDATE fault SET count = count - 1 WHERE seq = ?1", .integer(fault.seq))
                } else {
                    try database.run("DELETE FROM fault WHERE seq = ?1", .integer(fault.seq))
                    try database.run("UPDATE config SET faults = faults - 1")
                }
            }
            switch fault.kind {
            case .crashBefore:
                try record(HRESULT(0), "killed before the call")
                try commit()
                SimulatorPlatform.crash()
            case .hresult(let code):
                let error = SimulatorErrorCatalog.error(operation, code)
                try record(code, "error " + (error.name ?? "\(code)"))
                try commit()
                throw error
            case .crashAfter:
                break
            }
        }
        // After the operation, whether it succeeded or failed, with what it did committed.
        let crashAfter = state.fault.map { $0.kind == .crashAfter } ?? false
        let suffix = crashAfter ? ", then killed" : ""
        // A failed write is undone to a savepoint when the transaction keeps something else (a fault's use, a trace
        // line); otherwise `perform` rolls the whole transaction back (two statements fewer to prepare per exec).
        let savepoint = writes && (state.tracing || state.fault != nil)
        if savepoint { try catalog.io { () throws(DatabaseFailure) in try database.execute("SAVEPOINT call") } }
        let value: T
        do throws(HCNError) {
            value = try body(catalog)
        } catch {
            if writes && !savepoint { throw error }
            if savepoint {
                try catalog.io { () throws(DatabaseFailure) in
                    try database.execute("ROLLBACK TO call; RELEASE call")
                }
            }
            try record(error.code, "error " + (error.name ?? "\(error.code)") + suffix)
            try commit()
            if crashAfter { SimulatorPlatform.crash() }
            throw error
        }
        if savepoint { try catalog.io { () throws(DatabaseFailure) in try database.execute("RELEASE call") } }
        try record(HRESULT(0), (result(value) ?? "") + suffix)
        try commit()
        if crashAfter { SimulatorPlatform.crash() }
        return value
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
        let box = SimulatorHandle(kind: kind, id: id, simulator: self, label: "#\(nextHandle)")
        nextHandle += 1
        return HCNHandle(kind: kind, raw: Unmanaged.passRetained(box).toOpaque())
    }

    private func box(_ handle: HCNHandle) -> SimulatorHandle {
        Unmanaged<SimulatorHandle>.fromOpaque(handle.raw).takeUnretainedValue()
    }

    private func resolve(_ handle: HCNHandle, _ operation: String) throws(HCNError) -> GUID {
        let box = box(handle)
        guard box.kind == handle.kind else { throw .simulator(operation, .invalidHandle) }
        return box.id
    }

    private static func label(_ handle: HCNHandle) -> String? {
        Unmanaged<SimulatorHandle>.fromOpaque(handle.raw).takeUnretainedValue().label
    }

    // MARK: - HostNetworkService

    public func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        let operation = "HcnEnumerate\(kind.rawValue)s"
        return try perform(operation, object: "", request: query, writes: false) {
            catalog throws(HCNError) -> String in
            let reader = DocumentReader(operation: operation)
            let ids = try queryFilter(query, reader: reader).matching(kind, catalog: catalog)
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
        return try QueryFilter(query: reader.parseQuery(text), reader: reader)
    }

    /// Whether a query asks for v1 documents.
    private func asksForV1(_ text: String, reader: DocumentReader) throws(HCNError) -> Bool {
        if text == QueryText.default || QueryText.singleFilter(text) != nil { return false }
        return wantsV1(try reader.parseQuery(text))
    }

    public func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        let operation = "HcnCreate\(kind.rawValue)"
        let networkLabel = network.flatMap(Self.label).map { $0 + " " } ?? ""
        return try perform(
            operation, object: networkLabel + id.description, request: settings, writes: true,
            result: { Self.label($0) }
        ) { catalog throws(HCNError) -> HCNHandle in
            let reader = DocumentReader(operation: operation) { catalog.version }
            var networkID = GUID.zero
            if kind == .endpoint {
                guard let network, network.kind == .network else { throw .simulator(operation, .invalidHandle) }
                networkID = try resolve(network, operation)
            }
            let request = try reader.parse(settings)
            let newID = id.isZero ? SimulatorRandom.guid() : id
            // A GUID HNS picks itself (122 random bits) is new; one the caller gives may not be.
            if !id.isZero, try catalog.contains(kind, newID) { throw .simulator(operation, .fileExists) }
            switch kind {
            case .network:
                let document = try StoredNetwork.create(
                    id: newID, settings: request, catalog: catalog, reader: reader)
                try catalog.insert(.network, newID, document, conflict: .networkAlreadyExists)
            case .endpoint:
                guard let network = try catalog.document(.network, networkID, members: StoredEndpoint.networkMembers)
                else { throw .simulator(operation, .networkNotFound) }
                let document = try StoredEndpoint.create(
                    id: newID, settings: request, networkID: networkID, network: network, catalog: catalog,
                    reader: reader)
                try catalog.insert(.endpoint, newID, document, conflict: .objectAlreadyExists)
            case .namespace:
                let document = try StoredNamespace.create(
                    id: newID, settings: request, catalog: catalog, reader: reader)
                try catalog.insert(.namespace, newID, document, conflict: .objectAlreadyExists)
            }
            return makeHandle(kind, newID)
        }
    }

    public func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        let operation = "HcnOpen\(kind.rawValue)"
        return try perform(operation, object: id.description, writes: false, result: { Self.label($0) }) {
            catalog throws(HCNError) -> HCNHandle in
            guard try catalog.contains(kind, id) else { throw notFound(kind, operation) }
            return makeHandle(kind, id)
        }
    }

    public func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        let operation = "HcnQuery\(handle.kind.rawValue)Properties"
        return try perform(operation, object: Self.label(handle) ?? "#?", request: query, writes: false) {
            catalog throws(HCNError) -> String in
            let id = try resolve(handle, operation)
            let v1 = try asksForV1(query, reader: DocumentReader(operation: operation))
            // The v2 document of a network or an endpoint is the stored text itself.
            if !v1 && handle.kind != .namespace {
                guard let text = try catalog.documentText(handle.kind, id) else {
                    throw notFound(handle.kind, operation)
                }
                return text
            }
            guard let document = try catalog.document(handle.kind, id) else { throw notFound(handle.kind, operation) }
            return try Self.view(handle.kind, id: id, document: document, catalog: catalog, v1: v1).compact()
        }
    }

    /// The document HNS returns for a stored object: v2, or v1 when the query asks for schema 1.
    static func view(_ kind: HCNResourceKind, id: GUID, document: JSONObject, catalog: SimulatorCatalog, v1: Bool)
        throws(HCNError) -> JSON
    {
        switch kind {
        case .network:
            return .object(v1 ? StoredNetwork.v1View(document) : document)
        case .endpoint:
            guard v1 else { return .object(document) }
            let network = document["HostComputeNetwork"]?.stringValue.flatMap(GUID.init)
            let networkName = try network.flatMap { id throws(HCNError) in try catalog.networkName(id) } ?? ""
            return .object(StoredEndpoint.v1View(document, networkName: networkName))
        case .namespace:
            let members = try catalog.members(ofNamespace: id)
            return .object(
                v1
                    ? StoredNamespace.v1View(document, id: id, members: members)
                    : StoredNamespace.view(document, id: id, members: members))
        }
    }

    public func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        let operation = "HcnModify\(handle.kind.rawValue)"
        try perform(operation, object: Self.label(handle) ?? "#?", request: settings, writes: true) {
            catalog throws(HCNError) in
            let id = try resolve(handle, operation)
            let reader = DocumentReader(operation: operation) { catalog.version }
            let document: JSONObject
            if let recognised = ModifyRequest.namespaceEndpointText(settings) {
                document = recognised
            } else {
                document = try reader.parse(settings)
            }
            let request = try ModifyRequest(document, reader: reader)
            if handle.kind == .namespace {
                guard try catalog.contains(.namespace, id) else { throw notFound(.namespace, operation) }
                try request.applyToNamespace(id: id, catalog: catalog, reader: reader)
                return
            }
            guard let document = try catalog.document(handle.kind, id) else { throw notFound(handle.kind, operation) }
            if handle.kind == .network {
                try request.applyToNetwork(id: id, document: document, catalog: catalog, reader: reader)
            } else {
                try request.applyToEndpoint(id: id, document: document, catalog: catalog, reader: reader)
            }
        }
    }

    public func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        let operation = "HcnDelete\(kind.rawValue)"
        try perform(operation, object: id.description, writes: true) { catalog throws(HCNError) in
            guard try catalog.contains(kind, id) else { throw notFound(kind, operation) }
            if kind == .namespace {
                // Deleting a namespace detaches its endpoints (research §8.4 item 13).
                for member in try catalog.members(ofNamespace: id) {
                    guard let stored = try catalog.document(.endpoint, member) else { continue }
                    var endpoint = stored
                    endpoint["HostComputeNamespace"] = nil
                    let before = StoredEndpoint.record(id: member, document: stored)
                    var after = before
                    after.namespace = nil
                    try catalog.update(
                        .endpoint, member, endpoint, conflict: .objectAlreadyExists, endpoint: (before, after))
                }
            }
            // HNS removes a network's endpoints with it (research §8.2 item 7: cascade): the schema does.
            try catalog.delete(kind, id)
        }
    }

    public func close(_ handle: HCNHandle) {
        _ = try? perform("HcnClose\(handle.kind.rawValue)", object: Self.label(handle) ?? "#?", writes: false) {
            _ throws(HCNError) in
        }
        Unmanaged<SimulatorHandle>.fromOpaque(handle.raw).release()
    }

    public func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        try perform("HNSCall", object: method + " " + path, request: request, writes: false) {
            catalog throws(HCNError) -> String in
            try V1Call(catalog: catalog, method: method, path: path, version: catalog.version).response()
        }
    }
}

/// What an `HCNHandle` from the simulator points to: the kind and ID of the object, the simulator (so that the C
/// thunks can find it from the handle alone) and the handle's label in the trace.
final class SimulatorHandle {
    let kind: HCNResourceKind
    let id: GUID
    let simulator: HNSSimulator
    let label: String

    init(kind: HCNResourceKind, id: GUID, simulator: HNSSimulator, label: String) {
        self.kind = kind
        self.id = id
        self.simulator = simulator
        self.label = label
    }
}
