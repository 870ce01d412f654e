import Testing

@testable import HCN

@Suite("HCN enum tables")
struct EnumTableTests {
    @Test("every table lists its enum's names in declaration order")
    func tablesMatchEnums() {
        #expect(EndpointPolicyType.table.names == EndpointPolicyType.allCases.map(\.rawValue))
        #expect(NetworkPolicyType.table.names == NetworkPolicyType.allCases.map(\.rawValue))
        #expect(SubnetPolicyType.table.names == SubnetPolicyType.allCases.map(\.rawValue))
        #expect(NetworkType.table.names == NetworkType.allCases.map(\.rawValue))
        #expect(ModifyRequestType.table.names == ModifyRequestType.allCases.map(\.rawValue))
        #expect(ModifyResourceType.table.names == ModifyResourceType.allCases.map(\.rawValue))
        #expect(NamespaceType.table.names == NamespaceType.allCases.map(\.rawValue))
        #expect(NamespaceResourceType.table.names == NamespaceResourceType.allCases.map(\.rawValue))
    }

    @Test("integers map to their names (PortName 9, Firewall 18, NAT 0, Remove 1); unknown ones stay numbers")
    func integers() {
        #expect(EndpointPolicyType.table.canonicalName(of: .integer(9)) == "PortName")
        #expect(EndpointPolicyType.table.canonicalName(of: .integer(18)) == "Firewall")
        #expect(EndpointPolicyType.table.canonicalName(of: .integer(10)) == "10")
        #expect(EndpointPolicyType.table.canonicalName(of: .integer(-1)) == "-1")
        #expect(NetworkType.table.canonicalName(of: .integer(0)) == "NAT")
        #expect(NetworkType.table.canonicalName(of: .integer(1)) == "1")
        #expect(ModifyRequestType.table.canonicalName(of: .integer(1)) == "Remove")
        #expect(NetworkPolicyType.table.canonicalName(of: .integer(0)) == "0")
    }

    @Test("names match ignoring ASCII case and come out as HNS spells them")
    func caseInsensitive() {
        #expect(NetworkPolicyType.table.canonicalName("INTERFACECONSTRAINT") == "InterfaceConstraint")
        #expect(EndpointPolicyType.table.canonicalName("sdnroute") == "SDNRoute")
        #expect(EndpointPolicyType.table.canonicalName("SDNRoutes") == "SDNRoutes")
        #expect(asciiEqualFold("L4WFPPROXY", "l4wfpproxy"))
        #expect(!asciiEqualFold("ab", "abc"))
    }
}
