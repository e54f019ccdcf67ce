/* test_session.c - the dispatcher stack opened and closed as one.
 *
 * A real SQLite file with the shipped letters imported: an existing database
 * answers, a missing one is refused (never created) when it must exist, a
 * data directory without aliases.txt is a warning through the sink and not
 * a failure.  Leaks show under the ASan build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "testutil.h"

#include "db.h"
#include "import.h"
#include "session.h"

static char tmpdir[TESTUTIL_DIR_MAX];
static char db_path[TESTUTIL_DIR_MAX + 16];

static int setup(void **state)
{
    (void)state;
    const char *paths[] = {DATADIR "/stalin-churchill-1941.txt"};
    ImportReport rep;
    Error err = {0};
    sqlite3 *db;

    if (testutil_tmpdir("session", tmpdir, sizeof tmpdir) < 0)
        return -1;
    snprintf(db_path, sizeof db_path, "%s/m.db", tmpdir);
    if (db_open(db_path, &db, &err) != STATUS_OK)
        return -1;
    Status st = import_files(db, paths, 1, DATADIR, &rep, &err);
    db_close(db);
    return st == STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return testutil_rmtree(tmpdir);
}

static char warnings[1024];

static void collect(void *ud, Severity severity, const char *line)
{
    (void)ud;
    if (severity == SEVERITY_WARNING) {
        size_t n = strlen(warnings);
        snprintf(warnings + n, sizeof warnings - n, "%s\n", line);
    }
}

static void test_open_answers(void **state)
{
    (void)state;
    SessionOptions so = {
        .database = db_path, .data_dir = DATADIR, .must_exist = true};
    Error err = {.sink = collect};
    CommandOutput out = {0};
    CommandInput in = {"!quote 1.4", "alice", "#c", 0, NULL};

    warnings[0] = '\0';
    Session *s = session_open(&so, &err);
    assert_non_null(s);
    assert_string_equal(warnings, "");
    assert_non_null(session_corpus(s));
    assert_int_equal(commands_dispatch(session_commands(s), &in, &out, &err),
                     STATUS_OK);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.lines[0], "[1.4]"));
    command_output_clear(&out);
    session_close(s);
}

/* An idle bot gives SQLite's page cache back; the next command still
 * answers, from pages read again. */
static void test_release_memory(void **state)
{
    (void)state;
    SessionOptions so = {
        .database = db_path, .data_dir = DATADIR, .must_exist = true};
    Error err = {0};
    CommandOutput out = {0};
    CommandInput in = {"!search finland", "alice", "#c", 0, NULL};

    Session *s = session_open(&so, &err);
    assert_non_null(s);
    assert_int_equal(commands_dispatch(session_commands(s), &in, &out, &err),
                     STATUS_OK);
    command_output_clear(&out);
    assert_true(session_release_memory(s) > 0);
    assert_int_equal(session_release_memory(s), 0); /* nothing left */
    assert_int_equal(commands_dispatch(session_commands(s), &in, &out, &err),
                     STATUS_OK);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.lines[0], "Result 1"));
    command_output_clear(&out);
    session_close(s);
}

static void test_missing_database_is_not_created(void **state)
{
    (void)state;
    char missing[TESTUTIL_DIR_MAX + 16];
    struct stat st;
    Error err = {0};

    snprintf(missing, sizeof missing, "%s/none.db", tmpdir);
    SessionOptions so = {
        .database = missing, .data_dir = DATADIR, .must_exist = true};
    assert_null(session_open(&so, &err));
    assert_non_null(strstr(err.msg, "no such database"));
    assert_int_not_equal(stat(missing, &st), 0);

    /* Without must_exist (the bot's first start), it is created. */
    so.must_exist = false;
    Session *s = session_open(&so, &err);
    assert_non_null(s);
    session_close(s);
    assert_int_equal(stat(missing, &st), 0);
}

static void test_missing_aliases_warns(void **state)
{
    (void)state;
    SessionOptions so = {.database = db_path,
                         .data_dir = tmpdir,
                         .must_exist = true}; /* no aliases.txt */
    Error err = {.sink = collect};
    CommandOutput out = {0};
    CommandInput in = {"!reply will you send Eden?", "alice", "#c", 0, NULL};

    warnings[0] = '\0';
    Session *s = session_open(&so, &err);
    assert_non_null(s);
    assert_non_null(strstr(warnings, "aliases.txt"));
    assert_non_null(strstr(warnings, "names only as words"));
    assert_string_equal(err.msg, ""); /* a warning, not a failure */
    assert_int_equal(commands_dispatch(session_commands(s), &in, &out, &err),
                     STATUS_OK);
    assert_true(out.n >= 1);
    command_output_clear(&out);
    session_close(s);
}

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* What a reload may switch to: an existing Missive database with letters,
 * and nothing else; a refused file is left as it was. */
static void test_existing_only(void **state)
{
    (void)state;
    char path[TESTUTIL_DIR_MAX + 32];
    Error err = {0};
    SessionOptions so = {
        .database = path, .data_dir = DATADIR, .existing = true};
    static const struct {
        const char *name, *why;
    } cases[] = {
        {"missing", "no such database"},
        {"zero", "empty file"},
        {"garbage", "not an SQLite database"},
        {"foreign", "not a missive database"},
        {"newer", "newer than this missive"},
        {"noletters", "holds no letters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.db", tmpdir, cases[i].name);
        if (strcmp(cases[i].name, "zero") == 0)
            write_file(path, "", 0);
        else if (strcmp(cases[i].name, "garbage") == 0)
            write_file(path, "not a database, just text, long enough..", 40);
        else if (strcmp(cases[i].name, "foreign") == 0)
            sql(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
        else if (strcmp(cases[i].name, "newer") == 0)
            sql(path, "CREATE TABLE t (x); PRAGMA user_version = 99");
        else if (strcmp(cases[i].name, "noletters") == 0) {
            sqlite3 *db;
            assert_int_equal(db_open(path, &db, &err), STATUS_OK);
            db_close(db);
        }
        struct stat before = {0};
        stat(path, &before);
        error_clear(&err);
        assert_null(session_open(&so, &err));
        if (!strstr(err.msg, cases[i].why))
            fail_msg("%s: %s", cases[i].name, err.msg);
        struct stat after = {0};
        bool exists = stat(path, &after) == 0;
        assert_int_equal(exists, strcmp(cases[i].name, "missing") != 0);
        assert_int_equal(after.st_size, before.st_size);
    }

    so.database = db_path;
    Session *s = session_open(&so, &err);
    assert_non_null(s);
    assert_false(session_replaced(s));
    session_close(s);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A reload while an import holds the write lock opens at once. */
static void test_existing_under_write_lock(void **state)
{
    (void)state;
    sqlite3 *other;
    Error err = {0};
    SessionOptions so = {.database = db_path,
                         .data_dir = DATADIR,
                         .existing = true,
                         .never_wait = true};
    assert_int_equal(sqlite3_open(db_path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    uint64_t t0 = now_ms();
    Session *s = session_open(&so, &err);
    uint64_t took = now_ms() - t0;
    if (!s)
        fail_msg("%s", err.msg);
    print_message("opened under a held write lock in %llu ms\n",
                  (unsigned long long)took);
    assert_true(took < 100);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    session_close(s);
}

/* Another file moved over the path: noticed by its inode. */
static void test_replaced(void **state)
{
    (void)state;
    char other[TESTUTIL_DIR_MAX + 32], path[TESTUTIL_DIR_MAX + 32];
    Error err = {0};
    snprintf(path, sizeof path, "%s/live.db", tmpdir);
    snprintf(other, sizeof other, "%s/other.db", tmpdir);
    sql(path, "SELECT 1");
    sql(other, "SELECT 1");
    SessionOptions so = {.database = path, .data_dir = DATADIR};
    Session *s = session_open(&so, &err);
    assert_non_null(s);
    assert_false(session_replaced(s));
    assert_int_equal(rename(other, path), 0);
    assert_true(session_replaced(s));
    session_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_answers),
        cmocka_unit_test(test_release_memory),
        cmocka_unit_test(test_missing_database_is_not_created),
        cmocka_unit_test(test_missing_aliases_warns),
        cmocka_unit_test(test_existing_only),
        cmocka_unit_test(test_existing_under_write_lock),
        cmocka_unit_test(test_replaced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
