import CPlatform

/// The conventions of an operating system that decisions in Swift depend on: path and list separators, the
/// executable suffix, Windows or not. `current` comes from the C platform layer; `posix` and `windows` let tests on
/// Linux exercise the Windows decisions (STYLE.md rule 3: no platform branches in Swift).
public struct PlatformConventions: Sendable, Equatable {
    public var isWindows: Bool
    /// The separator this platform writes between path components (`/`, or `\` on Windows, which reads `/` too).
    public var pathSeparator: Character
    /// What separates the directories of a search list such as `CNI_PATH` (Go's `filepath.SplitList`).
    public var pathListSeparator: Character
    /// Appended to a plugin's name when looking for its executable; the bare name is tried after it.
    public var executableSuffix: String

    public init(isWindows: Bool, pathSeparator: Character, pathListSeparator: Character, executableSuffix: String) {
        self.isWindows = isWindows
        self.pathSeparator = pathSeparator
        self.pathListSeparator = pathListSeparator
        self.executableSuffix = executableSuffix
    }

    public static let posix = PlatformConventions(
        isWindows: false, pathSeparator: "/", pathListSeparator: ":", executableSuffix: "")
    public static let windows = PlatformConventions(
        isWindows: true, pathSeparator: "\\", pathListSeparator: ";", executableSuffix: ".exe")

    /// The platform this binary runs on, as the C layer was compiled for it.
    public static let current: PlatformConventions = {
        let info = wincni_platform()
        return PlatformConventions(
            isWindows: info.is_windows != 0,
            pathSeparator: Character(Unicode.Scalar(UInt8(bitPattern: info.path_separator))),
            pathListSeparator: Character(Unicode.Scalar(UInt8(bitPattern: info.list_separator))),
            executableSuffix: String(cString: info.executable_suffix))
    }()

    /// Whether `byte` separates path components here (`/`; on Windows `\` too).
    public func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || (isWindows && byte == UInt8(ascii: "\\"))
    }

    /// Whether `path` does not depend on the working directory: `/…` on POSIX; on Windows a drive-letter path with a
    /// separator (`C:\…`, `C:/…`), an extended-length, device or UNC path (`\\?\…`, `\\.\…`, `\\server\share`), or a
    /// path rooted on the current drive (`\…`, `/…`, as Windows resolves `/var/lib/cni/networks`).
    public func isAbsolute(_ path: String) -> Bool {
        let bytes = Array(path.utf8.prefix(3))
        guard let first = bytes.first else { return false }
        if isSeparator(first) { return true }
        guard isWindows, bytes.count == 3 else { return false }
        return isDriveLetter(first) && bytes[1] == UInt8(ascii: ":") && isSeparator(bytes[2])
    }

    /// `name` inside `directory`, with one separator between them (this platform's, unless `directory` already
    /// ends in one). An empty `directory` gives `name`.
    public func join(_ directory: String, _ name: String) -> String {
        guard let last = directory.utf8.last else { return name }
        return isSeparator(last) ? directory + name : directory + String(pathSeparator) + name
    }

    /// The directory part of `path` (`.` for a bare name, the root for a name in the root), found byte-wise.
    public func directory(of path: String) -> String {
        let bytes = Array(path.utf8)
        var end = bytes.count
        while end > 1 && isSeparator(bytes[end - 1]) { end -= 1 }
        guard let separator = bytes[..<end].lastIndex(where: isSeparator) else {
            // `C:name` is in the working directory of drive C.
            if isWindows, end >= 2, isDriveLetter(bytes[0]), bytes[1] == UInt8(ascii: ":") {
                return String(decoding: bytes[..<2], as: UTF8.self)
            }
            return "."
        }
        var cut = separator
        while cut > 0 && isSeparator(bytes[cut - 1]) { cut -= 1 }
        if cut == 0 { return String(decoding: bytes[...separator], as: UTF8.self) }
        // `C:\name` is in `C:\`, not in `C:`.
        if isWindows && cut == 2 && isDriveLetter(bytes[0]) && bytes[1] == UInt8(ascii: ":") {
            return String(decoding: bytes[...separator], as: UTF8.self)
        }
        return String(decoding: bytes[..<cut], as: UTF8.self)
    }

    /// Why `name` cannot be one file name in a directory here, or nil when it can: empty, `.`/`..`, a separator or
    /// NUL inside; on Windows also what NTFS and the Win32 name rules would alias or reject: a device name (`CON`,
    /// `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9`, `CONIN$`, `CONOUT$`, in any case, alone or before a dot),
    /// a trailing dot or space (Windows drops them, so `pod.` and `pod` would share a file), `<>:"|?*` or a control
    /// character.
    public func fileNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "is empty" }
        if name == "." || name == ".." { return "is a relative directory name" }
        if bytes.contains(0) { return "contains a NUL byte" }
        if let separator = bytes.first(where: isSeparator) {
            return "contains \"\(Character(Unicode.Scalar(separator)))\""
        }
        guard isWindows else { return nil }
        if let bad = bytes.first(where: { $0 < 0x20 || Array("<>:\"|?*".utf8).contains($0) }) {
            return bad < 0x20
                ? "contains a control character, which Windows file names cannot hold"
                : "contains \"\(Character(Unicode.Scalar(bad)))\", which Windows file names cannot hold"
        }
        if let last = bytes.last, last == UInt8(ascii: ".") || last == UInt8(ascii: " ") {
            return "ends with \(last == UInt8(ascii: ".") ? "a dot" : "a space"), which Windows drops from file names"
        }
        let stem = String(decoding: bytes.prefix { $0 != UInt8(ascii: ".") }, as: UTF8.self).uppercased()
        let trimmed = String(stem.reversed().drop { $0 == " " }.reversed())
        if Self.deviceNames.contains(trimmed) {
            return "is the Windows device name \(trimmed), which cannot be a file name"
        }
        return nil
    }

    private static let deviceNames: Set<String> = {
        var names: Set<String> = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
        for digit in 0...9 {
            names.insert("COM\(digit)")
            names.insert("LPT\(digit)")
        }
        return names
    }()

    private func isDriveLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }
}
