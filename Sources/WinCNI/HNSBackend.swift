import CNI
import HCN

/// Which HNS the executable talks to (CONTRACT.md "HNS backend selection"): `WINCNI_HNS=sim:DIR` selects the
/// simulator in DIR on any platform; unset, Windows uses the real HNS and Linux the simulator in
/// `/var/lib/wincni/hns`. `main.swift` turns the answer into a `HostNetworkService`.
public enum HNSBackend: Sendable, Equatable {
    case windows
    case simulator(directory: String)

    public static let variable = "WINCNI_HNS"
    public static let defaultSimulatorDirectory = "/var/lib/wincni/hns"

    /// The simulator directory a `WINCNI_HNS` value names (`sim:DIR`); nil for anything else. hnsctl reads the
    /// variable the same way.
    public static func simulatorDirectory(selector: String) -> String? {
        guard selector.hasPrefix("sim:"), selector.count > 4 else { return nil }
        return String(selector.dropFirst(4))
    }

    /// The backend `environment` asks for; any other value of WINCNI_HNS is a code-4 error saying what it takes.
    public static func select(_ environment: CNIEnvironment, isWindows: Bool) throws(CNIError) -> HNSBackend {
        guard let value = environment.value(variable) else {
            return isWindows ? .windows : .simulator(directory: defaultSimulatorDirectory)
        }
        if let directory = simulatorDirectory(selector: value) { return .simulator(directory: directory) }
        throw CNIError(
            .invalidEnvironment, "\(variable)=\(value) is not understood",
            details: "set \(variable)=sim:DIRECTORY to use the HNS simulator in DIRECTORY, or leave it unset")
    }
}

extension WinCNIPlugin {
    /// The plugin `main.swift` runs: the HNS backend is chosen from `WINCNI_HNS` (see `HNSBackend.select`) when a
    /// command first needs it; `windows` opens the real HNS, `simulator` the simulator in a directory
    /// (`HNSSimulator.functionTableService(directory:)`).
    public static func selectingBackend(
        environment: CNIEnvironment, isWindows: Bool,
        windows: @escaping () throws -> any HostNetworkService,
        simulator: @escaping (_ directory: String) throws -> any HostNetworkService
    ) -> WinCNIPlugin {
        WinCNIPlugin {
            switch try HNSBackend.select(environment, isWindows: isWindows) {
            case .windows: return try windows()
            case .simulator(let directory): return try simulator(directory)
            }
        }
    }
}
