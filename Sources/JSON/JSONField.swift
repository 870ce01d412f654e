/// A value in a decoded document that does not have the type or form the reader needs. `path` is the dotted JSON
/// path of the value as spelled in the document (`ipam.ranges[0][1].subnet`); the description reads
/// `ipam.subnet: expected a string, found a number (5)`.
public struct JSONFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// A wrong-type error in the common wording.
    public static func mismatch(_ path: String, expected: String, found: JSON) -> JSONFieldError {
        JSONFieldError(path: path, message: "expected \(expected), found \(found.kindName) (\(found.excerpt))")
    }
}

extension JSON {
    /// A short, single-line rendering of the value for error messages (long values are cut).
    public var excerpt: String {
        let text = compact()
        if text.utf8.count <= 80 { return text }
        return String(decoding: text.utf8.prefix(77), as: UTF8.self) + "..."
    }
}

/// Reads the members of one JSON object the way Go's `encoding/json` fills a struct: keys matched exactly or else
/// case-insensitively, `null` treated as absent, a wrong type reported with the member's path.
public struct JSONFields: Sendable {
    public let object: JSONObject
    /// The path is `base` followed by `step`, joined only when asked for (an error, or the object of a member
    /// whose own members are read): a decoder reads many members and arrays, and almost never needs a path.
    private let base: String
    private let step: PathStep

    private enum PathStep: Sendable {
        case none
        case member(String)
        case element(Int)
    }

    /// The dotted path of this object in its document, as the document spells it (`Ipams[0].Subnets[1]`).
    public var path: String {
        switch step {
        case .none: return base
        case .member(let spelled): return JSONFields.memberPath(base, spelled)
        case .element(let index): return JSONFields.elementPath(base, index)
        }
    }

    /// Reads `value` as an object; anything else is an error naming `path`.
    public init(_ value: JSON, path: String) throws(JSONFieldError) {
        guard case .object(let object) = value else {
            throw .mismatch(path.isEmpty ? "(document)" : path, expected: "an object", found: value)
        }
        self.init(object: object, path: path)
    }

    public init(object: JSONObject, path: String) {
        self.object = object
        self.base = path
        self.step = .none
    }

    private init(object: JSONObject, base: String, step: PathStep) {
        self.object = object
        self.base = base
        self.step = step
    }

    /// The path of a member, as it would appear in an error.
    public func path(of key: String) -> String {
        memberPath(object.matchedKey(goKey: key) ?? key)
    }

    /// `path` joined with a member's spelled key, written into one string.
    private func memberPath(_ spelled: String) -> String {
        switch step {
        case .none:
            return JSONFields.memberPath(base, spelled)
        case .member(let parent):
            if base.isEmpty { return JSONFields.memberPath(parent, spelled) }
            var joined = base
            joined.reserveCapacity(base.utf8.count + parent.utf8.count + spelled.utf8.count + 2)
            joined.append(".")
            joined.append(parent)
            joined.append(".")
            joined.append(spelled)
            return joined
        case .element(let index):
            var joined = base
            joined.reserveCapacity(base.utf8.count + spelled.utf8.count + 24)
            joined.append("[")
            joined.append(String(index))
            joined.append("].")
            joined.append(spelled)
            return joined
        }
    }

    private static func memberPath(_ path: String, _ spelled: String) -> String {
        if path.isEmpty { return spelled }
        var joined = path
        joined.reserveCapacity(path.utf8.count + 1 + spelled.utf8.count)
        joined.append(".")
        joined.append(spelled)
        return joined
    }

    /// `base[index]`, built without string interpolation.
    private static func elementPath(_ base: String, _ index: Int) -> String {
        var joined = base
        joined.append("[")
        joined.append(String(index))
        joined.append("]")
        return joined
    }

    /// The member and its key as the document spells it, in one lookup; nil when it is absent or `null`.
    private func member(_ key: String) -> (value: JSON, spelled: String)? {
        guard let match = object.goMatch(of: key) else { return nil }
        let entry = object.entries[match.index]
        if entry.value.isNull { return nil }
        return (entry.value, match.exact ? key : entry.key)
    }

    /// The raw member, or nil when it is absent or `null`.
    public func value(_ key: String) -> JSON? {
        guard let value = object.value(goKey: key), !value.isNull else { return nil }
        return value
    }

    public func string(_ key: String) throws(JSONFieldError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw .mismatch(path(of: key), expected: "a string", found: value) }
        return text
    }

    public func bool(_ key: String) throws(JSONFieldError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw .mismatch(path(of: key), expected: "true or false", found: value)
        }
        return flag
    }

    /// An integer within `range`; a fraction, a string or an out-of-range number is an error.
    public func integer(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(JSONFieldError)
        -> Int64?
    {
        guard let value = value(key) else { return nil }
        guard let number = value.int64Value else {
            throw .mismatch(path(of: key), expected: "an integer", found: value)
        }
        guard range.contains(number) else {
            throw JSONFieldError(
                path: path(of: key),
                message: "\(number) is out of range, expected \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    public func unsigned(_ key: String) throws(JSONFieldError) -> UInt64? {
        guard let value = value(key) else { return nil }
        guard let number = value.uint64Value else {
            throw .mismatch(path(of: key), expected: "a non-negative integer", found: value)
        }
        return number
    }

    public func double(_ key: String) throws(JSONFieldError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else { throw .mismatch(path(of: key), expected: "a number", found: value) }
        return number
    }

    public func array(_ key: String) throws(JSONFieldError) -> [JSON]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw .mismatch(path(of: key), expected: "an array", found: value)
        }
        return elements
    }

    public func fields(_ key: String) throws(JSONFieldError) -> JSONFields? {
        guard let member = member(key) else { return nil }
        guard case .object(let child) = member.value else {
            throw .mismatch(memberPath(member.spelled), expected: "an object", found: member.value)
        }
        return JSONFields(object: child, base: path, step: .member(member.spelled))
    }

    public func strings(_ key: String) throws(JSONFieldError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw .mismatch("\(path(of: key))[\(index)]", expected: "a string", found: element)
            }
            result.append(text)
        }
        return result
    }

    /// Each element of an array member read as an object, with its indexed path.
    public func objects(_ key: String) throws(JSONFieldError) -> [JSONFields]? {
        guard let member = member(key) else { return nil }
        let arrayPath = memberPath(member.spelled)
        guard case .array(let elements) = member.value else {
            throw .mismatch(arrayPath, expected: "an array", found: member.value)
        }
        var result: [JSONFields] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .object(let child) = element else {
                throw .mismatch(JSONFields.elementPath(arrayPath, index), expected: "an object", found: element)
            }
            result.append(JSONFields(object: child, base: arrayPath, step: .element(index)))
        }
        return result
    }
}
