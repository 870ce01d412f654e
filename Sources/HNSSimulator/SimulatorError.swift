import HCN
import JSON

/// The HRESULTs the simulator answers with, each with the HCN_E_* (or Win32) name and the text HNS puts in its
/// error record (research/hns-api.md §7.1: HNS's texts end with a period; the record adds a trailing space).
enum SimulatorCode: Sendable {
    case networkNotFound
    case endpointNotFound
    case subnetNotFound
    case invalidNetwork
    case invalidNetworkType
    case invalidEndpoint
    case invalidPolicy
    case invalidPolicyType
    case policyNotFound
    case policyAlreadyExists
    case invalidRemoteEndpointOperation
    case networkAlreadyExists
    case portAlreadyExists
    case requestUnsupported
    case guidConversionFailure
    case invalidJSON
    case invalidIP
    case endpointNamespaceAlreadyExists
    case entityHasReferences
    case invalidInternalPort
    case addressInvalidOrReserved
    case invalidPrefix
    case invalidSubnet
    case elementNotFound
    case invalidParameter
    case fileExists
    case objectAlreadyExists
    case invalidHandle
    case invalidPointer
    case notImplemented
    case unspecified

    var hresult: HRESULT {
        switch self {
        case .networkNotFound: return HRESULT(0x803B_0001)
        case .endpointNotFound: return HRESULT(0x803B_0002)
        case .subnetNotFound: return HRESULT(0x803B_0005)
        case .invalidNetwork: return HRESULT(0x803B_000A)
        case .invalidNetworkType: return HRESULT(0x803B_000B)
        case .invalidEndpoint: return HRESULT(0x803B_000C)
        case .invalidPolicy: return HRESULT(0x803B_000D)
        case .invalidPolicyType: return HRESULT(0x803B_000E)
        case .policyNotFound: return HRESULT(0x803B_0008)
        case .policyAlreadyExists: return HRESULT(0x803B_0012)
        case .invalidRemoteEndpointOperation: return HRESULT(0x803B_000F)
        case .networkAlreadyExists: return HRESULT(0x803B_0010)
        case .portAlreadyExists: return HRESULT(0x803B_0013)
        case .requestUnsupported: return HRESULT(0x803B_0015)
        case .guidConversionFailure: return HRESULT(0x803B_0019)
        case .invalidJSON: return HRESULT(0x803B_001B)
        case .invalidIP: return HRESULT(0x803B_001E)
        case .endpointNamespaceAlreadyExists: return HRESULT(0x803B_002B)
        case .entityHasReferences: return HRESULT(0x803B_002C)
        case .invalidInternalPort: return HRESULT(0x803B_002D)
        case .addressInvalidOrReserved: return HRESULT(0x803B_002F)
        case .invalidPrefix: return HRESULT(0x803B_0030)
        case .invalidSubnet: return HRESULT(0x803B_0032)
        case .elementNotFound: return HRESULT(0x8007_0490)
        case .invalidParameter: return HRESULT(0x8007_0057)
        case .fileExists: return HRESULT(0x8007_00B7)
        case .objectAlreadyExists: return HRESULT(0x8007_1392)
        case .invalidHandle: return HRESULT(0x8007_0006)
        case .invalidPointer: return HRESULT(0x8000_4003)
        case .notImplemented: return HRESULT(0x8000_4001)
        case .unspecified: return HRESULT(0x8000_4005)
        }
    }
}

/// The simulator's errors read like HNS's own: names and texts come from the HCN module's catalog.
enum SimulatorErrorCatalog {
    static func message(of code: HRESULT) -> String? { HCNErrorCatalog.message(of: code) }

    /// The record HNS returns in `ErrorRecord`: the text with a trailing space, the code as an unsigned decimal.
    static func errorRecord(text: String, code: HRESULT) -> String {
        HCNErrorCatalog.errorRecord(code: code, message: text)
    }

    /// The error HNS gives for `code`, for operation `operation` (the HCN function name).
    static func error(_ operation: String, _ code: HRESULT, text: String? = nil) -> HCNError {
        let message = text ?? HCNErrorCatalog.message(of: code) ?? "Error \(code)."
        // Named by the HCN module's catalog, as HCNFunctionTableService names what comes back through the table.
        return HCNError(
            operation: operation, code: code, hnsMessage: message, errorRecord: errorRecord(text: message, code: code))
    }
}

extension HCNError {
    /// An error with HNS's code, name and text.
    static func simulator(_ operation: String, _ code: SimulatorCode) -> HCNError {
        SimulatorErrorCatalog.error(operation, code.hresult)
    }
}
