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

    func applyToNetwork(id: GUID, document: JSONObject, transaction: inout SimulatorTransaction, reader: DocumentReader)
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
        try transaction.save(.network, id, updated, old: document)
    }

    func applyToEndpoint(
        id: GUID, document: JSONObject, transaction: inout SimulatorTransaction, reader: DocumentReader
    )
        throws(HCNError)
    {
        guard sameText(resourceType, "Policy") else { throw reader.fail(.requestUnsupported) }
        let record = StoredEndpoint.record(id: id, document: document)
        let current = document["Policies"]?.arrayValue ?? []
        // New port mappings are checked against the other endpoints and against the ones this endpoint keeps.
        let kept = StoredEndpoint.hostPorts(requestType == .update ? [] : current)
        let catalog = transaction.catalog
        let changes: [JSON]
        if requestType == .remove {
            changes = try policies(known: StoredEndpoint.policyTypes, reader: reader)
        } else {
            changes = try StoredEndpoint.validatedPolicies(
                settings[goKey: "Policies"],
                taken: { port throws(POSIXFailure) in
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
        try transaction.save(.endpoint, id, updated, old: document)
    }

    func applyToNamespace(id: GUID, transaction: inout SimulatorTransaction, reader: DocumentReader) throws(HCNError) {
        guard sameText(resourceType, "Endpoint") else { throw reader.fail(.requestUnsupported) }
        guard let text = settings[goKey: "EndpointId"]?.stringValue else { throw reader.fail(.invalidJSON) }
        guard let endpointID = GUID(text) else { throw reader.fail(.guidConversionFailure) }
        guard let stored = try transaction.document(.endpoint, endpointID) else {
            throw reader.fail(.endpointNotFound)
        }
        var endpoint = stored
        let record = StoredEndpoint.record(id: endpointID, document: endpoint)
        switch requestType {
        case .add:
            // A remote endpoint describes another node's pod: it cannot live in a local compartment.
            if record.isRemote { throw reader.fail(.invalidRemoteEndpointOperation) }
            if record.namespace != nil { throw reader.fail(.endpointNamespaceAlreadyExists) }
            endpoint = endpoint.inserting("HostComputeNamespace", .string(id.description), after: "HostComputeNetwork")
        case .remove:
            guard record.namespace == id else { throw reader.fail(.elementNotFound) }
            endpoint["HostComputeNamespace"] = nil
        default:
            throw reader.fail(.requestUnsupported)
        }
        try transaction.save(.endpoint, endpointID, endpoint, old: stored)
    }
}
