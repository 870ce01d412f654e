import HCN
import JSON
import NetAddress

/// Reads request documents the way HNS does: malformed JSON, a non-object document or a member of the wrong type
/// is HCN_E_INVALID_JSON; keys match case-insensitively (HNS's parser, like Go's, folds case).
struct DocumentReader {
    let operation: String
    /// The HNS version feature checks compare against, read only when a check needs it.
    var version: () -> (major: Int, minor: Int) = { HNSSimulator.defaultVersion }

    init(operation: String, version: (() -> (major: Int, minor: Int))? = nil) {
        self.operation = operation
        if let version { self.version = version }
    }

    func parse(_ text: String) throws(HCNError) -> JSONObject {
        guard let parsed = try? JSON.parse(text), case .object(let object) = parsed else {
            throw .simulator(operation, .invalidJSON)
        }
        return object
    }

    /// `text` parsed as an object, `{}` when it is empty (queries may be empty).
    func parseQuery(_ text: String) throws(HCNError) -> JSONObject {
        if text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONObject() }
        return try parse(text)
    }

    func read<T>(_ body: () throws(JSONFieldError) -> T) throws(HCNError) -> T {
        do {
            return try body()
        } catch {
            throw .simulator(operation, .invalidJSON)
        }
    }

    func fail(_ code: SimulatorCode) -> HCNError { .simulator(operation, code) }
}

/// The query's `SchemaVersion.Major` picks the output shape: 1 gives the v1 documents (research §2.1).
func wantsV1(_ query: JSONObject) -> Bool {
    guard let major = query.value(goKey: "SchemaVersion")?[goKey: "Major"]?.int64Value else { return false }
    return major == 1
}

extension JSONObject {
    /// A copy with `key` set just before `anchor` (or at the end when `anchor` is absent), keeping HNS's order.
    func inserting(_ key: String, _ value: JSON, before anchor: String) -> JSONObject {
        var entries: [(String, JSON)] = []
        var placed = false
        for entry in self where entry.key != key {
            if entry.key == anchor && !placed {
                entries.append((key, value))
                placed = true
            }
            entries.append((entry.key, entry.value))
        }
        if !placed { entries.append((key, value)) }
        return JSONObject(entries)
    }
}

extension JSONObject {
    /// A copy with `key` set just after `anchor` (or at the end when `anchor` is absent).
    func inserting(_ key: String, _ value: JSON, after anchor: String) -> JSONObject {
        var entries: [(String, JSON)] = []
        var placed = false
        for entry in self where entry.key != key {
            entries.append((entry.key, entry.value))
            if entry.key == anchor && !placed {
                entries.append((key, value))
                placed = true
            }
        }
        if !placed { entries.append((key, value)) }
        return JSONObject(entries)
    }
}

/// Random values from the system generator (getrandom on Linux).
enum SimulatorRandom {
    /// A version 4 GUID, as HNS generates for a create with the zero GUID.
    static func guid() -> GUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for half in 0..<2 {
            let value = generator.next()
            for index in 0..<8 { bytes[half * 8 + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return GUID(bytes: bytes)
    }

    static func byte() -> UInt8 { UInt8.random(in: 0...255) }
}

/// Case-insensitive equality, as HNS compares names, types and IDs.
func sameText(_ left: String, _ right: String) -> Bool {
    guard left.utf8.count == right.utf8.count else { return false }
    // ASCII (every name and type HNS knows) compares byte by byte, folding A-Z; anything else is lower-cased whole.
    var leftBytes = left.utf8.makeIterator()
    var rightBytes = right.utf8.makeIterator()
    while let l = leftBytes.next(), let r = rightBytes.next() {
        if l >= 0x80 || r >= 0x80 { return left.lowercased() == right.lowercased() }
        if l == r { continue }
        let lowerL = l >= UInt8(ascii: "A") && l <= UInt8(ascii: "Z") ? l | 0x20 : l
        let lowerR = r >= UInt8(ascii: "A") && r <= UInt8(ascii: "Z") ? r | 0x20 : r
        if lowerL != lowerR { return false }
    }
    return true
}

/// The canonical spelling of `name` among `known`, matched case-insensitively (psm1 sends upper-case types).
func canonical(_ name: String, in known: [String]) -> String? {
    known.first { sameText($0, name) }
}
