/* test_searchq.c - user text to FTS5: structure is ours, whatever is typed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "searchq.h"

/* searchq_build's verdict in one value: SEARCHQ_ACCEPTED with STATUS_OK, or
 * the refusal with STATUS_INVALID, a reason in err and no expression. */
static enum searchq_refusal build(const char *user, SearchQuery *q)
{
    Error err = {0};
    Status st = searchq_build(user, q, &err);
    if (st == STATUS_OK) {
        assert_int_equal(q->refusal, SEARCHQ_ACCEPTED);
        assert_string_equal(err.msg, "");
    } else {
        assert_int_equal(st, STATUS_INVALID);
        assert_int_not_equal(q->refusal, SEARCHQ_ACCEPTED);
        assert_string_not_equal(err.msg, "");
        assert_string_equal(q->match, "");
    }
    return q->refusal;
}

static sqlite3 *db;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter "
                     "unicode61 remove_diacritics 2');"
                     "INSERT INTO t VALUES ('About Finland. I was quite ready "
                     "to advise the Cabinet');"
                     "INSERT INTO t VALUES ('a front in the North of France, "
                     "Kishinev-Lvov');"
                     "INSERT INTO t VALUES ('Hitler''s forces near Leningrad "
                     "and Moscow');"
                     "INSERT INTO t VALUES ('AND OR NOT NEAR x column');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sqlite3_close(db);
    return 0;
}

/* Runs the expression; returns the number of rows or -1 on an SQL error. */
static int run_match(const char *match)
{
    sqlite3_stmt *st;
    int n = 0, rc;
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) n++;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

static void test_plain_words(void **state)
{
    (void)state;
    SearchQuery q;
    assert_int_equal(build("finland", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"finland\")");
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("Finland cabinet", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"Finland\" \"cabinet\")");
    assert_int_equal(q.nterms, 2);
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("finland france", &q), SEARCHQ_ACCEPTED);
    assert_int_equal(run_match(q.match), 0); /* all words must match */
}

static void test_phrase_prefix_exclude(void **state)
{
    (void)state;
    SearchQuery q;
    assert_int_equal(build("\"quite ready\"", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"quite ready\")");
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("\"ready quite\"", &q), SEARCHQ_ACCEPTED);
    assert_int_equal(run_match(q.match), 0);
    assert_int_equal(build("fin*", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"fin\"*)");
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("north -finland", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"north\") NOT \"finland\"");
    assert_int_equal(q.nexcluded, 1);
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("the -finland", &q), SEARCHQ_STOPWORDS);
    assert_int_equal(build("-finland", &q), SEARCHQ_ONLY_EXCLUDED);
    assert_int_equal(build("", &q), SEARCHQ_EMPTY);
    assert_int_equal(build("  \"\" ** -- ()", &q), SEARCHQ_EMPTY);
}

static void test_punctuation_becomes_phrase(void **state)
{
    (void)state;
    SearchQuery q;
    assert_int_equal(build("Kishinev-Lvov", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"Kishinev Lvov\")");
    assert_int_equal(run_match(q.match), 1);
    assert_int_equal(build("hitler's", &q), SEARCHQ_ACCEPTED);
    assert_int_equal(run_match(q.match), 1);
}

/* Every string here is FTS5 syntax or an attack on it; each must build an
 * expression that runs without error and never holds a stray quote. */
static void test_hostile_syntax(void **state)
{
    (void)state;
    static const char *const hostile[] = {
        "\"",
        "\"\"\"",
        "a\"b",
        "finland\" OR \"x",
        "NEAR(finland france, 2)",
        "finland AND france",
        "finland OR",
        "NOT finland",
        "x: finland",
        "t:finland",
        "{x}: finland",
        "^finland",
        "+finland",
        "finland*)*(",
        "((((((",
        ")",
        "*",
        "-",
        "--x",
        "'; DROP TABLE t; --",
        "\x01\x02\x03 finland \x7f",
        "\xff\xfe finland \xc3",
        "é ü Москва",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z",
        "column:finland",
        "rowid:1",
        "NEAR/3",
        "\"finland\"*\"",
        "-\"\"",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        SearchQuery q;
        enum searchq_refusal r = build(hostile[i], &q);
        if (r != SEARCHQ_ACCEPTED) {
            assert_string_equal(q.match, "");
            continue;
        }
        /* Quotes come in pairs and every one is ours. */
        size_t quotes = 0;
        for (const char *p = q.match; *p; p++) quotes += *p == '"';
        assert_int_equal(quotes % 2, 0);
        assert_true(run_match(q.match) >= 0);
    }
}

static void test_operators_are_words(void **state)
{
    (void)state;
    SearchQuery q;
    /* "AND" typed by a user is the word "and", found in row 4 only. */
    assert_int_equal(build("AND NEAR column", &q), SEARCHQ_ACCEPTED);
    assert_int_equal(run_match(q.match), 1);
}

static void test_filters(void **state)
{
    (void)state;
    SearchQuery q;
    assert_int_equal(build("finland from:Stalin to:churchill year:1941", &q),
                     SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"finland\")");
    assert_string_equal(q.from, "Stalin");
    assert_string_equal(q.to, "churchill");
    assert_int_equal(q.year, 1941);
    assert_int_equal(build("finland year:19", &q), SEARCHQ_BAD_YEAR);
    assert_int_equal(build("finland year:abcd", &q), SEARCHQ_BAD_YEAR);
    assert_int_equal(build("from:stalin", &q), SEARCHQ_EMPTY);
    assert_string_equal(q.from, "stalin");
    /* Unknown keys are words; -from: is an exclusion, not a filter. */
    assert_int_equal(build("col:finland", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"col finland\")");
    assert_int_equal(build("north -from:x", &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.from, "");
    /* Stop words alone, but a quoted phrase of them is a real query. */
    assert_int_equal(build("to be or not to be", &q), SEARCHQ_STOPWORDS);
    assert_int_equal(build("\"to be\"", &q), SEARCHQ_ACCEPTED);
}

static void test_limits(void **state)
{
    (void)state;
    char big[10240];
    SearchQuery q;
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    assert_int_equal(build(big, &q), SEARCHQ_ACCEPTED);
    assert_int_equal(q.nterms, SEARCHQ_MAX_TERMS);
    assert_true(q.truncated);
    assert_true(run_match(q.match) >= 0);
    /* One enormous word: cut to nothing rather than to a broken term. */
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(build(big, &q), SEARCHQ_EMPTY);
    /* Maximal terms, all excluded but one: still fits. */
    char many[4096] = "keep";
    for (int i = 0; i < 20; i++)
        strcat(
            many,
            " -"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(build(many, &q), SEARCHQ_ACCEPTED);
    assert_true(run_match(q.match) >= 0);
}

/* Found by fuzz_searchq: a trailing space or control byte made the word
 * skipper step over the NUL and read on.  Text after the terminator must
 * never become a term (and ASan builds see any read past it). */
static void test_ends_on_space_or_control(void **state)
{
    (void)state;
    SearchQuery q;
    static const char after_space[] = "finland \0moscow";
    static const char after_ctrl[] = "fca\xee"
                                     "bin\x11\0moscow";
    assert_int_equal(build(after_space, &q), SEARCHQ_ACCEPTED);
    assert_string_equal(q.match, "(\"finland\")");
    assert_int_equal(q.nterms, 1);
    assert_int_equal(build(after_ctrl, &q), SEARCHQ_ACCEPTED);
    assert_int_equal(q.nterms, 1);
    assert_null(strstr(q.match, "moscow"));
    assert_int_equal(run_match(q.match), 0);
    static const char blank[] = " \x01\0moscow";
    assert_int_equal(build(blank, &q), SEARCHQ_EMPTY);
    assert_int_equal(q.nterms, 0);

    /* The same, exactly sized on the heap. */
    const char *texts[] = {"finland ", "a\x01", " ", "\x1f", "\"x\" "};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *t = strdup(texts[i]);
        assert_non_null(t);
        build(t, &q);
        assert_true(q.nterms <= 1);
        free(t);
    }
}

static void test_stopwords(void **state)
{
    (void)state;
    assert_true(searchq_is_stopword("The", 3));
    assert_true(searchq_is_stopword("YOURS", 5));
    assert_true(searchq_is_stopword("whenever", 4)); /* "when", by length */
    assert_false(searchq_is_stopword("front", 5));
    assert_false(searchq_is_stopword("", 0));
    assert_false(searchq_is_stopword("aaaaaaaaaaaaaaaaaaaa", 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_words),
        cmocka_unit_test(test_phrase_prefix_exclude),
        cmocka_unit_test(test_punctuation_becomes_phrase),
        cmocka_unit_test(test_hostile_syntax),
        cmocka_unit_test(test_operators_are_words),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_ends_on_space_or_control),
        cmocka_unit_test(test_stopwords),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
