import Platform
import Testing

/// The plugin runs as SYSTEM/root with values a pod spec or a runtime controls: nothing it does may reach outside
/// its directories, leave readable state, run anything but the named plugin from CNI_PATH, or log secrets.
@Suite("Security: paths stay inside their directories, private modes, exec only from CNI_PATH, no secrets in logs")
struct SecurityTests {
    /// A file outside every data directory that a traversal would hit.
    private func victim(_ node: TestNode) throws -> String {
        let path = node.root + "/victim"
        try FileTree.write(path, "precious")
        return path
    }

    @Test(
        "a container ID or sandbox ID that could leave the data directory is refused by every command",
        .enabled(if: PluginAvailability.isWired),
        arguments: [
            ("CNI_CONTAINERID", "../victim"), ("CNI_CONTAINERID", "..%2Fvictim/.."), ("CNI_CONTAINERID", #"..\victim"#),
            ("CNI_CONTAINERID", "C:victim"), ("CNI_NETNS", "container:../victim"),
            ("CNI_NETNS", #"container:..\victim"#),
            ("CNI_NETNS", "container:/etc/passwd"), ("CNI_NETNS", "container:.."), ("CNI_NETNS", "container:C:victim"),
        ])
    func traversal(_ variable: String, _ value: String) throws {
        let node = try TestNode()
        let target = try victim(node)
        try FileTree.makeDirectory(node.flannelDataDir)
        let pod = try node.pod("traversal")
        let before = node.snapshot()
        for command in ["ADD", "CHECK", "DEL"] {
            let output = try node.run("flannel", command, pod, config: node.flannelConfig(), [variable: value])
            #expect(output.status == 1, "\(command) with \(variable)=\(value) succeeded: \(output.stdout)")
            #expect(CNIErrorOutput(output)?.code == 4, "\(command): \(output.stdout)")
        }
        #expect(FileTree.text(target) == "precious")
        #expect(FileTree.list(node.root).sorted() == ["flannel", "hns", "subnet.env", "victim"])
        #expect(before.differences(to: node.snapshot()).isEmpty)
    }

    @Test(
        "a network name that could leave a directory is refused before any file is touched",
        arguments: ["../victim", "..", #"..\victim"#, "C:victim", "a/../../victim"])
    func networkName(_ name: String) throws {
        let node = try TestNode()
        let target = try victim(node)
        let pod = try node.pod("netname")
        let escaped = name.replacingAll(#"\"#, #"\\"#)
        let config =
            #"{"cniVersion":"1.1.0","name":"\#(escaped)","type":"win-bridge","ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDataDir)"}}"#
        for command in ["ADD", "DEL", "GC"] {
            let output = try node.run("wincni", command, command == "GC" ? nil : pod, config: config)
            #expect(CNIErrorOutput(output)?.code == 7, "\(command): \(output.stdout)")
        }
        #expect(FileTree.text(target) == "precious")
        #expect(!FileTree.exists(node.ipamDataDir))
    }

    @Test("what the plugin creates is private: directories 0700, files 0600", .enabled(if: PluginAvailability.isWired))
    func modes() throws {
        let node = try TestNode()
        let pod = try node.pod("modes")
        let logFile = node.root + "/wincni.log"
        let saved = Files.setCreationMask(0)
        defer { Files.setCreationMask(saved) }
        let flannel = try node.run(
            "flannel", "ADD", pod, config: node.flannelConfig(extra: #""logFile":"\#(logFile)""#))
        #expect(flannel.status == 0, "\(flannel.stdout)")
        // Another node: two host-local stores on one network would hand out the same address.
        let other = try TestNode()
        let direct = try other.run(
            "win-bridge", "ADD", try other.pod("direct"), config: other.directConfig(extra: #""logFile":"\#(logFile)""#)
        )
        #expect(direct.status == 0, "\(direct.stdout)")

        var checked = 0
        for root in [node.flannelDataDir, node.flannelStore, other.ipamDataDir] {
            for (path, entry) in Snapshot([root]).entries {
                let permissions = entry.mode & 0o7777
                if entry.kind == .directory {
                    #expect(permissions == 0o700, "\(path) is \(String(permissions, radix: 8))")
                } else {
                    #expect(permissions == 0o600, "\(path) is \(String(permissions, radix: 8))")
                }
                checked += 1
            }
        }
        #expect(checked >= 8)
        #expect(FileTree.mode(logFile).map { $0 & 0o7777 } == 0o600)
    }

    /// A stand-in IPAM plugin that records how it was run.
    private func fakeIPAM(in directory: String, record: String) throws {
        let script = """
            #!/bin/sh
            echo "$0|$#|$CNI_COMMAND|$CNI_CONTAINERID" >> \(record)
            cat > /dev/null
            if [ "$CNI_COMMAND" = ADD ]; then
              printf '{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.77/24","gateway":"10.244.1.1"}]}'
            fi
            """
        try FileTree.write(directory + "/fake-ipam", script, mode: 0o755)
    }

    @Test(
        "an IPAM plugin is exec'd from CNI_PATH, by its absolute path, with no arguments and no shell",
        .enabled(if: PluginAvailability.isWired))
    func delegation() throws {
        let node = try TestNode()
        let plugins = node.root + "/plugins"
        try FileTree.makeDirectory(plugins, mode: 0o755)
        let record = node.root + "/record"
        try fakeIPAM(in: plugins, record: record)
        let pod = try node.pod("delegated")
        let config = node.directConfig().replacingAll(
            #"{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDataDir)"}"#,
            #"{"type":"fake-ipam"}"#)
        let path = "/nonexistent:" + plugins + ":" + (Binaries.directory ?? "")

        let added = try node.run("win-bridge", "ADD", pod, config: config, ["CNI_PATH": path])
        #expect(added.status == 0, "\(added.stdout) \(added.stderr)")
        #expect(resultAddress(added) == "10.244.1.77")
        let deleted = try node.run("win-bridge", "DEL", pod, config: config, ["CNI_PATH": path])
        #expect(deleted.status == 0, "\(deleted.stdout)")
        let lines = (FileTree.text(record) ?? "").split(separator: "\n").map(String.init)
        #expect(lines == ["\(plugins)/fake-ipam|0|ADD|delegated", "\(plugins)/fake-ipam|0|DEL|delegated"])
        #expect(node.leftovers().isEmpty)
    }

    @Test(
        "a plugin on PATH but not in CNI_PATH, or a type with shell syntax, is never run",
        .enabled(if: PluginAvailability.isWired),
        arguments: [
            "fake-ipam", "fake-ipam;touch PWNED", "$(touch PWNED)", "fake-ipam && touch PWNED", "`touch PWNED`",
        ])
    func noShell(_ type: String) throws {
        let node = try TestNode()
        let plugins = node.root + "/plugins"
        try FileTree.makeDirectory(plugins, mode: 0o755)
        let record = node.root + "/record"
        try fakeIPAM(in: plugins, record: record)
        let pod = try node.pod("shell")
        let config = node.directConfig().replacingAll(
            #"{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDataDir)"}"#, #"{"type":"\#(type)"}"#
        )
        // The fake plugin is on PATH only; the working directory is where PWNED would appear.
        let output = try node.run(
            "win-bridge", "ADD", pod, config: config,
            ["PATH": plugins + ":/usr/bin:/bin", "CNI_PATH": Binaries.directory ?? "/opt/cni/bin"])
        #expect(CNIErrorOutput(output)?.code == 7, "\(output.stdout)")
        #expect(!FileTree.exists(record), "the plugin ran")
        #expect(!FileTree.exists("PWNED") && !FileTree.exists(node.root + "/PWNED"))
        #expect(node.leftovers().isEmpty)
    }

    @Test(
        "secrets and the whole config stay out of stderr and the log file at the default level",
        .enabled(if: PluginAvailability.isWired))
    func noSecretsInLogs() throws {
        let node = try TestNode()
        let logFile = node.root + "/wincni.log"
        let secret = "s3cr3t-Tok3n-9f8e7d"
        let extra =
            #""logFile":"\#(logFile)","token":"\#(secret)","args":{"cni":{"password":"\#(secret)"}},"#
            + #""runtimeConfig":{"bearer":"\#(secret)"}"#
        let pod = try node.pod("secrets")
        var outputs: [ProcessOutput] = []
        for flavor in Flavor.allCases {
            let config =
                flavor == .direct
                ? node.directConfig(version: "1.1.0", extra: extra)
                : node.flannelConfig(version: "1.1.0", delegateExtra: #""token":"\#(secret)""#, extra: extra)
            let binary = flavor.binary(node)
            for command in ["ADD", "CHECK", "DEL"] {
                outputs.append(try node.run(binary, command, pod, config: config))
            }
            // A failing ADD too: errors are where configs tend to get dumped.
            outputs.append(try node.run(binary, "ADD", pod, config: config, ["CNI_NETNS": TestNode.randomGUID()]))
        }
        let log = FileTree.text(logFile) ?? ""
        #expect(!log.isEmpty, "the log file was not written")
        for output in outputs {
            #expect(!output.stderr.contains(secret), "stderr: \(output.stderr)")
            #expect(!output.stderr.contains(node.ipamDataDir + "\"}"), "stderr shows the config: \(output.stderr)")
        }
        #expect(!log.contains(secret), "log file: \(log)")
        #expect(!log.contains("\"ipam\""), "the log file holds the config: \(log)")
    }
}
