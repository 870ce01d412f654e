import CJSONC

/// Why a document could not be parsed, and where. `offset` is the byte offset into the input at which json-c
/// stopped; `reason` is json-c's own description (or ours, for the checks done before json-c sees the bytes).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSON {
    /// Nesting deeper than this is refused; real CNI and HNS documents nest fewer than ten levels.
    public static let maximumDepth: Int32 = 64

    /// Parses one strict JSON document (RFC 8259, as Go's decoder accepts it): no comments, no trailing commas,
    /// nothing but white space after the value, no NUL bytes.
    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        // The string's own bytes, not a copy; the closure does not throw, so no typed-throws closure type is made.
        var text = text
        var failure: JSONParseError?
        let value = text.withUTF8 { buffer in
            do throws(JSONParseError) { return try parse(buffer) } catch {
                failure = error
                return JSON.null
            }
        }
        if let failure { throw failure }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        var failure: JSONParseError?
        let value = bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) { return try parse(buffer) } catch {
                failure = error
                return JSON.null
            }
        }
        if let failure { throw failure }
        return value
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSON {
        let hasNonASCII = try checkLexicalSubset(bytes)
        guard bytes.contains(where: { !isJSONWhitespace($0) }) else {
            throw JSONParseError(offset: bytes.count, reason: "empty input, expected a JSON value")
        }
        guard let tokener = wincni_spare_tokener(nil, maximumDepth) else {
            throw JSONParseError(offset: 0, reason: "out of memory")
        }
        defer { _ = wincni_spare_tokener(tokener, maximumDepth) }
        // json-c checks UTF-8 byte by byte; an all-ASCII document (the usual one) cannot fail that check.
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | (hasNonASCII ? JSON_TOKENER_VALIDATE_UTF8 : 0))

        let base = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        guard let base else { throw JSONParseError(offset: 0, reason: "empty input, expected a JSON value") }
        let length = Int32(clamping: bytes.count)
        var root = json_tokener_parse_ex(tokener, base, length)
        var status = json_tokener_get_error(tokener)
        var consumedAll = false
        if status == json_tokener_continue {
            consumedAll = true
            // A bare number at the very end needs an explicit end of input to complete.
            root = json_tokener_parse_ex(tokener, "", 1)
            status = json_tokener_get_error(tokener)
            if status == json_tokener_continue || root == nil {
                throw JSONParseError(offset: bytes.count, reason: "unexpected end of input")
            }
        }
        guard status == json_tokener_success, let root else {
            let reason = json_tokener_error_desc(status).map { String(cString: $0) } ?? "parse error"
            throw JSONParseError(offset: Int(json_tokener_get_parse_end(tokener)), reason: reason)
        }
        defer { json_object_put(root) }

        var end = consumedAll ? bytes.count : Int(json_tokener_get_parse_end(tokener))
        if end > bytes.count { end = bytes.count }
        if let extra = bytes[end...].firstIndex(where: { !isJSONWhitespace($0) }) {
            throw JSONParseError(offset: extra, reason: "unexpected data after the JSON value")
        }
        return convert(root)
    }

    /// json-c's strict mode still takes single-quoted strings, comments and `5.`, turns `1e999` into infinity and
    /// clamps integers beyond 64 bits; Go's decoder does none of that. So before json-c sees the bytes: outside
    /// string literals only JSON's punctuation, numbers and the three literals may appear, NUL may appear nowhere,
    /// and every number token must be RFC 8259's grammar with a value JSON can hold (a finite double; an integer
    /// from Int64.min to UInt64.max — wincni reads no field where a larger integer could be meant).
    /// Returns whether a string literal holds a byte above 0x7F (outside strings that is an error already).
    private static func checkLexicalSubset(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let count = bytes.count
        var highBits: UInt8 = 0
        var highWords: UInt64 = 0
        var offset = 0
        while offset < count {
            let byte = base[offset]
            switch byte {
            case UInt8(ascii: "\""):
                // A string literal: skip to its closing quote (json-c judges its escapes); only NUL is refused here.
                offset += 1
                while true {
                    if offset + 8 <= count {
                        // Eight bytes at a time: jump to the first quote, backslash or NUL, if any. Non-ASCII bytes
                        // are only noted (bytes past the string's end may be noted too: that costs json-c's UTF-8
                        // check, never a result).
                        let word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
                        highWords |= word
                        let stops =
                            zeroBytes(word) | zeroBytes(word ^ repeated(0x22)) | zeroBytes(word ^ repeated(0x5C))
                        if stops == 0 {
                            offset += 8
                            continue
                        }
                        offset += stops.trailingZeroBitCount / 8
                    } else {
                        guard offset < count else { break }
                        let inner = base[offset]
                        highBits |= inner
                        if inner != UInt8(ascii: "\""), inner != UInt8(ascii: "\\"), inner != 0 {
                            offset += 1
                            continue
                        }
                    }
                    let stop = base[offset]
                    if stop == UInt8(ascii: "\"") { break }
                    if stop == 0 { throw JSONParseError(offset: offset, reason: "NUL byte in the input") }
                    // A backslash: the escaped byte is json-c's to judge, but NUL is refused there too.
                    offset += 1
                    if offset < count {
                        if base[offset] == 0 { throw JSONParseError(offset: offset, reason: "NUL byte in the input") }
                        highBits |= base[offset]
                    }
                    offset += 1
                }
                offset += 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = offset + 1
                while end < count, isNumberByte(base[end]) { end += 1 }
                try checkNumber(bytes[offset..<end], at: offset)
                offset = end
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"),
                UInt8(ascii: "e"), UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"),
                UInt8(ascii: "n"):
                offset += 1
            case 0:
                throw JSONParseError(offset: offset, reason: "NUL byte in the input")
            default:
                let shown =
                    byte >= 0x20 && byte < 0x7F
                    ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                throw JSONParseError(offset: offset, reason: "unexpected character \(shown) outside a string")
            }
        }
        return highBits >= 0x80 || highWords & repeated(0x80) != 0
    }

    /// `byte` in each of the eight bytes of a word.
    @inline(__always)
    private static func repeated(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

    /// 0x80 in each byte of `word` that is zero, nothing elsewhere: `(b & 0x7F) + 0x7F` sets the high bit of every
    /// byte but zero without carrying into the next byte, and `| b` covers bytes whose own high bit is set.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low = repeated(0x7F)
        return ~(((word & low) &+ low) | word | low)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// One number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, within range.
    private static func checkNumber(_ token: Slice<UnsafeBufferPointer<UInt8>>, at start: Int) throws(JSONParseError) {
        func fail(_ reason: String) -> JSONParseError {
            JSONParseError(offset: start, reason: "number \(String(decoding: token, as: UTF8.self)) \(reason)")
        }
        var index = token.startIndex
        let negative = token[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        func digits() -> Int {
            let first = index
            while index < token.endIndex, token[index] >= 0x30, token[index] <= 0x39 { index += 1 }
            return index - first
        }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0 else { throw fail("has no digits") }
        guard integerDigits == 1 || token[integerStart] != 0x30 else { throw fail("has a leading zero") }
        var hasExponent = false
        var isInteger = true
        if index < token.endIndex, token[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw fail("needs a digit after the decimal point") }
        }
        if index < token.endIndex, token[index] == UInt8(ascii: "e") || token[index] == UInt8(ascii: "E") {
            index += 1
            isInteger = false
            hasExponent = true
            if index < token.endIndex, token[index] == UInt8(ascii: "+") || token[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { throw fail("needs digits in its exponent") }
        }
        guard index == token.endIndex else { throw fail("is malformed") }
        if isInteger {
            // Up to 18 digits always fits; only longer ones need the exact comparison.
            guard integerDigits > 18 else { return }
            let text = String(decoding: token, as: UTF8.self)
            let magnitude = String(decoding: token[integerStart...], as: UTF8.self)
            let fits = negative ? Int64(text) != nil : UInt64(magnitude) != nil
            guard fits else { throw fail("does not fit in 64 bits") }
        } else {
            // Without an exponent, only a number of more than 308 integer digits can exceed Double's range.
            guard hasExponent || integerDigits > 300 else { return }
            guard let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite else {
                throw fail("is too large for a double")
            }
        }
    }

    private static func convert(_ object: OpaquePointer?) -> JSON {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_null:
            return .null
        case json_type_boolean:
            return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            let signed = json_object_get_int64(object)
            if signed == Int64.max {
                let unsigned = json_object_get_uint64(object)
                if unsigned > UInt64(Int64.max) { return .unsigned(unsigned) }
            }
            return .integer(signed)
        case json_type_double:
            return .double(json_object_get_double(object))
        case json_type_string:
            return .string(string(of: object))
        case json_type_array:
            let count = json_object_array_length(object)
            if count == 0 { return .array([]) }
            let elements = [JSON](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    buffer.initializeElement(at: index, to: convert(json_object_array_get_idx(object, index)))
                }
                initialized = count
            }
            return .array(elements)
        case json_type_object:
            return .object(convertObject(object))
        default:
            return .null
        }
    }

    /// json-c's object is a hash table whose entries are linked in insertion order, one per key: a repeated key
    /// keeps its first position and takes the last value (Go's decoder does the same). Keys are C strings, so a
    /// key with an escaped NUL ends there, as json-c stored it.
    private static func convertObject(_ object: OpaquePointer) -> JSONObject {
        guard let table = json_object_get_object(object) else { return JSONObject() }
        var entries: [(key: String, value: JSON)] = []
        entries.reserveCapacity(Int(json_object_object_length(object)))
        var allASCII = true
        var entry = lh_table_head(table)
        while let current = entry {
            var key = ""
            if let name = lh_entry_k(current) {
                let bytes = name.assumingMemoryBound(to: UInt8.self)
                var length = 0
                var union: UInt8 = 0
                while bytes[length] != 0 {
                    union |= bytes[length]
                    length += 1
                }
                if union >= 0x80 { allASCII = false }
                key = String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
            }
            entries.append((key, convert(lh_entry_v(current).map { OpaquePointer($0) })))
            entry = lh_entry_next(current)
        }
        // Distinct bytes are distinct ASCII keys; non-ASCII ones may still be equal as Swift strings (canonical
        // equivalence, repaired UTF-8), and then the later value replaces the earlier one in place.
        return allASCII
            ? JSONObject(uniqueKeys: entries, asciiKeys: true) : JSONObject(entries.map { ($0.key, $0.value) })
    }

    private static func string(of object: OpaquePointer) -> String {
        let length = Int(json_object_get_string_len(object))
        guard length > 0, let pointer = json_object_get_string(object) else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

@inline(__always)
func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}
