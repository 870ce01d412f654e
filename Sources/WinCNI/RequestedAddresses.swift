import CNI
import JSON
import NetAddress

/// The addresses the runtime asks for, in host-local's order (`LoadIPAMConfig`): `CNI_ARGS` `IP=`, then
/// `args.cni.ips`, then `runtimeConfig.ips` (the `ips` capability). Each is an address, or an address with a prefix
/// length (`10.244.1.7/24`, as the conventions write them), whose prefix is ignored as host-local ignores it.
enum RequestedAddresses {
    static func of(_ invocation: Invocation) throws(WinCNIError) -> [IPAddress] {
        var addresses: [IPAddress] = []
        if let text = invocation.request.arg("IP") {
            guard let address = parse(text) else {
                throw .cni(
                    CNIError(
                        .invalidEnvironment, "CNI_ARGS IP=\(text) is not an IP address",
                        details: "set IP to the address the pod should get, e.g. IP=10.244.1.7"))
            }
            addresses.append(address)
        }
        let raw = invocation.request.config.raw
        let fields = ConfigFields(object: raw, path: invocation.configPath)
        if let cni = try fields.child("args")?.child("cni") {
            addresses += try list(cni, "ips")
        }
        if let runtime = try fields.child("runtimeConfig") {
            addresses += try list(runtime, "ips")
        }
        return addresses
    }

    private static func list(_ fields: ConfigFields, _ key: String) throws(WinCNIError) -> [IPAddress] {
        var addresses: [IPAddress] = []
        for (index, text) in (try fields.strings(key) ?? []).enumerated() {
            guard let address = parse(text) else {
                throw .invalidConfig(
                    path: "\(fields.path(of: key))[\(index)]", message: "\(quoted(text)) is not an IP address")
            }
            addresses.append(address)
        }
        return addresses
    }

    private static func parse(_ text: String) -> IPAddress? {
        IPAddress(text) ?? IPPrefix(text)?.address
    }
}
