// The Win32 half of wincni_platform.h: windows.h and ISO C headers only, so it compiles the same under mingw (make
// windows-check, which runs it under wine) and under clang with the Windows SDK (Swift on Windows). Strings cross the
// header as UTF-8 and are converted to UTF-16 at each Win32 call. The whole file is skipped elsewhere.
#if defined(_WIN32)

#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "wincni_platform.h"

#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif

// MARK: - Status

static int32_t kind_of(DWORD code) {
    switch (code) {
    case 0: return WINCNI_OK;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_ENVVAR_NOT_FOUND:
        return WINCNI_E_NOT_FOUND;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
    case ERROR_DIR_NOT_EMPTY:
        return WINCNI_E_EXISTS;
    case ERROR_DIRECTORY:
        return WINCNI_E_NOT_DIRECTORY;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_WRITE_PROTECT:
    case ERROR_PRIVILEGE_NOT_HELD:
        return WINCNI_E_ACCESS;
    case ERROR_LOCK_VIOLATION:
    case ERROR_IO_PENDING:
        return WINCNI_E_WOULD_BLOCK;
    case WAIT_TIMEOUT:
        return WINCNI_E_TIMED_OUT;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_HANDLE:
    case ERROR_NO_UNICODE_TRANSLATION:
    case ERROR_NOT_A_REPARSE_POINT:
    case ERROR_BAD_EXE_FORMAT:
        return WINCNI_E_INVALID;
    case ERROR_FILENAME_EXCED_RANGE:
    case ERROR_BUFFER_OVERFLOW:
        return WINCNI_E_TOO_LONG;
    case ERROR_NOT_SUPPORTED:
        return WINCNI_E_UNSUPPORTED;
    default:
        return WINCNI_E_OTHER;
    }
}

static wincni_status status_of(DWORD code) {
    wincni_status status = {kind_of(code), (int32_t)code};
    return status;
}

// A failure of this file's own making: a portable kind with no system code behind it.
static wincni_status own_status(int32_t kind) {
    wincni_status status = {kind, 0};
    return status;
}

static const wincni_status success = {WINCNI_OK, 0};

static wincni_status last_status(void) { return status_of(GetLastError()); }

int32_t wincni_native_error_text(int32_t native, char *buffer, int32_t capacity) {
    if (buffer == NULL || capacity <= 0) return 0;
    wchar_t message[512];
    DWORD length = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)native, 0,
                                  message, 512, NULL);
    while (length > 0 && (message[length - 1] == L'\r' || message[length - 1] == L'\n' ||
                          message[length - 1] == L' ' || message[length - 1] == L'.')) {
        length--;
    }
    int written = length == 0 ? 0
                              : WideCharToMultiByte(CP_UTF8, 0, message, (int)length, buffer, capacity - 1, NULL,
                                                    NULL);
    if (written <= 0 && length > 0) {
        // Too long for the buffer: convert it whole and cut on a UTF-8 boundary.
        char whole[2048];
        int whole_length = WideCharToMultiByte(CP_UTF8, 0, message, (int)length, whole, sizeof whole, NULL, NULL);
        written = whole_length < capacity - 1 ? whole_length : capacity - 1;
        while (written > 0 && (whole[written] & 0xC0) == 0x80) written--;
        if (written > 0) memcpy(buffer, whole, (size_t)written);
    }
    if (written <= 0) {
        written = snprintf(buffer, (size_t)capacity, "error %ld", (long)native);
        if (written >= capacity) written = capacity - 1;
    }
    buffer[written] = 0;
    return written;
}

void wincni_free(void *buffer) { free(buffer); }

wincni_platform_info wincni_platform(void) {
    wincni_platform_info info = {1, '\\', ';', ".exe"};
    return info;
}

// MARK: - UTF-8 and UTF-16

// A malloc'd UTF-16 copy of a UTF-8 string, or NULL (last error set) when it is not valid UTF-8.
static wchar_t *utf16_from_utf8(const char *text) {
    int count = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
    if (count <= 0) return NULL;
    wchar_t *out = malloc((size_t)count * sizeof(wchar_t));
    if (out == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, out, count);
    return out;
}

// A malloc'd, NUL-terminated UTF-8 copy of `length` UTF-16 units (-1: up to the NUL), or NULL (last error set).
static char *utf8_from_utf16(const wchar_t *text, int length, int64_t *utf8_length) {
    int count = length == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, text, length, NULL, 0, NULL, NULL);
    if (length != 0 && count <= 0) return NULL;
    char *out = malloc((size_t)count + 1);
    if (out == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (count > 0) WideCharToMultiByte(CP_UTF8, 0, text, length, out, count, NULL, NULL);
    if (length < 0 && count > 0) count--;  // the converted NUL
    out[count] = 0;
    if (utf8_length != NULL) *utf8_length = count;
    return out;
}

// MARK: - Paths

static int is_separator(wchar_t c) { return c == L'\\' || c == L'/'; }

// Whether the first `length` bytes of `text` equal `ascii` (lower case) ignoring ASCII case.
static int ascii_prefix_ignoring_case(const char *text, const char *ascii, size_t length) {
    for (size_t i = 0; i < length; i++) {
        char c = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + ('a' - 'A')) : text[i];
        if (c != ascii[i]) return 0;
    }
    return 1;
}

// The UTF-16 form of a UTF-8 path for the wide file APIs: made absolute (a rooted path such as /var/lib/cni gets the
// current drive, as Windows resolves it for the Go plugins), `/` and `\` both separators, and prefixed with \\?\ (or
// \\?\UNC\) so that paths longer than MAX_PATH work. A path already in \\?\ form keeps its form; only a `/` in it
// becomes `\` (no NTFS name can hold a `/`). NULL with the last error set on failure.
static wchar_t *win_path(const char *path) {
    if (path == NULL || path[0] == 0) {
        SetLastError(ERROR_INVALID_NAME);
        return NULL;
    }
    wchar_t *wide = utf16_from_utf8(path);
    if (wide == NULL) return NULL;
    int extended = wcsncmp(wide, L"\\\\?\\", 4) == 0;
    for (wchar_t *c = wide; *c != 0; c++) {
        if (*c == L'/') *c = L'\\';
    }
    if (extended) return wide;
    DWORD needed = GetFullPathNameW(wide, 0, NULL, NULL);
    if (needed == 0) {
        free(wide);
        return NULL;
    }
    // Room for the longest prefix, \\?\UNC\ (8 units), in front of the full path.
    wchar_t *full = malloc(((size_t)needed + 8) * sizeof(wchar_t));
    if (full == NULL) {
        free(wide);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    DWORD length = GetFullPathNameW(wide, needed, full + 8, NULL);
    free(wide);
    if (length == 0 || length >= needed) {
        free(full);
        if (length != 0) SetLastError(ERROR_FILENAME_EXCED_RANGE);
        return NULL;
    }
    wchar_t *body = full + 8;
    if (body[0] == L'\\' && body[1] == L'\\' && (body[2] == L'.' || body[2] == L'?') && body[3] == L'\\') {
        // A device (\\.\CON, what GetFullPathNameW makes of a reserved name) or an extended path: as it is.
        memmove(full, body, (wcslen(body) + 1) * sizeof(wchar_t));
    } else if (body[0] == L'\\' && body[1] == L'\\') {
        // \\server\share\x becomes \\?\UNC\server\share\x
        memmove(full + 8, body + 2, (wcslen(body + 2) + 1) * sizeof(wchar_t));
        memcpy(full, L"\\\\?\\UNC\\", 8 * sizeof(wchar_t));
    } else {
        memmove(full + 4, body, (wcslen(body) + 1) * sizeof(wchar_t));
        memcpy(full, L"\\\\?\\", 4 * sizeof(wchar_t));
    }
    return full;
}

// The length in bytes of the root of a UTF-8 path, the part mkdir -p never creates: `C:\` or `C:`, `\\?\C:\`,
// `\\?\UNC\server\share\`, `\\?\Volume{...}\`, `\\server\share\`, a leading separator, or nothing (relative).
static size_t utf8_root_length(const char *path) {
    size_t at = 0;
    if (is_separator((wchar_t)path[0]) && is_separator((wchar_t)path[1])) {
        int skip_parts = 2;
        at = 2;
        if ((path[2] == '?' || path[2] == '.') && is_separator((wchar_t)path[3])) {
            at = 4;
            if (ascii_prefix_ignoring_case(path + 4, "unc", 3) && is_separator((wchar_t)path[7])) {
                at = 8;
            } else {
                skip_parts = 1;  // \\?\C:\ or \\?\Volume{...}\ .
            }
        }
        for (int part = 0; part < skip_parts && path[at] != 0; part++) {
            while (path[at] != 0 && !is_separator((wchar_t)path[at])) at++;
            if (path[at] != 0) at++;
        }
        return at;
    }
    if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':') {
        return is_separator((wchar_t)path[2]) ? 3 : 2;
    }
    return is_separator((wchar_t)path[0]) ? 1 : 0;
}

// What a path is, following links: 0 nothing, 1 a file, 2 a directory.
static int path_type(const wchar_t *path) {
    DWORD attributes = GetFileAttributesW(path);
    if (attributes == INVALID_FILE_ATTRIBUTES) return 0;
    return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ? 2 : 1;
}

// path_type of the first `length` bytes of a UTF-8 path.
static int prefix_type(const char *path, size_t length) {
    char *prefix = malloc(length + 1);
    if (prefix == NULL) return 0;
    memcpy(prefix, path, length);
    prefix[length] = 0;
    wchar_t *wide = win_path(prefix);
    free(prefix);
    int type = wide == NULL ? 0 : path_type(wide);
    free(wide);
    return type;
}

// MARK: - Files

static int64_t unix_nanoseconds(FILETIME time) {
    // FILETIME counts 100 ns since 1601-01-01; 11644473600 s separate it from the Unix epoch.
    int64_t ticks = (int64_t)(((uint64_t)time.dwHighDateTime << 32) | time.dwLowDateTime);
    return (ticks - INT64_C(116444736000000000)) * 100;
}

static int ends_with_exe(const char *path) {
    size_t length = strlen(path);
    return length >= 4 && ascii_prefix_ignoring_case(path + length - 4, ".exe", 4);
}

// wincni_file_information for a path already widened; `executable`: the name ends in ".exe".
static wincni_status describe_path(const wchar_t *wide, int executable, wincni_file_info *info) {
    memset(info, 0, sizeof *info);
    HANDLE file = CreateFileW(wide, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (file == INVALID_HANDLE_VALUE) return last_status();
    BY_HANDLE_FILE_INFORMATION data;
    if (!GetFileInformationByHandle(file, &data)) {
        wincni_status status = last_status();
        CloseHandle(file);
        return status;
    }
    DWORD type = GetFileType(file);
    CloseHandle(file);
    if ((data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
        info->kind = WINCNI_KIND_LINK;
    } else if ((data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
        info->kind = WINCNI_KIND_DIRECTORY;
    } else {
        info->kind = type == FILE_TYPE_DISK ? WINCNI_KIND_REGULAR : WINCNI_KIND_OTHER;
    }
    info->permissions = (data.dwFileAttributes & FILE_ATTRIBUTE_READONLY) != 0 ? 0444 : 0666;
    if (info->kind == WINCNI_KIND_DIRECTORY || executable) info->permissions |= 0111;
    info->size = info->kind == WINCNI_KIND_DIRECTORY ? 0
                                                     : (int64_t)(((uint64_t)data.nFileSizeHigh << 32) | data.nFileSizeLow);
    info->identity = ((uint64_t)data.nFileIndexHigh << 32) | data.nFileIndexLow;
    info->links = (uint32_t)data.nNumberOfLinks;
    info->modified_nanoseconds = unix_nanoseconds(data.ftLastWriteTime);
    return success;
}

wincni_status wincni_file_information(const char *path, wincni_file_info *info) {
    memset(info, 0, sizeof *info);
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    wincni_status status = describe_path(wide, ends_with_exe(path), info);
    free(wide);
    return status;
}

int32_t wincni_is_executable_file(const char *path) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) return 0;
    HANDLE file = CreateFileW(wide, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(wide);
    if (file == INVALID_HANDLE_VALUE) return 0;
    BY_HANDLE_FILE_INFORMATION data;
    int regular = GetFileInformationByHandle(file, &data) && (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0 &&
                  GetFileType(file) == FILE_TYPE_DISK;
    CloseHandle(file);
    return regular ? 1 : 0;
}

// Opens an existing file for reading with every sharing mode, FILE_SHARE_DELETE included, so that a writer can
// replace it meanwhile. A directory gives ERROR_DIRECTORY_NOT_SUPPORTED's portable cousin: WINCNI_E_IS_DIRECTORY.
// The WINCNI_OPEN_* checks on an open handle (opened with FILE_FLAG_OPEN_REPARSE_POINT): a reparse point or anything
// GetFileType does not call a disk file is not a regular file; with WINCNI_OPEN_SINGLE_LINK, more than one hard link
// is refused. Closes the handle and returns INVALID_HANDLE_VALUE when a check fails.
static HANDLE check_handle(HANDLE file, int32_t checks, wincni_status *status) {
    if (file == INVALID_HANDLE_VALUE || (checks & (WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK)) == 0) {
        return file;
    }
    BY_HANDLE_FILE_INFORMATION data;
    // A pipe, console or other device first: GetFileInformationByHandle does not describe those.
    if (GetFileType(file) != FILE_TYPE_DISK) {
        *status = own_status(WINCNI_E_NOT_REGULAR);
    } else if (!GetFileInformationByHandle(file, &data)) {
        *status = last_status();
    } else if ((data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
               (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0) {
        *status = own_status(WINCNI_E_IS_DIRECTORY);
    } else if ((data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
        *status = own_status(WINCNI_E_NOT_REGULAR);
    } else if ((checks & WINCNI_OPEN_SINGLE_LINK) != 0 && data.nNumberOfLinks > 1) {
        *status = own_status(WINCNI_E_LINKED);
    } else {
        return file;
    }
    CloseHandle(file);
    return INVALID_HANDLE_VALUE;
}

static HANDLE open_for_reading(const char *path, DWORD extra_flags, wincni_status *status) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) {
        *status = last_status();
        return INVALID_HANDLE_VALUE;
    }
    HANDLE file = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS | extra_flags, NULL);
    *status = file == INVALID_HANDLE_VALUE ? last_status() : success;
    free(wide);
    if (file == INVALID_HANDLE_VALUE) return file;
    BY_HANDLE_FILE_INFORMATION data;
    if (GetFileInformationByHandle(file, &data) && (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
        CloseHandle(file);
        *status = own_status(WINCNI_E_IS_DIRECTORY);
        return INVALID_HANDLE_VALUE;
    }
    return file;
}

static DWORD read_some(HANDLE file, uint8_t *buffer, int64_t wanted, DWORD *got) {
    DWORD chunk = wanted > 0x40000000 ? 0x40000000 : (DWORD)wanted;
    *got = 0;
    if (ReadFile(file, buffer, chunk, got, NULL)) return 0;
    DWORD code = GetLastError();
    return code == ERROR_BROKEN_PIPE || code == ERROR_HANDLE_EOF ? 0 : code;
}

// Reads `file` to its end into a malloc'd buffer with a NUL after the content; more than `limit` bytes gives
// WINCNI_E_TOO_LONG.
static wincni_status read_to_end(HANDLE file, int64_t limit, int64_t size_hint, uint8_t **bytes, int64_t *count) {
    int64_t capacity = size_hint > 0 && size_hint < limit ? size_hint + 1 : (limit < 65536 ? limit + 1 : 65536);
    int64_t used = 0;
    uint8_t *buffer = malloc((size_t)capacity + 1);
    if (buffer == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    for (;;) {
        if (used == capacity) {
            if (capacity > limit) {
                free(buffer);
                return own_status(WINCNI_E_TOO_LONG);
            }
            int64_t grown_capacity = capacity * 2 > limit + 1 ? limit + 1 : capacity * 2;
            uint8_t *grown = realloc(buffer, (size_t)grown_capacity + 1);
            if (grown == NULL) {
                free(buffer);
                return status_of(ERROR_NOT_ENOUGH_MEMORY);
            }
            buffer = grown;
            capacity = grown_capacity;
        }
        DWORD got = 0, code = read_some(file, buffer + used, capacity - used, &got);
        if (code != 0) {
            free(buffer);
            return status_of(code);
        }
        if (got == 0) break;
        used += got;
    }
    if (used > limit) {
        free(buffer);
        return own_status(WINCNI_E_TOO_LONG);
    }
    buffer[used] = 0;
    *bytes = buffer;
    *count = used;
    return success;
}

wincni_status wincni_read_file_checked(const char *path, int64_t limit, int32_t flags, uint8_t **bytes,
                                       int64_t *count) {
    *bytes = NULL;
    *count = 0;
    if (limit < 0 || (flags & ~(WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK)) != 0) {
        return own_status(WINCNI_E_INVALID);
    }
    wincni_status status;
    HANDLE file = open_for_reading(path, flags != 0 ? FILE_FLAG_OPEN_REPARSE_POINT : 0, &status);
    file = check_handle(file, flags, &status);
    if (file == INVALID_HANDLE_VALUE) return status;
    LARGE_INTEGER size;
    if (!GetFileSizeEx(file, &size)) size.QuadPart = 0;
    if (size.QuadPart > limit) {
        CloseHandle(file);
        return own_status(WINCNI_E_TOO_LONG);
    }
    status = read_to_end(file, limit, size.QuadPart, bytes, count);
    CloseHandle(file);
    return status;
}

wincni_status wincni_read_file(const char *path, int64_t limit, uint8_t **bytes, int64_t *count) {
    return wincni_read_file_checked(path, limit, 0, bytes, count);
}

wincni_status wincni_read_prefix(const char *path, int32_t flags, uint8_t *buffer, int64_t capacity,
                                 int64_t *count) {
    *count = 0;
    if (capacity < 0 || (flags & ~WINCNI_OPEN_SINGLE_LINK) != 0) return own_status(WINCNI_E_INVALID);
    wincni_status status;
    HANDLE file = open_for_reading(path, FILE_FLAG_OPEN_REPARSE_POINT, &status);
    file = check_handle(file, flags | WINCNI_OPEN_REGULAR_ONLY, &status);
    if (file == INVALID_HANDLE_VALUE) return status;
    int64_t used = 0;
    while (used < capacity) {
        DWORD got = 0, code = read_some(file, buffer + used, capacity - used, &got);
        if (code != 0) {
            CloseHandle(file);
            return status_of(code);
        }
        if (got == 0) break;
        used += got;
    }
    CloseHandle(file);
    *count = used;
    return success;
}

static DWORD write_all(HANDLE file, const uint8_t *bytes, int64_t count) {
    while (count > 0) {
        DWORD chunk = count > 0x40000000 ? 0x40000000 : (DWORD)count, wrote = 0;
        if (!WriteFile(file, bytes, chunk, &wrote, NULL)) return GetLastError();
        bytes += wrote;
        count -= wrote;
    }
    return 0;
}

// Writes `bytes` into a file opened with `disposition` and `access`; `flush` flushes it before closing. The file is
// removed again when it was created here (`remove_on_failure`) and could not be written completely. `checks`
// (WINCNI_OPEN_*) open the name without following a reparse point and check the handle before writing; a truncating
// write (`truncate`) then truncates only after the checks passed.
static wincni_status write_with(const wchar_t *path, DWORD access, DWORD disposition, const uint8_t *bytes,
                                int64_t count, int flush, int remove_on_failure, int32_t checks, int truncate) {
    DWORD flags = FILE_ATTRIBUTE_NORMAL | (checks != 0 ? FILE_FLAG_OPEN_REPARSE_POINT : 0);
    HANDLE file = CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, disposition, flags, NULL);
    if (file == INVALID_HANDLE_VALUE) return last_status();
    wincni_status status = success;
    file = check_handle(file, checks, &status);
    if (file == INVALID_HANDLE_VALUE) return status;
    DWORD code = 0;
    if (truncate && !SetEndOfFile(file)) code = GetLastError();
    if (code == 0) code = write_all(file, bytes, count);
    if (code == 0 && flush && !FlushFileBuffers(file)) code = GetLastError();
    CloseHandle(file);
    if (code != 0 && remove_on_failure) DeleteFileW(path);
    return status_of(code);
}

// MoveFileExW with replace and write-through. Windows refuses to replace a file that another handle has open (even
// one opened with FILE_SHARE_DELETE): access denied or a sharing violation until the reader closes it. Readers hold
// these files only for one read, so retry for about two seconds.
static DWORD replace_file(const wchar_t *from, const wchar_t *to) {
    DWORD delay = 1;
    for (DWORD waited = 0;;) {
        if (MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return 0;
        DWORD code = GetLastError();
        if ((code != ERROR_ACCESS_DENIED && code != ERROR_SHARING_VIOLATION) || waited >= 2000) return code;
        Sleep(delay);
        waited += delay;
        delay = delay < 64 ? delay * 2 : 64;
    }
}

// A new temporary name beside `path`: `<path>.tmp<process ID>.<counter>` (so concurrent writers never share one).
static wchar_t *temporary_name(const wchar_t *path) {
    static volatile LONG counter;
    size_t length = wcslen(path);
    wchar_t *temporary = malloc((length + 48) * sizeof(wchar_t));
    if (temporary == NULL) return NULL;
    swprintf(temporary, length + 48, L"%ls.tmp%lu.%ld", path, (unsigned long)GetCurrentProcessId(),
             (long)InterlockedIncrement(&counter));
    temporary[length + 47] = 0;
    return temporary;
}

// The atomic write: a new temporary file, written and flushed, then moved over `path`; removed again on any failure.
// For wincni_write_file_noting: describes the complete, closed temporary file (this process's own name) before it
// takes the final name; removes it when that fails. Nothing when `written` is NULL.
static wincni_status note_temporary(const wchar_t *temporary, wincni_file_info *written) {
    if (written == NULL) return success;
    wincni_status status = describe_path(temporary, 0, written);
    if (status.kind != WINCNI_OK) DeleteFileW(temporary);
    return status;
}

static wincni_status write_atomically(const wchar_t *path, const uint8_t *bytes, int64_t count, int durable,
                                      wincni_file_info *written) {
    wchar_t *temporary = temporary_name(path);
    if (temporary == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    wincni_status status = write_with(temporary, GENERIC_WRITE, CREATE_NEW, bytes, count, durable, 1, 0, 0);
    if (status.kind == WINCNI_OK) status = note_temporary(temporary, written);
    if (status.kind == WINCNI_OK) {
        DWORD code = replace_file(temporary, path);
        if (code != 0) DeleteFileW(temporary);
        status = status_of(code);
    }
    free(temporary);
    return status;
}

// The exclusive create: the complete content in a temporary file, which MoveFileExW without
// MOVEFILE_REPLACE_EXISTING gives the name only when it is free. The name never shows an empty or partial file.
static wincni_status write_exclusively(const wchar_t *path, const uint8_t *bytes, int64_t count, int durable,
                                       wincni_file_info *written) {
    if (GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES) return status_of(ERROR_FILE_EXISTS);
    wchar_t *temporary = temporary_name(path);
    if (temporary == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    wincni_status status = write_with(temporary, GENERIC_WRITE, CREATE_NEW, bytes, count, durable, 1, 0, 0);
    if (status.kind == WINCNI_OK) status = note_temporary(temporary, written);
    if (status.kind == WINCNI_OK) {
        DWORD move_flags = durable ? MOVEFILE_WRITE_THROUGH : 0;
        if (!MoveFileExW(temporary, path, move_flags)) {
            status = last_status();
            DeleteFileW(temporary);
        }
    }
    free(temporary);
    return status;
}

static wincni_status write_file(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                uint32_t permissions, wincni_file_info *written) {
    (void)permissions;  // the directory's inherited ACL applies on Windows
    const int32_t checks = WINCNI_OPEN_REGULAR_ONLY | WINCNI_OPEN_SINGLE_LINK;
    int atomic = (mode & WINCNI_WRITE_ATOMIC) != 0, durable = (mode & WINCNI_WRITE_DURABLE) != 0;
    int exclusive = (mode & WINCNI_WRITE_EXCLUSIVE) != 0, append = (mode & WINCNI_WRITE_APPEND) != 0;
    int32_t wanted = mode & checks;
    if (count < 0 || (mode & ~(15 | checks)) != 0 || (atomic && exclusive) || ((atomic || exclusive) && wanted) ||
        (append && (mode & ~checks) != WINCNI_WRITE_APPEND) || (written != NULL && !atomic && !exclusive)) {
        return own_status(WINCNI_E_INVALID);
    }
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    wincni_status status;
    if (path_type(wide) == 2) {
        free(wide);
        return own_status(WINCNI_E_IS_DIRECTORY);
    }
    if (atomic) {
        status = write_atomically(wide, bytes, count, durable, written);
    } else if (exclusive) {
        status = write_exclusively(wide, bytes, count, durable, written);
    } else if (append) {
        // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the current end of the file.
        status = write_with(wide, FILE_APPEND_DATA | SYNCHRONIZE, OPEN_ALWAYS, bytes, count, 0, 0, wanted, 0);
    } else if (wanted) {
        // Opened without truncating, so a refused file is left as it was; truncated once the checks passed.
        status = write_with(wide, GENERIC_WRITE, OPEN_ALWAYS, bytes, count, durable, 0, wanted, 1);
    } else {
        status = write_with(wide, GENERIC_WRITE, CREATE_ALWAYS, bytes, count, durable, 0, 0, 0);
    }
    free(wide);
    return status;
}

wincni_status wincni_write_file(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                uint32_t permissions) {
    return write_file(path, bytes, count, mode, permissions, NULL);
}

wincni_status wincni_write_file_noting(const char *path, const uint8_t *bytes, int64_t count, int32_t mode,
                                       uint32_t permissions, wincni_file_info *written) {
    if (written == NULL) return own_status(WINCNI_E_INVALID);
    return write_file(path, bytes, count, mode, permissions, written);
}

wincni_status wincni_remove_file(const char *path) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    DWORD code = DeleteFileW(wide) ? 0 : GetLastError();
    if (code == ERROR_ACCESS_DENIED) {
        DWORD attributes = GetFileAttributesW(wide);
        if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
            free(wide);
            return own_status(WINCNI_E_IS_DIRECTORY);
        }
        if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_READONLY) != 0 &&
            SetFileAttributesW(wide, attributes & ~(DWORD)FILE_ATTRIBUTE_READONLY)) {
            code = DeleteFileW(wide) ? 0 : GetLastError();
        }
    }
    free(wide);
    return status_of(code);
}

wincni_status wincni_remove_directory(const char *path) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    DWORD code = RemoveDirectoryW(wide) ? 0 : GetLastError();
    free(wide);
    return status_of(code);
}

// mkdir -p. The existing prefix is found by walking up from `path`; then each missing component below it is created.
wincni_status wincni_make_directories(const char *path, uint32_t permissions, int64_t *existing_length) {
    (void)permissions;  // the inherited ACL applies on Windows
    if (existing_length != NULL) *existing_length = 0;
    if (path == NULL || path[0] == 0) return own_status(WINCNI_E_INVALID);
    size_t full_length = strlen(path), root = utf8_root_length(path);
    size_t end = full_length;
    while (end > root && is_separator((wchar_t)path[end - 1])) end--;
    if (end <= root) {
        // Only a root: it exists or there is nothing to do about it.
        if (existing_length != NULL) *existing_length = (int64_t)full_length;
        return root == 0 || prefix_type(path, full_length) == 2 ? success : status_of(ERROR_PATH_NOT_FOUND);
    }
    // Walk up to the longest existing prefix.
    size_t existing = end;
    int type = prefix_type(path, end);
    if (type == 2) {
        if (existing_length != NULL) *existing_length = (int64_t)full_length;
        return success;
    }
    if (type == 1) return own_status(WINCNI_E_EXISTS);
    for (;;) {
        while (existing > root && !is_separator((wchar_t)path[existing - 1])) existing--;
        while (existing > root && is_separator((wchar_t)path[existing - 1])) existing--;
        if (existing <= root) {
            existing = root;
            break;
        }
        type = prefix_type(path, existing);
        if (type == 2) break;
        if (type == 1) return own_status(WINCNI_E_NOT_DIRECTORY);
    }
    if (existing_length != NULL) *existing_length = (int64_t)existing;
    // Create each component after `existing`.
    size_t at = existing;
    while (at < end) {
        while (at < end && is_separator((wchar_t)path[at])) at++;
        while (at < end && !is_separator((wchar_t)path[at])) at++;
        char *prefix = malloc(at + 1);
        if (prefix == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
        memcpy(prefix, path, at);
        prefix[at] = 0;
        wchar_t *wide = win_path(prefix);
        free(prefix);
        if (wide == NULL) return last_status();
        DWORD code = CreateDirectoryW(wide, NULL) ? 0 : GetLastError();
        if (code == ERROR_ALREADY_EXISTS) {
            // Created meanwhile by someone else: fine if it is a directory.
            code = path_type(wide) == 2 ? 0 : (at == end ? ERROR_ALREADY_EXISTS : ERROR_DIRECTORY);
        }
        free(wide);
        if (code != 0) return status_of(code);
    }
    return success;
}

wincni_status wincni_remove_empty_directories(const char *path, int64_t keep_length) {
    size_t length = strlen(path), root = utf8_root_length(path);
    char *current = malloc(length + 1);
    if (current == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    memcpy(current, path, length + 1);
    wincni_status status = success;
    while (length > root && is_separator((wchar_t)current[length - 1])) current[--length] = 0;
    while ((int64_t)length > keep_length && length > root) {
        wchar_t *wide = win_path(current);
        if (wide == NULL) {
            status = last_status();
            break;
        }
        DWORD code = RemoveDirectoryW(wide) ? 0 : GetLastError();
        free(wide);
        if (code == ERROR_DIR_NOT_EMPTY) break;
        if (code != 0) {
            status = status_of(code);
            break;
        }
        while (length > root && !is_separator((wchar_t)current[length - 1])) length--;
        while (length > root && is_separator((wchar_t)current[length - 1])) length--;
        current[length] = 0;
    }
    free(current);
    return status;
}

wincni_status wincni_list_directory(const char *path, int32_t flags, char **names, int64_t *size, int64_t *count) {
    *names = NULL;
    *size = 0;
    if (count != NULL) *count = 0;
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    size_t length = wcslen(wide);
    wchar_t *pattern = malloc((length + 3) * sizeof(wchar_t));
    if (pattern == NULL) {
        free(wide);
        return status_of(ERROR_NOT_ENOUGH_MEMORY);
    }
    memcpy(pattern, wide, length * sizeof(wchar_t));
    if (length > 0 && pattern[length - 1] != L'\\') pattern[length++] = L'\\';
    pattern[length++] = L'*';
    pattern[length] = 0;
    int type = path_type(wide);
    free(wide);
    if (type == 1) {
        free(pattern);
        return own_status(WINCNI_E_NOT_DIRECTORY);
    }
    WIN32_FIND_DATAW entry;
    HANDLE search = FindFirstFileExW(pattern, FindExInfoBasic, &entry, FindExSearchNameMatch, NULL, 0);
    free(pattern);
    size_t capacity = 256, used = 0;
    int64_t listed = 0;
    char *buffer = malloc(capacity);
    if (buffer == NULL) {
        if (search != INVALID_HANDLE_VALUE) FindClose(search);
        return status_of(ERROR_NOT_ENOUGH_MEMORY);
    }
    if (search == INVALID_HANDLE_VALUE) {
        DWORD code = GetLastError();
        // No match at all (a drive root has no "." entries) is an empty directory when the directory exists.
        if (code == ERROR_FILE_NOT_FOUND && type == 2) {
            *names = buffer;
            return success;
        }
        free(buffer);
        return status_of(code);
    }
    do {
        const wchar_t *name = entry.cFileName;
        if (wcscmp(name, L".") == 0 || wcscmp(name, L"..") == 0) continue;
        if ((flags & WINCNI_LIST_FILES_ONLY) != 0 &&
            (entry.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
            continue;
        }
        int64_t name_length = 0;
        char *utf8 = utf8_from_utf16(name, -1, &name_length);
        if (utf8 == NULL) continue;
        if (used + (size_t)name_length + 1 > capacity) {
            while (used + (size_t)name_length + 1 > capacity) capacity *= 2;
            char *grown = realloc(buffer, capacity);
            if (grown == NULL) {
                free(utf8);
                free(buffer);
                FindClose(search);
                return status_of(ERROR_NOT_ENOUGH_MEMORY);
            }
            buffer = grown;
        }
        memcpy(buffer + used, utf8, (size_t)name_length + 1);
        used += (size_t)name_length + 1;
        listed++;
        free(utf8);
    } while (FindNextFileW(search, &entry));
    DWORD code = GetLastError();
    FindClose(search);
    if (code != ERROR_NO_MORE_FILES) {
        free(buffer);
        return status_of(code);
    }
    *names = buffer;
    *size = (int64_t)used;
    if (count != NULL) *count = listed;
    return success;
}

wincni_status wincni_make_temporary_directory(const char *prefix, char **path) {
    *path = NULL;
    if (prefix == NULL || strpbrk(prefix, "/\\:") != NULL) return own_status(WINCNI_E_INVALID);
    wchar_t base[MAX_PATH + 1];
    DWORD base_length = GetTempPathW(MAX_PATH + 1, base);
    if (base_length == 0 || base_length > MAX_PATH) return last_status();
    wchar_t *wide_prefix = utf16_from_utf8(prefix);
    if (wide_prefix == NULL) return last_status();
    static volatile LONG counter;
    size_t capacity = base_length + wcslen(wide_prefix) + 48;
    wchar_t *candidate = malloc(capacity * sizeof(wchar_t));
    if (candidate == NULL) {
        free(wide_prefix);
        return status_of(ERROR_NOT_ENOUGH_MEMORY);
    }
    DWORD code = ERROR_ALREADY_EXISTS;
    for (int attempt = 0; attempt < 100 && code == ERROR_ALREADY_EXISTS; attempt++) {
        LARGE_INTEGER now;
        QueryPerformanceCounter(&now);
        swprintf(candidate, capacity, L"%ls%ls%08lx%04lx%04lx", base, wide_prefix,
                   (unsigned long)(now.QuadPart & 0xFFFFFFFF), (unsigned long)(GetCurrentProcessId() & 0xFFFF),
                   (unsigned long)(InterlockedIncrement(&counter) & 0xFFFF));
        candidate[capacity - 1] = 0;
        code = CreateDirectoryW(candidate, NULL) ? 0 : GetLastError();
    }
    free(wide_prefix);
    if (code == 0) {
        *path = utf8_from_utf16(candidate, -1, NULL);
        if (*path == NULL) code = GetLastError();
    }
    free(candidate);
    return status_of(code);
}

// A final path from GetFinalPathNameByHandleW or a \\?\ path, without the \\?\ prefix when the path fits without
// it: \\?\C:\x becomes C:\x and \\?\UNC\s\x becomes \\s\x.
static char *plain_path(wchar_t *wide) {
    size_t length = wcslen(wide);
    const wchar_t *shown = wide;
    if (length < MAX_PATH + 4 && wcsncmp(wide, L"\\\\?\\UNC\\", 8) == 0) {
        wide[6] = L'\\';
        shown = wide + 6;
    } else if (length < MAX_PATH + 4 && wcsncmp(wide, L"\\\\?\\", 4) == 0 && wide[5] == L':') {
        shown = wide + 4;
    }
    return utf8_from_utf16(shown, -1, NULL);
}

wincni_status wincni_resolve_path(const char *path, char **resolved) {
    *resolved = NULL;
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    HANDLE file = CreateFileW(wide, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(wide);
    if (file == INVALID_HANDLE_VALUE) return last_status();
    DWORD needed = GetFinalPathNameByHandleW(file, NULL, 0, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    wchar_t *final = needed == 0 ? NULL : malloc(((size_t)needed + 1) * sizeof(wchar_t));
    DWORD code = 0;
    if (final == NULL) {
        code = needed == 0 ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
    } else if (GetFinalPathNameByHandleW(file, final, needed + 1, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS) == 0) {
        code = GetLastError();
    } else {
        *resolved = plain_path(final);
        if (*resolved == NULL) code = GetLastError();
    }
    free(final);
    CloseHandle(file);
    return status_of(code);
}

wincni_status wincni_current_directory(char **path) {
    *path = NULL;
    DWORD needed = GetCurrentDirectoryW(0, NULL);
    if (needed == 0) return last_status();
    wchar_t *wide = malloc(((size_t)needed + 1) * sizeof(wchar_t));
    if (wide == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    DWORD code = GetCurrentDirectoryW(needed + 1, wide) == 0 ? GetLastError() : 0;
    if (code == 0) {
        *path = utf8_from_utf16(wide, -1, NULL);
        if (*path == NULL) code = GetLastError();
    }
    free(wide);
    return status_of(code);
}

// The reparse data of a symbolic link (the documented REPARSE_DATA_BUFFER layout, which user-mode windows.h leaves
// out).
struct symbolic_link_reparse {
    ULONG tag;
    USHORT data_length;
    USHORT reserved;
    USHORT substitute_offset;
    USHORT substitute_length;
    USHORT print_offset;
    USHORT print_length;
    ULONG flags;
    WCHAR path_buffer[1];
};

wincni_status wincni_read_link(const char *path, char **target) {
    *target = NULL;
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    HANDLE file = CreateFileW(wide, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(wide);
    if (file == INVALID_HANDLE_VALUE) return last_status();
    union {
        struct symbolic_link_reparse link;
        uint8_t bytes[MAXIMUM_REPARSE_DATA_BUFFER_SIZE];
    } data;
    DWORD returned = 0;
    BOOL read = DeviceIoControl(file, FSCTL_GET_REPARSE_POINT, NULL, 0, &data, sizeof data, &returned, NULL);
    DWORD code = read ? 0 : GetLastError();
    CloseHandle(file);
    if (code != 0) return status_of(code == ERROR_NOT_A_REPARSE_POINT ? ERROR_INVALID_PARAMETER : code);
    if (data.link.tag != IO_REPARSE_TAG_SYMLINK) return own_status(WINCNI_E_INVALID);
    const wchar_t *name = data.link.path_buffer + data.link.substitute_offset / sizeof(wchar_t);
    int length = data.link.substitute_length / (int)sizeof(wchar_t);
    // An absolute target is stored as an NT path, \??\C:\x; the caller wants C:\x.
    if (length >= 4 && wcsncmp(name, L"\\??\\", 4) == 0) {
        name += 4;
        length -= 4;
    }
    *target = utf8_from_utf16(name, length, NULL);
    return *target == NULL ? last_status() : success;
}

wincni_status wincni_make_link(const char *target, const char *path) {
    wchar_t *link = win_path(path);
    wchar_t *wide_target = utf16_from_utf8(target);
    if (link == NULL || wide_target == NULL) {
        wincni_status status = last_status();
        free(link);
        free(wide_target);
        return status;
    }
    for (wchar_t *c = wide_target; *c != 0; c++) {
        if (*c == L'/') *c = L'\\';
    }
    // A directory link when the target is a directory, resolved from the link's directory when it is relative.
    int directory;
    if (utf8_root_length(target) > 0) {
        wchar_t *absolute = win_path(target);
        directory = absolute != NULL && path_type(absolute) == 2;
        free(absolute);
    } else {
        size_t length = wcslen(link), target_length = wcslen(wide_target);
        while (length > 0 && link[length - 1] != L'\\') length--;
        wchar_t *joined = malloc((length + target_length + 1) * sizeof(wchar_t));
        directory = 0;
        if (joined != NULL) {
            memcpy(joined, link, length * sizeof(wchar_t));
            memcpy(joined + length, wide_target, (target_length + 1) * sizeof(wchar_t));
            directory = path_type(joined) == 2;
            free(joined);
        }
    }
    DWORD flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE | (directory ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0);
    DWORD code = CreateSymbolicLinkW(link, wide_target, flags) ? 0 : GetLastError();
    if (code == ERROR_INVALID_PARAMETER) {
        // Windows before 10 1703 does not know the unprivileged flag.
        flags &= ~(DWORD)SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE;
        code = CreateSymbolicLinkW(link, wide_target, flags) ? 0 : GetLastError();
    }
    free(link);
    free(wide_target);
    return status_of(code);
}

wincni_status wincni_set_permissions(const char *path, uint32_t permissions) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) return last_status();
    DWORD attributes = GetFileAttributesW(wide);
    DWORD code = attributes == INVALID_FILE_ATTRIBUTES ? GetLastError() : 0;
    if (code == 0) {
        DWORD wanted = (permissions & 0200) != 0 ? attributes & ~(DWORD)FILE_ATTRIBUTE_READONLY
                                                 : attributes | FILE_ATTRIBUTE_READONLY;
        if (wanted != attributes && !SetFileAttributesW(wide, wanted)) code = GetLastError();
    }
    free(wide);
    return status_of(code);
}

uint32_t wincni_set_creation_mask(uint32_t mask) {
    (void)mask;
    return 0;
}

// MARK: - Locks

static HANDLE handle_of(wincni_lock lock) { return (HANDLE)(intptr_t)lock; }

// Opens (creating it empty when missing) a file to lock, shared for reading and writing with every other opener, as
// the Go host-local's go-filemutex opens its lock file.
static HANDLE open_lock_file(const char *path, DWORD disposition, DWORD *code) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) {
        *code = GetLastError();
        return INVALID_HANDLE_VALUE;
    }
    HANDLE file = CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              disposition, FILE_ATTRIBUTE_NORMAL, NULL);
    *code = file == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    free(wide);
    return file;
}

// An exclusive LockFileEx of the one byte at `offset`. LockFileEx locks are mandatory byte-range locks, held per
// handle: another handle, in this process or another, is refused the byte (ERROR_LOCK_VIOLATION) or waits for it.
static DWORD lock_byte(HANDLE file, uint64_t offset, int32_t flags) {
    OVERLAPPED overlapped;
    memset(&overlapped, 0, sizeof overlapped);
    overlapped.Offset = (DWORD)offset;
    overlapped.OffsetHigh = (DWORD)(offset >> 32);
    DWORD lock_flags = LOCKFILE_EXCLUSIVE_LOCK | ((flags & WINCNI_LOCK_NO_WAIT) != 0 ? LOCKFILE_FAIL_IMMEDIATELY : 0);
    return LockFileEx(file, lock_flags, 0, 1, 0, &overlapped) ? 0 : GetLastError();
}

static wincni_status lock_at(const char *path, uint64_t offset, int32_t flags, wincni_lock *lock) {
    *lock = 0;
    DWORD code;
    HANDLE file = open_lock_file(path, OPEN_ALWAYS, &code);
    if (file == INVALID_HANDLE_VALUE) return status_of(code);
    code = lock_byte(file, offset, flags);
    if (code != 0) {
        CloseHandle(file);
        return status_of(code == ERROR_IO_PENDING ? ERROR_LOCK_VIOLATION : code);
    }
    *lock = (wincni_lock)(intptr_t)file;
    return success;
}

wincni_status wincni_lock_file(const char *path, int32_t flags, wincni_lock *lock) {
    // Byte 0, length 1: the range go-filemutex locks on Windows, so wincni and the Go host-local exclude each other.
    return lock_at(path, 0, flags, lock);
}

wincni_status wincni_lock_range(const char *path, uint64_t offset, int32_t flags, wincni_lock *lock) {
    if (offset < WINCNI_LOCK_RANGE_MINIMUM_OFFSET || offset >= WINCNI_LOCK_RANGE_LIMIT) {
        *lock = 0;
        return own_status(WINCNI_E_INVALID);
    }
    return lock_at(path, offset, flags, lock);
}

wincni_status wincni_range_is_locked(const char *path, uint64_t offset, int32_t *held) {
    *held = 0;
    DWORD code;
    HANDLE file = open_lock_file(path, OPEN_EXISTING, &code);
    if (file == INVALID_HANDLE_VALUE) {
        return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND ? success : status_of(code);
    }
    code = lock_byte(file, offset, WINCNI_LOCK_NO_WAIT);
    if (code == 0) {
        OVERLAPPED overlapped;
        memset(&overlapped, 0, sizeof overlapped);
        overlapped.Offset = (DWORD)offset;
        overlapped.OffsetHigh = (DWORD)(offset >> 32);
        UnlockFileEx(file, 0, 1, 0, &overlapped);
    } else if (code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING) {
        *held = 1;
        code = 0;
    }
    CloseHandle(file);
    return status_of(code);
}

wincni_status wincni_lock_file_through(wincni_lock range, const char *path, int32_t flags, int32_t *shared) {
    *shared = 0;
    // `path` is not checked again: the range's handle was opened without FILE_SHARE_DELETE, and deleting or renaming
    // a file opens it with DELETE access, which that sharing mode refuses while the handle is open, so `path` still
    // names the file the handle holds. (Unless `path` is a symbolic link, which CreateFileW follows here as
    // go-filemutex's open does, and which can be removed while its target is open; then the store lock is the old
    // target's, as a by-path lock taken just before the swap would be.)
    (void)path;
    if (range == 0) return own_status(WINCNI_E_INVALID);
    // Byte 0 on the range's handle, as wincni_lock_file locks it on its own handle: LockFileEx locks belong to the
    // handle, and this byte is disjoint from the range's.
    DWORD code = lock_byte(handle_of(range), 0, flags);
    if (code != 0) return status_of(code == ERROR_IO_PENDING ? ERROR_LOCK_VIOLATION : code);
    *shared = 1;
    return success;
}

void wincni_unlock_file_through(wincni_lock range) {
    if (range == 0) return;
    // Byte 0 only; the handle and its range lock stay.
    OVERLAPPED overlapped;
    memset(&overlapped, 0, sizeof overlapped);
    UnlockFileEx(handle_of(range), 0, 1, 0, &overlapped);
}

void wincni_unlock(wincni_lock lock) {
    // Closing the handle releases its byte-range locks.
    if (lock != 0) CloseHandle(handle_of(lock));
}

// MARK: - Processes

// Appends `argument` to `line` quoted by the rules the MSVC runtime's argument parser undoes (and
// CommandLineToArgvW): inside quotes, backslashes are literal unless they precede a quote, so 2n backslashes and a
// quote stand for n backslashes and the end of the quoted part, 2n+1 backslashes and a quote for n backslashes and a
// literal quote. Returns the units written (only counted when `line` is NULL).
static size_t quote_argument(const wchar_t *argument, wchar_t *line) {
    size_t at = 0;
    int plain = argument[0] != 0;
    for (const wchar_t *c = argument; *c != 0 && plain; c++) {
        if (*c == L' ' || *c == L'\t' || *c == L'\n' || *c == L'\v' || *c == L'"') plain = 0;
    }
    if (plain) {
        size_t length = wcslen(argument);
        if (line != NULL) memcpy(line, argument, length * sizeof(wchar_t));
        return length;
    }
    if (line != NULL) line[at] = L'"';
    at++;
    for (const wchar_t *c = argument;; c++) {
        size_t backslashes = 0;
        while (*c == L'\\') {
            backslashes++;
            c++;
        }
        size_t repeat = *c == 0 ? backslashes * 2 : *c == L'"' ? backslashes * 2 + 1 : backslashes;
        for (size_t i = 0; i < repeat; i++) {
            if (line != NULL) line[at] = L'\\';
            at++;
        }
        if (*c == 0) break;
        if (line != NULL) line[at] = *c;
        at++;
    }
    if (line != NULL) line[at] = L'"';
    return at + 1;
}

// Splits `size` bytes of NUL-terminated strings into malloc'd UTF-16 strings; *count gets how many.
static wchar_t **wide_strings(const char *strings, int64_t size, int32_t *count) {
    int32_t total = 0;
    for (int64_t at = 0; at < size; at += (int64_t)strlen(strings + at) + 1) total++;
    wchar_t **wide = calloc((size_t)total + 1, sizeof(wchar_t *));
    if (wide == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    int32_t index = 0;
    for (int64_t at = 0; at < size; at += (int64_t)strlen(strings + at) + 1) {
        wide[index] = utf16_from_utf8(strings + at);
        if (wide[index] == NULL) {
            for (int32_t i = 0; i < index; i++) free(wide[i]);
            free(wide);
            return NULL;
        }
        index++;
    }
    *count = total;
    return wide;
}

static void free_strings(wchar_t **strings, int32_t count) {
    if (strings == NULL) return;
    for (int32_t i = 0; i < count; i++) free(strings[i]);
    free(strings);
}

// The command line for argv, each argument quoted as needed and separated by one space; malloc'd.
static wchar_t *command_line(wchar_t **argv, int32_t count) {
    size_t length = 1;
    for (int32_t i = 0; i < count; i++) length += quote_argument(argv[i], NULL) + 1;
    wchar_t *line = malloc(length * sizeof(wchar_t));
    if (line == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    size_t at = 0;
    for (int32_t i = 0; i < count; i++) {
        if (i > 0) line[at++] = L' ';
        at += quote_argument(argv[i], line + at);
    }
    line[at] = 0;
    return line;
}

// Orders "NAME=value" entries by name, case-insensitively, as Windows keeps an environment block.
static int compare_entries(const void *left, const void *right) {
    const wchar_t *a = *(const wchar_t *const *)left, *b = *(const wchar_t *const *)right;
    const wchar_t *a_end = wcschr(a + 1, L'='), *b_end = wcschr(b + 1, L'=');
    int a_length = a_end == NULL ? (int)wcslen(a) : (int)(a_end - a);
    int b_length = b_end == NULL ? (int)wcslen(b) : (int)(b_end - b);
    int order = CompareStringOrdinal(a, a_length, b, b_length, TRUE);
    return order == CSTR_LESS_THAN ? -1 : order == CSTR_GREATER_THAN ? 1 : 0;
}

// A UTF-16 environment block for CREATE_UNICODE_ENVIRONMENT: the entries sorted by name, each NUL-terminated, and
// one more NUL at the end.
static wchar_t *environment_block(const char *environment, int64_t size) {
    int32_t count = 0;
    wchar_t **entries = wide_strings(environment, size, &count);
    if (entries == NULL) return NULL;
    qsort(entries, (size_t)count, sizeof(wchar_t *), compare_entries);
    size_t length = 2;
    for (int32_t i = 0; i < count; i++) length += wcslen(entries[i]) + 1;
    wchar_t *block = malloc(length * sizeof(wchar_t));
    if (block != NULL) {
        size_t at = 0;
        for (int32_t i = 0; i < count; i++) {
            size_t entry_length = wcslen(entries[i]) + 1;
            memcpy(block + at, entries[i], entry_length * sizeof(wchar_t));
            at += entry_length;
        }
        block[at++] = 0;
        if (at == 1) block[at] = 0;  // an empty block is two NULs
    } else {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    }
    free_strings(entries, count);
    return block;
}

// One of the child's standard streams as this process serves it: the parent's end of a pipe, read or written with
// overlapped I/O so that one thread can serve all three and the child's exit together.
struct stream {
    HANDLE pipe;  // NULL once closed
    HANDLE event;
    OVERLAPPED overlapped;
    int pending;
    uint8_t chunk[65536];
    // stdout / stderr: what was kept, at most `limit` bytes; the rest is read and dropped.
    uint8_t *data;
    int64_t length, capacity, limit;
    // stdin: what is left to write.
    uint8_t *input;
    int64_t input_count, written;
};

struct wincni_process {
    HANDLE process;
    HANDLE job;
    DWORD identifier;
    int exited;
    DWORD exit_code;
    struct stream streams[3];  // stdin, stdout, stderr
};

static volatile LONG pipe_counter;

// A pipe for one standard stream: this process's end is an overlapped named-pipe server end; the child's end is an
// inheritable handle to be passed in the handle list. `child_reads` for stdin.
static DWORD make_pipe(struct stream *stream, HANDLE *child_end, int child_reads) {
    wchar_t name[96];
    swprintf(name, 96, L"\\\\.\\pipe\\wincni-%lu-%ld-%lu", (unsigned long)GetCurrentProcessId(),
               (long)InterlockedIncrement(&pipe_counter), (unsigned long)(GetTickCount64() & 0xFFFFFFFF));
    name[95] = 0;
    DWORD direction = child_reads ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND;
    stream->pipe = CreateNamedPipeW(name, direction | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                    PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 65536, 65536, 0, NULL);
    if (stream->pipe == INVALID_HANDLE_VALUE) {
        stream->pipe = NULL;
        return GetLastError();
    }
    SECURITY_ATTRIBUTES inheritable = {sizeof inheritable, NULL, TRUE};
    *child_end = CreateFileW(name, child_reads ? GENERIC_READ : GENERIC_WRITE, 0, &inheritable, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL, NULL);
    if (*child_end == INVALID_HANDLE_VALUE) {
        *child_end = NULL;
        return GetLastError();
    }
    stream->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    return stream->event == NULL ? GetLastError() : 0;
}

// An inheritable handle to a file the child uses as a standard stream instead of a pipe.
static DWORD open_redirect(const char *path, int child_reads, HANDLE *child_end) {
    wchar_t *wide = win_path(path);
    if (wide == NULL) return GetLastError();
    SECURITY_ATTRIBUTES inheritable = {sizeof inheritable, NULL, TRUE};
    *child_end = CreateFileW(wide, child_reads ? GENERIC_READ : GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &inheritable,
                             child_reads ? OPEN_EXISTING : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    free(wide);
    if (*child_end != INVALID_HANDLE_VALUE) return 0;
    *child_end = NULL;
    return GetLastError();
}

static void close_stream(struct stream *stream) {
    if (stream->pipe != NULL) {
        if (stream->pending) {
            DWORD ignored;
            CancelIoEx(stream->pipe, &stream->overlapped);
            GetOverlappedResult(stream->pipe, &stream->overlapped, &ignored, TRUE);
            stream->pending = 0;
        }
        CloseHandle(stream->pipe);
        stream->pipe = NULL;
    }
}

static void free_process(struct wincni_process *process) {
    for (int i = 0; i < 3; i++) {
        close_stream(&process->streams[i]);
        if (process->streams[i].event != NULL) CloseHandle(process->streams[i].event);
        free(process->streams[i].data);
        free(process->streams[i].input);
    }
    if (process->process != NULL) CloseHandle(process->process);
    if (process->job != NULL) CloseHandle(process->job);
    free(process);
}

wincni_status wincni_process_start(const wincni_spawn_options *options, wincni_process **result) {
    *result = NULL;
    if (options == NULL || options->executable == NULL || options->input_count < 0 ||
        (options->input_count > 0 && options->input == NULL && options->input_path == NULL) ||
        (options->arguments != NULL &&
         (options->arguments_size <= 0 || options->arguments[options->arguments_size - 1] != 0)) ||
        (options->environment != NULL && options->environment_size > 0 &&
         options->environment[options->environment_size - 1] != 0)) {
        return own_status(WINCNI_E_INVALID);
    }
    struct wincni_process *process = calloc(1, sizeof *process);
    if (process == NULL) return status_of(ERROR_NOT_ENOUGH_MEMORY);
    DWORD code = 0;
    wchar_t *application = NULL, *line = NULL, *block = NULL, **argv = NULL;
    int32_t argc = 0;
    HANDLE child[3] = {NULL, NULL, NULL};
    LPPROC_THREAD_ATTRIBUTE_LIST attributes = NULL;
    PROCESS_INFORMATION started = {NULL, NULL, 0, 0};

    application = win_path(options->executable);
    if (application == NULL) goto failed;
    // CreateProcessW takes the program without the \\?\ prefix where the path is short enough to need none.
    if (wcslen(application) < MAX_PATH + 4 && wcsncmp(application, L"\\\\?\\", 4) == 0 && application[5] == L':') {
        memmove(application, application + 4, (wcslen(application) - 3) * sizeof(wchar_t));
    }
    if (options->arguments != NULL) {
        argv = wide_strings(options->arguments, options->arguments_size, &argc);
    } else {
        argv = wide_strings(options->executable, (int64_t)strlen(options->executable) + 1, &argc);
    }
    if (argv == NULL) goto failed;
    line = command_line(argv, argc);
    if (line == NULL) goto failed;
    if (options->environment != NULL) {
        block = environment_block(options->environment, options->environment_size);
        if (block == NULL) goto failed;
    }

    // The job: whatever the child starts is in it too, and closing its last handle kills them all.
    process->job = CreateJobObjectW(NULL, NULL);
    if (process->job == NULL) goto failed;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    memset(&limits, 0, sizeof limits);
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(process->job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) goto failed;

    int64_t limit = options->output_limit > 0 ? options->output_limit : (int64_t)16 << 20;
    const char *redirects[3] = {options->input_path, options->output_path, options->error_path};
    for (int i = 0; i < 3; i++) {
        process->streams[i].limit = limit;
        code = redirects[i] != NULL ? open_redirect(redirects[i], i == 0, &child[i])
                                    : make_pipe(&process->streams[i], &child[i], i == 0);
        if (code != 0) goto done;
    }
    if (options->input_path == NULL && options->input_count > 0) {
        process->streams[0].input = malloc((size_t)options->input_count);
        if (process->streams[0].input == NULL) {
            code = ERROR_NOT_ENOUGH_MEMORY;
            goto done;
        }
        memcpy(process->streams[0].input, options->input, (size_t)options->input_count);
        process->streams[0].input_count = options->input_count;
    }

    // Only the three standard handles are inherited, so a child started meanwhile by another thread never holds this
    // child's pipes open.
    SIZE_T attributes_size = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &attributes_size);
    attributes = malloc(attributes_size);
    if (attributes == NULL) {
        code = ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    if (!InitializeProcThreadAttributeList(attributes, 1, 0, &attributes_size)) {
        free(attributes);
        attributes = NULL;
        goto failed;
    }
    if (!UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, child, sizeof child, NULL,
                                   NULL)) {
        goto failed;
    }
    STARTUPINFOEXW startup;
    memset(&startup, 0, sizeof startup);
    startup.StartupInfo.cb = sizeof startup;
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = child[0];
    startup.StartupInfo.hStdOutput = child[1];
    startup.StartupInfo.hStdError = child[2];
    startup.lpAttributeList = attributes;
    // Suspended until it is in the job, so not even its first instruction runs outside it.
    DWORD creation = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT;
    if (!CreateProcessW(application, line, NULL, NULL, TRUE, creation, block, NULL, &startup.StartupInfo, &started)) {
        goto failed;
    }
    process->process = started.hProcess;
    process->identifier = started.dwProcessId;
    if (!AssignProcessToJobObject(process->job, started.hProcess)) {
        code = GetLastError();
        TerminateProcess(started.hProcess, 1);
        WaitForSingleObject(started.hProcess, INFINITE);
        goto done;
    }
    ResumeThread(started.hThread);
    if (process->streams[0].pipe != NULL && process->streams[0].input_count == 0) close_stream(&process->streams[0]);
    goto done;
failed:
    code = GetLastError();
    if (code == 0) code = ERROR_INVALID_PARAMETER;
done:
    for (int i = 0; i < 3; i++) {
        if (child[i] != NULL) CloseHandle(child[i]);
    }
    if (started.hThread != NULL) CloseHandle(started.hThread);
    if (attributes != NULL) DeleteProcThreadAttributeList(attributes);
    free(attributes);
    free(application);
    free(line);
    free(block);
    free_strings(argv, argc);
    if (code != 0) {
        free_process(process);
        return status_of(code);
    }
    *result = process;
    return success;
}

// Takes `got` bytes just read into a stdout / stderr stream, keeping them up to its limit.
static void keep(struct stream *stream, DWORD got) {
    int64_t room = stream->limit - stream->length;
    int64_t take = (int64_t)got < room ? (int64_t)got : room;
    if (take <= 0) return;
    if (stream->length + take > stream->capacity) {
        int64_t capacity = stream->capacity == 0 ? 65536 : stream->capacity;
        while (capacity < stream->length + take) capacity *= 2;
        uint8_t *grown = realloc(stream->data, (size_t)capacity);
        if (grown == NULL) return;  // out of memory: the output is cut here
        stream->data = grown;
        stream->capacity = capacity;
    }
    memcpy(stream->data + stream->length, stream->chunk, (size_t)take);
    stream->length += take;
}

// Takes the result of a finished read or write on `stream` (index 0 stdin, else an output).
static void finish(struct stream *stream, int index, BOOL done, DWORD transferred) {
    stream->pending = 0;
    if (!done) {
        // ERROR_BROKEN_PIPE / ERROR_NO_DATA: the child closed its end (or exited). For stdin that just loses the
        // rest, as SIGPIPE-ignoring writers do on POSIX.
        close_stream(stream);
        return;
    }
    if (index == 0) {
        stream->written += transferred;
        if (stream->written >= stream->input_count) close_stream(stream);
    } else if (transferred == 0) {
        close_stream(stream);
    } else {
        keep(stream, transferred);
    }
}

// Starts the next read or write on `stream` if none is pending; one that completes at once is taken in.
static void issue(struct stream *stream, int index) {
    while (stream->pipe != NULL && !stream->pending) {
        memset(&stream->overlapped, 0, sizeof stream->overlapped);
        stream->overlapped.hEvent = stream->event;
        ResetEvent(stream->event);
        DWORD transferred = 0;
        BOOL done;
        if (index == 0) {
            int64_t left = stream->input_count - stream->written;
            DWORD chunk = left > 65536 ? 65536 : (DWORD)left;
            done = WriteFile(stream->pipe, stream->input + stream->written, chunk, NULL, &stream->overlapped);
        } else {
            done = ReadFile(stream->pipe, stream->chunk, sizeof stream->chunk, NULL, &stream->overlapped);
        }
        if (!done && GetLastError() == ERROR_IO_PENDING) {
            stream->pending = 1;
            return;
        }
        if (done) done = GetOverlappedResult(stream->pipe, &stream->overlapped, &transferred, FALSE);
        finish(stream, index, done, transferred);
    }
}

// After the child's exit: what it wrote before exiting is in the pipes' buffers; take that, without waiting for an
// end of file that a grandchild holding the pipe could delay.
static void drain(struct stream *stream, int index) {
    for (int rounds = 0; stream->pipe != NULL && rounds < 1024; rounds++) {
        if (stream->pending) {
            DWORD transferred = 0;
            BOOL done = GetOverlappedResult(stream->pipe, &stream->overlapped, &transferred, FALSE);
            if (!done && GetLastError() == ERROR_IO_INCOMPLETE) {
                DWORD available = 0;
                if (!PeekNamedPipe(stream->pipe, NULL, 0, NULL, &available, NULL) || available == 0) break;
                // Data has arrived; the pending read takes it promptly.
                WaitForSingleObject(stream->event, 100);
                continue;
            }
            finish(stream, index, done, transferred);
        } else {
            issue(stream, index);
        }
    }
    close_stream(stream);
}

wincni_status wincni_process_wait(wincni_process *process, int64_t timeout_milliseconds, int32_t *exit_code) {
    *exit_code = 0;
    if (process == NULL) return own_status(WINCNI_E_INVALID);
    ULONGLONG deadline = timeout_milliseconds < 0 ? 0 : GetTickCount64() + (ULONGLONG)timeout_milliseconds;
    while (!process->exited) {
        HANDLE waits[4];
        int owners[4];
        DWORD count = 0;
        waits[count] = process->process;
        owners[count++] = -1;
        for (int i = 0; i < 3; i++) {
            issue(&process->streams[i], i);
            if (process->streams[i].pending) {
                waits[count] = process->streams[i].event;
                owners[count++] = i;
            }
        }
        DWORD wait = INFINITE;
        if (timeout_milliseconds >= 0) {
            ULONGLONG now = GetTickCount64();
            wait = now >= deadline ? 0 : (DWORD)(deadline - now);
        }
        DWORD woke = WaitForMultipleObjects(count, waits, FALSE, wait);
        if (woke == WAIT_TIMEOUT) return status_of(WAIT_TIMEOUT);
        if (woke == WAIT_FAILED) return last_status();
        int owner = owners[woke - WAIT_OBJECT_0];
        if (owner < 0) {
            process->exited = 1;
            GetExitCodeProcess(process->process, &process->exit_code);
            break;
        }
        struct stream *stream = &process->streams[owner];
        DWORD transferred = 0;
        BOOL done = GetOverlappedResult(stream->pipe, &stream->overlapped, &transferred, FALSE);
        finish(stream, owner, done, transferred);
    }
    // Whatever the child left running goes now (the job's KILL_ON_JOB_CLOSE would take it at close anyway), and its
    // stdin is of no more use.
    TerminateJobObject(process->job, 1);
    close_stream(&process->streams[0]);
    drain(&process->streams[1], 1);
    drain(&process->streams[2], 2);
    *exit_code = (int32_t)process->exit_code;
    return success;
}

wincni_status wincni_process_kill(wincni_process *process) {
    if (process == NULL) return own_status(WINCNI_E_INVALID);
    if (process->exited) return success;
    return TerminateJobObject(process->job, 1) ? success : last_status();
}

int64_t wincni_process_identifier(const wincni_process *process) {
    return process == NULL ? 0 : (int64_t)process->identifier;
}

void wincni_process_output(const wincni_process *process, int32_t stream, const uint8_t **bytes, int64_t *count) {
    *bytes = NULL;
    *count = 0;
    if (process == NULL || (stream != WINCNI_STDOUT && stream != WINCNI_STDERR)) return;
    *bytes = process->streams[stream].data;
    *count = process->streams[stream].length;
}

void wincni_process_close(wincni_process *process) {
    if (process == NULL) return;
    if (!process->exited) {
        TerminateJobObject(process->job, 1);
        WaitForSingleObject(process->process, INFINITE);
    }
    free_process(process);
}

int64_t wincni_current_process_identifier(void) { return (int64_t)GetCurrentProcessId(); }

static _Thread_local void *thread_slot;

void *wincni_thread_slot(void) { return thread_slot; }

void wincni_set_thread_slot(void *value) { thread_slot = value; }

void wincni_exit_immediately(int32_t status) { TerminateProcess(GetCurrentProcess(), (UINT)status); }

// MARK: - Environment, standard streams, clocks

wincni_status wincni_environment(char **block, int64_t *size) {
    *block = NULL;
    *size = 0;
    wchar_t *strings = GetEnvironmentStringsW();
    if (strings == NULL) return last_status();
    size_t capacity = 1, used = 0;
    for (const wchar_t *entry = strings; *entry != 0; entry += wcslen(entry) + 1) {
        capacity += wcslen(entry) * 3 + 1;
    }
    char *out = malloc(capacity);
    if (out == NULL) {
        FreeEnvironmentStringsW(strings);
        return status_of(ERROR_NOT_ENOUGH_MEMORY);
    }
    for (const wchar_t *entry = strings; *entry != 0; entry += wcslen(entry) + 1) {
        if (entry[0] == L'=') continue;  // "=C:=C:\dir": the per-drive working directories, not variables
        int written = WideCharToMultiByte(CP_UTF8, 0, entry, -1, out + used, (int)(capacity - used), NULL, NULL);
        if (written > 0) used += (size_t)written;
    }
    FreeEnvironmentStringsW(strings);
    out[used] = 0;
    *block = out;
    *size = (int64_t)used;
    return success;
}

wincni_status wincni_get_environment(const char *name, char **value) {
    *value = NULL;
    wchar_t *wide = utf16_from_utf8(name);
    if (wide == NULL) return last_status();
    SetLastError(0);
    DWORD needed = GetEnvironmentVariableW(wide, NULL, 0);
    DWORD code = needed == 0 ? GetLastError() : 0;
    if (needed == 0 && code == 0) {
        // Set but empty.
        free(wide);
        *value = calloc(1, 1);
        return *value == NULL ? status_of(ERROR_NOT_ENOUGH_MEMORY) : success;
    }
    wchar_t *buffer = code == 0 ? malloc((size_t)needed * sizeof(wchar_t)) : NULL;
    if (code == 0 && buffer == NULL) code = ERROR_NOT_ENOUGH_MEMORY;
    if (code == 0) {
        SetLastError(0);
        DWORD length = GetEnvironmentVariableW(wide, buffer, needed);
        if ((length == 0 && GetLastError() != 0) || length >= needed) {
            code = length == 0 ? GetLastError() : ERROR_BUFFER_OVERFLOW;
        } else {
            *value = utf8_from_utf16(buffer, (int)length, NULL);
            if (*value == NULL) code = GetLastError();
        }
    }
    free(buffer);
    free(wide);
    return status_of(code);
}

wincni_status wincni_set_environment(const char *name, const char *value) {
    if (name == NULL || name[0] == 0 || strchr(name, '=') != NULL) return own_status(WINCNI_E_INVALID);
    wchar_t *wide_name = utf16_from_utf8(name);
    wchar_t *wide_value = value == NULL ? NULL : utf16_from_utf8(value);
    DWORD code = 0;
    if (wide_name == NULL || (value != NULL && wide_value == NULL)) {
        code = GetLastError();
    } else if (!SetEnvironmentVariableW(wide_name, wide_value)) {
        code = GetLastError();
        if (value == NULL && code == ERROR_ENVVAR_NOT_FOUND) code = 0;
    }
    free(wide_name);
    free(wide_value);
    return status_of(code);
}

wincni_status wincni_read_standard_input(int64_t limit, uint8_t **bytes, int64_t *count) {
    *bytes = NULL;
    *count = 0;
    HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
    if (input == NULL || input == INVALID_HANDLE_VALUE || GetFileType(input) == FILE_TYPE_CHAR) {
        *bytes = calloc(1, 1);
        return *bytes == NULL ? status_of(ERROR_NOT_ENOUGH_MEMORY) : success;
    }
    return read_to_end(input, limit, 0, bytes, count);
}

wincni_status wincni_write_standard(int32_t stream, const uint8_t *bytes, int64_t count) {
    if (stream != WINCNI_STDOUT && stream != WINCNI_STDERR) return own_status(WINCNI_E_INVALID);
    HANDLE output = GetStdHandle(stream == WINCNI_STDOUT ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
    if (output == NULL || output == INVALID_HANDLE_VALUE) return status_of(ERROR_INVALID_HANDLE);
    return status_of(write_all(output, bytes, count));
}

int64_t wincni_monotonic_nanoseconds(void) {
    static LARGE_INTEGER frequency;
    if (frequency.QuadPart == 0) QueryPerformanceFrequency(&frequency);
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    int64_t seconds = now.QuadPart / frequency.QuadPart, rest = now.QuadPart % frequency.QuadPart;
    return seconds * INT64_C(1000000000) + rest * INT64_C(1000000000) / frequency.QuadPart;
}

int64_t wincni_wall_clock_nanoseconds(void) {
    FILETIME now;
    GetSystemTimePreciseAsFileTime(&now);
    return unix_nanoseconds(now);
}

void wincni_sleep_milliseconds(int64_t milliseconds) {
    if (milliseconds <= 0) return;
    // Sleep takes a DWORD, where INFINITE (0xFFFFFFFF) means forever; longer sleeps go in steps.
    while (milliseconds > 0) {
        DWORD step = milliseconds > 0x7FFFFFFF ? 0x7FFFFFFF : (DWORD)milliseconds;
        Sleep(step);
        milliseconds -= step;
    }
}

// MARK: - The HCN entry points

static const char *const hcn_entry_names[WINCNI_HCN_ENTRY_COUNT] = {
    "HcnEnumerateNetworks",       "HcnCreateNetwork",        "HcnOpenNetwork",     "HcnModifyNetwork",
    "HcnQueryNetworkProperties",  "HcnDeleteNetwork",        "HcnCloseNetwork",    "HcnEnumerateEndpoints",
    "HcnCreateEndpoint",          "HcnOpenEndpoint",         "HcnModifyEndpoint",  "HcnQueryEndpointProperties",
    "HcnDeleteEndpoint",          "HcnCloseEndpoint",        "HcnEnumerateNamespaces", "HcnCreateNamespace",
    "HcnOpenNamespace",           "HcnModifyNamespace",      "HcnQueryNamespaceProperties", "HcnDeleteNamespace",
    "HcnCloseNamespace",          "HNSCall",                 "CoTaskMemFree",
};

int32_t wincni_hcn_load(void *entries[WINCNI_HCN_ENTRY_COUNT], char *failure, int32_t failure_capacity) {
    static const wchar_t *const libraries[3] = {L"computenetwork.dll", L"vmcompute.dll", L"ole32.dll"};
    static const char *const library_names[3] = {"computenetwork.dll", "vmcompute.dll", "ole32.dll"};
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) entries[i] = NULL;
    if (failure != NULL && failure_capacity > 0) failure[0] = 0;
    HMODULE modules[3];
    for (int library = 0; library < 3; library++) {
        // System32 only: a DLL of the same name next to the executable or in the working directory is never loaded.
        modules[library] = LoadLibraryExW(libraries[library], NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
        if (modules[library] == NULL) {
            DWORD code = GetLastError();
            if (failure != NULL && failure_capacity > 0) {
                snprintf(failure, (size_t)failure_capacity, "%s!", library_names[library]);
            }
            return (int32_t)(code == 0 ? ERROR_MOD_NOT_FOUND : code);
        }
    }
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) {
        // 0-20 computenetwork.dll, 21 HNSCall from vmcompute.dll, 22 CoTaskMemFree from ole32.dll.
        int library = i < WINCNI_HCN_ENTRY_COUNT - 2 ? 0 : i == WINCNI_HCN_ENTRY_COUNT - 2 ? 1 : 2;
        FARPROC address = GetProcAddress(modules[library], hcn_entry_names[i]);
        if (address == NULL) {
            DWORD code = GetLastError();
            if (failure != NULL && failure_capacity > 0) {
                snprintf(failure, (size_t)failure_capacity, "%s!%s", library_names[library], hcn_entry_names[i]);
            }
            for (int j = 0; j < WINCNI_HCN_ENTRY_COUNT; j++) entries[j] = NULL;
            return (int32_t)(code == 0 ? ERROR_PROC_NOT_FOUND : code);
        }
        // A code address in a data pointer: the table's Swift side casts each back to its C function type.
        memcpy(&entries[i], &address, sizeof entries[i]);
    }
    return 0;
}

#endif
