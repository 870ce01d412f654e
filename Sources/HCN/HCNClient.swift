import JSON

/// Typed HNS v2 operations over a `HostNetworkService`, sequencing the C API calls the way hcsshim's `hcn`
/// package does: lookups are Enumerate (with a `Filter`) → Open → Query → Close per ID; creates are Create(zero
/// GUID, HNS picks the ID) → Query → Close; modifies are Open → Modify → Query → Close; deletes need no handle.
/// Lookups of absent objects return nil rather than failing.
public final class HCNClient {
    public let service: any HostNetworkService
    private var cachedVersion: (major: Int, minor: Int)?

    public init(service: any HostNetworkService) {
        self.service = service
    }

    // MARK: Networks

    public func networks() throws(HCNError) -> [HostComputeNetwork] {
        try list(.network, query: HostComputeQuery.defaultText, decode: HostComputeNetwork.init(json:))
    }

    /// The first network named `name` (hcsshim `GetNetworkByName`).
    public func network(named name: String) throws(HCNError) -> HostComputeNetwork? {
        try list(.network, query: HostComputeQuery.filterText("Name", name), decode: HostComputeNetwork.init(json:))
            .first
    }

    /// The first network named `name` with its handle left open (Enumerate → Open → Query, as `network(named:)`
    /// without the Close), so that endpoints are created on it without opening it again. Close it with
    /// `close(_:)`.
    public func openNetwork(named name: String) throws(HCNError) -> OpenNetwork? {
        let queryText = HostComputeQuery.filterText("Name", name)
        for id in try enumerateIDs(.network, query: queryText) {
            let handle: HCNHandle
            do {
                handle = try service.open(.network, id: id)
            } catch  where error.isNotFound {
                continue
            }
            do {
                let properties = try service.queryProperties(handle, query: queryText)
                let network = try parse(
                    properties, operation: "HcnQueryNetworkProperties", decode: HostComputeNetwork.init(json:))
                return OpenNetwork(network: network, handle: handle)
            } catch {
                service.close(handle)
                throw error
            }
        }
        return nil
    }

    public func close(_ network: OpenNetwork) { service.close(network.handle) }

    public func network(id: String) throws(HCNError) -> HostComputeNetwork? {
        try list(.network, query: HostComputeQuery.filterText("ID", id), decode: HostComputeNetwork.init(json:)).first
    }

    /// Creates `network` after the checks hcsshim makes client-side (`HostComputeNetwork.validate()`).
    public func createNetwork(_ network: HostComputeNetwork) throws(HCNError) -> HostComputeNetwork {
        do {
            try network.validate()
        } catch {
            throw HCNError(
                operation: "HcnCreateNetwork", code: HRESULT(0x8007_0057), hnsMessage: error.description)
        }
        let handle = try service.create(.network, id: .zero, settings: network.json.compact(), network: nil)
        defer { service.close(handle) }
        return try query(handle, decode: HostComputeNetwork.init(json:))
    }

    public func deleteNetwork(id: String) throws(HCNError) {
        try service.delete(.network, id: guid(id, of: .network, for: "Delete"))
    }

    /// Applies a modify request to a network (e.g. `ModifyRequest.networkPolicies(.add, [...])`) and returns the
    /// network as HNS now has it.
    @discardableResult
    public func modifyNetwork(id: String, _ request: ModifyRequest) throws(HCNError) -> HostComputeNetwork {
        let handle = try service.open(.network, id: guid(id, of: .network))
        defer { service.close(handle) }
        try service.modify(handle, settings: request.json.compact())
        return try query(handle, decode: HostComputeNetwork.init(json:))
    }

    // MARK: Endpoints

    /// All endpoints, or those of one network (filter `{"VirtualNetwork":id}`, the v1 key hcsshim's
    /// `ListEndpointsOfNetwork` uses).
    public func endpoints(networkID: String?) throws(HCNError) -> [HostComputeEndpoint] {
        let query = networkID.map { HostComputeQuery.filterText("VirtualNetwork", $0) } ?? HostComputeQuery.defaultText
        return try list(.endpoint, query: query, decode: HostComputeEndpoint.init(json:))
    }

    /// The first endpoint named `name`. Endpoint names are not unique in HNS.
    public func endpoint(named name: String) throws(HCNError) -> HostComputeEndpoint? {
        try list(.endpoint, query: HostComputeQuery.filterText("Name", name), decode: HostComputeEndpoint.init(json:))
            .first
    }

    /// Every endpoint named `name` (one enumeration).
    public func endpoints(named name: String) throws(HCNError) -> [HostComputeEndpoint] {
        try list(.endpoint, query: HostComputeQuery.filterText("Name", name), decode: HostComputeEndpoint.init(json:))
    }

    public func endpoint(id: String) throws(HCNError) -> HostComputeEndpoint? {
        try list(.endpoint, query: HostComputeQuery.filterText("ID", id), decode: HostComputeEndpoint.init(json:))
            .first
    }

    /// Creates `endpoint` on network `networkID` (hcsshim `network.CreateEndpoint`: Open network →
    /// CreateEndpoint(zero GUID) → Query → Close endpoint → Close network). `HostComputeNetwork` is set to the
    /// network's ID, as hcsshim does.
    public func createEndpoint(_ endpoint: HostComputeEndpoint, networkID: String) throws(HCNError)
        -> HostComputeEndpoint
    {
        var endpoint = endpoint
        endpoint.hostComputeNetwork = networkID
        return try createEndpoint(settings: endpoint.json.compact(), name: endpoint.name, networkID: networkID)
    }

    /// The same from a v2 endpoint document the caller built itself (its `HostComputeNetwork` must be
    /// `networkID`): sent as it is, without a decode and re-encode.
    public func createEndpoint(settings: String, name: String, networkID: String) throws(HCNError)
        -> HostComputeEndpoint
    {
        let network = try service.open(.network, id: guid(networkID, of: .network))
        defer { service.close(network) }
        let handle = try service.create(.endpoint, id: .zero, settings: settings, network: network)
        defer { service.close(handle) }
        do {
            return try query(handle, decode: HostComputeEndpoint.init(json:))
        } catch {
            // HNS made the endpoint but it cannot be read back, so the caller never learns its ID and cannot undo
            // it: remove it here (found by name on this network, still outside any namespace) before failing.
            removeUnreadableEndpoint(named: name, networkID: networkID)
            throw error
        }
    }

    /// The same on a network opened by `openNetwork(named:)`, which stays open.
    public func createEndpoint(settings: String, name: String, on network: OpenNetwork) throws(HCNError)
        -> HostComputeEndpoint
    {
        let handle = try service.create(.endpoint, id: .zero, settings: settings, network: network.handle)
        defer { service.close(handle) }
        do {
            return try query(handle, decode: HostComputeEndpoint.init(json:))
        } catch {
            removeUnreadableEndpoint(named: name, networkID: network.network.id)
            throw error
        }
    }

    private func removeUnreadableEndpoint(named name: String, networkID: String) {
        guard let network = GUID(networkID),
            let candidates = try? list(
                .endpoint, query: HostComputeQuery.filterText("Name", name), decode: HostComputeEndpoint.init(json:))
        else { return }
        for candidate in candidates
        where GUID(candidate.hostComputeNetwork) == network && candidate.hostComputeNamespace == nil {
            if let id = GUID(candidate.id) { try? service.delete(.endpoint, id: id) }
        }
    }

    public func deleteEndpoint(id: String) throws(HCNError) {
        try service.delete(.endpoint, id: guid(id, of: .endpoint, for: "Delete"))
    }

    /// Applies a modify request to an endpoint (e.g. `ModifyRequest.endpointPolicies(.add, [...])`).
    @discardableResult
    public func modifyEndpoint(id: String, _ request: ModifyRequest) throws(HCNError) -> HostComputeEndpoint {
        let handle = try service.open(.endpoint, id: guid(id, of: .endpoint))
        defer { service.close(handle) }
        try service.modify(handle, settings: request.json.compact())
        return try query(handle, decode: HostComputeEndpoint.init(json:))
    }

    // MARK: Namespaces

    public func namespaces() throws(HCNError) -> [HostComputeNamespace] {
        try list(.namespace, query: HostComputeQuery.defaultText, decode: HostComputeNamespace.init(json:))
    }

    public func namespace(id: String) throws(HCNError) -> HostComputeNamespace? {
        try list(.namespace, query: HostComputeQuery.filterText("ID", id), decode: HostComputeNamespace.init(json:))
            .first
    }

    public func createNamespace(_ namespace: HostComputeNamespace) throws(HCNError) -> HostComputeNamespace {
        let handle = try service.create(.namespace, id: .zero, settings: namespace.json.compact(), network: nil)
        defer { service.close(handle) }
        return try query(handle, decode: HostComputeNamespace.init(json:))
    }

    public func deleteNamespace(id: String) throws(HCNError) {
        try service.delete(.namespace, id: guid(id, of: .namespace, for: "Delete"))
    }

    /// hcsshim `AddNamespaceEndpoint`: HcnModifyNamespace with
    /// `{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":…}}`. Unlike hcsshim, the
    /// namespace is not queried afterwards: nobody reads the answer, and the plugin does this for every pod.
    public func addEndpoint(_ endpointID: String, toNamespace namespaceID: String) throws(HCNError) {
        try modify(namespaceID, settings: ModifyRequest.namespaceEndpointText(.add, endpointID))
    }

    /// hcsshim `RemoveNamespaceEndpoint` (without its query, as `addEndpoint`).
    public func removeEndpoint(_ endpointID: String, fromNamespace namespaceID: String) throws(HCNError) {
        try modify(namespaceID, settings: ModifyRequest.namespaceEndpointText(.remove, endpointID))
    }

    private func modify(_ namespaceID: String, settings: String) throws(HCNError) {
        let handle = try service.open(.namespace, id: guid(namespaceID, of: .namespace))
        defer { service.close(handle) }
        try service.modify(handle, settings: settings)
    }

    @discardableResult
    public func modifyNamespace(id: String, _ request: ModifyRequest) throws(HCNError) -> HostComputeNamespace {
        let handle = try service.open(.namespace, id: guid(id, of: .namespace))
        defer { service.close(handle) }
        try service.modify(handle, settings: request.json.compact())
        return try query(handle, decode: HostComputeNamespace.init(json:))
    }

    // MARK: Version and features

    /// HNS's version from v1 `GET /globals/version` (`{"Success":true,"Output":{"Major":N,"Minor":M}}`).
    public func hnsVersion() throws(HCNError) -> (major: Int, minor: Int) {
        if let cachedVersion { return cachedVersion }
        let response = try service.hnsCall(method: "GET", path: "/globals/version", request: "")
        let operation = "HNSCall GET /globals/version"
        guard let envelope = try? JSON.parse(response), let object = envelope.objectValue else {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidJSON,
                hnsMessage: "HNS answered with something that is not a JSON object: \(response)")
        }
        if object.value(goKey: "Success")?.boolValue != true {
            var error = HCNError.fromErrorRecord(operation: operation, result: nil, record: response)
            error.message = "HNS failed with error : " + error.message
            throw error
        }
        guard let output = object.value(goKey: "Output"), let major = output[goKey: "Major"]?.int64Value,
            let minor = output[goKey: "Minor"]?.int64Value
        else {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidJSON,
                hnsMessage: "HNS version answer has no Output.Major/Minor: \(response)")
        }
        let version = (major: Int(major), minor: Int(minor))
        cachedVersion = version
        return version
    }

    /// Whether this HNS has `feature`. As in hcsshim, an HNS that cannot report its version (before Windows
    /// 1803) supports none of them.
    public func supports(_ feature: HNSFeature) throws(HCNError) -> Bool {
        guard let version = try? hnsVersion() else { return false }
        return feature.isSupported(byHNSVersion: version)
    }

    // MARK: Plumbing

    /// Enumerate with `query`, then Open → Query (same query) → Close each ID. An object deleted between the
    /// enumeration and the open is skipped (hcsshim would fail the whole listing).
    private func list<Value>(
        _ kind: HCNResourceKind, query queryText: String, decode: (JSON) throws(HCNDecodingError) -> Value
    ) throws(HCNError) -> [Value] {
        let ids = try enumerateIDs(kind, query: queryText)
        var values: [Value] = []
        for id in ids {
            let handle: HCNHandle
            do {
                handle = try service.open(kind, id: id)
            } catch  where error.isNotFound {
                continue
            }
            defer { service.close(handle) }
            let properties = try service.queryProperties(handle, query: queryText)
            values.append(try parse(properties, operation: "HcnQuery\(kind.rawValue)Properties", decode: decode))
        }
        return values
    }

    private func enumerateIDs(_ kind: HCNResourceKind, query: String) throws(HCNError) -> [GUID] {
        let operation = "HcnEnumerate\(kind.rawValue)s"
        let text = try service.enumerate(kind, query: query)
        if trimmed(text).isEmpty { return [] }
        guard let parsed = try? JSON.parse(text), let elements = parsed.arrayValue else {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidJSON,
                hnsMessage: "HNS returned \(text) where a JSON array of IDs belongs")
        }
        var ids: [GUID] = []
        for element in elements {
            guard let text = element.stringValue, let id = GUID(text) else {
                throw HCNError(
                    operation: operation, code: HCNErrorCatalog.guidConversionFailure,
                    hnsMessage: "HNS returned \(element.compact()) where an object ID belongs")
            }
            ids.append(id)
        }
        return ids
    }

    private func query<Value>(_ handle: HCNHandle, decode: (JSON) throws(HCNDecodingError) -> Value) throws(HCNError)
        -> Value
    {
        let properties = try service.queryProperties(handle, query: HostComputeQuery.defaultText)
        return try parse(properties, operation: "HcnQuery\(handle.kind.rawValue)Properties", decode: decode)
    }

    private func parse<Value>(
        _ text: String, operation: String, decode: (JSON) throws(HCNDecodingError) -> Value
    ) throws(HCNError) -> Value {
        let document: JSON
        do {
            document = try JSON.parse(text)
        } catch {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidJSON,
                hnsMessage: "HNS returned a document that is not JSON (\(error))")
        }
        do {
            return try decode(document)
        } catch {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidJSON,
                hnsMessage: "HNS returned a document wincni cannot read: \(error)")
        }
    }

    private func guid(_ text: String, of kind: HCNResourceKind, for verb: String = "Open") throws(HCNError) -> GUID {
        guard let id = GUID(text) else {
            throw HCNError(
                operation: "Hcn\(verb)\(kind.rawValue)", code: HCNErrorCatalog.guidConversionFailure,
                hnsMessage: "\(kind.rawValue.lowercased()) ID \"\(text)\" is not a GUID")
        }
        return id
    }
}

/// A network found by `HCNClient.openNetwork(named:)`: its document and the handle still open on it.
public struct OpenNetwork {
    public let network: HostComputeNetwork
    public let handle: HCNHandle
}
