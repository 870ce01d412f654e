import CNI
import JSON
import NetAddress
import Testing

/// A plugin that throws a fixed error for every command.
struct FailingPlugin: CNIPlugin {
    let error: CNIError
    func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult { throw error }
    func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw error }
    func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw error }
    func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw error }
    func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { throw error }
}

/// A plugin that checks the request it gets and fails with code 100 when something is off.
struct AssertingPlugin: CNIPlugin {
    let expect: @Sendable (CNIRequest) -> String?
    func verify(_ request: CNIRequest) throws(CNIError) {
        if let problem = expect(request) { throw CNIError(code: 100, msg: problem) }
    }
    func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult {
        try verify(request)
        return CNIResult(ips: [.init(address: prefix("10.244.1.5/24"), gateway: IPAddress("10.244.1.2"))])
    }
    func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { try verify(request) }
    func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { try verify(request) }
    func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { try verify(request) }
    func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) { try verify(request) }
}

@Suite("The dispatcher")
struct DispatcherTests {
    @Test(
        "ADD prints the plugin's result in the config's version, pretty, no trailing newline",
        arguments: CNIVersion.supported)
    func addResult(_ version: String) throws {
        let output = CNIDispatcher.run(
            AssertingPlugin { _ in nil }, environment: testEnvironment(runtimeVariables("ADD"), stdin: config(version)),
            about: "")
        #expect(output.exitCode == 0)
        let document = try JSON.parse(output.stdout)
        #expect(document["cniVersion"] == .string(version))
        #expect(text(output.stdout).hasPrefix("{\n    \"cniVersion\": "))
        #expect(output.stdout.last == UInt8(ascii: "}"))
    }

    @Test("DEL, CHECK, GC and STATUS print nothing on success", arguments: ["DEL", "CHECK", "GC", "STATUS"])
    func silentSuccess(_ command: String) {
        let output = CNIDispatcher.run(
            AssertingPlugin { _ in nil }, environment: testEnvironment(runtimeVariables(command), stdin: config()),
            about: "")
        #expect(output.exitCode == 0)
        #expect(output.stdout.isEmpty)
    }

    @Test("the request carries the validated parameters and the decoded config")
    func request() {
        var variables = runtimeVariables("ADD")
        variables["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=web"
        variables["CNI_PATH"] = "/opt/cni/bin:/usr/lib/cni"
        let output = CNIDispatcher.run(
            AssertingPlugin { request in
                if request.command != .add { return "command \(request.command)" }
                if request.containerID != "0123abcd" { return "containerID" }
                if request.netns != "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11" { return "netns" }
                if request.ifname != "eth0" { return "ifname" }
                if request.arg("K8S_POD_NAME") != "web" { return "args" }
                if request.path != ["/opt/cni/bin", "/usr/lib/cni"] { return "path \(request.path)" }
                if request.config.name != "cbr0" { return "config" }
                if !request.environment.contains("CNI_IFNAME=eth0") { return "environment" }
                return nil
            }, environment: testEnvironment(variables, stdin: config()), about: "")
        #expect(output.exitCode == 0, "\(text(output.stdout))")
    }

    @Test("GC and STATUS get no container parameters even when they are set")
    func gcRequest() {
        let output = CNIDispatcher.run(
            AssertingPlugin { request in
                request.containerID == nil && request.ifname == nil && request.netns == nil ? nil : "container set"
            }, environment: testEnvironment(runtimeVariables("GC"), stdin: config()), about: "")
        #expect(output.exitCode == 0)
    }

    @Test(
        "a plugin's error is printed as the spec's error object with the config's version",
        arguments: [
            (
                CNIError(
                    code: 7, msg: "Invalid Configuration", details: "Network 192.168.0.0/31 too small to allocate from."
                ),
                #"{"cniVersion":"0.4.0","code":7,"msg":"Invalid Configuration","details":"Network 192.168.0.0/31 too small to allocate from."}"#
            ),
            (CNIError(.tryAgainLater, "HNS is busy"), #"{"cniVersion":"0.4.0","code":11,"msg":"HNS is busy"}"#),
            (
                CNIError(code: 4242, msg: "plugin specific"),
                #"{"cniVersion":"0.4.0","code":4242,"msg":"plugin specific"}"#
            ),
        ])
    func pluginError(_ error: CNIError, _ expected: String) throws {
        for command in ["ADD", "DEL", "CHECK"] {
            let output = CNIDispatcher.run(
                FailingPlugin(error: error),
                environment: testEnvironment(runtimeVariables(command), stdin: config("0.4.0")),
                about: "")
            #expect(output.exitCode == 1)
            #expect(try JSON.parse(output.stdout).compact() == expected)
        }
    }

    @Test("the error object is pretty-printed like Go's types.Error")
    func errorLayout() {
        let output = CNIDispatcher.run(
            FailingPlugin(error: CNIError(.internalError, "boom", details: "more")),
            environment: testEnvironment(runtimeVariables("DEL"), stdin: config("1.0.0")), about: "")
        #expect(
            text(output.stdout) == """
                {
                    "cniVersion": "1.0.0",
                    "code": 999,
                    "msg": "boom",
                    "details": "more"
                }
                """)
    }

    struct CodeCase: CustomTestStringConvertible, Sendable {
        let name: String
        let variables: [String: String]
        let stdin: String
        let code: Int64
        let cniVersion: String
        let mentions: String
        var testDescription: String { name }
    }

    static let codeCases: [CodeCase] = {
        let add = runtimeVariables("ADD")
        var badID = add
        badID["CNI_CONTAINERID"] = "-bad id"
        var badIfname = add
        badIfname["CNI_IFNAME"] = "eth0:1"
        var noPath = add
        noPath["CNI_PATH"] = ""
        return [
            CodeCase(
                name: "unknown command", variables: ["CNI_COMMAND": "ATTACH"], stdin: config(), code: 4,
                cniVersion: "1.1.0", mentions: "ATTACH"),
            CodeCase(
                name: "missing CNI_PATH", variables: noPath, stdin: config("0.3.1"), code: 4, cniVersion: "1.1.0",
                mentions: "CNI_PATH"),
            CodeCase(
                name: "bad container ID", variables: badID, stdin: config("0.3.1"), code: 4, cniVersion: "0.3.1",
                mentions: "-bad id"),
            CodeCase(
                name: "bad interface name", variables: badIfname, stdin: config("0.3.1"), code: 4,
                cniVersion: "0.3.1", mentions: "eth0:1"),
            CodeCase(
                name: "malformed stdin", variables: add, stdin: "{\"cniVersion\":", code: 6, cniVersion: "1.1.0",
                mentions: "byte"),
            CodeCase(name: "empty stdin", variables: add, stdin: "", code: 6, cniVersion: "1.1.0", mentions: "empty"),
            CodeCase(
                name: "missing name keeps the config's version", variables: add,
                stdin: #"{"cniVersion":"0.4.0","type":"t"}"#, code: 7, cniVersion: "0.4.0", mentions: "network name"),
            CodeCase(
                name: "bad name", variables: add, stdin: #"{"cniVersion":"1.0.0","name":"a b","type":"t"}"#, code: 7,
                cniVersion: "1.0.0", mentions: "a b"),
            CodeCase(
                name: "unsupported version", variables: add, stdin: config("0.5.0"), code: 1, cniVersion: "1.1.0",
                mentions: "0.5.0"),
            CodeCase(
                name: "CHECK on 0.3.1", variables: runtimeVariables("CHECK"), stdin: config("0.3.1"), code: 1,
                cniVersion: "0.3.1", mentions: "CHECK"),
            CodeCase(
                name: "GC on 1.0.0", variables: runtimeVariables("GC"), stdin: config("1.0.0"), code: 1,
                cniVersion: "1.0.0", mentions: "GC"),
            CodeCase(
                name: "STATUS on 1.0.0", variables: runtimeVariables("STATUS"), stdin: config("1.0.0"), code: 1,
                cniVersion: "1.0.0", mentions: "STATUS"),
        ]
    }()

    @Test("every protocol check fails with its code and one JSON error", arguments: codeCases)
    func codes(_ testCase: CodeCase) throws {
        let output = CNIDispatcher.run(
            AssertingPlugin { _ in "the plugin must not be called" },
            environment: testEnvironment(testCase.variables, stdin: testCase.stdin), about: "")
        #expect(output.exitCode == 1)
        let error = try errorDocument(output)
        #expect(error.code == testCase.code)
        #expect(error.cniVersion == testCase.cniVersion)
        #expect(error.msg.contains(testCase.mentions), "\(error.msg)")
    }

    @Test("an unreadable stdin is code 5")
    func stdinFailure() throws {
        let environment = CNIEnvironment(
            variables: runtimeVariables("ADD").map { "\($0.key)=\($0.value)" },
            readStdin: { () throws(CNIError) -> [UInt8] in throw CNIError(.ioFailure, "error reading stdin: EIO") },
            runner: NoProcessRunner())
        let output = CNIDispatcher.run(AssertingPlugin { _ in nil }, environment: environment, about: "")
        #expect(try errorDocument(output).code == 5)
    }

    @Test("a result that cannot be printed in the config's version becomes an error, not bad output")
    func unprintable() throws {
        let output = CNIDispatcher.run(
            RecordingPlugin(result: CNIResult()),
            environment: testEnvironment(runtimeVariables("ADD"), stdin: config("0.2.0")),
            about: "")
        #expect(output.exitCode == 1)
        #expect(try errorDocument(output).code == 1)
    }

    @Test("CNIError.parse reads Go plugins' error objects")
    func parseError() throws {
        #expect(
            CNIError.parse(
                try JSON.parse(#"{"code": 4, "msg": "invalid characters in containerID", "details": "bad id"}"#))
                == CNIError(code: 4, msg: "invalid characters in containerID", details: "bad id"))
        #expect(
            CNIError.parse(try JSON.parse(#"{"cniVersion":"1.1.0","code":50,"msg":"x"}"#))
                == CNIError(code: 50, msg: "x"))
        #expect(CNIError.parse(try JSON.parse(#"{"ips":[]}"#)) == nil)
        #expect(CNIError.parse(try JSON.parse(#"{"code":"4","msg":"x"}"#)) == nil)
        #expect(CNIError.parse(try JSON.parse(#"[1]"#)) == nil)
    }
}
