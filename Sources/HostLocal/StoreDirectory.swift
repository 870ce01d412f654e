import Platform

/// One network's store directory (`<dataDir>/<network>`) locked: its `lock` file held with the lock host-local takes
/// there on each platform (flock on POSIX, LockFileEx on Windows: go-filemutex), so wincni and the Go plugin never work
/// on the directory at the same time. Names are checked by `StoreName` before they get here, so none leaves the
/// directory. The lock is released when the value is dropped.
final class StoreDirectory {
    let path: String
    let platform: PlatformConventions
    private let lock: FileLock

    /// Locks the directory; creates it (and `dataDir`) first when `create` is set, otherwise returns nil when it does
    /// not exist. With `containerLock` (this store's), the store lock is taken on the file it holds open, when the
    /// `lock` file is still that file; a lock file replaced since (`replaceLinkedLock`, another process) is opened
    /// and locked by name as without it, since that file is the one host-local locks.
    init?(path: String, create: Bool, platform: PlatformConventions, containerLock: ContainerLock? = nil)
        throws(HostLocalError)
    {
        self.path = path
        self.platform = platform
        let lockPath = platform.join(path, "lock")
        let range = containerLock.flatMap { $0.path == lockPath ? $0.lock : nil }
        do throws(PlatformError) {
            // The directory exists after the first allocation: create it only when the lock cannot be taken.
            do throws(PlatformError) {
                lock = try FileLock.lockFile(lockPath, through: range)
            } catch  where error.kind == .notFound && create {
                try Files.makeDirectories(path, permissions: 0o700)
                lock = try FileLock.lockFile(lockPath)
            }
        } catch  where (error.kind == .notFound || error.kind == .notDirectory) && !create {
            // No store, or a file where `dataDir` should be a directory: no reservation can exist.
            return nil
        } catch {
            throw systemError(error, lockPath)
        }
    }

    /// Whether the store lock is held through the container lock's open file (no open of its own).
    var sharesContainerLock: Bool { lock.isThroughRange }

    /// Creates `name` with `content` unless it exists (false then), atomically even against a writer that ignores
    /// the lock. A file that cannot be written completely is removed again.
    // Not synced, as the Go host-local syncs none of its files: after a node reboot every pod is added again and
    // GC reclaims what a lost write leaves behind.
    func createExclusive(_ name: String, content: [UInt8]) throws(HostLocalError) -> Bool {
        let file = platform.join(path, name)
        do throws(PlatformError) {
            try Files.write(file, content, mode: .exclusive, permissions: 0o600)
            return true
        } catch  where error.kind == .exists {
            return false
        } catch {
            throw systemError(error, file)
        }
    }

    /// Replaces the content of `name` with `content`, as host-local's `os.WriteFile` does, but only in a regular
    /// file with one link: a hard link or symbolic link placed there must not carry the write to another file.
    /// Not synced: it only holds `last_reserved_ip`, whose loss costs the round-robin position, not a reservation.
    func overwrite(_ name: String, content: [UInt8]) throws(HostLocalError) {
        let file = platform.join(path, name)
        do throws(PlatformError) { try Files.write(file, content, mode: .singleLink, permissions: 0o600) } catch {
            if error.kind == .linked || error.kind == .notRegular {
                throw HostLocalError(
                    .io, path: file,
                    "\(error.text), so it is not written (the write would reach another file); remove \(file)",
                    underlying: error)
            }
            throw systemError(error, file)
        }
    }

    /// `names` without the leftovers of killed writers, which are removed: temporary files of the exclusive
    /// create (`<address>.tmp<pid>.<n>`). Only called under the store's lock, which every writer holds while it
    /// writes, so no such file belongs to a live process.
    func reclaimingLeftovers(_ names: [String]) throws(HostLocalError) -> [String] {
        var kept: [String] = []
        kept.reserveCapacity(names.count)
        for name in names {
            if Self.isTemporaryFile(name) {
                try remove(name)
            } else {
                kept.append(name)
            }
        }
        return kept
    }

    /// Whether `name` is `<address>.tmp<digits>.<digits>`, the platform layer's temporary name for a reservation.
    static func isTemporaryFile(_ name: String) -> Bool {
        var rest = Array(name.utf8)[...]
        func dropNumber(after marker: String) -> Bool {
            let digits = rest.reversed().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            let stem = rest.dropLast(digits)
            let bytes = Array(marker.utf8)
            guard digits > 0, stem.count > bytes.count, stem.suffix(bytes.count).elementsEqual(bytes) else {
                return false
            }
            rest = stem.dropLast(bytes.count)
            return true
        }
        guard dropNumber(after: "."), dropNumber(after: ".tmp") else { return false }
        return StoreName.address(fromFileName: String(decoding: rest, as: UTF8.self)) != nil
    }

    /// The first `limit` bytes of `name` at most, and whether the file was longer; nil when it cannot be read
    /// (absent, a directory, a symbolic link, a FIFO, a file with more than one hard link).
    func read(_ name: String, limit: Int) -> (bytes: [UInt8], truncated: Bool)? {
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        guard let count = bytes.withUnsafeMutableBytes({ read(name, into: $0) }) else { return nil }
        bytes.removeSubrange(min(count, limit)...)
        return (bytes, count > limit)
    }

    /// Reads the start of `name` into `buffer`, returning the byte count; a count equal to the buffer's size means
    /// the file may be longer. The scans read every reservation file, so they reuse one buffer.
    func read(_ name: String, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        try? Files.readPrefix(platform.join(path, name), into: buffer, singleLink: true)
    }

    /// Removes `name`; an absent file is not an error.
    func remove(_ name: String) throws(HostLocalError) {
        let file = platform.join(path, name)
        do throws(PlatformError) { try Files.removeIfPresent(file) } catch { throw systemError(error, file) }
    }

    /// The names of the entries that may be regular files (directories and symbolic links left out).
    func fileNames() throws(HostLocalError) -> [String] {
        do throws(PlatformError) { return try Files.list(path, filesOnly: true) } catch {
            throw systemError(error, path)
        }
    }
}

func systemError(_ error: PlatformError, _ path: String) -> HostLocalError {
    HostLocalError(.io, path: path, "\(error.operation) failed: \(error.text)", underlying: error)
}
