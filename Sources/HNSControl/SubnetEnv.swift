import NetAddress

/// flanneld's `subnet.env` (`FLANNEL_NETWORK`, `FLANNEL_SUBNET`, `FLANNEL_MTU`, `FLANNEL_IPMASQ`): `KEY=VALUE`
/// lines, split at the first `=`. Unlike flannel's own reader, CRLF line ends (files edited on Windows) are fine.
struct SubnetEnv: Equatable {
    var networks: [IPPrefix] = []
    /// The node's lease as written: its first address and the lease length (`10.244.1.1/24`).
    var subnet: IPPrefix?
    var mtu: Int?
    var ipMasq: Bool?

    init(text: String, path: String) throws(HNSControlError) {
        // Split on bytes: in Swift "\r\n" is one Character and would not match "\n".
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = Substring(String(decoding: rawLine, as: UTF8.self))
            while line.last == "\r" || line.last == " " { line.removeLast() }
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw HNSControlError("\(path): \"\(line)\" is not KEY=VALUE")
            }
            let key = String(line[..<equals]).trimmingSpaces
            let value = String(line[line.index(after: equals)...]).trimmingSpaces
            switch key {
            case "FLANNEL_NETWORK":
                for item in value.split(separator: ",") {
                    guard let prefix = IPPrefix(String(item)) else {
                        throw HNSControlError("\(path): FLANNEL_NETWORK \"\(item)\" is not a CIDR")
                    }
                    if !networks.contains(prefix) { networks.append(prefix) }
                }
            case "FLANNEL_SUBNET":
                guard let prefix = IPPrefix(value) else {
                    throw HNSControlError("\(path): FLANNEL_SUBNET \"\(value)\" is not a CIDR")
                }
                subnet = prefix
            case "FLANNEL_MTU":
                guard let number = Int(value), number > 0 else {
                    throw HNSControlError("\(path): FLANNEL_MTU \"\(value)\" is not a number")
                }
                mtu = number
            case "FLANNEL_IPMASQ":
                ipMasq = value == "true"
            default:
                continue
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
