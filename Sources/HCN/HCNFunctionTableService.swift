import JSON

/// `HostNetworkService` over a table of C function pointers with the `computenetwork.dll` signatures: strings go
/// in as NUL-terminated UTF-16, IDs as 16-byte C `GUID` structs; every string HNS hands back (result, error
/// record) is copied and then released with `coTaskMemFree`, on success and on failure alike. A call fails when
/// the HRESULT is negative or when the error record is non-empty, as hcsshim's `checkForErrors` decides.
public final class HCNFunctionTableService: HostNetworkService {
    public let table: HCNFunctionTable

    public init(table: HCNFunctionTable) {
        self.table = table
    }

    public func enumerate(_ kind: HCNResourceKind, query: String) throws(HCNError) -> String {
        let function: HCNFunctionTable.Enumerate
        switch kind {
        case .network: function = table.enumerateNetworks
        case .endpoint: function = table.enumerateEndpoints
        case .namespace: function = table.enumerateNamespaces
        }
        var output: UnsafeMutablePointer<UInt16>?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWideString(query) { query in function(query, &output, &record) }
        let text = takeString(&output)
        try check(result, record: takeString(&record), operation: "HcnEnumerate\(kind.rawValue)s")
        // An empty answer means no objects; hcsshim would fail to decode it, HNS sends "[]".
        return text ?? "[]"
    }

    public func create(_ kind: HCNResourceKind, id: GUID, settings: String, network: HCNHandle?) throws(HCNError)
        -> HCNHandle
    {
        var handle: UnsafeMutableRawPointer?
        var record: UnsafeMutablePointer<UInt16>?
        let operation = "HcnCreate\(kind.rawValue)"
        let result: HRESULTValue = withGUID(id) { id in
            withWideString(settings) { settings in
                switch kind {
                case .network: return table.createNetwork(id, settings, &handle, &record)
                case .namespace: return table.createNamespace(id, settings, &handle, &record)
                case .endpoint: return table.createEndpoint(network?.raw, id, settings, &handle, &record)
                }
            }
        }
        return try acceptHandle(handle, result, record: takeString(&record), kind: kind, operation: operation)
    }

    public func open(_ kind: HCNResourceKind, id: GUID) throws(HCNError) -> HCNHandle {
        let function: HCNFunctionTable.Open
        switch kind {
        case .network: function = table.openNetwork
        case .endpoint: function = table.openEndpoint
        case .namespace: function = table.openNamespace
        }
        var handle: UnsafeMutableRawPointer?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withGUID(id) { id in function(id, &handle, &record) }
        return try acceptHandle(
            handle, result, record: takeString(&record), kind: kind, operation: "HcnOpen\(kind.rawValue)")
    }

    /// The handle a Create or Open returned, once the call is known to have succeeded. A handle returned together
    /// with a failure is closed (it would leak the object's handle); success without a handle is an error.
    private func acceptHandle(
        _ handle: UnsafeMutableRawPointer?, _ result: HRESULTValue, record: String?, kind: HCNResourceKind,
        operation: String
    ) throws(HCNError) -> HCNHandle {
        do {
            try check(result, record: record, operation: operation)
        } catch {
            if let handle { closeRaw(kind, handle) }
            throw error
        }
        guard let handle else {
            throw HCNError(
                operation: operation, code: HCNErrorCatalog.invalidPointer, hnsMessage: "HNS returned no handle")
        }
        return HCNHandle(kind: kind, raw: handle)
    }

    public func queryProperties(_ handle: HCNHandle, query: String) throws(HCNError) -> String {
        let function: HCNFunctionTable.Query
        switch handle.kind {
        case .network: function = table.queryNetworkProperties
        case .endpoint: function = table.queryEndpointProperties
        case .namespace: function = table.queryNamespaceProperties
        }
        var properties: UnsafeMutablePointer<UInt16>?
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWideString(query) { query in function(handle.raw, query, &properties, &record) }
        let text = takeString(&properties)
        try check(result, record: takeString(&record), operation: "HcnQuery\(handle.kind.rawValue)Properties")
        return text ?? ""
    }

    public func modify(_ handle: HCNHandle, settings: String) throws(HCNError) {
        let function: HCNFunctionTable.Modify
        switch handle.kind {
        case .network: function = table.modifyNetwork
        case .endpoint: function = table.modifyEndpoint
        case .namespace: function = table.modifyNamespace
        }
        var record: UnsafeMutablePointer<UInt16>?
        let result = withWideString(settings) { settings in function(handle.raw, settings, &record) }
        try check(result, record: takeString(&record), operation: "HcnModify\(handle.kind.rawValue)")
    }

    public func delete(_ kind: HCNResourceKind, id: GUID) throws(HCNError) {
        let function: HCNFunctionTable.Delete
        switch kind {
        case .network: function = table.deleteNetwork
        case .endpoint: function = table.deleteEndpoint
        case .namespace: function = table.deleteNamespace
        }
        var record: UnsafeMutablePointer<UInt16>?
        let result = withGUID(id) { id in function(id, &record) }
        try check(result, record: takeString(&record), operation: "HcnDelete\(kind.rawValue)")
    }

    public func close(_ handle: HCNHandle) {
        closeRaw(handle.kind, handle.raw)
    }

    public func hnsCall(method: String, path: String, request: String) throws(HCNError) -> String {
        var response: UnsafeMutablePointer<UInt16>?
        let result = withWideString(method) { method in
            withWideString(path) { path in
                withWideString(request) { request in table.hnsCall(method, path, request, &response) }
            }
        }
        let text = takeString(&response)
        if result < 0 {
            // The response, when there is one, is the v1 envelope {"Success":false,"Error":"..."}.
            throw HCNError.fromErrorRecord(
                operation: "HNSCall", result: HRESULT(UInt32(bitPattern: result)),
                record: text.flatMap { $0.isEmpty ? nil : $0 })
        }
        return text ?? ""
    }

    // MARK: - Marshalling

    private func closeRaw(_ kind: HCNResourceKind, _ raw: UnsafeMutableRawPointer) {
        switch kind {
        case .network: _ = table.closeNetwork(raw)
        case .endpoint: _ = table.closeEndpoint(raw)
        case .namespace: _ = table.closeNamespace(raw)
        }
    }

    /// Copies an out-string and frees it with `coTaskMemFree`, leaving the pointer nil.
    private func takeString(_ pointer: inout UnsafeMutablePointer<UInt16>?) -> String? {
        guard let buffer = pointer else { return nil }
        pointer = nil
        defer { table.coTaskMemFree(UnsafeMutableRawPointer(buffer)) }
        var length = 0
        while buffer[length] != 0 { length += 1 }
        return decodeUTF16(UnsafeBufferPointer(start: buffer, count: length))
    }

    /// hcsshim semantics: a negative HRESULT, or any non-empty error record, is a failure.
    private func check(_ result: HRESULTValue, record: String?, operation: String) throws(HCNError) {
        let record = record.flatMap { $0.isEmpty ? nil : $0 }
        guard result < 0 || record != nil else { return }
        throw HCNError.fromErrorRecord(
            operation: operation, result: result < 0 ? HRESULT(UInt32(bitPattern: result)) : nil, record: record)
    }
}

extension HCNError {
    /// Builds the error of a failed call from its HRESULT (nil when HNS returned success but an error record) and
    /// its error record `{"Success":false,"Error":"<message> ","ErrorCode":<code>}`.
    public static func fromErrorRecord(operation: String, result: HRESULT?, record: String?) -> HCNError {
        var message: String?
        var recordCode: HRESULT?
        if let record {
            if let parsed = try? JSON.parse(record), let object = parsed.objectValue {
                message = object.value(goKey: "Error")?.stringValue.map(trimmed)
                if let number = object.value(goKey: "ErrorCode") {
                    if let value = number.uint64Value, let code = UInt32(exactly: value) {
                        recordCode = HRESULT(code)
                    } else if let value = number.int64Value, let code = Int32(exactly: value) {
                        recordCode = HRESULT(UInt32(bitPattern: code))
                    }
                }
            } else {
                message = trimmed(record)
            }
            if message?.isEmpty == true { message = nil }
        }
        let code = result ?? recordCode ?? HCNErrorCatalog.unspecifiedFailure
        return HCNError(operation: operation, code: code, hnsMessage: message, errorRecord: record)
    }
}

/// HNS ends its messages with a space (and sometimes a line break); they are shown without.
func trimmed(_ text: String) -> String {
    var scalars = Substring(text)
    while let last = scalars.last, last == " " || last == "\n" || last == "\r" || last == "\t" {
        scalars.removeLast()
    }
    while let first = scalars.first, first == " " || first == "\n" || first == "\r" || first == "\t" {
        scalars.removeFirst()
    }
    return String(scalars)
}

/// Runs `body` with `text` as a NUL-terminated UTF-16 string.
func withWideString<Result>(_ text: String, _ body: (UnsafePointer<UInt16>?) -> Result) -> Result {
    var text = text
    // ASCII (HCN documents almost always are): one code unit per byte, widened in one pass that also notes
    // whether any byte was not ASCII (no early exit, so the compiler can widen several bytes at a time).
    var ascii = true
    let widened: Result? = text.withUTF8 { bytes -> Result? in
        let count = bytes.count
        let units = UnsafeMutablePointer<UInt16>.allocate(capacity: count + 1)
        defer { units.deallocate() }
        var union: UInt8 = 0
        if let source = bytes.baseAddress {
            for index in 0..<count {
                union |= source[index]
                units[index] = UInt16(source[index])
            }
        }
        guard union < 0x80 else {
            ascii = false
            return nil
        }
        units[count] = 0
        return body(UnsafePointer(units))
    }
    if ascii, let widened { return widened }
    var units = Array(text.utf16)
    units.append(0)
    return units.withUnsafeBufferPointer { buffer in body(buffer.baseAddress) }
}

/// Runs `body` with a pointer to the 16 bytes of the C `GUID` struct for `id`.
func withGUID<Result>(_ id: GUID, _ body: (UnsafeRawPointer?) -> Result) -> Result {
    id.withMemoryLayout { raw in body(raw.baseAddress) }
}
