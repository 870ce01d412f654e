import HCN
import JSON

/// The `Filter` of a `HostComputeQuery`: a JSON object *inside a string*, whose keys are v1 property names (`ID`,
/// `Name`, `VirtualNetwork`, `VirtualNetworkName`, ...) matched against the objects' v1 view (research §2.1, §8.1).
/// A key the v1 view lacks matches nothing, as a v2 name such as `HostComputeNetwork` finds nothing in HNS.
struct QueryFilter {
    let conditions: JSONObject

    init(query: JSONObject, reader: DocumentReader) throws(HCNError) {
        switch query.value(goKey: "Filter") {
        case nil, .null?:
            conditions = JSONObject()
        case .string(let text)?:
            conditions = text.isEmpty ? JSONObject() : try reader.parse(text)
        default:
            throw reader.fail(.invalidJSON)
        }
    }

    func matching(_ kind: HCNResourceKind, index: SimulatorIndex, store: SimulatorStore, operation: String)
        throws(HCNError) -> [GUID]
    {
        // Keys lowered once; most filters (ID, Name, VirtualNetwork) are answered from the index alone.
        let wanted = conditions.map { (key: $0.key.lowercased(), value: $0.value) }
        switch kind {
        case .network:
            return index.networks.filter { record in
                matches(wanted) { key in
                    switch key {
                    case "id": return .string(record.id.description)
                    case "name": return .string(record.name)
                    case "type": return .string(record.type)
                    default: return nil
                    }
                } full: {
                    v1(.network, record.id, index: index, store: store)
                }
            }.map(\.id)
        case .endpoint:
            return index.endpoints.filter { record in
                matches(wanted) { key in
                    switch key {
                    case "id": return .string(record.id.description)
                    case "name": return .string(record.name)
                    case "virtualnetwork": return .string(record.network.description)
                    case "virtualnetworkname": return .string(index.network(record.network)?.name ?? "")
                    case "macaddress": return .string(record.mac)
                    case "isremoteendpoint": return .bool(record.isRemote)
                    default: return nil
                    }
                } full: {
                    v1(.endpoint, record.id, index: index, store: store)
                }
            }.map(\.id)
        case .namespace:
            return index.namespaces.filter { record in
                matches(wanted) { key in
                    switch key {
                    case "id": return .string(record.id.description)
                    case "compartmentid": return .integer(Int64(record.compartment))
                    default: return nil
                    }
                } full: {
                    v1(.namespace, record.id, index: index, store: store)
                }
            }.map(\.id)
        }
    }

    private func v1(_ kind: HCNResourceKind, _ id: GUID, index: SimulatorIndex, store: SimulatorStore) -> JSONObject? {
        guard let document = try? store.document(kind, id) else { return nil }
        return HNSSimulator.view(kind, id: id, document: document, index: index, v1: true).objectValue
    }

    /// Checks each condition against what the index knows, reading the full v1 document only for other keys.
    private func matches(
        _ wanted: [(key: String, value: JSON)], summary: (String) -> JSON?, full: () -> JSONObject?
    ) -> Bool {
        var document: JSONObject?? = nil
        for (key, value) in wanted {
            var actual = summary(key)
            if actual == nil {
                if document == nil { document = .some(full()) }
                actual = document??.value(goKey: key)
            }
            guard let actual, Self.equal(value, actual) else { return false }
        }
        return true
    }

    static func equal(_ wanted: JSON, _ actual: JSON) -> Bool {
        switch (wanted, actual) {
        case (.string(let left), .string(let right)):
            if let leftID = GUID(left), let rightID = GUID(right) { return leftID == rightID }
            return sameText(left, right)
        case (.integer, _), (.unsigned, _):
            return wanted.int64Value != nil && wanted.int64Value == actual.int64Value
        default:
            return wanted == actual
        }
    }
}
