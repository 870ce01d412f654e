import JSON

/// Namespace kinds (`NamespaceType`).
public enum NamespaceType: String, Sendable, CaseIterable {
    case host = "Host"
    case hostDefault = "HostDefault"
    case guest = "Guest"
    case guestDefault = "GuestDefault"

    static let table = HCNEnumTable(names: ["Host", "HostDefault", "Guest", "GuestDefault"])
}

/// Kinds of namespace resources (`NamespaceResourceType`).
public enum NamespaceResourceType: String, Sendable, CaseIterable {
    case container = "Container"
    case endpoint = "Endpoint"

    static let table = HCNEnumTable(names: ["Container", "Endpoint"])
}

/// A member of a namespace (`NamespaceResource`): for endpoints `data` is `{"Id":"<endpoint GUID>"}`. Both keys
/// are always written (`{"Type":"","Data":null}` is hcsshim's zero value).
public struct NamespaceResource: Sendable, Equatable {
    public var type: String
    public var data: JSON
    public var original: JSONObject?

    public init(type: String, data: JSON) {
        self.type = type
        self.data = data
        self.original = nil
    }

    public static func endpoint(_ endpointID: String) -> NamespaceResource {
        NamespaceResource(type: NamespaceResourceType.endpoint.rawValue, data: ["Id": .string(endpointID)])
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", NamespaceResource.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        type = try fields.enumeration("Type", table: NamespaceResourceType.table) ?? ""
        data = fields.object.value(goKey: "Data") ?? .null
        original = fields.object
    }

    /// The endpoint ID of an `Endpoint` resource (`Data.Id`, read case-insensitively as hcsshim does with `ID`).
    public var endpointID: String? {
        guard type == NamespaceResourceType.endpoint.rawValue else { return nil }
        return data[goKey: "Id"]?.stringValue
    }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.enumeration("Type", type, table: NamespaceResourceType.table, always: true)
        writer.always("Data", data, isZero: data.isNull)
        return writer.json
    }
}

/// An HNS v2 namespace (`HostComputeNamespace`): the network compartment a pod's endpoints are attached to;
/// containerd passes its GUID as `CNI_NETNS`.
public struct HostComputeNamespace: Sendable, Equatable {
    public var id: String
    /// The compartment ID, assigned by HNS when absent.
    public var namespaceId: UInt32?
    /// "Host", "HostDefault", "Guest", "GuestDefault"; empty when the document has none (HNS then uses Host).
    public var type: String
    public var resources: [NamespaceResource]
    public var schemaVersion: SchemaVersion
    public var original: JSONObject?

    public init(
        id: String = "", namespaceId: UInt32? = nil, type: String = "", resources: [NamespaceResource] = [],
        schemaVersion: SchemaVersion = .v2
    ) {
        self.id = id
        self.namespaceId = namespaceId
        self.type = type
        self.resources = resources
        self.schemaVersion = schemaVersion
        self.original = nil
    }

    public init(json: JSON) throws(HCNDecodingError) {
        self = try decodeFields(json, path: "", HostComputeNamespace.init(fields:))
    }

    init(fields: JSONFields) throws(JSONFieldError) {
        id = try fields.string("ID") ?? ""
        namespaceId = try fields.integer("NamespaceId", in: 0...Int64(UInt32.max)).map { UInt32($0) }
        type = try fields.enumeration("Type", table: NamespaceType.table) ?? ""
        resources = try fields.list("Resources", NamespaceResource.init(fields:))
        schemaVersion = try fields.schemaVersion()
        original = fields.object
    }

    /// IDs of the endpoints attached to this namespace.
    public var endpointIDs: [String] { resources.compactMap(\.endpointID) }

    public var json: JSON {
        var writer = HCNObjectWriter(original: original)
        writer.string("ID", id)
        writer.unsigned("NamespaceId", namespaceId ?? 0)
        writer.enumeration("Type", type, table: NamespaceType.table)
        writer.array("Resources", resources.map(\.json))
        writer.schemaVersion(schemaVersion)
        return writer.json
    }
}
