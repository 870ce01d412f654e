import JSON
import Platform

/// What a plugin does for each command; `CNIDispatcher` calls it after every protocol check has passed, with the
/// request already validated. Errors thrown here reach the runtime as they are.
public protocol CNIPlugin {
    func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult
    func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError)
    func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError)
    func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError)
    func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError)
}

/// What the process should write to stdout and the status it should exit with.
public struct CNIOutput: Sendable, Equatable {
    public var stdout: [UInt8]
    public var exitCode: Int32

    public init(stdout: [UInt8], exitCode: Int32) {
        self.stdout = stdout
        self.exitCode = exitCode
    }

    /// Writes `stdout` to the process's standard output (for `main.swift`).
    public func writeToStandardOutput() {
        ProcessEnvironment.writeStandardOutput(stdout)
    }
}

/// The protocol layer, like the Go `skel` package: reads the command, variables and stdin from a `CNIEnvironment`,
/// validates them, calls the plugin, and turns its answer or its error into what the runtime expects.
public enum CNIDispatcher {
    /// Validates env + stdin, runs the command, prints the result in the config's version or the error JSON.
    ///
    /// Order of the checks (the Go skel's, which runtimes are used to): the command and the variables it needs
    /// (code 4, before stdin is read), the configuration (6, then the name 7, the version 1, the type 7), the
    /// container ID and interface name (4), the command's minimum version (1), `CNI_ARGS` (4).
    public static func run(_ plugin: any CNIPlugin, environment: CNIEnvironment, about: String) -> CNIOutput {
        guard let commandText = environment.value(CNIVariable.command) else {
            // No command: someone ran the binary by hand. Say what it is, on stderr, and succeed (as skel does).
            environment.log(about)
            environment.log("CNI protocol versions supported: \(CNIVersion.supportedList)")
            return CNIOutput(stdout: [], exitCode: 0)
        }
        var errorVersion = CNIVersion.current
        do throws(CNIError) {
            guard let command = CNICommand(rawValue: commandText) else {
                throw CNIError(
                    .invalidEnvironment, "unknown CNI_COMMAND \(quoted(commandText))",
                    details: "CNI_COMMAND must be one of "
                        + CNICommand.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if command == .version {
                // The runtime sends {"cniVersion": …}; we answer with our own version whatever it says (Go skel),
                // so stdin is only drained, and may be empty or unreadable.
                _ = try? environment.readStdin()
                return CNIOutput(stdout: versionDocument(), exitCode: 0)
            }
            if let missing = CNIParameters.missingVariablesError(for: command, in: environment) { throw missing }

            let bytes = try environment.readStdin()
            let config: NetworkConfig
            do {
                config = try NetworkConfig.decode(bytes)
            } catch {
                if let declared = NetworkConfig.declaredVersion(bytes) { errorVersion = declared }
                throw error
            }
            errorVersion = config.cniVersion

            let request = try makeRequest(command, config: config, environment: environment)
            switch command {
            case .add:
                let result = try plugin.add(request, environment: environment)
                return CNIOutput(stdout: try result.printed(version: config.cniVersion), exitCode: 0)
            case .del: try plugin.del(request, environment: environment)
            case .check: try plugin.check(request, environment: environment)
            case .gc: try plugin.gc(request, environment: environment)
            case .status: try plugin.status(request, environment: environment)
            case .version: break
            }
            return CNIOutput(stdout: [], exitCode: 0)
        } catch {
            return CNIOutput(stdout: Array(error.json(cniVersion: errorVersion).pretty().utf8), exitCode: 1)
        }
    }

    /// The `VERSION` answer. Go's skel writes it with `json.Encoder`: compact, with a trailing newline.
    public static func versionDocument() -> [UInt8] {
        let document: JSON = [
            "cniVersion": .string(CNIVersion.current),
            "supportedVersions": .array(CNIVersion.supported.map { .string($0) }),
        ]
        return document.compactBytes() + [UInt8(ascii: "\n")]
    }

    /// Validates the variables of `command` and builds the request (config already decoded).
    public static func makeRequest(_ command: CNICommand, config: NetworkConfig, environment: CNIEnvironment)
        throws(CNIError) -> CNIRequest
    {
        var request = CNIRequest(
            command: command, path: environment.pluginPath, config: config, environment: environment.variables)
        if command == .add || command == .del || command == .check {
            let containerID = environment.value(CNIVariable.containerID) ?? ""
            let ifname = environment.value(CNIVariable.ifname) ?? ""
            try CNIParameters.validateContainerID(containerID)
            try CNIParameters.validateInterfaceName(ifname)
            request.containerID = containerID
            request.ifname = ifname
            request.netns = environment.value(CNIVariable.netns)
        }
        if let minimum = command.minimumVersion, !CNIVersion.isAtLeast(config.cniVersion, minimum) {
            throw CNIError(
                .incompatibleVersion,
                "config version \(quoted(config.cniVersion)) does not allow \(command.rawValue)",
                details: "\(command.rawValue) needs cniVersion \(minimum) or later in the network configuration")
        }
        if command == .add || command == .del || command == .check {
            request.args = try CNIParameters.parseArgs(environment.value(CNIVariable.args))
        }
        return request
    }
}
