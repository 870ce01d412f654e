import CNI
import JSON
import NetAddress
import Testing

@Suite("CNI versions and commands")
struct VersionTests {
    @Test("exactly the seven spec versions are supported, 1.1.0 is current")
    func supported() {
        #expect(CNIVersion.supported == ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        #expect(CNIVersion.current == "1.1.0")
    }

    @Test(
        "versions compare numerically",
        arguments: [
            ("0.3.1", "0.4.0", -1), ("1.1.0", "1.0.0", 1), ("0.10.0", "0.9.0", 1), ("1.1.0", "1.1.0", 0),
            ("0.4.0", "0.3.1", 1),
        ])
    func compare(_ a: String, _ b: String, _ expected: Int) {
        #expect(CNIVersion.compare(a, b) == expected)
    }

    @Test(
        "malformed versions do not compare", arguments: ["", "1.0", "1.0.0.0", "v1.0.0", "1.x.0", "1..0", "1.0.0-rc1"])
    func malformed(_ version: String) {
        #expect(CNIVersion.compare(version, "1.0.0") == nil)
        #expect(!CNIVersion.isAtLeast(version, "0.1.0"))
    }

    @Test("VERSION prints 1.1.0 and the supported list, compact with a newline, even without stdin")
    func versionCommand() throws {
        for stdin in ["", #"{"cniVersion":"0.3.1"}"#, "garbage"] {
            let output = CNIDispatcher.run(
                NotImplementedPlugin(name: "t"), environment: testEnvironment(["CNI_COMMAND": "VERSION"], stdin: stdin),
                about: "")
            #expect(output.exitCode == 0)
            #expect(
                text(output.stdout)
                    == #"{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#
                    + "\n")
        }
    }

    @Test("no CNI_COMMAND prints the about text to stderr, nothing to stdout, and succeeds")
    func about() {
        let log = LogSink()
        let output = CNIDispatcher.run(
            NotImplementedPlugin(name: "t"), environment: testEnvironment(["CNI_COMMAND": ""], log: log),
            about: "wincni test build")
        #expect(output.exitCode == 0)
        #expect(output.stdout.isEmpty)
        #expect(log.lines.first == "wincni test build")
        #expect(log.lines.last == "CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0")
    }

    @Test("an unknown command is code 4 naming it", arguments: ["FOO", "add", "VERSIONS"])
    func unknownCommand(_ command: String) throws {
        let output = CNIDispatcher.run(
            NotImplementedPlugin(name: "t"), environment: testEnvironment(["CNI_COMMAND": command]), about: "")
        let error = try errorDocument(output)
        #expect(output.exitCode == 1)
        #expect(error.code == 4)
        #expect(error.msg.contains("\"\(command)\""))
        #expect(error.details?.contains("ADD, DEL, CHECK, VERSION, GC, STATUS") == true)
    }

    struct VersionRuleCase: CustomTestStringConvertible, Sendable {
        let command: String
        let version: String?
        let allowed: Bool
        var testDescription: String { "\(command) with \(version ?? "no cniVersion")" }
    }

    static let versionRules: [VersionRuleCase] =
        [
            VersionRuleCase(command: "CHECK", version: "0.3.1", allowed: false),
            VersionRuleCase(command: "CHECK", version: "0.4.0", allowed: true),
            VersionRuleCase(command: "CHECK", version: nil, allowed: false),
            VersionRuleCase(command: "GC", version: "1.0.0", allowed: false),
            VersionRuleCase(command: "GC", version: "1.1.0", allowed: true),
            VersionRuleCase(command: "STATUS", version: "1.0.0", allowed: false),
            VersionRuleCase(command: "STATUS", version: "0.4.0", allowed: false),
            VersionRuleCase(command: "STATUS", version: "1.1.0", allowed: true),
            VersionRuleCase(command: "ADD", version: nil, allowed: true),
            VersionRuleCase(command: "DEL", version: "0.1.0", allowed: true),
        ]

    @Test("commands newer than the config's version are code 1", arguments: versionRules)
    func versionRule(_ testCase: VersionRuleCase) throws {
        let stdin =
            testCase.version.map { config($0) } ?? #"{"name":"cbr0","type":"win-bridge"}"#
        let output = CNIDispatcher.run(
            RecordingPlugin(), environment: testEnvironment(runtimeVariables(testCase.command), stdin: stdin), about: ""
        )
        if testCase.allowed {
            #expect(output.exitCode == 0)
        } else {
            let error = try errorDocument(output)
            #expect(error.code == 1)
            #expect(error.msg.contains(testCase.command))
            #expect(error.cniVersion == (testCase.version ?? "0.1.0"))
        }
    }

    @Test(
        "a cniVersion that is not string-equal to a supported one is code 1",
        arguments: ["9.9.9", "1.1", "1.0", "v1.0.0", "0.3.2", " 1.0.0"])
    func unsupportedVersion(_ version: String) throws {
        let output = CNIDispatcher.run(
            NotImplementedPlugin(name: "t"),
            environment: testEnvironment(runtimeVariables("ADD"), stdin: config(version)),
            about: "")
        let error = try errorDocument(output)
        #expect(error.code == 1)
        #expect(error.cniVersion == "1.1.0")
        #expect(error.msg.contains(#""\#(version)""#))
        #expect(error.details?.contains("0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0") == true)
    }
}

/// A plugin that succeeds and remembers nothing; ADD answers a fixed result.
struct RecordingPlugin: CNIPlugin {
    var result = CNIResult(ips: [
        CNIResult.IPConfig(address: prefix("10.0.0.5/24"))
    ])
    func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult { result }
    func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {}
    func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {}
    func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {}
    func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {}
}
