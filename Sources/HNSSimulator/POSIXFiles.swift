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
    /// Creates `path` and missing parents with `mode`; an existing directory is kept as it is.
    static func makeDirectory(_ path: String, mode: mode_t) throws(POSIXFailure) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw POSIXFailure("mkdir", prefix) }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXFailure("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw POSIXFailure("mkdir", path, ENOTDIR) }
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

    /// Everything from `fd` to the end of the file.
    static func readAll(_ fd: Int32, path: String) throws(POSIXFailure) -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXFailure("fstat", path) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: max(4096, Int(info.st_size) + 1))
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure("read", path)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes `bytes` to `path` so that a reader (or a process killed half-way) sees the old or the new file,
    /// never a part: temp file, fsync, rename over, fsync the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(POSIXFailure) {
        let temporary = "\(directory)/.tmp.\(getpid()).\(basename(path))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXFailure("open", temporary) }
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
        if fsync(fd) != 0 {
            let failure = POSIXFailure("fsync", temporary)
            close(fd)
            unlink(temporary)
            throw failure
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failure = POSIXFailure("rename", path)
            unlink(temporary)
            throw failure
        }
        try syncDirectory(directory)
    }

    static func syncDirectory(_ directory: String) throws(POSIXFailure) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXFailure("open", directory) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw POSIXFailure("fsync", directory) }
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

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
