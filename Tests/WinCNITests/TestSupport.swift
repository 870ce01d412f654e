import CNI
import HCN
import HNSSimulator
import JSON
import NetAddress
import Platform
import Synchronization
import Testing

@testable import WinCNI

/// The `Fixtures` directory next to this file.
let fixturesDirectory: String = {
    let file = #filePath
    let directory = file[..<(file.lastIndex(of: "/") ?? file.endIndex)]
    return directory + "/Fixtures"
}()

/// The repository root (for `conf/`).
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
    return path
}()

func readText(_ path: String) throws -> String {
    String(decoding: try Files.read(path), as: UTF8.self)
}

func fixtureObject(_ name: String) throws -> JSONObject {
    let value = try JSON.parse(try readText("\(fixturesDirectory)/configs/\(name).json"))
    return try #require(value.objectValue)
}

func object(_ text: String) throws -> JSONObject {
    try #require(try JSON.parse(text).objectValue)
}

/// The error a throwing expression produced, for table tests that compare messages.
func thrownError<T>(_ body: () throws -> T) -> WinCNIError? {
    do {
        _ = try body()
        return nil
    } catch let error as WinCNIError {
        return error
    } catch {
        return .internalFailure("unexpected error \(error)")
    }
}

// MARK: - A simulated node

/// A process runner for tests that must not exec anything.
struct NoExecRunner: ProcessRunner {
    func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
    {
        throw CNIError(.internalError, "test tried to exec \(executable)")
    }
}

/// A process runner that answers with `respond` and records every call (executable, CNI_COMMAND, stdin).
struct FakeRunner: ProcessRunner {
    let calls = LogLines()
    let respond: @Sendable (_ executable: String, _ command: String, _ stdin: [UInt8]) -> ProcessOutput

    func run(_ executable: String, environment: [String], stdin: [UInt8], timeoutSeconds: Int) throws(CNIError)
        -> ProcessOutput
    {
        let command = environment.last { $0.hasPrefix("CNI_COMMAND=") }.map { String($0.dropFirst(12)) } ?? ""
        calls.append("\(executable) \(command) \(String(decoding: stdin, as: UTF8.self))")
        return respond(executable, command, stdin)
    }
}

/// Thread-safe log lines.
final class LogLines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLockish()
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

final class NSLockish: Sendable {
    private let mutex = Mutex(())
    func withLock<T>(_ body: () -> T) -> T { mutex.withLock { _ in body() } }
}

enum Backend: String, Sendable, CaseIterable {
    case hostGW = "host-gw"
    case vxlan
}

/// A temp directory holding a simulated HNS, host-local's store, flannel's data directory and subnet.env.
final class TestNode {
    let root: String
    let simulator: HNSSimulator
    let client: HCNClient
    let log = LogLines()
    var service: any HostNetworkService

    var hnsDirectory: String { root + "/hns" }
    var ipamDirectory: String { root + "/networks" }
    var flannelDirectory: String { root + "/flannel" }
    var subnetEnvPath: String { root + "/subnet.env" }

    init() throws {
        root = try Files.makeTemporaryDirectory(prefix: "wincni-plugin-")
        simulator = try HNSSimulator(directory: root + "/hns")
        service = simulator
        client = HCNClient(service: simulator)
    }

    deinit { removeTree(root) }

    /// subnet.env as flanneld writes it for lease 10.244.1.0/24 of cluster 10.244.0.0/16.
    func writeSubnetEnv(ipMasq: Bool = false) throws {
        let text =
            "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=\(ipMasq)\n"
        try Files.write(subnetEnvPath, Array(text.utf8), mode: .atomic, permissions: 0o644)
    }

    /// What `hnsctl flannel up` does: host-gw → L2Bridge `cbr0` with `cbr0_ep` at .2; vxlan → Overlay
    /// `flannel.4096` with VSID 4096. Returns the network.
    @discardableResult
    func flannelUp(_ backend: Backend, name: String? = nil) throws -> HostComputeNetwork {
        try writeSubnetEnv()
        let name = name ?? networkName(backend)
        var subnet: JSONObject = [
            "IpAddressPrefix": "10.244.1.0/24",
            "Routes": [["NextHop": "10.244.1.1", "DestinationPrefix": "0.0.0.0/0"]],
        ]
        if backend == .vxlan { subnet["Policies"] = [["Type": "VSID", "Settings": ["IsolationId": 4096]]] }
        var document: JSONObject = [
            "Name": .string(name), "Type": .string(backend == .hostGW ? "L2Bridge" : "Overlay"),
            "Ipams": [["Type": "Static", "Subnets": [.object(subnet)]]],
        ]
        if backend == .vxlan { document["Flags"] = 8 }
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        let network = try client.createNetwork(try HostComputeNetwork(json: .object(document)))
        if backend == .hostGW {
            let endpoint = try HostComputeEndpoint(
                json: [
                    "Name": .string("\(name)_ep"), "HostComputeNetwork": .string(network.id),
                    "IpConfigurations": [["IpAddress": "10.244.1.2"]], "SchemaVersion": ["Major": 2, "Minor": 0],
                ])
            _ = try client.createEndpoint(endpoint, networkID: network.id)
        }
        return try #require(try client.network(named: name))
    }

    func networkName(_ backend: Backend) -> String { backend == .hostGW ? "cbr0" : "flannel.4096" }

    /// A namespace as containerd creates one for a pod sandbox.
    func makeNamespace() throws -> String {
        try client.createNamespace(try HostComputeNamespace(json: ["SchemaVersion": ["Major": 2, "Minor": 0]])).id
    }

    /// The flannel config of the sig-windows-tools containerd shapes (research §8), placeholders filled.
    func flannelConfig(_ backend: Backend, cniVersion: String, extra: String = "") -> String {
        let policies: String
        switch backend {
        case .hostGW:
            policies = #"""
                "type": "win-bridge",
                "policies": [
                  {"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT", "ExceptionList": ["10.244.0.0/16", "10.96.0.0/12", "192.168.1.0/24"]}},
                  {"Name": "EndpointPolicy", "Value": {"Type": "ROUTE", "DestinationPrefix": "10.96.0.0/12", "NeedEncap": true}},
                  {"Name": "EndpointPolicy", "Value": {"Type": "ROUTE", "DestinationPrefix": "192.168.1.10/32", "NeedEncap": true}}
                ]
                """#
        case .vxlan:
            policies = #"""
                "type": "sdnoverlay",
                "AdditionalArgs": [
                  {"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT", "Settings": {"Exceptions": ["10.96.0.0/12", "10.244.0.0/16"]}}},
                  {"Name": "EndpointPolicy", "Value": {"Type": "SDNROUTE", "Settings": {"DestinationPrefix": "10.96.0.0/12", "NeedEncap": true}}}
                ]
                """#
        }
        return #"""
            {"cniVersion": "\#(cniVersion)", "name": "\#(networkName(backend))", "type": "flannel",
             "subnetFile": "\#(subnetEnvPath)", "dataDir": "\#(flannelDirectory)",
             "ipam": {"dataDir": "\#(ipamDirectory)"},
             "capabilities": {"portMappings": true, "dns": true},
             "delegate": {\#(policies),
               "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]}}\#(extra)}
            """#
    }

    /// Runs one command through the CNI dispatcher, as the binary would.
    func run(
        _ command: CNICommand, stdin: String, containerID: String? = "abc123", netns: String? = nil,
        ifname: String? = "eth0", plugin: WinCNIPlugin? = nil, runner: any ProcessRunner = NoExecRunner(),
        cniPath: String = "/nonexistent", cniArgs: String? = nil, platform: CNIPlatform = .posix
    ) -> (code: Int32, json: JSON?, text: String) {
        var variables = ["CNI_COMMAND=\(command.rawValue)", "CNI_PATH=\(cniPath)"]
        if command != .gc && command != .status {
            if let containerID { variables.append("CNI_CONTAINERID=\(containerID)") }
            if let netns { variables.append("CNI_NETNS=\(netns)") }
            if let ifname { variables.append("CNI_IFNAME=\(ifname)") }
            if let cniArgs { variables.append("CNI_ARGS=\(cniArgs)") }
        }
        let bytes = Array(stdin.utf8)
        let log = self.log
        let environment = CNIEnvironment(
            variables: variables, readStdin: { () throws(CNIError) -> [UInt8] in bytes }, runner: runner,
            log: { log.append($0) }, platform: platform)
        let output = CNIDispatcher.run(plugin ?? WinCNIPlugin(hns: service), environment: environment, about: "test")
        let text = String(decoding: output.stdout, as: UTF8.self)
        return (output.exitCode, try? JSON.parse(output.stdout), text)
    }

    /// Every endpoint in HNS.
    func endpoints() throws -> [HostComputeEndpoint] { try client.endpoints(networkID: nil) }

    /// host-local's reservations for `network` (IP files only).
    func reservations(_ network: String) -> [String] {
        ((try? Files.list("\(ipamDirectory)/\(network)")) ?? []).filter {
            IPAddress($0) != nil || IPAddress($0.replacingUnderscores()) != nil
        }
    }

    /// flannel's saved delegate configs (everything in its dataDir).
    func savedDelegateConfigs() -> [String] { (try? Files.list(flannelDirectory)) ?? [] }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? ":" : $0 }) }
}

/// `rm -rf`.
func removeTree(_ path: String) { Files.removeTree(path) }
