#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        if let directory = getenv("WINCNI_BIN").map({ String(cString: $0) }), !directory.isEmpty {
            candidates.append(directory + "/wincni")
        }
        candidates.append(".build/debug/wincni")
        return candidates.first { access($0, X_OK) == 0 }
    }

    /// `rawVariables`: further `K=V` entries as bytes, which need not be UTF-8.
    static func run(_ variables: [String: String], stdin: String, rawVariables: [[UInt8]] = []) throws -> Output {
        guard let executable else {
            throw WincniProcessError(
                "no wincni binary: set WINCNI_BIN to the directory holding it, or run `swift build --product wincni`")
        }
        var template = Array("/tmp/wincni-e2e-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw WincniProcessError("mkdtemp failed") }
        let directory = String(cString: created)
        let inPath = directory + "/stdin", outPath = directory + "/stdout", errPath = directory + "/stderr"
        defer {
            for path in [inPath, outPath, errPath] { unlink(path) }
            rmdir(directory)
        }
        try writeFile(inPath, stdin)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            variables.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
            + rawVariables.map { bytes in
                (bytes + [0]).withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { $0.baseAddress.flatMap { strdup($0) } }
                }
            } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw WincniProcessError("cannot run \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(status: exitStatus, stdout: try readFile(outPath), stderr: try readFile(errPath))
    }

    private static func writeFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw WincniProcessError("cannot create \(path)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw WincniProcessError("cannot write \(path)")
        }
    }

    private static func readFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw WincniProcessError("cannot open \(path)") }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct WincniProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
