import JSON

/// An HNS document that does not have the shape of the HCN schema, or holds a value HNS would reject (see the
/// `validate()` methods): `path` is the JSON path of the bad value as spelled in the document
/// (`Ipams[0].Subnets[0].Routes[1].Metric`).
public struct HCNDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    init(_ error: JSONFieldError) {
        self.init(path: error.path, message: error.message)
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// The `{"Major":N,"Minor":M}` schema version HCN documents and queries carry. hcsshim sends 2.0, the SDN
/// PowerShell module 2.2, and containerd's zero-value namespace 0.0; a query's major version selects the v1 or v2
/// shape of the answer.
public struct SchemaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// What hcsshim sends and what `HCNClient` uses.
    public static let v2 = SchemaVersion(major: 2, minor: 0)
    /// The SDN PowerShell module's version on creates.
    public static let v2_2 = SchemaVersion(major: 2, minor: 2)
    /// The Go zero value (containerd's empty namespace document) and what a document without the key means.
    public static let zero = SchemaVersion(major: 0, minor: 0)

    public var isZero: Bool { major == 0 && minor == 0 }
    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: SchemaVersion, rhs: SchemaVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public init(json: JSON) throws(HCNDecodingError) {
        try self.init(json: json, path: "SchemaVersion")
    }

    init(json: JSON, path: String) throws(HCNDecodingError) {
        do {
            let fields = try JSONFields(json, path: path)
            major = Int(try fields.integer("Major", in: 0...Int64(Int32.max)) ?? 0)
            minor = Int(try fields.integer("Minor", in: 0...Int64(Int32.max)) ?? 0)
        } catch {
            throw HCNDecodingError(error)
        }
    }

    /// Both keys are always present, as Go's `Version` struct has no omitempty.
    public var json: JSON { ["Major": .integer(Int64(major)), "Minor": .integer(Int64(minor))] }
}

// MARK: - Encoding that keeps what it does not model

/// Builds the JSON object of a schema value. It starts from the object the value was decoded from (if any), so
/// keys the type does not model, and the order and spelling of the keys, survive a decode→encode round trip; a
/// value built in code gets hcsshim's key order and its omitempty rules.
struct HCNObjectWriter {
    private(set) var object: JSONObject
    private let original: JSONObject?

    init(original: JSONObject?) {
        self.object = original ?? JSONObject()
        self.original = original
    }

    /// True when the value was built in code rather than decoded.
    var isFresh: Bool { original == nil }

    var json: JSON { .object(object) }

    private func originalEntry(_ key: String) -> (key: String, value: JSON)? {
        guard let original, let spelled = original.matchedKey(goKey: key), let value = original[spelled] else {
            return nil
        }
        return (spelled, value)
    }

    /// An `omitempty` member: when `isZero`, hcsshim leaves it out. A zero value the original document spelled
    /// out (`"Flags":0`, `"Dns":{}`, `null`) is kept as written; so is an original value that `same` says decodes
    /// to the current value (`"Type":"overlay"`, an integer enum).
    mutating func optional(_ key: String, _ value: JSON, isZero: Bool, same: (JSON) -> Bool = { _ in false }) {
        if let (spelled, old) = originalEntry(key) {
            if !isZero {
                if old == value || same(old) { return }
                object[spelled] = value
            } else if !old.isZeroLike {
                object[spelled] = nil
            }
        } else if !isZero {
            object[key] = value
        }
    }

    /// A member Go always emits (no omitempty, or a struct-typed field). A decoded document that did not have it
    /// only gains it when the value is not the zero value.
    mutating func always(_ key: String, _ value: JSON, isZero: Bool, same: (JSON) -> Bool = { _ in false }) {
        if let (spelled, old) = originalEntry(key) {
            if old == value || same(old) { return }
            if isZero && old.isZeroLike { return }
            object[spelled] = value
        } else if isFresh || !isZero {
            object[key] = value
        }
    }

    /// A member only written for values built in code (hcsshim's `"Health":{"Extra":{}}`): decoded documents keep
    /// whatever HNS sent.
    mutating func freshOnly(_ key: String, _ value: JSON) {
        if isFresh { object[key] = value }
    }

    /// `SchemaVersion`, always written; a decoded spelling of the same version (`"major"`) is kept.
    mutating func schemaVersion(_ version: SchemaVersion) {
        always("SchemaVersion", version.json, isZero: version.isZero) { old in
            (try? SchemaVersion(json: old)) == version
        }
    }

    /// A string member with omitempty.
    mutating func string(_ key: String, _ value: String) {
        optional(key, .string(value), isZero: value.isEmpty)
    }

    /// An unsigned integer member with omitempty.
    mutating func unsigned<T: BinaryInteger>(_ key: String, _ value: T) {
        optional(key, .integer(Int64(value)), isZero: value == 0)
    }

    mutating func bool(_ key: String, _ value: Bool) {
        optional(key, .bool(value), isZero: !value)
    }

    mutating func strings(_ key: String, _ values: [String]) {
        optional(key, .array(values.map { .string($0) }), isZero: values.isEmpty)
    }

    mutating func array(_ key: String, _ values: [JSON]) {
        optional(key, .array(values), isZero: values.isEmpty)
    }

    /// An enum carried as a string: an original spelling or integer that names the same member is kept.
    mutating func enumeration(_ key: String, _ value: String, table: HCNEnumTable, always: Bool = false) {
        let same: (JSON) -> Bool = { old in table.canonicalName(of: old).map { $0 == value } ?? false }
        if always {
            self.always(key, .string(value), isZero: value.isEmpty, same: same)
        } else {
            optional(key, .string(value), isZero: value.isEmpty, same: same)
        }
    }
}

extension JSON {
    /// Values Go's omitempty and HNS treat as unset: null, false, 0, "", [], and objects whose members are all
    /// unset (`{}`, `{"Extra":{}}`).
    var isZeroLike: Bool {
        switch self {
        case .null: return true
        case .bool(let flag): return !flag
        case .integer(let number): return number == 0
        case .unsigned(let number): return number == 0
        case .double(let number): return number == 0
        case .string(let text): return text.isEmpty
        case .array(let elements): return elements.isEmpty
        case .object(let object): return object.allSatisfy { $0.value.isZeroLike }
        }
    }
}

// MARK: - Enums that travel as strings or integers

/// The names (and, where known, the integer values) of one HNS enum. Clients send enums as strings and
/// sometimes as integers (the SDN PowerShell module), and HNS matches names case-insensitively, so decoding maps
/// both to the canonical name; a name or integer not in the table is kept as written (an integer as its decimal
/// text).
struct HCNEnumTable: Sendable {
    /// The names as HNS spells them.
    let names: [String]
    /// The integer clients may send for `names[i]`, or -1 when none is known (no table has negative values).
    let values: [Int64]

    // Tables are built from literal lists (not from `allCases`), and with no per-table generic types: every
    // distinct array type costs a plugin run its metadata set-up. Tests check the lists against the enums.
    init(names: [String], values: [Int64] = []) {
        self.names = names
        self.values = values
    }

    func canonicalName(_ text: String) -> String {
        names.first { asciiEqualFold($0, text) } ?? text
    }

    func canonicalName(of json: JSON) -> String? {
        if case .string(let text) = json { return canonicalName(text) }
        if let number = json.int64Value {
            if number >= 0, let index = values.firstIndex(of: number), index < names.count { return names[index] }
            return String(number)
        }
        return nil
    }
}

/// Equal ignoring ASCII case (HNS and config keys and type names).
public func asciiEqualFold(_ left: String, _ right: String) -> Bool {
    let count = left.utf8.count
    guard count == right.utf8.count else { return false }
    // Native strings (all of them on Linux and Windows) have contiguous UTF-8, compared in place: the zipped
    // iterators cost several times as much per byte. The iterator path is for the others.
    let contiguous = left.utf8.withContiguousStorageIfAvailable { leftBytes in
        right.utf8.withContiguousStorageIfAvailable { rightBytes in
            for index in 0..<count where !asciiFoldEqualByte(leftBytes[index], rightBytes[index]) { return false }
            return true
        }
    }
    if let contiguous, let equal = contiguous { return equal }
    for (a, b) in zip(left.utf8, right.utf8) where !asciiFoldEqualByte(a, b) { return false }
    return true
}

@inline(__always)
private func asciiFoldEqualByte(_ a: UInt8, _ b: UInt8) -> Bool {
    if a == b { return true }
    let lowerA = (a >= 0x41 && a <= 0x5A) ? a | 0x20 : a
    let lowerB = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    return lowerA == lowerB
}

// MARK: - Decoding helpers

extension JSONFields {
    func enumeration(_ key: String, table: HCNEnumTable) throws(JSONFieldError) -> String? {
        guard let value = value(key) else { return nil }
        guard let name = table.canonicalName(of: value) else {
            throw .mismatch(path(of: key), expected: "a name or an integer", found: value)
        }
        return name
    }

    func uint8(_ key: String) throws(JSONFieldError) -> UInt8 {
        UInt8(try integer(key, in: 0...Int64(UInt8.max)) ?? 0)
    }

    func uint16(_ key: String) throws(JSONFieldError) -> UInt16 {
        UInt16(try integer(key, in: 0...Int64(UInt16.max)) ?? 0)
    }

    func uint32(_ key: String) throws(JSONFieldError) -> UInt32 {
        UInt32(try integer(key, in: 0...Int64(UInt32.max)) ?? 0)
    }

    /// A member that must be an object when present; `{}` and null read as absent (hcsshim always sends
    /// `"Dns":{}` and `"MacPool":{}`).
    func nonEmptyObject(_ key: String) throws(JSONFieldError) -> JSONFields? {
        guard let fields = try fields(key) else { return nil }
        return fields.object.isEmpty ? nil : fields
    }

    func schemaVersion() throws(JSONFieldError) -> SchemaVersion {
        guard let value = value("SchemaVersion") else { return .zero }
        do {
            return try SchemaVersion(json: value, path: path(of: "SchemaVersion"))
        } catch {
            throw JSONFieldError(path: error.path, message: error.message)
        }
    }

    /// Each element of an array member decoded by `decode`.
    func list<T>(_ key: String, _ decode: (JSONFields) throws(JSONFieldError) -> T) throws(JSONFieldError) -> [T] {
        guard let elements = try objects(key) else { return [] }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for element in elements { result.append(try decode(element)) }
        return result
    }
}

/// Runs a decoder that reports `JSONFieldError`s and reports them as `HCNDecodingError`.
func decodeFields<T>(_ json: JSON, path: String, _ body: (JSONFields) throws(JSONFieldError) -> T)
    throws(HCNDecodingError) -> T
{
    do {
        return try body(try JSONFields(json, path: path))
    } catch {
        throw HCNDecodingError(error)
    }
}
