import ArgumentParser
import HCN
import JSON
import NetAddress
import WinCNI

/// `hnsctl flannel up`: what flanneld does on a Windows node when it starts (research windows-cni-anchors §7):
/// host-gw creates an L2Bridge network and the host endpoint `<name>_ep` at the lease's `.2`; vxlan creates an
/// Overlay network with the VNI as VSID and adds a HostRoute policy. An existing network with the same type and
/// subnet is kept, as flanneld keeps it, so running it again changes nothing.
struct FlannelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flannel", abstract: "Do what flanneld does on a Windows node.", subcommands: [Up.self])

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case hostGW = "host-gw"
        case vxlan
    }

    struct Up: HNSControlRunnable {
        static let configuration = CommandConfiguration(
            abstract: "Create the HNS network (and host endpoint) flanneld creates for its lease.")
        @Option(name: .customLong("subnet-env"), help: "flannel's subnet.env.") var subnetEnv: String
        @Option(help: "host-gw (L2Bridge) or vxlan (Overlay).") var backend: Backend
        @Option(help: "The network name (default cbr0 for host-gw, flannel.<vni> for vxlan).") var name: String?
        @Option(help: "The VXLAN network identifier (default 4096).") var vni: Int?

        func execute(_ context: HNSControlContext) throws {
            // The same reader the flannel meta plugin uses, so hnsctl and wincni agree on what a subnet.env says.
            let env: SubnetEnv
            do { env = try SubnetEnv.load(path: subnetEnv) } catch { throw HNSControlError(error.description) }
            guard let lease = env.subnet else { throw HNSControlError("\(subnetEnv): FLANNEL_SUBNET is missing") }
            let subnet = lease.masked
            guard let gateway = subnet.network.adding(1), let bridge = subnet.network.adding(2) else {
                throw HNSControlError("\(subnetEnv): FLANNEL_SUBNET \(lease) is too small")
            }
            let client = try context.client()
            switch backend {
            case .hostGW:
                let networkName = name ?? "cbr0"
                let network = try ensureNetwork(
                    client, context, name: networkName, type: "L2Bridge", subnet: subnet, gateway: gateway, vsid: nil)
                guard let networkID = network.id else { throw HNSControlError("network \(networkName) has no ID") }
                try ensureBridgeEndpoint(
                    client, context, name: "\(networkName)_ep", network: networkID, address: bridge)
            case .vxlan:
                let vni = vni ?? 4096
                // flanneld refuses smaller VNIs on Windows: HNS takes VSIDs from 4096 up.
                guard vni >= 4096 else {
                    throw HNSControlError("--vni \(vni): VNI is required to greater than or equal to 4096 on Windows")
                }
                let networkName = name ?? "flannel.\(vni)"
                let network = try ensureNetwork(
                    client, context, name: networkName, type: "Overlay", subnet: subnet, gateway: gateway, vsid: vni)
                guard let networkID = network.id else { throw HNSControlError("network \(networkName) has no ID") }
                if NetworkDocument.policy(network, "HostRoute") == nil {
                    try client.modify(
                        .network, networkID,
                        [
                            "ResourceType": "Policy", "RequestType": "Add",
                            "Settings": ["Policies": [["Type": "HostRoute", "Settings": [:]]]],
                        ])
                    context.print("added HostRoute policy to \(networkName)")
                }
                let current = try client.document(.network, networkID)
                let drMac = NetworkDocument.policy(current, "DrMacAddress")?[goKey: "Settings"]?[goKey: "Address"]
                let address = NetworkDocument.policy(current, "ProviderAddress")?[goKey: "Settings"]?[
                    goKey: "ProviderAddress"]
                context.print(
                    "VTEP MAC \(drMac?.stringValue ?? "?"), provider address \(address?.stringValue ?? "?")")
            }
        }

        private func ensureNetwork(
            _ client: HNSClient, _ context: HNSControlContext, name: String, type: String, subnet: IPPrefix,
            gateway: IPAddress, vsid: Int?
        ) throws -> JSONObject {
            for existing in try client.find(.network, name) {
                let subnets = NetworkDocument.subnets(existing)
                let sameType = NetworkDocument.type(existing).lowercased() == type.lowercased()
                if sameType, subnets.first?.prefix == subnet.description, subnets.first?.gateway == gateway.description
                {
                    context.print(
                        "network \(name) (\(type) \(subnet), gateway \(gateway)) exists: \(existing.text("Id"))")
                    return existing
                }
                // flanneld replaces a network whose subnet no longer matches its lease.
                if let id = existing.id {
                    try client.delete(.network, id)
                    context.print("deleted network \(name) \(id): its subnet is not \(subnet)")
                }
            }
            let document = NetworkDocument.make(
                name: name, type: type, subnet: subnet.description, gateway: gateway, vsid: vsid,
                flags: type == "Overlay" ? 8 : 0)
            let created = try client.create(.network, document)
            context.print("created network \(name) (\(type) \(subnet), gateway \(gateway)): \(created.text("Id"))")
            return created
        }

        private func ensureBridgeEndpoint(
            _ client: HNSClient, _ context: HNSControlContext, name: String, network: GUID, address: IPAddress
        ) throws {
            let existing = try client.documents(
                .endpoint, filter: ["Name": .string(name), "VirtualNetwork": .string(network.description)])
            for endpoint in existing {
                if EndpointDocument.addresses(endpoint).contains(where: { $0.hasPrefix(address.description + "/") }) {
                    context.print("endpoint \(name) (\(address)) exists: \(endpoint.text("Id"))")
                    return
                }
                if let id = endpoint.id { try client.delete(.endpoint, id) }
            }
            let created = try client.create(
                .endpoint,
                [
                    "Name": .string(name), "HostComputeNetwork": .string(network.description),
                    "IpConfigurations": [["IpAddress": .string(address.description)]],
                    "SchemaVersion": ["Major": 2, "Minor": 0],
                ], network: network)
            context.print("created endpoint \(name) (\(address)): \(created.text("Id"))")
        }
    }
}
