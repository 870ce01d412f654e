#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serializes the plugin calls of one container on one network, held from before the endpoint lookup to after the
/// endpoint exists, so two ADDs (or an ADD and a DEL) of the same container cannot interleave. The CNI spec forbids
/// runtimes to run them at once, but when one does, the second call then finds what the first made instead of
/// reserving a second address and creating a second endpoint.
///
/// The lock is a one-byte open-file-description record lock on the store's `lock` file at an offset derived from
/// the container ID: no new files, nothing to clean up, and calls for other containers go on in parallel (a hash
/// collision only makes two containers wait for each other). Record locks and the `flock` that host-local (Go and
/// wincni) takes on the same file are independent, so this never blocks the Go plugin or the store's own lock, and
/// open-file-description locks are not dropped when some other descriptor of the file is closed (classic POSIX
/// record locks are). Released on `release()`, when the value is dropped, or when the process dies.
public final class ContainerLock {
    private var file: Int32

    /// Linux's F_OFD_SETLKW (glibc defines it only under _GNU_SOURCE).
    private static let setLockWaitCommand: Int32 = 38

    /// nil when the store directory does not exist and `create` is off.
    init?(directory: String, containerID: String, create: Bool) throws(HostLocalError) {
        var file = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if file < 0 && errno == ENOENT {
            guard create else { return nil }
            try makeDirectories(directory)
            file = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        }
        if file < 0 { throw systemError("open", directory + "/lock", errno) }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(Self.offset(of: containerID))
        request.l_len = 1
        while fcntl(file, Self.setLockWaitCommand, &request) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(file)
            throw systemError("fcntl(F_OFD_SETLKW)", directory + "/lock", error)
        }
        self.file = file
    }

    /// Gives the lock up now (dropping the value does the same).
    public func release() {
        guard file >= 0 else { return }
        close(file)
        file = -1
    }

    deinit { release() }

    /// Whether some open file description (of any process, this one included) holds the lock of `containerID`.
    static func isHeld(directory: String, containerID: String) -> Bool {
        let file = open(directory + "/lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard file >= 0 else { return false }
        defer { close(file) }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(offset(of: containerID))
        request.l_len = 1
        guard fcntl(file, getLockCommand, &request) == 0 else { return false }
        return request.l_type != Int16(F_UNLCK)
    }

    /// Linux's F_OFD_GETLK.
    private static let getLockCommand: Int32 = 36

    /// 64-bit FNV-1a of the ID, kept below 2^62 so the offset is a valid positive `off_t`.
    static func offset(of containerID: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in containerID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int64(hash >> 2)
    }
}

extension HostLocalStore {
    /// Takes the per-container lock of this network's store, waiting while another process holds it for the same
    /// container. With `create` the store directory is made when missing; without it, a missing store gives nil
    /// (a DEL has nothing to race with there).
    public func lockContainer(_ containerID: String, create: Bool = true) throws(HostLocalError) -> ContainerLock? {
        try ContainerLock(directory: directory, containerID: containerID, create: create)
    }

    /// Whether a process holds the per-container lock of `containerID` on this network now.
    public func isContainerLocked(_ containerID: String) -> Bool {
        ContainerLock.isHeld(directory: directory, containerID: containerID)
    }
}
