/* test_commands.c - the dispatcher over the real shipped corpus.
 *
 * What every channel sees: exact answers for known questions, and for
 * hostile arguments to every command (empty, 10 KB, binary, invalid UTF-8,
 * control codes, SQL/FTS syntax, regex bombs) a short, clean answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "commands.h"
#include "dailypost.h"
#include "db.h"
#include "import.h"
#include "state.h"
#include "utf8.h"

#define BUDGET 400

static char db_path[64];
static sqlite3 *db;
static Corpus *corpus;
static State *state;
static Commands *cmds;

static int setup(void **st)
{
    (void)st;
    Error err = {0};
    ImportReport rep;
    const char *paths[] = {DATADIR "/stalin-churchill-1941.txt"};
    snprintf(db_path, sizeof db_path, "/tmp/missive-test-commands-%d.db",
             (int)getpid());
    unlink(db_path);
    assert_int_equal(db_open(db_path, &db, &err), STATUS_OK);
    assert_int_equal(import_files(db, paths, 1, DATADIR, &rep, &err),
                     STATUS_OK);
    assert_non_null(corpus = corpus_new(db, &err));
    assert_non_null(state = state_new(db, &err));
    CommandsConfig cfg = {"!", BUDGET, 3, 600};
    assert_non_null(cmds = commands_new(corpus, state, &cfg));
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    commands_free(cmds);
    state_free(state);
    corpus_free(corpus);
    db_close(db);
    unlink(db_path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db_path);
    unlink(wal);
    return 0;
}

/* Every line of an answer: valid UTF-8, no control byte but bold, within
 * the budget, not empty. */
static void check_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        assert_true(len > 0);
        assert_true(len <= BUDGET);
        assert_true(utf8_valid(lines[i], len, NULL));
        for (size_t j = 0; j < len; j++) {
            unsigned char ch = (unsigned char)lines[i][j];
            assert_true(ch >= 0x20 || ch == 0x02);
            assert_true(ch != 0x7f);
        }
    }
}

/* Runs one command in #test as alice; returns the first line (static). */
static const char *ask_in(const char *channel, const char *text,
                          CommandOutput *out)
{
    CommandInput in = {text, "alice", channel, BUDGET, NULL};
    memset(out, 0, sizeof *out);
    Error err = {0};
    Status rc = commands_dispatch(cmds, &in, out, &err);
    assert_int_equal(rc, STATUS_OK);
    assert_string_equal(err.msg, ""); /* nothing for the log */
    assert_true(out->n >= 1);
    check_lines(out->lines, out->n);
    check_lines(out->priv, out->npriv);
    return out->lines[0];
}

static const char *ask(const char *text, CommandOutput *out)
{
    return ask_in("#test", text, out);
}

static void test_quote_by_id(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!quote 1.4", &out);
    assert_true(strncmp(line, "\"It seems to me, furthermore", 28) == 0);
    const char *tail = "\xe2\x80\x94 Stalin to Churchill, 18 July 1941 [1.4]";
    assert_string_equal(line + strlen(line) - strlen(tail), tail);
    command_output_clear(&out);
    assert_non_null(strstr(ask("!quote 9.9", &out), "There is no passage 9.9"));
    command_output_clear(&out);
}

static void test_quote_fair_cycle(void **st)
{
    (void)st;
    char seen[32][16];
    /* 18 passages, two of them one-line courtesies (1.1, 3.1) that random
     * picks pass over: 16 quotes in a fresh channel are 16 different ones,
     * and the next 16 too, never a courtesy. */
    for (int i = 0; i < 32; i++) {
        CommandOutput out;
        const char *line = ask_in("#fair", "!quote", &out);
        const char *id = strrchr(line, '[');
        assert_non_null(id);
        snprintf(seen[i], sizeof seen[i], "%s", id);
        assert_string_not_equal(seen[i], "[1.1]");
        assert_string_not_equal(seen[i], "[3.1]");
        for (int j = i < 16 ? 0 : 16; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
        command_output_clear(&out);
    }
    /* Asked for by id, a courtesy comes. */
    CommandOutput by_id;
    assert_true(strncmp(ask_in("#fair", "!quote 3.1", &by_id),
                        "\"Thank you for your message.\"", 29) == 0);
    command_output_clear(&by_id);
    /* By author: Churchill's six, once each (in a channel whose last
     * passage cannot be one of them). */
    for (int i = 0; i < 6; i++) {
        CommandOutput out;
        const char *line = ask_in("#fair-c", "!quote churchill", &out);
        assert_non_null(strstr(line, "Churchill to Stalin"));
        snprintf(seen[i], sizeof seen[i], "%s", strrchr(line, '['));
        for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
        command_output_clear(&out);
    }
}

/* "!quote" right after "!quote stalin" (or any passage shown) never
 * repeats the passage just shown in that channel. */
static void test_quote_not_twice_in_a_row(void **st)
{
    (void)st;
    char chan[32], last[16];
    for (int i = 0; i < 40; i++) {
        CommandOutput out;
        snprintf(chan, sizeof chan, "#row%d", i % 4);
        const char *line =
            ask_in(chan, i % 2 ? "!quote stalin" : "!quote 1.4", &out);
        snprintf(last, sizeof last, "%s", strrchr(line, '['));
        command_output_clear(&out);
        line = ask_in(chan, "!quote", &out);
        assert_string_not_equal(strrchr(line, '['), last);
        command_output_clear(&out);
    }
}

static void test_search_paging(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!search finland", &out);
    assert_true(strncmp(line, "Result 1 of 2 (!more for the next): ", 36) == 0);
    assert_non_null(strstr(line, "\x02"
                                 "Finland\x02"));
    command_output_clear(&out);
    line = ask("!more", &out);
    assert_true(strncmp(line, "Result 2 of 2: ", 15) == 0);
    command_output_clear(&out);
    assert_string_equal(ask("!more", &out), "Nothing more.");
    command_output_clear(&out);
    /* Filters. */
    line = ask("!search finland from:churchill", &out);
    assert_true(strncmp(line, "Result 1 of 1: ", 15) == 0);
    assert_non_null(strstr(line, "[2.2, emended]"));
    command_output_clear(&out);
    assert_non_null(
        strstr(ask("!search finland year:1944", &out), "No passage contains"));
    command_output_clear(&out);
    assert_non_null(
        strstr(ask("!search finland from:napoleon", &out), "no author called"));
    command_output_clear(&out);
    assert_non_null(strstr(ask("!search the and of", &out), "too common"));
    command_output_clear(&out);
    assert_non_null(strstr(ask("!search", &out), "Usage: !search"));
    command_output_clear(&out);
}

static void test_grep(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!grep declar\\w+", &out);
    assert_true(strncmp(line, "Match 1 of 2", 12) == 0);
    assert_non_null(strstr(line, "\x02"
                                 "declaring\x02"));
    command_output_clear(&out);
    assert_true(strncmp(ask("!more", &out), "Match 2 of 2: ", 14) == 0);
    command_output_clear(&out);
    assert_non_null(strstr(ask("!grep ((", &out), "Cannot use that pattern"));
    command_output_clear(&out);
}

/* Every match in the shown text is bold, not only the first; the line's
 * bolds stay balanced. */
static void test_grep_bolds_every_match(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!grep \\bthe\\b", &out);
    size_t bolds = 0;
    for (const char *b = line; (b = strchr(b, '\x02')); b++) bolds++;
    assert_true(bolds >= 4);
    assert_int_equal(bolds % 2, 0);
    /* Lookbehind still sees the text before each later match. */
    command_output_clear(&out);
    line = ask("!grep (?<=the )\\w+", &out);
    bolds = 0;
    for (const char *b = line; (b = strchr(b, '\x02')); b++) bolds++;
    assert_true(bolds >= 4);
    for (const char *b = line; (b = strchr(b, '\x02')); b += 2) {
        assert_true(b - line >= 4);
        assert_memory_equal(b - 4, "the ", 4);
        b = strchr(b + 1, '\x02');
        assert_non_null(b);
    }
    command_output_clear(&out);
}

static void test_read_and_letter_are_private(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!read 1.4", &out);
    assert_string_equal(line, "alice: I have sent you passage 1.4 privately.");
    assert_true(out.npriv >= 1);
    assert_true(strncmp(out.priv[0], "\"It seems to me", 15) == 0);
    assert_non_null(strstr(out.priv[out.npriv - 1], "[1.4]"));
    command_output_clear(&out);

    line = ask("!letter 2", &out);
    assert_string_equal(
        line, "alice: I have sent you letter 2 (6 passages) privately.");
    assert_true(strncmp(out.priv[0], "Letter 2: Churchill to Stalin", 29) == 0);
    assert_true(strncmp(out.priv[out.npriv - 1], "Source: ", 8) == 0 ||
                strncmp(out.priv[out.npriv - 1], "(", 1) == 0);
    command_output_clear(&out);

    /* In a private message there is no "sent you" line, and a letter is
     * sent whole there too, not cut at max_lines. */
    CommandInput in = {"!read 2.2", "alice", NULL, BUDGET, NULL};
    memset(&out, 0, sizeof out);
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 0);
    assert_true(strncmp(out.priv[0], "\"About Finland.", 15) == 0);
    command_output_clear(&out);
    in.text = "!letter 2";
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 0);
    assert_true(out.npriv > 8);
    assert_true(strncmp(out.priv[out.npriv - 1], "Source: ", 8) == 0);
    command_output_clear(&out);
}

static void test_today(void **st)
{
    (void)st;
    CommandOutput out;
    setenv("MISSIVE_TODAY", "2026-07-18", 1);
    const char *line = ask("!today", &out);
    assert_true(strncmp(line, "On this day, 18 July: \"", 23) == 0);
    assert_non_null(strstr(line, "18 July 1941 [1."));
    command_output_clear(&out);
    /* Letter 1 opens with a one-line courtesy (1.1): never today's pick. */
    for (int i = 0; i < 30; i++) {
        assert_null(strstr(ask("!today", &out), "[1.1]"));
        command_output_clear(&out);
    }
    setenv("MISSIVE_TODAY", "2026-11-27", 1);
    line = ask("!today", &out);
    const char *lead =
        "Nothing was written on 27 November; the nearest day is 23 November: ";
    assert_true(strncmp(line, lead, strlen(lead)) == 0);
    command_output_clear(&out);
    unsetenv("MISSIVE_TODAY");
}

static void test_stats_about_help(void **st)
{
    (void)st;
    CommandOutput out;
    assert_string_equal(
        ask("!stats", &out),
        "3 letters in 18 passages between 2 people, from 18 July 1941 "
        "to 23 November 1941; 0 undated, 3 passages emended.");
    command_output_clear(&out);
    assert_non_null(strstr(ask("!about", &out), "Stalin: Works, Vol. 17"));
    command_output_clear(&out);
    /* Wide enough for every source: the last one's own full stop is not
     * doubled before the pointer to help. */
    CommandInput wide = {"!about", "alice", "#test", 1000, NULL};
    memset(&out, 0, sizeof out);
    assert_int_equal(commands_dispatch(cmds, &wide, &out, NULL), STATUS_OK);
    assert_non_null(
        strstr(out.lines[0], "Moscow 1957. !help for the commands."));
    assert_null(strstr(out.lines[0], ".."));
    command_output_clear(&out);
    assert_non_null(strstr(ask("!help", &out), "!grep"));
    command_output_clear(&out);
    static const char *const names[] = {"quote", "search", "grep",  "reply",
                                        "read",  "letter", "today", "stats",
                                        "about", "more",   "help"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char q[32];
        snprintf(q, sizeof q, "!help %s", names[i]);
        const char *line = ask(q, &out);
        assert_true(strncmp(line + 1, names[i], strlen(names[i])) == 0);
        command_output_clear(&out);
    }
    assert_non_null(
        strstr(ask("!frobnicate", &out), "Unknown command !frobnicate"));
    command_output_clear(&out);
}

static void test_reply(void **st)
{
    (void)st;
    CommandOutput out;
    const char *line = ask("!reply when will you open a second front?", &out);
    assert_non_null(strstr(line, "Stalin to Churchill, 18 July 1941 [1."));
    command_output_clear(&out);
    line = ask("!reply as churchill what about finland?", &out);
    assert_non_null(strstr(line, "Churchill to Stalin"));
    command_output_clear(&out);
    assert_non_null(
        strstr(ask("!reply as napoleon hello", &out), "no author called"));
    command_output_clear(&out);
    assert_non_null(strstr(ask("!reply", &out), "Usage: !reply"));
    command_output_clear(&out);
    /* 3.3 is too long for a line: the sentence that answers is shown, with
     * "…" for the text before it, not the passage's opening. */
    line = ask("!reply what about Hungary and Roumania?", &out);
    assert_non_null(strstr(line, "\"\xe2\x80\xa6 As regards Hungary and "
                                 "Roumania, I suppose we can wait.\""));
    assert_non_null(strstr(line, "[3.3]"));
    assert_int_equal(out.n, 1);
    command_output_clear(&out);
    /* !more gives the whole passage, from its opening. */
    line = ask("!more", &out);
    assert_true(strncmp(line, "As to Finland, the U.S.S.R.", 27) == 0);
    command_output_clear(&out);
    /* A passage that fits is shown whole. */
    line = ask("!reply thank you for your two personal messages", &out);
    assert_non_null(strstr(
        line, "\"Allow me to thank you for your two personal messages.\""));
    command_output_clear(&out);
}

static void test_channel_settings(void **st)
{
    (void)st;
    char reply[256];
    CommandOutput out = {0};
    CommandInput in = {"!quote 1.1", "alice", "#set", BUDGET, NULL};

    assert_int_equal(
        commands_configure(cmds, "#set prefix @", reply, sizeof reply, NULL),
        STATUS_OK);
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL),
                     STATUS_NOTFOUND); /* ! is talk now */
    assert_false(commands_match(cmds, "#set", "!quote"));
    assert_true(commands_match(cmds, "#set", "@quote"));
    assert_true(commands_match(cmds, "#other", "!quote"));
    in.text = "@quote 1.1";
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    command_output_clear(&out);
    in.text = "@help";
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    assert_non_null(strstr(out.lines[0], "@quote"));
    command_output_clear(&out);

    assert_int_equal(commands_configure(cmds, "#set disable grep", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
    assert_non_null(strstr(reply, "disabled: grep"));
    in.text = "@grep front";
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL),
                     STATUS_NOTFOUND); /* silent: disabled */
    assert_int_equal(commands_configure(cmds, "#set disable help", reply,
                                        sizeof reply, NULL),
                     STATUS_INVALID);
    assert_int_equal(commands_configure(cmds, "#set disable nosuch", reply,
                                        sizeof reply, NULL),
                     STATUS_INVALID);
    assert_int_equal(
        commands_configure(cmds, "#set enable grep", reply, sizeof reply, NULL),
        STATUS_OK);
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    command_output_clear(&out);

    assert_int_equal(commands_addressed(cmds, "#set", 1), 1);
    assert_int_equal(commands_configure(cmds, "#set addressed off", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
    assert_int_equal(commands_addressed(cmds, "#set", 1), 0);
    assert_int_equal(commands_configure(cmds, "#set prefix default", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
    assert_true(commands_match(cmds, "#set", "!quote"));
    assert_int_equal(commands_configure(cmds, "#set prefix two words", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
    assert_int_equal(
        commands_configure(cmds, "#set prefix \x01", reply, sizeof reply, NULL),
        STATUS_INVALID);
    assert_int_equal(commands_configure(cmds, "#set prefix default", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
}

/* Found by fuzz_commands: the owner's answer echoed control codes and
 * invalid UTF-8 from the settings typed ("No command "\x01ACTION"."), and
 * a channel name longer than 63 bytes was cut and the cut name configured. */
static void test_channel_settings_hostile(void **st)
{
    (void)st;
    char reply[256], chan[80];
    static const char *const hostile[] = {
        "#set enable \x01"
        "ACTION",
        "#set disable \x03"
        "04grep",
        "#set prefix \xff",
        "#set\tprefix @",
        "#set prefix @\x7f",
        "#s\xc3 show",
        "\x02#set show",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        assert_int_equal(
            commands_configure(cmds, hostile[i], reply, sizeof reply, NULL),
            STATUS_INVALID);
        check_lines((char *[]){reply}, 1);
    }
    assert_true(commands_match(cmds, "#set", "!quote"));

    memset(chan, 'a', sizeof chan);
    chan[0] = '#';
    snprintf(chan + 70, sizeof chan - 70, " prefix @");
    assert_int_equal(commands_configure(cmds, chan, reply, sizeof reply, NULL),
                     STATUS_INVALID);
    assert_non_null(strstr(reply, "too long"));
    chan[63] = '\0'; /* what the old code configured */
    assert_true(commands_match(cmds, chan, "!quote"));
    assert_false(commands_match(cmds, chan, "@quote"));
}

/* Every command, every kind of hostile argument: a clean answer, fast. */
static void test_hostile_arguments(void **st)
{
    (void)st;
    static const char *const commands_list[] = {
        "quote", "search", "grep",  "reply", "read", "letter",
        "today", "stats",  "about", "more",  "help",
    };
    static char big[10241], binary[300], text[11000];
    const char *hostile[] = {
        "",
        " ",
        big,
        binary,
        "\xff\xfe\xc3\x28 \xe2\x82",
        "\x03"
        "04red\x02"
        "bold\x0f\x16",
        "\x01"
        "VERSION\x01",
        "a\r\nQUIT :bye",
        "'; DROP TABLE passages; --",
        "\" OR 1=1 --",
        "NEAR(a b) AND (c OR d) NOT e*",
        "col:finland {x}: ^y",
        "(a+)+$",
        "((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))",
        "(a*)*\\1",
        "a{65535}{65535}",
        "(?C1)x",
        "\\C",
        "(*LIMIT_MATCH=99999999)a",
        "99999999999999999999.1",
        "-1.-1",
        "0.0",
        "1.99999",
        "as",
        "as stalin",
        "from:\" year:99999",
        "%s%n%x",
        "\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
    };
    memset(big, 'a', sizeof big - 1);
    for (size_t i = 0; i < sizeof big - 1; i += 7) big[i] = ' ';
    for (size_t i = 0; i < sizeof binary - 1; i++)
        binary[i] = (char)(1 + i % 255);
    for (size_t c = 0; c < sizeof commands_list / sizeof commands_list[0];
         c++) {
        for (size_t h = 0; h < sizeof hostile / sizeof hostile[0]; h++) {
            CommandOutput out;
            snprintf(text, sizeof text, "!%s %s", commands_list[c], hostile[h]);
            uint64_t t0 = clock_now_ms();
            ask(text, &out);
            /* The real bound is each module's limits; this only catches
             * a stall. */
            assert_true(clock_now_ms() - t0 < 2000);
            for (size_t i = 0; i < out.n; i++) {
                assert_null(strchr(out.lines[i], '\r'));
                assert_null(strchr(out.lines[i], '\n'));
            }
            command_output_clear(&out);
        }
    }
}

/* An answer longer than max_lines: the rest waits for !more, per person
 * and place. */
static void test_more_keeps_the_rest(void **st)
{
    (void)st;
    CommandsConfig cfg = {"!", BUDGET, 1, 600};
    Commands *one = commands_new(corpus, state, &cfg);
    CommandOutput out = {0};
    CommandInput in = {"!help search", "bob", "#more", BUDGET, NULL};

    assert_non_null(one);
    assert_int_equal(commands_dispatch(one, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 2);
    assert_true(strncmp(out.lines[0], "!search WORDS: ", 15) == 0);
    assert_string_equal(out.lines[1], "(1 more: !more)");
    command_output_clear(&out);

    /* Someone else, or bob elsewhere, has nothing waiting. */
    in.text = "!more";
    in.nick = "carol";
    assert_int_equal(commands_dispatch(one, &in, &out, NULL), STATUS_OK);
    assert_string_equal(out.lines[0], "Nothing more.");
    command_output_clear(&out);
    in.nick = "bob";
    in.channel = "#elsewhere";
    assert_int_equal(commands_dispatch(one, &in, &out, NULL), STATUS_OK);
    assert_string_equal(out.lines[0], "Nothing more.");
    command_output_clear(&out);

    in.channel = "#more";
    assert_int_equal(commands_dispatch(one, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.lines[0], "Example: !search finland");
    command_output_clear(&out);
    assert_int_equal(commands_dispatch(one, &in, &out, NULL), STATUS_OK);
    assert_string_equal(out.lines[0], "Nothing more.");
    command_output_clear(&out);
    commands_free(one);
}

/* A private message is a !reply, except a bare command name: "help"
 * (the first thing a new user types to /msg missive) gets the help. */
static void test_private_bare_commands(void **st)
{
    (void)st;
    CommandOutput out = {0};
    CommandInput in = {"help", "dan", NULL, BUDGET, NULL};
    static const char *const helps[] = {"help", "HELP", "help?", " help "};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        in.text = helps[i];
        assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL),
                         STATUS_OK);
        assert_int_equal(out.n, 1); /* no owner line for a stranger */
        assert_true(
            strncmp(out.lines[0], "Passages from historical letters", 32) == 0);
        command_output_clear(&out);
    }
    in.text = "help search";
    assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL), STATUS_OK);
    assert_true(strncmp(out.lines[0], "!search WORDS: ", 15) == 0);
    command_output_clear(&out);
    in.text = "quote";
    assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL), STATUS_OK);
    assert_non_null(strstr(out.lines[0], "\xe2\x80\x94 "));
    command_output_clear(&out);

    /* A question that merely starts with a command's name is a reply. */
    in.text = "help me with the second front in France";
    assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL), STATUS_OK);
    assert_null(strstr(out.lines[0], "Passages from historical letters"));
    command_output_clear(&out);

    /* In a channel, "missive: help" stays a reply, as before. */
    in.text = "help";
    in.channel = "#test";
    assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL), STATUS_OK);
    assert_null(strstr(out.lines[0], "Passages from historical letters"));
    command_output_clear(&out);
}

/* Owners see their own commands in help, in private only. */
static void test_owner_help_is_private(void **st)
{
    (void)st;
    CommandOutput out = {0};
    CommandInput in = {"!help", "olga", NULL, BUDGET, "status, reload"};
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.lines[1],
                        "As an owner, in private: status, reload");
    command_output_clear(&out);
    in.text = "help";
    assert_int_equal(commands_dispatch_reply(cmds, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 2);
    command_output_clear(&out);
    in.text = "!help";
    in.channel = "#test";
    assert_int_equal(commands_dispatch(cmds, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 1);
    assert_null(strstr(out.lines[0], "status"));
    command_output_clear(&out);
}

/* Appends line[from..to) to buf. */
static void append(char *buf, size_t bufsz, const char *from, const char *to)
{
    size_t len = strlen(buf), n = (size_t)(to - from);
    assert_true(len + n < bufsz);
    memcpy(buf + len, from, n);
    buf[len + n] = '\0';
}

/* A passage cut with "…" goes on with !more, in as many lines as it takes,
 * until the citation; together the pieces are the whole text. */
static void test_more_continues_a_cut_passage(void **st)
{
    (void)st;
    static const char dash[] = "\" \xe2\x80\x94 ";
    static const char ell[] = "\xe2\x80\xa6";
    const char *cite = "Stalin to Churchill, 18 July 1941 [1.3]";
    CommandsConfig cfg = {"!", 160, 2, 600};
    Commands *narrow = commands_new(corpus, state, &cfg);
    CommandOutput out = {0};
    CommandInput in = {"!quote 1.3", "erin", "#cut", 160, NULL};
    char text[2048] = "";

    assert_non_null(narrow);
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    assert_int_equal(out.n, 1); /* no extra line in the channel */
    check_lines(out.lines, out.n);
    const char *line = out.lines[0], *cut = strstr(line, ell);
    assert_non_null(cut);
    assert_ptr_equal(strstr(line, dash), cut + 3);
    append(text, sizeof text, line + 1, cut);
    command_output_clear(&out);

    in.text = "!more";
    int rounds = 0;
    bool done = false;
    while (!done) {
        assert_true(++rounds < 20);
        assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
        check_lines(out.lines, out.n);
        assert_true(out.n >= 1 && out.n <= 2);
        for (size_t i = 0; i < out.n; i++) {
            const char *l = out.lines[i];
            if (strncmp(l, "(", 1) == 0) {
                assert_true(i == out.n - 1);
                assert_non_null(strstr(l, "more: !more)"));
                continue;
            }
            if (rounds == 1 && i == 0) {
                assert_memory_equal(l, ell, 3);
                l += 3;
                strcat(text, " ");
            } else if (text[strlen(text) - 1] != '"') {
                strcat(text, " ");
            }
            const char *end = strstr(l, cite);
            if (end) {
                assert_string_equal(end, cite);
                assert_true(i == out.n - 1);
                append(text, sizeof text, l, end - (sizeof dash - 2));
                done = true;
            } else {
                append(text, sizeof text, l, l + strlen(l));
            }
        }
        command_output_clear(&out);
    }
    /* The pieces make the passage, word for word, with its closing quote. */
    Passage p;
    assert_int_equal(corpus_get(corpus, 1, 3, &p, NULL), STATUS_OK);
    size_t tl = strlen(text);
    assert_true(tl > 1 && text[tl - 1] == '"');
    text[tl - 1] = '\0';
    assert_string_equal(text, p.text);
    passage_clear(&p);
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    assert_string_equal(out.lines[0], "Nothing more.");
    command_output_clear(&out);

    /* A passage that fits leaves nothing waiting; a search still pages
     * results, not text. */
    in.text = "!quote 1.1";
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    command_output_clear(&out);
    in.text = "!more";
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    assert_string_equal(out.lines[0], "Nothing more.");
    command_output_clear(&out);
    in.text = "!search finland";
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    command_output_clear(&out);
    in.text = "!more";
    assert_int_equal(commands_dispatch(narrow, &in, &out, NULL), STATUS_OK);
    /* (At this budget the "Result 2 of 2" lead is left out.) */
    assert_non_null(strstr(out.lines[0], "\x02"
                                         "Finland\x02"));
    command_output_clear(&out);
    commands_free(narrow);
}

static void test_not_commands(void **st)
{
    (void)st;
    static const char *const talk[] = {"hello",   "!",     "!!!",
                                       "! quote", "!1941", "!quote1.4",
                                       "",        "quote", "?quote"};
    for (size_t i = 0; i < sizeof talk / sizeof talk[0]; i++) {
        CommandOutput out = {0};
        CommandInput in = {talk[i], "alice", "#test", BUDGET, NULL};
        assert_int_equal(commands_dispatch(cmds, &in, &out, NULL),
                         STATUS_NOTFOUND);
        assert_int_equal(out.n, 0);
    }
}

/* Database trouble: the user hears the same apology as ever, and the
 * reason reaches the caller's Error for the log, not the channel.  A
 * refused setting is the owner's answer and the caller's Error alike. */
static void test_errors_reach_the_caller(void **st)
{
    (void)st;
    CommandOutput out = {0};
    CommandInput in = {"!stats", "alice", "#test", BUDGET, NULL};
    Error err = {0};

    assert_int_equal(sqlite3_exec(db, "ALTER TABLE files RENAME TO files_gone",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(commands_dispatch(cmds, &in, &out, &err), STATUS_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE files_gone RENAME TO files",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.lines[0],
                        "Sorry, the letters cannot be read just now.");
    assert_non_null(strstr(err.msg, "corpus: stats: "));
    assert_non_null(strstr(err.msg, "files"));
    command_output_clear(&out);

    char reply[256];
    error_clear(&err);
    assert_int_equal(commands_configure(cmds, "#errs disable more", reply,
                                        sizeof reply, &err),
                     STATUS_INVALID);
    assert_string_equal(reply,
                        "Not changed: help and more cannot be disabled.");
    assert_string_equal(err.msg, reply);
}

/* The quote of the day: "set #chan daily ...", !daily, the choice of
 * passage and its lines. */
static void test_daily(void **st)
{
    (void)st;
    char reply[256];
    CommandOutput out = {0};
    const char *chans[] = {"#Daily"};
    /* Grace 0: "due now" only in the very second of the slot, so the
     * answers below are the "next passage" form whatever time the test
     * runs (with 6 h of grace it failed from 07:30 to 15:00 UTC). */
    DailyDefaults d = {chans, 1, 9, 0, "UTC", 0, "Letter:"};

    assert_string_equal(ask_in("#nodaily", "!daily", &out),
                        "No passage of the day is posted here.");
    command_output_clear(&out);
    assert_string_equal(ask_in(NULL, "!daily", &out),
                        "Ask in a channel: !daily tells when its passage of "
                        "the day is due.");
    command_output_clear(&out);
    commands_set_daily(cmds, &d);
    assert_non_null(strstr(ask_in("#daily", "!daily", &out),
                           "The next passage of the day here: "));
    assert_non_null(strstr(out.lines[0], " at 09:00 UTC (UTC), in "));
    command_output_clear(&out);

    assert_int_equal(commands_configure(cmds,
                                        "#daily daily 08:30 Europe/Berlin",
                                        reply, sizeof reply, NULL),
                     STATUS_OK);
    assert_string_equal(reply,
                        "#daily: passage of the day at 08:30 Europe/Berlin.");
    assert_non_null(strstr(ask_in("#daily", "!daily", &out), " at 08:30 CE"));
    assert_non_null(strstr(out.lines[0], "(Europe/Berlin)"));
    command_output_clear(&out);
    assert_int_equal(
        commands_configure(cmds, "#daily daily off", reply, sizeof reply, NULL),
        STATUS_OK);
    assert_string_equal(reply, "#daily: no passage of the day.");
    assert_string_equal(ask_in("#daily", "!daily", &out),
                        "No passage of the day is posted here.");
    command_output_clear(&out);
    assert_int_equal(commands_configure(cmds, "#daily daily default", reply,
                                        sizeof reply, NULL),
                     STATUS_OK);
    assert_string_equal(reply, "#daily: passage of the day at 09:00 UTC (as "
                               "configured).");
    /* An owner's time in a channel [daily] does not list. */
    assert_int_equal(commands_configure(cmds,
                                        "#other daily 23:59 Asia/Kathmandu",
                                        reply, sizeof reply, NULL),
                     STATUS_OK);
    assert_non_null(
        strstr(ask_in("#other", "!daily", &out), " at 23:59 +0545"));
    command_output_clear(&out);

    static const char *const bad[] = {
        "#daily daily",
        "#daily daily 24:00 UTC",
        "#daily daily 8:30 UTC",
        "#daily daily 08:30",
        "#daily daily soon",
        "#daily daily 08:30 Mars/Base",
        "#daily daily 08:30 ../../etc/passwd",
        "#daily daily 1::00 UTC",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(
            commands_configure(cmds, bad[i], reply, sizeof reply, NULL),
            STATUS_INVALID);
    commands_set_daily(cmds, NULL);
}

static void test_daily_choice_and_lines(void **st)
{
    (void)st;
    Passage p;
    Error err = {0};
    bool otd = false;
    int letter = 0, para = 0;
    DailyLines lines;

    /* 18 July: Stalin's first letter is dated 18 July 1941. */
    assert_int_equal(dailypost_choose(corpus, state, "#d",
                                      (DailyDate){2026, 7, 18}, &letter, &para,
                                      &p, &otd, &err),
                     STATUS_OK);
    assert_true(otd);
    assert_string_equal(p.date + 4, "-07-18");
    assert_int_equal(
        dailypost_lines(&p, otd, "Letter of the day:", "!", BUDGET, 3, &lines),
        STATUS_OK);
    assert_in_range(lines.n, 1, 3);
    check_lines(lines.v, lines.n);
    assert_true(strncmp(lines.v[0],
                        "Letter of the day: On this day in 1941: \"", 41) == 0);
    char cite[32];
    snprintf(cite, sizeof cite, "[%d.%d", letter, para);
    assert_non_null(strstr(lines.v[lines.n - 1], cite));
    dailypost_lines_clear(&lines);
    passage_clear(&p);

    /* Asked again (a resend): the same passage. */
    int again_l = letter, again_p = para;
    assert_int_equal(dailypost_choose(corpus, state, "#d",
                                      (DailyDate){2026, 7, 18}, &again_l,
                                      &again_p, &p, &otd, &err),
                     STATUS_OK);
    assert_int_equal(again_l * 100 + again_p, letter * 100 + para);
    passage_clear(&p);

    /* A day with no letter: the channel's shuffle, no repeats among the
     * passages a random pick takes (one-line courtesies passed over). */
    int seen[200], n = 0;
    long total = 0, courtesies = 0;
    PassageFilter any = {.min_chars = CORPUS_RANDOM_MIN_CHARS};
    assert_int_equal(corpus_count(corpus, NULL, &total, &err), STATUS_OK);
    assert_in_range(total, 2, 200);
    for (long k = 0; k < total; k++) {
        assert_int_equal(corpus_pick(corpus, NULL, k, &p, &err), STATUS_OK);
        courtesies += corpus_passed_over(&any, &p);
        passage_clear(&p);
    }
    assert_in_range(courtesies, 1, total - 2);
    for (int i = 0; i < total - courtesies; i++) {
        letter = para = 0;
        assert_int_equal(dailypost_choose(corpus, state, "#d2",
                                          (DailyDate){2026, 1, 1}, &letter,
                                          &para, &p, &otd, &err),
                         STATUS_OK);
        assert_false(otd);
        assert_false(corpus_passed_over(&any, &p));
        for (int j = 0; j < n; j++)
            assert_int_not_equal(seen[j], letter * 100 + para);
        seen[n++] = letter * 100 + para;
        passage_clear(&p);
    }

    /* A long passage: whole when it fits in max_lines, else cut after a
     * whole sentence with the pointer to !read; never over budget. */
    char text[6000] = "";
    for (int i = 0; strlen(text) < 5000; i++) {
        char sentence[64];
        snprintf(sentence, sizeof sentence, "Sentence number %d is here. ", i);
        strcat(text, sentence);
    }
    Passage longp = {.letter = 7,
                     .para = 2,
                     .text = text,
                     .sender = "A",
                     .recipient = "B",
                     .date = "1941-07-18",
                     .date_kind = DATE_WRITTEN};
    for (int max = 1; max <= 10; max++) {
        assert_int_equal(
            dailypost_lines(&longp, false, "", "!", BUDGET, max, &lines),
            STATUS_OK);
        assert_in_range(lines.n, 1, (size_t)max);
        check_lines(lines.v, lines.n);
        const char *last = lines.v[lines.n - 1];
        assert_non_null(strstr(last, "(all of it: !read 7.2)"));
        /* The text stops after a full stop. */
        char all[8000] = "";
        for (size_t i = 0; i < lines.n; i++) {
            strcat(all, lines.v[i]);
            strcat(all, " ");
        }
        const char *cut = strstr(all, " [\xE2\x80\xA6]\"");
        assert_non_null(cut);
        if (max > 1)
            assert_int_equal(cut[-1], '.');
        dailypost_lines_clear(&lines);
    }
    text[900] = '\0'; /* fits in three lines of 400 */
    assert_int_equal(dailypost_lines(&longp, false, "", "!", BUDGET, 3, &lines),
                     STATUS_OK);
    assert_int_equal(lines.n, 3);
    assert_null(strstr(lines.v[2], "!read"));
    assert_non_null(strstr(lines.v[2], "A to B, 18 July 1941 [7.2]"));
    dailypost_lines_clear(&lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_by_id),
        cmocka_unit_test(test_quote_fair_cycle),
        cmocka_unit_test(test_quote_not_twice_in_a_row),
        cmocka_unit_test(test_search_paging),
        cmocka_unit_test(test_grep),
        cmocka_unit_test(test_grep_bolds_every_match),
        cmocka_unit_test(test_read_and_letter_are_private),
        cmocka_unit_test(test_today),
        cmocka_unit_test(test_stats_about_help),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_channel_settings),
        cmocka_unit_test(test_daily),
        cmocka_unit_test(test_daily_choice_and_lines),
        cmocka_unit_test(test_channel_settings_hostile),
        cmocka_unit_test(test_hostile_arguments),
        cmocka_unit_test(test_more_keeps_the_rest),
        cmocka_unit_test(test_private_bare_commands),
        cmocka_unit_test(test_owner_help_is_private),
        cmocka_unit_test(test_more_continues_a_cut_passage),
        cmocka_unit_test(test_not_commands),
        cmocka_unit_test(test_errors_reach_the_caller),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
