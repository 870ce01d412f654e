/// An HNS capability that depends on the HNS version (v1 `GET /globals/version`), with the inclusive version
/// ranges hcsshim's `hcnsupport.go` uses (research/hns-api.md §6).
public enum HNSFeature: String, Sendable, CaseIterable {
    case aclAddressLists = "AclAddressLists"
    case apiV2 = "V2"
    case remoteSubnet = "RemoteSubnet"
    case hostRoute = "HostRoute"
    /// Direct Server Return: what win-bridge's `loopbackDSR` needs.
    case dsr = "DSR"
    case slash32EndpointPrefixes = "Slash32EndpointPrefixes"
    case aclSupportForProtocol252 = "AclSupportForProtocol252"
    case sessionAffinity = "SessionAffinity"
    case ipv6DualStack = "IPv6DualStack"
    case setPolicy = "SetPolicy"
    case vxlanPort = "VxlanPort"
    case l4Proxy = "L4Proxy"
    case l4WfpProxy = "L4WfpProxy"
    case tierAcl = "TierAcl"
    case networkACL = "NetworkACL"
    case nestedIpSet = "NestedIpSet"
    case disableHostPort = "DisableHostPort"
    case modifyLoadBalancer = "ModifyLoadbalancer"
    case accelnet = "Accelnet"

    /// A version, compared major then minor.
    public typealias Version = (major: Int, minor: Int)

    /// The inclusive ranges of HNS versions that have the feature; an open upper end is `Int.max`.
    public var versionRanges: [(from: Version, to: Version)] {
        let open = Int.max
        func from(_ major: Int, _ minor: Int) -> (from: Version, to: Version) { ((major, minor), (open, open)) }
        func range(_ major: Int, _ minor: Int, upToMajor last: Int) -> (from: Version, to: Version) {
            ((major, minor), (last, open))
        }
        switch self {
        case .aclAddressLists: return [from(7, 2)]
        case .apiV2, .remoteSubnet, .hostRoute: return [from(9, 2)]
        case .dsr: return [range(9, 3, upToMajor: 9), from(10, 2)]
        case .slash32EndpointPrefixes: return [range(9, 3, upToMajor: 9), from(10, 4)]
        case .aclSupportForProtocol252: return [from(11, 0)]
        case .sessionAffinity: return [from(12, 0)]
        case .ipv6DualStack: return [from(11, 10)]
        case .setPolicy: return [from(13, 0)]
        case .vxlanPort: return [from(10, 3)]
        case .l4Proxy:
            return [
                range(9, 5, upToMajor: 9), range(10, 5, upToMajor: 10), range(11, 11, upToMajor: 11),
                range(12, 1, upToMajor: 12), from(13, 1),
            ]
        case .l4WfpProxy: return [from(13, 2)]
        case .tierAcl: return [from(14, 0)]
        case .networkACL, .nestedIpSet: return [from(15, 0)]
        case .disableHostPort: return [from(15, 1)]
        case .modifyLoadBalancer, .accelnet: return [from(15, 4)]
        }
    }

    /// Whether HNS `version` has the feature (hcsshim's `isFeatureInRange`, inclusive at both ends).
    public func isSupported(byHNSVersion version: Version) -> Bool {
        versionRanges.contains { range in
            (range.from.major, range.from.minor) <= (version.major, version.minor)
                && (version.major, version.minor) <= (range.to.major, range.to.minor)
        }
    }

    /// hcsshim's wording when the platform lacks the feature.
    public var unsupportedMessage: String {
        let name: String
        switch self {
        case .apiV2: name = "V2 Api/Schema"
        case .remoteSubnet: name = "Remote Subnet"
        case .hostRoute: name = "Host Route"
        case .dsr: name = "Direct Server Return (DSR)"
        case .slash32EndpointPrefixes: name = "Slash 32 Endpoint prefixes"
        case .aclSupportForProtocol252: name = "HNS ACL Policies to support protocol 252 for VXLAN"
        case .sessionAffinity: name = "Session Affinity"
        case .ipv6DualStack: name = "IPv6 DualStack"
        case .vxlanPort: name = "VXLAN port configuration"
        case .l4Proxy: name = "L4ProxyPolicy"
        case .l4WfpProxy: name = "L4WfpProxyPolicy"
        default: name = rawValue
        }
        return "platform does not support feature \(name)"
    }
}
