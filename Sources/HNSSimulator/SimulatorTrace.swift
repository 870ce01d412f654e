import HCN
import JSON

/// One recorded HCN call: which process made it, the HCN function, the object (a handle label such as `#1`, an ID,
/// or for `HNSCall` the method and path), the request document, and how it ended.
public struct SimulatorTraceEntry: Sendable, Equatable {
    public var process: Int64
    public var function: String
    public var object: String
    public var request: String
    /// 0 when the call succeeded.
    public var hresult: HRESULT
    /// What the golden traces show after `->`: a new handle's label, `error HCN_E_…`, or empty.
    public var result: String

    /// The call as a line of the golden HCN traces (`Tests/WinCNITests/Fixtures/golden/*/hns-calls.golden.txt`):
    /// `HcnOpenNetwork 9D7C5A4E-… -> #1`, `HcnQueryNetworkProperties #1 {"SchemaVersion":…}`.
    public var line: String {
        var text = function
        if !object.isEmpty { text += " " + object }
        if !request.isEmpty { text += " " + request }
        if !result.isEmpty { text += " -> " + result }
        return text
    }

    public var json: JSON {
        [
            "Process": .integer(process), "Function": .string(function), "Object": .string(object),
            "Request": .string(request), "HResult": .unsigned(UInt64(hresult.rawValue)), "Result": .string(result),
        ]
    }

    /// The trace as text: one line per call, and a `# process N` line wherever the calling process changes.
    public static func transcript(_ entries: [SimulatorTraceEntry]) -> String {
        var text = ""
        var process: Int64?
        for entry in entries {
            if entry.process != process {
                text += "# process \(entry.process)\n"
                process = entry.process
            }
            text += entry.line + "\n"
        }
        return text
    }
}
