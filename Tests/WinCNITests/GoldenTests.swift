import CNI
import HCN
import HNSSimulator
import JSON
import Platform
import Testing

@testable import WinCNI

/// Golden cases: `Fixtures/golden/<case>/` holds `env` (the CNI_* variables plus TEST_SETUP, TEST_PREPARE,
/// TEST_FAULT), `stdin.json`, and the expected `stdout.golden.json` and `hns-calls.golden.txt` (every HCN call the
/// plugin made, GUIDs replaced by stable labels, the exit code last). `WINCNI_UPDATE_GOLDENS=1` rewrites the
/// expected files from the current behaviour; read the diff before committing it.
@Suite("Golden fixtures", .serialized)
struct GoldenTests {
    static let directory = fixturesDirectory + "/golden"
    static let cases: [String] = ((try? Files.list(directory)) ?? []).sorted()
    static var updating: Bool { ProcessEnvironment.value("WINCNI_UPDATE_GOLDENS") == "1" }

    @Test("plugin output and HCN calls match the golden files", arguments: cases)
    func golden(_ name: String) throws {
        let folder = "\(Self.directory)/\(name)"
        let node = try TestNode()
        var labels = GUIDLabels()
        labels.name("00000000-0000-0000-0000-000000000000", "ZERO")
        var variables: [String] = []
        var setup = "none"
        var prepare: String?
        var fault: SimulatorFault?
        var netns: String?
        for line in try readText("\(folder)/env").split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            var value = String(line[line.index(after: equals)...])
            switch key {
            case "TEST_SETUP": setup = value
            case "TEST_PREPARE": prepare = value
            case "TEST_FAULT":
                let parts = value.split(separator: ":")
                let code = UInt32(parts.last.map(String.init)?.dropFirst(2) ?? "", radix: 16) ?? 0
                fault = SimulatorFault(op: String(parts[0]), kind: .hresult(HRESULT(code)))
            default:
                if value == "@NETNS@" {
                    let namespace = try node.makeNamespace()
                    labels.name(namespace, "NAMESPACE")
                    netns = namespace
                    value = namespace
                }
                variables.append("\(key)=\(value)")
            }
        }
        switch setup {
        case "host-gw", "vxlan":
            let network = try node.flannelUp(setup == "host-gw" ? .hostGW : .vxlan)
            labels.name(network.id, "NETWORK")
            if let hostEndpoint = try node.client.endpoint(named: "cbr0_ep") { labels.name(hostEndpoint.id, "CBR0-EP") }
        default: try node.writeSubnetEnv()
        }
        let stdin = try readText("\(folder)/stdin.json").replacingOccurrences(of: "@ROOT@", with: node.root)
        if let prepare {
            let containerID = variables.first { $0.hasPrefix("CNI_CONTAINERID=") }.map { String($0.dropFirst(16)) }
            var prepareNetns = netns
            if prepareNetns == nil {
                prepareNetns = try node.makeNamespace()
                labels.name(prepareNetns ?? "", "NAMESPACE")
            }
            let prepared = node.run(
                CNICommand(rawValue: prepare) ?? .add, stdin: stdin, containerID: containerID ?? "4a1b2c3d",
                netns: prepareNetns)
            try #require(prepared.code == 0, "\(prepared.text)")
        }
        if let fault { try node.simulator.addFault(fault) }

        let recorder = RecordingHostNetworkService(forwardingTo: node.simulator)
        let bytes = Array(stdin.utf8)
        let environment = CNIEnvironment(
            variables: variables + ["CNI_PATH=/nonexistent"], readStdin: { () throws(CNIError) -> [UInt8] in bytes },
            runner: NoExecRunner())
        let output = CNIDispatcher.run(WinCNIPlugin(hns: recorder), environment: environment, about: "golden")
        // HNS picks L2Bridge MACs from a pool whose range differs per network: keep the OUI only.
        let stdout = maskingPoolMACs(labels.rewrite(String(decoding: output.stdout, as: UTF8.self)))
            .replacingOccurrences(of: node.root, with: "@ROOT@")
        let calls =
            labels.rewrite(recorder.transcript).replacingOccurrences(of: node.root, with: "@ROOT@")
            + "# exit \(output.exitCode)\n"

        if Self.updating {
            try Files.write("\(folder)/stdout.golden.json", Array(stdout.utf8), mode: .atomic, permissions: 0o644)
            try Files.write("\(folder)/hns-calls.golden.txt", Array(calls.utf8), mode: .atomic, permissions: 0o644)
            return
        }
        #expect(stdout == (try readText("\(folder)/stdout.golden.json")))
        #expect(calls == (try readText("\(folder)/hns-calls.golden.txt")))
    }
}

/// Replaces GUIDs (any case) with stable labels: named ones first, then `GUID-1`, `GUID-2`, … in order of
/// appearance.
struct GUIDLabels {
    private var labels: [GUID: String] = [:]
    private var next = 1

    mutating func name(_ id: String, _ label: String) {
        if let guid = GUID(id) { labels[guid] = label }
    }

    mutating func rewrite(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if index + 36 <= bytes.count, let guid = GUID(String(decoding: bytes[index..<index + 36], as: UTF8.self)) {
                let label = labels[guid] ?? "GUID-\(next)"
                if labels[guid] == nil {
                    labels[guid] = label
                    next += 1
                }
                output += Array(label.utf8)
                index += 36
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// `00-15-5D-5B-B0-01` → `00-15-5D-xx-xx-xx`.
func maskingPoolMACs(_ text: String) -> String {
    var result = ""
    var rest = Substring(text)
    while let range = rest.range(of: "00-15-5D-") {
        result += rest[..<range.upperBound] + "xx-xx-xx"
        rest = rest[range.upperBound...].dropFirst(8)
    }
    return result + rest
}
