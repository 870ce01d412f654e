import Platform

/// Why host-local could not decode its configuration or reserve/release an address. The description names the bad
/// value and where it came from: the JSON path of a config value (`ipam.ranges[0][0].subnet`), the file of a failed
/// system call, or the network and range set that ran out of addresses. The plugin maps `kind` to a CNI error code.
public struct HostLocalError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The `ipam` object is malformed or inconsistent (CNI code 7, invalid network config).
        case invalidConfig
        /// A network name, container ID or interface name that is unsafe to use in the store (CNI code 4).
        case invalidName
        /// Every address of a range set is taken.
        case exhausted
        /// A file-system call failed (CNI code 5, I/O failure); `underlying` holds the system error.
        case io
    }

    public var kind: Kind
    /// The JSON path for config errors, the file path for I/O errors, the range set's JSON path for exhaustion;
    /// empty for names.
    public var path: String
    public var message: String
    /// The platform layer's error behind an `.io` failure.
    public var underlying: PlatformError?

    public init(_ kind: Kind, path: String, _ message: String, underlying: PlatformError? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.underlying = underlying
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    static func config(_ path: String, _ message: String) -> HostLocalError {
        HostLocalError(.invalidConfig, path: path, message)
    }
}
