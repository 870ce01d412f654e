import CNI
import HCN
import JSON
import Platform

/// The wincni plugin: win-bridge/sdnbridge (HNS `L2Bridge`), win-overlay/sdnoverlay (HNS `Overlay`), `wincni`
/// with `"mode"`, and the flannel meta plugin, chosen by the config's `type`. It talks HCN v2 only.
///
/// `main.swift` builds it (`WinCNIPlugin(hns:)`, or `WinCNIPlugin.selectingBackend` to pick the HNS from
/// `WINCNI_HNS` when a command first needs it) and hands it to `CNIDispatcher.run`.
public struct WinCNIPlugin: CNIPlugin {
    private let connect: () throws -> any HostNetworkService

    public init(hns: any HostNetworkService) {
        connect = { hns }
    }

    /// Connects to HNS only when a command needs it, so VERSION and the protocol checks never touch HNS, and a
    /// backend that cannot start is reported as a CNI error in the runtime's format. `connect` may throw a
    /// `CNIError` (kept as is) or an `HCNError`.
    public init(connect: @escaping () throws -> any HostNetworkService) {
        self.connect = connect
    }

    public func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult {
        try run(request, environment) { (invocation, client) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: return try FlannelMeta(client: client).add(invocation)
            case .endpoint:
                return try EndpointCommands(client: client).add(
                    try endpointConfig(invocation.request.config), invocation)
            }
        }
    }

    public func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        try run(request, environment) { (invocation, client) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(client: client).del(invocation)
            case .endpoint:
                try EndpointCommands(client: client).del(
                    try endpointConfig(invocation.request.config, policies: false), invocation)
            }
        }
    }

    public func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        try run(request, environment) { (invocation, client) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(client: client).check(invocation)
            case .endpoint:
                try EndpointCommands(client: client).check(
                    try endpointConfig(invocation.request.config, policies: false), invocation)
            }
        }
    }

    public func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        try run(request, environment) { (invocation, client) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(client: client).gc(invocation)
            case .endpoint:
                try EndpointCommands(client: client).gc(
                    try endpointConfig(invocation.request.config, policies: false), invocation)
            }
        }
    }

    public func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        try run(request, environment) { (invocation, client) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(client: client).status(invocation)
            case .endpoint:
                try EndpointCommands(client: client).status(
                    try endpointConfig(invocation.request.config, policies: false), invocation)
            }
        }
    }

    // MARK: - Plumbing

    func kind(of config: NetworkConfig) throws(WinCNIError) -> PluginKind {
        let mode = config.raw.value(goKey: "mode")?.stringValue
        return try PluginKind.of(type: config.type, mode: mode)
    }

    /// `policies`: only ADD sends policies to HNS; the other commands skip translating them.
    func endpointConfig(_ config: NetworkConfig, path: String = "", policies: Bool = true) throws(WinCNIError)
        -> BridgeOverlayConfig
    {
        try BridgeOverlayConfig(config.raw, path: path, policies: policies)
    }

    /// Runs one command: the body's error becomes one CNI error, and the invocation is logged to `logFile`.
    private func run<Result>(
        _ request: CNIRequest, _ environment: CNIEnvironment,
        _ body: (Invocation, HCNClient) throws(WinCNIError) -> Result
    ) throws(CNIError) -> Result {
        var invocation = Invocation(request: request, environment: environment, configPath: "")
        let started = environment.monotonicSeconds()
        do throws(WinCNIError) {
            // Without the list, every attachment would count as stale and a live pod would lose its endpoint and
            // IP (libcni sends the key whenever the runtime passed GC args; `cnitool gc` does not).
            if request.command == .gc && request.config.validAttachments == nil {
                throw WinCNIError.invalidConfig(
                    path: "cni.dev/valid-attachments",
                    message: "missing: GC removes only attachments outside this list, and without it cannot tell a "
                        + "live pod from a stale one; pass the attachments the runtime still uses (an empty list "
                        + "removes every pod of this network)")
            }
            let service: any HostNetworkService
            do {
                service = try connect()
            } catch let error as CNIError {
                throw WinCNIError.cni(error)
            } catch let error as HCNError {
                throw WinCNIError.hns(error, action: "connect to HNS")
            } catch {
                throw WinCNIError.internalFailure("cannot connect to HNS: \(error)")
            }
            let client = HCNClient(service: service)
            if case .endpoint = try kind(of: request.config) {
                (invocation.request.config, invocation.network, invocation.heldNetwork) =
                    try NodePlaceholders.filled(invocation.request, client: client)
            }
            let result = try body(invocation, client)
            InvocationLog.write(request, environment: environment, started: started, error: nil)
            return result
        } catch {
            let failure = Self.cniError(error, command: request.command)
            // The runtime gets the CNI error; stderr also says where it came from (e.g. which delegated plugin).
            invocation.log("wincni: \(request.command.rawValue) failed: \(error.description)")
            InvocationLog.write(request, environment: environment, started: started, error: failure)
            throw failure
        }
    }

    /// The one CNI code each failure maps to. HNS failures: 11 ("try again later") when HNS is unreachable, busy
    /// or timed out, 999 otherwise; the message carries the HRESULT's HCN_E_* name and HNS's own text.
    static func cniError(_ error: WinCNIError, command: CNICommand) -> CNIError {
        let message = error.description
        switch error {
        case .invalidConfig, .unsupportedType, .networkTypeMismatch: return CNIError(.invalidNetworkConfig, message)
        case .subnetEnvMissing:
            return CNIError(command == .status ? .pluginNotAvailable : .tryAgainLater, message)
        case .invalidSubnetEnv: return CNIError(command == .status ? .pluginNotAvailable : .decodingFailure, message)
        case .networkNotFound:
            return CNIError(
                command == .status ? .pluginNotAvailable : .tryAgainLater, message,
                details: "flanneld creates this network when it starts; the runtime retries")
        case .invalidNamespace, .unsafeContainerID, .interfaceTaken: return CNIError(.invalidEnvironment, message)
        case .io: return CNIError(.ioFailure, message)
        case .cni(let inner): return inner
        case .ipam(_, let code): return CNIError(code: code ?? CNIErrorCode.internalError.rawValue, msg: message)
        // The delegated plugin's error reaches the runtime exactly as that plugin printed it (code, msg, details), as
        // libcni's own delegation does; which plugin it was goes to the log.
        case .delegated(let inner, _): return inner
        case .hns(let hcnError, _):
            let code: CNIErrorCode =
                command == .status ? .pluginNotAvailable : (isTransient(hcnError) ? .tryAgainLater : .internalError)
            return CNIError(code, message, details: hcnError.errorRecord ?? "")
        case .endpointMissing, .noSavedDelegate: return CNIError(.unknownContainer, message)
        case .endpointMismatch, .internalFailure: return CNIError(.internalError, message)
        }
    }

    /// HRESULTs that mean "HNS is not answering right now" rather than "HNS refused this".
    static func isTransient(_ error: HCNError) -> Bool {
        let transient: Set<UInt32> = [
            0x8007_06BA,  // RPC_S_SERVER_UNAVAILABLE: the HNS service is (re)starting
            0x8007_06BE,  // RPC_S_CALL_FAILED
            0x8007_0015,  // ERROR_NOT_READY
            0x8007_05B4,  // ERROR_TIMEOUT
            0x8000_000A,  // E_PENDING
            0x8007_0426,  // ERROR_SERVICE_NOT_ACTIVE
            0x8007_0102,  // WAIT_TIMEOUT
        ]
        return transient.contains(error.code.rawValue)
    }
}

/// A file flannel saved, and what it was when saved (its identity and modification time tell a replaced file).
struct SavedConfig {
    var path: String
    var file: FileInformation
}

/// One run of a command: the request as this layer sees it (for a flannel delegate run in-process, the delegate's
/// config), the environment, and where in the user's document the config came from (`delegate`), for error paths.
struct Invocation {
    var request: CNIRequest
    var environment: CNIEnvironment
    var configPath: String
    /// The config's HNS network when it was already looked up (to fill node placeholders).
    var network: HostComputeNetwork? = nil
    /// For ADD, that network with its handle still open, for the endpoint's creation.
    var heldNetwork: HeldNetwork? = nil
    /// For ADD: flannel had saved no config for this sandbox before this ADD and created the file it saved; the
    /// file it created, as it was before it took its name.
    var newContainer: SavedConfig? = nil

    /// For ADD, under the container's lock: no earlier ADD of the container got as far as reserving an address.
    /// Flannel saves the config, synced, before it runs the delegate, so an ADD that reserved saved it first: this
    /// holds while the file flannel created is still the one in place (an ADD of the same sandbox that ran in
    /// between replaced it, and a DEL removed it).
    var containerIsNew: Bool {
        guard let newContainer else { return false }
        guard let current = try? Files.information(newContainer.path) else { return false }
        return current.isSameFile(as: newContainer.file)
    }

    /// Finds plugins in CNI_PATH with the platform's `.exe` suffix, and forwards their stderr to the log.
    var delegator: PluginDelegator { PluginDelegator(environment: environment) }

    func log(_ line: String) { environment.log(line) }
}

/// A network whose HNS handle a command keeps open from its lookup to the endpoint's creation (`HcnCreateEndpoint`
/// takes the network's handle), so the network is not opened twice. Closed once: by `close()` or when the last
/// reference goes.
final class HeldNetwork {
    let opened: OpenNetwork
    private let client: HCNClient
    private var isOpen = true

    init(_ opened: OpenNetwork, client: HCNClient) {
        self.opened = opened
        self.client = client
    }

    var network: HostComputeNetwork { opened.network }

    func close() {
        guard isOpen else { return }
        isOpen = false
        client.close(opened)
    }

    deinit { close() }
}
