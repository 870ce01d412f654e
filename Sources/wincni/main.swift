// The wincni executable only wires the process to the libraries (STYLE.md rule 1). Until the WinCNI plugin is
// wired in, a placeholder plugin answers every command after the protocol checks with a "not implemented" error.
import CNI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if os(Windows)
    let platform = CNIPlatform.windows
#else
    let platform = CNIPlatform.posix
#endif

let output = CNIDispatcher.run(
    NotImplementedPlugin(name: "wincni"),
    environment: .process(platform: platform),
    about: "wincni: a CNI plugin for Kubernetes Windows nodes (win-bridge, win-overlay, flannel) on HNS")
output.writeToStandardOutput()
exit(output.exitCode)
