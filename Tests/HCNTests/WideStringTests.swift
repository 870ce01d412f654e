import Testing

@testable import HCN

@Suite("UTF-16 strings across the function table")
struct WideStringTests {
    static let texts = [
        "", "a", "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", "caf\u{E9}", "\u{7F}\u{80}", "\u{1F600} smile",
        String(repeating: "0123456789abcdef", count: 70) + "\u{FFFD}", String(repeating: "x", count: 1_025),
    ]

    @Test("text goes in as NUL-terminated UTF-16, ASCII or not", arguments: texts)
    func widens(_ text: String) {
        let units: [UInt16] = withWideString(text) { pointer in
            guard let pointer else { return [] }
            var length = 0
            while pointer[length] != 0 { length += 1 }
            return Array(UnsafeBufferPointer(start: pointer, count: length))
        }
        #expect(units == Array(text.utf16))
    }

    @Test("UTF-16 comes back as the same text, ASCII or not", arguments: texts)
    func narrows(_ text: String) {
        let units = Array(text.utf16)
        #expect(units.withUnsafeBufferPointer { decodeUTF16($0) } == text)
    }

    @Test("a lone surrogate becomes U+FFFD, as the generic decoder makes it")
    func loneSurrogate() {
        let units: [UInt16] = [0x61, 0xD800, 0x62]
        #expect(units.withUnsafeBufferPointer { decodeUTF16($0) } == "a\u{FFFD}b")
    }
}
