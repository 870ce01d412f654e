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
    let path: String

    /// How every connection keeps the database consistent: a rollback journal (`hns.db-journal`, cut to nothing at
    /// each commit rather than deleted, so the file and its inode stay), without syncs.
    ///
    /// Why not the write-ahead log (WAL) of earlier versions: the first process to open a WAL database rebuilds the
    /// log's index from the log (SQLite cannot trust a shared index no process holds), and every plugin exec is such
    /// a first process: it read and checksummed every frame, 50 to 230 K instructions by the log's length, and set
    /// up the 32 KB index (page faults, a memset) before its first read; each commit added 90 K of frame and index
    /// work. With the rollback journal an exec pays a `stat` of the journal per transaction instead. Callgrind, pod
    /// ADD and DEL on a tmpfs node: 3.15 M -> 2.89 M and 2.26 M -> 2.09 M instructions; 14 and 29 fewer page faults.
    /// Readers and writers now exclude each other for the moment of a commit (microseconds without syncs); a waiting
    /// call retries after microseconds (`wincni_sqlite_wait_when_busy`), so four pod ADDs or DELs started at once
    /// take as long as with the log (with `sqlite3_busy_timeout`'s 1 ms and longer sleeps they took 10-25 % longer).
    ///
    /// `synchronous=OFF`: a commit writes the journal, then the database, and cuts the journal, without an fsync.
    /// A killed process loses nothing the kernel holds, and the next process finds the journal of a commit that did
    /// not finish and rolls it back (KillStormTests); a power loss could leave the file inconsistent, which the WAL
    /// setup risked as well (its log restart ran with synchronous=OFF), and the simulator is a test double that need
    /// not survive one (HNS keeps its own state on Windows). The journal mode is a setting of the connection, not of
    /// the file: a database that an earlier version left in WAL mode is converted here when no other process has it
    /// open (SQLite needs the only lock to fold the log in), and otherwise used as it is until a later open can.
    static let journalSettings = "PRAGMA synchronous=OFF;PRAGMA journal_mode=TRUNCATE"

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
        // Writers wait for each other (BEGIN IMMEDIATE), and readers for a commit, instead of failing, for ~30 s.
        wincni_sqlite_wait_when_busy(handle)
        wincni_sqlite_enable_foreign_keys(handle)
        do throws(DatabaseFailure) {
            try execute(Self.journalSettings)
        } catch  where error.code & 0xFF == SQLITE_BUSY {
            // A WAL database another process has open: it stays in WAL mode for this connection.
        }
        if try version() != Self.schemaVersion { try createSchema() }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(connection)
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

    /// The tables, made by the first process that opens a new database.
    private func createSchema() throws(DatabaseFailure) {
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
