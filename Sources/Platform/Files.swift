import CPlatform

/// What a path names (`Files.information`).
public struct FileInformation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, link, other
    }

    public var kind: Kind
    /// POSIX permission bits (an approximation on Windows; see wincni_platform.h).
    public var permissions: UInt32
    public var size: Int64
    /// The file's identity on its volume (inode / file index).
    public var identity: UInt64
    public var modifiedNanoseconds: Int64
    /// How many hard links the file has.
    public var links: UInt32 = 1
}

extension FileInformation {
    init(_ info: wincni_file_info) {
        let kind: Kind
        switch info.kind {
        case WINCNI_KIND_REGULAR: kind = .regular
        case WINCNI_KIND_DIRECTORY: kind = .directory
        case WINCNI_KIND_LINK: kind = .link
        default: kind = .other
        }
        self.init(
            kind: kind, permissions: info.permissions, size: info.size, identity: info.identity,
            modifiedNanoseconds: info.modified_nanoseconds, links: info.links)
    }

    /// The same file, unchanged since it was described: its identity on the volume and its modification time (an
    /// identity alone can be reused by a file made after this one was removed).
    public func isSameFile(as other: FileInformation) -> Bool {
        identity == other.identity && modifiedNanoseconds == other.modifiedNanoseconds
    }
}

/// How `Files.write` writes.
public struct WriteMode: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Create or truncate, then write (Go's `os.WriteFile`).
    public static let truncate: WriteMode = []
    /// Through a temporary file that takes the name only when complete (rename; MoveFileExW replace).
    public static let atomic = WriteMode(rawValue: WINCNI_WRITE_ATOMIC)
    /// On disk before the call returns (with `atomic`: the file before the rename and the rename itself).
    public static let durable = WriteMode(rawValue: WINCNI_WRITE_DURABLE)
    /// Fails with `.exists` when the name exists; a partly written file is removed again.
    public static let exclusive = WriteMode(rawValue: WINCNI_WRITE_EXCLUSIVE)
    /// Appended in one write, the file created when missing.
    public static let append = WriteMode(rawValue: WINCNI_WRITE_APPEND)
    /// With `truncate` or `append`: only a regular file, never through a symbolic link or reparse point, never
    /// waiting on a FIFO or device (`.notRegular` instead), checked before a byte is written.
    public static let regularOnly = WriteMode(rawValue: WINCNI_OPEN_REGULAR_ONLY)
    /// `regularOnly`, and a file with more than one hard link is refused (`.linked`).
    public static let singleLink = WriteMode(rawValue: WINCNI_OPEN_SINGLE_LINK)
}

/// What `Files.read` accepts at the name.
public enum ReadCheck: Sendable {
    /// Whatever the name opens (following links).
    case any
    /// Only a regular file, never through a link and never waiting on a FIFO or device (`.notRegular`).
    case regularOnly
    /// `regularOnly`, and a file with more than one hard link is refused (`.linked`).
    case singleLink

    var flags: Int32 {
        switch self {
        case .any: 0
        case .regularOnly: WINCNI_OPEN_REGULAR_ONLY
        case .singleLink: WINCNI_OPEN_SINGLE_LINK
        }
    }
}

/// The file operations of the platform layer (wincni_platform.h), throwing `PlatformError`.
public enum Files {
    /// The content of the file at `path`; `.tooLong` when it has more than `limit` bytes.
    /// `only` says what must be at the name.
    public static func read(_ path: String, limit: Int = 1 << 26, only: ReadCheck = .any) throws(PlatformError)
        -> [UInt8]
    {
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var count: Int64 = 0
        try check(wincni_read_file_checked(path, Int64(limit), only.flags, &bytes, &count), "read", path)
        return takeBytes(bytes, count)
    }

    /// Reads the first bytes of the regular file `path` into `buffer` without following a link or waiting on a FIFO
    /// (`.notRegular`); with `singleLink`, a file with more than one hard link is refused (`.linked`). Returns the
    /// count (equal to the buffer's size when the file may be longer).
    public static func readPrefix(
        _ path: String, into buffer: UnsafeMutableRawBufferPointer, singleLink: Bool = false
    ) throws(PlatformError) -> Int {
        var count: Int64 = 0
        let status = wincni_read_prefix(
            path, singleLink ? WINCNI_OPEN_SINGLE_LINK : 0, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
            Int64(buffer.count), &count)
        try check(status, "read", path)
        return Int(count)
    }

    /// Writes `bytes` to `path` in `mode`; a created file gets `permissions` (POSIX bits, ignored on Windows).
    public static func write(
        _ path: String, _ bytes: [UInt8], mode: WriteMode = .truncate, permissions: UInt32 = 0o600
    ) throws(PlatformError) {
        let status = bytes.withUnsafeBufferPointer { buffer in
            wincni_write_file(path, buffer.baseAddress, Int64(buffer.count), mode.rawValue, permissions)
        }
        let operation =
            mode.contains(.exclusive) ? "create" : mode.contains(.append) ? "append to" : "write"
        try check(status, operation, path)
    }

    /// `write` in `.atomic` or `.exclusive` mode that also returns what the file it gave the name was then (read
    /// before the name was taken, so a later replace of `path` by another process shows as another identity or
    /// modification time).
    public static func writeNoting(
        _ path: String, _ bytes: [UInt8], mode: WriteMode, permissions: UInt32 = 0o600
    ) throws(PlatformError) -> FileInformation {
        var info = wincni_file_info()
        let status = bytes.withUnsafeBufferPointer { buffer in
            wincni_write_file_noting(
                path, buffer.baseAddress, Int64(buffer.count), mode.rawValue, permissions, &info)
        }
        try check(status, mode.contains(.exclusive) ? "create" : "write", path)
        return FileInformation(info)
    }

    /// Removes the file at `path`; `.notFound` when there is none.
    public static func remove(_ path: String) throws(PlatformError) {
        try check(wincni_remove_file(path), "remove", path)
    }

    /// Removes the file at `path` when it is there.
    public static func removeIfPresent(_ path: String) throws(PlatformError) {
        let status = wincni_remove_file(path)
        if status.kind == WINCNI_E_NOT_FOUND { return }
        try check(status, "remove", path)
    }

    /// Removes the empty directory at `path`.
    public static func removeDirectory(_ path: String) throws(PlatformError) {
        try check(wincni_remove_directory(path), "remove directory", path)
    }

    /// `mkdir -p` (drive letters, `\\?\`, UNC and both separators on Windows). Returns how many bytes of `path`
    /// existed before: `removeEmptyDirectories(path, keeping:)` with that number takes away what this call made.
    @discardableResult
    public static func makeDirectories(_ path: String, permissions: UInt32 = 0o700) throws(PlatformError) -> Int {
        var existing: Int64 = 0
        try check(wincni_make_directories(path, permissions, &existing), "create directory", path)
        return Int(existing)
    }

    /// Removes `path` and its parents, innermost first, while they are empty and longer than `keeping` bytes.
    public static func removeEmptyDirectories(_ path: String, keeping: Int) {
        _ = wincni_remove_empty_directories(path, Int64(keeping))
    }

    /// The names in `directory` (no `.`/`..`); with `filesOnly`, directories and links are left out.
    public static func list(_ directory: String, filesOnly: Bool = false) throws(PlatformError) -> [String] {
        var names: UnsafeMutablePointer<CChar>? = nil
        var size: Int64 = 0
        let status = wincni_list_directory(directory, filesOnly ? WINCNI_LIST_FILES_ONLY : 0, &names, &size, nil)
        try check(status, "list", directory)
        return takeStrings(names, size)
    }

    /// What `path` names, without following a final link; nil when nothing is there.
    public static func information(_ path: String) throws(PlatformError) -> FileInformation? {
        var info = wincni_file_info()
        let status = wincni_file_information(path, &info)
        if status.kind == WINCNI_E_NOT_FOUND { return nil }
        try check(status, "inspect", path)
        return FileInformation(info)
    }

    /// Whether something (a file, a directory, a link) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = wincni_file_info()
        return wincni_file_information(path, &info).kind == WINCNI_OK
    }

    /// Whether `path` is a regular file this process may run.
    public static func isExecutableFile(_ path: String) -> Bool { wincni_is_executable_file(path) != 0 }

    /// A new private directory in the system's temporary directory, its name starting with `prefix`.
    public static func makeTemporaryDirectory(prefix: String) throws(PlatformError) -> String {
        var path: UnsafeMutablePointer<CChar>? = nil
        try check(wincni_make_temporary_directory(prefix, &path), "create a temporary directory", prefix)
        return takeString(path)
    }

    /// The absolute path of `path` with links resolved.
    public static func resolve(_ path: String) throws(PlatformError) -> String {
        var resolved: UnsafeMutablePointer<CChar>? = nil
        try check(wincni_resolve_path(path, &resolved), "resolve", path)
        return takeString(resolved)
    }

    /// The working directory.
    public static func currentDirectory() throws(PlatformError) -> String {
        var path: UnsafeMutablePointer<CChar>? = nil
        try check(wincni_current_directory(&path), "find the working directory", "")
        return takeString(path)
    }

    /// The target of the symbolic link at `path`.
    public static func readLink(_ path: String) throws(PlatformError) -> String {
        var target: UnsafeMutablePointer<CChar>? = nil
        try check(wincni_read_link(path, &target), "read the link", path)
        return takeString(target)
    }

    /// Makes a symbolic link at `path` to `target`.
    public static func makeLink(_ path: String, to target: String) throws(PlatformError) {
        try check(wincni_make_link(target, path), "create the link", path)
    }

    /// Sets the permission bits of `path` (chmod).
    public static func setPermissions(_ path: String, _ permissions: UInt32) throws(PlatformError) {
        try check(wincni_set_permissions(path, permissions), "change the permissions of", path)
    }

    /// Sets the file creation mask (umask) and returns the previous one (0 on Windows).
    @discardableResult
    public static func setCreationMask(_ mask: UInt32) -> UInt32 { wincni_set_creation_mask(mask) }

    /// Removes `path` and everything below it, as far as it can (for temporary trees).
    public static func removeTree(_ path: String) {
        guard let info = try? information(path) else { return }
        if info.kind == .directory {
            if info.permissions & 0o700 != 0o700 { try? setPermissions(path, 0o700) }
            for name in (try? list(path)) ?? [] { removeTree(PlatformConventions.current.join(path, name)) }
            try? removeDirectory(path)
        } else {
            try? remove(path)
        }
    }
}
