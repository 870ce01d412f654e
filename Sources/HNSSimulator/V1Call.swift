import HCN
import JSON

/// The v1 `HNSCall` surface: `GET /globals/version` (the version feature detection uses) and read-only `GET`s of
/// networks, endpoints and namespaces in their v1 shape, answered in HNS's envelope `{"Success","Output"|"Error"}`.
struct V1Call {
    let catalog: SimulatorCatalog
    let method: String
    let path: String
    let version: (major: Int, minor: Int)

    func response() throws(HCNError) -> String {
        let parts = path.lowercased().split(separator: "/").map(String.init)
        guard method.uppercased() == "GET" else { return failure(.requestUnsupported) }
        switch parts.first {
        case "globals" where parts.count == 2 && parts[1] == "version":
            return success(["Major": .integer(Int64(version.major)), "Minor": .integer(Int64(version.minor))])
        case "networks": return try objects(.network, parts)
        case "endpoints": return try objects(.endpoint, parts)
        case "namespaces": return try objects(.namespace, parts)
        default: return failure(.elementNotFound)
        }
    }

    private func objects(_ kind: HCNResourceKind, _ parts: [String]) throws(HCNError) -> String {
        if parts.count == 1 {
            var documents: [JSON] = []
            for id in try catalog.listed(kind) {
                if let document = try v1Document(kind, id) { documents.append(document) }
            }
            return success(.array(documents))
        }
        guard parts.count == 2, let id = GUID(parts[1]), let document = try v1Document(kind, id)
        else { return failure(kind == .endpoint ? .endpointNotFound : .elementNotFound) }
        return success(document)
    }

    private func v1Document(_ kind: HCNResourceKind, _ id: GUID) throws(HCNError) -> JSON? {
        guard let document = try catalog.document(kind, id) else { return nil }
        return try HNSSimulator.view(kind, id: id, document: document, catalog: catalog, v1: true)
    }

    private func success(_ output: JSON) -> String { JSON.object(["Success": true, "Output": output]).compact() }

    private func failure(_ code: SimulatorCode) -> String {
        let text = SimulatorErrorCatalog.message(of: code.hresult) ?? ""
        return JSON.object([
            "Success": false, "Error": .string(text + " "), "ErrorCode": .unsigned(UInt64(code.hresult.rawValue)),
        ]).compact()
    }
}
