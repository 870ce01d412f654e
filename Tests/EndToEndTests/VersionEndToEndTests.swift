import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("wincni says which build it is")
struct VersionEndToEndTests {
    /// CHANGELOG.md's newest release, read with stdio (this target has no file helpers of its own).
    static func changelogRelease(filePath: String = #filePath) throws -> String {
        var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let path = parts.joined(separator: "/") + "/CHANGELOG.md"
        let file = try #require(fopen(path, "r"), "cannot open \(path)")
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("## "), let release = text.dropFirst(3).split(separator: " ").first {
                return String(release)
            }
        }
        throw WincniProcessError("\(path) has no \"## <version>\" heading")
    }

    @Test("the about text (no CNI_COMMAND) names the release and the commit")
    func aboutNamesTheVersion() throws {
        let output = try WincniProcess.run(["PATH": "/usr/bin:/bin"], stdin: "")
        #expect(output.status == 0)
        let release = try Self.changelogRelease()
        #expect(output.stderr.hasPrefix("wincni \(release) (commit "), "\(output.stderr)")
        if let given = getenv("WINCNI_COMMIT").map({ String(cString: $0) }), !given.isEmpty {
            #expect(output.stderr.hasPrefix("wincni \(release) (commit \(given)): "), "\(output.stderr)")
        }
    }
}
