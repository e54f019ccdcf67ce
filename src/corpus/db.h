/* db.h - opening the Missive database and keeping its schema current.
 *
 * One SQLite file holds the corpus (people, files, letters, passages and
 * their FTS5 index) and the bot's state (state.h).  The schema is versioned
 * with PRAGMA user_version; db_open() applies every missing migration in one
 * transaction.  WAL journal, foreign keys on, a busy timeout so that an import
 * and a running bot can share the file.
 */
#ifndef MISSIVE_DB_H
#define MISSIVE_DB_H

#include <stddef.h>
#include <sqlite3.h>

#include "error.h"

#define DB_SCHEMA_VERSION 2

/* Opens (creating if needed) and migrates.  STATUS_OK, or STATUS_ERROR
 * with a message naming the path in err (*out is then NULL). */
Status db_open(const char *path, sqlite3 **out, Error *err);
/* Opens an existing database read-only (no migration; fails when its schema
 * is older or newer than this binary's: an older one is upgraded by opening
 * it once with db_open(), as 'missive import' and the bot do).  STATUS_OK,
 * or STATUS_ERROR with a message naming the path in err. */
Status db_open_readonly(const char *path, sqlite3 **out, Error *err);
void db_close(sqlite3 *db);

/* Helpers for one-off statements: STATUS_OK, or STATUS_ERROR with
 * sqlite3_errmsg in err (*st is then NULL). */
Status db_exec(sqlite3 *db, const char *sql, Error *err);
Status db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, Error *err);

#endif
