import CNI
import JSON
import NetAddress

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A runner for tests that must never start a process.
struct NoProcessRunner: ProcessRunner {
    func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
    {
        throw CNIError(.internalError, "unexpected process start: \(executable)")
    }
}

/// An environment with exactly `variables` and `stdin`; logs are collected in `log`.
func testEnvironment(
    _ variables: [String: String], stdin: String = "", runner: any ProcessRunner = NoProcessRunner(),
    log: LogSink = LogSink()
) -> CNIEnvironment {
    let bytes = Array(stdin.utf8)
    return CNIEnvironment(
        variables: variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
        readStdin: { () throws(CNIError) -> [UInt8] in bytes },
        runner: runner,
        log: { log.append($0) },
        monotonicSeconds: { 0 })
}

/// Collects log lines from a `@Sendable` closure.
final class LogSink: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var storage: [String] = []

    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    func append(_ line: String) {
        pthread_mutex_lock(&lock)
        storage.append(line)
        pthread_mutex_unlock(&lock)
    }

    var lines: [String] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return storage
    }
}

/// The variables a runtime sets for `command`, all of them valid.
func runtimeVariables(_ command: String) -> [String: String] {
    [
        "CNI_COMMAND": command, "CNI_CONTAINERID": "0123abcd", "CNI_NETNS": "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11",
        "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": "",
    ]
}

func config(_ version: String = "1.1.0", extra: String = "") -> String {
    #"{"cniVersion":"\#(version)","name":"cbr0","type":"win-bridge"\#(extra)}"#
}

/// The error document a dispatcher output holds (fails the test when it is not one).
func errorDocument(_ output: CNIOutput) throws -> (cniVersion: String?, code: Int64?, msg: String, details: String?) {
    let document = try JSON.parse(output.stdout)
    return (
        document["cniVersion"]?.stringValue, document["code"]?.int64Value, document["msg"]?.stringValue ?? "",
        document["details"]?.stringValue
    )
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A fresh private directory under /tmp, removed by `removeTree`.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/wincni-cni-test-XXXXXX".utf8CString)
    guard let pointer = mkdtemp(&template) else { return "/tmp" }
    return String(cString: pointer)
}

func writeFile(_ path: String, _ contents: String, mode: mode_t = 0o755) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard fd >= 0 else { return }
    let bytes = Array(contents.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    chmod(path, mode)
}

func removeTree(_ path: String) {
    guard path.hasPrefix("/tmp/wincni-cni-test-") else { return }
    guard let directory = opendir(path) else { return }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        var info = stat()
        if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
    }
    closedir(directory)
    rmdir(path)
}

/// A prefix written in a test; a typo there is a bug in the test.
func prefix(_ text: String) -> IPPrefix {
    guard let value = IPPrefix(text) else { fatalError("not a CIDR in the test: \(text)") }
    return value
}

/// An address written in a test.
func address(_ text: String) -> IPAddress {
    guard let value = IPAddress(text) else { fatalError("not an IP address in the test: \(text)") }
    return value
}

/// A stand-in plugin for protocol tests: every command fails, after all the dispatcher's checks, with a code-999
/// error, so a test sees exactly what the protocol layer let through.
struct NotImplementedPlugin: CNIPlugin {
    var name: String

    init(name: String) { self.name = name }

    private func failure(_ request: CNIRequest) -> CNIError {
        CNIError(
            .internalError, "\(name): \(request.command.rawValue) is not implemented yet",
            details: "this build of \(name) only validates its input; install a build with the plugin wired in")
    }

    func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult {
        throw failure(request)
    }
    func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw failure(request) }
    func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw failure(request) }
    func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw failure(request) }
    func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw failure(request) }
}
