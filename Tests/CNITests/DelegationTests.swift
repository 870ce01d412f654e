import CNI
import JSON
import NetAddress
import Platform
import Testing

/// A temporary CNI_PATH directory with shell-script plugins, removed when the test is done.
final class FakePluginDirectory {
    let path = makeTemporaryDirectory()

    func add(_ name: String, script: String, mode: UInt32 = 0o755) {
        writeFile(path + "/" + name, "#!/bin/sh\n" + script + "\n", mode: mode)
    }

    func delegator(timeoutSeconds: Int = 20, extraPath: [String] = [], log: LogSink = LogSink()) -> PluginDelegator {
        PluginDelegator(
            runner: SystemProcessRunner(), path: extraPath + [path],
            environment: ["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_IFNAME=eth0", "PATH=/usr/bin:/bin", "KEEP=me"],
            timeoutSeconds: timeoutSeconds, log: { log.append($0) })
    }

    deinit { removeTree(path) }
}

let delegateStdin = Array(#"{"cniVersion":"0.4.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}"#.utf8)

func delegationFailure(_ body: () throws(CNIError) -> CNIResult?) -> CNIError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("Delegation to other plugins")
struct DelegationTests {
    @Test("an IPAM result is read in its version, with only CNI_COMMAND changed in the environment")
    func success() throws {
        let plugins = FakePluginDirectory()
        plugins.add(
            "fake-ipam",
            script: #"""
                input=$(cat)
                echo "command=$CNI_COMMAND keep=$KEEP container=$CNI_CONTAINERID" >&2
                [ "$input" = '{"cniVersion":"0.4.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}' ] || { echo '{"code":100,"msg":"stdin differs"}'; exit 1; }
                [ "$(env | grep -c '^CNI_COMMAND=')" = 1 ] || { echo '{"code":101,"msg":"CNI_COMMAND twice"}'; exit 1; }
                echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.244.1.5/24","gateway":"10.244.1.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}'
                """#)
        let log = LogSink()
        let result = try plugins.delegator(log: log).delegate("fake-ipam", command: .add, stdin: delegateStdin)
        #expect(result?.cniVersion == "0.4.0")
        #expect(result?.ips == [.init(address: prefix("10.244.1.5/24"), gateway: IPAddress("10.244.1.1"))])
        #expect(result?.routes.count == 1)
        #expect(log.lines.contains { $0.contains("command=ADD keep=me container=c1") })
    }

    @Test("DEL sets CNI_COMMAND=DEL and returns no result")
    func del() throws {
        let plugins = FakePluginDirectory()
        plugins.add(
            "fake-ipam",
            script: #"cat >/dev/null; [ "$CNI_COMMAND" = DEL ] || { echo '{"code":100,"msg":"not DEL"}'; exit 1; }"#)
        #expect(try plugins.delegator().delegate("fake-ipam", command: .del, stdin: delegateStdin) == nil)
    }

    @Test("a result without cniVersion is read in the config's version")
    func unversionedResult() throws {
        let plugins = FakePluginDirectory()
        plugins.add("fake-ipam", script: #"cat >/dev/null; echo '{"ip4":{"ip":"10.0.0.5/24"}}'"#)
        let stdin = Array(#"{"cniVersion":"0.2.0","name":"n","type":"t"}"#.utf8)
        let result = try plugins.delegator().delegate("fake-ipam", command: .add, stdin: stdin)
        #expect(result?.cniVersion == "0.2.0")
        #expect(result?.ips.count == 1)
    }

    @Test("a plugin's error object is passed up with its code, msg and details")
    func errorObject() {
        let plugins = FakePluginDirectory()
        plugins.add(
            "fake-ipam",
            script:
                #"cat >/dev/null; printf '{\n    "code": 7,\n    "msg": "no IP addresses available in range set",\n    "details": "10.244.1.1-10.244.1.254"\n}'; exit 1"#
        )
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator().delegate("fake-ipam", command: .add, stdin: delegateStdin)
        }
        #expect(
            error
                == CNIError(code: 7, msg: "no IP addresses available in range set", details: "10.244.1.1-10.244.1.254"))
    }

    @Test(
        "a failure without a CNI error names the plugin and quotes its output",
        arguments: [
            (#"echo 'panic: runtime error' >&2; echo 'goroutine 1'; exit 2"#, "exit status 2", "panic: runtime error"),
            (#"echo 'killed by the OOM' >&2; exit 1"#, "printed no error", "killed by the OOM"),
            (#"kill -9 $$"#, "exit status 137", "stderr: (empty)"),
        ])
    func garbage(_ script: String, _ inMessage: String, _ inDetails: String) {
        let plugins = FakePluginDirectory()
        plugins.add("fake-ipam", script: script)
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator().delegate("fake-ipam", command: .del, stdin: delegateStdin)
        }
        #expect(error?.code == 999)
        #expect(error?.msg.contains("\"fake-ipam\"") == true)
        #expect(error?.msg.contains(inMessage) == true, "\(String(describing: error))")
        #expect(error?.details.contains(inDetails) == true, "\(String(describing: error))")
    }

    @Test("a successful ADD whose output is not a result is an error naming the plugin")
    func garbageResult() {
        let plugins = FakePluginDirectory()
        plugins.add("fake-ipam", script: #"cat >/dev/null; echo 'all good!'; echo 'warning: x' >&2"#)
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator().delegate("fake-ipam", command: .add, stdin: delegateStdin)
        }
        #expect(error?.code == 999)
        #expect(error?.msg.contains("\"fake-ipam\"") == true)
        #expect(error?.details.contains("warning: x") == true)
    }

    @Test("a plugin that hangs is killed after the timeout with code 11")
    func hang() {
        let plugins = FakePluginDirectory()
        plugins.add("fake-ipam", script: "echo 'waiting' >&2; sleep 30; echo late")
        let start = monotonic()
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator(timeoutSeconds: 1).delegate("fake-ipam", command: .add, stdin: delegateStdin)
        }
        let elapsed = monotonic() - start
        #expect(error?.code == 11)
        #expect(error?.msg.contains("1 seconds") == true)
        #expect(error?.details.contains("waiting") == true)
        #expect(elapsed < 10)
    }

    @Test("a missing plugin is code 7 naming the type and CNI_PATH")
    func missing() {
        let plugins = FakePluginDirectory()
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator().delegate("host-local", command: .add, stdin: delegateStdin)
        }
        #expect(error?.code == 7)
        #expect(error?.msg.contains("\"host-local\"") == true)
        #expect(error?.msg.contains(plugins.path) == true)
    }

    @Test("lookup takes the first directory with an executable regular file of that name")
    func lookupOrder() throws {
        let first = FakePluginDirectory()
        let second = FakePluginDirectory()
        first.add("ipam", script: "exit 0", mode: 0o644)  // not executable: skipped
        _ = try? Files.makeDirectories(first.path + "/dir-ipam", permissions: 0o755)  // a directory: skipped
        second.add("ipam", script: "exit 0")
        second.add("dir-ipam", script: "exit 0")
        let delegator = second.delegator(extraPath: [first.path])
        #expect(try delegator.locate("ipam") == second.path + "/ipam")
        #expect(try delegator.locate("dir-ipam") == second.path + "/dir-ipam")
    }

    @Test("on Windows the .exe name is tried first, then the bare name")
    func executableSuffix() throws {
        let plugins = FakePluginDirectory()
        plugins.add("host-local.exe", script: "exit 0")
        plugins.add("other", script: "exit 0")
        var delegator = plugins.delegator()
        // Windows' suffix with this machine's separators, so the lookup runs against real files.
        delegator.platform = PlatformConventions(
            isWindows: false, pathSeparator: "/", pathListSeparator: ";", executableSuffix: ".exe")
        #expect(try delegator.locate("host-local") == plugins.path + "/host-local.exe")
        #expect(try delegator.locate("other") == plugins.path + "/other")
    }

    @Test(
        "plugin names that could leave CNI_PATH (or name a drive or an NTFS stream) are refused",
        arguments: ["", "../bin/sh", "a/b", #"a\b"#, "..", "a\u{0}b", "C:plugin", "plugin:stream"])
    func invalidName(_ name: String) {
        let plugins = FakePluginDirectory()
        let error = delegationFailure { () throws(CNIError) in
            try plugins.delegator().delegate(name, command: .add, stdin: delegateStdin)
        }
        #expect(error?.code == 7)
        #expect(error?.msg.contains("invalid plugin name") == true)
    }
}

@Suite("The system process runner")
struct ProcessRunnerTests {
    @Test("a megabyte goes through stdin and back without deadlock")
    func largeInput() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let output = try SystemProcessRunner().run("/bin/cat", environment: [], stdin: input, timeoutSeconds: 20)
        #expect(output.status == 0)
        #expect(output.stdout == input)
    }

    @Test("the child gets exactly the given environment, and its exit status")
    func environment() throws {
        let output = try SystemProcessRunner().run(
            "/bin/sh", environment: ["A=1", "B=two words"], stdin: Array("env | sort; exit 3".utf8), timeoutSeconds: 20)
        #expect(output.status == 3)
        #expect(text(output.stdout).split(separator: "\n").filter { $0 == "A=1" || $0 == "B=two words" }.count == 2)
        #expect(!text(output.stdout).contains("HOME="))
    }

    @Test("a child that exits without reading its stdin does not hurt us")
    func unreadStdin() throws {
        let output = try SystemProcessRunner().run(
            "/bin/true", environment: [], stdin: [UInt8](repeating: 65, count: 4 << 20), timeoutSeconds: 20)
        #expect(output.status == 0)
    }

    @Test("a program that cannot be run is a clear error")
    func notRunnable() {
        let result = Result { () throws(CNIError) in
            try SystemProcessRunner().run("/nonexistent/plugin", environment: [], stdin: [], timeoutSeconds: 5)
        }
        guard case .failure(let error) = result else {
            Issue.record("ran a nonexistent program")
            return
        }
        #expect(error.msg.contains("/nonexistent/plugin"))
    }
}

func monotonic() -> Double { ProcessEnvironment.monotonicSeconds() }
