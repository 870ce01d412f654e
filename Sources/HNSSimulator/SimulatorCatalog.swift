import HCN
import JSON
import NetAddress

/// The HNS objects in the database, as one HCN call sees them inside its transaction: the lookups HNS's rules need
/// and the writes that keep an object's rows (addresses, host ports, MAC, namespace) in step with its document.
/// Every lookup goes through an index. IDs are stored as `GUID.description` (upper case), so any spelling the
/// caller used finds the object.
struct SimulatorCatalog {
    let database: SimulatorDatabase
    let operation: String
    /// The HNS version this call sees (read with the trace switch at the start of the call).
    var version: (major: Int, minor: Int) = HNSSimulator.defaultVersion

    /// A database failure as the HCN error of the call.
    @discardableResult
    func io<T>(_ body: () throws(DatabaseFailure) -> T) throws(HCNError) -> T {
        do {
            return try body()
        } catch {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
    }

    static func table(_ kind: HCNResourceKind) -> String {
        switch kind {
        case .network: return "network"
        case .endpoint: return "endpoint"
        case .namespace: return "namespace"
        }
    }

    /// The key names are compared by: HNS compares them case-insensitively.
    static func nameKey(_ name: String) -> String {
        for byte in name.utf8 where byte >= 0x80 || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) {
            return name.lowercased()
        }
        return name
    }

    // MARK: - Objects

    /// One statement per table reads a row by ID, whatever the caller needs of it (the document; an endpoint's
    /// namespace, network and MAC; a network's MAC hint): a process prepares each statement it uses once, 20 to 30 K
    /// instructions each, and a pod ADD read three endpoint rows and two network rows in five statements.
    static func row(_ kind: HCNResourceKind) -> String {
        switch kind {
        case .network: return "SELECT document, mac_hint FROM network WHERE id = ?1"
        case .endpoint: return "SELECT document, namespace, network, mac FROM endpoint WHERE id = ?1"
        case .namespace: return "SELECT document FROM namespace WHERE id = ?1"
        }
    }

    /// The same statement as `documentText`: a process prepares one statement per kind for both.
    func contains(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> Bool {
        try documentText(kind, id) != nil
    }

    /// The stored document (compact JSON, as HNS returns it), nil when there is no such object.
    func documentText(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> String? {
        try io { () throws(DatabaseFailure) in
            try database.text(Self.row(kind), .text(id.description))
        }
    }

    func document(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> JSONObject? {
        guard let text = try documentText(kind, id) else { return nil }
        guard let parsed = try? JSON.parse(text), case .object(let object) = parsed else {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(kind) \(id) does not parse."
            )
        }
        return object
    }

    /// The members `keys` of a stored document, parsed without the rest: endpoint creation needs a network's
    /// `Ipams` and `MacPool`, ~250 of its ~800 bytes, and parsing the whole document was ~0.1 M instructions of a
    /// pod ADD. Nil when there is no such object.
    func document(_ kind: HCNResourceKind, _ id: GUID, members keys: [String]) throws(HCNError) -> JSONObject? {
        guard let text = try documentText(kind, id) else { return nil }
        let part = Self.topLevelMembers(text, keys) ?? text
        guard let parsed = try? JSON.parse(part), case .object(let object) = parsed else {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(kind) \(id) does not parse."
            )
        }
        return object
    }

    /// An object text holding only the top-level members of `text` named `keys` (exact spelling, as the simulator
    /// stores documents), in their order; nil when `text` is not an object or holds one of the keys twice (then the
    /// caller parses all of it, and JSON's own rule for repeated keys applies).
    static func topLevelMembers(_ text: String, _ keys: [String]) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.first == UInt8(ascii: "{") else { return nil }
            var depth = 0
            var inString = false
            var escaped = false
            var expectKey = false
            var keyStart = -1
            var memberStart = -1
            var seen: [String] = []
            // The object being built: "{", the members with commas between them, "}" (a generic `joined` of
            // strings cost as much as parsing the whole document).
            var members: [UInt8] = [UInt8(ascii: "{")]
            members.reserveCapacity(bytes.count)
            func endMember(_ end: Int) {
                guard memberStart >= 0 else { return }
                if members.count > 1 { members.append(UInt8(ascii: ",")) }
                members.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[memberStart..<end]))
                memberStart = -1
            }
            for index in bytes.indices {
                let byte = bytes[index]
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                        if keyStart >= 0 {
                            let key = String(
                                decoding: UnsafeBufferPointer(rebasing: bytes[(keyStart + 1)..<index]), as: UTF8.self)
                            if keys.contains(key) {
                                if seen.contains(key) { return nil }
                                seen.append(key)
                                memberStart = keyStart
                            }
                            keyStart = -1
                        }
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                    if depth == 1 && expectKey {
                        keyStart = index
                        expectKey = false
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if depth == 1 { expectKey = true }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 1 { endMember(index) }
                    depth -= 1
                case UInt8(ascii: ",") where depth == 1:
                    endMember(index)
                    expectKey = true
                default:
                    break
                }
            }
            guard depth == 0, !inString else { return nil }
            members.append(UInt8(ascii: "}"))
            return String(decoding: members, as: UTF8.self)
        }
    }

    /// Every object of `kind`, oldest first.
    func listed(_ kind: HCNResourceKind) throws(HCNError) -> [GUID] {
        try ids("SELECT id FROM \(Self.table(kind)) ORDER BY seq")
    }

    /// The networks or endpoints named `name` (case-insensitively), oldest first.
    func ids(_ kind: HCNResourceKind, named name: String) throws(HCNError) -> [GUID] {
        guard kind != .namespace else { return [] }
        return try ids(
            "SELECT id FROM \(Self.table(kind)) WHERE name_key = ?1 ORDER BY seq", .text(Self.nameKey(name)))
    }

    func endpointIDs(onNetwork network: GUID) throws(HCNError) -> [GUID] {
        try ids("SELECT id FROM endpoint WHERE network = ?1 ORDER BY seq", .text(network.description))
    }

    /// The endpoints attached to `namespace`.
    func members(ofNamespace namespace: GUID) throws(HCNError) -> [GUID] {
        try ids("SELECT id FROM endpoint WHERE namespace = ?1 ORDER BY seq", .text(namespace.description))
    }

    func networkName(_ id: GUID) throws(HCNError) -> String? {
        try io { () throws(DatabaseFailure) in
            try database.text("SELECT name FROM network WHERE id = ?1", .text(id.description))
        }
    }

    private func ids(_ sql: String, _ values: SQLValue...) throws(HCNError) -> [GUID] {
        try io { () throws(DatabaseFailure) in
            var result: [GUID] = []
            try database.query(sql, values) { row in if let id = row.text(0).flatMap(GUID.init) { result.append(id) } }
            return result
        }
    }

    // MARK: - Rules

    func isClaimed(_ address: IPAddress, on network: GUID) throws(HCNError) -> Bool {
        try io { () throws(DatabaseFailure) in
            try database.integer(
                "SELECT 1 FROM claim WHERE network = ?1 AND claim = ?2", .text(network.description),
                .text(address.description)) != nil
        }
    }

    /// Every address taken on `network` (for HNS's own allocation).
    func claims(on network: GUID) throws(HCNError) -> Set<String> {
        try io { () throws(DatabaseFailure) in
            Set(
                try database.texts("SELECT claim FROM claim WHERE network = ?1", .text(network.description)).filter {
                    !$0.hasPrefix(Self.portClaimPrefix)
                })
        }
    }

    /// The mappings of host port `port` on `network`, except those of `excluded`.
    func hostPorts(_ port: UInt16, on network: GUID, excluding excluded: GUID?) throws(HCNError) -> [HostPort] {
        // Every claim of this port starts with `port/PORT/`; the next character after "/" is "0", so the range ends
        // at `port/PORT0`.
        let prefix = "\(Self.portClaimPrefix)\(port)/"
        return try io { () throws(DatabaseFailure) in
            var result: [HostPort] = []
            try database.query(
                "SELECT claim FROM claim WHERE network = ?1 AND claim >= ?2 AND claim < ?3 AND endpoint <> ?4",
                [
                    .text(network.description), .text(prefix), .text("\(Self.portClaimPrefix)\(port)0"),
                    .text(excluded?.description ?? ""),
                ]
            ) { row in
                // PROTOCOL/VIP after the prefix
                guard let rest = row.text(0)?.utf8.dropFirst(prefix.utf8.count),
                    let slash = rest.firstIndex(of: UInt8(ascii: "/")),
                    let number = UInt32(String(decoding: rest[..<slash], as: UTF8.self))
                else { return }
                let vip = String(decoding: rest[rest.index(after: slash)...], as: UTF8.self)
                result.append(HostPort(protocolNumber: number, port: port, vip: vip))
            }
            return result
        }
    }

    /// How a host port mapping is spelled as a claim: `port/PORT/PROTOCOL/VIP` (the VIP in lower case, empty for
    /// any). An address claim is the address itself, which never starts with "p".
    static let portClaimPrefix = "port/"

    static func portClaim(_ port: HostPort) -> String {
        "\(portClaimPrefix)\(port.port)/\(port.protocolNumber)/\(port.vip.lowercased())"
    }

    func isMACTaken(_ value: UInt64) throws(HCNError) -> Bool {
        try io { () throws(DatabaseFailure) in
            try database.integer("SELECT 1 FROM endpoint WHERE mac = ?1", .integer(Int64(value))) != nil
        }
    }

    /// A value below which every MAC of the network's pool is taken.
    func macHint(_ network: GUID) throws(HCNError) -> UInt64 {
        try io { () throws(DatabaseFailure) in
            var hint: Int64 = 0
            try database.query(Self.row(.network), .text(network.description)) { row in hint = row.integer(1) }
            return UInt64(truncatingIfNeeded: hint)
        }
    }

    func setMACHint(_ network: GUID, _ value: UInt64) throws(HCNError) {
        try io { () throws(DatabaseFailure) in
            try database.run(
                "UPDATE network SET mac_hint = ?2 WHERE id = ?1", .text(network.description), .integer(Int64(value)))
        }
    }

    /// The highest compartment a namespace uses (1, the host's, when there is none).
    func highestCompartment() throws(HCNError) -> UInt32 {
        try io { () throws(DatabaseFailure) in
            UInt32(truncatingIfNeeded: max(1, try database.integer("SELECT max(compartment) FROM namespace") ?? 1))
        }
    }

    // MARK: - Writes

    /// Stores a new object, its rows and its document; a constraint the schema holds fails with `conflict`.
    func insert(_ kind: HCNResourceKind, _ id: GUID, _ document: JSONObject, conflict: SimulatorCode) throws(HCNError) {
        let text = JSON.object(document).compact()
        try write(conflict) { () throws(DatabaseFailure) in
            switch kind {
            case .network:
                let name = document["Name"]?.stringValue ?? ""
                try database.run(
                    "INSERT INTO network(id, name, name_key, document) VALUES (?1, ?2, ?3, ?4)", .text(id.description),
                    .text(name), name.isEmpty ? .null : .text(Self.nameKey(name)), .text(text))
            case .namespace:
                let record = StoredNamespace.record(id: id, document: document)
                try database.run(
                    "INSERT INTO namespace(id, compartment, document) VALUES (?1, ?2, ?3)", .text(id.description),
                    .integer(Int64(record.compartment)), .text(text))
            case .endpoint:
                let record = StoredEndpoint.record(id: id, document: document)
                try database.run(
                    "INSERT INTO endpoint(id, name_key, network, namespace, mac, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    .text(id.description), .text(Self.nameKey(record.name)), .text(record.network.description),
                    record.namespace.map { .text($0.description) } ?? .null,
                    StoredEndpoint.macValue(record.mac).map { .integer(Int64($0)) } ?? .null, .text(text))
                try addRows(record, before: nil)
            }
        }
    }

    /// An endpoint's stored document and namespace column, nil when there is no such endpoint.
    func endpointNamespaceRow(_ id: GUID) throws(HCNError) -> (document: String, namespace: String?)? {
        try io { () throws(DatabaseFailure) in
            var result: (document: String, namespace: String?)?
            try database.query(Self.row(.endpoint), .text(id.description)) {
                row in
                if result == nil, let document = row.text(0) { result = (document, row.text(1)) }
            }
            return result
        }
    }

    /// Replaces an endpoint's document whose only change is its namespace.
    func setEndpointNamespace(_ id: GUID, document: String, namespace: GUID?, conflict: SimulatorCode)
        throws(HCNError)
    {
        try write(conflict) { () throws(DatabaseFailure) in
            try database.run(
                "UPDATE endpoint SET document = ?2, namespace = ?3 WHERE id = ?1", .text(id.description),
                .text(document), namespace.map { .text($0.description) } ?? .null)
        }
    }

    /// Replaces an object's document. `before` and `after` are the endpoint's records (nil for other kinds).
    func update(
        _ kind: HCNResourceKind, _ id: GUID, _ document: JSONObject, conflict: SimulatorCode,
        endpoint: (before: EndpointRecord, after: EndpointRecord)? = nil
    ) throws(HCNError) {
        let text = JSON.object(document).compact()
        try write(conflict) { () throws(DatabaseFailure) in
            guard let (before, after) = endpoint else {
                try database.run(
                    "UPDATE \(Self.table(kind)) SET document = ?2 WHERE id = ?1", .text(id.description), .text(text))
                return
            }
            try database.run(
                "UPDATE endpoint SET document = ?2, namespace = ?3, mac = ?4 WHERE id = ?1", .text(id.description),
                .text(text), after.namespace.map { .text($0.description) } ?? .null,
                StoredEndpoint.macValue(after.mac).map { .integer(Int64($0)) } ?? .null)
            if before.ips != after.ips || before.ports != after.ports {
                try database.run("DELETE FROM claim WHERE endpoint = ?1", .text(id.description))
                try addRows(after, before: nil)
            }
        }
    }

    /// The address and host port claims of an endpoint.
    private func addRows(_ record: EndpointRecord, before: EndpointRecord?) throws(DatabaseFailure) {
        for ip in record.ips {
            guard let address = IPAddress(ip) else { continue }
            try claim(address.description, record)
        }
        for port in record.ports { try claim(Self.portClaim(port), record) }
    }

    private func claim(_ claim: String, _ record: EndpointRecord) throws(DatabaseFailure) {
        try database.run(
            "INSERT INTO claim(network, claim, endpoint) VALUES (?1, ?2, ?3)", .text(record.network.description),
            .text(claim), .text(record.id.description))
    }

    /// Removes an object; the schema takes a network's endpoints and an endpoint's rows with it.
    func delete(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) {
        try write(.entityHasReferences) { () throws(DatabaseFailure) in
            if kind == .endpoint {
                // A freed MAC is the next one its network gives.
                var freed: (network: String, mac: Int64)?
                try database.query(Self.row(.endpoint), .text(id.description)) { row in
                    if let network = row.text(2), !row.isNull(3) { freed = (network, row.integer(3)) }
                }
                if let freed {
                    try database.run(
                        "UPDATE network SET mac_hint = min(mac_hint, ?2) WHERE id = ?1", .text(freed.network),
                        .integer(freed.mac))
                }
            }
            try database.run("DELETE FROM \(Self.table(kind)) WHERE id = ?1", .text(id.description))
        }
    }

    private func write(_ conflict: SimulatorCode, _ body: () throws(DatabaseFailure) -> Void) throws(HCNError) {
        do {
            try body()
        } catch  where error.isConstraint {
            throw HCNError.simulator(operation, conflict)
        } catch {
            throw SimulatorErrorCatalog.error(
                operation, SimulatorCode.unspecified.hresult, text: "HNS simulator state: \(error).")
        }
    }
}
