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

/// Names and texts of the HRESULTs HNS returns, by code, so that faults injected by number read like HNS's own.
public enum SimulatorErrorCatalog {
    private static let entries: [UInt32: (name: String, text: String)] = [
        0x803B_0001: ("HCN_E_NETWORK_NOT_FOUND", "The network was not found."),
        0x803B_0002: ("HCN_E_ENDPOINT_NOT_FOUND", "The endpoint was not found."),
        0x803B_0003: ("HCN_E_LAYER_NOT_FOUND", "The network's underlying layer was not found."),
        0x803B_0004: ("HCN_E_SWITCH_NOT_FOUND", "The virtual switch was not found."),
        0x803B_0005: ("HCN_E_SUBNET_NOT_FOUND", "The network does not have a subnet for this endpoint."),
        0x803B_0006: ("HCN_E_ADAPTER_NOT_FOUND", "An adapter was not found."),
        0x803B_0007: ("HCN_E_PORT_NOT_FOUND", "The switch-port was not found."),
        0x803B_0008: ("HCN_E_POLICY_NOT_FOUND", "An expected policy was not found."),
        0x803B_0009: ("HCN_E_VFP_PORTSETTING_NOT_FOUND", "A required VFP port setting was not found."),
        0x803B_000A: ("HCN_E_INVALID_NETWORK", "The provided network configuration is invalid or missing parameters."),
        0x803B_000B: ("HCN_E_INVALID_NETWORK_TYPE", "Invalid network type."),
        0x803B_000C: ("HCN_E_INVALID_ENDPOINT", "The provided endpoint configuration is invalid or missing parameters."),
        0x803B_000D: ("HCN_E_INVALID_POLICY", "The provided policy configuration is invalid or missing parameters."),
        0x803B_000E: ("HCN_E_INVALID_POLICY_TYPE", "Invalid policy type."),
        0x803B_000F: (
            "HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION", "This requested operation is invalid for a remote endpoint."
        ),
        0x803B_0010: ("HCN_E_NETWORK_ALREADY_EXISTS", "A network with this name already exists."),
        0x803B_0011: ("HCN_E_LAYER_ALREADY_EXISTS", "A network with this name already exists."),
        0x803B_0012: ("HCN_E_POLICY_ALREADY_EXISTS", "Policy information already exists on this object."),
        0x803B_0013: ("HCN_E_PORT_ALREADY_EXISTS", "The specified port already exists."),
        0x803B_0014: ("HCN_E_ENDPOINT_ALREADY_ATTACHED", "This endpoint is already attached to the switch."),
        0x803B_0015: ("HCN_E_REQUEST_UNSUPPORTED", "The specified request is unsupported."),
        0x803B_0016: ("HCN_E_MAPPING_NOT_SUPPORTED", "Port mapping is not supported on the given network."),
        0x803B_0017: ("HCN_E_DEGRADED_OPERATION", "There was an operation attempted on a degraded object."),
        0x803B_0018: ("HCN_E_SHARED_SWITCH_MODIFICATION", "Cannot modify a switch shared by multiple networks."),
        0x803B_0019: ("HCN_E_GUID_CONVERSION_FAILURE", "Failed to interpret a parameter as a GUID."),
        0x803B_001A: ("HCN_E_REGKEY_FAILURE", "Failed to process registry key."),
        0x803B_001B: ("HCN_E_INVALID_JSON", "Invalid JSON document string."),
        0x803B_001C: ("HCN_E_INVALID_JSON_REFERENCE", "The reference is invalid in the JSON document."),
        0x803B_001D: ("HCN_E_ENDPOINT_SHARING_DISABLED", "Endpoint sharing is disabled."),
        0x803B_001E: ("HCN_E_INVALID_IP", "IP address is either invalid or not part of any configured subnet(s)."),
        0x803B_001F: (
            "HCN_E_SWITCH_EXTENSION_NOT_FOUND", "The specified switch extension does not exist on this switch."
        ),
        0x803B_0020: ("HCN_E_MANAGER_STOPPED", "Operation cannot be performed while service is stopping."),
        0x803B_002A: (
            "HCN_E_ICS_DISABLED",
            "Internet Connection Sharing service (SharedAccess) is disabled and cannot be started."
        ),
        0x803B_002B: (
            "HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS",
            "This requested operation is invalid as endpoint is already part of a network namespace."
        ),
        0x803B_002C: (
            "HCN_E_ENTITY_HAS_REFERENCES", "The specified entity cannot be removed while it still has references."
        ),
        0x803B_002D: ("HCN_E_INVALID_INTERNAL_PORT", "The internal port must exist and cannot be zero."),
        0x803B_002E: ("HCN_E_NAMESPACE_ATTACH_FAILED", "The requested operation for attach namespace failed."),
        0x803B_002F: ("HCN_E_ADDR_INVALID_OR_RESERVED", "An address provided is invalid or reserved."),
        0x803B_0030: ("HCN_E_INVALID_PREFIX", "The prefix provided is invalid."),
        0x803B_0031: ("HCN_E_OBJECT_USED_AFTER_UNLOAD", "A call was performed against an object that was torn down."),
        0x803B_0032: ("HCN_E_INVALID_SUBNET", "The provided subnet configuration is invalid or missing parameters."),
        0x803B_0033: (
            "HCN_E_INVALID_IP_SUBNET", "The provided IP subnet configuration is invalid or missing parameters."
        ),
        0x803B_0034: ("HCN_E_ENDPOINT_NOT_ATTACHED", "The endpoint must be attached to complete the operation."),
        0x803B_0035: ("HCN_E_ENDPOINT_NOT_LOCAL", "The endpoint must be local to complete the operation."),
        0x803B_0037: (
            "HCN_E_VFP_NOT_ALLOWED", "A network of this type can not be created because VFP is not available."
        ),
        0x8007_0490: ("ERROR_NOT_FOUND", "Element not found."),
        0x8007_0057: ("E_INVALIDARG", "The parameter is incorrect."),
        0x8007_00B7: ("ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists."),
        0x8007_1392: ("ERROR_OBJECT_ALREADY_EXISTS", "The object already exists."),
        0x8007_0006: ("E_HANDLE", "The handle is invalid."),
        0x8000_4003: ("E_POINTER", "Invalid pointer."),
        0x8000_4001: ("E_NOTIMPL", "Not implemented."),
        0x8000_4005: ("E_FAIL", "Unspecified error."),
    ]

    /// The symbolic name (`HCN_E_NETWORK_ALREADY_EXISTS`, `ERROR_NOT_FOUND`, ...), nil for unknown codes.
    public static func name(of code: HRESULT) -> String? { entries[code.rawValue]?.name }

    /// HNS's message text, ending with a period, nil for unknown codes.
    public static func message(of code: HRESULT) -> String? { entries[code.rawValue]?.text }

    /// Only HCN's own codes (facility 0x3B) carry an HCN_E_* name in `HCNError.name`.
    static func hcnName(of code: HRESULT) -> String? {
        guard let name = name(of: code), name.hasPrefix("HCN_") else { return nil }
        return name
    }

    /// The record HNS returns in `ErrorRecord`: the text with a trailing space, the code as an unsigned decimal.
    static func errorRecord(text: String, code: HRESULT) -> String {
        JSON.object(["Success": false, "Error": .string(text + " "), "ErrorCode": .unsigned(UInt64(code.rawValue))])
            .compact()
    }

    /// The error HNS gives for `code`, for operation `operation` (the HCN function name).
    static func error(_ operation: String, _ code: HRESULT, text: String? = nil) -> HCNError {
        let message = text ?? message(of: code) ?? "Error \(code)."
        return HCNError(
            operation: operation, code: code, name: hcnName(of: code), message: message,
            errorRecord: errorRecord(text: message, code: code))
    }
}

extension HCNError {
    /// An error with HNS's code, name and text.
    static func simulator(_ operation: String, _ code: SimulatorCode) -> HCNError {
        SimulatorErrorCatalog.error(operation, code.hresult)
    }
}
