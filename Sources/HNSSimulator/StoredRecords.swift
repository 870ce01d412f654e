import HCN

/// One host port taken by a `PortMapping` endpoint policy.
struct HostPort: Hashable, Sendable {
    var protocolNumber: UInt32
    var port: UInt16
    var vip: String

    /// HNS refuses a second mapping of the same external port; protocol 0 and an empty VIP mean "any".
    func conflicts(with other: HostPort) -> Bool {
        guard port == other.port else { return false }
        let sameProtocol = protocolNumber == other.protocolNumber || protocolNumber == 0 || other.protocolNumber == 0
        let sameVIP = vip.isEmpty || other.vip.isEmpty || vip.lowercased() == other.vip.lowercased()
        return sameProtocol && sameVIP
    }
}

struct NetworkRecord: Sendable {
    var id: GUID
    var name: String
    var type: String
}

struct EndpointRecord: Sendable {
    var id: GUID
    var name: String
    var network: GUID
    var namespace: GUID?
    var flags: UInt32
    var mac: String
    var ips: [String]
    var ports: [HostPort]

    var isRemote: Bool { flags & 1 != 0 }
}

struct NamespaceRecord: Sendable {
    var id: GUID
    var compartment: UInt32
    var type: String
}
