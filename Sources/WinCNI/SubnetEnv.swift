import NetAddress
import Platform

/// flanneld's `subnet.env` (`FLANNEL_NETWORK`, `FLANNEL_SUBNET`, `FLANNEL_IPV6_NETWORK`, `FLANNEL_IPV6_SUBNET`,
/// `FLANNEL_MTU`, `FLANNEL_IPMASQ`). Same requirements and "is missing" error as the flannel CNI plugin, but a
/// line without `=` is skipped instead of crashing, and CRLF line ends (Windows editors) are accepted.
public struct SubnetEnv: Sendable, Equatable {
    /// The cluster networks, in file order, duplicates removed, host bits cleared.
    public var networks: [IPPrefix]
    /// This node's pod subnet, host bits cleared (flanneld writes the first address: `10.244.1.1/24`).
    public var subnet: IPPrefix?
    public var ipv6Networks: [IPPrefix]
    public var ipv6Subnet: IPPrefix?
    public var mtu: UInt32
    public var ipMasq: Bool

    public init(
        networks: [IPPrefix], subnet: IPPrefix?, ipv6Networks: [IPPrefix] = [], ipv6Subnet: IPPrefix? = nil,
        mtu: UInt32, ipMasq: Bool
    ) {
        self.networks = networks
        self.subnet = subnet
        self.ipv6Networks = ipv6Networks
        self.ipv6Subnet = ipv6Subnet
        self.mtu = mtu
        self.ipMasq = ipMasq
    }

    /// Parses the file's text; `path` names the file in errors.
    public static func parse(_ text: String, path: String) throws(WinCNIError) -> SubnetEnv {
        var networks: [IPPrefix]?
        var ipv6Networks: [IPPrefix]?
        var subnet: IPPrefix?
        var ipv6Subnet: IPPrefix?
        var mtu: UInt32?
        var ipMasq: Bool?
        // Lines split on LF bytes; the CR of a CRLF end is trimmed with the other spaces.
        let bytes = Array(text.utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            let line = bytes[lineStart..<lineEnd]
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = asciiTrimmed(line[..<equals])
            guard !key.isEmpty, !key.hasPrefix("#") else { continue }
            let value = asciiTrimmed(line[(equals + 1)...])
            func prefix() throws(WinCNIError) -> IPPrefix {
                guard let prefix = IPPrefix(value) else {
                    throw .invalidSubnetEnv(path: path, message: "\(key)=\(value): \(quoted(value)) is not a CIDR")
                }
                return prefix.masked
            }
            func prefixList() throws(WinCNIError) -> [IPPrefix] {
                var list: [IPPrefix] = []
                let bytes = Array(value.utf8)
                var start = 0
                while start < bytes.count {
                    let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.count
                    defer { start = end + 1 }
                    guard end > start else { continue }  // empty items are skipped
                    let text = asciiTrimmed(bytes[start..<end])
                    guard let prefix = IPPrefix(text) else {
                        throw .invalidSubnetEnv(path: path, message: "\(key)=\(value): \(quoted(text)) is not a CIDR")
                    }
                    if !list.contains(prefix.masked) { list.append(prefix.masked) }
                }
                return list
            }
            switch key {
            case "FLANNEL_NETWORK": networks = try prefixList()
            case "FLANNEL_IPV6_NETWORK": ipv6Networks = try prefixList()
            case "FLANNEL_SUBNET": subnet = try prefix()
            case "FLANNEL_IPV6_SUBNET": ipv6Subnet = try prefix()
            case "FLANNEL_MTU":
                guard let number = UInt32(value) else {
                    throw .invalidSubnetEnv(path: path, message: "FLANNEL_MTU=\(value): not a number")
                }
                mtu = number
            case "FLANNEL_IPMASQ": ipMasq = value == "true"  // flannel: anything but "true" is false
            default: continue
            }
        }
        var missing: [String] = []
        if networks == nil && ipv6Networks == nil { missing += ["FLANNEL_NETWORK", "FLANNEL_IPV6_NETWORK"] }
        if subnet == nil && ipv6Subnet == nil { missing += ["FLANNEL_SUBNET", "FLANNEL_IPV6_SUBNET"] }
        if mtu == nil { missing.append("FLANNEL_MTU") }
        if ipMasq == nil { missing.append("FLANNEL_IPMASQ") }
        guard missing.isEmpty, let mtu, let ipMasq else {
            throw .invalidSubnetEnv(path: path, message: "is missing \(missing.joined(separator: ", "))")
        }
        return SubnetEnv(
            networks: networks ?? [], subnet: subnet, ipv6Networks: ipv6Networks ?? [], ipv6Subnet: ipv6Subnet,
            mtu: mtu, ipMasq: ipMasq)
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(WinCNIError) -> SubnetEnv {
        let bytes: [UInt8]
        do throws(PlatformError) {
            // Only a regular file: a FIFO or device there must not stall the command, nor a link redirect it.
            bytes = try Files.read(path, limit: 1 << 20, only: .regularOnly)
        } catch {
            if error.kind == .notFound { throw .subnetEnvMissing(path: path, reason: "cannot read: \(error.text)") }
            if error.kind == .notRegular {
                throw .subnetEnvMissing(
                    path: path,
                    reason: "\(error.text), not read; remove it so that flanneld writes the file there again")
            }
            throw .io(error)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }
}
