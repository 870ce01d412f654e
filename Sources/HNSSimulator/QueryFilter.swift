import HCN
import JSON

/// The `Filter` of a `HostComputeQuery`: a JSON object *inside a string*, whose keys are v1 property names (`ID`,
/// `Name`, `VirtualNetwork`, `VirtualNetworkName`, ...) matched against the objects' v1 view (research §2.1, §8.1).
/// A key the v1 view lacks matches nothing, as a v2 name such as `HostComputeNetwork` finds nothing in HNS.
struct QueryFilter {
    let conditions: JSONObject

    init(conditions: JSONObject) {
        self.conditions = conditions
    }

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

    func matching(_ kind: HCNResourceKind, catalog: SimulatorCatalog) throws(HCNError) -> [GUID] {
        // Keys lowered once. ID, Name and VirtualNetwork pick the candidates through an index; only other keys
        // read the objects.
        var wanted = conditions.map { (key: $0.key.lowercased(), value: $0.value) }
        let candidates: [GUID]
        if let position = wanted.firstIndex(where: { $0.key == "id" }) {
            let id = wanted[position].value.stringValue.flatMap(GUID.init)
            wanted.remove(at: position)
            guard let id, try catalog.contains(kind, id) else { return [] }
            candidates = [id]
        } else if kind != .namespace, let position = wanted.firstIndex(where: { $0.key == "name" }),
            case .string(let name) = wanted[position].value
        {
            wanted.remove(at: position)
            candidates = try catalog.ids(kind, named: name)
        } else if kind == .endpoint, let position = wanted.firstIndex(where: { $0.key == "virtualnetwork" }) {
            let network = wanted[position].value.stringValue.flatMap(GUID.init)
            wanted.remove(at: position)
            guard let network else { return [] }
            candidates = try catalog.endpointIDs(onNetwork: network)
        } else {
            candidates = try catalog.listed(kind)
        }
        if wanted.isEmpty { return candidates }
        var result: [GUID] = []
        for id in candidates {
            guard let document = try catalog.document(kind, id) else { continue }
            let view = try HNSSimulator.view(kind, id: id, document: document, catalog: catalog, v1: true).objectValue
            if matches(wanted, view ?? JSONObject()) { result.append(id) }
        }
        return result
    }

    /// Checks each condition against the object's v1 view.
    private func matches(_ wanted: [(key: String, value: JSON)], _ view: JSONObject) -> Bool {
        for (key, value) in wanted {
            guard let actual = view.value(goKey: key), Self.equal(value, actual) else { return false }
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

/// The two shapes of query text clients send (hcsshim's `defaultQuery()`, and the same with a `Filter` on one
/// string field, as `GetNetworkByName` and the plugin's lookups make), recognised from the text itself so that a
/// lookup parses no JSON. Any other text, also one with escapes in the value, is parsed as usual.
enum QueryText {
    /// `{"SchemaVersion":{"Major":2,"Minor":0}}`: v2 documents, no filter.
    static let `default` = #"{"SchemaVersion":{"Major":2,"Minor":0}}"#

    private static let filterHead = Array(#"{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\""#.utf8)
    private static let filterSeparator = Array(#"\":\""#.utf8)
    private static let filterTail = Array(#"\"}"}"#.utf8)

    /// The filter of `{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\"KEY\":\"VALUE\"}"}` (KEY letters only,
    /// VALUE without quotes, backslashes or control characters), nil for any other text.
    static func singleFilter(_ text: String) -> JSONObject? {
        let bytes = Array(text.utf8)
        let minimum = filterHead.count + filterSeparator.count + filterTail.count
        guard bytes.count > minimum, bytes.starts(with: filterHead),
            bytes[(bytes.count - filterTail.count)...].elementsEqual(filterTail)
        else { return nil }
        let body = bytes[filterHead.count..<(bytes.count - filterTail.count)]
        guard let separator = body.firstIndex(of: UInt8(ascii: "\\")),
            body[separator...].starts(with: filterSeparator)
        else { return nil }
        let key = body[..<separator]
        let value = body[(separator + filterSeparator.count)...]
        guard !key.isEmpty,
            key.allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }),
            value.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return [String(decoding: key, as: UTF8.self): .string(String(decoding: value, as: UTF8.self))]
    }
}
