/* session.c - db -> corpus -> state -> commands -> aliases, once; see
 * session.h. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "people.h"
#include "state.h"

struct Session {
    char *path;
    dev_t dev; /* of the file opened */
    ino_t ino;
    sqlite3 *db;
    Corpus *corpus;
    State *state;
    Commands *cmds;
    People *aliases; /* NULL when aliases.txt did not load */
};

Session *session_open(const SessionOptions *o, Error *err)
{
    char aliases[4096];
    Session *s = calloc(1, sizeof *s);

    if (s == NULL) {
        error_set(err, STATUS_ERROR, "out of memory");
        return NULL;
    }
    /* The bot's state lives in the same file, so it is opened read-write;
     * but a database that is not there is a mistake worth saying, not one
     * to paper over with an empty file. */
    if (o->must_exist && access(o->database, F_OK) != 0) {
        error_set(err, STATUS_NOTFOUND,
                  "%s: no such database (run 'missive import' first)",
                  o->database);
        goto fail;
    }
    if ((o->existing ? db_open_existing(o->database, &s->db, err)
                     : db_open(o->database, &s->db, err)) != STATUS_OK)
        goto fail;
    if (o->never_wait)
        db_set_wait(s->db, SESSION_NOWAIT_MS);
    struct stat st;
    if (!(s->path = strdup(o->database))) {
        error_set(err, STATUS_ERROR, "out of memory");
        goto fail;
    }
    if (stat(o->database, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    if ((s->corpus = corpus_new(s->db, err)) == NULL ||
        (s->state = state_new(s->db, err)) == NULL)
        goto fail;
    if ((s->cmds = commands_new(s->corpus, s->state, o->commands)) == NULL) {
        error_set(err, STATUS_ERROR, "%s: cannot prepare the commands",
                  o->database);
        goto fail;
    }

    int n = snprintf(aliases, sizeof aliases, "%s/aliases.txt", o->data_dir);
    Error alias_err = {0};
    if (n < 0 || (size_t)n >= sizeof aliases)
        error_set(&alias_err, STATUS_INVALID,
                  "%s: data directory path too long", o->data_dir);
    else
        s->aliases = people_load(aliases, &alias_err);
    if (s->aliases == NULL)
        error_report(err, SEVERITY_WARNING,
                     "%s: !reply matches names only as words", alias_err.msg);
    corpus_set_aliases(s->corpus, s->aliases);
    return s;

fail:
    session_close(s);
    return NULL;
}

void session_close(Session *s)
{
    if (s == NULL)
        return;
    commands_free(s->cmds);
    if (s->state)
        state_flush(s->state, NULL); /* best effort: a lock may still hold */
    state_free(s->state);
    corpus_free(s->corpus);
    db_close(s->db);
    people_free(s->aliases);
    free(s->path);
    free(s);
}

Status session_flush(Session *s, Error *err)
{
    return state_flush(s->state, err);
}

bool session_replaced(const Session *s)
{
    struct stat st;
    return stat(s->path, &st) == 0 &&
           (st.st_dev != s->dev || st.st_ino != s->ino);
}

size_t session_release_memory(Session *s)
{
    sqlite3_int64 before = sqlite3_memory_used();
    sqlite3_db_release_memory(s->db);
    sqlite3_int64 freed = before - sqlite3_memory_used();
    return freed > 0 ? (size_t)freed : 0;
}

Commands *session_commands(const Session *s)
{
    return s->cmds;
}

Corpus *session_corpus(const Session *s)
{
    return s->corpus;
}

State *session_state(const Session *s)
{
    return s->state;
}
