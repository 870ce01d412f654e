// Linux system calls that Swift's Glibc module does not export (glibc declares them only under _GNU_SOURCE, or
// not at all), as inline wrappers: file recycling (the simulator's, flannel's saved configs, host-local's
// reservations) needs renameat2's exchange and no-replace modes.
#ifndef WINCNI_CLINUX_SHIM_H
#define WINCNI_CLINUX_SHIM_H

#include <errno.h>
#include <fcntl.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
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

#endif
