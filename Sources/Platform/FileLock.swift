import CPlatform

/// A lock held on a file, released by `release()`, when the value is dropped, or when the process dies.
public final class FileLock {
    private var lock: wincni_lock

    private init(_ lock: wincni_lock) { self.lock = lock }

    /// Host-local's store lock on `path` (created when missing): the lock the Go host-local takes on each platform
    /// (flock; LockFileEx on byte 0 on Windows). Waits for it unless `wait` is false, which fails with
    /// `.wouldBlock` while another holds it.
    public static func lockFile(_ path: String, wait: Bool = true) throws(PlatformError) -> FileLock {
        var lock: wincni_lock = 0
        try check(wincni_lock_file(path, wait ? 0 : WINCNI_LOCK_NO_WAIT, &lock), "lock", path)
        return FileLock(lock)
    }

    /// The lowest and the highest offset + 1 `lockRange` takes: clear of the store lock's byte 0 and of any content.
    public static let rangeOffsets: Range<UInt64> = WINCNI_LOCK_RANGE_MINIMUM_OFFSET..<WINCNI_LOCK_RANGE_LIMIT

    /// An exclusive lock on the one byte at `offset` (within `rangeOffsets`) of `path`, independent of the store
    /// lock on the same file. Waits unless `wait` is false.
    public static func lockRange(_ path: String, offset: UInt64, wait: Bool = true) throws(PlatformError)
        -> FileLock
    {
        var lock: wincni_lock = 0
        try check(wincni_lock_range(path, offset, wait ? 0 : WINCNI_LOCK_NO_WAIT, &lock), "lock", path)
        return FileLock(lock)
    }

    /// Whether anyone holds the byte at `offset` of `path` (false when the file does not exist).
    public static func isRangeLocked(_ path: String, offset: UInt64) throws(PlatformError) -> Bool {
        var held: Int32 = 0
        try check(wincni_range_is_locked(path, offset, &held), "test the lock of", path)
        return held != 0
    }

    /// Gives the lock up now.
    public func release() {
        wincni_unlock(lock)
        lock = 0
    }

    deinit { release() }
}
