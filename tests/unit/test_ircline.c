/* test_ircline.c - budgets, splitting, line building, case mapping, CTCP and
 * formatting removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "ircline.h"

/* --- helpers ------------------------------------------------------------ */

/* A validator independent of the code under test (strict: no overlongs,
 * surrogates or code points above U+10FFFF). */
static bool valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if ((p[i] & 0xE0) == 0xC0) {
            n = 2;
            cp = p[i] & 0x1F;
        } else if ((p[i] & 0xF0) == 0xE0) {
            n = 3;
            cp = p[i] & 0x0F;
        } else if ((p[i] & 0xF8) == 0xF0) {
            n = 4;
            cp = p[i] & 0x07;
        } else
            return false;
        if (i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
            (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

struct chunks {
    size_t budget;
    int n;
    char joined[16384]; /* chunks joined with sep */
    size_t len;
    const char *sep;
    size_t max_len;
    bool all_valid, none_empty, no_breaks, nul_terminated;
    int stop_after;    /* 0: never */
    bool check_greedy; /* every word fits the budget */
    size_t prev_len;
    bool greedy; /* no chunk could take one more word */
};

static void chunks_init(struct chunks *c, size_t budget, const char *sep)
{
    memset(c, 0, sizeof *c);
    c->budget = budget;
    c->sep = sep;
    c->all_valid = c->none_empty = c->no_breaks = c->nul_terminated = true;
    c->greedy = true;
}

static int collect(const char *chunk, size_t len, void *ud)
{
    struct chunks *c = ud;

    if (len > c->max_len)
        c->max_len = len;
    if (!valid_utf8(chunk, len))
        c->all_valid = false;
    if (len == 0)
        c->none_empty = false;
    if (memchr(chunk, '\r', len) || memchr(chunk, '\n', len) ||
        memchr(chunk, '\0', len))
        c->no_breaks = false;
    if (chunk[len] != '\0')
        c->nul_terminated = false;
    if (c->check_greedy && c->n > 0) {
        const char *sp = memchr(chunk, ' ', len);
        size_t first = sp ? (size_t)(sp - chunk) : len;
        if (c->prev_len + 1 + first <= c->budget)
            c->greedy = false;
    }
    c->prev_len = len;
    if (c->n > 0) {
        size_t s = strlen(c->sep);
        assert_true(c->len + s < sizeof c->joined);
        memcpy(c->joined + c->len, c->sep, s);
        c->len += s;
    }
    assert_true(c->len + len < sizeof c->joined);
    memcpy(c->joined + c->len, chunk, len);
    c->len += len;
    c->joined[c->len] = '\0';
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

/* --- budget ------------------------------------------------------------- */

static void test_budget_worst_case(void **state)
{
    (void)state;
    /* 512 - 2 - len(":Missive!" + 10 + "@" + 63 + " PRIVMSG #chan :") */
    size_t expect = 512 - 2 - (1 + 7 + 1 + 10 + 1 + 63 + 9 + 5 + 2);
    assert_int_equal(ircline_privmsg_budget("Missive", NULL, NULL, "#chan"),
                     expect);
    assert_int_equal(expect, 411);
    /* Unknown user alone, host alone. */
    assert_int_equal(ircline_privmsg_budget("Missive", "~m", NULL, "#chan"),
                     expect + 8);
    assert_int_equal(ircline_privmsg_budget("Missive", NULL, "h", "#chan"),
                     expect + 62);
}

static void test_budget_known_prefix_fills_512(void **state)
{
    (void)state;
    const char *nick = "Missive", *user = "~missive", *host = "127.0.0.1";
    const char *target = "#stalin-churchill";
    size_t b = ircline_privmsg_budget(nick, user, host, target);
    char relay[1024];
    int n = snprintf(relay, sizeof relay, ":%s!%s@%s PRIVMSG %s :", nick, user,
                     host, target);

    assert_true(n > 0);
    /* The relayed line with b bytes of text plus CR LF is exactly 512. */
    assert_int_equal((size_t)n + b + 2, IRCLINE_MAX);
}

static void test_budget_nothing_fits(void **state)
{
    (void)state;
    char target[600];

    memset(target, 'x', sizeof target - 1);
    target[sizeof target - 1] = '\0';
    assert_int_equal(ircline_privmsg_budget("n", NULL, NULL, target), 0);
    target[512 - 2 - (1 + 1 + 1 + 10 + 1 + 63 + 9 + 2)] = '\0';
    assert_int_equal(ircline_privmsg_budget("n", NULL, NULL, target), 0);
    target[strlen(target) - 1] = '\0';
    assert_int_equal(ircline_privmsg_budget("n", NULL, NULL, target), 1);
}

/* --- split -------------------------------------------------------------- */

static void test_split_long_ascii(void **state)
{
    (void)state;
    char text[4000];
    size_t w = 0;
    struct chunks c;
    int n;

    for (int i = 0; w < 3000; i++)
        w += (size_t)snprintf(text + w, sizeof text - w, "%sword%d",
                              i ? " " : "", i * 37 % 1000);
    chunks_init(&c, 400, " ");
    c.check_greedy = true;
    n = ircline_split(text, w, 400, collect, &c);
    assert_int_equal(n, c.n);
    assert_true(n >= 8);
    assert_true(c.max_len <= 400);
    assert_true(c.none_empty);
    assert_true(c.nul_terminated);
    assert_true(c.greedy);
    assert_string_equal(c.joined, text);
}

static void test_split_fits_in_one(void **state)
{
    (void)state;
    struct chunks c;

    chunks_init(&c, 20, " ");
    assert_int_equal(ircline_split("exactly twenty bytes", 20, 20, collect, &c),
                     1);
    assert_string_equal(c.joined, "exactly twenty bytes");
    /* One byte more: cut at the last space. */
    chunks_init(&c, 20, "|");
    assert_int_equal(
        ircline_split("exactly twenty bytes!", 21, 20, collect, &c), 2);
    assert_string_equal(c.joined, "exactly twenty|bytes!");
    /* A space right at the budget: the whole window goes. */
    chunks_init(&c, 20, "|");
    assert_int_equal(
        ircline_split("exactly twenty bytes more", 25, 20, collect, &c), 2);
    assert_string_equal(c.joined, "exactly twenty bytes|more");
}

/* Words of 1 to 4-byte characters, each word shorter than 20 bytes. */
static const char *const words[] = {
    "Сталин", "Черчилль", "письмо", "№23",      "été",    "Ω", "€100", "𝄞𝄞",
    "a",      "the",      "convoy", "Мурманск", "日本語", "ü", "—",    "1941",
};

static size_t multibyte_text(char *out, size_t outsz, int count)
{
    size_t w = 0;

    for (int i = 0; i < count; i++)
        w += (size_t)snprintf(out + w, outsz - w, "%s%s", i ? " " : "",
                              words[(i * 7 + i / 3) % 16]);
    return w;
}

static void test_split_multibyte_every_budget(void **state)
{
    (void)state;
    char text[8192];
    size_t len = multibyte_text(text, sizeof text, 400);
    static struct chunks c;

    assert_true(valid_utf8(text, len));
    for (size_t budget = 20; budget <= 120; budget++) {
        int n;
        chunks_init(&c, budget, " ");
        c.check_greedy = true;
        n = ircline_split(text, len, budget, collect, &c);
        assert_int_equal(n, c.n);
        assert_true(n > 0);
        assert_true(c.max_len <= budget);
        assert_true(c.all_valid);
        assert_true(c.none_empty);
        assert_true(c.greedy);
        assert_string_equal(c.joined, text);
    }
}

static void test_split_long_word_cut_on_characters(void **state)
{
    (void)state;
    char text[1200];
    size_t w = 0;
    static struct chunks c;

    /* 300 Cyrillic letters (2 bytes), then 4-byte ones. */
    for (int i = 0; i < 300; i++) w += (size_t)snprintf(text + w, 8, "ж");
    for (int i = 0; i < 100; i++) w += (size_t)snprintf(text + w, 8, "𝄞");
    for (size_t budget = IRCLINE_SPLIT_MIN; budget <= 33; budget++) {
        chunks_init(&c, budget, "");
        assert_true(ircline_split(text, w, budget, collect, &c) > 0);
        assert_true(c.max_len <= budget);
        assert_true(c.all_valid);
        assert_true(c.none_empty);
        assert_int_equal(c.len, w);
        assert_memory_equal(c.joined, text, w);
    }
}

static void test_split_normalises(void **state)
{
    (void)state;
    static const char text[] = "  a\r\nb\0c   d \n";
    struct chunks c;

    chunks_init(&c, 100, "|");
    assert_int_equal(ircline_split(text, sizeof text - 1, 100, collect, &c), 1);
    assert_string_equal(c.joined, "a b c d");
}

static void test_split_injection(void **state)
{
    (void)state;
    static const char *const attacks[] = {
        "hi\r\nQUIT :bye",
        "hi\nPRIVMSG NickServ :DROP",
        "\r\n\r\n\r\nJOIN #evil\r\n",
        "x\rKICK #c victim",
    };
    char text[2048];
    struct chunks c;

    for (size_t a = 0; a < sizeof attacks / sizeof attacks[0]; a++) {
        for (size_t budget = 4; budget < 30; budget++) {
            chunks_init(&c, budget, " ");
            assert_true(ircline_split(attacks[a], strlen(attacks[a]), budget,
                                      collect, &c) > 0);
            assert_true(c.no_breaks);
            assert_null(strpbrk(c.joined, "\r\n"));
        }
    }
    chunks_init(&c, 100, "|");
    assert_int_equal(ircline_split("hi\r\nQUIT :bye", 13, 100, collect, &c), 1);
    assert_string_equal(c.joined, "hi QUIT :bye");

    /* A long text with line breaks everywhere. */
    for (size_t i = 0; i < sizeof text; i++) text[i] = "ab\r\n c\0"[i % 7];
    chunks_init(&c, 50, " ");
    assert_true(ircline_split(text, sizeof text, 50, collect, &c) > 0);
    assert_true(c.no_breaks);
}

static void test_split_invalid_utf8_survives(void **state)
{
    (void)state;
    char text[600];
    struct chunks c;

    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)(0x80 + (i * 13) % 0x80); /* bytes >= 0x80 */
    chunks_init(&c, 37, "");
    assert_true(ircline_split(text, sizeof text, 37, collect, &c) > 0);
    assert_true(c.max_len <= 37);
    assert_int_equal(c.len, sizeof text);
}

static void test_split_blank_and_errors(void **state)
{
    (void)state;
    struct chunks c;

    chunks_init(&c, 10, " ");
    assert_int_equal(ircline_split("", 0, 10, collect, &c), 0);
    assert_int_equal(ircline_split("   \r\n  ", 7, 10, collect, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(ircline_split("abc", 3, 3, collect, &c), -1);
    assert_int_equal(ircline_split("abc", 3, 0, collect, &c), -1);
    assert_int_equal(c.n, 0);

    chunks_init(&c, 4, " ");
    c.stop_after = 2;
    assert_int_equal(ircline_split("aaaa bbbb cccc dddd", 19, 4, collect, &c),
                     -1);
    assert_int_equal(c.n, 2);
}

/* --- build -------------------------------------------------------------- */

static void test_build(void **state)
{
    (void)state;
    char out[IRCLINE_MAX];
    char text[600];

    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", "hello"),
                     (int)strlen("PRIVMSG #t :hello"));
    assert_string_equal(out, "PRIVMSG #t :hello");
    assert_true(ircline_build(out, sizeof out, "NOTICE", "nick", ":)") > 0);
    assert_string_equal(out, "NOTICE nick ::)");
    /* CTCP and colours are not line breaks. */
    assert_true(ircline_build(out, sizeof out, "PRIVMSG", "#t",
                              "\x01"
                              "ACTION waves\x01") > 0);

    assert_int_equal(
        ircline_build(out, sizeof out, "PRIVMSG", "#t", "hi\r\nQUIT :bye"), -1);
    assert_string_equal(out, "");
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", "a\nb"),
                     -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", "a\rb"),
                     -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", ""), -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#a #b", "x"),
                     -1);
    assert_int_equal(
        ircline_build(out, sizeof out, "PRIVMSG", "#a\r\nQUIT", "x"), -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "", "x"), -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", ":x", "x"), -1);
    assert_int_equal(ircline_build(out, sizeof out, "PRIV MSG", "#t", "x"), -1);
    assert_int_equal(ircline_build(out, sizeof out, "", "#t", "x"), -1);

    /* "PRIVMSG #t :" is 12 bytes: 498 bytes of text make exactly 510. */
    memset(text, 'a', 498);
    text[498] = '\0';
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", text),
                     510);
    text[498] = 'a';
    text[499] = '\0';
    assert_int_equal(ircline_build(out, sizeof out, "PRIVMSG", "#t", text), -1);
    /* Output buffer too small. */
    assert_int_equal(ircline_build(out, 10, "PRIVMSG", "#t", "hello"), -1);
    assert_int_equal(ircline_build(out, 0, "PRIVMSG", "#t", "hello"), -1);
}

/* --- names -------------------------------------------------------------- */

static void test_is_channel(void **state)
{
    (void)state;
    assert_true(ircline_is_channel("#c"));
    assert_true(ircline_is_channel("&local"));
    assert_true(ircline_is_channel("+modeless"));
    assert_true(ircline_is_channel("!12345safe"));
    assert_false(ircline_is_channel("nick"));
    assert_false(ircline_is_channel(""));
    assert_false(ircline_is_channel("@#c"));
}

static void test_casemapping(void **state)
{
    (void)state;
    char s[] = "NICK[]\\^_x";

    assert_int_equal(casefold_char('A'), 'a');
    assert_int_equal(casefold_char('Z'), 'z');
    assert_int_equal(casefold_char('['), '{');
    assert_int_equal(casefold_char(']'), '}');
    assert_int_equal(casefold_char('\\'), '|');
    assert_int_equal(casefold_char('^'), '~');
    assert_int_equal(casefold_char('{'), '{');
    assert_int_equal(casefold_char('_'), '_');
    assert_int_equal(casefold_char('@'), '@');
    assert_int_equal(casefold_char('`'), '`');
    assert_int_equal(casefold_char((char)0xC9), (char)0xC9); /* no Latin-1 */
    assert_string_equal(casefold_str(s), "nick{}|~_x");

    assert_int_equal(casefold_cmp("Nick[Away]", "nick{away}"), 0);
    assert_int_equal(casefold_cmp("a^b\\", "A~B|"), 0);
    assert_int_equal(casefold_cmp("#Chan", "#chan"), 0);
    assert_true(casefold_cmp("abc", "abd") < 0);
    assert_true(casefold_cmp("abd", "ABC") > 0);
    assert_true(casefold_cmp("ab", "abc") < 0);
    assert_true(casefold_cmp("abc", "ab") > 0);
    assert_true(casefold_cmp("a_", "a^") != 0);
}

/* --- CTCP --------------------------------------------------------------- */

static void test_ctcp(void **state)
{
    (void)state;
    char cmd[IRCLINE_CTCP_CMD_MAX];
    const char *args = NULL;
    size_t alen = 99;

    assert_true(ircline_ctcp_parse("\x01VERSION\x01", cmd, &args, &alen));
    assert_string_equal(cmd, "VERSION");
    assert_int_equal(alen, 0);

    assert_true(ircline_ctcp_parse("\x01"
                                   "ACTION waves at you\x01",
                                   cmd, &args, &alen));
    assert_string_equal(cmd, "ACTION");
    assert_int_equal(alen, strlen("waves at you"));
    assert_memory_equal(args, "waves at you", alen);

    assert_true(ircline_ctcp_parse("\x01ping 12345", cmd, &args, &alen));
    assert_string_equal(cmd, "PING");
    assert_int_equal(alen, 5);
    assert_memory_equal(args, "12345", 5);

    assert_true(ircline_ctcp_parse("\x01"
                                   "CLIENTINFO\x01trailing",
                                   cmd, &args, &alen));
    assert_string_equal(cmd, "CLIENTINFO");
    assert_int_equal(alen, 0);

    strcpy(cmd, "untouched");
    assert_false(ircline_ctcp_parse("VERSION", cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("", cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01", cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01\x01", cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01 ACTION\x01", cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01"
                                    "B@D\x01",
                                    cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01"
                                    "A\r\nQUIT\x01",
                                    cmd, &args, &alen));
    assert_false(ircline_ctcp_parse("\x01"
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x01",
                                    cmd, &args, &alen));
    assert_string_equal(cmd, "untouched");
    /* 31 characters is the longest accepted. */
    assert_true(ircline_ctcp_parse("\x01"
                                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                   cmd, &args, &alen));
    assert_int_equal(strlen(cmd), 31);
}

/* --- formatting --------------------------------------------------------- */

static void strip_case(const char *in, const char *expect)
{
    char buf[256];

    snprintf(buf, sizeof buf, "%s", in);
    assert_int_equal(ircline_strip_formatting(buf), strlen(expect));
    assert_string_equal(buf, expect);
}

static void test_strip_formatting(void **state)
{
    (void)state;
    strip_case("plain text", "plain text");
    strip_case("", "");
    strip_case("\x02!bold\x02", "!bold");
    strip_case("\x1Fu\x1F \x1Di\x1D \x1Es\x1E \x11m\x11 \x16r\x16\x0F",
               "u i s m r");
    strip_case("\x03"
               "04red\x03",
               "red");
    strip_case("\x03"
               "4,12!quote",
               "!quote");
    strip_case("\x03"
               "04,1"
               "2"
               "5",
               "5"); /* bg is 2 digits */
    strip_case("\x03"
               "123",
               "3");              /* fg is 2 digits */
    strip_case("\x03,5x", ",5x"); /* no fg: no bg */
    strip_case("\x03"
               "12,x",
               ",x"); /* comma kept */
    strip_case("\x03"
               "12,",
               ",");
    strip_case("\x04"
               "FF00aaHex",
               "Hex");
    strip_case("\x04"
               "FF00aa,00ff00Hex",
               "Hex");
    strip_case("\x04"
               "FF00aa,00ffxx",
               ",00ffxx");
    strip_case("\x04"
               "FFx",
               "FFx"); /* not 6 hex digits */
    strip_case("\x02\x03"
               "3\x1F!\x0Fhelp\x03",
               "!help");
    strip_case("é\x02ü", "éü");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_worst_case),
        cmocka_unit_test(test_budget_known_prefix_fills_512),
        cmocka_unit_test(test_budget_nothing_fits),
        cmocka_unit_test(test_split_long_ascii),
        cmocka_unit_test(test_split_fits_in_one),
        cmocka_unit_test(test_split_multibyte_every_budget),
        cmocka_unit_test(test_split_long_word_cut_on_characters),
        cmocka_unit_test(test_split_normalises),
        cmocka_unit_test(test_split_injection),
        cmocka_unit_test(test_split_invalid_utf8_survives),
        cmocka_unit_test(test_split_blank_and_errors),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_is_channel),
        cmocka_unit_test(test_casemapping),
        cmocka_unit_test(test_ctcp),
        cmocka_unit_test(test_strip_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
