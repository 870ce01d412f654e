import HCN
import HNSSimulator
import JSON
import Testing

/// HNS round trips per pod, counted with the simulator's call trace (HCN and v1 calls together): wincni makes fewer
/// than any Go plugin (they make 14 to 16 for an ADD and 13 to 17 for a DEL), and the count does not grow with the
/// number of endpoints on the network.
@Suite("HNS round trips per pod through conf/flannel-host-gw.conf", .serialized)
struct RoundTripTests {
    /// The repository's conf/flannel-host-gw.conf, pointed at `node`'s network, subnet.env and data directory.
    static func shippedConfig(_ node: TestNode) throws -> String {
        let root = String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
            .joined(separator: "/")
        let text = FileTree.text(root + "/conf/flannel-host-gw.conf") ?? ""
        guard case .object(var config)? = try? JSON.parse(text) else {
            throw HarnessError("conf/flannel-host-gw.conf is missing or not a JSON object")
        }
        config["name"] = .string(node.network)
        config["subnetFile"] = .string(node.subnetEnvPath)
        config["dataDir"] = .string(node.flannelDataDir)
        return JSON.object(config).compact()
    }

    /// The calls `command` made, as trace lines.
    static func traced(_ node: TestNode, _ command: () throws -> ProcessOutput) throws -> [String] {
        let simulator = try HNSSimulator(directory: node.hns)
        try simulator.clearTrace()
        try simulator.setTracing(true)
        defer { try? simulator.setTracing(false) }
        let output = try command()
        guard output.status == 0 else { throw HarnessError("command failed: \(output.stdout) \(output.stderr)") }
        return try simulator.traceEntries().map(\.line)
    }

    /// `count` endpoints on the node's network that are not pods (kube-proxy's remote endpoints look the same to a
    /// lookup by name), at the top of the subnet, where host-local does not allocate first.
    static func addOtherEndpoints(_ node: TestNode, count: Int) throws {
        let simulator = try HNSSimulator(directory: node.hns)
        let ids = try JSON.parse(
            try simulator.enumerate(
                .network, query: JSON.object(["Filter": .string(#"{"Name":"\#(node.network)"}"#)]).compact()))
        guard let text = ids.arrayValue?.first?.stringValue, let network = GUID(text) else {
            throw HarnessError("network \(node.network) not found")
        }
        let handle = try simulator.open(.network, id: network)
        defer { simulator.close(handle) }
        for index in 0..<count {
            let settings =
                #"{"Name":"other-\#(index)","HostComputeNetwork":"\#(network)","IpConfigurations":[{"IpAddress":"10.244.1.\#(50 + index)"}],"SchemaVersion":{"Major":2,"Minor":0}}"#
            simulator.close(try simulator.create(.endpoint, id: .zero, settings: settings, network: handle))
        }
    }

    @Test("ADD costs at most 12 HNS calls and DEL at most 8, the same with 0 and with 200 other endpoints")
    func podRoundTrips() throws {
        let node = try TestNode(.hostGW)
        let config = try Self.shippedConfig(node)
        var counts: [[Int]] = []
        for others in [0, 200] {
            if others > 0 { try Self.addOtherEndpoints(node, count: others) }
            let pod = try node.pod("trips\(others)")
            let add = try Self.traced(node) { try node.run("flannel", "ADD", pod, config: config) }
            let del = try Self.traced(node) { try node.run("flannel", "DEL", pod, config: config) }
            #expect(
                add.count <= 12,
                "ADD with \(others) other endpoints: \(add.count) calls\n\(add.joined(separator: "\n"))")
            #expect(
                del.count <= 8, "DEL with \(others) other endpoints: \(del.count) calls\n\(del.joined(separator: "\n"))"
            )
            #expect(add.filter { $0.hasPrefix("HcnCreateEndpoint") }.count == 1)
            #expect(del.filter { $0.hasPrefix("HcnDeleteEndpoint") }.count == 1)
            counts.append([add.count, del.count])
        }
        #expect(counts[0] == counts[1], "calls per ADD and DEL with 0 and 200 other endpoints: \(counts)")
        let left = node.leftovers().filter { !$0.hasPrefix("endpoint other-") }
        #expect(left.isEmpty, "\(left)")
    }
}
