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

typedef struct {
    const char *database;           /* path of the SQLite file */
    const char *data_dir;           /* holds aliases.txt */
    bool must_exist;                /* never create a missing database */
    const CommandsConfig *commands; /* NULL: the dispatcher's defaults */
} SessionOptions;

typedef struct Session Session;

/* Opens the database (migrating it as db_open does), prepares the corpus,
 * state and dispatcher.  NULL on failure, with the reason in err: a missing
 * database when must_exist (STATUS_NOTFOUND is not distinguished: the
 * message says "no such database"), a database that cannot be opened or
 * prepared.  An alias file that does not load is not a failure: it is
 * reported to err's sink as a SEVERITY_WARNING line and !reply then matches
 * names only as words. */
Session *session_open(const SessionOptions *o, Error *err);
void session_close(Session *s);

/* Borrowed: valid until session_close. */
Commands *session_commands(const Session *s);
Corpus *session_corpus(const Session *s);

#endif
