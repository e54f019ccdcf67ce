/* test_search.c - !search's ranking past its count bound (corpus_search,
 * toplist.c).
 *
 * The fixture is invented here and written at run time: 1300 passages,
 * every one holding "convoy", so a query for it is over CORPUS_SEARCH_BOUND;
 * the best passages by the documented ranking lie after the first 1000
 * matches in passage order, where ranking only the first 1000 cannot see
 * them.  Each answer is checked against SQL's own full ranking by the same
 * missive_bm25. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "corpus.h"
#include "db.h"
#include "import.h"
#include "searchq.h"
#include "rank.h"
#include "toplist.h"

#define LETTERS 130
#define PARAS 10

static char tmpdir[TESTUTIL_DIR_MAX];

/* Letter 120's third passage (Stalin's) is the best "convoy" (three of
 * its three words), letter 125's fifth (Churchill's) the second; every other passage
 * has one or two in eight to sixteen words.  Every passage but one has
 * "island" too, and nearly every one "marmalade island": letter 122's
 * seventh is the best for "convoy island", letter 124's eighth (no
 * convoy) the best for the phrase "marmalade island". */
static void write_fixture(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int l = 1; l <= LETTERS; l++) {
        fprintf(f, "Personal Message from %s to %s\n\n",
                l % 2 ? "Churchill" : "Stalin", l % 2 ? "Stalin" : "Churchill");
        for (int p = 1; p <= PARAS; p++) {
            if (l == 120 && p == 3)
                fputs("Convoy, convoy, convoy.", f);
            else if (l == 125 && p == 5)
                fputs("Convoy convoy, said the lighthouse keeper.", f);
            else if (l == 122 && p == 7)
                fputs("The island convoy, the island, the island.", f);
            else if (l == 124 && p == 8)
                fputs("Marmalade island, marmalade island.", f);
            else {
                int k = (l * 7 + p * 3) % 5;
                fputs((l + p) % 4 ? "The convoy sailed" : "The convoy, convoy",
                      f);
                for (int i = 0; i <= k; i++)
                    fputs(" past the invented marmalade island", f);
                fputs(".", f);
            }
            fputs("\n\n", f);
        }
        fprintf(f, "March %d, 194%d\n\n", 1 + l % 28, 2 + l % 3);
        fputs("Source: invented for Missive's tests (test_search.c); not a "
              "historical letter.\n\n",
              f);
    }
    assert_int_equal(fclose(f), 0);
}

static sqlite3 *fixture_db(void)
{
    char path[TESTUTIL_DIR_MAX + 16], text[TESTUTIL_DIR_MAX + 16];
    Error err = {0};
    ImportReport rep;
    sqlite3 *db;

    assert_int_equal(testutil_tmpdir("search", tmpdir, sizeof tmpdir), 0);
    snprintf(text, sizeof text, "%s/convoys.txt", tmpdir);
    snprintf(path, sizeof path, "%s/db.sqlite", tmpdir);
    write_fixture(text);
    const char *files[] = {text};
    if (db_open(path, &db, &err) != STATUS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(import_files(db, files, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
    assert_int_equal(rep.passages, LETTERS * PARAS);
    return db;
}

static int sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void fixture_close(sqlite3 *db)
{
    db_close(db);
    assert_int_equal(testutil_rmtree(tmpdir), 0);
}

/* The n best matches of match by SQL's full ranking (every match scored,
 * weights capped as over the bound), as "letter.para", sender filtered
 * when given. */
static int sql_best(sqlite3 *db, const char *match, const char *sender,
                    char out[][16], int n)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(
            db,
            "SELECT p.letter_id, p.para FROM passages_fts"
            " JOIN passages p ON p.id = passages_fts.rowid"
            " JOIN letters l ON l.id = p.letter_id"
            " WHERE passages_fts MATCH ?1 AND (?2 IS NULL OR l.sender = ?2)"
            " ORDER BY missive_bm25(passages_fts, NULL, 1000), p.id LIMIT ?3",
            -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, n);
    int k = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out[k++], 16, "%d.%d", sqlite3_column_int(st, 0),
                 sqlite3_column_int(st, 1));
    sqlite3_finalize(st);
    return k;
}

/* Results 1..n of a search, as "letter.para"; the count into *total. */
static void search_results(Corpus *c, const char *user, const char *sender,
                           char out[][16], int n, long *total)
{
    SearchQuery q;
    PassageFilter f = {.sender = sender};
    Error err = {0};
    assert_int_equal(searchq_build(user, &q, &err), STATUS_OK);
    for (int i = 0; i < n; i++) {
        Passage p;
        corpus_command_begin(c, CORPUS_COMMAND_MS);
        Status rc = corpus_search(c, &q, &f, NULL, i, &p, total, &err);
        corpus_command_end(c);
        if (rc != STATUS_OK)
            fail_msg("%s: result %d: %d %s", user, i + 1, rc, err.msg);
        snprintf(out[i], 16, "%d.%d", p.letter, p.para);
        passage_clear(&p);
    }
}

/* The lists exist, and a one-word query over the bound gives the best
 * matches of all, not of the first 1000 in passage order. */
static void test_best_past_the_bound(void **state)
{
    (void)state;
    sqlite3 *db = fixture_db();
    Error err = {0};
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    char want[20][16], got[20][16];
    long total = 0;

    assert_true(LETTERS * PARAS > CORPUS_SEARCH_BOUND);
    search_results(c, "convoy", NULL, got, 20, &total);
    assert_int_equal(total, CORPUS_SEARCH_BOUND + 1); /* "over 1000" */
    assert_string_equal(got[0], "120.3");
    assert_string_equal(got[1], "125.5");
    assert_int_equal(sql_best(db, "convoy", NULL, want, 20), 20);
    for (int i = 0; i < 20; i++) assert_string_equal(got[i], want[i]);

    /* Another form of the word is the same index term and list. */
    search_results(c, "convoys", NULL, got, 1, &total);
    assert_string_equal(got[0], "120.3");

    /* A filter walks the list for its own passages. */
    search_results(c, "convoy from:Churchill", "Churchill", got, 5, &total);
    assert_string_equal(got[0], "125.5");
    assert_int_equal(sql_best(db, "convoy", "Churchill", want, 5), 5);
    for (int i = 0; i < 5; i++) assert_string_equal(got[i], want[i]);

    /* An exclusion is checked on each listed passage. */
    search_results(c, "convoy -lighthouse", NULL, got, 2, &total);
    assert_string_equal(got[0], "120.3");
    assert_string_not_equal(got[1], "125.5");
    corpus_free(c);
    fixture_close(db);
}

/* A query of two words, and one of a phrase, over their bounds: Result 1
 * is their best match of all by SQL's full ranking, though it lies after
 * the first matches in passage order, because it is among the best
 * passages of the query's words. */
static void test_several_words_past_the_bound(void **state)
{
    (void)state;
    sqlite3 *db = fixture_db();
    Error err = {0};
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    char want[1][16], got[1][16];
    long total = 0;
    SearchQuery q;

    search_results(c, "convoy island", NULL, got, 1, &total);
    assert_int_equal(total, CORPUS_SEARCH_BOUND + 1);
    assert_int_equal(sql_best(db, "convoy island", NULL, want, 1), 1);
    assert_string_equal(want[0], "122.7"); /* past the first 1000 */
    assert_string_equal(got[0], want[0]);

    assert_int_equal(searchq_build("\"marmalade island\"", &q, &err),
                     STATUS_OK);
    assert_int_equal(corpus_search_bound(&q), CORPUS_PHRASE_BOUND);
    search_results(c, "\"marmalade island\"", NULL, got, 1, &total);
    assert_int_equal(total, CORPUS_PHRASE_BOUND + 1); /* "over 100" */
    assert_int_equal(sql_best(db, "\"marmalade island\"", NULL, want, 1), 1);
    assert_string_equal(want[0], "124.8");
    assert_string_equal(got[0], want[0]);

    /* With a filter that keeps it, and one that does not. */
    search_results(c, "convoy island from:Stalin", "Stalin", got, 1, &total);
    assert_string_equal(got[0], "122.7");
    search_results(c, "convoy island from:Churchill", "Churchill", got, 1,
                   &total);
    assert_int_equal(sql_best(db, "convoy island", "Churchill", want, 1), 1);
    assert_string_equal(got[0], want[0]);
    /* An exclusion is checked on each candidate. */
    search_results(c, "\"marmalade island\" -sailed", NULL, got, 1, &total);
    assert_int_equal(total, CORPUS_PHRASE_BOUND + 1);
    assert_int_equal(
        sql_best(db, "\"marmalade island\" NOT sailed", NULL, want, 1), 1);
    assert_string_equal(got[0], want[0]);
    corpus_free(c);
    fixture_close(db);
}

/* The list is what the documented ranking says, term by term: every
 * passage of the word, scored by SQL, and the list agree on the order. */
static void test_list_is_the_ranking(void **state)
{
    (void)state;
    sqlite3 *db = fixture_db();
    Error err = {0};
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    /* corpus.c registers missive_bm25 only before its first search. */
    assert_int_equal(rank_register(db, &err), STATUS_OK);
    TopList *t = toplist_open(db, &err);
    assert_non_null(t);
    sqlite3_int64 *ids = NULL;
    size_t n = 0;

    assert_int_equal(toplist_get(t, "convoy", &ids, &n, &err), STATUS_OK);
    assert_int_equal(n, TOPLIST_LEN);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT rowid FROM passages_fts"
                           " WHERE passages_fts MATCH 'convoy'"
                           " ORDER BY missive_bm25(passages_fts, NULL, 1000),"
                           " rowid LIMIT ?1",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(st, 0), ids[i]);
    }
    sqlite3_finalize(st);
    free(ids);
    /* Rare words, phrases and words no passage holds have no list. */
    assert_int_equal(toplist_get(t, "lighthouse", &ids, &n, &err),
                     STATUS_NOTFOUND);
    assert_int_equal(toplist_get(t, "marmalade island", &ids, &n, &err),
                     STATUS_NOTFOUND);
    assert_int_equal(toplist_get(t, "zeppelin", &ids, &n, &err),
                     STATUS_NOTFOUND);
    assert_null(ids);

    /* A passage's text checked by itself, as the index tokenizes it. */
    TopPhrase ph[2];
    const char *text = "The convoys sailed past Marmalade Island.";
    assert_int_equal(toplist_phrase(t, "convoy", &ph[0]), 0);
    assert_int_equal(toplist_phrase(t, "marmalade island", &ph[1]), 0);
    assert_int_equal(ph[1].n, 2);
    assert_int_equal(toplist_holds(t, text, strlen(text), ph, 2), 1);
    assert_int_equal(toplist_phrase(t, "island marmalade", &ph[1]), 0);
    assert_int_equal(toplist_holds(t, text, strlen(text), ph, 2), 0);
    assert_int_equal(toplist_phrase(t, "lighthouse", &ph[1]), 0);
    assert_int_equal(toplist_holds(t, text, strlen(text), ph, 2), 0);
    toplist_free(t);
    corpus_free(c);
    fixture_close(db);
}

/* A second import of a few letters updates the lists (toplist_update):
 * they are then what a rebuild from the whole index makes, byte for byte,
 * including a new best passage, passages long enough to move every
 * score, and a word ("sailed", in 975 of the first 1300 passages) that
 * only the new passages take over the bound. */
static void test_lists_after_adding(void **state)
{
    (void)state;
    sqlite3 *db = fixture_db();
    char text[TESTUTIL_DIR_MAX + 16];
    Error err = {0};
    ImportReport rep;

    snprintf(text, sizeof text, "%s/more.txt", tmpdir);
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    for (int l = 1; l <= 15; l++) {
        fputs("Personal Message from Stalin to Churchill\n\n", f);
        for (int p = 1; p <= PARAS; p++) {
            if (l == 7 && p == 2)
                fputs("Convoy convoy convoy convoy sailed.", f);
            else {
                fputs("The convoy sailed", f);
                for (int i = 0; i < 3 + (l * p) % 40; i++)
                    fputs(" past the invented marmalade island", f);
                fputs(".", f);
            }
            fputs("\n\n", f);
        }
        fprintf(f, "April %d, 1944\n\n", l);
        fputs("Source: invented for Missive's tests (test_search.c); not a "
              "historical letter.\n\n",
              f);
    }
    assert_int_equal(fclose(f), 0);
    const char *files[] = {text};
    assert_int_equal(import_files(db, files, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
    assert_int_equal(rep.passages, (LETTERS + 15) * PARAS);
    assert_int_equal(sql_int(db, "SELECT n FROM passage_stats WHERE sender = ''"),
                     (LETTERS + 15) * PARAS);

    TopList *t = toplist_open(db, &err);
    assert_non_null(t);
    sqlite3_int64 *ids = NULL;
    size_t n = 0;
    assert_int_equal(toplist_get(t, "sailed", &ids, &n, &err), STATUS_OK);
    assert_int_equal(n, TOPLIST_LEN);
    free(ids);
    toplist_free(t);

    /* The best "convoy" is the new one; results 1-20 are SQL's. */
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    char want[20][16], got[20][16];
    long total = 0;
    search_results(c, "convoy", NULL, got, 20, &total);
    assert_string_equal(got[0], "137.2");
    assert_int_equal(sql_best(db, "convoy", NULL, want, 20), 20);
    for (int i = 0; i < 20; i++) assert_string_equal(got[i], want[i]);
    corpus_free(c);

    /* A rebuild gives the same rows, keys included. */
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TEMP TABLE kept AS SELECT * FROM "
                                  "search_top; BEGIN",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(toplist_refresh(db, &err), STATUS_OK);
    int rows = sql_int(db, "SELECT count(*) FROM search_top");
    assert_true(rows >= 3); /* convoy, sail, marmalade, ... */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM temp.kept"), rows);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT * FROM "
                                 "temp.kept EXCEPT SELECT * FROM search_top)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM search_top"
                                 " WHERE keys IS NULL"),
                     0);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    fixture_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_past_the_bound),
        cmocka_unit_test(test_list_is_the_ranking),
        cmocka_unit_test(test_lists_after_adding),
        cmocka_unit_test(test_several_words_past_the_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
