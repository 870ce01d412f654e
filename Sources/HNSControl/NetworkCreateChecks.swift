import HCN
import NetAddress

/// `hnsctl network create`'s checks of its options, made before HNS is called, so a mistake is named by its value
/// (HNS itself answers a subnet with host bits or a gateway outside the subnet with a bare HCN_E_INVALID_SUBNET).
enum NetworkCreateChecks {
    /// `--type`, matched case-insensitively as HNS matches it, in HNS's spelling.
    static func type(_ text: String) throws(HNSControlError) -> NetworkType {
        if let type = NetworkType.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
            return type
        }
        let others = NetworkType.allCases.filter { $0 != .l2Bridge && $0 != .overlay }.map(\.rawValue)
        throw HNSControlError(
            "--type \(text): not an HNS network type; use l2bridge (flannel host-gw) or overlay (flannel vxlan), "
                + "or one of \(others.joined(separator: ", "))")
    }

    /// `--subnet`: a CIDR whose address is the network's first address.
    static func subnet(_ text: String) throws(HNSControlError) -> IPPrefix {
        guard let prefix = IPPrefix(text) else {
            throw HNSControlError("--subnet \(text): not a CIDR; give one such as 10.244.1.0/24")
        }
        guard prefix.address == prefix.network else {
            throw HNSControlError(
                "--subnet \(text): host bits are set (HNS would answer HCN_E_INVALID_SUBNET); "
                    + "did you mean \(prefix.masked)?")
        }
        return prefix
    }

    /// `--gateway`, or the subnet's first address; it must lie inside the subnet, in the same address family.
    static func gateway(_ text: String?, subnet: IPPrefix) throws(HNSControlError) -> IPAddress {
        guard let text else {
            guard let first = subnet.network.adding(1), subnet.contains(first) else {
                throw HNSControlError("--subnet \(subnet): too small to hold a gateway; give a shorter prefix")
            }
            return first
        }
        guard let gateway = IPAddress(text) else {
            throw HNSControlError("--gateway \(text): not an IP address; give one inside \(subnet)")
        }
        guard subnet.contains(gateway) else {
            let example = subnet.network.adding(1).map { ", such as \($0)" } ?? ""
            throw HNSControlError(
                "--gateway \(text) is outside --subnet \(subnet) (HNS would answer HCN_E_INVALID_SUBNET); "
                    + "give an address inside it\(example)")
        }
        return gateway
    }
}
