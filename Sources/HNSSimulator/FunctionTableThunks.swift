import CSQLite
import HCN
import Platform

extension HNSSimulator {
    /// A `HostNetworkService` that goes through the C function table (UTF-16 strings, GUID structs, out-parameters
    /// freed with `coTaskMemFree`) into a simulator on `directory`: the marshalling real Windows uses, run on Linux.
    public static func functionTableService(directory: String) throws(HCNError) -> any HostNetworkService {
        let simulator = try HNSSimulator(directory: directory)
        return SimulatorBoundService(inner: HCNFunctionTableService(table: functionTable), simulator: simulator)
    }

    /// Runs `body` with `functionTable` bound to this simulator on the calling thread, for code that calls the C
    /// entry points itself.
    public func withFunctionTable<T, E: Error>(_ body: (HCNFunctionTable) throws(E) -> T) throws(E) -> T {
        try SimulatorRegistry.shared.with(self) { () throws(E) -> T in try body(HNSSimulator.functionTable) }
    }

    /// The `computenetwork.dll`-shaped table whose entries are `@convention(c)` thunks into the simulator. Calls
    /// that take a handle find the simulator through it; the others use the one bound to the calling thread by
    /// `functionTableService` (or, outside such a call, the one most recently created).
    public static let functionTable = HCNFunctionTable(
        enumerateNetworks: { query, output, record in enumerateThunk(.network, query, output, record) },
        createNetwork: { id, settings, handle, record in createThunk(.network, nil, id, settings, handle, record) },
        openNetwork: { id, handle, record in openThunk(.network, id, handle, record) },
        modifyNetwork: { handle, settings, record in modifyThunk(.network, handle, settings, record) },
        queryNetworkProperties: { handle, query, output, record in queryThunk(.network, handle, query, output, record)
        },
        deleteNetwork: { id, record in deleteThunk(.network, id, record) },
        closeNetwork: { handle in closeThunk(.network, handle) },
        enumerateEndpoints: { query, output, record in enumerateThunk(.endpoint, query, output, record) },
        createEndpoint: { network, id, settings, handle, record in
            createThunk(.endpoint, network, id, settings, handle, record)
        },
        openEndpoint: { id, handle, record in openThunk(.endpoint, id, handle, record) },
        modifyEndpoint: { handle, settings, record in modifyThunk(.endpoint, handle, settings, record) },
        queryEndpointProperties: { handle, query, output, record in
            queryThunk(.endpoint, handle, query, output, record)
        },
        deleteEndpoint: { id, record in deleteThunk(.endpoint, id, record) },
        closeEndpoint: { handle in closeThunk(.endpoint, handle) },
        enumerateNamespaces: { query, output, record in enumerateThunk(.namespace, query, output, record) },
        createNamespace: { id, settings, handle, record in createThunk(.namespace, nil, id, settings, handle, record) },
        openNamespace: { id, handle, record in openThunk(.namespace, id, handle, record) },
        modifyNamespace: { handle, settings, record in modifyThunk(.namespace, handle, settings, record) },
        queryNamespaceProperties: { handle, query, output, record in
            queryThunk(.namespace, handle, query, output, record)
        },
        deleteNamespace: { id, record in deleteThunk(.namespace, id, record) },
        closeNamespace: { handle in closeThunk(.namespace, handle) },
        hnsCall: { method, path, request, response in hnsCallThunk(method, path, request, response) },
        coTaskMemFree: { pointer in pointer?.deallocate() }
    )
}

/// Which simulator the thunks serve: the table is plain C function pointers with no context, so the simulator is
/// found through the handle, else through a per-thread binding, else the most recently created one.
final class SimulatorRegistry: @unchecked Sendable {
    static let shared = SimulatorRegistry()

    private let mutex = sqlite3_mutex_alloc(SQLITE_MUTEX_FAST)
    private weak var latest: HNSSimulator?

    private init() {}

    func register(_ simulator: HNSSimulator) {
        sqlite3_mutex_enter(mutex)
        latest = simulator
        sqlite3_mutex_leave(mutex)
    }

    /// Binds `simulator` to the calling thread for the duration of `body` (the caller keeps it alive).
    func with<T, E: Error>(_ simulator: HNSSimulator, _ body: () throws(E) -> T) throws(E) -> T {
        let previous = ThreadSlot.value
        ThreadSlot.value = Unmanaged.passUnretained(simulator).toOpaque()
        defer { ThreadSlot.value = previous }
        return try body()
    }

    var current: HNSSimulator? {
        if let bound = ThreadSlot.value {
            return Unmanaged<HNSSimulator>.fromOpaque(bound).takeUnretainedValue()
        }
        sqlite3_mutex_enter(mutex)
        defer { sqlite3_mutex_leave(mutex) }
        return latest
    }
}

/// Forwards to `HCNFunctionTableService` (the client the plugin uses on Windows) with the simulator bound to the calling thread, so that thunks without a handle
/// reach this service's simulator even when several simulators live in one process (parallel tests).
final class SimulatorBoundService: HostNetworkService {
    let inner: any HostNetworkService
    let simulator: HNSSimulator

    init(inner: any HostNetworkService, simulator: HNSSimulator) {
        self.inner = inner
        self.simulator = simulator
        SimulatorRegistry.shared.register(simulator)
    }

    func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in try inner.enumerate(kind, query: query) }
    }

    func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in
            try inner.create(kind, id: id, settings: settings, network: network)
        }
    }

    func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in try inner.open(kind, id: id) }
    }

    func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in
            try inner.queryProperties(handle, query: query)
        }
    }

    func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in
            try inner.modify(handle, settings: settings)
        }
    }

    func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in try inner.delete(kind, id: id) }
    }

    func close(_ handle: HCNHandle) {
        try? SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in inner.close(handle) }
    }

    func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        try SimulatorRegistry.shared.with(simulator) { () throws(HCNError) in
            try inner.hnsCall(method: method, path: path, request: request)
        }
    }
}

// MARK: - Thunks

private let S_OK: HRESULTValue = 0

private func code(_ simulatorCode: SimulatorCode) -> HRESULTValue {
    HRESULTValue(bitPattern: simulatorCode.hresult.rawValue)
}

/// A NUL-terminated UTF-16 string from the caller.
func decodeWide(_ pointer: PCWSTR?) -> String? {
    guard let pointer else { return nil }
    var count = 0
    while pointer[count] != 0 { count += 1 }
    return decodeUTF16(UnsafeBufferPointer(start: pointer, count: count))
}

/// A NUL-terminated UTF-16 copy the caller frees with `coTaskMemFree` (here the Swift allocator's `deallocate`).
func allocateWide(_ text: String) -> UnsafeMutablePointer<UInt16>? {
    var utf8 = text
    return utf8.withUTF8 { bytes -> UnsafeMutablePointer<UInt16>? in
        // HCN documents are ASCII almost always: then each byte is one UTF-16 unit.
        for byte in bytes where byte >= 0x80 { return allocateWide(units: Array(text.utf16)) }
        let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: bytes.count + 1)
        for offset in 0..<bytes.count { buffer[offset] = UInt16(bytes[offset]) }
        buffer[bytes.count] = 0
        return buffer
    }
}

private func allocateWide(units: [UInt16]) -> UnsafeMutablePointer<UInt16>? {
    let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: units.count + 1)
    for (offset, unit) in units.enumerated() { buffer[offset] = unit }
    buffer[units.count] = 0
    return buffer
}

private func failed(_ error: HCNError, _ record: PWSTROut?) -> HRESULTValue {
    record?.pointee = allocateWide(
        error.errorRecord ?? SimulatorErrorCatalog.errorRecord(text: error.message, code: error.code))
    return HRESULTValue(bitPattern: error.code.rawValue)
}

private func guid(_ pointer: REFGUID?) -> GUID { pointer.map { GUID(memoryLayout: $0) } ?? .zero }

private func owner(_ handle: UnsafeMutableRawPointer?) -> HNSSimulator? {
    handle.map { Unmanaged<SimulatorHandle>.fromOpaque($0).takeUnretainedValue().simulator }
}

private func enumerateThunk(_ kind: HCNResourceKind, _ query: PCWSTR?, _ output: PWSTROut?, _ record: PWSTROut?)
    -> HRESULTValue
{
    output?.pointee = nil
    record?.pointee = nil
    guard let output else { return code(.invalidPointer) }
    guard let simulator = SimulatorRegistry.shared.current else { return code(.unspecified) }
    do {
        output.pointee = allocateWide(try simulator.enumerate(kind, query: decodeWide(query) ?? ""))
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func createThunk(
    _ kind: HCNResourceKind, _ network: UnsafeMutableRawPointer?, _ id: REFGUID?, _ settings: PCWSTR?,
    _ handle: HandleOut?, _ record: PWSTROut?
) -> HRESULTValue {
    handle?.pointee = nil
    record?.pointee = nil
    guard let handle else { return code(.invalidPointer) }
    guard let settings = decodeWide(settings) else { return code(.invalidParameter) }
    let simulator = kind == .endpoint ? owner(network) : SimulatorRegistry.shared.current
    guard let simulator else { return code(kind == .endpoint ? .invalidHandle : .unspecified) }
    do {
        let networkHandle = network.map { HCNHandle(kind: .network, raw: $0) }
        let created = try simulator.create(kind, id: guid(id), settings: settings, network: networkHandle)
        handle.pointee = created.raw
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func openThunk(_ kind: HCNResourceKind, _ id: REFGUID?, _ handle: HandleOut?, _ record: PWSTROut?)
    -> HRESULTValue
{
    handle?.pointee = nil
    record?.pointee = nil
    guard let handle, let id else { return code(.invalidPointer) }
    guard let simulator = SimulatorRegistry.shared.current else { return code(.unspecified) }
    do {
        handle.pointee = try simulator.open(kind, id: GUID(memoryLayout: id)).raw
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func modifyThunk(
    _ kind: HCNResourceKind, _ handle: UnsafeMutableRawPointer?, _ settings: PCWSTR?, _ record: PWSTROut?
) -> HRESULTValue {
    record?.pointee = nil
    guard let handle, let simulator = owner(handle) else { return code(.invalidHandle) }
    guard let settings = decodeWide(settings) else { return code(.invalidParameter) }
    do {
        try simulator.modify(HCNHandle(kind: kind, raw: handle), settings: settings)
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func queryThunk(
    _ kind: HCNResourceKind, _ handle: UnsafeMutableRawPointer?, _ query: PCWSTR?, _ output: PWSTROut?,
    _ record: PWSTROut?
) -> HRESULTValue {
    output?.pointee = nil
    record?.pointee = nil
    guard let output else { return code(.invalidPointer) }
    guard let handle, let simulator = owner(handle) else { return code(.invalidHandle) }
    do {
        output.pointee = allocateWide(
            try simulator.queryProperties(HCNHandle(kind: kind, raw: handle), query: decodeWide(query) ?? ""))
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func deleteThunk(_ kind: HCNResourceKind, _ id: REFGUID?, _ record: PWSTROut?) -> HRESULTValue {
    record?.pointee = nil
    guard let id else { return code(.invalidPointer) }
    guard let simulator = SimulatorRegistry.shared.current else { return code(.unspecified) }
    do {
        try simulator.delete(kind, id: GUID(memoryLayout: id))
        return S_OK
    } catch {
        return failed(error, record)
    }
}

private func closeThunk(_ kind: HCNResourceKind, _ handle: UnsafeMutableRawPointer?) -> HRESULTValue {
    guard let handle, let simulator = owner(handle) else { return code(.invalidHandle) }
    simulator.close(HCNHandle(kind: kind, raw: handle))
    return S_OK
}

private func hnsCallThunk(_ method: PCWSTR?, _ path: PCWSTR?, _ request: PCWSTR?, _ response: PWSTROut?)
    -> HRESULTValue
{
    response?.pointee = nil
    guard let response else { return code(.invalidPointer) }
    guard let method = decodeWide(method), let path = decodeWide(path) else { return code(.invalidParameter) }
    guard let simulator = SimulatorRegistry.shared.current else { return code(.unspecified) }
    do {
        response.pointee = allocateWide(
            try simulator.hnsCall(method: method, path: path, request: decodeWide(request) ?? ""))
        return S_OK
    } catch {
        return failed(error, response)
    }
}
