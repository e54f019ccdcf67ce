/* test_utf8.c - validation tables, sanitising of every control code and of
 * hostile bytes, tiny output buffers, and cut points at every position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"

#define S(lit) (lit), (sizeof(lit) - 1)
#define FFFD "\xEF\xBF\xBD"

/* Every byte of a clean line: valid UTF-8, no C0, DEL or C1, no NUL before
 * len, no leading/trailing/double space. */
static void assert_clean(const char *s, size_t len)
{
    assert_int_equal(strlen(s), len);
    assert_true(utf8_valid(s, len, NULL));
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        assert_false(c < 0x20 || c == 0x7F);
        if (c == 0xC2 && i + 1 < len)
            assert_false((unsigned char)s[i + 1] <= 0x9F);
        if (c == ' ')
            assert_true(i > 0 && i + 1 < len && s[i + 1] != ' ');
    }
}

/* ---- utf8_valid ---------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len;
    size_t bad; /* offset of the first bad byte; (size_t)-1: valid */
} Case;

#define VALID ((size_t)-1)

static const Case cases[] = {
    {S(""), VALID},
    {S("plain ASCII"), VALID},
    {S("nul\0inside"), VALID},
    {S("\x7F"), VALID},
    {S("\xC2\x80"), VALID},         /* U+0080 */
    {S("\xDF\xBF"), VALID},         /* U+07FF */
    {S("\xE0\xA0\x80"), VALID},     /* U+0800 */
    {S("\xED\x9F\xBF"), VALID},     /* U+D7FF */
    {S("\xEE\x80\x80"), VALID},     /* U+E000 */
    {S("\xEF\xBF\xBF"), VALID},     /* U+FFFF */
    {S("\xF0\x90\x80\x80"), VALID}, /* U+10000 */
    {S("\xF4\x8F\xBF\xBF"), VALID}, /* U+10FFFF */
    {S("a\xC3\xA9\xE2\x80\x94\xE2\x82\xAC\xF0\x9D\x84\x9E"
       "b"),
     VALID},
    {S("\x80"), 0}, /* lone continuation */
    {S("a\xBF"), 1},
    {S("\xC0\x80"), 0}, /* overlong NUL */
    {S("\xC0\xAF"), 0}, /* overlong '/' */
    {S("\xC1\xBF"), 0},
    {S("\xC2"), 0}, /* truncated */
    {S("ab\xC2"), 2},
    {S("\xC2\x41"), 0},
    {S("\xC2\xC2\x80"), 0},
    {S("\xE0\x80\x80"), 0}, /* overlong */
    {S("\xE0\x9F\xBF"), 0},
    {S("\xE2\x82"), 0}, /* truncated */
    {S("\xE2\x82\x41"), 0},
    {S("\xED\xA0\x80"), 0},     /* U+D800 */
    {S("\xED\xBF\xBF"), 0},     /* U+DFFF */
    {S("\xF0\x80\x80\x80"), 0}, /* overlong */
    {S("\xF0\x8F\xBF\xBF"), 0},
    {S("\xF0\x90\x80"), 0}, /* truncated */
    {S("\xF0\x90\x80\x41"), 0},
    {S("\xF4\x90\x80\x80"), 0}, /* U+110000 */
    {S("\xF5\x80\x80\x80"), 0},
    {S("\xF8\x88\x80\x80\x80"), 0},
    {S("\xFC\x84\x80\x80\x80\x80"), 0},
    {S("\xFE"), 0},
    {S("\xFF"), 0},
    {S("ok \xE2\x82\xAC then \xFF"), 12},
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t bad = 12345;
        bool ok = utf8_valid(cases[i].s, cases[i].len, &bad);
        if (ok != (cases[i].bad == VALID))
            fail_msg("case %zu: utf8_valid gave %d", i, ok);
        if (!ok)
            assert_int_equal(bad, cases[i].bad);
        else
            assert_int_equal(bad, 12345); /* untouched on success */
        assert_int_equal(utf8_valid(cases[i].s, cases[i].len, NULL), ok);
    }
}

/* ---- utf8_sanitize ------------------------------------------------------- */

static void test_sanitize_every_c0_and_del(void **state)
{
    (void)state;
    for (int c = 0; c < 0x80; c++) {
        if (c >= 0x20 && c < 0x7F)
            continue;
        char in[3] = {'a', (char)c, 'b'};
        char out[16];
        size_t n = utf8_sanitize(in, 3, out, sizeof out);
        bool blank =
            c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
        if (blank) {
            assert_string_equal(out, "a b");
            assert_int_equal(n, 3);
        } else {
            assert_string_equal(out, "ab");
            assert_int_equal(n, 2);
        }
    }
}

static void test_sanitize_every_c1(void **state)
{
    (void)state;
    for (int c = 0x80; c <= 0x9F; c++) {
        char in[4] = {'a', (char)0xC2, (char)c, 'b'};
        char out[16];
        assert_int_equal(utf8_sanitize(in, 4, out, sizeof out), 2);
        assert_string_equal(out, "ab");
    }
    char out[16];
    utf8_sanitize(S("a\xC2\xA0"
                    "b"),
                  out, sizeof out); /* NBSP is text */
    assert_string_equal(out, "a\xC2\xA0"
                             "b");
}

static void test_sanitize_irc_codes(void **state)
{
    (void)state;
    char out[64];
    utf8_sanitize(S("\x01"
                    "ACTION waves\x01"),
                  out, sizeof out);
    assert_string_equal(out, "ACTION waves");
    utf8_sanitize(S("\x02"
                    "bold\x02 \x03"
                    "4,5red\x03 \x0Freset \x16rev\x16 "
                    "\x1Ditalic\x1D \x1Funder\x1F"),
                  out, sizeof out);
    assert_string_equal(out, "bold 4,5red reset rev italic under");
}

static void test_sanitize_crlf_injection(void **state)
{
    (void)state;
    char out[64];
    size_t n = utf8_sanitize(S("a\r\nQUIT :x"), out, sizeof out);
    assert_string_equal(out, "a QUIT :x");
    assert_null(memchr(out, '\r', n));
    assert_null(memchr(out, '\n', n));

    n = utf8_sanitize(S("hi\0\r\nPRIVMSG #x :pwned\r\n"), out, sizeof out);
    assert_string_equal(out, "hi PRIVMSG #x :pwned");
    assert_clean(out, n);
}

static void test_sanitize_spaces(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(utf8_sanitize(S("  a \t\r\n b  "), out, sizeof out), 3);
    assert_string_equal(out, "a b");
    assert_int_equal(utf8_sanitize(S(" \t\r\n\v\f "), out, sizeof out), 0);
    assert_string_equal(out, "");
    utf8_sanitize(S("a \x02 \x03 b"), out, sizeof out);
    assert_string_equal(out, "a b");
    utf8_sanitize(S("\x03 a"), out, sizeof out);
    assert_string_equal(out, "a");
    assert_int_equal(utf8_sanitize(NULL, 0, out, sizeof out), 0);
    assert_string_equal(out, "");
    /* Words and single spaces are copied as runs; a cut never leaves the
     * space before a word that did not fit. */
    assert_int_equal(utf8_sanitize(S("ab cd  ef"), out, sizeof out), 8);
    assert_string_equal(out, "ab cd ef");
    assert_int_equal(utf8_sanitize(S("ab cd"), out, 4), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(utf8_sanitize(S("ab cd"), out, 5), 4);
    assert_string_equal(out, "ab c");
}

static void test_sanitize_invalid(void **state)
{
    (void)state;
    char out[64];
    utf8_sanitize(S("a\xFF"
                    "b"),
                  out, sizeof out);
    assert_string_equal(out, "a" FFFD "b");
    utf8_sanitize(S("\xE2\x82"
                    "A"),
                  out, sizeof out); /* one subpart */
    assert_string_equal(out, FFFD "A");
    utf8_sanitize(S("\x80\x80"), out, sizeof out);
    assert_string_equal(out, FFFD FFFD);
    utf8_sanitize(S("x\xF0\x90\x80"), out, sizeof out); /* truncated */
    assert_string_equal(out, "x" FFFD);
    utf8_sanitize(S("\xED\xA0\x80"), out, sizeof out); /* surrogate */
    assert_string_equal(out, FFFD FFFD FFFD);
    utf8_sanitize(S("\xC0\xAF"), out, sizeof out); /* overlong */
    assert_string_equal(out, FFFD FFFD);
    utf8_sanitize(S("\xF4\x90\x80\x80"), out, sizeof out);
    assert_string_equal(out, FFFD FFFD FFFD FFFD);
    utf8_sanitize(S("\xC2\r\n"), out, sizeof out); /* C2 then LF */
    assert_string_equal(out, FFFD);
    size_t n = utf8_sanitize(S("ok \xE2\x82\xAC"), out, sizeof out);
    assert_string_equal(out, "ok \xE2\x82\xAC");
    assert_int_equal(n, 6);
}

static void test_sanitize_keep_bold(void **state)
{
    (void)state;
    char out[64];
    utf8_sanitize_keep(S("x \x02y\x02\x03z\x01\r\n"), '\x02', out, sizeof out);
    assert_string_equal(out, "x \x02y\x02z");
    utf8_sanitize(S("x \x02y\x02"), out, sizeof out);
    assert_string_equal(out, "x y");
}

static void test_sanitize_tiny_buffers(void **state)
{
    (void)state;
    /* é (2 bytes), € (3), 𝄞 (4) */
    const char in[] = "\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E";
    static const struct {
        size_t outsz;
        const char *want;
    } t[] = {
        {1, ""},
        {2, ""},
        {3, "\xC3\xA9"},
        {4, "\xC3\xA9"},
        {5, "\xC3\xA9"},
        {6, "\xC3\xA9\xE2\x82\xAC"},
        {9, "\xC3\xA9\xE2\x82\xAC"},
        {10, "\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char out[16];
        memset(out, '#', sizeof out);
        size_t n = utf8_sanitize(in, sizeof in - 1, out, t[i].outsz);
        assert_string_equal(out, t[i].want);
        assert_int_equal(n, strlen(t[i].want));
        assert_true(n < t[i].outsz);
        assert_int_equal(out[t[i].outsz], '#'); /* nothing past outsz */
    }

    char out[4] = "###";
    assert_int_equal(utf8_sanitize(in, sizeof in - 1, out, 0), 0);
    assert_string_equal(out, "###");
    assert_int_equal(utf8_sanitize(in, sizeof in - 1, NULL, 0), 0);

    /* a cut never leaves the owed space behind */
    char small[4];
    assert_int_equal(utf8_sanitize(S("a \xC3\xA9"), small, 3), 1);
    assert_string_equal(small, "a");
    assert_int_equal(utf8_sanitize(S("ab cd"), small, 4), 2);
    assert_string_equal(small, "ab");
    /* an invalid byte needs 3 bytes of room */
    assert_int_equal(utf8_sanitize(S("\xFF"), small, 3), 0);
    assert_int_equal(utf8_sanitize(S("\xFF"), small, 4), 3);
    assert_string_equal(small, FFFD);
}

/* Deterministic noise biased towards interesting bytes: whatever goes in,
 * what comes out is clean and fits. */
static void test_sanitize_noise(void **state)
{
    (void)state;
    static const unsigned char pool[] = {
        0x00, 0x01, 0x02, 0x03, 0x09, 0x0A, 0x0D, 0x0F, 0x16, 0x1D, 0x1F,
        0x20, 0x20, 'a',  'z',  0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
        0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
    };
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        unsigned char in[64];
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof in;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = pool[(seed >> 16) % sizeof pool];
        }
        seed = seed * 1103515245u + 12345u;
        size_t outsz = 1 + (seed >> 16) % 100;
        char out[101];
        memset(out, '#', sizeof out);
        size_t n = utf8_sanitize((const char *)in, len, out, outsz);
        assert_true(n < outsz);
        assert_clean(out, n);
        if (outsz < sizeof out)
            assert_int_equal(out[outsz], '#');
    }
}

/* ---- cut points ---------------------------------------------------------- */

/* "aé—€𝄞b" three times: 1-, 2-, 3-, 3-, 4- and 1-byte characters. */
#define MIXED                                           \
    "a\xC3\xA9\xE2\x80\x94\xE2\x82\xAC\xF0\x9D\x84\x9E" \
    "b"

static void test_boundary_every_cut(void **state)
{
    (void)state;
    const char s[] = MIXED MIXED MIXED;
    size_t len = sizeof s - 1;
    assert_true(utf8_valid(s, len, NULL));
    for (size_t max = 0; max <= len + 3; max++) {
        size_t n = utf8_boundary(s, len, max);
        size_t lim = max < len ? max : len;
        assert_true(n <= lim);
        assert_true(utf8_valid(s, n, NULL));
        for (size_t m = n + 1; m <= lim; m++) /* maximal */
            assert_false(utf8_valid(s, m, NULL));
    }
    assert_int_equal(utf8_boundary(s, len, 2), 1); /* inside é */
    assert_int_equal(utf8_boundary(s, len, 3), 3);
    assert_int_equal(utf8_boundary(s, len, 12), 9); /* inside 𝄞 */
}

static void test_word_boundary(void **state)
{
    (void)state;
    const char s[] = "hello world foo";
    size_t len = sizeof s - 1;
    assert_int_equal(utf8_word_boundary(s, len, 100), len);
    assert_int_equal(utf8_word_boundary(s, len, len), len);
    assert_int_equal(utf8_word_boundary(s, len, 14), 11);
    assert_int_equal(utf8_word_boundary(s, len, 12), 11);
    assert_int_equal(utf8_word_boundary(s, len, 11), 11); /* space follows */
    assert_int_equal(utf8_word_boundary(s, len, 5), 5);
    assert_int_equal(utf8_word_boundary(s, len, 4), 4); /* no space: hard cut */
    assert_int_equal(utf8_word_boundary(s, len, 0), 0);

    /* the only space would keep less than half: hard cut instead */
    const char t[] = "a verylongword";
    assert_int_equal(utf8_word_boundary(t, sizeof t - 1, 10), 10);
    assert_int_equal(utf8_word_boundary(t, sizeof t - 1, 2), 1);

    /* exactly half is enough; a little less is not */
    const char h[] = "abcd efghijklmnop";
    assert_int_equal(utf8_word_boundary(h, sizeof h - 1, 8), 4);
    assert_int_equal(utf8_word_boundary(h, sizeof h - 1, 9), 9);

    /* trailing spaces are not counted */
    const char u[] = "ab    cdefgh";
    assert_int_equal(utf8_word_boundary(u, sizeof u - 1, 5), 2);
    assert_int_equal(utf8_word_boundary(u, sizeof u - 1, 3), 2);

    /* Cyrillic: "Привет мир" */
    const char r[] = "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 "
                     "\xD0\xBC\xD0\xB8\xD1\x80";
    assert_int_equal(utf8_word_boundary(r, sizeof r - 1, 15), 12);
    assert_int_equal(utf8_word_boundary(r, sizeof r - 1, 14), 12);
    assert_int_equal(utf8_word_boundary(r, sizeof r - 1, 11), 10);
}

static void test_word_boundary_every_cut(void **state)
{
    (void)state;
    const char s[] = MIXED " " MIXED "  " MIXED " x " MIXED;
    size_t len = sizeof s - 1;
    for (size_t max = 0; max <= len + 2; max++) {
        size_t n = utf8_word_boundary(s, len, max);
        if (max >= len) {
            assert_int_equal(n, len);
            continue;
        }
        assert_true(n <= max);
        assert_true(utf8_valid(s, n, NULL));
        if (n > 0)
            assert_true(s[n - 1] != ' ');
        /* either a word end keeping half, or the hard cut */
        size_t hard = utf8_boundary(s, len, max);
        while (hard > 0 && s[hard - 1] == ' ') hard--;
        assert_true((n * 2 >= max && (s[n] == ' ')) || n == hard);
    }
}

static void test_length(void **state)
{
    (void)state;
    assert_int_equal(utf8_length(S("")), 0);
    assert_int_equal(utf8_length(S("abc")), 3);
    assert_int_equal(utf8_length(S(MIXED)), 6);
    assert_int_equal(utf8_length(S(MIXED MIXED)), 12);
    assert_int_equal(utf8_length(S("\xD0\x9F\xD1\x80")), 2);
    const char mixed[] = MIXED MIXED;
    for (size_t len = 0; len < sizeof mixed; len++)
        for (size_t n = 0; n < 16; n++)
            assert_int_equal(utf8_length_at_least(mixed, len, n),
                             utf8_length(mixed, len) >= n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_sanitize_every_c0_and_del),
        cmocka_unit_test(test_sanitize_every_c1),
        cmocka_unit_test(test_sanitize_irc_codes),
        cmocka_unit_test(test_sanitize_crlf_injection),
        cmocka_unit_test(test_sanitize_spaces),
        cmocka_unit_test(test_sanitize_invalid),
        cmocka_unit_test(test_sanitize_keep_bold),
        cmocka_unit_test(test_sanitize_tiny_buffers),
        cmocka_unit_test(test_sanitize_noise),
        cmocka_unit_test(test_boundary_every_cut),
        cmocka_unit_test(test_word_boundary),
        cmocka_unit_test(test_word_boundary_every_cut),
        cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
