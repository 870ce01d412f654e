import JSON

/// The HRESULTs HNS returns (research/hns-api.md §7.1): HCN's own codes (facility 0x3B) with their `HCN_E_*`
/// names and messages, and the generic Win32/COM codes seen from HNS. Messages are the sentence as HNS prints
/// it, ending with a period; the error record adds one trailing space after it.
public enum HCNErrorCatalog {
    /// One code: its name, value and message.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let code: HRESULT
        public let message: String
    }

    public static let entries: [Entry] = [
        entry("HCN_E_NETWORK_NOT_FOUND", 0x803B_0001, "The network was not found."),
        entry("HCN_E_ENDPOINT_NOT_FOUND", 0x803B_0002, "The endpoint was not found."),
        entry("HCN_E_LAYER_NOT_FOUND", 0x803B_0003, "The network's underlying layer was not found."),
        entry("HCN_E_SWITCH_NOT_FOUND", 0x803B_0004, "The virtual switch was not found."),
        entry("HCN_E_SUBNET_NOT_FOUND", 0x803B_0005, "The network does not have a subnet for this endpoint."),
        entry("HCN_E_ADAPTER_NOT_FOUND", 0x803B_0006, "An adapter was not found."),
        entry("HCN_E_PORT_NOT_FOUND", 0x803B_0007, "The switch-port was not found."),
        entry("HCN_E_POLICY_NOT_FOUND", 0x803B_0008, "An expected policy was not found."),
        entry("HCN_E_VFP_PORTSETTING_NOT_FOUND", 0x803B_0009, "A required VFP port setting was not found."),
        entry(
            "HCN_E_INVALID_NETWORK", 0x803B_000A,
            "The provided network configuration is invalid or missing parameters."),
        entry("HCN_E_INVALID_NETWORK_TYPE", 0x803B_000B, "Invalid network type."),
        entry(
            "HCN_E_INVALID_ENDPOINT", 0x803B_000C,
            "The provided endpoint configuration is invalid or missing parameters."),
        entry(
            "HCN_E_INVALID_POLICY", 0x803B_000D, "The provided policy configuration is invalid or missing parameters."),
        entry("HCN_E_INVALID_POLICY_TYPE", 0x803B_000E, "Invalid policy type."),
        entry(
            "HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION", 0x803B_000F,
            "This requested operation is invalid for a remote endpoint."),
        entry("HCN_E_NETWORK_ALREADY_EXISTS", 0x803B_0010, "A network with this name already exists."),
        entry("HCN_E_LAYER_ALREADY_EXISTS", 0x803B_0011, "A network with this name already exists."),
        entry("HCN_E_POLICY_ALREADY_EXISTS", 0x803B_0012, "Policy information already exists on this object."),
        entry("HCN_E_PORT_ALREADY_EXISTS", 0x803B_0013, "The specified port already exists."),
        entry("HCN_E_ENDPOINT_ALREADY_ATTACHED", 0x803B_0014, "This endpoint is already attached to the switch."),
        entry("HCN_E_REQUEST_UNSUPPORTED", 0x803B_0015, "The specified request is unsupported."),
        entry("HCN_E_MAPPING_NOT_SUPPORTED", 0x803B_0016, "Port mapping is not supported on the given network."),
        entry("HCN_E_DEGRADED_OPERATION", 0x803B_0017, "There was an operation attempted on a degraded object."),
        entry("HCN_E_SHARED_SWITCH_MODIFICATION", 0x803B_0018, "Cannot modify a switch shared by multiple networks."),
        entry("HCN_E_GUID_CONVERSION_FAILURE", 0x803B_0019, "Failed to interpret a parameter as a GUID."),
        entry("HCN_E_REGKEY_FAILURE", 0x803B_001A, "Failed to process registry key."),
        entry("HCN_E_INVALID_JSON", 0x803B_001B, "Invalid JSON document string."),
        entry("HCN_E_INVALID_JSON_REFERENCE", 0x803B_001C, "The reference is invalid in the JSON document."),
        entry("HCN_E_ENDPOINT_SHARING_DISABLED", 0x803B_001D, "Endpoint sharing is disabled."),
        entry(
            "HCN_E_INVALID_IP", 0x803B_001E, "IP address is either invalid or not part of any configured subnet(s)."),
        entry(
            "HCN_E_SWITCH_EXTENSION_NOT_FOUND", 0x803B_001F,
            "The specified switch extension does not exist on this switch."),
        entry("HCN_E_MANAGER_STOPPED", 0x803B_0020, "Operation cannot be performed while service is stopping."),
        entry("GCN_E_MODULE_NOT_FOUND", 0x803B_0021, "General module not found."),
        entry("GCN_E_NO_REQUEST_HANDLERS", 0x803B_0022, "No request handlers were found for the request."),
        entry("GCN_E_REQUEST_UNSUPPORTED", 0x803B_0023, "The request is not supported by the guest."),
        entry("GCN_E_RUNTIMEKEYS_FAILED", 0x803B_0024, "Failed to apply the runtime keys."),
        entry("GCN_E_NETADAPTER_TIMEOUT", 0x803B_0025, "Timed out waiting for the network adapter."),
        entry("GCN_E_NETADAPTER_NOT_FOUND", 0x803B_0026, "The network adapter was not found."),
        entry("GCN_E_NETCOMPARTMENT_NOT_FOUND", 0x803B_0027, "The network compartment was not found."),
        entry("GCN_E_NETINTERFACE_NOT_FOUND", 0x803B_0028, "The network interface was not found."),
        entry("GCN_E_DEFAULTNAMESPACE_EXISTS", 0x803B_0029, "Default Namespace already exists."),
        entry(
            "HCN_E_ICS_DISABLED", 0x803B_002A,
            "Internet Connection Sharing service (SharedAccess) is disabled and cannot be started."),
        entry(
            "HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS", 0x803B_002B,
            "This requested operation is invalid as endpoint is already part of a network namespace."),
        entry(
            "HCN_E_ENTITY_HAS_REFERENCES", 0x803B_002C,
            "The specified entity cannot be removed while it still has references."),
        entry("HCN_E_INVALID_INTERNAL_PORT", 0x803B_002D, "The internal port must exist and cannot be zero."),
        entry("HCN_E_NAMESPACE_ATTACH_FAILED", 0x803B_002E, "The requested operation for attach namespace failed."),
        entry("HCN_E_ADDR_INVALID_OR_RESERVED", 0x803B_002F, "An address provided is invalid or reserved."),
        entry("HCN_E_INVALID_PREFIX", 0x803B_0030, "The prefix provided is invalid."),
        entry(
            "HCN_E_OBJECT_USED_AFTER_UNLOAD", 0x803B_0031, "A call was performed against an object that was torn down."),
        entry(
            "HCN_E_INVALID_SUBNET", 0x803B_0032, "The provided subnet configuration is invalid or missing parameters."),
        entry(
            "HCN_E_INVALID_IP_SUBNET", 0x803B_0033,
            "The provided IP subnet configuration is invalid or missing parameters."),
        entry("HCN_E_ENDPOINT_NOT_ATTACHED", 0x803B_0034, "The endpoint must be attached to complete the operation."),
        entry("HCN_E_ENDPOINT_NOT_LOCAL", 0x803B_0035, "The endpoint must be local to complete the operation."),
        entry(
            "HCN_INTERFACEPARAMETERS_ALREADY_APPLIED", 0x803B_0036,
            "Cannot apply more than one InterfaceParameters policy."),
        entry(
            "HCN_E_VFP_NOT_ALLOWED", 0x803B_0037,
            "A network of this type can not be created because VFP is not available."),
        // Generic codes seen from HNS.
        entry("ERROR_NOT_FOUND", 0x8007_0490, "Element not found."),
        entry("E_INVALIDARG", 0x8007_0057, "The parameter is incorrect."),
        entry("ERROR_ALREADY_EXISTS", 0x8007_00B7, "Cannot create a file when that file already exists."),
        // What HNS answers for a second endpoint with an address already in use (research windows-cni-anchors §7.1).
        entry("ERROR_OBJECT_ALREADY_EXISTS", 0x8007_1392, "The object already exists."),
        entry("E_HANDLE", 0x8007_0006, "The handle is invalid."),
        entry("E_NOTIMPL", 0x8000_4001, "Not implemented."),
        entry("E_POINTER", 0x8000_4003, "Invalid pointer."),
        entry("E_FAIL", 0x8000_4005, "Unspecified error."),
    ]

    private static func entry(_ name: String, _ code: UInt32, _ message: String) -> Entry {
        Entry(name: name, code: HRESULT(code), message: message)
    }

    public static func entry(of code: HRESULT) -> Entry? { entries.first { $0.code == code } }
    public static func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The `HCN_E_*` (or generic) name of a code.
    public static func name(of code: HRESULT) -> String? { entry(of: code)?.name }

    /// HNS's message for a code, ending with a period.
    public static func message(of code: HRESULT) -> String? { entry(of: code)?.message }

    /// The error record HNS returns for a failure: `{"Success":false,"Error":"<message> ","ErrorCode":<code>}`
    /// (the message followed by one space, the code as an unsigned decimal).
    public static func errorRecord(code: HRESULT, message: String? = nil) -> String {
        let text = message ?? self.message(of: code) ?? "HRESULT \(code)."
        let record: JSON = [
            "Success": false, "Error": .string(text + " "), "ErrorCode": .integer(Int64(code.rawValue)),
        ]
        return record.compact()
    }

    public static let networkNotFound = HRESULT(0x803B_0001)
    public static let endpointNotFound = HRESULT(0x803B_0002)
    public static let elementNotFound = HRESULT(0x8007_0490)
    public static let invalidJSON = HRESULT(0x803B_001B)
    public static let guidConversionFailure = HRESULT(0x803B_0019)
    public static let unspecifiedFailure = HRESULT(0x8000_4005)
    public static let invalidPointer = HRESULT(0x8000_4003)
}

extension HCNError {
    /// True for "the object is not there": HCN_E_NETWORK_NOT_FOUND, HCN_E_ENDPOINT_NOT_FOUND and ERROR_NOT_FOUND
    /// (0x80070490, what HcnOpenNamespace returns for an unknown ID), as hcsshim's `IsNotFoundError`; also the
    /// bare Win32 code 0x490 hcsshim's stubs turn it into.
    public var isNotFound: Bool {
        switch code.rawValue {
        case 0x803B_0001, 0x803B_0002, 0x8007_0490, 0x0000_0490: return true
        default: return false
        }
    }

    /// A failure HNS reported with this code, named and explained from the catalog.
    public init(operation: String, code: HRESULT, hnsMessage: String? = nil, errorRecord: String? = nil) {
        self.init(
            operation: operation, code: code, name: HCNErrorCatalog.name(of: code),
            message: hnsMessage ?? HCNErrorCatalog.message(of: code) ?? "HNS returned \(code)",
            errorRecord: errorRecord)
    }
}
