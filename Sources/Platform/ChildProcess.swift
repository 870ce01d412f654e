import CPlatform

/// A started child process (wincni_process_start): its own process group on POSIX, a job object on Windows, so
/// `kill()` takes whatever it started too. Dropping the value kills a child that still runs and reaps it.
public final class ChildProcess: @unchecked Sendable {
    private let process: OpaquePointer
    public let executable: String
    /// The exit status once `wait` has seen the child exit (128 + signal on POSIX when a signal ended it).
    public private(set) var exitStatus: Int32?

    /// Starts `executable` (a path, run directly) with argv = [executable] + `arguments` and exactly `environment`
    /// ("NAME=value" strings; nil inherits this process's). `stdin` goes through a pipe unless `stdinPath` names a
    /// file to read it from; stdout and stderr are captured (up to `outputLimit` bytes each) unless
    /// `stdoutPath`/`stderrPath` name files to write them to.
    public init(
        _ executable: String, arguments: [String] = [], environment: [String]?, stdin: [UInt8] = [],
        stdinPath: String? = nil, stdoutPath: String? = nil, stderrPath: String? = nil, outputLimit: Int = 16 << 20
    ) throws(PlatformError) {
        self.executable = executable
        let argv = block([executable] + arguments)
        let envp = environment.map(block)
        var process: OpaquePointer? = nil
        let status = argv.withUnsafeBufferPointer { argvBuffer in
            withOptionalBlock(envp) { envBuffer, envCount in
                stdin.withUnsafeBufferPointer { input in
                    withOptionalCString(stdinPath) { inPath in
                        withOptionalCString(stdoutPath) { outPath in
                            withOptionalCString(stderrPath) { errPath in
                                executable.withCString { program in
                                    var options = wincni_spawn_options()
                                    options.executable = program
                                    options.arguments = argvBuffer.baseAddress
                                    options.arguments_size = Int64(argvBuffer.count)
                                    options.environment = envBuffer
                                    options.environment_size = envCount
                                    options.input = input.baseAddress
                                    options.input_count = Int64(input.count)
                                    options.input_path = inPath
                                    options.output_path = outPath
                                    options.error_path = errPath
                                    options.output_limit = Int64(outputLimit)
                                    return wincni_process_start(&options, &process)
                                }
                            }
                        }
                    }
                }
            }
        }
        try check(status, "run", executable)
        guard let process else { throw PlatformError(status, "run", executable) }
        self.process = process
    }

    deinit { wincni_process_close(process) }

    /// The child's process ID.
    public var identifier: Int64 { wincni_process_identifier(process) }

    /// Serves the pipes until the child exits or `timeoutMilliseconds` pass (nil: no limit; 0: just look). Returns
    /// the exit status, or nil while it still runs.
    public func wait(timeoutMilliseconds: Int? = nil) throws(PlatformError) -> Int32? {
        if let exitStatus { return exitStatus }
        var code: Int32 = 0
        let status = wincni_process_wait(process, Int64(timeoutMilliseconds ?? -1), &code)
        if status.kind == WINCNI_E_TIMED_OUT { return nil }
        try check(status, "wait for", executable)
        exitStatus = code
        return code
    }

    /// Kills the child and everything in its group / job.
    public func kill() throws(PlatformError) {
        try check(wincni_process_kill(process), "kill", executable)
    }

    /// What the child wrote to stdout so far (up to the output limit).
    public var standardOutput: [UInt8] { output(WINCNI_STDOUT) }
    /// What the child wrote to stderr so far (up to the output limit).
    public var standardError: [UInt8] { output(WINCNI_STDERR) }

    private func output(_ stream: Int32) -> [UInt8] {
        var bytes: UnsafePointer<UInt8>? = nil
        var count: Int64 = 0
        wincni_process_output(process, stream, &bytes, &count)
        guard let bytes else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(count)))
    }
}

private func withOptionalCString<Result>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

private func withOptionalBlock<Result>(
    _ block: [CChar]?, _ body: (UnsafePointer<CChar>?, Int64) -> Result
) -> Result {
    guard let block else { return body(nil, 0) }
    // An empty environment is an empty block, which still needs a non-NULL pointer.
    if block.isEmpty { return [CChar(0)].withUnsafeBufferPointer { body($0.baseAddress, 0) } }
    return block.withUnsafeBufferPointer { body($0.baseAddress, Int64($0.count)) }
}
