#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

/// The real `ProcessRunner`: `posix_spawn` (no shell), stdin/stdout/stderr through pipes served by one `poll`
/// loop (so a child that writes a lot before reading its stdin cannot deadlock us), and a deadline after which the
/// child's whole process group is killed.
public struct PosixProcessRunner: ProcessRunner {
    /// Output beyond this many bytes per stream is read and dropped.
    public static let outputLimit = 16 << 20

    public init() {}

    public func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
    {
        // A child that exits without reading all of its stdin must not kill us with SIGPIPE; Go ignores SIGPIPE on
        // such pipes too. The child gets the default disposition back through the spawn attributes.
        signal(SIGPIPE, SIG_IGN)

        var pipes: [(read: Int32, write: Int32)] = []
        defer { for pipe in pipes { closeIfOpen(pipe.read); closeIfOpen(pipe.write) } }
        // No pipe2 in the Glibc module: between pipe() and FD_CLOEXEC another thread's spawn could inherit our ends
        // (and keep a child's stdin open forever), so pipe creation and spawning are serialised.
        spawnLock.lock()
        let spawned = Result { () throws(CNIError) -> pid_t in
            for _ in 0..<3 {
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else {
                    throw CNIError(.ioFailure, "cannot create a pipe to run \(executable): \(errnoText())")
                }
                for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                pipes.append((ends[0], ends[1]))
            }
            return try spawn(
                executable, environment: environment, stdin: pipes[0].read, stdout: pipes[1].write,
                stderr: pipes[2].write)
        }
        spawnLock.unlock()
        let pid = try spawned.get()
        // Our copies of the child's ends must go, or we would never see end-of-file on its output.
        close(pipes[0].read)
        pipes[0].read = -1
        close(pipes[1].write)
        pipes[1].write = -1
        close(pipes[2].write)
        pipes[2].write = -1

        var io = ChildIO(stdinFD: pipes[0].write, stdoutFD: pipes[1].read, stderrFD: pipes[2].read, input: stdin)
        pipes[0].write = -1
        pipes[1].read = -1
        pipes[2].read = -1
        defer { io.closeAll() }

        let deadline = clockSeconds(CLOCK_MONOTONIC) + Double(max(timeoutSeconds, 0))
        var status: Int32? = nil
        while status == nil {
            let remaining = deadline - clockSeconds(CLOCK_MONOTONIC)
            if remaining <= 0 { break }
            let sliceMilliseconds = Int32(min(remaining * 1000, 50).rounded(.up))
            if io.isOpen {
                io.pump(timeoutMilliseconds: sliceMilliseconds)
            } else {
                usleep(UInt32(sliceMilliseconds) * 1000 / 5)
            }
            // A grandchild may inherit the pipes and hold them open; the child's own exit ends the wait.
            status = reap(pid, wait: false)
        }
        guard let status else {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            _ = reap(pid, wait: true)
            io.drain()
            throw CNIError(
                .tryAgainLater, "plugin \(executable) did not finish within \(timeoutSeconds) seconds and was killed",
                details: io.stderr.isEmpty
                    ? "it printed nothing on stderr" : "its stderr: \(excerpt(io.stderr, limit: 2000))")
        }
        io.drain()
        return ProcessOutput(status: status, stdout: io.stdout, stderr: io.stderr)
    }

    private func spawn(_ executable: String, environment: [String], stdin: Int32, stdout: Int32, stderr: Int32)
        throws(CNIError) -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // Its own process group, so that a timeout kills whatever the plugin started too.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw CNIError(
                .internalError, "cannot run plugin \(executable): \(errnoText(result))",
                details: "check that it is an executable for this system (a script needs a #! line)")
        }
        return pid
    }

    /// The exit status once the child is gone (128 + signal when a signal ended it), nil while it runs.
    private func reap(_ pid: pid_t, wait: Bool) -> Int32? {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, wait ? 0 : WNOHANG)
            if result == pid { break }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            return 255
        }
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}

/// The parent's ends of the three pipes and what went through them.
private struct ChildIO {
    var stdinFD: Int32
    var stdoutFD: Int32
    var stderrFD: Int32
    let input: [UInt8]
    var written = 0
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []

    init(stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, input: [UInt8]) {
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        self.input = input
        for fd in [stdinFD, stdoutFD, stderrFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if input.isEmpty { closeStdin() }
    }

    var isOpen: Bool { stdinFD >= 0 || stdoutFD >= 0 || stderrFD >= 0 }

    /// Waits up to `timeoutMilliseconds` for any pipe to be ready and moves what it can.
    mutating func pump(timeoutMilliseconds: Int32) {
        var fds: [pollfd] = []
        if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
        if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
        if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard ready > 0 else { return }
        for entry in fds where entry.revents != 0 {
            if entry.fd == stdinFD {
                writeStdin()
            } else if entry.fd == stdoutFD {
                if !Self.readAvailable(entry.fd, into: &stdout) { closeOutput(&stdoutFD) }
            } else if entry.fd == stderrFD {
                if !Self.readAvailable(entry.fd, into: &stderr) { closeOutput(&stderrFD) }
            }
        }
    }

    /// Takes whatever output is already buffered, without waiting (after the child is gone).
    mutating func drain() {
        closeStdin()
        if stdoutFD >= 0 { _ = Self.readAvailable(stdoutFD, into: &stdout) }
        if stderrFD >= 0 { _ = Self.readAvailable(stderrFD, into: &stderr) }
    }

    mutating func closeAll() {
        closeStdin()
        closeOutput(&stdoutFD)
        closeOutput(&stderrFD)
    }

    private mutating func writeStdin() {
        while written < input.count {
            let count = input[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
            if count > 0 {
                written += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            break  // EPIPE: the child stopped reading; what it makes of a short stdin is its business.
        }
        closeStdin()
    }

    private mutating func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    private func closeOutput(_ fd: inout Int32) {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Reads until the pipe would block; false at end of file or on an error.
    private static func readAvailable(_ fd: Int32, into output: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                if output.count < PosixProcessRunner.outputLimit {
                    output.append(contentsOf: buffer[0..<min(count, PosixProcessRunner.outputLimit - output.count)])
                }
                continue
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK
        }
    }
}

/// Serialises pipe creation and spawning within this process (see `PosixProcessRunner.run`).
private final class SpawnLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

private let spawnLock = SpawnLock()

private func closeIfOpen(_ fd: Int32) {
    if fd >= 0 { close(fd) }
}

/// Bytes as text for a message, cut to `limit` bytes.
func excerpt(_ bytes: [UInt8], limit: Int) -> String {
    var text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    while text.last?.isWhitespace == true { text.removeLast() }
    return bytes.count > limit ? quoted(text) + "…" : quoted(text)
}
