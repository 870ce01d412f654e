import CNI
import HostLocal
import JSON
import NetAddress

/// The fuzz target: one input, every decoder the plugin runs on untrusted bytes. The same function backs the
/// libFuzzer binary (`Fuzz/main.swift`, built by `scripts/fuzz.sh`) and the regression tests that replay what the
/// fuzzer found, so a crash reproduces under `swift test` exactly as it did under libFuzzer.
///
/// An input is taken as stdin (a network configuration), as text (CNI_ARGS, container IDs, interface names, IP
/// addresses, CIDRs, MACs) and, by the plugin's decoders, as `subnet.env`. Nothing it does touches the disk.
public enum FuzzEntry {
    /// Runs every decoder on `bytes`; a broken invariant stops the process (the fuzzer reports it as a crash).
    public static func run(_ bytes: [UInt8]) {
        let broken = violations(bytes)
        if let first = broken.first { preconditionFailure(first) }
    }

    /// Runs every decoder on `bytes` and returns the invariants it broke (empty when none). Traps inside the
    /// decoders themselves still crash, as they would in the plugin.
    public static func violations(_ bytes: [UInt8]) -> [String] {
        var broken: [String] = []
        jsonRoundTrip(bytes, &broken)
        networkConfig(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        environmentValues(text)
        addresses(text, &broken)
        for target in extraTargets { broken += target(bytes) }
        return broken
    }

    /// Further decoders: the plugin's own (PluginFuzz.swift), each returning the invariants it broke.
    static let extraTargets: [@Sendable ([UInt8]) -> [String]] = pluginTargets

    /// What parses must print as JSON that parses back to an equivalent value (numbers compare by value: an
    /// integral double prints without a fraction, as Go prints it, and comes back as an integer).
    static func jsonRoundTrip(_ bytes: [UInt8], _ broken: inout [String]) {
        guard let value = try? JSON.parse(bytes) else { return }
        let compact = value.compactBytes()
        guard let again = try? JSON.parse(compact) else {
            broken.append(
                "JSON printed by compact() does not parse: \(String(decoding: compact.prefix(200), as: UTF8.self))")
            return
        }
        if !equivalent(again, value) {
            broken.append("JSON changed on a round trip: \(String(decoding: compact.prefix(200), as: UTF8.self))")
        }
        _ = value.pretty()
    }

    /// Equality of JSON values with numbers compared by value.
    public static func equivalent(_ left: JSON, _ right: JSON) -> Bool {
        switch (left, right) {
        case (.array(let l), .array(let r)): return l.count == r.count && zip(l, r).allSatisfy { equivalent($0, $1) }
        case (.object(let l), .object(let r)):
            return l.count == r.count && zip(l, r).allSatisfy { $0.key == $1.key && equivalent($0.value, $1.value) }
        default:
            if let l = left.doubleValue, let r = right.doubleValue { return l == r }
            return left == right
        }
    }

    /// The CNI layer's decoding and validation, then everything a decoded config hands to later stages.
    static func networkConfig(_ bytes: [UInt8]) {
        guard let config = try? NetworkConfig.decode(bytes) else { return }
        if let previous = config.prevResult {
            for version in CNIVersion.supported {
                _ = try? previous.printed(version: version)
            }
        }
        if let ipam = config.ipam, let hostLocal = try? HostLocalConfig.decode(ipam, path: "ipam") {
            _ = try? hostLocal.validate()
            _ = try? HostLocalStore(config: hostLocal, networkName: config.name)
        }
    }

    static func environmentValues(_ text: String) {
        _ = try? CNIParameters.parseArgs(text)
        _ = try? CNIParameters.validateContainerID(text)
        _ = try? CNIParameters.validateInterfaceName(text)
    }

    /// Addresses print in a form that parses back to the same address.
    static func addresses(_ text: String, _ broken: inout [String]) {
        for piece in text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\"" }).prefix(64) {
            let word = String(piece)
            if let address = IPAddress(word), IPAddress(address.description) != address {
                broken.append("IP address \(word) prints as \(address), which does not parse back")
            }
            if let prefix = IPPrefix(word) {
                if IPPrefix(prefix.description) != prefix {
                    broken.append("CIDR \(word) prints as \(prefix), which does not parse back")
                }
                _ = prefix.masked
                _ = prefix.lastAddress
            }
            if let mac = MACAddress(word), MACAddress(mac.description) != mac {
                broken.append("MAC \(word) prints as \(mac), which does not parse back")
            }
        }
    }
}
