#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File helpers on the C library (the test target, like the plugin, does without Foundation).
enum FileTree {
    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw HarnessError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                posixWrite(fd, $0.baseAddress?.advanced(by: offset), $0.count - offset)
            }
            guard written > 0 else { throw HarnessError("cannot write \(path): errno \(errno)") }
            offset += written
        }
    }

    static func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        try write(path, Array(text.utf8), mode: mode)
    }

    /// The file's bytes, nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw HarnessError("cannot open \(path): errno \(errno)")
        }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HarnessError("cannot read \(path): errno \(errno)")
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    static func text(_ path: String) -> String? {
        ((try? read(path)) ?? nil).map { String(decoding: $0, as: UTF8.self) }
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        guard mkdir(path, mode) == 0 || errno == EEXIST else { throw HarnessError("mkdir \(path): errno \(errno)") }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode
    }

    /// Names in `directory`, sorted; none when it does not exist.
    static func list(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `rm -rf path` (the harness's own directories only). Permissions are restored first so it also works on
    /// directories a test made unreadable.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            chmod(path, 0o700)
            for name in list(path) { remove(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// Every file, directory and link under some roots: path, type, permission bits and content. Two snapshots of a
/// node taken around a failed command must be equal, byte for byte.
struct Snapshot: Equatable, CustomStringConvertible {
    struct Entry: Equatable {
        var mode: mode_t
        var bytes: [UInt8]
    }

    var entries: [String: Entry] = [:]

    /// Walks each root (missing roots are recorded as missing). `ignoring` returns true for paths to leave out.
    init(_ roots: [String], ignoring: (String) -> Bool = { _ in false }) {
        for root in roots { walk(root, ignoring: ignoring) }
    }

    private mutating func walk(_ path: String, ignoring: (String) -> Bool) {
        if ignoring(path) { return }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        var bytes: [UInt8] = []
        if type == S_IFREG {
            bytes = ((try? FileTree.read(path)) ?? nil) ?? []
        } else if type == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink(path, &buffer, buffer.count)
            if count > 0 { bytes = buffer[0..<count].map { UInt8(bitPattern: $0) } }
        }
        entries[path] = Entry(mode: info.st_mode, bytes: bytes)
        if type == S_IFDIR {
            for name in FileTree.list(path) { walk(path + "/" + name, ignoring: ignoring) }
        }
    }

    /// What changed from `self` to `other`, one line per path (empty when nothing did).
    func differences(to other: Snapshot) -> [String] {
        var lines: [String] = []
        for path in Set(entries.keys).union(other.entries.keys).sorted() {
            switch (entries[path], other.entries[path]) {
            case (nil, let after?): lines.append("added \(path) (\(after.bytes.count) bytes)")
            case (_?, nil): lines.append("removed \(path)")
            case (let before?, let after?) where before != after:
                if before.mode != after.mode {
                    lines.append("mode of \(path): \(String(before.mode, radix: 8)) -> \(String(after.mode, radix: 8))")
                } else {
                    lines.append(
                        "changed \(path): \(String(decoding: before.bytes.prefix(200), as: UTF8.self)) -> "
                            + String(decoding: after.bytes.prefix(200), as: UTF8.self))
                }
            default: break
            }
        }
        return lines
    }

    var description: String { entries.keys.sorted().joined(separator: "\n") }
}

// The C library's read and write, reachable from inside `FileTree` (whose own `read`/`write` hide them).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
