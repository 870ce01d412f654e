import CNI
import JSON

/// The config's `"logFile"` (top level, or in a flannel `delegate`): one JSON line per invocation saying what ran
/// and how it ended. Failing to write it is reported on stderr and never fails the command.
enum InvocationLog {
    static func write(_ request: CNIRequest, environment: CNIEnvironment, started: Double, error: CNIError?) {
        let raw = request.config.raw
        let path =
            raw.value(goKey: "logFile")?.stringValue
            ?? raw.value(goKey: "delegate")?.objectValue?.value(goKey: "logFile")?.stringValue
        guard let path, !path.isEmpty else { return }
        var line: JSONObject = [
            "command": .string(request.command.rawValue),
            "network": .string(request.config.name),
            "type": .string(request.config.type),
            "cniVersion": .string(request.config.cniVersion),
        ]
        if let containerID = request.containerID { line["containerID"] = .string(containerID) }
        if let netns = request.netns { line["netns"] = .string(netns) }
        if let ifname = request.ifname { line["ifname"] = .string(ifname) }
        let elapsed = environment.monotonicSeconds() - started
        line["milliseconds"] = .integer(Int64((elapsed * 1000).rounded()))
        if let error {
            line["code"] = .integer(Int64(error.code))
            line["msg"] = .string(error.msg)
        } else {
            line["code"] = 0
        }
        do {
            try FileSystem.appendLine(path, JSON.object(line).compact())
        } catch {
            environment.log("wincni: cannot write logFile: \(error.path): \(error.message)")
        }
    }
}
