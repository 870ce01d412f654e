// The platform layer's tests: one source, compiled natively against posix.c and with mingw against win32.c, run
// natively and under wine (make windows-check). It starts copies of itself as the other processes (locks held
// elsewhere, readers, racing creators, children and grandchildren), always through the platform layer's own spawn.
// Ends with "N passed, N failed"; the exit status is 0 only when nothing failed.
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L  // fork, kill, execl under -std=c11
#endif
#if defined(_WIN32)
#include <windows.h>
#else
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wincni_platform.h"

static int passed, failed;
static char self[1024];
static char directory[1024];

#define CHECK(condition, ...)                                                                                          \
    do {                                                                                                               \
        if (condition) {                                                                                               \
            passed++;                                                                                                  \
        } else {                                                                                                       \
            failed++;                                                                                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                                \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
            fflush(stdout);                                                                                            \
        }                                                                                                              \
    } while (0)

static const char *kind_name(int32_t kind) {
    static const char *const names[] = {"OK",       "NOT_FOUND", "EXISTS",  "NOT_DIRECTORY", "IS_DIRECTORY", "ACCESS",
                                        "WOULD_BLOCK", "TIMED_OUT", "INVALID", "TOO_LONG",   "OTHER",        "UNSUPPORTED",
                                        "NOT_REGULAR", "LINKED"};
    return kind >= 0 && kind <= 13 ? names[kind] : "?";
}

#define CHECK_OK(status, what)                                                                                         \
    do {                                                                                                               \
        wincni_status checked_ = (status);                                                                             \
        char text_[256];                                                                                               \
        wincni_native_error_text(checked_.native, text_, sizeof text_);                                               \
        CHECK(checked_.kind == WINCNI_OK, "%s: %s (native %ld: %s)", what, kind_name(checked_.kind),                   \
              (long)checked_.native, text_);                                                                           \
    } while (0)

// A path inside the test's temporary directory, with the platform's separator.
static const char *in_directory(const char *name) {
    static char paths[8][4096];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 4096, "%s%c%s", directory, wincni_platform().path_separator, name);
    return path;
}

static int exists(const char *path) {
    wincni_file_info info;
    return wincni_file_information(path, &info).kind == WINCNI_OK;
}

static void wait_for_file(const char *path) {
    for (int i = 0; i < 2000 && !exists(path); i++) wincni_sleep_milliseconds(5);
}

static int64_t milliseconds_since(int64_t start) { return (wincni_monotonic_nanoseconds() - start) / 1000000; }

// MARK: - the test's own child processes

// Each child mode is `platform_test <mode> args...`; its exit status is what the parent checks.
static int child_main(int argc, char **argv) {
    const char *mode = argv[1];
    if (strcmp(mode, "try-lock") == 0 && argc == 3) {
        // Exit 3 when the store lock is held elsewhere, 0 when this process got it.
        wincni_lock lock = 0;
        wincni_status status = wincni_lock_file(argv[2], WINCNI_LOCK_NO_WAIT, &lock);
        wincni_unlock(lock);
        return status.kind == WINCNI_E_WOULD_BLOCK ? 3 : status.kind == WINCNI_OK ? 0 : 10 + status.kind;
    }
    if (strcmp(mode, "try-range") == 0 && argc == 4) {
        wincni_lock lock = 0;
        wincni_status status = wincni_lock_range(argv[2], strtoull(argv[3], NULL, 10), WINCNI_LOCK_NO_WAIT, &lock);
        wincni_unlock(lock);
        return status.kind == WINCNI_E_WOULD_BLOCK ? 3 : status.kind == WINCNI_OK ? 0 : 10 + status.kind;
    }
    if (strcmp(mode, "hold-lock") == 0 && argc == 5) {
        // Takes the store lock, says so with a marker file, holds it, and exits without unlocking.
        wincni_lock lock = 0;
        if (wincni_lock_file(argv[2], 0, &lock).kind != WINCNI_OK) return 2;
        if (wincni_write_file(argv[3], (const uint8_t *)"held", 4, 0, 0600).kind != WINCNI_OK) return 2;
        wincni_sleep_milliseconds(atoi(argv[4]));
        return 0;
    }
    if (strcmp(mode, "hold-lock") == 0 && argc == 6) {
        // As above, and notes argv[5] just before it exits: whoever gets the lock after this process finds the note.
        wincni_lock lock = 0;
        if (wincni_lock_file(argv[2], 0, &lock).kind != WINCNI_OK) return 2;
        if (wincni_write_file(argv[3], (const uint8_t *)"held", 4, 0, 0600).kind != WINCNI_OK) return 2;
        wincni_sleep_milliseconds(atoi(argv[4]));
        if (wincni_write_file(argv[5], (const uint8_t *)"done", 4, 0, 0600).kind != WINCNI_OK) return 2;
        return 0;
    }
    if (strcmp(mode, "wait-lock") == 0 && argc == 4) {
        // Waits for the store lock; exit 0 when the holder's note argv[3] (written before it let go) is there by
        // then, 4 when this process got the lock before the holder said it was letting go.
        wincni_lock lock = 0;
        wincni_status status = wincni_lock_file(argv[2], 0, &lock);
        if (status.kind != WINCNI_OK) return 10 + status.kind;
        int noted = exists(argv[3]);
        wincni_unlock(lock);
        return noted ? 0 : 4;
    }
    if (strcmp(mode, "hold-open") == 0 && argc == 5) {
        // Holds the file open for reading the way wincni_read_file opens it, then closes it.
#if defined(_WIN32)
        wchar_t wide[4096];
        MultiByteToWideChar(CP_UTF8, 0, argv[2], -1, wide, 4096);
        HANDLE file = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                                  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
        if (file == INVALID_HANDLE_VALUE) return 2;
#else
        FILE *file = fopen(argv[2], "rb");
        if (file == NULL) return 2;
#endif
        if (wincni_write_file(argv[3], (const uint8_t *)"open", 4, 0, 0600).kind != WINCNI_OK) return 2;
        wincni_sleep_milliseconds(atoi(argv[4]));
#if defined(_WIN32)
        CloseHandle(file);
#else
        fclose(file);
#endif
        return 0;
    }
    if (strcmp(mode, "create") == 0 && argc == 5) {
        // Waits for the start signal, then races the others to create argv[2] with its own name.
        wait_for_file(argv[3]);
        wincni_status status = wincni_write_file(argv[2], (const uint8_t *)argv[4], (int64_t)strlen(argv[4]),
                                                 WINCNI_WRITE_EXCLUSIVE, 0600);
        return status.kind == WINCNI_OK ? 0 : status.kind == WINCNI_E_EXISTS ? 4 : 10 + status.kind;
    }
    if (strcmp(mode, "cat") == 0) {
        // stdin to stdout, its length to stderr.
        uint8_t *bytes = NULL;
        int64_t count = 0;
        if (wincni_read_standard_input((int64_t)64 << 20, &bytes, &count).kind != WINCNI_OK) return 2;
        wincni_write_standard(WINCNI_STDOUT, bytes, count);
        char length[32];
        int written = snprintf(length, sizeof length, "%lld", (long long)count);
        wincni_write_standard(WINCNI_STDERR, (const uint8_t *)length, written);
        wincni_free(bytes);
        return 0;
    }
    if (strcmp(mode, "exit") == 0 && argc == 3) return atoi(argv[2]);
    if (strcmp(mode, "sleep") == 0 && argc == 3) {
        wincni_sleep_milliseconds(atoi(argv[2]));
        return 0;
    }
    if (strcmp(mode, "args") == 0) {
        // Each argument after the mode, then a newline.
        for (int i = 2; i < argc; i++) {
            wincni_write_standard(WINCNI_STDOUT, (const uint8_t *)argv[i], (int64_t)strlen(argv[i]));
            wincni_write_standard(WINCNI_STDOUT, (const uint8_t *)"\n", 1);
        }
        return 0;
    }
    if (strcmp(mode, "env") == 0 && argc == 3) {
        char *value = NULL;
        wincni_status status = wincni_get_environment(argv[2], &value);
        if (status.kind == WINCNI_E_NOT_FOUND) return 5;
        if (status.kind != WINCNI_OK) return 2;
        wincni_write_standard(WINCNI_STDOUT, (const uint8_t *)value, (int64_t)strlen(value));
        wincni_free(value);
        return 0;
    }
    if (strcmp(mode, "parent") == 0 && argc == 3) {
        // Starts a long-sleeping grandchild the ordinary way a plugin would (fork/exec; CreateProcessW), not through
        // the platform layer, writes its process ID to argv[2], and sleeps itself.
        long long pid = 0;
#if defined(_WIN32)
        wchar_t program[1024], line[1200];
        MultiByteToWideChar(CP_UTF8, 0, self, -1, program, 1024);
        _snwprintf(line, 1200, L"\"%ls\" sleep 60000", program);
        line[1199] = 0;
        STARTUPINFOW startup;
        memset(&startup, 0, sizeof startup);
        startup.cb = sizeof startup;
        PROCESS_INFORMATION started;
        if (!CreateProcessW(NULL, line, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &startup, &started)) return 2;
        pid = (long long)started.dwProcessId;
        CloseHandle(started.hThread);
        CloseHandle(started.hProcess);
#else
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            execl(self, self, "sleep", "60000", (char *)NULL);
            _exit(127);
        }
        pid = (long long)child;
#endif
        char text[32];
        int written = snprintf(text, sizeof text, "%lld", pid);
        if (wincni_write_file(argv[2], (const uint8_t *)text, written, WINCNI_WRITE_ATOMIC, 0600).kind != WINCNI_OK) {
            return 2;
        }
        wincni_sleep_milliseconds(60000);
        return 0;
    }
    return 99;
}

// MARK: - helpers for the parent

// argv as the platform layer takes it: NUL-terminated strings one after the other, argv[0] = this program.
static int64_t arguments_block(char *block, int64_t capacity, const char *const *arguments, int count) {
    int64_t at = 0;
    size_t length = strlen(self) + 1;
    memcpy(block, self, length);
    at += (int64_t)length;
    for (int i = 0; i < count; i++) {
        length = strlen(arguments[i]) + 1;
        if (at + (int64_t)length > capacity) break;
        memcpy(block + at, arguments[i], length);
        at += (int64_t)length;
    }
    return at;
}

// Starts this program with `arguments`; the process is the caller's to wait for and close.
static wincni_process *start(const char *const *arguments, int count, const uint8_t *input, int64_t input_count,
                             const char *environment, int64_t environment_size) {
    static char block[16384];
    wincni_spawn_options options;
    memset(&options, 0, sizeof options);
    options.executable = self;
    options.arguments = block;
    options.arguments_size = arguments_block(block, sizeof block, arguments, count);
    options.input = input;
    options.input_count = input_count;
    options.environment = environment;
    options.environment_size = environment_size;
    wincni_process *process = NULL;
    CHECK_OK(wincni_process_start(&options, &process), "start a child");
    return process;
}

// Runs this program with `arguments` to its end and returns its exit status (-1 when it could not run).
static int32_t run(const char *const *arguments, int count) {
    wincni_process *process = start(arguments, count, NULL, 0, NULL, 0);
    if (process == NULL) return -1;
    int32_t code = -1;
    CHECK_OK(wincni_process_wait(process, 60000, &code), "wait for a child");
    wincni_process_close(process);
    return code;
}

// Whether the process `pid` is still running (a zombie counts as gone).
static int process_alive(int64_t pid) {
#if defined(_WIN32)
    HANDLE process = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
    if (process == NULL) return 0;
    int alive = WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
    CloseHandle(process);
    return alive;
#else
    if (kill((pid_t)pid, 0) != 0) return errno != ESRCH;
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *stat = fopen(path, "r");
    if (stat != NULL) {
        if (fscanf(stat, "%*d (%*[^)]) %c", &state) != 1) state = 0;
        fclose(stat);
    }
    return state != 'Z';
#endif
}

// MARK: - tests

static void test_store_lock_between_processes(void) {
    const char *lock_path = in_directory("lock");
    wincni_lock lock = 0;
    CHECK_OK(wincni_lock_file(lock_path, WINCNI_LOCK_NO_WAIT, &lock), "take the store lock");
    const char *try_lock[] = {"try-lock", lock_path};
    CHECK(run(try_lock, 2) == 3, "another process got the store lock while this one held it");
    wincni_lock second = 0;
    wincni_status status = wincni_lock_file(lock_path, WINCNI_LOCK_NO_WAIT, &second);
    CHECK(status.kind == WINCNI_E_WOULD_BLOCK, "a second open in the same process got the lock: %s",
          kind_name(status.kind));
    wincni_unlock(second);
    // The store lock's byte and a per-container range never conflict, in either order.
    wincni_lock range = 0;
    CHECK_OK(wincni_lock_range(lock_path, WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 7, WINCNI_LOCK_NO_WAIT, &range),
             "a per-container range next to the held store lock");
    int32_t held = 0;
    CHECK_OK(wincni_range_is_locked(lock_path, WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 7, &held), "ask about a range");
    CHECK(held == 1, "a held range reads as free");
    CHECK_OK(wincni_range_is_locked(lock_path, WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 8, &held), "ask about a range");
    CHECK(held == 0, "a free range reads as held");
    held = 1;
    CHECK_OK(wincni_range_is_locked(in_directory("no-such-lock"), WINCNI_LOCK_RANGE_MINIMUM_OFFSET, &held),
             "ask about a missing lock file");
    CHECK(held == 0, "a missing lock file reads as held");
    char offset[32];
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)(WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 7));
    const char *try_range[] = {"try-range", lock_path, offset};
    CHECK(run(try_range, 3) == 3, "another process got a held per-container range");
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)(WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 8));
    CHECK(run(try_range, 3) == 0, "another process was refused a free per-container range");
    wincni_lock low = 0;
    status = wincni_lock_range(lock_path, 0, WINCNI_LOCK_NO_WAIT, &low);
    CHECK(status.kind == WINCNI_E_INVALID, "a range on the store lock's byte was allowed: %s",
          kind_name(status.kind));
    wincni_unlock(lock);
    CHECK(run(try_lock, 2) == 0, "the store lock stayed held after unlock");
    wincni_unlock(range);
}

// The store lock taken through a held range lock's open file (wincni_lock_file_through): it excludes other
// processes' store locks, waiting and not, both ways; releasing it keeps the range held; and it is not taken through
// the handle once the name no longer leads to that file.
static void test_store_lock_through_range(void) {
    char lock_path[4096], released[4096], held_marker[4096], done[4096];
    snprintf(lock_path, sizeof lock_path, "%s", in_directory("lock-through"));
    snprintf(released, sizeof released, "%s", in_directory("lock-through.released"));
    snprintf(held_marker, sizeof held_marker, "%s", in_directory("lock-through.held"));
    snprintf(done, sizeof done, "%s", in_directory("lock-through.done"));
    uint64_t byte = WINCNI_LOCK_RANGE_MINIMUM_OFFSET + 11;
    char offset[32];
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)byte);
    const char *try_lock[] = {"try-lock", lock_path};
    const char *try_range[] = {"try-range", lock_path, offset};

    wincni_lock range = 0;
    CHECK_OK(wincni_lock_range(lock_path, byte, WINCNI_LOCK_NO_WAIT, &range), "take a per-container range");
    int32_t shared = 0;
    CHECK_OK(wincni_lock_file_through(range, lock_path, WINCNI_LOCK_NO_WAIT, &shared),
             "take the store lock through the range's file");
    CHECK(shared == 1, "the store lock was not taken through the range's file");
    CHECK(run(try_lock, 2) == 3, "another process got the store lock held through a range's file");
    wincni_lock second = 0;
    wincni_status status = wincni_lock_file(lock_path, WINCNI_LOCK_NO_WAIT, &second);
    CHECK(status.kind == WINCNI_E_WOULD_BLOCK, "another open in this process got the store lock: %s",
          kind_name(status.kind));
    wincni_unlock(second);
    // A waiting store lock of another process gets it only after the release (the note comes just before it).
    const char *wait_lock[] = {"wait-lock", lock_path, released};
    wincni_process *waiter = start(wait_lock, 3, NULL, 0, NULL, 0);
    if (waiter != NULL) {
        wincni_sleep_milliseconds(300);  // time for a lock that does not exclude it to let the waiter through
        CHECK_OK(wincni_write_file(released, (const uint8_t *)"now", 3, 0, 0600), "note the release");
        wincni_unlock_file_through(range);
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(waiter, 30000, &code), "wait for the waiting process");
        CHECK(code == 0, "the waiting process got the store lock while it was held through the range (exit %d)",
              (int)code);
        wincni_process_close(waiter);
    }
    // The range stayed held; the store lock is free.
    CHECK(run(try_range, 3) == 3, "releasing the store lock released the range lock of the same file");
    int32_t held = 0;
    CHECK_OK(wincni_range_is_locked(lock_path, byte, &held), "ask about the range");
    CHECK(held == 1, "the range reads as free after the store lock's release");
    CHECK(run(try_lock, 2) == 0, "the store lock stayed held after its release");

    // The other way: another process holds the store lock; through the range it is refused, then waited for.
    const char *hold[] = {"hold-lock", lock_path, held_marker, "500", done};
    wincni_process *holder = start(hold, 5, NULL, 0, NULL, 0);
    if (holder != NULL) {
        wait_for_file(held_marker);
        CHECK(exists(held_marker), "the holder never took the store lock");
        shared = 7;
        status = wincni_lock_file_through(range, lock_path, WINCNI_LOCK_NO_WAIT, &shared);
        CHECK(status.kind == WINCNI_E_WOULD_BLOCK && shared == 0,
              "the store lock through the range was not refused while another process held it: %s, shared %d",
              kind_name(status.kind), (int)shared);
        CHECK_OK(wincni_lock_file_through(range, lock_path, 0, &shared), "wait for the store lock through the range");
        CHECK(shared == 1 && exists(done), "the store lock through the range came before the holder let go");
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(holder, 30000, &code), "wait for the holder");
        CHECK(code == 0, "the holder exited %d", (int)code);
        wincni_process_close(holder);
        wincni_unlock_file_through(range);
    }
    wincni_unlock(range);
    CHECK(run(try_range, 3) == 0, "the range stayed held after its release");
    CHECK(run(try_lock, 2) == 0, "the store lock stayed held after the range's release");

    // A lock file removed while the range holds it: POSIX removes the name, and the store lock is then not the
    // held file's (*shared = 0, nothing locked); Windows refuses to remove a file open without FILE_SHARE_DELETE.
    CHECK_OK(wincni_lock_range(lock_path, byte, WINCNI_LOCK_NO_WAIT, &range), "take the range again");
    status = wincni_remove_file(lock_path);
#if defined(_WIN32)
    CHECK(status.kind != WINCNI_OK, "Windows removed a lock file that a handle without FILE_SHARE_DELETE holds");
    CHECK_OK(wincni_lock_file_through(range, lock_path, WINCNI_LOCK_NO_WAIT, &shared), "lock through the range");
    CHECK(shared == 1, "the store lock was not taken through the range's file");
    wincni_unlock_file_through(range);
#else
    CHECK_OK(status, "remove the lock file");
    shared = 7;
    CHECK_OK(wincni_lock_file_through(range, lock_path, WINCNI_LOCK_NO_WAIT, &shared), "lock a removed file");
    CHECK(shared == 0, "the store lock was taken through a file that the name no longer leads to");
    // Nothing was locked: another process makes the file again and gets its store lock.
    CHECK(run(try_lock, 2) == 0, "another process was refused the store lock of the new lock file");
    // The file made again in its place is another file too.
    CHECK_OK(wincni_lock_file_through(range, lock_path, WINCNI_LOCK_NO_WAIT, &shared), "lock a replaced file");
    CHECK(shared == 0, "the store lock was taken through a file that was replaced");
#endif
    wincni_unlock(range);
    wincni_lock invalid = 0;
    status = wincni_lock_file_through(invalid, lock_path, WINCNI_LOCK_NO_WAIT, &shared);
    CHECK(status.kind == WINCNI_E_INVALID, "a store lock through no lock was allowed: %s", kind_name(status.kind));
}

static void test_blocking_lock_waits(void) {
    const char *lock_path = in_directory("lock-wait");
    const char *marker = in_directory("lock-wait.held");
    const char *hold[] = {"hold-lock", lock_path, marker, "700"};
    wincni_process *holder = start(hold, 4, NULL, 0, NULL, 0);
    if (holder == NULL) return;
    wait_for_file(marker);
    CHECK(exists(marker), "the holder never took the lock");
    int64_t began = wincni_monotonic_nanoseconds();
    wincni_lock lock = 0;
    CHECK_OK(wincni_lock_file(lock_path, 0, &lock), "wait for the store lock");
    int64_t waited = milliseconds_since(began);
    CHECK(waited >= 300, "the blocking lock returned after %lld ms, while the holder kept it ~700 ms",
          (long long)waited);
    int32_t code = -1;
    CHECK_OK(wincni_process_wait(holder, 10000, &code), "wait for the holder");
    CHECK(code == 0, "the holder exited %d", (int)code);
    wincni_process_close(holder);
    wincni_unlock(lock);
}

static void test_replace_while_read(void) {
    const char *path = in_directory("replaced.json");
    const char *marker = in_directory("replaced.open");
    CHECK_OK(wincni_write_file(path, (const uint8_t *)"old", 3, WINCNI_WRITE_ATOMIC, 0600), "write the old content");
    const char *hold[] = {"hold-open", path, marker, "400"};
    wincni_process *reader = start(hold, 4, NULL, 0, NULL, 0);
    if (reader == NULL) return;
    wait_for_file(marker);
    CHECK(exists(marker), "the reader never opened the file");
    int64_t began = wincni_monotonic_nanoseconds();
    CHECK_OK(wincni_write_file(path, (const uint8_t *)"new content", 11, WINCNI_WRITE_ATOMIC | WINCNI_WRITE_DURABLE,
                               0600),
             "replace the file while another process reads it");
    // Windows (and wine) refuse the replace until the reader closes; POSIX renames at once.
    printf("replace with a reader holding the file took %lld ms\n", (long long)milliseconds_since(began));
    uint8_t *bytes = NULL;
    int64_t count = 0;
    CHECK_OK(wincni_read_file(path, 1024, &bytes, &count), "read the replaced file");
    CHECK(count == 11 && bytes != NULL && memcmp(bytes, "new content", 11) == 0, "the replace did not take");
    wincni_free(bytes);
    int32_t code = -1;
    CHECK_OK(wincni_process_wait(reader, 10000, &code), "wait for the reader");
    CHECK(code == 0, "the reader exited %d", (int)code);
    wincni_process_close(reader);
    // No temporary file is left beside it.
    char *names = NULL;
    int64_t size = 0, listed = 0;
    CHECK_OK(wincni_list_directory(directory, 0, &names, &size, &listed), "list the directory");
    for (int64_t at = 0; names != NULL && at < size; at += (int64_t)strlen(names + at) + 1) {
        CHECK(strstr(names + at, "replaced.json.") == NULL, "a temporary file was left: %s", names + at);
    }
    wincni_free(names);
}

/// wincni_write_file_noting describes the file that took the name: the same identity, modification time and size
/// as the name shows afterwards, and a later replace of the name is told apart by its identity.
static void test_write_noting(void) {
    const char *path = in_directory("noted.json");
    wincni_file_info written, shown, replaced;
    CHECK_OK(wincni_write_file_noting(path, (const uint8_t *)"first", 5, WINCNI_WRITE_EXCLUSIVE | WINCNI_WRITE_DURABLE,
                                      0600, &written),
             "create exclusively, noting the file");
    CHECK_OK(wincni_file_information(path, &shown), "describe the created file");
    CHECK(written.identity == shown.identity && written.modified_nanoseconds == shown.modified_nanoseconds &&
              written.size == 5 && shown.size == 5 && written.kind == WINCNI_KIND_REGULAR,
          "the noted file (identity %llu, size %lld) is not the one at the name (identity %llu, size %lld)",
          (unsigned long long)written.identity, (long long)written.size, (unsigned long long)shown.identity,
          (long long)shown.size);
    wincni_status again = wincni_write_file_noting(path, (const uint8_t *)"x", 1, WINCNI_WRITE_EXCLUSIVE, 0600, &written);
    CHECK(again.kind == WINCNI_E_EXISTS, "a second exclusive create: %s", kind_name(again.kind));
    CHECK_OK(wincni_write_file_noting(path, (const uint8_t *)"second", 6, WINCNI_WRITE_ATOMIC, 0600, &replaced),
             "replace atomically, noting the file");
    CHECK_OK(wincni_file_information(path, &shown), "describe the replaced file");
    CHECK(replaced.identity == shown.identity && replaced.size == 6, "the noted replacement is not the one at the name");
    CHECK(replaced.identity != written.identity, "the replacement has the identity of the file it replaced");
    wincni_status plain = wincni_write_file_noting(path, (const uint8_t *)"x", 1, 0, 0600, &shown);
    CHECK(plain.kind == WINCNI_E_INVALID, "noting a plain write: %s", kind_name(plain.kind));
}

static void test_exclusive_create_race(void) {
    enum { racers = 6 };
    const char *path = in_directory("claimed");
    const char *go = in_directory("claimed.go");
    wincni_process *processes[racers];
    char names[racers][16];
    for (int i = 0; i < racers; i++) {
        snprintf(names[i], sizeof names[i], "racer%d", i);
        const char *create[] = {"create", path, go, names[i]};
        processes[i] = start(create, 4, NULL, 0, NULL, 0);
    }
    CHECK_OK(wincni_write_file(go, (const uint8_t *)"go", 2, 0, 0600), "start the race");
    int winners = 0, losers = 0, winner = -1;
    for (int i = 0; i < racers; i++) {
        if (processes[i] == NULL) continue;
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(processes[i], 20000, &code), "wait for a racer");
        if (code == 0) {
            winners++;
            winner = i;
        } else if (code == 4) {
            losers++;
        } else {
            CHECK(0, "racer %d exited %d", i, (int)code);
        }
        wincni_process_close(processes[i]);
    }
    CHECK(winners == 1 && losers == racers - 1, "%d racers created the file, %d found it", winners, losers);
    uint8_t *bytes = NULL;
    int64_t count = 0;
    CHECK_OK(wincni_read_file(path, 64, &bytes, &count), "read the claimed file");
    CHECK(winner >= 0 && bytes != NULL && count == (int64_t)strlen(names[winner]) &&
              memcmp(bytes, names[winner], (size_t)count) == 0,
          "the file does not hold the winner's name");
    wincni_free(bytes);
}

static void test_spawn_pipes_and_exit_codes(void) {
    // 1 MiB each way, more than any pipe buffer, so a parent that wrote all before reading would deadlock.
    int64_t size = (int64_t)1 << 20;
    uint8_t *input = malloc((size_t)size);
    for (int64_t i = 0; i < size; i++) input[i] = (uint8_t)((i * 7 + i / 251) & 0xFF);
    const char *cat[] = {"cat"};
    wincni_process *process = start(cat, 1, input, size, NULL, 0);
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 60000, &code), "wait for cat");
        const uint8_t *output = NULL, *errors = NULL;
        int64_t output_count = 0, errors_count = 0;
        wincni_process_output(process, WINCNI_STDOUT, &output, &output_count);
        wincni_process_output(process, WINCNI_STDERR, &errors, &errors_count);
        CHECK(code == 0, "cat exited %d", (int)code);
        CHECK(output_count == size && memcmp(output, input, (size_t)size) == 0,
              "1 MiB through stdin and stdout came back as %lld different bytes", (long long)output_count);
        CHECK(errors_count == 7 && memcmp(errors, "1048576", 7) == 0, "stderr: %.*s", (int)errors_count,
              (const char *)errors);
        wincni_process_close(process);
    }
    free(input);

    const char *exit0[] = {"exit", "0"}, *exit42[] = {"exit", "42"}, *exit255[] = {"exit", "255"};
    CHECK(run(exit0, 2) == 0, "exit 0");
    CHECK(run(exit42, 2) == 42, "exit 42");
    CHECK(run(exit255, 2) == 255, "exit 255");

    // Arguments that need quoting on Windows arrive unchanged.
    const char *args[] = {"args", "plain", "two words", "", "say \"hi\"", "back\\slash\\", "C:\\dir with space\\",
                          "\\\\\"", "tab\there", "ünïcødé 日本"};
    process = start(args, 10, NULL, 0, NULL, 0);
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for args");
        const uint8_t *output = NULL;
        int64_t count = 0;
        wincni_process_output(process, WINCNI_STDOUT, &output, &count);
        char expected[512] = "";
        for (int i = 1; i < 10; i++) {
            strcat(expected, args[i]);
            strcat(expected, "\n");
        }
        CHECK(code == 0 && count == (int64_t)strlen(expected) && memcmp(output, expected, (size_t)count) == 0,
              "arguments arrived as [%.*s]", (int)count, (const char *)output);
        wincni_process_close(process);
    }

    // Exactly the environment given, UTF-8 included; nothing inherited.
    CHECK_OK(wincni_set_environment("WINCNI_TEST_INHERITED", "yes"), "set a variable");
    static const char environment[] = "WINCNI_TEST_VALUE=h\xc3\xa9llo w\xc3\xb6rld\0PATH=/nowhere\0";
    const char *env[] = {"env", "WINCNI_TEST_VALUE"};
    process = start(env, 2, NULL, 0, environment, sizeof environment - 1);
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for env");
        const uint8_t *output = NULL;
        int64_t count = 0;
        wincni_process_output(process, WINCNI_STDOUT, &output, &count);
        CHECK(code == 0 && count == 13 && memcmp(output, "h\xc3\xa9llo w\xc3\xb6rld", 13) == 0,
              "the child saw [%.*s] (exit %d)", (int)count, (const char *)output, (int)code);
        wincni_process_close(process);
    }
    const char *inherited[] = {"env", "WINCNI_TEST_INHERITED"};
    process = start(inherited, 2, NULL, 0, environment, sizeof environment - 1);
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for env");
        CHECK(code == 5, "a variable outside the given environment reached the child (exit %d)", (int)code);
        wincni_process_close(process);
    }
    process = start(inherited, 2, NULL, 0, NULL, 0);
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for env");
        CHECK(code == 0, "without an environment the child did not inherit this one's (exit %d)", (int)code);
        wincni_process_close(process);
    }

    wincni_spawn_options missing;
    memset(&missing, 0, sizeof missing);
    missing.executable = in_directory("no-such-program.exe");
    process = NULL;
    wincni_status status = wincni_process_start(&missing, &process);
    CHECK(status.kind == WINCNI_E_NOT_FOUND && process == NULL, "starting a missing program: %s",
          kind_name(status.kind));
}

static void test_spawn_redirects_and_limit(void) {
    static char block[4096];
    const char *cat[] = {"cat"};
    const char *input = in_directory("cat.in"), *output = in_directory("cat.out"), *errors = in_directory("cat.err");
    CHECK_OK(wincni_write_file(input, (const uint8_t *)"from a file", 11, 0, 0600), "write the input file");
    wincni_spawn_options options;
    memset(&options, 0, sizeof options);
    options.executable = self;
    options.arguments = block;
    options.arguments_size = arguments_block(block, sizeof block, cat, 1);
    options.input_path = input;
    options.output_path = output;
    options.error_path = errors;
    wincni_process *process = NULL;
    CHECK_OK(wincni_process_start(&options, &process), "start cat with files for its streams");
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for cat");
        const uint8_t *captured = NULL;
        int64_t count = -1;
        wincni_process_output(process, WINCNI_STDOUT, &captured, &count);
        CHECK(code == 0 && count == 0, "cat exited %d and %lld bytes were captured", (int)code, (long long)count);
        wincni_process_close(process);
        uint8_t *bytes = NULL;
        CHECK_OK(wincni_read_file(output, 1024, &bytes, &count), "read cat's stdout file");
        CHECK(count == 11 && memcmp(bytes, "from a file", 11) == 0, "stdout file: %.*s", (int)count,
              (const char *)bytes);
        wincni_free(bytes);
        CHECK_OK(wincni_read_file(errors, 1024, &bytes, &count), "read cat's stderr file");
        CHECK(count == 2 && memcmp(bytes, "11", 2) == 0, "stderr file: %.*s", (int)count, (const char *)bytes);
        wincni_free(bytes);
    }

    // More output than the limit: the child still runs to its end; the first `limit` bytes are kept.
    int64_t size = 200000;
    uint8_t *data = malloc((size_t)size);
    for (int64_t i = 0; i < size; i++) data[i] = (uint8_t)('a' + i % 26);
    memset(&options, 0, sizeof options);
    options.executable = self;
    options.arguments = block;
    options.arguments_size = arguments_block(block, sizeof block, cat, 1);
    options.input = data;
    options.input_count = size;
    options.output_limit = 1000;
    process = NULL;
    CHECK_OK(wincni_process_start(&options, &process), "start cat with an output limit");
    if (process != NULL) {
        int32_t code = -1;
        CHECK_OK(wincni_process_wait(process, 20000, &code), "wait for cat");
        const uint8_t *captured = NULL;
        int64_t count = -1;
        wincni_process_output(process, WINCNI_STDOUT, &captured, &count);
        CHECK(code == 0 && count == 1000 && memcmp(captured, data, 1000) == 0,
              "cat exited %d with %lld bytes kept of 200000 (limit 1000)", (int)code, (long long)count);
        wincni_process_close(process);
    }
    free(data);
}

static void test_timeout_kills_grandchild(void) {
    const char *sleep[] = {"sleep", "60000"};
    wincni_process *process = start(sleep, 2, NULL, 0, NULL, 0);
    if (process != NULL) {
        int64_t began = wincni_monotonic_nanoseconds();
        int32_t code = -1;
        wincni_status status = wincni_process_wait(process, 300, &code);
        int64_t waited = milliseconds_since(began);
        CHECK(status.kind == WINCNI_E_TIMED_OUT, "a sleeping child did not time out: %s", kind_name(status.kind));
        CHECK(waited >= 250 && waited < 5000, "the 300 ms wait took %lld ms", (long long)waited);
        CHECK_OK(wincni_process_kill(process), "kill the child");
        CHECK_OK(wincni_process_wait(process, 10000, &code), "collect the killed child");
        CHECK(code != 0, "a killed child exited 0");
        wincni_process_close(process);
    }

    const char *pid_file = in_directory("grandchild.pid");
    const char *parent[] = {"parent", pid_file};
    process = start(parent, 2, NULL, 0, NULL, 0);
    if (process == NULL) return;
    wait_for_file(pid_file);
    uint8_t *bytes = NULL;
    int64_t count = 0;
    CHECK_OK(wincni_read_file(pid_file, 64, &bytes, &count), "read the grandchild's process ID");
    int64_t grandchild = bytes != NULL ? strtoll((const char *)bytes, NULL, 10) : 0;
    wincni_free(bytes);
    CHECK(grandchild > 0 && process_alive(grandchild), "the grandchild %lld is not running", (long long)grandchild);
    int32_t code = -1;
    wincni_status status = wincni_process_wait(process, 200, &code);
    CHECK(status.kind == WINCNI_E_TIMED_OUT, "the child did not time out: %s", kind_name(status.kind));
    CHECK_OK(wincni_process_kill(process), "kill the child and its descendants");
    int64_t began = wincni_monotonic_nanoseconds();
    CHECK_OK(wincni_process_wait(process, 10000, &code), "collect the killed child");
    CHECK(milliseconds_since(began) < 5000, "collecting the killed child took %lld ms",
          (long long)milliseconds_since(began));
    wincni_process_close(process);
    int alive = grandchild > 0;
    for (int i = 0; i < 200 && alive; i++) {
        alive = process_alive(grandchild);
        if (alive) wincni_sleep_milliseconds(10);
    }
    CHECK(grandchild > 0 && !alive, "the grandchild %lld survived its killed parent", (long long)grandchild);
}

static void test_utf8_names(void) {
    const char *name = "t\xc3\xabst-\xc3\xbc-\xe6\x97\xa5\xe6\x9c\xac";  // tëst-ü-日本
    const char *folder = in_directory(name);
    CHECK_OK(wincni_make_directories(folder, 0700, NULL), "make a directory with a UTF-8 name");
    char file[4096];
    snprintf(file, sizeof file, "%s%c%s.json", folder, wincni_platform().path_separator, name);
    CHECK_OK(wincni_write_file(file, (const uint8_t *)"{}", 2, WINCNI_WRITE_ATOMIC, 0600), "write a UTF-8 name");
    char *names = NULL;
    int64_t size = 0, listed = 0;
    CHECK_OK(wincni_list_directory(folder, WINCNI_LIST_FILES_ONLY, &names, &size, &listed), "list it");
    char expected[256];
    snprintf(expected, sizeof expected, "%s.json", name);
    CHECK(listed == 1 && names != NULL && strcmp(names, expected) == 0, "the listing holds [%s]",
          names != NULL ? names : "");
    wincni_free(names);
    CHECK_OK(wincni_list_directory(directory, 0, &names, &size, &listed), "list the parent");
    int found = 0;
    for (int64_t at = 0; names != NULL && at < size; at += (int64_t)strlen(names + at) + 1) {
        found |= strcmp(names + at, name) == 0;
    }
    CHECK(found, "the UTF-8 directory name did not come back from the listing");
    wincni_free(names);
    wincni_file_info info;
    CHECK_OK(wincni_file_information(file, &info), "describe the UTF-8 file");
    CHECK(info.kind == WINCNI_KIND_REGULAR && info.size == 2, "kind %d size %lld", (int)info.kind,
          (long long)info.size);
    CHECK_OK(wincni_remove_file(file), "remove the UTF-8 file");
    CHECK(wincni_remove_file(file).kind == WINCNI_E_NOT_FOUND, "removed twice");
}

static void test_make_directories(void) {
    int64_t existing = -1;
    size_t base = strlen(directory);
    char path[4096];
#if defined(_WIN32)
    // Mixed separators below a drive-letter path.
    snprintf(path, sizeof path, "%s\\mk/a\\b/c", directory);
    CHECK_OK(wincni_make_directories(path, 0700, &existing), "mkdir -p with mixed separators");
    CHECK(existing == (int64_t)base, "existing prefix %lld, expected %lld", (long long)existing, (long long)base);
    CHECK(directory[1] == ':', "the temporary directory %s has no drive letter", directory);
    char native[4096];
    snprintf(native, sizeof native, "%s\\mk\\a\\b\\c", directory);
    wincni_file_info info;
    CHECK(wincni_file_information(native, &info).kind == WINCNI_OK && info.kind == WINCNI_KIND_DIRECTORY,
          "%s is not a directory", native);
    // The same tree again through the extended-length form, with a forward slash in it: all exists.
    char extended[4096];
    snprintf(extended, sizeof extended, "\\\\?\\%s\\mk\\a/b\\c\\", directory);
    CHECK_OK(wincni_make_directories(extended, 0700, &existing), "mkdir -p of an existing \\\\?\\ path");
    CHECK(existing == (int64_t)strlen(extended), "an existing tree reported %lld of %lld bytes existing",
          (long long)existing, (long long)strlen(extended));
    snprintf(extended, sizeof extended, "\\\\?\\%s\\mk\\x\\y", directory);
    CHECK_OK(wincni_make_directories(extended, 0700, &existing), "mkdir -p of a new \\\\?\\ path");
    CHECK(existing == (int64_t)strlen(extended) - 4, "existing prefix %lld of %s", (long long)existing, extended);
    // A drive root exists and is never created; a rooted path without a drive is on the current drive.
    char root[4] = {directory[0], ':', '\\', 0};
    CHECK_OK(wincni_make_directories(root, 0700, &existing), "mkdir -p of a drive root");
    CHECK(existing == 3, "a drive root reported %lld existing bytes", (long long)existing);
    char lower[4096];
    snprintf(lower, sizeof lower, "%c:%s/mk/lower", directory[0] | 0x20, directory + 2);
    CHECK_OK(wincni_make_directories(lower, 0700, NULL), "mkdir -p with a lower-case drive letter");
    // A path longer than MAX_PATH.
    char deep[4096];
    int at = snprintf(deep, sizeof deep, "%s\\mk", directory);
    for (int i = 0; i < 30; i++) at += snprintf(deep + at, sizeof deep - (size_t)at, "\\level-%02d", i);
    CHECK(strlen(deep) > 260, "the deep path is only %zu bytes", strlen(deep));
    CHECK_OK(wincni_make_directories(deep, 0700, NULL), "mkdir -p beyond MAX_PATH");
    char deep_file[4200];
    snprintf(deep_file, sizeof deep_file, "%s\\file", deep);
    CHECK_OK(wincni_write_file(deep_file, (const uint8_t *)"x", 1, WINCNI_WRITE_ATOMIC, 0600),
             "write beyond MAX_PATH");
    CHECK(exists(deep_file), "the file beyond MAX_PATH is not there");
    wincni_remove_file(deep_file);
#else
    snprintf(path, sizeof path, "%s/mk/a/b//c/", directory);
    CHECK_OK(wincni_make_directories(path, 0700, &existing), "mkdir -p of a nested path");
    CHECK(existing == (int64_t)base, "existing prefix %lld, expected %lld", (long long)existing, (long long)base);
    CHECK_OK(wincni_make_directories(path, 0700, &existing), "mkdir -p of an existing path");
    CHECK(existing == (int64_t)strlen(path), "an existing tree reported %lld existing bytes", (long long)existing);
    char deep[4096];
    snprintf(deep, sizeof deep, "%s/mk/a/b/c/d", directory);
    wincni_file_info info;
    CHECK_OK(wincni_make_directories(deep, 0700, NULL), "mkdir -p one more level");
    CHECK(wincni_file_information(deep, &info).kind == WINCNI_OK && info.kind == WINCNI_KIND_DIRECTORY,
          "%s is not a directory", deep);
#endif
    // A file in the way.
    const char *file = in_directory("plain-file");
    CHECK_OK(wincni_write_file(file, (const uint8_t *)"x", 1, 0, 0600), "write a file");
    snprintf(path, sizeof path, "%s%cbelow", file, wincni_platform().path_separator);
    wincni_status status = wincni_make_directories(path, 0700, NULL);
    CHECK(status.kind == WINCNI_E_NOT_DIRECTORY, "mkdir -p below a file: %s", kind_name(status.kind));
    status = wincni_make_directories(file, 0700, NULL);
    CHECK(status.kind == WINCNI_E_EXISTS, "mkdir -p of a file: %s", kind_name(status.kind));
    // Undo: the directories made after the existing prefix go again, the prefix stays.
    snprintf(path, sizeof path, "%s%cundo%cone%ctwo", directory, wincni_platform().path_separator,
             wincni_platform().path_separator, wincni_platform().path_separator);
    CHECK_OK(wincni_make_directories(path, 0700, &existing), "mkdir -p to undo");
    CHECK_OK(wincni_remove_empty_directories(path, existing), "undo mkdir -p");
    CHECK(!exists(in_directory("undo")) && exists(directory), "the undo left %s or took the base",
          in_directory("undo"));
}

static void test_files(void) {
    const char *path = in_directory("file.txt");
    CHECK_OK(wincni_write_file(path, (const uint8_t *)"first", 5, 0, 0600), "write");
    uint8_t *bytes = NULL;
    int64_t count = 0;
    wincni_status status = wincni_read_file(path, 4, &bytes, &count);
    CHECK(status.kind == WINCNI_E_TOO_LONG && bytes == NULL, "a read over the limit: %s", kind_name(status.kind));
    CHECK_OK(wincni_read_file(path, 5, &bytes, &count), "read at the limit");
    CHECK(count == 5 && bytes[5] == 0, "no NUL after the content");
    wincni_free(bytes);
    status = wincni_write_file(path, (const uint8_t *)"x", 1, WINCNI_WRITE_EXCLUSIVE, 0600);
    CHECK(status.kind == WINCNI_E_EXISTS, "an exclusive create over a file: %s", kind_name(status.kind));
    CHECK_OK(wincni_write_file(path, (const uint8_t *)"+more", 5, WINCNI_WRITE_APPEND, 0600), "append");
    CHECK_OK(wincni_read_file(path, 1024, &bytes, &count), "read after append");
    CHECK(count == 10 && memcmp(bytes, "first+more", 10) == 0, "append gave %.*s", (int)count, (const char *)bytes);
    wincni_free(bytes);
    status = wincni_read_file(directory, 1024, &bytes, &count);
    CHECK(status.kind == WINCNI_E_IS_DIRECTORY, "reading a directory: %s", kind_name(status.kind));
    status = wincni_read_file(in_directory("missing"), 1024, &bytes, &count);
    CHECK(status.kind == WINCNI_E_NOT_FOUND, "reading a missing file: %s", kind_name(status.kind));
    uint8_t prefix[3];
    CHECK_OK(wincni_read_prefix(path, 0, prefix, 3, &count), "read a prefix");
    CHECK(count == 3 && memcmp(prefix, "fir", 3) == 0, "the prefix is wrong");
    char text[256];
    CHECK(wincni_native_error_text(status.native, text, sizeof text) > 0 && text[strlen(text) - 1] != '.',
          "the error text of %ld: [%s]", (long)status.native, text);
    CHECK_OK(wincni_set_environment("WINCNI_TEST_EMPTY", ""), "set an empty variable");
    char *value = NULL;
    CHECK_OK(wincni_get_environment("WINCNI_TEST_EMPTY", &value), "read an empty variable");
    CHECK(value != NULL && value[0] == 0, "an empty variable read as [%s]", value != NULL ? value : "(null)");
    wincni_free(value);
    CHECK_OK(wincni_set_environment("WINCNI_TEST_EMPTY", NULL), "remove a variable");
    value = NULL;
    status = wincni_get_environment("WINCNI_TEST_EMPTY", &value);
    CHECK(status.kind == WINCNI_E_NOT_FOUND && value == NULL, "a removed variable: %s", kind_name(status.kind));
    int64_t wall = wincni_wall_clock_nanoseconds();
    CHECK(wall > INT64_C(1700000000) * 1000000000 && wall < INT64_C(4102444800) * 1000000000,
          "the wall clock says %lld", (long long)wall);
}

static void test_paths(void) {
    const char *file = in_directory("resolved.txt");
    CHECK_OK(wincni_write_file(file, (const uint8_t *)"x", 1, 0, 0600), "write a file to resolve");
    char *base = NULL, *resolved = NULL, *working = NULL;
    CHECK_OK(wincni_resolve_path(directory, &base), "resolve the test directory");
    CHECK_OK(wincni_resolve_path(file, &resolved), "resolve a file");
    char expected[2048];
    snprintf(expected, sizeof expected, "%s%c%s", base != NULL ? base : "", wincni_platform().path_separator,
             "resolved.txt");
    CHECK(resolved != NULL && strcmp(resolved, expected) == 0, "resolved to %s, expected %s",
          resolved != NULL ? resolved : "(null)", expected);
    CHECK_OK(wincni_current_directory(&working), "the working directory");
    CHECK(working != NULL && working[0] != 0, "an empty working directory");
    wincni_free(base);
    wincni_free(resolved);
    wincni_free(working);
#if !defined(_WIN32)
    // Wine 8's CreateSymbolicLinkW reports success and creates nothing, so links are checked natively only.
    const char *link = in_directory("resolved.link");
    CHECK_OK(wincni_make_link("resolved.txt", link), "make a link");
    char *target = NULL;
    CHECK_OK(wincni_read_link(link, &target), "read the link");
    CHECK(target != NULL && strcmp(target, "resolved.txt") == 0, "the link points to %s",
          target != NULL ? target : "(null)");
    wincni_free(target);
    wincni_file_info info;
    CHECK(wincni_file_information(link, &info).kind == WINCNI_OK && info.kind == WINCNI_KIND_LINK,
          "the link is not described as a link");
#endif
}

// A second name for `existing` (link(2); CreateHardLinkW, which wine maps to link(2)).
static int make_hard_link(const char *existing, const char *path) {
#if defined(_WIN32)
    wchar_t wide_existing[4096], wide_path[4096];
    MultiByteToWideChar(CP_UTF8, 0, existing, -1, wide_existing, 4096);
    MultiByteToWideChar(CP_UTF8, 0, path, -1, wide_path, 4096);
    return CreateHardLinkW(wide_path, wide_existing, NULL) ? 0 : -1;
#else
    return link(existing, path);
#endif
}

// Whether any name in the test directory starts with `prefix`.
static int directory_has_prefix(const char *prefix) {
    char *names = NULL;
    int64_t size = 0;
    int found = 0;
    if (wincni_list_directory(directory, 0, &names, &size, NULL).kind != WINCNI_OK) return 0;
    for (int64_t at = 0; at < size; at += (int64_t)strlen(names + at) + 1) {
        if (strncmp(names + at, prefix, strlen(prefix)) == 0) found = 1;
    }
    wincni_free(names);
    return found;
}

// WINCNI_OPEN_REGULAR_ONLY / WINCNI_OPEN_SINGLE_LINK, the link count, and the exclusive create through a complete
// temporary file.
static void test_open_checks(void) {
    const char *plain = in_directory("plain.log");
    uint8_t *bytes = NULL;
    int64_t count = 0;
    uint8_t prefix[16];
    wincni_file_info info;
    CHECK_OK(wincni_write_file(plain, (const uint8_t *)"a", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600),
             "a checked append creates a regular file");
    CHECK_OK(wincni_write_file(plain, (const uint8_t *)"b", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600),
             "a checked append to a regular file");
    CHECK_OK(wincni_read_file_checked(plain, 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count), "a checked read");
    CHECK(count == 2 && memcmp(bytes, "ab", 2) == 0, "the checked appends gave %.*s", (int)count, (const char *)bytes);
    wincni_free(bytes);
    wincni_status status = wincni_read_file_checked(directory, 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count);
    CHECK(status.kind == WINCNI_E_IS_DIRECTORY, "a checked read of a directory: %s", kind_name(status.kind));
    status = wincni_read_file_checked(in_directory("absent"), 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count);
    CHECK(status.kind == WINCNI_E_NOT_FOUND, "a checked read of a missing file: %s", kind_name(status.kind));

    // A hard link: both names count two links; a single-link open of either is refused and leaves it as it was,
    // while an open without the check still works.
    const char *reservation = in_directory("10.0.0.5");
    const char *second = in_directory("second-name");
    CHECK_OK(wincni_write_file(reservation, (const uint8_t *)"ctr\r\neth0", 9, WINCNI_WRITE_EXCLUSIVE, 0600),
             "an exclusive create");
    CHECK(!directory_has_prefix("10.0.0.5.tmp"), "the exclusive create left its temporary file");
    CHECK(wincni_file_information(reservation, &info).kind == WINCNI_OK && info.links == 1 && info.size == 9,
          "a new file has %u links and %lld bytes", (unsigned)info.links, (long long)info.size);
    CHECK(make_hard_link(reservation, second) == 0, "make a hard link");
    CHECK(wincni_file_information(second, &info).kind == WINCNI_OK && info.links == 2, "the hard link counts %u links",
          (unsigned)info.links);
    status = wincni_read_prefix(reservation, WINCNI_OPEN_SINGLE_LINK, prefix, sizeof prefix, &count);
    CHECK(status.kind == WINCNI_E_LINKED, "a single-link read of a linked file: %s", kind_name(status.kind));
    CHECK_OK(wincni_read_prefix(reservation, 0, prefix, sizeof prefix, &count), "a read of a linked file");
    status = wincni_read_file_checked(second, 64, WINCNI_OPEN_SINGLE_LINK, &bytes, &count);
    CHECK(status.kind == WINCNI_E_LINKED, "a single-link read of the other name: %s", kind_name(status.kind));
    status = wincni_write_file(second, (const uint8_t *)"10.0.0.9", 8, WINCNI_OPEN_SINGLE_LINK, 0600);
    CHECK(status.kind == WINCNI_E_LINKED, "a single-link write through a hard link: %s", kind_name(status.kind));
    CHECK_OK(wincni_read_file(reservation, 64, &bytes, &count), "read the linked file");
    CHECK(count == 9 && memcmp(bytes, "ctr\r\neth0", 9) == 0, "the refused write changed the file to %.*s",
          (int)count, (const char *)bytes);
    wincni_free(bytes);
    status = wincni_write_file(reservation, (const uint8_t *)"x", 1, WINCNI_WRITE_EXCLUSIVE, 0600);
    CHECK(status.kind == WINCNI_E_EXISTS, "an exclusive create over a taken name: %s", kind_name(status.kind));
    CHECK(!directory_has_prefix("10.0.0.5.tmp"), "the refused exclusive create left its temporary file");
    CHECK_OK(wincni_remove_file(second), "remove the second name");
    CHECK_OK(wincni_write_file(reservation, (const uint8_t *)"10.0.0.9", 8, WINCNI_OPEN_SINGLE_LINK, 0600),
             "a single-link write once the link is gone");
    CHECK_OK(wincni_read_file(reservation, 64, &bytes, &count), "read the rewritten file");
    CHECK(count == 8 && memcmp(bytes, "10.0.0.9", 8) == 0, "the checked truncating write gave %.*s", (int)count,
          (const char *)bytes);
    wincni_free(bytes);
    status = wincni_write_file(plain, (const uint8_t *)"x", 1, WINCNI_WRITE_ATOMIC | WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_INVALID, "an atomic write with checks: %s", kind_name(status.kind));
    // A device (a character device on POSIX; GetFileType FILE_TYPE_CHAR on Windows) is no regular file either.
    const char *device = wincni_platform().is_windows ? "NUL" : "/dev/null";
    status = wincni_write_file(device, (const uint8_t *)"x", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked append to %s: %s", device, kind_name(status.kind));
    status = wincni_read_file_checked(device, 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked read of %s: %s", device, kind_name(status.kind));
#if !defined(_WIN32)
    // FIFOs and symbolic links are POSIX-only here: Windows has no FIFO in the file system, and wine 8's
    // CreateSymbolicLinkW creates nothing. Each must be refused at once, never waited on.
    const char *fifo = in_directory("fifo.log");
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
    int64_t started = wincni_monotonic_nanoseconds();
    status = wincni_write_file(fifo, (const uint8_t *)"x", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked append to a FIFO: %s", kind_name(status.kind));
    status = wincni_read_file_checked(fifo, 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked read of a FIFO: %s", kind_name(status.kind));
    status = wincni_read_prefix(fifo, 0, prefix, sizeof prefix, &count);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a prefix read of a FIFO: %s", kind_name(status.kind));
    status = wincni_write_file(fifo, (const uint8_t *)"x", 1, WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked write to a FIFO: %s", kind_name(status.kind));
    CHECK(milliseconds_since(started) < 2000, "the FIFO checks took %lld ms", (long long)milliseconds_since(started));
    const char *link = in_directory("link.log");
    CHECK_OK(wincni_make_link("plain.log", link), "make a link to the log");
    status = wincni_write_file(link, (const uint8_t *)"x", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked append through a symbolic link: %s", kind_name(status.kind));
    status = wincni_read_file_checked(link, 64, WINCNI_OPEN_REGULAR_ONLY, &bytes, &count);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR, "a checked read through a symbolic link: %s", kind_name(status.kind));
    const char *dangling = in_directory("dangling.log");
    CHECK_OK(wincni_make_link("nowhere", dangling), "make a dangling link");
    status = wincni_write_file(dangling, (const uint8_t *)"x", 1, WINCNI_WRITE_APPEND | WINCNI_OPEN_REGULAR_ONLY, 0600);
    CHECK(status.kind == WINCNI_E_NOT_REGULAR && !exists(in_directory("nowhere")),
          "a checked append through a dangling link: %s", kind_name(status.kind));
#endif
}

// rm -r through the platform layer: the test's directory goes when it is done. Links are removed, not followed.
static void remove_tree(const char *path) {
    wincni_file_info info;
    if (wincni_file_information(path, &info).kind != WINCNI_OK) return;
    if (info.kind != WINCNI_KIND_DIRECTORY) {
        wincni_remove_file(path);
        return;
    }
    char *names = NULL;
    int64_t size = 0;
    if (wincni_list_directory(path, 0, &names, &size, NULL).kind == WINCNI_OK) {
        for (int64_t at = 0; at < size; at += (int64_t)strlen(names + at) + 1) {
            char *child = malloc(strlen(path) + strlen(names + at) + 2);
            if (child == NULL) continue;
            sprintf(child, "%s%c%s", path, wincni_platform().path_separator, names + at);
            remove_tree(child);
            free(child);
        }
    }
    wincni_free(names);
    wincni_remove_directory(path);
}

int main(int argc, char **argv) {
#if defined(_WIN32)
    wchar_t wide[4096];
    GetModuleFileNameW(NULL, wide, 4096);
    WideCharToMultiByte(CP_UTF8, 0, wide, -1, self, sizeof self, NULL, NULL);
    // The C runtime's argv is in the ANSI code page; take the UTF-16 command line, split by the same MSVC rules
    // the spawning side quotes for, as UTF-8 (as Swift's CommandLine does on Windows).
    int wide_count = 0;
    wchar_t **wide_arguments = CommandLineToArgvW(GetCommandLineW(), &wide_count);
    char **utf8_arguments = calloc((size_t)wide_count + 1, sizeof(char *));
    for (int i = 0; wide_arguments != NULL && utf8_arguments != NULL && i < wide_count; i++) {
        int size = WideCharToMultiByte(CP_UTF8, 0, wide_arguments[i], -1, NULL, 0, NULL, NULL);
        utf8_arguments[i] = malloc((size_t)size);
        WideCharToMultiByte(CP_UTF8, 0, wide_arguments[i], -1, utf8_arguments[i], size, NULL, NULL);
    }
    if (wide_arguments != NULL && utf8_arguments != NULL) {
        argc = wide_count;
        argv = utf8_arguments;
    }
#else
    char *resolved = NULL;
    if (wincni_resolve_path(argv[0], &resolved).kind == WINCNI_OK) {
        snprintf(self, sizeof self, "%s", resolved);
        wincni_free(resolved);
    }
#endif
    if (argc > 1) return child_main(argc, argv);

    char *temporary = NULL;
    wincni_status status = wincni_make_temporary_directory("wincni-platform-", &temporary);
    if (status.kind != WINCNI_OK) {
        printf("no temporary directory: %s\n", kind_name(status.kind));
        return 1;
    }
    snprintf(directory, sizeof directory, "%s", temporary);
    wincni_free(temporary);
    printf("platform tests (%s) in %s\n", wincni_platform().is_windows ? "Win32" : "POSIX", directory);
    fflush(stdout);

    test_files();
    test_open_checks();
    test_store_lock_between_processes();
    test_store_lock_through_range();
    test_blocking_lock_waits();
    test_replace_while_read();
    test_exclusive_create_race();
    test_write_noting();
    test_spawn_pipes_and_exit_codes();
    test_spawn_redirects_and_limit();
    test_timeout_kills_grandchild();
    test_utf8_names();
    test_make_directories();
    test_paths();

    remove_tree(directory);
    CHECK(!exists(directory), "the test directory %s could not be removed", directory);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
