import CLinux
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

    /// Creates the folder `path` (its parent exists); an existing one is fine.
    static func makeFolder(_ path: String) throws(POSIXFailure) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw POSIXFailure("mkdir", path) }
    }

    /// Creates `path` holding `content` unless it exists (false then). A missing folder (the first entry for a
    /// network or namespace) is created.
    @discardableResult
    static func createFile(_ path: String, _ content: String) throws(POSIXFailure) -> Bool {
        try createFile(path, Array(content.utf8))
    }

    @discardableResult
    static func createFile(_ path: String, _ bytes: [UInt8]) throws(POSIXFailure) -> Bool {
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
        try writeAll(fd, bytes, path: path)
        return true
    }

    /// Overwrites the start of `path` (created when missing) with `bytes`, in place: for files only writers read,
    /// whose new content is never shorter than the old.
    static func overwrite(_ path: String, _ bytes: [UInt8]) throws(POSIXFailure) {
        var fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 && errno == ENOENT, let slash = path.lastIndex(of: "/") {
            try makeDirectory(String(path[..<slash]), mode: 0o700)
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw POSIXFailure("open", path) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(POSIXFailure) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress?.advanced(by: written), $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure("write", path)
            }
            written += count
        }
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

    /// Everything from `fd` to the end of the file. The state's files are small: one read into a 4 KiB buffer usually
    /// gets all of one, and a read of a regular file that returns less than it was asked for has reached
    /// the end (no `fstat` for the size, no second read that returns 0).
    static func readAll(_ fd: Int32, path: String) throws(POSIXFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunkSize = 4096
        while true {
            var failed = false
            let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { buffer, count in
                count = 0
                while true {
                    let result = read(fd, buffer.baseAddress, buffer.count)
                    if result < 0 && errno == EINTR { continue }
                    failed = result < 0
                    count = max(0, result)
                    return
                }
            }
            if failed { throw POSIXFailure("read", path) }
            if bytes.isEmpty { bytes = chunk } else { bytes += chunk }
            if chunk.count < chunkSize { return bytes }
            chunkSize *= 2
        }
    }

    /// Writes `bytes` to `path` so that a reader (or a process killed half-way) sees the old or the new file,
    /// never a part: temp file, then rename over.
    // No fsync: the crash faults model a killed process, which rename alone covers; the simulator stands in for
    // HNS, whose durability across a power loss is not the plugin's to prove. Every writer holds the state's lock,
    // so one temporary name per file is enough (a killed writer's leftover is truncated by the next).
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(POSIXFailure) {
        let temporary = "\(directory)/.tmp.\(basename(path))"
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

    // MARK: - Object files through spare files

    /// The two spare files of an object folder. `.spare-swap` takes an object's new bytes and trades places with its
    /// file; `.spare-free` is the file of the last object removed, kept for the next new one. Neither name ends in
    /// `.json`, so no reader takes them for objects, and their content (a stale document) means nothing.
    static let swapSpare = ".spare-swap"
    static let freeSpare = ".spare-free"

    /// Writes an object's file so that a reader (or a process killed half-way) sees the old or the new file, never a
    /// part, like `writeAtomically`, but without making or freeing an inode once the folder has its spares: the
    /// bytes are written over a spare's (cut to length), which then takes the object's name (`isNew`: a rename to a
    /// name that does not exist) or trades names with the old file (`renameat2` with `RENAME_EXCHANGE`). The caller
    /// holds the state's lock, so the spares have one writer.
    // Why: on ext4 a rename over a file starts writing the new one out at once (auto_da_alloc), and without a
    // journal, freeing a written block waits for its discard when the file system is mounted with `discard`.
    // Measured on the benchmark machine: DEL ÷ Go host-local 0.59× -> 0.52×, GC of 1,000 endpoints 433 -> 271 ms
    // (bench/findings.md, "Third round").
    static func saveObject(_ bytes: [UInt8], to path: String, directory: String, isNew: Bool) throws(POSIXFailure) {
        let free = directory + "/" + freeSpare
        if isNew, let fd = openSpare(free, create: false) {
            try fill(fd, with: bytes, path: free)
            if wincni_renameat2(free, path, WINCNI_RENAME_NOREPLACE) == 0 { return }
            // Not new after all (or no renameat2 here): the swap below still replaces it atomically.
            guard errno == EEXIST || errno == EINVAL || errno == ENOSYS else { throw POSIXFailure("rename", path) }
        }
        let swap = directory + "/" + swapSpare
        var fd = openSpare(swap, create: true)
        if fd == nil && errno == ENOENT {
            try makeDirectory(directory, mode: 0o700)
            fd = openSpare(swap, create: true)
        }
        guard let fd else { throw POSIXFailure("open", swap) }
        try fill(fd, with: bytes, path: swap)
        if !isNew {
            if wincni_renameat2(swap, path, WINCNI_RENAME_EXCHANGE) == 0 { return }
            // ENOENT: no old file to trade with; EINVAL/ENOSYS: a file system or kernel without the exchange.
            guard errno == ENOENT || errno == EINVAL || errno == ENOSYS else { throw POSIXFailure("rename", path) }
        }
        guard rename(swap, path) == 0 else { throw POSIXFailure("rename", path) }
    }

    /// Removes an object's file (a missing one is fine): it becomes the folder's free spare when there is none, so
    /// the next new object reuses its inode and blocks.
    static func removeObject(_ path: String, directory: String) throws(POSIXFailure) {
        try retire(path, spare: directory + "/" + freeSpare)
    }

    /// Removes `path` (a missing one is fine), its inode becoming `spare` when that name is free.
    static func retire(_ path: String, spare: String) throws(POSIXFailure) {
        if wincni_retire_at(AT_FDCWD, path, spare) != 0 { throw POSIXFailure("unlink", path) }
    }

    // MARK: - Catalog entries through spare files

    /// Creates the catalog entry `path` holding `bytes` unless it exists (false then), like `createFile`, but with the
    /// inode of `spare` (the last entry removed from the same catalog folder, see `retire`) when there is one: the
    /// spare gets the bytes first and then the name (`renameat2` no-replace), so a reader sees the whole entry or
    /// none. The caller holds the state's lock, so the spare has one writer. An empty entry takes the spare as it
    /// is: the entries of one catalog folder are all empty or all hold a GUID.
    // Why: without a journal, ext4 gives a new file no inode freed in the last minute (several, while its inode
    // block is unwritten) and scans past each such inode, so under pod churn every create costs more the more files
    // were removed before it (bench/findings.md, "Fourth round"). A rename makes and frees no inode.
    @discardableResult
    static func createEntry(_ path: String, _ bytes: [UInt8], spare: String) throws(POSIXFailure) -> Bool {
        var haveSpare = bytes.isEmpty
        if !haveSpare, let fd = openSpare(spare, create: false) {
            try fill(fd, with: bytes, path: spare)
            haveSpare = true
        }
        if haveSpare {
            if wincni_renameat2(spare, path, WINCNI_RENAME_NOREPLACE) == 0 { return true }
            if errno == EEXIST { return false }
            // ENOENT: no spare, or no folder for the entry yet; EINVAL/ENOSYS: no renameat2 here.
        }
        return try createFile(path, bytes)
    }

    /// `retire` of the entry `path` when it holds `owner`'s GUID (a claim another object took over stays); true when
    /// removed.
    @discardableResult
    static func retire(_ path: String, ifHolding owner: GUID, spare: String) throws(POSIXFailure) -> Bool {
        guard let bytes = try readFile(path), GUID(String(decoding: bytes, as: UTF8.self)) == owner else {
            return false
        }
        try retire(path, spare: spare)
        return true
    }

    /// A spare opened for writing; nil (errno set) when it cannot be, or when it is missing and `create` is false.
    private static func openSpare(_ path: String, create: Bool) -> Int32? {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0o600)
        return fd >= 0 ? fd : nil
    }

    /// Writes `bytes` over the spare `fd` and cuts it to their length (`wincni_fill`), then closes it.
    private static func fill(_ fd: Int32, with bytes: [UInt8], path: String) throws(POSIXFailure) {
        defer { close(fd) }
        let failed = bytes.withUnsafeBytes { wincni_fill(fd, $0.baseAddress, $0.count) }
        if failed != 0 { throw POSIXFailure(failed == 1 ? "write" : "truncate", path) }
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

    /// Closing the only descriptor of the open file releases the `flock`.
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// One byte of a file in the state directory, mapped into memory (`MAP_SHARED`), so that every process that opens
/// the directory sees a change at once and reading it costs no system call. Writers change it holding the lock.
/// Where the file cannot be mapped, reads say "set" (callers then look at the files themselves) and writes go
/// through `pwrite`, so that processes with a mapping still see them.
final class SharedFlag: @unchecked Sendable {
    private let mapping: UnsafeMutableRawPointer?
    private let fd: Int32
    /// Without a flag file (a directory this process cannot write to): whether this file exists is the answer.
    private let probe: String?

    /// A flag that is set exactly while `path` exists, for a directory whose flag file cannot be made.
    init(probing path: String) {
        mapping = nil
        fd = -1
        probe = path
    }

    /// Maps `path`, which must exist and hold at least one byte; nil when it does not exist.
    init?(path: String) {
        probe = nil
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        // A file of zero bytes cannot be mapped safely (reading the page would raise SIGBUS).
        guard fstat(fd, &info) == 0, info.st_size >= 1 else {
            close(fd)
            return nil
        }
        let address = mmap(nil, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        if let address, address != MAP_FAILED {
            mapping = address
            close(fd)
            self.fd = -1
        } else {
            mapping = nil
            self.fd = fd
        }
    }

    var isSet: Bool {
        if let mapping { return mapping.load(as: UInt8.self) == UInt8(ascii: "1") }
        if let probe { return POSIXFiles.exists(probe) }
        return true
    }

    func set(_ on: Bool) {
        let value = on ? UInt8(ascii: "1") : UInt8(ascii: "0")
        if let mapping {
            mapping.storeBytes(of: value, as: UInt8.self)
        } else if fd >= 0 {
            var byte = value
            _ = pwrite(fd, &byte, 1, 0)
        }
    }

    deinit {
        if let mapping { munmap(mapping, 1) }
        if fd >= 0 { close(fd) }
    }
}
