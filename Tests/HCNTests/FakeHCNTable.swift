import HCN

/// A scripted `computenetwork.dll` behind `@convention(c)` thunks: it decodes the UTF-16 and GUIDs it receives,
/// answers with heap-allocated UTF-16 buffers (as HNS answers with CoTaskMemAlloc'd ones) and counts how often each
/// buffer is freed through the table's `coTaskMemFree`.
final class FakeHCN: @unchecked Sendable {
    struct Call: Equatable {
        var function: String
        var strings: [String] = []
        var id: GUID? = nil
        var idBytes: [UInt8] = []
        var handle: UInt? = nil
    }

    var calls: [Call] = []
    /// Output (Networks/Properties/Response) per function name; a function without one writes nothing.
    var outputs: [String: String] = [:]
    var errorRecords: [String: String] = [:]
    var results: [String: Int32] = [:]
    /// Functions that hand back no handle even on success.
    var withoutHandle: Set<String> = []
    var frees: [UInt: Int] = [:]
    var unknownFrees: [UInt] = []
    var closed: [(function: String, handle: UInt)] = []
    private var nextHandle: UInt = 0x1000

    func reset() {
        calls = []
        outputs = [:]
        errorRecords = [:]
        results = [:]
        withoutHandle = []
        frees = [:]
        unknownFrees = []
        closed = []
        nextHandle = 0x1000
    }

    /// Buffers handed out and not freed exactly once.
    var leakedOrDoubleFreed: [UInt: Int] { frees.filter { $0.value != 1 } }
    var allocationCount: Int { frees.count }

    static func read(_ pointer: UnsafePointer<UInt16>?) -> String {
        guard let pointer else { return "<null>" }
        var length = 0
        while pointer[length] != 0 { length += 1 }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF16.self)
    }

    private func allocate(_ text: String) -> UnsafeMutablePointer<UInt16> {
        let units = Array(text.utf16) + [0]
        let raw = UnsafeMutableRawPointer.allocate(byteCount: units.count * 2, alignment: 2)
        let buffer = raw.bindMemory(to: UInt16.self, capacity: units.count)
        for (index, unit) in units.enumerated() { buffer[index] = unit }
        frees[UInt(bitPattern: raw), default: 0] = 0
        return buffer
    }

    func free(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let address = UInt(bitPattern: pointer)
        guard let count = frees[address] else {
            unknownFrees.append(address)
            return
        }
        frees[address] = count + 1
        if count == 0 { releaseCBuffer(pointer) }
    }

    private func finish(_ function: String, output: PWSTROut?, record: PWSTROut?) -> Int32 {
        if let text = outputs[function], let output { output.pointee = allocate(text) }
        if let text = errorRecords[function], let record { record.pointee = allocate(text) }
        return results[function] ?? 0
    }

    private func newHandle(_ function: String, _ out: HandleOut?) {
        guard !withoutHandle.contains(function), let out else { return }
        nextHandle += 0x10
        out.pointee = UnsafeMutableRawPointer(bitPattern: nextHandle)
    }

    private static func guid(_ pointer: REFGUID?) -> (GUID?, [UInt8]) {
        guard let pointer else { return (nil, []) }
        return (GUID(memoryLayout: pointer), Array(UnsafeRawBufferPointer(start: pointer, count: 16)))
    }

    func enumerate(_ function: String, _ query: PCWSTR?, _ output: PWSTROut?, _ record: PWSTROut?) -> Int32 {
        calls.append(Call(function: function, strings: [Self.read(query)]))
        return finish(function, output: output, record: record)
    }

    func create(
        _ function: String, _ network: UnsafeMutableRawPointer?, _ id: REFGUID?, _ settings: PCWSTR?,
        _ handle: HandleOut?, _ record: PWSTROut?
    ) -> Int32 {
        let (guid, bytes) = Self.guid(id)
        calls.append(
            Call(
                function: function, strings: [Self.read(settings)], id: guid, idBytes: bytes,
                handle: network.map { UInt(bitPattern: $0) }))
        newHandle(function, handle)
        return finish(function, output: nil, record: record)
    }

    func open(_ function: String, _ id: REFGUID?, _ handle: HandleOut?, _ record: PWSTROut?) -> Int32 {
        let (guid, bytes) = Self.guid(id)
        calls.append(Call(function: function, id: guid, idBytes: bytes))
        newHandle(function, handle)
        return finish(function, output: nil, record: record)
    }

    func modify(_ function: String, _ handle: UnsafeMutableRawPointer?, _ settings: PCWSTR?, _ record: PWSTROut?)
        -> Int32
    {
        calls.append(
            Call(function: function, strings: [Self.read(settings)], handle: handle.map { UInt(bitPattern: $0) }))
        return finish(function, output: nil, record: record)
    }

    func query(
        _ function: String, _ handle: UnsafeMutableRawPointer?, _ query: PCWSTR?, _ output: PWSTROut?,
        _ record: PWSTROut?
    ) -> Int32 {
        calls.append(Call(function: function, strings: [Self.read(query)], handle: handle.map { UInt(bitPattern: $0) }))
        return finish(function, output: output, record: record)
    }

    func delete(_ function: String, _ id: REFGUID?, _ record: PWSTROut?) -> Int32 {
        let (guid, bytes) = Self.guid(id)
        calls.append(Call(function: function, id: guid, idBytes: bytes))
        return finish(function, output: nil, record: record)
    }

    func close(_ function: String, _ handle: UnsafeMutableRawPointer?) -> Int32 {
        let raw = handle.map { UInt(bitPattern: $0) } ?? 0
        calls.append(Call(function: function, handle: raw))
        closed.append((function, raw))
        return 0
    }

    func hnsCall(_ method: PCWSTR?, _ path: PCWSTR?, _ request: PCWSTR?, _ response: PWSTROut?) -> Int32 {
        calls.append(Call(function: "HNSCall", strings: [Self.read(method), Self.read(path), Self.read(request)]))
        return finish("HNSCall", output: response, record: nil)
    }
}

private func releaseCBuffer(_ pointer: UnsafeMutableRawPointer) { pointer.deallocate() }

let fakeHCN = FakeHCN()

let fakeHCNTable = HCNFunctionTable(
    enumerateNetworks: { fakeHCN.enumerate("HcnEnumerateNetworks", $0, $1, $2) },
    createNetwork: { fakeHCN.create("HcnCreateNetwork", nil, $0, $1, $2, $3) },
    openNetwork: { fakeHCN.open("HcnOpenNetwork", $0, $1, $2) },
    modifyNetwork: { fakeHCN.modify("HcnModifyNetwork", $0, $1, $2) },
    queryNetworkProperties: { fakeHCN.query("HcnQueryNetworkProperties", $0, $1, $2, $3) },
    deleteNetwork: { fakeHCN.delete("HcnDeleteNetwork", $0, $1) },
    closeNetwork: { fakeHCN.close("HcnCloseNetwork", $0) },
    enumerateEndpoints: { fakeHCN.enumerate("HcnEnumerateEndpoints", $0, $1, $2) },
    createEndpoint: { fakeHCN.create("HcnCreateEndpoint", $0, $1, $2, $3, $4) },
    openEndpoint: { fakeHCN.open("HcnOpenEndpoint", $0, $1, $2) },
    modifyEndpoint: { fakeHCN.modify("HcnModifyEndpoint", $0, $1, $2) },
    queryEndpointProperties: { fakeHCN.query("HcnQueryEndpointProperties", $0, $1, $2, $3) },
    deleteEndpoint: { fakeHCN.delete("HcnDeleteEndpoint", $0, $1) },
    closeEndpoint: { fakeHCN.close("HcnCloseEndpoint", $0) },
    enumerateNamespaces: { fakeHCN.enumerate("HcnEnumerateNamespaces", $0, $1, $2) },
    createNamespace: { fakeHCN.create("HcnCreateNamespace", nil, $0, $1, $2, $3) },
    openNamespace: { fakeHCN.open("HcnOpenNamespace", $0, $1, $2) },
    modifyNamespace: { fakeHCN.modify("HcnModifyNamespace", $0, $1, $2) },
    queryNamespaceProperties: { fakeHCN.query("HcnQueryNamespaceProperties", $0, $1, $2, $3) },
    deleteNamespace: { fakeHCN.delete("HcnDeleteNamespace", $0, $1) },
    closeNamespace: { fakeHCN.close("HcnCloseNamespace", $0) },
    hnsCall: { fakeHCN.hnsCall($0, $1, $2, $3) },
    coTaskMemFree: { fakeHCN.free($0) }
)
