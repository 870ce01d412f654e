import CNI
import HCN
import JSON
import Platform

/// The flannel meta plugin on Windows: reads flanneld's `subnet.env`, builds the node's plugin config from the
/// `delegate` object, keeps it under `dataDir/<sandboxID>` for DEL, and runs the delegate — inside this process
/// when it is one of wincni's own types, else exec'd from `CNI_PATH`.
///
/// Deliberate differences from flannel-io/cni-plugin: the saved file is removed when ADD fails (it leaked,
/// containernetworking/plugins#426); DEL without a saved file rebuilds the delegate config instead of silently
/// deleting nothing; an unreadable saved file is rebuilt too (flannel-io/flannel#1662); CHECK and GC reach the
/// delegate.
struct FlannelMeta {
    let client: HCNClient

    func add(_ invocation: Invocation) throws(WinCNIError) -> CNIResult {
        let config = try FlannelConfig(invocation.request.config.raw)
        let env = try SubnetEnv.load(path: config.subnetFile)
        let document = try config.delegateDocument(env)
        let path = try savedConfigPath(config, invocation)
        // Serialized once: the saved file and the delegate's stdin are the same bytes.
        let bytes = document.compactBytes()
        var existingLength: Int? = nil
        // The file this ADD created, when there was none: only then is the sandbox new (see `save`).
        var created: FileInformation? = nil
        do throws(PlatformError) {
            // On disk before the delegate runs (DEL needs it), as the Go flannel plugin syncs it, and replaced
            // atomically so that a killed ADD leaves no partial file. The dataDir exists for every pod after the
            // first: the write is tried first, and only a missing directory (or a file in its place, which then
            // fails as the directory's creation) costs the `mkdir -p` and a second try.
            do {
                created = try save(path, bytes)
            } catch  where error.kind == .notFound || error.kind == .notDirectory {
                existingLength = try Files.makeDirectories(config.dataDir, permissions: 0o700)
                created = try save(path, bytes)
            }
        } catch {
            if let existingLength { Files.removeEmptyDirectories(config.dataDir, keeping: existingLength) }
            throw .io(error)
        }
        let existed = created == nil
        // What this ADD saved, for the delegate to check under the container's lock (Invocation.containerIsNew).
        let saved = created.map { SavedConfig(path: path, file: $0) }
        do throws(WinCNIError) {
            guard
                let result = try runDelegate(
                    document, command: .add, invocation, bytes: bytes, newContainer: saved)
            else {
                throw .internalFailure("delegate \(quoted(config.delegateType)) returned no result")
            }
            return result
        } catch {
            cleanUp(config, path: path, existed: existed, existingLength: existingLength, invocation)
            throw error
        }
    }

    /// Writes the saved config. It is created exclusively, which succeeds only when no file is there: the sandbox
    /// is new, and the file created is returned as it was before it took the name. When one is there (a retried
    /// ADD, or another ADD of the sandbox, which runtimes should not start but some do, that saved it and may have
    /// reserved an address), it is replaced atomically and nil is returned.
    private func save(_ path: String, _ bytes: [UInt8]) throws(PlatformError) -> FileInformation? {
        do {
            return try Files.writeNoting(path, bytes, mode: [.exclusive, .durable], permissions: 0o600)
        } catch  where error.kind == .exists {
            try Files.write(path, bytes, mode: [.atomic, .durable], permissions: 0o600)
            return nil
        }
    }

    /// A failed ADD leaves flannel's dataDir as it found it: no saved config and no directory it created.
    private func cleanUp(
        _ config: FlannelConfig, path: String, existed: Bool, existingLength: Int?, _ invocation: Invocation
    ) {
        guard !existed else { return }
        do throws(PlatformError) { try Files.removeIfPresent(path) } catch {
            invocation.log("flannel: ADD failed and \(error.path) could not be removed: \(error.text)")
        }
        if let existingLength { Files.removeEmptyDirectories(config.dataDir, keeping: existingLength) }
    }

    func del(_ invocation: Invocation) throws(WinCNIError) {
        let config = try FlannelConfig(invocation.request.config.raw)
        let path = try savedConfigPath(config, invocation)
        let saved = try savedDocument(path, invocation)
        // Also a damaged file, which the successful DEL then removes (a file just read needs no second look).
        let exists = saved != nil || Files.exists(path)
        if let saved {
            // The delegate gets the saved bytes as they are, as flannel passes them (they are what `document` was
            // parsed from, so they need no second serialization).
            _ = try runDelegate(saved.document, command: .del, invocation, bytes: saved.bytes)
        } else {
            // flannel returns success here without calling the delegate, so an endpoint whose file was lost
            // stays in HNS forever. Rebuild what ADD would have sent.
            invocation.log("flannel: no usable delegate config at \(path); rebuilding it from the current config")
            let document = try config.delegateDocument(try subnetEnvIfPresent(config, invocation))
            _ = try runDelegate(document, command: .del, invocation)
        }
        if exists {
            // Not synced: a removal lost in a crash leaves a saved config that the next DEL or GC removes again.
            do throws(PlatformError) { try Files.removeIfPresent(path) } catch {
                // A directory is no saved config of this pod: DEL is done, the directory is left to its owner.
                let directory = error.kind == .isDirectory || (try? Files.information(path))??.kind == .directory
                guard directory else { throw .io(error) }
                invocation.log("flannel: \(path) is a directory, not a saved delegate config; left as it is")
            }
        }
    }

    func check(_ invocation: Invocation) throws(WinCNIError) {
        let config = try FlannelConfig(invocation.request.config.raw)
        let path = try savedConfigPath(config, invocation)
        guard var document = try savedDocument(path, invocation)?.document.objectValue else {
            throw .noSavedDelegate(path: path)
        }
        if let previous = invocation.request.config.raw.value(goKey: "prevResult") {
            document["prevResult"] = previous
        }
        _ = try runDelegate(.object(document), command: .check, invocation)
    }

    func gc(_ invocation: Invocation) throws(WinCNIError) {
        let config = try FlannelConfig(invocation.request.config.raw)
        guard var document = try config.delegateDocument(try subnetEnvIfPresent(config, invocation)).objectValue else {
            return
        }
        for key in ["cni.dev/valid-attachments", "cni.dev/attachments"] {
            if let value = invocation.request.config.raw[key] { document[key] = value }
        }
        _ = try runDelegate(.object(document), command: .gc, invocation)
        // Saved configs of containers the runtime no longer has.
        let valid = Set((invocation.request.config.validAttachments ?? []).map(\.containerID))
        let names: [String]
        do throws(PlatformError) {
            names = try Files.list(config.dataDir, filesOnly: true)
        } catch {
            if error.kind == .notFound { return }
            throw .io(error)
        }
        let platform = invocation.environment.platform
        for name in names where !valid.contains(name) {
            // An atomic write's temporary file (`<sandboxID>.tmp<pid>.<n>`) is left while its sandbox is valid: an
            // ADD of it may be writing. GC does not run beside an ADD of a stale sandbox (the spec keeps them
            // apart), so such a file of one is a killed writer's leftover.
            if let sandbox = Self.temporaryFileSandbox(name), valid.contains(sandbox) { continue }
            do throws(PlatformError) { try Files.removeIfPresent(platform.join(config.dataDir, name)) } catch {
                invocation.log("flannel: GC could not remove \(error.path): \(error.text)")
            }
        }
    }

    func status(_ invocation: Invocation) throws(WinCNIError) {
        let config = try FlannelConfig(invocation.request.config.raw)
        let env = try SubnetEnv.load(path: config.subnetFile)
        _ = try runDelegate(try config.delegateDocument(env), command: .status, invocation)
    }

    // MARK: Helpers

    /// `dataDir/<sandboxID>`; an ID that could leave `dataDir`, or that Windows would alias or take for a device
    /// (`CON`, `NUL`, `COM1`, a trailing dot), is refused.
    func savedConfigPath(_ config: FlannelConfig, _ invocation: Invocation) throws(WinCNIError) -> String {
        let sandbox = EndpointNaming.sandboxID(
            containerID: invocation.request.containerID ?? "", netns: invocation.request.netns)
        let platform = invocation.environment.platform
        if !CNIParameters.isPlainFileName(sandbox) {
            throw .unsafeContainerID(sandbox, reason: "it contains /, \\, :, .. or NUL")
        }
        if let problem = platform.fileNameProblem(sandbox) {
            throw .unsafeContainerID(sandbox, reason: "it \(problem)")
        }
        return platform.join(config.dataDir, sandbox)
    }

    /// The sandbox ID of an atomic write's temporary file name, `<sandboxID>.tmp<pid>.<n>` (the platform layer's
    /// `wincni_write_file`); nil for any other name. A saved config's own name may look the same (a sandbox named
    /// `pod.tmp9.1`): the caller decides by the sandboxes that are valid.
    static func temporaryFileSandbox(_ name: String) -> String? {
        var rest = Array(name.utf8)[...]
        /// Removes `suffix` followed by one or more digits from the end of `rest`; false when it is not there.
        func dropNumber(after suffix: String) -> Bool {
            let digits = rest.reversed().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            let marker = Array(suffix.utf8)
            let stem = rest.dropLast(digits)
            guard digits > 0, stem.count > marker.count, Array(stem.suffix(marker.count)) == marker else {
                return false
            }
            rest = stem.dropLast(marker.count)
            return true
        }
        guard dropNumber(after: "."), dropNumber(after: ".tmp") else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    /// The saved delegate config, or nil when there is none or it cannot be parsed (a zero-byte file after a
    /// crash, flannel-io/cni-plugin#43).
    private func savedDocument(_ path: String, _ invocation: Invocation) throws(WinCNIError)
        -> (document: JSON, bytes: [UInt8])?
    {
        let bytes: [UInt8]
        do throws(PlatformError) {
            // Only a regular file: a FIFO there must not stall the command, nor a link make it read another file.
            bytes = try Files.read(path, limit: NetworkConfig.maximumSize, only: .regularOnly)
        } catch {
            if error.kind == .notFound { return nil }
            if error.kind == .notRegular || error.kind == .isDirectory {
                invocation.log("flannel: \(path): \(error.text); not a saved delegate config, ignoring it")
                return nil
            }
            if error.kind == .notDirectory {
                invocation.log(
                    "flannel: dataDir \(quoted(invocation.environment.platform.directory(of: path))) is not a "
                        + "directory, so no saved delegate config can be there; remove it so that ADD can save one")
                return nil
            }
            if error.kind == .tooLong {
                invocation.log("flannel: \(path) is larger than a network configuration; ignoring it")
                return nil
            }
            throw .io(error)
        }
        guard let document = try? JSON.parse(bytes), document.objectValue != nil else {
            invocation.log("flannel: \(path) is not a JSON object (\(bytes.count) bytes); ignoring it")
            return nil
        }
        return (document, bytes)
    }

    private func subnetEnvIfPresent(_ config: FlannelConfig, _ invocation: Invocation) throws(WinCNIError)
        -> SubnetEnv?
    {
        do {
            return try SubnetEnv.load(path: config.subnetFile)
        } catch {
            guard case .subnetEnvMissing = error else { throw error }
            invocation.log("flannel: \(config.subnetFile) is missing; the delegate runs without IPAM")
            return nil
        }
    }

    /// Runs the delegate for `command` with `document` as its stdin.
    private func runDelegate(
        _ document: JSON, command: CNICommand, _ invocation: Invocation, bytes serialized: [UInt8]? = nil,
        newContainer: SavedConfig? = nil
    ) throws(WinCNIError) -> CNIResult? {
        let bytes = serialized ?? document.compactBytes()
        let type = document[goKey: "type"]?.stringValue ?? "win-bridge"
        guard PluginKind.inProcessTypes.contains(type) else {
            do {
                return try invocation.delegator.delegate(type, command: command, stdin: bytes)
            } catch {
                throw .delegated(error, plugin: "delegate plugin \(quoted(type))")
            }
        }
        let delegateConfig: NetworkConfig
        do {
            // The document is the parse of `bytes` (or their source): decode it without parsing the bytes again.
            if let object = document.objectValue, bytes.count <= NetworkConfig.maximumSize {
                delegateConfig = try NetworkConfig.decode(object: object, bytes: bytes)
            } else {
                delegateConfig = try NetworkConfig.decode(bytes)  // gives the error of the document as sent
            }
        } catch {
            throw .delegated(error, plugin: "delegate config")
        }
        var request = invocation.request
        request.config = delegateConfig
        let (filled, network, held) = try NodePlaceholders.filled(request, client: client)
        request.config = filled
        let inner = Invocation(
            request: request, environment: invocation.environment, configPath: "delegate", network: network,
            heldNetwork: held, newContainer: newContainer)
        let config = try BridgeOverlayConfig(request.config.raw, path: "delegate", policies: command == .add)
        let commands = EndpointCommands(client: client)
        switch command {
        case .add: return try commands.add(config, inner)
        case .del: try commands.del(config, inner)
        case .check: try commands.check(config, inner)
        case .gc: try commands.gc(config, inner)
        case .status: try commands.status(config, inner)
        case .version: break
        }
        return nil
    }
}
