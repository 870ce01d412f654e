import JSON
import Testing

@testable import HCN

@Suite("request texts the client writes directly")
struct RequestTextTests {
    static let values = [
        "", "cbr0", "wincni-bench-l2", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F", #"a"b\c/d"#, "tab\there\nnewline\u{1}",
        "caf\u{E9} \u{1F600}", String(repeating: "long name ", count: 120),
    ]

    @Test("the default query is what HostComputeQuery.default encodes to")
    func defaultQuery() {
        #expect(HostComputeQuery.defaultText == HostComputeQuery.default.json.compact())
    }

    @Test("a one-member filter query is the encoded HostComputeQuery", arguments: values)
    func filterQuery(_ value: String) throws {
        for key in ["Name", "ID", "VirtualNetwork"] {
            let expected = HostComputeQuery(filter: [key: .string(value)]).json.compact()
            #expect(HostComputeQuery.filterText(key, value) == expected)
            // And it reads back as that filter.
            let decoded = try HostComputeQuery(json: JSON.parse(HostComputeQuery.filterText(key, value)))
            #expect(decoded.filterObject?[key]?.stringValue == value)
        }
    }

    @Test("namespace endpoint requests are the encoded ModifyRequest", arguments: values)
    func namespaceEndpoint(_ value: String) {
        #expect(
            ModifyRequest.namespaceEndpointText(.add, value) == ModifyRequest.addNamespaceEndpoint(value).json.compact()
        )
        #expect(
            ModifyRequest.namespaceEndpointText(.remove, value)
                == ModifyRequest.removeNamespaceEndpoint(value).json.compact())
    }

    @Test("JSON.quoted is the compact form of a string value", arguments: values)
    func quoted(_ value: String) {
        #expect(JSON.quoted(value) == JSON.string(value).compact())
    }
}
