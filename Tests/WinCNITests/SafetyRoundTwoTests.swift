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
}
