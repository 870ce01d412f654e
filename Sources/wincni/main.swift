// The wincni executable only wires the process to the libraries (STYLE.md rule 1): the real environment, the HNS
// backend (the real HNS on Windows; the simulator elsewhere or with WINCNI_HNS=sim:DIR), and the dispatcher.
import CNI
import HCN
import HNSSimulator
import WinCNI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

let environment = CNIEnvironment.process()
let plugin = WinCNIPlugin.selectingBackend(
    environment: environment, isWindows: environment.platform.isWindows,
    windows: { HCNFunctionTableService(table: try HCNFunctionTable.loadFromSystem()) },
    simulator: { directory in try HNSSimulator.functionTableService(directory: directory) })
let output = CNIDispatcher.run(
    plugin, environment: environment,
    about: "wincni \(WinCNIVersion.description): a CNI plugin for Kubernetes Windows nodes "
        + "(win-bridge, win-overlay, sdnbridge, sdnoverlay, flannel) on HNS"
)
output.writeToStandardOutput()
exit(output.exitCode)
