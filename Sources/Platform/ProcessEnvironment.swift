import CPlatform

/// This process's environment, standard streams and clocks (wincni_platform.h).
public enum ProcessEnvironment {
    /// The whole environment as "NAME=value" strings.
    public static func variables() -> [String] {
        variablesAndInvalidNames().variables
    }

    /// The environment as `K=V` strings, and the names of the entries that are not valid UTF-8 (those are in
    /// `variables` repaired, with U+FFFD in place of each bad sequence), so that a caller can refuse them.
    public static func variablesAndInvalidNames() -> (variables: [String], invalidUTF8Names: [String]) {
        var block: UnsafeMutablePointer<CChar>? = nil
        var size: Int64 = 0
        guard wincni_environment(&block, &size).kind == WINCNI_OK else { return ([], []) }
        var invalid: [String] = []
        let variables = takeStrings(block, size) { repaired in
            invalid.append(String(repaired.prefix { $0 != "=" }))
        }
        return (variables, invalid)
    }

    /// The value of `name`, nil when it is not set.
    public static func value(_ name: String) -> String? {
        var value: UnsafeMutablePointer<CChar>? = nil
        guard wincni_get_environment(name, &value).kind == WINCNI_OK else { return nil }
        return takeString(value)
    }

    /// Sets (or with nil removes) a variable of this process.
    public static func set(_ name: String, _ value: String?) throws(PlatformError) {
        try check(wincni_set_environment(name, value), "set the environment variable", name)
    }

    /// Stdin to its end, at most `limit` bytes (`.tooLong` beyond); a terminal reads as empty.
    public static func readStandardInput(limit: Int) throws(PlatformError) -> [UInt8] {
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var count: Int64 = 0
        try check(wincni_read_standard_input(Int64(limit), &bytes, &count), "read", "stdin")
        return takeBytes(bytes, count)
    }

    /// Writes all of `bytes` to stdout; a failing stdout is ignored (nobody is left to tell).
    public static func writeStandardOutput(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { wincni_write_standard(WINCNI_STDOUT, $0.baseAddress, Int64($0.count)) }
    }

    /// Writes all of `bytes` to stderr; a failing stderr is ignored.
    public static func writeStandardError(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { wincni_write_standard(WINCNI_STDERR, $0.baseAddress, Int64($0.count)) }
    }

    /// Seconds on a clock that never jumps (from an arbitrary start).
    public static func monotonicSeconds() -> Double { Double(wincni_monotonic_nanoseconds()) / 1e9 }

    /// Seconds since the Unix epoch (UTC).
    public static func wallClockSeconds() -> Double { Double(wincni_wall_clock_nanoseconds()) / 1e9 }

    /// Sleeps at least `milliseconds`.
    public static func sleep(milliseconds: Int) { wincni_sleep_milliseconds(Int64(milliseconds)) }

    /// This process's ID.
    public static var processIdentifier: Int64 { wincni_current_process_identifier() }

    /// Ends the process at once with `status`: no exit handlers, nothing flushed (what a kill leaves behind).
    public static func exitImmediately(status: Int32) -> Never {
        wincni_exit_immediately(status)
        fatalError("the process did not end")
    }
}

/// The HCN entry points of the Windows system DLLs, loaded by the platform layer (`wincni_hcn_load`).
public enum HCNLibrary {
    /// How many entry points `load()` returns: HCN's function table members, in their order.
    public static let entryCount = Int(WINCNI_HCN_ENTRY_COUNT)

    /// The entry points, in HCNFunctionTable's member order. On failure: the Win32 error (`.unsupported` where
    /// there is no HNS) and, as the path, "module!symbol" of what failed.
    public static func load() throws(PlatformError) -> [UnsafeMutableRawPointer] {
        var entries = [UnsafeMutableRawPointer?](repeating: nil, count: entryCount)
        var failure = [CChar](repeating: 0, count: 256)
        let code = entries.withUnsafeMutableBufferPointer { buffer in
            wincni_hcn_load(buffer.baseAddress, &failure, Int32(failure.count))
        }
        let what = String(decoding: failure.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if code == WINCNI_HCN_NOT_SUPPORTED && !PlatformConventions.current.isWindows {
            throw PlatformError(
                operation: "load", path: "computenetwork.dll", kind: .unsupported, nativeCode: code, text: what)
        }
        guard code == 0 else {
            throw PlatformError(
                operation: "load", path: what, kind: .other, nativeCode: code, text: PlatformError.nativeText(code))
        }
        let loaded = entries.compactMap { $0 }
        guard loaded.count == entryCount else {
            throw PlatformError(
                operation: "load", path: "computenetwork.dll", kind: .other, nativeCode: 0,
                text: "the loader returned \(loaded.count) of \(entryCount) entry points")
        }
        return loaded
    }
}

/// The calling thread's own pointer slot (thread-local storage in the platform layer), nil until set.
public enum ThreadSlot {
    public static var value: UnsafeMutableRawPointer? {
        get { wincni_thread_slot() }
        set { wincni_set_thread_slot(newValue) }
    }
}
