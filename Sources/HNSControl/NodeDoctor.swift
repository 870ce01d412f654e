import HCN
import HostLocal
import JSON
import NetAddress
import WinCNI

/// One thing `hnsctl doctor` found wrong on the node, with why it happens and what to do.
struct DoctorFinding: Equatable {
    enum Severity: String { case error, warning }

    /// A stable name for scripts and docs (`network-missing`, `endpoint-without-namespace`, ...).
    var id: String
    var severity: Severity
    var summary: String
    var cause: String
    var fix: String

    var json: JSON {
        [
            "id": .string(id), "severity": .string(severity.rawValue), "summary": .string(summary),
            "cause": .string(cause), "fix": .string(fix),
        ]
    }
}

/// What `hnsctl doctor` looked at: the checks that passed (one line each) and the findings.
struct DoctorReport {
    var config: String?
    var passed: [(check: String, detail: String)] = []
    var findings: [DoctorFinding] = []

    var healthy: Bool { findings.isEmpty }

    var json: JSON {
        var object: JSONObject = ["healthy": .bool(healthy)]
        object["config"] = config.map { .string($0) } ?? .null
        object["passed"] = .array(passed.map { ["check": .string($0.check), "detail": .string($0.detail)] })
        object["findings"] = .array(findings.map(\.json))
        return .object(object)
    }

    var text: String {
        var lines = passed.map { "ok    \($0.check): \($0.detail)" }
        for finding in findings {
            lines.append("\(finding.severity == .error ? "ERROR" : "WARN ") \(finding.id): \(finding.summary)")
            lines.append("      cause: \(finding.cause)")
            lines.append("      fix:   \(finding.fix)")
        }
        lines.append(
            healthy
                ? "healthy: nothing to fix"
                : "\(findings.count) problem\(findings.count == 1 ? "" : "s") found")
        return lines.joined(separator: "\n")
    }
}

/// The node check behind `hnsctl doctor`: the CNI config (as containerd picks it), flannel's subnet.env, the HNS
/// network and flanneld's host endpoint or provider address, DSR support, and whether HNS endpoints, host-local's
/// reservations and flannel's saved delegate configs agree, and the last failures in the config's logFile.
struct NodeDoctor {
    /// The HNS to ask (the real one, or a simulator).
    var service: () throws(HCNError) -> any HostNetworkService
    /// `--config`: the config to check; nil: the first config in `confDirectory`, as containerd picks it.
    var configPath: String?
    var confDirectory: String
    /// `--subnet-env`: overrides the flannel config's `subnetFile`.
    var subnetEnvPath: String?
    /// `--bin-dir`: the CNI binary directory containerd execs the plugins from.
    var binDirectory: String = DoctorCommand.defaultBinDirectory

    /// containerd's and libcni's config extensions.
    static let configExtensions = [".conf", ".conflist", ".json"]
    /// How much of the log's end is read for failures.
    static let logLinesRead = 1000

    /// What the config says about the node.
    private struct NodeConfig {
        var path: String
        var network: String
        var mode: NetworkMode
        var summary: String
        var endpoint: BridgeOverlayConfig?
        var flannel: FlannelConfig?
        var subnetEnv: SubnetEnv?
        /// Why flannel's subnet.env could not be read.
        var subnetEnvError: String?
        var hostLocal: HostLocalConfig?
        var logFile: String?
    }

    func run() -> DoctorReport {
        var report = DoctorReport()
        guard let config = loadConfig(&report) else { return report }
        report.config = config.path
        report.passed.append(("config", config.summary))
        checkBinaries(config, &report)
        if let flannel = config.flannel {
            if let subnet = config.subnetEnv?.subnet {
                report.passed.append(("subnet.env", "\(flannel.subnetFile): lease \(subnet)"))
            } else {
                report.findings.append(
                    DoctorFinding(
                        id: "subnet-env-missing", severity: .error,
                        summary: config.subnetEnvError
                            ?? "flannel subnet file \(flannel.subnetFile) has no FLANNEL_SUBNET",
                        cause: "flanneld writes this file once it has a lease for the node; until then every ADD fails "
                            + "with code 11 and kubelet retries",
                        fix: "check flanneld's log (is it running, can it reach the API server?); if flanneld writes "
                            + "elsewhere (--subnet-file), set the config's subnetFile to that path"))
            }
        }

        let expectedSubnet: IPPrefix? =
            config.subnetEnv?.subnet?.masked ?? config.hostLocal?.rangeSets.first?.first?.subnet
        let hns: any HostNetworkService
        do {
            hns = try service()
        } catch {
            report.findings.append(
                DoctorFinding(
                    id: "hns-unreachable", severity: .error, summary: "HNS cannot be reached: \(error)",
                    cause: "the Host Networking Service is stopped, or this process lacks the rights to call it",
                    fix: "run hnsctl as Administrator (or from the HostProcess pod); check `Get-Service hns`"))
            return report
        }
        let client = HNSClient(service: hns)

        var endpoints: [JSONObject] = []
        var networkFound = false
        do {
            let networks = try client.find(.network, config.network)
            if let network = networks.first {
                networkFound = checkNetwork(network, config: config, expectedSubnet: expectedSubnet, &report)
                if networkFound, let id = network.id {
                    endpoints = try client.documents(.endpoint, filter: ["VirtualNetwork": .string(id.description)])
                }
                if networkFound && config.mode == .l2bridge {
                    checkBridgeEndpoint(endpoints, network: network, config: config, &report)
                } else if networkFound {
                    checkProviderAddress(network, config: config, &report)
                }
            } else {
                let others = try client.documents(.network).map {
                    "\($0.text("Name")) (\(NetworkDocument.type($0)))"
                }
                report.findings.append(missingNetwork(config, others: others))
            }
            checkDSR(config, client: HCNClient(service: hns), &report)
        } catch {
            report.findings.append(
                DoctorFinding(
                    id: "hns-unreachable", severity: .error, summary: "HNS refused a query: \(error)",
                    cause: "the Host Networking Service failed while doctor read its networks and endpoints",
                    fix: "run hnsctl again; if it repeats, restart the hns service (pods on the node lose networking)"))
            return report
        }
        if networkFound { checkAgreement(endpoints, config: config, &report) }
        checkLog(config, &report)
        return report
    }

    // MARK: - The config

    private func loadConfig(_ report: inout DoctorReport) -> NodeConfig? {
        let path: String
        if let configPath {
            path = configPath
        } else {
            let names: [String]
            do { names = try NodeFiles.list(confDirectory) } catch {
                report.findings.append(configMissing("cannot list \(confDirectory): \(error.message)"))
                return nil
            }
            let configs = names.filter { name in Self.configExtensions.contains { name.hasSuffix($0) } }
            guard let first = configs.first else {
                report.findings.append(configMissing("\(confDirectory) holds no .conf, .conflist or .json file"))
                return nil
            }
            path = join(confDirectory, first)
            if let shadowed = shadowingConfig(path, others: configs.dropFirst().map { join(confDirectory, $0) }) {
                report.findings.append(shadowed)
                return nil
            }
        }
        do {
            return try decodeConfig(path)
        } catch {
            report.config = path
            report.findings.append(error)
            return nil
        }
    }

    /// containerd uses the first config of its directory in name order: when that is not wincni's, say so.
    private func shadowingConfig(_ first: String, others: [String]) -> DoctorFinding? {
        guard let type = try? pluginType(first), !Self.isWinCNIType(type) else { return nil }
        let ours = others.first { Self.isWinCNIType((try? pluginType($0)) ?? "") }
        let later = ours.map { "; wincni's config \($0) comes later and is not used" } ?? ""
        return DoctorFinding(
            id: "config-not-wincni", severity: .error,
            summary: "containerd uses \(first) (the first in name order), whose type is \"\(type)\"\(later)",
            cause: "another config sorts first (containerd's sample 0-containerd-nat.json), or the Go plugins' "
                + "config was put back (sig-windows-tools' flannel start script rewrites it when its pod starts)",
            fix: "remove \(first), or name wincni's config so it sorts first (10-flannel.conf); with the HostProcess "
                + "DaemonSet, use deploy/'s install step, which writes wincni's config after flannel's")
    }

    /// A type this binary runs as (the `wincni` type with any mode).
    static func isWinCNIType(_ type: String) -> Bool { (try? PluginKind.of(type: type, mode: "l2bridge")) != nil }

    private func configMissing(_ summary: String) -> DoctorFinding {
        DoctorFinding(
            id: "config-missing", severity: .error, summary: summary,
            cause: "no CNI config is installed, so containerd cannot set up pod networking (pods stay in "
                + "ContainerCreating)",
            fix: "copy conf/flannel-host-gw.conf or conf/flannel-vxlan.conf to the CNI config directory as "
                + "10-flannel.conf (docs/install-windows.md), or give its path with --config")
    }

    private func readObject(_ path: String) throws(DoctorFinding) -> JSONObject {
        let bytes: [UInt8]
        do { bytes = try NodeFiles.read(path) } catch {
            throw error.isNotFound
                ? configMissing("\(path) does not exist")
                : DoctorFinding(
                    id: "config-invalid", severity: .error, summary: "cannot read \(path): \(error.message)",
                    cause: "the file's permissions or a lock keep it from being read",
                    fix: "run hnsctl as Administrator; check the file's ACL")
        }
        do {
            guard let object = try JSON.parse(bytes).objectValue else { throw configInvalid(path, "not a JSON object") }
            // A conflist: its first plugin, with the list's name and cniVersion (libcni hands them down).
            if let plugins = object.value(goKey: "plugins")?.arrayValue {
                guard var first = plugins.first?.objectValue else { throw configInvalid(path, "plugins is empty") }
                for key in ["name", "cniVersion"] where first.matchedKey(goKey: key) == nil {
                    if let value = object.value(goKey: key) { first[key] = value }
                }
                return first
            }
            return object
        } catch let finding as DoctorFinding {
            throw finding
        } catch {
            throw configInvalid(path, "invalid JSON: \(error)")
        }
    }

    private func pluginType(_ path: String) throws(DoctorFinding) -> String {
        try readObject(path).value(goKey: "type")?.stringValue ?? ""
    }

    private func configInvalid(_ path: String, _ message: String) -> DoctorFinding {
        DoctorFinding(
            id: "config-invalid", severity: .error, summary: "\(path): \(message)",
            cause: "wincni refuses this config, so every ADD fails with the same message",
            fix: "correct the value the message names (docs/config-reference.md); the files in conf/ are known good")
    }

    /// The config as the plugin reads it on this node: `${NODE_IP}` and `${NODE_SUBNET}` filled from the HNS
    /// network it names. When HNS or the network cannot be reached they stay, and the network checks say why.
    private func filledPlaceholders(_ document: JSONObject) -> JSONObject {
        guard NodePlaceholders.present(in: JSON.object(document).compactBytes()),
            let name = document.value(goKey: "name")?.stringValue,
            let hns = try? service(),
            let network = try? HCNClient(service: hns).network(named: name)
        else { return document }
        return NodePlaceholders.filling(document, from: network)
    }

    private func decodeConfig(_ path: String) throws(DoctorFinding) -> NodeConfig {
        let document = filledPlaceholders(try readObject(path))
        let type = document.value(goKey: "type")?.stringValue ?? ""
        let kind: PluginKind
        do {
            kind = try PluginKind.of(type: type, mode: document.value(goKey: "mode")?.stringValue)
        } catch {
            throw DoctorFinding(
                id: "config-not-wincni", severity: .error,
                summary: "\(path) has type \"\(type)\", which wincni does not implement",
                cause: "the config is the Go plugins' or another CNI's; wincni runs only for win-bridge, sdnbridge, "
                    + "win-overlay, sdnoverlay, flannel and wincni",
                fix: "install wincni's config (conf/flannel-host-gw.conf or conf/flannel-vxlan.conf) in its place")
        }
        do {
            switch kind {
            case .flannel:
                var flannel = try FlannelConfig(document)
                if let subnetEnvPath { flannel.subnetFile = subnetEnvPath }
                var env: SubnetEnv?
                var subnetEnvError: String?
                do { env = try SubnetEnv.load(path: flannel.subnetFile) } catch { subnetEnvError = error.description }
                guard let delegate = try flannel.delegateDocument(env).objectValue else {
                    throw DoctorFinding(
                        id: "config-invalid", severity: .error, summary: "\(path): no delegate",
                        cause: "flannel's delegate could not be built", fix: "check the config's delegate object")
                }
                let endpoint = try BridgeOverlayConfig(delegate, path: "delegate")
                return NodeConfig(
                    path: path, network: flannel.name, mode: endpoint.mode,
                    summary: "\(path): flannel, delegate \(flannel.delegateType), network \(flannel.name) "
                        + "(\(endpoint.mode.rawValue))",
                    endpoint: endpoint, flannel: flannel, subnetEnv: env, subnetEnvError: subnetEnvError,
                    hostLocal: try hostLocal(endpoint),
                    logFile: document.value(goKey: "logFile")?.stringValue ?? endpoint.logFile)
            case .endpoint:
                let endpoint = try BridgeOverlayConfig(document)
                return NodeConfig(
                    path: path, network: endpoint.name, mode: endpoint.mode,
                    summary: "\(path): \(endpoint.type), network \(endpoint.name) (\(endpoint.mode.rawValue))",
                    endpoint: endpoint, hostLocal: try hostLocal(endpoint), logFile: endpoint.logFile)
            }
        } catch let finding as DoctorFinding {
            throw finding
        } catch {
            throw configInvalid(path, "\(error)")
        }
    }

    private func hostLocal(_ endpoint: BridgeOverlayConfig) throws -> HostLocalConfig? {
        guard endpoint.ipamType == "host-local", let ipam = endpoint.ipam else { return nil }
        return try HostLocalConfig.decode(ipam, path: "ipam")
    }

    // MARK: - The binaries

    /// The plugin file containerd runs for `name`: `name.exe` on Windows, `name` elsewhere.
    private func binary(_ name: String) -> String? {
        for candidate in [join(binDirectory, name + ".exe"), join(binDirectory, name)] where NodeFiles.exists(candidate)
        {
            return candidate
        }
        return nil
    }

    /// Every plugin the config names must be in the binary directory, and the ones wincni implements must be
    /// wincni: sig-windows-tools' flannel start script copies the Go plugins over them whenever its pod starts.
    private func checkBinaries(_ config: NodeConfig, _ report: inout DoctorReport) {
        var names: [String] = []
        if let flannel = config.flannel {
            names += ["flannel", flannel.delegateType]
        } else if let endpoint = config.endpoint {
            names.append(endpoint.type)
        }
        if let ipamType = config.endpoint?.ipamType, ipamType != "host-local" { names.append(ipamType) }
        let before = report.findings.count
        let wincni = binary("wincni").flatMap { try? NodeFiles.read($0) }
        for name in names {
            guard let path = binary(name) else {
                report.findings.append(
                    DoctorFinding(
                        id: "plugin-missing", severity: .error,
                        summary: "the config's plugin \"\(name)\" is not in \(binDirectory)",
                        cause: "containerd execs each plugin the config names from its bin_dir; every ADD fails with: "
                            + "failed to find plugin \"\(name)\"",
                        fix: Self.isWinCNIType(name)
                            ? "copy wincni.exe to \(join(binDirectory, name + ".exe")) (deploy/install.ps1 does it)"
                            : "install the \(name) plugin in \(binDirectory)"))
                continue
            }
            guard Self.isWinCNIType(name) else { continue }
            guard let wincni else {
                report.findings.append(
                    DoctorFinding(
                        id: "plugin-not-wincni", severity: .warning,
                        summary: "\(binDirectory) has no wincni binary, so \(path) cannot be compared with it",
                        cause: "wincni is installed under the plugin names only, or not at all",
                        fix: "copy wincni.exe to \(binDirectory) too (deploy/install.ps1 does it)"))
                break
            }
            if (try? NodeFiles.read(path)) != wincni {
                report.findings.append(
                    DoctorFinding(
                        id: "plugin-not-wincni", severity: .error,
                        summary: "\(path) is not wincni (it differs from \(binary("wincni") ?? "wincni"))",
                        cause: "another plugin was copied over it: sig-windows-tools' flannel start script puts the Go "
                            + "plugins back whenever its pod starts, as does an install of the Go plugins",
                        fix: "run wincni's install step (deploy/install.ps1, or the DaemonSet in deploy/ in place of "
                            + "sig-windows-tools'), which copies wincni.exe under every name the config uses"))
            }
        }
        if report.findings.count == before {
            report.passed.append(("binaries", "\(names.joined(separator: ", ")) in \(binDirectory)"))
        }
    }

    // MARK: - HNS

    private func missingNetwork(_ config: NodeConfig, others: [String]) -> DoctorFinding {
        let existing = others.isEmpty ? "HNS has no network at all" : "HNS has \(others.joined(separator: ", "))"
        let backend =
            config.mode == .l2bridge
            ? "host-gw creates an L2Bridge network named after Backend.Name (default cbr0)"
            : "vxlan creates an Overlay network named flannel.<VNI> (default flannel.4096)"
        return DoctorFinding(
            id: "network-missing", severity: .error,
            summary: "HNS network \"\(config.network)\" not found (\(existing))",
            cause: "flanneld has not created it: it is not running or has no lease yet, or its net-conf.json names "
                + "the network differently (\(backend))",
            fix: "check flanneld's log on this node; if flanneld made the network under another name, set the "
                + "config's name to it")
    }

    /// Whether the network is the one the config needs (type and subnet); the endpoint checks run only then.
    private func checkNetwork(
        _ network: JSONObject, config: NodeConfig, expectedSubnet: IPPrefix?, _ report: inout DoctorReport
    ) -> Bool {
        let type = NetworkDocument.type(network)
        guard config.mode.accepts(networkType: type) else {
            let needs = config.mode == .l2bridge ? "host-gw" : "vxlan"
            report.findings.append(
                DoctorFinding(
                    id: "network-type-mismatch", severity: .error,
                    summary: "HNS network \"\(config.network)\" is \(type); this config needs \(config.mode.rawValue)",
                    cause: "flanneld's backend (net-conf.json Backend.Type) and the CNI config's plugin do not match: "
                        + "\(config.mode.rawValue) is flannel \(needs)",
                    fix: "use conf/flannel-host-gw.conf with host-gw and conf/flannel-vxlan.conf with vxlan"))
            return false
        }
        let subnet = NetworkDocument.subnets(network).first
        if let expectedSubnet {
            let gateway = expectedSubnet.network.adding(1)?.description ?? ""
            if subnet?.prefix != expectedSubnet.description || subnet?.gateway != gateway {
                let source = config.subnetEnv != nil ? "FLANNEL_SUBNET" : "ipam.subnet"
                report.findings.append(
                    DoctorFinding(
                        id: "network-subnet-mismatch", severity: .error,
                        summary: "HNS network \"\(config.network)\" has subnet \(subnet?.prefix ?? "none") gateway "
                            + "\(subnet?.gateway ?? "none"); \(source) says \(expectedSubnet) gateway \(gateway)",
                        cause: "the node's lease changed (the node was re-registered) and the network is left from "
                            + "the old one, or the config's subnet was written for another node",
                        fix: "restart flanneld: it replaces a network whose subnet is not its lease; then delete the "
                            + "pods that got addresses from the old subnet"))
                return false
            }
        }
        report.passed.append(
            ("network", "\(config.network): \(type) \(subnet?.prefix ?? "?"), gateway \(subnet?.gateway ?? "?")"))
        return true
    }

    private func checkBridgeEndpoint(
        _ endpoints: [JSONObject], network: JSONObject, config: NodeConfig, _ report: inout DoctorReport
    ) {
        let name = "\(config.network)_ep"
        guard let prefix = NetworkDocument.subnets(network).first.flatMap({ IPPrefix($0.prefix) }),
            let expected = EndpointAddressing.bridgeGateway(for: prefix)
        else { return }
        guard let endpoint = endpoints.first(where: { $0.text("Name") == name }) else {
            report.findings.append(
                DoctorFinding(
                    id: "bridge-endpoint-missing", severity: .error,
                    summary: "L2Bridge network \"\(config.network)\" has no host endpoint \(name) at \(expected)",
                    cause: "flanneld (host-gw) creates \(name) at the subnet's .2 after the network; pods use it as "
                        + "their gateway, so without it they have no route off the node",
                    fix: "restart flanneld; if it fails to attach the endpoint, see its log"))
            return
        }
        let addresses = EndpointDocument.addresses(endpoint).map {
            $0.split(separator: "/").first.map(String.init) ?? $0
        }
        guard addresses.contains(expected.description) else {
            report.findings.append(
                DoctorFinding(
                    id: "bridge-endpoint-address", severity: .error,
                    summary: "host endpoint \(name) has \(addresses.joined(separator: ", ")), not \(expected)",
                    cause: "the endpoint was made for another subnet, or by hand; pods' gateway is \(expected)",
                    fix: "delete it (hnsctl endpoint delete \(name)) and restart flanneld, which recreates it"))
            return
        }
        report.passed.append(("host endpoint", "\(name) at \(expected)"))
    }

    private func checkProviderAddress(_ network: JSONObject, config: NodeConfig, _ report: inout DoctorReport) {
        let address = NetworkDocument.policy(network, "ProviderAddress")?[goKey: "Settings"]?[goKey: "ProviderAddress"]?
            .stringValue
        guard let address, !address.isEmpty else {
            report.findings.append(
                DoctorFinding(
                    id: "provider-address-missing", severity: .error,
                    summary: "Overlay network \"\(config.network)\" has no ProviderAddress policy",
                    cause: "HNS adds the node's provider address when the network is bound to a network adapter; "
                        + "without it VXLAN traffic has no source address and pods cannot reach other nodes",
                    fix: "restart flanneld with --iface set to the node's address, so it recreates the network on "
                        + "that adapter"))
            return
        }
        let configured = (config.endpoint?.policies ?? []).first { $0.type == "ProviderAddress" }?
            .settings.value(goKey: "ProviderAddress")?.stringValue
        if let configured, !configured.isEmpty, configured != address {
            report.findings.append(
                DoctorFinding(
                    id: "provider-address-mismatch", severity: .error,
                    summary: "the config's ProviderAddress policy says \(configured), the network's is \(address)",
                    cause: "the config was written for another node (sig-windows-tools' start script fills in each "
                        + "node's address); pods' VXLAN traffic would carry the wrong source",
                    fix: "remove the ProviderAddress policy from the config (wincni takes it from the network) or set "
                        + "it to \(address)"))
            return
        }
        report.passed.append(("provider address", "\(config.network): \(address)"))
    }

    private func checkDSR(_ config: NodeConfig, client: HCNClient, _ report: inout DoctorReport) {
        guard let endpoint = config.endpoint, endpoint.loopbackDSR || endpoint.optionalFlags.loopbackDSR else { return }
        if (try? client.supports(.dsr)) == true {
            report.passed.append(("DSR", "loopbackDSR is set and this HNS supports it"))
            return
        }
        let version = (try? client.hnsVersion()).map { "\($0.major).\($0.minor)" } ?? "unknown"
        report.findings.append(
            DoctorFinding(
                id: "dsr-unsupported", severity: .warning,
                summary: "the config sets loopbackDSR, but this HNS (version \(version)) has no DSR support",
                cause: "Direct Server Return needs HNS 9.3 or later within 9.x, or 10.2 or later (Windows Server 2019 "
                    + "with current updates); wincni skips the policy and logs it for every pod",
                fix: "update Windows on this node, or remove loopbackDSR from the config"))
    }

    // MARK: - Endpoints, reservations and saved configs

    private func checkAgreement(_ endpoints: [JSONObject], config: NodeConfig, _ report: inout DoctorReport) {
        let findingsBefore = report.findings.count
        let suffix = "_\(config.network)"
        let pods = endpoints.filter {
            let name = $0.text("Name")
            return name.hasSuffix(suffix) && name != "\(config.network)_ep" && name.count > suffix.count
        }
        let podIDs = Set(pods.map { String($0.text("Name").dropLast(suffix.count)) })

        var reservations: [(address: IPAddress, containerID: String, ifname: String)] = []
        var store: HostLocalStore?
        if let hostLocal = config.hostLocal {
            store = try? HostLocalStore(config: hostLocal, networkName: config.network)
            reservations = (try? store?.reservations()) ?? []
        }
        let storeDirectory = store?.directory ?? ""

        for endpoint in pods {
            let name = endpoint.text("Name")
            let containerID = String(name.dropLast(suffix.count))
            let address = EndpointDocument.addresses(endpoint).first.map {
                $0.split(separator: "/").first.map(String.init) ?? $0
            }
            if endpoint.text("HostComputeNamespace").isEmpty {
                report.findings.append(
                    DoctorFinding(
                        id: "endpoint-without-namespace", severity: .error,
                        summary: "endpoint \(name) (\(address ?? "no IP")) is in no namespace",
                        cause: "an ADD stopped between creating the endpoint and attaching it to the pod (a crash or "
                            + "a killed plugin), or a plugin outside wincni left it; no pod can use it",
                        fix: "hnsctl endpoint delete \(name); if the pod still exists, delete the pod so the runtime "
                            + "adds it again"))
            }
            guard store != nil, let address, let ip = IPAddress(address) else { continue }
            let holder = reservations.first { $0.address == ip }
            if holder?.containerID != containerID {
                let held = holder.map { "held by \($0.containerID.isEmpty ? "an unreadable file" : $0.containerID)" }
                report.findings.append(
                    DoctorFinding(
                        id: "endpoint-without-reservation", severity: .error,
                        summary: "endpoint \(name) has \(address), which host-local does not hold for it "
                            + "(\(held ?? "no reservation") in \(storeDirectory))",
                        cause: "host-local's files were deleted or replaced while the pod ran, so the next pod can "
                            + "get the same address (HNS then refuses it: 0x80071392)",
                        fix: "delete the pod (its DEL removes the endpoint); or hnsctl endpoint delete \(name) if the "
                            + "pod is gone"))
            }
        }
        for reservation in reservations where !podIDs.contains(reservation.containerID) {
            let owner = reservation.containerID.isEmpty ? "no readable owner" : "container \(reservation.containerID)"
            report.findings.append(
                DoctorFinding(
                    id: "reservation-without-endpoint", severity: .error,
                    summary: "\(reservation.address) is reserved for \(owner) in \(storeDirectory), which has no "
                        + "endpoint",
                    cause: "a DEL did not finish (the Go plugins leave addresses behind when HNS fails), or the "
                        + "endpoint was deleted by hand; the address is lost to new pods",
                    fix: "if no pod has that container ID, delete \(storeDirectory)/"
                        + "\(store?.fileName(for: reservation.address) ?? reservation.address.description); a runtime "
                        + "that sends GC (CNI 1.1.0) removes it too"))
        }
        if let flannel = config.flannel {
            let saved = ((try? NodeFiles.list(flannel.dataDir)) ?? []).filter(NodeFiles.isSavedDelegateConfig)
            for name in saved where !podIDs.contains(name) {
                report.findings.append(
                    DoctorFinding(
                        id: "saved-config-without-pod", severity: .warning,
                        summary: "flannel's saved delegate config \(join(flannel.dataDir, name)) has no endpoint",
                        cause: "the pod's DEL never ran or failed after its endpoint was removed; the file only takes "
                            + "space, and a later DEL of that container would use it",
                        fix: "if no pod has container ID \(name), delete the file; a runtime that sends GC (CNI "
                            + "1.1.0) removes it too"))
            }
        }
        guard report.findings.count == findingsBefore else { return }
        var summary = "\(pods.count) pod endpoint\(pods.count == 1 ? "" : "s")"
        if store != nil {
            summary += ", \(reservations.count) host-local reservation\(reservations.count == 1 ? "" : "s")"
        }
        report.passed.append(("pods", summary))
    }

    // MARK: - The log

    private func checkLog(_ config: NodeConfig, _ report: inout DoctorReport) {
        guard let path = config.logFile, !path.isEmpty else { return }
        let bytes: [UInt8]
        do { bytes = try NodeFiles.readRegular(path) } catch {
            guard error.isNotRegular else {
                report.passed.append(("logFile", "\(path) does not exist yet"))
                return
            }
            report.findings.append(
                DoctorFinding(
                    id: "log-not-regular", severity: .warning,
                    summary: "logFile \(path) is not a regular file (a symbolic link, FIFO or device)",
                    cause: "wincni writes its log only to a regular file, never through a link or into a FIFO, so "
                        + "every command warns on stderr and logs nothing; someone made this file in its place",
                    fix: "remove \(path); the next CNI command creates it as a regular file"))
            return
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").suffix(Self.logLinesRead)
        // A failure still counts when no later invocation of the same command for the same container succeeded.
        var open: [(key: String, line: JSONObject)] = []
        for text in lines {
            guard let line = (try? JSON.parse(String(text)))?.objectValue else { continue }
            let key = "\(line.text("command"))/\(line.text("containerID"))"
            if line.value(goKey: "code")?.int64Value == 0 {
                open.removeAll { $0.key == key }
            } else {
                open.removeAll { $0.key == key }
                open.append((key, line))
            }
        }
        guard !open.isEmpty else {
            report.passed.append(("logFile", "\(path): no unresolved failures in its last \(lines.count) lines"))
            return
        }
        for (_, line) in open.suffix(5) {
            let container = line.text("containerID").isEmpty ? "" : " of container \(line.text("containerID"))"
            report.findings.append(
                DoctorFinding(
                    id: "log-error", severity: .warning,
                    summary: "\(line.text("time")) \(line.text("command"))\(container) failed with code "
                        + "\(line.value(goKey: "code")?.int64Value ?? 0): \(line.text("msg"))",
                    cause: "the last \(line.text("command")) of this container failed and none succeeded since "
                        + "(\(open.count) such failure\(open.count == 1 ? "" : "s") in \(path))",
                    fix: "look the message up in docs/troubleshooting.md"))
        }
    }

    private func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") || directory.hasSuffix("\\") ? directory + name : directory + "/" + name
    }
}

extension DoctorFinding: Error {}
