import Platform

/// Serializes the plugin calls of one container on one network, held from before the endpoint lookup to after the
/// endpoint exists, so two ADDs (or an ADD and a DEL) of the same container cannot interleave. The CNI spec forbids
/// runtimes to run them at once, but when one does, the second call then finds what the first made instead of
/// reserving a second address and creating a second endpoint.
///
/// The lock is one byte of the store's `lock` file at an offset derived from the container ID, taken through the
/// platform layer (`FileLock.lockRange`): on POSIX an open-file-description record lock, independent of the `flock`
/// that host-local (Go and wincni) takes on the same file; on Windows a LockFileEx byte far above byte 0, where the
/// store lock sits. So it never blocks the Go plugin or the store's own lock. Released on `release()`, when the value
/// is dropped, or when the process dies.
///
/// The store's operations under this lock (their `under:` argument) take the store lock on the file this lock has
/// open instead of opening `lock` again (`FileLock.lockFile(_:through:wait:)`). A `release()` while such an
/// operation holds the store lock takes effect when it ends.
public final class ContainerLock {
    /// The store's `lock` file, as this lock opened it.
    let path: String
    let lock: FileLock

    /// nil when the store directory does not exist and `create` is off.
    init?(directory: String, containerID: String, create: Bool, platform: PlatformConventions) throws(HostLocalError) {
        let path = platform.join(directory, "lock")
        self.path = path
        let offset = Self.offset(of: containerID)
        do throws(PlatformError) {
            do throws(PlatformError) {
                lock = try FileLock.lockRange(path, offset: offset)
            } catch  where error.kind == .notFound && create {
                try Files.makeDirectories(directory, permissions: 0o700)
                lock = try FileLock.lockRange(path, offset: offset)
            }
        } catch  where (error.kind == .notFound || error.kind == .notDirectory) && !create {
            return nil
        } catch {
            throw systemError(error, path)
        }
    }

    /// Gives the lock up now (dropping the value does the same).
    public func release() { lock.release() }

    /// Whether some process (this one included) holds the lock of `containerID`.
    static func isHeld(directory: String, containerID: String, platform: PlatformConventions) -> Bool {
        (try? FileLock.isRangeLocked(platform.join(directory, "lock"), offset: offset(of: containerID))) ?? false
    }

    /// 64-bit FNV-1a of the ID, placed within the platform layer's range for byte locks.
    static func offset(of containerID: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in containerID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let range = FileLock.rangeOffsets
        return range.lowerBound + hash % (range.upperBound - range.lowerBound)
    }
}

extension HostLocalStore {
    /// Takes the per-container lock of this network's store, waiting while another process holds it for the same
    /// container. With `create` the store directory is made when missing; without it, a missing store gives nil
    /// (a DEL has nothing to race with there).
    public func lockContainer(_ containerID: String, create: Bool = true) throws(HostLocalError) -> ContainerLock? {
        try ContainerLock(directory: directory, containerID: containerID, create: create, platform: platform)
    }

    /// For a DEL, which must always be able to finish: when the store's `lock` is a symbolic link (never followed,
    /// so neither lock can be taken and every call fails), the link itself is removed so that the next lock creates
    /// a regular file, as host-local does. Returns what was done, for the caller's warning; nil when the lock is not
    /// a link. A link that cannot be removed is reported and left (the lock then fails with its own error).
    public func replaceLinkedLock() -> String? {
        let path = platform.join(directory, "lock")
        guard let information = try? Files.information(path), information.kind == .link else { return nil }
        let target = (try? Files.readLink(path)).map { " to \(quoted($0))" } ?? ""
        do throws(PlatformError) { try Files.remove(path) } catch {
            return "host-local lock \(quoted(path)) is a symbolic link\(target), which is never followed, and it "
                + "cannot be removed (\(error.text)); remove it by hand"
        }
        return "host-local lock \(quoted(path)) was a symbolic link\(target), which is never followed; removed "
            + "it so that a regular lock file takes its place"
    }

    /// Whether a process holds the per-container lock of `containerID` on this network now.
    public func isContainerLocked(_ containerID: String) -> Bool {
        ContainerLock.isHeld(directory: directory, containerID: containerID, platform: platform)
    }
}
