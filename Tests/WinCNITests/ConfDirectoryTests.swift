import CNI
import HCN
import HNSSimulator
import JSON
import NetAddress
import Platform
import Testing

@testable import WinCNI

@Suite("conf/ examples")
struct ConfDirectoryTests {
    static let files: [String] = ((try? Files.list(repositoryRoot + "/conf")) ?? [])
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

@Suite("Connecting to HNS")
struct ConnectTests {
    static func run(_ command: String, _ plugin: WinCNIPlugin, extra: [String] = []) -> CNIOutput {
        let stdin = Array(#"{"cniVersion":"1.1.0","name":"cbr0","type":"win-bridge"}"#.utf8)
        let environment = CNIEnvironment(
            variables: ["CNI_COMMAND=\(command)", "CNI_PATH=/nonexistent"] + extra,
            readStdin: { () throws(CNIError) -> [UInt8] in stdin }, runner: NoExecRunner())
        return CNIDispatcher.run(plugin, environment: environment, about: "test")
    }

    @Test("VERSION never connects; a bad WINCNI_HNS is code 4 when a command needs HNS")
    func lazyBackend() throws {
        let connected = LogLines()
        let environment = CNIEnvironment(
            variables: ["WINCNI_HNS=bogus"], readStdin: { () throws(CNIError) -> [UInt8] in [] },
            runner: NoExecRunner())
        let plugin = WinCNIPlugin.selectingBackend(
            environment: environment, isWindows: false,
            windows: {
                connected.append("windows")
                throw CNIError(.internalError, "no Windows here")
            },
            simulator: { directory in
                connected.append(directory)
                return try HNSSimulator(directory: directory)
            })
        #expect(Self.run("VERSION", plugin).exitCode == 0)
        #expect(connected.all.isEmpty)
        let status = Self.run("STATUS", plugin)
        let answer = try JSON.parse(status.stdout)
        #expect(answer["code"] == 4)
        #expect(answer["msg"]?.stringValue?.contains("WINCNI_HNS=bogus") == true)
        #expect(connected.all.isEmpty)
    }

    @Test("an HNS that cannot be reached is reported with its HRESULT")
    func unreachable() throws {
        let plugin = WinCNIPlugin {
            throw HCNError(
                operation: "HcnEnumerateNetworks", code: HRESULT(0x8007_06BA), message: "The RPC server is unavailable."
            )
        }
        let answer = try JSON.parse(Self.run("STATUS", plugin).stdout)
        #expect(answer["code"] == 50)
        #expect(answer["msg"]?.stringValue?.contains("0x800706ba") == true)
    }
}
