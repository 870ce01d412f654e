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
/// Invariants that must hold for every input are checked with `precondition`, so a violation is a crash the fuzzer
/// reports.
public enum FuzzEntry {
    public static func run(_ bytes: [UInt8]) {
        jsonRoundTrip(bytes)
        networkConfig(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        environmentValues(text)
        addresses(text)
        for hook in extraTargets { hook(bytes) }
    }

    /// Further decoders, registered by modules that are not always present (the plugin's own).
    static let extraTargets: [@Sendable ([UInt8]) -> Void] = pluginTargets

    /// What parses must print as JSON that parses back to the same value.
    static func jsonRoundTrip(_ bytes: [UInt8]) {
        guard let value = try? JSON.parse(bytes) else { return }
        let compact = value.compactBytes()
        guard let again = try? JSON.parse(compact) else {
            preconditionFailure("JSON printed by compact() does not parse: \(String(decoding: compact, as: UTF8.self))")
        }
        precondition(again == value, "JSON changed on a round trip: \(String(decoding: compact, as: UTF8.self))")
        _ = value.pretty()
    }

    /// The CNI layer's decoding and validation, then everything a decoded config hands to later stages.
    static func networkConfig(_ bytes: [UInt8]) {
        guard let config = try? NetworkConfig.decode(bytes) else { return }
        if let previous = config.prevResult {
            for version in CNIVersion.supported {
                _ = try? previous.json(version: version)
                _ = try? previous.printed(version: version)
            }
        }
        if let ipam = config.ipam, let hostLocal = try? HostLocalConfig.decode(ipam, path: "ipam") {
            _ = try? hostLocal.validate()
            _ = try? HostLocalStore(config: hostLocal, networkName: config.name)
        }
        for command in [CNICommand.add, .del, .check, .gc, .status] {
            _ = CNIVersion.isAtLeast(config.cniVersion, command.minimumVersion ?? "0.1.0")
        }
    }

    static func environmentValues(_ text: String) {
        _ = try? CNIParameters.parseArgs(text)
        _ = try? CNIParameters.validateContainerID(text)
        _ = try? CNIParameters.validateInterfaceName(text)
    }

    /// Addresses print in a form that parses back to the same address.
    static func addresses(_ text: String) {
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\"" }).prefix(64) {
            let word = String(line)
            if let address = IPAddress(word) {
                precondition(IPAddress(address.description) == address, "IP address \(word) does not round-trip")
            }
            if let prefix = IPPrefix(word) {
                precondition(IPPrefix(prefix.description) == prefix, "CIDR \(word) does not round-trip")
                _ = prefix.masked
                _ = prefix.lastAddress
            }
            if let mac = MACAddress(word) {
                precondition(MACAddress(mac.description) == mac, "MAC \(word) does not round-trip")
            }
        }
    }
}
