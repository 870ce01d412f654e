import Testing

/// The DEL paths that decide whether a node ever recovers: DEL is idempotent, works without CNI_NETNS, and flannel
/// still cleans up when its saved delegate config is gone or damaged (the Go plugins' known leaks).
@Suite("DEL always converges: repeated, without a namespace, without or with a damaged saved delegate config")
struct RecoveryTests {
    @Test(
        "DEL of a pod that was never added succeeds and changes nothing", .enabled(if: PluginAvailability.isWired),
        arguments: Flavor.allCases)
    func delOfNothing(_ flavor: Flavor) throws {
        let node = try TestNode()
        let pod = try node.pod("never")
        let before = node.snapshot()
        let output = try node.run(flavor, "DEL", pod)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(before.differences(to: node.snapshot()).isEmpty, "\(before.differences(to: node.snapshot()))")
    }

    @Test(
        "DEL twice succeeds twice and leaves nothing", .enabled(if: PluginAvailability.isWired),
        arguments: Flavor.allCases)
    func delTwice(_ flavor: Flavor) throws {
        let node = try TestNode()
        let pod = try node.pod("twice")
        #expect(try node.run(flavor, "ADD", pod).status == 0)
        #expect(try node.run(flavor, "DEL", pod).status == 0)
        #expect(try node.run(flavor, "DEL", pod).status == 0)
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    @Test(
        "DEL without CNI_NETNS removes the endpoint and releases the IP", .enabled(if: PluginAvailability.isWired),
        arguments: Flavor.allCases)
    func delWithoutNamespace(_ flavor: Flavor) throws {
        let node = try TestNode()
        let pod = try node.pod("nonetns")
        #expect(try node.run(flavor, "ADD", pod).status == 0)
        let output = try node.run(flavor.binary(node), "DEL", pod, config: flavor.config(node), ["CNI_NETNS": nil])
        #expect(output.status == 0, "\(output.stdout)")
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    @Test(
        "DEL after the namespace is gone still cleans up", .enabled(if: PluginAvailability.isWired),
        arguments: Flavor.allCases)
    func delAfterNamespaceDeleted(_ flavor: Flavor) throws {
        let node = try TestNode()
        let pod = try node.pod("nsgone")
        #expect(try node.run(flavor, "ADD", pod).status == 0)
        FileTree.remove(node.hns + "/namespaces/" + pod.netns.uppercased() + ".json")
        FileTree.remove(node.hns + "/index")
        let output = try node.run(flavor, "DEL", pod)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    @Test(
        "flannel DEL cleans up when the saved delegate config is missing, empty or garbage",
        .enabled(if: PluginAvailability.isWired), arguments: ["missing", "", "{\"cniVersion\":", "\u{0}\u{0}\u{0}"])
    func flannelDamagedSavedConfig(_ content: String) throws {
        let node = try TestNode()
        let pod = try node.pod("damaged")
        #expect(try node.run(.flannel, "ADD", pod).status == 0)
        let saved = node.flannelDataDir + "/" + pod.containerID
        #expect(FileTree.exists(saved))
        if content == "missing" {
            FileTree.remove(saved)
        } else {
            try FileTree.write(saved, content)
        }
        let output = try node.run(.flannel, "DEL", pod)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    @Test(
        "a pod re-added after DEL gets a working endpoint, and CHECK agrees with ADD's result",
        .enabled(if: PluginAvailability.isWired), arguments: Flavor.allCases)
    func readd(_ flavor: Flavor) throws {
        let node = try TestNode()
        let pod = try node.pod("readd")
        for _ in 0..<3 {
            let added = try node.run(flavor, "ADD", pod)
            #expect(added.status == 0, "\(added.stdout)")
            #expect(try node.check(flavor, pod, prevResult: added.stdout).status == 0)
            #expect(try node.run(flavor, "DEL", pod).status == 0)
            let checked = try node.check(flavor, pod, prevResult: added.stdout)
            #expect(checked.status == 1, "CHECK after DEL succeeded")
        }
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }
}
