import Platform

/// The only operating-system calls the simulator makes itself (SQLite does its own file work), through the platform
/// layer: making its directory, ending the process for a crash fault, and the process ID for the trace.
enum SimulatorPlatform {
    /// `mkdir -p directory` (mode 0700) and an empty `file` (mode 0600) in it unless there is one, so SQLite's
    /// database and its `-wal` and `-shm` files (which take the database file's mode) are private. Returns false when
    /// the file existed already.
    static func prepare(directory: String, file: String) throws(DatabaseFailure) -> Bool {
        do throws(PlatformError) {
            _ = try Files.makeDirectories(directory, permissions: 0o700)
            try Files.write(file, [], mode: .exclusive, permissions: 0o600)
            return true
        } catch {
            if error.kind == .exists && error.path == file { return false }
            throw DatabaseFailure(
                action: "\(error.operation) \(error.path)", code: error.nativeCode, message: error.text)
        }
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool { Files.exists(path) }

    /// Ends the process at once, with the status a SIGKILLed process reports through a shell (137).
    static func crash() -> Never { ProcessEnvironment.exitImmediately(status: 137) }

    static var processID: Int64 { ProcessEnvironment.processIdentifier }
}
