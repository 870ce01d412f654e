/// The Host Networking Service at the level of the HCN C API (`computenetwork.dll`): every call takes and returns
/// JSON documents as strings and fails with an `HCNError` carrying the HRESULT and HNS's error record.
///
/// Implementations: `HCNFunctionTableService` (calls through a table of C function pointers: on Windows the real
/// DLL, on Linux the simulator's `@convention(c)` thunks) and the simulator itself. Everything above this protocol
/// is platform-neutral and tested on Linux.
public protocol HostNetworkService: AnyObject {
    /// `HcnEnumerate{Networks,Endpoints,Namespaces}`: a JSON array of GUID strings matching `query`
    /// (a `HostComputeQuery` document; its `Filter` is a JSON string with v1 key names such as `Name`, `ID`,
    /// `VirtualNetwork`).
    func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String

    /// `HcnCreate{Network,Namespace}` (network nil) or `HcnCreateEndpoint` (network = an open network handle).
    /// `id` zero means HNS generates the ID.
    func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError) -> HCNHandle

    /// `HcnOpen{Network,Endpoint,Namespace}`.
    func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle

    /// `HcnQuery{Network,Endpoint,Namespace}Properties`: the object as a JSON document shaped by `query`.
    func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String

    /// `HcnModify{Network,Endpoint,Namespace}` with a `ModifyRequest` document.
    func modify(_ handle: HCNHandle, settings: String) throws(HCNError)

    /// `HcnDelete{Network,Endpoint,Namespace}`.
    func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError)

    /// `HcnClose{Network,Endpoint,Namespace}`.
    func close(_ handle: HCNHandle)

    /// v1 `HNSCall(method, path, request)` — used only for `GET /globals/version`. Returns the response envelope.
    func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String
}
