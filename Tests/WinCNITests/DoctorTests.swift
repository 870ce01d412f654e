import CNI
import HCN
import HNSSimulator
import JSON
import Platform
import Testing

@testable import HNSControl
@testable import WinCNI

/// A simulated node with its CNI config directory, on which `hnsctl doctor` runs in-process.
struct DoctorNode {
    let node: TestNode
    let backend: Backend
    var confDirectory: String { node.root + "/net.d" }
    var configPath: String { confDirectory + "/10-flannel.conf" }
    var logPath: String { node.root + "/wincni.log" }
    var binDirectory: String { node.root + "/bin" }
    /// What stands for the wincni binary in the CNI binary directory.
    static let wincniBytes = Array("wincni 0.1.0".utf8)

    /// flanneld's network and host endpoint (`up`), and the flannel config with a logFile in the config directory.
    init(_ backend: Backend, up: Bool = true, extra: String = "") throws {
        node = try TestNode()
        self.backend = backend
        if up { try node.flannelUp(backend) } else { try node.writeSubnetEnv() }
        _ = try Files.makeDirectories(confDirectory, permissions: 0o755)
        try writeConfig(node.flannelConfig(backend, cniVersion: "1.0.0", extra: #", "logFile": "\#(logPath)""# + extra))
        // wincni under the names the config uses (flannel, and the delegate's type), as install.ps1 puts it.
        _ = try Files.makeDirectories(binDirectory, permissions: 0o755)
        for name in ["wincni", "flannel", backend == .hostGW ? "win-bridge" : "sdnoverlay"] {
            try Files.write(binDirectory + "/" + name + ".exe", Self.wincniBytes, mode: .atomic, permissions: 0o755)
        }
    }

    func writeConfig(_ text: String, name: String = "10-flannel.conf") throws {
        try Files.write(confDirectory + "/" + name, Array(text.utf8), mode: .atomic, permissions: 0o644)
    }

    /// One pod's ADD through the flannel config, as containerd runs it.
    @discardableResult
    func addPod(_ containerID: String) throws -> JSON? {
        let result = node.run(
            .add, stdin: try readText(configPath), containerID: containerID, netns: try node.makeNamespace())
        #expect(result.code == 0, "\(result.text)")
        return result.json
    }

    func doctor(_ options: String...) -> (code: Int32, report: JSONObject, stdout: String, stderr: String) {
        let output = HNSControl.run(
            arguments: ["--sim", node.hnsDirectory, "doctor", "--conf-dir", confDirectory, "--bin-dir", binDirectory]
                + options + ["--json"],
            hnsSelector: nil)
        let report = (try? JSON.parse(output.stdout))?.objectValue ?? JSONObject()
        return (output.exitCode, report, output.stdout, output.stderr)
    }

    /// The ids of the findings, in order.
    func findings(_ options: String...) -> [String] {
        let output = HNSControl.run(
            arguments: ["--sim", node.hnsDirectory, "doctor", "--conf-dir", confDirectory, "--bin-dir", binDirectory]
                + options + ["--json"],
            hnsSelector: nil)
        let report = (try? JSON.parse(output.stdout))?.objectValue ?? JSONObject()
        let ids = (report["findings"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect((output.exitCode == 0) == ids.isEmpty, "exit 0 exactly when healthy: \(output.stderr)")
        return ids
    }

    func finding(_ id: String) -> JSONObject? {
        let report = doctor().report
        return (report["findings"]?.arrayValue ?? []).first { $0["id"]?.stringValue == id }?.objectValue
    }

    func endpoint(_ name: String) throws -> HostComputeEndpoint? { try node.client.endpoint(named: name) }
}

@Suite("hnsctl doctor finds what keeps a pod from starting", .serialized)
struct DoctorTests {
    @Test("a healthy node with a pod: exit 0, every check passed", arguments: Backend.allCases)
    func healthy(_ backend: Backend) throws {
        let node = try DoctorNode(backend)
        try node.addPod("pod1")
        let result = node.doctor()
        #expect(result.code == 0, "\(result.stdout)")
        #expect(result.report["healthy"] == true)
        let checks = (result.report["passed"]?.arrayValue ?? []).compactMap { $0["check"]?.stringValue }
        let expected =
            backend == .hostGW
            ? ["config", "binaries", "subnet.env", "network", "host endpoint", "pods", "logFile"]
            : ["config", "binaries", "subnet.env", "network", "provider address", "pods", "logFile"]
        #expect(checks == expected)
        let text = HNSControl.run(
            arguments: [
                "--sim", node.node.hnsDirectory, "doctor", "--conf-dir", node.confDirectory, "--bin-dir",
                node.binDirectory,
            ], hnsSelector: nil)
        #expect(text.exitCode == 0)
        #expect(text.stdout.hasSuffix("healthy: nothing to fix\n"))
        #expect(text.stdout.contains("ok    pods: 1 pod endpoint, 1 host-local reservation"))
    }

    @Test(
        "a shipped conf/ file with ${NODE_IP} and ${NODE_SUBNET} is read as the plugin fills it: healthy",
        arguments: ["flannel-host-gw.conf", "flannel-vxlan.conf"])
    func shippedConfig(_ file: String) throws {
        let backend: Backend = file.contains("vxlan") ? .vxlan : .hostGW
        let node = try DoctorNode(backend)
        var document = try #require(try JSON.parse(try readText(repositoryRoot + "/conf/" + file)).objectValue)
        #expect(JSON.object(document).compact().contains("${NODE_"), "\(file) has no placeholder to fill")
        // Only where files go changes, as an installer would place them.
        document["subnetFile"] = .string(node.node.subnetEnvPath)
        document["dataDir"] = .string(node.node.flannelDirectory)
        document["ipam"] = ["dataDir": .string(node.node.ipamDirectory)]
        document["logFile"] = .string(node.logPath)
        try node.writeConfig(JSON.object(document).compact())
        for name in ["win-bridge", "win-overlay", "sdnbridge", "sdnoverlay"] {
            try Files.write(
                node.binDirectory + "/" + name + ".exe", DoctorNode.wincniBytes, mode: .atomic, permissions: 0o755)
        }
        try node.addPod("pod1")
        #expect(node.findings() == [])
    }

    @Test("every finding has a summary, a cause and a fix, in text and JSON")
    func findingShape() throws {
        let node = try DoctorNode(.hostGW, up: false)
        let result = node.doctor()
        #expect(result.code == 1)
        #expect(result.stderr == "hnsctl: doctor: 1 problem on this node\n")
        let finding = try #require(result.report["findings"]?.arrayValue?.first?.objectValue)
        #expect(finding["id"] == "network-missing")
        #expect(finding["severity"] == "error")
        for key in ["summary", "cause", "fix"] {
            let text = finding[key].flatMap(\.stringValue) ?? ""
            #expect(!text.isEmpty, "\(key)")
        }
        let text = HNSControl.run(
            arguments: [
                "--sim", node.node.hnsDirectory, "doctor", "--conf-dir", node.confDirectory, "--bin-dir",
                node.binDirectory,
            ], hnsSelector: nil)
        #expect(
            text.stdout.contains("ERROR network-missing: HNS network \"cbr0\" not found (HNS has no network at all)"))
        #expect(text.stdout.contains("\n      cause: flanneld has not created it"))
        #expect(text.stdout.contains("\n      fix:   check flanneld's log"))
        #expect(text.stdout.hasSuffix("1 problem found\n"))
    }

    // MARK: - The config

    @Test("no config in the directory: config-missing")
    func configMissing() throws {
        let node = try DoctorNode(.hostGW)
        try Files.remove(node.configPath)
        #expect(node.findings() == ["config-missing"])
        #expect(
            node.finding("config-missing")?["summary"]?.stringValue?.hasSuffix(
                "holds no .conf, .conflist or .json file") == true)
    }

    @Test("containerd's sample NAT config sorts first: config-not-wincni names it and wincni's")
    func shadowed() throws {
        let node = try DoctorNode(.hostGW)
        try node.writeConfig(#"{"cniVersion":"0.2.0","name":"nat","type":"nat"}"#, name: "0-containerd-nat.json")
        #expect(node.findings() == ["config-not-wincni"])
        let summary = node.finding("config-not-wincni")?["summary"]?.stringValue ?? ""
        #expect(
            summary.contains("0-containerd-nat.json (the first in name order), whose type is \"nat\""), "\(summary)")
        #expect(summary.contains("wincni's config \(node.configPath) comes later"), "\(summary)")
    }

    @Test("the Go plugins' config put back: config-not-wincni for a type wincni does not run")
    func goPluginsBack() throws {
        let node = try DoctorNode(.hostGW)
        try node.writeConfig(#"{"cniVersion":"0.3.1","name":"cbr0","type":"win-l2bridge"}"#)
        #expect(node.findings("--config", node.configPath) == ["config-not-wincni"])
    }

    @Test("a config wincni refuses: config-invalid with wincni's message")
    func configInvalid() throws {
        let node = try DoctorNode(.hostGW)
        try node.writeConfig(
            #"{"cniVersion":"1.0.0","name":"cbr0","type":"flannel","delegate":{"type":"win-bridge","name":"x"}}"#)
        #expect(node.findings() == ["config-invalid"])
        #expect(
            node.finding("config-invalid")?["summary"]?.stringValue
                == "\(node.configPath): delegate.name: must not be set: flannel sets the delegate's name")
        try node.writeConfig("{\"cniVersion\": ")
        #expect(node.findings() == ["config-invalid"])
    }

    @Test("a conflist is read through its first plugin")
    func conflist() throws {
        let node = try DoctorNode(.hostGW)
        let plugin = node.node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        try Files.remove(node.configPath)
        try node.writeConfig(
            #"{"cniVersion":"1.0.0","name":"cbr0","plugins":[\#(plugin)]}"#, name: "10-flannel.conflist")
        #expect(node.findings() == [])
    }

    @Test("the Go plugin copied back over wincni's flannel.exe: plugin-not-wincni")
    func goPluginBack() throws {
        let node = try DoctorNode(.hostGW)
        try Files.write(
            node.binDirectory + "/flannel.exe", Array("flannel v1.6.0".utf8), mode: .atomic, permissions: 0o755)
        #expect(node.findings() == ["plugin-not-wincni"])
        #expect(
            node.finding("plugin-not-wincni")?["summary"]
                == .string(
                    "\(node.binDirectory)/flannel.exe is not wincni (it differs from \(node.binDirectory)/wincni.exe)"))
    }

    @Test("a plugin the config names is not installed: plugin-missing; no wincni to compare with: a warning")
    func pluginMissing() throws {
        let node = try DoctorNode(.vxlan)
        try Files.remove(node.binDirectory + "/sdnoverlay.exe")
        #expect(node.findings() == ["plugin-missing"])
        #expect(
            node.finding("plugin-missing")?["summary"]
                == .string("the config's plugin \"sdnoverlay\" is not in \(node.binDirectory)"))
        try Files.remove(node.binDirectory + "/wincni.exe")
        try Files.write(node.binDirectory + "/sdnoverlay", DoctorNode.wincniBytes, mode: .atomic, permissions: 0o755)
        #expect(node.findings() == ["plugin-not-wincni"])
        #expect(node.finding("plugin-not-wincni")?["severity"] == "warning")
    }

    // MARK: - flannel and the HNS network

    @Test("subnet.env missing: subnet-env-missing (and the network is checked all the same)")
    func subnetEnvMissing() throws {
        let node = try DoctorNode(.hostGW)
        try Files.remove(node.node.subnetEnvPath)
        #expect(node.findings() == ["subnet-env-missing"])
        #expect(node.finding("subnet-env-missing")?["summary"]?.stringValue?.contains("is missing") == true)
    }

    @Test("flanneld has not made the network: network-missing lists the networks HNS has")
    func networkMissing() throws {
        let node = try DoctorNode(.hostGW, up: false)
        #expect(node.findings() == ["network-missing"])
        try node.node.flannelUp(.vxlan)
        #expect(node.findings() == ["network-missing"])
        #expect(
            node.finding("network-missing")?["summary"]
                == #"HNS network "cbr0" not found (HNS has flannel.4096 (Overlay))"#)
    }

    @Test("a vxlan network under the host-gw config's name: network-type-mismatch")
    func typeMismatch() throws {
        let node = try DoctorNode(.hostGW, up: false)
        try node.node.flannelUp(.vxlan, name: "cbr0")
        #expect(node.findings() == ["network-type-mismatch"])
        #expect(
            node.finding("network-type-mismatch")?["summary"]
                == #"HNS network "cbr0" is Overlay; this config needs L2Bridge"#)
    }

    @Test("the lease moved but the network did not: network-subnet-mismatch names both subnets")
    func subnetMismatch() throws {
        let node = try DoctorNode(.hostGW)
        let env = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
        try Files.write(node.node.subnetEnvPath, Array(env.utf8), mode: .atomic, permissions: 0o644)
        #expect(node.findings() == ["network-subnet-mismatch"])
        #expect(
            node.finding("network-subnet-mismatch")?["summary"]
                == #"HNS network "cbr0" has subnet 10.244.1.0/24 gateway 10.244.1.1; FLANNEL_SUBNET says 10.244.7.0/24 gateway 10.244.7.1"#
        )
    }

    @Test("--subnet-env overrides the config's subnetFile")
    func subnetEnvOption() throws {
        let node = try DoctorNode(.hostGW)
        let other = node.node.root + "/other.env"
        let env = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.9.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
        try Files.write(other, Array(env.utf8), mode: .atomic, permissions: 0o644)
        #expect(node.findings("--subnet-env", other) == ["network-subnet-mismatch"])
    }

    @Test("host-gw without flanneld's cbr0_ep: bridge-endpoint-missing")
    func bridgeEndpointMissing() throws {
        let node = try DoctorNode(.hostGW)
        try node.node.client.deleteEndpoint(id: try #require(try node.endpoint("cbr0_ep")).id)
        #expect(node.findings() == ["bridge-endpoint-missing"])
        #expect(
            node.finding("bridge-endpoint-missing")?["summary"]
                == #"L2Bridge network "cbr0" has no host endpoint cbr0_ep at 10.244.1.2"#)
    }

    @Test("cbr0_ep at another address than .2: bridge-endpoint-address")
    func bridgeEndpointAddress() throws {
        let node = try DoctorNode(.hostGW)
        let network = try #require(try node.node.client.network(named: "cbr0"))
        try node.node.client.deleteEndpoint(id: try #require(try node.endpoint("cbr0_ep")).id)
        _ = try node.node.client.createEndpoint(
            try HostComputeEndpoint(
                json: [
                    "Name": "cbr0_ep", "HostComputeNetwork": .string(network.id),
                    "IpConfigurations": [["IpAddress": "10.244.1.9"]], "SchemaVersion": ["Major": 2, "Minor": 0],
                ]), networkID: network.id)
        #expect(node.findings() == ["bridge-endpoint-address"])
        #expect(
            node.finding("bridge-endpoint-address")?["summary"]
                == "host endpoint cbr0_ep has 10.244.1.9, not 10.244.1.2")
    }

    @Test("an Overlay network without the node's provider address: provider-address-missing")
    func providerAddressMissing() throws {
        let node = try DoctorNode(.vxlan)
        // HNS reports no ProviderAddress for a network bound to no adapter; the simulator always binds one, so the
        // documents are read through a service that leaves the policy out.
        let doctor = NodeDoctor(
            service: { () throws(HCNError) -> any HostNetworkService in
                NoProviderAddressService(node.node.simulator)
            },
            configPath: nil, confDirectory: node.confDirectory, subnetEnvPath: nil, binDirectory: node.binDirectory)
        let report = doctor.run()
        #expect(report.findings.map(\.id) == ["provider-address-missing"])
        #expect(report.findings.first?.summary == #"Overlay network "flannel.4096" has no ProviderAddress policy"#)
    }

    @Test("the config's ProviderAddress is another node's: provider-address-mismatch")
    func providerAddressMismatch() throws {
        let node = try DoctorNode(.vxlan)
        var config = try #require(try JSON.parse(try readText(node.configPath)).objectValue)
        var delegate = try #require(config["delegate"]?.objectValue)
        var arguments = try #require(delegate["AdditionalArgs"]?.arrayValue)
        arguments.append(
            [
                "Name": "EndpointPolicy",
                "Value": ["Type": "ProviderAddress", "Settings": ["ProviderAddress": "192.168.1.99"]],
            ])
        delegate["AdditionalArgs"] = .array(arguments)
        config["delegate"] = .object(delegate)
        try node.writeConfig(JSON.object(config).pretty())
        #expect(node.findings() == ["provider-address-mismatch"])
        #expect(
            node.finding("provider-address-mismatch")?["summary"]
                == "the config's ProviderAddress policy says 192.168.1.99, the network's is 10.0.0.4")
    }

    @Test("loopbackDSR on an HNS without DSR: dsr-unsupported; with DSR it passes")
    func dsr() throws {
        let node = try DoctorNode(.hostGW, extra: "")
        var config = try #require(try JSON.parse(try readText(node.configPath)).objectValue)
        var delegate = try #require(config["delegate"]?.objectValue)
        delegate["loopbackDSR"] = true
        config["delegate"] = .object(delegate)
        try node.writeConfig(JSON.object(config).pretty())
        #expect(node.findings() == [])
        try node.node.simulator.setVersion(major: 9, minor: 1)
        #expect(node.findings() == ["dsr-unsupported"])
        #expect(node.finding("dsr-unsupported")?["severity"] == "warning")
        #expect(node.finding("dsr-unsupported")?["summary"]?.stringValue?.contains("(version 9.1)") == true)
    }

    // MARK: - Endpoints, reservations, saved configs

    @Test("an endpoint in no namespace: endpoint-without-namespace")
    func endpointWithoutNamespace() throws {
        let node = try DoctorNode(.hostGW)
        let network = try #require(try node.node.client.network(named: "cbr0"))
        _ = try node.node.client.createEndpoint(
            try HostComputeEndpoint(
                json: [
                    "Name": "stray_cbr0", "HostComputeNetwork": .string(network.id),
                    "IpConfigurations": [["IpAddress": "10.244.1.50"]], "SchemaVersion": ["Major": 2, "Minor": 0],
                ]), networkID: network.id)
        // No namespace, and no reservation either.
        #expect(node.findings() == ["endpoint-without-namespace", "endpoint-without-reservation"])
        #expect(
            node.finding("endpoint-without-namespace")?["summary"]
                == "endpoint stray_cbr0 (10.244.1.50) is in no namespace")
    }

    @Test("host-local's file of a running pod deleted: endpoint-without-reservation")
    func endpointWithoutReservation() throws {
        let node = try DoctorNode(.hostGW)
        try node.addPod("pod1")
        let reservations = node.node.reservations("cbr0")
        #expect(reservations.count == 1)
        for name in reservations { try Files.remove(node.node.ipamDirectory + "/cbr0/" + name) }
        #expect(node.findings() == ["endpoint-without-reservation"])
        let summary = node.finding("endpoint-without-reservation")?["summary"]?.stringValue ?? ""
        #expect(summary.hasPrefix("endpoint pod1_cbr0 has 10.244.1."), "\(summary)")
        #expect(summary.contains("no reservation in \(node.node.ipamDirectory)/cbr0"), "\(summary)")
    }

    @Test("a pod's endpoint deleted by hand: reservation-without-endpoint and saved-config-without-pod")
    func leftovers() throws {
        let node = try DoctorNode(.hostGW)
        try node.addPod("pod1")
        try node.addPod("pod2")
        try node.node.client.deleteEndpoint(id: try #require(try node.endpoint("pod1_cbr0")).id)
        #expect(node.findings() == ["reservation-without-endpoint", "saved-config-without-pod"])
        let reservation = node.finding("reservation-without-endpoint")?["summary"]?.stringValue ?? ""
        #expect(reservation.contains("is reserved for container pod1 in \(node.node.ipamDirectory)/cbr0"))
        #expect(
            node.finding("saved-config-without-pod")?["summary"]
                == .string("flannel's saved delegate config \(node.node.flannelDirectory)/pod1 has no endpoint"))
        // DEL cleans up, and the node is healthy again.
        let del = node.node.run(.del, stdin: try readText(node.configPath), containerID: "pod1")
        #expect(del.code == 0)
        #expect(node.findings() == [])
    }

    @Test("DEL's spare file in flannel's dataDir is not a saved config")
    func spareIsNotALeak() throws {
        let node = try DoctorNode(.hostGW)
        try node.addPod("pod1")
        #expect(node.node.run(.del, stdin: try readText(node.configPath), containerID: "pod1").code == 0)
        #expect(node.findings() == [])
    }

    @Test("HNS failing its queries: hns-unreachable with HNS's error")
    func hnsUnreachable() throws {
        let node = try DoctorNode(.hostGW)
        try node.node.simulator.addFault(
            SimulatorFault(op: "EnumerateNetworks", kind: .hresult(HRESULT(0x8007_0005)), count: 5))
        #expect(node.findings() == ["hns-unreachable"])
        let summary = node.finding("hns-unreachable")?["summary"]?.stringValue ?? ""
        #expect(summary.hasPrefix("HNS refused a query: HcnEnumerateNetworks failed"), "\(summary)")
        #expect(summary.contains("0x80070005"), "\(summary)")
    }

    // MARK: - The log

    @Test("a failed ADD in the logFile: log-error until an ADD of that container succeeds")
    func logErrors() throws {
        let node = try DoctorNode(.hostGW)
        let config = try readText(node.configPath)
        // HNS refuses the endpoint once.
        try node.node.simulator.addFault(SimulatorFault(op: "CreateEndpoint", kind: .hresult(HRESULT(0x803B_0013))))
        let failed = node.node.run(.add, stdin: config, containerID: "pod1", netns: try node.node.makeNamespace())
        #expect(failed.json?["code"] == 999, "\(failed.text)")
        #expect(node.findings() == ["log-error"])
        let finding = try #require(node.finding("log-error"))
        #expect(finding["severity"] == "warning")
        let summary = finding["summary"]?.stringValue ?? ""
        #expect(summary.contains("ADD of container pod1 failed with code 999: "), "\(summary)")
        #expect(summary.contains("HCN_E_PORT_ALREADY_EXISTS"), "\(summary)")
        try node.addPod("pod1")
        #expect(node.findings() == [])
    }

    @Test(
        "a symbolic link or a FIFO at the logFile: log-not-regular, read through neither, and ADD still succeeds",
        arguments: ["link", "fifo"])
    func logNotRegular(_ kind: String) throws {
        let node = try DoctorNode(.hostGW)
        let elsewhere = node.node.root + "/elsewhere.log"
        try Files.write(elsewhere, Array("{\"command\":\"ADD\",\"containerID\":\"x\",\"code\":999}\n".utf8))
        if kind == "link" {
            try Files.makeLink(node.logPath, to: elsewhere)
        } else {
            let child = try ChildProcess("/usr/bin/mkfifo", arguments: [node.logPath], environment: nil)
            #expect(try child.wait() == 0)
        }
        try node.addPod("pod1")
        #expect(node.findings() == ["log-not-regular"])
        #expect(node.finding("log-not-regular")?["severity"] == "warning")
        #expect(try Files.read(elsewhere).count == 47)
        try Files.remove(node.logPath)
        try node.addPod("pod2")
        #expect(node.findings() == [])
    }
}

/// HNS as it answers for an Overlay network bound to no adapter: network documents without ProviderAddress.
final class NoProviderAddressService: HostNetworkService {
    let underlying: any HostNetworkService

    init(_ underlying: any HostNetworkService) { self.underlying = underlying }

    func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        try underlying.enumerate(kind, query: query)
    }
    func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError) -> HCNHandle
    {
        try underlying.create(kind, id: id, settings: settings, network: network)
    }
    func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        try underlying.open(kind, id: id)
    }
    func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        let text = try underlying.queryProperties(handle, query: query)
        guard handle.kind == .network, var document = (try? JSON.parse(text))?.objectValue else {
            return text
        }
        document["Policies"] = document["Policies"]?.arrayValue.map { policies in
            .array(policies.filter { $0["Type"]?.stringValue != "ProviderAddress" })
        }
        return JSON.object(document).compact()
    }
    func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        try underlying.modify(handle, settings: settings)
    }
    func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) { try underlying.delete(kind, id: id) }
    func close(_ handle: HCNHandle) { underlying.close(handle) }
    func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        try underlying.hnsCall(method: method, path: path, request: request)
    }
}
