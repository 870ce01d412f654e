/// A Windows GUID. `memoryLayoutBytes` gives the 16 bytes of the C `GUID` struct (`Data1`, `Data2`, `Data3`
/// little-endian, then `Data4`) to pass as `REFGUID` to `computenetwork.dll`.
/// Text form: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, parsed case-insensitively (with or without braces), printed in
/// upper case as HNS prints IDs in v2 documents.
public struct GUID: Hashable, Sendable, CustomStringConvertible {
    public var data1: UInt32
    public var data2: UInt16
    public var data3: UInt16
    public var data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public static let zero = GUID(data1: 0, data2: 0, data3: 0, data4: (0, 0, 0, 0, 0, 0, 0, 0))

    public init(
        data1: UInt32, data2: UInt16, data3: UInt16, data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    ) {
        self.data1 = data1
        self.data2 = data2
        self.data3 = data3
        self.data4 = data4
    }

    /// Builds a GUID from 16 bytes in the canonical text order.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a GUID has 16 bytes")
        data1 = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        data2 = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        data3 = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        data4 = (bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
    }

    /// The 16 bytes in the canonical text order.
    public var bytes: [UInt8] {
        [
            UInt8(data1 >> 24), UInt8(truncatingIfNeeded: data1 >> 16), UInt8(truncatingIfNeeded: data1 >> 8),
            UInt8(truncatingIfNeeded: data1), UInt8(data2 >> 8), UInt8(truncatingIfNeeded: data2),
            UInt8(data3 >> 8), UInt8(truncatingIfNeeded: data3),
            data4.0, data4.1, data4.2, data4.3, data4.4, data4.5, data4.6, data4.7,
        ]
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any case, optional `{}`); nil for anything else.
    public init?(_ text: String) {
        // The text's own bytes (native strings have them contiguous); no array is made.
        let parsed = text.utf8.withContiguousStorageIfAvailable { GUID(parsing: $0) } ?? GUID(parsing: Array(text.utf8))
        guard let parsed else { return nil }
        self = parsed
    }

    private init?(parsing utf8: [UInt8]) {
        guard let parsed = utf8.withUnsafeBufferPointer({ GUID(parsing: $0) }) else { return nil }
        self = parsed
    }

    private init?(parsing text: UnsafeBufferPointer<UInt8>) {
        var start = 0
        if text.count == 38 && text[0] == UInt8(ascii: "{") && text[37] == UInt8(ascii: "}") {
            start = 1
        } else if text.count != 36 {
            return nil
        }
        guard text[start + 8] == UInt8(ascii: "-"), text[start + 13] == UInt8(ascii: "-"),
            text[start + 18] == UInt8(ascii: "-"), text[start + 23] == UInt8(ascii: "-")
        else { return nil }
        /// The `digits` hex digits from `offset`, or nil.
        func hex(_ offset: Int, _ digits: Int) -> UInt64? {
            var value: UInt64 = 0
            for position in start + offset..<start + offset + digits {
                guard let nibble = hexValue(text[position]) else { return nil }
                value = value << 4 | UInt64(nibble)
            }
            return value
        }
        guard let first = hex(0, 8), let second = hex(9, 4), let third = hex(14, 4), let fourth = hex(19, 4),
            let last = hex(24, 12)
        else { return nil }
        data1 = UInt32(first)
        data2 = UInt16(second)
        data3 = UInt16(third)
        data4 = (
            UInt8(fourth >> 8), UInt8(fourth & 0xFF), UInt8(last >> 40), UInt8(last >> 32 & 0xFF),
            UInt8(last >> 24 & 0xFF), UInt8(last >> 16 & 0xFF), UInt8(last >> 8 & 0xFF), UInt8(last & 0xFF)
        )
    }

    public var isZero: Bool { self == .zero }

    /// The bytes of the C `GUID` struct in memory (x86-64 and arm64 Windows are little-endian).
    public var memoryLayoutBytes: [UInt8] {
        withMemoryLayout { raw in Array(raw) }
    }

    /// Runs `body` with the 16 bytes of the C `GUID` struct, kept on the stack.
    func withMemoryLayout<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var layout = (data1.littleEndian, data2.littleEndian, data3.littleEndian, data4)
        return withUnsafeBytes(of: &layout) { raw in
            // (UInt32, UInt16, UInt16, 8 x UInt8) has the C struct's offsets 0, 4, 6 and 8, and no padding.
            precondition(raw.count == 16)
            return body(raw)
        }
    }

    /// Reads a C `GUID` struct from memory.
    public init(memoryLayout pointer: UnsafeRawPointer) {
        data1 = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self))
        data2 = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        data3 = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        let raw = pointer + 8
        data4 = (
            raw.load(as: UInt8.self), raw.load(fromByteOffset: 1, as: UInt8.self),
            raw.load(fromByteOffset: 2, as: UInt8.self), raw.load(fromByteOffset: 3, as: UInt8.self),
            raw.load(fromByteOffset: 4, as: UInt8.self), raw.load(fromByteOffset: 5, as: UInt8.self),
            raw.load(fromByteOffset: 6, as: UInt8.self), raw.load(fromByteOffset: 7, as: UInt8.self)
        )
    }

    /// The last eight bytes as one big-endian number (`Data4` in text order).
    private var data4Value: UInt64 {
        var value: UInt64 = 0
        withUnsafeBytes(of: data4) { raw in
            for byte in raw { value = value << 8 | UInt64(byte) }
        }
        return value
    }

    /// Upper-case canonical text, as HNS writes IDs.
    public var description: String {
        let high = UInt64(data1) << 32 | UInt64(data2) << 16 | UInt64(data3)
        let low = data4Value
        return String(unsafeUninitializedCapacity: 36) { text in
            /// `digits` hex digits of `value`'s low bits at `offset`.
            func put(_ value: UInt64, _ digits: Int, at offset: Int) {
                var rest = value
                var position = offset + digits
                while position > offset {
                    position -= 1
                    text[position] = hexDigit(UInt8(truncatingIfNeeded: rest) & 0x0F)
                    rest >>= 4
                }
            }
            put(high >> 32, 8, at: 0)
            text[8] = UInt8(ascii: "-")
            put(high >> 16, 4, at: 9)
            text[13] = UInt8(ascii: "-")
            put(high, 4, at: 14)
            text[18] = UInt8(ascii: "-")
            put(low >> 48, 4, at: 19)
            text[23] = UInt8(ascii: "-")
            put(low, 12, at: 24)
            return 36
        }
    }

    public static func == (lhs: GUID, rhs: GUID) -> Bool {
        lhs.data1 == rhs.data1 && lhs.data2 == rhs.data2 && lhs.data3 == rhs.data3 && lhs.data4Value == rhs.data4Value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(data1)
        hasher.combine(data2)
        hasher.combine(data3)
        hasher.combine(data4Value)
    }
}

private func hexDigit(_ value: UInt8) -> UInt8 {
    value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
