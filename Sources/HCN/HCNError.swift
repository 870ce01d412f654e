/// An HRESULT as HNS returns it. HCN's own codes have facility 0x3B (`0x803Bxxxx`); Win32 errors come wrapped as
/// `0x8007xxxx` (ERROR_NOT_FOUND = `0x80070490`).
public struct HRESULT: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public var isFailure: Bool { rawValue & 0x8000_0000 != 0 }
    /// `0x803B0010` style, as HNS and hcsshim print codes.
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: false)
        return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}

/// A failed HNS call: the operation (HCN function name, e.g. `HcnCreateEndpoint`), the HRESULT, the HCN_E_* name
/// when the code is one of HCN's, and HNS's own message from the error record (or the standard text for the code).
public struct HCNError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: HRESULT
    public var name: String?
    public var message: String
    /// The raw error record JSON HNS returned, if any.
    public var errorRecord: String?

    public init(operation: String, code: HRESULT, name: String? = nil, message: String, errorRecord: String? = nil) {
        self.operation = operation
        self.code = code
        self.name = name
        self.message = message
        self.errorRecord = errorRecord
    }

    public var description: String {
        let label = name.map { "\($0), \(code)" } ?? "\(code)"
        return "\(operation) failed: \(message) (\(label))"
    }
}

/// The object kinds a CNI plugin works with, named as in the HCN function names (`HcnCreateNetwork`, ...).
public enum HCNResourceKind: String, Sendable, CaseIterable {
    case network = "Network"
    case endpoint = "Endpoint"
    case namespace = "Namespace"
}

/// An open HCN object handle (`HCN_NETWORK`, `HCN_ENDPOINT`, `HCN_NAMESPACE`): opaque, closed with `close`.
public struct HCNHandle: Hashable, @unchecked Sendable {
    public let kind: HCNResourceKind
    public let raw: UnsafeMutableRawPointer
    public init(kind: HCNResourceKind, raw: UnsafeMutableRawPointer) {
        self.kind = kind
        self.raw = raw
    }
}
