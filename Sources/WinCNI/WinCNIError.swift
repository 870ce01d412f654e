import CNI
import HCN
import JSON
import Platform

/// What went wrong inside the plugin, named by the bad value and where it came from (a JSON path, a file, an HNS
/// object). `CNIError(_:)` in `WinCNIPlugin` maps each case to one CNI error code at the boundary.
public enum WinCNIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A config value with the wrong type or form; `path` is the JSON path as the document spells it.
    case invalidConfig(path: String, message: String)
    /// A config `type` this binary does not implement.
    case unsupportedType(String)
    /// `subnet.env` is missing (flanneld has not written it yet).
    case subnetEnvMissing(path: String, reason: String)
    /// `subnet.env` exists but cannot be used.
    case invalidSubnetEnv(path: String, message: String)
    /// The HNS network the config names does not exist.
    case networkNotFound(name: String)
    /// The HNS network exists but is of another type than the config's mode needs.
    case networkTypeMismatch(name: String, found: String, expected: String)
    /// `CNI_NETNS` does not name an HCN namespace.
    case invalidNamespace(String)
    /// A file under the flannel data directory or the log file could not be read or written.
    case io(path: String, message: String)
    /// An IPAM plugin (in-process host-local or an exec'd one) failed.
    case ipam(message: String, code: UInt32?)
    /// An HNS call failed; `action` says what the plugin was doing (`create endpoint "abc_cbr0"`).
    case hns(HCNError, action: String)
    /// A CNI error raised before the plugin ran (the HNS backend selection), passed up unchanged.
    case cni(CNIError)
    /// A delegated plugin (exec'd IPAM or flannel delegate) failed: its error is passed up with its own code.
    case delegated(CNIError, plugin: String)
    /// A container ID or sandbox ID that cannot name a file under the flannel data directory.
    case unsafeContainerID(String, reason: String)
    /// The flannel meta plugin has no saved delegate config for this container (CHECK before ADD).
    case noSavedDelegate(path: String)
    /// CHECK found the endpoint missing.
    case endpointMissing(name: String, network: String)
    /// CHECK found the endpoint different from what prevResult says.
    case endpointMismatch(String)
    /// Anything else, said plainly.
    case internalFailure(String)

    public var description: String {
        switch self {
        case .invalidConfig(let path, let message): return path.isEmpty ? message : "\(path): \(message)"
        case .unsupportedType(let type):
            return "type \(quoted(type)) is not supported: wincni implements win-bridge, sdnbridge, win-overlay, "
                + "sdnoverlay, flannel and wincni"
        case .subnetEnvMissing(let path, let reason):
            return "flannel subnet file \(quoted(path)) is missing (\(reason)): is flanneld running on this node?"
        case .invalidSubnetEnv(let path, let message): return "flannel subnet file \(quoted(path)): \(message)"
        case .networkNotFound(let name):
            return "HNS network \(quoted(name)) not found: is flanneld running on this node?"
        case .networkTypeMismatch(let name, let found, let expected):
            return "HNS network \(quoted(name)) is of type \(found), this config needs \(expected)"
        case .invalidNamespace(let netns):
            return "CNI_NETNS \(quoted(netns)) is not an HCN namespace GUID (or a path ending in one)"
        case .io(let path, let message): return "\(path): \(message)"
        case .ipam(let message, _): return message
        case .hns(let error, let action):
            let label = error.name.map { "\($0), \(error.code)" } ?? "\(error.code)"
            return "cannot \(action): \(error.operation) failed: \(error.message) (\(label))"
        case .cni(let error): return error.msg
        case .delegated(let error, let plugin): return "\(plugin): \(error.msg)"
        case .unsafeContainerID(let id, let reason):
            return "container ID \(quoted(id)) cannot name a file in the flannel data directory: \(reason)"
        case .noSavedDelegate(let path):
            return "no flannel delegate config saved at \(quoted(path)): the container was never added, or was deleted"
        case .endpointMissing(let name, let network):
            return "HNS endpoint \(quoted(name)) not found on network \(quoted(network))"
        case .endpointMismatch(let message): return message
        case .internalFailure(let message): return message
        }
    }

    init(_ error: JSONFieldError) { self = .invalidConfig(path: error.path, message: error.message) }
}

/// A string in double quotes with JSON escaping, for messages.
func quoted(_ text: String) -> String { JSON.string(text).compact() }

extension WinCNIError {
    /// A failed file operation of the platform layer, as the plugin reports it (code 5).
    static func io(_ error: PlatformError) -> WinCNIError {
        .io(path: error.path, message: "cannot \(error.operation): \(error.text)")
    }
}
