import Foundation
import JSON
import Testing

/// deploy/'s manifests as the schema checker reads them.
enum Manifests {
    static let files = ["wincni-flannel-host-gw.yml", "wincni-flannel-vxlan.yml"]
    static let checker = repositoryRoot + "/scripts/check-manifests.py"

    /// The objects of `file`, after the schema check passed.
    static func objects(_ file: String) throws -> [JSONObject] {
        let result = try runProcess(checker, ["--json", repositoryRoot + "/deploy/" + file])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSON.parse(result.stdout).arrayValue).compactMap(\.objectValue)
    }

    static func object(_ file: String, kind: String) throws -> JSONObject {
        try #require(try objects(file).first { $0["kind"]?.stringValue == kind }, "\(file) has no \(kind)")
    }

    /// The ConfigMap's CNI config with this node's values, as install.ps1 fills them in.
    static func cniConfig(_ file: String, nodeIP: String, nodeSubnet: String) throws -> JSONObject {
        let map = try object(file, kind: "ConfigMap")
        let template = try #require(map["data"]?["cni-conf.json"]?.stringValue)
        let text = template.replacingOccurrences(of: "{{NODE_IP}}", with: nodeIP)
            .replacingOccurrences(of: "{{NODE_SUBNET}}", with: nodeSubnet)
        return try #require(try JSON.parse(text).objectValue)
    }
}

/// The built wincni and hnsctl: `make test`'s release binaries, else a debug build's.
var pluginBinaries: String? {
    if let releaseBinaries { return releaseBinaries }
    let debug = repositoryRoot + "/.build/debug"
    return FileManager.default.isExecutableFile(atPath: debug + "/wincni") ? debug : nil
}

@Suite("deploy/: the HostProcess DaemonSets, their image and CNI config")
struct DeployTests {
    @Test("the manifests are Kubernetes objects of the API schema (python3-kubernetes)", arguments: Manifests.files)
    func schema(_ file: String) throws {
        let result = try runProcess(Manifests.checker, [repositoryRoot + "/deploy/" + file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == "\(repositoryRoot)/deploy/\(file): ConfigMap kube-flannel/kube-flannel-windows-cfg matches V1ConfigMap\n"
                + "\(repositoryRoot)/deploy/\(file): DaemonSet kube-flannel/kube-flannel-ds-windows-amd64 matches "
                + "V1DaemonSet\n")
    }

    @Test(
        "the schema check refuses what Kubernetes would refuse",
        arguments: [
            (
                "imagePullPolicy: IfNotPresent", "imagePullPolicyy: IfNotPresent",
                "imagePullPolicyy: not a field of V1Container"
            ),
            ("hostProcess: true", "hostProcess: \"true\"", "hostProcess: expected bool, found str"),
            (
                "        - name: kube-flannel\n          image:", "        - image:",
                "Invalid value for `name`, must not be `None`"
            ),
            ("kind: DaemonSet", "kind: DaemonSett", "no Kubernetes model for apps/v1 DaemonSett"),
        ])
    func refusals(_ original: String, _ broken: String, _ message: String) throws {
        let text = try String(contentsOfFile: repositoryRoot + "/deploy/" + Manifests.files[1], encoding: .utf8)
        #expect(text.contains(original))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/broken.yml"
        try text.replacingOccurrences(of: original, with: broken).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runProcess(Manifests.checker, [path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test(
        "the DaemonSet runs on Windows nodes only, as a HostProcess pod on the host network", arguments: Manifests.files
    )
    func windowsHostProcess(_ file: String) throws {
        let daemonSet = try Manifests.object(file, kind: "DaemonSet")
        let pod = try #require(daemonSet["spec"]?["template"]?["spec"]?.objectValue)
        #expect(pod["nodeSelector"]?["kubernetes.io/os"] == "windows")
        #expect(pod["securityContext"]?["windowsOptions"]?["hostProcess"] == true)
        #expect(pod["securityContext"]?["windowsOptions"]?["runAsUserName"] == "NT AUTHORITY\\SYSTEM")
        #expect(pod["hostNetwork"] == true)
        #expect(pod["serviceAccountName"] == "flannel")
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container["command"]?.arrayValue?.last == "& $env:CONTAINER_SANDBOX_MOUNT_POINT/wincni/start.ps1")
        // The ConfigMap it mounts at /etc/wincni/ (where start.ps1 reads cni-conf.json) is the one in the file.
        let map = try Manifests.object(file, kind: "ConfigMap")
        let volumes = pod["volumes"]?.arrayValue ?? []
        let mounts = container["volumeMounts"]?.arrayValue ?? []
        let mount = try #require(mounts.first { $0["mountPath"] == "/etc/wincni/" })
        let volume = try #require(volumes.first { $0["name"] == mount["name"] })
        #expect(volume["configMap"]?["name"] == map["metadata"]?["name"])
        #expect(daemonSet["metadata"]?["namespace"] == map["metadata"]?["namespace"])
        // sig-windows-tools' selector, so the DaemonSet replaces theirs in place.
        #expect(daemonSet["spec"]?["selector"] == ["matchLabels": ["app": "flannel"]])
    }

    @Test("the image build file copies what start.ps1 and install.ps1 use")
    func dockerfile() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/deploy/Dockerfile", encoding: .utf8)
        #expect(text.contains("COPY bin/wincni.exe bin/hnsctl.exe /wincni/"))
        #expect(text.contains("COPY install.ps1 start.ps1 /wincni/"))
        #expect(text.contains("/flannel/flanneld.exe"))
        let start = try String(contentsOfFile: repositoryRoot + "/deploy/start.ps1", encoding: .utf8)
        #expect(start.contains(#""$root\wincni\install.ps1""#))
        #expect(start.contains(#""$root\flannel\flanneld.exe""#))
        #expect(start.contains(#""$root\etc\wincni\cni-conf.json""#))
    }

    @Test(
        "the ConfigMap's CNI config runs a pod's ADD, CHECK and DEL on the simulator, and doctor calls the node healthy",
        .enabled(if: pluginBinaries != nil, "needs wincni and hnsctl: make build or swift build"),
        arguments: [
            ("wincni-flannel-host-gw.yml", "host-gw", "cbr0"), ("wincni-flannel-vxlan.yml", "vxlan", "flannel.4096"),
        ])
    func podLifecycle(_ file: String, _ backend: String, _ network: String) throws {
        let bin = try #require(pluginBinaries)
        let node = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: node) }
        var config = try Manifests.cniConfig(file, nodeIP: "192.168.1.10", nodeSubnet: "192.168.1.0/24")
        #expect(config["name"]?.stringValue == network)
        #expect(config["logFile"] == "C:\\var\\log\\wincni.log")
        // The node's Windows paths, moved into this test's directory.
        config["subnetFile"] = .string(node + "/subnet.env")
        config["dataDir"] = .string(node + "/flannel")
        config["ipam"] = ["dataDir": .string(node + "/ipam")]
        config["logFile"] = .string(node + "/wincni.log")
        try FileManager.default.createDirectory(atPath: node + "/net.d", withIntermediateDirectories: true)
        let configPath = node + "/net.d/10-flannel.conf"
        try JSON.object(config).pretty().write(toFile: configPath, atomically: true, encoding: .utf8)
        try "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
            .write(toFile: node + "/subnet.env", atomically: true, encoding: .utf8)

        let hns = ["WINCNI_HNS": "sim:" + node + "/hns"]
        let up = try runProcess(
            bin + "/hnsctl", ["flannel", "up", "--subnet-env", node + "/subnet.env", "--backend", backend],
            environment: hns)
        #expect(up.status == 0, "\(up.stderr)")
        let namespace = try runProcess(bin + "/hnsctl", ["namespace", "create"], environment: hns)
        let netns = namespace.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var cni = hns
        cni["CNI_CONTAINERID"] = "deploy-pod"
        cni["CNI_NETNS"] = netns
        cni["CNI_IFNAME"] = "eth0"
        cni["CNI_PATH"] = bin
        let stdin = try String(contentsOfFile: configPath, encoding: .utf8)

        cni["CNI_COMMAND"] = "ADD"
        let add = try runProcess(bin + "/wincni", [], environment: cni, stdin: stdin)
        #expect(add.status == 0, "\(add.stdout) \(add.stderr)")
        let result = try JSON.parse(add.stdout)
        let address = result["ips"]?.arrayValue?.first?["address"]?.stringValue ?? ""
        #expect(address.hasPrefix("10.244.1."), "\(add.stdout)")

        // The binary directory install.ps1 makes: wincni under the names the config uses.
        try FileManager.default.createDirectory(atPath: node + "/bin", withIntermediateDirectories: true)
        for name in ["wincni", "flannel", backend == "host-gw" ? "sdnbridge" : "sdnoverlay"] {
            try FileManager.default.createSymbolicLink(
                atPath: node + "/bin/" + name, withDestinationPath: bin + "/wincni")
        }
        let healthy = try runProcess(
            bin + "/hnsctl", ["doctor", "--conf-dir", node + "/net.d", "--bin-dir", node + "/bin", "--json"],
            environment: hns)
        #expect(healthy.status == 0, "\(healthy.stdout)")

        var check = config
        check["prevResult"] = result
        cni["CNI_COMMAND"] = "CHECK"
        let checked = try runProcess(bin + "/wincni", [], environment: cni, stdin: JSON.object(check).compact())
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")

        cni["CNI_COMMAND"] = "DEL"
        let deleted = try runProcess(bin + "/wincni", [], environment: cni, stdin: stdin)
        #expect(deleted.status == 0, "\(deleted.stdout) \(deleted.stderr)")
        let endpoints = try runProcess(bin + "/hnsctl", ["endpoint", "list", "--json"], environment: hns)
        let names = try JSON.parse(endpoints.stdout).arrayValue?.compactMap { $0["Name"]?.stringValue } ?? []
        #expect(!names.contains("deploy-pod_\(network)"), "\(names)")
        let log = try String(contentsOfFile: node + "/wincni.log", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 3, "ADD, CHECK, DEL: \(log)")
    }
}
