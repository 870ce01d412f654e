import JSON
import Platform

/// Runs another CNI plugin (an IPAM plugin, or flannel's delegate) the way the Go `invoke` package does: found in
/// `CNI_PATH`, given this plugin's own environment with only `CNI_COMMAND` changed and the same stdin, its result
/// read back in any version, its error passed up with the code it chose.
public struct PluginDelegator: Sendable {
    public var runner: any ProcessRunner
    public var path: [String]
    public var environment: [String]
    /// The platform's conventions: how to join a directory and a name, what is absolute, the executable suffix.
    public var platform: CNIPlatform
    /// A delegate that takes longer than this is killed (code 11).
    public var timeoutSeconds: Int
    /// Receives the delegate's stderr, which Go forwards to the runtime too.
    public var log: @Sendable (String) -> Void

    public init(
        runner: any ProcessRunner, path: [String], environment: [String], platform: CNIPlatform = .posix,
        timeoutSeconds: Int = 60, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.runner = runner
        self.path = path
        self.environment = environment
        self.platform = platform
        self.timeoutSeconds = timeoutSeconds
        self.log = log
    }

    /// A delegator for the plugin running in `environment` (its runner, `CNI_PATH`, variables, platform and log).
    public init(environment: CNIEnvironment, timeoutSeconds: Int = 60) {
        self.init(
            runner: environment.runner, path: environment.pluginPath, environment: environment.variables,
            platform: environment.platform, timeoutSeconds: timeoutSeconds,
            log: environment.log)
    }

    /// The absolute path of plugin `type`: the first directory of `CNI_PATH` holding an executable regular file of
    /// that name (with the platform suffix tried first, as Go tries `.exe` on Windows), joined with the platform's
    /// separator. Code 7 when the name is not
    /// a plain file name or no directory has it.
    public func locate(_ type: String) throws(CNIError) -> String {
        try Self.validatePluginName(type)
        let suffix = platform.executableSuffix
        let candidates = suffix.isEmpty ? [type] : [type + suffix, type]
        for directory in path where !directory.isEmpty {
            for name in candidates {
                let candidate = platform.join(directory, name)
                guard Files.isExecutableFile(candidate) else { continue }
                return absolute(candidate)
            }
        }
        throw CNIError(
            .invalidNetworkConfig,
            "failed to find plugin \(quoted(type)) in CNI_PATH [\(path.joined(separator: ", "))]",
            details: path.isEmpty
                ? "CNI_PATH is empty; set it to the directory holding the CNI plugins, e.g. /opt/cni/bin"
                : "install the \(quoted(type)) plugin into one of those directories, or fix the plugin type in the configuration"
        )
    }

    /// Runs plugin `type` for `command` with `stdin`; same env with CNI_COMMAND overridden. ADD returns the parsed
    /// result (converted to the internal model); others return nil. A plugin error JSON becomes a CNIError with its
    /// code/msg/details kept.
    public func delegate(_ type: String, command: CNICommand, stdin: [UInt8]) throws(CNIError) -> CNIResult? {
        let executable = try locate(type)
        let variables = CNIEnvironment.variables(environment, setting: CNIVariable.command, to: command.rawValue)
        let output = try runner.run(executable, environment: variables, stdin: stdin, timeoutSeconds: timeoutSeconds)
        if !output.stderr.isEmpty {
            log("\(type) (\(command.rawValue)): \(String(decoding: output.stderr, as: UTF8.self))")
        }
        guard output.status == 0 else { throw Self.failure(of: type, command: command, output: output) }
        guard command == .add else { return nil }

        let document: JSON
        do {
            document = try JSON.parse(output.stdout)
        } catch {
            throw CNIError(
                .internalError, "plugin \(quoted(type)) succeeded on ADD but its output is not a CNI result: \(error)",
                details: Self.outputDetails(output))
        }
        // A result without cniVersion is in the configuration's version (libcni's fixupResultVersion).
        let configVersion = NetworkConfig.declaredVersion(stdin)
        do {
            return try CNIResult.decode(document, path: "\(type) result", defaultVersion: configVersion)
        } catch {
            throw CNIError(
                code: error.code, msg: "plugin \(quoted(type)) returned an unusable result: \(error.msg)",
                details: Self.outputDetails(output))
        }
    }

    /// The error a failed delegate reported on stdout, as it reported it; or, when it printed no CNI error, one that
    /// names the plugin and quotes what it printed.
    static func failure(of type: String, command: CNICommand, output: ProcessOutput) -> CNIError {
        if let document = try? JSON.parse(output.stdout), let error = CNIError.parse(document) {
            return error
        }
        let what = output.stdout.isEmpty ? "printed no error" : "printed no CNI error on stdout"
        return CNIError(
            .internalError,
            "plugin \(quoted(type)) failed on \(command.rawValue) (exit status \(output.status)) and \(what)",
            details: outputDetails(output))
    }

    static func outputDetails(_ output: ProcessOutput) -> String {
        var parts: [String] = []
        if !output.stdout.isEmpty { parts.append("stdout: \(excerpt(output.stdout, limit: 1000))") }
        parts.append(output.stderr.isEmpty ? "stderr: (empty)" : "stderr: \(excerpt(output.stderr, limit: 2000))")
        return parts.joined(separator: "; ")
    }

    /// A plugin type becomes a file name inside a `CNI_PATH` directory, so it must not be able to leave it.
    public static func validatePluginName(_ type: String) throws(CNIError) {
        guard CNIParameters.isPlainFileName(type) else {
            throw CNIError(
                .invalidNetworkConfig, "invalid plugin name \(quoted(type))",
                details: "a plugin type is a file name in CNI_PATH: no '/', '\\', ':', '..' or NUL")
        }
    }

    /// `path` made independent of the working directory (`C:\…`, `\\?\…` and UNC paths are absolute on Windows).
    private func absolute(_ path: String) -> String {
        if platform.isAbsolute(path) { return path }
        guard let directory = try? Files.currentDirectory() else { return path }
        return platform.join(directory, path)
    }
}
