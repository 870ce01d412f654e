import HNSSimulator
import Testing

/// The HCN operations each command makes (HCNClient over the function table), found by reading EndpointCommands
/// and checked by `OperationCoverageTests`: a fault on any other operation leaves the command untouched.
enum Operations {
    /// ADD of a new pod: find the network, look for an endpoint of the same name, create the endpoint (and read
    /// what HNS made of it), attach it to the namespace. `HcnClose*` failures are ignored by design (closing a
    /// handle cannot be undone), so they are in the crash matrix but not in the HRESULT one.
    static let add = [
        "HcnEnumerateNetworks", "HcnOpenNetwork", "HcnQueryNetworkProperties", "HcnEnumerateEndpoints",
        "HcnCreateEndpoint", "HcnQueryEndpointProperties", "HcnOpenNamespace", "HcnModifyNamespace",
    ]
    static let closes = ["HcnCloseNetwork", "HcnCloseEndpoint", "HcnCloseNamespace"]
    /// DEL of an attached pod: find the endpoint, detach it, delete it, look again, release the IP.
    static let del = [
        "HcnEnumerateEndpoints", "HcnOpenEndpoint", "HcnQueryEndpointProperties", "HcnOpenNamespace",
        "HcnModifyNamespace", "HcnDeleteEndpoint",
    ]
    static let delCloses = ["HcnCloseEndpoint", "HcnCloseNamespace"]
    /// CHECK: the network and the endpoint.
    static let check = [
        "HcnEnumerateNetworks", "HcnOpenNetwork", "HcnQueryNetworkProperties", "HcnEnumerateEndpoints",
        "HcnOpenEndpoint", "HcnQueryEndpointProperties",
    ]
    /// GC of a stale pod: the network, its endpoints, detach and delete the stale one.
    static let gc = [
        "HcnEnumerateNetworks", "HcnOpenNetwork", "HcnQueryNetworkProperties", "HcnEnumerateEndpoints",
        "HcnOpenEndpoint", "HcnQueryEndpointProperties", "HcnOpenNamespace", "HcnModifyNamespace",
        "HcnDeleteEndpoint",
    ]
}

/// HCN_E_MANAGER_STOPPED ("Operation cannot be performed while service is stopping"): a failure no command may
/// treat as "already gone".
let stoppingHRESULT = "0x803B0020"
/// HCN_E_NETWORK_NOT_FOUND, the brief's example.
let networkNotFoundHRESULT = "0x803B0001"

struct FaultCase: CustomTestStringConvertible, Sendable {
    var flavor: Flavor
    var operation: String
    var hresult: String
    var testDescription: String { "\(flavor.rawValue) \(operation) fails with \(hresult)" }

    static func cases(
        _ operations: [String], flavors: [Flavor] = Flavor.allCases, hresults: [String] = [stoppingHRESULT]
    )
        -> [FaultCase]
    {
        flavors.flatMap { flavor in
            operations.flatMap { op in hresults.map { FaultCase(flavor: flavor, operation: op, hresult: $0) } }
        }
    }
}

private func isCursorFile(_ path: String) -> Bool {
    path.split(separator: "/").last?.hasPrefix("last_reserved_ip.") == true
}

@Suite("HNS failures: ADD fails once and leaves the node as it was; DEL, CHECK and GC report and recover")
struct FaultMatrixTests {
    @Test(
        "ADD with a failing HCN operation returns one error and changes nothing",
        .enabled(if: PluginAvailability.isWired),
        arguments: FaultCase.cases(Operations.add, hresults: [stoppingHRESULT, networkNotFoundHRESULT]))
    func add(_ fault: FaultCase) throws {
        let node = try TestNode()
        // A node in service: one pod already running.
        let resident = try node.pod("resident")
        #expect(try node.run(fault.flavor, "ADD", resident).status == 0)
        let pod = try node.pod("faulted")
        let before = node.snapshot(ignoring: isCursorFile)
        try node.fault(fault.operation, fault.hresult)

        let output = try node.run(fault.flavor, "ADD", pod)
        #expect(output.status == 1, "\(output.stdout)")
        let error = CNIErrorOutput(output)
        #expect(error != nil, "stdout is not one CNI error: \(output.stdout)")
        // The message names the failed operation, or, when HNS said "not found" while looking the network up,
        // the network it could not find.
        #expect(
            error?.text.contains(fault.operation) == true || error?.text.contains(node.network) == true,
            "\(error?.text ?? "")")
        #expect(node.plantedFaults().isEmpty, "ADD never called \(fault.operation)")
        // host-local's round-robin cursor (`last_reserved_ip.N`) moves on every allocation, also one rolled back,
        // exactly as Go host-local's does; it is a hint where to look next, not a reservation.
        let changes = before.differences(to: node.snapshot(ignoring: isCursorFile))
        #expect(changes.isEmpty, "ADD left: \(changes.joined(separator: "; "))")

        // The runtime retries: now it works, and DEL cleans up.
        let retried = try node.run(fault.flavor, "ADD", pod)
        #expect(retried.status == 0, "\(retried.stdout)")
        #expect(try node.run(fault.flavor, "DEL", pod).status == 0)
        #expect(node.traces(of: pod).isEmpty, "\(node.traces(of: pod))")
    }

    @Test(
        "DEL with a failing HCN operation reports it and succeeds on retry, ending clean",
        .enabled(if: PluginAvailability.isWired), arguments: FaultCase.cases(Operations.del))
    func del(_ fault: FaultCase) throws {
        let node = try TestNode()
        let pod = try node.pod("faulted")
        #expect(try node.run(fault.flavor, "ADD", pod).status == 0)
        try node.fault(fault.operation, fault.hresult)

        let output = try node.run(fault.flavor, "DEL", pod)
        #expect(output.status == 1, "DEL hid the failure of \(fault.operation): \(output.stdout)")
        #expect(CNIErrorOutput(output)?.text.contains(fault.operation) == true, "\(output.stdout)")
        #expect(node.plantedFaults().isEmpty, "DEL never called \(fault.operation)")

        let retried = try node.run(fault.flavor, "DEL", pod)
        #expect(retried.status == 0, "\(retried.stdout)")
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
        // And the pod can come back.
        #expect(try node.run(fault.flavor, "ADD", pod).status == 0)
    }

    @Test(
        "CHECK with a failing HCN operation reports it and changes nothing",
        .enabled(if: PluginAvailability.isWired), arguments: FaultCase.cases(Operations.check))
    func check(_ fault: FaultCase) throws {
        let node = try TestNode()
        let pod = try node.pod("checked")
        let added = try node.run(fault.flavor, "ADD", pod)
        #expect(added.status == 0)
        let before = node.snapshot()
        try node.fault(fault.operation, fault.hresult)

        let output = try node.check(fault.flavor, pod, prevResult: added.stdout)
        #expect(output.status == 1, "CHECK hid the failure of \(fault.operation): \(output.stdout)")
        #expect(CNIErrorOutput(output)?.text.contains(fault.operation) == true, "\(output.stdout)")
        #expect(node.plantedFaults().isEmpty, "CHECK never called \(fault.operation)")
        #expect(before.differences(to: node.snapshot()).isEmpty)
        #expect(try node.check(fault.flavor, pod, prevResult: added.stdout).status == 0)
    }

    @Test(
        "GC with a failing HCN operation reports it, keeps valid pods and succeeds on retry",
        .enabled(if: PluginAvailability.isWired), arguments: FaultCase.cases(Operations.gc))
    func gc(_ fault: FaultCase) throws {
        let node = try TestNode()
        let kept = try node.pod("kept")
        let stale = try node.pod("stale")
        #expect(try node.run(fault.flavor, "ADD", kept).status == 0)
        #expect(try node.run(fault.flavor, "ADD", stale).status == 0)
        try node.fault(fault.operation, fault.hresult)

        let output = try node.gc(fault.flavor, keeping: [kept])
        #expect(output.status == 1, "GC hid the failure of \(fault.operation): \(output.stdout)")
        #expect(CNIErrorOutput(output)?.text.contains(fault.operation) == true, "\(output.stdout)")
        #expect(node.plantedFaults().isEmpty, "GC never called \(fault.operation)")

        let retried = try node.gc(fault.flavor, keeping: [kept])
        #expect(retried.status == 0, "\(retried.stdout)")
        #expect(node.traces(of: stale).isEmpty, "\(node.traces(of: stale))")
        #expect(node.endpoints().map(\.name) == ["kept_" + node.network])
        #expect(try node.run(fault.flavor, "DEL", kept).status == 0)
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }
}

/// The operation lists above are complete: a crash planted on every other operation never fires.
@Suite("The matrices cover every HCN operation each command makes")
struct OperationCoverageTests {
    private func unused(_ used: [String]) -> [String] {
        SimulatorFault.operations.filter { !used.contains($0) }
    }

    @Test("ADD, DEL, CHECK and GC call no operation outside their lists", .enabled(if: PluginAvailability.isWired))
    func complete() throws {
        let node = try TestNode()
        let pod = try node.pod("covered")
        let other = try node.pod("other")
        #expect(try node.run(.direct, "ADD", other).status == 0)
        let commands: [(String, [String], () throws -> ProcessOutput)] = [
            ("ADD", Operations.add + Operations.closes, { try node.run(.direct, "ADD", pod) }),
            ("CHECK", Operations.check + Operations.closes, { try node.run(.direct, "CHECK", pod) }),
            ("GC", Operations.gc + Operations.closes, { try node.gc(.direct, keeping: [pod]) }),
            ("DEL", Operations.del + Operations.delCloses, { try node.run(.direct, "DEL", pod) }),
        ]
        for (name, used, command) in commands {
            let others = unused(used)
            for operation in others { try node.plant(operation, .crashBefore) }
            let output = try command()
            #expect(output.status == 0, "\(name) made an HCN call outside its list: \(output.status) \(output.stdout)")
            #expect(node.plantedFaults().count == others.count, "\(name) used a fault outside its list")
            try node.clearFaults()
        }
    }
}
