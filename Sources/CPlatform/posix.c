// The POSIX half of wincni_platform.h (Linux; macOS builds too). The whole file is skipped on Windows.
#if !defined(_WIN32)

#if defined(__linux__) && !defined(_GNU_SOURCE)
// pipe2, F_OFD_SETLK(W)/F_OFD_GETLK and the GNU strerror_r.
#define _GNU_SOURCE
#endif

#include "wincni_platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

// MARK: - Status and buffers

static wincni_status status_ok(void) {
    wincni_status status = {WINCNI_OK, 0};
    return status;
}

static int32_t kind_of_errno(int code) {
    switch (code) {
    case 0: return WINCNI_OK;
    case ENOENT: return WINCNI_E_NOT_FOUND;
    case EEXIST:
    case ENOTEMPTY: return WINCNI_E_EXISTS;
    case ENOTDIR: return WINCNI_E_NOT_DIRECTORY;
    case EISDIR: return WINCNI_E_IS_DIRECTORY;
    case EACCES:
    case EPERM:
    case EROFS:
    case ETXTBSY: return WINCNI_E_ACCESS;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EAGAIN: return WINCNI_E_WOULD_BLOCK;
    case ETIMEDOUT: return WINCNI_E_TIMED_OUT;
    case EINVAL:
    case EBADF:
    case ELOOP:
    case ENOEXEC: return WINCNI_E_INVALID;
    case ENAMETOOLONG:
    case E2BIG:
    case EFBIG: return WINCNI_E_TOO_LONG;
    default: return WINCNI_E_OTHER;
    }
}

static wincni_status status_errno(int code) {
    wincni_status status = {kind_of_errno(code), code};
    return status;
}

static wincni_status status_kind(int32_t kind, int native) {
    wincni_status status = {kind, native};
    return status;
}

int32_t wincni_native_error_text(int32_t native, char *buffer, int32_t capacity) {
    if (buffer == NULL || capacity <= 0) return 0;
    char scratch[256];
    const char *text;
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    text = strerror_r(native, scratch, sizeof scratch);
#else
    text = strerror_r(native, scratch, sizeof scratch) == 0 ? scratch : NULL;
#endif
    if (text == NULL || text[0] == '\0') {
        snprintf(scratch, sizeof scratch, "error %d", (int)native);
        text = scratch;
    }
    size_t length = strlen(text);
    if (length > (size_t)capacity - 1) {
        length = (size_t)capacity - 1;
        // Never cut a UTF-8 sequence in two.
        while (length > 0 && ((unsigned char)text[length] & 0xC0) == 0x80) length--;
    }
    memmove(buffer, text, length);
    buffer[length] = '\0';
    return (int32_t)length;
}

void wincni_free(void *buffer) { free(buffer); }

static char *copy_string(const char *text) {
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy != NULL) memcpy(copy, text, length + 1);
    return copy;
}

/// Writes all of `count` bytes, retrying short writes and EINTR; 0 or an errno.
static int write_all(int fd, const uint8_t *bytes, int64_t count) {
    int64_t written = 0;
    while (written < count) {
        ssize_t result = write(fd, bytes + written, (size_t)(count - written));
        if (result < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        written += result;
    }
    return 0;
}

/// Reads from `fd` into `buffer` until `capacity` bytes are there or the file ends, retrying an interrupted read;
/// `*length` counts the bytes there (it may start above 0). Returns 0 or the errno of a failed read.
static int read_into(int fd, uint8_t *buffer, int64_t capacity, int64_t *length) {
    while (*length < capacity) {
        ssize_t result = read(fd, buffer + *length, (size_t)(capacity - *length));
        if (result < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (result == 0) break;
        *length += result;
    }
    return 0;
}

/// Reads `fd` to its end into a new buffer (NUL appended, not counted), at most `limit` bytes (EFBIG beyond).
static wincni_status read_all(int fd, int64_t size_hint, int64_t limit, uint8_t **bytes, int64_t *count) {
    *bytes = NULL;
    *count = 0;
    int64_t capacity = size_hint > 0 && size_hint < limit ? size_hint + 1 : 16384;
    if (capacity > limit + 1) capacity = limit + 1;
    uint8_t *buffer = malloc((size_t)capacity + 1);
    if (buffer == NULL) return status_errno(ENOMEM);
    int64_t length = 0;
    for (;;) {
        int code = read_into(fd, buffer, capacity, &length);
        if (code != 0) {
            free(buffer);
            return status_errno(code);
        }
        // Short of a full buffer: the file ended. A full one past `limit` is too long.
        if (length < capacity || length > limit) break;
        int64_t grown = capacity * 2 > limit + 1 ? limit + 1 : capacity * 2;
        uint8_t *larger = realloc(buffer, (size_t)grown + 1);
        if (larger == NULL) {
            free(buffer);
            return status_errno(ENOMEM);
        }
        buffer = larger;
        capacity = grown;
    }
    if (length > limit) {
        free(buffer);
        return status_kind(WINCNI_E_TOO_LONG, EFBIG);
    }
    buffer[length] = 0;
    *bytes = buffer;
    *count = length;
    return status_ok();
}

// MARK: - Platform conventions

wincni_platform_info wincni_platform(void) {
    wincni_platform_info info = {0, '/', ':', ""};
    return info;
}

// MARK: - Files

static int32_t kind_of_mode(mode_t mode) {
    if (S_ISREG(mode)) return WINCNI_KIND_REGULAR;
    if (S_ISDIR(mode)) return WINCNI_KIND_DIRECTORY;
    if (S_ISLNK(mode)) return WINCNI_KIND_LINK;
    return WINCNI_KIND_OTHER;
}

static void describe(const struct stat *status, wincni_file_info *info) {
    info->kind = kind_of_mode(status->st_mode);
    info->permissions = (uint32_t)(status->st_mode & 07777);
    info->size = S_ISDIR(status->st_mode) ? 0 : (int64_t)status->st_size;
    info->identity = (uint64_t)status->st_ino;
    info->links = (uint32_t)status->st_nlink;
#if defined(__APPLE__)
    info->modified_nanoseconds =
        (int64_t)status->st_mtimespec.tv_sec * 1000000000 + (int64_t)status->st_mtimespec.tv_nsec;
#else
    info->modified_nanoseconds = (int64_t)status->st_mtim.tv_sec * 1000000000 + (int64_t)status->st_mtim.tv_nsec;
#endif
}

wincni_status wincni_file_information(const char *path, wincni_file_info *info) {
    struct stat status;
    if (lstat(path, &status) != 0) return status_errno(errno);
    describe(&status, info);
    return status_ok();
}

int32_t wincni_is_executable_file(const char *path) {
    struct stat status;
    if (stat(path, &status) != 0 || !S_ISREG(status.st_mode)) return 0;
    return access(path, X_OK) == 0 ? 1 : 0;
}

/// Opens `path` with `os_flags`, applying the WINCNI_OPEN_* checks in `checks` (0: a plain open). With checks, a
/// name that lstat shows is not a regular file is refused before any open (no FIFO or device is opened at all), the
/// open adds O_NOFOLLOW | O_NONBLOCK, and fstat on the descriptor decides (a name swapped in between is caught).
/// O_TRUNC is applied after the checks. Returns the descriptor or -1 with `*status` set.
static int open_checked(const char *path, int os_flags, mode_t permissions, int32_t checks, wincni_status *status) {
    *status = status_ok();
    if ((checks & (WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK)) == 0) {
        int fd = open(path, os_flags, permissions);
        if (fd < 0) *status = status_errno(errno);
        return fd;
    }
    struct stat before;
    if (lstat(path, &before) == 0 && !S_ISREG(before.st_mode)) {
        *status = S_ISDIR(before.st_mode) ? status_errno(EISDIR) : status_kind(WINCNI_E_NOT_REGULAR, 0);
        return -1;
    }
    int truncate = (os_flags & O_TRUNC) != 0;
    int fd = open(path, (os_flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK, permissions);
    if (fd < 0) {
        int code = errno;
        // ELOOP: the final name is a symbolic link; ENXIO: a FIFO with no reader opened for writing.
        *status = code == ELOOP || code == ENXIO ? status_kind(WINCNI_E_NOT_REGULAR, 0) : status_errno(code);
        return -1;
    }
    struct stat after;
    if (fstat(fd, &after) != 0) {
        *status = status_errno(errno);
    } else if (S_ISDIR(after.st_mode)) {
        *status = status_errno(EISDIR);
    } else if (!S_ISREG(after.st_mode)) {
        *status = status_kind(WINCNI_E_NOT_REGULAR, 0);
    } else if ((checks & WINCNI_OPEN_SINGLE_LINK) && after.st_nlink > 1) {
        *status = status_kind(WINCNI_E_LINKED, 0);
    } else if (truncate && ftruncate(fd, 0) != 0) {
        *status = status_errno(errno);
    }
    if (status->kind != WINCNI_OK) {
        close(fd);
        return -1;
    }
    return fd;
}

wincni_status wincni_read_file_checked(const char *path, int64_t limit, int32_t flags, uint8_t **bytes,
                                       int64_t *count) {
    *bytes = NULL;
    *count = 0;
    if (limit < 0 || (flags & ~(WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK)) != 0) {
        return status_kind(WINCNI_E_INVALID, EINVAL);
    }
    wincni_status status;
    int fd = open_checked(path, O_RDONLY | O_CLOEXEC, 0, flags, &status);
    if (fd < 0) return status;
    struct stat information;
    if (fstat(fd, &information) != 0) {
        int code = errno;
        close(fd);
        return status_errno(code);
    }
    if (S_ISDIR(information.st_mode)) {
        close(fd);
        return status_errno(EISDIR);
    }
    wincni_status result =
        read_all(fd, S_ISREG(information.st_mode) ? (int64_t)information.st_size : 0, limit, bytes, count);
    close(fd);
    return result;
}

wincni_status wincni_read_file(const char *path, int64_t limit, uint8_t **bytes, int64_t *count) {
    return wincni_read_file_checked(path, limit, 0, bytes, count);
}

wincni_status wincni_read_prefix(const char *path, int32_t flags, uint8_t *buffer, int64_t capacity,
                                 int64_t *count) {
    *count = 0;
    if (capacity < 0 || (flags & ~WINCNI_OPEN_SINGLE_LINK) != 0) return status_kind(WINCNI_E_INVALID, EINVAL);
    wincni_status status;
    int fd = open_checked(path, O_RDONLY | O_CLOEXEC, 0, flags | WINCNI_OPEN_REGULAR_ONLY, &status);
    if (fd < 0) return status;
    int64_t length = 0;
    int code = read_into(fd, buffer, capacity, &length);
    close(fd);
    if (code != 0) return status_errno(code);
    *count = length;
    return status_ok();
}

/// The directory part of `path` as a new string ("." for a bare name, "/" for a name in the root).
static char *directory_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return copy_string(".");
    while (slash > path && slash[-1] == '/') slash--;
    size_t length = slash == path ? 1 : (size_t)(slash - path);
    char *directory = malloc(length + 1);
    if (directory == NULL) return NULL;
    memcpy(directory, path, length);
    directory[length] = '\0';
    return directory;
}

static void sync_directory(const char *path) {
    char *directory = directory_of(path);
    if (directory == NULL) return;
    int fd = open(directory, O_RDONLY | O_CLOEXEC);
    free(directory);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static unsigned int temporary_counter;

/// A new temporary name beside `path`: `<path>.tmp<process ID>.<counter>`.
static char *temporary_name(const char *path) {
    size_t length = strlen(path) + 64;
    char *temporary = malloc(length);
    if (temporary == NULL) return NULL;
    unsigned int serial = __atomic_fetch_add(&temporary_counter, 1, __ATOMIC_RELAXED);
    snprintf(temporary, length, "%s.tmp%lld.%u", path, (long long)getpid(), serial);
    return temporary;
}

/// Creates `name` exclusively (O_EXCL, never through a final symbolic link) and writes `bytes` into it (synced when
/// `durable`); removes it on failure. With `written` (for `wincni_write_file_noting`) it also describes the complete
/// file through its descriptor before closing it: O_EXCL made the file this descriptor holds, so that is what it
/// describes (for a temporary name, what then takes the final name). Returns 0 or an errno value.
static int write_new_file(const char *name, const uint8_t *bytes, int64_t count, int durable,
                          uint32_t permissions, wincni_file_info *written) {
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)permissions);
    if (fd < 0) return errno;
    int code = write_all(fd, bytes, count);
    if (code == 0 && durable && fsync(fd) != 0) code = errno;
    struct stat made;
    if (code == 0 && written != NULL) {
        if (fstat(fd, &made) != 0) {
            code = errno;
        } else {
            describe(&made, written);
        }
    }
    if (close(fd) != 0 && code == 0 && errno != EINTR) code = errno;
    if (code != 0) (void)unlink(name);
    return code;
}

static wincni_status write_atomically(const char *path, const uint8_t *bytes, int64_t count, int durable,
                                      uint32_t permissions, wincni_file_info *written) {
    struct stat status;
    // A directory in the file's place would only fail at the rename: say so before anything is written.
    if (lstat(path, &status) == 0 && S_ISDIR(status.st_mode)) return status_errno(EISDIR);
    char *temporary = temporary_name(path);
    if (temporary == NULL) return status_errno(ENOMEM);
    int code = write_new_file(temporary, bytes, count, durable, permissions, written);
    if (code == 0 && rename(temporary, path) != 0) {
        code = errno;
        (void)unlink(temporary);
    }
    free(temporary);
    if (code != 0) return status_errno(code);
    if (durable) sync_directory(path);
    return status_ok();
}

/// The exclusive create: the complete content in a temporary file, which link(2) gives the name only when the name
/// is free (link never replaces), then the temporary name goes. The name never shows an empty or partial file.
static wincni_status write_exclusively(const char *path, const uint8_t *bytes, int64_t count, int durable,
                                       uint32_t permissions, wincni_file_info *written) {
    struct stat status;
    if (lstat(path, &status) == 0) return S_ISDIR(status.st_mode) ? status_errno(EISDIR) : status_errno(EEXIST);
    char *temporary = temporary_name(path);
    if (temporary == NULL) return status_errno(ENOMEM);
    int code = write_new_file(temporary, bytes, count, durable, permissions, written);
    if (code != 0) {
        free(temporary);
        return status_errno(code);
    }
    int linked = link(temporary, path) == 0;
    code = linked ? 0 : errno;
    (void)unlink(temporary);
    free(temporary);
    if (!linked && (code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == ENOSYS || code == EMLINK)) {
        // A file system without hard links: the old exclusive create, O_EXCL on the name itself, then the bytes
        // (removed again when they cannot all be written).
        code = write_new_file(path, bytes, count, durable, permissions, written);
        return code == 0 ? status_ok() : status_errno(code);
    }
    if (code != 0) return status_errno(code);
    if (durable) sync_directory(path);
    return status_ok();
}

static wincni_status write_file(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                uint32_t permissions, wincni_file_info *written) {
    const int32_t checks = WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK;
    if (count < 0 || (mode & ~(15 | checks)) != 0) return status_kind(WINCNI_E_INVALID, EINVAL);
    int durable = (mode & WINCNI_WRITE_DURABLE) != 0;
    if (mode & WINCNI_WRITE_ATOMIC) {
        if (mode & (WINCNI_WRITE_EXCLUSIVE | WINCNI_WRITE_APPEND | checks)) {
            return status_kind(WINCNI_E_INVALID, EINVAL);
        }
        return write_atomically(path, bytes, count, durable, permissions, written);
    }
    if (mode & WINCNI_WRITE_EXCLUSIVE) {
        if (mode & (WINCNI_WRITE_APPEND | checks)) return status_kind(WINCNI_E_INVALID, EINVAL);
        return write_exclusively(path, bytes, count, durable, permissions, written);
    }
    if (written != NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | ((mode & WINCNI_WRITE_APPEND) ? O_APPEND : O_TRUNC);
    wincni_status status;
    int fd = open_checked(path, flags, (mode_t)permissions, mode & checks, &status);
    if (fd < 0) return status;
    int code = write_all(fd, bytes, count);
    if (code == 0 && durable && fsync(fd) != 0) code = errno;
    if (close(fd) != 0 && code == 0 && errno != EINTR) code = errno;
    if (code != 0) return status_errno(code);
    return status_ok();
}

wincni_status wincni_write_file(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                uint32_t permissions) {
    return write_file(path, bytes, count, mode, permissions, NULL);
}

wincni_status wincni_write_file_noting(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                       uint32_t permissions, wincni_file_info *written) {
    if (written == NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    return write_file(path, bytes, count, mode, permissions, written);
}

wincni_status wincni_remove_file(const char *path) {
    if (unlink(path) != 0) return status_errno(errno);
    return status_ok();
}

wincni_status wincni_remove_directory(const char *path) {
    if (rmdir(path) != 0) return status_errno(errno);
    return status_ok();
}

static int is_directory(const char *path) {
    struct stat status;
    return stat(path, &status) == 0 && S_ISDIR(status.st_mode);
}

/// The length of the parent part of `path` (its first `total` bytes): 0 for a bare name, 1 for a name in the root.
static int64_t parent_length(const char *path, size_t total) {
    size_t end = total;
    while (end > 1 && path[end - 1] == '/') end--;
    while (end > 0 && path[end - 1] != '/') end--;
    if (end == 0) return 0;
    while (end > 1 && path[end - 1] == '/') end--;
    return (int64_t)end;
}

wincni_status wincni_make_directories(const char *path, uint32_t permissions, int64_t *existing_length) {
    size_t total = strlen(path);
    if (existing_length != NULL) *existing_length = (int64_t)total;
    if (total == 0) return status_kind(WINCNI_E_NOT_FOUND, ENOENT);
    // The common case: the directory is there already (every pod after the first), or only its last part is new.
    if (mkdir(path, (mode_t)permissions) == 0) {
        if (existing_length != NULL) *existing_length = parent_length(path, total);
        return status_ok();
    }
    if (errno == EEXIST) return is_directory(path) ? status_ok() : status_errno(EEXIST);
    if (errno != ENOENT) return status_errno(errno);

    char *prefix = malloc(total + 1);
    if (prefix == NULL) return status_errno(ENOMEM);
    int64_t existing = path[0] == '/' ? 1 : 0;
    int created_any = 0;
    size_t index = 0;
    while (index < total) {
        while (index < total && path[index] == '/') index++;
        if (index == total) break;
        while (index < total && path[index] != '/') index++;
        memcpy(prefix, path, index);
        prefix[index] = '\0';
        if (mkdir(prefix, (mode_t)permissions) == 0) {
            created_any = 1;
            continue;
        }
        int code = errno;
        if (code == EEXIST && is_directory(prefix)) {
            if (!created_any) existing = (int64_t)index;
            continue;
        }
        free(prefix);
        if (existing_length != NULL) *existing_length = existing;
        return status_errno(code == EEXIST ? (index == total ? EEXIST : ENOTDIR) : code);
    }
    free(prefix);
    if (existing_length != NULL) *existing_length = existing;
    return status_ok();
}

wincni_status wincni_remove_empty_directories(const char *path, int64_t keep_length) {
    char *current = copy_string(path);
    if (current == NULL) return status_errno(ENOMEM);
    size_t length = strlen(current);
    while (length > 1 && current[length - 1] == '/') current[--length] = '\0';
    wincni_status result = status_ok();
    while ((int64_t)length > keep_length && length > 0) {
        if (rmdir(current) != 0 && errno != ENOENT) {
            if (errno != ENOTEMPTY && errno != EEXIST) result = status_errno(errno);
            break;
        }
        while (length > 0 && current[length - 1] != '/') length--;
        while (length > 1 && current[length - 1] == '/') length--;
        if (length == 0) break;
        current[length] = '\0';
    }
    free(current);
    return result;
}

wincni_status wincni_list_directory(const char *path, int32_t flags, char **names, int64_t *size, int64_t *count) {
    *names = NULL;
    *size = 0;
    if (count != NULL) *count = 0;
    DIR *stream = opendir(path);
    if (stream == NULL) return status_errno(errno);
    size_t capacity = 1024;
    size_t used = 0;
    int64_t entries = 0;
    char *buffer = malloc(capacity);
    if (buffer == NULL) {
        closedir(stream);
        return status_errno(ENOMEM);
    }
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(stream);
        if (entry == NULL) {
            if (errno != 0) {
                int code = errno;
                free(buffer);
                closedir(stream);
                return status_errno(code);
            }
            break;
        }
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if ((flags & WINCNI_LIST_FILES_ONLY) && entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN) continue;
        size_t length = strlen(name) + 1;
        if (used + length > capacity) {
            while (used + length > capacity) capacity *= 2;
            char *larger = realloc(buffer, capacity);
            if (larger == NULL) {
                free(buffer);
                closedir(stream);
                return status_errno(ENOMEM);
            }
            buffer = larger;
        }
        memcpy(buffer + used, name, length);
        used += length;
        entries++;
    }
    closedir(stream);
    *names = buffer;
    *size = (int64_t)used;
    if (count != NULL) *count = entries;
    return status_ok();
}

wincni_status wincni_make_temporary_directory(const char *prefix, char **path) {
    *path = NULL;
    if (strchr(prefix, '/') != NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0') base = "/tmp";
    size_t length = strlen(base) + strlen(prefix) + 16;
    char *template = malloc(length);
    if (template == NULL) return status_errno(ENOMEM);
    snprintf(template, length, "%s%s%sXXXXXX", base, base[strlen(base) - 1] == '/' ? "" : "/", prefix);
    if (mkdtemp(template) == NULL) {
        int code = errno;
        free(template);
        return status_errno(code);
    }
    *path = template;
    return status_ok();
}

wincni_status wincni_resolve_path(const char *path, char **resolved) {
    *resolved = realpath(path, NULL);
    if (*resolved == NULL) return status_errno(errno);
    return status_ok();
}

wincni_status wincni_current_directory(char **path) {
    *path = getcwd(NULL, 0);
    if (*path == NULL) return status_errno(errno);
    return status_ok();
}

wincni_status wincni_read_link(const char *path, char **target) {
    *target = NULL;
    size_t capacity = 256;
    for (;;) {
        char *buffer = malloc(capacity);
        if (buffer == NULL) return status_errno(ENOMEM);
        ssize_t length = readlink(path, buffer, capacity);
        if (length < 0) {
            int code = errno;
            free(buffer);
            return status_errno(code);
        }
        if ((size_t)length < capacity) {
            buffer[length] = '\0';
            *target = buffer;
            return status_ok();
        }
        free(buffer);
        capacity *= 2;
    }
}

wincni_status wincni_make_link(const char *target, const char *path) {
    if (symlink(target, path) != 0) return status_errno(errno);
    return status_ok();
}

wincni_status wincni_set_permissions(const char *path, uint32_t permissions) {
    if (chmod(path, (mode_t)permissions) != 0) return status_errno(errno);
    return status_ok();
}

uint32_t wincni_set_creation_mask(uint32_t mask) { return (uint32_t)umask((mode_t)mask); }

// MARK: - Locks

static wincni_lock lock_of_fd(int fd) { return (wincni_lock)fd + 1; }
static int fd_of_lock(wincni_lock lock) { return (int)(lock - 1); }

wincni_status wincni_lock_file(const char *path, int32_t flags, wincni_lock *lock) {
    *lock = 0;
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return status_errno(errno);
    int operation = LOCK_EX | ((flags & WINCNI_LOCK_NO_WAIT) ? LOCK_NB : 0);
    while (flock(fd, operation) != 0) {
        if (errno == EINTR) continue;
        int code = errno;
        close(fd);
        return status_errno(code);
    }
    *lock = lock_of_fd(fd);
    return status_ok();
}

#if defined(F_OFD_SETLKW)
#define RANGE_SET_WAIT F_OFD_SETLKW
#define RANGE_SET F_OFD_SETLK
#define RANGE_GET F_OFD_GETLK
#else
#define RANGE_SET_WAIT F_SETLKW
#define RANGE_SET F_SETLK
#define RANGE_GET F_GETLK
#endif

static void describe_range(struct flock *request, uint64_t offset) {
    memset(request, 0, sizeof *request);
    request->l_type = F_WRLCK;
    request->l_whence = SEEK_SET;
    request->l_start = (off_t)offset;
    request->l_len = 1;
}

static int valid_range_offset(uint64_t offset) {
    return offset >= WINCNI_LOCK_RANGE_MINIMUM_OFFSET && offset < WINCNI_LOCK_RANGE_LIMIT;
}

wincni_status wincni_lock_range(const char *path, uint64_t offset, int32_t flags, wincni_lock *lock) {
    *lock = 0;
    if (!valid_range_offset(offset)) return status_kind(WINCNI_E_INVALID, EINVAL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return status_errno(errno);
    struct flock request;
    describe_range(&request, offset);
    int command = (flags & WINCNI_LOCK_NO_WAIT) ? RANGE_SET : RANGE_SET_WAIT;
    while (fcntl(fd, command, &request) != 0) {
        if (errno == EINTR) continue;
        int code = errno;
        close(fd);
        // F_SETLK reports a conflicting lock as EACCES on some systems, EAGAIN on others.
        if (command == RANGE_SET && (code == EACCES || code == EAGAIN)) return status_kind(WINCNI_E_WOULD_BLOCK, code);
        return status_errno(code);
    }
    *lock = lock_of_fd(fd);
    return status_ok();
}

wincni_status wincni_range_is_locked(const char *path, uint64_t offset, int32_t *held) {
    *held = 0;
    if (!valid_range_offset(offset)) return status_kind(WINCNI_E_INVALID, EINVAL);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? status_ok() : status_errno(errno);
    struct flock request;
    describe_range(&request, offset);
    int failed = fcntl(fd, RANGE_GET, &request) != 0;
    int code = errno;
    close(fd);
    if (failed) return status_errno(code);
    *held = request.l_type != F_UNLCK;
    return status_ok();
}

wincni_status wincni_lock_file_through(wincni_lock range, const char *path, int32_t flags, int32_t *shared) {
    *shared = 0;
    if (range <= 0) return status_kind(WINCNI_E_INVALID, EBADF);
    int fd = fd_of_lock(range);
    // Only while `path` names the file the descriptor holds: a lock file removed or replaced since is not the file
    // host-local flocks now, and the caller opens the one at `path` (lstat: a symbolic link there is never the file).
    struct stat held, named;
    if (fstat(fd, &held) != 0) return status_errno(errno);
    if (lstat(path, &named) != 0 || named.st_dev != held.st_dev || named.st_ino != held.st_ino) return status_ok();
    // flock belongs to the open file description, as wincni_lock_file's does: independent of the range's OFD lock.
    int operation = LOCK_EX | ((flags & WINCNI_LOCK_NO_WAIT) ? LOCK_NB : 0);
    while (flock(fd, operation) != 0) {
        if (errno != EINTR) return status_errno(errno);
    }
    *shared = 1;
    return status_ok();
}

void wincni_unlock_file_through(wincni_lock range) {
    // LOCK_UN, not close: the descriptor is the range lock's, which stays held.
    if (range > 0) flock(fd_of_lock(range), LOCK_UN);
}

void wincni_unlock(wincni_lock lock) {
    if (lock <= 0) return;
    // Closing the only descriptor of the open file description releases both flock and OFD locks.
    close(fd_of_lock(lock));
}

// MARK: - Processes

struct wincni_process {
    pid_t pid;
    int exited;
    int32_t exit_code;
    int input_fd;
    int output_fd;
    int error_fd;
    uint8_t *input;
    int64_t input_count;
    int64_t input_written;
    int64_t output_limit;
    uint8_t *streams[2];
    int64_t counts[2];
    int64_t capacities[2];
};

/// Pipe creation and spawning are serialised where there is no pipe2, so that no other thread's child inherits an
/// end between pipe() and FD_CLOEXEC (and holds a child's stdin open forever).
static pthread_mutex_t spawn_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ignore_sigpipe_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

static int make_pipe(int ends[2]) {
#if defined(__linux__)
    return pipe2(ends, O_CLOEXEC);
#else
    if (pipe(ends) != 0) return -1;
    (void)fcntl(ends[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(ends[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

static void close_if_open(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/// NUL-separated strings as a NULL-terminated vector pointing into `block` (which must end with a NUL).
static char **vector_of_block(const char *block, int64_t size) {
    int64_t entries = 0;
    for (int64_t index = 0; index < size; index++) {
        if (block[index] == '\0') entries++;
    }
    char **vector = malloc(sizeof(char *) * (size_t)(entries + 1));
    if (vector == NULL) return NULL;
    int64_t filled = 0;
    int64_t start = 0;
    for (int64_t index = 0; index < size; index++) {
        if (block[index] != '\0') continue;
        vector[filled++] = (char *)(block + start);
        start = index + 1;
    }
    vector[filled] = NULL;
    return vector;
}

static void free_process(struct wincni_process *process) {
    close_if_open(&process->input_fd);
    close_if_open(&process->output_fd);
    close_if_open(&process->error_fd);
    free(process->input);
    free(process->streams[0]);
    free(process->streams[1]);
    free(process);
}

wincni_status wincni_process_start(const wincni_spawn_options *options, wincni_process **result) {
    *result = NULL;
    if (options == NULL || options->executable == NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    if ((options->arguments != NULL && (options->arguments_size <= 0 ||
                                        options->arguments[options->arguments_size - 1] != '\0')) ||
        (options->environment != NULL && options->environment_size > 0 &&
         options->environment[options->environment_size - 1] != '\0') ||
        options->input_count < 0)
        return status_kind(WINCNI_E_INVALID, EINVAL);
    pthread_once(&ignore_sigpipe_once, ignore_sigpipe);

    struct wincni_process *process = calloc(1, sizeof *process);
    if (process == NULL) return status_errno(ENOMEM);
    process->input_fd = process->output_fd = process->error_fd = -1;
    process->output_limit = options->output_limit > 0 ? options->output_limit : (int64_t)16 << 20;
    if (options->input_path == NULL && options->input_count > 0) {
        process->input = malloc((size_t)options->input_count);
        if (process->input == NULL) {
            free_process(process);
            return status_errno(ENOMEM);
        }
        memcpy(process->input, options->input, (size_t)options->input_count);
        process->input_count = options->input_count;
    }

    char *single[2] = {(char *)options->executable, NULL};
    char **argv = options->arguments != NULL ? vector_of_block(options->arguments, options->arguments_size) : single;
    char **envp = environ;
    if (options->environment != NULL) envp = vector_of_block(options->environment, options->environment_size);
    if (argv == NULL || envp == NULL) {
        if (argv != single) free(argv);
        if (envp != environ) free(envp);
        free_process(process);
        return status_errno(ENOMEM);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    sigset_t mask;
    sigemptyset(&mask);
    posix_spawnattr_setsigmask(&attributes, &mask);
    // Its own process group, so that a kill takes whatever the child started too.
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

    int child_ends[3] = {-1, -1, -1};
    int code = 0;
    pthread_mutex_lock(&spawn_mutex);
    const char *paths[3] = {options->input_path, options->output_path, options->error_path};
    int *parent_ends[3] = {&process->input_fd, &process->output_fd, &process->error_fd};
    for (int stream = 0; stream < 3 && code == 0; stream++) {
        if (paths[stream] != NULL) {
            int flags = stream == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
            posix_spawn_file_actions_addopen(&actions, stream, paths[stream], flags, 0600);
            continue;
        }
        int ends[2];
        if (make_pipe(ends) != 0) {
            code = errno;
            break;
        }
        child_ends[stream] = stream == 0 ? ends[0] : ends[1];
        *parent_ends[stream] = stream == 0 ? ends[1] : ends[0];
        posix_spawn_file_actions_adddup2(&actions, child_ends[stream], stream);
    }
    if (code == 0) {
        pid_t pid = 0;
        code = posix_spawn(&pid, options->executable, &actions, &attributes, argv, envp);
        if (code == 0) process->pid = pid;
    }
    pthread_mutex_unlock(&spawn_mutex);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (argv != single) free(argv);
    if (envp != environ) free(envp);
    // Our copies of the child's ends must go, or we would never see end-of-file on its output.
    for (int stream = 0; stream < 3; stream++) close_if_open(&child_ends[stream]);
    if (code != 0) {
        free_process(process);
        return status_errno(code);
    }
    int *ends[3] = {&process->input_fd, &process->output_fd, &process->error_fd};
    for (int stream = 0; stream < 3; stream++) {
        if (*ends[stream] >= 0) (void)fcntl(*ends[stream], F_SETFL, fcntl(*ends[stream], F_GETFL) | O_NONBLOCK);
    }
    if (process->input_count == 0) close_if_open(&process->input_fd);
    *result = process;
    return status_ok();
}

/// Reads what `fd` has now into stream `index`; 0 at end of file or on an error (the pipe is done), else 1.
static int collect_output(struct wincni_process *process, int fd, int index) {
    uint8_t chunk[65536];
    for (;;) {
        ssize_t count = read(fd, chunk, sizeof chunk);
        if (count > 0) {
            int64_t room = process->output_limit - process->counts[index];
            int64_t kept = count < room ? count : room;
            if (kept > 0) {
                int64_t needed = process->counts[index] + kept;
                if (needed > process->capacities[index]) {
                    int64_t capacity = process->capacities[index] > 0 ? process->capacities[index] : 4096;
                    while (capacity < needed) capacity *= 2;
                    uint8_t *larger = realloc(process->streams[index], (size_t)capacity);
                    if (larger == NULL) return 0;
                    process->streams[index] = larger;
                    process->capacities[index] = capacity;
                }
                memcpy(process->streams[index] + process->counts[index], chunk, (size_t)kept);
                process->counts[index] += kept;
            }
            continue;
        }
        if (count == 0) return 0;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

static void feed_input(struct wincni_process *process) {
    while (process->input_written < process->input_count) {
        int64_t remaining = process->input_count - process->input_written;
        ssize_t count = write(process->input_fd, process->input + process->input_written,
                              (size_t)(remaining < 65536 ? remaining : 65536));
        if (count > 0) {
            process->input_written += count;
            continue;
        }
        if (count < 0 && errno == EINTR) continue;
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        break;  // EPIPE: the child stopped reading; what it makes of a short stdin is its business.
    }
    close_if_open(&process->input_fd);
}

/// Waits up to `milliseconds` for a pipe to be ready and moves what it can.
static void pump(struct wincni_process *process, int milliseconds) {
    struct pollfd fds[3];
    int count = 0;
    if (process->input_fd >= 0) fds[count++] = (struct pollfd){process->input_fd, POLLOUT, 0};
    if (process->output_fd >= 0) fds[count++] = (struct pollfd){process->output_fd, POLLIN, 0};
    if (process->error_fd >= 0) fds[count++] = (struct pollfd){process->error_fd, POLLIN, 0};
    if (count == 0) {
        if (milliseconds > 0) wincni_sleep_milliseconds(milliseconds);
        return;
    }
    if (poll(fds, (nfds_t)count, milliseconds) <= 0) return;
    for (int index = 0; index < count; index++) {
        if (fds[index].revents == 0) continue;
        int fd = fds[index].fd;
        if (fd == process->input_fd) {
            feed_input(process);
        } else if (fd == process->output_fd) {
            if (!collect_output(process, fd, 0)) close_if_open(&process->output_fd);
        } else if (fd == process->error_fd) {
            if (!collect_output(process, fd, 1)) close_if_open(&process->error_fd);
        }
    }
}

/// Whether the child has exited (recording its status); `block` waits for it.
static int reap(struct wincni_process *process, int block) {
    if (process->exited) return 1;
    int raw = 0;
    for (;;) {
        pid_t result = waitpid(process->pid, &raw, block ? 0 : WNOHANG);
        if (result == process->pid) break;
        if (result == 0) return 0;
        if (errno == EINTR) continue;
        // ECHILD: someone else reaped it (waitpid(-1)); its status is lost.
        process->exited = 1;
        process->exit_code = 255;
        return 1;
    }
    process->exited = 1;
    process->exit_code = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
    return 1;
}

/// Takes whatever output is already buffered, without waiting (after the child is gone).
static void drain(struct wincni_process *process) {
    close_if_open(&process->input_fd);
    if (process->output_fd >= 0 && !collect_output(process, process->output_fd, 0)) {
        close_if_open(&process->output_fd);
    }
    if (process->error_fd >= 0 && !collect_output(process, process->error_fd, 1)) {
        close_if_open(&process->error_fd);
    }
}

wincni_status wincni_process_wait(wincni_process *process, int64_t timeout_milliseconds, int32_t *exit_code) {
    *exit_code = -1;
    if (process == NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    int64_t deadline = timeout_milliseconds < 0 ? -1 : wincni_monotonic_nanoseconds() + timeout_milliseconds * 1000000;
    while (!process->exited) {
        int64_t remaining = deadline < 0 ? 50 : (deadline - wincni_monotonic_nanoseconds() + 999999) / 1000000;
        int open_pipes = process->input_fd >= 0 || process->output_fd >= 0 || process->error_fd >= 0;
        if (!open_pipes && deadline < 0) {
            reap(process, 1);
            break;
        }
        if (remaining < 0) remaining = 0;
        // With the pipes closed, the child's exit is polled for at a short interval.
        int64_t slice = open_pipes ? (remaining < 50 ? remaining : 50) : (remaining < 1 ? remaining : 1);
        pump(process, (int)slice);
        // A grandchild may inherit the pipes and hold them open: the child's own exit ends the wait.
        if (reap(process, 0)) break;
        if (remaining == 0) return status_kind(WINCNI_E_TIMED_OUT, ETIMEDOUT);
    }
    drain(process);
    *exit_code = process->exit_code;
    return status_ok();
}

wincni_status wincni_process_kill(wincni_process *process) {
    if (process == NULL) return status_kind(WINCNI_E_INVALID, EINVAL);
    if (process->exited) return status_ok();
    int group = kill(-process->pid, SIGKILL);
    int code = errno;
    if (kill(process->pid, SIGKILL) != 0 && group != 0) return status_errno(code);
    return status_ok();
}

int64_t wincni_process_identifier(const wincni_process *process) { return process == NULL ? 0 : process->pid; }

void wincni_process_output(const wincni_process *process, int32_t stream, const uint8_t **bytes, int64_t *count) {
    *bytes = NULL;
    *count = 0;
    if (process == NULL || (stream != WINCNI_STDOUT && stream != WINCNI_STDERR)) return;
    *bytes = process->streams[stream - 1];
    *count = process->counts[stream - 1];
}

void wincni_process_close(wincni_process *process) {
    if (process == NULL) return;
    if (!process->exited) {
        (void)wincni_process_kill(process);
        reap(process, 1);
    }
    free_process(process);
}

int64_t wincni_current_process_identifier(void) { return (int64_t)getpid(); }

static _Thread_local void *thread_slot;

void *wincni_thread_slot(void) { return thread_slot; }

void wincni_set_thread_slot(void *value) { thread_slot = value; }

void wincni_exit_immediately(int32_t status) { _exit(status); }

// MARK: - Environment, standard streams, clocks

wincni_status wincni_environment(char **block, int64_t *size) {
    *block = NULL;
    *size = 0;
    size_t total = 0;
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++) total += strlen(*entry) + 1;
    char *buffer = malloc(total > 0 ? total : 1);
    if (buffer == NULL) return status_errno(ENOMEM);
    size_t used = 0;
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
        size_t length = strlen(*entry) + 1;
        memcpy(buffer + used, *entry, length);
        used += length;
    }
    *block = buffer;
    *size = (int64_t)used;
    return status_ok();
}

wincni_status wincni_get_environment(const char *name, char **value) {
    *value = NULL;
    const char *found = getenv(name);
    if (found == NULL) return status_kind(WINCNI_E_NOT_FOUND, 0);
    *value = copy_string(found);
    if (*value == NULL) return status_errno(ENOMEM);
    return status_ok();
}

wincni_status wincni_set_environment(const char *name, const char *value) {
    int failed = value != NULL ? setenv(name, value, 1) : unsetenv(name);
    if (failed != 0) return status_errno(errno);
    return status_ok();
}

wincni_status wincni_read_standard_input(int64_t limit, uint8_t **bytes, int64_t *count) {
    *bytes = NULL;
    *count = 0;
    if (limit < 0) return status_kind(WINCNI_E_INVALID, EINVAL);
    if (isatty(0) == 1) {
        *bytes = calloc(1, 1);
        return *bytes != NULL ? status_ok() : status_errno(ENOMEM);
    }
    return read_all(0, 0, limit, bytes, count);
}

wincni_status wincni_write_standard(int32_t stream, const uint8_t *bytes, int64_t count) {
    if ((stream != WINCNI_STDOUT && stream != WINCNI_STDERR) || count < 0) return status_kind(WINCNI_E_INVALID, EINVAL);
    int code = write_all(stream, bytes, count);
    return code == 0 ? status_ok() : status_errno(code);
}

static int64_t clock_nanoseconds(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (int64_t)now.tv_sec * 1000000000 + (int64_t)now.tv_nsec;
}

int64_t wincni_monotonic_nanoseconds(void) { return clock_nanoseconds(CLOCK_MONOTONIC); }

int64_t wincni_wall_clock_nanoseconds(void) { return clock_nanoseconds(CLOCK_REALTIME); }

void wincni_sleep_milliseconds(int64_t milliseconds) {
    if (milliseconds <= 0) return;
    struct timespec remaining = {(time_t)(milliseconds / 1000), (long)(milliseconds % 1000) * 1000000};
    while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {
    }
}

// MARK: - The HCN entry points

int32_t wincni_hcn_load(void *entries[WINCNI_HCN_ENTRY_COUNT], char *failure, int32_t failure_capacity) {
    for (int index = 0; index < WINCNI_HCN_ENTRY_COUNT; index++) entries[index] = NULL;
    if (failure != NULL && failure_capacity > 0) snprintf(failure, (size_t)failure_capacity, "%s", "not supported on this platform");
    return WINCNI_HCN_NOT_SUPPORTED;
}

#endif
