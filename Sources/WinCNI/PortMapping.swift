import JSON
import NetAddress

/// One `runtimeConfig.portMappings` entry (the `portMappings` capability): a host port forwarded to the pod.
public struct PortMapping: Sendable, Equatable {
    public var hostPort: UInt16
    public var containerPort: UInt16
    /// The IP protocol number HNS wants (6 TCP, 17 UDP, ...).
    public var protocolNumber: UInt32
    /// The host address to listen on; nil for every address.
    public var hostIP: IPAddress?

    public init(hostPort: UInt16, containerPort: UInt16, protocolNumber: UInt32, hostIP: IPAddress? = nil) {
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocolNumber = protocolNumber
        self.hostIP = hostIP
    }

    /// Both take the same host port for the same protocol on a common host address (no `hostIP` means every one).
    func conflicts(with other: PortMapping) -> Bool {
        hostPort == other.hostPort && protocolNumber == other.protocolNumber
            && (hostIP == nil || other.hostIP == nil || hostIP == other.hostIP)
    }

    /// `tcp`, `udp`, or the protocol number, for messages.
    var protocolName: String {
        switch protocolNumber {
        case 6: return "tcp"
        case 17: return "udp"
        default: return String(protocolNumber)
        }
    }

    /// Reads an entry; a missing protocol means TCP, as Kubernetes and the portmap plugin assume.
    static func decode(_ fields: ConfigFields) throws(WinCNIError) -> PortMapping {
        guard let hostPort = try fields.integer("hostPort", in: 1...65535)
        else { throw .invalidConfig(path: fields.path(of: "hostPort"), message: "missing") }
        guard
            let containerPort = try fields.integer("containerPort", in: 1...65535)
        else { throw .invalidConfig(path: fields.path(of: "containerPort"), message: "missing") }
        let protocolText = try fields.string("protocol") ?? "tcp"
        guard let number = PortMapping.protocolNumber(protocolText) else {
            throw .invalidConfig(
                path: fields.path(of: "protocol"),
                message: "\(quoted(protocolText)) is not a protocol HNS can map (tcp, udp or a number up to 1023)")
        }
        var hostIP: IPAddress?
        if let text = try fields.string("hostIP"), !text.isEmpty {
            guard let address = IPAddress(text) else {
                throw .invalidConfig(path: fields.path(of: "hostIP"), message: "\(quoted(text)) is not an IP address")
            }
            hostIP = address
        }
        return PortMapping(
            hostPort: UInt16(hostPort), containerPort: UInt16(containerPort), protocolNumber: number, hostIP: hostIP)
    }

    /// win-bridge's protocol reading (pkg/hns `GetProtocolEnum`): a number first (Go `ParseUint(_, 0, 10)`: decimal,
    /// `0x` hex, `0o`/leading-zero octal, `0b` binary, at most 1023), else a name in any case. win-bridge skips an
    /// entry it cannot read; wincni rejects it, as sdnbridge does, so a hostPort never silently goes missing.
    public static func protocolNumber(_ text: String) -> UInt32? {
        if let number = parseGoUnsigned(text), number <= 1023 { return UInt32(number) }
        switch text.lowercased() {
        case "icmpv4": return 1
        case "igmp": return 2
        case "tcp": return 6
        case "udp": return 17
        case "icmpv6": return 58
        default: return nil
        }
    }
}

/// Go's `strconv.ParseUint(text, 0, 64)` base detection, without underscores.
func parseGoUnsigned(_ text: String) -> UInt64? {
    var digits = Substring(text)
    var radix = 10
    let lower = text.lowercased()
    if lower.hasPrefix("0x") {
        radix = 16
        digits = digits.dropFirst(2)
    } else if lower.hasPrefix("0o") {
        radix = 8
        digits = digits.dropFirst(2)
    } else if lower.hasPrefix("0b") {
        radix = 2
        digits = digits.dropFirst(2)
    } else if text.count > 1 && text.hasPrefix("0") {
        radix = 8
        digits = digits.dropFirst(1)
    }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
    return UInt64(digits, radix: radix)
}
