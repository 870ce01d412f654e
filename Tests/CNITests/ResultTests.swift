import CNI
import JSON
import NetAddress
import Testing

/// A pod result with everything the model can hold: a host and a container interface, two IPv4 addresses and one
/// IPv6 address, routes of both families (one with the 1.1.0 route fields), and full DNS.
let sampleResult = CNIResult(
    cniVersion: "1.1.0",
    interfaces: [
        .init(name: "cbr0", mac: "00:15:5d:01:02:03"),
        .init(
            name: "eth0", mac: "0e:2a:0a:f4:01:05", mtu: 1450, sandbox: "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11",
            socketPath: "/run/sock", pciID: "0000:00:01.0"),
    ],
    ips: [
        .init(address: prefix("10.244.1.5/24"), gateway: address("10.244.1.2"), interface: 1),
        .init(address: prefix("fd00:10:244:1::5/64"), gateway: address("fd00:10:244:1::2"), interface: 1),
        .init(address: prefix("10.244.9.9/24"), interface: 0),
    ],
    routes: [
        .init(destination: prefix("0.0.0.0/0"), gateway: address("10.244.1.2")),
        .init(destination: prefix("::/0"), gateway: address("fd00:10:244:1::2")),
        .init(destination: prefix("10.96.0.0/12"), mtu: 1400, advmss: 1360, priority: 0, table: 0, scope: 253),
    ],
    dns: DNS(
        nameservers: ["10.96.0.10"], domain: "cluster.local", search: ["svc.cluster.local", "cluster.local"],
        options: ["ndots:5"]))

/// What Go's `types/100` marshals for `sampleResult` with `json.MarshalIndent(r, "", "    ")`.
let golden110 = """
    {
        "cniVersion": "1.1.0",
        "interfaces": [
            {
                "name": "cbr0",
                "mac": "00:15:5d:01:02:03"
            },
            {
                "name": "eth0",
                "mac": "0e:2a:0a:f4:01:05",
                "mtu": 1450,
                "sandbox": "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11",
                "socketPath": "/run/sock",
                "pciID": "0000:00:01.0"
            }
        ],
        "ips": [
            {
                "interface": 1,
                "address": "10.244.1.5/24",
                "gateway": "10.244.1.2"
            },
            {
                "interface": 1,
                "address": "fd00:10:244:1::5/64",
                "gateway": "fd00:10:244:1::2"
            },
            {
                "interface": 0,
                "address": "10.244.9.9/24"
            }
        ],
        "routes": [
            {
                "dst": "0.0.0.0/0",
                "gw": "10.244.1.2"
            },
            {
                "dst": "::/0",
                "gw": "fd00:10:244:1::2"
            },
            {
                "dst": "10.96.0.0/12",
                "mtu": 1400,
                "advmss": 1360,
                "table": 0,
                "scope": 253
            }
        ],
        "dns": {
            "nameservers": [
                "10.96.0.10"
            ],
            "domain": "cluster.local",
            "search": [
                "svc.cluster.local",
                "cluster.local"
            ],
            "options": [
                "ndots:5"
            ]
        }
    }
    """

/// `types/040`: `version` first in each IP, interfaces without the 1.1.0 fields, routes unchanged.
let golden040 = """
    {
        "cniVersion": "0.4.0",
        "interfaces": [
            {
                "name": "cbr0",
                "mac": "00:15:5d:01:02:03"
            },
            {
                "name": "eth0",
                "mac": "0e:2a:0a:f4:01:05",
                "sandbox": "4f5ed9b1-3c0b-4c1e-9a57-2b1e9a0b7c11"
            }
        ],
        "ips": [
            {
                "version": "4",
                "interface": 1,
                "address": "10.244.1.5/24",
                "gateway": "10.244.1.2"
            },
            {
                "version": "6",
                "interface": 1,
                "address": "fd00:10:244:1::5/64",
                "gateway": "fd00:10:244:1::2"
            },
            {
                "version": "4",
                "interface": 0,
                "address": "10.244.9.9/24"
            }
        ],
        "routes": [
            {
                "dst": "0.0.0.0/0",
                "gw": "10.244.1.2"
            },
            {
                "dst": "::/0",
                "gw": "fd00:10:244:1::2"
            },
            {
                "dst": "10.96.0.0/12",
                "mtu": 1400,
                "advmss": 1360,
                "table": 0,
                "scope": 253
            }
        ],
        "dns": {
            "nameservers": [
                "10.96.0.10"
            ],
            "domain": "cluster.local",
            "search": [
                "svc.cluster.local",
                "cluster.local"
            ],
            "options": [
                "ndots:5"
            ]
        }
    }
    """

/// `types/020`: the first address of each family, routes split by family with only dst and gw.
let golden020 = """
    {
        "cniVersion": "0.2.0",
        "ip4": {
            "ip": "10.244.1.5/24",
            "gateway": "10.244.1.2",
            "routes": [
                {
                    "dst": "0.0.0.0/0",
                    "gw": "10.244.1.2"
                },
                {
                    "dst": "10.96.0.0/12"
                }
            ]
        },
        "ip6": {
            "ip": "fd00:10:244:1::5/64",
            "gateway": "fd00:10:244:1::2",
            "routes": [
                {
                    "dst": "::/0",
                    "gw": "fd00:10:244:1::2"
                }
            ]
        },
        "dns": {
            "nameservers": [
                "10.96.0.10"
            ],
            "domain": "cluster.local",
            "search": [
                "svc.cluster.local",
                "cluster.local"
            ],
            "options": [
                "ndots:5"
            ]
        }
    }
    """

/// The golden of each version: the family's golden with its own version string.
func golden(for version: String) -> String {
    switch version {
    case "0.1.0", "0.2.0": return golden020.replacingVersion("0.2.0", with: version)
    case "0.3.0", "0.3.1", "0.4.0": return golden040.replacingVersion("0.4.0", with: version)
    default: return golden110.replacingVersion("1.1.0", with: version)
    }
}

extension String {
    func replacingVersion(_ old: String, with new: String) -> String {
        // Only the first line names the version.
        var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[1] = #"    "cniVersion": "\#(new)","#
        _ = old
        return lines.joined(separator: "\n")
    }
}

@Suite("CNI results in every version")
struct ResultTests {
    @Test("printing matches Go's MarshalIndent output byte for byte", arguments: CNIVersion.supported)
    func printing(_ version: String) throws {
        #expect(text(try sampleResult.printed(version: version)) == golden(for: version))
    }

    @Test("each version's golden parses back into the model", arguments: CNIVersion.supported)
    func parsing(_ version: String) throws {
        let parsed = try CNIResult.decode(JSON.parse(golden(for: version)), path: "prevResult")
        #expect(parsed.cniVersion == version)
        var sampleResult = sampleResult
        sampleResult.routes[2].priority = nil  // a priority of 0 is not printed, so it reads back as absent
        switch version {
        case "1.0.0", "1.1.0":
            var expected = sampleResult
            expected.cniVersion = version
            #expect(parsed == expected)
        case "0.3.0", "0.3.1", "0.4.0":
            var expected = sampleResult
            expected.cniVersion = version
            expected.interfaces[1].mtu = nil
            expected.interfaces[1].socketPath = nil
            expected.interfaces[1].pciID = nil
            #expect(parsed == expected)
        default:
            #expect(parsed.interfaces.isEmpty)
            #expect(
                parsed.ips
                    == [sampleResult.ips[0], sampleResult.ips[1]].map {
                        .init(address: $0.address, gateway: $0.gateway)
                    })
            #expect(parsed.routes.map(\.destination.description) == ["0.0.0.0/0", "10.96.0.0/12", "::/0"])
            #expect(parsed.routes[2].gateway == IPAddress("fd00:10:244:1::2"))
            #expect(parsed.dns == sampleResult.dns)
        }
        // Whatever it was read from, it prints back as it came in.
        #expect(text(try parsed.printed(version: version)) == golden(for: version))
    }

    /// Results printed by the Go plugins, observed with Debian's host-local and bridge (research §A.9).
    @Test(
        "results observed from Go plugins round-trip exactly",
        arguments: [
            #"{"cniVersion":"0.2.0","ip4":{"ip":"10.88.0.2/24","gateway":"10.88.0.1","routes":[{"dst":"0.0.0.0/0"}]},"ip6":{"ip":"fd00:88::2/64","gateway":"fd00:88::1","routes":[{"dst":"::/0"}]},"dns":{}}"#,
            #"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.88.0.2/24","gateway":"10.88.0.1"},{"version":"6","address":"fd00:88::2/64","gateway":"fd00:88::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}"#,
            #"{"cniVersion":"1.0.0","interfaces":[{"name":"cnitestbr0","mac":"f6:b3:e8:fe:d9:e1"},{"name":"vethce0501b9","mac":"7a:27:61:3d:57:51"},{"name":"eth0","mac":"12:83:af:9b:e7:f5","sandbox":"/var/run/netns/cnitest1"}],"ips":[{"interface":2,"address":"10.77.0.2/24","gateway":"10.77.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"#,
        ])
    func observed(_ document: String) throws {
        let parsed = try CNIResult.decode(JSON.parse(document), path: "result")
        #expect(try parsed.json(version: parsed.cniVersion).compact() == document)
    }

    @Test("an IPAM result converts between versions as Go converts it")
    func conversions() throws {
        let ipam = try CNIResult.decode(
            JSON.parse(
                #"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.88.0.2/24","gateway":"10.88.0.1"},{"version":"6","address":"fd00:88::2/64","gateway":"fd00:88::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}"#
            ), path: "")
        #expect(
            try ipam.json(version: "1.1.0").compact()
                == #"{"cniVersion":"1.1.0","ips":[{"address":"10.88.0.2/24","gateway":"10.88.0.1"},{"address":"fd00:88::2/64","gateway":"fd00:88::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}"#
        )
        #expect(
            try ipam.json(version: "0.2.0").compact()
                == #"{"cniVersion":"0.2.0","ip4":{"ip":"10.88.0.2/24","gateway":"10.88.0.1","routes":[{"dst":"0.0.0.0/0"}]},"ip6":{"ip":"fd00:88::2/64","gateway":"fd00:88::1","routes":[{"dst":"::/0"}]},"dns":{}}"#
        )
    }

    @Test("an empty result still has dns, and nothing else but its version")
    func empty() throws {
        #expect(try CNIResult().json(version: "1.0.0").compact() == #"{"cniVersion":"1.0.0","dns":{}}"#)
        #expect(try CNIResult().json(version: "0.3.1").compact() == #"{"cniVersion":"0.3.1","dns":{}}"#)
    }

    @Test("0.1.0/0.2.0 drop routes of a family without an address")
    func routeWithoutFamily() throws {
        let result = CNIResult(
            ips: [.init(address: prefix("10.0.0.5/24"))],
            routes: [.init(destination: prefix("::/0")), .init(destination: prefix("0.0.0.0/0"))])
        #expect(
            try result.json(version: "0.1.0").compact()
                == #"{"cniVersion":"0.1.0","ip4":{"ip":"10.0.0.5/24","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}"#)
    }

    @Test("a result without addresses cannot be printed as 0.1.0/0.2.0 (code 1)", arguments: ["0.1.0", "0.2.0"])
    func noAddress(_ version: String) {
        let result = Result { () throws(CNIError) in try CNIResult().json(version: version) }
        guard case .failure(let error) = result else {
            Issue.record("printed a result without addresses")
            return
        }
        #expect(error.code == 1)
        #expect(error.msg.contains("no IP address"))
    }

    @Test("an unsupported version cannot be printed (code 1)")
    func unsupportedPrint() {
        let result = Result { () throws(CNIError) in try sampleResult.json(version: "2.0.0") }
        guard case .failure(let error) = result else {
            Issue.record("printed in an unknown version")
            return
        }
        #expect(error.code == 1)
    }

    struct ParseCase: CustomTestStringConvertible, Sendable {
        let name: String
        let document: String
        let defaultVersion: String?
        let version: String
        var testDescription: String { name }
    }

    static let parseCases: [ParseCase] = [
        ParseCase(
            name: "no cniVersion, config 0.3.1", document: #"{"ips":[{"version":"4","address":"10.0.0.5/24"}]}"#,
            defaultVersion: "0.3.1", version: "0.3.1"),
        ParseCase(
            name: "no cniVersion, ip4 shape", document: #"{"ip4":{"ip":"10.0.0.5/24"}}"#, defaultVersion: nil,
            version: "0.2.0"),
        ParseCase(
            name: "no cniVersion, 1.x shape", document: #"{"ips":[{"address":"10.0.0.5/24"}]}"#, defaultVersion: nil,
            version: "1.1.0"),
        ParseCase(
            name: "own version wins over the config's", document: #"{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/24"}}"#,
            defaultVersion: "1.0.0", version: "0.2.0"),
        ParseCase(
            name: "keys in other cases",
            document: #"{"CNIVersion":"1.0.0","IPs":[{"Address":"10.0.0.5/24","Gateway":""}]}"#,
            defaultVersion: nil, version: "1.0.0"),
    ]

    @Test("results are read in their own version, else the config's, else by shape", arguments: parseCases)
    func parseVersion(_ testCase: ParseCase) throws {
        let parsed = try CNIResult.decode(
            JSON.parse(testCase.document), path: "r", defaultVersion: testCase.defaultVersion)
        #expect(parsed.cniVersion == testCase.version)
        #expect(parsed.ips == [.init(address: prefix("10.0.0.5/24"))])
    }

    @Test(
        "malformed results are code 6 naming the path",
        arguments: [
            (#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/33"}]}"#, "r.ips[0].address"),
            (#"{"cniVersion":"1.0.0","ips":[{"gateway":"10.0.0.1"}]}"#, "r.ips[0].address"),
            (#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24","gateway":"10.0.0"}]}"#, "r.ips[0].gateway"),
            (#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24","interface":"0"}]}"#, "r.ips[0].interface"),
            (#"{"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]}"#, "r.routes[0].dst"),
            (#"{"cniVersion":"1.0.0","interfaces":{}}"#, "r.interfaces"),
            (#"{"cniVersion":"0.2.0","ip4":{"ip":"fd00::5/64"}}"#, "r.ip4.ip"),
            (#"{"cniVersion":"0.2.0","ip4":{"gateway":"10.0.0.1"}}"#, "r.ip4.ip"),
            (#"{"cniVersion":"1.0.0","dns":{"nameservers":"10.0.0.1"}}"#, "r.dns.nameservers"),
            (#"[1]"#, "r"),
        ])
    func malformed(_ document: String, _ path: String) throws {
        let json = try JSON.parse(document)
        let result = Result { () throws(CNIError) in try CNIResult.decode(json, path: "r") }
        guard case .failure(let error) = result else {
            Issue.record("decoded a malformed result")
            return
        }
        #expect(error.code == 6)
        #expect(error.msg.contains(path + ":"), "\(error)")
    }
}
