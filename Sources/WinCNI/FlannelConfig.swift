import JSON
import NetAddress

/// The flannel meta plugin's config (`"type": "flannel"`): where flanneld's `subnet.env` is, where the delegate
/// configs are kept, and the `delegate` object the node's plugin config is built from.
public struct FlannelConfig: Sendable, Equatable {
    /// The config's `cniVersion` as written (nil when absent: the delegate then gets flannel's "0.2.0").
    public var cniVersion: String?
    public var name: String
    public var subnetFile: String
    public var dataDir: String
    /// The user's `delegate` object, without the keys flannel sets itself.
    public var delegate: JSONObject
    /// The delegate's `type`, `win-bridge` when absent (flannel's Windows default).
    public var delegateType: String
    public var runtimeConfig: JSONObject?
    /// flannel's own `ipam` object: the Linux flannel plugin merges it into the delegate's IPAM; the Windows one
    /// drops it. wincni merges it as Linux does, so host-local's `dataDir` (or another IPAM type) can be chosen.
    public var ipam: JSONObject?

    public static let defaultSubnetFile = "/run/flannel/subnet.env"
    public static let defaultDataDir = "/var/lib/cni/flannel"

    public init(_ document: JSONObject) throws(WinCNIError) {
        let fields = ConfigFields(object: document, path: "")
        cniVersion = try fields.string("cniVersion").flatMap { $0.isEmpty ? nil : $0 }
        guard let name = try fields.string("name"), !name.isEmpty else {
            throw .invalidConfig(path: fields.path(of: "name"), message: "missing: the HNS network name")
        }
        self.name = name
        subnetFile = try fields.string("subnetFile").flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultSubnetFile
        dataDir = try fields.string("dataDir").flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultDataDir
        runtimeConfig = try fields.child("runtimeConfig")?.object
        ipam = try fields.child("ipam")?.object
        let delegateFields = try fields.child("delegate") ?? ConfigFields(object: JSONObject(), path: "delegate")
        delegate = delegateFields.object
        // flannel checks these keys exactly; wincni in any case, since Go's decoder would read "Name" as "name".
        for key in ["name", "ipam"] where delegateFields.object.matchedKey(goKey: key) != nil {
            throw .invalidConfig(
                path: delegateFields.path(of: key), message: "must not be set: flannel sets the delegate's \(key)")
        }
        if let type = delegateFields.value("type") {
            guard let text = type.stringValue, !text.isEmpty else {
                throw .invalidConfig(
                    path: delegateFields.path(of: "type"), message: "expected a plugin name, found \(type.excerpt)")
            }
            guard text != "flannel" else {
                throw .invalidConfig(
                    path: delegateFields.path(of: "type"), message: "the delegate cannot be flannel itself")
            }
            delegateType = text
        } else {
            delegateType = "win-bridge"
        }
    }

    /// The delegate's config, as flannel builds it on Windows (flannel_windows.go, research §6.3): the user's
    /// `delegate`, plus `name`, `type`, `cniVersion`, `ipMasq` (FLANNEL_IPMASQ, not inverted), `ipMasqNetwork`
    /// (the first cluster network), `runtimeConfig`, and a host-local `ipam` over this node's subnet; keys sorted as
    /// Go's `json.Marshal` of a map sorts them. Where flannel crashes on an IPv6-only `subnet.env`, wincni uses the
    /// IPv6 network and subnet, and a dual-stack file gives host-local one range per family.
    ///
    /// Without `env` (flanneld gone, subnet.env missing) the document has no `ipam` and no `ipMasq*`: enough for
    /// a DEL or GC of the delegate to find and delete endpoints by name.
    public func delegateDocument(_ env: SubnetEnv?) throws(WinCNIError) -> JSON {
        var document = delegate
        for key in ["type", "cniVersion", "ipMasq", "ipMasqNetwork", "runtimeConfig"] {
            while let spelled = document.matchedKey(goKey: key) { document[spelled] = nil }
        }
        document["name"] = .string(name)
        document["type"] = .string(delegateType)
        document["cniVersion"] = .string(cniVersion ?? "0.2.0")
        if let runtimeConfig { document["runtimeConfig"] = .object(runtimeConfig) }
        guard let env else { return JSON.object(document).sortedLikeGo() }
        document["ipMasq"] = .bool(env.ipMasq)
        if let network = env.networks.first ?? env.ipv6Networks.first {
            document["ipMasqNetwork"] = .string(network.description)
        }
        var ipamObject = JSONObject()
        for (key, value) in ipam ?? JSONObject() where !["subnet", "ranges"].contains(key.lowercased()) {
            ipamObject[key] = value
        }
        if ipamObject.matchedKey(goKey: "type") == nil { ipamObject["type"] = "host-local" }
        switch (env.subnet, env.ipv6Subnet) {
        case (let v4?, nil), (nil, let v4?):
            ipamObject["subnet"] = .string(v4.description)
        case (let v4?, let v6?):
            ipamObject["ranges"] = [[["subnet": .string(v4.description)]], [["subnet": .string(v6.description)]]]
        case (nil, nil):
            throw .invalidSubnetEnv(path: subnetFile, message: "has no FLANNEL_SUBNET")
        }
        document["ipam"] = .object(ipamObject)
        return JSON.object(document).sortedLikeGo()
    }
}
