import Platform

/// File helpers on the platform layer (the test target, like the plugin, does without Foundation).
enum FileTree {
    static func write(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o600) throws {
        try Files.write(path, bytes, permissions: mode)
        // The creation mask may have taken bits away: the test asked for exactly these.
        try Files.setPermissions(path, mode)
    }

    static func write(_ path: String, _ text: String, mode: UInt32 = 0o600) throws {
        try write(path, Array(text.utf8), mode: mode)
    }

    /// The file's bytes, nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        do throws(PlatformError) { return try Files.read(path) } catch {
            if error.kind == .notFound { return nil }
            throw error
        }
    }

    static func text(_ path: String) -> String? {
        ((try? read(path)) ?? nil).map { String(decoding: $0, as: UTF8.self) }
    }

    static func makeDirectory(_ path: String, mode: UInt32 = 0o700) throws {
        try Files.makeDirectories(path, permissions: mode)
    }

    static func exists(_ path: String) -> Bool { Files.exists(path) }

    /// The permission bits, nil when nothing is there.
    static func mode(_ path: String) -> UInt32? {
        ((try? Files.information(path)) ?? nil)?.permissions
    }

    /// Names in `directory`, sorted; none when it does not exist.
    static func list(_ directory: String) -> [String] {
        ((try? Files.list(directory)) ?? []).sorted()
    }

    /// `rm -rf path` (the harness's own directories only). Permissions are restored first so it also works on
    /// directories a test made unreadable.
    static func remove(_ path: String) { Files.removeTree(path) }
}

/// Every file, directory and link under some roots: path, type, permission bits and content. Two snapshots of a
/// node taken around a failed command must be equal, byte for byte.
struct Snapshot: Equatable, CustomStringConvertible {
    struct Entry: Equatable {
        var kind: FileInformation.Kind
        var mode: UInt32
        var bytes: [UInt8]
    }

    var entries: [String: Entry] = [:]

    /// Walks each root (missing roots are recorded as missing). `ignoring` returns true for paths to leave out.
    init(_ roots: [String], ignoring: (String) -> Bool = { _ in false }) {
        for root in roots { walk(root, ignoring: ignoring) }
    }

    private mutating func walk(_ path: String, ignoring: (String) -> Bool) {
        if ignoring(path) { return }
        guard let info = (try? Files.information(path)) ?? nil else { return }
        var bytes: [UInt8] = []
        if info.kind == .regular {
            bytes = ((try? FileTree.read(path)) ?? nil) ?? []
        } else if info.kind == .link {
            bytes = Array(((try? Files.readLink(path)) ?? "").utf8)
        }
        entries[path] = Entry(kind: info.kind, mode: info.permissions, bytes: bytes)
        if info.kind == .directory {
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
                if before.kind != after.kind {
                    lines.append("type of \(path): \(before.kind) -> \(after.kind)")
                } else if before.mode != after.mode {
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
