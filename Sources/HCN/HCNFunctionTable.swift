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
/// (research/hns-api.md §1.1, §1.4). On Windows the platform layer's loader fills it (`init(entries:)`); on Linux the simulator
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

    /// How many entry points the table holds, in member order: the 21 `Hcn*` functions, `HNSCall`, `CoTaskMemFree`.
    public static let entryCount = 23

    /// The table from `entryCount` C function addresses in member order, as the platform layer's loader
    /// (`wincni_hcn_load`) returns them from `computenetwork.dll`, `vmcompute.dll` and `ole32.dll`. The members
    /// carry the DLLs' exact signatures, and x64/arm64 Windows have one calling convention, so each address is
    /// reinterpreted as its member's type. nil when the count is wrong.
    public init?(entries: [UnsafeMutableRawPointer]) {
        guard entries.count == Self.entryCount else { return nil }
        func entry<Function>(_ index: Int, as type: Function.Type) -> Function {
            unsafeBitCast(entries[index], to: type)
        }
        self.init(
            enumerateNetworks: entry(0, as: Enumerate.self), createNetwork: entry(1, as: Create.self),
            openNetwork: entry(2, as: Open.self), modifyNetwork: entry(3, as: Modify.self),
            queryNetworkProperties: entry(4, as: Query.self), deleteNetwork: entry(5, as: Delete.self),
            closeNetwork: entry(6, as: Close.self),
            enumerateEndpoints: entry(7, as: Enumerate.self), createEndpoint: entry(8, as: CreateEndpoint.self),
            openEndpoint: entry(9, as: Open.self), modifyEndpoint: entry(10, as: Modify.self),
            queryEndpointProperties: entry(11, as: Query.self), deleteEndpoint: entry(12, as: Delete.self),
            closeEndpoint: entry(13, as: Close.self),
            enumerateNamespaces: entry(14, as: Enumerate.self), createNamespace: entry(15, as: Create.self),
            openNamespace: entry(16, as: Open.self), modifyNamespace: entry(17, as: Modify.self),
            queryNamespaceProperties: entry(18, as: Query.self), deleteNamespace: entry(19, as: Delete.self),
            closeNamespace: entry(20, as: Close.self),
            hnsCall: entry(21, as: HNSCall.self), coTaskMemFree: entry(22, as: Free.self))
    }
}
