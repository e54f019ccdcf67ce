/* db.c - opening the database and migrating its schema (see db.h).
 *
 * Migrations are an append-only array: migration i takes user_version i to
 * i+1.  Never edit a released migration; add one.
 */
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toplist.h"

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

    /* 2 -> 3: letters as real copies lay them out (issue 10).  Kept apart
     * from any other migration so that it can be renumbered on a merge.
     *  - letters.fingerprint: what curated facts name a letter by, with its
     *    file (import.c); NULL until the file is imported again.
     *  - letter_recipients: every recipient of a letter, in heading order;
     *    letters.recipient stays the first, which filters and cells use.
     *  - passages.indexed: the text the search index reads, footnote marks
     *    glued to words dropped ("Hopkins82" is found as "hopkins"); shown
     *    stays byte for byte.  Filled with shown here, rebuilt on import. */
    "ALTER TABLE letters ADD COLUMN fingerprint TEXT;"
    "CREATE TABLE letter_recipients ("
    "  letter_id INTEGER NOT NULL REFERENCES letters(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL," /* from 1 */
    "  person TEXT NOT NULL REFERENCES people(name),"
    "  PRIMARY KEY (letter_id, pos)"
    ");"
    "INSERT INTO letter_recipients(letter_id, pos, person)"
    "  SELECT id, 1, recipient FROM letters;"
    "ALTER TABLE passages ADD COLUMN indexed TEXT;"
    "UPDATE passages SET indexed = shown;"
    "DROP TRIGGER IF EXISTS passages_ai;"
    "DROP TRIGGER IF EXISTS passages_ad;"
    "DROP TRIGGER IF EXISTS passages_au;"
    "DROP TABLE passages_fts;"
    "CREATE VIRTUAL TABLE passages_fts USING fts5("
    "  indexed, content='passages', content_rowid='id',"
    "  tokenize='porter unicode61 remove_diacritics 2');"
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild');"
    "CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN"
    "  INSERT INTO passages_fts(rowid, indexed) VALUES (new.id, new.indexed);"
    "END;"
    "CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, indexed)"
    "    VALUES ('delete', old.id, old.indexed);"
    "END;"
    "CREATE TRIGGER passages_au AFTER UPDATE OF indexed ON passages BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, indexed)"
    "    VALUES ('delete', old.id, old.indexed);"
    "  INSERT INTO passages_fts(rowid, indexed) VALUES (new.id, new.indexed);"
    "END;",

    /* 3 -> 4: the quote of the day (state.c, base/daily.h), one row per
     * channel with an owner's override or a post made.  Self-contained: it
     * touches no other table, so it can be renumbered when merged with other
     * migrations.  mode NULL: as configured; 0 off; 1 hour:minute in zone.
     * done: the latest local date (YYYY-MM-DD) posted for or given up;
     * pending: a post sent, its passage letter.para, not yet acknowledged by
     * the server, sent `sends` times. */
    "CREATE TABLE daily ("
    "  channel TEXT PRIMARY KEY,"
    "  mode INTEGER,"
    "  hour INTEGER,"
    "  minute INTEGER,"
    "  zone TEXT,"
    "  done TEXT,"
    "  pending TEXT,"
    "  letter INTEGER,"
    "  para INTEGER,"
    "  sends INTEGER NOT NULL DEFAULT 0"
    ");",

    /* 4 -> 5: what !reply reads precomputed, rewritten by every import
     * (concepts.c).  Self-contained: renumber freely when merging. */
    "CREATE TABLE passage_stats ("
    "  sender TEXT PRIMARY KEY,"   /* canonical person, '' for all */
    "  n INTEGER NOT NULL,"        /* passages */
    "  total_len INTEGER NOT NULL" /* bytes of their shown text */
    ");"
    /* Filled for a database imported before this table existed. */
    "INSERT INTO passage_stats(sender, n, total_len)"
    "  SELECT '', count(*), coalesce(sum(length(shown)), 0) FROM passages;"
    "INSERT INTO passage_stats(sender, n, total_len)"
    "  SELECT l.sender, count(*), sum(length(p.shown)) FROM passages p"
    "  JOIN letters l ON l.id = p.letter_id GROUP BY l.sender;"
    /* A reader's word (porter stem) and a stem of the letters it may stand
     * for; empty until the next import (and in a build without WordNet). */
    "CREATE TABLE concepts ("
    "  stem TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  PRIMARY KEY (stem, target)"
    ") WITHOUT ROWID;",

    /* 5 -> 6: the text once (issue 14).  The plain load of a corpus is its
     * passages and an FTS5 index of them; this keeps us near it:
     *  - files.content (every raw file again) becomes files.hash, FNV-1a 64
     *    of the bytes, and files.size: enough to see that a file is
     *    unchanged; NULL for a file imported before, which the next import
     *    therefore rewrites (letters keep their numbers by fingerprint).
     *  - passages.text (the text as in the file, NOT NULL) becomes
     *    passages.original, set only when an erratum made shown differ.
     *  - passages.indexed is NULL when the index reads shown as it is (all
     *    but the passages with footnote marks).  The index's external content
     *    is the view passages_indexed, coalesce(indexed, shown), so FTS5
     *    still reads its column "indexed" (snippet, highlight, rebuild) and
     *    queries keep "passages_fts MATCH ?" and bm25(passages_fts).
     * Self-contained: renumber freely when merging. */
    "DROP TRIGGER IF EXISTS passages_ai;"
    "DROP TRIGGER IF EXISTS passages_ad;"
    "DROP TRIGGER IF EXISTS passages_au;"
    "DROP TABLE passages_fts;"
    "ALTER TABLE files ADD COLUMN hash TEXT;"
    "ALTER TABLE files ADD COLUMN size INTEGER;"
    "UPDATE files SET size = length(content);"
    "ALTER TABLE files DROP COLUMN content;"
    "ALTER TABLE passages ADD COLUMN original TEXT;"
    "UPDATE passages SET original = text WHERE text IS NOT shown;"
    "ALTER TABLE passages DROP COLUMN text;"
    "UPDATE passages SET indexed = NULL WHERE indexed IS shown;"
    "CREATE VIEW passages_indexed(id, indexed) AS"
    "  SELECT id, coalesce(indexed, shown) FROM passages;"
    "CREATE VIRTUAL TABLE passages_fts USING fts5("
    "  indexed, content='passages_indexed', content_rowid='id',"
    "  tokenize='porter unicode61 remove_diacritics 2');"
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild');"
    "CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN"
    "  INSERT INTO passages_fts(rowid, indexed)"
    "    VALUES (new.id, coalesce(new.indexed, new.shown));"
    "END;"
    "CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, indexed)"
    "    VALUES ('delete', old.id, coalesce(old.indexed, old.shown));"
    "END;"
    "CREATE TRIGGER passages_au AFTER UPDATE OF indexed, shown ON passages"
    "  WHEN coalesce(old.indexed, old.shown) IS NOT"
    "       coalesce(new.indexed, new.shown) BEGIN"
    "  INSERT INTO passages_fts(passages_fts, rowid, indexed)"
    "    VALUES ('delete', old.id, coalesce(old.indexed, old.shown));"
    "  INSERT INTO passages_fts(rowid, indexed)"
    "    VALUES (new.id, coalesce(new.indexed, new.shown));"
    "END;",

    /* 6 -> 7: !grep and !stats at a million passages (issue 14).
     * Self-contained: it reads passages.shown and letters.date only.
     *  - passages_tri: a trigram index of the shown text that narrows !grep
     *    to candidate passages (grepnarrow.c); PCRE2 confirms each one.
     *    External content: the text is not stored again.  detail=none keeps
     *    no positions (about a third of the size of detail=full), so a
     *    literal is looked up as the AND of its trigrams, a superset that
     *    the regex confirms.  The triggers fill it on every insert, so an
     *    import needs nothing more.
     *  - corpus_counts: letters and undated letters, kept by triggers, so
     *    !stats never counts a table (passages are passage_stats's).
     *  - letters_date: the first and last dates by index; passages_emended:
     *    the few emended passages, counted from a partial index.
     *  - passages_letter: a filtered !search maps each match to its letter
     *    through this small covering index instead of the wide table rows
     *    (2-4 times faster at a million passages, measured). */
    "CREATE VIRTUAL TABLE passages_tri USING fts5("
    "  shown, content='passages', content_rowid='id',"
    "  tokenize='trigram case_sensitive 0', detail='none');"
    "INSERT INTO passages_tri(passages_tri) VALUES ('rebuild');"
    "CREATE TRIGGER passages_tri_ai AFTER INSERT ON passages BEGIN"
    "  INSERT INTO passages_tri(rowid, shown) VALUES (new.id, new.shown);"
    "END;"
    "CREATE TRIGGER passages_tri_ad AFTER DELETE ON passages BEGIN"
    "  INSERT INTO passages_tri(passages_tri, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "END;"
    "CREATE TRIGGER passages_tri_au AFTER UPDATE OF shown ON passages BEGIN"
    "  INSERT INTO passages_tri(passages_tri, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "  INSERT INTO passages_tri(rowid, shown) VALUES (new.id, new.shown);"
    "END;"
    "CREATE TABLE corpus_counts ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  letters INTEGER NOT NULL,"
    "  undated INTEGER NOT NULL"
    ");"
    "INSERT INTO corpus_counts(id, letters, undated)"
    "  SELECT 1, count(*), count(*) - count(date) FROM letters;"
    "CREATE TRIGGER letters_count_ai AFTER INSERT ON letters BEGIN"
    "  UPDATE corpus_counts SET letters = letters + 1,"
    "    undated = undated + (new.date IS NULL);"
    "END;"
    "CREATE TRIGGER letters_count_ad AFTER DELETE ON letters BEGIN"
    "  UPDATE corpus_counts SET letters = letters - 1,"
    "    undated = undated - (old.date IS NULL);"
    "END;"
    "CREATE TRIGGER letters_count_au AFTER UPDATE OF date ON letters BEGIN"
    "  UPDATE corpus_counts"
    "    SET undated = undated - (old.date IS NULL) + (new.date IS NULL);"
    "END;"
    "CREATE INDEX letters_date ON letters(date);"
    "CREATE INDEX passages_emended ON passages(id) WHERE corrected;"
    "CREATE INDEX passages_letter ON passages(id, letter_id);",

    /* 7 -> 8: an import at the plain load's speed (issue 14).
     *  - The import indexes the passages it inserts itself, in one
     *    statement per index (import.c, import_index): a trigger per
     *    inserted row made FTS5 flush a segment per row.  Deletes and
     *    updates keep their triggers (one statement each, or a handful of
     *    errata rows).
     *  - Both indexes gather 4 MiB of new terms in memory before they
     *    write a segment (FTS5's 'hashsize', default 1 MiB): a fresh
     *    import of 100k passages wrote a quarter of the segments and merged
     *    less (9-10 s -> 7-8 s, median of three; +1 MB of peak RSS).
     *  - passages_tri without its docsize table (columnsize=0): only
     *    ranking reads a row's length, and !grep orders by rowid (about
     *    11 bytes a passage).  Rebuilt here: at a million passages this
     *    upgrade takes about a minute.
     * Self-contained: it touches the search indexes' triggers and the
     * trigram index only; renumber freely when merging. */
    "DROP TRIGGER IF EXISTS passages_ai;"
    "DROP TRIGGER IF EXISTS passages_tri_ai;"
    "DROP TRIGGER IF EXISTS passages_tri_ad;"
    "DROP TRIGGER IF EXISTS passages_tri_au;"
    "DROP TABLE passages_tri;"
    "CREATE VIRTUAL TABLE passages_tri USING fts5("
    "  shown, content='passages', content_rowid='id',"
    "  tokenize='trigram case_sensitive 0', detail='none', columnsize=0);"
    "INSERT INTO passages_tri(passages_tri, rank) VALUES ('hashsize', 4194304);"
    "INSERT INTO passages_fts(passages_fts, rank) VALUES ('hashsize', 4194304);"
    "INSERT INTO passages_tri(passages_tri) VALUES ('rebuild');"
    "CREATE TRIGGER passages_tri_ad AFTER DELETE ON passages BEGIN"
    "  INSERT INTO passages_tri(passages_tri, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "END;"
    "CREATE TRIGGER passages_tri_au AFTER UPDATE OF shown ON passages BEGIN"
    "  INSERT INTO passages_tri(passages_tri, rowid, shown)"
    "    VALUES ('delete', old.id, old.shown);"
    "  INSERT INTO passages_tri(rowid, shown) VALUES (new.id, new.shown);"
    "END;",

    /* 8 -> 9: !search's best matches of a common word (toplist.h): per
     * index term in more than 1000 passages, its 1000 best passages by
     * BM25 (4-byte little-endian ids, best first), rewritten at the end of
     * each import.  Empty until the next import: till then a query over
     * the bound ranks its first 1000 matches only, as before.
     * Self-contained; renumber freely when merging. */
    "CREATE TABLE search_top ("
    "  term TEXT PRIMARY KEY,"
    "  ids BLOB NOT NULL"
    ") WITHOUT ROWID;",

    /* 9 -> 10: what lets an import that adds a few letters update the word
     * lists instead of walking the index again (toplist.c, toplist_update):
     * per list, each passage's tf and length and, per tf, the best
     * passage left out.  NULL until the next full refresh (the next import
     * makes one when any list has none).
     * Self-contained; renumber freely when merging. */
    "ALTER TABLE search_top ADD COLUMN keys BLOB;",

    /* 10 -> 11: how many senses WordNet gives each word of the letters (by
     * porter stem; words of one sense are left out), rewritten by every
     * import (concepts.c): !reply weighs a word of many senses ("go",
     * "make") as less telling than its rarity in the letters alone says.
     * Empty until the next import, and in a build without WordNet.
     * Self-contained; renumber freely when merging. */
    "CREATE TABLE word_senses ("
    "  stem TEXT PRIMARY KEY,"
    "  senses INTEGER NOT NULL"
    ") WITHOUT ROWID;",
};

#define DB_NMIGRATIONS (int)(sizeof db_migrations / sizeof db_migrations[0])
#define DB_TOPLIST_VERSION 9 /* the migration that adds search_top */

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
 * prefixed with the path.  A database already at our schema is left alone:
 * no write lock is taken, so opening it never waits on another writer. */
static Status db_migrate(sqlite3 *db, const char *path, Error *err)
{
    Error why = {0};
    int version;

    if (db_user_version(db, &version) != STATUS_OK) {
        error_set(&why, STATUS_ERROR, "%s", sqlite3_errmsg(db));
        goto fail;
    }
    if (version == DB_NMIGRATIONS)
        return STATUS_OK;
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
    /* Migration 9's table is filled from the index, as an import would
     * (a few seconds at a million passages, once). */
    if (version < DB_TOPLIST_VERSION && DB_NMIGRATIONS >= DB_TOPLIST_VERSION &&
        toplist_refresh(db, &why) != STATUS_OK)
        goto rollback;
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
    sqlite3_busy_timeout(db, DB_WAIT_MS);
    sqlite3_extended_result_codes(db, 1);
    if (db_exec(db, "PRAGMA foreign_keys = ON", err) != STATUS_OK)
        return STATUS_ERROR;
    /* Pages of 8 KiB for a new database (a no-op on one that has pages:
     * only VACUUM changes an existing file's).  FTS5 writes its segments
     * as leaves of about 4 KB ('pgsz' 4050), rows just short of what a
     * 4 KiB page holds, so two share an 8 KiB page with less left over, and
     * the tables and indexes have half as many page headers and interior
     * entries: 100k passages 109.4 -> 108.4 MB.  16 KiB made it larger
     * (112.4 MB); SQLite's cache is set in KiB below, so it holds as many
     * bytes either way. */
    if (!readonly && db_exec(db, "PRAGMA page_size = 8192", err) != STATUS_OK)
        return STATUS_ERROR;
    if (!readonly && db_exec(db, "PRAGMA journal_mode = WAL", err) != STATUS_OK)
        return STATUS_ERROR;
    /* In WAL mode NORMAL never corrupts the database; a power cut may only
     * lose the last few commits (a !quote shuffle step), and it spares an
     * fsync on every answer that moves a shuffle. */
    if (!readonly &&
        db_exec(db, "PRAGMA synchronous = NORMAL", err) != STATUS_OK)
        return STATUS_ERROR;
    /* Memory, chosen for a million passages (a database of about 1 GB):
     * no mmap, because mapped pages count in the bot's RSS as they are
     * touched and a day of !search and !grep would touch most of the file;
     * read() through the kernel's page cache costs a copy per page but
     * leaves that cache shared and reclaimable.  16 MiB of SQLite page cache
     * holds the FTS indexes' hot interior pages and the small tables, and
     * keeps the bot under 64 MB under load. */
    if (db_exec(db, "PRAGMA mmap_size = 0", err) != STATUS_OK ||
        db_exec(db, "PRAGMA cache_size = -16384", err) != STATUS_OK)
        return STATUS_ERROR;
    return STATUS_OK;
}

/* Whether this process may write path and create its -wal and -shm next to
 * it (access() asks with the real uid: root passes whatever the modes). */
static bool db_writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');

    if (access(path, W_OK) != 0)
        return false;
    if (!slash)
        return access(".", W_OK) == 0;
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= sizeof dir)
        return true; /* let SQLite find out */
    memcpy(dir, path, len);
    dir[len] = '\0';
    return access(dir, W_OK) == 0;
}

/* "file:" plus path with every byte but [A-Za-z0-9/._~-] percent-encoded,
 * plus query; NULL when out of memory (sqlite3_free() it). */
static char *db_uri(const char *path, const char *query)
{
    sqlite3_str *uri = sqlite3_str_new(NULL);
    sqlite3_str_appendall(uri, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/._~-", *p))
            sqlite3_str_appendchar(uri, 1, (char)*p);
        else
            sqlite3_str_appendf(uri, "%%%02X", *p);
    }
    sqlite3_str_appendf(uri, "?%s", query);
    return sqlite3_str_finish(uri);
}

/* Opens path read-only and reads its schema version, the first read.  A
 * WAL database whose -shm cannot be created (a directory we may not write)
 * cannot be read that way; it is then opened immutable: nobody can be
 * writing it through a -wal that could not be made. */
static Status db_open_ro(const char *path, sqlite3 **out, int *version,
                         Error *err)
{
    static const char *const queries[] = {"mode=ro", "immutable=1"};
    sqlite3 *db = NULL;

    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *uri = db_uri(path, queries[i]);
        if (!uri)
            return error_set(err, STATUS_ERROR, "%s: out of memory", path);
        int rc = sqlite3_open_v2(uri, &db,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        sqlite3_free(uri);
        if (rc == SQLITE_OK && db_configure(db, 1, NULL) == STATUS_OK &&
            db_user_version(db, version) == STATUS_OK) {
            *out = db;
            return STATUS_OK;
        }
        if (i + 1 == sizeof queries / sizeof queries[0])
            error_set(err, STATUS_ERROR, "%s: %s", path,
                      db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        db = NULL;
    }
    return STATUS_ERROR;
}

/* A read-only connection only serves the schema this binary knows. */
static Status db_check_version(const char *path, int version, Error *err)
{
    if (version > 0 && version < DB_NMIGRATIONS)
        return error_set(
            err, STATUS_ERROR,
            "%s: schema %d is older than this missive's (%d): start "
            "the bot or run 'missive import FILE' once to upgrade it",
            path, version, DB_NMIGRATIONS);
    if (version > DB_NMIGRATIONS)
        return error_set(
            err, STATUS_ERROR,
            "%s: schema version %d is newer than this missive (%d)", path,
            version, DB_NMIGRATIONS);
    if (version != DB_NMIGRATIONS)
        return error_set(err, STATUS_ERROR,
                         "%s: not a missive database of schema %d (found %d): "
                         "run 'missive import' first",
                         path, DB_NMIGRATIONS, version);
    return STATUS_OK;
}

/* Read-write when this process may write the file and its directory (then
 * migrated), read-only otherwise (then only our own schema). */
static Status db_open_any(const char *path, bool create, sqlite3 **out,
                          Error *err)
{
    sqlite3 *db = NULL;
    Error why = {0};
    int version = -1;

    *out = NULL;
    if (access(path, F_OK) == 0 && !db_writable(path)) {
        if (db_open_ro(path, &db, &version, err) != STATUS_OK)
            return STATUS_ERROR;
        if (db_check_version(path, version, err) != STATUS_OK)
            goto fail;
        *out = db;
        return STATUS_OK;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "%s: %s", path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    if (db_configure(db, 0, &why) != STATUS_OK) {
        error_set(err, STATUS_ERROR, "%s: %s", path, why.msg);
        goto fail;
    }
    /* An existing file is only ever upgraded, never made a Missive one. */
    if (!create && (db_user_version(db, &version) != STATUS_OK ||
                    version == 0 || version > DB_NMIGRATIONS)) {
        if (version < 0)
            error_set(err, STATUS_ERROR, "%s: %s", path, sqlite3_errmsg(db));
        else
            db_check_version(path, version, err);
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

Status db_open(const char *path, sqlite3 **out, Error *err)
{
    return db_open_any(path, true, out, err);
}

Status db_check_file(const char *path, DbFileId *id, Error *err)
{
    unsigned char hdr[100];
    struct stat st;
    FILE *f = NULL;

    if (stat(path, &st) != 0)
        return error_set(
            err, errno == ENOENT ? STATUS_NOTFOUND : STATUS_ERROR, "%s: %s",
            path, errno == ENOENT ? "no such database" : strerror(errno));
    if (id) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->version = -1;
    }
    if (!S_ISREG(st.st_mode))
        return error_set(err, STATUS_INVALID, "%s: not a regular file", path);
    if (st.st_size == 0)
        return error_set(err, STATUS_INVALID,
                         "%s: empty file, not a missive database", path);
    if (!(f = fopen(path, "rb")))
        return error_set(err, STATUS_ERROR, "%s: %s", path, strerror(errno));
    size_t n = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    if (n < sizeof hdr || memcmp(hdr, "SQLite format 3", 16) != 0)
        return error_set(err, STATUS_INVALID, "%s: not an SQLite database",
                         path);
    int version = (int)((unsigned)hdr[60] << 24 | (unsigned)hdr[61] << 16 |
                        (unsigned)hdr[62] << 8 | hdr[63]);
    if (version > DB_NMIGRATIONS)
        return error_set(
            err, STATUS_INVALID,
            "%s: schema version %d is newer than this missive (%d)", path,
            version, DB_NMIGRATIONS);
    if (id)
        id->version = version;
    return STATUS_OK;
}

/* Whether db holds letters: STATUS_OK, or STATUS_INVALID saying why not. */
static Status db_check_letters(sqlite3 *db, const char *path, Error *err)
{
    sqlite3_stmt *st = NULL;
    Status rc = STATUS_OK;

    if (db_prepare(db, "SELECT EXISTS (SELECT 1 FROM letters)", &st, NULL) !=
        STATUS_OK)
        return error_set(err, STATUS_INVALID, "%s: not a missive database (%s)",
                         path, sqlite3_errmsg(db));
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW)
        rc = error_set(err, STATUS_ERROR, "%s: %s", path, sqlite3_errmsg(db));
    else if (sqlite3_column_int(st, 0) == 0)
        rc = error_set(err, STATUS_INVALID, "%s: holds no letters", path);
    sqlite3_finalize(st);
    return rc;
}

Status db_probe_file(const char *path, DbFileId *id, Error *err)
{
    sqlite3 *db = NULL;
    Status rc;
    char *uri;

    if ((rc = db_check_file(path, id, err)) != STATUS_OK)
        return rc;
    if (!(uri = db_uri(path, "immutable=1")))
        return error_set(err, STATUS_ERROR, "%s: out of memory", path);
    int version = -1;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK ||
        db_user_version(db, &version) != STATUS_OK) {
        rc = error_set(err, STATUS_INVALID, "%s: %s", path,
                       db ? sqlite3_errmsg(db) : "out of memory");
    } else if (version < 1 || version > DB_NMIGRATIONS) {
        db_check_version(path, version, err);
        rc = STATUS_INVALID;
    } else {
        rc = db_check_letters(db, path, err);
    }
    sqlite3_free(uri);
    sqlite3_close(db);
    return rc;
}

Status db_open_existing(const char *path, sqlite3 **out, Error *err)
{
    sqlite3 *db = NULL;
    Status rc;

    *out = NULL;
    if ((rc = db_check_file(path, NULL, err)) != STATUS_OK)
        return rc;
    if (db_open_any(path, false, &db, err) != STATUS_OK)
        return STATUS_ERROR;
    if ((rc = db_check_letters(db, path, err)) != STATUS_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return STATUS_OK;
}

void db_set_wait(sqlite3 *db, int ms)
{
    sqlite3_busy_timeout(db, ms);
}

bool db_busy(sqlite3 *db)
{
    int code = sqlite3_errcode(db);
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

Status db_open_readonly(const char *path, sqlite3 **out, Error *err)
{
    sqlite3 *db = NULL;
    int version = -1;

    *out = NULL;
    if (db_open_ro(path, &db, &version, err) != STATUS_OK) {
        /* keep the hint the CLI has always given */
        if (err)
            snprintf(err->msg + strlen(err->msg),
                     sizeof err->msg - strlen(err->msg),
                     " (run 'missive import' first?)");
        return STATUS_ERROR;
    }
    if (db_check_version(path, version, err) != STATUS_OK) {
        sqlite3_close(db);
        return STATUS_ERROR;
    }
    *out = db;
    return STATUS_OK;
}

void db_close(sqlite3 *db)
{
    sqlite3_close(db);
}
