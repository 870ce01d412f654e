import CNI
import HCN
import JSON
import NetAddress

/// Placeholders that let one config file work on every node (`conf/`): wincni fills them from what the node's HNS
/// already knows before the config is read.
/// - `${NODE_IP}`: the node's address, the HNS network's `ProviderAddress` policy (as win-overlay takes the
///   provider address from the network);
/// - `${NODE_SUBNET}`: the node's pod subnet, the HNS network's (first IPv4) subnet, which flanneld created from its
///   lease.
///
/// They may stand anywhere in a string value (`"${NODE_IP}/32"`). A config without them is used as written, so a
/// literal value always wins.
public enum NodePlaceholders {
    static let nodeIP = "${NODE_IP}"
    static let nodeSubnet = "${NODE_SUBNET}"

    /// Whether the document's bytes name a placeholder (a cheap test before any HNS call).
    public static func present(in bytes: [UInt8]) -> Bool {
        // In place: every exec's config is scanned, so no array is made for the marker or for a candidate.
        let marker: StaticString = "${NODE_"
        return bytes.withUnsafeBufferPointer { buffer in
            marker.withUTF8Buffer { marker in
                guard buffer.count >= marker.count else { return false }
                for start in 0...(buffer.count - marker.count) where buffer[start] == marker[0] {
                    if UnsafeBufferPointer(rebasing: buffer[start..<(start + marker.count)]).elementsEqual(marker) {
                        return true
                    }
                }
                return false
            }
        }
    }

    /// The request's config with its placeholders filled from the HNS network it names (one lookup, only when the
    /// document has a placeholder). Without that network, ADD, CHECK, GC and STATUS fail as they do for any config
    /// (flanneld has not created it yet); DEL goes on.
    /// The network looked up is returned too, so that the command does not look it up again.
    /// For ADD the network's handle stays open (`held`), for the endpoint's creation.
    static func filled(_ request: CNIRequest, client: HCNClient) throws(WinCNIError)
        -> (config: NetworkConfig, network: HostComputeNetwork?, held: HeldNetwork?)
    {
        let config = request.config
        guard present(in: config.bytes) else { return (config, nil, nil) }
        // DEL reads no policy, and host-local releases by owner whatever the ranges: no lookup (DEL makes no
        // network call either). An exec'd IPAM plugin gets the real values.
        if request.command == .del && (config.ipamType == nil || config.ipamType == "host-local") {
            return (try fill(config, network: nil), nil, nil)
        }
        let network: HostComputeNetwork?
        var held: HeldNetwork? = nil
        do {
            if request.command == .add {
                held = try client.openNetwork(named: config.name).map { HeldNetwork($0, client: client) }
                network = held?.network
            } else {
                network = try client.network(named: config.name)
            }
        } catch {
            throw .hns(error, action: "look up network \(quoted(config.name))")
        }
        if network == nil && request.command != .del { throw .networkNotFound(name: config.name) }
        return (try fill(config, network: network), network, held)
    }

    /// `config` with every placeholder filled from `network`. With `network` nil (a DEL),
    /// `${NODE_SUBNET}` becomes `0.0.0.0/0`: host-local then releases the container's reservations by owner, which
    /// needs no range, and `${NODE_IP}` stays (only ADD reads the policies that hold it).
    static func fill(_ config: NetworkConfig, network: HostComputeNetwork?) throws(WinCNIError) -> NetworkConfig {
        let values = network.map(Self.values(from:)) ?? [(nodeSubnet, "0.0.0.0/0")]
        let filled = replacing(.object(config.raw), values)
        guard let object = filled.objectValue else { return config }
        if let name = missing(in: .object(object), network: network) {
            throw .invalidConfig(
                path: "",
                message: "the config uses \(name), and HNS network \(quoted(network?.name ?? config.name)) has no "
                    + (name == nodeIP ? "ProviderAddress policy" : "subnet") + " to fill it from: write the value "
                    + "into the config")
        }
        do {
            var result = try NetworkConfig.decode(
                object: object, bytes: JSON.object(object).compactBytes(),
                lenientPrevResult: config.ignoredPrevResult != nil)
            result.ignoredPrevResult = config.ignoredPrevResult
            return result
        } catch {
            throw .cni(error)
        }
    }

    /// `document` with the placeholders `network` can fill filled, as the plugin reads it on this node (for
    /// `hnsctl doctor`); the others stay.
    public static func filling(_ document: JSONObject, from network: HostComputeNetwork) -> JSONObject {
        replacing(.object(document), values(from: network)).objectValue ?? document
    }

    /// What each placeholder stands for on the node that has `network`.
    private static func values(from network: HostComputeNetwork) -> [(String, String)] {
        var values: [(String, String)] = []
        if let address = EndpointCommands.providerAddress(of: network) {
            values.append((nodeIP, address.description))
        }
        let subnets = network.subnets.compactMap { IPPrefix($0.ipAddressPrefix) }
        if let subnet = subnets.first(where: \.isIPv4) ?? subnets.first {
            values.append((nodeSubnet, subnet.masked.description))
        }
        return values
    }

    private static func replacing(_ value: JSON, _ values: [(String, String)]) -> JSON {
        switch value {
        case .string(let text):
            guard text.contains("${NODE_") else { return value }
            var result = text
            for (placeholder, replacement) in values { result = result.replacingAll(placeholder, with: replacement) }
            return .string(result)
        case .array(let elements): return .array(elements.map { replacing($0, values) })
        case .object(let object):
            var copy = object
            for (key, member) in object { copy[key] = replacing(member, values) }
            return .object(copy)
        default: return value
        }
    }

    /// The first placeholder left in `value` that a command needs filled (with no network, only DEL gets here, and
    /// it does not read `${NODE_IP}`).
    private static func missing(in value: JSON, network: HostComputeNetwork?) -> String? {
        switch value {
        case .string(let text):
            if network != nil && text.contains(nodeIP) { return nodeIP }
            if text.contains(nodeSubnet) { return nodeSubnet }
            return nil
        case .array(let elements):
            for element in elements { if let name = missing(in: element, network: network) { return name } }
            return nil
        case .object(let object):
            for (_, member) in object { if let name = missing(in: member, network: network) { return name } }
            return nil
        default: return nil
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (byte-wise; `target` is ASCII).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let text = Array(utf8)
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty, text.count >= pattern.count else { return self }
        var output: [UInt8] = []
        var index = 0
        while index < text.count {
            if index + pattern.count <= text.count, Array(text[index..<(index + pattern.count)]) == pattern {
                output += Array(replacement.utf8)
                index += pattern.count
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
