import HCN
import Platform

extension HCNFunctionTable {
    /// The node's HNS: the table filled by the platform layer's loader from the System32 DLLs
    /// (`computenetwork.dll`, `vmcompute.dll`, `ole32.dll`). Where there is no HNS (Linux), or a DLL or entry point
    /// is missing, an HCNError naming what failed (`computenetwork.dll!HcnCreateEndpoint`) and what to do.
    public static func loadFromSystem() throws(HCNError) -> HCNFunctionTable {
        let entries: [UnsafeMutableRawPointer]
        do throws(PlatformError) {
            entries = try HCNLibrary.load()
        } catch {
            let win32 = UInt32(bitPattern: error.nativeCode)
            // HRESULT_FROM_WIN32; E_FAIL when there is no code.
            let code = HRESULT(win32 == 0 ? 0x8000_4005 : (win32 & 0xFFFF) | 0x8007_0000)
            let advice =
                error.kind == .unsupported
                ? "the node's HNS exists only on Windows; set WINCNI_HNS=sim:DIRECTORY (hnsctl --sim DIRECTORY) for the simulator"
                : "HNS v2 needs Windows Server 2019 (1809) or later with the Containers feature"
            throw HCNError(
                operation: "load \(error.path)", code: code, name: HCNErrorCatalog.name(of: code),
                message: "\(error.path) could not be loaded (\(error.text)): \(advice)")
        }
        guard let table = HCNFunctionTable(entries: entries) else {
            throw HCNError(
                operation: "load computenetwork.dll", code: HRESULT(0x8000_4005), name: nil,
                message: "the HCN loader returned \(entries.count) entry points, not \(HCNFunctionTable.entryCount)")
        }
        return table
    }
}
