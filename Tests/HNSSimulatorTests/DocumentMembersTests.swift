import JSON
import Testing

@testable import HNSSimulator

/// Endpoint creation parses only the network's `Ipams` and `MacPool`: the members cut out of the stored text must be
/// what parsing the whole document gives, whatever else the document holds.
@Suite("HNS simulator: top-level members of a stored document")
struct DocumentMembersTests {
    static let keys = ["Ipams", "MacPool"]

    /// The members `keys` of `text` by parsing all of it, in the document's order.
    static func fully(_ text: String) throws -> JSONObject {
        guard case .object(let document) = try JSON.parse(text) else { throw JSONParseFailure() }
        var result = JSONObject()
        for key in document.keys where keys.contains(key) { result[key] = document[key] }
        return result
    }

    struct JSONParseFailure: Error {}

    @Test(
        "the cut members parse to what the whole document gives",
        arguments: [
            #"{"Name":"a","Ipams":[{"Type":"Static","Subnets":[{"IpAddressPrefix":"10.0.0.0/24"}]}],"MacPool":{"Ranges":[]}}"#,
            #"{"MacPool":{"Ranges":[{"StartMacAddress":"00-15-5D-00-00-00","EndMacAddress":"00-15-5D-00-FF-FF"}]},"Id":"x"}"#,
            #"{"Policies":[{"Settings":{"Ipams":"nested","MacPool":[1,2]}}],"Ipams":[],"Name":"q\"}{,\\"}"#,
            #"{"Name":"Ipams","Note":"\"MacPool\":1,","Ipams":[{"Subnets":[{"Routes":[{"NextHop":"10.0.0.1"}]}]}]}"#,
            #"{"Name":"none"}"#, #"{}"#, #"{ "Ipams" : [ ] , "MacPool" : { } }"#,
        ])
    func members(text: String) throws {
        let cut = try #require(SimulatorCatalog.topLevelMembers(text, Self.keys))
        guard case .object(let parsed) = try JSON.parse(cut) else {
            Issue.record("not an object: \(cut)")
            return
        }
        #expect(parsed == (try Self.fully(text)), "cut \(cut)")
    }

    @Test(
        "a key found twice, text that is not an object, or an unterminated one is left to the full parse",
        arguments: [
            #"{"Ipams":[],"Ipams":[{}]}"#, #"[{"Ipams":[]}]"#, #""Ipams""#, #"{"Ipams":[{"Subnets":"#,
            #"{"Name":"open"#,
        ])
    func refused(text: String) {
        #expect(SimulatorCatalog.topLevelMembers(text, Self.keys) == nil)
    }

    @Test("a stored network's members are its Ipams and MacPool as parsed from the whole document")
    func storedNetwork() throws {
        let node = try SimulatedNode()
        _ = try node.createNetwork()
        let text = try #require(try node.simulator().storedDocuments(.network).first)
        let cut = try #require(SimulatorCatalog.topLevelMembers(text, Self.keys))
        guard case .object(let parsed) = try JSON.parse(cut) else {
            Issue.record("not an object: \(cut)")
            return
        }
        #expect(parsed == (try Self.fully(text)))
        #expect(parsed["Ipams"] != nil)
    }
}
