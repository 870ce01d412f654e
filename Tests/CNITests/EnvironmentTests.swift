import CNI
import Testing

@Suite("CNI_* environment variables")
struct EnvironmentTests {
    struct MissingCase: CustomTestStringConvertible, Sendable {
        let name: String
        let command: String
        let set: [String: String]
        let missing: [String]
        var testDescription: String { name }
    }

    static let missingCases: [MissingCase] = [
        MissingCase(
            name: "ADD with nothing", command: "ADD", set: [:],
            missing: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]),
        MissingCase(
            name: "CHECK without netns and path", command: "CHECK",
            set: ["CNI_CONTAINERID": "c1", "CNI_IFNAME": "eth0"], missing: ["CNI_NETNS", "CNI_PATH"]),
        MissingCase(
            name: "DEL does not need CNI_NETNS", command: "DEL", set: [:],
            missing: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]),
        MissingCase(
            name: "empty values count as unset", command: "ADD",
            set: ["CNI_CONTAINERID": "", "CNI_NETNS": "ns", "CNI_IFNAME": "", "CNI_PATH": "/opt/cni/bin"],
            missing: ["CNI_CONTAINERID", "CNI_IFNAME"]),
        MissingCase(
            name: "GC needs only CNI_PATH", command: "GC", set: ["CNI_CONTAINERID": "x"], missing: ["CNI_PATH"]),
        MissingCase(name: "STATUS needs only CNI_PATH", command: "STATUS", set: [:], missing: ["CNI_PATH"]),
    ]

    @Test("every missing variable is named in one code-4 error", arguments: missingCases)
    func missing(_ testCase: MissingCase) throws {
        var variables = testCase.set
        variables["CNI_COMMAND"] = testCase.command
        let output = CNIDispatcher.run(
            NotImplementedPlugin(name: "t"), environment: testEnvironment(variables, stdin: config()), about: "")
        #expect(output.exitCode == 1)
        let error = try errorDocument(output)
        #expect(error.code == 4)
        #expect(error.msg.hasSuffix(": " + testCase.missing.joined(separator: ", ")))
        for name in ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"] where !testCase.missing.contains(name) {
            #expect(!error.msg.contains(name))
        }
    }

    @Test("DEL without CNI_NETNS passes validation and has no netns")
    func delWithoutNetns() throws {
        var variables = runtimeVariables("DEL")
        variables["CNI_NETNS"] = nil
        let request = try CNIDispatcher.makeRequest(
            .del, config: try NetworkConfig.decode(Array(config().utf8)), environment: testEnvironment(variables))
        #expect(request.netns == nil)
        #expect(request.containerID == "0123abcd")
        #expect(request.ifname == "eth0")
    }

    @Test(
        "container IDs follow the spec's syntax",
        arguments: [
            ("0123abcd", true), ("a", true), ("Z9_.-x", true),
            ("k8s_POD_web-0_default_0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7_0", true),
            ("", false), ("-abc", false), ("_abc", false), (".abc", false), ("a b", false), ("a/b", false),
            ("a:b", false), ("é", false), ("abc\n", false),
        ])
    func containerID(_ id: String, _ valid: Bool) {
        let result = Result { () throws(CNIError) in try CNIParameters.validateContainerID(id) }
        switch result {
        case .success: #expect(valid)
        case .failure(let error):
            #expect(!valid)
            #expect(error.code == 4)
            #expect(error.msg.contains("CNI_CONTAINERID"))
        }
    }

    @Test(
        "interface names follow Linux's rules",
        arguments: [
            ("eth0", true), ("a", true), ("123456789012345", true), ("vEthernet-x.1", true),
            ("", false), ("1234567890123456", false), (".", false), ("..", false), ("a/b", false), ("a:b", false),
            ("a b", false), ("a\tb", false), ("eth\u{2003}0", false),
        ])
    func interfaceName(_ name: String, _ valid: Bool) {
        let result = Result { () throws(CNIError) in try CNIParameters.validateInterfaceName(name) }
        switch result {
        case .success: #expect(valid)
        case .failure(let error):
            #expect(!valid)
            #expect(error.code == 4)
            #expect(error.msg.contains("CNI_IFNAME"))
        }
    }

    struct ArgsCase: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String?
        let pairs: [String]?  // "K=V" each; nil = error
        var testDescription: String { name }
    }

    static let argsCases: [ArgsCase] = [
        ArgsCase(name: "unset", input: nil, pairs: []),
        ArgsCase(name: "empty", input: "", pairs: []),
        ArgsCase(
            name: "kubelet's pod arguments",
            input: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc",
            pairs: [
                "IgnoreUnknown=1", "K8S_POD_NAMESPACE=default", "K8S_POD_NAME=web-0", "K8S_POD_INFRA_CONTAINER_ID=abc",
            ]),
        ArgsCase(name: "empty value", input: "IP=", pairs: ["IP="]),
        ArgsCase(name: "trailing separator", input: "A=1;", pairs: ["A=1"]),
        ArgsCase(name: "value with '=' (Go's LoadArgs: an invalid pair)", input: "A=b=c", pairs: nil),
        ArgsCase(name: "pair without '='", input: "A=1;oops", pairs: nil),
        ArgsCase(name: "empty key", input: "=1", pairs: nil),
    ]

    @Test("CNI_ARGS is parsed into ordered pairs", arguments: argsCases)
    func args(_ testCase: ArgsCase) {
        let result = Result { () throws(CNIError) in try CNIParameters.parseArgs(testCase.input) }
        switch result {
        case .success(let pairs):
            #expect(pairs == testCase.pairs)
        case .failure(let error):
            #expect(testCase.pairs == nil)
            #expect(error.code == 4)
            #expect(error.msg.contains("CNI_ARGS"))
        }
    }

    @Test("a bad CNI_ARGS pair fails ADD with code 4 naming it")
    func badArgsOnAdd() throws {
        var variables = runtimeVariables("ADD")
        variables["CNI_ARGS"] = "K8S_POD_NAME=x;garbage"
        let output = CNIDispatcher.run(
            NotImplementedPlugin(name: "t"), environment: testEnvironment(variables, stdin: config()), about: "")
        let error = try errorDocument(output)
        #expect(error.code == 4)
        #expect(error.msg.contains("\"garbage\""))
    }

    @Test("the request keeps CNI_ARGS, and arg() finds the last value")
    func requestArgs() throws {
        var variables = runtimeVariables("ADD")
        variables["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=a;K8S_POD_NAME=b"
        let request = try CNIDispatcher.makeRequest(
            .add, config: try NetworkConfig.decode(Array(config().utf8)), environment: testEnvironment(variables))
        #expect(request.args.count == 3)
        #expect(request.arg("IgnoreUnknown") == "1")
        #expect(request.arg("K8S_POD_NAME") == "b")
        #expect(request.arg("missing") == nil)
    }

    @Test(
        "CNI_PATH splits on the platform's separator",
        arguments: [
            (CNIPlatform.posix, "/opt/cni/bin:/usr/lib/cni", ["/opt/cni/bin", "/usr/lib/cni"]),
            (CNIPlatform.posix, "/a::/b:", ["/a", "/b"]),
            (CNIPlatform.windows, #"C:\opt\cni\bin;D:\cni"#, [#"C:\opt\cni\bin"#, #"D:\cni"#]),
        ])
    func pathSplit(_ platform: CNIPlatform, _ value: String, _ expected: [String]) {
        var environment = testEnvironment(["CNI_PATH": value])
        environment.platform = platform
        #expect(environment.pluginPath == expected)
    }

    @Test("value() treats empty as unset and takes the first definition")
    func valueLookup() {
        let environment = CNIEnvironment(
            variables: ["CNI_NETNS=", "CNI_IFNAME=eth0", "CNI_IFNAME=eth1", "CNI_IFNAMEX=no", "A=b=c"],
            readStdin: { () throws(CNIError) -> [UInt8] in [] }, runner: NoProcessRunner())
        #expect(environment.value("CNI_NETNS") == nil)
        #expect(environment.value("CNI_IFNAME") == "eth0")
        #expect(environment.value("CNI_IFNAM") == nil)
        #expect(environment.value("A") == "b=c")
        #expect(environment.value("MISSING") == nil)
        #expect(
            environment.variables(setting: "CNI_IFNAME", to: "x") == [
                "CNI_NETNS=", "CNI_IFNAMEX=no", "A=b=c", "CNI_IFNAME=x",
            ])
    }
}
