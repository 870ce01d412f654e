import Platform

/// What a finished child process left: its exit status (128 + the signal number when a signal ended it) and
/// everything it wrote.
public struct ProcessOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    public init(status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs another plugin executable; injected so that tests can script what a delegated plugin answers.
public protocol ProcessRunner: Sendable {
    /// Exec `executable` (absolute path) without a shell, argv = [executable], with exactly `environment`,
    /// writing `stdin` and collecting stdout/stderr; kill it and fail (code 11) after `timeoutSeconds`.
    func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
}

/// The real `ProcessRunner`, on the platform layer's `ChildProcess`: no shell, stdin/stdout/stderr through pipes
/// served together (so a child that writes a lot before reading its stdin cannot deadlock us), and a deadline after
/// which the child is killed with everything it started (its process group; its job object on Windows).
public struct SystemProcessRunner: ProcessRunner {
    /// Output beyond this many bytes per stream is read and dropped.
    public static let outputLimit = 16 << 20

    public init() {}

    public func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
    {
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable, environment: environment, stdin: stdin, outputLimit: Self.outputLimit)
        } catch {
            throw CNIError(
                .internalError, "cannot run plugin \(executable): \(error.text)",
                details: "check that it is an executable for this system (a script needs a #! line)")
        }
        do {
            if let status = try child.wait(timeoutMilliseconds: max(timeoutSeconds, 0) * 1000) {
                return ProcessOutput(status: status, stdout: child.standardOutput, stderr: child.standardError)
            }
            try child.kill()
            _ = try child.wait()
        } catch {
            throw CNIError(.ioFailure, "cannot run plugin \(executable): \(error)")
        }
        let stderr = child.standardError
        throw CNIError(
            .tryAgainLater, "plugin \(executable) did not finish within \(timeoutSeconds) seconds and was killed",
            details: stderr.isEmpty ? "it printed nothing on stderr" : "its stderr: \(excerpt(stderr, limit: 2000))")
    }
}

/// Bytes as text for a message, cut to `limit` bytes.
func excerpt(_ bytes: [UInt8], limit: Int) -> String {
    var text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    while text.last?.isWhitespace == true { text.removeLast() }
    return bytes.count > limit ? quoted(text) + "…" : quoted(text)
}
