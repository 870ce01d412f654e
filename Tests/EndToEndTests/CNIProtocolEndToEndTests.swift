import JSON
import Platform
import Testing

/// The variables a runtime sets for `command`, all valid.
func runtime(_ command: String, _ changes: [String: String] = [:]) -> [String: String] {
    var variables = [
        "CNI_COMMAND": command, "CNI_CONTAINERID": "6b3c1a2f9e", "CNI_NETNS": "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11",
        "CNI_IFNAME": "eth0", "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
        "CNI_PATH": "/opt/cni/bin", "PATH": "/usr/bin:/bin",
    ]
    for (key, value) in changes { variables[key] = value }
    return variables
}

func bridgeConfig(_ version: String) -> String {
    #"{"cniVersion":"\#(version)","name":"cbr0","type":"win-bridge","ipam":{"type":"host-local","subnet":"10.244.1.0/24"}}"#
}

@Suite("wincni as a runtime runs it: the CNI protocol")
struct CNIProtocolEndToEndTests {
    @Test(
        "VERSION prints cniVersion 1.1.0 and exactly the seven versions", arguments: ["", #"{"cniVersion":"1.0.0"}"#])
    func version(_ stdin: String) throws {
        let output = try WincniProcess.run(["CNI_COMMAND": "VERSION"], stdin: stdin)
        #expect(output.status == 0)
        let document = try JSON.parse(output.stdout)
        #expect(document["cniVersion"] == "1.1.0")
        #expect(document["supportedVersions"] == ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    }

    @Test("without CNI_COMMAND it describes itself on stderr, prints nothing on stdout and exits 0")
    func about() throws {
        let output = try WincniProcess.run(["PATH": "/usr/bin:/bin"], stdin: "")
        #expect(output.status == 0)
        #expect(output.stdout.isEmpty)
        #expect(
            output.stderr.contains("CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        let name: String
        let variables: [String: String]
        let stdin: String
        let code: Int64
        let mentions: [String]
        var testDescription: String { name }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(
            name: "malformed stdin", variables: runtime("ADD"), stdin: #"{"cniVersion":"1.0.0","name":"#,
            code: 6, mentions: ["byte"]),
        ErrorCase(
            name: "stdin that is not an object", variables: runtime("DEL"), stdin: "42", code: 6, mentions: ["object"]),
        ErrorCase(
            name: "stdin over 1 MiB", variables: runtime("ADD"),
            stdin: bridgeConfig("1.0.0") + String(repeating: " ", count: 1_100_000), code: 6, mentions: ["1048576"]),
        ErrorCase(
            name: "unknown command", variables: runtime("REMOVE"), stdin: bridgeConfig("1.0.0"), code: 4,
            mentions: ["REMOVE"]),
        ErrorCase(
            name: "ADD with no container variables", variables: ["CNI_COMMAND": "ADD"], stdin: bridgeConfig("1.0.0"),
            code: 4, mentions: ["CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH"]),
        ErrorCase(
            name: "DEL with empty variables",
            variables: runtime("DEL", ["CNI_CONTAINERID": "", "CNI_IFNAME": "", "CNI_NETNS": ""]),
            stdin: bridgeConfig("1.0.0"), code: 4, mentions: ["CNI_CONTAINERID, CNI_IFNAME"]),
        ErrorCase(
            name: "bad container ID", variables: runtime("ADD", ["CNI_CONTAINERID": "../etc"]),
            stdin: bridgeConfig("1.0.0"), code: 4, mentions: ["CNI_CONTAINERID", "../etc"]),
        ErrorCase(
            name: "interface name too long", variables: runtime("ADD", ["CNI_IFNAME": "eth0123456789012"]),
            stdin: bridgeConfig("1.0.0"), code: 4, mentions: ["CNI_IFNAME"]),
        ErrorCase(
            name: "interface name with a slash", variables: runtime("DEL", ["CNI_IFNAME": "eth/0"]),
            stdin: bridgeConfig("1.0.0"), code: 4, mentions: ["eth/0"]),
        ErrorCase(
            name: "missing network name", variables: runtime("ADD"),
            stdin: #"{"cniVersion":"1.0.0","type":"win-bridge"}"#, code: 7, mentions: ["network name"]),
        ErrorCase(
            name: "invalid network name", variables: runtime("ADD"),
            stdin: #"{"cniVersion":"1.0.0","name":"my net","type":"win-bridge"}"#, code: 7, mentions: ["my net"]),
        ErrorCase(
            name: "unsupported cniVersion", variables: runtime("ADD"), stdin: bridgeConfig("2.0.0"), code: 1,
            mentions: ["2.0.0", "1.1.0"]),
        ErrorCase(
            name: "CHECK with a 0.3.1 config", variables: runtime("CHECK"), stdin: bridgeConfig("0.3.1"), code: 1,
            mentions: ["CHECK"]),
        ErrorCase(
            name: "GC with a 1.0.0 config", variables: runtime("GC"), stdin: bridgeConfig("1.0.0"), code: 1,
            mentions: ["GC"]),
        ErrorCase(
            name: "STATUS with a 1.0.0 config", variables: runtime("STATUS"), stdin: bridgeConfig("1.0.0"), code: 1,
            mentions: ["STATUS"]),
    ]

    @Test("each protocol error prints exactly one JSON error on stdout and exits 1", arguments: errorCases)
    func protocolError(_ testCase: ErrorCase) throws {
        let output = try WincniProcess.run(testCase.variables, stdin: testCase.stdin)
        #expect(output.status == 1)
        // One document: the strict parser refuses anything after it.
        let document = try JSON.parse(output.stdout)
        #expect(document["code"]?.int64Value == testCase.code, "\(output.stdout)")
        #expect(document["cniVersion"]?.stringValue?.isEmpty == false)
        let message = (document["msg"]?.stringValue ?? "") + " " + (document["details"]?.stringValue ?? "")
        for mention in testCase.mentions {
            #expect(message.contains(mention), "\(message)")
        }
    }

    @Test(
        "a CNI_IFNAME or CNI_CONTAINERID that is not UTF-8 is code 4 naming the variable, before HNS is touched",
        arguments: ["CNI_IFNAME", "CNI_CONTAINERID"])
    func nonUTF8Identifier(_ name: String) throws {
        let simulator = try Files.makeTemporaryDirectory(prefix: "wincni-e2e-sim-")
        defer { Files.removeTree(simulator) }
        var variables = runtime("ADD", ["WINCNI_HNS": "sim:\(simulator)/hns"])
        variables[name] = nil
        // "eth" then a lone continuation byte and a byte that never occurs in UTF-8.
        let raw = Array("\(name)=eth".utf8) + [0x80, 0xFF]
        let output = try WincniProcess.run(variables, stdin: bridgeConfig("1.0.0"), rawVariables: [raw])
        #expect(output.status == 1)
        let document = try JSON.parse(output.stdout)
        #expect(document["code"]?.int64Value == 4, "\(output.stdout)")
        #expect(document["msg"]?.stringValue == "\(name) is not valid UTF-8")
        #expect(!Files.exists("\(simulator)/hns"), "HNS was opened")
    }
}
