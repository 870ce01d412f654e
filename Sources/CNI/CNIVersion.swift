/// The operations a runtime asks for through `CNI_COMMAND`.
public enum CNICommand: String, Sendable, CaseIterable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    case gc = "GC"
    case status = "STATUS"

    /// The lowest `cniVersion` a configuration must declare for this command (CHECK came with 0.4.0, GC and
    /// STATUS with 1.1.0); the Go skel refuses older configurations with code 1, and so do we.
    public var minimumVersion: String? {
        switch self {
        case .check: return "0.4.0"
        case .gc, .status: return "1.1.0"
        case .add, .del, .version: return nil
        }
    }
}

/// The CNI specification versions this plugin speaks, and their ordering.
public enum CNIVersion {
    /// Every version `VERSION` advertises; a configuration's `cniVersion` must be string-equal to one of them.
    public static let supported: [String] = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// The newest version: what `VERSION` answers with and what errors carry when the config's version is unknown.
    public static let current = "1.1.0"

    /// What a configuration without `cniVersion` (or with an empty one) means: libcni's config decoder answers
    /// "0.1.0" for it, so such a config gets 0.1.0 results and cannot CHECK.
    public static let implied = "0.1.0"

    public static func isSupported(_ version: String) -> Bool { supported.contains(version) }

    /// Compares two `major.minor.patch` versions numerically: negative when `a` is older, 0 when equal, positive
    /// when newer; nil when either is not three dot-separated decimal numbers.
    public static func compare(_ a: String, _ b: String) -> Int? {
        guard let left = components(a), let right = components(b) else { return nil }
        for (l, r) in zip(left, right) where l != r { return l < r ? -1 : 1 }
        return 0
    }

    /// True when `version` is `minimum` or newer; false when either does not parse.
    public static func isAtLeast(_ version: String, _ minimum: String) -> Bool {
        guard let order = compare(version, minimum) else { return false }
        return order >= 0
    }

    private static func components(_ version: String) -> [Int]? {
        // Three dot-separated runs of decimal digits, read byte by byte.
        var numbers: [Int] = []
        var current = 0
        var digits = 0
        for byte in version.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                numbers.append(current)
                current = 0
                digits = 0
            } else if byte >= 0x30 && byte <= 0x39 {
                let (product, overflow) = current.multipliedReportingOverflow(by: 10)
                guard !overflow, digits < 18 else { return nil }
                current = product + Int(byte - 0x30)
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        numbers.append(current)
        return numbers.count == 3 ? numbers : nil
    }

    /// The supported versions as a readable list for messages: `0.1.0, 0.2.0, …, 1.1.0`.
    static var supportedList: String { supported.joined(separator: ", ") }
}
