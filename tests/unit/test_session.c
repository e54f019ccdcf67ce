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
    SessionOptions so = {db_path, DATADIR, true, NULL};
    Error err = {.sink = collect};
    CommandOutput out = {0};
    CommandInput in = {"!quote 1.4", "alice", "#c", 0};

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

static void test_missing_database_is_not_created(void **state)
{
    (void)state;
    char missing[TESTUTIL_DIR_MAX + 16];
    struct stat st;
    Error err = {0};

    snprintf(missing, sizeof missing, "%s/none.db", tmpdir);
    SessionOptions so = {missing, DATADIR, true, NULL};
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
    SessionOptions so = {db_path, tmpdir, true, NULL}; /* no aliases.txt */
    Error err = {.sink = collect};
    CommandOutput out = {0};
    CommandInput in = {"!reply will you send Eden?", "alice", "#c", 0};

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_answers),
        cmocka_unit_test(test_missing_database_is_not_created),
        cmocka_unit_test(test_missing_aliases_warns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
