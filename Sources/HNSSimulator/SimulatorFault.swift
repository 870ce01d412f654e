import HCN

/// A failure planted in a simulator's database, so that it hits whichever process makes the next matching
/// call: operation `op` (the HCN function name, e.g. `HcnCreateEndpoint`) fails with an HRESULT, or the process
/// dies (`_exit(137)`, as a SIGKILL would leave it) just before or just after doing the operation, for the next
/// `count` calls.
public struct SimulatorFault: Sendable, Equatable, CustomStringConvertible {
    /// What the fault does: fail with an HRESULT, or kill the process before or after the operation.
    public enum Kind: Sendable, Equatable {
        case hresult(HRESULT)
        case crashBefore
        case crashAfter
    }

    public var op: String
    public var kind: Kind
    public var count: Int

    /// `op` may be given with or without the `Hcn` prefix and in any case; it is stored as the HCN function name.
    public init(op: String, kind: Kind, count: Int = 1) {
        self.op = SimulatorFault.operationName(op) ?? op
        self.kind = kind
        self.count = count
    }

    /// Every operation a fault can target: the HCN functions of the `HostNetworkService` protocol and `HNSCall`.
    public static let operations: [String] = {
        var names: [String] = []
        for kind in HCNResourceKind.allCases {
            let noun = kind.rawValue
            names += [
                "HcnEnumerate\(noun)s", "HcnCreate\(noun)", "HcnOpen\(noun)", "HcnQuery\(noun)Properties",
                "HcnModify\(noun)", "HcnDelete\(noun)", "HcnClose\(noun)",
            ]
        }
        return names + ["HNSCall"]
    }()

    /// The HCN function name for `text` (`CreateEndpoint`, `hcncreateendpoint`, `HcnCreateEndpoint` all give
    /// `HcnCreateEndpoint`), nil when it names no operation.
    public static func operationName(_ text: String) -> String? {
        let lowered = text.lowercased()
        return operations.first { $0.lowercased() == lowered || $0.lowercased() == "hcn" + lowered }
    }

    public var description: String {
        switch kind {
        case .hresult(let code): return "\(op): fail with \(code) for the next \(count) call(s)"
        case .crashBefore: return "\(op): crash before the operation for the next \(count) call(s)"
        case .crashAfter: return "\(op): crash after the operation for the next \(count) call(s)"
        }
    }
}
