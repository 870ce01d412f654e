import HCN
import JSON

/// A marshalling client over an `HCNFunctionTable`: strings go in as NUL-terminated UTF-16, IDs as C `GUID`
/// structs, out-strings are decoded and released with the table's `coTaskMemFree`, and a failed HRESULT or a
/// non-empty error record (hcsshim's `checkForErrors`) becomes an `HCNError`. It stands in for the HCN module's
/// `HCNFunctionTableService` until that lands on main.
final class SimulatorTableClient: HostNetworkService {
    let table: HCNFunctionTable

    init(table: HCNFunctionTable) { self.table = table }

    func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        let function: HCNFunctionTable.Enumerate
        switch kind {
        case .network: function = table.enumerateNetworks
        case .endpoint: function = table.enumerateEndpoints
        case .namespace: function = table.enumerateNamespaces
        }
        var output: UnsafeMutablePointer<UInt16>?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWide(query) { function($0, &output, &record) }
        let text = take(output)
        try check(result, take(record), operation: "HcnEnumerate\(kind.rawValue)s")
        return text ?? ""
    }

    func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        var handle: UnsafeMutableRawPointer?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withGUID(id) { guid in
            withWide(settings) { text in
                switch kind {
                case .network: return table.createNetwork(guid, text, &handle, &record)
                case .namespace: return table.createNamespace(guid, text, &handle, &record)
                case .endpoint: return table.createEndpoint(network?.raw, guid, text, &handle, &record)
                }
            }
        }
        try check(result, take(record), operation: "HcnCreate\(kind.rawValue)")
        guard let handle else { throw missingOutput("HcnCreate\(kind.rawValue)") }
        return HCNHandle(kind: kind, raw: handle)
    }

    func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        let function: HCNFunctionTable.Open
        switch kind {
        case .network: function = table.openNetwork
        case .endpoint: function = table.openEndpoint
        case .namespace: function = table.openNamespace
        }
        var handle: UnsafeMutableRawPointer?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withGUID(id) { function($0, &handle, &record) }
        try check(result, take(record), operation: "HcnOpen\(kind.rawValue)")
        guard let handle else { throw missingOutput("HcnOpen\(kind.rawValue)") }
        return HCNHandle(kind: kind, raw: handle)
    }

    func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        let function: HCNFunctionTable.Query
        switch handle.kind {
        case .network: function = table.queryNetworkProperties
        case .endpoint: function = table.queryEndpointProperties
        case .namespace: function = table.queryNamespaceProperties
        }
        var output: UnsafeMutablePointer<UInt16>?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWide(query) { function(handle.raw, $0, &output, &record) }
        let text = take(output)
        try check(result, take(record), operation: "HcnQuery\(handle.kind.rawValue)Properties")
        return text ?? ""
    }

    func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        let function: HCNFunctionTable.Modify
        switch handle.kind {
        case .network: function = table.modifyNetwork
        case .endpoint: function = table.modifyEndpoint
        case .namespace: function = table.modifyNamespace
        }
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWide(settings) { function(handle.raw, $0, &record) }
        try check(result, take(record), operation: "HcnModify\(handle.kind.rawValue)")
    }

    func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        let function: HCNFunctionTable.Delete
        switch kind {
        case .network: function = table.deleteNetwork
        case .endpoint: function = table.deleteEndpoint
        case .namespace: function = table.deleteNamespace
        }
        var record: UnsafeMutablePointer<UInt16>?
        let result = withGUID(id) { function($0, &record) }
        try check(result, take(record), operation: "HcnDelete\(kind.rawValue)")
    }

    func close(_ handle: HCNHandle) {
        switch handle.kind {
        case .network: _ = table.closeNetwork(handle.raw)
        case .endpoint: _ = table.closeEndpoint(handle.raw)
        case .namespace: _ = table.closeNamespace(handle.raw)
        }
    }

    func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        var response: UnsafeMutablePointer<UInt16>?
        let result = withWide(method) { methodText in
            withWide(path) { pathText in
                withWide(request) { requestText in table.hnsCall(methodText, pathText, requestText, &response) }
            }
        }
        let text = take(response)
        if result < 0 { try check(result, text, operation: "HNSCall") }
        return text ?? ""
    }

    // MARK: - Marshalling

    private func withWide<T>(_ text: String, _ body: (PCWSTR?) -> T) -> T {
        let units = Array(text.utf16) + [0]
        return units.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    private func withGUID<T>(_ id: GUID, _ body: (REFGUID?) -> T) -> T {
        id.memoryLayoutBytes.withUnsafeBytes { body($0.baseAddress) }
    }

    /// Decodes an out-string and frees it.
    private func take(_ pointer: UnsafeMutablePointer<UInt16>?) -> String? {
        guard let pointer else { return nil }
        defer { table.coTaskMemFree(UnsafeMutableRawPointer(pointer)) }
        var count = 0
        while pointer[count] != 0 { count += 1 }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF16.self)
    }

    private func check(_ result: HRESULTValue, _ record: String?, operation: String) throws(HCNError) {
        let hasRecord = !(record ?? "").isEmpty
        guard result < 0 || hasRecord else { return }
        var code = HRESULT(UInt32(bitPattern: result))
        var message = SimulatorErrorCatalog.message(of: code) ?? "Error \(code)."
        if let record, let parsed = try? JSON.parse(record) {
            if let text = parsed["Error"]?.stringValue {
                var trimmed = Substring(text)
                while trimmed.last == " " { trimmed.removeLast() }
                message = String(trimmed)
            }
            if result >= 0, let recorded = parsed["ErrorCode"]?.uint64Value, recorded <= UInt64(UInt32.max) {
                code = HRESULT(UInt32(recorded))
            }
        }
        throw HCNError(
            operation: operation, code: code, name: SimulatorErrorCatalog.hcnName(of: code), message: message,
            errorRecord: record)
    }

    private func missingOutput(_ operation: String) -> HCNError {
        SimulatorErrorCatalog.error(operation, SimulatorCode.invalidPointer.hresult)
    }
}
