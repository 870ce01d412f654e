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
        if try applyByText(namespace: id, endpoint: endpointID, catalog: catalog) { return }
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

    /// Attaching a local endpoint to a namespace, or detaching it, as a pod ADD and DEL do, edited in the stored
    /// text: parsing the document and printing it again cost ~0.2 M instructions per call. The stored text is what
    /// `JSON.compact()` printed, so inserting `,"HostComputeNamespace":"ID"` just after the network's ID gives the
    /// same bytes as `inserting(_:_:after:)` and printing. The namespace column says whether the endpoint has one;
    /// anything else (a remote endpoint, a key that appears twice, an error to report) returns false and takes the
    /// general path, which reports it.
    private func applyByText(namespace id: GUID, endpoint: GUID, catalog: SimulatorCatalog) throws(HCNError) -> Bool {
        guard requestType == .add || requestType == .remove,
            let row = try catalog.endpointNamespaceRow(endpoint)
        else { return false }
        let text = Array(row.document.utf8)
        let namespaceKey = Array("\"HostComputeNamespace\":\"".utf8)
        var edited: [UInt8]
        if requestType == .add {
            guard row.namespace == nil, occurrences(namespaceKey, in: text).isEmpty else { return false }
            // Flags bit 0 marks a remote endpoint, which cannot join a namespace.
            let flagsKey = Array("\"Flags\":".utf8)
            let flags = occurrences(flagsKey, in: text)
            guard flags.count == 1 else { return false }
            var index = flags[0] + flagsKey.count
            var value: UInt64 = 0
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9"),
                value < 1 << 40
            {
                value = value * 10 + UInt64(text[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > flags[0] + flagsKey.count, index < text.count,
                text[index] == UInt8(ascii: ",") || text[index] == UInt8(ascii: "}"), value & 1 == 0
            else { return false }
            let networkKey = Array("\"HostComputeNetwork\":\"".utf8)
            let networks = occurrences(networkKey, in: text)
            guard networks.count == 1 else { return false }
            let end = networks[0] + networkKey.count + 36
            guard end < text.count, text[end] == UInt8(ascii: "\"") else { return false }
            edited = Array(text[...end])
            edited += Array(",".utf8) + namespaceKey + Array(id.description.utf8) + [UInt8(ascii: "\"")]
            edited += text[(end + 1)...]
        } else {
            guard row.namespace == id.description else { return false }
            let member = Array(",".utf8) + namespaceKey + Array(id.description.utf8) + [UInt8(ascii: "\"")]
            let found = occurrences(member, in: text)
            guard found.count == 1, occurrences(namespaceKey, in: text).count == 1 else { return false }
            edited = Array(text[..<found[0]]) + Array(text[(found[0] + member.count)...])
        }
        try catalog.setEndpointNamespace(
            endpoint, document: String(decoding: edited, as: UTF8.self), namespace: requestType == .add ? id : nil,
            conflict: .endpointNamespaceAlreadyExists)
        return true
    }
}

/// Where `needle` starts in `text`, every time. Through buffer pointers: the scan of an ~800-byte endpoint document
/// with array slices and `elementsEqual` cost ~8 K instructions a needle (25 K in a pod ADD's attach, 16 K in a DEL's
/// detach).
private func occurrences(_ needle: [UInt8], in text: [UInt8]) -> [Int] {
    guard !needle.isEmpty, text.count >= needle.count else { return [] }
    return text.withUnsafeBufferPointer { haystack in
        needle.withUnsafeBufferPointer { pattern in
            var result: [Int] = []
            let first = pattern[0]
            var start = 0
            while start <= haystack.count - pattern.count {
                if haystack[start] == first {
                    var matched = 1
                    while matched < pattern.count && haystack[start + matched] == pattern[matched] { matched += 1 }
                    if matched == pattern.count { result.append(start) }
                }
                start += 1
            }
            return result
        }
    }
}
