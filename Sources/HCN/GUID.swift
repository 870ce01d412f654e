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
        var utf8 = Array(text.utf8)
        if utf8.first == UInt8(ascii: "{") && utf8.last == UInt8(ascii: "}") && utf8.count == 38 {
            utf8 = Array(utf8[1..<37])
        }
        guard utf8.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard utf8[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    public var isZero: Bool { self == .zero }

    /// The bytes of the C `GUID` struct in memory (x86-64 and arm64 Windows are little-endian).
    public var memoryLayoutBytes: [UInt8] {
        let canonical = bytes
        return [
            canonical[3], canonical[2], canonical[1], canonical[0], canonical[5], canonical[4], canonical[7],
            canonical[6],
        ] + canonical[8..<16]
    }

    /// Reads a C `GUID` struct from memory.
    public init(memoryLayout pointer: UnsafeRawPointer) {
        let raw = UnsafeRawBufferPointer(start: pointer, count: 16)
        self.init(bytes: [raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]] + raw[8..<16])
    }

    /// Upper-case canonical text, as HNS writes IDs.
    public var description: String {
        let bytes = self.bytes
        return String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[position] = UInt8(ascii: "-")
                    position += 1
                }
                let byte = bytes[index]
                text[position] = hexDigit(byte >> 4)
                text[position + 1] = hexDigit(byte & 0x0F)
                position += 2
            }
            return position
        }
    }

    public static func == (lhs: GUID, rhs: GUID) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
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
