#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The only operating-system calls the simulator makes itself (SQLite does its own file work): making its
/// directory, ending the process for a crash fault, and the process ID for the trace. A platform layer replaces it.
enum SimulatorPlatform {
    /// `mkdir -p directory` (mode 0700) and an empty `file` (mode 0600) in it unless there is one, so SQLite's
    /// database and its `-wal` and `-shm` files (which take the database file's mode) are private. Returns false when
    /// the file existed already.
    static func prepare(directory: String, file: String) throws(DatabaseFailure) -> Bool {
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw failure("mkdir \(prefix)") }
            prefix += "/"
        }
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw failure("create \(file)")
        }
        close(fd)
        return true
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Ends the process at once, with the status a SIGKILLed process reports through a shell (137).
    static func crash() -> Never { _exit(137) }

    static var processID: Int64 { Int64(getpid()) }

    private static func failure(_ action: String) -> DatabaseFailure {
        let code = errno
        let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return DatabaseFailure(action: action, code: code, message: text)
    }
}
