#if canImport(CLinux)
    import CLinux
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

/// A failed file operation: the path, `errno` and its text.
struct FileSystemError: Error, Sendable {
    var path: String
    var code: Int32
    var message: String

    init(path: String, code: Int32, doing action: String) {
        self.path = path
        self.code = code
        self.message = "cannot \(action): \(String(cString: strerror(code)))"
    }

    var isNotFound: Bool { code == ENOENT }
}

/// The few file operations the flannel meta plugin and the log file need, on the C library (no Foundation).
enum FileSystem {
    static func readFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileSystemError(path: path, code: errno, doing: "open") }
        defer { _ = close(descriptor) }
        var result: [UInt8] = []
        // Uninitialized scratch space (the files are a few KiB; zero-filling a buffer costs more than the read).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, code: errno, doing: "read")
            }
            if count == 0 { return result }
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// `mkdir -p` with `mode` for the directories it creates.
    /// Returns the directories it created, outermost first, so a caller that fails later can take them away again.
    @discardableResult
    static func makeDirectories(_ path: String, mode: mode_t) throws(FileSystemError) -> [String] {
        // The directory exists after the first pod: one mkdir instead of a walk from `/`.
        if mkdir(path, mode) == 0 { return [path] }
        if errno == EEXIST { return [] }
        var current = path.hasPrefix("/") ? "/" : ""
        var created: [String] = []
        for component in path.split(separator: "/") {
            current += current.isEmpty || current.hasSuffix("/") ? String(component) : "/" + component
            if mkdir(current, mode) == 0 {
                created.append(current)
            } else if errno != EEXIST {
                throw FileSystemError(path: current, code: errno, doing: "create directory")
            }
        }
        return created
    }

    /// Removes `directories` innermost first, each only if it is empty (rmdir); what cannot go stays.
    static func removeEmptyDirectories(_ directories: [String]) {
        for directory in directories.reversed() where rmdir(directory) != 0 { return }
    }

    /// Writes `bytes` to a file that gets the name `path` only once it is complete and is on disk when this returns
    /// (see `AtomicWrite`): after a successful return a crash leaves the new file, never a short one
    /// (flannel-io/cni-plugin#43 saw zero-byte files after a reboot).
    /// `spare`, when given, names a file in the same directory whose inode the new file takes when it is there
    /// (`retire` leaves one).
    /// Returns whether the spare was taken.
    @discardableResult
    static func writeAtomically(
        _ path: String, _ bytes: [UInt8], mode: mode_t, spare: String? = nil
    ) throws(FileSystemError) -> Bool {
        let write = try AtomicWrite(path, bytes, mode: mode, spare: spare)
        try write.commit()
        return write.reused
    }

    /// Removes `path`; a missing file is success.
    // Not synced: a removal lost in a crash leaves a saved config that the next DEL or GC removes again, whereas
    // a lost write (synced above) would leave DEL without the delegate.
    static func remove(_ path: String) throws(FileSystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError(path: path, code: errno, doing: "remove") }
    }

    /// `remove`, keeping the file as `spare` (same directory) when that name is free, for the next
    /// `writeAtomically` to reuse: a pod's ADD and DEL then make and free no inode and no block.
    // Why: without a journal, ext4 passes over every inode freed in the last minute or more when it makes a file,
    // and on a file system mounted with `discard` a freed block is discarded at once (bench/findings.md, "Fourth
    // round").
    static func retire(_ path: String, spare: String) throws(FileSystemError) {
        #if canImport(CLinux)
            if wincni_retire_at(AT_FDCWD, path, spare) != 0 {
                throw FileSystemError(path: path, code: errno, doing: "remove")
            }
        #else
            try remove(path)
        #endif
    }

    /// The names in `directory` (without `.` and `..`); a missing directory has none.
    static func list(_ directory: String) throws(FileSystemError) -> [String] {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw FileSystemError(path: directory, code: errno, doing: "list")
        }
        defer { _ = closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Appends one line (O_APPEND keeps concurrent plugin runs from interleaving within a line).
    static func appendLine(_ path: String, _ line: String) throws(FileSystemError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw FileSystemError(path: path, code: errno, doing: "open") }
        defer { _ = close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 { throw FileSystemError(path: path, code: errno, doing: "append") }
    }

    /// The directory part of `path` (`.` for a bare name, `/` for a name in the root), found byte-wise.
    static func directoryOf(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(Substring(path.utf8[..<slash]))
    }

    fileprivate static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            _ = close(descriptor)
        }
    }
}

/// A file replaced atomically in two steps: `init` writes the bytes (where the usual errors show: no directory, no
/// permission, no space); `commit` makes them durable and puts them in place (fsync, link or rename, fsync of the
/// directory).
///
/// On Linux the bytes go to an unnamed file (`O_TMPFILE`) that gets its name only when committed, so a process
/// killed before that leaves nothing behind. Where the file system cannot do that, a named temporary file beside
/// `path` is used (its name exists only for the few system calls of the commit).
///
/// With a `spare` (a file `FileSystem.retire` kept), the bytes go over the spare's instead, so that no inode or
/// block is made: the spare is first renamed to this process's temporary name, which claims it (a concurrent writer
/// finds no spare and makes a new file), is written and cut to length, and takes `path` at the commit. A process
/// killed in between leaves the temporary file, as the named fallback does.
final class AtomicWrite {
    let path: String
    private let temporary: String
    private let directory: String
    /// `/proc/self/fd/N` of the unnamed file.
    private var descriptorPath = ""
    private let unnamed: Bool
    /// The bytes went over a spare's (named `temporary` until the commit).
    let reused: Bool
    private var descriptor: Int32

    init(_ path: String, _ bytes: [UInt8], mode: mode_t, spare: String? = nil) throws(FileSystemError) {
        self.path = path
        temporary = path + ".tmp\(getpid())"
        var status = stat()
        // A directory in the file's place would only fail at the rename: say so before anything else happens.
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw FileSystemError(path: path, code: EISDIR, doing: "replace")
        }
        directory = FileSystem.directoryOf(path)
        var descriptor: Int32 = -1
        var reused = false
        #if canImport(CLinux)
            if let spare, wincni_renameat2(spare, temporary, WINCNI_RENAME_NOREPLACE) == 0 {
                descriptor = open(temporary, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                reused = descriptor >= 0
                if !reused { _ = unlink(temporary) }
            }
        #endif
        #if os(Linux)
            if descriptor < 0 {
                descriptor = open(directory, AtomicWrite.temporaryFileFlags | O_WRONLY | O_CLOEXEC, mode)
            }
        #endif
        unnamed = descriptor >= 0 && !reused
        self.reused = reused
        if descriptor < 0 {
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        }
        guard descriptor >= 0 else { throw FileSystemError(path: temporary, code: errno, doing: "create") }
        self.descriptor = descriptor
        if unnamed { descriptorPath = "/proc/self/fd/\(descriptor)" }
        #if canImport(CLinux)
            if reused {
                // Over the spare's old bytes, cut to length.
                let failed = bytes.withUnsafeBytes { wincni_fill(descriptor, $0.baseAddress, $0.count) }
                if failed != 0 {
                    let code = errno
                    abandon()
                    throw FileSystemError(path: path, code: code, doing: failed == 1 ? "write" : "truncate")
                }
                return
            }
        #endif
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                write(descriptor, $0.baseAddress?.advanced(by: offset), $0.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                abandon()
                throw FileSystemError(path: path, code: code, doing: "write")
            }
            offset += written
        }
    }

    #if os(Linux)
        /// Linux's O_TMPFILE (`__O_TMPFILE | O_DIRECTORY`; glibc defines it only under _GNU_SOURCE).
        private static let temporaryFileFlags: Int32 = 0o20000000 | O_DIRECTORY
    #endif

    deinit { abandon() }

    /// Puts the bytes in place durably; on failure `path` is as before and no temporary file is left.
    ///
    /// A new name (the usual case: one saved config per container) is linked (or the spare renamed) first and then
    /// the file is fsynced once. On Linux that one fsync also makes the new name durable: ext4 writes out the
    /// directory of a file newly added to it, XFS and btrfs log the name with the inode. A power loss before it
    /// returns may leave a short file under the name; the ADD has not answered then, and DEL treats an unreadable
    /// saved config as missing and rebuilds it. (Measured: 0.30 ms against 0.41 ms for fsync, link, fsync of the
    /// directory.)
    /// Replacing an existing file keeps the strict order (fsync, rename, fsync of the directory), so that the old
    /// file is never traded for a short one.
    func commit() throws(FileSystemError) {
        guard descriptor >= 0 else { throw FileSystemError(path: path, code: EBADF, doing: "commit") }
        if unnamed || reused {
            if placeUnderNewName() {
                let synced = fsync(descriptor) == 0
                let code = errno
                _ = close(descriptor)
                descriptor = -1
                guard synced else {
                    // Not known to be on disk: the name goes again, so DEL does not trust a file that may be short.
                    _ = unlink(path)
                    throw FileSystemError(path: path, code: code, doing: "fsync")
                }
                return
            }
            let code = errno
            guard code == EEXIST else {
                abandon()
                throw FileSystemError(path: path, code: code, doing: "put in place")
            }
        }
        if fsync(descriptor) != 0 {
            let code = errno
            abandon()
            throw FileSystemError(path: path, code: code, doing: "fsync")
        }
        if unnamed {
            // An existing file is replaced by a rename of a named copy.
            _ = unlink(temporary)
            if linkat(AT_FDCWD, descriptorPath, AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) != 0 {
                let code = errno
                abandon()
                throw FileSystemError(path: temporary, code: code, doing: "link")
            }
        }
        _ = close(descriptor)
        descriptor = -1
        if rename(temporary, path) != 0 {
            let code = errno
            _ = unlink(temporary)
            throw FileSystemError(path: path, code: code, doing: "rename into place")
        }
        FileSystem.syncDirectory(directory)
    }

    /// Gives the file the name `path` unless that exists: a link of the unnamed file, or a rename of the spare.
    private func placeUnderNewName() -> Bool {
        if unnamed { return linkat(AT_FDCWD, descriptorPath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 }
        #if canImport(CLinux)
            return wincni_renameat2(temporary, path, WINCNI_RENAME_NOREPLACE) == 0
        #else
            errno = ENOSYS
            return false
        #endif
    }

    /// Drops what was written if it is not committed.
    private func abandon() {
        guard descriptor >= 0 else { return }
        _ = close(descriptor)
        descriptor = -1
        if !unnamed { _ = unlink(temporary) }
    }
}
