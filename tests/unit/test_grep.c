/* test_grep.c - the !grep engine: Unicode-aware caseless matching, byte
 * offsets, and every hostile pattern we could think of ending in an error
 * or "too costly" within a loose time bound, with JIT and without; plus
 * corpus_each and corpus_search's snippet marks over the real corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "clock.h"
#include "corpus.h"
#include "db.h"
#include "grep.h"
#include "grepnarrow.h"
#include "import.h"
#include "searchq.h"

#define CORPUS_FILE DATADIR "/stalin-churchill-1941.txt"

/* Loose on purpose: the real guarantee is the limits.  A stalled matcher
 * takes seconds to minutes.  Hostile cases are timed in this process's CPU
 * time, not the wall clock, so other builds on the machine do not count
 * (one such run once took 1.1 s of wall time here). */
#define HOSTILE_MS 1000

static uint64_t cpu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const unsigned modes[] = {0, GREP_NO_JIT};
#define NMODES (sizeof modes / sizeof modes[0])

static bool jit_available(void)
{
    uint32_t v = 0;
    return pcre2_config(PCRE2_CONFIG_JIT, &v) >= 0 && v == 1;
}

static Grep *compile_ok(const char *pattern, unsigned flags)
{
    Error err = {0};
    Grep *g = grep_compile_opts(pattern, flags, &err);
    if (!g)
        fail_msg("pattern '%s' (flags %u): %s", pattern, flags, err.msg);
    return g;
}

/* Compiles, expecting failure; returns the message in a static buffer. */
static const char *compile_err(const char *pattern, unsigned flags)
{
    static Error err;
    memset(err.msg, 'X', sizeof err.msg);
    err.errors = 0;
    Grep *g = grep_compile_opts(pattern, flags, &err);
    if (g) {
        grep_free(g);
        fail_msg("pattern '%.60s' compiled, expected an error", pattern);
    }
    assert_int_equal(err.errors, 1);
    /* Short, printable ASCII, terminated: safe to put on an IRC line. */
    size_t n = strnlen(err.msg, sizeof err.msg);
    assert_true(n > 0 && n < 120);
    for (size_t i = 0; i < n; i++)
        assert_true(err.msg[i] >= 0x20 && err.msg[i] < 0x7f);
    return err.msg;
}

/* One match on a NUL-terminated subject. */
static Status match(Grep *g, const char *s, size_t *start, size_t *end)
{
    return grep_match(g, s, strlen(s), start, end, NULL);
}

static bool is_status(Status st)
{
    return st == STATUS_OK || st == STATUS_NOTFOUND || st == STATUS_ERROR;
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * times + t + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++) memcpy(s + i * u, unit, u);
    memcpy(s + u * times, tail, t + 1);
    return s;
}

/* --- ordinary patterns ----------------------------------------------------- */

static void test_caseless_and_quantifiers(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODES; m++) {
        size_t s = 99, e = 99;
        Grep *g = compile_ok("finland", modes[m]);
        assert_int_equal(match(g, "About Finland. I was", &s, &e), STATUS_OK);
        assert_int_equal(s, 6);
        assert_int_equal(e, 13);
        assert_int_equal(match(g, "ABOUT FINLAND", &s, &e), STATUS_OK);
        assert_int_equal(match(g, "Finns and Fin land", &s, &e),
                         STATUS_NOTFOUND);
        grep_free(g);

        g = compile_ok("Fin+land", modes[m]);
        assert_int_equal(match(g, "finnnland", &s, &e), STATUS_OK);
        assert_int_equal(s, 0);
        assert_int_equal(e, 9);
        assert_int_equal(match(g, "filand", &s, &e), STATUS_NOTFOUND);
        grep_free(g);

        /* The first (leftmost) match is reported, not the longest. */
        g = compile_ok("moscow|leningrad", modes[m]);
        assert_int_equal(match(g, "defence of Moscow and Leningrad", &s, &e),
                         STATUS_OK);
        assert_int_equal(s, 11);
        assert_int_equal(e, 17);
        grep_free(g);
    }
}

static void test_unicode(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODES; m++) {
        size_t s, e;
        /* "Город " is 5 two-byte letters and a space: 11 bytes. */
        Grep *g = compile_ok("москва", modes[m]);
        assert_int_equal(match(g, "Город МОСКВА!", &s, &e), STATUS_OK);
        assert_int_equal(s, 11);
        assert_int_equal(e, 23);
        assert_int_equal(match(g, "Moskva", &s, &e), STATUS_NOTFOUND);
        grep_free(g);

        /* Final and medial sigma fold together. */
        g = compile_ok("σ", modes[m]);
        assert_int_equal(match(g, "ΟΔΥΣΣΕΥΣ", &s, &e), STATUS_OK);
        assert_int_equal(s, 6);
        assert_int_equal(e, 8);
        assert_int_equal(match(g, "λόγος", &s, &e), STATUS_OK);
        assert_int_equal(s, 8);
        grep_free(g);

        g = compile_ok("\\bfront\\b", modes[m]);
        assert_int_equal(match(g, "the Russian front, will", &s, &e),
                         STATUS_OK);
        assert_int_equal(s, 12);
        assert_int_equal(e, 17);
        assert_int_equal(match(g, "an affront to the frontier", &s, &e),
                         STATUS_NOTFOUND);
        grep_free(g);

        /* UCP: \w and \b know Cyrillic letters. */
        g = compile_ok("\\bфронт\\b", modes[m]);
        assert_int_equal(match(g, "на фронте", &s, &e), STATUS_NOTFOUND);
        assert_int_equal(match(g, "на фронт.", &s, &e), STATUS_OK);
        assert_int_equal(s, 5);
        assert_int_equal(e, 15);
        grep_free(g);

        g = compile_ok("\\w+", modes[m]);
        assert_int_equal(match(g, "«Ёлка»", &s, &e), STATUS_OK);
        assert_int_equal(s, 2);
        assert_int_equal(e, 10);
        grep_free(g);

        /* A dot is one character, not one byte. */
        g = compile_ok("^.{3}$", modes[m]);
        assert_int_equal(match(g, "€😀é", &s, &e), STATUS_OK);
        assert_int_equal(e, 9);
        assert_int_equal(match(g, "abcd", &s, &e), STATUS_NOTFOUND);
        grep_free(g);
    }
}

/* The matcher tries a few start positions per PCRE2 call: a match must be
 * found, with exact byte offsets, wherever it falls relative to those
 * windows and whatever the width of the characters before it. */
static void test_offsets_across_windows(void **state)
{
    (void)state;
    static const char *const units[] = {"a", "é", "€", "😀"};
    for (size_t m = 0; m < NMODES; m++) {
        Grep *x = compile_ok("x+y", modes[m]);
        Grep *lb = compile_ok("(?<=é)x", modes[m]);
        for (size_t u = 0; u < 4; u++) {
            size_t w = strlen(units[u]);
            for (size_t k = 0; k < 70; k++) {
                size_t s = 0, e = 0;
                char *subj = repeat(units[u], k, "xxy tail");
                assert_int_equal(match(x, subj, &s, &e), STATUS_OK);
                assert_int_equal(s, k * w);
                assert_int_equal(e, k * w + 3);
                /* The lookbehind sees the character before the window. */
                assert_int_equal(match(lb, subj, &s, &e),
                                 u == 1 && k > 0 ? STATUS_OK : STATUS_NOTFOUND);
                if (u == 1 && k > 0)
                    assert_int_equal(s, k * w);
                free(subj);
            }
        }
        grep_free(x);
        grep_free(lb);
    }
}

static void test_anchors_and_empty_matches(void **state)
{
    (void)state;
    char *subj = repeat("é", 40, "x"); /* 81 bytes */
    for (size_t m = 0; m < NMODES; m++) {
        size_t s = 99, e = 99;
        /* ^ and \A are the start of the subject, not of a window. */
        Grep *g = compile_ok("^x", modes[m]);
        assert_int_equal(match(g, subj, &s, &e), STATUS_NOTFOUND);
        assert_int_equal(match(g, "xé", &s, &e), STATUS_OK);
        grep_free(g);
        g = compile_ok("\\Ax", modes[m]);
        assert_int_equal(match(g, subj, &s, &e), STATUS_NOTFOUND);
        grep_free(g);

        /* An empty match at the very end is still a match. */
        g = compile_ok("$", modes[m]);
        assert_int_equal(match(g, subj, &s, &e), STATUS_OK);
        assert_int_equal(s, 81);
        assert_int_equal(e, 81);
        assert_int_equal(match(g, "", &s, &e), STATUS_OK);
        assert_int_equal(s, 0);
        assert_int_equal(e, 0);
        grep_free(g);

        g = compile_ok("q*", modes[m]);
        assert_int_equal(match(g, "abc", &s, &e), STATUS_OK);
        assert_int_equal(s, 0);
        assert_int_equal(e, 0);
        /* NULL pointers for the offsets are allowed. */
        assert_int_equal(match(g, "abc", NULL, NULL), STATUS_OK);
        grep_free(g);

        /* \K moves the reported start. */
        g = compile_ok("ab\\Kcd", modes[m]);
        assert_int_equal(match(g, "zzabcd", &s, &e), STATUS_OK);
        assert_int_equal(s, 4);
        assert_int_equal(e, 6);
        grep_free(g);

        /* A match starting in one window may end far beyond it. */
        g = compile_ok("é+x", modes[m]);
        assert_int_equal(match(g, subj, &s, &e), STATUS_OK);
        assert_int_equal(s, 0);
        assert_int_equal(e, 81);
        grep_free(g);
    }
    free(subj);
}

static void test_harmless_verbs_allowed(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "(*UTF)finland",
        "(*UCP)finland",
        "(*CR)finland",
        "(*LF)finland",
        "(*ANYCRLF)finland",
        "(*NO_START_OPT)finland",
        "(*NO_AUTO_POSSESS)finland",
        "(*NO_DOTSTAR_ANCHOR)finland",
        "(*NOTEMPTY)finland",
        "(?-i)Finland",
        "(?x) fin land ",
        "(*COMMIT)finland",
        "(*MARK:m)finland",
    };
    for (size_t m = 0; m < NMODES; m++) {
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
            Grep *g = compile_ok(ok[i], modes[m]);
            size_t s, e;
            assert_int_equal(match(g, "About Finland.", &s, &e), STATUS_OK);
            assert_int_equal(s, 6);
            grep_free(g);
        }
        /* (?-i) really turns caselessness off. */
        Grep *g = compile_ok("(?-i)Finland", modes[m]);
        assert_int_equal(match(g, "FINLAND", NULL, NULL), STATUS_NOTFOUND);
        grep_free(g);
    }
}

static void test_jit_status(void **state)
{
    (void)state;
    Grep *g = compile_ok("finland", GREP_NO_JIT);
    assert_false(grep_jit(g));
    grep_free(g);

    g = compile_ok("finland", 0);
    assert_int_equal(grep_jit(g), jit_available());
    grep_free(g);

    /* (*NO_JIT) in the pattern wins, and the interpreter still works. */
    g = compile_ok("(*NO_JIT)finland", 0);
    assert_false(grep_jit(g));
    assert_int_equal(match(g, "Finland", NULL, NULL), STATUS_OK);
    grep_free(g);
}

/* --- refused patterns ------------------------------------------------------- */

static void test_empty_and_long_patterns(void **state)
{
    (void)state;
    Error err = {0};
    assert_null(grep_compile("", &err));
    assert_string_equal(err.msg, "give me a pattern");
    assert_null(grep_compile(NULL, &err));
    assert_string_equal(err.msg, "give me a pattern");
    /* No buffer for the message: still refused, nothing written. */
    assert_null(grep_compile("", NULL));

    char *big = repeat("a", 10 * 1024, "");
    for (size_t m = 0; m < NMODES; m++)
        assert_string_equal(compile_err(big, modes[m]),
                            "pattern too long (max 200 bytes)");
    free(big);

    char *max = repeat("a", GREP_PATTERN_MAX, "");
    Grep *g = compile_ok(max, 0);
    grep_free(g);
    free(max);
    char *over = repeat("a", GREP_PATTERN_MAX + 1, "");
    assert_string_equal(compile_err(over, 0),
                        "pattern too long (max 200 bytes)");
    free(over);

    /* A refusal is one error in the caller's Error, whatever was there. */
    Error once = {0};
    assert_null(grep_compile("(", &once));
    assert_null(grep_compile("(", &once));
    assert_int_equal(once.errors, 2);
    assert_non_null(strstr(once.msg, "bad pattern"));
}

static void test_bad_syntax_messages(void **state)
{
    (void)state;
    assert_string_equal(compile_err("fin(land", 0),
                        "bad pattern at offset 8: missing closing parenthesis");
    assert_string_equal(
        compile_err("a)", 0),
        "bad pattern at offset 1: unmatched closing parenthesis");
    assert_non_null(strstr(compile_err("[abc", 0), "offset 4"));
    assert_non_null(strstr(compile_err("*a", 0), "offset 0"));
    /* Perl's code blocks do not exist in PCRE2. */
    assert_non_null(
        strstr(compile_err("(?{ system('x') })", 0), "bad pattern"));
    assert_non_null(strstr(compile_err("(??{1})", 0), "bad pattern"));
    /* JavaScript \u is not PCRE2 syntax (no ALT_BSUX). */
    assert_non_null(strstr(compile_err("\\u0041", 0), "bad pattern"));
}

static void test_invalid_utf8_pattern(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff",   "fin\xc3",  "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "a\x80z", "\xe2\x82",
    };
    for (size_t m = 0; m < NMODES; m++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            assert_non_null(
                strstr(compile_err(bad[i], modes[m]), "UTF-8 error"));
    /* The offset names the bad byte. */
    assert_non_null(strstr(compile_err("abc\xff", 0), "offset 3"));
}

static void test_refused_features(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODES; m++) {
        assert_non_null(strstr(compile_err("a\\Cb", modes[m]), "\\C"));
        assert_string_equal(compile_err("(?C1)a", modes[m]),
                            "callouts (?C...) are not allowed");
        assert_string_equal(compile_err("a(?C)", modes[m]),
                            "callouts (?C...) are not allowed");
        assert_string_equal(compile_err("(?C\"x\")a", modes[m]),
                            "callouts (?C...) are not allowed");
        assert_string_equal(compile_err("(?(?C9)(?=a)ab|cd)", modes[m]),
                            "callouts (?C...) are not allowed");
        assert_string_equal(compile_err("\\Gfinland", modes[m]),
                            "\\G is not supported");
        /* An escaped backslash before G is a literal G: allowed. */
        Grep *g = compile_ok("\\\\G", modes[m]);
        assert_int_equal(match(g, "a\\g", NULL, NULL), STATUS_OK);
        grep_free(g);
        /* Variable-length lookbehind. */
        assert_non_null(
            strstr(compile_err("(?<=a+)b", modes[m]), "not fixed length"));
        /* \K inside a lookaround. */
        assert_non_null(
            strstr(compile_err("(?=a\\K)", modes[m]), "bad pattern"));
    }
}

static void test_nesting_limit(void **state)
{
    (void)state;
    /* 50 levels compile; 60 do not; 1000 levels are far over the length
     * cap anyway. */
    char *open50 = repeat("(", 50, "a"), *p50 = repeat(")", 50, "");
    char pat[256];
    snprintf(pat, sizeof pat, "%s%s", open50, p50);
    Grep *g = compile_ok(pat, 0);
    assert_int_equal(match(g, "xxa", NULL, NULL), STATUS_OK);
    grep_free(g);
    free(open50);
    free(p50);

    char *open60 = repeat("(", 60, "a"), *p60 = repeat(")", 60, "");
    char deep[512];
    snprintf(deep, sizeof deep, "%s%s", open60, p60);
    assert_true(strlen(deep) <= GREP_PATTERN_MAX);
    for (size_t m = 0; m < NMODES; m++)
        assert_non_null(
            strstr(compile_err(deep, modes[m]), "too deeply nested"));
    free(open60);
    free(p60);

    char *o = repeat("((((((((((", 1000, "a"),
         *c = repeat("))))))))))", 1000, "");
    size_t no = strlen(o), nc = strlen(c);
    char *huge = malloc(no + nc + 1);
    assert_non_null(huge);
    memcpy(huge, o, no);
    memcpy(huge + no, c, nc + 1);
    assert_string_equal(compile_err(huge, 0),
                        "pattern too long (max 200 bytes)");
    free(o);
    free(c);
    free(huge);
}

/* --- hostile patterns --------------------------------------------------- */

enum expect { EXPECT_ERROR, EXPECT_COSTLY, EXPECT_BOUNDED };

struct hostile {
    const char *pattern;
    enum expect expect;
};

static const struct hostile hostile[] = {
    {"(a+)+$", EXPECT_COSTLY},
    {"(a+)+b", EXPECT_COSTLY},
    {"(\\w+\\s?)+$", EXPECT_COSTLY},
    {"(?:a|a)*b", EXPECT_COSTLY},
    {"(?:a|aa)+$", EXPECT_COSTLY},
    {"(a*)*\\1", EXPECT_BOUNDED},
    {"(*NO_START_OPT)(a*)*\\1b", EXPECT_COSTLY},
    {"(*NO_START_OPT)(*NO_AUTO_POSSESS)(.*)*b", EXPECT_COSTLY},
    {"(*NO_START_OPT)(*NO_AUTO_POSSESS)a*a*a*a*a*a*a*a*a*a*b", EXPECT_COSTLY},
    {"(?=(a+)+$)", EXPECT_COSTLY},
    /* Just under the match limit at every start position: only the
     * windows and the budget stop this one. */
    {"(?:.|.){15}(?!)", EXPECT_COSTLY},
    {"(?:.|.){16}(?!)", EXPECT_COSTLY},
    {"(?:[^!]{1000}){1,5}!!", EXPECT_BOUNDED},
    {"(?:.{0,1000}){1,50}b!", EXPECT_BOUNDED},
    {"(?<=a{1000})b", EXPECT_BOUNDED},
    {"(?<=a|aa|aaa)(?<!b)b", EXPECT_BOUNDED},
    {"(?R)", EXPECT_BOUNDED},
    {"a(?R)?b", EXPECT_BOUNDED},
    {"(a|(?1)a)+!", EXPECT_BOUNDED},
    {"(?:(?:(?:x{40}){40}){40})", EXPECT_ERROR},
    {"\\X{0,1000}\\X{0,1000}\\X{0,1000}z", EXPECT_BOUNDED},
    {"(?:(?:(?:\\w{0,9}){0,9}){0,9}){0,9}z", EXPECT_ERROR},
    /* In-pattern limits can lower the match context's, never raise them. */
    {"(*LIMIT_MATCH=4000000000)(*NO_START_OPT)(a+)+b", EXPECT_COSTLY},
    {"(*LIMIT_DEPTH=4000000000)(*LIMIT_HEAP=4000000)(*NO_JIT)(*NO_START_OPT)"
     "(?:a|a)*b",
     EXPECT_COSTLY},
    {"(*NO_JIT)(a+)+$", EXPECT_COSTLY},
    {"a{65535}{65535}", EXPECT_ERROR},
    {"(?:a{65535}){65535}", EXPECT_ERROR},
    {"((a{65535}){65535}){65535}", EXPECT_ERROR},
    {"a{65536}", EXPECT_ERROR},
    {"(?<=a+)b", EXPECT_ERROR},
    {"\\C+", EXPECT_ERROR},
    {"(?C1)(a+)+$", EXPECT_ERROR},
    {"(?{1})", EXPECT_ERROR},
    {"(*LIMIT_MATCH=99999999999)a", EXPECT_ERROR},
};

/* Runs one hostile case over subjects meant to hurt; returns the CPU
 * ms taken. */
static uint64_t run_hostile(const struct hostile *h, unsigned flags)
{
    char *subjects[4];
    Error err = {0};
    uint64_t t0 = cpu_now_ms();
    Grep *g = grep_compile_opts(h->pattern, flags, &err);

    if (h->expect == EXPECT_ERROR) {
        if (g)
            fail_msg("'%s' compiled, expected an error", h->pattern);
        assert_true(err.msg[0] != '\0');
        return cpu_now_ms() - t0;
    }
    if (!g)
        fail_msg("'%s' did not compile: %s", h->pattern, err.msg);

    subjects[0] = repeat("a", 3000, "!b");
    subjects[1] = repeat("x", 2000, "");
    subjects[2] =
        repeat("It may well be that your defence of Moscow ", 60, "!");
    subjects[3] = repeat("é", 1500, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
    bool stopped = false;
    for (int round = 0; round < 5 && !stopped; round++)
        for (size_t i = 0; i < 4 && !stopped; i++) {
            Status rc = grep_match(g, subjects[i], strlen(subjects[i]), NULL,
                                   NULL, NULL);
            assert_true(is_status(rc));
            stopped = rc == STATUS_ERROR;
        }
    uint64_t ms = cpu_now_ms() - t0;
    if (h->expect == EXPECT_COSTLY && !stopped)
        fail_msg("'%s' (flags %u) was not stopped", h->pattern, flags);
    if (stopped) { /* sticky: the command is over */
        Error why = {0};
        assert_int_equal(grep_match(g, "a", 1, NULL, NULL, &why), STATUS_ERROR);
        assert_string_equal(why.msg, "pattern too costly");
    }
    for (size_t i = 0; i < 4; i++) free(subjects[i]);
    grep_free(g);
    return ms;
}

static void test_hostile_patterns(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODES; m++)
        for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
            uint64_t ms = run_hostile(&hostile[i], modes[m]);
            if (ms >= HOSTILE_MS)
                fail_msg("'%s' (flags %u) took %llu ms", hostile[i].pattern,
                         modes[m], (unsigned long long)ms);
        }
}

/* A pattern may lower the limits: this one needs a step per letter. */
static void test_in_pattern_limit_lowers(void **state)
{
    (void)state;
    char *subj = repeat("ab", 30, "c");
    for (size_t m = 0; m < NMODES; m++) {
        Grep *g = compile_ok("(?:a|b)*?c", modes[m]);
        assert_int_equal(match(g, subj, NULL, NULL), STATUS_OK);
        grep_free(g);
        g = compile_ok("(*LIMIT_MATCH=5)(?:a|b)*?c", modes[m]);
        assert_int_equal(match(g, subj, NULL, NULL), STATUS_ERROR);
        grep_free(g);
    }
    free(subj);
}

/* Each subject is cheap enough, but together they exceed the budget: the
 * command stops with -1 after about GREP_BUDGET_MS, never much later. */
static void test_budget_across_subjects(void **state)
{
    (void)state;
    char *subj = repeat("x", 200, "");
    for (size_t m = 0; m < NMODES; m++) {
        Grep *g = compile_ok("(?:.|.){8}(?!)", modes[m]);
        uint64_t t0 = clock_now_ms();
        Status rc = STATUS_NOTFOUND;
        long calls = 0;
        while (rc == STATUS_NOTFOUND && clock_now_ms() - t0 < 10 * HOSTILE_MS) {
            rc = grep_match(g, subj, 200, NULL, NULL, NULL);
            calls++;
        }
        uint64_t ms = clock_now_ms() - t0;
        assert_int_equal(rc, STATUS_ERROR);
        assert_true(calls > 1); /* not a per-match limit */
        assert_true(ms + 1 >= GREP_BUDGET_MS);
        assert_true(ms < HOSTILE_MS);
        /* Spent is spent, even for a trivial subject. */
        assert_int_equal(grep_match(g, "", 0, NULL, NULL, NULL), STATUS_ERROR);
        grep_free(g);
    }
    free(subj);
}

/* Found by fuzz_grep: a counted repeat of a group is compiled as that many
 * copies, which the interpreter walks between two counted steps; such
 * patterns are refused, their small cousins stay cheap. */
static void test_replicated_groups(void **state)
{
    (void)state;
    static const char *const large[] = {
        "().*.*a(){1,1000}h",
        "(*NO_JIT)().*.*a(){1,1000}h",
        ".*a(?:){1,1000}h",
        "(?:ab){1000}",
    };
    for (size_t m = 0; m < NMODES; m++) {
        for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
            assert_non_null(
                strstr(compile_err(large[i], modes[m]), "too large"));
        /* Still accepted: one repeated character is one instruction. */
        Grep *g = compile_ok("a{65535}|(?:ab){1,20}|x{1000}", modes[m]);
        grep_free(g);
        char *subj =
            repeat("It may well be that your defence of Moscow ", 6, "");
        g = compile_ok("(*NO_JIT)().*.*a(){1,30}h", modes[m]);
        uint64_t t0 = clock_now_ms();
        assert_true(is_status(match(g, subj, NULL, NULL)));
        uint64_t ms = clock_now_ms() - t0;
        if (ms >= 3 * GREP_BUDGET_MS)
            fail_msg("one call took %llu ms", (unsigned long long)ms);
        grep_free(g);
        free(subj);
    }
}

/* Found by fuzz_grep: the JIT counts the match limit too rarely to stop a
 * left recursion, and only a full JIT stack ended one call, after 200-340
 * ms with a 512 KiB stack: one !grep held the bot for a third of a second.
 * One call must stay well inside a few budgets, whichever engine runs. */
static void test_left_recursion_one_call(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        ".*C(?R),|\\w|(?R)",
        ".*C(?R)\\|||(?R)",
        "()*.*C()*A((?R)||)g|||(?R)",
    };
    char *subj = repeat("It may well be that your defence of Moscow ", 6, "");
    for (size_t m = 0; m < NMODES; m++)
        for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
            Grep *g = compile_ok(patterns[i], modes[m]);
            uint64_t t0 = clock_now_ms();
            Status rc = match(g, subj, NULL, NULL);
            uint64_t ms = clock_now_ms() - t0;
            /* -1 when the JIT stack runs out; the interpreter tries the
             * other alternatives in time and may match \w. */
            assert_true(is_status(rc));
            if (i == 0 && grep_jit(g))
                assert_int_equal(rc, -1);
            if (ms >= 3 * GREP_BUDGET_MS)
                fail_msg("'%s' (flags %u): one call took %llu ms", patterns[i],
                         modes[m], (unsigned long long)ms);
            grep_free(g);
        }
    free(subj);
}

static void test_invalid_utf8_subject(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff\xfe Finland",
        "Finland \xc3",
        "Fin\xed\xa0\x80land Finland",
        "Finland \xc0\xaf",
        ("\x80" /* split: "\x80F" would be one hex escape */
         "Finland"),
    };
    for (size_t m = 0; m < NMODES; m++) {
        Grep *g = compile_ok("finland", modes[m]);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            assert_int_equal(match(g, bad[i], NULL, NULL), STATUS_NOTFOUND);
        /* Bad UTF-8 deep into a long subject, past the first windows. */
        char *late = repeat("é", 100, "\xff Finland");
        assert_int_equal(match(g, late, NULL, NULL), STATUS_NOTFOUND);
        free(late);
        /* Not a limit: the next good subject still matches. */
        assert_int_equal(match(g, "Finland", NULL, NULL), STATUS_OK);
        /* Length is honoured: an embedded NUL is just a character. */
        assert_int_equal(grep_match(g, "x\0Finland", 9, NULL, NULL, NULL),
                         STATUS_OK);
        assert_int_equal(grep_match(g, "Finland", 6, NULL, NULL, NULL),
                         STATUS_NOTFOUND);
        assert_int_equal(grep_match(g, NULL, 0, NULL, NULL, NULL),
                         STATUS_NOTFOUND);
        grep_free(g);
    }
}

/* --- corpus_each ---------------------------------------------------------- */

static char tmpdir[TESTUTIL_DIR_MAX];

static void corpus_cleanup(sqlite3 *db)
{
    db_close(db);
    assert_int_equal(testutil_rmtree(tmpdir), 0);
}

static sqlite3 *corpus_db(void)
{
    char path[TESTUTIL_DIR_MAX + 16];
    Error err = {0};
    const char *files[] = {CORPUS_FILE};
    ImportReport rep;
    sqlite3 *db;

    assert_int_equal(testutil_tmpdir("grep", tmpdir, sizeof tmpdir), 0);
    snprintf(path, sizeof path, "%s/db.sqlite", tmpdir);
    if (db_open(path, &db, &err) != STATUS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(import_files(db, files, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
    assert_true(rep.passages > 10);
    return db;
}

struct walk {
    int seen, stop_at;
    int last_letter, last_para;
    bool ordered;
    Grep *g;
    int hits, costly;
    int first_letter, first_para;
};

static int walk_fn(int letter, int para, const char *text, size_t len, void *ud)
{
    struct walk *w = ud;
    w->seen++;
    if (letter < w->last_letter ||
        (letter == w->last_letter && para <= w->last_para))
        w->ordered = false;
    w->last_letter = letter;
    w->last_para = para;
    assert_int_equal(strlen(text), len);
    if (w->g) {
        Status rc = grep_match(w->g, text, len, NULL, NULL, NULL);
        if (rc == STATUS_ERROR) {
            w->costly = 1;
            return 2;
        }
        if (rc == STATUS_OK && w->hits++ == 0) {
            w->first_letter = letter;
            w->first_para = para;
        }
    }
    return w->seen == w->stop_at ? 7 : 0;
}

static void test_corpus_each(void **state)
{
    (void)state;
    sqlite3 *db = corpus_db();
    Corpus *c = corpus_new(db, NULL);
    assert_non_null(c);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM passages", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int total = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    /* Every passage, in order. */
    struct walk w = {.ordered = true};
    assert_int_equal(corpus_each(c, walk_fn, &w, NULL), STATUS_OK);
    assert_int_equal(w.seen, total);
    assert_true(w.ordered);

    /* Stops when fn says so: a stop is not a failure. */
    struct walk s = {.ordered = true, .stop_at = 3};
    assert_int_equal(corpus_each(c, walk_fn, &s, NULL), STATUS_OK);
    assert_int_equal(s.seen, 3);

    /* The whole corpus grepped well within the budget, both ways. */
    for (size_t m = 0; m < NMODES; m++) {
        struct walk f = {.ordered = true, .g = compile_ok("finland", modes[m])};
        assert_int_equal(corpus_each(c, walk_fn, &f, NULL), STATUS_OK);
        assert_int_equal(f.costly, 0);
        assert_true(f.hits >= 2);
        Passage p = {0};
        assert_int_equal(corpus_get(c, f.first_letter, f.first_para, &p, NULL),
                         STATUS_OK);
        assert_non_null(strstr(p.text, "Finland"));
        passage_clear(&p);
        grep_free(f.g);

        /* A sane but backtracking pattern too. */
        f = (struct walk){.ordered = true,
                          .g = compile_ok("\\bmoscow\\b.*\\bwar\\b", modes[m])};
        assert_int_equal(corpus_each(c, walk_fn, &f, NULL), STATUS_OK);
        assert_int_equal(f.costly, 0);
        assert_true(f.hits >= 1);
        grep_free(f.g);

        /* A hostile one stops the walk (fn records why). */
        f = (struct walk){.ordered = true,
                          .g = compile_ok("(\\w+\\s?)+$", modes[m])};
        assert_int_equal(corpus_each(c, walk_fn, &f, NULL), STATUS_OK);
        assert_int_equal(f.costly, 1);
        grep_free(f.g);
    }
    corpus_free(c);
    corpus_cleanup(db);
}

/* --- filtered searches through the passage map ---------------------------- */

/* SQL's own count of passages matching `match` by `sender`. */
static long search_sql_count(sqlite3 *db, const char *match,
                             const char *sender)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM passages_fts"
                           " JOIN passages p ON p.id = passages_fts.rowid"
                           " JOIN letters l ON l.id = p.letter_id"
                           " WHERE passages_fts MATCH ?1 AND l.sender = ?2",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void search_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* A filter checked in memory gives SQL's answer, every result is the
 * filter's, and a change made through this very connection (which
 * PRAGMA data_version does not see) reaches the map at once. */
static void test_search_filter_map(void **state)
{
    (void)state;
    sqlite3 *db = corpus_db();
    Error err = {0};
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    SearchQuery q;
    PassageFilter f = {.sender = "Stalin"};
    Passage p;
    long total = 0;

    assert_int_equal(searchq_build("war", &q, &err), STATUS_OK);
    long want = search_sql_count(db, q.match, "Stalin");
    if (want < 2 || want > CORPUS_SEARCH_BOUND)
        fail_msg("%ld Stalin passages hold %s", want, q.match);
    for (int round = 0; round < 2; round++) { /* cold, then from memory */
        corpus_command_begin(c, CORPUS_COMMAND_MS);
        assert_int_equal(
            corpus_search(c, &q, &f, NULL, round, &p, &total, &err),
            STATUS_OK);
        corpus_command_end(c);
        assert_true(sqlite3_get_autocommit(db)); /* no transaction left */
        assert_int_equal(total, want);
        assert_string_equal(p.sender, "Stalin");
        passage_clear(&p);
    }

    /* Move Stalin's best passage to a cell of Churchill's: the same
     * number of cells and passages, so only the update hook can tell. */
    assert_int_equal(corpus_search(c, &q, &f, NULL, 0, &p, &total, &err),
                     STATUS_OK);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE passages SET cell_id = (SELECT id FROM cells"
             " WHERE sender = 'Churchill' LIMIT 1)"
             " WHERE letter_id = %d AND para = %d",
             p.letter, p.para);
    passage_clear(&p);
    search_exec(db, sql);
    assert_int_equal(corpus_search(c, &q, &f, NULL, 0, &p, &total, &err),
                     STATUS_OK);
    assert_int_equal(total, want - 1);
    passage_clear(&p);

    /* A filter no cell has answers nothing, without a scan. */
    PassageFilter none = {.sender = "Nobody"};
    assert_int_equal(corpus_search(c, &q, &none, NULL, 0, &p, &total, &err),
                     STATUS_NOTFOUND);
    assert_int_equal(total, 0);
    corpus_free(c);
    corpus_cleanup(db);
}

/* --- corpus_search snippets --------------------------------------------- */

/* The corpus marks a search's matches with what its caller asks for: it
 * knows no chat client's bold. */
static void test_snippet_marks(void **state)
{
    (void)state;
    sqlite3 *db = corpus_db();
    Error err = {0};
    Corpus *c = corpus_new(db, &err);
    assert_non_null(c);
    SearchQuery q;
    assert_int_equal(searchq_build("finland", &q, &err), STATUS_OK);
    Passage p;
    long total;

    const SnippetMarks angle = {"<<", ">>"};
    assert_int_equal(corpus_search(c, &q, NULL, &angle, 0, &p, &total, &err),
                     STATUS_OK);
    assert_true(total >= 2);
    assert_non_null(strstr(p.snippet, "<<Finland>>"));
    assert_null(strchr(p.snippet, '\x02'));
    passage_clear(&p);

    const SnippetMarks bold = {"\x02", "\x02"};
    assert_int_equal(corpus_search(c, &q, NULL, &bold, 1, &p, &total, &err),
                     STATUS_OK);
    assert_non_null(strstr(p.snippet, "\x02"
                                      "Finland\x02"));
    passage_clear(&p);

    /* No marks: the words as they are; one-sided marks are honoured. */
    assert_int_equal(corpus_search(c, &q, NULL, NULL, 0, &p, &total, &err),
                     STATUS_OK);
    assert_non_null(strstr(p.snippet, "Finland"));
    assert_null(strchr(p.snippet, '\x02'));
    assert_null(strstr(p.snippet, "<<"));
    passage_clear(&p);
    const SnippetMarks open_only = {"[", NULL};
    assert_int_equal(
        corpus_search(c, &q, NULL, &open_only, 0, &p, &total, &err), STATUS_OK);
    assert_non_null(strstr(p.snippet, "[Finland"));
    assert_null(strstr(p.snippet, "[Finland]"));
    passage_clear(&p);

    /* Past the last result; and a query with nothing to search for. */
    assert_int_equal(
        corpus_search(c, &q, NULL, &angle, total, &p, &total, &err),
        STATUS_NOTFOUND);
    SearchQuery empty = {0};
    assert_int_equal(
        corpus_search(c, &empty, NULL, &angle, 0, &p, &total, &err),
        STATUS_INVALID);
    corpus_free(c);
    corpus_cleanup(db);
}


/* --- grepnarrow: the literals a pattern requires --------------------------- */

static void test_narrow_literals(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        const char *expr; /* NULL: not narrowed */
    } cases[] = {
        {"Tirpitz", "\"Tir\" AND \"irp\" AND \"rpi\" AND \"pit\" AND \"itz\""},
        {"abc", "\"abc\""},
        {"ab", NULL},
        {"a.c", NULL},
        {"finland|norway",
         "(\"fin\" AND \"inl\" AND \"nla\" AND \"lan\" AND \"and\") OR "
         "(\"nor\" AND \"orw\" AND \"rwa\" AND \"way\")"},
        /* One branch with nothing required: nothing is. */
        {"finland|no", NULL},
        {"(finland|x)yz", NULL},
        /* Optional characters and groups leave the run. */
        {"colou?r", "\"col\" AND \"olo\""},
        {"abcd*ef", "\"abc\""},
        {"abcd{0,3}x", "\"abc\""},
        {"abc(def)?ghi", "\"abc\" AND \"ghi\""},
        {"abc(def)*", "\"abc\""},
        /* Repeated at least once: required, then the run ends. */
        {"abcd+efg", "\"abc\" AND \"bcd\" AND \"efg\""},
        {"(abc)+", "\"abc\""},
        {"abcd{2}efg", "\"abc\" AND \"bcd\" AND \"efg\""},
        /* Classes, escapes and anchors break runs. */
        {"Murm[a-z]nsk", "\"Mur\" AND \"urm\""},
        {"\\bwar\\b", "\"war\""},
        {"^The\\s+Tirpitz", "\"The\" AND \"Tir\" AND \"irp\" AND \"rpi\" AND "
                            "\"pit\" AND \"itz\""},
        {"a\\.bc", "\"a.b\" AND \".bc\""},
        {"say \"no\"", "\"ay \" AND \"y \"\"\" AND \" \"\"n\" AND \"\"\"no\" "
                       "AND \"no\"\"\""},
        /* k and s may match the Kelvin sign and the long s. */
        {"Stalin", "\"tal\" AND \"ali\" AND \"lin\""},
        {"sks", NULL},
        /* Non-ASCII characters are not literals. */
        {"caf\xc3\xa9s", "\"caf\""},
        /* Escapes with arguments and (?...) groups: not narrowed. */
        {"\\x41bc", NULL},
        {"\\QTirpitz\\E", NULL},
        {"(?i)Tirpitz", NULL},
        {"(?=Tirpitz)", NULL},
        {"(?:Tirpitz)", "\"Tir\" AND \"irp\" AND \"rpi\" AND \"pit\" AND "
                        "\"itz\""},
        {"\\p{L}abc", NULL},
        {"abc\\1", NULL},
        /* Leading verbs are skipped. */
        {"(*UTF)(*LIMIT_MATCH=50)abc", "\"abc\""},
        {"[abc]def[ghi]", "\"def\""},
        {"[]abc]", NULL},
        {"x{abc", "\"abc\""},
        {"", NULL},
        {".*", NULL},
    };
    char out[GREPNARROW_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool ok = grepnarrow_build(cases[i].pattern, out, sizeof out);
        if (!cases[i].expr) {
            if (ok)
                fail_msg("%s: narrowed to %s", cases[i].pattern, out);
            assert_string_equal(out, "");
        } else {
            if (!ok)
                fail_msg("%s: not narrowed", cases[i].pattern);
            if (strcmp(out, cases[i].expr) != 0)
                fail_msg("%s: %s, not %s", cases[i].pattern, out,
                         cases[i].expr);
        }
    }
    /* An expression that does not fit is no narrowing. */
    assert_false(grepnarrow_build("abcdefgh", out, 10));

    /* Found by fuzz_commands: a run of quotes, each doubled in its
     * trigrams, overflowed the run's buffer (sized for 12 bytes a
     * trigram, which takes 13). */
    char quotes[13], want[GREPNARROW_MAX];
    size_t at = 0;
    memset(quotes, '"', 12);
    quotes[12] = '\0';
    for (int i = 0; i < 10; i++) /* 10 trigrams of 8 quotes each */
        at += (size_t)snprintf(want + at, sizeof want - at, "%s%s",
                               i ? " AND " : "", "\"\"\"\"\"\"\"\"");
    assert_true(grepnarrow_build(quotes, out, sizeof out));
    assert_string_equal(out, want);
}

struct hits {
    Grep *g;
    int n;
    int letter[1024], para[1024];
};

static int hits_fn(int letter, int para, const char *text, size_t len,
                   void *ud)
{
    struct hits *h = ud;
    if (grep_match(h->g, text, len, NULL, NULL, NULL) == STATUS_OK &&
        h->n < 1024) {
        h->letter[h->n] = letter;
        h->para[h->n] = para;
        h->n++;
    }
    return 0;
}

/* Every passage a full walk matches, the narrowed walk matches too (the
 * shipped corpus is in reading order, so the lists are equal). */
static void test_narrow_finds_every_match(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "Finland",       "finland|norway",   "Hitler('s)?",    "war\\b",
        "soviet\\s+union", "colou?r",        "Roosevelt|Churchill",
        "(great|Great) Britain", "th[ei]ir", "MOSCOW",         "s(ov|ow)iet",
        "ion?s",         "(?:Stalin)+",      "a\\.m\\.",       "t[a-z]+tion",
        "Tirpitz",       "gov[a-z]*ment",    "19[0-9][0-9]",   "our (own|common)",
    };
    sqlite3 *db = corpus_db();
    Corpus *c = corpus_new(db, NULL);
    assert_non_null(c);
    char narrow[GREPNARROW_MAX];
    int narrowed = 0;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        static struct hits all, some;
        Error err = {0};
        memset(&all, 0, sizeof all);
        memset(&some, 0, sizeof some);
        all.g = grep_compile(patterns[i], &err);
        some.g = grep_compile(patterns[i], &err);
        assert_non_null(all.g);
        assert_non_null(some.g);
        assert_int_equal(corpus_each(c, hits_fn, &all, NULL), STATUS_OK);
        if (grepnarrow_build(patterns[i], narrow, sizeof narrow)) {
            narrowed++;
            assert_int_equal(
                corpus_each_candidate(c, narrow, hits_fn, &some, NULL),
                STATUS_OK);
            if (some.n != all.n)
                fail_msg("%s: %d matches narrowed, %d in all", patterns[i],
                         some.n, all.n);
            for (int k = 0; k < all.n; k++) {
                assert_int_equal(some.letter[k], all.letter[k]);
                assert_int_equal(some.para[k], all.para[k]);
            }
        }
        grep_free(all.g);
        grep_free(some.g);
    }
    assert_true(narrowed >= 15);
    corpus_free(c);
    corpus_cleanup(db);
}

/* --- one deadline per command ----------------------------------------- */

static uint64_t slow_us; /* per row: a whole walk takes some 150 ms */

static int slow_fn(int letter, int para, const char *text, size_t len,
                   void *ud)
{
    (void)letter, (void)para, (void)text, (void)len;
    int *rows = ud;
    (*rows)++;
    uint64_t until = clock_now_us() + slow_us;
    while (clock_now_us() < until) {
    }
    return 0;
}

/* A command of several statements, each of which could run alone for
 * CORPUS_QUERY_MS, stops as a whole within the command's budget. */
static void test_command_budget(void **state)
{
    (void)state;
    sqlite3 *db = corpus_db();
    Corpus *c = corpus_new(db, NULL);
    assert_non_null(c);
    CorpusStats s;
    assert_int_equal(corpus_stats(c, &s, NULL), STATUS_OK);
    assert_true(s.passages > 10);
    slow_us = 150000 / (uint64_t)s.passages;

    int rows = 0;
    uint64_t start = clock_now_ms();
    corpus_command_begin(c, 30);
    Status first = corpus_each(c, slow_fn, &rows, NULL);
    Status second = corpus_each(c, slow_fn, &rows, NULL);
    Status third = corpus_each(c, slow_fn, &rows, NULL);
    corpus_command_end(c);
    uint64_t took = clock_now_ms() - start;
    assert_int_equal(first, STATUS_ERROR);
    assert_int_equal(second, STATUS_ERROR);
    assert_int_equal(third, STATUS_ERROR);
    /* The budget plus one progress interval per statement, with room for
     * a loaded machine; per-statement deadlines would take >= 3 walks. */
    if (took > 80)
        fail_msg("three statements took %llu ms on a 30 ms budget",
                 (unsigned long long)took);

    /* Disarmed, a short walk runs to its end (well within its own
     * statement's CORPUS_QUERY_MS, even on a loaded machine). */
    slow_us = 20000 / (uint64_t)s.passages;
    rows = 0;
    assert_int_equal(corpus_each(c, slow_fn, &rows, NULL), STATUS_OK);
    assert_int_equal(rows, s.passages);
    corpus_free(c);
    corpus_cleanup(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caseless_and_quantifiers),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_offsets_across_windows),
        cmocka_unit_test(test_anchors_and_empty_matches),
        cmocka_unit_test(test_harmless_verbs_allowed),
        cmocka_unit_test(test_jit_status),
        cmocka_unit_test(test_empty_and_long_patterns),
        cmocka_unit_test(test_bad_syntax_messages),
        cmocka_unit_test(test_invalid_utf8_pattern),
        cmocka_unit_test(test_refused_features),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_hostile_patterns),
        cmocka_unit_test(test_in_pattern_limit_lowers),
        cmocka_unit_test(test_budget_across_subjects),
        cmocka_unit_test(test_left_recursion_one_call),
        cmocka_unit_test(test_replicated_groups),
        cmocka_unit_test(test_invalid_utf8_subject),
        cmocka_unit_test(test_corpus_each),
        cmocka_unit_test(test_narrow_literals),
        cmocka_unit_test(test_narrow_finds_every_match),
        cmocka_unit_test(test_command_budget),
        cmocka_unit_test(test_snippet_marks),
        cmocka_unit_test(test_search_filter_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
