import ArgumentParser
import HCN
import HNSSimulator
import JSON
import Platform
import WinCNI

/// hnsctl's entry point: parses the command line (CONTRACT.md "hnsctl"), picks the HNS backend and runs one
/// command, returning what to print and the exit status instead of printing or exiting itself.
public enum HNSControl {
    /// What one run produced.
    public struct Output: Sendable, Equatable {
        public var stdout: String
        public var stderr: String
        public var exitCode: Int32
    }

    /// Runs hnsctl with `arguments` (without argv[0]). `hnsSelector` is the value of `WINCNI_HNS` (`sim:DIR`);
    /// `--sim DIR` anywhere on the line wins over it. Without either, Windows (`isWindows`) talks to the node's HNS
    /// through `platformTable` (the System32 DLLs, loaded when a command first needs them), and other platforms to
    /// the simulator in its default directory.
    public static func run(
        arguments: [String], hnsSelector: String?, isWindows: Bool = PlatformConventions.current.isWindows,
        platformTable: @escaping () throws(HCNError) -> HCNFunctionTable = HCNFunctionTable.loadFromSystem
    ) -> Output {
        var rest: [String] = []
        var simDirectory: String?
        var position = 0
        while position < arguments.count {
            let argument = arguments[position]
            if argument == "--sim" {
                guard position + 1 < arguments.count else { return failure("--sim needs a directory") }
                simDirectory = arguments[position + 1]
                position += 2
                continue
            }
            if argument.hasPrefix("--sim=") {
                simDirectory = String(argument.dropFirst("--sim=".count))
                position += 1
                continue
            }
            if argument == "--" {
                rest += arguments[position...]
                break
            }
            rest.append(argument)
            position += 1
        }

        var directory = HNSSimulator.defaultDirectory
        var realTable: (() throws(HCNError) -> HCNFunctionTable)?
        if let simDirectory {
            directory = simDirectory
        } else if let selector = hnsSelector, !selector.isEmpty {
            guard let named = HNSBackend.simulatorDirectory(selector: selector) else {
                return failure("WINCNI_HNS=\(selector): expected sim:DIR (the simulator's state directory)")
            }
            directory = named
        } else if isWindows {
            realTable = platformTable
        }

        let command: any ParsableCommand
        do {
            command = try HNSControlCommand.parseAsRoot(rest)
        } catch {
            if let unknown = CommandSuggestion.unknownCommand(in: rest, root: HNSControlCommand.self) {
                return failure(unknown)
            }
            let message = HNSControlCommand.fullMessage(for: error)
            let code = HNSControlCommand.exitCode(for: error).rawValue
            if code == 0 { return Output(stdout: message + "\n", stderr: "", exitCode: 0) }
            return Output(stdout: "", stderr: message + "\n", exitCode: 1)
        }
        guard let runnable = command as? any HNSControlRunnable else {
            // A command group, or `help ...`: the help of the deepest command the words name.
            var helpType: any ParsableCommand.Type = HNSControlCommand.self
            for word in rest where !word.hasPrefix("-") && word != "help" {
                guard let next = helpType.configuration.subcommands.first(where: { $0._commandName == word }) else {
                    break
                }
                helpType = next
            }
            return Output(stdout: HNSControlCommand.helpMessage(for: helpType) + "\n", stderr: "", exitCode: 0)
        }
        let context = HNSControlContext(directory: directory, realTable: realTable)
        do {
            try runnable.execute(context)
            return Output(stdout: context.output, stderr: "", exitCode: 0)
        } catch let error as HCNError {
            return Output(stdout: context.output, stderr: "hnsctl: \(error)\n", exitCode: 1)
        } catch {
            return Output(stdout: context.output, stderr: "hnsctl: \(error)\n", exitCode: 1)
        }
    }

    private static func failure(_ message: String) -> Output {
        Output(stdout: "", stderr: "hnsctl: \(message)\n", exitCode: 1)
    }
}

/// A failure of hnsctl itself (bad argument, object not found by name), printed as one line.
struct HNSControlError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a command works with: the simulator directory, the HNS service (through the C function table), and the
/// text it prints.
final class HNSControlContext {
    let directory: String
    let realTable: (() throws(HCNError) -> HCNFunctionTable)?
    private(set) var output = ""
    private var cachedService: (any HostNetworkService)?

    init(directory: String, realTable: (() throws(HCNError) -> HCNFunctionTable)?) {
        self.directory = directory
        self.realTable = realTable
    }

    func print(_ line: String) { output += line + "\n" }

    func service() throws(HCNError) -> any HostNetworkService {
        if let cachedService { return cachedService }
        let service: any HostNetworkService
        if let realTable {
            service = HCNFunctionTableService(table: try realTable())
        } else {
            service = try HNSSimulator.functionTableService(directory: directory)
        }
        cachedService = service
        return service
    }

    func client() throws(HCNError) -> HNSClient { HNSClient(service: try service()) }

    /// The simulator, for the commands that exist only there (`what` names them in the error on Windows).
    func simulator(for what: String = "faults") throws -> HNSSimulator {
        guard realTable == nil else { throw HNSControlError("\(what) exist only in the simulator: use --sim DIR") }
        return try HNSSimulator(directory: directory)
    }

    var isSimulator: Bool { realTable == nil }
}

/// A leaf command that runs against a context.
protocol HNSControlRunnable: ParsableCommand {
    func execute(_ context: HNSControlContext) throws
}

extension HNSControlRunnable {
    mutating func run() throws {
        throw HNSControlError("hnsctl commands run through HNSControl.run")
    }
}

/// The HCN calls hnsctl makes, in the order hcsshim makes them (enumerate with a v1-key filter, then open, query
/// and close each object).
struct HNSClient {
    let service: any HostNetworkService

    static let defaultQuery = JSON.object(["SchemaVersion": ["Major": 2, "Minor": 0]]).compact()

    func ids(_ kind: HCNResourceKind, filter: JSONObject? = nil) throws(HCNError) -> [GUID] {
        var query: JSONObject = ["SchemaVersion": ["Major": 2, "Minor": 0]]
        if let filter { query["Filter"] = .string(JSON.object(filter).compact()) }
        let text = try service.enumerate(kind, query: JSON.object(query).compact())
        guard let parsed = try? JSON.parse(text), case .array(let items) = parsed else { return [] }
        return items.compactMap { $0.stringValue.flatMap(GUID.init) }
    }

    func document(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> JSONObject {
        let handle = try service.open(kind, id: id)
        defer { service.close(handle) }
        let text = try service.queryProperties(handle, query: Self.defaultQuery)
        return (try? JSON.parse(text))?.objectValue ?? JSONObject()
    }

    func documents(_ kind: HCNResourceKind, filter: JSONObject? = nil) throws(HCNError) -> [JSONObject] {
        var result: [JSONObject] = []
        for id in try ids(kind, filter: filter) {
            do {
                result.append(try document(kind, id))
            } catch
                where error.code.rawValue == 0x803B_0001 || error.code.rawValue == 0x803B_0002
                || error.code.rawValue == 0x8007_0490
            {
                continue  // deleted between the enumerate and the open by another process
            }
        }
        return result
    }

    /// Objects named `nameOrID`: by ID when it is a GUID, else by `Name` (namespaces have no name).
    func find(_ kind: HCNResourceKind, _ nameOrID: String) throws(HCNError) -> [JSONObject] {
        if let id = GUID(nameOrID) {
            let byID = try documents(kind, filter: ["ID": .string(id.description)])
            if !byID.isEmpty || kind == .namespace { return byID }
        }
        if kind == .namespace { return [] }
        return try documents(kind, filter: ["Name": .string(nameOrID)])
    }

    func one(_ kind: HCNResourceKind, _ nameOrID: String) throws -> JSONObject {
        let found = try find(kind, nameOrID)
        let noun = kind.rawValue.lowercased()
        guard let first = found.first else { throw HNSControlError("\(noun) \"\(nameOrID)\" not found") }
        guard found.count == 1 else {
            throw HNSControlError("\(found.count) \(noun)s are named \"\(nameOrID)\": give the ID")
        }
        return first
    }

    func create(_ kind: HCNResourceKind, _ settings: JSONObject, network: GUID? = nil) throws(HCNError) -> JSONObject {
        var networkHandle: HCNHandle?
        if let network { networkHandle = try service.open(.network, id: network) }
        defer { if let networkHandle { service.close(networkHandle) } }
        let handle = try service.create(
            kind, id: .zero, settings: JSON.object(settings).compact(), network: networkHandle)
        defer { service.close(handle) }
        let text = try service.queryProperties(handle, query: Self.defaultQuery)
        return (try? JSON.parse(text))?.objectValue ?? JSONObject()
    }

    func modify(_ kind: HCNResourceKind, _ id: GUID, _ request: JSONObject) throws(HCNError) {
        let handle = try service.open(kind, id: id)
        defer { service.close(handle) }
        try service.modify(handle, settings: JSON.object(request).compact())
    }

    func delete(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) { try service.delete(kind, id: id) }
}

extension JSONObject {
    var id: GUID? { (self["Id"] ?? self["ID"])?.stringValue.flatMap(GUID.init) }
    func text(_ key: String) -> String { value(goKey: key)?.stringValue ?? "" }
}
