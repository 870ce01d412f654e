import Platform

/// The conventions of the operating system the plugin runs on that the protocol depends on (`CNI_PATH`'s separator,
/// the executable suffix, path rules), from the platform layer. Injected, so Windows behaviour is testable on Linux.
public typealias CNIPlatform = PlatformConventions

/// The names of the environment variables the runtime passes, as typed constants.
public enum CNIVariable {
    public static let command = "CNI_COMMAND"
    public static let containerID = "CNI_CONTAINERID"
    public static let netns = "CNI_NETNS"
    public static let ifname = "CNI_IFNAME"
    public static let args = "CNI_ARGS"
    public static let path = "CNI_PATH"
}

/// Everything a plugin needs from the outside world, injected (STYLE.md rule 2), so that the dispatcher and the
/// plugins never read the process environment, stdin or the clock themselves and tests can hand in their own.
public struct CNIEnvironment: Sendable {
    /// The whole environment as `K=V` strings, passed on unchanged (apart from `CNI_COMMAND`) to delegated plugins.
    public var variables: [String]
    public var readStdin: @Sendable () throws(CNIError) -> [UInt8]
    public var runner: any ProcessRunner
    /// One line of diagnostics; the real environment writes it to stderr.
    public var log: @Sendable (String) -> Void
    public var monotonicSeconds: @Sendable () -> Double
    /// Seconds since the Unix epoch (UTC), for timestamps in logs.
    public var wallClockSeconds: @Sendable () -> Double
    public var platform: CNIPlatform
    /// The names of the variables whose value is not valid UTF-8 (`variables` holds them repaired, with U+FFFD in
    /// place of each bad sequence), so that an identifier is refused instead of being used in its repaired form.
    public var nonUTF8Variables: [String]

    public init(
        variables: [String],
        readStdin: @escaping @Sendable () throws(CNIError) -> [UInt8],
        runner: any ProcessRunner,
        log: @escaping @Sendable (String) -> Void = { _ in },
        monotonicSeconds: @escaping @Sendable () -> Double = { 0 },
        wallClockSeconds: @escaping @Sendable () -> Double = { 0 },
        platform: CNIPlatform = .posix, nonUTF8Variables: [String] = []
    ) {
        self.nonUTF8Variables = nonUTF8Variables
        self.variables = variables
        self.readStdin = readStdin
        self.runner = runner
        self.log = log
        self.monotonicSeconds = monotonicSeconds
        self.wallClockSeconds = wallClockSeconds
        self.platform = platform
    }

    /// The value of `name`, or nil when it is unset or empty: libcni always sets all six `CNI_*` variables and
    /// leaves the ones that do not apply empty. The first definition wins, as with `getenv`.
    public func value(_ name: String) -> String? {
        // Byte-wise in place: the names are ASCII constants, and the '=' where this name would end rules most
        // entries out before their bytes are compared (String.hasPrefix compares characters).
        var key = name
        return key.withUTF8 { key -> String? in
            for entry in variables {
                var entry = entry
                let found = entry.withUTF8 { bytes -> String?? in
                    guard bytes.count > key.count, bytes[key.count] == UInt8(ascii: "="),
                        UnsafeBufferPointer(rebasing: bytes[..<key.count]).elementsEqual(key)
                    else { return .none }
                    return .some(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[(key.count + 1)...]), as: UTF8.self))
                }
                if let found { return found.flatMap { $0.isEmpty ? nil : $0 } }
            }
            return nil
        }
    }

    /// `CNI_PATH` split into its directories (empty elements dropped).
    public var pluginPath: [String] {
        guard let path = value(CNIVariable.path) else { return [] }
        // Byte-wise (the separator is ASCII), straight into Strings.
        let separator = platform.pathListSeparator.asciiValue ?? UInt8(ascii: ":")
        var directories: [String] = []
        var start = path.utf8.startIndex
        while start < path.utf8.endIndex {
            let end = path.utf8[start...].firstIndex(of: separator) ?? path.utf8.endIndex
            if end > start { directories.append(String(Substring(path.utf8[start..<end]))) }
            start = end == path.utf8.endIndex ? end : path.utf8.index(after: end)
        }
        return directories
    }

    /// The variables with `name` set to `value`: every earlier definition removed, the new one appended.
    public func variables(setting name: String, to value: String) -> [String] {
        Self.variables(variables, setting: name, to: value)
    }

    static func variables(_ variables: [String], setting name: String, to value: String) -> [String] {
        let prefix = name + "="
        return variables.filter { !$0.hasPrefix(prefix) } + [prefix + value]
    }

    /// Stdin is read up to this many bytes; a network configuration is a few kilobytes.
    public static let maximumStdinSize = NetworkConfig.maximumSize

    /// The real process: its environment, its stdin (read to the end), stderr for logs, the platform's clocks and
    /// processes, and its conventions.
    public static func process(platform: CNIPlatform = .current) -> CNIEnvironment {
        let (variables, invalidNames) = ProcessEnvironment.variablesAndInvalidNames()
        return CNIEnvironment(
            variables: variables,
            readStdin: { () throws(CNIError) -> [UInt8] in try readStandardInput(limit: maximumStdinSize) },
            runner: SystemProcessRunner(),
            log: { line in ProcessEnvironment.writeStandardError(Array((line + "\n").utf8)) },
            monotonicSeconds: { ProcessEnvironment.monotonicSeconds() },
            wallClockSeconds: { ProcessEnvironment.wallClockSeconds() },
            platform: platform, nonUTF8Variables: invalidNames)
    }

    /// Reads stdin to its end. A terminal gives no configuration, only a hang, so it reads as empty.
    static func readStandardInput(limit: Int) throws(CNIError) -> [UInt8] {
        do throws(PlatformError) {
            return try ProcessEnvironment.readStandardInput(limit: limit)
        } catch {
            guard error.kind == .tooLong else {
                throw CNIError(.ioFailure, "error reading the network configuration from stdin: \(error.text)")
            }
            throw CNIError(
                .decodingFailure,
                "the network configuration on stdin is larger than \(limit) bytes",
                details: "a CNI configuration is a small JSON document; check what the runtime passes on stdin")
        }
    }
}
