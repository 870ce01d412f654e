#ifndef WINCNI_CSQLITE_SHIM_H
#define WINCNI_CSQLITE_SHIM_H
#include <pthread.h>
#include <sqlite3.h>

/* Process-wide settings, made once before the first connection: no memory statistics (they take a mutex on every
 * allocation); no bulk page-cache allocation (SQLITE_DEFAULT_PCACHE_INITSZ, 20 pages: SQLite writes a free list
 * through all of them at the first read, so a process that reads a dozen pages touched 20; each page is now
 * allocated when it is first needed); no lookaside arena (Debian's library is built with SQLITE_OMIT_LOOKASIDE, so
 * that is what was measured; a build with lookaside would write a free list through its whole arena at every open). */
static void wincni_sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
	sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
}

static inline void wincni_sqlite_configure(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, wincni_sqlite_setup);
}

/* SQLITE_TRANSIENT is a cast macro Swift cannot import: text and blobs bound through these are copied by SQLite, so
 * the caller's buffer need only live for the call. */
static inline int wincni_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length)
{
	return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

/* What a connection does when another holds the lock it needs (a writer's commit, another writer): try again after
 * 20, 50, 100, 200, 500 and 1,000 microseconds, then every 2 ms, for about 30 s in all. sqlite3_busy_timeout
 * sleeps 1, 2, 5, 10 ms and more, while the simulator's transactions hold their locks for microseconds (writers
 * wait for each other at BEGIN IMMEDIATE; readers of the write-ahead log do not wait). The sleep is the VFS's
 * (microseconds on POSIX, rounded up to milliseconds on Windows). */
static int wincni_sqlite_busy(void *vfs, int attempts)
{
	static const int first[] = {20, 50, 100, 200, 500, 1000};
	sqlite3_vfs *system = vfs;
	if (attempts >= 15000)
		return 0;
	system->xSleep(system, attempts < 6 ? first[attempts] : 2000);
	return 1;
}

static inline int wincni_sqlite_wait_when_busy(sqlite3 *connection)
{
	return sqlite3_busy_handler(connection, wincni_sqlite_busy, sqlite3_vfs_find((const char *)0));
}

/* A connection that closes leaves the write-ahead log as it is instead of copying it into the database (and syncing
 * that) first: the simulator is opened and closed by every plugin exec, and the log is checkpointed by writers as
 * it grows. sqlite3_db_config is variadic, which Swift cannot call. */
static inline int wincni_sqlite_keep_log_on_close(sqlite3 *connection)
{
	return sqlite3_db_config(connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/* Foreign keys (which carry the cascades) through the C API: a PRAGMA statement would be parsed in every exec. */
static inline int wincni_sqlite_enable_foreign_keys(sqlite3 *connection)
{
	return sqlite3_db_config(connection, SQLITE_DBCONFIG_ENABLE_FKEY, 1, (int *)0);
}

/* The write-ahead log's length in frames after this connection's last commit (what sqlite3_wal_hook reports), and
 * the automatic checkpoint that a hook of one's own replaces: a PASSIVE one when the log holds `limit` frames. */
struct wincni_sqlite_log {
	int frames;
	int limit;
};

static int wincni_sqlite_log_hook(void *state, sqlite3 *connection, const char *name, int frames)
{
	struct wincni_sqlite_log *log = state;
	log->frames = frames;
	if (frames >= log->limit)
		sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, (int *)0, (int *)0);
	return SQLITE_OK;
}

static inline void wincni_sqlite_track_log(sqlite3 *connection, struct wincni_sqlite_log *log)
{
	sqlite3_wal_hook(connection, wincni_sqlite_log_hook, log);
}
#endif
