import HCN

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed system call, with the path and errno text, for the simulator's I/O errors.
struct POSIXFailure: Error, Sendable, CustomStringConvertible {
    var call: String
    var path: String
    var code: Int32

    init(_ call: String, _ path: String, _ code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }

    var description: String {
        let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return "\(call) \(path): \(text)"
    }
}

/// The few file operations the state directory needs, on Glibc directly (no Foundation in the plugin's modules).
enum POSIXFiles {
    /// Creates `path` and missing parents with `mode`; an existing directory is kept as it is. The leaf is tried
    /// first: it usually exists or only it is missing.
    static func makeDirectory(_ path: String, mode: mode_t) throws(POSIXFailure) {
        if mkdir(path, mode) == 0 { return }
        if errno == ENOENT {
            var prefix = path.hasPrefix("/") ? "/" : ""
            for component in path.split(separator: "/") {
                prefix += component
                if mkdir(prefix, mode) != 0 && errno != EEXIST { throw POSIXFailure("mkdir", prefix) }
                prefix += "/"
            }
        } else if errno != EEXIST {
            throw POSIXFailure("mkdir", path)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXFailure("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw POSIXFailure("mkdir", path, ENOTDIR) }
    }

    /// Creates `path` holding `content` unless it exists (false then).
    @discardableResult
    /// A missing folder (the first entry for a network or namespace) is created.
    static func createFile(_ path: String, _ content: String) throws(POSIXFailure) -> Bool {
        var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 && errno == ENOENT, let slash = path.lastIndex(of: "/") {
            try makeDirectory(String(path[..<slash]), mode: 0o700)
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        if fd < 0 {
            if errno == EEXIST { return false }
            throw POSIXFailure("open", path)
        }
        defer { close(fd) }
        let bytes = Array(content.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress?.advanced(by: written), $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure("write", path)
            }
            written += count
        }
        return true
    }

    /// Removes `path` when it holds `owner`'s GUID (a claim another object took over stays); true when removed.
    @discardableResult
    static func remove(_ path: String, ifHolding owner: GUID) throws(POSIXFailure) -> Bool {
        guard let bytes = try readFile(path), GUID(String(decoding: bytes, as: UTF8.self)) == owner else {
            return false
        }
        try remove(path)
        return true
    }

    /// Removes `path` and everything under it; a missing path is fine.
    static func removeTree(_ path: String) throws(POSIXFailure) {
        if unlink(path) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw POSIXFailure("unlink", path) }
        for name in try list(path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 && errno != ENOENT { throw POSIXFailure("rmdir", path) }
    }

    /// The whole file, or nil when it does not exist.
    static func readFile(_ path: String) throws(POSIXFailure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw POSIXFailure("open", path)
        }
        defer { close(fd) }
        return try readAll(fd, path: path)
    }

    /// Everything from `fd` to the end of the file, read straight into the array (no zeroed chunk to copy from).
    static func readAll(_ fd: Int32, path: String) throws(POSIXFailure) -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXFailure("fstat", path) }
        var bytes: [UInt8] = []
        var capacity = max(64, Int(info.st_size) + 1)
        while true {
            var failed = false
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity - bytes.count) { buffer, count in
                while true {
                    let result = read(fd, buffer.baseAddress, buffer.count)
                    if result < 0 && errno == EINTR { continue }
                    failed = result < 0
                    count = max(0, result)
                    return
                }
            }
            if failed { throw POSIXFailure("read", path) }
            if chunk.isEmpty { return bytes }
            bytes += chunk
            if bytes.count == capacity { capacity *= 2 }
        }
    }

    /// Writes `bytes` to `path` so that a reader (or a process killed half-way) sees the old or the new file,
    /// never a part: temp file, then rename over.
    // No fsync: the crash faults model a killed process, which rename alone covers; the simulator stands in for
    // HNS, whose durability across a power loss is not the plugin's to prove.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(POSIXFailure) {
        let temporary = "\(directory)/.tmp.\(getpid()).\(basename(path))"
        var fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 && errno == ENOENT {
            try makeDirectory(directory, mode: 0o700)
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw POSIXFailure("open", temporary) }
        // Blocks allocated up front: ext4 starts writing a file's delayed-allocation data when a rename replaces
        // another file with it (auto_da_alloc), and a DEL that removes the object right after its last change then
        // waits for that write. Failure only loses the optimisation.
        if !bytes.isEmpty { _ = posix_fallocate(fd, 0, off_t(bytes.count)) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress?.advanced(by: written), $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let failure = POSIXFailure("write", temporary)
                close(fd)
                unlink(temporary)
                throw failure
            }
            written += count
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failure = POSIXFailure("rename", path)
            unlink(temporary)
            throw failure
        }
    }

    /// Removes `path`; a missing file is fine.
    static func remove(_ path: String) throws(POSIXFailure) {
        if unlink(path) != 0 && errno != ENOENT { throw POSIXFailure("unlink", path) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The names in a directory (without `.` and `..`).
    static func list(_ directory: String) throws(POSIXFailure) -> [String] {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw POSIXFailure("opendir", directory)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The names in a directory, oldest first (by change time, which never moves for files that are created
    /// empty and never written; the name breaks ties).
    static func listByAge(_ directory: String) throws(POSIXFailure) -> [String] {
        var entries: [(seconds: Int, nanoseconds: Int, name: String)] = []
        for name in try list(directory) {
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            entries.append((Int(info.st_ctim.tv_sec), Int(info.st_ctim.tv_nsec), name))
        }
        entries.sort { ($0.seconds, $0.nanoseconds, $0.name) < ($1.seconds, $1.nanoseconds, $1.name) }
        return entries.map(\.name)
    }

    private static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// An exclusive `flock` on the state directory's lock file, held by writers for one operation. Each holder opens
/// its own descriptor, so threads of one process exclude each other as separate processes do.
final class StateLock {
    private var fd: Int32

    init(path: String) throws(POSIXFailure) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXFailure("open", path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let failure = POSIXFailure("flock", path)
            close(fd)
            throw failure
        }
        self.fd = fd
    }

    /// The writer's mark: the lock file's first byte is `1` while a transaction runs, so one that is still `1` when
    /// the lock is taken was left by a writer that died. A byte in a file already open costs no file creation.
    func marker() throws(POSIXFailure) -> Bool {
        var byte: UInt8 = 0
        let count = pread(fd, &byte, 1, 0)
        guard count >= 0 else { throw POSIXFailure("read", "lock") }
        return count == 1 && byte == UInt8(ascii: "1")
    }

    func setMarker(_ on: Bool) throws(POSIXFailure) {
        var byte = on ? UInt8(ascii: "1") : UInt8(ascii: "0")
        guard pwrite(fd, &byte, 1, 0) == 1 else { throw POSIXFailure("write", "lock") }
    }

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
