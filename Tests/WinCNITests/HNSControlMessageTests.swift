import Testing

@testable import HNSControl

/// hnsctl run in-process against a fresh simulator directory.
func hnsctl(_ node: TestNode, _ arguments: String...) -> HNSControl.Output {
    HNSControl.run(arguments: ["--sim", node.hnsDirectory] + arguments, hnsSelector: nil)
}

@Suite("hnsctl's messages name the mistake and the fix")
struct HNSControlMessageTests {
    @Test(
        "a mistyped command suggests the right one",
        arguments: [
            (["netwrk", "list"], #"unknown command "hnsctl netwrk": did you mean "hnsctl network"?"#),
            (["networks"], #"did you mean "hnsctl network"?"#),
            (["network", "lsit"], #"unknown command "hnsctl network lsit": did you mean "hnsctl network list"?"#),
            (["endpoint", "shwo", "x"], #"did you mean "hnsctl endpoint show"?"#),
            (["namespace", "crate"], #"did you mean "hnsctl namespace create"?"#),
            (["fault", "ad", "--op", "CreateEndpoint"], #"did you mean "hnsctl fault add"?"#),
            (["doctr"], #"did you mean "hnsctl doctor"?"#),
        ])
    func suggestion(_ arguments: [String], _ expected: String) throws {
        let node = try TestNode()
        let output = HNSControl.run(arguments: ["--sim", node.hnsDirectory] + arguments, hnsSelector: nil)
        #expect(output.exitCode == 1)
        #expect(output.stderr.hasPrefix("hnsctl: "), "\(output.stderr)")
        #expect(output.stderr.contains(expected), "\(output.stderr)")
        #expect(output.stderr.hasSuffix(")\n"), "lists the commands to choose from: \(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
    }

    @Test("a word near no command gets the list of commands, no guess")
    func noGuess() throws {
        let node = try TestNode()
        let output = hnsctl(node, "zzzzzz")
        #expect(output.exitCode == 1)
        #expect(
            output.stderr
                == "hnsctl: unknown command \"hnsctl zzzzzz\" (hnsctl commands: network, endpoint, namespace, flannel, "
                + "fault, trace, reset, doctor)\n")
    }

    @Test("the typo distance: swaps, drops and additions count one each")
    func distance() {
        #expect(CommandSuggestion.distance("netwrok", "network") == 1)
        #expect(CommandSuggestion.distance("ntwork", "network") == 1)
        #expect(CommandSuggestion.distance("networks", "network") == 1)
        #expect(CommandSuggestion.distance("list", "show") == 4)
        #expect(CommandSuggestion.nearest(to: "lst", among: ["list", "show"]) == "list")
        #expect(CommandSuggestion.nearest(to: "delete", among: ["create", "list"]) == nil)
    }

    @Test("--type with an unknown type lists the valid ones")
    func unknownType() throws {
        let node = try TestNode()
        let output = hnsctl(
            node, "network", "create", "--type", "bridge", "--name", "cbr0", "--subnet", "10.244.1.0/24")
        #expect(output.exitCode == 1)
        #expect(
            output.stderr
                == "hnsctl: --type bridge: not an HNS network type; use l2bridge (flannel host-gw) or overlay (flannel "
                + "vxlan), or one of NAT, ICS, Transparent, L2Tunnel, Private, Internal, Mirrored, Infiniband, "
                + "ConstrainedICS\n")
        #expect(try node.client.network(named: "cbr0") == nil)
    }

    @Test("--type is matched case-insensitively and sent in HNS's spelling")
    func typeSpelling() throws {
        let node = try TestNode()
        let output = hnsctl(node, "network", "create", "--type", "OVERLAY", "--name", "vx", "--subnet", "10.244.2.0/24")
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(try node.client.network(named: "vx")?.type == "Overlay")
    }

    @Test(
        "a subnet with host bits or a gateway outside the subnet names the bad value before HNS is called",
        arguments: [
            (
                ["--subnet", "10.244.1.1/24"],
                "--subnet 10.244.1.1/24: host bits are set (HNS would answer HCN_E_INVALID_SUBNET); did you mean "
                    + "10.244.1.0/24?"
            ),
            (
                ["--subnet", "10.244.1.0/24", "--gateway", "10.244.2.1"],
                "--gateway 10.244.2.1 is outside --subnet 10.244.1.0/24 (HNS would answer HCN_E_INVALID_SUBNET); "
                    + "give an address inside it, such as 10.244.1.1"
            ),
            (["--subnet", "10.244.1.0/33"], "--subnet 10.244.1.0/33: not a CIDR; give one such as 10.244.1.0/24"),
            (
                ["--subnet", "10.244.1.0/24", "--gateway", "fe80::1"],
                "--gateway fe80::1 is outside --subnet 10.244.1.0/24 (HNS would answer HCN_E_INVALID_SUBNET); "
                    + "give an address inside it, such as 10.244.1.1"
            ),
            (
                ["--subnet", "10.244.1.0/24", "--gateway", "gw"],
                "--gateway gw: not an IP address; give one inside 10.244.1.0/24"
            ),
        ])
    func subnetAndGateway(_ options: [String], _ expected: String) throws {
        let node = try TestNode()
        let output = HNSControl.run(
            arguments: ["--sim", node.hnsDirectory, "network", "create", "--type", "l2bridge", "--name", "cbr0"]
                + options, hnsSelector: nil)
        #expect(output.exitCode == 1)
        #expect(output.stderr == "hnsctl: \(expected)\n")
        #expect(!output.stderr.contains("0x803b0032"), "refused before HNS was called")
        #expect(try node.client.network(named: "cbr0") == nil)
    }
}
