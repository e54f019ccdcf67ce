/* test_import.c - importing into a real SQLite file: counts, errata, curated
 * dates, stable letter numbers, all-or-nothing failure, FTS and cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "db.h"
#include "import.h"

#define CORPUS DATADIR "/stalin-churchill-1941.txt"

static char tmpdir[TESTUTIL_DIR_MAX];
static int dbcount;

static int setup(void **state)
{
    (void)state;
    return testutil_tmpdir("import", tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    return testutil_rmtree(tmpdir);
}

/* --- helpers ------------------------------------------------------------- */

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static sqlite3 *fresh_db(void)
{
    char name[32];
    Error err = {0};
    sqlite3 *db;
    snprintf(name, sizeof name, "db%d.sqlite", ++dbcount);
    if (db_open(tmp_path(name), &db, &err) != STATUS_OK)
        fail_msg("%s", err.msg);
    return db;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* What the importer reported through an Error's sink: every line, as
 * 'missive import' prints it, and how many of each severity. */
typedef struct {
    FILE *f;
    int errors, warnings, others;
} Collected;

static void collect(void *ud, Severity severity, const char *line)
{
    Collected *c = ud;
    fprintf(c->f, "%s\n", line);
    if (severity == SEVERITY_ERROR)
        c->errors++;
    else if (severity == SEVERITY_WARNING)
        c->warnings++;
    else
        c->others++;
}

/* Runs an import; *out gets every reported line (caller frees), *got the
 * counts when not NULL. */
static Status run_import_counted(sqlite3 *db, const char *const *paths,
                                 size_t n, const char *datadir,
                                 ImportReport *rep, char **out, Collected *got)
{
    size_t len;
    Collected c = {.f = open_memstream(out, &len)};
    assert_non_null(c.f);
    Error err = {.sink = collect, .sink_ud = &c};
    Status rc = import_files(db, paths, n, datadir, rep, &err);
    fclose(c.f);
    /* Every error line is counted in err, the first kept in msg. */
    assert_int_equal(err.errors, c.errors);
    if (c.errors)
        assert_non_null(strstr(*out, err.msg));
    else
        assert_string_equal(err.msg, "");
    assert_int_equal(rc == STATUS_OK, c.errors == 0);
    if (got)
        *got = c;
    return rc;
}

static Status run_import(sqlite3 *db, const char *const *paths, size_t n,
                         const char *datadir, ImportReport *rep, char **out)
{
    return run_import_counted(db, paths, n, datadir, rep, out, NULL);
}

static void import_ok(sqlite3 *db, const char *const *paths, size_t n,
                      const char *datadir, ImportReport *rep)
{
    char *out;
    if (run_import(db, paths, n, datadir, rep, &out) != STATUS_OK)
        fail_msg("import failed: %s", out);
    free(out);
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no row: %s", sql);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as a string ("NULL" for NULL); static. */
static const char *q_text(sqlite3 *db, const char *sql)
{
    static char buf[8192];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no row: %s", sql);
    const char *t = (const char *)sqlite3_column_text(st, 0);
    snprintf(buf, sizeof buf, "%s", t ? t : "NULL");
    sqlite3_finalize(st);
    return buf;
}

/* All rows of a query, one per line, columns separated by '|'. */
static char *q_rows(sqlite3 *db, const char *sql)
{
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            if (c)
                fputc('|', f);
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                fputs("NULL", f);
                break;
            case SQLITE_BLOB: {
                const unsigned char *b = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                fputs("x'", f);
                for (int i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
                fputc('\'', f);
                break;
            }
            default:
                fprintf(f, "%s", (const char *)sqlite3_column_text(st, c));
            }
        }
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    fclose(f);
    return out;
}

/* Every row of every table (FTS shadow tables and sqlite_sequence included),
 * in a fixed order. */
static char *dump(sqlite3 *db)
{
    char *tables =
        q_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                   "AND name != 'passages_fts' ORDER BY name");
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    for (char *t = strtok(tables, "\n"); t; t = strtok(NULL, "\n")) {
        char sql[256];
        /* ORDER BY every column: shadow tables may lack a rowid. */
        char *cols = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(cid + 1, ',') FROM "
                 "pragma_table_info('%s')",
                 t);
        cols = strdup(q_text(db, sql));
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY %s", t, cols);
        char *rows = q_rows(db, sql);
        fprintf(f, "== %s\n%s", t, rows);
        free(rows);
        free(cols);
    }
    free(tables);
    fclose(f);
    return out;
}

/* --- the shipped corpus ------------------------------------------------------- */

/* Every passage sits in its letter's cell (sender, first recipient, year),
 * each cell's n is its passage count, and its ranks are 0..n-1. */
static void cells_exact(sqlite3 *db)
{
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages p"
                               " JOIN letters l ON l.id = p.letter_id"
                               " LEFT JOIN cells c ON c.id = p.cell_id"
                               " WHERE c.id IS NULL OR c.sender != l.sender"
                               " OR c.recipient != l.recipient OR c.year !="
                               " coalesce(CAST(substr(l.date, 1, 4) AS INT), 0)"),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM cells c WHERE n !="
                               " (SELECT count(DISTINCT cell_ord) FROM passages"
                               "  WHERE cell_id = c.id AND cell_ord BETWEEN 0"
                               "  AND c.n - 1)"
                               " OR n != (SELECT count(*) FROM passages"
                               "  WHERE cell_id = c.id)"),
                     0);
}

static void test_import_corpus(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    const char *paths[] = {CORPUS};
    ImportReport rep;
    char *out;

    assert_int_equal(run_import(db, paths, 1, DATADIR, &rep, &out), STATUS_OK);
    assert_string_equal(out, ""); /* no warnings for the shipped data */
    free(out);
    assert_int_equal(rep.files_new, 1);
    assert_int_equal(rep.files_changed, 0);
    assert_int_equal(rep.files_unchanged, 0);
    assert_int_equal(rep.letters, 3);
    assert_int_equal(rep.passages, 18);
    assert_int_equal(rep.errata_applied, 3);

    assert_int_equal(q_int(db, "SELECT count(*) FROM files"), 1);
    assert_string_equal(q_text(db, "SELECT name FROM files"),
                        "stalin-churchill-1941.txt");
    size_t len;
    char *bytes = slurp(CORPUS, &len);
    assert_int_equal(q_int(db, "SELECT size FROM files"),
                     (long long)len);
    free(bytes);
    char *people = q_rows(db, "SELECT name FROM people ORDER BY name");
    assert_string_equal(people, "Churchill\nStalin\n");
    free(people);

    char *letters =
        q_rows(db, "SELECT id, seq, number, line, sender, recipient, "
                   "date, date_kind, signature FROM letters ORDER BY id");
    assert_string_equal(letters,
                        "1|1|NULL|1|Stalin|Churchill|1941-07-18|written|NULL\n"
                        "2|2|NULL|19|Churchill|Stalin|1941-11-21|written|NULL\n"
                        "3|3|NULL|35|Stalin|Churchill|1941-11-23|sent|NULL\n");
    free(letters);
    assert_string_equal(q_text(db, "SELECT heading FROM letters WHERE id = 2"),
                        "W. CHURCHILL TO J. V. STALIN*");
    assert_string_equal(q_text(db, "SELECT source FROM letters WHERE id = 1"),
                        "Stalin: Works, Vol. 17: 1941");
    /* Dates: the text's own (no source) and the curated ones (sourced). */
    assert_string_equal(
        q_text(db, "SELECT date_source FROM letters WHERE id = 1"), "NULL");
    assert_memory_equal(
        q_text(db, "SELECT date_source FROM letters WHERE id = 2"),
        "W. S. Churchill, The Second World War", 37);
    assert_memory_equal(
        q_text(db, "SELECT date_source FROM letters WHERE id = 3"),
        "Correspondence between", 22);

    char *counts =
        q_rows(db, "SELECT letter_id, count(*), min(para), max(para) "
                   "FROM passages GROUP BY 1 ORDER BY 1");
    assert_string_equal(counts, "1|6|1|6\n2|6|1|6\n3|6|1|6\n");
    free(counts);
    assert_memory_equal(
        q_text(db,
               "SELECT coalesce(original, shown) FROM passages WHERE letter_id = 1 AND para = 4"),
        "It seems to me, furthermore", 27);
    assert_int_equal(
        q_int(db, "SELECT line FROM passages WHERE letter_id = 1 AND para = 4"),
        9);

    /* Errata: text untouched, shown corrected, flag set, nothing else. */
    assert_int_equal(
        q_int(db, "SELECT instr(coalesce(original, shown), 'send& thither') > 0 AND "
                  "instr(shown, 'could send thither') > 0 AND corrected = 1 "
                  "FROM passages WHERE letter_id = 1 AND para = 6"),
        1);
    assert_int_equal(
        q_int(db, "SELECT instr(shown, 'About Finland. I was quite ready') > 0 "
                  "AND instr(coalesce(original, shown), '1 was') > 0 AND corrected = 1 "
                  "FROM passages WHERE letter_id = 2 AND para = 2"),
        1);
    assert_int_equal(q_int(db,
                           "SELECT instr(shown, 'with you, to the utmost') > 0 "
                           "FROM passages WHERE letter_id = 2 AND para = 5"),
                     1);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE corrected = 1"), 3);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE shown != coalesce(original, shown)"), 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM errata"), 3);

    /* FTS follows the shown text. */
    char *fin = q_rows(db, "SELECT p.letter_id, p.para FROM passages_fts f "
                           "JOIN passages p ON p.id = f.rowid "
                           "WHERE passages_fts MATCH 'finland' ORDER BY 1, 2");
    assert_string_equal(fin, "2|2\n3|3\n");
    free(fin);
    char *thither = q_rows(db, "SELECT p.letter_id, p.para FROM passages_fts f "
                               "JOIN passages p ON p.id = f.rowid "
                               "WHERE passages_fts MATCH 'thither'");
    assert_string_equal(thither, "1|6\n");
    free(thither);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM passages_fts "
                           "WHERE passages_fts MATCH '\"i was quite ready\"'"),
                     1);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM passages_fts "
                           "WHERE passages_fts MATCH '\"1 was quite ready\"'"),
                     0);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO passages_fts(passages_fts, rank) "
                     "VALUES ('integrity-check', 1)",
                     NULL, NULL, NULL),
        SQLITE_OK);

    /* Cells: every passage in one, counts add up, ranks contiguous. */
    char *cells = q_rows(db, "SELECT sender, recipient, year, n FROM cells "
                             "ORDER BY sender, recipient, year");
    assert_string_equal(cells,
                        "Churchill|Stalin|1941|6\nStalin|Churchill|1941|12\n");
    free(cells);
    assert_int_equal(q_int(db, "SELECT sum(n) FROM cells"), 18);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE cell_id IS NULL "
                  "OR cell_ord IS NULL"),
        0);
    assert_int_equal(
        q_int(
            db,
            "SELECT count(*) FROM cells c WHERE "
            "n != (SELECT count(*) FROM passages WHERE cell_id = c.id) OR "
            "n != (SELECT count(DISTINCT cell_ord) FROM passages WHERE cell_id "
            "= c.id) OR "
            "0 != (SELECT min(cell_ord) FROM passages WHERE cell_id = c.id) OR "
            "n - 1 != (SELECT max(cell_ord) FROM passages WHERE cell_id = "
            "c.id)"),
        0);
    /* Ranked by passage id: letter 3's passages follow letter 1's. */
    assert_int_equal(
        q_int(db,
              "SELECT cell_ord FROM passages WHERE letter_id = 3 AND para = 1"),
        6);
    db_close(db);
}

static void test_reimport_unchanged(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    const char *paths[] = {CORPUS};
    ImportReport rep;

    import_ok(db, paths, 1, DATADIR, &rep);
    char *before = dump(db);
    import_ok(db, paths, 1, DATADIR, &rep);
    char *after = dump(db);
    assert_int_equal(rep.files_unchanged, 1);
    assert_int_equal(rep.files_new + rep.files_changed, 0);
    assert_int_equal(rep.letters, 3);
    assert_int_equal(rep.passages, 18);
    assert_int_equal(rep.errata_applied, 3);
    /* Nothing at all was rewritten: not even imported_at. */
    assert_string_equal(before, after);
    free(before);
    free(after);
    db_close(db);
}

/* --- changed files keep their letter numbers ------------------------------ */

static void test_changed_file(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    size_t len;
    char *orig = slurp(CORPUS, &len);
    const char *copy = tmp_path("changed/stalin-churchill-1941.txt");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/changed", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);

    const char *first[] = {CORPUS};
    import_ok(db, first, 1, DATADIR, &rep);

    /* Edit a paragraph of letter 1; same base name, other directory. */
    char *edited = malloc(len + 64);
    assert_non_null(edited);
    const char *at = strstr(orig, "Allow me to thank you");
    assert_non_null(at);
    size_t pre = (size_t)(at - orig) + strlen("Allow me to thank you");
    memcpy(edited, orig, pre);
    memcpy(edited + pre, " warmly", 7);
    memcpy(edited + pre + 7, orig + pre, len - pre);
    write_file(copy, edited, len + 7);

    const char *second[] = {copy};
    import_ok(db, second, 1, DATADIR, &rep);
    assert_int_equal(rep.files_changed, 1);
    assert_int_equal(rep.files_new + rep.files_unchanged, 0);
    assert_int_equal(rep.letters, 3);
    assert_int_equal(rep.passages, 18);
    cells_exact(db);
    /* Letter 1's text changed, so its fingerprint did: its erratum is
     * reported and not applied (issue 10: facts never follow a position). */
    assert_int_equal(rep.errata_applied, 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM files"), 1);
    assert_int_equal(q_int(db, "SELECT size FROM files"),
                     (long long)len + 7);
    char *ids = q_rows(db, "SELECT id, seq, sender FROM letters ORDER BY id");
    assert_string_equal(ids, "1|1|Stalin\n2|2|Churchill\n3|3|Stalin\n");
    free(ids);
    assert_string_equal(
        q_text(db,
               "SELECT coalesce(original, shown) FROM passages WHERE letter_id = 1 AND para = 1"),
        "Allow me to thank you warmly for your two personal messages.");
    /* The FTS index lost the old text and has the new. */
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH "
                  "'\"thank you for your two\"'"),
        0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages_fts WHERE "
                               "passages_fts MATCH 'warmly'"),
                     1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages_fts WHERE "
                               "passages_fts MATCH 'finland'"),
                     2);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO passages_fts(passages_fts, rank) "
                     "VALUES ('integrity-check', 1)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    /* Curated dates survive the replacement. */
    assert_string_equal(q_text(db, "SELECT date FROM letters WHERE id = 3"),
                        "1941-11-23");
    assert_int_equal(q_int(db, "SELECT sum(n) FROM cells"), 18);

    /* A fourth letter gets a new number; dropped, its number is not reused. */
    static const char extra[] = "\n\nJ. V. STALIN TO W. CHURCHILL\n\nA test "
                                "fixture letter.\n\nSource: test\n";
    char *longer = malloc(len + 7 + sizeof extra);
    assert_non_null(longer);
    memcpy(longer, edited, len + 7);
    memcpy(longer + len + 7, extra, sizeof extra - 1);
    write_file(copy, longer, len + 7 + sizeof extra - 1);
    import_ok(db, second, 1, DATADIR, &rep);
    assert_int_equal(rep.letters, 4);
    assert_int_equal(q_int(db, "SELECT max(id) FROM letters"), 4);
    write_file(copy, edited, len + 7);
    import_ok(db, second, 1, DATADIR, &rep);
    assert_int_equal(rep.letters, 3);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE letter_id = 4"), 0);
    write_file(copy, longer, len + 7 + sizeof extra - 1);
    import_ok(db, second, 1, DATADIR, &rep);
    char *after = q_rows(db, "SELECT id, seq FROM letters ORDER BY id");
    assert_string_equal(after, "1|1\n2|2\n3|3\n5|4\n");
    free(after);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages"), 19);

    free(longer);
    free(edited);
    free(orig);
    db_close(db);
}

/* Both search indexes match the passages exactly (FTS5's integrity-check
 * with rank 1 compares an external-content index with its content). */
static void indexes_ok(sqlite3 *db)
{
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO passages_fts(passages_fts, rank) "
                                  "VALUES ('integrity-check', 1);"
                                  "INSERT INTO passages_tri(passages_tri, rank) "
                                  "VALUES ('integrity-check', 1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

/* Passages with word, by each index: the word index (porter), the trigram
 * index (detail=none: the AND of the word's trigrams, lower case). */
static void word_found(sqlite3 *db, const char *word, long long fts,
                       long long tri)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH '%s'",
             word);
    assert_int_equal(q_int(db, sql), fts);
    size_t o = (size_t)snprintf(sql, sizeof sql,
                                "SELECT count(*) FROM passages_tri WHERE "
                                "passages_tri MATCH '");
    for (size_t i = 0; i + 3 <= strlen(word); i++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, "%s\"%.3s\"",
                              i ? " AND " : "", word + i);
    snprintf(sql + o, sizeof sql - o, "'");
    assert_int_equal(q_int(db, sql), tri);
}

/* The importer indexes new passages itself, in bulk (import_index): a
 * changed file's old terms leave both indexes, its new passages enter them
 * whether their ids are above another file's or reuse its own old ones. */
static void test_changed_file_indexes(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    size_t len;
    char *orig = slurp(CORPUS, &len);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/stale", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *a = tmp_path("stale/stalin-churchill-1941.txt");
    const char *b = tmp_path("stale/b.txt");
    const char *paths[] = {a, b};

    /* A with an invented word in letter 1's first passage. */
    static const char mark[] = "Allow me to thank you";
    const char *at = strstr(orig, mark);
    assert_non_null(at);
    size_t pre = (size_t)(at - orig) + strlen(mark);
    char *edited = malloc(len + 32);
    assert_non_null(edited);
    memcpy(edited, orig, pre);
    memcpy(edited + pre, " Quillfeather", 13);
    memcpy(edited + pre + 13, orig + pre, len - pre);
    static const char b1[] = "J. V. STALIN TO W. CHURCHILL\n\nAn invented "
                             "test letter about Wobblethorpe.\n\nSource: "
                             "test\n";
    static const char b2[] = "J. V. STALIN TO W. CHURCHILL\n\nAn invented "
                             "test letter about Zanzibarine.\n\nSource: "
                             "test\n";

    write_file(a, edited, len + 13);
    write_file(b, b1, sizeof b1 - 1);
    import_ok(db, paths, 2, DATADIR, &rep);
    assert_int_equal(rep.files_new, 2);
    indexes_ok(db);
    word_found(db, "quillfeather", 1, 1);
    word_found(db, "wobblethorpe", 1, 1);

    /* A loses the word: its new rows go above B's. */
    write_file(a, orig, len);
    import_ok(db, paths, 2, DATADIR, &rep);
    assert_int_equal(rep.files_changed, 1);
    assert_int_equal(rep.files_unchanged, 1);
    indexes_ok(db);
    word_found(db, "quillfeather", 0, 0);
    word_found(db, "wobblethorpe", 1, 1);
    word_found(db, "finland", 2, 2);

    /* A, now the highest ids, changes again: its new rows take them again.
     * Then B, now below A. */
    long long top = q_int(db, "SELECT max(id) FROM passages");
    write_file(a, edited, len + 13);
    import_ok(db, paths, 2, DATADIR, &rep);
    assert_int_equal(rep.files_changed, 1);
    assert_int_equal(q_int(db, "SELECT max(id) FROM passages"), top);
    indexes_ok(db);
    word_found(db, "quillfeather", 1, 1);
    write_file(b, b2, sizeof b2 - 1);
    import_ok(db, paths, 2, DATADIR, &rep);
    assert_int_equal(rep.files_changed, 1);
    indexes_ok(db);
    word_found(db, "wobblethorpe", 0, 0);
    word_found(db, "zanzibarine", 1, 1);
    word_found(db, "quillfeather", 1, 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages"), 19);

    free(edited);
    free(orig);
    db_close(db);
}

/* --- all or nothing ---------------------------------------------------------- */

static void test_failure_leaves_db_unchanged(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;

    const char *first[] = {CORPUS};
    import_ok(db, first, 1, DATADIR, &rep);
    char *before = dump(db);

    /* A good new file, then a malformed one: nothing of either is written,
     * and every error is reported. */
    const char *paths[] = {
        FIXTURES "/edition-1942-1944.txt",
        FIXTURES "/bad-unknown-person.txt",
        FIXTURES "/bad-utf8.txt",
    };
    rep.letters = 99;
    assert_int_equal(run_import(db, paths, 3, DATADIR, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(strstr(
        out, FIXTURES "/bad-unknown-person.txt:7: unknown person "
                      "'Marshal Voroshilov' (add it to data/aliases.txt)\n"));
    assert_non_null(strstr(out, FIXTURES "/bad-utf8.txt:3: invalid UTF-8\n"));
    assert_int_equal(rep.letters, 0);
    free(out);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(after);

    /* A failure inside the transaction, after letters were written: a
     * trigger makes the cells rebuild fail once there are more letters. */
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.cells "
                     "WHEN (SELECT count(*) FROM main.letters) > 3 "
                     "BEGIN SELECT RAISE(ABORT, 'boom'); END",
                     NULL, NULL, NULL),
        SQLITE_OK);
    const char *good[] = {FIXTURES "/edition-1942-1944.txt"};
    assert_int_equal(run_import(db, good, 1, DATADIR, &rep, &out),
                     STATUS_ERROR);
    assert_non_null(strstr(out, "boom"));
    free(out);
    after = dump(db);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(sqlite3_get_autocommit(db),
                     1); /* no transaction left open */
    assert_int_equal(
        sqlite3_exec(db, "DROP TRIGGER temp.boom", NULL, NULL, NULL),
        SQLITE_OK);

    /* And then it imports fine. */
    import_ok(db, good, 1, DATADIR, &rep);
    assert_int_equal(rep.files_new, 1);
    assert_int_equal(rep.files_unchanged, 0);
    assert_int_equal(rep.letters, 9);
    free(before);
    db_close(db);
}

static void test_read_errors(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;

    const char *missing[] = {FIXTURES "/no-such-file.txt"};
    assert_int_equal(run_import(db, missing, 1, DATADIR, &rep, &out),
                     STATUS_INVALID);
    assert_string_equal(out, FIXTURES
                        "/no-such-file.txt: No such file or directory\n");
    free(out);

    /* Two files with one base name. */
    const char *copy = tmp_path("stalin-churchill-1941.txt");
    size_t len;
    char *bytes = slurp(CORPUS, &len);
    write_file(copy, bytes, len);
    free(bytes);
    const char *dup[] = {CORPUS, copy};
    assert_int_equal(run_import(db, dup, 2, DATADIR, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(strstr(out, "same file name as " CORPUS));
    free(out);

    /* 64 MiB of NUL bytes (a sparse file, so this is cheap): no size cap,
     * but the stream says what is wrong without holding the whole file. */
    const char *huge = tmp_path("huge.txt");
    FILE *f = fopen(huge, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(truncate(huge, (64 << 20) + 1), 0);
    const char *big[] = {huge};
    assert_int_equal(run_import(db, big, 1, DATADIR, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(strstr(out, "huge.txt:1: line longer than 65536 bytes"));
    free(out);
    unlink(huge);

    /* A data directory without aliases. */
    const char *paths[] = {CORPUS};
    assert_int_equal(run_import(db, paths, 1, FIXTURES, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(
        strstr(out, FIXTURES "/aliases.txt: No such file or directory"));
    free(out);

    assert_int_equal(q_int(db, "SELECT count(*) FROM files"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM letters"), 0);
    db_close(db);
}

/* --- errata and dates files ------------------------------------------------- */

static const char *make_datadir(const char *name, const char *errata,
                                const char *dates)
{
    static char dir[256];
    char path[300];
    size_t len;
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    char *aliases = slurp(DATADIR "/aliases.txt", &len);
    snprintf(path, sizeof path, "%s/aliases.txt", dir);
    write_file(path, aliases, len);
    free(aliases);
    if (errata) {
        snprintf(path, sizeof path, "%s/errata.tsv", dir);
        write_file(path, errata, strlen(errata));
    }
    if (dates) {
        snprintf(path, sizeof path, "%s/dates.tsv", dir);
        write_file(path, dates, strlen(dates));
    }
    return dir;
}

/* The shipped letters' keys (FILE#FINGERPRINT, as --check prints them). */
#define K1 "stalin-churchill-1941.txt#8edde1875929bfc8"
#define K2 "stalin-churchill-1941.txt#b035ae6aa2d11c8d"
#define K3 "stalin-churchill-1941.txt#687e6fe600cb1f18"
#define K9 "stalin-churchill-1941.txt#0123456789abcdef"

/* A file over the old 64 MiB cap imports, streamed in parts: each letter
 * carries a long Source line (not indexed), so this stays quick.  Line
 * numbers and letter order run on across the parts. */
static void test_file_over_64_mib(void **state)
{
    (void)state;
    enum { LETTERS = 1100, SOURCE_LEN = 62000 };
    sqlite3 *db = fresh_db();
    ImportReport rep;
    const char *path = tmp_path("big-invented.txt");
    char *source = malloc(SOURCE_LEN + 1);
    assert_non_null(source);
    memset(source, 'x', SOURCE_LEN);
    source[SOURCE_LEN] = '\0';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int k = 0; k < LETTERS; k++)
        fprintf(f,
                "MESSAGE FROM J. V. STALIN TO W. CHURCHILL\n\n"
                "Invented passage number %d of a test file.\n\n"
                "Source: %s\n\n",
                k + 1, source);
    long bytes = ftell(f);
    assert_int_equal(fclose(f), 0);
    free(source);
    assert_true(bytes > (64L << 20));

    import_ok(db, (const char *[]){path}, 1, DATADIR, &rep);
    assert_int_equal(rep.letters, LETTERS);
    assert_int_equal(rep.passages, LETTERS);
    assert_int_equal(q_int(db, "SELECT size FROM files"), bytes);
    assert_int_equal(q_int(db, "SELECT max(seq) = count(*) FROM letters"), 1);
    /* Six lines a letter: the last heading is on line 6 * (LETTERS-1) + 1. */
    assert_int_equal(q_int(db, "SELECT line FROM letters WHERE seq = 1100"),
                     6 * (LETTERS - 1) + 1);
    assert_int_equal(
        q_int(db, "SELECT line FROM passages WHERE letter_id = "
                  "(SELECT id FROM letters WHERE seq = 1100)"),
        6 * (LETTERS - 1) + 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages_fts "
                               "WHERE passages_fts MATCH '\"number 1100\"'"),
                     1);
    /* Again: unchanged, nothing written. */
    import_ok(db, (const char *[]){path}, 1, DATADIR, &rep);
    assert_int_equal(rep.files_unchanged, 1);
    unlink(path);
    sqlite3_close(db);
}

static void test_errata_and_dates(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;
    const char *paths[] = {CORPUS};

    const char *dir = make_datadir(
        "data1",
        "# comment\n"
        "\n" K1 ".1\tnot there\tx\tbecause\n" /* line 3 */
        K9 ".9\tx\ty\tbecause\n"              /* line 4 */
        K1 ".2\tinitiated\tbegun\tfirst\r\n"  /* line 5, CRLF */
        K1 ".2\tbegun agreement\tbegun an agreement\tsecond\n" /* chains */
        K1 ".3\tstrained\t\tdeleted word\n",    /* line 7, empty */
        K1 "\t1941-07-19\twritten\tsomewhere\n" /* own date */
        K2 "\t1941-11-20\treceived\tsomewhere else\n" K9
           "\t1941-11-20\treceived\tnowhere\n");
    assert_int_equal(run_import(db, paths, 1, dir, &rep, &out), STATUS_OK);
    char want[2048];
    snprintf(
        want, sizeof want,
        "%s/errata.tsv:4: no letter " K9 "; not applied\n"
        "%s/errata.tsv:3: passage 1.1 does not contain 'not there'; not "
        "applied\n"
        "%s/dates.tsv:1: letter 1 has its own date (1941-07-18); not applied\n"
        "%s/dates.tsv:3: no letter " K9 "; not applied\n",
        dir, dir, dir, dir);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(rep.errata_applied, 3);
    assert_memory_equal(
        q_text(db,
               "SELECT shown FROM passages WHERE letter_id = 1 AND para = 2"),
        "Your messages have begun an agreement between", 45);
    assert_int_equal(q_int(db,
                           "SELECT instr(shown, 'remains .') > 0 FROM passages "
                           "WHERE letter_id = 1 AND para = 3"),
                     1);
    assert_int_equal(
        q_int(
            db,
            "SELECT corrected FROM passages WHERE letter_id = 1 AND para = 1"),
        0);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE corrected = 1"), 2);
    /* The shipped errata are not in this directory: 1.6 shows its text. */
    assert_int_equal(q_int(db, "SELECT shown = coalesce(original, shown) FROM passages WHERE "
                               "letter_id = 1 AND para = 6"),
                     1);
    /* Only facts whose letter was found are stored. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM errata"), 4);
    char *dates = q_rows(
        db, "SELECT id, date, date_kind, date_source FROM letters ORDER BY id");
    assert_string_equal(dates, "1|1941-07-18|written|NULL\n"
                               "2|1941-11-20|received|somewhere else\n"
                               "3|NULL|NULL|NULL\n");
    free(dates);
    assert_string_equal(
        q_text(db, "SELECT group_concat(year) FROM "
                   "(SELECT year FROM cells ORDER BY year, sender)"),
        "0,1941,1941");

    /* The shipped data directory: everything follows it, nothing stale. */
    import_ok(db, paths, 1, DATADIR, &rep);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE corrected = 1"), 3);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM passages WHERE shown != coalesce(original, shown)"), 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM errata"), 3);
    assert_string_equal(
        q_text(db, "SELECT date_kind FROM letters WHERE id = 2"), "written");
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO passages_fts(passages_fts, rank) "
                     "VALUES ('integrity-check', 1)",
                     NULL, NULL, NULL),
        SQLITE_OK);

    /* No errata.tsv or dates.tsv at all: plain text, undated letters. */
    dir = make_datadir("data2", NULL, NULL);
    import_ok(db, paths, 1, dir, &rep);
    assert_int_equal(rep.errata_applied, 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages WHERE corrected "
                               "!= 0 OR original IS NOT NULL"),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM errata"), 0);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM letters WHERE date IS NULL"), 2);
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM letters WHERE date_source IS NOT NULL"),
        0);
    assert_string_equal(
        q_text(db, "SELECT group_concat(year || ':' || n) FROM "
                   "(SELECT year, n FROM cells ORDER BY year, sender)"),
        "0:6,0:6,1941:6");
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages_fts WHERE "
                               "passages_fts MATCH 'thither'"),
                     1);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM passages_fts "
                           "WHERE passages_fts MATCH '\"i was quite ready\"'"),
                     0);
    db_close(db);
}

/* An import that only adds letters places them at the end of their cells
 * and moves no passage already placed; one that deletes (a changed file)
 * or re-dates rebuilds the cells; either way they stay exact. */
static void test_cells_follow_imports(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    const char *first[] = {CORPUS};
    import_ok(db, first, 1, DATADIR, &rep);
    cells_exact(db);
    static const char *const placed =
        "SELECT group_concat(p.id || ':' || c.sender || c.year || ':' ||"
        " p.cell_ord, ' ') FROM passages p JOIN cells c ON c.id = p.cell_id"
        " WHERE p.id <= 18 ORDER BY p.id";
    char *before = strdup(q_text(db, placed));
    assert_non_null(before);

    const char *second[] = {FIXTURES "/edition-1942-1944.txt"};
    import_ok(db, second, 1, DATADIR, &rep);
    assert_int_equal(rep.files_new, 1);
    cells_exact(db);
    assert_string_equal(q_text(db, placed), before);
    free(before);

    /* No data directory: the curated dates are cleared, letters move to
     * the undated cells. */
    const char *dir = make_datadir("cells-nodates", NULL, NULL);
    const char *both[] = {CORPUS, FIXTURES "/edition-1942-1944.txt"};
    import_ok(db, both, 2, dir, &rep);
    cells_exact(db);
    import_ok(db, both, 2, DATADIR, &rep);
    cells_exact(db);
    db_close(db);
}

static void test_bad_tsv_lines(void **state)
{
    (void)state;
    static const struct {
        const char *errata, *dates, *err;
    } cases[] = {
        {K1 ".5\tsend&\tsend\n", NULL,
         "errata.tsv:1: expected LETTER.PARA<TAB>ORIGINAL"
         "<TAB>REPLACEMENT<TAB>REASON"},
        {"#\n" K1 ".5\ta\tb\tc\td\n", NULL,
         "errata.tsv:2: expected LETTER.PARA"},
        {K1 "\ta\tb\tc\n", NULL, "errata.tsv:1: passage must be LETTER.PARA"},
        {K1 ".x\ta\tb\tc\n", NULL, "errata.tsv:1: passage must be LETTER.PARA"},
        {K1 ".0\ta\tb\tc\n", NULL, "errata.tsv:1: passage must be LETTER.PARA"},
        /* A position is not a letter: the case issue 10 is about. */
        {"1.5\ta\tb\tc\n", NULL,
         "errata.tsv:1: a letter number is a position, which other imports "
         "change"},
        {"x#0123.5\ta\tb\tc\n", NULL,
         "errata.tsv:1: FINGERPRINT must be 16 hex digits"},
        {"a/b.txt#0123456789abcdef.5\ta\tb\tc\n", NULL,
         "errata.tsv:1: FILE must be a file's base name"},
        {K1 ".1\t\tb\tc\n", NULL, "errata.tsv:1: empty ORIGINAL"},
        {K1 ".1\ta\tb\t\n", NULL, "errata.tsv:1: empty REASON"},
        {K1 ".1\ta\ta\tc\n", NULL, "errata.tsv:1: REPLACEMENT equals ORIGINAL"},
        {K1 ".1\ta\tb\tc\n" K1 ".1\ta\tc\td\n", NULL,
         "errata.tsv:2: same passage and ORIGINAL as line 1"},
        {K1 ".1\ta\xff\tb\tc\n", NULL, "errata.tsv:1: invalid UTF-8"},
        {NULL, K2 "\t1941-11-21\twritten\n",
         "dates.tsv:1: expected LETTER<TAB>YYYY-MM-DD"},
        {NULL, "x\t1941-11-21\twritten\ts\n",
         "dates.tsv:1: LETTER must be FILE#FINGERPRINT"},
        {NULL, "2\t1941-11-21\twritten\ts\n",
         "dates.tsv:1: a letter number is a position"},
        {NULL, K2 "\t1941-02-30\twritten\ts\n",
         "dates.tsv:1: date must be a valid YYYY-MM-DD"},
        {NULL, K2 "\t21 Nov 1941\twritten\ts\n",
         "dates.tsv:1: date must be a valid YYYY-MM-DD"},
        {NULL, K2 "\t1941-11-21\tposted\ts\n",
         "dates.tsv:1: kind must be written, sent or received"},
        {NULL, K2 "\t1941-11-21\tsent\t\n", "dates.tsv:1: empty SOURCE"},
        {NULL, K2 "\t1941-11-21\tsent\t   \n", "dates.tsv:1: empty SOURCE"},
        {NULL, K2 "\t1941-11-21\tsent\ts\n" K2 "\t1941-11-22\tsent\ts\n",
         "dates.tsv:2: letter " K2 " already dated on line 1"},
    };
    sqlite3 *db = fresh_db();
    ImportReport rep;
    const char *paths[] = {CORPUS};
    import_ok(db, paths, 1, DATADIR, &rep);
    char *before = dump(db);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32], *out;
        snprintf(name, sizeof name, "bad%zu", i);
        const char *dir = make_datadir(name, cases[i].errata, cases[i].dates);
        char want[512];
        snprintf(want, sizeof want, "%s/%s", dir, cases[i].err);
        if (run_import(db, paths, 1, dir, &rep, &out) != STATUS_INVALID)
            fail_msg("case %zu: accepted", i);
        if (strncmp(out, want, strlen(want)) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, out, want);
        free(out);
        char *after = dump(db);
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
    db_close(db);
}

/* --- several files --------------------------------------------------------- */

static void test_multi_file(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;
    const char *paths[] = {CORPUS, FIXTURES "/edition-1942-1944.txt",
                           FIXTURES "/warn-no-source.txt"};

    assert_int_equal(run_import(db, paths, 3, DATADIR, &rep, &out), STATUS_OK);
    assert_string_equal(
        out,
        FIXTURES "/warn-no-source.txt:1: letter 1 has no Source line\n" FIXTURES
                 "/warn-no-source.txt:5: letter 2 has no Source line\n");
    free(out);
    assert_int_equal(rep.files_new, 3);
    assert_int_equal(rep.letters, 11);
    assert_int_equal(rep.passages, 18 + 7 + 2);
    char *letters =
        q_rows(db, "SELECT l.id, f.name, l.seq, l.number, l.sender, "
                   "l.date, l.date_kind, l.signature, l.source IS NULL "
                   "FROM letters l JOIN files f ON f.id = l.file_id "
                   "WHERE l.id > 3 ORDER BY l.id");
    assert_string_equal(
        letters,
        "4|edition-1942-1944.txt|1|29|Stalin|1942-01-08|sent|J. STALIN|0\n"
        "5|edition-1942-1944.txt|2|98|Stalin|1943-01-05|sent|NULL|0\n"
        "6|edition-1942-1944.txt|3|221|Churchill|1944-01-05|received|W. S. "
        "CHURCHILL|0\n"
        "7|edition-1942-1944.txt|4|23|Roosevelt|1943-01-11|written|NULL|0\n"
        "8|edition-1942-1944.txt|5|NULL|Truman|NULL|NULL|NULL|0\n"
        "9|edition-1942-1944.txt|6|NULL|Attlee|1944-01-02|written|NULL|0\n"
        "10|warn-no-source.txt|1|NULL|Stalin|NULL|NULL|NULL|1\n"
        "11|warn-no-source.txt|2|NULL|Stalin|NULL|NULL|NULL|1\n");
    free(letters);
    char *people = q_rows(db, "SELECT name FROM people ORDER BY name");
    assert_string_equal(people,
                        "Attlee\nChurchill\nRoosevelt\nStalin\nTruman\n");
    free(people);
    char *cells = q_rows(db, "SELECT sender, recipient, year, n FROM cells "
                             "ORDER BY sender, recipient, year");
    assert_string_equal(cells, "Attlee|Stalin|1944|1\n"
                               "Churchill|Stalin|1941|6\n"
                               "Churchill|Stalin|1944|2\n"
                               "Roosevelt|Stalin|1943|1\n"
                               "Stalin|Churchill|0|2\n"
                               "Stalin|Churchill|1941|12\n"
                               "Stalin|Churchill|1942|1\n"
                               "Stalin|Churchill|1943|1\n"
                               "Truman|Stalin|0|1\n");
    free(cells);
    assert_int_equal(q_int(db, "SELECT sum(n) FROM cells"), 27);
    assert_int_equal(q_int(db, "SELECT count(*) FROM cells c WHERE "
                               "n - 1 != (SELECT max(cell_ord) FROM passages "
                               "WHERE cell_id = c.id) OR "
                               "n != (SELECT count(DISTINCT cell_ord) FROM "
                               "passages WHERE cell_id = c.id)"),
                     0);

    /* Again: all three unchanged. */
    import_ok(db, paths, 3, DATADIR, &rep);
    assert_int_equal(rep.files_unchanged, 3);

    /* Importing nothing re-applies the data files and changes nothing. */
    char *before = dump(db);
    import_ok(db, NULL, 0, DATADIR, &rep);
    assert_int_equal(rep.letters, 11);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(before);
    free(after);
    db_close(db);
}

/* --- diagnostics ------------------------------------------------------------ */

/* Every problem is its own line through the Error's sink, at its severity;
 * without a sink the first error is kept and the rest counted. */
static void test_diagnostics_through_sink(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    Collected got;
    char *out;
    const char *warn[] = {FIXTURES "/warn-no-source.txt"};

    assert_int_equal(run_import_counted(db, warn, 1, DATADIR, &rep, &out, &got),
                     STATUS_OK);
    /* Letters without Source, and the data dir's errata and dates that name
     * letters this database lacks: warnings all, one line each. */
    size_t lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    assert_int_equal(got.warnings, lines);
    assert_true(got.warnings >= 2);
    assert_int_equal(got.errors, 0);
    assert_int_equal(got.others, 0);
    assert_non_null(strstr(out, FIXTURES "/warn-no-source.txt:1: letter 1 has "
                                         "no Source line\n"));
    free(out);

    const char *bad[] = {FIXTURES "/warn-no-source.txt",
                         FIXTURES "/bad-unknown-person.txt",
                         FIXTURES "/bad-utf8.txt"};
    const char *first =
        FIXTURES "/bad-unknown-person.txt:7: unknown person "
                 "'Marshal Voroshilov' (add it to data/aliases.txt)";
    assert_int_equal(run_import_counted(db, bad, 3, DATADIR, &rep, &out, &got),
                     STATUS_INVALID);
    assert_int_equal(got.errors, 2);
    assert_int_equal(got.warnings, 2);
    /* In file order, each line exactly as 'missive import' prints it. */
    char want[2048];
    snprintf(want, sizeof want,
             "%s/warn-no-source.txt:1: letter 1 has no Source line\n"
             "%s/warn-no-source.txt:5: letter 2 has no Source line\n"
             "%s\n%s/bad-utf8.txt:3: invalid UTF-8\n",
             FIXTURES, FIXTURES, first, FIXTURES);
    assert_string_equal(out, want);
    free(out);

    Error plain = {0};
    assert_int_equal(import_files(db, bad, 3, DATADIR, &rep, &plain),
                     STATUS_INVALID);
    assert_string_equal(plain.msg, first);
    assert_int_equal(plain.errors, 2);
    assert_int_equal(import_files(db, bad, 3, DATADIR, &rep, NULL),
                     STATUS_INVALID);
    db_close(db);
}

/* --- issue 10: facts follow letters, layouts, keep-going, check ----------- */

#define LAYOUTS FIXTURES "/layouts"

static void describe_line(void *ud, const char *line)
{
    fprintf(ud, "%s\n", line);
}

static Status import_with(sqlite3 *db, const char *const *paths, size_t n,
                          const ImportOptions *opt, ImportReport *rep,
                          char **out)
{
    size_t len;
    Collected c = {.f = open_memstream(out, &len)};
    assert_non_null(c.f);
    Error err = {.sink = collect, .sink_ud = &c};
    Status rc = import_files_opts(db, paths, n, DATADIR, opt, rep, &err);
    fclose(c.f);
    return rc;
}

/* The case issue 10 names: dates.tsv once said "letter 2 was written on
 * 21 November 1941", and whatever letter was imported second got that date.
 * Keyed to the letter itself, the fact lands on the shipped letter or on
 * nothing, and a fact whose letter is missing is reported. */
static void test_facts_follow_letters(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;

    /* Another file first: its second letter has no date of its own. */
    const char *other[] = {LAYOUTS "/undated-second.txt"};
    assert_int_equal(import_with(db, other, 1, NULL, &rep, &out), STATUS_OK);
    assert_string_equal(q_text(db, "SELECT coalesce(date, 'undated') FROM "
                                   "letters WHERE id = 2"),
                        "undated");
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages WHERE "
                               "corrected != 0 OR original IS NOT NULL"),
                     0);
    /* Every shipped fact is reported as not applied: 3 errata, 2 dates. */
    assert_non_null(
        strstr(out, "/dates.tsv:12: no letter " K2 "; not applied\n"));
    assert_non_null(
        strstr(out, "/errata.tsv:12: no letter " K1 "; not applied\n"));
    size_t lines = 0;
    for (const char *c = out; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 5);
    free(out);

    /* Then the shipped file: its letters are 3..5, and the facts follow
     * them there; the other file's letter 2 stays undated. */
    const char *paths[] = {CORPUS};
    assert_int_equal(import_with(db, paths, 1, NULL, &rep, &out), STATUS_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(rep.errata_applied, 3);
    char *dates = q_rows(db, "SELECT id, coalesce(date, '-'), "
                             "coalesce(date_kind, '-') FROM letters "
                             "ORDER BY id");
    assert_string_equal(dates, "1|1941-07-18|written\n"
                               "2|-|-\n"
                               "3|1941-07-18|written\n"
                               "4|1941-11-21|written\n"
                               "5|1941-11-23|sent\n");
    free(dates);
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages WHERE "
                               "corrected = 1 AND letter_id IN (3, 4)"),
                     3);
    /* Re-importing both changes nothing. */
    char *before = dump(db);
    const char *both[] = {LAYOUTS "/undated-second.txt", CORPUS};
    assert_int_equal(import_with(db, both, 2, NULL, &rep, &out), STATUS_OK);
    free(out);
    assert_int_equal(rep.files_unchanged, 2);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(before);
    free(after);
    db_close(db);
}

static void test_layouts_import(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;
    ImportOptions opt = {.from = "J. V. Stalin"};
    const char *paths[] = {LAYOUTS "/archive.txt", LAYOUTS "/frus.txt",
                           LAYOUTS "/works.txt"};

    assert_int_equal(import_with(db, paths, 3, &opt, &rep, &out), STATUS_OK);
    free(out);
    assert_int_equal(rep.letters, 8);
    char *rows = q_rows(
        db, "SELECT l.id, l.sender, group_concat(r.person, ','), "
            "coalesce(l.date, '-'), (SELECT count(*) FROM passages p "
            "WHERE p.letter_id = l.id) FROM letters l JOIN letter_recipients "
            "r ON r.letter_id = l.id GROUP BY l.id ORDER BY l.id");
    assert_string_equal(rows, "1|Stalin|Churchill|1941-07-18|2\n"
                              "2|Stalin|Churchill|1941-07-25|1\n"
                              "3|Stalin|Roosevelt,Churchill|1944-08-04|1\n"
                              "4|Stalin|Roosevelt|1943-10-19|1\n"
                              "5|Churchill|Stalin|1944-11-10|2\n"
                              "6|Churchill|Stalin|-|1\n"
                              "7|Stalin|Roosevelt|1943-01-11|1\n"
                              "8|Stalin|Churchill|-|1\n");
    free(rows);
    /* Shown text is byte for byte; the index finds the words under the
     * footnote marks. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM passages WHERE instr("
                               "shown, 'Hopkins82, and') > 0"),
                     1);
    static const char *const words[] = {"hopkins", "president",
                                        "\"soviet german\"", "\"u s s r\""};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM passages_fts WHERE passages_fts "
                 "MATCH '%s'",
                 words[i]);
        if (q_int(db, sql) < 1)
            fail_msg("the index does not find %s", words[i]);
    }

    /* Again: nothing changes; a different --from is a different parse. */
    char *before = dump(db);
    assert_int_equal(import_with(db, paths, 3, &opt, &rep, &out), STATUS_OK);
    free(out);
    assert_int_equal(rep.files_unchanged, 3);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* An unknown --from is an error, and the database is untouched. */
    ImportOptions bad = {.from = "Voroshilov"};
    assert_int_equal(import_with(db, paths, 1, &bad, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(strstr(out, "--from 'Voroshilov': unknown person"));
    free(out);
    db_close(db);
}

static void test_keep_going_and_check(void **state)
{
    (void)state;
    sqlite3 *db = fresh_db();
    ImportReport rep;
    char *out;
    const char *paths[] = {LAYOUTS "/keep-going.txt"};

    /* Default: all or nothing, every refused letter reported. */
    char *before = dump(db);
    assert_int_equal(import_with(db, paths, 1, NULL, &rep, &out),
                     STATUS_INVALID);
    assert_non_null(strstr(out, "keep-going.txt:7: unknown person"));
    assert_non_null(strstr(out, "keep-going.txt:19: second date line"));
    free(out);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(after);
    free(before);

    /* --check: a description, nothing written. */
    size_t len;
    char *desc;
    FILE *f = open_memstream(&desc, &len);
    assert_non_null(f);
    ImportOptions check = {
        .check = true, .describe = describe_line, .describe_ud = f};
    assert_int_equal(import_with(db, paths, 1, &check, &rep, &out), STATUS_OK);
    free(out);
    fclose(f);
    assert_non_null(strstr(desc, "keep-going.txt:1-5: letter 1.1-1.1, key "
                                 "keep-going.txt#"));
    assert_non_null(strstr(desc, "  Churchill -> Stalin\n  date: undated\n"
                                 "  passages: 1\n"));
    assert_non_null(
        strstr(desc, "keep-going.txt:7: unknown person 'Marshal Voroshilov' "
                     "(add it to data/aliases.txt) (refused)"));
    free(desc);
    assert_int_equal(rep.checked, 2);
    assert_int_equal(rep.refused, 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM letters"), 0);

    /* --keep-going: the two good letters, the two others reported. */
    ImportOptions kg = {.keep_going = true};
    assert_int_equal(import_with(db, paths, 1, &kg, &rep, &out), STATUS_OK);
    assert_int_equal(rep.refused, 2);
    assert_int_equal(rep.letters, 2);
    assert_non_null(strstr(out, "keep-going.txt:7: unknown person"));
    free(out);
    char *rows = q_rows(db, "SELECT id, seq, sender FROM letters ORDER BY id");
    assert_string_equal(rows, "1|1|Stalin\n2|2|Churchill\n");
    free(rows);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_corpus),
        cmocka_unit_test(test_reimport_unchanged),
        cmocka_unit_test(test_changed_file),
        cmocka_unit_test(test_changed_file_indexes),
        cmocka_unit_test(test_cells_follow_imports),
        cmocka_unit_test(test_failure_leaves_db_unchanged),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_file_over_64_mib),
        cmocka_unit_test(test_errata_and_dates),
        cmocka_unit_test(test_bad_tsv_lines),
        cmocka_unit_test(test_multi_file),
        cmocka_unit_test(test_diagnostics_through_sink),
        cmocka_unit_test(test_facts_follow_letters),
        cmocka_unit_test(test_layouts_import),
        cmocka_unit_test(test_keep_going_and_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
