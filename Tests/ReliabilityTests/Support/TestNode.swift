import HCN
import HNSSimulator
import JSON
import Platform

/// The flanneld backend a node was set up with: host-gw makes an L2Bridge network (win-bridge), vxlan an Overlay
/// network (win-overlay).
enum FlannelBackend: String, Sendable {
    case hostGW = "host-gw"
    case vxlan

    var delegateType: String { self == .hostGW ? "win-bridge" : "win-overlay" }
}

/// One pod as the runtime knows it: its container ID and the HCN namespace containerd created for it.
struct Pod: Sendable, Hashable {
    var containerID: String
    var netns: String
}

/// One endpoint as the simulator stores it.
struct StoredEndpoint: Sendable, Equatable {
    var id: String
    var name: String
    var ip: String
    var namespace: String?
}

/// A simulated Windows node in a private temporary directory: the HNS simulator's state (`hns/`), a host-local
/// data directory (`ipam/`), flannel's data directory (`flannel/`) and `subnet.env`, set up the way flanneld sets
/// up a node (`hnsctl flannel up`). Each node has its own network name, so flannel configs (whose host-local store
/// is always the default `/var/lib/cni/networks/<name>`) never share a store with another test.
final class TestNode: @unchecked Sendable {
    static let defaultSubnetEnv =
        "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
    static let podSubnet = "10.244.1.0/24"

    let root: String
    let backend: FlannelBackend
    let network: String

    var hns: String { root + "/hns" }
    var ipamDataDir: String { root + "/ipam" }
    var flannelDataDir: String { root + "/flannel" }
    var subnetEnvPath: String { root + "/subnet.env" }
    /// Where the reservations of direct (`win-bridge`/`win-overlay`) configs live.
    var directStore: String { ipamDataDir + "/" + network }
    /// Where the reservations of flannel configs live (flannel gives host-local no `dataDir`).
    var flannelStore: String { "/var/lib/cni/networks/" + network }
    /// Every directory a command may change: the HNS state, both host-local stores and flannel's data directory.
    var stateRoots: [String] { [hns, ipamDataDir, flannelDataDir, flannelStore] }

    private let simulator: HNSSimulator

    init(_ backend: FlannelBackend = .hostGW, subnetEnv: String = TestNode.defaultSubnetEnv, up: Bool = true) throws {
        root = try TemporaryDirectory.make("node")
        self.backend = backend
        let suffix = String(root.suffix(6)).lowercased()
        network = (backend == .hostGW ? "cbr0-" : "vxlan0-") + suffix
        simulator = try HNSSimulator(directory: root + "/hns")
        try FileTree.write(subnetEnvPath, subnetEnv)
        if up {
            let output = try hnsctl([
                "flannel", "up", "--subnet-env", subnetEnvPath, "--backend", backend.rawValue, "--name", network,
            ])
            guard output.status == 0 else { throw HarnessError("hnsctl flannel up failed: \(output.stderr)") }
        }
    }

    deinit {
        FileTree.remove(root)
        FileTree.remove(flannelStore)
    }

    // MARK: Running things

    func hnsctl(_ arguments: [String]) throws -> ProcessOutput {
        try RunningProcess.run(
            try Binaries.path("hnsctl"), arguments: ["--sim", hns] + arguments, environment: ["PATH": "/usr/bin:/bin"],
            stdin: [])
    }

    /// Plants a fault with `hnsctl fault add`.
    func fault(_ operation: String, _ kind: String) throws {
        let arguments: [String]
        if kind.hasPrefix("0x") {
            arguments = ["fault", "add", "--op", operation, "--hresult", kind, "--count", "1"]
        } else {
            arguments = ["fault", "add", "--op", operation, "--crash", kind, "--count", "1"]
        }
        let output = try hnsctl(arguments)
        guard output.status == 0 else { throw HarnessError("hnsctl \(arguments) failed: \(output.stderr)") }
    }

    func clearFaults() throws {
        try simulator.clearFaults()
    }

    /// The runtime's variables for one command, all valid unless `changes` says otherwise (a nil value unsets).
    func environment(_ command: String, _ pod: Pod?, ifname: String = "eth0", _ changes: [String: String?] = [:])
        -> [String: String]
    {
        var variables: [String: String] = [
            "CNI_COMMAND": command, "CNI_IFNAME": ifname, "CNI_PATH": Binaries.directory ?? "/opt/cni/bin",
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
            "WINCNI_HNS": "sim:" + hns, "PATH": "/usr/bin:/bin",
        ]
        if let pod {
            variables["CNI_CONTAINERID"] = pod.containerID
            variables["CNI_NETNS"] = pod.netns
        }
        for (key, value) in changes { variables[key] = value }
        return variables
    }

    /// Runs the plugin binary `name` (`wincni`, `flannel`, `win-bridge`, ...) for `command`.
    func run(
        _ name: String, _ command: String, _ pod: Pod?, config: String, ifname: String = "eth0",
        _ changes: [String: String?] = [:]
    ) throws -> ProcessOutput {
        try run(name, command, pod, stdin: Array(config.utf8), ifname: ifname, changes)
    }

    /// Runs the plugin with exactly `stdin` (which need not be UTF-8).
    func run(
        _ name: String, _ command: String, _ pod: Pod?, stdin: [UInt8], ifname: String = "eth0",
        _ changes: [String: String?] = [:]
    ) throws -> ProcessOutput {
        try RunningProcess.run(
            try Binaries.path(name), environment: environment(command, pod, ifname: ifname, changes), stdin: stdin)
    }

    func spawn(_ name: String, _ command: String, _ pod: Pod?, config: String) throws -> RunningProcess {
        try RunningProcess(
            try Binaries.path(name), environment: environment(command, pod), stdin: Array(config.utf8))
    }

    // MARK: Pods

    /// A pod with a new HCN namespace, as containerd creates one before ADD. Create pods before planting faults:
    /// this goes through the simulator in the test process.
    func pod(_ containerID: String) throws -> Pod {
        let id = TestNode.randomGUID()
        guard let guid = GUID(id) else { throw HarnessError("bad GUID \(id)") }
        let handle = try simulator.create(
            .namespace, id: guid, settings: #"{"SchemaVersion":{"Major":2,"Minor":0}}"#, network: nil)
        simulator.close(handle)
        return Pod(containerID: containerID, netns: id)
    }

    static func randomGUID() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let hex = bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    // MARK: Configs

    /// A win-bridge (host-gw) or win-overlay (vxlan) config with host-local IPAM in this node's `ipam/`.
    func directConfig(version: String = "1.0.0", extra: String = "", ipamExtra: String = "") -> String {
        #"{"cniVersion":"\#(version)","name":"\#(network)","type":"\#(backend.delegateType)","#
            + #""ipam":{"type":"host-local","subnet":"\#(TestNode.podSubnet)","dataDir":"\#(ipamDataDir)"\#(ipamExtra)}"#
            + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    /// A flannel config as sig-windows-tools writes it, pointing at this node's `subnet.env` and data directory.
    func flannelConfig(version: String = "1.0.0", delegateExtra: String = "", extra: String = "") -> String {
        #"{"cniVersion":"\#(version)","name":"\#(network)","type":"flannel","subnetFile":"\#(subnetEnvPath)","#
            + #""dataDir":"\#(flannelDataDir)","delegate":{"type":"\#(backend.delegateType)","#
            + #""policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]}}]"#
            + (delegateExtra.isEmpty ? "" : "," + delegateExtra) + "}" + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    // MARK: State

    /// Every file of the node's state, with the simulator's database read as its objects (`hns/<kind>/<n>`: each
    /// stored document, oldest first) rather than as the bytes of `hns.db` and its log, which change with every
    /// fault used and every checkpoint.
    func snapshot(ignoring: (String) -> Bool = { _ in false }) -> Snapshot {
        var snapshot = Snapshot(stateRoots) { path in
            ignoring(path) || path.hasPrefix(hns + "/")
        }
        for kind in HCNResourceKind.allCases {
            let documents = (try? simulator.storedDocuments(kind)) ?? ["unreadable"]
            for (index, document) in documents.enumerated() {
                snapshot.entries[hns + "/" + kind.rawValue + "/" + String(index)] = Snapshot.Entry(
                    kind: .regular, mode: 0o600, bytes: Array(document.utf8))
            }
        }
        return snapshot
    }

    /// The pod endpoints of this node (flanneld's host endpoint `<network>_ep` left out).
    func endpoints() -> [StoredEndpoint] {
        var result: [StoredEndpoint] = []
        for text in (try? simulator.storedDocuments(.endpoint)) ?? [] {
            guard let document = try? JSON.parse(text), let endpointName = document["Name"]?.stringValue,
                endpointName != network + "_ep"
            else { continue }
            let ip = document["IpConfigurations"]?.arrayValue?.first?["IpAddress"]?.stringValue ?? ""
            result.append(
                StoredEndpoint(
                    id: document["Id"]?.stringValue ?? "", name: endpointName, ip: ip,
                    namespace: document["HostComputeNamespace"]?.stringValue))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// host-local reservations (address → container ID) in `store`.
    func reservations(in store: String) -> [String: String] {
        var result: [String: String] = [:]
        for name in FileTree.list(store)
        where name != "lock" && !name.hasPrefix("last_reserved_ip") {
            let content = FileTree.text(store + "/" + name) ?? ""
            result[name] = String(content.split(separator: "\r\n", omittingEmptySubsequences: false).first ?? "")
        }
        return result
    }

    /// Saved flannel delegate configs (temporary files included).
    func savedDelegates() -> [String] { FileTree.list(flannelDataDir) }

    /// Everything that would show a leak: pod endpoints, reservations in both stores, saved delegate configs.
    func leftovers() -> [String] {
        endpoints().map { "endpoint \($0.name) \($0.ip)" }
            + reservations(in: directStore).map { "reservation \($0.key) (\($0.value))" }
            + reservations(in: flannelStore).map { "flannel reservation \($0.key) (\($0.value))" }
            + savedDelegates().map { "saved delegate config \($0)" }
    }
}

/// The error document a failed command printed, or nil when stdout is not exactly one.
struct CNIErrorOutput {
    var code: Int64
    var msg: String
    var details: String
    var text: String { msg + " " + details }

    init?(_ output: ProcessOutput) {
        guard let document = try? JSON.parse(output.stdout), let code = document["code"]?.int64Value else { return nil }
        self.code = code
        msg = document["msg"]?.stringValue ?? ""
        details = document["details"]?.stringValue ?? ""
    }
}

/// The first IPv4 address of an ADD result.
func resultAddress(_ output: ProcessOutput) -> String? {
    guard let document = try? JSON.parse(output.stdout), let ips = document["ips"]?.arrayValue,
        let address = ips.first?["address"]?.stringValue
    else { return nil }
    return String(address.split(separator: "/").first ?? "")
}
