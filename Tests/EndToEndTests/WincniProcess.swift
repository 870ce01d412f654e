import Platform

/// The built `wincni` executable, run as a container runtime runs it: chosen environment, config on stdin, stdout
/// and exit status collected. Stdin, stdout and stderr go through files, so no pipe can fill up.
struct WincniProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `$WINCNI_BIN/wincni` (`make build` leaves release binaries in `bin/`), else `.build/debug/wincni` of the
    /// package the tests run in.
    static var executable: String? {
        var candidates: [String] = []
        if let directory = ProcessEnvironment.value("WINCNI_BIN"), !directory.isEmpty {
            candidates.append(directory + "/wincni")
        }
        candidates.append(".build/debug/wincni")
        return candidates.first { Files.isExecutableFile($0) }
    }

    static func run(_ variables: [String: String], stdin: String) throws -> Output {
        guard let executable else {
            throw WincniProcessError(
                "no wincni binary: set WINCNI_BIN to the directory holding it, or run `swift build --product wincni`")
        }
        let directory = try Files.makeTemporaryDirectory(prefix: "wincni-e2e-")
        defer { Files.removeTree(directory) }
        let inPath = directory + "/stdin", outPath = directory + "/stdout", errPath = directory + "/stderr"
        try Files.write(inPath, Array(stdin.utf8))
        let child = try ChildProcess(
            executable, environment: variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            stdinPath: inPath, stdoutPath: outPath, stderrPath: errPath)
        guard let status = try child.wait() else { throw WincniProcessError("\(executable) did not finish") }
        return Output(
            status: status, stdout: String(decoding: try Files.read(outPath), as: UTF8.self),
            stderr: String(decoding: try Files.read(errPath), as: UTF8.self))
    }
}

struct WincniProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
