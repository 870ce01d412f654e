import HCN
import JSON

/// HCN namespaces (network compartments). Which endpoints a namespace holds is kept once, in each endpoint's
/// `HostComputeNamespace` (and its row's `namespace` column), and the namespace's `Resources` are derived from it.
enum StoredNamespace {
    static let types = ["Host", "HostDefault", "Guest", "GuestDefault"]

    static func record(id: GUID, document: JSONObject) -> NamespaceRecord {
        NamespaceRecord(
            id: id, compartment: UInt32(truncatingIfNeeded: document["NamespaceId"]?.int64Value ?? 0),
            type: document["Type"]?.stringValue ?? "Host")
    }

    static func create(id: GUID, settings: JSONObject, catalog: SimulatorCatalog, reader: DocumentReader)
        throws(HCNError) -> JSONObject
    {
        let fields = JSONFields(object: settings, path: "")
        // containerd sends a zero-valued namespace: no Type means a host namespace.
        let typeText = try reader.read { () throws(JSONFieldError) in try fields.string("Type") } ?? ""
        guard let type = typeText.isEmpty ? "Host" : canonical(typeText, in: types) else {
            throw reader.fail(.invalidParameter)
        }
        let given = try reader.read { () throws(JSONFieldError) in
            try fields.integer("NamespaceId", in: 0...Int64(UInt32.max))
        }
        // Compartment 1 is the host's default compartment; HNS numbers new ones after the highest in use.
        let highest = try catalog.highestCompartment()
        let compartment = given.flatMap { $0 == 0 ? nil : $0 } ?? Int64(highest) + 1
        var document = JSONObject()
        document["Id"] = .string(id.description)
        document["NamespaceId"] = .integer(compartment)
        document["Type"] = .string(type)
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        return document
    }

    /// The v2 document HNS returns: the stored one with `Resources` listing the member endpoints.
    static func view(_ document: JSONObject, id: GUID, members: [GUID]) -> JSONObject {
        let resources: [JSON] = members.map {
            ["Type": "Endpoint", "Data": ["Id": .string($0.description)]]
        }
        return document.inserting("Resources", .array(resources), before: "SchemaVersion")
    }

    static func v1View(_ document: JSONObject, id: GUID, members: [GUID]) -> JSONObject {
        let resources: [JSON] = members.map {
            ["Type": "Endpoint", "Data": ["Id": .string($0.description)]]
        }
        var view = JSONObject()
        view["ID"] = document["Id"] ?? ""
        let type = document["Type"]?.stringValue ?? "Host"
        view["IsDefault"] = .bool(type.hasSuffix("Default"))
        view["ResourceList"] = .array(resources)
        view["CompartmentId"] = document["NamespaceId"] ?? 0
        return view
    }
}
