/* db.c - opening the database and migrating its schema (see db.h).
 *
 * Migrations are an append-only array: migration i takes user_version i to
 * i+1.  Never edit a released migration; add one.
 */
#include "db.h"

#include <stdio.h>
#include <string.h>

static const char *const db_migrations[] = {
    /* 0 -> 1: the corpus. */
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE" /* canonical: "Stalin" */
    ");"
    "CREATE TABLE files ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE," /* base name of the file */
    "  content BLOB NOT NULL,"     /* the exact bytes imported */
    "  imported_at TEXT NOT NULL"
    ");"
    "CREATE TABLE letters ("
    /* AUTOINCREMENT: a number once given is never given to another letter. */
    "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* the human letter number */
    "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL," /* position in its file, from 1 */
    "  number INTEGER,"       /* the edition's \"No. 23\" */
    "  heading TEXT NOT NULL,"
    "  line INTEGER NOT NULL," /* heading line in the file */
    "  sender TEXT NOT NULL REFERENCES people(name),"
    "  recipient TEXT NOT NULL REFERENCES people(name),"
    "  date TEXT," /* ISO, NULL when undated */
    "  date_kind TEXT CHECK (date_kind IN ('written','sent','received')),"
    "  date_source TEXT," /* NULL: from the letter itself */
    "  signature TEXT,"
    "  source TEXT,"
    "  UNIQUE (file_id, seq)"
    ");"
    /* A cell is one (sender, recipient, year) combination; passages are
     * ranked inside their cell so that any filter's k-th passage is found
     * with one index lookup (see corpus.c). */
    "CREATE TABLE cells ("
    "  id INTEGER PRIMARY KEY,"
    "  sender TEXT NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  year INTEGER NOT NULL," /* 0 when undated */
    "  n INTEGER NOT NULL,"
    "  UNIQUE (sender, recipient, year)"
    ");"
    "CREATE TABLE passages ("
    "  id INTEGER PRIMARY KEY,"
    "  letter_id INTEGER NOT NULL REFERENCES letters(id) ON DELETE CASCADE,"
    "  para INTEGER NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"  /* exactly as in the file */
    "  shown TEXT NOT NULL," /* with errata applied */
    "  corrected INTEGER NOT NULL DEFAULT 0,"
    "  cell_id INTEGER,"
    "  cell_ord INTEGER," /* 0-based rank in the cell */
    "  UNIQUE (letter_id, para)"
    ");"
    "CREATE INDEX passages_cell ON passages(cell_id, cell_ord);"
    "CREATE TABLE errata ("
    "  letter_id INTEGER NOT NULL,"
    "  para INTEGER NOT NULL,"
    "  original TEXT NOT NULL,"
    "  replacement TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  PRIMARY KEY (letter_id, para, original)"
    ");"
    /* The index follows the shown text; the triggers keep it in step. */
    "CREATE VIRTUAL TABLE passages_fts USING fts5("
    "  shown, content='passages', content_rowid='id',"
    "  tokenize='porter unicode61 remove_diacritics 2');"
    "CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN"
    "  INSERT INTO passages_fts(rowid, shown) VALUES (new.id, new.shown);"
    "END;"
    "CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "END;"
    "CREATE TRIGGER passages_au AFTER UPDATE OF shown ON passages BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "  INSERT INTO passages_fts(rowid, shown) VALUES (new.id, new.shown);"
    "END;",

    /* 1 -> 2: the bot's state (see state.c).  Channels are stored folded
     * (RFC 1459), "" for private messages and the console. */
    "CREATE TABLE shuffles ("
    "  channel TEXT NOT NULL,"
    "  filter TEXT NOT NULL,"  /* canonical PassageFilter */
    "  n INTEGER NOT NULL,"    /* passages when the cycle began */
    "  seed INTEGER NOT NULL," /* of the cycle's permutation */
    "  pos INTEGER NOT NULL,"  /* passages shown in the cycle */
    "  PRIMARY KEY (channel, filter)"
    ");"
    /* NULL prefix / addressed: the global configuration applies. */
    "CREATE TABLE channel_settings ("
    "  channel TEXT PRIMARY KEY,"
    "  prefix TEXT,"
    "  disabled TEXT NOT NULL DEFAULT ''," /* "quote,search" */
    "  addressed INTEGER"
    ");",
};

#define DB_NMIGRATIONS (int)(sizeof db_migrations / sizeof db_migrations[0])

_Static_assert(sizeof db_migrations / sizeof db_migrations[0] ==
                   DB_SCHEMA_VERSION,
               "DB_SCHEMA_VERSION must equal the number of migrations");

Status db_exec(sqlite3 *db, const char *sql, Error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return STATUS_ERROR;
    }
    return STATUS_OK;
}

Status db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, Error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return error_set(err, STATUS_ERROR, "%s", sqlite3_errmsg(db));
    }
    return STATUS_OK;
}

static Status db_user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return STATUS_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STATUS_OK : STATUS_ERROR;
}

/* The reason is first written to a local Error so that err gets it once,
 * prefixed with the path. */
static Status db_migrate(sqlite3 *db, const char *path, Error *err)
{
    Error why = {0};
    int version;

    if (db_exec(db, "BEGIN IMMEDIATE", &why) != STATUS_OK)
        goto fail;
    if (db_user_version(db, &version) != STATUS_OK) {
        error_set(&why, STATUS_ERROR, "%s", sqlite3_errmsg(db));
        goto rollback;
    }
    if (version > DB_NMIGRATIONS) {
        error_set(&why, STATUS_ERROR,
                  "schema version %d is newer than this missive (%d)", version,
                  DB_NMIGRATIONS);
        goto rollback;
    }
    for (int v = version; v < DB_NMIGRATIONS; v++) {
        if (db_exec(db, db_migrations[v], &why) != STATUS_OK)
            goto rollback;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (db_exec(db, pragma, &why) != STATUS_OK)
            goto rollback;
    }
    if (db_exec(db, "COMMIT", &why) != STATUS_OK)
        goto rollback;
    return STATUS_OK;

rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
fail:
    return error_set(err, STATUS_ERROR, "%s: %s", path, why.msg);
}

static Status db_configure(sqlite3 *db, int readonly, Error *err)
{
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    if (db_exec(db, "PRAGMA foreign_keys = ON", err) != STATUS_OK)
        return STATUS_ERROR;
    if (!readonly && db_exec(db, "PRAGMA journal_mode = WAL", err) != STATUS_OK)
        return STATUS_ERROR;
    /* In WAL mode NORMAL never corrupts the database; a power cut may only
     * lose the last few commits (a !quote shuffle step), and it spares an
     * fsync on every answer that moves a shuffle. */
    if (!readonly &&
        db_exec(db, "PRAGMA synchronous = NORMAL", err) != STATUS_OK)
        return STATUS_ERROR;
    return STATUS_OK;
}

Status db_open(const char *path, sqlite3 **out, Error *err)
{
    sqlite3 *db = NULL;
    Error why = {0};

    *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "%s: %s", path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    if (db_configure(db, 0, &why) != STATUS_OK) {
        error_set(err, STATUS_ERROR, "%s: %s", path, why.msg);
        goto fail;
    }
    if (db_migrate(db, path, err) != STATUS_OK)
        goto fail;
    *out = db;
    return STATUS_OK;

fail:
    sqlite3_close(db);
    return STATUS_ERROR;
}

Status db_open_readonly(const char *path, sqlite3 **out, Error *err)
{
    sqlite3 *db = NULL;
    Error why = {0};
    int version = -1;

    *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "%s: %s (run 'missive import' first?)",
                  path, db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    if (db_configure(db, 1, &why) != STATUS_OK) {
        error_set(err, STATUS_ERROR, "%s: %s", path, why.msg);
        goto fail;
    }
    if (db_user_version(db, &version) != STATUS_OK)
        version = -1;
    if (version > 0 && version < DB_NMIGRATIONS) {
        error_set(err, STATUS_ERROR,
                  "%s: schema %d is older than this missive's (%d): start "
                  "the bot or run 'missive import FILE' once to upgrade it",
                  path, version, DB_NMIGRATIONS);
        goto fail;
    }
    if (version != DB_NMIGRATIONS) {
        error_set(err, STATUS_ERROR,
                  "%s: not a missive database of schema %d (found %d): "
                  "run 'missive import' first",
                  path, DB_NMIGRATIONS, version);
        goto fail;
    }
    *out = db;
    return STATUS_OK;

fail:
    sqlite3_close(db);
    return STATUS_ERROR;
}

void db_close(sqlite3 *db)
{
    sqlite3_close(db);
}
