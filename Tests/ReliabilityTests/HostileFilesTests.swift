import HostLocal
import JSON
import Platform
import Testing

/// Issue 15, items 2, 3 and 5, against the binaries: what someone who can create files where the plugin reads and
/// writes (a FIFO, a link) or a runtime that kills and retries can do to ADD and DEL.
@Suite("Hostile files and killed ADDs: nothing blocks, nothing is written through a link, DEL finishes, one address")
struct HostileFilesTests {
    /// Runs the plugin and gives it `seconds` to finish; a plugin still running then is killed and reported as hung
    /// (nil), so a regression fails the test instead of stalling the run.
    private func run(
        _ node: TestNode, _ name: String, _ command: String, _ pod: Pod, config: String, seconds: Int = 20
    ) throws -> ProcessOutput? {
        let process = try node.spawn(name, command, pod, config: config)
        let started = ProcessEnvironment.monotonicSeconds()
        while ProcessEnvironment.monotonicSeconds() - started < Double(seconds) {
            if let output = try process.poll() { return output }
            ProcessEnvironment.sleep(milliseconds: 10)
        }
        _ = process.kill()
        _ = try? process.wait()
        return nil
    }

    private func makeFIFO(_ path: String) throws {
        let output = try RunningProcess.run("/usr/bin/mkfifo", arguments: [path], environment: [:], stdin: [])
        guard output.status == 0 else { throw HarnessError("mkfifo \(path): \(output.stderr)") }
    }

    private func makeHardLink(_ existing: String, _ path: String) throws {
        let output = try RunningProcess.run("/bin/ln", arguments: [existing, path], environment: [:], stdin: [])
        guard output.status == 0 else { throw HarnessError("ln \(existing) \(path): \(output.stderr)") }
    }

    // MARK: 2. Never blocked, never redirected

    @Test(
        "a FIFO or a symbolic link (dangling or not) at logFile: ADD and DEL finish and warn, nothing is written elsewhere",
        .enabled(if: PluginAvailability.isWired), arguments: ["fifo", "link", "dangling link"])
    func hostileLogFile(_ kind: String) throws {
        let node = try TestNode()
        let logFile = node.root + "/wincni.log"
        let victim = node.root + "/victim"
        try FileTree.write(victim, "precious")
        switch kind {
        case "fifo": try makeFIFO(logFile)
        case "link": try Files.makeLink(logFile, to: victim)
        default: try Files.makeLink(logFile, to: node.root + "/nowhere")
        }
        let pod = try node.pod("logfifo")
        let config = node.directConfig(extra: #""logFile":"\#(logFile)""#)
        for command in ["ADD", "DEL"] {
            let output = try run(node, node.backend.delegateType, command, pod, config: config)
            #expect(output != nil, "\(command) with a \(kind) at logFile did not finish")
            #expect(output?.status == 0, "\(command): \(output?.stdout ?? "")")
            #expect(output?.stderr.contains("cannot write logFile") == true, "\(command): \(output?.stderr ?? "")")
        }
        #expect(FileTree.text(victim) == "precious")
        #expect(!FileTree.exists(node.root + "/nowhere"))
        #expect(node.endpoints() == [])
    }

    @Test(
        "a FIFO at subnetFile fails flannel's ADD at once naming it, and DEL still finishes",
        .enabled(if: PluginAvailability.isWired))
    func fifoSubnetFile() throws {
        let node = try TestNode()
        let pod = try node.pod("subnetfifo")
        FileTree.remove(node.subnetEnvPath)
        try makeFIFO(node.subnetEnvPath)
        let add = try run(node, "flannel", "ADD", pod, config: node.flannelConfig())
        #expect(add != nil, "ADD with a FIFO at subnetFile did not finish")
        #expect(add?.status == 1)
        #expect(add.flatMap { CNIErrorOutput($0)?.text.contains(node.subnetEnvPath) } == true, "\(add?.stdout ?? "")")
        #expect(add.flatMap { CNIErrorOutput($0)?.text.contains("not a regular file") } == true)
        let del = try run(node, "flannel", "DEL", pod, config: node.flannelConfig())
        #expect(del != nil, "DEL with a FIFO at subnetFile did not finish")
        #expect(del?.status == 0, "\(del?.stdout ?? "")")
    }

    @Test(
        "a FIFO in place of flannel's saved config: DEL finishes with the rebuilt config and removes it",
        .enabled(if: PluginAvailability.isWired))
    func fifoSavedConfig() throws {
        let node = try TestNode()
        let pod = try node.pod("savedfifo")
        let add = try run(node, "flannel", "ADD", pod, config: node.flannelConfig())
        #expect(add?.status == 0, "\(add?.stdout ?? "")")
        let saved = node.savedDelegates()
        try #require(saved.count == 1)
        FileTree.remove(node.flannelDataDir + "/" + saved[0])
        try makeFIFO(node.flannelDataDir + "/" + saved[0])
        let del = try run(node, "flannel", "DEL", pod, config: node.flannelConfig())
        #expect(del != nil, "DEL with a FIFO as the saved config did not finish")
        #expect(del?.status == 0, "\(del?.stdout ?? "")")
        #expect(del?.stderr.contains("not a saved delegate config") == true, "\(del?.stderr ?? "")")
        #expect(node.savedDelegates() == [])
        #expect(node.endpoints() == [])
        #expect(node.reservations(in: node.flannelStore).isEmpty)
    }

    @Test(
        "a hard link at last_reserved_ip: ADD is refused naming it, the linked file keeps its bytes",
        .enabled(if: PluginAvailability.isWired))
    func linkedLastReserved() throws {
        let node = try TestNode()
        let victim = node.root + "/victim"
        try FileTree.write(victim, "precious")
        try FileTree.makeDirectory(node.ipamDataDir)
        try FileTree.makeDirectory(node.directStore)
        try makeHardLink(victim, node.directStore + "/last_reserved_ip.0")
        let pod = try node.pod("linked")
        let add = try run(node, node.backend.delegateType, "ADD", pod, config: node.directConfig())
        #expect(add?.status == 1, "\(add?.stdout ?? "")")
        #expect(add.flatMap { CNIErrorOutput($0)?.text.contains("last_reserved_ip.0") } == true)
        #expect(FileTree.text(victim) == "precious")
        #expect(node.reservations(in: node.directStore).isEmpty)
        #expect(node.endpoints() == [])
    }

    // MARK: 3. DEL always finishes

    @Test(
        "flannel's dataDir is a file: DEL finishes, runs the delegate and leaves the file",
        .enabled(if: PluginAvailability.isWired))
    func flannelDataDirIsFile() throws {
        let node = try TestNode()
        let pod = try node.pod("datadirfile")
        let add = try run(node, "flannel", "ADD", pod, config: node.flannelConfig())
        #expect(add?.status == 0, "\(add?.stdout ?? "")")
        FileTree.remove(node.flannelDataDir)
        try FileTree.write(node.flannelDataDir, "not a directory")
        let del = try run(node, "flannel", "DEL", pod, config: node.flannelConfig())
        #expect(del?.status == 0, "\(del?.stdout ?? "")")
        #expect(del?.stderr.contains("is not a directory") == true, "\(del?.stderr ?? "")")
        #expect(FileTree.text(node.flannelDataDir) == "not a directory")
        #expect(node.endpoints() == [])
        #expect(node.reservations(in: node.flannelStore).isEmpty)
    }

    @Test(
        "host-local's lock is a symbolic link: DEL removes the link (not its target), releases the pod and finishes",
        .enabled(if: PluginAvailability.isWired))
    func linkedStoreLock() throws {
        let node = try TestNode()
        let victim = node.root + "/victim"
        try FileTree.write(victim, "precious")
        let pod = try node.pod("locklink")
        let add = try run(node, node.backend.delegateType, "ADD", pod, config: node.directConfig())
        #expect(add?.status == 0, "\(add?.stdout ?? "")")
        #expect(node.reservations(in: node.directStore).count == 1)
        FileTree.remove(node.directStore + "/lock")
        try Files.makeLink(node.directStore + "/lock", to: victim)
        let del = try run(node, node.backend.delegateType, "DEL", pod, config: node.directConfig())
        #expect(del?.status == 0, "\(del?.stdout ?? "")")
        #expect(del?.stderr.contains("symbolic link") == true, "\(del?.stderr ?? "")")
        #expect(node.reservations(in: node.directStore).isEmpty)
        #expect(node.endpoints() == [])
        #expect(FileTree.text(victim) == "precious")
        #expect(try Files.information(node.directStore + "/lock")?.kind == .regular)
        // A second DEL finds nothing and succeeds too.
        #expect(try run(node, node.backend.delegateType, "DEL", pod, config: node.directConfig())?.status == 0)
    }

    @Test(
        "a store lock that is a symbolic link: GC replaces the link (never writing through it) and removes the stale pod",
        .enabled(if: PluginAvailability.isWired))
    func linkedStoreLockGC() throws {
        let node = try TestNode()
        let victim = node.root + "/victim"
        try FileTree.write(victim, "precious")
        let pod = try node.pod("gclink")
        let add = try run(node, node.backend.delegateType, "ADD", pod, config: node.directConfig(version: "1.1.0"))
        #expect(add?.status == 0, "\(add?.stdout ?? "")")
        FileTree.remove(node.directStore + "/lock")
        try Files.makeLink(node.directStore + "/lock", to: victim)
        let config = node.directConfig(version: "1.1.0", extra: #""cni.dev/valid-attachments":[]"#)
        let gc = try node.run(node.backend.delegateType, "GC", nil, config: config)
        #expect(gc.status == 0, "\(gc.stdout)")
        #expect(gc.stderr.contains("symbolic link"), "\(gc.stderr)")
        #expect(node.reservations(in: node.directStore).isEmpty)
        #expect(node.endpoints() == [])
        #expect(FileTree.text(victim) == "precious")
        #expect(try Files.information(node.directStore + "/lock")?.kind == .regular)
    }

    @Test(
        "host-local's dataDir is a file: DEL finishes (no reservation can exist there)",
        .enabled(if: PluginAvailability.isWired))
    func hostLocalDataDirIsFile() throws {
        let node = try TestNode()
        try FileTree.write(node.ipamDataDir, "not a directory")
        let pod = try node.pod("ipamfile")
        let del = try run(node, node.backend.delegateType, "DEL", pod, config: node.directConfig())
        #expect(del?.status == 0, "\(del?.stdout ?? "")")
        #expect(FileTree.text(node.ipamDataDir) == "not a directory")
    }

    // MARK: 5. Killed and retried ADDs

    @Test(
        "ADDs killed at random moments and retried: one address per pod, its endpoint's, no empty or temporary file",
        .enabled(if: PluginAvailability.isWired), arguments: ["win-bridge", "flannel"])
    func killedAndRetried(_ plugin: String) throws {
        let node = try TestNode()
        let pods = try (0..<30).map { try node.pod("retry\($0)") }
        // Through flannel, host-local skips its scan for a sandbox flannel saw for the first time.
        let flannel = plugin == "flannel"
        let config = flannel ? node.flannelConfig() : node.directConfig()
        let binary = flannel ? "flannel" : node.backend.delegateType
        let store = flannel ? node.flannelStore : node.directStore
        var generator = SystemRandomNumberGenerator()
        // How long one ADD takes here (debug or release binary, loaded machine): the kills land within it.
        let probe = try node.pod("probe")
        let started = ProcessEnvironment.monotonicSeconds()
        #expect(try node.run(binary, "ADD", probe, config: config).status == 0)
        let duration = max(2, Int((ProcessEnvironment.monotonicSeconds() - started) * 1000))
        #expect(try node.run(binary, "DEL", probe, config: config).status == 0)

        var pending = Set(pods.indices)
        var killed = 0
        // Kills are drawn from a window that starts as the first half of that time and halves after every kill that
        // came when its ADD was done already: four concurrent ADDs need not run longer than one alone. With a fixed
        // window and kills made only after the whole batch was spawned, a faster simulator (rollback journal, short
        // busy waits) killed fewer than 20 in 5 of 25 runs (main's binaries 0 of 25); with this, 0 of 30.
        var window = max(1, duration / 2)
        var rounds = 0
        while !pending.isEmpty && rounds < 60 {
            rounds += 1
            // Until 20 ADDs died (at most 20 rounds), each is killed at a random moment of its run unless it is
            // done by then; afterwards every ADD is left to finish.
            let killing = killed < 20 && rounds <= 20
            for batch in Array(pending).chunked(4) {
                var kills: [(at: Double, process: RunningProcess)] = []
                var processes: [RunningProcess] = []
                for index in batch {
                    let process = try node.spawn(binary, "ADD", pods[index], config: config)
                    // Within the window, so the kill lands while the ADD is at work (from the start through its
                    // reservation and endpoint), not after it.
                    let delay = Double(Int.random(in: 0..<window, using: &generator)) / 1000
                    if killing { kills.append((ProcessEnvironment.monotonicSeconds() + delay, process)) }
                    processes.append(process)
                    // A kill whose moment came while this process was spawned lands now, not after the rest of the
                    // batch is spawned.
                    let now = ProcessEnvironment.monotonicSeconds()
                    for kill in kills where kill.at <= now {
                        if kill.process.kill() { killed += 1 } else { window = max(1, window / 2) }
                    }
                    kills.removeAll { $0.at <= now }
                }
                for kill in kills.sorted(by: { $0.at < $1.at }) {
                    let wait = Int((kill.at - ProcessEnvironment.monotonicSeconds()) * 1000)
                    if wait > 0 { ProcessEnvironment.sleep(milliseconds: wait) }
                    if kill.process.kill() { killed += 1 } else { window = max(1, window / 2) }
                }
                for (index, process) in zip(batch, processes) where try process.wait().status == 0 {
                    pending.remove(index)
                }
            }
        }
        #expect(pending.isEmpty, "pods never added: \(pending.sorted())")
        #expect(killed >= 20, "only \(killed) ADDs were killed")

        let reservations = node.reservations(in: store)
        let names = FileTree.list(store).filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip") }
        #expect(names.sorted() == reservations.keys.sorted())
        let empty = names.filter { (FileTree.text(store + "/" + $0) ?? "").isEmpty }
        #expect(empty == [], "empty reservation files: \(empty)")
        let temporary = names.filter { $0.contains(".tmp") }
        #expect(temporary == [], "temporary files left: \(temporary)")
        var perPod: [String: [String]] = [:]
        for (address, owner) in reservations { perPod[owner, default: []].append(address) }
        let doubled = perPod.filter { $0.value.count > 1 }
        #expect(doubled.isEmpty, "pods holding more than one address: \(doubled)")
        #expect(reservations.count == pods.count, "\(reservations.count) addresses for \(pods.count) pods")
        for endpoint in node.endpoints() {
            let owner = reservations[endpoint.ip]
            #expect(owner.map { endpoint.name.hasPrefix($0 + "_") } == true, "\(endpoint.name) has \(endpoint.ip)")
        }

        for pod in pods {
            let del = try node.run(binary, "DEL", pod, config: config)
            #expect(del.status == 0, "DEL \(pod.containerID): \(del.stdout)")
        }
        // Only what the Go plugin leaves after ADD and DEL.
        #expect(FileTree.list(store).sorted() == ["last_reserved_ip.0", "lock"])
        #expect(node.endpoints() == [])
        if flannel {
            // A saved config's writer killed before its rename leaves its temporary file (`<sandbox>.tmp<pid>.<n>`,
            // where the Go plugin would leave a partial file under the sandbox's name); GC reclaims it.
            let gc = node.flannelConfig(version: "1.1.0", extra: #""cni.dev/valid-attachments":[]"#)
            #expect(try node.run("flannel", "GC", nil, config: gc).status == 0)
            #expect(FileTree.list(node.flannelDataDir) == [])
        }
    }

    @Test(
        "an ADD of the sandbox that saved flannel's config and reserved while this ADD waited: its address is reused",
        .enabled(if: PluginAvailability.isWired))
    func raceWithAnotherAdd() throws {
        let node = try TestNode()
        let pod = try node.pod("raced")
        let ipam = try JSON.parse(#"{"type":"host-local","subnet":"10.244.1.0/24"}"#).objectValue ?? [:]
        let store = try HostLocalStore(config: HostLocalConfig.decode(ipam, path: "ipam"), networkName: node.network)
        #expect(store.directory == node.flannelStore)
        // Holding the sandbox's lock keeps the ADD between saving flannel's config and reserving.
        let lock = try #require(try store.lockContainer(pod.containerID))
        let adding = try node.spawn("flannel", "ADD", pod, config: node.flannelConfig())
        let saved = node.flannelDataDir + "/" + pod.containerID
        let deadline = ProcessEnvironment.monotonicSeconds() + 20
        while !Files.exists(saved) && ProcessEnvironment.monotonicSeconds() < deadline {
            ProcessEnvironment.sleep(milliseconds: 2)
        }
        // What an ADD of the same sandbox run meanwhile and killed after its reservation leaves: the config
        // saved again (replaced) and an address reserved for the pod.
        let bytes = try Files.read(saved)
        try Files.write(saved, bytes, mode: [.atomic, .durable])
        try Files.write(node.flannelStore + "/10.244.1.77", Array("\(pod.containerID)\r\neth0".utf8))
        lock.release()
        let added = try adding.wait()
        #expect(added.status == 0, "\(added.stdout)")
        #expect(added.stdout.contains("10.244.1.77/24"), "\(added.stdout)")
        let deleted = try node.run("flannel", "DEL", pod, config: node.flannelConfig())
        #expect(deleted.status == 0, "\(deleted.stdout)")
        #expect(node.reservations(in: node.flannelStore) == [:])
    }
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
