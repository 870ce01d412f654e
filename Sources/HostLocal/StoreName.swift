import NetAddress

/// The names that reach the store — the network name is a directory name, the container ID and interface name are
/// written into reservation files — checked before anything touches the disk, so none can leave the data directory
/// or break the `<containerID>\r\n<ifname>` format.
enum StoreName {
    enum Kind: String {
        case networkName = "network name"
        case containerID = "container ID"
        case interfaceName = "interface name"
    }

    static func check(_ name: String, as kind: Kind) throws(HostLocalError) {
        if let reason = problem(name, as: kind) {
            throw HostLocalError(.invalidName, path: "", "\(kind.rawValue) \(quoted(printable(name))) \(reason)")
        }
    }

    static func problem(_ name: String, as kind: Kind) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "is empty" }
        if bytes.contains(0) { return "contains a NUL byte" }
        if bytes.contains(UInt8(ascii: "/")) { return "contains \"/\"" }
        if bytes.contains(UInt8(ascii: "\\")) { return "contains \"\\\"" }
        if name == "." || name == ".." { return "is a relative directory name" }
        if bytes.count > 255 { return "is longer than 255 bytes" }
        switch kind {
        case .networkName, .containerID:
            // The CNI spec's pattern for both: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ (libcni validates it too).
            func isAlphanumeric(_ byte: UInt8) -> Bool {
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            }
            if let bad = bytes.first(where: { !isAlphanumeric($0) && $0 != 0x5F && $0 != 0x2E && $0 != 0x2D }) {
                return "contains \(describe(bad)); only letters, digits, \"_\", \".\" and \"-\" are allowed"
            }
            if let first = bytes.first, !isAlphanumeric(first) { return "must start with a letter or a digit" }
        case .interfaceName:
            // The CNI spec forbids "/", ":" and white space in interface names; control bytes would corrupt the file.
            if let bad = bytes.first(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: ":") }) {
                return "contains \(describe(bad))"
            }
        }
        return nil
    }

    /// Both spellings of the reservation file name of `address`: the Go host-local's on POSIX, and its Windows one,
    /// where `:` (an NTFS stream separator) is written `_`.
    static func fileNames(for address: IPAddress) -> (plain: String, escaped: String) {
        let plain = goText(address)
        let escaped = String(
            decoding: plain.utf8.map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
        return (plain, escaped)
    }

    /// The address a store entry is named after; nil for `lock`, `last_reserved_ip.N` and anything else. host-local
    /// on Windows spells `:` as `_` in file names, which is read back here too.
    static func address(fromFileName name: String) -> IPAddress? {
        if let address = IPAddress(name) { return goCanonical(address) }
        guard name.utf8.contains(UInt8(ascii: "_")) else { return nil }
        let unescaped = String(
            decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: ":") : $0 }, as: UTF8.self)
        return IPAddress(unescaped).map(goCanonical)
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return quoted(String(UnicodeScalar(byte))) }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private static func printable(_ name: String) -> String {
        String(
            decoding: name.utf8.flatMap { byte -> [UInt8] in
                byte >= 0x20 && byte != 0x7F ? [byte] : Array("\\x\(String(byte, radix: 16))".utf8)
            }, as: UTF8.self)
    }
}
