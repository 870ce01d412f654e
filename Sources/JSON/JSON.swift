/// A JSON value. Objects keep their keys in insertion order, so a document decoded and encoded again comes out
/// in the order it came in, and results are printed in the order the code builds them.
///
/// Numbers keep what they were: an integer literal becomes `.integer` (or `.unsigned` above `Int64.max`), so 64-bit
/// values such as HRESULTs and VSIDs survive exactly; anything with a fraction or exponent becomes `.double`.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

/// An ordered JSON object. Lookup by `subscript` is exact; `value(goKey:)` is the case-insensitive lookup Go's
/// `encoding/json` does for struct fields (the last key equal under case folding), which the real Windows CNI
/// configs depend on (`"Policies"`, `"Name"`, `"Value"`).
public struct JSONObject: Sendable, Equatable, Sequence {
    public private(set) var entries: [(key: String, value: JSON)]
    /// True when every key is known to be ASCII. Lookups then compare bytes (the length first), which for ASCII is
    /// what `String`'s `==` decides; false only sends lookups the general way.
    private(set) var keysAreASCII: Bool

    public init() {
        entries = []
        keysAreASCII = true
    }

    /// A later duplicate key replaces the earlier value in place, as assigning through `subscript` does.
    public init(_ entries: [(String, JSON)]) {
        self.entries = []
        self.keysAreASCII = true
        self.entries.reserveCapacity(entries.count)
        for (key, value) in entries {
            if let index = self.entries.firstIndex(where: { $0.key == key }) {
                self.entries[index].value = value
            } else {
                if keysAreASCII { keysAreASCII = isASCII(key) }
                self.entries.append((key, value))
            }
        }
    }

    /// Entries whose keys the caller knows to be distinct (json-c's hash table has one entry per key).
    /// `asciiKeys`: the caller knows every key to be ASCII.
    init(uniqueKeys entries: [(key: String, value: JSON)], asciiKeys: Bool) {
        self.entries = entries
        self.keysAreASCII = asciiKeys
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSON)]> { entries.makeIterator() }

    /// Exact-key access. Setting `nil` removes the key; setting an existing key replaces it in place.
    public subscript(key: String) -> JSON? {
        get {
            guard let index = exactIndex(of: key) else { return nil }
            return entries[index].value
        }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): entries[index].value = value
            case (let index?, nil): entries.remove(at: index)
            case (nil, let value?):
                // Objects built key by key start with room for a few, rather than growing from one.
                if entries.capacity == 0 { entries.reserveCapacity(4) }
                if keysAreASCII { keysAreASCII = isASCII(key) }
                entries.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// The first entry whose key is `key` (`String` equality).
    private func exactIndex(of key: String) -> Int? {
        // The check of `key` costs about what comparing a few keys does: worth it in larger objects only.
        if entries.count > 4, keysAreASCII, isASCII(key) {
            // Two ASCII strings are equal exactly when their bytes are: strings of different lengths never are.
            let length = key.utf8.count
            for index in entries.indices where entries[index].key.utf8.count == length && entries[index].key == key {
                return index
            }
            return nil
        }
        return entries.firstIndex { $0.key == key }
    }

    /// Go-compatible lookup: the last key that matches ignoring ASCII case, as Go's decoder assigns them in order.
    public func value(goKey key: String) -> JSON? {
        guard let match = goMatch(of: key) else { return nil }
        return entries[match.index].value
    }

    /// The key actually present in the document that `value(goKey:)` would use, for error messages.
    public func matchedKey(goKey key: String) -> String? {
        guard let match = goMatch(of: key) else { return nil }
        return match.exact ? key : entries[match.index].key
    }

    /// Go's decoder assigns every key of a document that matches a struct field (exactly or under case folding) to
    /// that field in document order, so the last matching key wins: `{"name":"a","Name":"b"}` has name "b". The
    /// parser keeps a repeated identical key at its first position with its last value (json-c's table).
    func goMatch(of key: String) -> (index: Int, exact: Bool)? {
        if keysAreASCII, let found = key.utf8.withContiguousStorageIfAvailable({ asciiGoMatch(of: $0) }), found != -2 {
            return found < 0 ? nil : (found >> 1, found & 1 == 1)
        }
        let length = key.utf8.count
        var match: (index: Int, exact: Bool)?
        for index in entries.indices {
            if entries[index].key == key {
                match = (index, true)
            } else if entries[index].key.utf8.count == length, asciiCaseInsensitiveEqual(entries[index].key, key) {
                match = (index, false)
            }
        }
        return match
    }

    /// `goMatch` when every key is ASCII, byte by byte: for ASCII, `String`'s `==` is byte equality, so keys of
    /// another length match neither exactly nor folded. Returns `index << 1 | exact`, -1 for no match, or -2 when
    /// `key` is not ASCII (an ASCII key may equal it under canonical equivalence: the general way decides).
    private func asciiGoMatch(of key: UnsafeBufferPointer<UInt8>) -> Int {
        var union: UInt8 = 0
        for byte in key { union |= byte }
        if union >= 0x80 { return -2 }
        let length = key.count
        return entries.withUnsafeBufferPointer { entries in
            var match = -1
            for index in entries.indices where entries[index].key.utf8.count == length {
                let found = entries[index].key.utf8.withContiguousStorageIfAvailable { bytes -> Int in
                    var exact = 1
                    for position in 0..<length where bytes[position] != key[position] {
                        guard asciiFoldEqual(bytes[position], key[position]) else { return -1 }
                        exact = 0
                    }
                    return index << 1 | exact
                }
                if let found {
                    if found >= 0 { match = found }
                } else {
                    // Not contiguous (never for native strings): the general comparison.
                    let text = String(decoding: key, as: UTF8.self)
                    if entries[index].key == text {
                        match = index << 1 | 1
                    } else if asciiCaseInsensitiveEqual(entries[index].key, text) {
                        match = index << 1
                    }
                }
            }
            return match
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (left, right) in zip(lhs.entries, rhs.entries) where left.key != right.key || left.value != right.value {
            return false
        }
        return true
    }
}

/// Whether every byte of `text` is ASCII.
func isASCII(_ text: String) -> Bool {
    let contiguous = text.utf8.withContiguousStorageIfAvailable { bytes in
        var union: UInt8 = 0
        for byte in bytes { union |= byte }
        return union < 0x80
    }
    return contiguous ?? text.utf8.allSatisfy { $0 < 0x80 }
}

/// Go's `encoding/json` folds case with `bytes.EqualFold`, which for the ASCII keys of CNI and HNS documents is
/// plain ASCII case folding.
func asciiCaseInsensitiveEqual(_ left: String, _ right: String) -> Bool {
    let count = left.utf8.count
    guard count == right.utf8.count else { return false }
    // Native strings (all of them on Linux and Windows) have contiguous UTF-8; the iterator path is for the others.
    let contiguous = left.utf8.withContiguousStorageIfAvailable { leftBytes in
        right.utf8.withContiguousStorageIfAvailable { rightBytes in
            for index in 0..<count where !asciiFoldEqual(leftBytes[index], rightBytes[index]) { return false }
            return true
        }
    }
    if let contiguous, let equal = contiguous { return equal }
    for (l, r) in zip(left.utf8, right.utf8) where !asciiFoldEqual(l, r) { return false }
    return true
}

@inline(__always)
private func asciiFoldEqual(_ left: UInt8, _ right: UInt8) -> Bool {
    if left == right { return true }
    let lowerLeft = (left >= 0x41 && left <= 0x5A) ? left | 0x20 : left
    let lowerRight = (right >= 0x41 && right <= 0x5A) ? right | 0x20 : right
    return lowerLeft == lowerRight
}

extension JSON {
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let value) = self { return value } else { return nil } }
    public var boolValue: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let value) = self { return value } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let value) = self { return value } else { return nil } }

    /// The value as a signed 64-bit integer, when it is an integer that fits (a double with no fraction counts,
    /// as Go decodes `1.0` into an int only when it has no fraction — it does not, but HNS never sends those).
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): return value
        case .unsigned(let value): return value <= UInt64(Int64.max) ? Int64(value) : nil
        default: return nil
        }
    }

    public var uint64Value: UInt64? {
        switch self {
        case .integer(let value): return value >= 0 ? UInt64(value) : nil
        case .unsigned(let value): return value
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .unsigned(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// Go-compatible member lookup on an object (see `JSONObject.value(goKey:)`); nil for non-objects.
    public subscript(goKey key: String) -> JSON? { objectValue?.value(goKey: key) }

    /// Exact member lookup on an object; nil for non-objects.
    public subscript(key: String) -> JSON? { objectValue?[key] }

    /// What kind of value this is, in the words error messages use.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .unsigned, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }
}

extension JSON {
    /// The same value with every object's keys ordered by their UTF-8 bytes, at every depth: the order Go's
    /// `encoding/json` writes a `map[string]interface{}` in.
    public func sortedLikeGo() -> JSON {
        switch self {
        case .object(let object):
            var entries = object.entries
            // Keys of one object are distinct, so the order is total and no stability is needed.
            entries.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for index in entries.indices { entries[index].value = entries[index].value.sortedLikeGo() }
            return .object(JSONObject(uniqueKeys: entries, asciiKeys: object.keysAreASCII))
        case .array(var elements):
            for index in elements.indices { elements[index] = elements[index].sortedLikeGo() }
            return .array(elements)
        default:
            return self
        }
    }
}
