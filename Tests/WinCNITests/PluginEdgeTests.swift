import CNI
import HCN
import HNSSimulator
import JSON
import NetAddress
import Platform
import Testing

@testable import WinCNI

@Suite("Plugin edge cases", .serialized)
struct PluginEdgeTests {
    /// A directory in CNI_PATH holding an executable `name`, so PluginDelegator finds it.
    static func installFakePlugin(_ node: TestNode, _ name: String) throws -> String {
        let directory = node.root + "/bin"
        try Files.makeDirectories(directory, permissions: 0o755)
        try Files.write(directory + "/" + name, Array("#!/bin/false\n".utf8), mode: .atomic, permissions: 0o755)
        return directory
    }

    @Test("another ipam.type is exec'd from CNI_PATH for ADD and DEL, with the plugin's stdin")
    func execIPAM() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let netns = try node.makeNamespace()
        let path = try Self.installFakePlugin(node, "fake-ipam")
        let runner = FakeRunner { _, command, _ in
            let stdout = command == "ADD" ? #"{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.77/24"}]}"# : ""
            return ProcessOutput(status: 0, stdout: Array(stdout.utf8), stderr: [])
        }
        let config = #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}"#
        let added = node.run(.add, stdin: config, netns: netns, runner: runner, cniPath: path)
        #expect(added.code == 0, "\(added.text)")
        #expect(firstIP(added.json) == "10.244.1.77/24")
        #expect(try node.client.endpoint(named: "abc123_cbr0")?.ipConfigurations.first?.ipAddress == "10.244.1.77")
        #expect(node.run(.del, stdin: config, netns: netns, runner: runner, cniPath: path).code == 0)
        #expect(runner.calls.all == ["\(path)/fake-ipam ADD \(config)", "\(path)/fake-ipam DEL \(config)"])
    }

    @Test("a policy ADD would refuse does not stop CHECK or DEL: only ADD translates policies")
    func policiesOnlyForAdd() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let netns = try node.makeNamespace()
        let good =
            #"{"cniVersion":"1.1.0","name":"cbr0","type":"win-bridge","ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.root)/ipam"}}"#
        let added = node.run(.add, stdin: good, netns: netns)
        #expect(added.code == 0, "\(added.text)")
        // The same network with a policy list that is not a list.
        let bad = String(good.dropLast()) + #","policies":{"Name":"EndpointPolicy"}}"#
        let refused = node.run(.add, stdin: bad, containerID: "other", netns: try node.makeNamespace())
        #expect(refused.json?["code"] == 7, "\(refused.text)")
        #expect(node.run(.check, stdin: bad, netns: netns).code == 0)
        #expect(node.run(.del, stdin: bad, netns: netns).code == 0)
        #expect(try node.endpoints().filter { $0.name.hasSuffix("_cbr0") && $0.name != "cbr0_ep" }.isEmpty)
        #expect(node.reservations("cbr0").isEmpty)
    }

    @Test("CHECK is passed on to an exec'd IPAM plugin, and its error fails the CHECK with the plugin's code")
    func execIPAMCheck() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let netns = try node.makeNamespace()
        let path = try Self.installFakePlugin(node, "fake-ipam")
        let runner = FakeRunner { _, command, _ in
            switch command {
            case "ADD":
                let result = #"{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.77/24"}]}"#
                return ProcessOutput(status: 0, stdout: Array(result.utf8), stderr: [])
            case "CHECK":
                let failure = #"{"cniVersion":"1.0.0","code":999,"msg":"address 10.244.1.77 is not reserved"}"#
                return ProcessOutput(status: 1, stdout: Array(failure.utf8), stderr: [])
            default:
                return ProcessOutput(status: 0, stdout: [], stderr: [])
            }
        }
        let config = #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}"#
        let added = node.run(.add, stdin: config, netns: netns, runner: runner, cniPath: path)
        #expect(added.code == 0, "\(added.text)")
        let checked = node.run(.check, stdin: config, netns: netns, runner: runner, cniPath: path)
        #expect(checked.json?["code"] == 999)
        #expect(checked.json?["msg"]?.stringValue == "address 10.244.1.77 is not reserved")
        #expect(runner.calls.all.contains("\(path)/fake-ipam CHECK \(config)"))
    }

    @Test("a flannel ADD that fails leaves flannel's dataDir as it found it: no saved config, no new directory")
    func failedFlannelAddLeavesNoDataDir() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        // A delegate type wincni does not implement and CNI_PATH does not hold: the delegate cannot run.
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0").replacingOccurrences(
            of: #""type": "win-bridge""#, with: #""type": "no-such-plugin""#)
        let added = node.run(.add, stdin: config, netns: try node.makeNamespace())
        #expect(added.code == 1, "\(added.text)")
        #expect(!Files.exists(node.flannelDirectory))
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
    }

    @Test("a flannel ADD that fails keeps a saved config that was there before it (a retried ADD's)")
    func failedFlannelAddKeepsEarlierConfig() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0").replacingOccurrences(
            of: #""type": "win-bridge""#, with: #""type": "no-such-plugin""#)
        _ = try Files.makeDirectories(node.flannelDirectory, permissions: 0o700)
        try Files.write(node.flannelDirectory + "/retried", Array("{}".utf8), mode: .atomic)
        let added = node.run(.add, stdin: config, containerID: "retried", netns: try node.makeNamespace())
        #expect(added.code == 1, "\(added.text)")
        #expect(try Files.list(node.flannelDirectory) == ["retried"])
    }

    @Test("after ADD and DEL, flannel's dataDir and host-local's store hold only what the Go plugins leave")
    func directoriesAfterDelete() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.1.0")
        let store = node.ipamDirectory + "/" + node.networkName(.hostGW)
        for containerID in ["pod-a", "pod-b"] {
            let netns = try node.makeNamespace()
            let added = node.run(.add, stdin: config, containerID: containerID, netns: netns)
            #expect(added.code == 0, "\(added.text)")
            #expect(try Files.list(node.flannelDirectory) == [containerID])
            let deleted = node.run(.del, stdin: config, containerID: containerID, netns: netns)
            #expect(deleted.code == 0, "\(deleted.text)")
            // The Go flannel plugin removes the saved config; the Go host-local leaves its lock and
            // last_reserved_ip.0 (the round-robin position) and nothing else.
            #expect(try Files.list(node.flannelDirectory).isEmpty)
            #expect(try Files.list(store).sorted() == ["last_reserved_ip.0", "lock"])
        }
        var gc = try #require(try JSON.parse(config).objectValue)
        gc["cni.dev/valid-attachments"] = []
        #expect(node.run(.gc, stdin: JSON.object(gc).compact()).code == 0)
        #expect(try Files.list(node.flannelDirectory).isEmpty)
        #expect(try Files.list(store).sorted() == ["last_reserved_ip.0", "lock"])
    }

    @Test(
        "on Windows, container IDs NTFS would alias or take for a device are refused before anything is saved",
        arguments: ["CON", "nul", "Com1", "LPT9.txt", "pod."])
    func windowsDeviceContainerID(_ containerID: String) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.1.0")
        let netns = try node.makeNamespace()
        let refused = node.run(.add, stdin: config, containerID: containerID, netns: netns, platform: .windows)
        #expect(refused.json?["code"] == 4, "\(refused.text)")
        #expect(refused.json?["msg"]?.stringValue?.contains(containerID) == true)
        #expect(!Files.exists(node.flannelDirectory))
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
        // The same ID is an ordinary file name on Linux, as for the Go plugins there.
        #expect(node.run(.add, stdin: config, containerID: containerID, netns: netns).code == 0)
    }

    @Test("an exec'd IPAM error reaches the runtime intact (code and message), and the ADD leaves nothing")
    func execIPAMFailure() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let path = try Self.installFakePlugin(node, "fake-ipam")
        let runner = FakeRunner { _, _, _ in
            ProcessOutput(status: 1, stdout: Array(#"{"code":11,"msg":"pool busy"}"#.utf8), stderr: [])
        }
        let config = #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}"#
        let added = node.run(.add, stdin: config, netns: try node.makeNamespace(), runner: runner, cniPath: path)
        #expect(added.json?["code"] == 11)
        #expect(added.json?["msg"]?.stringValue == "pool busy")
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
    }

    @Test("a flannel delegate of another type is exec'd with the saved config, and DEL sends the same bytes")
    func execDelegate() throws {
        let node = try TestNode()
        try node.writeSubnetEnv()
        let netns = try node.makeNamespace()
        let path = try Self.installFakePlugin(node, "bridge")
        let runner = FakeRunner { _, command, _ in
            let stdout =
                command == "ADD" ? #"{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.244.1.9/24"}]}"# : ""
            return ProcessOutput(status: 0, stdout: Array(stdout.utf8), stderr: [])
        }
        let config = #"""
            {"cniVersion":"0.3.1","name":"cbr0","type":"flannel","subnetFile":"\#(node.subnetEnvPath)",
             "dataDir":"\#(node.flannelDirectory)","delegate":{"type":"bridge"}}
            """#
        let added = node.run(.add, stdin: config, netns: netns, runner: runner, cniPath: path)
        #expect(added.code == 0, "\(added.text)")
        #expect(firstIP(added.json) == "10.244.1.9/24")
        let saved = try readText(node.flannelDirectory + "/abc123")
        #expect(
            saved
                == #"{"cniVersion":"0.3.1","ipMasq":false,"ipMasqNetwork":"10.244.0.0/16","ipam":{"subnet":"10.244.1.0/24","type":"host-local"},"name":"cbr0","type":"bridge"}"#
        )
        #expect(node.run(.del, stdin: config, netns: netns, runner: runner, cniPath: path).code == 0)
        #expect(runner.calls.all == ["\(path)/bridge ADD \(saved)", "\(path)/bridge DEL \(saved)"])
        #expect(node.savedDelegateConfigs().isEmpty)
    }

    @Test("a sandbox ID that would leave the flannel data directory is refused with code 4")
    func unsafeSandbox() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let result = node.run(
            .del, stdin: node.flannelConfig(.hostGW, cniVersion: "1.0.0"), netns: "container:../../etc")
        #expect(result.json?["code"] == 4)
        #expect(result.json?["msg"]?.stringValue?.contains("../../etc") == true)
    }

    @Test("ADD with a CNI_NETNS that names no HCN namespace is code 4")
    func badNetns() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let result = node.run(
            .add, stdin: node.flannelConfig(.hostGW, cniVersion: "1.0.0"), netns: "/var/run/netns/cni-1")
        #expect(result.json?["code"] == 4)
        #expect(node.savedDelegateConfigs().isEmpty)
    }

    @Test("DEL after the runtime already deleted the namespace still deletes the endpoint")
    func delAfterNamespaceGone() throws {
        let node = try TestNode()
        try node.flannelUp(.vxlan)
        let netns = try node.makeNamespace()
        let config = node.flannelConfig(.vxlan, cniVersion: "1.0.0")
        #expect(node.run(.add, stdin: config, netns: netns).code == 0)
        try node.client.deleteNamespace(id: netns)
        let deleted = node.run(.del, stdin: config, netns: netns)
        #expect(deleted.code == 0, "\(deleted.text)")
        #expect(try node.endpoints().isEmpty)
        #expect(node.reservations("flannel.4096").isEmpty)
    }

    @Test("loopbackDSR on an HNS without DSR adds no Destinations policy and says so")
    func dsrUnsupported() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        try node.simulator.setVersion(major: 9, minor: 1)
        let config = #"""
            {"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","loopbackDSR":true,
             "ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"}}
            """#
        #expect(node.run(.add, stdin: config, netns: try node.makeNamespace()).code == 0)
        let endpoint = try #require(try node.client.endpoint(named: "abc123_cbr0"))
        #expect(endpoint.policies.isEmpty)
        #expect(node.log.all.contains { $0.contains("loopbackDSR ignored") })
    }

    @Test("a chained ADD keeps the prevResult's interfaces and IPs in front")
    func prevResultPassThrough() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = #"""
            {"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge",
             "ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"},
             "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"lo"}],"ips":[{"address":"127.0.0.1/8","interface":0}]}}
            """#
        let added = node.run(.add, stdin: config, netns: try node.makeNamespace())
        #expect(added.code == 0, "\(added.text)")
        #expect(added.json?["interfaces"]?.arrayValue?.map { $0["name"]?.stringValue } == ["lo", "eth0"])
        #expect(added.json?["ips"]?.arrayValue?.map { $0["address"]?.stringValue } == ["127.0.0.1/8", "10.244.1.3/24"])
        #expect(added.json?["ips"]?.arrayValue?.last?["interface"] == 1)
    }

    @Test("dual stack: one IP configuration and one default route per family, IPv6 port-mapping twin")
    func dualStackDocument() throws {
        let node = try TestNode()
        let network = try node.flannelUp(.hostGW)
        let config = try BridgeOverlayConfig(
            try object(
                #"""
                {"name":"cbr0","type":"sdnbridge","optionalFlags":{"enableDualStack":true},
                 "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80}]}}
                """#))
        let request = CNIRequest(
            command: .add, containerID: "abc", netns: nil, ifname: "eth0",
            config: try NetworkConfig.decode(Array(#"{"cniVersion":"1.0.0","name":"cbr0","type":"sdnbridge"}"#.utf8)))
        let invocation = Invocation(
            request: request,
            environment: CNIEnvironment(
                variables: [], readStdin: { () throws(CNIError) -> [UInt8] in [] }, runner: NoExecRunner()),
            configPath: "")
        let document = try EndpointCommands(client: node.client).endpointDocument(
            name: "abc_cbr0", config: config, network: network,
            addresses: [
                IPAMAddress(address: IPPrefix("fd00:10:244:1::5/64")!, gateway: nil),
                IPAMAddress(address: IPPrefix("10.244.1.5/24")!, gateway: IPAddress("10.244.1.1")),
            ], invocation: invocation)
        #expect(document.addresses.map(\.description) == ["10.244.1.5/24", "fd00:10:244:1::5/64"])
        #expect(document.gateways.map(\.description) == ["10.244.1.2", "fd00:10:244:1::2"])
        #expect(
            document.policies.policies.filter { $0.type == "PortMapping" }.map { $0.settings["Flags"] } == [nil, 2])
        #expect(document.json["Routes"]?.compact().contains(#""DestinationPrefix":"::/0""#) == true)
        // Sent as built by ADD: the typed HCN endpoint encodes it to the same bytes.
        #expect(try HostComputeEndpoint(json: document.json).json.compact() == document.json.compact())
    }
}

@Suite("Through the HCN C function table")
struct FunctionTableTests {
    @Test("ADD, CHECK and DEL through the UTF-16/GUID marshalling that real Windows uses")
    func lifecycle() throws {
        let node = try TestNode()
        try node.flannelUp(.vxlan)
        node.service = try HNSSimulator.functionTableService(directory: node.hnsDirectory)
        let netns = try node.makeNamespace()
        let config = node.flannelConfig(.vxlan, cniVersion: "1.1.0")
        let added = node.run(.add, stdin: config, netns: netns)
        #expect(added.code == 0, "\(added.text)")
        var checked = try #require(try JSON.parse(config).objectValue)
        checked["prevResult"] = added.json
        #expect(node.run(.check, stdin: JSON.object(checked).compact(), netns: netns).code == 0)
        #expect(node.run(.del, stdin: config, netns: netns).code == 0)
        #expect(try node.endpoints().isEmpty)
    }
}

@Suite("DEL under failures", .serialized)
struct DeleteFailureTests {
    @Test("a failed delegate DEL keeps the saved config; the retry deletes everything")
    func retryAfterHNSFailure() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let netns = try node.makeNamespace()
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        #expect(node.run(.add, stdin: config, netns: netns).code == 0)
        try node.simulator.addFault(SimulatorFault(op: "HcnDeleteEndpoint", kind: .hresult(HRESULT(0x8007_06BA))))
        let failed = node.run(.del, stdin: config, netns: netns)
        #expect(failed.json?["code"] == 11, "\(failed.text)")
        #expect(node.savedDelegateConfigs() == ["abc123"])
        #expect(node.reservations("cbr0").count == 1, "the IP stays reserved while HNS may still use it")
        #expect(node.run(.del, stdin: config, netns: netns).code == 0)
        #expect(node.savedDelegateConfigs().isEmpty)
        #expect(node.reservations("cbr0").isEmpty)
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
    }

    @Test("an IPAM failure on DEL does not leave the endpoint behind")
    func ipamFailure() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let netns = try node.makeNamespace()
        let path = try PluginEdgeTests.installFakePlugin(node, "fake-ipam")
        let runner = FakeRunner { _, command, _ in
            command == "ADD"
                ? ProcessOutput(
                    status: 0, stdout: Array(#"{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.77/24"}]}"#.utf8),
                    stderr: [])
                : ProcessOutput(status: 1, stdout: Array(#"{"code":5,"msg":"disk full"}"#.utf8), stderr: [])
        }
        let config = #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","ipam":{"type":"fake-ipam"}}"#
        #expect(node.run(.add, stdin: config, netns: netns, runner: runner, cniPath: path).code == 0)
        let deleted = node.run(.del, stdin: config, netns: netns, runner: runner, cniPath: path)
        #expect(deleted.json?["code"] == 5)
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
    }
}

@Suite("sdnbridge DNS")
struct SDNDNSTests {
    @Test(
        "sdn* types prefix the first search suffix with the pod namespace; win-bridge and runtime lists do not",
        arguments: [
            ("sdnbridge", "", ["kube-system.svc.cluster.local", "cluster.local"]),
            ("win-bridge", "", ["svc.cluster.local", "cluster.local"]),
            ("sdnbridge", #","runtimeConfig":{"dns":{"searches":["a.b"]}}"#, ["a.b"]),
        ])
    func namespaceSuffix(_ type: String, _ extra: String, _ expected: [String]) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = #"""
            {"cniVersion":"1.0.0","name":"cbr0","type":"\#(type)",
             "dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local","cluster.local"]},
             "ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"}\#(extra)}
            """#
        let added = node.run(
            .add, stdin: config, netns: try node.makeNamespace(),
            cniArgs: "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns")
        #expect(added.code == 0, "\(added.text)")
        #expect(added.json?["dns"]?["search"]?.arrayValue?.compactMap(\.stringValue) == expected)
        #expect(try node.client.endpoint(named: "abc123_cbr0")?.dns?.search == expected)
    }
}
