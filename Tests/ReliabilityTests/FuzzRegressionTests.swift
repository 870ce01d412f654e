import JSON
import Testing
import WinCNIFuzz

/// What the fuzzer found (scripts/fuzz.sh), kept: each input it reported is a file in Fixtures/fuzz-crashes/ and
/// goes through the same entry point again; the bug behind it has its own test below.
@Suite("Inputs the fuzzer found stay fixed")
struct FuzzRegressionTests {
    static let directory: String = {
        let file = #filePath
        guard let slash = file.lastIndex(of: "/") else { return "Fixtures/fuzz-crashes" }
        return String(file[..<slash]) + "/Fixtures/fuzz-crashes"
    }()

    static let inputs: [String] = FileTree.list(directory)

    @Test(
        "every input the fuzzer reported replays through the fuzz entry point without breaking an invariant",
        arguments: inputs)
    func replay(_ name: String) throws {
        let bytes = try #require(try FileTree.read(Self.directory + "/" + name))
        #expect(FuzzEntry.violations(bytes).isEmpty)
    }

    @Test("there is a fixture for every finding")
    func fixtures() {
        #expect(Self.inputs.count >= 1)
    }

    /// Found by the fuzzer as "5.": json-c's strict mode takes a decimal point with no digit after it.
    @Test(
        "JSON refuses a decimal point with no digit after it, as Go does",
        arguments: ["5.", "[5.]", #"{"mtu":1450.}"#, "-1.e5", "0."])
    func decimalPoint(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test("JSON still takes every number form Go takes", arguments: ["5.0", "-0.5e-3", "1E+2", "0", "-0", "1.5"])
    func numbers(_ text: String) throws {
        _ = try JSON.parse(text)
    }
}

/// Found while triaging the fuzzer's "5." (json-c's number reader, probed directly): numbers that JSON cannot
/// hold in a double or a 64-bit integer were taken silently (1e999 became infinity and was printed back as null;
/// huge integers were clamped). Go refuses 1e999 and keeps 1e23 as a float64.
@Suite("JSON numbers beyond 64 bits")
struct JSONNumberLimitTests {
    @Test(
        "a number too large for a double is refused, not turned into infinity",
        arguments: ["1e999", "[-1e999]", #"{"mtu":1e400}"#])
    func infinity(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test(
        "an integer beyond 64 bits is refused or kept as a double, never clamped",
        arguments: ["36893488147419103232", "99999999999999999999999", "-99999999999999999999999"])
    func clamped(_ text: String) {
        guard let value = try? JSON.parse(text) else { return }
        #expect(value.doubleValue == Double(text), "\(text) became \(value.compact())")
    }
}
