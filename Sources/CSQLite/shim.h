#ifndef WINCNI_CSQLITE_SHIM_H
#define WINCNI_CSQLITE_SHIM_H
#include <pthread.h>
#include <sqlite3.h>

/* Process-wide settings, made once before the first connection: no memory statistics (they take a mutex on every
 * allocation), and a larger lookaside (small allocations from a per-connection arena instead of malloc). */
static void wincni_sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 512, 512);
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

/* A connection that closes leaves the write-ahead log as it is instead of copying it into the database (and syncing
 * that) first: the simulator is opened and closed by every plugin exec, and the log is checkpointed by writers as
 * it grows. sqlite3_db_config is variadic, which Swift cannot call. */
static inline int wincni_sqlite_keep_log_on_close(sqlite3 *connection)
{
	return sqlite3_db_config(connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
#endif
