import JSON
import Testing

/// One bad input: what the runtime passes (binary, command, variables, stdin), what is broken on the node first
/// (`setup`), and what the plugin must answer (the CNI code and words the message must contain).
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var backend: FlannelBackend = .hostGW
    var binary = "wincni"
    var command = "ADD"
    var stdin: @Sendable (TestNode) -> [UInt8]
    var variables: [String: String?] = [:]
    var setup: (@Sendable (TestNode) throws -> Void)?
    var code: Int64
    /// Words the message (msg + details) must contain; `@NET`, `@ROOT` are replaced by the node's values.
    var mentions: [String]

    var testDescription: String { name }

    /// Runs the case on a fresh node and checks the answer and that no state changed.
    func check() throws {
        let node = try TestNode(backend)
        let pod = try node.pod("6b3c1a2f9e")
        try setup?(node)
        let before = node.snapshot()
        let output = try node.run(binary, command, pod, stdin: stdin(node), variables)
        let after = node.snapshot()
        #expect(output.status == 1, "exit status \(output.status); stdout: \(output.stdout) stderr: \(output.stderr)")
        guard let error = CNIErrorOutput(output) else {
            Issue.record("stdout is not one CNI error document: \(output.stdout)")
            return
        }
        #expect(error.code == code, "\(error.text)")
        for mention in mentions {
            let word = mention.replacingAll("@NET", node.network).replacingAll("@ROOT", node.root)
            #expect(error.text.contains(word), "the message does not name \(word): \(error.text)")
        }
        let changes = before.differences(to: after)
        #expect(changes.isEmpty, "the node changed: \(changes.joined(separator: "; "))")
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        guard !target.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}

// MARK: - Building the inputs

/// A win-bridge/win-overlay config for the node with `members` added (or replacing the defaults of the same key).
private func direct(_ members: String = "", version: String = "1.0.0", type: String? = nil, ipam: String? = nil)
    -> @Sendable (TestNode) -> [UInt8]
{
    { node in
        let ipamText =
            ipam?.replacingAll("@IPAM", node.ipamDataDir)
            ?? #"{"type":"host-local","subnet":"10.244.1.0/24","dataDir":"\#(node.ipamDataDir)"}"#
        var text =
            #"{"cniVersion":"\#(version)","name":"\#(node.network)","type":"\#(type ?? node.backend.delegateType)""#
        text += #","ipam":\#(ipamText)"#
        if !members.isEmpty { text += "," + members }
        return Array((text + "}").utf8)
    }
}

/// A flannel config for the node; `delegate` members are added to the delegate object.
private func flannel(delegate: String = "", _ members: String = "", subnetFile: String? = nil, dataDir: String? = nil)
    -> @Sendable (TestNode) -> [UInt8]
{
    { node in
        var text = #"{"cniVersion":"1.0.0","name":"\#(node.network)","type":"flannel","#
        text += #""subnetFile":\#(subnetFile ?? "\"" + node.subnetEnvPath + "\""),"#
        text += #""dataDir":\#(dataDir ?? "\"" + node.flannelDataDir + "\""),"#
        text += #""delegate":{"type":"\#(node.backend.delegateType)""# + (delegate.isEmpty ? "" : "," + delegate) + "}"
        if !members.isEmpty { text += "," + members }
        return Array((text + "}").utf8)
    }
}

/// A fixed document (no node values in it).
private func raw(_ text: String) -> @Sendable (TestNode) -> [UInt8] { { _ in Array(text.utf8) } }
private func bytes(_ bytes: [UInt8]) -> @Sendable (TestNode) -> [UInt8] { { _ in bytes } }

/// The node's valid direct config cut after `count` bytes.
private func truncated(_ count: Int) -> @Sendable (TestNode) -> [UInt8] {
    { node in Array(direct()(node).prefix(count)) }
}

/// A prevResult for CHECK with `ips` as given.
private func checkConfig(prevResult: String) -> @Sendable (TestNode) -> [UInt8] {
    direct(#""prevResult":\#(prevResult)"#)
}

private func policy(_ value: String) -> String { #""policies":[{"Name":"EndpointPolicy","Value":\#(value)}]"# }

private func writeSubnetEnv(_ text: String) -> @Sendable (TestNode) throws -> Void {
    { node in try FileTree.write(node.subnetEnvPath, text) }
}

private let goodEnv = TestNode.defaultSubnetEnv

// MARK: - The cases

/// Inputs the CNI protocol layer refuses before the plugin runs (they hold with or without the plugin wired in).
let protocolBadInputs: [BadInput] = {
    var cases: [BadInput] = [
        BadInput(name: "empty stdin", stdin: raw(""), code: 6, mentions: ["empty"]),
        BadInput(name: "stdin of white space only", stdin: raw(" \n\t "), code: 6, mentions: ["empty"]),
        BadInput(
            name: "garbage after the document", stdin: { direct()($0) + Array(" x".utf8) }, code: 6, mentions: ["byte"]),
        BadInput(name: "two documents", stdin: { direct()($0) + direct()($0) }, code: 6, mentions: ["byte"]),
        BadInput(name: "a JSON array", stdin: raw("[]"), code: 6, mentions: ["object"]),
        BadInput(name: "a JSON string", stdin: raw(#""win-bridge""#), code: 6, mentions: ["object"]),
        BadInput(name: "JSON null", stdin: raw("null"), code: 6, mentions: ["object"]),
        BadInput(
            name: "an unterminated string", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0"#), code: 6,
            mentions: ["byte"]),
        BadInput(name: "single-quoted keys", stdin: raw("{'cniVersion':'1.0.0'}"), code: 6, mentions: ["byte"]),
        BadInput(
            name: "a trailing comma", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge",}"#),
            code: 6, mentions: ["byte"]),
        BadInput(
            name: "a NaN literal", stdin: raw(#"{"cniVersion":NaN,"name":"cbr0","type":"win-bridge"}"#), code: 6,
            mentions: ["byte"]),
        BadInput(
            name: "a raw NUL byte between members",
            stdin: bytes(
                Array(#"{"cniVersion":"1.0.0","#.utf8) + [0] + Array(#""name":"cbr0","type":"win-bridge"}"#.utf8)),
            code: 6, mentions: ["byte"]),
        BadInput(
            name: "a raw NUL byte inside the network name",
            stdin: bytes(
                Array(#"{"cniVersion":"1.0.0","name":"cb"#.utf8) + [0] + Array(#"r0","type":"win-bridge"}"#.utf8)),
            code: 6, mentions: ["byte"]),
        BadInput(
            name: "an escaped NUL in the network name",
            stdin: raw(#"{"cniVersion":"1.0.0","name":"cb\u0000r0","type":"win-bridge"}"#), code: 7,
            mentions: [#"\u0000"#]),
        BadInput(
            name: "invalid UTF-8 in the type",
            stdin: bytes(
                Array(#"{"cniVersion":"1.0.0","name":"cbr0","type":"win-"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)),
            code: 6, mentions: ["utf-8"]),
        BadInput(
            name: "a byte-order mark before the document",
            stdin: { [0xEF, 0xBB, 0xBF] + direct()($0) }, code: 6, mentions: ["byte"]),
        BadInput(
            name: "arrays nested 100000 deep",
            stdin: raw(
                #"{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","x":"#
                    + String(repeating: "[", count: 100_000)),
            code: 6, mentions: ["nest"]),
        BadInput(
            name: "stdin one byte over 1 MiB",
            stdin: { node in
                let document = direct()(node)
                return document + [UInt8](repeating: 0x20, count: (1 << 20) + 1 - document.count)
            },
            code: 6, mentions: ["1048576"]),
        BadInput(
            name: "cniVersion as a number", stdin: raw(#"{"cniVersion":1.0,"name":"cbr0","type":"win-bridge"}"#),
            code: 6, mentions: ["cniVersion"]),
        BadInput(name: "cniVersion 1.0", stdin: direct(version: "1.0"), code: 1, mentions: ["1.0"]),
        BadInput(name: "cniVersion from the future", stdin: direct(version: "9.9.9"), code: 1, mentions: ["9.9.9"]),
        BadInput(
            name: "name as a number", stdin: raw(#"{"cniVersion":"1.0.0","name":5,"type":"win-bridge"}"#), code: 6,
            mentions: ["name"]),
        BadInput(
            name: "an empty name", stdin: raw(#"{"cniVersion":"1.0.0","name":"","type":"win-bridge"}"#), code: 7,
            mentions: ["name"]),
        BadInput(
            name: "a name with ..", stdin: raw(#"{"cniVersion":"1.0.0","name":"../etc","type":"win-bridge"}"#), code: 7,
            mentions: ["../etc"]),
        BadInput(
            name: "a name with a slash", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0/x","type":"win-bridge"}"#),
            code: 7, mentions: ["cbr0/x"]),
        BadInput(
            name: "a name with a backslash",
            stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0\\x","type":"win-bridge"}"#), code: 7, mentions: ["cbr0"]),
        BadInput(
            name: "a name that is a drive path",
            stdin: raw(#"{"cniVersion":"1.0.0","name":"C:x","type":"win-bridge"}"#), code: 7, mentions: ["C:x"]),
        BadInput(
            name: "type as a boolean", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0","type":true}"#), code: 6,
            mentions: ["type"]),
        BadInput(name: "no type", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0"}"#), code: 7, mentions: ["type"]),
        BadInput(
            name: "an empty type", stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0","type":""}"#), code: 7,
            mentions: ["type"]),
        BadInput(
            name: "capabilities as a string", stdin: direct(#""capabilities":"portMappings""#), code: 6,
            mentions: ["capabilities"]),
        BadInput(
            name: "runtimeConfig as an array", stdin: direct(#""runtimeConfig":[]"#), code: 6,
            mentions: ["runtimeConfig"]),
        BadInput(name: "args as a number", stdin: direct(#""args":5"#), code: 6, mentions: ["args"]),
        BadInput(name: "ipam as a string", stdin: direct(ipam: #""host-local""#), code: 6, mentions: ["ipam"]),
        BadInput(name: "ipam.type as a number", stdin: direct(ipam: #"{"type":5}"#), code: 6, mentions: ["ipam.type"]),
        BadInput(name: "dns as a string", stdin: direct(#""dns":"10.96.0.10""#), code: 6, mentions: ["dns"]),
        BadInput(
            name: "dns.nameservers as a string", stdin: direct(#""dns":{"nameservers":"10.96.0.10"}"#), code: 6,
            mentions: ["dns.nameservers"]),
        BadInput(
            name: "dns.search with a number", stdin: direct(#""dns":{"search":[1]}"#), code: 6,
            mentions: ["dns.search[0]"]),
        BadInput(
            name: "prevResult as a string", stdin: direct(#""prevResult":"ok""#), code: 6, mentions: ["prevResult"]),
        BadInput(
            name: "prevResult ips as a string", command: "CHECK",
            stdin: checkConfig(prevResult: #"{"cniVersion":"1.0.0","ips":"10.244.1.3/24"}"#), code: 6,
            mentions: ["prevResult.ips"]),
        BadInput(
            name: "prevResult with an address that is not a CIDR", command: "CHECK",
            stdin: checkConfig(prevResult: #"{"cniVersion":"1.0.0","ips":[{"address":"garbage"}]}"#), code: 6,
            mentions: ["garbage"]),
        BadInput(
            name: "prevResult with an address without a prefix length", command: "CHECK",
            stdin: checkConfig(prevResult: #"{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.3"}]}"#), code: 6,
            mentions: ["10.244.1.3"]),
        BadInput(
            name: "prevResult with a bad gateway", command: "CHECK",
            stdin: checkConfig(
                prevResult: #"{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.3/24","gateway":"10.244.1"}]}"#),
            code: 6, mentions: ["10.244.1"]),
        BadInput(
            name: "prevResult with a route to nowhere", command: "CHECK",
            stdin: checkConfig(prevResult: #"{"cniVersion":"1.0.0","routes":[{"dst":"default"}]}"#), code: 6,
            mentions: ["default"]),
        BadInput(
            name: "prevResult interfaces of numbers", command: "CHECK",
            stdin: checkConfig(prevResult: #"{"cniVersion":"1.0.0","interfaces":[1]}"#), code: 6,
            mentions: ["interfaces"]),
        BadInput(
            name: "GC with valid-attachments as an object", command: "GC",
            stdin: direct(#""cni.dev/valid-attachments":{}"#, version: "1.1.0"), code: 6,
            mentions: ["cni.dev/valid-attachments"]),
        BadInput(
            name: "GC with a numeric container ID in valid-attachments", command: "GC",
            stdin: direct(#""cni.dev/valid-attachments":[{"containerID":5,"ifname":"eth0"}]"#, version: "1.1.0"),
            code: 6, mentions: ["containerID"]),
        BadInput(
            name: "CHECK with a 0.3.1 config", command: "CHECK", stdin: direct(version: "0.3.1"), code: 1,
            mentions: ["CHECK"]),
        BadInput(name: "a lower-case command", command: "add", stdin: direct(), code: 4, mentions: ["add"]),
        BadInput(
            name: "ADD without CNI_PATH", stdin: direct(), variables: ["CNI_PATH": nil], code: 4, mentions: ["CNI_PATH"]
        ),
        BadInput(
            name: "ADD without CNI_NETNS", stdin: direct(), variables: ["CNI_NETNS": nil], code: 4,
            mentions: ["CNI_NETNS"]),
        BadInput(
            name: "DEL without CNI_IFNAME", command: "DEL", stdin: direct(), variables: ["CNI_IFNAME": nil], code: 4,
            mentions: ["CNI_IFNAME"]),
        BadInput(
            name: "CNI_ARGS pair without =", stdin: direct(), variables: ["CNI_ARGS": "K8S_POD_NAME"], code: 4,
            mentions: ["K8S_POD_NAME"]),
        BadInput(
            name: "CNI_ARGS pair with an empty key", stdin: direct(), variables: ["CNI_ARGS": "=web-0"], code: 4,
            mentions: ["=web-0"]),
    ]
    for (label, id) in [
        ("with ..", "../etc"), ("with a slash", "abc/def"), ("starting with a dash", "-abc"),
        ("with a space", "abc def"),
        ("with a backslash", #"abc\def"#), ("with a drive letter", "C:abc"), ("of dots", ".."),
        ("with a newline", "abc\ndef"),
    ] {
        cases.append(
            BadInput(
                name: "CNI_CONTAINERID \(label)", stdin: direct(), variables: ["CNI_CONTAINERID": id], code: 4,
                mentions: ["CNI_CONTAINERID"]))
    }
    for (label, ifname) in [
        ("with a colon", "eth0:1"), ("with a space", "eth 0"), ("of one dot", "."), ("of two dots", ".."),
        ("of 16 bytes", "eth0123456789012"), ("with a slash", "eth/0"),
    ] {
        cases.append(
            BadInput(
                name: "CNI_IFNAME \(label)", stdin: direct(), variables: ["CNI_IFNAME": ifname], code: 4,
                mentions: ["CNI_IFNAME"]))
    }
    for cut in [1, 2, 17, 40, 63, 90, 120] {
        cases.append(
            BadInput(
                name: "the config cut after \(cut) bytes", stdin: truncated(cut), code: 6,
                mentions: ["byte \(cut)", "end of input"]))
    }
    return cases
}()

/// Inputs only the plugin can judge: config values of the wrong type or form, unknown types, bad namespaces,
/// flannel's subnet.env and data directories.
let pluginBadInputs: [BadInput] = {
    var cases: [BadInput] = [
        BadInput(name: "an unknown type", stdin: direct(type: "bridge"), code: 7, mentions: ["bridge"]),
        BadInput(
            name: "a lone surrogate escape in the type",
            stdin: raw(#"{"cniVersion":"1.0.0","name":"cbr0","type":"win-\ud800"}"#), code: 7, mentions: ["win-"]),
        BadInput(
            name: "a type with a path", stdin: direct(type: "../win-bridge"), code: 7, mentions: ["../win-bridge"]),
        BadInput(
            name: "a type with .exe", stdin: direct(type: "win-bridge.exe"), code: 7, mentions: ["win-bridge.exe"]),
        BadInput(name: "type wincni without mode", stdin: direct(type: "wincni"), code: 7, mentions: ["mode"]),
        BadInput(
            name: "type wincni with an unknown mode", stdin: direct(#""mode":"bridge""#, type: "wincni"), code: 7,
            mentions: ["bridge"]),
        BadInput(
            name: "CNI_NETNS that is not a GUID", stdin: direct(), variables: ["CNI_NETNS": "not-a-guid"], code: 4,
            mentions: ["not-a-guid"]),
        BadInput(
            name: "CNI_NETNS with a traversing path", stdin: direct(),
            variables: ["CNI_NETNS": "/run/netns/../../etc/passwd"],
            code: 4, mentions: ["/run/netns/../../etc/passwd"]),
        BadInput(
            name: "CNI_NETNS that is a drive path", stdin: direct(), variables: ["CNI_NETNS": #"C:\Windows"#], code: 4,
            mentions: ["Windows"]),
        BadInput(name: "policies as an object", stdin: direct(#""policies":{}"#), code: 7, mentions: ["policies"]),
        BadInput(name: "policies of numbers", stdin: direct(#""policies":[1]"#), code: 7, mentions: ["policies[0]"]),
        BadInput(
            name: "a policy value that is a string", stdin: direct(policy(#""OutBoundNAT""#)), code: 7,
            mentions: ["policies[0].Value"]),
        BadInput(
            name: "a policy without Type", stdin: direct(policy(#"{"ExceptionList":["10.0.0.0/8"]}"#)), code: 7,
            mentions: ["Type"]),
        BadInput(
            name: "a policy Type that is a number", stdin: direct(policy(#"{"Type":7}"#)), code: 7, mentions: ["Type"]),
        BadInput(
            name: "an SDNRoute without a prefix",
            stdin: direct(policy(#"{"Type":"SDNRoute","Settings":{"NeedEncap":true}}"#)), code: 7,
            mentions: ["DestinationPrefix"]),
        BadInput(
            name: "a ROUTE to a /40",
            stdin: direct(policy(#"{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/40","NeedEncap":true}"#)), code: 7,
            mentions: ["10.96.0.0/40"]),
        BadInput(
            name: "an ExceptionList that is a string",
            stdin: direct(policy(#"{"Type":"OutBoundNAT","ExceptionList":"10.0.0.0/8"}"#)), code: 7,
            mentions: ["ExceptionList"]),
        BadInput(
            name: "an ExceptionList entry that is not a CIDR",
            stdin: direct(policy(#"{"Type":"OutBoundNAT","ExceptionList":["not-a-cidr"]}"#)), code: 7,
            mentions: ["not-a-cidr"]),
        BadInput(
            name: "AdditionalArgs as a string", stdin: direct(#""AdditionalArgs":"x""#), code: 7,
            mentions: ["AdditionalArgs"]),
        BadInput(name: "ipMasq as a string", stdin: direct(#""ipMasq":"true""#), code: 7, mentions: ["ipMasq"]),
        BadInput(
            name: "ipMasqNetwork /33", stdin: direct(#""ipMasqNetwork":"10.0.0.0/33""#), code: 7,
            mentions: ["10.0.0.0/33"]),
        BadInput(
            name: "ipMasqNetwork as a number", stdin: direct(#""ipMasqNetwork":10"#), code: 7,
            mentions: ["ipMasqNetwork"]),
        BadInput(
            name: "endpointMacPrefix without a dash", backend: .vxlan, stdin: direct(#""endpointMacPrefix":"0E2A""#),
            code: 7, mentions: ["0E2A"]),
        BadInput(
            name: "endpointMacPrefix not hex", backend: .vxlan, stdin: direct(#""endpointMacPrefix":"zz-zz""#), code: 7,
            mentions: ["zz-zz"]),
        BadInput(
            name: "endpointMacPrefix of three bytes", backend: .vxlan,
            stdin: direct(#""endpointMacPrefix":"0E-2A-01""#), code: 7, mentions: ["0E-2A-01"]),
        BadInput(
            name: "endpointMacPrefix as a number", backend: .vxlan, stdin: direct(#""endpointMacPrefix":14"#), code: 7,
            mentions: ["endpointMacPrefix"]),
        BadInput(
            name: "loopbackDSR as a string", stdin: direct(#""loopbackDSR":"yes""#), code: 7, mentions: ["loopbackDSR"]),
        BadInput(
            name: "optionalFlags as an array", stdin: direct(#""optionalFlags":[]"#), code: 7,
            mentions: ["optionalFlags"]),
        BadInput(
            name: "an optional flag as a string", stdin: direct(#""optionalFlags":{"localRoutedPortMapping":"true"}"#),
            code: 7, mentions: ["localRoutedPortMapping"]),
        BadInput(name: "logFile as a number", stdin: direct(#""logFile":5"#), code: 7, mentions: ["logFile"]),
        BadInput(
            name: "portMappings as an object", stdin: direct(#""runtimeConfig":{"portMappings":{}}"#), code: 7,
            mentions: ["portMappings"]),
        BadInput(
            name: "a hostPort as a string",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":"80","containerPort":80}]}"#), code: 7,
            mentions: ["hostPort"]),
        BadInput(
            name: "hostPort 0", stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":0,"containerPort":80}]}"#),
            code: 7, mentions: ["hostPort"]),
        BadInput(
            name: "hostPort 70000",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":70000,"containerPort":80}]}"#), code: 7,
            mentions: ["70000"]),
        BadInput(
            name: "a negative containerPort",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":-1}]}"#), code: 7,
            mentions: ["containerPort"]),
        BadInput(
            name: "a port mapping without containerPort",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":80}]}"#), code: 7, mentions: ["containerPort"]),
        BadInput(
            name: "protocol sctp",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"sctp"}]}"#),
            code: 7, mentions: ["sctp"]),
        BadInput(
            name: "protocol number 2000",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"2000"}]}"#),
            code: 7, mentions: ["2000"]),
        BadInput(
            name: "a hostIP of three octets",
            stdin: direct(#""runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"hostIP":"1.2.3"}]}"#),
            code: 7, mentions: ["1.2.3"]),
        BadInput(
            name: "a runtime DNS server that is not an IP",
            stdin: direct(#""runtimeConfig":{"dns":{"servers":["dns.local"]}}"#), code: 7, mentions: ["dns.local"]),
        BadInput(
            name: "a DNS nameserver out of range", stdin: direct(#""dns":{"nameservers":["10.0.0.300"]}"#), code: 7,
            mentions: ["10.0.0.300"]),
        BadInput(
            name: "an ipam subnet /33",
            stdin: direct(ipam: #"{"type":"host-local","subnet":"10.244.1.0/33","dataDir":"@IPAM"}"#), code: 7,
            mentions: ["10.244.1.0/33"]),
        BadInput(
            name: "an ipam subnet that is not a CIDR",
            stdin: direct(ipam: #"{"type":"host-local","subnet":"garbage","dataDir":"@IPAM"}"#), code: 7,
            mentions: ["garbage"]),
        BadInput(
            name: "a rangeStart outside the subnet",
            stdin: direct(
                ipam: #"{"type":"host-local","subnet":"10.244.1.0/24","rangeStart":"10.244.2.10","dataDir":"@IPAM"}"#),
            code: 7, mentions: ["10.244.2.10"]),
        BadInput(
            name: "an ipam gateway that is not an IP",
            stdin: direct(ipam: #"{"type":"host-local","subnet":"10.244.1.0/24","gateway":"x1","dataDir":"@IPAM"}"#),
            code: 7, mentions: ["x1"]),
        BadInput(
            name: "ipam ranges as a string",
            stdin: direct(ipam: #"{"type":"host-local","ranges":"10.244.1.0/24","dataDir":"@IPAM"}"#), code: 7,
            mentions: ["ranges"]),
        BadInput(
            name: "an ipam route to a bad destination",
            stdin: direct(
                ipam: #"{"type":"host-local","subnet":"10.244.1.0/24","routes":[{"dst":"x/0"}],"dataDir":"@IPAM"}"#),
            code: 7, mentions: ["x/0"]),
        BadInput(
            name: "an ipam dataDir that is a number",
            stdin: direct(ipam: #"{"type":"host-local","subnet":"10.244.1.0/24","dataDir":5}"#), code: 7,
            mentions: ["dataDir"]),
        BadInput(
            name: "an IPAM plugin not in CNI_PATH", stdin: direct(ipam: #"{"type":"no-such-ipam"}"#), code: 7,
            mentions: ["no-such-ipam"]),
        BadInput(
            name: "an IPAM type that is a path", stdin: direct(ipam: #"{"type":"../../bin/sh"}"#), code: 7,
            mentions: ["../../bin/sh"]),
        BadInput(
            name: "a host-local dataDir that is a file", stdin: direct(),
            setup: { node in try FileTree.write(node.ipamDataDir, "not a directory") }, code: 5,
            mentions: ["@ROOT/ipam"]),
        BadInput(
            name: "a host-local store that is a file", stdin: direct(),
            setup: { node in
                try FileTree.makeDirectory(node.ipamDataDir)
                try FileTree.write(node.directStore, "not a directory")
            },
            code: 5, mentions: ["@NET"]),
        BadInput(
            name: "flannel delegate as a string", binary: "flannel",
            stdin: { node in
                Array(
                    #"{"cniVersion":"1.0.0","name":"\#(node.network)","type":"flannel","subnetFile":"\#(node.subnetEnvPath)","dataDir":"\#(node.flannelDataDir)","delegate":"win-bridge"}"#
                        .utf8)
            }, code: 7, mentions: ["delegate"]),
        BadInput(
            name: "flannel delegate with a name", binary: "flannel", stdin: flannel(delegate: #""name":"x""#), code: 7,
            mentions: ["delegate.name"]),
        BadInput(
            name: "flannel delegate with a Name", binary: "flannel", stdin: flannel(delegate: #""Name":"x""#), code: 7,
            mentions: ["delegate.Name"]),
        BadInput(
            name: "flannel delegate with ipam", binary: "flannel",
            stdin: flannel(delegate: #""ipam":{"type":"host-local"}"#), code: 7, mentions: ["delegate.ipam"]),
        BadInput(
            name: "flannel delegate type as a number", binary: "flannel",
            stdin: { node in
                Array(
                    #"{"cniVersion":"1.0.0","name":"\#(node.network)","type":"flannel","subnetFile":"\#(node.subnetEnvPath)","dataDir":"\#(node.flannelDataDir)","delegate":{"type":5}}"#
                        .utf8)
            }, code: 7, mentions: ["delegate.type"]),
        BadInput(
            name: "flannel delegate of an unknown type", binary: "flannel",
            stdin: { node in
                Array(
                    #"{"cniVersion":"1.0.0","name":"\#(node.network)","type":"flannel","subnetFile":"\#(node.subnetEnvPath)","dataDir":"\#(node.flannelDataDir)","delegate":{"type":"no-such-plugin"}}"#
                        .utf8)
            }, code: 7, mentions: ["no-such-plugin"]),
        BadInput(
            name: "flannel delegate policies as an object", binary: "flannel",
            stdin: flannel(delegate: #""Policies":{}"#), code: 7, mentions: ["Policies"]),
        BadInput(
            name: "flannel delegate with a bad MAC prefix", backend: .vxlan, binary: "flannel",
            stdin: flannel(delegate: #""endpointMacPrefix":"0E:2A""#), code: 7, mentions: ["0E:2A"]),
        BadInput(
            name: "flannel subnetFile as a number", binary: "flannel", stdin: flannel(subnetFile: "5"), code: 7,
            mentions: ["subnetFile"]),
        BadInput(
            name: "flannel dataDir as an array", binary: "flannel", stdin: flannel(dataDir: "[]"), code: 7,
            mentions: ["dataDir"]),
        BadInput(
            name: "flannel subnet.env missing", binary: "flannel", stdin: flannel(),
            setup: { node in FileTree.remove(node.subnetEnvPath) }, code: 11, mentions: ["@ROOT/subnet.env"]),
        BadInput(
            name: "flannel subnet.env that is a directory", binary: "flannel", stdin: flannel(),
            setup: { node in
                FileTree.remove(node.subnetEnvPath)
                try FileTree.makeDirectory(node.subnetEnvPath)
            },
            code: 5, mentions: ["@ROOT/subnet.env"]),
        BadInput(
            name: "flannel dataDir that is a file", binary: "flannel", stdin: flannel(),
            setup: { node in try FileTree.write(node.flannelDataDir, "not a directory") }, code: 5,
            mentions: ["@ROOT/flannel"]),
    ]
    let subnetEnvCases: [(String, String, [String])] = [
        (
            "without FLANNEL_SUBNET", "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
            ["FLANNEL_SUBNET"]
        ),
        (
            "without FLANNEL_NETWORK", "FLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
            ["FLANNEL_NETWORK"]
        ),
        (
            "without FLANNEL_MTU", "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPMASQ=true\n",
            ["FLANNEL_MTU"]
        ),
        (
            "without FLANNEL_IPMASQ", "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n",
            ["FLANNEL_IPMASQ"]
        ),
        ("with a garbage network", goodEnv.replacingAll("10.244.0.0/16", "garbage"), ["garbage"]),
        ("with a /33 subnet", goodEnv.replacingAll("10.244.1.1/24", "10.244.1.1/33"), ["10.244.1.1/33"]),
        ("with a word for the MTU", goodEnv.replacingAll("1450", "abc"), ["abc"]),
        ("with a negative MTU", goodEnv.replacingAll("1450", "-1"), ["-1"]),
        ("that is empty", "", ["FLANNEL_SUBNET"]),
        ("of binary garbage", "\u{1}\u{2}\u{7F}PK\u{3}\u{4}", ["FLANNEL_SUBNET"]),
        (
            "with the subnet line missing its =", goodEnv.replacingAll("FLANNEL_SUBNET=", "FLANNEL_SUBNET "),
            ["FLANNEL_SUBNET"]
        ),
    ]
    for (label, text, mentions) in subnetEnvCases {
        cases.append(
            BadInput(
                name: "subnet.env \(label)", binary: "flannel", stdin: flannel(), setup: writeSubnetEnv(text), code: 6,
                mentions: mentions + ["@ROOT/subnet.env"]))
    }
    return cases
}()

@Suite("Bad input through the real binary: one CNI error naming the bad value, and the node unchanged")
struct BadInputTests {
    @Test("the protocol layer refuses it with the right code and changes nothing", arguments: protocolBadInputs)
    func protocolLayer(_ input: BadInput) throws {
        try input.check()
    }

    @Test(
        "the plugin refuses it with the right code and changes nothing", .enabled(if: PluginAvailability.isWired),
        arguments: pluginBadInputs)
    func plugin(_ input: BadInput) throws {
        try input.check()
    }

    @Test("a subnet.env with CRLF line ends works", .enabled(if: PluginAvailability.isWired))
    func crlfSubnetEnv() throws {
        let node = try TestNode()
        try FileTree.write(node.subnetEnvPath, TestNode.defaultSubnetEnv.replacingAll("\n", "\r\n"))
        let pod = try node.pod("crlf")
        let added = try node.run("flannel", "ADD", pod, config: node.flannelConfig())
        #expect(added.status == 0, "\(added.stdout)")
        #expect(resultAddress(added)?.hasPrefix("10.244.1.") == true)
        let deleted = try node.run("flannel", "DEL", pod, config: node.flannelConfig())
        #expect(deleted.status == 0, "\(deleted.stdout)")
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }

    @Test("a config padded to exactly 1 MiB is still read", .enabled(if: PluginAvailability.isWired))
    func exactlyOneMiB() throws {
        let node = try TestNode()
        let pod = try node.pod("big")
        let document = Array(node.directConfig().utf8)
        let stdin = document + [UInt8](repeating: 0x20, count: (1 << 20) - document.count)
        let added = try node.run(node.backend.delegateType, "ADD", pod, stdin: stdin)
        #expect(added.status == 0, "\(added.stdout)")
        #expect(try node.run(node.backend.delegateType, "DEL", pod, stdin: stdin).status == 0)
        #expect(node.leftovers().isEmpty)
    }

    @Test(
        "a logFile that cannot be written is reported on stderr and fails nothing",
        .enabled(if: PluginAvailability.isWired))
    func unwritableLogFile() throws {
        let node = try TestNode()
        try FileTree.write(node.root + "/file", "in the way")
        let config = node.directConfig(extra: #""logFile":"\#(node.root)/file/wincni.log""#)
        let pod = try node.pod("nolog")
        let added = try node.run(node.backend.delegateType, "ADD", pod, config: config)
        #expect(added.status == 0, "\(added.stdout)")
        #expect(added.stderr.contains("logFile"), "\(added.stderr)")
        #expect(try node.run(node.backend.delegateType, "DEL", pod, config: config).status == 0)
        #expect(node.leftovers().isEmpty)
    }

    @Test("there are at least 80 bad-input cases")
    func count() {
        #expect(protocolBadInputs.count + pluginBadInputs.count >= 80)
    }
}
