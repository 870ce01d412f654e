/// `PCWSTR`: a NUL-terminated UTF-16 string owned by the caller.
public typealias PCWSTR = UnsafePointer<UInt16>
/// `PWSTR*` out-parameter: the callee allocates (CoTaskMemAlloc on Windows) and the caller frees with
/// `coTaskMemFree`.
public typealias PWSTROut = UnsafeMutablePointer<UnsafeMutablePointer<UInt16>?>
/// `HCN_NETWORK*` / `HCN_ENDPOINT*` / `HCN_NAMESPACE*` out-parameter.
public typealias HandleOut = UnsafeMutablePointer<UnsafeMutableRawPointer?>
/// `REFGUID`: a pointer to the 16 bytes of a C `GUID` struct (see `GUID.memoryLayoutBytes`).
public typealias REFGUID = UnsafeRawPointer
/// The HRESULT every function returns, as its C type `LONG`.
public typealias HRESULTValue = Int32

/// The `computenetwork.dll` / `vmcompute.dll` entry points a CNI plugin uses, with their exact C signatures
/// (research/hns-api.md §1.1, §1.4). On Windows `HCNWindows` fills it with `GetProcAddress`; on Linux the simulator
/// fills it with `@convention(c)` thunks, so the UTF-16, GUID and ownership marshalling of
/// `HCNFunctionTableService` runs in every test.
public struct HCNFunctionTable: @unchecked Sendable {
    // HRESULT HcnEnumerateNetworks(PCWSTR Query, PWSTR* Networks, PWSTR* ErrorRecord)
    public typealias Enumerate = @convention(c) (PCWSTR?, PWSTROut?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnCreateNetwork(REFGUID Id, PCWSTR Settings, PHCN_NETWORK Network, PWSTR* ErrorRecord)
    public typealias Create = @convention(c) (REFGUID?, PCWSTR?, HandleOut?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnCreateEndpoint(HCN_NETWORK Network, REFGUID Id, PCWSTR Settings, PHCN_ENDPOINT Endpoint, PWSTR* ErrorRecord)
    public typealias CreateEndpoint =
        @convention(c) (UnsafeMutableRawPointer?, REFGUID?, PCWSTR?, HandleOut?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnOpenNetwork(REFGUID Id, PHCN_NETWORK Network, PWSTR* ErrorRecord)
    public typealias Open = @convention(c) (REFGUID?, HandleOut?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnModifyNetwork(HCN_NETWORK Network, PCWSTR Settings, PWSTR* ErrorRecord)
    public typealias Modify = @convention(c) (UnsafeMutableRawPointer?, PCWSTR?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnQueryNetworkProperties(HCN_NETWORK Network, PCWSTR Query, PWSTR* Properties, PWSTR* ErrorRecord)
    public typealias Query = @convention(c) (UnsafeMutableRawPointer?, PCWSTR?, PWSTROut?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnDeleteNetwork(REFGUID Id, PWSTR* ErrorRecord)
    public typealias Delete = @convention(c) (REFGUID?, PWSTROut?) -> HRESULTValue
    // HRESULT HcnCloseNetwork(HCN_NETWORK Network)
    public typealias Close = @convention(c) (UnsafeMutableRawPointer?) -> HRESULTValue
    // HRESULT HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR* Response)  (vmcompute.dll)
    public typealias HNSCall = @convention(c) (PCWSTR?, PCWSTR?, PCWSTR?, PWSTROut?) -> HRESULTValue
    // void CoTaskMemFree(LPVOID pv)  (ole32.dll)
    public typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void

    public var enumerateNetworks: Enumerate
    public var createNetwork: Create
    public var openNetwork: Open
    public var modifyNetwork: Modify
    public var queryNetworkProperties: Query
    public var deleteNetwork: Delete
    public var closeNetwork: Close

    public var enumerateEndpoints: Enumerate
    public var createEndpoint: CreateEndpoint
    public var openEndpoint: Open
    public var modifyEndpoint: Modify
    public var queryEndpointProperties: Query
    public var deleteEndpoint: Delete
    public var closeEndpoint: Close

    public var enumerateNamespaces: Enumerate
    public var createNamespace: Create
    public var openNamespace: Open
    public var modifyNamespace: Modify
    public var queryNamespaceProperties: Query
    public var deleteNamespace: Delete
    public var closeNamespace: Close

    public var hnsCall: HNSCall
    public var coTaskMemFree: Free

    public init(
        enumerateNetworks: Enumerate, createNetwork: Create, openNetwork: Open, modifyNetwork: Modify,
        queryNetworkProperties: Query, deleteNetwork: Delete, closeNetwork: Close,
        enumerateEndpoints: Enumerate, createEndpoint: CreateEndpoint, openEndpoint: Open, modifyEndpoint: Modify,
        queryEndpointProperties: Query, deleteEndpoint: Delete, closeEndpoint: Close,
        enumerateNamespaces: Enumerate, createNamespace: Create, openNamespace: Open, modifyNamespace: Modify,
        queryNamespaceProperties: Query, deleteNamespace: Delete, closeNamespace: Close,
        hnsCall: HNSCall, coTaskMemFree: Free
    ) {
        self.enumerateNetworks = enumerateNetworks
        self.createNetwork = createNetwork
        self.openNetwork = openNetwork
        self.modifyNetwork = modifyNetwork
        self.queryNetworkProperties = queryNetworkProperties
        self.deleteNetwork = deleteNetwork
        self.closeNetwork = closeNetwork
        self.enumerateEndpoints = enumerateEndpoints
        self.createEndpoint = createEndpoint
        self.openEndpoint = openEndpoint
        self.modifyEndpoint = modifyEndpoint
        self.queryEndpointProperties = queryEndpointProperties
        self.deleteEndpoint = deleteEndpoint
        self.closeEndpoint = closeEndpoint
        self.enumerateNamespaces = enumerateNamespaces
        self.createNamespace = createNamespace
        self.openNamespace = openNamespace
        self.modifyNamespace = modifyNamespace
        self.queryNamespaceProperties = queryNamespaceProperties
        self.deleteNamespace = deleteNamespace
        self.closeNamespace = closeNamespace
        self.hnsCall = hnsCall
        self.coTaskMemFree = coTaskMemFree
    }
}
