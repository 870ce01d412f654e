import HCN
import JSON
import Testing

/// Decodes a fixture with the type its name starts with and encodes it again.
func reencode(_ name: String, _ document: JSON) throws -> JSON {
    if name.hasPrefix("network-policy-") { return try NetworkPolicy(json: document).json }
    if name.hasPrefix("endpoint-policy-") { return try EndpointPolicy(json: document).json }
    if name.hasPrefix("network-") { return try HostComputeNetwork(json: document).json }
    if name.hasPrefix("endpoint-") { return try HostComputeEndpoint(json: document).json }
    if name.hasPrefix("namespace-") { return try HostComputeNamespace(json: document).json }
    if name.hasPrefix("query-") { return try HostComputeQuery(json: document).json }
    if name.hasPrefix("modify-") { return try ModifyRequest(json: document).json }
    if name.hasPrefix("policy-endpoint-request-") { return try PolicyEndpointRequest(json: document).json }
    if name.hasPrefix("policy-network-request-") { return try PolicyNetworkRequest(json: document).json }
    if name.hasPrefix("ipam-") { return try Ipam(json: document).json }
    Issue.record("no decoder for fixture \(name)")
    return document
}

let fixtureNames = [
    "endpoint-hcsshim-port-mapping", "endpoint-hcsshim-test", "endpoint-hns-output-attached",
    "endpoint-kube-proxy-remote", "endpoint-policy-loopback-dsr", "endpoint-policy-outbound-nat-exceptions",
    "endpoint-policy-sdn-route", "endpoint-policy-tier-acl", "endpoint-policy-win-bridge-port-mapping",
    "endpoint-policy-win-overlay-provider-address", "endpoint-win-bridge-v2",
    "endpoint-windows-container-networking-gateway", "endpoint-zero", "ipam-windows-container-networking-test",
    "modify-endpoint-apply-acls", "modify-namespace-add-endpoint", "modify-namespace-integer-request-type",
    "modify-namespace-remove-endpoint", "modify-network-add-remote-subnet-route", "modify-network-remove-host-route",
    "namespace-containerd-zero", "namespace-guest", "namespace-hcsshim-test", "namespace-hns-output",
    "network-flannel-vxlan", "network-hcsshim-l2bridge", "network-hcsshim-nat-no-subnet", "network-hcsshim-nat",
    "network-hcsshim-overlay", "network-hns-output-nat-without-type", "network-hns-output-overlay",
    "network-policy-l4-proxy", "network-psm1-lowercase-keys", "network-zero", "policy-endpoint-request-acls",
    "policy-endpoint-request-wfp-proxy", "policy-network-request-host-route", "policy-network-request-network-acl",
    "policy-network-request-remote-subnet-route", "query-default", "query-endpoints-of-network",
    "query-network-by-name",
]

/// Every policy object found anywhere in a document, with whether it sits in an endpoint's or a network's list.
func policies(in value: JSON, endpointContext: Bool) -> [(json: JSON, endpoint: Bool)] {
    var found: [(JSON, Bool)] = []
    switch value {
    case .object(let object):
        for (key, member) in object {
            if key.lowercased() == "policies", let elements = member.arrayValue {
                for element in elements { found.append((element, endpointContext)) }
            } else {
                found += policies(in: member, endpointContext: endpointContext)
            }
        }
    case .array(let elements):
        for element in elements { found += policies(in: element, endpointContext: endpointContext) }
    default: break
    }
    return found
}

@Suite("HCN schema round trips")
struct SchemaRoundTripTests {
    @Test("decoding then encoding a fixture gives the same document", arguments: fixtureNames)
    func roundTrip(name: String) throws {
        let text = Fixtures.document(name + ".json")
        let document = try JSON.parse(text)
        let encoded = try reencode(name, document)
        #expect(encoded == document)
        #expect(encoded.compact() == text)
    }

    @Test("typed policy settings round-trip through their settings type", arguments: fixtureNames)
    func typedSettings(name: String) throws {
        let document = try JSON.parse(Fixtures.document(name + ".json"))
        let endpointContext =
            name.hasPrefix("endpoint") || name.contains("endpoint-request")
            || name.contains("apply-acls")
        var candidates = policies(in: document, endpointContext: endpointContext)
        if name.hasPrefix("endpoint-policy-") { candidates = [(document, true)] }
        if name.hasPrefix("network-policy-") { candidates = [(document, false)] }
        for (policyJSON, isEndpoint) in candidates {
            let type = policyJSON[goKey: "Type"]?.stringValue ?? ""
            let settings = policyJSON[goKey: "Settings"] ?? .null
            let reencoded: JSON?
            switch (type.lowercased(), isEndpoint) {
            case ("outboundnat", true): reencoded = try OutBoundNatPolicySetting(settings: settings).settings
            case ("sdnroute", true): reencoded = try SDNRoutePolicySetting(settings: settings).settings
            case ("portmapping", true): reencoded = try PortMappingPolicySetting(settings: settings).settings
            case ("provideraddress", _):
                reencoded = try ProviderAddressEndpointPolicySetting(settings: settings).settings
            case ("acl", true), ("networkacl", false): reencoded = try AclPolicySetting(settings: settings).settings
            case ("l4proxy", _): reencoded = try L4ProxyPolicySetting(settings: settings).settings
            case ("encapoverhead", true):
                reencoded = try EncapOverheadEndpointPolicySetting(settings: settings).settings
            case ("remotesubnetroute", false):
                reencoded = try RemoteSubnetRoutePolicySetting(settings: settings).settings
            case ("hostroute", false): reencoded = try HostRoutePolicySetting(settings: settings).settings
            case ("drmacaddress", false): reencoded = try DrMacAddressNetworkPolicySetting(settings: settings).settings
            case ("netadaptername", false): reencoded = try NetAdapterNamePolicySetting(settings: settings).settings
            case ("vsid", false): reencoded = try VsidPolicySetting(settings: settings).settings
            default: reencoded = nil
            }
            if let reencoded { #expect(reencoded == settings, "\(type) in \(name)") }
        }
    }
}
