import Platform
import Testing

@testable import WinCNI

/// The release named by CHANGELOG.md's first `## <version>` heading.
func changelogRelease(filePath: String = #filePath) throws -> String {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/WinCNITests/VersionTests.swift
    let text = try readText(parts.joined(separator: "/") + "/CHANGELOG.md")
    let heading = try #require(text.split(separator: "\n").first { $0.hasPrefix("## ") })
    return String(try #require(heading.dropFirst(3).split(separator: " ").first))
}

/// What the Makefile compiles in: 12 hex digits, `-dirty` when the tree had changes; `unknown` without it.
func isCommitStamp(_ text: String) -> Bool {
    if text == "unknown" { return true }
    var digits = Substring(text)
    if digits.hasSuffix("-dirty") { digits = digits.dropLast("-dirty".count) }
    return digits.count == 12 && digits.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}

@Suite("wincni's version: release and commit")
struct VersionTests {
    @Test("the release is CHANGELOG.md's newest entry")
    func releaseMatchesChangelog() throws {
        #expect(WinCNIVersion.release == (try changelogRelease()))
    }

    @Test("the commit is the one the Makefile passed, or unknown")
    func commit() {
        #expect(isCommitStamp(WinCNIVersion.commit), "\(WinCNIVersion.commit)")
        // `make test` exports WINCNI_COMMIT to the build and to the tests alike.
        if let given = ProcessEnvironment.value("WINCNI_COMMIT"), !given.isEmpty {
            #expect(WinCNIVersion.commit == given)
        }
        #expect(WinCNIVersion.description == "\(WinCNIVersion.release) (commit \(WinCNIVersion.commit))")
        #expect(WinCNIVersion.semantic == "\(WinCNIVersion.release)+\(WinCNIVersion.commit)")
    }

    @Test(
        "commit stamps: what counts as one",
        arguments: [
            ("unknown", true), ("e83a453b86ef", true), ("e83a453b86ef-dirty", true), ("e83a453", false),
            ("E83A453B86EF", false), ("e83a453b86eg", false), ("", false),
        ])
    func stamps(_ text: String, _ valid: Bool) {
        #expect(isCommitStamp(text) == valid)
    }
}
