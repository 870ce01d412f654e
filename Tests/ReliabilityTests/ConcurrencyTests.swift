import JSON
import Platform
import Testing

/// Many plugin processes at once on one node, as kubelet starts and stops pods in bursts.
@Suite("Bursts of pods: 100 ADDs, 100 DELs and a mixed storm at once")
struct ConcurrencyTests {
    static let burst = 100

    @Test(
        "100 ADDs at once all succeed with distinct IPs and endpoints; 100 DELs at once leave the node empty",
        .enabled(if: PluginAvailability.isWired))
    func burstOfPods() throws {
        let node = try TestNode()
        let pods = try (0..<Self.burst).map { try node.pod("burst\($0)") }
        let config = node.directConfig()
        let binary = node.backend.delegateType

        let adds = try pods.map { try node.spawn(binary, "ADD", $0, config: config) }
        let added = try adds.map { try $0.wait() }
        for (pod, output) in zip(pods, added) {
            #expect(output.status == 0, "ADD \(pod.containerID): \(output.stdout) \(output.stderr)")
        }
        let addresses = added.compactMap(resultAddress)
        #expect(addresses.count == Self.burst)
        #expect(Set(addresses).count == Self.burst, "duplicate IPs handed out")
        #expect(!addresses.contains("10.244.1.2"), "a pod got flanneld's bridge endpoint address")

        let endpoints = node.endpoints()
        #expect(endpoints.count == Self.burst)
        #expect(Set(endpoints.map(\.ip)) == Set(addresses))
        #expect(Set(endpoints.map(\.name)).count == Self.burst)
        let namespaces = Dictionary(uniqueKeysWithValues: pods.map { ($0.containerID + "_" + node.network, $0.netns) })
        for endpoint in endpoints {
            #expect(endpoint.namespace?.uppercased() == namespaces[endpoint.name]?.uppercased(), "\(endpoint.name)")
        }
        let reservations = node.reservations(in: node.directStore)
        #expect(Set(reservations.keys) == Set(addresses))

        let dels = try pods.map { try node.spawn(binary, "DEL", $0, config: config) }
        for (pod, process) in zip(pods, dels) {
            let output = try process.wait()
            #expect(output.status == 0, "DEL \(pod.containerID): \(output.stdout) \(output.stderr)")
        }
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    /// What the storm expects of one pod after each of its operations.
    private struct PodState {
        var address: String?
        var result: String?
    }

    @Test(
        "a storm of ADD, DEL and CHECK with repeated container IDs ends as each pod's last operation says",
        .enabled(if: PluginAvailability.isWired))
    func storm() throws {
        let node = try TestNode()
        let podCount = 25
        let operationsPerPod = 8
        var generator = SplitMix(seed: 0x5EED_CAFE)
        let pods = try (0..<podCount).map { try node.pod("storm\($0)") }
        // Each pod runs its own sequence (the runtime never overlaps two operations of one sandbox); the pods'
        // sequences all run at once.
        let plans: [[String]] = pods.map { _ in
            (0..<operationsPerPod).map { _ in ["ADD", "ADD", "DEL", "CHECK"][Int(generator.next() % 4)] }
        }
        var states = [PodState](repeating: PodState(), count: podCount)
        var next = [Int](repeating: 0, count: podCount)
        var running: [Int64: (pod: Int, operation: String, process: RunningProcess)] = [:]
        let binary = node.backend.delegateType

        func start(_ index: Int) throws {
            guard next[index] < operationsPerPod else { return }
            let operation = plans[index][next[index]]
            next[index] += 1
            var config = node.directConfig()
            if operation == "CHECK", let result = states[index].result {
                config = node.directConfig(extra: #""prevResult":\#(result)"#)
            }
            let process = try node.spawn(binary, operation, pods[index], config: config)
            running[process.pid] = (index, operation, process)
        }

        for index in pods.indices { try start(index) }
        var total = 0
        while !running.isEmpty {
            // Poll our own children only: Swift Testing runs other suites in this process at the same time, and
            // waiting for any child would reap theirs.
            var finished: (Int64, ProcessOutput)?
            for (pid, entry) in running {
                if let output = try entry.process.poll() {
                    finished = (pid, output)
                    break
                }
            }
            guard let (pid, output) = finished else {
                ProcessEnvironment.sleep(milliseconds: 2)
                continue
            }
            guard let entry = running.removeValue(forKey: pid) else { continue }
            total += 1
            let index = entry.pod
            let pod = pods[index].containerID
            switch entry.operation {
            case "ADD":
                #expect(output.status == 0, "ADD \(pod): \(output.stdout)")
                if output.status == 0 {
                    let address = resultAddress(output)
                    if let held = states[index].address {
                        #expect(address == held, "a repeated ADD of \(pod) changed its IP from \(held)")
                    }
                    states[index] = PodState(address: address, result: output.stdout)
                }
            case "DEL":
                #expect(output.status == 0, "DEL \(pod): \(output.stdout)")
                if output.status == 0 { states[index] = PodState() }
            default:
                if states[index].address != nil {
                    #expect(output.status == 0, "CHECK of added \(pod): \(output.stdout)")
                } else {
                    #expect(output.status == 1, "CHECK of deleted \(pod) succeeded")
                    #expect(CNIErrorOutput(output) != nil)
                }
            }
            try start(index)
        }
        #expect(total == podCount * operationsPerPod)

        let endpoints = node.endpoints()
        let reservations = node.reservations(in: node.directStore)
        for (index, pod) in pods.enumerated() {
            let name = pod.containerID + "_" + node.network
            let endpoint = endpoints.filter { $0.name == name }
            let held = reservations.filter { $0.value == pod.containerID }.map(\.key)
            if let address = states[index].address {
                #expect(endpoint.map(\.ip) == [address], "\(pod.containerID) should have one endpoint at \(address)")
                #expect(held == [address], "\(pod.containerID) should hold exactly \(address): \(held)")
            } else {
                #expect(endpoint.isEmpty, "\(pod.containerID) was deleted last but has \(endpoint)")
                #expect(held.isEmpty, "\(pod.containerID) was deleted last but holds \(held)")
            }
        }
        #expect(endpoints.count == states.filter { $0.address != nil }.count)
    }

    @Test(
        "ADDs of the same container racing each other all get its one endpoint; a DEL afterwards leaves nothing",
        .enabled(if: PluginAvailability.isWired))
    func sameContainerRace() throws {
        let node = try TestNode()
        let pods = try (0..<10).map { try node.pod("race\($0)") }
        let config = node.directConfig()
        let binary = node.backend.delegateType
        let processes = try pods.flatMap { pod in
            try (0..<3).map { _ in (pod, try node.spawn(binary, "ADD", pod, config: config)) }
        }
        var succeeded: [String: Set<String>] = [:]
        for (pod, process) in processes {
            let output = try process.wait()
            if output.status == 0, let address = resultAddress(output) {
                succeeded[pod.containerID, default: []].insert(address)
            } else {
                Issue.record(
                    "a racing ADD of \(pod.containerID) failed: \(output.status) \(output.stdout) \(output.stderr)")
            }
        }
        let endpoints = node.endpoints()
        let reservations = node.reservations(in: node.directStore)
        for pod in pods {
            let name = pod.containerID + "_" + node.network
            let mine = endpoints.filter { $0.name == name }
            let held = Set(reservations.filter { $0.value == pod.containerID }.map(\.key))
            // The CNI spec forbids a runtime to run operations of one container in parallel (SPEC.md §3); wincni
            // serializes them anyway (a per-container lock in host-local's store), so the racers after the first
            // find its endpoint and answer with it: one endpoint, one address, every ADD successful.
            #expect(mine.count == 1, "\(pod.containerID) has \(mine.count) endpoints")
            #expect(
                (succeeded[pod.containerID] ?? []).count == 1,
                "racing ADDs of \(pod.containerID) got IPs \(succeeded[pod.containerID] ?? [])")
            #expect(held == Set(mine.map(\.ip)), "\(pod.containerID)'s endpoints \(mine), host-local holds \(held)")
        }

        let dels = try pods.map { try node.spawn(binary, "DEL", $0, config: config) }
        for (pod, process) in zip(pods, dels) {
            let output = try process.wait()
            #expect(output.status == 0, "DEL \(pod.containerID): \(output.stdout) \(output.stderr)")
        }
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }
}

/// A small deterministic generator, so a failing storm can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
