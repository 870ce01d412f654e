import HCN
import JSON
import NetAddress

/// How a pod's endpoint is named and found: pkg/hns `GetSandboxContainerID` / `ConstructEndpointName`.
public enum EndpointNaming {
    /// The sandbox whose network the container uses. Docker passed `container:<sandboxID>` for containers that
    /// share a sandbox's network; a namespace GUID or path (containerd) or `none` (dockershim) leaves the container
    /// ID. pkg/hns turns `container:` into an empty ID (endpoint `_cbr0`); wincni keeps the container ID there.
    public static func sandboxID(containerID: String, netns: String?) -> String {
        guard let netns, !netns.isEmpty, netns != "none", let colon = netns.utf8.firstIndex(of: UInt8(ascii: ":"))
        else {
            return containerID
        }
        let sandbox = String(Substring(netns.utf8[netns.utf8.index(after: colon)...]))
        return sandbox.isEmpty ? containerID : sandbox
    }

    /// `<sandboxID>_<network>`.
    public static func endpointName(containerID: String, netns: String?, network: String) -> String {
        "\(sandboxID(containerID: containerID, netns: netns))_\(network)"
    }

    /// The HCN namespace `CNI_NETNS` names: the GUID itself (containerd on Windows), or a path whose last element
    /// is one (`/run/netns/<GUID>`, as Linux runtimes and cnitool pass it).
    public static func namespaceID(netns: String) -> GUID? {
        // The text after the last separator (a trailing separator is skipped, as an empty element).
        var end = netns.utf8.endIndex
        while end > netns.utf8.startIndex {
            let before = netns.utf8.index(before: end)
            let byte = netns.utf8[before]
            guard byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") else { break }
            end = before
        }
        var start = end
        while start > netns.utf8.startIndex {
            let before = netns.utf8.index(before: start)
            let byte = netns.utf8[before]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") { break }
            start = before
        }
        return GUID(String(Substring(netns.utf8[start..<end])))
    }

    /// Endpoints wincni did not make and GC must leave alone: flanneld's host endpoint `<network>_ep` and
    /// kube-proxy's `source_vip`. Remote endpoints are recognised by their flags.
    static func isForeign(_ name: String, network: String) -> Bool {
        name == "\(network)_ep" || name == "source_vip" || !name.hasSuffix("_\(network)")
    }
}

/// The gateway and MAC rules of the two modes.
public enum EndpointAddressing {
    /// L2Bridge pods route through flanneld's host endpoint `<network>_ep`, the subnet's network address + 2.
    /// win-bridge adds 2 to the last byte with wrap-around (so a /31 gets an address outside it); wincni does the
    /// arithmetic on the whole address and refuses subnets with no room for it.
    public static func bridgeGateway(for prefix: IPPrefix) -> IPAddress? {
        let network = prefix.network
        guard let gateway = network.adding(2), prefix.contains(gateway), gateway != prefix.lastAddress || !prefix.isIPv4
        else { return nil }
        return gateway
    }

    /// win-overlay's pod MAC: the two-byte prefix, then the four bytes of the IPv4 address
    /// (`0E-2A` + 10.244.1.5 = `0E-2A-0A-F4-01-05`), printed the HNS way (upper case, dashes).
    public static func overlayMAC(prefix: [UInt8], address: IPAddress) -> MACAddress? {
        guard prefix.count == 2, address.isIPv4 else { return nil }
        return MACAddress(bytes: prefix + address.bytes)
    }
}

/// The HCN v2 endpoint a pod gets, as the JSON document sent to `HcnCreateEndpoint`.
public struct EndpointDocument: Sendable, Equatable {
    public var name: String
    public var networkID: String
    /// IPAM's addresses (v4 first); empty when HNS allocates.
    public var addresses: [IPPrefix]
    /// One default route per family, through these gateways.
    public var gateways: [IPAddress]
    public var mac: MACAddress?
    public var dns: DNSSettings
    public var policies: EndpointPolicyList

    public init(
        name: String, networkID: String, addresses: [IPPrefix], gateways: [IPAddress], mac: MACAddress?,
        dns: DNSSettings, policies: EndpointPolicyList
    ) {
        self.name = name
        self.networkID = networkID
        self.addresses = addresses
        self.gateways = gateways
        self.mac = mac
        self.dns = dns
        self.policies = policies
    }

    /// Key order as hcsshim marshals `HostComputeEndpoint`; PrefixLength set (pkg/hns leaves it out, so HNS
    /// guesses); `HostComputeNamespace` left out because HNS treats it as read-only.
    public var json: JSON {
        var object: JSONObject = ["Name": .string(name), "HostComputeNetwork": .string(networkID)]
        if !policies.policies.isEmpty { object["Policies"] = policies.json }
        if !addresses.isEmpty {
            object["IpConfigurations"] = .array(
                addresses.map {
                    .object(["IpAddress": .string($0.address.description), "PrefixLength": .integer(Int64($0.length))])
                })
        }
        if !dns.isEmpty { object["Dns"] = dns.hcnJSON }
        if !gateways.isEmpty {
            object["Routes"] = .array(
                gateways.map {
                    .object([
                        "NextHop": .string($0.description),
                        "DestinationPrefix": .string($0.isIPv4 ? "0.0.0.0/0" : "::/0"),
                    ])
                })
        }
        if let mac { object["MacAddress"] = .string(mac.description) }
        object["SchemaVersion"] = ["Major": 2, "Minor": 0]
        return .object(object)
    }
}
