import Platform
import Testing

@Suite("wincni says which build it is")
struct VersionEndToEndTests {
    /// CHANGELOG.md's newest release.
    static func changelogRelease(filePath: String = #filePath) throws -> String {
        var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let path = parts.joined(separator: "/") + "/CHANGELOG.md"
        let text = String(decoding: try Files.read(path), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("## ") {
            if let release = line.dropFirst(3).split(separator: " ").first { return String(release) }
        }
        throw WincniProcessError("\(path) has no \"## <version>\" heading")
    }

    @Test("the about text (no CNI_COMMAND) names the release and the commit")
    func aboutNamesTheVersion() throws {
        let output = try WincniProcess.run(["PATH": "/usr/bin:/bin"], stdin: "")
        #expect(output.status == 0)
        let release = try Self.changelogRelease()
        #expect(output.stderr.hasPrefix("wincni \(release) (commit "), "\(output.stderr)")
        if let given = ProcessEnvironment.value("WINCNI_COMMIT"), !given.isEmpty {
            #expect(output.stderr.hasPrefix("wincni \(release) (commit \(given)): "), "\(output.stderr)")
        }
    }
}
