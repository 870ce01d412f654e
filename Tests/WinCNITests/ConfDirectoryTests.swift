import CNI
import JSON
import NetAddress
import Testing

@testable import WinCNI

@Suite("conf/ examples")
struct ConfDirectoryTests {
    static let files: [String] = ((try? FileSystem.list(repositoryRoot + "/conf")) ?? [])
        .filter { $0.hasSuffix(".conf") || $0.hasSuffix(".conflist") || $0.hasSuffix(".json") }.sorted()

    @Test("conf/ holds the four example configs")
    func present() {
        #expect(Self.files == ["flannel-host-gw.conf", "flannel-vxlan.conf", "win-bridge.conf", "win-overlay.conf"])
    }

    @Test("every example decodes into a working endpoint config", arguments: files)
    func decodes(_ file: String) throws {
        let document = try #require(try JSON.parse(try readText(repositoryRoot + "/conf/" + file)).objectValue)
        let type = try #require(document["type"]?.stringValue)
        let endpoint: BridgeOverlayConfig
        if type == "flannel" {
            let flannel = try FlannelConfig(document)
            let env = SubnetEnv(
                networks: [IPPrefix("10.244.0.0/16")!], subnet: IPPrefix("10.244.1.0/24"), mtu: 1450, ipMasq: false)
            let delegate = try #require(try flannel.delegateDocument(env).objectValue)
            endpoint = try BridgeOverlayConfig(delegate, path: "delegate")
        } else {
            endpoint = try BridgeOverlayConfig(document)
        }
        #expect(endpoint.ipamType == "host-local")
        #expect(!endpoint.policies.isEmpty)
        #expect(endpoint.policies.contains { $0.type == "SDNRoute" })
        #expect(document["capabilities"]?["portMappings"] == .bool(true))
    }
}

@Suite("HNS backend selection")
struct HNSBackendTests {
    static func environment(_ variables: [String]) -> CNIEnvironment {
        CNIEnvironment(
            variables: variables, readStdin: { () throws(CNIError) -> [UInt8] in [] }, runner: NoExecRunner())
    }

    @Test("WINCNI_HNS=sim:DIR picks the simulator; unset picks the platform default; anything else is code 4")
    func selection() throws {
        #expect(
            try HNSBackend.select(Self.environment(["WINCNI_HNS=sim:/tmp/x"]), isWindows: true)
                == .simulator(directory: "/tmp/x"))
        #expect(try HNSBackend.select(Self.environment([]), isWindows: true) == .windows)
        #expect(
            try HNSBackend.select(Self.environment(["WINCNI_HNS="]), isWindows: false)
                == .simulator(directory: "/var/lib/wincni/hns"))
        #expect(throws: CNIError.self) {
            try HNSBackend.select(Self.environment(["WINCNI_HNS=real"]), isWindows: false)
        }
        #expect(throws: CNIError.self) {
            try HNSBackend.select(Self.environment(["WINCNI_HNS=sim:"]), isWindows: false)
        }
    }
}
