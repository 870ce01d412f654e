// The wincni executable only wires the process to the libraries (STYLE.md rule 1): the real environment, the HNS
// backend (the real HNS on Windows; the simulator elsewhere or with WINCNI_HNS=sim:DIR), and the dispatcher.
import CNI
import HCN
import HNSSimulator
import WinCNI

#if os(Windows)
    import HCNWindows
    import ucrt
    let platform = CNIPlatform.windows
    let realHNS: () throws -> any HostNetworkService = {
        HCNFunctionTableService(table: try loadWindowsHCNFunctionTable())
    }
#else
    import Glibc
    let platform = CNIPlatform.posix
    let realHNS: () throws -> any HostNetworkService = { throw CNIError(.invalidEnvironment, "no Windows HNS here") }
#endif

let environment = CNIEnvironment.process(platform: platform)
let plugin = WinCNIPlugin.selectingBackend(
    environment: environment, isWindows: platform == .windows, windows: realHNS,
    simulator: { directory in try HNSSimulator.functionTableService(directory: directory) })
let output = CNIDispatcher.run(
    plugin, environment: environment,
    about: "wincni \(WinCNIVersion.description): a CNI plugin for Kubernetes Windows nodes "
        + "(win-bridge, win-overlay, sdnbridge, sdnoverlay, flannel) on HNS"
)
output.writeToStandardOutput()
exit(output.exitCode)
