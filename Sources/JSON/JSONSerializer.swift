extension JSON {
    /// The document as compact JSON (`{"a":1,"b":[true]}`), keys in insertion order, `/` never escaped.
    public func compact() -> String {
        String(decoding: compactBytes(), as: UTF8.self)
    }

    /// The document indented by four spaces with `": "` after keys: the layout Go's
    /// `json.MarshalIndent(v, "", "    ")` gives, which is how the Go CNI plugins print results and errors.
    public func pretty() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(JSONWriter.initialCapacity)
        JSONWriter.write(self, into: &output, indent: 4, level: 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// Bytes of `compact()`, for writers that want bytes.
    public func compactBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(JSONWriter.initialCapacity)
        JSONWriter.write(self, into: &output, indent: nil, level: 0)
        return output
    }
}

/// Writes bytes straight into one growing buffer: runs of string bytes that need no escape are copied whole, numbers
/// are formatted without an intermediate String (a plugin exec writes ~20 documents; this is on every pod's path).
enum JSONWriter {
    /// Most HNS and CNI documents fit, so the buffer rarely grows.
    static let initialCapacity = 1024

    static func write(_ value: JSON, into output: inout [UInt8], indent: Int?, level: Int) {
        switch value {
        case .null: append("null", into: &output)
        case .bool(let flag): append(flag ? "true" : "false", into: &output)
        case .integer(let number): writeInteger(number.magnitude, negative: number < 0, into: &output)
        case .unsigned(let number): writeInteger(number, negative: false, into: &output)
        case .double(let number): writeDouble(number, into: &output)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            if elements.isEmpty {
                append("[]", into: &output)
                return
            }
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                if let indent { newline(into: &output, spaces: indent * (level + 1)) }
                write(element, into: &output, indent: indent, level: level + 1)
            }
            if let indent { newline(into: &output, spaces: indent * level) }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                append("{}", into: &output)
                return
            }
            output.append(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                if let indent { newline(into: &output, spaces: indent * (level + 1)) }
                writeString(entry.key, into: &output)
                output.append(UInt8(ascii: ":"))
                if indent != nil { output.append(UInt8(ascii: " ")) }
                write(entry.value, into: &output, indent: indent, level: level + 1)
            }
            if let indent { newline(into: &output, spaces: indent * level) }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func append(_ literal: StaticString, into output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static func newline(into output: inout [UInt8], spaces: Int) {
        output.append(UInt8(ascii: "\n"))
        for _ in 0..<spaces { output.append(UInt8(ascii: " ")) }
    }

    /// Decimal digits of `magnitude`, as `String(_:)` of the integer prints them.
    private static func writeInteger(_ magnitude: UInt64, negative: Bool, into output: inout [UInt8]) {
        if negative { output.append(UInt8(ascii: "-")) }
        if magnitude < 10 {
            output.append(UInt8(truncatingIfNeeded: magnitude) &+ 0x30)
            return
        }
        // 20 digits at most (UInt64.max); three words hold them without a heap allocation.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            var rest = magnitude
            while rest > 0 {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
                rest /= 10
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    private static func writeDouble(_ number: Double, into output: inout [UInt8]) {
        guard number.isFinite else {
            // JSON has no NaN or infinity; Go refuses to encode them, we write null rather than invalid JSON.
            append("null", into: &output)
            return
        }
        if number > -1e15, number < 1e15, number == Double(Int64(number)) {
            // Integral values print without a fraction, as Go prints them.
            let integer = Int64(number)
            writeInteger(integer.magnitude, negative: integer < 0, into: &output)
        } else {
            output.append(contentsOf: number.description.utf8)
        }
    }

    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in writeEscaped(bytes, into: &output) }
        output.append(UInt8(ascii: "\""))
    }

    /// The bytes of a string's contents: `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, else `\u00XX`),
    /// everything else, `/` and non-ASCII included, copied as is in runs.
    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { continue }
            if runStart < index { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                output.append(UInt8(ascii: "u"))
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "0"))
                output.append(hexDigit(byte >> 4))
                output.append(hexDigit(byte & 0x0F))
            }
        }
        if runStart < bytes.count { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }
}
