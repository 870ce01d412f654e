extension JSON {
    /// The document as compact JSON (`{"a":1,"b":[true]}`), keys in insertion order, `/` never escaped.
    public func compact() -> String {
        var output = JSONOutput()
        JSONWriter.write(self, into: &output, indent: nil, level: 0)
        return output.string()
    }

    /// The document indented by four spaces with `": "` after keys: the layout Go's
    /// `json.MarshalIndent(v, "", "    ")` gives, which is how the Go CNI plugins print results and errors.
    public func pretty() -> String {
        var output = JSONOutput()
        JSONWriter.write(self, into: &output, indent: 4, level: 0)
        return output.string()
    }

    /// `text` as a JSON string literal, quoted and escaped as `JSON.string(text).compact()` writes it.
    public static func quoted(_ text: String) -> String {
        var output = JSONOutput(capacity: text.utf8.count + 16)
        JSONWriter.writeString(text, into: &output)
        return output.string()
    }

    /// Bytes of `compact()`, for writers that want bytes.
    public func compactBytes() -> [UInt8] {
        var output = JSONOutput()
        JSONWriter.write(self, into: &output, indent: nil, level: 0)
        return output.bytes()
    }
}

/// The bytes being written: a plain growing buffer, so that appending a byte is a store (an `[UInt8]` checks
/// uniqueness and capacity on every append), copied once into the String or array the caller gets.
struct JSONOutput: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    /// Below glibc's large-request size (1,008 bytes), where malloc first consolidates its fast bins (~3 K
    /// instructions); a larger document grows the buffer once or twice.
    init(capacity: Int = 960) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit { base.deallocate() }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: 1) }
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if capacity - count < bytes.count { grow(toHold: bytes.count) }
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ literal: StaticString) {
        append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func append(spaces: Int) {
        if capacity - count < spaces { grow(toHold: spaces) }
        (base + count).initialize(repeating: UInt8(ascii: " "), count: spaces)
        count += spaces
    }

    mutating func append(decimal value: UInt64) {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        if capacity - count < digits { grow(toHold: digits) }
        var position = count + digits
        rest = value
        repeat {
            position -= 1
            base[position] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
            rest /= 10
        } while rest > 0
        count += digits
    }

    private mutating func grow(toHold extra: Int) {
        let newCapacity = Swift.max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    func string() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    func bytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }
}

enum JSONWriter {
    static func write(_ value: JSON, into output: inout JSONOutput, indent: Int?, level: Int) {
        switch value {
        case .null: output.append("null")
        case .bool(let flag): output.append(flag ? "true" : "false")
        case .integer(let number): writeInteger(number.magnitude, negative: number < 0, into: &output)
        case .unsigned(let number): writeInteger(number, negative: false, into: &output)
        case .double(let number): writeDouble(number, into: &output)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            if elements.isEmpty {
                output.append("[]")
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
                output.append("{}")
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

    private static func newline(into output: inout JSONOutput, spaces: Int) {
        output.append(UInt8(ascii: "\n"))
        output.append(spaces: spaces)
    }

    /// Decimal digits of `magnitude`, as `String(_:)` of the integer prints them.
    private static func writeInteger(_ magnitude: UInt64, negative: Bool, into output: inout JSONOutput) {
        if negative { output.append(UInt8(ascii: "-")) }
        output.append(decimal: magnitude)
    }

    private static func writeDouble(_ number: Double, into output: inout JSONOutput) {
        guard number.isFinite else {
            // JSON has no NaN or infinity; Go refuses to encode them, we write null rather than invalid JSON.
            output.append("null")
            return
        }
        if number > -1e15, number < 1e15, number == Double(Int64(number)) {
            // Integral values print without a fraction, as Go prints them.
            let integer = Int64(number)
            writeInteger(integer.magnitude, negative: integer < 0, into: &output)
        } else {
            var text = number.description
            text.withUTF8 { output.append($0) }
        }
    }

    static func writeString(_ text: String, into output: inout JSONOutput) {
        output.append(UInt8(ascii: "\""))
        // Native strings (all of them on Linux and Windows) have contiguous UTF-8; others are copied first.
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in writeEscaped(bytes, into: &output) }
        if written == nil { Array(text.utf8).withUnsafeBufferPointer { writeEscaped($0, into: &output) } }
        output.append(UInt8(ascii: "\""))
    }

    /// The bytes of a string's contents: `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, else `\u00XX`),
    /// everything else, `/` and non-ASCII included, copied as is in runs.
    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout JSONOutput) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var runStart = 0
        var index = 0
        while index < count {
            // Eight bytes at a time while none needs an escape.
            while index + 8 <= count, !needsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index += 8
            }
            guard index < count else { break }
            let byte = base[index]
            index += 1
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { continue }
            let escapeAt = index - 1
            if runStart < escapeAt { output.append(UnsafeBufferPointer(rebasing: bytes[runStart..<escapeAt])) }
            runStart = index
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
        if runStart < count { output.append(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// Whether any byte of `word` is below 0x20, `"` or `\\`. `(x - n…) & ~x & 0x80…` is non-zero iff some byte of
    /// `x` is below `n` (for `n` ≤ 0x80: a borrow starts only at such a byte); for `"` and `\\`, a zero byte of
    /// `word ^ pattern`.
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasByteBelow(_ x: UInt64, _ limit: UInt64) -> Bool { (x &- ones &* limit) & ~x & highs != 0 }
        return hasByteBelow(word, 0x20) || hasByteBelow(word ^ (ones &* 0x22), 1)
            || hasByteBelow(word ^ (ones &* 0x5C), 1)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }
}
