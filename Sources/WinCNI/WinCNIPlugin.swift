import CNI
import HCN
import JSON

/// The wincni plugin: win-bridge/sdnbridge (HNS `L2Bridge`), win-overlay/sdnoverlay (HNS `Overlay`), `wincni`
/// with `"mode"`, and the flannel meta plugin, chosen by the config's `type`. It talks HCN v2 only, through `hns`.
///
/// `main.swift` builds it with the HNS backend it picked and hands it to `CNIDispatcher.run`.
public struct WinCNIPlugin: CNIPlugin {
    let client: HCNClient

    public init(hns: any HostNetworkService) {
        client = HCNClient(service: hns)
    }

    public func add(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) -> CNIResult {
        try run(request, environment) { (invocation) throws(WinCNIError) in
            switch try kind(of: request.config) {
            case .flannel: return try FlannelMeta(plugin: self).add(invocation)
            case .endpoint:
                return try EndpointCommands(client: client).add(try endpointConfig(request.config), invocation)
            }
        }
    }

    public func del(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        _ = try run(request, environment) { (invocation) throws(WinCNIError) -> CNIResult? in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(plugin: self).del(invocation)
            case .endpoint: try EndpointCommands(client: client).del(try endpointConfig(request.config), invocation)
            }
            return nil
        }
    }

    public func check(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        _ = try run(request, environment) { (invocation) throws(WinCNIError) -> CNIResult? in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(plugin: self).check(invocation)
            case .endpoint: try EndpointCommands(client: client).check(try endpointConfig(request.config), invocation)
            }
            return nil
        }
    }

    public func gc(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        _ = try run(request, environment) { (invocation) throws(WinCNIError) -> CNIResult? in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(plugin: self).gc(invocation)
            case .endpoint: try EndpointCommands(client: client).gc(try endpointConfig(request.config), invocation)
            }
            return nil
        }
    }

    public func status(_ request: CNIRequest, environment: CNIEnvironment) throws(CNIError) {
        _ = try run(request, environment) { (invocation) throws(WinCNIError) -> CNIResult? in
            switch try kind(of: request.config) {
            case .flannel: try FlannelMeta(plugin: self).status(invocation)
            case .endpoint:
                try EndpointCommands(client: client).status(try endpointConfig(request.config), invocation)
            }
            return nil
        }
    }

    // MARK: - Plumbing

    func kind(of config: NetworkConfig) throws(WinCNIError) -> PluginKind {
        let mode = config.raw.value(goKey: "mode")?.stringValue
        return try PluginKind.of(type: config.type, mode: mode)
    }

    func endpointConfig(_ config: NetworkConfig, path: String = "") throws(WinCNIError) -> BridgeOverlayConfig {
        try BridgeOverlayConfig(config.raw, path: path)
    }

    /// Runs one command: the body's error becomes one CNI error, and the invocation is logged to `logFile`.
    private func run<Result>(
        _ request: CNIRequest, _ environment: CNIEnvironment,
        _ body: (Invocation) throws(WinCNIError) -> Result
    ) throws(CNIError) -> Result {
        let invocation = Invocation(request: request, environment: environment, configPath: "")
        let started = environment.monotonicSeconds()
        do {
            let result = try body(invocation)
            InvocationLog.write(request, environment: environment, started: started, error: nil)
            return result
        } catch {
            let failure = Self.cniError(error, command: request.command)
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
        case .invalidNamespace, .unsafeContainerID: return CNIError(.invalidEnvironment, message)
        case .io: return CNIError(.ioFailure, message)
        case .ipam(_, let code): return CNIError(code: code ?? CNIErrorCode.internalError.rawValue, msg: message)
        case .delegated(let inner, _): return CNIError(code: inner.code, msg: message, details: inner.details)
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

/// One run of a command: the request as this layer sees it (for a flannel delegate run in-process, the delegate's
/// config), the environment, and where in the user's document the config came from (`delegate`), for error paths.
struct Invocation {
    var request: CNIRequest
    var environment: CNIEnvironment
    var configPath: String

    var delegator: PluginDelegator {
        PluginDelegator(runner: environment.runner, path: request.path, environment: request.environment)
    }

    func log(_ line: String) { environment.log(line) }
}
