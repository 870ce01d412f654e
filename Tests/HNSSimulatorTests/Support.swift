import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

/// A fresh simulator directory and the service over the C function table into it (the path the plugin uses).
final class SimulatedNode: NamespaceModifying {
    let directory: String
    let service: any HostNetworkService

    init() throws {
        directory = "/tmp/hnssim-test-" + UUID().uuidString
        service = try HNSSimulator.functionTableService(directory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static let query = #"{"SchemaVersion":{"Major":2,"Minor":0}}"#

    func simulator() throws -> HNSSimulator { try HNSSimulator(directory: directory) }

    @discardableResult
    func createNetwork(_ settings: String, id: GUID = .zero) throws(HCNError) -> JSONObject {
        let handle = try service.create(.network, id: id, settings: settings, network: nil)
        defer { service.close(handle) }
        return try document(handle)
    }

    @discardableResult
    func createNetwork(
        name: String = "cbr0", type: String = "L2Bridge", subnet: String = "10.244.1.0/24",
        gateway: String = "10.244.1.1", vsid: Int? = nil
    ) throws(HCNError) -> JSONObject {
        let policies = vsid.map { #","Policies":[{"Type":"VSID","Settings":{"IsolationId":\#($0)}}]"# } ?? ""
        return try createNetwork(
            #"{"Name":"\#(name)","Type":"\#(type)","Ipams":[{"Type":"Static","Subnets":[{"IpAddressPrefix":"\#(subnet)","Routes":[{"NextHop":"\#(gateway)","DestinationPrefix":"0.0.0.0/0"}]\#(policies)}]}],"SchemaVersion":{"Major":2,"Minor":0}}"#
        )
    }

    @discardableResult
    func createEndpoint(network: JSONObject, _ settings: String, id: GUID = .zero) throws(HCNError) -> JSONObject {
        let networkHandle = try service.open(.network, id: guid(network))
        defer { service.close(networkHandle) }
        let handle = try service.create(.endpoint, id: id, settings: settings, network: networkHandle)
        defer { service.close(handle) }
        return try document(handle)
    }

    @discardableResult
    func createEndpoint(network: JSONObject, name: String = "pod", ip: String? = nil, policies: String? = nil)
        throws(HCNError) -> JSONObject
    {
        var fields = [#""Name":"\#(name)""#, #""HostComputeNetwork":"\#(guid(network))""#]
        if let ip { fields.append(#""IpConfigurations":[{"IpAddress":"\#(ip)"}]"#) }
        if let policies { fields.append(#""Policies":\#(policies)"#) }
        fields.append(#""SchemaVersion":{"Major":2,"Minor":0}"#)
        return try createEndpoint(network: network, "{" + fields.joined(separator: ",") + "}")
    }

    @discardableResult
    func createNamespace(_ settings: String = #"{"SchemaVersion":{"Major":2,"Minor":0}}"#) throws(HCNError)
        -> JSONObject
    {
        let handle = try service.create(.namespace, id: .zero, settings: settings, network: nil)
        defer { service.close(handle) }
        return try document(handle)
    }

    func document(_ handle: HCNHandle, query: String = SimulatedNode.query) throws(HCNError) -> JSONObject {
        let text = try service.queryProperties(handle, query: query)
        return (try? JSON.parse(text))?.objectValue ?? JSONObject()
    }

    func document(_ kind: HCNResourceKind, _ id: GUID, query: String = SimulatedNode.query) throws(HCNError)
        -> JSONObject
    {
        let handle = try service.open(kind, id: id)
        defer { service.close(handle) }
        return try document(handle, query: query)
    }

    func enumerate(_ kind: HCNResourceKind, filter: String?) throws(HCNError) -> [String] {
        var query: JSONObject = ["SchemaVersion": ["Major": 2, "Minor": 0]]
        if let filter { query["Filter"] = .string(filter) }
        let text = try service.enumerate(kind, query: JSON.object(query).compact())
        return (try? JSON.parse(text))?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

func guid(_ document: JSONObject) -> GUID { document["Id"]?.stringValue.flatMap(GUID.init) ?? .zero }

/// Runs `body`, which must fail with `code`; returns the error for further checks.
@discardableResult
func expectHCNError(
    _ code: UInt32, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(HCNError) -> Void
) -> HCNError? {
    do {
        try body()
        Issue.record("expected HRESULT \(HRESULT(code)), the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == HRESULT(code), "\(error)", sourceLocation: sourceLocation)
        return error
    }
}

// MARK: - Running the hnsctl binary

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built hnsctl: `$WINCNI_BIN/hnsctl`, else `.build/debug/hnsctl`.
func hnsctlPath() -> String {
    if let bin = ProcessInfo.processInfo.environment["WINCNI_BIN"], !bin.isEmpty { return bin + "/hnsctl" }
    return FileManager.default.currentDirectoryPath + "/.build/debug/hnsctl"
}

func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["WINCNI_HNS"] = nil
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

func hnsctl(_ directory: String, _ arguments: String...) throws -> ProcessResult {
    try run(hnsctlPath(), ["--sim", directory] + arguments)
}

/// What tests on a node's service share: attaching and detaching endpoints the way the plugin asks HNS to.
protocol NamespaceModifying {
    var service: any HostNetworkService { get }
}

extension NamespaceModifying {
    func modifyNamespace(_ namespace: JSONObject, _ request: String, endpoint: JSONObject) throws(HCNError) {
        let handle = try service.open(.namespace, id: guid(namespace))
        defer { service.close(handle) }
        try service.modify(
            handle,
            settings:
                #"{"ResourceType":"Endpoint","RequestType":"\#(request)","Settings":{"EndpointId":"\#(guid(endpoint))"}}"#
        )
    }
}
