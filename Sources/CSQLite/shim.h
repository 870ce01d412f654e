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

/* Foreign keys (which carry the cascades) through the C API: a PRAGMA statement would be parsed in every exec. */
static inline int wincni_sqlite_enable_foreign_keys(sqlite3 *connection)
{
	return sqlite3_db_config(connection, SQLITE_DBCONFIG_ENABLE_FKEY, 1, (int *)0);
}

#endif
