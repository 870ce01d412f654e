import Foundation
import HCN
import HNSSimulator
import JSON
import Testing

@Suite("HNS simulator: namespaces, version, faults")
struct NamespaceAndServiceTests {
    @Test(
        "adding an endpoint to a namespace sets HostComputeNamespace and the namespace's Resources; Remove clears both")
    func membership() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network)
        let namespace = try node.createNamespace(#"{"SchemaVersion":{"Major":0,"Minor":0}}"#)
        #expect(namespace["Type"] == "Host")
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        #expect(
            try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"] == .string(guid(namespace).description)
        )
        let resources = try node.document(.namespace, guid(namespace))["Resources"]
        #expect(resources == [["Type": "Endpoint", "Data": ["Id": .string(guid(endpoint).description)]]])
        try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
        #expect(try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"] == nil)
        #expect(try node.document(.namespace, guid(namespace))["Resources"] == [])
    }

    @Test("an endpoint already in a namespace cannot be added to another: HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS")
    func alreadyInNamespace() throws {
        let node = try SimulatedNode()
        let endpoint = try node.createEndpoint(network: try node.createNetwork())
        let first = try node.createNamespace()
        let second = try node.createNamespace()
        try node.modifyNamespace(first, "Add", endpoint: endpoint)
        expectHCNError(0x803B_002B) { () throws(HCNError) in try node.modifyNamespace(second, "Add", endpoint: endpoint)
        }
    }

    @Test(
        "removing an endpoint that is not in the namespace is ERROR_NOT_FOUND; an unknown endpoint HCN_E_ENDPOINT_NOT_FOUND"
    )
    func removeAbsent() throws {
        let node = try SimulatedNode()
        let endpoint = try node.createEndpoint(network: try node.createNetwork())
        let namespace = try node.createNamespace()
        expectHCNError(0x8007_0490) { () throws(HCNError) in
            try node.modifyNamespace(namespace, "Remove", endpoint: endpoint)
        }
        let missing: JSONObject = ["Id": "11111111-2222-4333-8444-555555555555"]
        expectHCNError(0x803B_0002) { () throws(HCNError) in
            try node.modifyNamespace(namespace, "Add", endpoint: missing)
        }
    }

    @Test("an unknown namespace is ERROR_NOT_FOUND (0x80070490) on open and delete")
    func unknownNamespace() throws {
        let node = try SimulatedNode()
        let missing = try #require(GUID("00000000-0000-0000-0000-000000000001"))
        let error = expectHCNError(0x8007_0490) { () throws(HCNError) in
            _ = try node.service.open(.namespace, id: missing)
        }
        #expect(error?.message == "Element not found.")
        expectHCNError(0x8007_0490) { () throws(HCNError) in try node.service.delete(.namespace, id: missing) }
    }

    @Test("deleting a namespace detaches its endpoints; namespaces get compartment IDs from 2 up")
    func deleteNamespace() throws {
        let node = try SimulatedNode()
        let endpoint = try node.createEndpoint(network: try node.createNetwork())
        let namespace = try node.createNamespace()
        #expect(namespace["NamespaceId"] == 2)
        #expect(try node.createNamespace()["NamespaceId"] == 3)
        try node.modifyNamespace(namespace, "Add", endpoint: endpoint)
        try node.service.delete(.namespace, id: guid(namespace))
        #expect(try node.document(.endpoint, guid(endpoint))["HostComputeNamespace"] == nil)
    }

    @Test("GET /globals/version answers 15.4 by default and what setVersion stored")
    func version() throws {
        let node = try SimulatedNode()
        #expect(
            try node.service.hnsCall(method: "GET", path: "/globals/version", request: "")
                == #"{"Success":true,"Output":{"Major":15,"Minor":4}}"#)
        try node.simulator().setVersion(major: 9, minor: 2)
        #expect(
            try node.service.hnsCall(method: "GET", path: "/globals/version", request: "")
                == #"{"Success":true,"Output":{"Major":9,"Minor":2}}"#)
    }

    @Test("policy types newer than the HNS version are HCN_E_INVALID_POLICY_TYPE (HostRoute needs 9.2, TierAcl 14.0)")
    func policyVersions() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(type: "Overlay", vsid: 4096)
        let handle = try node.service.open(.network, id: guid(network))
        defer { node.service.close(handle) }
        let hostRoute =
            #"{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"HostRoute","Settings":{}}]}}"#
        try node.simulator().setVersion(major: 9, minor: 1)
        expectHCNError(0x803B_000E) { () throws(HCNError) in try node.service.modify(handle, settings: hostRoute) }
        try node.simulator().setVersion(major: 9, minor: 2)
        try node.service.modify(handle, settings: hostRoute)
        try node.simulator().setVersion(major: 13, minor: 0)
        expectHCNError(0x803B_000E) { () throws(HCNError) in
            try node.createEndpoint(
                network: network, policies: #"[{"Type":"TierAcl","Settings":{"Name":"t","Direction":"In","Order":1}}]"#)
        }
    }

    @Test("v1 GET /networks/ and /endpoints/<id> answer the v1 views in HNS's envelope")
    func v1Surface() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let endpoint = try node.createEndpoint(network: network, name: "cbr0_ep", ip: "10.244.1.2")
        let networks = try JSON.parse(try node.service.hnsCall(method: "GET", path: "/networks/", request: ""))
        #expect(networks["Success"] == true)
        #expect(networks["Output"]?.arrayValue?.first?["ManagementIP"] != nil)
        let one = try JSON.parse(
            try node.service.hnsCall(method: "GET", path: "/endpoints/\(guid(endpoint))", request: ""))
        #expect(one["Output"]?["IPAddress"] == "10.244.1.2")
        #expect(one["Output"]?["VirtualNetworkName"] == "cbr0")
        let missing = try JSON.parse(
            try node.service.hnsCall(
                method: "GET", path: "/endpoints/11111111-2222-4333-8444-555555555555", request: ""))
        #expect(missing["Success"] == false)
        #expect(missing["Error"] == "The endpoint was not found. ")
    }

    @Test("/32 endpoint prefixes need HNS 10.4 or later")
    func slash32() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        let settings = #"{"IpConfigurations":[{"IpAddress":"10.244.1.9","PrefixLength":32}]}"#
        try node.simulator().setVersion(major: 10, minor: 3)
        expectHCNError(0x803B_0030) { () throws(HCNError) in try node.createEndpoint(network: network, settings) }
        try node.simulator().setVersion(major: 10, minor: 4)
        try node.createEndpoint(network: network, settings)
    }

    @Test("an HRESULT fault fails the next N calls of its operation, then calls succeed again")
    func hresultFault() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork()
        try node.simulator().addFault(
            SimulatorFault(op: "CreateEndpoint", kind: .hresult(HRESULT(0x803B_0020)), count: 2))
        #expect(try node.simulator().faults().map(\.op) == ["HcnCreateEndpoint"])
        for _ in 0..<2 {
            let error = expectHCNError(0x803B_0020) { () throws(HCNError) in try node.createEndpoint(network: network) }
            #expect(error?.name == "HCN_E_MANAGER_STOPPED")
        }
        try node.createEndpoint(network: network)
        #expect(try node.simulator().faults().isEmpty)
    }

    @Test("faults target every operation by its HCN name", arguments: SimulatorFault.operations)
    func faultOperations(operation: String) throws {
        #expect(SimulatorFault.operationName(operation) == operation)
        #expect(SimulatorFault.operationName(operation.lowercased()) == operation)
    }

    @Test("the state directory is private: a 0700 directory, a 0600 database and log")
    func permissions() throws {
        let node = try SimulatedNode()
        try node.createNetwork()
        var info = stat()
        #expect(stat(node.directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        for file in ["hns.db", "hns.db-wal"] {
            #expect(stat(node.directory + "/" + file, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(file)")
        }
    }
}
