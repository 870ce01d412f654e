import ArgumentParser
import HCN
import JSON
import WinCNI

/// `hnsctl doctor`: checks the node a pod is stuck on (NodeDoctor) and prints each finding with its cause and fix.
/// Exit 0 means healthy.
struct DoctorCommand: HNSControlRunnable {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this node's CNI setup: config, plugins, subnet.env, HNS network, endpoints, IPAM, log.",
        discussion: """
            Reads the CNI config containerd uses (the first *.conf, *.conflist or *.json in --conf-dir, or \
            --config), the plugins in --bin-dir, flannel's subnet.env, HNS, host-local's store, flannel's dataDir and the config's logFile. \
            Each finding comes with its cause and a fix. Exit 0: healthy; 1: something to fix.
            """)

    /// containerd's CNI config directory as the sig-windows-tools flannel setup configures it; on Windows the path
    /// resolves on the system drive (C:\etc\cni\net.d).
    static let defaultConfDirectory = "/etc/cni/net.d"
    /// The CNI binary directory of the same setup (C:\opt\cni\bin on Windows).
    static let defaultBinDirectory = "/opt/cni/bin"

    @Option(help: "The CNI config to check (default: the first config in --conf-dir, as containerd picks it).")
    var config: String?
    @Option(name: .customLong("conf-dir"), help: "containerd's CNI config directory.")
    var confDirectory: String = defaultConfDirectory
    @Option(name: .customLong("subnet-env"), help: "flannel's subnet.env (default: the config's subnetFile).")
    var subnetEnv: String?
    @Option(name: .customLong("bin-dir"), help: "containerd's CNI binary directory.")
    var binDirectory: String = defaultBinDirectory
    @Flag(name: .long, help: "Print the report as JSON.") var json = false

    func execute(_ context: HNSControlContext) throws {
        let doctor = NodeDoctor(
            service: { () throws(HCNError) -> any HostNetworkService in try context.service() }, configPath: config,
            confDirectory: confDirectory, subnetEnvPath: subnetEnv, binDirectory: binDirectory)
        let report = doctor.run()
        context.print(json ? report.json.pretty() : report.text)
        guard report.healthy else {
            let count = report.findings.count
            throw HNSControlError("doctor: \(count) problem\(count == 1 ? "" : "s") on this node")
        }
    }
}
