// Linux system calls that Swift's Glibc module does not export (glibc declares them only under _GNU_SOURCE, or
// not at all), as inline wrappers, and the two file steps built on them that the simulator, flannel's saved configs
// and host-local's reservations share to recycle files: renameat2's exchange and no-replace modes, writing over a
// file, and removing a file into its directory's spare.
#ifndef WINCNI_CLINUX_SHIM_H
#define WINCNI_CLINUX_SHIM_H

#include <errno.h>
#include <fcntl.h>

#if !defined(_WIN32)
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/// Swap the two names atomically (both must exist).
#define WINCNI_RENAME_EXCHANGE 2u
/// Fail with EEXIST instead of replacing the target.
#define WINCNI_RENAME_NOREPLACE 1u

/// renameat2(2) between names relative to two directory descriptors (AT_FDCWD: the working directory); -1 with
/// errno ENOSYS or EINVAL where the kernel or the file system cannot do it (callers fall back to plain calls).
static inline int wincni_renameat2_at(int fromDirectory, const char *from, int toDirectory, const char *to,
                                      unsigned int flags) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, fromDirectory, from, toDirectory, to, flags);
#else
    (void)fromDirectory;
    (void)from;
    (void)toDirectory;
    (void)to;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

/// renameat2(2) relative to the working directory.
static inline int wincni_renameat2(const char *from, const char *to, unsigned int flags) {
    return wincni_renameat2_at(AT_FDCWD, from, AT_FDCWD, to, flags);
}

#if !defined(_WIN32)
/// Writes `count` bytes at the start of the open file `fd` and cuts the file to that length when its old content was
/// longer. Not O_TRUNC at the open: on ext4 a file cut to zero starts being written out at its close (auto_da_alloc);
/// nor a cut every time: ext4 goes through its truncate path even for an unchanged size.
/// 0 on success; otherwise errno is set and the result names the call that failed: 1 the write, 2 the cut.
static inline int wincni_fill(int fd, const void *bytes, size_t count) {
    size_t written = 0;
    while (written < count) {
        ssize_t result = pwrite(fd, (const char *)bytes + written, count - written, (off_t)written);
        if (result < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        written += (size_t)result;
    }
    struct stat status;
    if (fstat(fd, &status) != 0 || status.st_size > (off_t)count) {
        while (ftruncate(fd, (off_t)count) != 0) {
            if (errno != EINTR) return 2;
        }
    }
    return 0;
}

/// Removes `name` (relative to `directory`, or to the working directory with AT_FDCWD), its file becoming `spare`
/// (a name in the same directory) when that is free, so that the next file made there reuses its inode and blocks.
/// 0 on success, a missing `name` included; -1 with errno set when the file cannot be removed.
static inline int wincni_retire_at(int directory, const char *name, const char *spare) {
    if (wincni_renameat2_at(directory, name, directory, spare, WINCNI_RENAME_NOREPLACE) == 0) return 0;
    // EEXIST: the spare is there already; ENOENT: no such file (or no place for the spare); EINVAL, ENOSYS: no
    // renameat2 for this file system or kernel. Any other failure shows again in the unlink.
    if (unlinkat(directory, name, 0) == 0 || errno == ENOENT) return 0;
    return -1;
}
#endif

#endif
