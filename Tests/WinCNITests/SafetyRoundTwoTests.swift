import CNI
import HCN
import JSON
import NetAddress
import Platform
import Testing

@testable import WinCNI

/// Issue 15: what a hostile or sloppy runtime and real node configs still broke.
@Suite("Correctness and safety, round 2")
struct SafetyRoundTwoTests {
    // MARK: 1. GC without cni.dev/valid-attachments

    @Test(
        "GC without cni.dev/valid-attachments is refused with code 7 and removes nothing", arguments: Backend.allCases)
    func gcWithoutValidAttachments(_ backend: Backend) throws {
        let node = try TestNode()
        try node.flannelUp(backend)
        let config = node.flannelConfig(backend, cniVersion: "1.1.0")
        #expect(node.run(.add, stdin: config, containerID: "live", netns: try node.makeNamespace()).code == 0)
        let endpointsBefore = try node.endpoints().map(\.name).sorted()

        let result = node.run(.gc, stdin: config)
        #expect(result.code == 1)
        #expect(result.json?["code"] == 7)
        #expect(result.json?["msg"]?.stringValue?.contains("cni.dev/valid-attachments") == true, "\(result.text)")
        #expect(try node.endpoints().map(\.name).sorted() == endpointsBefore)
        #expect(node.reservations(node.networkName(backend)).count == 1)
        #expect(node.savedDelegateConfigs() == ["live"])
    }

    // MARK: 4. A second interface of the same container on the same network

    @Test(
        "ADD of a second interface is refused naming the first; DEL of it leaves the first's endpoint and IP",
        arguments: Backend.allCases)
    func secondInterface(_ backend: Backend) throws {
        let node = try TestNode()
        try node.flannelUp(backend)
        let config = node.flannelConfig(backend, cniVersion: "1.0.0")
        let netns = try node.makeNamespace()
        let first = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth0")
        #expect(first.code == 0, "\(first.text)")
        let endpoints = try node.endpoints().map(\.id).sorted()

        let second = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth1")
        #expect(second.code == 1, "\(second.text)")
        #expect(second.json?["code"] == 4)
        let message = second.json?["msg"]?.stringValue ?? ""
        #expect(message.contains("\"eth0\"") && message.contains("\"eth1\""), "\(message)")
        #expect(try node.endpoints().map(\.id).sorted() == endpoints)
        #expect(node.reservations(node.networkName(backend)).count == 1)

        let deleted = node.run(.del, stdin: config, containerID: "pod", netns: netns, ifname: "eth1")
        #expect(deleted.code == 0, "\(deleted.text)")
        #expect(try node.endpoints().map(\.id).sorted() == endpoints)
        #expect(node.reservations(node.networkName(backend)).count == 1)

        // The first interface is still whole: a retried ADD of it answers from its endpoint, and its DEL empties
        // the node.
        let retried = node.run(.add, stdin: config, containerID: "pod", netns: netns, ifname: "eth0")
        #expect(retried.json?["ips"] == first.json?["ips"])
        #expect(node.run(.del, stdin: config, containerID: "pod", netns: netns, ifname: "eth0").code == 0)
        #expect(node.reservations(node.networkName(backend)).isEmpty)
        #expect(try node.endpoints().filter { $0.name.hasPrefix("pod_") }.isEmpty)
    }

    // MARK: 6. GC removes only what it can tell is this network's pod attachment

    /// Adds an endpoint named `name` on `network` that wincni did not make (as kube-proxy or an operator would).
    private func foreignEndpoint(_ node: TestNode, _ name: String, address: String, network: String) throws {
        let id = try #require(try node.client.network(named: network)).id
        let document: JSONObject = [
            "Name": .string(name), "HostComputeNetwork": .string(id),
            "IpConfigurations": [["IpAddress": .string(address)]], "SchemaVersion": ["Major": 2, "Minor": 0],
        ]
        _ = try node.client.createEndpoint(try HostComputeEndpoint(json: .object(document)), networkID: id)
    }

    @Test("GC with host-local keeps foreign endpoints named *_<network> and removes pods, attached or not")
    func gcHostLocalRule() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.1.0")
        for id in ["live", "stale", "crashed"] {
            #expect(node.run(.add, stdin: config, containerID: id, netns: try node.makeNamespace()).code == 0)
        }
        // An ADD killed between CreateEndpoint and ModifyNamespace leaves the endpoint outside any namespace; its
        // address is still reserved for the container the name gives.
        let crashed = try #require(try node.client.endpoint(named: "crashed_cbr0"))
        try node.client.removeEndpoint(crashed.id, fromNamespace: try #require(crashed.hostComputeNamespace))
        // kube-proxy's and an operator's endpoints: in no namespace, their addresses not reserved by them.
        try foreignEndpoint(node, "kubeproxy_cbr0", address: "10.244.1.240", network: "cbr0")
        try foreignEndpoint(node, "stale2_cbr0", address: "10.244.1.241", network: "cbr0")

        var gc = try #require(try JSON.parse(config).objectValue)
        gc["cni.dev/valid-attachments"] = [["containerID": "live", "ifname": "eth0"]]
        let result = node.run(.gc, stdin: JSON.object(gc).compact())
        #expect(result.code == 0, "\(result.text)")
        #expect(
            try node.endpoints().map(\.name).sorted() == ["cbr0_ep", "kubeproxy_cbr0", "live_cbr0", "stale2_cbr0"])
        #expect(node.reservations("cbr0").count == 1)
    }

    @Test("GC without host-local removes only endpoints attached to a namespace")
    func gcHNSAllocatedRule() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = #"{"cniVersion":"1.1.0","name":"cbr0","type":"win-bridge"}"#
        #expect(node.run(.add, stdin: config, containerID: "stale", netns: try node.makeNamespace()).code == 0)
        try foreignEndpoint(node, "kubeproxy_cbr0", address: "10.244.1.240", network: "cbr0")
        let result = node.run(
            .gc, stdin: #"{"cniVersion":"1.1.0","name":"cbr0","type":"win-bridge","cni.dev/valid-attachments":[]}"#)
        #expect(result.code == 0, "\(result.text)")
        #expect(try node.endpoints().map(\.name).sorted() == ["cbr0_ep", "kubeproxy_cbr0"])
    }

    // MARK: 12. The same host port and protocol twice

    @Test(
        "the same host port and protocol twice in portMappings is code 7 naming both entries; ADD creates nothing",
        arguments: [
            #"[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8080,"containerPort":81,"protocol":"TCP"}]"#,
            #"[{"hostPort":8080,"containerPort":80},{"hostPort":8080,"containerPort":80,"protocol":"6"}]"#,
            #"[{"hostPort":53,"containerPort":53,"protocol":"udp","hostIP":"192.168.1.10"},{"hostPort":53,"containerPort":54,"protocol":"udp"}]"#,
        ])
    func duplicateHostPort(_ mappings: String) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(
            .hostGW, cniVersion: "1.0.0", extra: #", "runtimeConfig": {"portMappings": \#(mappings)}"#)
        let endpoints = try node.endpoints().count
        let result = node.run(.add, stdin: config, containerID: "ports", netns: try node.makeNamespace())
        #expect(result.json?["code"] == 7, "\(result.text)")
        let message = result.json?["msg"]?.stringValue ?? ""
        #expect(message.contains("runtimeConfig.portMappings[1]") && message.contains("[0]"), "\(message)")
        #expect(try node.endpoints().count == endpoints)
        #expect(node.reservations("cbr0").isEmpty)
        // DEL does not send port mappings to HNS and must finish.
        #expect(node.run(.del, stdin: config, containerID: "ports").code == 0)
    }

    @Test("the same host port on another protocol or another host IP is two mappings")
    func distinctHostPorts() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let mappings =
            #"[{"hostPort":53,"containerPort":53,"protocol":"udp"},{"hostPort":53,"containerPort":53,"protocol":"tcp"},"#
            + #"{"hostPort":80,"containerPort":80,"hostIP":"192.168.1.10"},{"hostPort":80,"containerPort":81,"hostIP":"192.168.1.11"}]"#
        let config = node.flannelConfig(
            .hostGW, cniVersion: "1.0.0", extra: #", "runtimeConfig": {"portMappings": \#(mappings)}"#)
        let result = node.run(.add, stdin: config, containerID: "ports", netns: try node.makeNamespace())
        #expect(result.code == 0, "\(result.text)")
        let endpoint = try #require(try node.client.endpoint(named: "ports_cbr0"))
        #expect(endpoint.policies.filter { $0.type == "PortMapping" }.count == 4)
    }

    // MARK: 13. flannel GC and its temporary files

    @Test(
        "flannel GC removes the saved config of a stale pod named pod.tmp9 and keeps only a valid pod's temporary files"
    )
    func flannelGCTemporaryFiles() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.1.0")
        for id in ["pod.tmp9", "keep"] {
            #expect(node.run(.add, stdin: config, containerID: id, netns: try node.makeNamespace()).code == 0)
        }
        // What a writer killed before its rename leaves: `<sandboxID>.tmp<pid>.<n>`.
        for name in ["keep.tmp4242.1", "gone.tmp4243.1", "keep.tmpx", "keep.tmp4244"] {
            try Files.write("\(node.flannelDirectory)/\(name)", Array("{}".utf8), mode: .atomic, permissions: 0o600)
        }
        var gc = try #require(try JSON.parse(config).objectValue)
        gc["cni.dev/valid-attachments"] = [["containerID": "keep", "ifname": "eth0"]]
        let result = node.run(.gc, stdin: JSON.object(gc).compact())
        #expect(result.code == 0, "\(result.text)")
        #expect(node.savedDelegateConfigs().sorted() == ["keep", "keep.tmp4242.1"])
    }

    // MARK: 9. Keys that differ only in case

    @Test(
        "name and Name in one config: the last one in the document is the network, as the runtime's Go decoder reads it"
    )
    func duplicateKeysDifferingInCase() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config =
            #"{"cniVersion":"1.0.0","name":"other","type":"win-bridge","Name":"cbr0","ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"},"IPAM":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)","rangeStart":"10.244.1.50"}}"#
        let result = node.run(.add, stdin: config, containerID: "cased", netns: try node.makeNamespace())
        #expect(result.code == 0, "\(result.text)")
        #expect(result.json?["ips"]?.arrayValue?.first?["address"] == "10.244.1.50/24")
        #expect(try node.client.endpoint(named: "cased_cbr0") != nil)
    }

    // MARK: 8. One OutBoundNAT policy

    @Test(
        "vxlan with ipMasq and host-gw with ipMasqNetwork: one OutBoundNAT policy, the node subnet not listed twice",
        arguments: Backend.allCases)
    func oneOutboundNAT(_ backend: Backend) throws {
        let node = try TestNode()
        try node.flannelUp(backend)
        // flannel sets ipMasq (vxlan: the node subnet 10.244.1.0/24, inside the cluster CIDR the config excepts) or
        // ipMasqNetwork (host-gw: the cluster CIDR, already excepted) on the delegate.
        try node.writeSubnetEnv(ipMasq: true)
        let config = node.flannelConfig(backend, cniVersion: "1.0.0")
        let result = node.run(.add, stdin: config, containerID: "nat", netns: try node.makeNamespace())
        #expect(result.code == 0, "\(result.text)")
        let endpoint = try #require(try node.client.endpoint(named: "nat_\(node.networkName(backend))"))
        let nat = endpoint.policies.filter { $0.type == "OutBoundNAT" }
        #expect(nat.count == 1, "\(nat)")
        let exceptions = nat.first?.settings[goKey: "Exceptions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(exceptions).count == exceptions.count)
        #expect(!exceptions.contains("10.244.1.0/24"), "\(exceptions)")
        #expect(exceptions.contains("10.244.0.0/16") && exceptions.contains("10.96.0.0/12"))
    }

    // MARK: 7. Requested addresses

    private func firstAddress(_ result: (code: Int32, json: JSON?, text: String)) -> String? {
        result.json?["ips"]?.arrayValue?.first?["address"]?.stringValue
    }

    @Test("CNI_ARGS IP=, runtimeConfig.ips and args.cni.ips are honoured by host-local")
    func requestedAddresses() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let flannel = node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        let fromArgs = node.run(
            .add, stdin: flannel, containerID: "by-args", netns: try node.makeNamespace(),
            cniArgs: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;IP=10.244.1.50")
        #expect(firstAddress(fromArgs) == "10.244.1.50/24", "\(fromArgs.text)")

        let capability = node.flannelConfig(
            .hostGW, cniVersion: "1.0.0", extra: #", "runtimeConfig": {"ips": ["10.244.1.60/24"]}"#)
        let fromCapability = node.run(
            .add, stdin: capability, containerID: "by-capability", netns: try node.makeNamespace())
        #expect(firstAddress(fromCapability) == "10.244.1.60/24", "\(fromCapability.text)")

        let direct =
            #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","args":{"cni":{"ips":["10.244.1.70"]}},"ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"}}"#
        let fromArgsKey = node.run(.add, stdin: direct, containerID: "by-args-key", netns: try node.makeNamespace())
        #expect(firstAddress(fromArgsKey) == "10.244.1.70/24", "\(fromArgsKey.text)")
        #expect(node.reservations("cbr0").sorted() == ["10.244.1.50", "10.244.1.60", "10.244.1.70"])
    }

    @Test(
        "a requested address host-local cannot give fails the ADD naming it, and leaves nothing",
        arguments: [
            ("IP=10.244.1.50", Int64(999), "not available"),  // another pod holds it
            ("IP=10.244.2.5", Int64(7), "no range set"),
            ("IP=10.244.1.1", Int64(7), "gateway"),
            ("IP=10.244.1.2", Int64(7), "L2Bridge gateway"),
            ("IP=ten", Int64(4), "CNI_ARGS IP=ten"),
        ])
    func requestedAddressRefused(_ args: String, _ code: Int64, _ mention: String) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        let holder = node.run(
            .add, stdin: config, containerID: "holder", netns: try node.makeNamespace(), cniArgs: "IP=10.244.1.50")
        #expect(holder.code == 0, "\(holder.text)")
        let endpoints = try node.endpoints().count
        let result = node.run(.add, stdin: config, containerID: "asker", netns: try node.makeNamespace(), cniArgs: args)
        #expect(result.json?["code"]?.int64Value == code, "\(result.text)")
        #expect(result.json?["msg"]?.stringValue?.contains(mention) == true, "\(result.text)")
        #expect(try node.endpoints().count == endpoints)
        #expect(node.reservations("cbr0") == ["10.244.1.50"])
        #expect(node.savedDelegateConfigs() == ["holder"])
    }

    @Test("with HNS allocating, CNI_ARGS IP= goes on the endpoint")
    func requestedAddressWithoutIPAM() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge"}"#
        let result = node.run(
            .add, stdin: config, containerID: "hns", netns: try node.makeNamespace(), cniArgs: "IP=10.244.1.80")
        #expect(firstAddress(result) == "10.244.1.80/24", "\(result.text)")
    }

    @Test("a CNI_ARGS pair with two '=' is an invalid pair for ADD, as Go's LoadArgs has it; DEL still finishes")
    func malformedArgsPair() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        let netns = try node.makeNamespace()
        #expect(node.run(.add, stdin: config, containerID: "pod", netns: netns).code == 0)
        let add = node.run(.add, stdin: config, containerID: "other", netns: netns, cniArgs: "K8S_POD_NAME=a=b")
        #expect(add.json?["code"] == 4, "\(add.text)")
        #expect(add.json?["msg"]?.stringValue?.contains(#""K8S_POD_NAME=a=b""#) == true, "\(add.text)")
        let del = node.run(.del, stdin: config, containerID: "pod", netns: netns, cniArgs: "K8S_POD_NAME=a=b")
        #expect(del.code == 0, "\(del.text)")
        #expect(node.reservations("cbr0").isEmpty)
    }

    // MARK: 3 (part). DEL with an unparseable prevResult

    @Test(
        "DEL with an unparseable prevResult warns and finishes; ADD and CHECK still refuse it",
        arguments: [#"{"ips": "garbage"}"#, "42", #"{"cniVersion": "1.0.0", "interfaces": [{"name": 7}]}"#])
    func delWithBadPrevResult(_ prevResult: String) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config = node.flannelConfig(.hostGW, cniVersion: "1.0.0")
        let netns = try node.makeNamespace()
        #expect(node.run(.add, stdin: config, containerID: "pod", netns: netns).code == 0)
        let broken = node.flannelConfig(.hostGW, cniVersion: "1.0.0", extra: #", "prevResult": \#(prevResult)"#)
        #expect(node.run(.check, stdin: broken, containerID: "pod", netns: netns).json?["code"] == 6)

        let result = node.run(.del, stdin: broken, containerID: "pod", netns: netns)
        #expect(result.code == 0, "\(result.text)")
        #expect(result.text.isEmpty)
        #expect(node.log.all.contains { $0.contains("prevResult") && $0.contains("ignor") }, "\(node.log.all)")
        #expect(try node.endpoints().map(\.name) == ["cbr0_ep"])
        #expect(node.reservations("cbr0").isEmpty)
        #expect(node.savedDelegateConfigs().isEmpty)
    }

    // MARK: 11. additionalRoutes and gatewayFromAdditionalRoutes

    @Test(
        "gatewayFromAdditionalRoutes: a family IPAM gave no gateway takes additionalRoutes' default route",
        arguments: [
            (#""optionalFlags":{"gatewayFromAdditionalRoutes":true},"#, "", "10.244.1.9"),
            ("", "", "10.244.1.2"),  // without the flag: the L2Bridge .2
            // host-local gives a gateway: additionalRoutes do not replace it (Microsoft's plugins fill only a
            // missing one), and wincni's L2Bridge rule applies.
            (
                #""optionalFlags":{"gatewayFromAdditionalRoutes":true},"#,
                #""ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"IPAM"},"#, "10.244.1.2"
            ),
        ])
    func gatewayFromAdditionalRoutes(_ flags: String, _ ipam: String, _ gateway: String) throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config =
            #"{"cniVersion":"1.0.0","name":"cbr0","type":"sdnbridge",\#(flags)\#(ipam.replacingOccurrences(of: "IPAM", with: node.ipamDirectory))"#
            + #""additionalRoutes":[{"dst":"10.96.0.0/12","gw":"10.244.1.8"},{"dst":"0.0.0.0/0","gw":"10.244.1.9"},{"dst":"::/0","gw":"fd00::9"}]}"#
        let result = node.run(.add, stdin: config, containerID: "routes", netns: try node.makeNamespace())
        #expect(result.code == 0, "\(result.text)")
        #expect(result.json?["ips"]?.arrayValue?.first?["gateway"]?.stringValue == gateway, "\(result.text)")
        let endpoint = try #require(try node.client.endpoint(named: "routes_cbr0"))
        #expect(endpoint.routes.map(\.nextHop) == [gateway])
    }

    @Test("a malformed additionalRoutes entry fails ADD with code 7 naming it; DEL does not read it")
    func badAdditionalRoute() throws {
        let node = try TestNode()
        try node.flannelUp(.hostGW)
        let config =
            #"{"cniVersion":"1.0.0","name":"cbr0","type":"sdnbridge","additionalRoutes":[{"dst":"0.0.0.0/0","gw":"fd00::1"}]}"#
        let result = node.run(.add, stdin: config, containerID: "routes", netns: try node.makeNamespace())
        #expect(result.json?["code"] == 7, "\(result.text)")
        #expect(result.json?["msg"]?.stringValue?.hasPrefix("additionalRoutes[0].gw") == true, "\(result.text)")
        #expect(node.run(.del, stdin: config, containerID: "routes").code == 0)
    }

    // MARK: 14. conf/ works unchanged on every node

    struct SimulatedNode: Sendable, CustomTestStringConvertible {
        let address: String
        let subnet: String  // the node's pod subnet (flannel lease)
        var testDescription: String { "node \(address) with \(subnet)" }
        var prefix: String {
            String(subnet.prefix { $0 != "/" }.split(separator: ".").prefix(3).joined(separator: "."))
        }
    }

    static let nodes = [
        SimulatedNode(address: "192.168.1.10", subnet: "10.244.1.0/24"),
        SimulatedNode(address: "172.20.7.31", subnet: "10.244.9.0/24"),
    ]

    /// What flanneld does on `node`: subnet.env from its lease, and the HNS network with the node's provider
    /// address (HNS reports the host's management address there), plus `<name>_ep` at .2 on host-gw.
    private func flannelUp(_ node: TestNode, _ simulated: SimulatedNode, _ backend: Backend) throws {
        let text =
            "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=\(simulated.prefix).1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n"
        try Files.write(node.subnetEnvPath, Array(text.utf8), mode: .atomic, permissions: 0o644)
        let name = node.networkName(backend)
        var subnet: JSONObject = [
            "IpAddressPrefix": .string(simulated.subnet),
            "Routes": [["NextHop": .string("\(simulated.prefix).1"), "DestinationPrefix": "0.0.0.0/0"]],
        ]
        if backend == .vxlan { subnet["Policies"] = [["Type": "VSID", "Settings": ["IsolationId": 4096]]] }
        var document: JSONObject = [
            "Name": .string(name), "Type": .string(backend == .hostGW ? "L2Bridge" : "Overlay"),
            "Ipams": [["Type": "Static", "Subnets": [.object(subnet)]]],
            "Policies": [["Type": "ProviderAddress", "Settings": ["ProviderAddress": .string(simulated.address)]]],
        ]
        if backend == .vxlan { document["Flags"] = 8 }
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        let network = try node.client.createNetwork(try HostComputeNetwork(json: .object(document)))
        if backend == .hostGW {
            let endpoint = try HostComputeEndpoint(
                json: [
                    "Name": .string("\(name)_ep"), "HostComputeNetwork": .string(network.id),
                    "IpConfigurations": [["IpAddress": .string("\(simulated.prefix).2")]],
                    "SchemaVersion": ["Major": 2, "Minor": 0],
                ])
            _ = try node.client.createEndpoint(endpoint, networkID: network.id)
        }
    }

    @Test(
        "each shipped config works unchanged on two nodes with different addresses and subnets",
        arguments: ["flannel-host-gw.conf", "flannel-vxlan.conf", "win-bridge.conf", "win-overlay.conf"], nodes)
    func confOnEveryNode(_ file: String, _ simulated: SimulatedNode) throws {
        let node = try TestNode()
        let backend: Backend = file.contains("overlay") || file.contains("vxlan") ? .vxlan : .hostGW
        try flannelUp(node, simulated, backend)
        // Only where files go changes, as an installer would place them.
        var document = try #require(try JSON.parse(try readText(repositoryRoot + "/conf/" + file)).objectValue)
        #expect(!JSON.object(document).compact().contains(Self.nodes[0].address), "\(file) names a node address")
        if document["type"] == "flannel" {
            document["subnetFile"] = .string(node.subnetEnvPath)
            document["dataDir"] = .string(node.flannelDirectory)
            document["ipam"] = ["dataDir": .string(node.ipamDirectory)]
        } else {
            var ipam = try #require(document["ipam"]?.objectValue)
            ipam["dataDir"] = .string(node.ipamDirectory)
            document["ipam"] = .object(ipam)
        }
        let config = JSON.object(document).compact()
        let netns = try node.makeNamespace()
        let added = node.run(.add, stdin: config, containerID: "pod", netns: netns)
        #expect(added.code == 0, "\(added.text)")
        let address = try #require(added.json?["ips"]?.arrayValue?.first?["address"]?.stringValue)
        #expect(address.hasPrefix(simulated.prefix + "."), "\(address)")

        let endpoint = try #require(try node.client.endpoint(named: "pod_\(node.networkName(backend))"))
        let policies = endpoint.policies.map {
            JSON.object(["Type": .string($0.type), "Settings": $0.settings]).compact()
        }
        #expect(!policies.joined().contains("${"), "\(policies)")
        if file.hasPrefix("flannel-host-gw") || file == "win-bridge.conf" {
            let route = endpoint.policies.first {
                $0.type == "SDNRoute" && $0.settings[goKey: "DestinationPrefix"]?.stringValue?.hasSuffix("/32") == true
            }
            #expect(route?.settings[goKey: "DestinationPrefix"]?.stringValue == "\(simulated.address)/32")
            let exceptions = endpoint.policies.filter { $0.type == "OutBoundNAT" }.flatMap {
                $0.settings[goKey: "Exceptions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            #expect(exceptions.contains("\(simulated.address)/32"), "\(exceptions)")
        }
        if backend == .vxlan {
            let provider = endpoint.policies.filter { $0.type == "ProviderAddress" }
            #expect(provider.count == 1)
            #expect(provider.first?.settings[goKey: "ProviderAddress"]?.stringValue == simulated.address)
        }
        let check = node.run(.check, stdin: config, containerID: "pod", netns: netns)
        #expect(check.code == 0, "\(check.text)")
        #expect(node.run(.del, stdin: config, containerID: "pod", netns: netns).code == 0)
        #expect(node.reservations(node.networkName(backend)).isEmpty)
    }

    @Test("a literal value in the config wins over what the node knows, and a placeholder HNS cannot fill is code 7")
    func literalWins() throws {
        let node = try TestNode()
        try flannelUp(node, Self.nodes[1], .hostGW)
        let literal =
            #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","ipam":{"type":"host-local","subnet":"10.244.9.0/24","rangeStart":"10.244.9.100","dataDir":"\#(node.ipamDirectory)"},"#
            + #""policies":[{"name":"EndpointPolicy","value":{"Type":"SDNRoute","Settings":{"DestinationPrefix":"192.168.50.5/32","NeedEncap":true}}}]}"#
        let result = node.run(.add, stdin: literal, containerID: "lit", netns: try node.makeNamespace())
        #expect(result.json?["ips"]?.arrayValue?.first?["address"] == "10.244.9.100/24", "\(result.text)")
        let endpoint = try #require(try node.client.endpoint(named: "lit_cbr0"))
        #expect(
            endpoint.policies.first { $0.type == "SDNRoute" }?.settings[goKey: "DestinationPrefix"] == "192.168.50.5/32"
        )

        // A network without a subnet cannot fill ${NODE_SUBNET}.
        let bare = try TestNode()
        let document: JSONObject = [
            "Name": "bare", "Type": "L2Bridge", "Ipams": [["Type": "Static", "Subnets": []]],
            "SchemaVersion": ["Major": 2, "Minor": 0],
        ]
        _ = try bare.client.createNetwork(try HostComputeNetwork(json: .object(document)))
        let config =
            #"{"cniVersion":"1.0.0","name":"bare","type":"win-bridge","ipam":{"type":"host-local","subnet":"${NODE_SUBNET}","dataDir":"\#(bare.ipamDirectory)"}}"#
        let refused = bare.run(.add, stdin: config, containerID: "x", netns: try bare.makeNamespace())
        #expect(refused.json?["code"] == 7, "\(refused.text)")
        #expect(refused.json?["msg"]?.stringValue?.contains("${NODE_SUBNET}") == true, "\(refused.text)")
    }

    @Test(
        "filling the placeholders costs no HNS call: the network looked up for them is the command's",
        arguments: ["ADD", "CHECK", "DEL"])
    func placeholdersCostNoCall(_ command: String) throws {
        var counts: [Int] = []
        for placeholder in [false, true] {
            let node = try TestNode()
            try flannelUp(node, Self.nodes[0], .hostGW)
            let route = placeholder ? "${NODE_IP}/32" : "192.168.1.10/32"
            let config =
                #"{"cniVersion":"1.0.0","name":"cbr0","type":"sdnbridge","ipam":{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDirectory)"},"#
                + #""AdditionalArgs":[{"Name":"EndpointPolicy","Value":{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"\#(route)","NeedEncap":true}}}]}"#
            let recorder = RecordingHostNetworkService(forwardingTo: node.simulator)
            let plugin = WinCNIPlugin(hns: recorder)
            let netns = try node.makeNamespace()
            let added = node.run(.add, stdin: config, containerID: "calls", netns: netns, plugin: plugin)
            #expect(added.code == 0, "\(added.text)")
            if command != "ADD" {
                recorder.reset()
                var stdin = config
                if command == "CHECK" { stdin = String(config.dropLast()) + #","prevResult":\#(added.text)}"# }
                let result = node.run(
                    CNICommand(rawValue: command)!, stdin: stdin, containerID: "calls", netns: netns, plugin: plugin)
                #expect(result.code == 0, "\(result.text)")
            }
            counts.append(recorder.lines.count)
        }
        #expect(
            counts[0] == counts[1], "\(command): \(counts[0]) HNS calls with a literal, \(counts[1]) with a placeholder"
        )
    }
}
