/* test_people.c - the alias table: loading, normalising, title stripping,
 * and the errors of a bad alias file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "people.h"

static void test_shipped_aliases(void **state)
{
    (void)state;
    Error err = {0};
    People *p = people_load(DATADIR "/aliases.txt", &err);
    if (!p)
        fail_msg("%s", err.msg);
    assert_int_equal(people_count(p), 5);
    assert_string_equal(people_name(p, 0), "Stalin");
    assert_string_equal(people_name(p, 1), "Churchill");
    assert_string_equal(people_name(p, 2), "Roosevelt");
    assert_string_equal(people_name(p, 3), "Truman");
    assert_string_equal(people_name(p, 4), "Attlee");
    assert_null(people_name(p, 5));

    static const struct {
        const char *phrase, *want;
    } cases[] = {
        {"Stalin", "Stalin"},
        {"STALIN", "Stalin"},
        {"J. V. STALIN", "Stalin"},
        {"j.v.stalin", "Stalin"},
        {"  J.  V.   Stalin  ", "Stalin"},
        {"J. STALIN*", "Stalin"},
        {"Premier J. V. Stalin", "Stalin"},
        {"Marshal Stalin", "Stalin"},
        {"Generalissimo Stalin", "Stalin"},
        {"PREMIER STALIN", "Stalin"},
        {"Mr Churchill", "Churchill"},
        {"Mr. Churchill", "Churchill"},
        {"W. S. CHURCHILL", "Churchill"},
        {"PRIME MINISTER CHURCHILL", "Churchill"},
        {"THE PRIME MINISTER, MR. W. CHURCHILL", "Churchill"},
        {"the Prime Minister, Mr Winston Churchill", "Churchill"},
        {"THE PRIME MINISTER, MR. WINSTON CHURCHILL", "Churchill"},
        {"Mr Mr Churchill", "Churchill"}, /* titles, repeatedly */
        {"PRESIDENT ROOSEVELT", "Roosevelt"},
        {"President F. D. Roosevelt", "Roosevelt"},
        {"PRESIDENT TRUMAN", "Truman"},
        {"Mr. Attlee", "Attlee"},
        /* Never guessed. */
        {"the Prime Minister", NULL},
        {"Prime Minister", NULL},
        {"THE PRIME MINISTER", NULL},
        {"Mr", NULL},
        {"Marshal", NULL},
        {"", NULL},
        {"   ", NULL},
        {"...", NULL},
        {"Voroshilov", NULL},
        {"Stalinx", NULL},
        {"Stalin Churchill", NULL},
        {"Churchill Mr", NULL},  /* titles only in front */
        {"Mrx Churchill", NULL}, /* "mr" is a whole word */
        {"Mrchurchill", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = people_resolve(p, cases[i].phrase);
        if (cases[i].want == NULL && got)
            fail_msg("'%s' resolved to %s", cases[i].phrase, got);
        if (cases[i].want && (!got || strcmp(got, cases[i].want) != 0))
            fail_msg("'%s' resolved to %s, want %s", cases[i].phrase,
                     got ? got : "NULL", cases[i].want);
    }
    /* The result is the table's own string. */
    assert_ptr_equal(people_resolve(p, "Stalin"), people_name(p, 0));
    assert_null(people_resolve(p, NULL));
    assert_null(people_resolve(NULL, "Stalin"));

    /* A phrase longer than any name is not a name. */
    char longer[400];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_null(people_resolve(p, longer));
    people_free(p);
}

static People *load(const char *text, Error *err)
{
    error_clear(err);
    return people_load_buffer("t.txt", text, strlen(text), err);
}

static void test_title_longest_first(void **state)
{
    (void)state;
    Error err = {0};
    /* "mr president lincoln": the longest title leaves "lincoln"; the
     * shorter one would leave "president lincoln", another person. */
    People *p = load("title: mr, mr president\n"
                     "P: president lincoln\n"
                     "L: lincoln\n",
                     &err);
    assert_non_null(p);
    assert_string_equal(people_resolve(p, "Mr President Lincoln"), "L");
    assert_string_equal(people_resolve(p, "President Lincoln"), "P");
    assert_string_equal(people_resolve(p, "Mr. Lincoln"), "L");
    people_free(p);
}

static void test_buffer_forms(void **state)
{
    (void)state;
    Error err = {0};
    /* BOM, CRLF, comments, blank lines, a person on two lines, an empty
     * list, a title list on two lines, non-ASCII kept as is. */
    People *p = load("\xef\xbb\xbf# comment\r\n\r\n  # indented comment\n"
                     "title: mr\n"
                     "title: premier,\tmarshal\n"
                     "Stalin: J. V. Stalin\n"
                     "Bene\xc5\xa1:\n"
                     "Stalin: I. V. Stalin\n",
                     &err);
    if (!p)
        fail_msg("%s", err.msg);
    assert_int_equal(people_count(p), 2);
    assert_string_equal(people_resolve(p, "Marshal I. V. Stalin"), "Stalin");
    assert_string_equal(people_resolve(p, "premier J V STALIN"), "Stalin");
    assert_string_equal(people_resolve(p, "Stalin"), "Stalin");
    assert_string_equal(people_resolve(p, "Mr Bene\xc5\xa1"), "Bene\xc5\xa1");
    /* Only ASCII is case-folded. */
    assert_null(people_resolve(p, "BENE\xc5\xa0"));
    people_free(p);
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"", "t.txt:1: no people defined"},
        {"# only\n\n", "t.txt:2: no people defined"},
        {"title: mr\n", "t.txt:1: no people defined"},
        {"# x\nStalin Stalin\n", "t.txt:2: expected 'Name: alias, alias, ...'"},
        {": Stalin\n", "t.txt:1: missing name before ':'"},
        {"Stalin: J. Stalin,, Joseph Stalin\n", "t.txt:1: empty entry in list"},
        {"Stalin: J. Stalin,\n", "t.txt:1: empty entry in list"},
        {"title:\nStalin: x\n", "t.txt:1: empty entry in list"},
        {"Stalin: ...\n", "t.txt:1: entry '...' has no letters or digits"},
        {"Stalin: Stalin\nChurchill: J. STALIN, stalin\n",
         "t.txt:2: alias 'stalin' already belongs to Stalin"},
        {"Stalin: Joe\nChurchill: joe.\n",
         "t.txt:2: alias 'joe.' already belongs to Stalin"},
        {"Stalin: x\nChurchill: Bad \xff byte\n", "t.txt:2: invalid UTF-8"},
        {"Stalin: x\x1b\n", "t.txt:1: control byte 0x1b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Error err = {0};
        People *p = load(cases[i].text, &err);
        if (p)
            fail_msg("accepted: %s", cases[i].text);
        assert_string_equal(err.msg, cases[i].err);
    }

    /* A NUL byte inside the buffer. */
    Error err = {0};
    static const char nul[] = "Stalin: x\nChurchill: y\0z\n";
    assert_null(people_load_buffer("t.txt", nul, sizeof nul - 1, &err));
    assert_string_equal(err.msg, "t.txt:2: control byte 0x00");

    /* Overlong name and alias. */
    char buf[700];
    memset(buf, 'n', 100);
    memcpy(buf + 100, ": x\n", 5);
    assert_null(load(buf, &err));
    assert_string_equal(err.msg, "t.txt:1: name longer than 64 bytes");
    memcpy(buf, "Stalin: ", 8);
    memset(buf + 8, 'a', 600);
    buf[608] = '\0';
    assert_null(load(buf, &err));
    assert_string_equal(err.msg, "t.txt:1: entry longer than 255 bytes");
}

static void test_missing_file(void **state)
{
    (void)state;
    Error err = {0};
    assert_null(people_load(FIXTURES "/no-such-aliases.txt", &err));
    assert_string_equal(err.msg, FIXTURES
                        "/no-such-aliases.txt: No such file or directory");
    people_free(NULL);
    assert_int_equal(people_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_aliases),
        cmocka_unit_test(test_title_longest_first),
        cmocka_unit_test(test_buffer_forms),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
