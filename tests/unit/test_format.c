/* test_format.c - passage lines: exact shape, every budget of a long
 * multi-byte passage, hostile database contents, snippet bold balance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"
#include "utf8.h"

#define ELLIPSIS "\xE2\x80\xA6"
#define EMDASH "\xE2\x80\x94"
#define FFFD "\xEF\xBF\xBD"

static Passage passage(const char *text, const char *sender,
                       const char *recipient, const char *iso,
                       enum date_kind kind, int letter, int para)
{
    Passage p;
    memset(&p, 0, sizeof p);
    p.text = (char *)text;
    p.sender = (char *)sender;
    p.recipient = (char *)recipient;
    snprintf(p.date, sizeof p.date, "%s", iso);
    p.date_kind = kind;
    p.letter = letter;
    p.para = para;
    return p;
}

static bool contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
    size_t n = strlen(tail);
    return len >= n && memcmp(s + len - n, tail, n) == 0;
}

/* No C0 (bold too, unless allowed), no DEL, no C1, valid, NUL only at len. */
static void assert_clean_line(const char *s, size_t len, bool bold_ok)
{
    assert_int_equal(strlen(s), len);
    assert_true(utf8_valid(s, len, NULL));
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x02 && bold_ok)
            continue;
        assert_false(c < 0x20 || c == 0x7F);
        if (c == 0xC2 && i + 1 < len)
            assert_false((unsigned char)s[i + 1] <= 0x9F);
    }
}

/* ---- shape --------------------------------------------------------------- */

static void test_short_passage(void **state)
{
    (void)state;
    Passage p = passage("It seems to me, furthermore, ...", "Stalin",
                        "Churchill", "1941-07-18", DATE_WRITTEN, 1, 4);
    char out[512];
    size_t n = format_passage(&p, 0, 400, out, sizeof out);
    const char *want = "\"It seems to me, furthermore, ...\" " EMDASH
                       " Stalin to Churchill, 18 July 1941 [1.4]";
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));

    n = format_citation(&p, out, sizeof out);
    assert_string_equal(out, "Stalin to Churchill, 18 July 1941 [1.4]");
    assert_int_equal(n, strlen(out));
}

static void test_citation_variants(void **state)
{
    (void)state;
    char out[512];
    Passage p = passage("Text.", "Churchill", "Stalin", "1941-11-22",
                        DATE_RECEIVED, 7, 2);
    format_passage(&p, 0, 400, out, sizeof out);
    assert_string_equal(
        out, "\"Text.\" " EMDASH
             " Churchill to Stalin, received 22 November 1941 [7.2]");

    p.date_kind = DATE_SENT;
    format_citation(&p, out, sizeof out);
    assert_string_equal(out,
                        "Churchill to Stalin, sent 22 November 1941 [7.2]");

    p.date[0] = '\0';
    format_citation(&p, out, sizeof out);
    assert_string_equal(out, "Churchill to Stalin, undated [7.2]");

    snprintf(p.date, sizeof p.date, "1941-02-30"); /* not a date */
    format_citation(&p, out, sizeof out);
    assert_string_equal(out, "Churchill to Stalin, undated [7.2]");

    p = passage("Text.", "Stalin", "Churchill", "1941-07-18", DATE_WRITTEN, 1,
                5);
    p.corrected = true;
    format_passage(&p, 0, 400, out, sizeof out);
    assert_string_equal(out,
                        "\"Text.\" " EMDASH
                        " Stalin to Churchill, 18 July 1941 [1.5, emended]");

    p.sender = NULL;
    p.recipient = (char *)"\x03\x02";
    format_citation(&p, out, sizeof out);
    assert_string_equal(out, "unknown to unknown, 18 July 1941 [1.5, emended]");

    p.text = NULL;
    p.sender = (char *)"Stalin";
    p.recipient = (char *)"Churchill";
    p.corrected = false;
    format_passage(&p, 0, 400, out, sizeof out);
    assert_string_equal(out, "\"\" " EMDASH
                             " Stalin to Churchill, 18 July 1941 [1.5]");
}

static void test_citation_small_buffer(void **state)
{
    (void)state;
    Passage p =
        passage("x", "Stalin", "Churchill", "1941-07-18", DATE_WRITTEN, 1, 4);
    char out[8] = "#######";
    assert_int_equal(format_citation(&p, out, 0), 0);
    assert_string_equal(out, "#######");
    assert_int_equal(format_citation(&p, out, 7), 6);
    assert_string_equal(out, "Stalin");
}

/* ---- budgets ------------------------------------------------------------- */

/* About 700 bytes of Cyrillic, em dashes, emoji and ASCII. */
static void long_text(char *buf, size_t sz)
{
    static const char *const words[] = {
        "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", /* Привет */
        EMDASH,
        "\xF0\x9F\x98\x80", /* 😀 */
        "front",
        ("\xD1\x84\xD1\x80\xD0\xBE\xD0\xBD\xD1\x82" EMDASH "\xF0\x9F\x9A\x80"),
        "Kiev,",
        ("\xD0\xA1\xD1\x82\xD0\xB0\xD0\xBB\xD0\xB8\xD0\xBD\xD0\xB3\xD1\x80\xD0"
         "\xB0\xD0\xB4"),
    };
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; len + 40 < sz; i++) {
        int n = snprintf(buf + len, sz - len, "%s%s", i ? " " : "",
                         words[(i * 5 + 3) % (sizeof words / sizeof *words)]);
        assert_true(n > 0);
        len += (size_t)n;
    }
}

static void test_every_budget(void **state)
{
    (void)state;
    char text[700];
    long_text(text, sizeof text);
    Passage p = passage(text, "Stalin", "Churchill", "1941-09-03",
                        DATE_RECEIVED, 12, 3);
    p.corrected = true;

    char cite[256], tail[300], full[1024], out[1024];
    size_t clen = format_citation(&p, cite, sizeof cite);
    snprintf(tail, sizeof tail, "\" " EMDASH " %s", cite);
    size_t flen = format_passage(&p, 0, 100000, full, sizeof full);
    assert_int_equal(flen, 1 + strlen(text) + strlen(tail));
    assert_false(contains(full, ELLIPSIS));

    for (size_t budget = FORMAT_MIN_BUDGET; budget <= flen + 3; budget++) {
        memset(out, '#', sizeof out);
        size_t n = format_passage(&p, 0, budget, out, sizeof out);
        assert_true(n <= budget);
        assert_clean_line(out, n, false);
        assert_int_equal(out[0], '"');
        assert_true(ends_with(out, n, tail));
        bool cut = budget < flen;
        assert_int_equal(contains(out, ELLIPSIS), cut);
        if (!cut) {
            assert_string_equal(out, full);
            continue;
        }
        /* the kept text is a prefix of the full text, cut reasonably late */
        size_t kept = n - 1 - (clen + 6) - 3;
        assert_memory_equal(out + 1, text, kept);
        size_t max = budget - (clen + 7) - 3;
        assert_true(kept * 2 + 8 >= max);
        assert_true(contains(out, ELLIPSIS "\" " EMDASH " "));
    }
}

/* format_passage_cut says where the shown text stops, for every budget:
 * exactly the bytes before the "…", and SIZE_MAX when nothing was cut. */
static void test_cut_reports_shown(void **state)
{
    (void)state;
    char text[700], out[1024];
    long_text(text, sizeof text);
    Passage p =
        passage(text, "Stalin", "Churchill", "1941-09-03", DATE_WRITTEN, 1, 3);
    for (size_t budget = FORMAT_MIN_BUDGET; budget < 800; budget += 7) {
        size_t shown = 0;
        size_t n = format_passage_cut(&p, 0, budget, out, sizeof out, &shown);
        assert_true(n <= budget);
        if (!contains(out, ELLIPSIS)) {
            assert_int_equal(shown, SIZE_MAX);
            continue;
        }
        assert_true(shown > 0 && shown < strlen(text));
        assert_memory_equal(out + 1, text, shown);
        assert_memory_equal(out + 1 + shown, ELLIPSIS, 3);
    }
}

static void test_budget_clamps(void **state)
{
    (void)state;
    char text[700];
    long_text(text, sizeof text);
    Passage p =
        passage(text, "Stalin", "Churchill", "1941-07-18", DATE_WRITTEN, 1, 4);
    char out[1024];

    /* below the minimum: raised to it */
    size_t n0 = format_passage(&p, 0, 0, out, sizeof out);
    size_t n1 = format_passage(&p, 0, FORMAT_MIN_BUDGET, out, sizeof out);
    assert_int_equal(n0, n1);
    assert_true(n1 <= FORMAT_MIN_BUDGET && n1 > FORMAT_MIN_BUDGET / 2);

    /* the buffer is smaller than the budget: outsz - 1 wins */
    size_t n = format_passage(&p, 0, 400, out, 200);
    assert_true(n <= 199);
    assert_clean_line(out, n, false);
    assert_true(ends_with(out, n, "Stalin to Churchill, 18 July 1941 [1.4]"));

    /* smaller than even the citation line: still clean and bounded */
    for (size_t sz = 1; sz < 60; sz++) {
        memset(out, '#', sizeof out);
        n = format_passage(&p, 0, 400, out, sz);
        assert_true(n < sz);
        assert_clean_line(out, n, false);
        assert_int_equal(out[sz], '#');
    }
    assert_int_equal(format_passage(&p, 0, 400, out, 0), 0);
}

/* ---- hostile contents ---------------------------------------------------- */

static void test_hostile_passage(void **state)
{
    (void)state;
    Passage p = passage("a\r\nQUIT :x\x01\x02\x03\x0F\x16\x1D\x1F\x7F\xC2\x85"
                        "b \xFF end\r\n",
                        "Sta\r\nlin",
                        "\x03"
                        "4Churchill\x0F",
                        "1941-07-18", DATE_WRITTEN, 1, 4);
    char out[512];
    size_t n = format_passage(&p, 0, 400, out, sizeof out);
    assert_string_equal(out, "\"a QUIT :xb " FFFD " end\" " EMDASH
                             " Sta lin to 4Churchill, 18 July 1941 [1.4]");
    assert_clean_line(out, n, false);

    /* invalid UTF-8 everywhere, cut at every budget */
    char text[600];
    size_t len = 0;
    while (len + 8 < sizeof text) {
        memcpy(text + len, "\xE2\x82 z\xF0\x9F\x98\r", 8);
        len += 8;
    }
    text[len] = '\0';
    p.text = text;
    for (size_t budget = FORMAT_MIN_BUDGET; budget < 700; budget += 7) {
        n = format_passage(&p, 0, budget, out, sizeof out);
        assert_true(n <= budget);
        assert_clean_line(out, n, false);
    }
}

static void test_long_names_fit(void **state)
{
    (void)state;
    char name[300];
    memset(name, 'N', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    Passage p = passage("Some words here and there", name, name, "1941-09-30",
                        DATE_RECEIVED, -2147483647 - 1, -2147483647 - 1);
    p.corrected = true;
    char out[512];
    size_t n = format_passage(&p, 0, FORMAT_MIN_BUDGET, out, sizeof out);
    assert_true(n <= FORMAT_MIN_BUDGET);
    assert_true(ends_with(out, n,
                          ", received 30 September 1941 "
                          "[-2147483648.-2147483648, emended]"));
    assert_true(contains(out, ELLIPSIS));
}

/* ---- snippets ------------------------------------------------------------ */

static size_t count_bold(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += s[i] == '\x02';
    return n;
}

static void test_snippet_bold(void **state)
{
    (void)state;
    Passage p = passage("plain text", "Stalin", "Churchill", "1941-07-18",
                        DATE_WRITTEN, 1, 4);
    p.snippet = (char *)"before \x02match\x02 after\x03"
                        "4\r\n";
    char out[512];
    size_t n = format_passage(&p, 1, 400, out, sizeof out);
    assert_string_equal(out, "\"before \x02match\x02 after4\" " EMDASH
                             " Stalin to Churchill, 18 July 1941 [1.4]");
    assert_clean_line(out, n, true);

    /* use_snippet off: p->text, and any \x02 there is dropped */
    p.text = (char *)"no \x02"
                     "bold\x02 here";
    format_passage(&p, 0, 400, out, sizeof out);
    assert_string_equal(out, "\"no bold here\" " EMDASH
                             " Stalin to Churchill, 18 July 1941 [1.4]");

    /* an unbalanced snippet is closed before the quote */
    p.snippet = (char *)"a \x02"
                        "b";
    format_passage(&p, 1, 400, out, sizeof out);
    assert_string_equal(out, "\"a \x02"
                             "b\x02\" " EMDASH
                             " Stalin to Churchill, 18 July 1941 [1.4]");

    p.snippet = NULL;
    format_passage(&p, 1, 400, out, sizeof out);
    assert_string_equal(out, "\"\" " EMDASH
                             " Stalin to Churchill, 18 July 1941 [1.4]");
}

static void test_snippet_cut_inside_bold(void **state)
{
    (void)state;
    char snip[600];
    size_t len = 0;
    /* alternating plain and bold words: "w \x02m\x02 w \x02m\x02 ..." */
    for (int i = 0; len + 40 < sizeof snip; i++) {
        int n = snprintf(
            snip + len, sizeof snip - len, i % 2 ? "\x02%s%d\x02 " : "%s%d ",
            i % 3 ? "\xD1\x81\xD0\xBB\xD0\xBE\xD0\xB2\xD0\xBE" : "word", i);
        len += (size_t)n;
    }
    /* and one long bold run at the end */
    snprintf(snip + len, sizeof snip - len, "\x02long bold run of words\x02");
    Passage p = passage("unused", "Stalin", "Churchill", "1941-07-18",
                        DATE_WRITTEN, 1, 4);
    p.snippet = snip;

    char out[1024];
    size_t full = format_passage(&p, 1, 100000, out, sizeof out);
    int closed_by_us = 0;
    for (size_t budget = FORMAT_MIN_BUDGET; budget <= full; budget++) {
        size_t n = format_passage(&p, 1, budget, out, sizeof out);
        assert_true(n <= budget);
        assert_clean_line(out, n, true);
        assert_int_equal(count_bold(out, n) % 2, 0);
        assert_int_equal(contains(out, ELLIPSIS), budget < full);
        if (budget == full)
            continue;
        /* the text kept is the snippet's prefix, plus maybe our \x02 */
        const char *e = strstr(out, ELLIPSIS "\" " EMDASH " ");
        assert_non_null(e);
        size_t kept = (size_t)(e - out) - 1;
        if (memcmp(out + 1, snip, kept) != 0) {
            assert_int_equal(out[kept], '\x02');
            assert_memory_equal(out + 1, snip, kept - 1);
            assert_int_equal(count_bold(snip, kept - 1) % 2, 1);
            closed_by_us++;
        }
    }
    assert_true(closed_by_us > 0); /* the closing-bold path was taken */
}

/* ---- format_cut ---------------------------------------------------------- */

static void test_cut(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(format_cut("hello world", 100, out, sizeof out), 11);
    assert_string_equal(out, "hello world");
    assert_int_equal(format_cut("hello world", 11, out, sizeof out), 11);
    assert_string_equal(out, "hello world");
    assert_int_equal(format_cut("hello world", 10, out, sizeof out), 8);
    assert_string_equal(out, "hello" ELLIPSIS);
    assert_int_equal(format_cut("hello world", 2, out, sizeof out), 2);
    assert_string_equal(out, "he");
    assert_int_equal(format_cut("hello world", 0, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(format_cut("hello world", 100, out, 6), 5);
    assert_string_equal(out, "he" ELLIPSIS);
    assert_int_equal(format_cut(NULL, 100, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(format_cut("x", 100, out, 0), 0);

    format_cut("help\r\nQUIT :x \x02"
               "bold\x02 \xFF",
               100, out, sizeof out);
    assert_string_equal(out, "help QUIT :x bold " FFFD);
}

static void test_cut_every_budget(void **state)
{
    (void)state;
    char text[700];
    long_text(text, sizeof text);
    size_t len = strlen(text);
    char out[1024];
    for (size_t budget = 0; budget <= len + 2; budget++) {
        size_t n = format_cut(text, budget, out, sizeof out);
        assert_true(n <= budget);
        assert_clean_line(out, n, false);
        bool cut = budget < len;
        if (!cut)
            assert_string_equal(out, text);
        else if (budget >= 3)
            assert_true(ends_with(out, n, ELLIPSIS));
        size_t kept = cut && budget >= 3 ? n - 3 : n;
        assert_memory_equal(out, text, kept);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_passage),
        cmocka_unit_test(test_citation_variants),
        cmocka_unit_test(test_citation_small_buffer),
        cmocka_unit_test(test_every_budget),
        cmocka_unit_test(test_cut_reports_shown),
        cmocka_unit_test(test_budget_clamps),
        cmocka_unit_test(test_hostile_passage),
        cmocka_unit_test(test_long_names_fit),
        cmocka_unit_test(test_snippet_bold),
        cmocka_unit_test(test_snippet_cut_inside_bold),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_cut_every_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
