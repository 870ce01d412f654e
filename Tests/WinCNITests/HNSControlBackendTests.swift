import HCN
import HNSControl
import Testing
import WinCNI

@Suite("hnsctl's HNS: the node's on Windows unless --sim or WINCNI_HNS names a simulator")
struct HNSControlBackendTests {
    /// A loader that fails the way a node without the HCN DLLs would, so a test sees which backend was chosen.
    static func missingDLLs() throws(HCNError) -> HCNFunctionTable {
        throw HCNError(
            operation: "load computenetwork.dll!", code: HRESULT(0x8007_007E), message: "the node's HNS was asked")
    }

    @Test("on Windows without --sim, a command goes to the node's HNS")
    func windowsDefault() {
        let output = HNSControl.run(
            arguments: ["network", "list"], hnsSelector: nil, isWindows: true, platformTable: Self.missingDLLs)
        #expect(output.exitCode == 1)
        #expect(output.stderr.contains("the node's HNS was asked"))
    }

    @Test("on Windows, --sim DIR and WINCNI_HNS=sim:DIR select the simulator")
    func windowsSimulator() throws {
        let node = try TestNode()
        for (arguments, selector) in [
            (["--sim", node.hnsDirectory, "network", "list"], nil), (["network", "list"], "sim:" + node.hnsDirectory),
        ] as [([String], String?)] {
            let output = HNSControl.run(
                arguments: arguments, hnsSelector: selector, isWindows: true, platformTable: Self.missingDLLs)
            #expect(output.exitCode == 0, "\(output.stderr)")
            #expect(!output.stderr.contains("the node's HNS was asked"))
        }
    }

    @Test("elsewhere --sim works as before and the loader is not asked")
    func linuxDefault() throws {
        let node = try TestNode()
        let output = HNSControl.run(
            arguments: ["--sim", node.hnsDirectory, "network", "list"], hnsSelector: nil, isWindows: false,
            platformTable: Self.missingDLLs)
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(!output.stderr.contains("the node's HNS was asked"))
    }

    @Test("the loader of the node's HNS says what to do where there is none")
    func noHNSHere() throws {
        let error = try #require(throws: HCNError.self) { _ = try HCNFunctionTable.loadFromSystem() }
        #expect(error.message.contains("WINCNI_HNS=sim:"))
        #expect(error.code == HRESULT(0x8007_0032))
    }
}
