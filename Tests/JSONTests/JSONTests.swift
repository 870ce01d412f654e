import JSON
import Testing

@Suite("JSON parsing")
struct JSONParsingTests {
    @Test("objects keep their keys in document order")
    func insertionOrder() throws {
        let value = try JSON.parse(#"{"z":1,"a":2,"m":{"y":true,"b":null}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value["m"]?.objectValue?.keys == ["y", "b"])
        #expect(value.compact() == #"{"z":1,"a":2,"m":{"y":true,"b":null}}"#)
    }

    @Test("64-bit integers are exact in both directions")
    func integers() throws {
        let value = try JSON.parse(#"[9223372036854775807,-9223372036854775808,18446744073709551615,2151350319,0]"#)
        #expect(value.arrayValue?[0] == .integer(Int64.max))
        #expect(value.arrayValue?[1] == .integer(Int64.min))
        #expect(value.arrayValue?[2] == .unsigned(UInt64.max))
        #expect(value.arrayValue?[3].uint64Value == 2_151_350_319)
        #expect(value.compact() == #"[9223372036854775807,-9223372036854775808,18446744073709551615,2151350319,0]"#)
    }

    @Test("doubles and strings with escapes round-trip")
    func doublesAndStrings() throws {
        let text = #"{"d":1.5,"e":-0.25,"s":"a\"b\\c\n\t\u0001é/x"}"#
        let value = try JSON.parse(text)
        #expect(value["d"] == .double(1.5))
        #expect(value["s"]?.stringValue == "a\"b\\c\n\t\u{01}é/x")
        #expect(value.compact() == #"{"d":1.5,"e":-0.25,"s":"a\"b\\c\n\t\u0001é/x"}"#)
    }

    @Test("a slash is never escaped")
    func slash() {
        #expect(JSON.string("10.0.0.0/8").compact() == #""10.0.0.0/8""#)
    }

    @Test("a bare top-level number parses")
    func bareNumber() throws {
        #expect(try JSON.parse("42") == .integer(42))
        #expect(try JSON.parse(" 4.5 \n") == .double(4.5))
        #expect(try JSON.parse("\"x\"") == .string("x"))
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let offset: Int?
        var testDescription: String { name }
    }

    @Test(
        "malformed input is refused with an offset",
        arguments: [
            BadInput(name: "empty", text: "", offset: 0),
            BadInput(name: "blank", text: "  \n", offset: 3),
            BadInput(name: "truncated object", text: #"{"a":1"#, offset: 6),
            BadInput(name: "trailing comma", text: #"{"a":1,}"#, offset: nil),
            BadInput(name: "single quotes", text: "{'a':1}", offset: nil),
            BadInput(name: "comment", text: #"{"a":1 /* x */}"#, offset: nil),
            BadInput(name: "garbage after value", text: #"{"a":1} x"#, offset: 8),
            BadInput(name: "two documents", text: #"{} {}"#, offset: 3),
            BadInput(name: "NUL byte", text: "{\"a\":\u{0}1}", offset: 5),
            BadInput(name: "bare word", text: "hello", offset: nil),
            BadInput(name: "unterminated string", text: #"{"a":"b"#, offset: nil),
        ])
    func malformed(_ input: BadInput) {
        do {
            _ = try JSON.parse(input.text)
            Issue.record("\(input.name) parsed")
        } catch {
            if let offset = input.offset { #expect(error.offset == offset, "\(error)") }
            #expect(!error.reason.isEmpty)
            #expect(error.description.hasPrefix("invalid JSON at byte "))
        }
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test("nesting beyond the limit is refused, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }
}

@Suite("JSON serialisation")
struct JSONSerialisationTests {
    @Test("pretty printing matches Go's MarshalIndent with four spaces")
    func pretty() {
        let value: JSON = [
            "cniVersion": "1.0.0",
            "ips": [["address": "10.244.1.5/24", "gateway": "10.244.1.2"]],
            "dns": [:],
            "routes": [],
        ]
        let expected = """
            {
                "cniVersion": "1.0.0",
                "ips": [
                    {
                        "address": "10.244.1.5/24",
                        "gateway": "10.244.1.2"
                    }
                ],
                "dns": {},
                "routes": []
            }
            """
        #expect(value.pretty() == expected)
    }

    @Test("control characters are escaped as \\u00XX")
    func controlCharacters() {
        #expect(JSON.string("\u{1F}").compact() == #""\u001f""#)
    }

    @Test("non-finite doubles are written as null, never as invalid JSON")
    func nonFinite() {
        #expect(JSON.double(.infinity).compact() == "null")
    }
}

@Suite("Go-compatible member lookup")
struct GoLookupTests {
    @Test("exact key wins over a case-folded one")
    func exactFirst() throws {
        let value = try JSON.parse(#"{"Name":"upper","name":"lower"}"#)
        #expect(value[goKey: "name"]?.stringValue == "lower")
        #expect(value[goKey: "Name"]?.stringValue == "upper")
        #expect(value[goKey: "NAME"]?.stringValue == "upper")
    }

    @Test("case-insensitive match when no exact key")
    func folded() throws {
        let value = try JSON.parse(#"{"Policies":[],"ApiVersion":2}"#)
        #expect(value[goKey: "policies"] == .array([]))
        #expect(value[goKey: "apiVersion"] == .integer(2))
        #expect(value[goKey: "missing"] == nil)
    }

    @Test("a later duplicate key replaces the earlier value, as Go's decoder does")
    func duplicates() throws {
        let value = try JSON.parse(#"{"a":1,"a":2}"#)
        #expect(value["a"] == .integer(2))
    }
}

@Suite("typed field access")
struct JSONFieldsTests {
    @Test("wrong types name the path as the document spells it")
    func mismatchPath() throws {
        let document = try JSON.parse(#"{"IPAM":{"Subnet":5}}"#)
        let fields = try JSONFields(document, path: "")
        let ipam = try #require(try fields.fields("ipam"))
        #expect(throws: JSONFieldError(path: "IPAM.Subnet", message: "expected a string, found a number (5)")) {
            _ = try ipam.string("subnet")
        }
    }

    @Test("null is the same as absent")
    func nullIsAbsent() throws {
        let fields = try JSONFields(try JSON.parse(#"{"a":null}"#), path: "")
        #expect(try fields.string("a") == nil)
    }

    @Test("integers are range checked")
    func range() throws {
        let fields = try JSONFields(try JSON.parse(#"{"port":70000,"f":1.5}"#), path: "pm[0]")
        #expect(throws: JSONFieldError.self) { _ = try fields.integer("port", in: 0...65535) }
        #expect(throws: JSONFieldError(path: "pm[0].f", message: "expected an integer, found a number (1.5)")) {
            _ = try fields.integer("f")
        }
    }

    @Test("arrays of strings report the bad element")
    func stringArray() throws {
        let fields = try JSONFields(try JSON.parse(#"{"nameservers":["10.0.0.10",7]}"#), path: "dns")
        #expect(throws: JSONFieldError(path: "dns.nameservers[1]", message: "expected a string, found a number (7)")) {
            _ = try fields.strings("nameservers")
        }
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test(
        "numbers Go's decoder refuses are refused, with the offset of the number",
        arguments: [
            ("5.", 0), ("[5.]", 1), (#"{"mtu":1450.}"#, 7), ("-1.e5", 0), ("0.", 0), ("01", 0), ("-", 0), ("1e", 0),
            ("1e+", 0), ("[-01]", 1), ("1.5.5", 0), ("1e999", 0), ("[-1e999]", 1), ("18446744073709551616", 0),
            ("-9223372036854775809", 0), ("99999999999999999999999", 0), ("1-2", 0), ("+1", 0), (".5", 0),
        ])
    func refused(_ text: String, _ offset: Int) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        do { _ = try JSON.parse(text) } catch { #expect(error.offset == offset, "\(error)") }
    }

    @Test(
        "every number form Go takes parses to its value",
        arguments: [
            ("5.0", JSON.double(5)), ("-0.5e-3", .double(-0.0005)), ("1E+2", .double(100)), ("0", .integer(0)),
            ("-0", .integer(0)), ("1.5", .double(1.5)), ("18446744073709551615", .unsigned(UInt64.max)),
            ("-9223372036854775808", .integer(Int64.min)), ("1e308", .double(1e308)),
            ("[1,-2]", JSON.array([.integer(1), .integer(-2)])),
        ])
    func accepted(_ text: String, _ expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }
}
