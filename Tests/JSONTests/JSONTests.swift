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
    @Test("keys that differ only in case: the last one in the document wins, whichever spelling is asked for")
    func lastFoldedWins() throws {
        let value = try JSON.parse(#"{"Name":"upper","name":"lower"}"#)
        #expect(value[goKey: "name"]?.stringValue == "lower")
        #expect(value[goKey: "Name"]?.stringValue == "lower")
        #expect(value[goKey: "NAME"]?.stringValue == "lower")
        let reversed = try JSON.parse(#"{"name":"lower","Name":"upper"}"#)
        #expect(reversed[goKey: "name"]?.stringValue == "upper")
        #expect(reversed.objectValue?.matchedKey(goKey: "name") == "Name")
    }

    @Test("sortedLikeGo orders keys by UTF-8 bytes at every depth, as Go marshals a map")
    func sortedLikeGo() throws {
        let value = try JSON.parse(#"{"b":1,"a":{"z":[{"y":1,"x":2}],"B":0,"é":1,"e":2},"A":null}"#)
        #expect(value.sortedLikeGo().compact() == #"{"A":null,"a":{"B":0,"e":2,"z":[{"x":2,"y":1}],"é":1},"b":1}"#)
        #expect(JSON.array([.string("b"), .string("a")]).sortedLikeGo() == .array([.string("b"), .string("a")]))
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

@Suite("JSON edge cases the fast paths must keep")
struct JSONEdgeCaseTests {
    @Test("every control character is escaped, runs between escapes are copied whole")
    func allControlCharacters() {
        let text = String(decoding: (0..<0x20).map { UInt8($0) } + Array("ab\"c\\d/é\u{7F}".utf8), as: UTF8.self)
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\t\n\u000b\u000c\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "ab\\\"c\\\\d/é\u{7F}\""
        #expect(JSON.string(text).compact() == expected)
        #expect(JSON.string("").compact() == #""""#)
        #expect(JSON.string("plain").compact() == #""plain""#)
        #expect(JSON.string("\"").compact() == #""\"""#)
        #expect(
            JSON.string("a long string with no escapes at all, past the small-string size").compact()
                == #""a long string with no escapes at all, past the small-string size""#)
    }

    @Test("keys are escaped like values")
    func escapedKeys() {
        let value: JSON = ["a\"b": 1, "c\nd": ["é": true]]
        #expect(value.compact() == #"{"a\"b":1,"c\nd":{"é":true}}"#)
    }

    @Test("integers print as Swift prints them, at every width and sign")
    func integerWidths() {
        var values: [Int64] = [0, 9, 10, -1, -9, -10, 99, 100, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, -power, -(power - 1)]
        }
        for value in values {
            #expect(JSON.integer(value).compact() == String(value))
        }
        for value: UInt64 in [0, 7, 10, UInt64(Int64.max) + 1, UInt64.max] {
            #expect(JSON.unsigned(value).compact() == String(value))
        }
    }

    @Test("integral doubles print without a fraction, others as Swift describes them")
    func doubles() {
        #expect(JSON.double(-0.0).compact() == "0")
        #expect(JSON.double(-3).compact() == "-3")
        #expect(JSON.double(999_999_999_999_999).compact() == "999999999999999")
        // Swift's description, as before (Go would print 1e+15).
        #expect(JSON.double(1e15).compact() == "1000000000000000.0")
        #expect(JSON.double(0.1).compact() == "0.1")
        #expect(JSON.double(-.nan).compact() == "null")
    }

    @Test("a repeated key keeps its first position and its last value, as json-c and Go's decoder do")
    func duplicateKeys() throws {
        let value = try JSON.parse(#"{"a":1,"b":2,"a":3,"b":{"x":1},"c":[]}"#)
        #expect(value.objectValue?.keys == ["a", "b", "c"])
        #expect(value.compact() == #"{"a":3,"b":{"x":1},"c":[]}"#)
        let literal = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(literal.keys == ["a", "b"])
        #expect(literal["a"] == .integer(3))
    }

    @Test("non-ASCII keys equal as Swift strings collapse into one, the later value in place")
    func canonicallyEquivalentKeys() throws {
        let value = try JSON.parse("{\"\u{E9}\":1,\"x\":2,\"e\u{301}\":3}")
        #expect(value.objectValue?.count == 2)
        #expect(value["\u{E9}"] == .integer(3))
        #expect(value.objectValue?.keys.last == "x")
    }

    @Test("an escaped NUL ends a key where json-c stored it")
    func nulInKey() throws {
        let value = try JSON.parse(#"{"a\u0000b":1,"c":"d\u0000e"}"#)
        #expect(value.objectValue?.keys == ["a", "c"])
        #expect(value["c"]?.stringValue == "d\u{0}e")
    }

    @Test("Go lookup: the last key equal under case folding; never across lengths or non-ASCII bytes")
    func goLookupRules() throws {
        let object = try #require(try JSON.parse(#"{"nAme":1,"NAME":2,"name":3,"names":4,"Ünit":5}"#).objectValue)
        #expect(object.value(goKey: "name") == .integer(3))
        #expect(object.value(goKey: "Name") == .integer(3))
        #expect(object.matchedKey(goKey: "Name") == "name")
        #expect(object.matchedKey(goKey: "name") == "name")
        let upperLast = try #require(try JSON.parse(#"{"name":3,"nAme":1}"#).objectValue)
        #expect(upperLast.value(goKey: "name") == .integer(1))
        #expect(upperLast.matchedKey(goKey: "name") == "nAme")
        #expect(object.value(goKey: "NAMES") == .integer(4))
        #expect(object.value(goKey: "nam") == nil)
        #expect(object.value(goKey: "Ünit") == .integer(5))
        #expect(object.value(goKey: "üNIT") == nil)
        // U+212A KELVIN SIGN is canonically equivalent to "K": an exact match for Swift's ==, as subscript sees it.
        let kelvin = JSONObject([("\u{212A}ey", 1), ("key", 2)])
        #expect(kelvin.value(goKey: "Key") == .integer(2))
        #expect(kelvin.matchedKey(goKey: "Key") == "key")
        #expect(kelvin["Key"] == .integer(1))
        let kelvinLast = JSONObject([("key", 2), ("\u{212A}ey", 1)])
        #expect(kelvinLast.value(goKey: "Key") == .integer(1))
        #expect(kelvinLast.matchedKey(goKey: "Key") == "Key")
    }

    @Test("lookups in a parsed ASCII object still see a non-ASCII key added later, and after sorting")
    func asciiLookupAfterNonASCIIKey() throws {
        var object = try #require(try JSON.parse(#"{"b":1,"key":2}"#).objectValue)
        #expect(object["KEY"] == nil)
        #expect(object.value(goKey: "KEY") == .integer(2))
        object["\u{212A}ind"] = .integer(3)
        #expect(object["Kind"] == .integer(3))
        #expect(object.value(goKey: "Kind") == .integer(3))
        #expect(object.matchedKey(goKey: "Kind") == "Kind")
        #expect(object.value(goKey: "kind") == nil)
        let sorted = try #require(JSON.object(object).sortedLikeGo().objectValue)
        #expect(sorted.keys == ["b", "key", "\u{212A}ind"])
        #expect(sorted["Kind"] == .integer(3))
        #expect(sorted.value(goKey: "KEY") == .integer(2))
        object["b"] = nil
        object["Key"] = .integer(4)
        #expect(object.keys == ["key", "\u{212A}ind", "Key"])
        #expect(object["key"] == .integer(2))
        #expect(object.value(goKey: "key") == .integer(4))
        #expect(object.matchedKey(goKey: "key") == "Key")
    }

    @Test(
        "numbers at the edges of the fast range checks",
        arguments: [
            ("999999999999999999", JSON.integer(999_999_999_999_999_999)),
            ("-999999999999999999", .integer(-999_999_999_999_999_999)),
            ("9223372036854775808", .unsigned(9_223_372_036_854_775_808)),
            ("1000000000000000000", .integer(1_000_000_000_000_000_000)),
            ("[1.25,-0.0,2e2]", .array([.double(1.25), .double(-0.0), .double(200)])),
        ])
    func numberEdges(_ text: String, _ expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test("a double of more than 308 integer digits is refused without an exponent too")
    func hugeDecimal() {
        let text = String(repeating: "9", count: 400) + ".5"
        #expect(throws: JSONParseError(offset: 0, reason: "number \(text) is too large for a double")) {
            try JSON.parse(text)
        }
        #expect(throws: JSONParseError(offset: 1, reason: "number 1e400 is too large for a double")) {
            try JSON.parse("[1e400]")
        }
    }

    @Test("NUL is refused inside strings, after a backslash too, with its offset")
    func nulOffsets() {
        #expect(throws: JSONParseError(offset: 3, reason: "NUL byte in the input")) { try JSON.parse("[\"a\u{0}\"]") }
        #expect(throws: JSONParseError(offset: 3, reason: "NUL byte in the input")) { try JSON.parse("[\"\\\u{0}\"]") }
        #expect(throws: JSONParseError(offset: 1, reason: "unexpected character 'x' outside a string")) {
            try JSON.parse("[x]")
        }
        #expect(throws: JSONParseError(offset: 1, reason: "unexpected character byte 0xc3 outside a string")) {
            try JSON.parse("[é]")
        }
    }

    @Test("parsing bytes and parsing a string give the same value")
    func bytesAndString() throws {
        let text = #"{"a":[1,"b",{"c":null}],"d":false}"#
        #expect(try JSON.parse(text) == JSON.parse(Array(text.utf8)))
    }

    @Test("pretty printing nests arrays in arrays and empty containers")
    func prettyNesting() {
        let value: JSON = ["a": [[1, 2], [], [:]], "b": -1.5]
        let expected = """
            {
                "a": [
                    [
                        1,
                        2
                    ],
                    [],
                    {}
                ],
                "b": -1.5
            }
            """
        #expect(value.pretty() == expected)
        #expect(value.compactBytes() == Array(value.compact().utf8))
    }
}

@Suite("JSON parser state between documents")
struct JSONParserReuseTests {
    @Test("a document refused half-way leaves nothing behind for the next one")
    func afterErrors() throws {
        let broken = [#"{"a":[1,{"b":"#, #"{"a":1,}"#, "[" + String(repeating: "[", count: 100), #"{"k":"v"#, "5"]
        for text in broken {
            _ = try? JSON.parse(text)
            #expect(try JSON.parse(#"{"x":[true,{"y":"z"}]}"#) == ["x": [true, ["y": "z"]]])
            #expect(try JSON.parse("7") == .integer(7))
        }
    }

    @Test("parses on many threads at once give each its own result")
    func concurrent() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let text = #"{"n":\#(index),"s":"\#(String(repeating: "x", count: index))","a":[\#(index),[]]}"#
                    let value = try JSON.parse(text)
                    return value.compact() == text
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}

@Suite("string scanning at every position of a word")
struct JSONStringScanTests {
    @Test("quotes, backslashes, NUL and non-ASCII are found wherever they sit in a long string", arguments: 0..<20)
    func specialAt(_ position: Int) throws {
        let before = String(repeating: "x", count: position)
        let after = String(repeating: "y", count: 19 - position)
        #expect(try JSON.parse(#"["\#(before)\"\#(after)"]"#) == [.string(before + "\"" + after)])
        #expect(try JSON.parse(#"["\#(before)\\\#(after)"]"#) == [.string(before + "\\" + after)])
        #expect(try JSON.parse(#"["\#(before)é\#(after)",1]"#) == [.string(before + "é" + after), 1])
        #expect(throws: JSONParseError(offset: 2 + position, reason: "NUL byte in the input")) {
            try JSON.parse("[\"\(before)\u{0}\(after)\"]")
        }
        #expect(throws: JSONParseError(offset: 2 + position, reason: "invalid utf-8 string")) {
            try JSON.parse(Array("[\"\(before)".utf8) + [0xFF] + Array("\(after)\"]".utf8))
        }
        // The string ends at the quote: what follows is judged outside it.
        #expect(throws: JSONParseError(offset: 3 + position, reason: "unexpected character 'x' outside a string")) {
            try JSON.parse(#"["\#(before)"x\#(after)"]"#)
        }
    }
}

@Suite("JSON output larger than the first buffer")
struct JSONLargeOutputTests {
    @Test("many small values and one value larger than twice the buffer come out whole")
    func growth() throws {
        let words = (0..<1000).map { "w\($0)\t" }
        let value = JSON.array(words.map(JSON.string))
        let expected = "[" + words.map { "\"w\($0.dropFirst().dropLast())\\t\"" }.joined(separator: ",") + "]"
        #expect(value.compact() == expected)
        #expect(value.compactBytes() == Array(expected.utf8))
        #expect(try JSON.parse(value.pretty()) == value)
        let long = String(repeating: "0123456789abcdef", count: 1000)
        #expect(JSON.array([1, .string(long)]).compact() == "[1,\"\(long)\"]")
    }
}

@Suite("string escaping at every position of a word")
struct JSONEscapeScanTests {
    @Test("an escaped byte is found wherever it sits in a long string", arguments: 0..<20)
    func escapeAt(_ position: Int) {
        let before = String(repeating: "x", count: position)
        let after =
            String(repeating: "é", count: (19 - position) / 2) + String(repeating: "y", count: (19 - position) % 2)
        for (raw, escaped) in [
            ("\"", "\\\""), ("\\", "\\\\"), ("\u{1}", "\\u0001"), ("\u{1F}", "\\u001f"), ("\n", "\\n"),
        ] {
            #expect(JSON.string(before + raw + after).compact() == "\"" + before + escaped + after + "\"")
        }
        #expect(JSON.string(before + "\u{7F}ü" + after).compact() == "\"" + before + "\u{7F}ü" + after + "\"")
    }
}

@Suite("paths of members read through JSONFields")
struct JSONFieldPathTests {
    @Test("objects and fields spell the path as the document does, with indexes")
    func paths() throws {
        let document = try JSON.parse(#"{"Outer":{"List":[{"Name":1},{"name":"x"},7]}}"#)
        let outer = try #require(try JSONFields(document, path: "").fields("outer"))
        #expect(outer.path == "Outer")
        #expect(throws: JSONFieldError(path: "Outer.List[2]", message: "expected an object, found a number (7)")) {
            _ = try outer.objects("list")
        }
        let valid = try JSON.parse(#"{"List":[{"Name":1},{"name":"x"}]}"#)
        let listed = try #require(try JSONFields(valid, path: "").objects("list"))
        #expect(listed.map(\.path) == ["List[0]", "List[1]"])
        #expect(throws: JSONFieldError(path: "List[0].Name", message: "expected a string, found a number (1)")) {
            _ = try listed.first?.string("name")
        }
    }

    @Test("paths join at every depth: members of members, elements of elements, under a base path and without one")
    func nestedPaths() throws {
        let text = #"{"A":{"B":{"C":[{"D":[{"E":{"F":true}}],"G":{}}],"H":5}},"":{"":{"x":1}}}"#
        for base in ["", "conf"] {
            let prefix = base.isEmpty ? "" : base + "."
            let root = try JSONFields(JSON.parse(text), path: base)
            let a = try #require(try root.fields("a"))
            let b = try #require(try a.fields("b"))
            #expect(a.path == prefix + "A")
            #expect(b.path == prefix + "A.B")
            #expect(b.path(of: "h") == prefix + "A.B.H")
            #expect(a.path(of: "b") == prefix + "A.B")
            let c = try #require(try b.objects("c"))
            #expect(c.map(\.path) == [prefix + "A.B.C[0]"])
            #expect(c[0].path(of: "d") == prefix + "A.B.C[0].D")
            let d = try #require(try c[0].objects("d"))
            #expect(d[0].path == prefix + "A.B.C[0].D[0]")
            let e = try #require(try d[0].fields("e"))
            #expect(e.path == prefix + "A.B.C[0].D[0].E")
            #expect(
                throws: JSONFieldError(
                    path: prefix + "A.B.C[0].D[0].E.F", message: "expected a string, found a boolean (true)")
            ) {
                _ = try e.string("f")
            }
            #expect(throws: JSONFieldError(path: prefix + "A.B.H", message: "expected an object, found a number (5)")) {
                _ = try b.fields("h")
            }
            #expect(throws: JSONFieldError(path: prefix + "A.B.H", message: "expected an array, found a number (5)")) {
                _ = try b.objects("h")
            }
            #expect(try c[0].fields("g")?.path == prefix + "A.B.C[0].G")
            // Empty keys: the path is built the same way, empty segments and all.
            let empty = try #require(try root.fields(""))
            #expect(empty.path == (base.isEmpty ? "" : base + "."))
            let inner = try #require(try empty.fields(""))
            #expect(inner.path == (base.isEmpty ? "" : base + ".."))
            #expect(inner.path(of: "x") == (base.isEmpty ? "x" : base + "...x"))
        }
    }
}
