// wincni's platform layer: every call the product makes to the operating system, behind one C interface that Swift
// imports the same way on Linux and on Windows (DESIGN.md "Modules", STYLE.md rule 3).
//
// Rules of this header:
// - Strings are NUL-terminated UTF-8 `char` strings, in and out. The Win32 half converts to and from UTF-16 at the
//   system call; Swift never sees `wchar_t`.
// - Only fixed-width integer types (`int32_t`, `int64_t`, `uint32_t`, `uint64_t`, `uint8_t`): no `long`, `size_t`,
//   `ssize_t`, `mode_t`, `pid_t`, `HANDLE` or `wchar_t`, whose widths differ between the platforms.
// - Every fallible function returns a `wincni_status`: `kind` is 0 (WINCNI_OK) or one of the portable WINCNI_E_*
//   kinds below, `native` is the operating system's own code (errno on POSIX, GetLastError() on Windows; 0 when the
//   failure did not come from the system). `wincni_native_error_text` turns `native` into words.
// - A buffer this layer returns through an out-parameter is allocated here and owned by the caller, who frees it
//   with `wincni_free`, never with another allocator (on Windows the caller's C runtime may not be this file's).
//   On failure no buffer is returned (the out-pointer is set to NULL).
// - Paths are passed to the system as given: relative paths are relative to the working directory (on Windows, `/x`
//   is `x` on the current drive). On Windows `/` and `\` are both separators, and drive-letter (`C:\x`),
//   extended-length (`\\?\C:\x`) and UNC (`\\server\share\x`) paths work everywhere a path is taken.
//
// posix.c implements it for Linux and macOS (guarded whole by `!defined(_WIN32)`), win32.c for Windows (guarded whole
// by `defined(_WIN32)`, using only windows.h and ISO C headers).
#ifndef WINCNI_PLATFORM_H
#define WINCNI_PLATFORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Status

/// Success.
#define WINCNI_OK 0
/// No such file or directory (ENOENT; ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_INVALID_DRIVE,
/// ERROR_BAD_NETPATH).
#define WINCNI_E_NOT_FOUND 1
/// The name exists already (EEXIST, ENOTEMPTY; ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS, ERROR_DIR_NOT_EMPTY).
#define WINCNI_E_EXISTS 2
/// A component of the path is not a directory (ENOTDIR; ERROR_DIRECTORY).
#define WINCNI_E_NOT_DIRECTORY 3
/// The name is a directory where a file was expected (EISDIR; a directory found by the Win32 half's own check).
#define WINCNI_E_IS_DIRECTORY 4
/// Permission denied or the file is in use (EACCES, EPERM, EROFS; ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION,
/// ERROR_WRITE_PROTECT).
#define WINCNI_E_ACCESS 5
/// A lock is held by someone else and the caller asked not to wait (EWOULDBLOCK, EAGAIN, EACCES from fcntl;
/// ERROR_LOCK_VIOLATION, ERROR_IO_PENDING).
#define WINCNI_E_WOULD_BLOCK 6
/// A wait ended at its deadline (a process still running; WAIT_TIMEOUT).
#define WINCNI_E_TIMED_OUT 7
/// An argument the call cannot take (EINVAL, EBADF, ELOOP; ERROR_INVALID_PARAMETER, ERROR_INVALID_NAME,
/// ERROR_INVALID_HANDLE).
#define WINCNI_E_INVALID 8
/// A name, path or content too long for the call or for a caller's limit (ENAMETOOLONG, E2BIG, EFBIG;
/// ERROR_FILENAME_EXCED_RANGE, ERROR_BUFFER_OVERFLOW).
#define WINCNI_E_TOO_LONG 9
/// Anything else (out of space, I/O error, ...): `native` says which.
#define WINCNI_E_OTHER 10
/// The operation does not exist on this platform (the HCN loader on POSIX).
#define WINCNI_E_UNSUPPORTED 11
/// A name opened with WINCNI_OPEN_REGULAR_ONLY is not a regular file: a symbolic link or reparse point, a FIFO, a
/// socket, a device (POSIX: found by lstat before the open and by fstat after it, or ELOOP / ENXIO from the open with
/// O_NOFOLLOW | O_NONBLOCK; Windows: FILE_ATTRIBUTE_REPARSE_POINT or GetFileType other than FILE_TYPE_DISK).
/// `native` is 0.
#define WINCNI_E_NOT_REGULAR 12
/// A file opened with WINCNI_OPEN_SINGLE_LINK has more than one hard link (st_nlink; nNumberOfLinks), so writing it
/// would also change the file under its other names. `native` is 0.
#define WINCNI_E_LINKED 13

/// The outcome of a call: `kind` is WINCNI_OK or a WINCNI_E_* kind, `native` the errno / GetLastError() value behind
/// it (0 when there is none).
typedef struct wincni_status {
    int32_t kind;
    int32_t native;
} wincni_status;

/// The words for a native error code (strerror on POSIX; FormatMessageW without inserts, trailing ".\r\n" removed,
/// on Windows), copied into `buffer` (always NUL-terminated, cut at `capacity - 1` bytes on a UTF-8 boundary).
/// Returns the length written, without the NUL. Never fails: an unknown code gives "error N".
int32_t wincni_native_error_text(int32_t native, char *buffer, int32_t capacity);

/// Frees a buffer this layer returned (file contents, name lists, environment blocks, paths). NULL is allowed.
void wincni_free(void *buffer);

// MARK: - Platform conventions

/// What Swift needs to know about the platform's conventions, as values, so that the decisions built on them are
/// Swift code that tests exercise with both values on Linux.
typedef struct wincni_platform_info {
    /// 1 on Windows, 0 elsewhere.
    int32_t is_windows;
    /// The preferred path separator: '/' on POSIX, '\\' on Windows (where '/' is accepted too).
    char path_separator;
    /// What separates the directories of a search list such as CNI_PATH: ':' on POSIX, ';' on Windows.
    char list_separator;
    /// Appended to an executable's name: "" on POSIX, ".exe" on Windows. Static storage; never freed.
    const char *executable_suffix;
} wincni_platform_info;

/// The conventions of the platform this file was compiled for.
wincni_platform_info wincni_platform(void);

// MARK: - Files

/// What a path names.
#define WINCNI_KIND_REGULAR 1
#define WINCNI_KIND_DIRECTORY 2
/// A symbolic link (POSIX) or a reparse point such as a symbolic link or junction (Windows), not followed.
#define WINCNI_KIND_LINK 3
/// A device, FIFO, socket, ...
#define WINCNI_KIND_OTHER 4

/// What `wincni_file_information` found about one path.
typedef struct wincni_file_info {
    /// WINCNI_KIND_*.
    int32_t kind;
    /// POSIX permission bits (st_mode & 07777). Windows: 0444 for a read-only file, else 0666, plus 0111 for a
    /// directory or a name ending in ".exe".
    uint32_t permissions;
    /// Size in bytes (0 for a directory).
    int64_t size;
    /// Identifies the file on its volume (st_ino; the file index from GetFileInformationByHandle).
    uint64_t identity;
    /// Last modification, nanoseconds since the Unix epoch.
    int64_t modified_nanoseconds;
    /// The number of hard links to the file (st_nlink; nNumberOfLinks from GetFileInformationByHandle).
    uint32_t links;
} wincni_file_info;

/// Describes `path` without following a final symbolic link (lstat; on Windows CreateFileW with
/// FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS and GetFileInformationByHandle). WINCNI_E_NOT_FOUND
/// when there is nothing there.
wincni_status wincni_file_information(const char *path, wincni_file_info *info);

/// 1 when `path` (following links) is a regular file this process may execute (POSIX: a regular file with access
/// X_OK; Windows: a regular file, as Windows decides executability by name), else 0. Used to find plugins in
/// CNI_PATH.
int32_t wincni_is_executable_file(const char *path);

/// Opening checks, for reads (`wincni_read_file_checked`, `wincni_read_prefix`) and for writes (OR'ed into the mode
/// of `wincni_write_file`, except with WINCNI_WRITE_ATOMIC, which replaces the name and never writes through it).
/// Only a regular file: the final name is never followed when it is a symbolic link or reparse point, the open never
/// blocks (a FIFO without a peer, a device), and anything but a regular file gives WINCNI_E_NOT_REGULAR before a byte
/// is read or written. POSIX: lstat first (so no device or FIFO is opened at all), then open with O_NOFOLLOW |
/// O_NONBLOCK and fstat the descriptor (a name swapped in between is caught); a truncating write opens without
/// O_TRUNC and truncates only after the check. Windows: FILE_FLAG_OPEN_REPARSE_POINT, then the handle must have no
/// FILE_ATTRIBUTE_REPARSE_POINT and GetFileType must be FILE_TYPE_DISK.
#define WINCNI_OPEN_REGULAR_ONLY 16
/// WINCNI_OPEN_REGULAR_ONLY, and a file with more than one hard link gives WINCNI_E_LINKED (checked on the open
/// handle, before anything is read, written or truncated).
#define WINCNI_OPEN_SINGLE_LINK 32

/// Reads the whole file at `path`, at most `limit` bytes (limit >= 0). On success `*bytes` holds the content (NUL
/// appended after the last byte, not counted; free with wincni_free) and `*count` its length. A file longer than
/// `limit` gives WINCNI_E_TOO_LONG and no buffer. A directory gives WINCNI_E_IS_DIRECTORY. Windows opens with
/// FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE so that a reader never blocks an atomic replace.
wincni_status wincni_read_file(const char *path, int64_t limit, uint8_t **bytes, int64_t *count);

/// `wincni_read_file` with opening checks: `flags` is 0 or WINCNI_OPEN_REGULAR_ONLY / WINCNI_OPEN_SINGLE_LINK.
wincni_status wincni_read_file_checked(const char *path, int64_t limit, int32_t flags, uint8_t **bytes,
                                       int64_t *count);

/// Reads the first bytes of the file at `path` into the caller's `buffer` (no allocation: for scans over many small
/// files) and sets `*count` to how many were read; `*count == capacity` means the file may be longer. Does not
/// follow a final symbolic link and reads only a regular file, without blocking (WINCNI_OPEN_REGULAR_ONLY, always):
/// anything else gives WINCNI_E_NOT_REGULAR. `flags`: 0 or WINCNI_OPEN_SINGLE_LINK.
wincni_status wincni_read_prefix(const char *path, int32_t flags, uint8_t *buffer, int64_t capacity,
                                 int64_t *count);

/// Write modes of `wincni_write_file`.
/// Replace atomically: the bytes go to a temporary file beside `path` that takes the name only once complete, so
/// a reader sees the old content or the new, never a mix. POSIX: a temporary file in the same directory, rename(2).
/// Windows: MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), retried for up to about 2 s while
/// another process holds the target open (ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION). A temporary file is removed
/// again on failure. On both platforms it is named `<path>.tmp<process ID>.<counter>` (decimal), so a process that
/// died before its rename left a name that flannel's GC recognises exactly.
#define WINCNI_WRITE_ATOMIC 1
/// With WINCNI_WRITE_ATOMIC: the content is on disk before the rename (fsync; FlushFileBuffers) and the rename is
/// on disk before the return (fsync of the directory; MOVEFILE_WRITE_THROUGH), so a crash leaves the old file or the
/// complete new one. Without WINCNI_WRITE_ATOMIC: the file is flushed before it is closed.
#define WINCNI_WRITE_DURABLE 2
/// Create only: WINCNI_E_EXISTS when the name exists, atomic even against writers that take no lock, and the file
/// appears complete or not at all: the bytes go to a temporary file named as for WINCNI_WRITE_ATOMIC, which then
/// takes the name only if it is free (POSIX: link(2) of the complete temporary file, then unlink of the temporary
/// name; Windows: MoveFileExW without MOVEFILE_REPLACE_EXISTING). A process killed in between leaves a temporary
/// file, never an empty or partly written file under `path`. On a POSIX file system without hard links it falls
/// back to O_CREAT | O_EXCL and writing, removing the file again if it cannot be written completely. Not with
/// WINCNI_WRITE_ATOMIC.
#define WINCNI_WRITE_EXCLUSIVE 4
/// Append to the end (created when missing), each call one write (O_APPEND; FILE_APPEND_DATA), so concurrent
/// appenders do not interleave within a call's bytes. Not with the other modes.
#define WINCNI_WRITE_APPEND 8

/// Writes `count` bytes to `path` in `mode` (an OR of WINCNI_WRITE_* flags and, for the truncating and the append
/// modes, WINCNI_OPEN_* checks; 0 = create or truncate and write, as Go's os.WriteFile does). A file this call
/// creates gets `permissions` (POSIX mode bits, before the umask; ignored on Windows, where the directory's inherited
/// ACL applies). A directory at `path` gives WINCNI_E_IS_DIRECTORY. With WINCNI_WRITE_EXCLUSIVE nothing is ever
/// written through an existing name.
wincni_status wincni_write_file(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                uint32_t permissions);

/// `wincni_write_file` in WINCNI_WRITE_ATOMIC or WINCNI_WRITE_EXCLUSIVE mode (WINCNI_E_INVALID with any other) that
/// also describes, in `*written`, the file it gave the name, as `wincni_file_information` would: read from the
/// temporary file after it was closed and before it took the name, so another process that replaces `path` after
/// that cannot be mistaken for this call's file (its identity or modification time differs).
wincni_status wincni_write_file_noting(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                       uint32_t permissions, wincni_file_info *written);

/// Removes the file (not a directory) at `path` (unlink; DeleteFileW, after clearing a read-only attribute).
/// WINCNI_E_NOT_FOUND when there is none, which callers that only want it gone treat as success.
wincni_status wincni_remove_file(const char *path);

/// Removes the directory at `path` when it is empty (rmdir; RemoveDirectoryW). WINCNI_E_EXISTS when it is not empty,
/// WINCNI_E_NOT_FOUND when it is not there.
wincni_status wincni_remove_directory(const char *path);

/// `mkdir -p`: creates `path` and every missing parent, each with `permissions` (POSIX mode bits before the umask;
/// ignored on Windows). On Windows it understands drive letters (`C:\a`, `C:a`), extended-length (`\\?\C:\a`) and
/// UNC (`\\server\share\a`, `\\?\UNC\server\share\a`) roots, which it never tries to create, and `/` and `\` mixed.
/// An existing directory is success; an existing non-directory gives WINCNI_E_NOT_DIRECTORY (or WINCNI_E_EXISTS for
/// `path` itself).
/// `*existing_length` (may be NULL) is set to the length in bytes of the longest prefix of `path` that existed
/// before the call (so `path` itself existed when it equals strlen(path)); the directories below it are the ones
/// this call created, which `wincni_remove_empty_directories` takes away again after a later failure.
wincni_status wincni_make_directories(const char *path, uint32_t permissions, int64_t *existing_length);

/// Removes `path` and then each parent, innermost first, while the parent's path is longer than `keep_length`
/// bytes and the directory is empty; stops at the first that cannot go. Undoes `wincni_make_directories` with the
/// `existing_length` it reported. Returns the status of the first removal that failed for another reason than the
/// directory not being empty (WINCNI_OK otherwise).
wincni_status wincni_remove_empty_directories(const char *path, int64_t keep_length);

/// Entries `wincni_list_directory` leaves out.
/// Only names that may be regular files: directories and symbolic links / reparse points are left out (a name whose
/// type the file system does not report is kept).
#define WINCNI_LIST_FILES_ONLY 1

/// The names in the directory `path`, without "." and "..", in the order the system gives them. On success `*names`
/// holds them each followed by a NUL byte, one after the other (free with wincni_free), `*size` the total size in
/// bytes including those NULs, and `*count` (may be NULL) the number of names. An empty directory gives size 0 and
/// a non-NULL buffer. WINCNI_E_NOT_FOUND when the directory does not exist. `flags`: WINCNI_LIST_* or 0.
wincni_status wincni_list_directory(const char *path, int32_t flags, char **names, int64_t *size, int64_t *count);

/// A new empty directory with a unique name that begins with `prefix` (a name, no separator) in the system's
/// temporary directory ($TMPDIR or /tmp, mkdtemp; GetTempPathW), private to the user (0700 on POSIX). `*path`
/// receives its path (free with wincni_free).
wincni_status wincni_make_temporary_directory(const char *prefix, char **path);

/// The absolute path of `path` with symbolic links resolved (realpath; GetFinalPathNameByHandleW, without the
/// `\\?\` prefix when the path fits without it). `*resolved` receives it (free with wincni_free).
wincni_status wincni_resolve_path(const char *path, char **resolved);

/// The working directory (getcwd; GetCurrentDirectoryW). `*path` receives it (free with wincni_free).
wincni_status wincni_current_directory(char **path);

/// The target of the symbolic link `path` (readlink; on Windows the substitute name of a symbolic link's reparse
/// data). `*target` receives it (free with wincni_free). WINCNI_E_INVALID when `path` is not a link.
wincni_status wincni_read_link(const char *path, char **target);

/// Makes a symbolic link at `path` pointing to `target` (symlink; CreateSymbolicLinkW with
/// SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE, a directory link when `target` is an existing directory).
wincni_status wincni_make_link(const char *target, const char *path);

/// Sets the permission bits of `path` (chmod; on Windows only the owner's write bit has an effect: without it the
/// file becomes read-only).
wincni_status wincni_set_permissions(const char *path, uint32_t permissions);

/// Sets the process's file creation mask and returns the previous one (umask; Windows has none and returns 0).
uint32_t wincni_set_creation_mask(uint32_t mask);

// MARK: - Locks

/// Lock flags.
/// Fail with WINCNI_E_WOULD_BLOCK instead of waiting while another holder has the lock (LOCK_NB / F_OFD_SETLK;
/// LOCKFILE_FAIL_IMMEDIATELY).
#define WINCNI_LOCK_NO_WAIT 1

/// A held lock: an open file of this process. 0 is never a held lock.
typedef int64_t wincni_lock;

/// Host-local's store lock, exactly the lock the Go host-local takes (its go-filemutex): opens `path` (creating it
/// empty, 0600 on POSIX, when missing) and locks the whole file exclusively. POSIX: flock(LOCK_EX), which the Go
/// plugin takes on `<dataDir>/<network>/lock`. Windows: LockFileEx(LOCKFILE_EXCLUSIVE_LOCK) on byte 0, length 1,
/// which the Go plugin takes there on Windows; opened with FILE_SHARE_READ | FILE_SHARE_WRITE so both can open it.
/// Waits while another process (or another open of this process) holds it, unless WINCNI_LOCK_NO_WAIT.
/// On success `*lock` is the held lock; release it with `wincni_unlock`. The lock also goes when the process dies.
wincni_status wincni_lock_file(const char *path, int32_t flags, wincni_lock *lock);

/// The smallest offset a `wincni_lock_range` may take (2^32): on Windows, LockFileEx locks are mandatory byte ranges, so
/// the per-container ranges must stay clear of byte 0 (the store lock) and of any content a file could have.
#define WINCNI_LOCK_RANGE_MINIMUM_OFFSET 0x100000000ULL
/// The largest offset + 1 a `wincni_lock_range` may take (2^62; offsets must be valid positive off_t values).
#define WINCNI_LOCK_RANGE_LIMIT 0x4000000000000000ULL

/// The per-container lock: opens `path` (creating it empty, 0600, when missing) and locks the one byte at `offset`
/// (WINCNI_LOCK_RANGE_MINIMUM_OFFSET <= offset < WINCNI_LOCK_RANGE_LIMIT, else WINCNI_E_INVALID) exclusively.
/// POSIX: an open-file-description record lock (F_OFD_SETLKW on Linux; classic F_SETLKW where the system has no OFD
/// locks), which is independent of flock, so it never conflicts with the store lock on the same file, and is not
/// dropped when another descriptor of the file closes. Windows: LockFileEx on that byte, disjoint from the store
/// lock's byte 0. Two opens of this process conflict as two processes do. Waits unless WINCNI_LOCK_NO_WAIT.
/// Release with `wincni_unlock`; also released when the process dies.
wincni_status wincni_lock_range(const char *path, uint64_t offset, int32_t flags, wincni_lock *lock);

/// Whether anyone (another process, or another lock of this process) holds the byte at `offset` of `path`:
/// `*held` = 1 or 0. A missing file gives `*held` = 0 and WINCNI_OK. POSIX: F_OFD_GETLK; Windows: a
/// LOCKFILE_FAIL_IMMEDIATELY attempt on a new handle, undone at once when it succeeds.
wincni_status wincni_range_is_locked(const char *path, uint64_t offset, int32_t *held);

/// Host-local's store lock, the same lock `wincni_lock_file` takes (flock of the whole file; LockFileEx on byte 0),
/// taken on the file that `range`, a held `wincni_lock_range` lock, has open, instead of opening `path` again: one
/// open per process for both locks of a pod's ADD or DEL. `path` must be the path `range` was taken on. The store
/// lock conflicts with every other holder exactly as `wincni_lock_file`'s does: other processes, and other opens of
/// this one. Waits unless WINCNI_LOCK_NO_WAIT. `*shared` = 1 when the lock is held through `range`.
/// `*shared` = 0 with WINCNI_OK, nothing locked, when `path` no longer names the file `range` holds (it was removed
/// or replaced since, e.g. a symbolic link swapped for a regular file): the store lock then belongs to the file now at
/// `path`, and the caller takes it with `wincni_lock_file` as usual. POSIX: fstat of the descriptor against lstat of
/// `path` (device and inode). Windows: no check; the handle is opened without FILE_SHARE_DELETE, so while it is open
/// the file can be neither deleted nor renamed and `path` still names it (a symbolic link at `path` aside).
/// Release with `wincni_unlock_file_through(range)`, which leaves the range lock held. Do not take a second store
/// lock through the same `range` while one is held (it would not exclude the first: flock treats it as the same
/// holder); take it by path. `wincni_unlock(range)` while a store lock is held through it closes the file and so
/// releases both locks: release the store lock first (the Swift side holds back a range lock's release until the
/// store lock taken through it is released).
wincni_status wincni_lock_file_through(wincni_lock range, const char *path, int32_t flags, int32_t *shared);

/// Releases the store lock `wincni_lock_file_through` took through `range`; `range` stays held and its file open.
/// POSIX: flock(LOCK_UN) on its descriptor; Windows: UnlockFileEx of byte 0 only. 0 is ignored.
void wincni_unlock_file_through(wincni_lock range);

/// Releases a lock from `wincni_lock_file` or `wincni_lock_range` and closes its file. 0 is ignored.
void wincni_unlock(wincni_lock lock);

// MARK: - Processes

/// An opaque started child process.
typedef struct wincni_process wincni_process;

/// How to start a process. Unused fields are 0 / NULL.
typedef struct wincni_spawn_options {
    /// The program: an absolute path (or relative to the working directory), run directly, never through a shell or
    /// a search of PATH.
    const char *executable;
    /// argv as NUL-terminated strings one after the other, `arguments_size` bytes in all (argv[0] included). NULL:
    /// argv = [executable]. Windows builds the command line from them with the MSVC quoting rules.
    const char *arguments;
    int64_t arguments_size;
    /// The child's whole environment as "NAME=value" NUL-terminated strings one after the other,
    /// `environment_size` bytes in all. NULL: the child inherits this process's environment. Windows passes a
    /// UTF-16 block (CREATE_UNICODE_ENVIRONMENT), sorted by name as Windows expects.
    const char *environment;
    int64_t environment_size;
    /// Bytes written to the child's stdin through a pipe, which is then closed (a child that stops reading early
    /// just loses the rest: SIGPIPE is ignored in this process; the child gets the default back).
    const uint8_t *input;
    int64_t input_count;
    /// When non-NULL: stdin is read from this file instead of `input`.
    const char *input_path;
    /// When non-NULL: stdout / stderr go to these files (created or truncated, 0600) instead of pipes, and nothing
    /// is captured for them.
    const char *output_path;
    const char *error_path;
    /// At most this many bytes of stdout and of stderr are kept; more is read and dropped (0: 16 MiB).
    int64_t output_limit;
} wincni_spawn_options;

/// Starts a child as `options` says, in its own process group (POSIX: posix_spawn with POSIX_SPAWN_SETPGROUP) or job
/// object (Windows: JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, assigned before the child runs), so that
/// `wincni_process_kill` takes whatever the child started with it. Pipe ends are not inherited by other children
/// this process starts at the same time. A program that cannot be started gives an error status here (ENOENT,
/// EACCES, ENOEXEC; ERROR_FILE_NOT_FOUND, ERROR_BAD_EXE_FORMAT) and no process. On success `*process` must be
/// given to `wincni_process_close` eventually.
wincni_status wincni_process_start(const wincni_spawn_options *options, wincni_process **process);

/// Serves the child's pipes (writing its stdin, collecting stdout and stderr, so a child that writes much before
/// reading cannot deadlock) until the child itself exits or `timeout_milliseconds` pass (< 0: no limit; 0: just
/// look). A grandchild that keeps a pipe open does not delay the return once the child has exited. On exit
/// `*exit_code` is its exit status (POSIX: 128 + the signal number when a signal ended it; Windows: the exit code,
/// e.g. 1 after TerminateJobObject) and the remaining buffered output is collected. WINCNI_E_TIMED_OUT when it is
/// still running at the deadline (it keeps running; call again, or kill it).
wincni_status wincni_process_wait(wincni_process *process, int64_t timeout_milliseconds, int32_t *exit_code);

/// Kills the child and everything in its process group / job (POSIX: SIGKILL to the group and to the child;
/// Windows: TerminateJobObject). Call `wincni_process_wait` afterwards to collect its status.
wincni_status wincni_process_kill(wincni_process *process);

/// The child's process ID (pid; the Windows process ID).
int64_t wincni_process_identifier(const wincni_process *process);

/// Streams of a child.
#define WINCNI_STDOUT 1
#define WINCNI_STDERR 2

/// What the child wrote to `stream` (WINCNI_STDOUT or WINCNI_STDERR) so far, up to the output limit. The bytes
/// belong to the process value and stay valid until the next wait or close; copy them.
void wincni_process_output(const wincni_process *process, int32_t stream, const uint8_t **bytes, int64_t *count);

/// Frees the process value: closes its pipes and handles. A child still running is killed (with its group / job)
/// and reaped first, so no zombie and no stray child is left.
void wincni_process_close(wincni_process *process);

/// This process's ID.
int64_t wincni_current_process_identifier(void);

/// The calling thread's own pointer slot (C11 thread-local storage), NULL until set: the HNS simulator binds itself
/// to the thread that calls the HCN function table through it, since a C function pointer carries no context.
void *wincni_thread_slot(void);
void wincni_set_thread_slot(void *value);

/// Ends this process at once with `status`, running no exit handlers and flushing nothing (_exit;
/// TerminateProcess of the current process): what a crash or a kill leaves, for the simulator's crash faults.
void wincni_exit_immediately(int32_t status);

// MARK: - Environment, standard streams, clocks

/// This process's whole environment as "NAME=value" NUL-terminated strings one after the other (environ;
/// GetEnvironmentStringsW converted to UTF-8, leaving out Windows' "=C:=C:\..." drive entries). `*size` is the
/// total in bytes including the NULs. Free `*block` with wincni_free.
wincni_status wincni_environment(char **block, int64_t *size);

/// The value of the environment variable `name` (getenv; GetEnvironmentVariableW). WINCNI_E_NOT_FOUND when it is
/// not set. `*value` receives it (free with wincni_free); an empty value is returned as "" (callers decide what
/// empty means).
wincni_status wincni_get_environment(const char *name, char **value);

/// Sets (value non-NULL) or removes (value NULL) an environment variable of this process (setenv / unsetenv;
/// SetEnvironmentVariableW). For tests and tools; the plugin passes environments to children explicitly.
wincni_status wincni_set_environment(const char *name, const char *value);

/// Reads this process's stdin to its end, at most `limit` bytes: more gives WINCNI_E_TOO_LONG. A terminal (isatty;
/// GetFileType == FILE_TYPE_CHAR) reads as empty rather than waiting for a person. Free `*bytes` with wincni_free.
wincni_status wincni_read_standard_input(int64_t limit, uint8_t **bytes, int64_t *count);

/// Writes all `count` bytes to stdout (stream WINCNI_STDOUT) or stderr (WINCNI_STDERR), retrying short writes and
/// interruptions (write; WriteFile on GetStdHandle, bytes unchanged, no text-mode translation).
wincni_status wincni_write_standard(int32_t stream, const uint8_t *bytes, int64_t count);

/// Nanoseconds on a clock that never jumps, from an arbitrary start (CLOCK_MONOTONIC;
/// QueryPerformanceCounter).
int64_t wincni_monotonic_nanoseconds(void);

/// Nanoseconds since the Unix epoch, UTC (CLOCK_REALTIME; GetSystemTimePreciseAsFileTime).
int64_t wincni_wall_clock_nanoseconds(void);

/// Sleeps at least `milliseconds` (nanosleep, resumed after signals; Sleep).
void wincni_sleep_milliseconds(int64_t milliseconds);

// MARK: - The HCN entry points (Windows)

/// How many function pointers `wincni_hcn_load` fills: the members of HCN's `HCNFunctionTable`, in its order:
///  0 HcnEnumerateNetworks        1 HcnCreateNetwork            2 HcnOpenNetwork          3 HcnModifyNetwork
///  4 HcnQueryNetworkProperties   5 HcnDeleteNetwork            6 HcnCloseNetwork
///  7 HcnEnumerateEndpoints       8 HcnCreateEndpoint           9 HcnOpenEndpoint        10 HcnModifyEndpoint
/// 11 HcnQueryEndpointProperties 12 HcnDeleteEndpoint          13 HcnCloseEndpoint
/// 14 HcnEnumerateNamespaces     15 HcnCreateNamespace         16 HcnOpenNamespace       17 HcnModifyNamespace
/// 18 HcnQueryNamespaceProperties 19 HcnDeleteNamespace        20 HcnCloseNamespace
/// (all from computenetwork.dll), 21 HNSCall (vmcompute.dll), 22 CoTaskMemFree (ole32.dll).
#define WINCNI_HCN_ENTRY_COUNT 23

/// What `wincni_hcn_load` returns where there is no HNS: ERROR_NOT_SUPPORTED, so the result is a Win32 code on every
/// platform.
#define WINCNI_HCN_NOT_SUPPORTED 50

/// Windows: loads computenetwork.dll, vmcompute.dll and ole32.dll with LoadLibraryExW(LOAD_LIBRARY_SEARCH_SYSTEM32)
/// (so a DLL of the same name next to the executable or in the working directory is never used) and fills
/// `entries` with GetProcAddress in the order above. The modules stay loaded for the life of the process.
/// Returns 0, or the Win32 error code (GetLastError) of the first failure, with "module!symbol" (e.g.
/// "computenetwork.dll!HcnCreateEndpoint", or "vmcompute.dll!" when the module itself did not load) written to
/// `failure` (NUL-terminated, cut to `failure_capacity`); entries are then all NULL.
/// POSIX: there is no HNS; returns WINCNI_HCN_NOT_SUPPORTED and writes "not supported on this platform" to
/// `failure`.
int32_t wincni_hcn_load(void *entries[WINCNI_HCN_ENTRY_COUNT], char *failure, int32_t failure_capacity);

#ifdef __cplusplus
}
#endif

#endif
