import JSON
import NetAddress
import WinCNI

/// The plugin's own decoders: endpoint plugin configs (with policy translation), flannel configs and the delegate
/// config they build, subnet.env, port-mapping protocols.
let pluginTargets: [@Sendable ([UInt8]) -> [String]] = [pluginConfigs, subnetEnv]

/// The subnet.env every flannel input is combined with.
private let sampleEnv: SubnetEnv? = {
    guard let network = IPPrefix("10.244.0.0/16"), let subnet = IPPrefix("10.244.1.0/24") else { return nil }
    return SubnetEnv(networks: [network], subnet: subnet, mtu: 1450, ipMasq: true)
}()

@Sendable private func pluginConfigs(_ bytes: [UInt8]) -> [String] {
    var broken: [String] = []
    guard let document = try? JSON.parse(bytes), let object = document.objectValue else { return [] }
    if let config = try? BridgeOverlayConfig(object) {
        for policy in config.policies { _ = policy.json.compact() }
        _ = config.dns.hcnJSON
    }
    if let text = object.value(goKey: "type")?.stringValue {
        _ = try? PluginKind.of(type: text, mode: object.value(goKey: "mode")?.stringValue)
    }
    if let flannel = try? FlannelConfig(object) {
        for env in [sampleEnv, nil] {
            guard let delegate = try? flannel.delegateDocument(env), let delegateObject = delegate.objectValue else {
                continue
            }
            // What flannel saves must parse back as the same document.
            let saved = delegate.compactBytes()
            let parsed = try? JSON.parse(saved)
            if parsed.map({ FuzzEntry.equivalent($0, delegate) }) != true {
                broken.append(
                    "flannel's saved delegate config does not parse back: \(String(decoding: saved.prefix(200), as: UTF8.self))"
                )
            }
            _ = try? BridgeOverlayConfig(delegateObject, path: "delegate")
        }
    }
    return broken
}

@Sendable private func subnetEnv(_ bytes: [UInt8]) -> [String] {
    var broken: [String] = []
    let text = String(decoding: bytes, as: UTF8.self)
    _ = PortMapping.protocolNumber(text)
    guard let env = try? SubnetEnv.parse(text, path: "subnet.env") else { return [] }
    if let subnet = env.subnet, subnet != subnet.masked { broken.append("FLANNEL_SUBNET kept host bits: \(subnet)") }
    for network in env.networks where network != network.masked { broken.append("FLANNEL_NETWORK kept host bits") }
    if let flannel = try? FlannelConfig(["name": "cbr0", "type": "flannel"]) {
        _ = try? flannel.delegateDocument(env)
    }
    return broken
}
