/// A CIDR prefix as written in configs and results: the address keeps its host bits (`10.244.1.5/24` is an address
/// with its subnet, as CNI results carry it), `network` clears them.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bitWidth else { return nil }
        self.address = address
        self.length = length
    }

    /// Parses `ADDRESS/LENGTH`; the length is decimal without leading zeros, within the family's width.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let lengthBytes = bytes[(slash + 1)...]
        guard !lengthBytes.isEmpty, lengthBytes.count <= 3,
            lengthBytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            lengthBytes.count == 1 || lengthBytes.first != UInt8(ascii: "0")
        else { return nil }
        var length = 0
        for byte in lengthBytes { length = length * 10 + Int(byte - UInt8(ascii: "0")) }
        guard let address = IPAddress(String(decoding: bytes[..<slash], as: UTF8.self)) else { return nil }
        self.init(address: address, length: length)
    }

    public var isIPv4: Bool { address.isIPv4 }
    public var network: IPAddress { address.masked(toLength: length) }
    public var masked: IPPrefix { IPPrefix(uncheckedAddress: network, length: length) }
    public var lastAddress: IPAddress { address.filled(fromLength: length) }
    public var description: String { "\(address)/\(length)" }

    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && other.masked(toLength: length) == network
    }

    public func contains(_ other: IPPrefix) -> Bool {
        other.isIPv4 == isIPv4 && other.length >= length && contains(other.address)
    }

    public func overlaps(_ other: IPPrefix) -> Bool { contains(other) || other.contains(self) }

    private init(uncheckedAddress: IPAddress, length: Int) {
        self.address = uncheckedAddress
        self.length = length
    }
}

/// A 48-bit MAC address. HNS writes them upper case with dashes (`00-15-5D-01-02-03`); Linux tools and CNI
/// results often use colons. Both spellings parse.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 17 else { return nil }
        let separator = utf8[2]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: ":") else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 17, by: 3) {
            if index > 0 { guard utf8[index - 1] == separator else { return nil } }
            guard let high = hexNibble(utf8[index]), let low = hexNibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    public var description: String { formatted(separator: "-", digits: "0123456789ABCDEF") }
    public var colonSeparated: String { formatted(separator: ":", digits: "0123456789abcdef") }

    private func formatted(separator: Character, digits: String) -> String {
        let table = Array(digits)
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(separator) }
            text.append(table[Int(byte >> 4)])
            text.append(table[Int(byte & 0x0F)])
        }
        return text
    }
}

private func hexNibble(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
