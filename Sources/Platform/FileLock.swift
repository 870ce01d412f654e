import CPlatform

/// A lock held on a file, released by `release()`, when the value is dropped, or when the process dies.
public final class FileLock {
    private var lock: wincni_lock
    /// Whether this is a `lockRange` lock, whose open file a store lock may use (`lockFile(_:through:wait:)`).
    private let isRange: Bool
    /// For a store lock taken through a range lock: that range lock, whose file it uses.
    private let range: FileLock?
    /// For a range lock: whether a store lock is held through its file now, and whether `release()` came meanwhile
    /// (the file then closes when that store lock is released).
    private var lent = false
    private var releaseWhenReturned = false

    private init(_ lock: wincni_lock, isRange: Bool = false, through range: FileLock? = nil) {
        self.lock = lock
        self.isRange = isRange
        self.range = range
    }

    /// Host-local's store lock on `path` (created when missing): the lock the Go host-local takes on each platform
    /// (flock; LockFileEx on byte 0 on Windows). Waits for it unless `wait` is false, which fails with
    /// `.wouldBlock` while another holds it.
    ///
    /// `through`: a range lock this process holds on `path` (taken with that same path), whose open file carries
    /// the store lock then, with no second open of the file. The lock is the same and excludes the same holders.
    /// `path` is opened as without it when the range lock is released, already lends its file to a store lock
    /// (a second store lock through one file would not exclude the first), or is not on the file at `path` any more
    /// (removed or replaced since it was taken).
    public static func lockFile(_ path: String, through range: FileLock? = nil, wait: Bool = true)
        throws(PlatformError) -> FileLock
    {
        let flags = wait ? 0 : WINCNI_LOCK_NO_WAIT
        if let range, range.isRange, range.lock != 0, !range.lent {
            var shared: Int32 = 0
            try check(wincni_lock_file_through(range.lock, path, flags, &shared), "lock", path)
            if shared != 0 {
                range.lent = true
                return FileLock(range.lock, through: range)
            }
        }
        var lock: wincni_lock = 0
        try check(wincni_lock_file(path, flags, &lock), "lock", path)
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
        return FileLock(lock, isRange: true)
    }

    /// Whether anyone holds the byte at `offset` of `path` (false when the file does not exist).
    public static func isRangeLocked(_ path: String, offset: UInt64) throws(PlatformError) -> Bool {
        var held: Int32 = 0
        try check(wincni_range_is_locked(path, offset, &held), "test the lock of", path)
        return held != 0
    }

    /// Whether this store lock is held through a range lock's file (`lockFile(_:through:wait:)`).
    public var isThroughRange: Bool { range != nil && lock != 0 }

    /// Gives the lock up now. A store lock taken through a range lock gives up the store lock alone. A range lock
    /// whose file carries a store lock stays held until that store lock is released: closing the file now would
    /// drop the store lock in the middle of its holder's work.
    public func release() {
        guard lock != 0 else { return }
        if let range {
            wincni_unlock_file_through(lock)
            lock = 0
            range.returned()
        } else if lent {
            releaseWhenReturned = true
        } else {
            wincni_unlock(lock)
            lock = 0
        }
    }

    private func returned() {
        lent = false
        if releaseWhenReturned { release() }
    }

    deinit { release() }
}
