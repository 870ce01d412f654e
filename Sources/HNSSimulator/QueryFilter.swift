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
        switch kind {
        case .network:
            return index.networks.filter { record in
                matches(summary: ["ID": .string(record.id.description), "Name": .string(record.name), "Type": .string(record.type)]) {
                    v1(.network, record.id, index: index, store: store)
                }
            }.map(\.id)
        case .endpoint:
            return index.endpoints.filter { record in
                var summary: JSONObject = [
                    "ID": .string(record.id.description), "Name": .string(record.name),
                    "VirtualNetwork": .string(record.network.description),
                    "VirtualNetworkName": .string(index.network(record.network)?.name ?? ""),
                    "MacAddress": .string(record.mac), "IsRemoteEndpoint": .bool(record.isRemote),
                ]
                if let first = record.ips.first(where: { !$0.contains(":") }) { summary["IPAddress"] = .string(first) }
                return matches(summary: summary) { v1(.endpoint, record.id, index: index, store: store) }
            }.map(\.id)
        case .namespace:
            return index.namespaces.filter { record in
                matches(summary: ["ID": .string(record.id.description), "CompartmentId": .integer(Int64(record.compartment))])
                {
                    v1(.namespace, record.id, index: index, store: store)
                }
            }.map(\.id)
        }
    }

    private func v1(_ kind: HCNResourceKind, _ id: GUID, index: SimulatorIndex, store: SimulatorStore) -> JSONObject? {
        guard let document = try? store.document(kind, id) else { return nil }
        return HNSSimulator.view(kind, id: id, document: document, index: index, v1: true).objectValue
    }

    /// Checks each condition against the summary from the index, reading the full v1 document only for keys the
    /// summary does not have.
    private func matches(summary: JSONObject, full: () -> JSONObject?) -> Bool {
        var document: JSONObject?? = nil
        for (key, wanted) in conditions {
            var actual = summary.value(goKey: key)
            if actual == nil {
                if document == nil { document = .some(full()) }
                actual = document??.value(goKey: key)
            }
            guard let actual, Self.equal(wanted, actual) else { return false }
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
