import CNI
import JSON
import NetAddress
import Platform
import Synchronization

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
final class LogSink: Sendable {
    private let storage = Mutex<[String]>([])

    init() {}

    func append(_ line: String) { storage.withLock { $0.append(line) } }

    var lines: [String] { storage.withLock { $0 } }
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
    (try? Files.makeTemporaryDirectory(prefix: "wincni-cni-test-")) ?? "/tmp"
}

func writeFile(_ path: String, _ contents: String, mode: UInt32 = 0o755) {
    try? Files.write(path, Array(contents.utf8), permissions: mode)
    try? Files.setPermissions(path, mode)
}

func removeTree(_ path: String) {
    guard path.contains("wincni-cni-test-") else { return }
    Files.removeTree(path)
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
