/* session.h - the dispatcher and everything under it, opened as one.
 *
 * `missive console`, `query`, `demo` and the bot all answer through the same
 * stack: the database, the corpus queries on it, the bot's state in it, the
 * command dispatcher over both, and the alias table that !reply matches
 * names through.  session_open builds it in that order and session_close
 * takes it down in reverse, so the wiring is written once.
 */
#ifndef MISSIVE_SESSION_H
#define MISSIVE_SESSION_H

#include <stdbool.h>

#include "commands.h"
#include "corpus.h"
#include "error.h"
#include "state.h"

typedef struct {
    const char *database;           /* path of the SQLite file */
    const char *data_dir;           /* holds aliases.txt */
    bool must_exist;                /* never create a missing database */
    const CommandsConfig *commands; /* NULL: the dispatcher's defaults */
    /* Only an existing Missive database holding letters (db_open_existing):
     * what a reload may switch to. */
    bool existing;
    /* For the bot's loop: a write waits SESSION_NOWAIT_MS at most for
     * another process's lock, then a !quote position is kept for
     * session_flush(); otherwise writes wait DB_WAIT_MS. */
    bool never_wait;
} SessionOptions;

#define SESSION_NOWAIT_MS 5

typedef struct Session Session;

/* Opens the database (migrating it as db_open does), prepares the corpus,
 * state and dispatcher.  NULL on failure, with the reason in err: a missing
 * database when must_exist (STATUS_NOTFOUND is not distinguished: the
 * message says "no such database"), anything but a Missive database with
 * letters when existing, a database that cannot be opened or prepared.  An alias file that does not load is not a failure: it is
 * reported to err's sink as a SEVERITY_WARNING line and !reply then matches
 * names only as words. */
Session *session_open(const SessionOptions *o, Error *err);
void session_close(Session *s);

/* Writes what the state kept in memory while the database was locked (see
 * state_flush): STATUS_OK when written or when it must still wait. */
Status session_flush(Session *s, Error *err);

/* Whether the file at the session's path is no longer the one it opened
 * (another file was moved over it): one stat().  A missing file is not
 * "replaced".  The caller must close this session before opening the new
 * file: the -wal and -shm next to the path belong to the old one. */
bool session_replaced(const Session *s);

/* Gives back SQLite's page cache (the pages stay in the operating system's
 * file cache, so the next command reads them again in microseconds; the
 * prepared statements stay).  For an idle bot: returns the bytes freed. */
size_t session_release_memory(Session *s);

/* Borrowed: valid until session_close. */
Commands *session_commands(const Session *s);
Corpus *session_corpus(const Session *s);
State *session_state(const Session *s);

#endif
