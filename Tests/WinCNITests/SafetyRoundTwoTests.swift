import CNI
import HCN
import JSON
import NetAddress
import Testing

@testable import WinCNI

/// Issue 15: what a hostile or sloppy runtime and real node configs still broke.
@Suite("Correctness and safety, round 2")
struct SafetyRoundTwoTests {
    // MARK: 1. GC without cni.dev/valid-attachments

    @Test(
        "GC without cni.dev/valid-attachments is refused with code 7 and removes nothing", arguments: Backend.allCases)
    func gcWithoutValidAttachments(_ backend: Backend) throws {
        let node = try TestNode()
        try node.flannelUp(backend)
        let config = node.flannelConfig(backend, cniVersion: "1.1.0")
        #expect(node.run(.add, stdin: config, containerID: "live", netns: try node.makeNamespace()).code == 0)
        let endpointsBefore = try node.endpoints().map(\.name).sorted()

        let result = node.run(.gc, stdin: config)
        #expect(result.code == 1)
        #expect(result.json?["code"] == 7)
        #expect(result.json?["msg"]?.stringValue?.contains("cni.dev/valid-attachments") == true, "\(result.text)")
        #expect(try node.endpoints().map(\.name).sorted() == endpointsBefore)
        #expect(node.reservations(node.networkName(backend)).count == 1)
        #expect(node.savedDelegateConfigs() == ["live"])
    }

    // MARK: 4. A second interface of the same container on the same network

    @Test(
        "ADD of a second interface is refused naming the first; DEL of it leaves the first's endpoint and IP",
        arguments: Backend.allCases)
    func secondInterface(_ backend: Backend) throws {
        let node = try TestNode()
        try node.flannelUp(backend)
        let config = node.flannelConfig(backend, cniVersion: "1.0.0")
        let netns = try node.makeNamespace()
        let first = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth0")
        #expect(first.code == 0, "\(first.text)")
        let endpoints = try node.endpoints().map(\.id).sorted()

        let second = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth1")
        #expect(second.code == 1, "\(second.text)")
        #expect(second.json?["code"] == 4)
        let message = second.json?["msg"]?.stringValue ?? ""
        #expect(message.contains("\"eth0\"") && message.contains("\"eth1\""), "\(message)")
        #expect(try node.endpoints().map(\.id).sorted() == endpoints)
        #expect(node.reservations(node.networkName(backend)).count == 1)

        let deleted = node.run(.del, stdin: config, containerID: "pod", netns: netns, ifname: "eth1")
        #expect(deleted.code == 0, "\(deleted.text)")
        #expect(try node.endpoints().map(\.id).sorted() == endpoints)
        #expect(node.reservations(node.networkName(backend)).count == 1)

        // The first interface is still whole: a retried ADD of it answers from its endpoint, and its DEL empties
        // the node.
        let retried = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth0")
        #expect(retried.json?["ips"] == first.json?["ips"])
        #expect(node.run(.del, stdin: config, containerID: "pod", netns: netns, ifname: "eth0").code == 0)
        #expect(node.reservations(node.networkName(backend)).isEmpty)
        #expect(try node.endpoints().filter { $0.name.hasPrefix("pod_") }.isEmpty)
    }
}
