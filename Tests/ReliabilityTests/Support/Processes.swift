#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one run of an executable left: its exit status (128 + signal when killed) and what it wrote.
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The release binaries `make build` leaves in `bin/`: `$WINCNI_BIN`, else `bin/` or `.build/debug/` of the package
/// the tests run in. The drop-in names (`flannel`, `win-bridge`, ...) are links to `wincni` there.
enum Binaries {
    static let directory: String? = {
        var candidates: [String] = []
        if let value = getenv("WINCNI_BIN").map({ String(cString: $0) }), !value.isEmpty { candidates.append(value) }
        candidates += ["bin", ".build/debug"]
        for candidate in candidates
        where access(candidate + "/wincni", X_OK) == 0 && access(candidate + "/hnsctl", X_OK) == 0 {
            return absolute(candidate)
        }
        return nil
    }()

    /// `name` in the binary directory (`wincni`, `hnsctl`, `flannel`, `win-bridge`, ...).
    static func path(_ name: String) throws -> String {
        guard let directory else {
            throw HarnessError("no wincni/hnsctl binaries: run `make build` and set WINCNI_BIN to the bin directory")
        }
        let path = directory + "/" + name
        guard access(path, X_OK) == 0 else { throw HarnessError("\(path) is missing: run `make build`") }
        return path
    }

    private static func absolute(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A started process whose stdin, stdout and stderr are files in a private directory (no pipe can fill up, and
/// hundreds can run at once).
final class RunningProcess: @unchecked Sendable {
    let pid: pid_t
    private let directory: String
    private var finished: ProcessOutput?

    /// Starts `executable` with exactly `environment` (no shell, argv = [executable] + arguments).
    init(_ executable: String, arguments: [String] = [], environment: [String: String], stdin: [UInt8]) throws {
        directory = try TemporaryDirectory.make("run")
        let inPath = directory + "/stdin"
        try FileTree.write(inPath, stdin)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            FileTree.remove(directory)
            throw HarnessError("cannot run \(executable): error \(spawned)")
        }
        self.pid = pid
    }

    /// Waits for the process and collects what it wrote.
    func wait() throws -> ProcessOutput {
        if let finished { return finished }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw HarnessError("waitpid \(pid) failed: errno \(errno)") }
        }
        return try collect(status: status)
    }

    /// Records the raw status `waitpid(-1, …)` returned for this process and collects what it wrote.
    func collect(status: Int32) throws -> ProcessOutput {
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = ProcessOutput(
            status: exitStatus,
            stdout: String(decoding: try FileTree.read(directory + "/stdout") ?? [], as: UTF8.self),
            stderr: String(decoding: try FileTree.read(directory + "/stderr") ?? [], as: UTF8.self))
        finished = output
        FileTree.remove(directory)
        return output
    }

    static func run(_ executable: String, arguments: [String] = [], environment: [String: String], stdin: [UInt8])
        throws -> ProcessOutput
    {
        try RunningProcess(executable, arguments: arguments, environment: environment, stdin: stdin).wait()
    }
}

/// Fresh private directories under the system's temporary directory.
enum TemporaryDirectory {
    static func make(_ label: String) throws -> String {
        var template = Array("/tmp/wincni-rel-\(label)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        return String(cString: created)
    }
}
