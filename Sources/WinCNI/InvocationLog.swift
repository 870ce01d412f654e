import CNI
import JSON
import Platform

/// The config's `"logFile"` (top level, or in a flannel `delegate`): one JSON line per invocation saying what ran
/// and how it ended, and which wincni build ran it. Failing to write it is reported on stderr and never fails the command.
enum InvocationLog {
    static func write(_ request: CNIRequest, environment: CNIEnvironment, started: Double, error: CNIError?) {
        let raw = request.config.raw
        let path =
            raw.value(goKey: "logFile")?.stringValue
            ?? raw.value(goKey: "delegate")?.objectValue?.value(goKey: "logFile")?.stringValue
        guard let path, !path.isEmpty else { return }
        var line: JSONObject = [
            "time": .string(timestamp(environment.wallClockSeconds())),
            "command": .string(request.command.rawValue),
            "network": .string(request.config.name),
            "type": .string(request.config.type),
            "cniVersion": .string(request.config.cniVersion),
            "version": .string(WinCNIVersion.semantic),
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
        do throws(PlatformError) {
            // One write with O_APPEND / FILE_APPEND_DATA keeps concurrent plugin runs from interleaving a line. Only
            // a regular file, never through a link, never waiting on a FIFO: whoever can put one where the log goes
            // must not be able to stall or redirect the command.
            try Files.write(
                path, Array((JSON.object(line).compact() + "\n").utf8), mode: [.append, .regularOnly],
                permissions: 0o600)
        } catch {
            environment.log("wincni: cannot write logFile: \(error.path): \(error.text)")
        }
    }

    /// RFC 3339 UTC with milliseconds (`2026-11-28T18:50:01.123Z`), from seconds since the epoch; plain calendar
    /// arithmetic (days to civil date), so it needs no C time functions on either platform.
    static func timestamp(_ seconds: Double) -> String {
        let milliseconds = Int64((max(0, seconds) * 1000).rounded(.down))
        let days = milliseconds / 86_400_000
        let inDay = milliseconds % 86_400_000
        // Civil date from days since 1970-01-01 (proleptic Gregorian), by 400-year eras starting in March.
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(inDay / 3_600_000, 2)):"
            + "\(pad(inDay / 60000 % 60, 2)):\(pad(inDay / 1000 % 60, 2)).\(pad(inDay % 1000, 3))Z"
    }
}
