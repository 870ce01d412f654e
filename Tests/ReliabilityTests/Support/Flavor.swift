import HNSSimulator

/// How the runtime reaches the endpoint plugin: directly (`win-bridge`/`win-overlay` with host-local in the node's
/// `ipam/`), or through the flannel meta plugin, which also keeps the delegate config under its `dataDir`.
enum Flavor: String, Sendable, CaseIterable {
    case direct
    case flannel

    func binary(_ node: TestNode) -> String { self == .direct ? node.backend.delegateType : "flannel" }

    func config(_ node: TestNode, version: String = "1.1.0", extra: String = "") -> String {
        switch self {
        case .direct: return node.directConfig(version: version, extra: extra)
        case .flannel: return node.flannelConfig(version: version, extra: extra)
        }
    }
}

extension TestNode {
    func run(_ flavor: Flavor, _ command: String, _ pod: Pod?, extra: String = "") throws -> ProcessOutput {
        try run(flavor.binary(self), command, pod, config: flavor.config(self, extra: extra))
    }

    /// GC keeping only `valid` pods.
    func gc(_ flavor: Flavor, keeping valid: [Pod]) throws -> ProcessOutput {
        let list = valid.map { #"{"containerID":"\#($0.containerID)","ifname":"eth0"}"# }.joined(separator: ",")
        return try run(
            flavor.binary(self), "GC", nil,
            config: flavor.config(self, extra: #""cni.dev/valid-attachments":[\#(list)]"#))
    }

    /// CHECK with the result of the pod's ADD as prevResult.
    func check(_ flavor: Flavor, _ pod: Pod, prevResult: String) throws -> ProcessOutput {
        try run(flavor.binary(self), "CHECK", pod, config: flavor.config(self, extra: #""prevResult":\#(prevResult)"#))
    }

    /// Plants a fault in-process (no hnsctl run): for the matrices where time counts.
    func plant(_ operation: String, _ kind: SimulatorFault.Kind) throws {
        try HNSSimulator(directory: hns).addFault(SimulatorFault(op: operation, kind: kind, count: 1))
    }

    /// The faults still planted (not yet used).
    func plantedFaults() -> [SimulatorFault] {
        (try? HNSSimulator(directory: hns))?.faults() ?? []
    }

    /// Where the pod's resources are: its endpoint, its reservations (either store), its saved delegate config.
    func traces(of pod: Pod) -> [String] {
        leftovers().filter { $0.contains(pod.containerID) }
    }
}
