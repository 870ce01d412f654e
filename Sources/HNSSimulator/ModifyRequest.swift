import HCN
import JSON

/// A `ModifySettingRequest` (`{"ResourceType","RequestType","Settings"}`, research §2.2) and what it does to a
/// network, an endpoint or a namespace.
struct ModifyRequest {
    enum RequestType: String {
        case add = "Add", remove = "Remove", update = "Update", refresh = "Refresh", reset = "Reset"
    }

    let resourceType: String
    let requestType: RequestType
    let settings: JSON

    init(_ object: JSONObject, reader: DocumentReader) throws(HCNError) {
        guard let resource = object.value(goKey: "ResourceType")?.stringValue,
            let requestText = object.value(goKey: "RequestType")?.stringValue,
            let request = [RequestType.add, .remove, .update, .refresh, .reset].first(where: {
                sameText($0.rawValue, requestText)
            })
        else { throw reader.fail(.requestUnsupported) }
        resourceType = resource
        requestType = request
        settings = object.value(goKey: "Settings") ?? .object(JSONObject())
    }

    private static let endpointHead = Array(#"{"ResourceType":"Endpoint","RequestType":""#.utf8)
    private static let endpointMiddle = Array(#"","Settings":{"EndpointId":""#.utf8)
    private static let endpointTail = Array(#""}}"#.utf8)

    /// The request hcsshim's `AddNamespaceEndpoint` and `RemoveNamespaceEndpoint` send, made for every pod,
    /// `{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"<GUID>"}}`, read from its text
    /// without parsing JSON; nil for any other text (which is parsed as usual).
    static func namespaceEndpointText(_ text: String) -> JSONObject? {
        let bytes = Array(text.utf8)
        guard bytes.starts(with: endpointHead), bytes.count > endpointHead.count + endpointTail.count,
            bytes[(bytes.count - endpointTail.count)...].elementsEqual(endpointTail)
        else { return nil }
        let rest = bytes[endpointHead.count..<(bytes.count - endpointTail.count)]
        let request: String
        if rest.starts(with: "Add".utf8) {
            request = "Add"
        } else if rest.starts(with: "Remove".utf8) {
            request = "Remove"
        } else {
            return nil
        }
        let afterRequest = rest.dropFirst(request.utf8.count)
        guard afterRequest.starts(with: endpointMiddle) else { return nil }
        let id = afterRequest.dropFirst(endpointMiddle.count)
        // GUID characters only: nothing JSON would escape.
        guard
            id.allSatisfy({ byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                    || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
            })
        else { return nil }
        return [
            "ResourceType": "Endpoint", "RequestType": .string(request),
            "Settings": ["EndpointId": .string(String(decoding: id, as: UTF8.self))],
        ]
    }

    private func policies(known: [String], reader: DocumentReader) throws(HCNError) -> [JSON] {
        guard let items = settings[goKey: "Policies"]?.arrayValue else { throw reader.fail(.invalidPolicy) }
        var result: [JSON] = []
        for item in items { result.append(try StoredNetwork.validatedPolicy(item, known: known, reader: reader)) }
        return result
    }

    /// Applies Policy Add/Remove/Update to a policy list. Add refuses an identical policy; Remove takes away the
    /// policies of the given type whose settings are equal (or all of that type when the settings are empty).
    private func apply(_ changes: [JSON], to current: [JSON], keeping: Set<String>, reader: DocumentReader)
        throws(HCNError) -> [JSON]
    {
        var result = current
        switch requestType {
        case .add:
            for change in changes {
                if result.contains(change) { throw reader.fail(.policyAlreadyExists) }
                result.append(change)
            }
        case .remove:
            for change in changes {
                let emptySettings = change["Settings"]?.objectValue?.isEmpty ?? true
                let before = result.count
                result.removeAll { existing in
                    existing["Type"] == change["Type"] && (emptySettings || existing["Settings"] == change["Settings"])
                }
                if result.count == before { throw reader.fail(.policyNotFound) }
            }
        case .update:
            // Update replaces the set the caller manages; the policies HNS itself added stay.
            result = current.filter { keeping.contains($0["Type"]?.stringValue ?? "") } + changes
        case .refresh, .reset:
            throw reader.fail(.requestUnsupported)
        }
        return result
    }

    func applyToNetwork(id: GUID, document: JSONObject, catalog: SimulatorCatalog, reader: DocumentReader)
        throws(HCNError)
    {
        var updated = document
        switch resourceType.lowercased() {
        case "policy":
            let changes = try StoredNetwork.validatedPolicies(settings[goKey: "Policies"], reader: reader)
            let current = StoredNetwork.policies(document)
            let result = try apply(
                changes, to: current, keeping: ["ProviderAddress", "DrMacAddress", "NetAdapterName"], reader: reader)
            updated = updated.inserting("Policies", .array(result), before: "MacPool")
        case "dns":
            guard case .object = settings, requestType == .update || requestType == .add else {
                throw reader.fail(.requestUnsupported)
            }
            updated = updated.inserting("Dns", settings, before: "Ipams")
        default:
            throw reader.fail(.requestUnsupported)
        }
        try catalog.update(.network, id, updated, conflict: .policyAlreadyExists)
    }

    func applyToEndpoint(
        id: GUID, document: JSONObject, catalog: SimulatorCatalog, reader: DocumentReader
    ) throws(HCNError) {
        guard sameText(resourceType, "Policy") else { throw reader.fail(.requestUnsupported) }
        let record = StoredEndpoint.record(id: id, document: document)
        let current = document["Policies"]?.arrayValue ?? []
        // New port mappings are checked against the other endpoints and against the ones this endpoint keeps.
        let kept = StoredEndpoint.hostPorts(requestType == .update ? [] : current)
        let changes: [JSON]
        if requestType == .remove {
            changes = try policies(known: StoredEndpoint.policyTypes, reader: reader)
        } else {
            changes = try StoredEndpoint.validatedPolicies(
                settings[goKey: "Policies"],
                taken: { port throws(HCNError) in
                    try catalog.hostPorts(port, on: record.network, excluding: id) + kept.filter { $0.port == port }
                }, reader: reader)
        }
        let result = try apply(changes, to: current, keeping: [], reader: reader)
        var updated = document
        if result.isEmpty {
            updated["Policies"] = nil
        } else {
            updated = updated.inserting("Policies", .array(result), before: "IpConfigurations")
        }
        let after = StoredEndpoint.record(id: id, document: updated)
        try catalog.update(.endpoint, id, updated, conflict: .portAlreadyExists, endpoint: (record, after))
    }

    func applyToNamespace(id: GUID, catalog: SimulatorCatalog, reader: DocumentReader) throws(HCNError) {
        guard sameText(resourceType, "Endpoint") else { throw reader.fail(.requestUnsupported) }
        guard let text = settings[goKey: "EndpointId"]?.stringValue else { throw reader.fail(.invalidJSON) }
        guard let endpointID = GUID(text) else { throw reader.fail(.guidConversionFailure) }
        guard let stored = try catalog.document(.endpoint, endpointID) else { throw reader.fail(.endpointNotFound) }
        var endpoint = stored
        let record = StoredEndpoint.record(id: endpointID, document: endpoint)
        var changed = record
        switch requestType {
        case .add:
            // A remote endpoint describes another node's pod: it cannot live in a local compartment.
            if record.isRemote { throw reader.fail(.invalidRemoteEndpointOperation) }
            if record.namespace != nil { throw reader.fail(.endpointNamespaceAlreadyExists) }
            endpoint = endpoint.inserting("HostComputeNamespace", .string(id.description), after: "HostComputeNetwork")
            changed.namespace = id
        case .remove:
            guard record.namespace == id else { throw reader.fail(.elementNotFound) }
            endpoint["HostComputeNamespace"] = nil
            changed.namespace = nil
        default:
            throw reader.fail(.requestUnsupported)
        }
        try catalog.update(
            .endpoint, endpointID, endpoint, conflict: .endpointNamespaceAlreadyExists, endpoint: (record, changed))
    }
}
