import CPlatform

/// A failed operating-system call, the one error type of the platform layer: what was done, to which path, the
/// portable kind of failure, and the system's own code (errno on POSIX, the Win32 error on Windows) with its text.
/// Modules wrap it in their own errors, which name the bad value and what to do (STYLE.md rule 5).
public struct PlatformError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The portable kinds of `wincni_status` (wincni_platform.h).
    public enum Kind: Int32, Sendable, Equatable {
        case notFound = 1
        case exists = 2
        case notDirectory = 3
        case isDirectory = 4
        case accessDenied = 5
        case wouldBlock = 6
        case timedOut = 7
        case invalid = 8
        case tooLong = 9
        case other = 10
        case unsupported = 11
        /// Not a regular file where only one is accepted: a symbolic link or reparse point, a FIFO, a device.
        case notRegular = 12
        /// A file with more than one hard link where only a single-link file is accepted.
        case linked = 13
    }

    /// What was attempted, as a verb phrase: "read", "create directory", "lock".
    public var operation: String
    /// The file or directory it was attempted on (the program for a process); empty when there is none.
    public var path: String
    public var kind: Kind
    /// errno / GetLastError(); 0 when the failure did not come from the system.
    public var nativeCode: Int32
    /// The system's words for `nativeCode` (or for `kind` when there is no code).
    public var text: String

    public init(operation: String, path: String, kind: Kind, nativeCode: Int32, text: String) {
        self.operation = operation
        self.path = path
        self.kind = kind
        self.nativeCode = nativeCode
        self.text = text
    }

    init(_ status: wincni_status, _ operation: String, _ path: String) {
        let kind = Kind(rawValue: status.kind) ?? .other
        self.init(
            operation: operation, path: path, kind: kind, nativeCode: status.native,
            text: status.native != 0 ? PlatformError.nativeText(status.native) : kind.text)
    }

    /// `cannot <operation> <path>: <text>`.
    public var description: String {
        path.isEmpty ? "cannot \(operation): \(text)" : "cannot \(operation) \(path): \(text)"
    }

    /// The system's text for a native error code.
    public static func nativeText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let length = Int(wincni_native_error_text(code, &buffer, Int32(buffer.count)))
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension PlatformError.Kind {
    /// Words for a kind without a native code.
    var text: String {
        switch self {
        case .notFound: "not found"
        case .exists: "already exists"
        case .notDirectory: "not a directory"
        case .isDirectory: "is a directory"
        case .accessDenied: "access denied"
        case .wouldBlock: "held by another process"
        case .timedOut: "timed out"
        case .invalid: "invalid argument"
        case .tooLong: "too long"
        case .other: "failed"
        case .unsupported: "not supported on this platform"
        case .notRegular: "not a regular file (a symbolic link, reparse point, FIFO or device)"
        case .linked: "has more than one hard link"
        }
    }
}

/// Throws the status as a `PlatformError` unless it is success.
@inline(__always)
func check(_ status: wincni_status, _ operation: @autoclosure () -> String, _ path: String) throws(PlatformError) {
    if status.kind != WINCNI_OK { throw PlatformError(status, operation(), path) }
}

/// Copies a buffer the C layer allocated into Swift bytes and frees it.
func takeBytes(_ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int64) -> [UInt8] {
    guard let pointer else { return [] }
    defer { wincni_free(pointer) }
    return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
}

/// Copies a NUL-terminated string the C layer allocated and frees it.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { wincni_free(pointer) }
    return String(cString: pointer)
}

/// Splits a block of NUL-terminated strings (which the C layer allocated) and frees it.
/// `invalidUTF8` is called with each string that was not valid UTF-8, as repaired.
func takeStrings(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int64, invalidUTF8: (String) -> Void = { _ in }
) -> [String] {
    guard let pointer else { return [] }
    defer { wincni_free(pointer) }
    let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(size)).bindMemory(to: UInt8.self)
    var strings: [String] = []
    var start = 0
    for index in 0..<bytes.count where bytes[index] == 0 {
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
        // ASCII (every environment variable of a CNI call) is valid UTF-8 as it is: `String(validating:)` runs a
        // generic validator costing ~2 K instructions a string, paid by every exec for its whole environment.
        if !raw.contains(where: { $0 >= 0x80 }) {
            strings.append(String(decoding: raw, as: UTF8.self))
        } else if let valid = String(validating: raw, as: UTF8.self) {
            strings.append(valid)
        } else {
            let repaired = String(decoding: raw, as: UTF8.self)
            strings.append(repaired)
            invalidUTF8(repaired)
        }
        start = index + 1
    }
    return strings
}

/// Strings as one block of NUL-terminated strings, as the C layer takes argv and environments.
func block(_ strings: [String]) -> [CChar] {
    var bytes: [CChar] = []
    bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count + 1 })
    for string in strings {
        for byte in string.utf8 { bytes.append(CChar(bitPattern: byte)) }
        bytes.append(0)
    }
    return bytes
}
