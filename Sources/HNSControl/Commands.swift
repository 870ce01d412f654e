import ArgumentParser
import HCN
import HNSSimulator
import JSON
import NetAddress
import WinCNI

/// `hnsctl`: inspect and change HNS (on Linux, the simulated node's HNS).
struct HNSControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hnsctl",
        abstract: "Inspect and change the Host Networking Service (on Linux: the HNS simulator).",
        discussion: """
            Global option: --sim DIR uses the simulator state in DIR (the same as WINCNI_HNS=sim:DIR); \
            without it, the node's HNS on Windows, and elsewhere the simulator in \(HNSSimulator.defaultDirectory).
            """,
        version: "hnsctl \(WinCNIVersion.description)",
        subcommands: [
            NetworkCommand.self, EndpointCommand.self, NamespaceCommand.self, FlannelCommand.self,
            FaultCommand.self, TraceCommand.self, ResetCommand.self, DoctorCommand.self,
        ])
}

struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print the HCN v2 documents as HNS returns them.") var json = false
}

func printDocuments(_ documents: [JSONObject], json: Bool, context: HNSControlContext, table: () -> TextTable) {
    if json {
        context.print(JSON.array(documents.map(JSON.object)).pretty())
    } else {
        context.print(table().rendered())
    }
}

// MARK: - network

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "HNS networks.",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Create a network.")
        @Option(help: "l2bridge (flannel host-gw) or overlay (flannel vxlan); any HNS network type.") var type: String
        @Option(help: "The network's name.") var name: String
        @Option(help: "The subnet, a CIDR such as 10.244.1.0/24.") var subnet: String
        @Option(help: "The subnet's gateway (default: its first address).") var gateway: String?
        @Option(help: "The VSID of an overlay network (default 4096).") var vsid: Int?
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let networkType = try NetworkCreateChecks.type(type)
            let prefix = try NetworkCreateChecks.subnet(subnet)
            let gatewayAddress = try NetworkCreateChecks.gateway(gateway, subnet: prefix)
            let isOverlay = networkType == .overlay
            let document = NetworkDocument.make(
                name: name, type: networkType.rawValue, subnet: prefix.description, gateway: gatewayAddress,
                vsid: isOverlay ? (vsid ?? 4096) : vsid)
            let created = try context.client().create(.network, document)
            if output.json {
                context.print(JSON.object(created).pretty())
            } else {
                context.print(NetworkDocument.table([created]).rendered())
            }
        }
    }

    struct List: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "List networks.")
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let networks = try context.client().documents(.network)
            printDocuments(networks, json: output.json, context: context) { NetworkDocument.table(networks) }
        }
    }

    struct Show: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Show one network.")
        @Argument(help: "The network's name or ID.") var nameOrID: String
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let network = try context.client().one(.network, nameOrID)
            context.print(output.json ? JSON.object(network).pretty() : NetworkDocument.details(network))
        }
    }

    struct Delete: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Delete a network (and its endpoints).")
        @Argument(help: "The network's name or ID.") var nameOrID: String
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let client = try context.client()
            let network = try client.one(.network, nameOrID)
            guard let id = network.id else { throw HNSControlError("network \"\(nameOrID)\" has no ID") }
            try client.delete(.network, id)
            context.print(output.json ? JSON.object(["Id": .string(id.description)]).pretty() : "deleted network \(id)")
        }
    }
}

enum NetworkDocument {
    static func make(name: String, type: String, subnet: String, gateway: IPAddress, vsid: Int?, flags: Int = 0)
        -> JSONObject
    {
        var subnetObject: JSONObject = ["IpAddressPrefix": .string(subnet)]
        subnetObject["Routes"] = [
            [
                "NextHop": .string(gateway.description),
                "DestinationPrefix": .string(gateway.isIPv4 ? "0.0.0.0/0" : "::/0"),
            ]
        ]
        if let vsid {
            subnetObject["Policies"] = [["Type": "VSID", "Settings": ["IsolationId": .integer(Int64(vsid))]]]
        }
        var document: JSONObject = ["Name": .string(name), "Type": .string(type)]
        document["Ipams"] = [["Type": "Static", "Subnets": [.object(subnetObject)]]]
        if flags != 0 { document["Flags"] = .integer(Int64(flags)) }
        document["SchemaVersion"] = ["Major": 2, "Minor": 0]
        return document
    }

    static func subnets(_ network: JSONObject) -> [(prefix: String, gateway: String)] {
        var result: [(String, String)] = []
        for ipam in network.value(goKey: "Ipams")?.arrayValue ?? [] {
            for subnet in ipam[goKey: "Subnets"]?.arrayValue ?? [] {
                let gateway = (subnet[goKey: "Routes"]?.arrayValue ?? []).first?[goKey: "NextHop"]?.stringValue ?? ""
                result.append((subnet[goKey: "IpAddressPrefix"]?.stringValue ?? "", gateway))
            }
        }
        return result
    }

    static func policy(_ network: JSONObject, _ type: String) -> JSON? {
        (network.value(goKey: "Policies")?.arrayValue ?? []).first { $0[goKey: "Type"]?.stringValue == type }
    }

    static func type(_ network: JSONObject) -> String {
        // HNS leaves NAT (network mode 0) out of its documents.
        let type = network.text("Type")
        return type.isEmpty ? "NAT" : type
    }

    static func table(_ networks: [JSONObject]) -> TextTable {
        var table = TextTable(["ID", "NAME", "TYPE", "SUBNET", "GATEWAY"])
        for network in networks {
            let first = subnets(network).first
            table.add([
                network.text("Id"), network.text("Name"), type(network), first?.prefix ?? "", first?.gateway ?? "",
            ])
        }
        return table
    }

    static func details(_ network: JSONObject) -> String {
        var lines = [
            "ID:       \(network.text("Id"))", "Name:     \(network.text("Name"))", "Type:     \(type(network))",
        ]
        for subnet in subnets(network) { lines.append("Subnet:   \(subnet.prefix) gateway \(subnet.gateway)") }
        for policy in network.value(goKey: "Policies")?.arrayValue ?? [] {
            lines.append(
                "Policy:   \(policy[goKey: "Type"]?.stringValue ?? "") \(policy[goKey: "Settings"]?.compact() ?? "{}")")
        }
        if let flags = network.value(goKey: "Flags")?.int64Value { lines.append("Flags:    \(flags)") }
        return lines.joined(separator: "\n")
    }
}

// MARK: - endpoint

struct EndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint", abstract: "HNS endpoints.",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: HNSControlRunnable {
        static let configuration = CommandConfiguration(
            abstract: "Create an endpoint; HNS allocates the IP and MAC that are not given.")
        @Option(help: "The network's name or ID.") var network: String
        @Option(help: "The endpoint's name.") var name: String?
        @Option(help: "The endpoint's IP address.") var ip: String?
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let client = try context.client()
            let networkDocument = try client.one(.network, network)
            guard let networkID = networkDocument.id else { throw HNSControlError("network \"\(network)\" has no ID") }
            var document: JSONObject = [:]
            if let name { document["Name"] = .string(name) }
            document["HostComputeNetwork"] = .string(networkID.description)
            if let ip { document["IpConfigurations"] = [["IpAddress": .string(ip)]] }
            document["SchemaVersion"] = ["Major": 2, "Minor": 0]
            let created = try client.create(.endpoint, document, network: networkID)
            if output.json {
                context.print(JSON.object(created).pretty())
            } else {
                context.print(EndpointDocument.table([created], networks: [networkDocument]).rendered())
            }
        }
    }

    struct List: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "List endpoints.")
        @Option(help: "Only the endpoints of this network (name or ID).") var network: String?
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let client = try context.client()
            var filter: JSONObject?
            if let network {
                let networkDocument = try client.one(.network, network)
                // The v1 key, as hcsshim's ListEndpointsOfNetwork filters.
                filter = ["VirtualNetwork": .string(networkDocument.id?.description ?? "")]
            }
            let endpoints = try client.documents(.endpoint, filter: filter)
            let networks = output.json ? [] : try client.documents(.network)
            printDocuments(endpoints, json: output.json, context: context) {
                EndpointDocument.table(endpoints, networks: networks)
            }
        }
    }

    struct Show: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Show one endpoint.")
        @Argument(help: "The endpoint's name or ID.") var nameOrID: String
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let endpoint = try context.client().one(.endpoint, nameOrID)
            context.print(output.json ? JSON.object(endpoint).pretty() : EndpointDocument.details(endpoint))
        }
    }

    struct Delete: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint.")
        @Argument(help: "The endpoint's name or ID.") var nameOrID: String

        func execute(_ context: HNSControlContext) throws {
            let client = try context.client()
            let endpoint = try client.one(.endpoint, nameOrID)
            guard let id = endpoint.id else { throw HNSControlError("endpoint \"\(nameOrID)\" has no ID") }
            try client.delete(.endpoint, id)
            context.print("deleted endpoint \(id)")
        }
    }
}

enum EndpointDocument {
    static func addresses(_ endpoint: JSONObject) -> [String] {
        (endpoint.value(goKey: "IpConfigurations")?.arrayValue ?? []).map {
            let address = $0[goKey: "IpAddress"]?.stringValue ?? ""
            guard let length = $0[goKey: "PrefixLength"]?.int64Value else { return address }
            return "\(address)/\(length)"
        }
    }

    static func table(_ endpoints: [JSONObject], networks: [JSONObject]) -> TextTable {
        var names: [GUID: String] = [:]
        for network in networks { if let id = network.id { names[id] = network.text("Name") } }
        var table = TextTable(["ID", "NAME", "NETWORK", "IP", "MAC", "NAMESPACE"])
        for endpoint in endpoints {
            let networkID = endpoint.text("HostComputeNetwork")
            let network = GUID(networkID).flatMap { names[$0] } ?? networkID
            table.add([
                endpoint.text("Id"), endpoint.text("Name"), network, addresses(endpoint).joined(separator: ","),
                endpoint.text("MacAddress"), endpoint.text("HostComputeNamespace"),
            ])
        }
        return table
    }

    static func details(_ endpoint: JSONObject) -> String {
        var lines = [
            "ID:        \(endpoint.text("Id"))", "Name:      \(endpoint.text("Name"))",
            "Network:   \(endpoint.text("HostComputeNetwork"))",
            "Namespace: \(endpoint.text("HostComputeNamespace"))",
            "IP:        \(addresses(endpoint).joined(separator: ", "))",
            "MAC:       \(endpoint.text("MacAddress"))",
        ]
        for route in endpoint.value(goKey: "Routes")?.arrayValue ?? [] {
            lines.append(
                "Route:     \(route[goKey: "DestinationPrefix"]?.stringValue ?? "") via \(route[goKey: "NextHop"]?.stringValue ?? "")"
            )
        }
        for policy in endpoint.value(goKey: "Policies")?.arrayValue ?? [] {
            lines.append(
                "Policy:    \(policy[goKey: "Type"]?.stringValue ?? "") \(policy[goKey: "Settings"]?.compact() ?? "{}")"
            )
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - namespace

struct NamespaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace", abstract: "HNS namespaces (network compartments).",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Create a namespace and print its GUID.")

        func execute(_ context: HNSControlContext) throws {
            // What containerd sends for a pod sandbox: the zero-valued HostComputeNamespace.
            let created = try context.client().create(.namespace, ["SchemaVersion": ["Major": 2, "Minor": 0]])
            context.print(created.text("Id"))
        }
    }

    struct List: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "List namespaces.")
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let namespaces = try context.client().documents(.namespace)
            printDocuments(namespaces, json: output.json, context: context) { NamespaceDocument.table(namespaces) }
        }
    }

    struct Show: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Show one namespace.")
        @Argument(help: "The namespace's ID.") var id: String
        @OptionGroup var output: JSONFlag

        func execute(_ context: HNSControlContext) throws {
            let namespace = try context.client().one(.namespace, id)
            context.print(
                output.json ? JSON.object(namespace).pretty() : NamespaceDocument.table([namespace]).rendered())
        }
    }

    struct Delete: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Delete a namespace.")
        @Argument(help: "The namespace's ID.") var id: String

        func execute(_ context: HNSControlContext) throws {
            guard let guid = GUID(id) else { throw HNSControlError("\(id) is not a GUID") }
            try context.client().delete(.namespace, guid)
            context.print("deleted namespace \(guid)")
        }
    }
}

enum NamespaceDocument {
    static func endpoints(_ namespace: JSONObject) -> [String] {
        (namespace.value(goKey: "Resources")?.arrayValue ?? []).compactMap {
            guard $0[goKey: "Type"]?.stringValue == "Endpoint" else { return nil }
            return $0[goKey: "Data"]?[goKey: "Id"]?.stringValue
        }
    }

    static func table(_ namespaces: [JSONObject]) -> TextTable {
        var table = TextTable(["ID", "COMPARTMENT", "TYPE", "ENDPOINTS"])
        for namespace in namespaces {
            table.add([
                namespace.text("Id"), namespace.value(goKey: "NamespaceId")?.int64Value.map(String.init) ?? "",
                namespace.text("Type"), endpoints(namespace).joined(separator: ","),
            ])
        }
        return table
    }
}

// MARK: - fault

struct FaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault", abstract: "Plant failures in the simulator (simulator only).",
        subcommands: [Add.self, Clear.self, List.self])

    enum CrashPoint: String, ExpressibleByArgument, CaseIterable { case before, after }

    struct Add: HNSControlRunnable {
        static let configuration = CommandConfiguration(
            abstract: "Make the next calls of an operation fail with an HRESULT or kill the calling process.")
        @Option(help: "The HCN operation: CreateEndpoint, DeleteEndpoint, ModifyNamespace, ... (HCN names).")
        var op: String
        @Option(help: "Fail with this HRESULT, e.g. 0x803b0013.") var hresult: String?
        @Option(help: "Kill the process before or after the operation.") var crash: CrashPoint?
        @Option(help: "How many calls the fault hits.") var count: Int = 1

        func validate() throws {
            guard (hresult == nil) != (crash == nil) else {
                throw ValidationError("give exactly one of --hresult and --crash")
            }
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
            guard SimulatorFault.operationName(op) != nil else {
                throw ValidationError(
                    "unknown operation \"\(op)\"; one of: \(SimulatorFault.operations.joined(separator: ", "))")
            }
        }

        func execute(_ context: HNSControlContext) throws {
            let kind: SimulatorFault.Kind
            if let hresult {
                var digits = Substring(hresult)
                if digits.lowercased().hasPrefix("0x") { digits = digits.dropFirst(2) }
                guard let value = UInt32(digits, radix: 16) else {
                    throw HNSControlError("--hresult \(hresult): expected a hexadecimal HRESULT such as 0x803b0013")
                }
                kind = .hresult(HRESULT(value))
            } else {
                kind = crash == .before ? .crashBefore : .crashAfter
            }
            let fault = SimulatorFault(op: op, kind: kind, count: count)
            try context.simulator().addFault(fault)
            context.print("fault added: \(fault)")
        }
    }

    struct Clear: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Remove every planted fault.")

        func execute(_ context: HNSControlContext) throws {
            try context.simulator().clearFaults()
            context.print("faults cleared")
        }
    }

    struct List: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "List the planted faults.")

        func execute(_ context: HNSControlContext) throws {
            for fault in try context.simulator().faults() { context.print(fault.description) }
        }
    }
}

// MARK: - trace, reset

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Record every HCN call of every process (simulator only).",
        subcommands: [On.self, Off.self, Clear.self, Show.self])

    struct On: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Start recording HCN calls.")

        func execute(_ context: HNSControlContext) throws {
            try context.simulator(for: "traces").setTracing(true)
            context.print("trace on")
        }
    }

    struct Off: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Stop recording (the recorded calls stay).")

        func execute(_ context: HNSControlContext) throws {
            try context.simulator(for: "traces").setTracing(false)
            context.print("trace off")
        }
    }

    struct Clear: HNSControlRunnable {
        static let configuration = CommandConfiguration(abstract: "Forget the recorded calls.")

        func execute(_ context: HNSControlContext) throws {
            try context.simulator(for: "traces").clearTrace()
            context.print("trace cleared")
        }
    }

    struct Show: HNSControlRunnable {
        static let configuration = CommandConfiguration(
            abstract: "Print the recorded calls, one per line in the golden trace format.")
        @Flag(name: .long, help: "Print a JSON array of the calls.") var json = false

        func execute(_ context: HNSControlContext) throws {
            let entries = try context.simulator(for: "traces").traceEntries()
            if json {
                context.print(JSON.array(entries.map(\.json)).pretty())
            } else {
                let text = SimulatorTraceEntry.transcript(entries)
                if !text.isEmpty { context.print(String(text.dropLast())) }
            }
        }
    }
}

struct ResetCommand: HNSControlRunnable {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Empty the simulator: no networks, endpoints, namespaces, faults or trace.")

    func execute(_ context: HNSControlContext) throws {
        guard context.isSimulator else { throw HNSControlError("reset exists only in the simulator: use --sim DIR") }
        try HNSSimulator.reset(directory: context.directory)
        context.print("simulator in \(context.directory) reset")
    }
}

/// Columns padded to the widest cell, as `kubectl get` prints them.
struct TextTable {
    private var rows: [[String]]

    init(_ header: [String]) { rows = [header] }

    mutating func add(_ row: [String]) { rows.append(row) }

    func rendered() -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                line +=
                    column == row.count - 1
                    ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 3)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
