import Foundation
import Testing

@Suite("The Makefile and its scripts, as people run them")
struct MakefileTests {
    /// The targets the Makefile declares phony, except the internal ones.
    static func phonyTargets() throws -> [String] {
        let makefile = try String(contentsOfFile: repositoryRoot + "/Makefile", encoding: .utf8)
        let line = try #require(makefile.split(separator: "\n").first { $0.hasPrefix(".PHONY:") })
        return line.dropFirst(".PHONY:".count).split(separator: " ").map(String.init).filter {
            $0 != "all" && !$0.hasSuffix("deps")
        }
    }

    @Test("make help lists every target, one line each, with what it does")
    func help() throws {
        let result = try runProcess("/usr/bin/make", ["-s", "help"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let listed = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(listed.allSatisfy { $0.count >= 3 && $0[0] == "make" }, "\(lines)")
        let targets = listed.map { String($0[1]) }
        #expect(Set(targets) == Set(try Self.phonyTargets()), "\(targets)")
        #expect(targets.count == Set(targets).count)
    }

    static let passing = """
        [0/1] Planning build
        Test Suite 'All tests' started at 2026-12-06 19:00:21.733
        \t Executed 0 tests, with 0 failures (0 unexpected) in 0.0 (0.0) seconds
        ◇ Test run started.
        ↳ Testing Library Version: 6.3.1
        ◇ Test "a" started.
        ✔ Test "a" passed after 0.001 seconds.
        ✔ Suite "S" passed after 0.002 seconds.
        ✔ Test run with 1 test in 1 suite passed after 0.002 seconds.

        """

    static let failing = """
        ◇ Test "a" started.
        ✔ Test "a" passed after 0.001 seconds.
        ✘ Test "b" recorded an issue at T.swift:3:5: Expectation failed: (x → 1) == 2
        ↳ the detail of b
        ✘ Test "b" failed after 0.001 seconds with 1 issue.
        ✘ Suite "S" failed after 0.002 seconds with 1 issue.
        ✘ Test run with 2 tests in 1 suite failed after 0.002 seconds with 1 issue.

        """

    static let crashed = """
        ✔ Test "a" passed after 0.001 seconds.
        ✘ Test "b" failed after 0.001 seconds with 1 issue.
        ✔ Test "c" with 3 test cases passed after 0.001 seconds.
        error: Exited with unexpected signal code 11

        """

    @Test(
        "make test's filter keeps the failures and ends with one summary line",
        arguments: [
            ("passing", ["✔ Test run with 1 test in 1 suite passed after 0.002 seconds."]),
            (
                "failing",
                [
                    "✘ Test \"b\" recorded an issue at T.swift:3:5: Expectation failed: (x → 1) == 2",
                    "↳ the detail of b", "✘ Test \"b\" failed after 0.001 seconds with 1 issue.",
                    "✘ Suite \"S\" failed after 0.002 seconds with 1 issue.",
                    "✘ Test run with 2 tests in 1 suite failed after 0.002 seconds with 1 issue.",
                ]
            ),
            (
                "crashed",
                [
                    "✘ Test \"b\" failed after 0.001 seconds with 1 issue.",
                    "error: Exited with unexpected signal code 11",
                    "2 passed, 1 failed (the test run ended before its summary line)",
                ]
            ),
        ])
    func summary(_ name: String, _ expected: [String]) throws {
        // By name: the outputs themselves would show up in swift test's own "Test case passing ..." lines.
        let output = try #require(["passing": Self.passing, "failing": Self.failing, "crashed": Self.crashed][name])
        let result = try runProcess(repositoryRoot + "/scripts/test-summary.sh", [], stdin: output)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
    }

    @Test("with V=1 every line of the test run passes through")
    func verbose() throws {
        let result = try runProcess(repositoryRoot + "/scripts/test-summary.sh", ["1"], stdin: Self.failing)
        #expect(result.stdout == Self.failing)
    }

    @Test(
        "make demo prints no colour codes when its output is not a terminal",
        .enabled(if: releaseBinaries != nil, "needs the release binaries of make build (WINCNI_BIN)"))
    func demoWithoutColour() throws {
        let result = try runProcess(repositoryRoot + "/scripts/demo.sh", [])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Done: both modes added, checked and deleted one pod"))
        #expect(!result.stdout.contains("\u{1B}"))
    }
}
