import CNI
import JSON
import NetAddress
import Testing

@Suite("Network configuration decoding")
struct NetworkConfigTests {
    func decode(_ text: String) throws(CNIError) -> NetworkConfig { try NetworkConfig.decode(Array(text.utf8)) }

    @Test("a full win-bridge style config decodes, keys matched case-insensitively, unknown keys kept in raw")
    func full() throws {
        let text = #"""
            {
              "CNIVersion": "0.4.0", "Name": "cbr0", "Type": "win-bridge", "somethingUnknown": {"a": [1, 2]},
              "capabilities": {"portMappings": true, "dns": true},
              "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]},
              "args": {"cni": {"ips": ["10.244.1.9/24"]}},
              "IPAM": {"Type": "host-local", "subnet": "10.244.1.0/24"},
              "dns": {"Nameservers": ["10.96.0.10"], "Search": ["svc.cluster.local"], "domain": "cluster.local"},
              "Policies": [{"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT"}}],
              "hairpinMode": true, "loopbackDSR": null
            }
            """#
        let config = try decode(text)
        #expect(config.cniVersion == "0.4.0")
        #expect(config.name == "cbr0")
        #expect(config.type == "win-bridge")
        #expect(config.capabilities?["portMappings"] == .bool(true))
        #expect(config.runtimeConfig?["portMappings"]?.arrayValue?.count == 1)
        #expect(config.args?["cni"]?["ips"] == ["10.244.1.9/24"])
        #expect(config.ipamType == "host-local")
        #expect(config.ipam?["subnet"] == "10.244.1.0/24")
        #expect(config.dns == DNS(nameservers: ["10.96.0.10"], domain: "cluster.local", search: ["svc.cluster.local"]))
        #expect(config.raw.value(goKey: "policies")?.arrayValue?.count == 1)
        #expect(config.raw["somethingUnknown"] != nil)
        #expect(config.bytes == Array(text.utf8))
        #expect(config.prevResult == nil)
        #expect(config.validAttachments == nil)
    }

    @Test(
        "a missing or empty cniVersion means 0.1.0, as libcni assumes",
        arguments: [
            #"{"name":"n","type":"t"}"#, #"{"cniVersion":"","name":"n","type":"t"}"#,
            #"{"cniVersion":null,"name":"n","type":"t"}"#,
        ])
    func impliedVersion(_ text: String) throws {
        #expect(try decode(text).cniVersion == "0.1.0")
    }

    @Test("GC attachments come from cni.dev/valid-attachments, else the older cni.dev/attachments")
    func attachments() throws {
        let both = try decode(
            #"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}],"cni.dev/valid-attachments":[{"containerID":"ctrA","ifname":"eth0"},{"ContainerID":"ctrB","IfName":"eth1"}]}"#
        )
        #expect(
            both.validAttachments == [
                GCAttachment(containerID: "ctrA", ifname: "eth0"), GCAttachment(containerID: "ctrB", ifname: "eth1"),
            ])
        let old = try decode(
            #"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}]}"#
        )
        #expect(old.validAttachments == [GCAttachment(containerID: "old", ifname: "eth0")])
        let none = try decode(#"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[]}"#)
        #expect(none.validAttachments == [])
    }

    @Test("prevResult of any version is decoded; the config's version fills in a missing one")
    func prevResult() throws {
        let v020 = try decode(
            #"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/24","gateway":"10.0.0.1"},"dns":{}}}"#
        )
        #expect(v020.prevResult?.ips.first?.address.description == "10.0.0.5/24")
        #expect(v020.prevResult?.cniVersion == "0.2.0")
        #expect(v020.rawPrevResult?["ip4"] != nil)

        let unversioned = try decode(
            #"{"cniVersion":"0.2.0","name":"n","type":"t","prevResult":{"ip4":{"ip":"10.0.0.5/24"}}}"#)
        #expect(unversioned.prevResult?.cniVersion == "0.2.0")
        #expect(unversioned.prevResult?.ips.count == 1)
    }

    struct FailureCase: CustomTestStringConvertible, Sendable {
        let name: String
        let stdin: String
        let code: UInt32
        let mentions: [String]
        var testDescription: String { name }
    }

    static let failures: [FailureCase] = [
        FailureCase(name: "empty stdin", stdin: "", code: 6, mentions: ["empty input"]),
        FailureCase(name: "truncated JSON", stdin: #"{"name":"cbr0""#, code: 6, mentions: ["byte"]),
        FailureCase(name: "trailing garbage", stdin: #"{"name":"cbr0","type":"t"} x"#, code: 6, mentions: ["byte 27"]),
        FailureCase(
            name: "not an object", stdin: #"["cbr0"]"#, code: 6, mentions: ["expected a JSON object", "array"]),
        FailureCase(
            name: "missing name", stdin: #"{"cniVersion":"1.0.0","type":"t"}"#, code: 7,
            mentions: ["missing network name"]),
        FailureCase(
            name: "empty name", stdin: #"{"cniVersion":"1.0.0","name":"","type":"t"}"#, code: 7,
            mentions: ["missing network name"]),
        FailureCase(
            name: "name with a slash", stdin: #"{"cniVersion":"1.0.0","name":"a/b","type":"t"}"#, code: 7,
            mentions: [#""a/b""#]),
        FailureCase(
            name: "name starting with a dot", stdin: #"{"cniVersion":"1.0.0","name":".x","type":"t"}"#, code: 7,
            mentions: [#"".x""#]),
        FailureCase(
            name: "name of the wrong type", stdin: #"{"cniVersion":"1.0.0","name":5,"type":"t"}"#, code: 6,
            mentions: ["name", "expected a string"]),
        FailureCase(
            name: "cniVersion of the wrong type", stdin: #"{"cniVersion":1.0,"name":"n","type":"t"}"#, code: 6,
            mentions: ["cniVersion"]),
        FailureCase(
            name: "unsupported version", stdin: #"{"cniVersion":"2.0.0","name":"n","type":"t"}"#, code: 1,
            mentions: [#""2.0.0""#]),
        FailureCase(name: "missing type", stdin: #"{"cniVersion":"1.0.0","name":"n"}"#, code: 7, mentions: ["type"]),
        FailureCase(
            name: "ipam not an object", stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":"host-local"}"#,
            code: 6, mentions: ["ipam", "expected an object"]),
        FailureCase(
            name: "ipam type not a string", stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"Type":7}}"#,
            code: 6, mentions: ["ipam.Type"]),
        FailureCase(
            name: "dns nameserver not a string",
            stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","dns":{"nameservers":[1]}}"#, code: 6,
            mentions: ["dns.nameservers[0]"]),
        FailureCase(
            name: "runtimeConfig not an object",
            stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","runtimeConfig":[]}"#, code: 6,
            mentions: ["runtimeConfig"]),
        FailureCase(
            name: "capabilities not an object",
            stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","capabilities":true}"#, code: 6,
            mentions: ["capabilities"]),
        FailureCase(
            name: "prevResult not an object", stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":"x"}"#,
            code: 6, mentions: ["prevResult"]),
        FailureCase(
            name: "prevResult with a bad address",
            stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":[{"address":"10.0.0.5"}]}}"#,
            code: 6, mentions: ["prevResult.ips[0].address", #""10.0.0.5""#]),
        FailureCase(
            name: "prevResult with an unknown version",
            stdin: #"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"cniVersion":"7.0.0"}}"#, code: 1,
            mentions: ["prevResult.cniVersion"]),
        FailureCase(
            name: "attachments not an array",
            stdin: #"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":{}}"#, code: 6,
            mentions: ["cni.dev/valid-attachments"]),
        FailureCase(
            name: "attachment containerID not a string",
            stdin: #"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[{"containerID":1}]}"#,
            code: 6, mentions: ["cni.dev/valid-attachments[0].containerID"]),
    ]

    @Test("bad configurations fail with the right code and name the problem", arguments: failures)
    func failure(_ testCase: FailureCase) {
        let result = Result { () throws(CNIError) in try decode(testCase.stdin) }
        guard case .failure(let error) = result else {
            Issue.record("decoded although it should fail")
            return
        }
        #expect(error.code == testCase.code)
        for mention in testCase.mentions {
            #expect((error.msg + " " + error.details).contains(mention), "\(error)")
        }
    }

    @Test("stdin larger than 1 MiB is refused with code 6")
    func tooLarge() {
        let padding = String(repeating: " ", count: NetworkConfig.maximumSize)
        let result = Result { () throws(CNIError) in try decode(config() + padding) }
        guard case .failure(let error) = result else {
            Issue.record("decoded an oversized document")
            return
        }
        #expect(error.code == 6)
        #expect(error.msg.contains("1048576"))
    }

    @Test("declaredVersion gives the config's version only when it is usable")
    func declaredVersion() {
        #expect(NetworkConfig.declaredVersion(Array(config("0.3.1").utf8)) == "0.3.1")
        #expect(NetworkConfig.declaredVersion(Array(#"{"name":5}"#.utf8)) == "0.1.0")
        #expect(NetworkConfig.declaredVersion(Array(config("9.9.9").utf8)) == nil)
        #expect(NetworkConfig.declaredVersion(Array("{".utf8)) == nil)
    }
}
