/// An IPv4 or IPv6 address. Parsing is strict (as Go's `net.ParseIP` since 1.17: no leading zeros in IPv4 octets,
/// no zone suffix); printing is canonical (dotted quad, RFC 5952 for IPv6), so addresses compare and print the
/// same way whichever spelling a config used.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(high: UInt64, low: UInt64)

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: ":")) {
            guard let value = parseIPv6(bytes) else { return nil }
            self = .v6(high: value.high, low: value.low)
        } else {
            guard let value = parseIPv4(bytes[...]) else { return nil }
            self = .v4(value)
        }
    }

    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The address `offset` places further on (negative: back), or nil when that leaves the family's range.
    public func adding(_ offset: Int64) -> IPAddress? {
        switch self {
        case .v4(let value):
            let result = Int64(value) + offset
            guard result >= 0, result <= Int64(UInt32.max) else { return nil }
            return .v4(UInt32(result))
        case .v6(let high, let low):
            if offset >= 0 {
                let (newLow, overflow) = low.addingReportingOverflow(UInt64(offset))
                if overflow {
                    guard high < UInt64.max else { return nil }
                    return .v6(high: high + 1, low: newLow)
                }
                return .v6(high: high, low: newLow)
            }
            let magnitude = offset == Int64.min ? UInt64(1) << 63 : UInt64(-offset)
            let (newLow, borrow) = low.subtractingReportingOverflow(magnitude)
            if borrow {
                guard high > 0 else { return nil }
                return .v6(high: high - 1, low: newLow)
            }
            return .v6(high: high, low: newLow)
        }
    }

    /// The address with every bit after the first `length` cleared.
    public func masked(toLength length: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            let length = max(0, min(32, length))
            let mask: UInt32 = length == 0 ? 0 : UInt32.max << UInt32(32 - length)
            return .v4(value & mask)
        case .v6(let high, let low):
            let length = max(0, min(128, length))
            let highMask: UInt64 = length >= 64 ? UInt64.max : (length == 0 ? 0 : UInt64.max << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? UInt64.max : UInt64.max << UInt64(128 - length))
            return .v6(high: high & highMask, low: low & lowMask)
        }
    }

    /// The address with every bit after the first `length` set (the last address of that prefix).
    func filled(fromLength length: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            let length = max(0, min(32, length))
            let hostBits: UInt32 = length == 32 ? 0 : (length == 0 ? UInt32.max : ~(UInt32.max << UInt32(32 - length)))
            return .v4(value | hostBits)
        case .v6(let high, let low):
            let length = max(0, min(128, length))
            let highHost: UInt64 = length >= 64 ? 0 : (length == 0 ? UInt64.max : ~(UInt64.max << UInt64(64 - length)))
            let lowHost: UInt64 =
                length <= 64 ? UInt64.max : (length == 128 ? 0 : ~(UInt64.max << UInt64(128 - length)))
            return .v6(high: high | highHost, low: low | lowHost)
        }
    }

    /// The 4 or 16 bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return [
                UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value),
            ]
        case .v6(let high, let low):
            var result: [UInt8] = []
            for shift in stride(from: 56, through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
            }
            for shift in stride(from: 56, through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
            }
            return result
        }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
        case .v6(let high, let low):
            return formatIPv6(high: high, low: low)
        }
    }

    /// IPv4 sorts before IPv6; within a family, numeric order.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let left), .v4(let right)): return left < right
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case (.v6(let lh, let ll), .v6(let rh, let rl)): return lh < rh || (lh == rh && ll < rl)
        }
    }
}

private func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
    var value: UInt32 = 0
    var octets = 0
    var current: UInt32 = 0
    var digits = 0
    var leadingZero = false
    for byte in bytes {
        if byte == UInt8(ascii: ".") {
            guard digits > 0 else { return nil }
            value = value << 8 | current
            octets += 1
            guard octets < 4 else { return nil }
            current = 0
            digits = 0
            leadingZero = false
            continue
        }
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        // "01" is refused, as Go refuses it (it would be read as octal by some other parsers).
        if leadingZero { return nil }
        if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
        current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
        digits += 1
        guard current <= 255, digits <= 3 else { return nil }
    }
    guard digits > 0, octets == 3 else { return nil }
    return value << 8 | current
}

private func parseIPv6(_ bytes: [UInt8]) -> (high: UInt64, low: UInt64)? {
    guard bytes.count >= 2, bytes.count <= 45 else { return nil }
    var groups: [UInt16] = []
    var compressAt: Int? = nil
    var index = 0
    if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
        compressAt = 0
        index = 2
        if index == bytes.count { return (0, 0) }
    } else if bytes[0] == UInt8(ascii: ":") {
        return nil
    }
    while index < bytes.count {
        // An embedded IPv4 tail ("::ffff:1.2.3.4") ends the address.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: ":") { end += 1 }
        let field = bytes[index..<end]
        if field.contains(UInt8(ascii: ".")) {
            guard end == bytes.count, let v4 = parseIPv4(field) else { return nil }
            groups.append(UInt16(v4 >> 16))
            groups.append(UInt16(v4 & 0xFFFF))
            index = end
            break
        }
        guard !field.isEmpty, field.count <= 4 else { return nil }
        var group: UInt16 = 0
        for byte in field {
            guard let digit = hexDigit(byte) else { return nil }
            group = group << 4 | UInt16(digit)
        }
        groups.append(group)
        index = end
        if index == bytes.count { break }
        // At a colon: a second colon marks the compressed run.
        index += 1
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard compressAt == nil else { return nil }
            compressAt = groups.count
            index += 1
            if index == bytes.count { break }
        } else if index == bytes.count {
            return nil
        }
    }
    if let compressAt {
        guard groups.count < 8 else { return nil }
        groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: compressAt)
    }
    guard groups.count == 8 else { return nil }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for group in groups[0..<4] { high = high << 16 | UInt64(group) }
    for group in groups[4..<8] { low = low << 16 | UInt64(group) }
    return (high, low)
}

private func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first on a tie)
/// written as `::`; IPv4-mapped addresses keep their dotted tail.
private func formatIPv6(high: UInt64, low: UInt64) -> String {
    var groups: [UInt16] = []
    for shift in stride(from: 48, through: 0, by: -16) {
        groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift)))
    }
    for shift in stride(from: 48, through: 0, by: -16) {
        groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift)))
    }
    if high == 0, low >> 32 == 0xFFFF {
        let v4 = IPAddress.v4(UInt32(truncatingIfNeeded: low))
        return "::ffff:\(v4)"
    }
    var bestStart = -1
    var bestLength = 1
    var runStart = -1
    for index in 0...8 {
        if index < 8, groups[index] == 0 {
            if runStart < 0 { runStart = index }
        } else if runStart >= 0 {
            if index - runStart > bestLength {
                bestStart = runStart
                bestLength = index - runStart
            }
            runStart = -1
        }
    }
    var text = ""
    var index = 0
    while index < 8 {
        if index == bestStart {
            text += "::"
            index += bestLength
            continue
        }
        if !text.isEmpty, !text.hasSuffix(":") { text += ":" }
        text += String(groups[index], radix: 16)
        index += 1
    }
    return text
}
