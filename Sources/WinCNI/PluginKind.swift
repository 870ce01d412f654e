/// The HNS network type a config drives: flannel host-gw makes `L2Bridge` networks, flannel vxlan `Overlay` ones.
public enum NetworkMode: String, Sendable, Equatable, CaseIterable {
    case l2bridge = "L2Bridge"
    case overlay = "Overlay"

    /// Whether an HNS network of `type` serves this mode. win-bridge also takes `L2Tunnel`; HNS spells types in
    /// any case in v1 answers, so the comparison ignores case.
    public func accepts(networkType type: String) -> Bool {
        switch self {
        case .l2bridge: return type.lowercased() == "l2bridge" || type.lowercased() == "l2tunnel"
        case .overlay: return type.lowercased() == "overlay"
        }
    }
}

/// What a config's `type` asks the binary to be (research/../CONTRACT.md "Build outputs and install names").
public enum PluginKind: Sendable, Equatable {
    case endpoint(NetworkMode)
    case flannel

    /// The plugin for `type`; `mode` is the `wincni` type's `"mode"` key (`l2bridge` or `overlay`).
    public static func of(type: String, mode: String?) throws(WinCNIError) -> PluginKind {
        switch type {
        case "win-bridge", "sdnbridge": return .endpoint(.l2bridge)
        case "win-overlay", "sdnoverlay": return .endpoint(.overlay)
        case "flannel": return .flannel
        case "wincni":
            switch mode?.lowercased() {
            case "l2bridge": return .endpoint(.l2bridge)
            case "overlay": return .endpoint(.overlay)
            case nil:
                throw .invalidConfig(
                    path: "mode", message: "type \"wincni\" needs \"mode\": \"l2bridge\" or \"overlay\"")
            case .some:
                throw .invalidConfig(
                    path: "mode", message: "\(quoted(mode ?? "")) is not a mode, expected \"l2bridge\" or \"overlay\"")
            }
        default: throw .unsupportedType(type)
        }
    }

    /// The types that run inside this binary (a flannel delegate of one of these is not exec'd).
    static let inProcessTypes = ["win-bridge", "sdnbridge", "win-overlay", "sdnoverlay", "wincni"]

    /// The Microsoft windows-container-networking plugins read their switches from `optionalFlags`.
    static func isSDNType(_ type: String) -> Bool { type == "sdnbridge" || type == "sdnoverlay" }
}
