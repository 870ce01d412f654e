import HCN
import HNSSimulator
import JSON
import Platform
import Testing

/// A fresh directory under /tmp for one simulator, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = try Files.makeTemporaryDirectory(prefix: "wincni-hcn-test-")
    }

    deinit { Files.removeTree(path) }
}

@Suite("HCN client against the simulator through the C function table")
struct SimulatorClientTests {
    @Test("network, endpoint and namespace lifecycle as the plugin drives it")
    func lifecycle() throws {
        let directory = try TemporaryDirectory()
        let client = HCNClient(service: try HNSSimulator.functionTableService(directory: directory.path + "/hns"))

        #expect(try client.network(named: "flannel.4096") == nil)
        let request = try HostComputeNetwork(json: JSON.parse(Fixtures.document("network-flannel-vxlan.json")))
        let network = try client.createNetwork(request)
        #expect(GUID(network.id) != nil)
        #expect(network.type == "Overlay")
        #expect(!network.policies(ofType: .providerAddress).isEmpty)
        #expect(try client.network(named: "flannel.4096")?.id == network.id)
        #expect(try client.network(id: network.id)?.name == "flannel.4096")

        let endpoint = try client.createEndpoint(
            HostComputeEndpoint(
                name: "abc_flannel.4096",
                policies: [
                    .providerAddress("10.0.0.4"),
                    .outBoundNAT(OutBoundNatPolicySetting(exceptions: ["10.244.0.0/16"])),
                ],
                ipConfigurations: [IpConfig(ipAddress: "10.244.1.5")],
                routes: [Route(nextHop: "10.244.1.1", destinationPrefix: "0.0.0.0/0")],
                macAddress: "0E-2A-0a-f4-01-05"),
            networkID: network.id)
        #expect(endpoint.ipConfigurations.first?.ipAddress == "10.244.1.5")
        #expect(try client.endpoints(networkID: network.id).map(\.id) == [endpoint.id])
        #expect(try client.endpoint(named: "abc_flannel.4096")?.id == endpoint.id)

        let namespace = try client.createNamespace(HostComputeNamespace())
        try client.addEndpoint(endpoint.id, toNamespace: namespace.id)
        #expect(
            try client.namespace(id: namespace.id)?.endpointIDs.map { $0.lowercased() } == [endpoint.id.lowercased()])
        #expect(try client.endpoint(id: endpoint.id)?.hostComputeNamespace?.lowercased() == namespace.id.lowercased())
        try client.removeEndpoint(endpoint.id, fromNamespace: namespace.id)
        #expect(try client.namespace(id: namespace.id)?.endpointIDs == [])

        try client.deleteEndpoint(id: endpoint.id)
        #expect(try client.endpoint(id: endpoint.id) == nil)
        let again = #expect(throws: HCNError.self) { try client.deleteEndpoint(id: endpoint.id) }
        #expect(again?.isNotFound == true)
        try client.deleteNamespace(id: namespace.id)
        try client.deleteNetwork(id: network.id)
        #expect(try client.networks().isEmpty)
        #expect(try client.supports(.dsr))
    }

    @Test("HNS's errors come back through the error record as HCNError")
    func errors() throws {
        let directory = try TemporaryDirectory()
        let client = HCNClient(service: try HNSSimulator.functionTableService(directory: directory.path + "/hns"))
        let request = try HostComputeNetwork(json: JSON.parse(Fixtures.document("network-hcsshim-l2bridge.json")))
        _ = try client.createNetwork(request)
        let duplicate = #expect(throws: HCNError.self) { _ = try client.createNetwork(request) }
        #expect(duplicate?.name == "HCN_E_NETWORK_ALREADY_EXISTS")
        #expect(duplicate?.operation == "HcnCreateNetwork")
        let missingNamespace = #expect(throws: HCNError.self) {
            try client.addEndpoint(
                "5e6298c2-7a1b-4c3d-8e9f-0a1b2c3d4e5f", toNamespace: "e2c6c4a1-3b5d-4f7e-9a1c-2b3d4e5f6a7b")
        }
        #expect(missingNamespace?.isNotFound == true)
    }

    @Test("an endpoint HNS created but could not read back is removed, not leaked")
    func unreadableEndpointIsRemoved() throws {
        let directory = try TemporaryDirectory()
        let simulator = try HNSSimulator(directory: directory.path + "/hns")
        let client = HCNClient(service: try HNSSimulator.functionTableService(directory: directory.path + "/hns"))
        let network = try client.createNetwork(
            try HostComputeNetwork(json: JSON.parse(Fixtures.document("network-hcsshim-l2bridge.json"))))
        try simulator.addFault(
            SimulatorFault(op: "HcnQueryEndpointProperties", kind: .hresult(HRESULT(0x803B_0020)), count: 1))

        let failure = #expect(throws: HCNError.self) {
            _ = try client.createEndpoint(HostComputeEndpoint(name: "pod1_net"), networkID: network.id)
        }
        #expect(failure?.operation == "HcnQueryEndpointProperties")
        #expect(try client.endpoints(networkID: network.id).isEmpty)
    }
}
