import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

/// These run the built `hnsctl` ($WINCNI_BIN/hnsctl or .build/debug/hnsctl) as separate processes on one state
/// directory, as plugins and operators share one HNS on a node.
@Suite("hnsctl against the simulator, in separate processes", .serialized)
struct HNSControlProcessTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: hnsctlPath()), "build hnsctl first: \(hnsctlPath())")
    }

    @Test("flannel up --backend host-gw creates cbr0 and cbr0_ep at .2; running it again changes nothing")
    func flannelHostGW() throws {
        let node = try SimulatedNode()
        let env = node.directory + "/subnet.env"
        // CRLF line ends, as a file edited on Windows has them.
        try
            "FLANNEL_NETWORK=10.244.0.0/16\r\nFLANNEL_SUBNET=10.244.1.1/24\r\nFLANNEL_MTU=1450\r\nFLANNEL_IPMASQ=true\r\n"
            .write(toFile: env, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let up = try hnsctl(node.directory, "flannel", "up", "--subnet-env", env, "--backend", "host-gw")
            #expect(up.status == 0, "\(up.stderr)")
        }
        let list = try hnsctl(node.directory, "endpoint", "list", "--json")
        #expect(list.status == 0)
        let endpoints = try JSON.parse(list.stdout).arrayValue ?? []
        #expect(endpoints.count == 1)
        #expect(endpoints.first?["Name"] == "cbr0_ep")
        #expect(endpoints.first?["IpConfigurations"]?.arrayValue?.first?["IpAddress"] == "10.244.1.2")
        let network = try JSON.parse(try hnsctl(node.directory, "network", "show", "cbr0", "--json").stdout)
        #expect(network["Type"] == "L2Bridge")
        #expect(
            network["Ipams"]?.arrayValue?.first?["Subnets"]?.arrayValue?.first?["IpAddressPrefix"] == "10.244.1.0/24")
    }

    @Test("flannel up --backend vxlan creates flannel.4096 (Overlay, VSID 4096) with HostRoute and DrMacAddress")
    func flannelVXLAN() throws {
        let node = try SimulatedNode()
        let env = node.directory + "/subnet.env"
        try "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
            .write(toFile: env, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let up = try hnsctl(node.directory, "flannel", "up", "--subnet-env", env, "--backend", "vxlan")
            #expect(up.status == 0, "\(up.stderr)")
        }
        let network = try JSON.parse(try hnsctl(node.directory, "network", "show", "flannel.4096", "--json").stdout)
        #expect(network["Type"] == "Overlay")
        let types = network["Policies"]?.arrayValue?.compactMap { $0["Type"]?.stringValue }
        #expect(types == ["ProviderAddress", "DrMacAddress", "HostRoute"])
        let subnet = network["Ipams"]?.arrayValue?.first?["Subnets"]?.arrayValue?.first
        #expect(subnet?["Policies"] == [["Type": "VSID", "Settings": ["IsolationId": 4096]]])
    }

    @Test("namespace create prints a GUID alone that namespace show finds")
    func namespaceCreate() throws {
        let node = try SimulatedNode()
        let created = try hnsctl(node.directory, "namespace", "create")
        #expect(created.status == 0)
        let text = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = try #require(GUID(text))
        #expect(created.stdout == text + "\n")
        let shown = try hnsctl(node.directory, "namespace", "show", id.description.lowercased(), "--json")
        #expect(shown.status == 0)
        #expect(try JSON.parse(shown.stdout)["Id"] == .string(id.description))
    }

    @Test("a failure prints one line with the HRESULT on stderr and exits 1")
    func failureLine() throws {
        let node = try SimulatedNode()
        #expect(
            try hnsctl(
                node.directory, "network", "create", "--type", "l2bridge", "--name", "a", "--subnet", "10.0.0.0/24"
            ).status == 0)
        let again = try hnsctl(
            node.directory, "network", "create", "--type", "l2bridge", "--name", "a", "--subnet", "10.1.0.0/24")
        #expect(again.status == 1)
        #expect(again.stderr.hasSuffix("\n") && again.stderr.dropLast().contains("\n") == false)
        #expect(again.stderr.contains("0x803b0010"))
        // WINCNI_HNS=sim:DIR selects the same state as --sim DIR.
        let viaEnvironment = try run(
            hnsctlPath(), ["network", "list", "--json"], environment: ["WINCNI_HNS": "sim:" + node.directory])
        #expect((try JSON.parse(viaEnvironment.stdout).arrayValue ?? []).count == 1)
    }

    @Test("every hnsctl command runs against one state directory")
    func commandTour() throws {
        let node = try SimulatedNode()
        let dir = node.directory
        func ok(_ arguments: String...) throws -> String {
            let result = try run(hnsctlPath(), ["--sim", dir] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        _ = try ok(
            "network", "create", "--type", "overlay", "--name", "vxlan0", "--subnet", "10.244.5.0/24", "--vsid", "5000")
        #expect(try ok("network", "list").contains("vxlan0"))
        #expect(try ok("network", "show", "vxlan0").contains("Overlay"))
        let endpoint = try JSON.parse(
            try ok("endpoint", "create", "--network", "vxlan0", "--name", "pod", "--ip", "10.244.5.9", "--json"))
        #expect(endpoint["IpConfigurations"]?.arrayValue?.first?["IpAddress"] == "10.244.5.9")
        #expect(try ok("endpoint", "show", "pod").contains("10.244.5.9/24"))
        #expect(try ok("endpoint", "list", "--network", "vxlan0").contains("pod"))
        let namespace = try ok("namespace", "create").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try ok("namespace", "list").contains(namespace))
        _ = try ok("endpoint", "delete", "pod")
        _ = try ok("namespace", "delete", namespace)
        _ = try ok("fault", "add", "--op", "DeleteNetwork", "--hresult", "0x80070005")
        #expect(try ok("fault", "list").contains("HcnDeleteNetwork"))
        _ = try ok("fault", "clear")
        _ = try ok("network", "delete", "vxlan0")
        #expect(try JSON.parse(try ok("network", "list", "--json")) == [])
        let unknown = try run(hnsctlPath(), ["--sim", dir, "fault", "add", "--op", "Frobnicate", "--crash", "before"])
        #expect(unknown.status == 1)
    }

    @Test("two processes creating 100 endpoints each at once end with 200 endpoints, IPs and MACs")
    func concurrentCreates() throws {
        let node = try SimulatedNode()
        try node.createNetwork(name: "cbr0", subnet: "10.244.0.0/22", gateway: "10.244.0.1")
        let script =
            "i=0; while [ $i -lt 100 ]; do \"$0\" --sim \"$1\" endpoint create --network cbr0 --name \"$2-$i\" >/dev/null || exit 1; i=$((i+1)); done"
        let workers = try ["a", "b"].map { name -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, hnsctlPath(), node.directory, name]
            try process.run()
            return process
        }
        for worker in workers {
            worker.waitUntilExit()
            #expect(worker.terminationStatus == 0)
        }
        let list = try hnsctl(node.directory, "endpoint", "list", "--json")
        #expect(list.status == 0)
        let endpoints = try JSON.parse(list.stdout).arrayValue ?? []
        #expect(endpoints.count == 200)
        let ips = Set(endpoints.compactMap { $0["IpConfigurations"]?.arrayValue?.first?["IpAddress"]?.stringValue })
        let macs = Set(endpoints.compactMap { $0["MacAddress"]?.stringValue })
        #expect(ips.count == 200)
        #expect(macs.count == 200)
    }

    @Test(
        "a crash during HcnCreateEndpoint leaves a state directory every command still reads",
        arguments: ["before", "after"])
    func crashDuringCreate(point: String) throws {
        let node = try SimulatedNode()
        try node.createNetwork(name: "cbr0")
        try node.createEndpoint(network: node.createNetwork(name: "other", subnet: "10.1.0.0/24", gateway: "10.1.0.1"))
        #expect(try hnsctl(node.directory, "fault", "add", "--op", "CreateEndpoint", "--crash", point).status == 0)
        let crashed = try hnsctl(node.directory, "endpoint", "create", "--network", "cbr0", "--name", "victim")
        #expect(crashed.status == 137)
        for command in [
            ["network", "list", "--json"], ["endpoint", "list", "--json"], ["namespace", "list", "--json"],
        ] {
            let result = try run(hnsctlPath(), ["--sim", node.directory] + command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect((try? JSON.parse(result.stdout)) != nil)
        }
        let victims = try JSON.parse(
            try hnsctl(node.directory, "endpoint", "list", "--network", "cbr0", "--json").stdout)
        #expect(victims.arrayValue?.count == (point == "after" ? 1 : 0))
        // The fault was used up: the next create works, and the state is still consistent.
        let next = try hnsctl(node.directory, "endpoint", "create", "--network", "cbr0", "--name", "next")
        #expect(next.status == 0, "\(next.stderr)")
    }

    @Test("an HRESULT fault planted with hnsctl hits the next process's call")
    func hresultFaultAcrossProcesses() throws {
        let node = try SimulatedNode()
        try node.createNetwork(name: "cbr0")
        #expect(
            try hnsctl(
                node.directory, "fault", "add", "--op", "HcnCreateEndpoint", "--hresult", "0x803b0013", "--count", "1"
            ).status == 0)
        let failed = try hnsctl(node.directory, "endpoint", "create", "--network", "cbr0")
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("HCN_E_PORT_ALREADY_EXISTS"))
        #expect(try hnsctl(node.directory, "endpoint", "create", "--network", "cbr0").status == 0)
    }
}

@Suite("hnsctl --version")
struct HNSControlVersionTests {
    @Test("--version prints hnsctl, the release of CHANGELOG.md and the commit, and exits 0")
    func version() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let changelog = try String(contentsOf: root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let heading = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        let release = try #require(heading.dropFirst(3).split(separator: " ").first)
        let output = try run(hnsctlPath(), ["--version"])
        #expect(output.status == 0)
        #expect(output.stdout.hasPrefix("hnsctl \(release) (commit "), "\(output.stdout)")
        if let given = ProcessInfo.processInfo.environment["WINCNI_COMMIT"], !given.isEmpty {
            #expect(output.stdout == "hnsctl \(release) (commit \(given))\n")
        }
    }
}
