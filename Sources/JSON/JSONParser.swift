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
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer) }
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSON {
        try checkLexicalSubset(bytes)
        guard bytes.contains(where: { !isJSONWhitespace($0) }) else {
            throw JSONParseError(offset: bytes.count, reason: "empty input, expected a JSON value")
        }
        guard let tokener = json_tokener_new_ex(maximumDepth) else {
            throw JSONParseError(offset: 0, reason: "out of memory")
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)

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
    private static func checkLexicalSubset(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        var inString = false
        var escaped = false
        var offset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == 0 { throw JSONParseError(offset: offset, reason: "NUL byte in the input") }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                offset += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) {
                var end = offset + 1
                while end < bytes.count, isNumberByte(bytes[end]) { end += 1 }
                try checkNumber(bytes[offset..<end], at: offset)
                offset = end
                continue
            } else if !allowedOutsideStrings[Int(byte)] {
                let shown =
                    byte >= 0x20 && byte < 0x7F
                    ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                throw JSONParseError(offset: offset, reason: "unexpected character \(shown) outside a string")
            }
            offset += 1
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// One number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, within range.
    private static func checkNumber(_ token: Slice<UnsafeBufferPointer<UInt8>>, at start: Int) throws(JSONParseError) {
        let text = String(decoding: token, as: UTF8.self)
        func fail(_ reason: String) -> JSONParseError {
            JSONParseError(offset: start, reason: "number \(text) \(reason)")
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
        var isInteger = true
        if index < token.endIndex, token[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw fail("needs a digit after the decimal point") }
        }
        if index < token.endIndex, token[index] == UInt8(ascii: "e") || token[index] == UInt8(ascii: "E") {
            index += 1
            isInteger = false
            if index < token.endIndex, token[index] == UInt8(ascii: "+") || token[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { throw fail("needs digits in its exponent") }
        }
        guard index == token.endIndex else { throw fail("is malformed") }
        if isInteger {
            let magnitude = String(decoding: token[integerStart...], as: UTF8.self)
            let fits = negative ? Int64(text) != nil : UInt64(magnitude) != nil
            guard fits else { throw fail("does not fit in 64 bits") }
        } else {
            guard let value = Double(text), value.isFinite else { throw fail("is too large for a double") }
        }
    }

    private static let allowedOutsideStrings: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in " \t\r\n{}[]:,truefalsn".utf8 { table[Int(byte)] = true }
        return table
    }()

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
            var elements: [JSON] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                elements.append(convert(json_object_array_get_idx(object, index)))
            }
            return .array(elements)
        case json_type_object:
            var result = JSONObject()
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = json_object_iter_peek_name(&iterator).map { String(cString: $0) } ?? ""
                result[key] = convert(json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            return .object(result)
        default:
            return .null
        }
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
