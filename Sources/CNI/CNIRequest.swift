/// One invocation of the plugin: the command, the runtime's `CNI_*` parameters (validated) and the network
/// configuration from stdin (decoded). Built by `CNIDispatcher`; plugins read everything from here.
public struct CNIRequest: Sendable {
    public var command: CNICommand
    /// Set for ADD, DEL and CHECK (the spec does not pass a container to GC and STATUS).
    public var containerID: String?
    /// Set for ADD and CHECK, and for DEL when the runtime still knows it.
    public var netns: String?
    public var ifname: String?
    /// `CNI_ARGS` as its `K=V` pairs, in order, each with one '=' and a non-empty key (`arg(_:)` reads a value);
    /// `IgnoreUnknown` is kept like any other pair. Plain strings: a list of (key, value) tuples cost every exec the
    /// set-up of its generic types.
    public var args: [String]
    /// `CNI_PATH` split into its directories.
    public var path: [String]
    public var config: NetworkConfig
    /// The whole environment, `K=V`, for delegation.
    public var environment: [String]

    public init(
        command: CNICommand, containerID: String? = nil, netns: String? = nil, ifname: String? = nil,
        args: [String] = [], path: [String] = [], config: NetworkConfig,
        environment: [String] = []
    ) {
        self.command = command
        self.containerID = containerID
        self.netns = netns
        self.ifname = ifname
        self.args = args
        self.path = path
        self.config = config
        self.environment = environment
    }

    /// The value of the `CNI_ARGS` pair named `key` (exact match; the last one wins, as Go's `LoadArgs` assigns in
    /// order).
    public func arg(_ key: String) -> String? {
        var key = key
        return key.withUTF8 { key -> String? in
            for pair in args.reversed() {
                var pair = pair
                let value = pair.withUTF8 { bytes -> String? in
                    guard bytes.count > key.count, bytes[key.count] == UInt8(ascii: "="),
                        UnsafeBufferPointer(rebasing: bytes[..<key.count]).elementsEqual(key)
                    else { return nil }
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[(key.count + 1)...]), as: UTF8.self)
                }
                if let value { return value }
            }
            return nil
        }
    }
}

/// The checks the spec (and the Go skel, which runtimes are used to) makes on the `CNI_*` variables.
public enum CNIParameters {
    /// The variables each command needs. DEL works without `CNI_NETNS` (the namespace may be gone); `CNI_PATH` is
    /// required wherever the Go skel requires it, because delegation needs it.
    public static func required(for command: CNICommand) -> [String] {
        switch command {
        case .add, .check: return [CNIVariable.containerID, CNIVariable.netns, CNIVariable.ifname, CNIVariable.path]
        case .del: return [CNIVariable.containerID, CNIVariable.ifname, CNIVariable.path]
        case .gc, .status: return [CNIVariable.path]
        case .version: return []
        }
    }

    /// One code-4 error naming every required variable that is unset or empty; nil when all are there.
    public static func missingVariablesError(for command: CNICommand, in environment: CNIEnvironment) -> CNIError? {
        let missing = required(for: command).filter { environment.value($0) == nil }
        guard !missing.isEmpty else { return nil }
        let names = missing.joined(separator: ", ")
        return CNIError(
            .invalidEnvironment,
            "required environment variables missing for \(command.rawValue): \(names)",
            details: "a container runtime sets them; when calling the plugin by hand, set \(names) to non-empty values")
    }

    /// The spec's container ID rule: a letter or digit, then letters, digits, `_`, `.` or `-`.
    public static func validateContainerID(_ id: String) throws(CNIError) {
        guard isValidIdentifier(id) else {
            throw CNIError(
                .invalidEnvironment,
                "invalid characters in CNI_CONTAINERID \(quoted(id))",
                details:
                    "a container ID must start with a letter or digit, followed by letters, digits, '_', '.' or '-'")
        }
    }

    /// Interface names as Linux and the Go `ValidateInterfaceName` accept them: 1 to 15 bytes, not `.` or `..`,
    /// no `/`, `:` or white space.
    public static func validateInterfaceName(_ name: String) throws(CNIError) {
        let problem: String?
        if name.isEmpty {
            problem = "is empty"
        } else if name.utf8.count > 15 {
            problem = "is too long (\(name.utf8.count) bytes; at most 15)"
        } else if name == "." || name == ".." {
            problem = "cannot be '.' or '..'"
        } else if name.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace }) {
            problem = "contains '/', ':' or white space"
        } else {
            problem = nil
        }
        if let problem {
            throw CNIError(
                .invalidEnvironment, "CNI_IFNAME \(quoted(name)) \(problem)",
                details: "set CNI_IFNAME to an interface name such as eth0")
        }
    }

    /// Parses `CNI_ARGS` (`K=V;K=V`) as Go's `types.LoadArgs` splits it, which host-local and sdnbridge use: each
    /// pair must hold exactly one `=` (`K8S_POD_NAME=a=b` is an invalid pair, with or without `IgnoreUnknown`).
    /// Unlike `LoadArgs`, empty elements (a trailing `;`) are skipped. `lenient` (DEL, which must finish) skips
    /// invalid pairs instead of failing. The pairs come back as they are written, `K=V`.
    public static func parseArgs(_ text: String?, lenient: Bool = false) throws(CNIError) -> [String] {
        guard var text, !text.isEmpty else { return [] }
        // Byte-wise: ';' and '=' are ASCII, so UTF-8 splits exactly where characters would.
        // One pass over the bytes in place finds the ';' and '=' of every pair, and the array is made once at its
        // final size (a search per pair and per '=' walked the UTF-8 view generically).
        var invalidPair: String? = nil
        let result = text.withUTF8 { bytes -> [String] in
            var pairs = 1
            for byte in bytes where byte == UInt8(ascii: ";") { pairs += 1 }
            var result: [String] = []
            result.reserveCapacity(pairs)
            var start = 0
            while start < bytes.count {
                var end = start
                var equals = -1
                var extraEquals = false
                while end < bytes.count, bytes[end] != UInt8(ascii: ";") {
                    if bytes[end] == UInt8(ascii: "=") {
                        if equals < 0 { equals = end } else { extraEquals = true }
                    }
                    end += 1
                }
                if start != end {
                    if equals > start, !extraEquals {
                        result.append(
                            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                    } else if !lenient {
                        invalidPair = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                        return []
                    }
                }
                start = end + 1
            }
            return result
        }
        if let invalidPair {
            throw CNIError(
                .invalidEnvironment, "CNI_ARGS has an invalid pair \(quoted(invalidPair))",
                details:
                    "CNI_ARGS must be KEY=VALUE pairs separated by ';', each with one '=', e.g. "
                    + "IgnoreUnknown=1;K8S_POD_NAME=web")
        }
        return result
    }

    /// A name that stays one file inside its directory on Linux and Windows: not empty, and no `/`, backslash, `:`
    /// (a Windows drive or NTFS stream), NUL or `..` anywhere.
    public static func isPlainFileName(_ name: String) -> Bool {
        var previous: UInt8 = 0
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: ":"), 0: return false
            case UInt8(ascii: ".") where previous == UInt8(ascii: "."): return false
            default: previous = byte
            }
        }
        return !name.isEmpty
    }

    /// Whether `id` has the spec's container ID syntax.
    public static func isContainerID(_ id: String) -> Bool { isValidIdentifier(id) }

    /// The spec's identifier syntax, shared by container IDs and network names.
    static func isValidIdentifier(_ text: String) -> Bool {
        var first = true
        for byte in text.utf8 {
            let alphanumeric =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if first {
                guard alphanumeric else { return false }
                first = false
            } else {
                guard
                    alphanumeric || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                else { return false }
            }
        }
        return !first
    }
}

/// A value in double quotes with JSON-style escapes, for messages (so empty strings and control characters show).
func quoted(_ text: String) -> String {
    var output: [UInt8] = [UInt8(ascii: "\"")]
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": output += Array("\\\"".utf8)
        case "\\": output += Array("\\\\".utf8)
        case "\n": output += Array("\\n".utf8)
        case "\t": output += Array("\\t".utf8)
        case "\r": output += Array("\\r".utf8)
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                output += Array(("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).utf8)
            } else {
                output += Array(String(scalar).utf8)
            }
        }
    }
    output.append(UInt8(ascii: "\""))
    return String(decoding: output, as: UTF8.self)
}
