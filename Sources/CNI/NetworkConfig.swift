import JSON

/// The `dns` block of configurations and results (`nameservers`, `domain`, `search`, `options`).
public struct DNS: Sendable, Equatable {
    public var nameservers: [String]
    public var domain: String?
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    public var isEmpty: Bool {
        nameservers.isEmpty && (domain ?? "").isEmpty && search.isEmpty && options.isEmpty
    }

    /// Reads a `dns` object; keys match case-insensitively (real Windows configs spell `Nameservers`, `Search`).
    public static func decode(_ fields: JSONFields) throws(JSONFieldError) -> DNS {
        DNS(
            nameservers: try fields.strings("nameservers") ?? [],
            domain: try fields.string("domain"),
            search: try fields.strings("search") ?? [],
            options: try fields.strings("options") ?? [])
    }

    /// The object Go's `types.DNS` marshals: every member left out when empty, so empty DNS is `{}`.
    public var json: JSON {
        var object = JSONObject()
        if !nameservers.isEmpty { object["nameservers"] = .array(nameservers.map { .string($0) }) }
        if let domain, !domain.isEmpty { object["domain"] = .string(domain) }
        if !search.isEmpty { object["search"] = .array(search.map { .string($0) }) }
        if !options.isEmpty { object["options"] = .array(options.map { .string($0) }) }
        return .object(object)
    }
}

/// One attachment the runtime still uses, from the GC command's `cni.dev/valid-attachments`.
public struct GCAttachment: Sendable, Hashable {
    public var containerID: String
    public var ifname: String

    public init(containerID: String, ifname: String) {
        self.containerID = containerID
        self.ifname = ifname
    }
}

/// The request configuration the runtime writes to stdin, decoded: the keys the spec defines, typed, and the whole
/// document kept for the plugin-specific keys. Unknown keys are tolerated, keys match case-insensitively (as Go's
/// decoder does), and `null` counts as absent.
public struct NetworkConfig: Sendable {
    /// The configuration's version; the implied "0.1.0" when the document has none, as libcni assumes.
    public var cniVersion: String
    public var name: String
    public var type: String
    public var capabilities: JSONObject?
    public var runtimeConfig: JSONObject?
    public var args: JSONObject?
    /// The `ipam` block as written, for the IPAM plugin.
    public var ipam: JSONObject?
    public var ipamType: String?
    public var dns: DNS?
    /// The previous plugin's result (ADD in a chain) or the final ADD result (CHECK, DEL), from any version.
    public var prevResult: CNIResult?
    public var rawPrevResult: JSON?
    /// `cni.dev/valid-attachments`, or the older spelling `cni.dev/attachments` (libcni sends both); nil when the
    /// runtime sent neither (wincni then refuses GC: it cannot tell which attachments are live).
    public var validAttachments: [GCAttachment]?
    /// Why `prevResult` was ignored when the document was decoded leniently (DEL): it could not be read.
    public var ignoredPrevResult: String?
    /// The whole stdin document: plugin-specific keys are read from here.
    public var raw: JSONObject
    /// Stdin exactly as received, for delegation (IPAM plugins get the same bytes).
    public var bytes: [UInt8]

    /// Stdin larger than this is refused with code 6 rather than parsed.
    public static let maximumSize = 1 << 20

    public init(
        cniVersion: String, name: String, type: String, capabilities: JSONObject? = nil,
        runtimeConfig: JSONObject? = nil, args: JSONObject? = nil, ipam: JSONObject? = nil, ipamType: String? = nil,
        dns: DNS? = nil, prevResult: CNIResult? = nil, rawPrevResult: JSON? = nil,
        validAttachments: [GCAttachment]? = nil, raw: JSONObject = JSONObject(), bytes: [UInt8] = []
    ) {
        self.cniVersion = cniVersion
        self.name = name
        self.type = type
        self.capabilities = capabilities
        self.runtimeConfig = runtimeConfig
        self.args = args
        self.ipam = ipam
        self.ipamType = ipamType
        self.dns = dns
        self.prevResult = prevResult
        self.rawPrevResult = rawPrevResult
        self.validAttachments = validAttachments
        self.raw = raw
        self.bytes = bytes
    }

    /// Decodes stdin. Code 6 for bytes that are not a JSON object or a known key of the wrong type, 7 for a missing
    /// or invalid `name` or a missing `type`, 1 for a `cniVersion` this plugin does not speak. The checks run in the
    /// Go skel's order: the document, the name, then the version.
    ///
    /// `lenientPrevResult` (DEL, which must finish): a `prevResult` that cannot be read is left out, and
    /// `ignoredPrevResult` says why, instead of failing.
    public static func decode(_ bytes: [UInt8], lenientPrevResult: Bool = false) throws(CNIError) -> NetworkConfig {
        try decode(object: try parseDocument(bytes), bytes: bytes, lenientPrevResult: lenientPrevResult)
    }

    /// Decodes a document already parsed from `bytes` (a delegate config built in this process), with the same
    /// checks and errors as `decode(_:)`.
    public static func decode(object: JSONObject, bytes: [UInt8], lenientPrevResult: Bool = false)
        throws(CNIError) -> NetworkConfig
    {
        let fields = JSONFields(object: object, path: "")
        do {
            let cniVersion = try fields.string("cniVersion").flatMap { $0.isEmpty ? nil : $0 } ?? CNIVersion.implied
            let name = try validName(fields.string("name"))
            guard CNIVersion.isSupported(cniVersion) else { throw unsupportedVersion(cniVersion, path: "cniVersion") }
            guard let type = try fields.string("type"), !type.isEmpty else {
                throw CNIError(
                    .invalidNetworkConfig, "the network configuration has no plugin \"type\"",
                    details: "set \"type\" to the plugin to run, e.g. \"win-bridge\"")
            }
            var config = NetworkConfig(cniVersion: cniVersion, name: name, type: type, raw: object, bytes: bytes)
            config.capabilities = try fields.fields("capabilities")?.object
            config.runtimeConfig = try fields.fields("runtimeConfig")?.object
            config.args = try fields.fields("args")?.object
            if let ipam = try fields.fields("ipam") {
                config.ipam = ipam.object
                config.ipamType = try ipam.string("type").flatMap { $0.isEmpty ? nil : $0 }
            }
            if let dns = try fields.fields("dns") { config.dns = try DNS.decode(dns) }
            if let prevResult = fields.value("prevResult") {
                do throws(CNIError) {
                    guard prevResult.objectValue != nil else {
                        throw decodingFailure(
                            JSONFieldError.mismatch(
                                fields.path(of: "prevResult"), expected: "an object", found: prevResult))
                    }
                    config.prevResult = try CNIResult.decode(
                        prevResult, path: fields.path(of: "prevResult"), defaultVersion: cniVersion)
                    config.rawPrevResult = prevResult
                } catch {
                    guard lenientPrevResult else { throw error }
                    config.ignoredPrevResult = error.msg
                }
            }
            config.validAttachments =
                try attachments(fields, key: "cni.dev/valid-attachments")
                ?? attachments(fields, key: "cni.dev/attachments")
            return config
        } catch let error as JSONFieldError {
            throw decodingFailure(error)
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.decodingFailure, "invalid network configuration: \(error)")
        }
    }

    /// The `cniVersion` a document declares when it is one this plugin speaks (the implied "0.1.0" when it declares
    /// none), else nil. Used to give an error in the config's own version even when decoding failed later on.
    public static func declaredVersion(_ bytes: [UInt8]) -> String? {
        guard bytes.count <= maximumSize, let document = try? JSON.parse(bytes), let object = document.objectValue
        else {
            return nil
        }
        let version = object.value(goKey: "cniVersion")
        switch version {
        case nil, .null?: return CNIVersion.implied
        case .string(let text)?:
            if text.isEmpty { return CNIVersion.implied }
            return CNIVersion.isSupported(text) ? text : nil
        default: return nil
        }
    }

    private static let expectedDocument =
        #"stdin must hold one JSON object such as {"cniVersion":"1.1.0","name":"cbr0","type":"win-bridge"}"#

    static func parseDocument(_ bytes: [UInt8]) throws(CNIError) -> JSONObject {
        guard bytes.count <= maximumSize else {
            throw CNIError(
                .decodingFailure, "the network configuration is larger than \(maximumSize) bytes (\(bytes.count))",
                details: "a CNI configuration is a small JSON document; check what the runtime passes on stdin")
        }
        let document: JSON
        do {
            document = try JSON.parse(bytes)
        } catch {
            throw CNIError(
                .decodingFailure, "error decoding the network configuration from stdin: \(error)",
                details: expectedDocument)
        }
        guard let object = document.objectValue else {
            throw CNIError(
                .decodingFailure,
                "error decoding the network configuration from stdin: expected a JSON object, found \(document.kindName)",
                details: expectedDocument)
        }
        return object
    }

    /// libcni's rule for network names: present, and the same syntax as container IDs (which also keeps out every
    /// character that is not allowed in a file name, as the spec asks).
    static func validName(_ name: String?) throws(CNIError) -> String {
        guard let name, !name.isEmpty else {
            throw CNIError(
                .invalidNetworkConfig, "missing network name",
                details: "set \"name\" in the network configuration, e.g. \"cbr0\"")
        }
        guard CNIParameters.isValidIdentifier(name) else {
            throw CNIError(
                .invalidNetworkConfig, "invalid characters found in network name \(quoted(name))",
                details:
                    "a network name must start with a letter or digit, followed by letters, digits, '_', '.' or '-'")
        }
        return name
    }

    static func unsupportedVersion(_ version: String, path: String) -> CNIError {
        CNIError(
            .incompatibleVersion, "incompatible CNI versions: \(path) is \(quoted(version))",
            details: "this plugin supports \(CNIVersion.supportedList); set \(path) to one of them")
    }

    static func decodingFailure(_ error: JSONFieldError) -> CNIError {
        CNIError(
            .decodingFailure, "invalid network configuration: \(error)",
            details:
                "fix the value at \(error.path.isEmpty ? "the top level" : error.path) in the network configuration")
    }

    private static func attachments(_ fields: JSONFields, key: String) throws(JSONFieldError) -> [GCAttachment]? {
        guard let entries = try fields.objects(key) else { return nil }
        var result: [GCAttachment] = []
        for entry in entries {
            result.append(
                GCAttachment(
                    containerID: try entry.string("containerID") ?? "", ifname: try entry.string("ifname") ?? ""))
        }
        return result
    }
}
