import JSON

/// The error codes the CNI specification defines (0–99 are reserved for it; 100 and up are plugin-specific).
public enum CNIErrorCode: UInt32, Sendable {
    case incompatibleVersion = 1
    case unsupportedField = 2
    case unknownContainer = 3
    case invalidEnvironment = 4
    case ioFailure = 5
    case decodingFailure = 6
    case invalidNetworkConfig = 7
    case tryAgainLater = 11
    case pluginNotAvailable = 50
    case limitedConnectivity = 51
    case internalError = 999
}

/// A failure reported to the runtime as the spec's error object on stdout, with exit status 1.
///
/// `code` stays a plain number so that an error passed up from a delegated plugin keeps whatever code that plugin
/// chose, including plugin-specific codes of 100 and above.
public struct CNIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: UInt32
    public var msg: String
    public var details: String

    public init(_ code: CNIErrorCode, _ msg: String, details: String = "") {
        self.init(code: code.rawValue, msg: msg, details: details)
    }

    public init(code: UInt32, msg: String, details: String = "") {
        self.code = code
        self.msg = msg
        self.details = details
    }

    /// The code as the spec's enumeration, when it is one of the codes the spec defines.
    public var knownCode: CNIErrorCode? { CNIErrorCode(rawValue: code) }

    public var description: String {
        details.isEmpty ? "CNI error \(code): \(msg)" : "CNI error \(code): \(msg) (\(details))"
    }

    /// The error object the spec defines. `details` is left out when empty, as Go's `types.Error` does; the Go type
    /// has no `cniVersion` at all, we add it because the spec asks for it (libcni ignores it).
    public func json(cniVersion: String) -> JSON {
        var object: JSONObject = [
            "cniVersion": .string(cniVersion), "code": .integer(Int64(code)), "msg": .string(msg),
        ]
        if !details.isEmpty { object["details"] = .string(details) }
        return .object(object)
    }

    /// Reads an error object printed by another plugin (`{"code":…,"msg":…,"details":…}`); nil when `json` is not
    /// one (not an object, or neither `code` nor `msg` present, or either of the wrong type).
    public static func parse(_ json: JSON) -> CNIError? {
        guard let object = json.objectValue else { return nil }
        let code = object.value(goKey: "code")
        let msg = object.value(goKey: "msg")
        guard code != nil || msg != nil else { return nil }
        var error = CNIError(code: 0, msg: "")
        if let code, !code.isNull {
            guard let number = code.uint64Value else { return nil }
            error.code = UInt32(clamping: number)
        }
        if let msg, !msg.isNull {
            guard let text = msg.stringValue else { return nil }
            error.msg = text
        }
        if let details = object.value(goKey: "details"), !details.isNull {
            guard let text = details.stringValue else { return nil }
            error.details = text
        }
        return error
    }
}
