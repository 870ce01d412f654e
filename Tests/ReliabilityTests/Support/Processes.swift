import Platform

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
        if let value = ProcessEnvironment.value("WINCNI_BIN"), !value.isEmpty { candidates.append(value) }
        candidates += ["bin", ".build/debug"]
        for candidate in candidates
        where Files.isExecutableFile(candidate + "/wincni") && Files.isExecutableFile(candidate + "/hnsctl") {
            return (try? Files.resolve(candidate)) ?? candidate
        }
        return nil
    }()

    /// `name` in the binary directory (`wincni`, `hnsctl`, `flannel`, `win-bridge`, ...).
    static func path(_ name: String) throws -> String {
        guard let directory else {
            throw HarnessError("no wincni/hnsctl binaries: run `make build` and set WINCNI_BIN to the bin directory")
        }
        let path = directory + "/" + name
        guard Files.isExecutableFile(path) else { throw HarnessError("\(path) is missing: run `make build`") }
        return path
    }
}

/// A started process whose stdin, stdout and stderr are files in a private directory (no pipe can fill up, and
/// hundreds can run at once).
final class RunningProcess: @unchecked Sendable {
    private let child: ChildProcess
    private let directory: String
    private var finished: ProcessOutput?

    /// Starts `executable` with exactly `environment` (no shell, argv = [executable] + arguments).
    init(_ executable: String, arguments: [String] = [], environment: [String: String], stdin: [UInt8]) throws {
        directory = try TemporaryDirectory.make("run")
        let inPath = directory + "/stdin"
        try FileTree.write(inPath, stdin)
        do {
            child = try ChildProcess(
                executable, arguments: arguments,
                environment: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
                stdinPath: inPath, stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr")
        } catch {
            FileTree.remove(directory)
            throw HarnessError("cannot run \(executable): \(error)")
        }
    }

    /// The process ID.
    var pid: Int64 { child.identifier }

    /// Kills the process (SIGKILL to its group; its job object on Windows); false when it had already ended.
    func kill() -> Bool {
        guard (try? child.wait(timeoutMilliseconds: 0)) == nil else { return false }
        return (try? child.kill()) != nil
    }

    /// Waits for the process and collects what it wrote.
    func wait() throws -> ProcessOutput {
        if let finished { return finished }
        guard let status = try child.wait() else { throw HarnessError("\(child.executable) did not finish") }
        return try collect(status: status)
    }

    /// What the process left when it has finished; nil while it runs.
    func poll() throws -> ProcessOutput? {
        if let finished { return finished }
        guard let status = try child.wait(timeoutMilliseconds: 0) else { return nil }
        return try collect(status: status)
    }

    private func collect(status: Int32) throws -> ProcessOutput {
        let output = ProcessOutput(
            status: status,
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
        try Files.makeTemporaryDirectory(prefix: "wincni-rel-\(label)-")
    }
}
