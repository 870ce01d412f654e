import CLinux

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One network's store directory (`<dataDir>/<network>`) opened and locked: `flock(LOCK_EX)` on its `lock` file,
/// the same lock host-local takes (its `FileLock` uses flock on `<dir>/lock`), so wincni and the Go plugin never
/// work on the directory at the same time. Every file operation is relative to the open directory, so a name can
/// never reach outside it. The lock is released when the value is dropped.
final class StoreDirectory {
    let path: String
    private let directory: Int32
    private let lock: Int32
    /// Reservations this value made from the spare, which an undo gives back to it.
    private var madeFromSpare: Set<String> = []

    /// The file of the last released reservation, kept for the next one (`createExclusive`, `retire`): a pod's ADD
    /// and DEL then make and free no inode and no block. Not an address, so no scan (wincni's or host-local's, which
    /// parses every name as an IP) takes it for a reservation; it holds the released owner's line, which host-local
    /// at most removes again.
    // Why: without a journal, ext4 passes over every inode freed in the last minute or more when it makes a file,
    // and on a file system mounted with `discard` a freed block is discarded at once (bench/findings.md, "Fourth
    // round").
    static let spareName = ".wincni..spare"

    /// Opens and locks the directory; creates it (and `dataDir`) first when `create` is set, otherwise returns nil
    /// when it does not exist.
    init?(path: String, create: Bool) throws(HostLocalError) {
        self.path = path
        var directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // The directory exists after the first allocation: create it only when opening it fails.
        if directory < 0 && errno == ENOENT && create {
            try makeDirectories(path)
            directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        if directory < 0 {
            let error = errno
            if error == ENOENT && !create { return nil }
            throw HostLocal.systemError("open", path, error)
        }
        let lock = openat(directory, "lock", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if lock < 0 {
            let error = errno
            close(directory)
            throw HostLocal.systemError("open", path + "/lock", error)
        }
        while flock(lock, LOCK_EX) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(lock)
            close(directory)
            throw HostLocal.systemError("flock", path + "/lock", error)
        }
        self.directory = directory
        self.lock = lock
    }

    deinit {
        close(lock)
        close(directory)
    }

    /// Creates `name` with `content` unless it exists (false then). O_EXCL makes the reservation atomic even
    /// against a writer that ignores the lock. A file that cannot be written completely is removed again.
    /// The spare, when there is one, gets `content` and then `name` (renameat2 no-replace, as exclusive as O_EXCL),
    /// so the name never shows other bytes.
    // Not synced, as the Go host-local syncs none of its files: after a node reboot every pod is added again and
    // GC reclaims what a lost write leaves behind.
    func createExclusive(_ name: String, content: [UInt8]) throws(HostLocalError) -> Bool {
        if let made = try createFromSpare(name, content: content) { return made }
        let file = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if file < 0 {
            let error = errno
            if error == EEXIST { return false }
            throw systemError("create", name, error)
        }
        var failure: HostLocalError?
        if let error = writeAll(file, content) {
            failure = systemError("write", name, error)
        }
        close(file)
        if let failure {
            unlinkat(directory, name, 0)
            throw failure
        }
        return true
    }

    /// Replaces the content of `name` with `content`, as host-local's `os.WriteFile` does, but in place: the bytes
    /// are written over the old ones and the file is cut to their length. Not synced: it only holds
    /// `last_reserved_ip`, whose loss costs the round-robin position, not a reservation.
    // Not O_TRUNC: on ext4, cutting a file to zero bytes makes its close start writing the new bytes out at once
    // (auto_da_alloc): 137 µs against 3-5 µs in place, in a C loop on the benchmark machine. A cut to a shorter
    // non-zero length does not.
    // Every writer holds the store's lock, and a reader only takes the content as a hint, so a crash between the
    // write and the cut (a longer address's tail left behind) costs at most the round-robin position, like a lost
    // write does.
    func overwrite(_ name: String, content: [UInt8]) throws(HostLocalError) {
        let file = openat(directory, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if file < 0 { throw systemError("open", name, errno) }
        defer { close(file) }
        try fill(file, name, content)
    }

    /// Writes `content` over the open file `name` and cuts a longer old content (`wincni_fill`).
    private func fill(_ file: Int32, _ name: String, _ content: [UInt8]) throws(HostLocalError) {
        let failed = content.withUnsafeBytes { wincni_fill(file, $0.baseAddress, $0.count) }
        if failed != 0 { throw systemError(failed == 1 ? "write" : "truncate", name, errno) }
    }

    /// `createExclusive` through the spare; nil when there is none (or this kernel has no renameat2), and the caller
    /// makes a new file.
    private func createFromSpare(_ name: String, content: [UInt8]) throws(HostLocalError) -> Bool? {
        let file = openat(directory, Self.spareName, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if file < 0 { return nil }
        do { try fill(file, Self.spareName, content) } catch {
            close(file)
            throw error
        }
        close(file)
        if wincni_renameat2_at(directory, Self.spareName, directory, name, WINCNI_RENAME_NOREPLACE) == 0 {
            madeFromSpare.insert(name)
            return true
        }
        switch errno {
        case EEXIST: return false
        case ENOENT, EINVAL, ENOSYS: return nil
        default: throw systemError("rename", name, errno)
        }
    }

    /// Removes `name` (an absent file is not an error), its file becoming the spare when there is none.
    func retire(_ name: String) throws(HostLocalError) {
        if wincni_retire_at(directory, name, Self.spareName) != 0 { throw systemError("remove", name, errno) }
    }

    /// Takes back a reservation this value made: the directory is left as it was found (the spare back in place
    /// when it came from there).
    func undoCreate(_ name: String) throws(HostLocalError) {
        if madeFromSpare.remove(name) != nil {
            try retire(name)
        } else {
            try remove(name)
        }
    }

    /// The first `limit` bytes of `name` at most, and whether the file was longer; nil when it cannot be opened
    /// (absent, a directory, a symbolic link).
    func read(_ name: String, limit: Int) -> (bytes: [UInt8], truncated: Bool)? {
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        guard let count = bytes.withUnsafeMutableBytes({ read(name, into: $0) }) else { return nil }
        bytes.removeSubrange(min(count, limit)...)
        return (bytes, count > limit)
    }

    /// Reads `name` into `buffer` with one `read` (a short read of a regular file means its end), returning the
    /// byte count; a count equal to the buffer's size means the file may be longer. The scans read every
    /// reservation file, so they reuse one buffer.
    func read(_ name: String, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let file = openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if file < 0 { return nil }
        defer { close(file) }
        while true {
            let result = systemRead(file, buffer.baseAddress, buffer.count)
            if result >= 0 { return result }
            if errno != EINTR { return nil }
        }
    }

    /// Removes `name`; an absent file is not an error.
    func remove(_ name: String) throws(HostLocalError) {
        if unlinkat(directory, name, 0) != 0 {
            let error = errno
            if error != ENOENT { throw systemError("remove", name, error) }
        }
    }

    /// The names of the entries that may be regular files (directories and symbolic links left out).
    func fileNames() throws(HostLocalError) -> [String] {
        let copy = dup(directory)
        if copy < 0 { throw systemError("dup", path, errno) }
        guard let stream = fdopendir(copy) else {
            let error = errno
            close(copy)
            throw systemError("opendir", path, error)
        }
        defer { closedir(stream) }
        // The duplicate shares the read position with `directory`: start from the top every time.
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let type = Int32(entry.pointee.d_type)
            if type != Int32(DT_REG) && type != Int32(DT_UNKNOWN) { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        return names
    }

    private func systemError(_ call: String, _ name: String, _ error: Int32) -> HostLocalError {
        HostLocal.systemError(call, name.hasPrefix("/") ? name : path + "/" + name, error)
    }
}

private func systemRead(_ file: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(file, buffer, count)
}

private func writeAll(_ file: Int32, _ content: [UInt8]) -> Int32? {
    var written = 0
    while written < content.count {
        let result = content.withUnsafeBytes { buffer in
            write(file, buffer.baseAddress.map { $0 + written }, buffer.count - written)
        }
        if result < 0 {
            if errno == EINTR { continue }
            return errno
        }
        written += result
    }
    return nil
}

func systemError(_ call: String, _ path: String, _ error: Int32) -> HostLocalError {
    let reason = strerror(error).map { String(cString: $0) } ?? "error \(error)"
    return HostLocalError(.io, path: path, "\(call) failed: \(reason)", errno: error)
}

/// `mkdir -p`. host-local uses `os.MkdirAll(dir, 0755)`; wincni creates what is missing with 0700, which the Go
/// plugin (running as root like wincni) can use all the same.
func makeDirectories(_ path: String) throws(HostLocalError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        prefix += component
        if mkdir(prefix, 0o700) != 0 {
            let error = errno
            if error != EEXIST { throw systemError("mkdir", prefix, error) }
        }
        prefix += "/"
    }
}
