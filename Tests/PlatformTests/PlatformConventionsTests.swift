import Platform
import Testing

@Suite("Platform conventions: the path decisions, with both platforms' values")
struct PlatformConventionsTests {
    @Test("this build's conventions come from the C layer")
    func current() {
        // These tests run on Linux; a Windows build would report the Windows values.
        #expect(PlatformConventions.current == .posix)
    }

    @Test(
        "absolute paths",
        arguments: [
            (PlatformConventions.posix, "/opt/cni/bin", true), (.posix, "opt/cni", false), (.posix, "", false),
            (.posix, #"C:\opt"#, false),
            (.windows, #"C:\opt\cni\bin"#, true), (.windows, "c:/opt/cni/bin", true), (.windows, #"\\?\C:\x"#, true),
            (.windows, #"\\server\share\cni"#, true), (.windows, "/var/lib/cni/networks", true),
            (.windows, #"\opt"#, true), (.windows, "C:opt", false), (.windows, "opt", false), (.windows, "C:", false),
        ])
    func absolute(_ platform: PlatformConventions, _ path: String, _ expected: Bool) {
        #expect(platform.isAbsolute(path) == expected)
    }

    @Test(
        "joining a directory and a name",
        arguments: [
            (PlatformConventions.posix, "/var/lib/cni/networks", "cbr0", "/var/lib/cni/networks/cbr0"),
            (.posix, "/var/lib/", "cbr0", "/var/lib/cbr0"), (.posix, "", "cbr0", "cbr0"),
            (.windows, #"C:\var\lib\cni\networks"#, "cbr0", #"C:\var\lib\cni\networks\cbr0"#),
            (.windows, #"\\?\C:\opt\cni\bin"#, "host-local.exe", #"\\?\C:\opt\cni\bin\host-local.exe"#),
            (.windows, "C:/opt/cni/bin/", "flannel.exe", "C:/opt/cni/bin/flannel.exe"),
            (.windows, "/var/lib/cni/networks", "cbr0", #"/var/lib/cni/networks\cbr0"#),
        ])
    func join(_ platform: PlatformConventions, _ directory: String, _ name: String, _ expected: String) {
        #expect(platform.join(directory, name) == expected)
    }

    @Test(
        "the directory of a path",
        arguments: [
            (PlatformConventions.posix, "/var/lib/cni/flannel/pod", "/var/lib/cni/flannel"),
            (.posix, "/pod", "/"), (.posix, "pod", "."), (.posix, "a//b/", "a"),
            (.windows, #"C:\var\lib\cni\flannel\pod"#, #"C:\var\lib\cni\flannel"#), (.windows, #"C:\pod"#, #"C:\"#),
            (.windows, "C:pod", "C:"), (.windows, #"C:\var/lib\pod"#, #"C:\var/lib"#),
            (.posix, #"C:\var\pod"#, "."),
        ])
    func directory(_ platform: PlatformConventions, _ path: String, _ expected: String) {
        #expect(platform.directory(of: path) == expected)
    }

    @Test(
        "file names Windows would alias or take for a device are refused there, and only there",
        arguments: [
            "CON", "con", "Nul", "AUX", "PRN", "COM1", "com9", "LPT1", "lpt0", "CON.txt", "nul.tar.gz",
            "CONIN$", "pod.", "pod ", "a:b", "a*b", "a?b", "a|b", "a\"b", "a<b", "a>b", "a\u{1}b",
        ])
    func windowsReserved(_ name: String) {
        #expect(PlatformConventions.windows.fileNameProblem(name) != nil)
        let posixProblem = PlatformConventions.posix.fileNameProblem(name)
        #expect(posixProblem == nil, "\(posixProblem ?? "")")
    }

    @Test(
        "ordinary names, and names that only look like devices, are accepted on both platforms",
        arguments: ["abc123", "CONSOLE", "COM10", "LPT", "nulls", "pod.1", "a-b_c.d", "0123456789abcdef"])
    func ordinaryNames(_ name: String) {
        #expect(PlatformConventions.windows.fileNameProblem(name) == nil)
        #expect(PlatformConventions.posix.fileNameProblem(name) == nil)
    }

    @Test("names that leave the directory are refused on both platforms", arguments: ["", ".", "..", "a/b", "a\u{0}b"])
    func leaving(_ name: String) {
        #expect(PlatformConventions.windows.fileNameProblem(name) != nil)
        #expect(PlatformConventions.posix.fileNameProblem(name) != nil)
    }

    @Test("a backslash separates on Windows only")
    func backslash() {
        #expect(PlatformConventions.windows.fileNameProblem(#"a\b"#) != nil)
        #expect(PlatformConventions.posix.fileNameProblem(#"a\b"#) == nil)
    }
}
