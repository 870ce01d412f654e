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
        let file = try transaction.io { () throws(POSIXFailure) in
            try transaction.store.storedBytes(.endpoint, endpointID)
        }
        guard let file, let stored = transaction.store.parsed(.endpoint, endpointID, file) else {
            throw reader.fail(.endpointNotFound)
        }
        var endpoint = stored
        let record = StoredEndpoint.record(id: endpointID, document: endpoint)
        var changed = record
        let bytes: [UInt8]?
        switch requestType {
        case .add:
            // A remote endpoint describes another node's pod: it cannot live in a local compartment.
            if record.isRemote { throw reader.fail(.invalidRemoteEndpointOperation) }
            if record.namespace != nil { throw reader.fail(.endpointNamespaceAlreadyExists) }
            endpoint = endpoint.inserting("HostComputeNamespace", .string(id.description), after: "HostComputeNetwork")
            changed.namespace = id
            bytes = CompactSplice.inserting(
                "HostComputeNamespace", id.description, after: "HostComputeNetwork", in: file, of: stored)
        case .remove:
            guard record.namespace == id else { throw reader.fail(.elementNotFound) }
            endpoint["HostComputeNamespace"] = nil
            changed.namespace = nil
            bytes = CompactSplice.removing("HostComputeNamespace", in: file, of: stored)
        default:
            throw reader.fail(.requestUnsupported)
        }
        // Only the namespace differs: the records are not read from the documents again.
        try transaction.saveEndpoint(endpointID, endpoint, bytes: bytes, before: record, after: changed)
    }
}

/// Edits of a stored compact document's bytes that give exactly what serialising the edited document would, for
/// the one member a namespace change adds or removes: the rest of the file is copied, not serialised again. Each
/// returns nil (serialise the whole document) unless the text is unambiguous: the member and its anchor are
/// top-level strings of GUID characters, which appear in the text once, unescaped.
enum CompactSplice {
    /// `file` with `,"KEY":"VALUE"` just after the member `anchor` (as `JSONObject.inserting(_:_:after:)`).
    static func inserting(
        _ key: String, _ value: String, after anchor: String, in file: [UInt8], of document: JSONObject
    )
        -> [UInt8]?
    {
        guard document[key] == nil, let anchorValue = document[anchor]?.stringValue, isPlain(value),
            let range = memberRange(anchor, anchorValue, in: file)
        else { return nil }
        var result = Array(file[..<range.upperBound])
        result += member(key, value)
        result += file[range.upperBound...]
        return result
    }

    /// `file` without the member `key` (as setting it to nil), when it is not the first.
    static func removing(_ key: String, in file: [UInt8], of document: JSONObject) -> [UInt8]? {
        guard let value = document[key]?.stringValue, let range = memberRange(key, value, in: file) else { return nil }
        return Array(file[..<range.lowerBound]) + file[range.upperBound...]
    }

    /// Where `,"KEY":"VALUE"` is in `file`, when it is there exactly once.
    private static func memberRange(_ key: String, _ value: String, in file: [UInt8]) -> Range<Int>? {
        guard isPlain(key), isPlain(value) else { return nil }
        let pattern = member(key, value)
        var found: Range<Int>?
        var start = 0
        while start + pattern.count <= file.count {
            guard let comma = file[start...].firstIndex(of: UInt8(ascii: ",")) else { break }
            if comma + pattern.count <= file.count, file[comma..<(comma + pattern.count)].elementsEqual(pattern) {
                if found != nil { return nil }
                found = comma..<(comma + pattern.count)
            }
            start = comma + 1
        }
        // The member ends there: the next byte closes the object or starts the next member.
        guard let range = found, range.upperBound < file.count,
            file[range.upperBound] == UInt8(ascii: ",") || file[range.upperBound] == UInt8(ascii: "}")
        else { return nil }
        return range
    }

    private static func member(_ key: String, _ value: String) -> [UInt8] {
        Array((",\"" + key + "\":\"" + value + "\"").utf8)
    }

    /// Letters, digits and `-`: text JSON writes as it is.
    private static func isPlain(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            }
    }
}
