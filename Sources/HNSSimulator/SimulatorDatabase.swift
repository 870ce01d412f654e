import CSQLite

/// A failed SQLite call: what was being done, SQLite's extended result code and its message.
struct DatabaseFailure: Error, Sendable, CustomStringConvertible {
    var action: String
    var code: Int32
    var message: String

    var description: String { "\(action): \(message) (SQLite \(code))" }

    /// A UNIQUE, PRIMARY KEY, FOREIGN KEY or CHECK constraint refused the change.
    var isConstraint: Bool { code & 0xFF == SQLITE_CONSTRAINT }

    /// The database file could not be opened (it does not exist yet).
    var isMissingDatabase: Bool { code & 0xFF == SQLITE_CANTOPEN }
}

/// A value bound to a statement parameter.
enum SQLValue {
    case integer(Int64)
    case text(String)
    case null
}

/// One result row while its statement is being stepped.
struct SQLRow {
    fileprivate let statement: OpaquePointer

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}

/// One connection to a simulator's `hns.db`. Statements are prepared once per connection (the plugin opens the
/// database once per exec) and kept; `lock` serialises threads that share the connection, so a transaction of one
/// thread never interleaves with another's.
final class SimulatorDatabase: @unchecked Sendable {
    /// The schema version in `PRAGMA user_version`; 0 is a database without tables.
    static let schemaVersion: Int64 = 2

    private let connection: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private let mutex: OpaquePointer?
    /// The log's length after this connection's last commit; its hook checkpoints at `checkpointFrames`.
    private let log = UnsafeMutablePointer<wincni_sqlite_log>.allocate(capacity: 1)
    /// A writer folds the log into the database (PASSIVE) after a commit that leaves it this long (SQLite's own
    /// automatic checkpoint, which the hook replaces, would wait for 1,000).
    static let checkpointFrames: Int32 = 100
    /// A process that wrote restarts the log when it closes the database and the log is this long: a pod ADD or
    /// DEL writes about 11 frames.
    static let truncateFrames: Int32 = 32
    let path: String

    /// Opens `path`, which must exist (an empty file is an empty database), and creates the tables once.
    init(path: String) throws(DatabaseFailure) {
        self.path = path
        wincni_sqlite_configure()
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw DatabaseFailure(action: "open \(path)", code: opened, message: message)
        }
        connection = handle
        mutex = sqlite3_mutex_alloc(SQLITE_MUTEX_RECURSIVE)
        sqlite3_extended_result_codes(handle, 1)
        // Writers wait for each other (BEGIN IMMEDIATE) instead of failing, for ~30 s, retrying after microseconds.
        wincni_sqlite_wait_when_busy(handle)
        wincni_sqlite_keep_log_on_close(handle)
        wincni_sqlite_enable_foreign_keys(handle)
        log.pointee = wincni_sqlite_log(frames: 0, limit: Self.checkpointFrames)
        wincni_sqlite_track_log(handle, log)
        // NORMAL is durable against a killed process in WAL mode (commits write the log without a sync).
        try execute("PRAGMA synchronous=NORMAL")
        if try version() != Self.schemaVersion { try createSchema() }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        // A process that opens the database while no other has it open reads the whole log to rebuild its index
        // (and checksums every frame: at 100 frames, 0.55 M instructions, 15 % of a pod ADD). Closing leaves the
        // log as it is (`wincni_sqlite_keep_log_on_close`) unless this connection's commits left it at
        // `truncateFrames` or longer: then it is folded into the database without waiting for anyone, and when
        // that folded all of it, a one-page write restarts the log (SQLite starts a folded log over at the next
        // write, with a new salt that ends what a recovery reads), so the next process reads one frame. The file
        // keeps its size: truncating it (checkpoint TRUNCATE) measured the same on tmpfs, but on ext4 a file cut
        // to zero and written again is flushed when it is closed, which stalled some execs for milliseconds.
        // Doing it in every exec measured 7 % faster per pod on tmpfs but 14 to 26 % slower on disk (its syncs).
        // The checkpoint and the one-page write run with synchronous=OFF: with NORMAL the checkpoint synced the log
        // and the database file (two fsyncs in every third writing exec, which made a pod DEL on disk 1.23x slower).
        // What they write is already committed to the log, and a killed process loses nothing the kernel holds
        // (KillStormTests); only a power loss could, and the simulator is a test double that need not survive one.
        if log.pointee.frames >= Self.truncateFrames {
            sqlite3_busy_timeout(connection, 0)
            sqlite3_exec(connection, "PRAGMA synchronous=OFF", nil, nil, nil)
            var logged: Int32 = 0
            var copied: Int32 = 0
            let result = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied)
            if result == SQLITE_OK && logged == copied {
                sqlite3_exec(
                    connection, "BEGIN IMMEDIATE;PRAGMA user_version = \(Self.schemaVersion);COMMIT", nil, nil, nil)
            }
        }
        sqlite3_close_v2(connection)
        log.deallocate()
        sqlite3_mutex_free(mutex)
    }

    /// Runs `body` holding the connection's lock.
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        sqlite3_mutex_enter(mutex)
        defer { sqlite3_mutex_leave(mutex) }
        return try body()
    }

    private func version() throws(DatabaseFailure) -> Int64 {
        var value: Int64 = 0
        try query("PRAGMA user_version") { row in value = row.integer(0) }
        return value
    }

    /// The tables, made by the first process that opens a new database. WAL is a property of the file, set once.
    private func createSchema() throws(DatabaseFailure) {
        try execute("PRAGMA journal_mode=WAL")
        try execute("BEGIN IMMEDIATE")
        do throws(DatabaseFailure) {
            let current = try version()
            if current == 0 {
                try execute(Self.schema)
            } else if current == 1 {
                try execute(Self.upgradeFrom1)
            } else if current != Self.schemaVersion {
                throw DatabaseFailure(
                    action: "open \(path)", code: SQLITE_MISMATCH,
                    message: "schema version \(current), this simulator reads \(Self.schemaVersion)")
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// HNS's rules that a schema can hold: unique IDs, network names (case-folded key), one endpoint per address
    /// and per host port mapping on a network, unique MACs and compartments, endpoints only on an existing network
    /// (and gone with it) and only in an existing namespace. An endpoint's addresses and host ports are both `claim`
    /// rows (`SimulatorCatalog.portClaim` spells a port): one table and one index fewer than a table for each is
    /// 47 K instructions less schema to parse in every exec, and the cascade compiled into `DELETE FROM endpoint`
    /// went from 105 K to 65 K instructions to prepare. `fault` and `trace` are made when the first fault is
    /// planted or tracing is turned on (`faultTable`, `traceTable`) and dropped by a reset: every exec parses the
    /// whole schema, and the two tables were 46 K instructions of it; `config.faults` counts the planted faults, so a
    /// call learns whether to look for one without the table. Version 2; version 1 had `endpoint_ip`,
    /// `endpoint_port`, `fault` and `trace` from the start (`upgradeFrom1` converts it when it is opened).
    static let schema = """
        CREATE TABLE config(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            trace INTEGER NOT NULL DEFAULT 0,
            faults INTEGER NOT NULL DEFAULT 0,
            version_major INTEGER,
            version_minor INTEGER);
        INSERT INTO config(id) VALUES (1);
        CREATE TABLE network(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_key TEXT UNIQUE,
            mac_hint INTEGER NOT NULL DEFAULT 0,
            document TEXT NOT NULL);
        CREATE TABLE namespace(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            compartment INTEGER NOT NULL UNIQUE,
            document TEXT NOT NULL);
        CREATE TABLE endpoint(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name_key TEXT NOT NULL,
            network TEXT NOT NULL REFERENCES network(id) ON DELETE CASCADE,
            namespace TEXT REFERENCES namespace(id),
            mac INTEGER UNIQUE,
            document TEXT NOT NULL);
        CREATE INDEX endpoint_by_name ON endpoint(name_key);
        CREATE INDEX endpoint_by_network ON endpoint(network);
        CREATE INDEX endpoint_by_namespace ON endpoint(namespace) WHERE namespace IS NOT NULL;
        CREATE TABLE claim(
            network TEXT NOT NULL,
            claim TEXT NOT NULL,
            endpoint TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
            PRIMARY KEY (network, claim)) WITHOUT ROWID;
        CREATE INDEX claim_by_endpoint ON claim(endpoint);
        PRAGMA user_version = 2;
        """

    /// A version 1 database (an earlier wincni's) as version 2: its address and port rows become claims, `config`
    /// gets the fault count; its `fault` and `trace` tables stay.
    static let upgradeFrom1 = """
        CREATE TABLE claim(
            network TEXT NOT NULL,
            claim TEXT NOT NULL,
            endpoint TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
            PRIMARY KEY (network, claim)) WITHOUT ROWID;
        CREATE INDEX claim_by_endpoint ON claim(endpoint);
        INSERT INTO claim(network, claim, endpoint) SELECT network, ip, endpoint FROM endpoint_ip;
        INSERT INTO claim(network, claim, endpoint)
            SELECT network, 'port/' || port || '/' || protocol || '/' || vip, endpoint FROM endpoint_port;
        DROP TABLE endpoint_ip;
        DROP TABLE endpoint_port;
        ALTER TABLE config ADD COLUMN faults INTEGER NOT NULL DEFAULT 0;
        UPDATE config SET faults = (SELECT count(*) FROM fault);
        PRAGMA user_version = 2;
        """

    static let faultTable = """
        CREATE TABLE IF NOT EXISTS fault(
            seq INTEGER PRIMARY KEY, op TEXT NOT NULL, hresult INTEGER, crash TEXT, count INTEGER NOT NULL)
        """

    static let traceTable = """
        CREATE TABLE IF NOT EXISTS trace(
            seq INTEGER PRIMARY KEY,
            process INTEGER NOT NULL,
            function TEXT NOT NULL,
            object TEXT NOT NULL,
            request TEXT NOT NULL,
            hresult INTEGER NOT NULL,
            result TEXT NOT NULL)
        """

    /// Whether the table `name` exists (`fault` and `trace` are made on first use).
    func hasTable(_ name: String) throws(DatabaseFailure) -> Bool {
        try integer("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", .text(name)) != nil
    }

    /// Runs `body` in a write transaction of its own.
    func transaction<T>(_ body: () throws(DatabaseFailure) -> T) throws(DatabaseFailure) -> T {
        try execute("BEGIN IMMEDIATE")
        do throws(DatabaseFailure) {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    // MARK: - Statements

    /// Runs SQL without parameters or results (several statements allowed; one is prepared once and kept).
    func execute(_ sql: String) throws(DatabaseFailure) {
        if !sql.utf8.contains(UInt8(ascii: ";")) {
            try query(sql, []) { _ in }
            return
        }
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(connection, sql, nil, nil, &message)
        guard result == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_free(message)
            throw DatabaseFailure(action: String(sql.prefix(40)), code: result, message: text)
        }
    }

    private func prepared(_ sql: String) throws(DatabaseFailure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw failure(sql, result) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ sql: String, _ code: Int32) -> DatabaseFailure {
        DatabaseFailure(
            action: String(sql.prefix(60)), code: sqlite3_extended_errcode(connection),
            message: String(cString: sqlite3_errmsg(connection)))
    }

    /// Runs `sql` with `values` bound to ?1, ?2, …, calling `row` for each result row.
    func query(_ sql: String, _ values: SQLValue..., row: (SQLRow) throws(DatabaseFailure) -> Void = { _ in })
        throws(DatabaseFailure)
    {
        try query(sql, values, row: row)
    }

    func query(_ sql: String, _ values: [SQLValue], row: (SQLRow) throws(DatabaseFailure) -> Void)
        throws(DatabaseFailure)
    {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(statement, index, number)
            case .null: result = sqlite3_bind_null(statement, index)
            case .text(let text):
                result = text.withCString { chars in
                    wincni_sqlite_bind_text(statement, index, chars, Int32(text.utf8.count))
                }
            }
            guard result == SQLITE_OK else { throw failure(sql, result) }
        }
        while true {
            let result = sqlite3_step(statement)
            if result == SQLITE_DONE { return }
            guard result == SQLITE_ROW else { throw failure(sql, result) }
            try row(SQLRow(statement: statement))
        }
    }

    /// Runs a statement that changes rows; returns how many it changed.
    @discardableResult
    func run(_ sql: String, _ values: SQLValue...) throws(DatabaseFailure) -> Int {
        try query(sql, values) { _ in }
        return Int(sqlite3_changes(connection))
    }

    /// The first column of the first row, nil when there is no row.
    func text(_ sql: String, _ values: SQLValue...) throws(DatabaseFailure) -> String? {
        var value: String?
        try query(sql, values) { row in if value == nil { value = row.text(0) } }
        return value
    }

    func integer(_ sql: String, _ values: SQLValue...) throws(DatabaseFailure) -> Int64? {
        var value: Int64?
        try query(sql, values) { row in if value == nil, !row.isNull(0) { value = row.integer(0) } }
        return value
    }

    /// The texts of the first column of every row.
    func texts(_ sql: String, _ values: SQLValue...) throws(DatabaseFailure) -> [String] {
        var result: [String] = []
        try query(sql, values) { row in if let text = row.text(0) { result.append(text) } }
        return result
    }
}
