import JSON
import NetAddress

/// The policies of one endpoint: the config's, then what the plugin adds for this pod. The additions skip what the
/// list already says, as pkg/hns does (research §2.3), but compare addresses and CIDRs by value rather than by
/// bytes, and see policies of any spelling (pkg/hns misses `"OutboundNAT"` or `"10.244.0.0/16 "` and duplicates).
public struct EndpointPolicyList: Sendable, Equatable {
    public private(set) var policies: [PolicyDocument]

    public init(_ policies: [PolicyDocument] = []) { self.policies = policies }

    public var json: JSON { .array(policies.map(\.json)) }

    private func strings(_ key: String, ofType type: String) -> [String] {
        policies.filter { $0.type == type }.flatMap { policy in
            (policy.settings[key]?.arrayValue ?? []).compactMap { $0.stringValue?.trimmingASCIISpaces() }
        }
    }

    /// No SNAT towards `cidr` (win-bridge `ipMasqNetwork`, win-overlay `ipMasq`): merged into the exceptions of the
    /// endpoint's OutBoundNAT policy (the first one that is not a loopback-DSR `Destinations` policy), so HNS gets
    /// one, as flannel documents it ("add FLANNEL_SUBNET to any existing exclusions") and pkg/hns did before 2021
    /// (it now appends a second policy). Nothing is added when a listed exception already contains `cidr` (the
    /// node's subnet inside the cluster CIDR).
    public mutating func addOutboundNATException(_ cidr: IPPrefix) {
        let contained = strings("Exceptions", ofType: "OutBoundNAT").contains { text in
            guard let prefix = IPPrefix(text) else { return false }
            return prefix.masked.contains(cidr.masked)
        }
        if contained { return }
        let entry = JSON.string(cidr.masked.description)
        if let index = policies.firstIndex(where: { $0.type == "OutBoundNAT" && $0.settings["Destinations"] == nil }) {
            let listed = policies[index].settings["Exceptions"]?.arrayValue ?? []
            policies[index].settings["Exceptions"] = .array(listed + [entry])
            return
        }
        policies.append(PolicyDocument(type: "OutBoundNAT", settings: ["Exceptions": .array([entry])]))
    }

    /// `loopbackDSR`: the pod reaches itself through a service VIP by not SNATing traffic to its own address.
    public mutating func addLoopbackDSR(_ address: IPAddress) {
        let present = strings("Destinations", ofType: "OutBoundNAT").contains { IPAddress($0) == address }
        if present { return }
        policies.append(
            PolicyDocument(type: "OutBoundNAT", settings: ["Destinations": .array([.string(address.description)])]))
    }

    /// The Overlay host's provider address (the network's ProviderAddress policy). pkg/hns appends a second
    /// ProviderAddress policy when the config names another address; wincni keeps the operator's one instead of
    /// sending HNS two.
    public mutating func addProviderAddress(_ address: IPAddress) {
        if policies.contains(where: { $0.type == "ProviderAddress" }) { return }
        policies.append(
            PolicyDocument(type: "ProviderAddress", settings: ["ProviderAddress": .string(address.description)]))
    }

    /// hostPort support in both modes (win-overlay ignores port mappings). `localRoutedVIP` and `allowACL` are
    /// sdnbridge's `optionalFlags.localRoutedPortMapping` / `allowAclPortMapping`; `dualStack` adds the IPv6 twin
    /// of each mapping without a host IP, as sdnbridge does for dual-stack endpoints.
    public mutating func addPortMappings(
        _ mappings: [PortMapping], localRoutedVIP: Bool, allowACL: Bool, dualStack: Bool
    ) {
        var seen: [(UInt16, UInt32, IPAddress?, Bool)] = []
        for mapping in mappings {
            var variants: [Bool] = [mapping.hostIP.map { !$0.isIPv4 } ?? false]
            if dualStack && mapping.hostIP == nil { variants.append(true) }
            for ipv6 in variants {
                // The same host port twice would make HNS fail with HCN_E_PORT_ALREADY_EXISTS.
                if seen.contains(where: {
                    $0.0 == mapping.hostPort && $0.1 == mapping.protocolNumber
                        && $0.2 == mapping.hostIP && $0.3 == ipv6
                }) {
                    continue
                }
                seen.append((mapping.hostPort, mapping.protocolNumber, mapping.hostIP, ipv6))
                var flags: Int64 = 0
                if localRoutedVIP { flags |= 1 }  // NatFlagsLocalRoutedVip
                if ipv6 { flags |= 2 }  // NatFlagsIPv6
                var settings: JSONObject = [
                    "InternalPort": .integer(Int64(mapping.containerPort)),
                    "ExternalPort": .integer(Int64(mapping.hostPort)),
                    "Protocol": .integer(Int64(mapping.protocolNumber)),
                ]
                if let hostIP = mapping.hostIP { settings["VIP"] = .string(hostIP.description) }
                if flags != 0 { settings["Flags"] = .integer(flags) }
                policies.append(PolicyDocument(type: "PortMapping", settings: settings))
            }
            if allowACL {
                policies.append(
                    PolicyDocument(
                        type: "ACL",
                        settings: [
                            "Protocols": .string(String(mapping.protocolNumber)), "Action": "Allow", "Direction": "In",
                            "LocalPorts": .string(String(mapping.containerPort)), "Priority": 1000,
                        ]))
            }
        }
    }
}
