import HCN
import HNSSimulator
import JSON
import Platform
import Testing

/// kill -9 at random points: plugin and hnsctl processes are killed after random delays while they run, some in
/// parallel, and HNS must stay one consistent state that every later command reads and that DEL cleans up.
@Suite("SIGKILL storm: 200 mixed operations killed at random points leave one consistent HNS")
struct KillStormTests {
    static let operations = 200
    static let podCount = 12
    static let parallel = 4

    @Test(
        "every listed object can be shown, nothing is held twice, and DEL of every pod leaves no pod endpoint",
        .enabled(if: PluginAvailability.isWired))
    func killStorm() throws {
        let node = try TestNode(.hostGW)
        let pods = try (0..<Self.podCount).map { try node.pod("storm\($0)") }
        let config = node.directConfig()
        let binary = node.backend.delegateType
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        var finished = 0

        var started = 0
        // Kill delays are drawn from 0 to `window` ms; the window halves after every kill that came when its process
        // had finished already, so a fast plugin and simulator are still killed at work (with a fixed 15 ms, one
        // run in 40 killed none).
        var window = 15
        while started < Self.operations {
            var batch: [RunningProcess] = []
            for _ in 0..<min(Self.parallel, Self.operations - started) {
                let pod = pods[Int.random(in: 0..<pods.count, using: &generator)]
                let extra = "extra-\(Int.random(in: 0..<8, using: &generator))"
                switch Int.random(in: 0..<5, using: &generator) {
                case 0, 1: batch.append(try node.spawn(binary, "ADD", pod, config: config))
                case 2: batch.append(try node.spawn(binary, "DEL", pod, config: config))
                case 3:
                    let address = "10.244.1.\(240 + Int.random(in: 0..<8, using: &generator))"
                    batch.append(
                        try node.spawnHNSControl([
                            "endpoint", "create", "--network", node.network, "--name", extra, "--ip", address,
                        ]))
                default: batch.append(try node.spawnHNSControl(["endpoint", "delete", extra]))
                }
                started += 1
            }
            // Each process of the batch is killed after a random delay within the window, or left to finish.
            for process in batch where Bool.random(using: &generator) {
                ProcessEnvironment.sleep(milliseconds: Int.random(in: 0..<window, using: &generator))
                if process.kill() { killed += 1 } else { window = max(1, window / 2) }
            }
            for process in batch {
                let output = try process.wait()
                if output.status != 137 { finished += 1 }
            }
        }
        #expect(killed > 0 && finished > 0, "killed \(killed), finished \(finished)")

        // One consistent HNS for every later command.
        let simulator = try HNSSimulator(directory: node.hns)
        #expect(try simulator.consistencyProblems() == [])
        var shown: [JSON] = []
        for kind in ["network", "endpoint", "namespace"] {
            let list = try node.hnsctl([kind, "list", "--json"])
            #expect(list.status == 0, "\(kind) list: \(list.stderr)")
            for object in (try? JSON.parse(list.stdout))?.arrayValue ?? [] {
                let id = object["Id"]?.stringValue ?? ""
                let show = try node.hnsctl([kind, "show", id, "--json"])
                #expect(show.status == 0, "\(kind) show \(id): \(show.stderr)")
                #expect((try? JSON.parse(show.stdout))?["Id"]?.stringValue == id)
                if kind == "endpoint" { shown.append(object) }
            }
        }
        let addresses = shown.compactMap { $0["IpConfigurations"]?.arrayValue?.first?["IpAddress"]?.stringValue }
        #expect(Set(addresses).count == addresses.count, "an IP is held twice: \(addresses.sorted())")
        let macs = shown.compactMap { $0["MacAddress"]?.stringValue }
        #expect(Set(macs).count == macs.count, "a MAC is held twice: \(macs.sorted())")
        // HNS does not keep endpoint names unique (hnsctl may make two `extra-N`), but a pod has one endpoint.
        let names = shown.compactMap { $0["Name"]?.stringValue }.filter { !$0.hasPrefix("extra-") }
        #expect(Set(names).count == names.count, "a pod has two endpoints: \(names.sorted())")
        // Every host-local reservation belongs to a pod whose endpoint holds that address, or to a pod whose ADD
        // was killed before its endpoint was made (its DEL below gives it back).
        let held = Set(addresses)
        for (address, owner) in node.reservations(in: node.directStore) where held.contains(address) {
            #expect(
                shown.contains { $0["Name"]?.stringValue == owner + "_" + node.network },
                "reservation \(address) of \(owner) is another endpoint's address")
        }

        for pod in pods {
            let del = try node.run(binary, "DEL", pod, config: config)
            #expect(del.status == 0, "DEL \(pod.containerID): \(del.stdout)")
        }
        #expect(node.endpoints().filter { !$0.name.hasPrefix("extra-") } == [])
        let left = node.reservations(in: node.directStore).keys.map { address in
            address + ": " + String(reflecting: FileTree.text(node.directStore + "/" + address) ?? "")
        }
        #expect(left == [])
        #expect(try simulator.consistencyProblems() == [])
    }
}

extension TestNode {
    /// Starts `hnsctl --sim <node> arguments…` without waiting for it.
    func spawnHNSControl(_ arguments: [String]) throws -> RunningProcess {
        try RunningProcess(
            try Binaries.path("hnsctl"), arguments: ["--sim", hns] + arguments, environment: ["PATH": "/usr/bin:/bin"],
            stdin: [])
    }
}
