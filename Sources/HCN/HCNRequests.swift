import JSON

/// The query of `HcnEnumerate*` and `HcnQuery*Properties` (`HostComputeQuery`). `Filter` is a JSON object
/// serialised into a string, with v1 key names (`ID`, `Name`, `VirtualNetwork`). `SchemaVersion` is always
/// written; `Flags` (1 = Detailed) and `Filter` are omitempty.
public struct HostComputeQuery: Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var flags: UInt32
    public var filter: String
    public var original: JSONObject?

    public static let detailed: UInt32 = 1

    public init(schemaVersion: SchemaVersion = .v2, flags: UInt32 = 0, filter: String = "") {
        self.schemaVersion = schemaVersion
        self.flags = flags
        self.filter = filter
        self.original = nil
    }

    /// A query whose `Filter` is `filter` serialised compactly, e.g. `{"Name":"cbr0"}`.
    public init(schemaVersion: SchemaVersion = .v2, filter: JSONObject) {
        self.init(schemaVersion: schemaVersion, filter: filter.isEmpty ? "" : JSON.object(filter).compact())
    }

    /// hcsshim's `defaultQuery()`: `{"SchemaVersion":{"Major":2,"Minor":0}}`.
    public static let `default` = HostComputeQuery()

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", HostComputeQuery.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        schemaVersion = try fields.schemaVersion()
        flags = try fields.uint32("Flags")
        // Filter is a JSON string holding an object; a client that sends the object itself is understood too.
        if let object = fields.value("Filter")?.objectValue {
            filter = JSON.object(object).compact()
        } else {
            filter = try fields.string("Filter") ?? ""
        }
        original = fields.object
    }

    /// The filter parsed as an object; nil when there is none or it is not a JSON object.
    public var filterObject: JSONObject? {
        guard !filter.isEmpty, let parsed = try? JSON.parse(filter) else { return nil }
        return parsed.objectValue
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.schemaVersion(schemaVersion)
        writer.unsigned("Flags", flags)
        let filterText = filter
        writer.optional("Filter", .string(filterText), isZero: filterText.isEmpty) { old in
            old.objectValue.map { JSON.object($0).compact() == filterText } ?? false
        }
        return writer.json
    }
}

extension HostComputeQuery {
    /// `HostComputeQuery.default` as the client sends it: `default.json.compact()`, written out.
    static let defaultText = #"{"SchemaVersion":{"Major":2,"Minor":0}}"#

    /// The text of a v2 query whose filter has one member, `key` (a name with nothing to escape, such as `Name`)
    /// = `value`: the text `HostComputeQuery(filter: [key: .string(value)]).json.compact()` gives, written without
    /// building the JSON values.
    static func filterText(_ key: String, _ value: String) -> String {
        guard needsNoEscape(value) else {
            var filter = "{\""
            filter += key
            filter += "\":"
            filter += JSON.quoted(value)
            filter += "}"
            return #"{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"# + JSON.quoted(filter) + "}"
        }
        // Nothing to escape in the value, so the filter's quotes are the only escapes in the text.
        var text = #"{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\""#
        text.reserveCapacity(text.utf8.count + key.utf8.count + value.utf8.count + 10)
        text += key
        text += #"\":\""#
        text += value
        text += #"\"}"}"#
        return text
    }
}

/// Whether `text` is written into a JSON string as it is: no quote, backslash or control character.
func needsNoEscape(_ text: String) -> Bool {
    let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
        bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }
    return plain ?? text.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
}

/// `RequestType` of a modify request; always sent as a string (WSL's integer values are accepted when decoding).
public enum ModifyRequestType: String, Sendable, CaseIterable {
    case add = "Add"
    case remove = "Remove"
    case update = "Update"
    case refresh = "Refresh"
    case reset = "Reset"

    static let table = HCNEnumTable(names: ["Add", "Remove", "Update", "Refresh", "Reset"], values: [0, 1, 2, 3, 4])
}

/// `ResourceType` of a modify request. Networks: Policy, DNS, Extension, Subnet, IPSubnet; endpoints: Policy,
/// Port; namespaces: Endpoint, Container.
public enum ModifyResourceType: String, Sendable, CaseIterable {
    case policy = "Policy"
    case dns = "DNS"
    case `extension` = "Extension"
    case subnet = "Subnet"
    case ipSubnet = "IPSubnet"
    case port = "Port"
    case endpoint = "Endpoint"
    case container = "Container"
    case state = "State"

    static let table = HCNEnumTable(names: [
        "Policy", "DNS", "Extension", "Subnet", "IPSubnet", "Port", "Endpoint", "Container", "State",
    ])
}

/// The document of `HcnModify{Network,Endpoint,Namespace}`: `{"ResourceType","RequestType","Settings"}`, all
/// omitempty (hcsshim's `Modify*SettingRequest`).
public struct ModifyRequest: Sendable, Equatable {
    public var resourceType: String
    public var requestType: String
    public var settings: JSON
    public var original: JSONObject?

    public init(resourceType: String, requestType: String, settings: JSON) {
        self.resourceType = resourceType
        self.requestType = requestType
        self.settings = settings
        self.original = nil
    }

    public init(resourceType: ModifyResourceType, requestType: ModifyRequestType, settings: JSON) {
        self.init(resourceType: resourceType.rawValue, requestType: requestType.rawValue, settings: settings)
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", ModifyRequest.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        resourceType = try fields.enumeration("ResourceType", table: ModifyResourceType.table) ?? ""
        requestType = try fields.enumeration("RequestType", table: ModifyRequestType.table) ?? ""
        settings = fields.object.value(goKey: "Settings") ?? .null
        original = fields.object
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.enumeration("ResourceType", resourceType, table: ModifyResourceType.table)
        writer.enumeration("RequestType", requestType, table: ModifyRequestType.table)
        writer.optional("Settings", settings, isZero: settings.isNull)
        return writer.json
    }

    /// hcsshim `AddNamespaceEndpoint`: `{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":…}}`.
    public static func addNamespaceEndpoint(_ endpointID: String) -> ModifyRequest {
        ModifyRequest(resourceType: .endpoint, requestType: .add, settings: ["EndpointId": .string(endpointID)])
    }

    /// hcsshim `RemoveNamespaceEndpoint`.
    public static func removeNamespaceEndpoint(_ endpointID: String) -> ModifyRequest {
        ModifyRequest(resourceType: .endpoint, requestType: .remove, settings: ["EndpointId": .string(endpointID)])
    }

    /// A network `Policy` request (`AddPolicy`, `RemovePolicy`): Settings = `{"Policies":[…]}`.
    public static func networkPolicies(_ requestType: ModifyRequestType, _ policies: [NetworkPolicy]) -> ModifyRequest {
        ModifyRequest(
            resourceType: .policy, requestType: requestType, settings: PolicyNetworkRequest(policies: policies).json)
    }

    /// An endpoint `Policy` request (`ApplyPolicy`): Settings = `{"Policies":[…]}`.
    public static func endpointPolicies(_ requestType: ModifyRequestType, _ policies: [EndpointPolicy]) -> ModifyRequest
    {
        ModifyRequest(
            resourceType: .policy, requestType: requestType, settings: PolicyEndpointRequest(policies: policies).json)
    }

    /// The text of `addNamespaceEndpoint(endpointID)` or `removeNamespaceEndpoint(endpointID)` (`requestType` .add
    /// or .remove): `json.compact()` of the request, written without building the JSON values.
    static func namespaceEndpointText(_ requestType: ModifyRequestType, _ endpointID: String) -> String {
        var text = #"{"ResourceType":"Endpoint","RequestType":""#
        text.reserveCapacity(text.utf8.count + endpointID.utf8.count + 40)
        text += requestType.rawValue
        text += #"","Settings":{"EndpointId":"#
        if needsNoEscape(endpointID) {
            text += "\""
            text += endpointID
            text += "\"}}"
        } else {
            text += JSON.quoted(endpointID)
            text += "}}"
        }
        return text
    }

    /// The `Settings.EndpointId` of a namespace endpoint request.
    public var endpointID: String? { settings[goKey: "EndpointId"]?.stringValue }
}

/// A policy entry of an HNS object, as a Policy modify request carries it: `EndpointPolicy` or `NetworkPolicy`.
public protocol HCNPolicyEntry: Sendable, Equatable {
    init(fields: JSONFields) throws(JSONFieldError)
    var json: JSON { get }
}

extension EndpointPolicy: HCNPolicyEntry {}
extension NetworkPolicy: HCNPolicyEntry {}

/// `{"Policies":[…]}`: the settings of a Policy modify request, `PolicyEndpointRequest` or `PolicyNetworkRequest`.
public struct PolicyRequest<Policy: HCNPolicyEntry>: Sendable, Equatable {
    public var policies: [Policy]
    public var original: JSONObject?

    public init(policies: [Policy]) {
        self.policies = policies
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "Settings") { (fields) throws(JSONFieldError) in
            let policies = try fields.list("Policies", Policy.init(fields:))
            var request = PolicyRequest(policies: policies)
            request.original = fields.object
            return request
        }
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.array("Policies", policies.map(\.json))
        return writer.json
    }
}

/// `PolicyEndpointRequest` in hcsshim.
public typealias PolicyEndpointRequest = PolicyRequest<EndpointPolicy>
/// `PolicyNetworkRequest` in hcsshim.
public typealias PolicyNetworkRequest = PolicyRequest<NetworkPolicy>
