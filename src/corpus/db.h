/* db.h - opening the Missive database and keeping its schema current.
 *
 * One SQLite file holds the corpus (people, files, letters, passages and
 * their FTS5 index) and the bot's state (state.h).  The schema is versioned
 * with PRAGMA user_version; db_open() applies every missing migration in one
 * transaction.  WAL journal, foreign keys on, a busy timeout so that an import
 * and a running bot can share the file (the bot sets its own to almost none:
 * its loop must never wait, see state.h).
 */
#ifndef MISSIVE_DB_H
#define MISSIVE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "error.h"

#define DB_SCHEMA_VERSION 11

/* How long a connection waits for another one's write lock by default
 * ('missive import', the command line). */
#define DB_WAIT_MS 5000

/* The identity of a database file, to notice it being replaced. */
typedef struct {
    dev_t dev;
    ino_t ino;
    int version; /* user_version as the file's header has it */
} DbFileId;

/* Opens (creating if needed) and migrates.  A file that exists but that
 * this process may not write, or whose directory it may not write (access()
 * with W_OK: root passes whatever the modes), is opened read-only instead,
 * which serves only this binary's schema.  STATUS_OK, or STATUS_ERROR with
 * a message naming the path in err (*out is then NULL). */
Status db_open(const char *path, sqlite3 **out, Error *err);
/* Opens an existing Missive database holding letters, as db_open does, but
 * never creates one: a missing file (STATUS_NOTFOUND), an empty file, a file
 * that is not SQLite, a schema newer than ours or user_version 0 (not a
 * Missive database), or one without letters (STATUS_INVALID) is refused
 * with the reason in err, and the file is not modified. */
Status db_open_existing(const char *path, sqlite3 **out, Error *err);
/* Opens an existing database read-only (no migration; fails when its schema
 * is older or newer than this binary's: an older one is upgraded by opening
 * it once with db_open(), as 'missive import' and the bot do).  STATUS_OK,
 * or STATUS_ERROR with a message naming the path in err. */
Status db_open_readonly(const char *path, sqlite3 **out, Error *err);
/* Checks path from the outside, without SQLite (so without touching a
 * -wal or -shm next to it): a regular, non-empty SQLite file whose header's
 * user_version is not newer than ours.  Fills *id (may be NULL) as soon as
 * the file is found, so that a caller can remember a file it refused.  STATUS_OK,
 * STATUS_NOTFOUND, STATUS_INVALID or STATUS_ERROR with the reason in err. */
Status db_check_file(const char *path, DbFileId *id, Error *err);
/* db_check_file, then a look inside without the -wal and -shm next to path
 * (opened immutable): a Missive schema this binary can serve, holding
 * letters.  For a file moved over a database in use, whose -wal and -shm
 * belong to the file it replaced; a live file's newest commits may be in
 * its -wal, which this does not read. */
Status db_probe_file(const char *path, DbFileId *id, Error *err);
/* How long db waits for another connection's lock, in ms (0: not at all). */
void db_set_wait(sqlite3 *db, int ms);
/* Whether db's last failure was another connection holding a lock. */
bool db_busy(sqlite3 *db);
void db_close(sqlite3 *db);

/* Helpers for one-off statements: STATUS_OK, or STATUS_ERROR with
 * sqlite3_errmsg in err (*st is then NULL). */
Status db_exec(sqlite3 *db, const char *sql, Error *err);
Status db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, Error *err);

#endif
