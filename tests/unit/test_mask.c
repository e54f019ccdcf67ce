/* test_mask.c - nick!user@host globs: wildcards, literal metacharacters,
 * RFC 1459 folding, validation, hostile patterns, lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mask.h"

static bool match1(const char *glob, const char *nuh)
{
    Error err = {0};
    Mask *m = mask_compile(glob, &err);
    bool r;

    assert_non_null(m);
    r = mask_match(m, nuh);
    mask_free(m);
    return r;
}

static void test_wildcards(void **state)
{
    (void)state;
    assert_true(match1("*!*@*", "nick!user@host"));
    assert_true(match1("*!*@*", "!@"));
    assert_true(match1("nick!*@*", "nick!~u@example.org"));
    assert_false(match1("nick!*@*", "nick2!~u@example.org"));
    assert_false(match1("nick!*@*", "xnick!~u@example.org")); /* anchored */
    assert_true(match1("*!*@*.example.org", "a!b@irc.example.org"));
    assert_false(match1("*!*@*.example.org", "a!b@example.org"));
    assert_false(match1("*!*@*.example.org", "a!b@irc.example.org.evil"));
    assert_true(match1("n?ck!*@*", "nick!u@h"));
    assert_true(match1("n?ck!*@*", "nack!u@h"));
    assert_false(match1("n?ck!*@*", "nck!u@h"));
    assert_false(match1("n?ck!*@*", "niick!u@h"));
    assert_true(match1("**!**@**", "a!b@c"));
    assert_true(match1("*!~*@*", "a!~b@c"));
    assert_false(match1("*!~*@*", "a!b@c"));
    assert_true(match1("*!*@2001:db8::*", "a!b@2001:db8::1"));
}

static void test_metacharacters_are_literal(void **state)
{
    (void)state;
    assert_true(match1("a.b!*@*", "a.b!u@h"));
    assert_false(match1("a.b!*@*", "axb!u@h"));
    assert_true(match1("a+!*@*", "a+!u@h"));
    assert_false(match1("a+!*@*", "aa!u@h"));
    assert_true(match1("(x)|y!*@*", "(x)|y!u@h"));
    assert_false(match1("(x)|y!*@*", "y!u@h"));
    assert_true(match1("a\\d!*@*", "a\\d!u@h"));
    assert_false(match1("a\\d!*@*", "a5!u@h"));
    assert_true(match1("$^!*@*", "$~!u@h")); /* ^ folds to ~ */
    assert_true(match1("[a-z]!*@*", "{a-z}!u@h"));
    assert_false(match1("[a-z]!*@*", "q!u@h"));
    assert_true(match1("a{2}!*@*", "a{2}!u@h"));
    assert_false(match1("a{2}!*@*", "aa!u@h"));
    assert_true(match1("x\\E.*!*@*", "x\\E.*!u@h"));
    assert_false(match1("x\\E.*!*@*", "x\\Eyy!u@h"));
    assert_true(match1("(*UTF)x!*@*", "(*utf)x!u@h"));
    assert_true(match1("é!*@*", "É!u@h") == false); /* bytes, no Unicode */
    assert_true(match1("é!*@*", "é!u@h"));
}

static void test_rfc1459_folding(void **state)
{
    (void)state;
    assert_true(match1("NICK!*@*", "nick!u@h"));
    assert_true(match1("nick!*@*", "NiCk!u@h"));
    assert_true(match1("nick[away]!*@*", "NICK{AWAY}!u@h"));
    assert_true(match1("a|b!*@*", "A\\B!u@h"));
    assert_true(match1("*!*@HOST.Example.ORG", "x!y@host.example.org"));
    assert_false(match1("a_!*@*", "a^!u@h"));
}

static void test_rejects(void **state)
{
    (void)state;
    Error err = {0};
    char big[MASK_MAX + 2];
    Mask *m;

    static const char *const bad[] = {
        "",          "nick",           "nick!user",
        "user@host", "nick@host!user", "nick!user host@h",
        "a!b@c\r\n", "a!b@c\x01",      "a\t!b@c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error_clear(&err);
        assert_null(mask_compile(bad[i], &err));
        assert_true(strlen(err.msg) > 0);
        assert_int_equal(err.errors, 1);
    }
    assert_null(mask_compile("nick", NULL));

    memset(big, '*', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[1] = '!';
    big[3] = '@';
    assert_null(mask_compile(big, &err)); /* 257 bytes */
    big[MASK_MAX] = '\0';
    m = mask_compile(big, &err); /* 256 bytes */
    assert_non_null(m);
    assert_string_equal(mask_text(m), big);
    assert_true(mask_match(m, "a!b@c"));
    mask_free(m);
    mask_free(NULL);
}

static void test_subject_limits(void **state)
{
    (void)state;
    char nuh[MASK_SUBJECT_MAX + 2];
    Mask *m = mask_compile("*!*@*", NULL);

    assert_non_null(m);
    memset(nuh, 'a', sizeof nuh - 1);
    nuh[sizeof nuh - 1] = '\0';
    nuh[10] = '!';
    nuh[20] = '@';
    assert_false(mask_match(m, nuh)); /* 513 bytes */
    nuh[MASK_SUBJECT_MAX] = '\0';
    assert_true(mask_match(m, nuh)); /* 512 bytes */
    assert_false(mask_match(m, "no separators"));
    assert_true(mask_match(m, "\xff\xfe!\x80@\xc3")); /* not UTF-8: fine */
    mask_free(m);
}

static void test_hostile_pattern_is_bounded(void **state)
{
    (void)state;
    char glob[MASK_MAX + 1], nuh[MASK_SUBJECT_MAX + 1];
    size_t w = 0;
    Mask *m;
    clock_t t0;

    /* "a*a*a*...a*c!*@*": catastrophic backtracking against "aaaa...". */
    while (w + 2 < 200) {
        glob[w++] = 'a';
        glob[w++] = '*';
    }
    memcpy(glob + w, "c!*@*", 6);
    m = mask_compile(glob, NULL);
    assert_non_null(m);
    /* Every literal of the pattern is in the subject, so no quick "required
     * character" rejection: only the match limit stops the search. */
    memset(nuh, 'a', 400);
    memcpy(nuh + 400, "!c@h", 5);
    t0 = clock();
    assert_false(mask_match(m, nuh));
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    mask_free(m);
}

/* account:NAME entries match the account a message carried, without case,
 * and never a nick!user@host alone. */
static void test_list_accounts(void **state)
{
    (void)state;
    Error err = {0};
    MaskList *l = mask_list_new();
    assert_non_null(l);
    assert_int_equal(mask_list_add(l, "account:Alice[x]", &err), STATUS_OK);
    assert_int_equal(mask_list_add(l, "*!*@trusted.example", &err), STATUS_OK);
    assert_int_equal(mask_list_add(l, "account:", &err), STATUS_INVALID);
    assert_int_equal(mask_list_add(l, "account:a b", &err), STATUS_INVALID);
    assert_int_equal(mask_list_count(l), 2);
    assert_true(mask_list_match_account(l, "x!y@z", "alice{X}"));
    assert_false(mask_list_match_account(l, "x!y@z", "alice"));
    assert_false(mask_list_match_account(l, "x!y@z", NULL));
    assert_false(mask_list_match(l, "alice[x]!y@z"));
    assert_false(mask_list_match_account(l, "Alice[x]!y@z", NULL));
    assert_true(mask_list_match_account(l, "x!y@trusted.example", NULL));
    mask_list_free(l);
}

static void test_list(void **state)
{
    (void)state;
    MaskList *l = mask_list_new();
    Error err = {0};
    char glob[32];

    assert_non_null(l);
    assert_int_equal(mask_list_count(l), 0);
    assert_false(mask_list_match(l, "a!b@c"));
    assert_int_equal(mask_list_add(l, "spammer!*@*", &err), STATUS_OK);
    assert_int_equal(mask_list_add(l, "*!*@*.evil.example", &err), STATUS_OK);
    assert_int_equal(mask_list_add(l, "not a mask", &err), STATUS_INVALID);
    assert_string_equal(err.msg, "mask holds a space or control character");
    assert_int_equal(mask_list_add(l, "nick", NULL), STATUS_INVALID);
    assert_int_equal(mask_list_count(l), 2);
    assert_true(mask_list_match(l, "SPAMMER!x@y"));
    assert_true(mask_list_match(l, "anyone!x@irc.evil.example"));
    assert_false(mask_list_match(l, "anyone!x@good.example"));
    /* Growth past the initial capacity. */
    for (int i = 0; i < 50; i++) {
        snprintf(glob, sizeof glob, "n%d!*@*", i);
        assert_int_equal(mask_list_add(l, glob, &err), STATUS_OK);
    }
    assert_int_equal(mask_list_count(l), 52);
    assert_true(mask_list_match(l, "N49!u@h"));
    assert_false(mask_list_match(l, "n50!u@h"));
    mask_list_free(l);
    mask_list_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_metacharacters_are_literal),
        cmocka_unit_test(test_rfc1459_folding),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_subject_limits),
        cmocka_unit_test(test_hostile_pattern_is_bounded),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_list_accounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
