/* sqlbase.c - the plain-SQLite baseline bench/scale.py measures Missive
 * against, linked with the same libsqlite3.
 *
 *   sqlbase load DB TEXT   every body paragraph of TEXT (a generated corpus:
 *                          lines of 120 bytes or more that are not a Source
 *                          line) into plain(id, text) and an external-content
 *                          FTS5 index with Missive's tokenizer, in one
 *                          transaction: the "plain load" of import time and
 *                          size.
 *   sqlbase load-tri DB TEXT
 *                          the same plus an external-content trigram index
 *                          defined as Missive's passages_tri (trigram,
 *                          case-insensitive, detail=none, columnsize=0):
 *                          the plain load of the same two indexes.
 *   sqlbase query DB       reads "KIND<TAB>ARG" lines on stdin and runs the
 *                          nearest plain query for each, printing
 *                          "timing: N us" on stderr (as `missive console
 *                          --timing` does) and "rows: N" on stdout.
 *
 * Kinds: quote (one row by random id), match (FTS5 MATCH: count, then the
 * best by rank), grep (instr() over every row: count), stats (count(*)).
 * No filters: the plain table has no senders or dates, so a filtered
 * command is compared with its unfiltered query.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static uint64_t sqlbase_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int sqlbase_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlbase: %s\n", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sqlbase_load(sqlite3 *db, const char *path, int trigram)
{
    FILE *f = fopen(path, "rb");
    sqlite3_stmt *ins = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = -1;

    if (!f) {
        perror(path);
        return -1;
    }
    if (sqlbase_exec(db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                     "BEGIN;"
                     "CREATE TABLE plain(id INTEGER PRIMARY KEY, text TEXT);"
                     "CREATE VIRTUAL TABLE plain_fts USING fts5(text, "
                     "content='plain', content_rowid='id', "
                     "tokenize='porter unicode61 remove_diacritics 2');") < 0 ||
        sqlite3_prepare_v2(db, "INSERT INTO plain(text) VALUES (?1)", -1,
                           &ins, NULL) != SQLITE_OK)
        goto done;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (n < 120 || strncmp(line, "Source:", 7) == 0)
            continue;
        sqlite3_bind_text(ins, 1, line, (int)n, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "sqlbase: %s\n", sqlite3_errmsg(db));
            goto done;
        }
        sqlite3_reset(ins);
    }
    if (sqlbase_exec(db, "INSERT INTO plain_fts(plain_fts) VALUES ('rebuild');") <
        0)
        goto done;
    if (trigram &&
        sqlbase_exec(db, "CREATE VIRTUAL TABLE plain_tri USING fts5(text, "
                         "content='plain', content_rowid='id', "
                         "tokenize='trigram case_sensitive 0', "
                         "detail='none', columnsize=0);"
                         "INSERT INTO plain_tri(plain_tri) VALUES ('rebuild');") <
            0)
        goto done;
    if (sqlbase_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);") < 0)
        goto done;
    rc = 0;
done:
    sqlite3_finalize(ins);
    free(line);
    fclose(f);
    return rc;
}

/* Steps st to the end; the rows it gave. */
static long sqlbase_rows(sqlite3_stmt *st)
{
    long n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) n++;
    sqlite3_reset(st);
    return n;
}

static int sqlbase_query(sqlite3 *db)
{
    sqlite3_stmt *quote = NULL, *count = NULL, *best = NULL, *grep = NULL,
                 *stats = NULL;
    char line[1024];
    int rc = -1;

    if (sqlite3_prepare_v2(db,
                           "SELECT text FROM plain WHERE id = 1 + abs(random()) "
                           "% (SELECT max(id) FROM plain)",
                           -1, &quote, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM plain_fts "
                           "WHERE plain_fts MATCH ?1",
                           -1, &count, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT p.id, p.text FROM plain_fts JOIN plain p "
                           "ON p.id = plain_fts.rowid WHERE plain_fts MATCH ?1 "
                           "ORDER BY plain_fts.rank LIMIT 1",
                           -1, &best, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM plain WHERE instr(text, ?1) > 0",
                           -1, &grep, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT count(*) FROM plain", -1, &stats,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlbase: %s\n", sqlite3_errmsg(db));
        goto done;
    }
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *arg = strchr(line, '\t');
        if (arg)
            *arg++ = '\0';
        else
            arg = "";
        uint64_t t0 = sqlbase_us();
        long rows = 0;
        if (strcmp(line, "quote") == 0) {
            rows = sqlbase_rows(quote);
        } else if (strcmp(line, "match") == 0) {
            sqlite3_bind_text(count, 1, arg, -1, SQLITE_STATIC);
            sqlite3_bind_text(best, 1, arg, -1, SQLITE_STATIC);
            rows = sqlbase_rows(count) + sqlbase_rows(best);
        } else if (strcmp(line, "grep") == 0) {
            sqlite3_bind_text(grep, 1, arg, -1, SQLITE_STATIC);
            rows = sqlbase_rows(grep);
        } else if (strcmp(line, "stats") == 0) {
            rows = sqlbase_rows(stats);
        } else {
            fprintf(stderr, "sqlbase: unknown kind '%s'\n", line);
            goto done;
        }
        fprintf(stderr, "timing: %llu us\n",
                (unsigned long long)(sqlbase_us() - t0));
        printf("rows: %ld\n", rows);
    }
    rc = 0;
done:
    sqlite3_finalize(quote);
    sqlite3_finalize(count);
    sqlite3_finalize(best);
    sqlite3_finalize(grep);
    sqlite3_finalize(stats);
    return rc;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    int rc = 1;

    int load = argc >= 2 && (strcmp(argv[1], "load") == 0 ||
                             strcmp(argv[1], "load-tri") == 0);
    if (argc < 3 || (load && argc != 4) ||
        (strcmp(argv[1], "query") == 0 && argc != 3)) {
        fprintf(stderr, "usage: sqlbase load|load-tri DB TEXT | sqlbase query "
                        "DB\n");
        return 2;
    }
    if (sqlite3_open(argv[2], &db) != SQLITE_OK) {
        fprintf(stderr, "sqlbase: %s: %s\n", argv[2], sqlite3_errmsg(db));
        goto done;
    }
    if (load)
        rc = sqlbase_load(db, argv[3], strcmp(argv[1], "load-tri") == 0) < 0;
    else if (strcmp(argv[1], "query") == 0)
        rc = sqlbase_query(db) < 0;
    else
        rc = 2;
done:
    sqlite3_close(db);
    return rc;
}
