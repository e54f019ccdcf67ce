/* test_config.c - the INI configuration: defaults, the shipped file, every
 * error class with its exact "FILE:LINE:" text, the password file and its
 * masking, relative paths, and config_print output loading back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"

static char tmpdir[TESTUTIL_DIR_MAX];

/* ---- helpers ------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    /* Resolved (testutil_tmpdir does), since the loader resolves the
     * config's directory. */
    return testutil_tmpdir("config", tmpdir, sizeof tmpdir);
}

static int group_teardown(void **state)
{
    (void)state;
    return testutil_rmtree(tmpdir);
}

static void path_in_tmp(char *out, size_t outsz, const char *name)
{
    int n = snprintf(out, outsz, "%s/%s", tmpdir, name);
    assert_true(n > 0 && (size_t)n < outsz);
}

static void put_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void put_str(const char *path, const char *data)
{
    put_file(path, data, strlen(data));
}

/* An Error sink: each line, newline-terminated, on the FILE * in ud. */
static void sink_to_file(void *ud, Severity severity, const char *line)
{
    assert_int_equal(severity, SEVERITY_ERROR);
    assert_null(strchr(line, '\n'));
    fprintf(ud, "%s\n", line);
}

/* Loads path; *errs gets every line the Error's sink was given, which is
 * what an operator sees.  The Error's msg is its first line. */
static Status load_path(const char *path, Config *c, char **errs)
{
    size_t errlen;
    FILE *e = open_memstream(errs, &errlen);
    assert_non_null(e);
    Error err = {.sink = sink_to_file, .sink_ud = e};
    Status st = config_load(path, c, &err);
    assert_int_equal(fclose(e), 0);
    size_t first = strcspn(*errs, "\n");
    if (first >= sizeof err.msg)
        first = sizeof err.msg - 1;
    assert_int_equal(strlen(err.msg), first);
    assert_memory_equal(err.msg, *errs, first);
    assert_int_equal(st == STATUS_OK, err.errors == 0);
    return st;
}

/* Writes text to tmpdir/name and loads it; *errs gets what was reported. */
static Status load_named(const char *name, const char *text, size_t n,
                         Config *c, char **errs)
{
    char path[PATH_MAX];
    path_in_tmp(path, sizeof path, name);
    put_file(path, text, n);
    return load_path(path, c, errs);
}

static Status load_text(const char *text, Config *c, char **errs)
{
    return load_named("t.conf", text, strlen(text), c, errs);
}

/* expected: lines starting with "FILE" stand for the path of t.conf. */
static void expect_errors_n(const char *text, size_t n, const char *expected)
{
    char path[PATH_MAX], want[8192];
    size_t w = 0;
    path_in_tmp(path, sizeof path, "t.conf");
    for (const char *p = expected; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        int k;
        if (strncmp(p, "FILE", 4) == 0)
            k = snprintf(want + w, sizeof want - w, "%s%.*s", path,
                         (int)(len - 4), p + 4);
        else
            k = snprintf(want + w, sizeof want - w, "%.*s", (int)len, p);
        assert_true(k >= 0 && (size_t)k < sizeof want - w);
        w += (size_t)k;
        p += len;
    }

    Config c;
    config_defaults(&c);
    char *errs = NULL;
    config_defaults(&c);
    c.port = 4242; /* must survive a failed load */
    assert_int_equal(load_named("t.conf", text, n, &c, &errs), STATUS_INVALID);
    assert_string_equal(errs, want);
    assert_int_equal(c.port, 4242);
    assert_null(c.password);
    free(errs);
    config_free(&c);
}

static void expect_errors(const char *text, const char *expected)
{
    expect_errors_n(text, strlen(text), expected);
}

/* c holds defaults or an earlier load, which this one replaces. */
static void load_ok(const char *text, Config *c)
{
    char *errs = NULL;
    Status st = load_text(text, c, &errs);
    assert_string_equal(errs, "");
    assert_int_equal(st, STATUS_OK);
    free(errs);
}

static char *print_to_string(const Config *c)
{
    char *s = NULL;
    size_t n;
    FILE *f = open_memstream(&s, &n);
    assert_non_null(f);
    config_print(c, f);
    assert_int_equal(fclose(f), 0);
    return s;
}

/* b loaded from config_print(a): equal but for masked channel keys. */
static void assert_same_config(const Config *a, const Config *b)
{
    assert_string_equal(a->server, b->server);
    assert_int_equal(a->port, b->port);
    assert_string_equal(a->nick, b->nick);
    assert_int_equal(a->alt_nick_count, b->alt_nick_count);
    for (size_t i = 0; i < a->alt_nick_count; i++)
        assert_string_equal(a->alt_nicks[i], b->alt_nicks[i]);
    assert_string_equal(a->username, b->username);
    assert_string_equal(a->realname, b->realname);
    assert_int_equal(a->channel_count, b->channel_count);
    for (size_t i = 0; i < a->channel_count; i++) {
        assert_string_equal(a->channels[i].name, b->channels[i].name);
        assert_string_equal(b->channels[i].key,
                            a->channels[i].key[0] != '\0' ? "********" : "");
    }
    assert_string_equal(a->password_file, b->password_file);
    if (a->password == NULL)
        assert_null(b->password);
    else
        assert_string_equal(a->password, b->password);
    assert_int_equal(a->ping_interval, b->ping_interval);
    assert_int_equal(a->ping_timeout, b->ping_timeout);
    assert_int_equal(a->reconnect_min, b->reconnect_min);
    assert_int_equal(a->reconnect_max, b->reconnect_max);
    assert_string_equal(a->prefix, b->prefix);
    assert_string_equal(a->database, b->database);
    assert_int_equal(a->answer_addressed, b->answer_addressed);
    assert_int_equal(a->log_level, b->log_level);
    assert_int_equal(a->more_expiry, b->more_expiry);
    assert_int_equal(a->max_lines, b->max_lines);
    assert_int_equal(a->flood_burst, b->flood_burst);
    assert_int_equal(a->flood_interval_ms, b->flood_interval_ms);
    assert_int_equal(a->flood_queue_max, b->flood_queue_max);
    assert_int_equal(a->user_burst, b->user_burst);
    assert_int_equal(a->user_interval, b->user_interval);
    assert_int_equal(a->channel_burst, b->channel_burst);
    assert_int_equal(a->channel_interval, b->channel_interval);
    assert_int_equal(a->private_burst, b->private_burst);
    assert_int_equal(a->private_interval, b->private_interval);
    assert_int_equal(a->ignore.n, b->ignore.n);
    for (size_t i = 0; i < a->ignore.n; i++)
        assert_string_equal(a->ignore.v[i], b->ignore.v[i]);
    assert_int_equal(a->owners.n, b->owners.n);
    for (size_t i = 0; i < a->owners.n; i++)
        assert_string_equal(a->owners.v[i], b->owners.v[i]);
    assert_int_equal(a->daily_channel_count, b->daily_channel_count);
    for (size_t i = 0; i < a->daily_channel_count; i++)
        assert_string_equal(a->daily_channels[i], b->daily_channels[i]);
    assert_int_equal(a->daily_hour, b->daily_hour);
    assert_int_equal(a->daily_minute, b->daily_minute);
    assert_string_equal(a->daily_timezone, b->daily_timezone);
    assert_int_equal(a->daily_grace, b->daily_grace);
    assert_string_equal(a->daily_template, b->daily_template);
}

/* Prints a, loads the text back into b, checks they match. */
static void assert_round_trip(const Config *a)
{
    char *text = print_to_string(a);
    Config b;
    char *errs = NULL;
    config_defaults(&b);
    Status st = load_named("printed.conf", text, strlen(text), &b, &errs);
    assert_string_equal(errs, "");
    assert_int_equal(st, STATUS_OK);
    assert_same_config(a, &b);
    /* Every printed line fits the loader's line limit. */
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(nl - p <= 198);
        p = nl + 1;
    }
    free(errs);
    free(text);
    config_free(&b);
}

/* ---- defaults and the shipped file -------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    Config c;
    memset(&c, 0xA5, sizeof c); /* may be uninitialised */
    config_defaults(&c);
    assert_string_equal(c.server, "127.0.0.1");
    assert_int_equal(c.port, 6667);
    assert_string_equal(c.nick, "missive");
    assert_int_equal(c.alt_nick_count, 2);
    assert_string_equal(c.alt_nicks[0], "missive_");
    assert_string_equal(c.alt_nicks[1], "missive__");
    assert_string_equal(c.username, "missive");
    assert_string_equal(c.realname, "Missive, letters of 1941");
    assert_int_equal(c.channel_count, 0);
    assert_string_equal(c.password_file, "");
    assert_null(c.password);
    assert_int_equal(c.ping_interval, 120);
    assert_int_equal(c.ping_timeout, 60);
    assert_int_equal(c.reconnect_min, 2);
    assert_int_equal(c.reconnect_max, 300);
    assert_string_equal(c.prefix, "!");
    /* The database defaults to the state directory, never next to the
     * config (test_default_database). */
    assert_true(c.database[0] == '/');
    assert_non_null(strstr(c.database, "/missive.db"));
    assert_null(strstr(c.database, "/etc/"));
    /* A test binary runs from the build tree: the source tree's data/. */
    assert_string_equal(c.data_dir, DATADIR);
    assert_true(c.answer_addressed);
    assert_int_equal(c.log_level, SEVERITY_INFO);
    assert_int_equal(c.more_expiry, 600);
    assert_int_equal(c.max_lines, 3);
    assert_int_equal(c.flood_burst, 4);
    assert_int_equal(c.flood_interval_ms, 1100);
    assert_int_equal(c.flood_queue_max, 200);
    assert_int_equal(c.user_burst, 3);
    assert_int_equal(c.user_interval, 10);
    assert_int_equal(c.channel_burst, 6);
    assert_int_equal(c.channel_interval, 4);
    assert_int_equal(c.private_burst, 6);
    assert_int_equal(c.private_interval, 4);
    assert_int_equal(c.ignore.n, 0);
    assert_null(c.ignore.v);
    assert_int_equal(c.owners.n, 0);
    config_free(&c);
    config_free(NULL);
}

static void test_shipped_config_loads(void **state)
{
    (void)state;
    const char *path = DATADIR "/../config/missive.conf";
    char *errs = NULL, dir[PATH_MAX], want[PATH_MAX + 16];
    Config c, d;
    config_defaults(&c);
    config_defaults(&d);

    Status st = load_path(path, &c, &errs);
    assert_string_equal(errs, "");
    assert_int_equal(st, STATUS_OK);
    free(errs);

    /* Its values are the defaults: it sets no database, which goes to the
     * state directory, not next to the file in /etc/missive. */
    (void)dir;
    (void)want;
    assert_same_config(&d, &c);
    assert_round_trip(&c);
    config_free(&c);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX + 64];
    char *errs = NULL;
    Config c;
    config_defaults(&c);
    path_in_tmp(path, sizeof path, "no-such.conf");
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory\n",
             path);
    assert_int_equal(load_path(path, &c, &errs), STATUS_ERROR);
    assert_string_equal(errs, want);
    free(errs);

    /* A directory opens but cannot be read. */
    errs = NULL;
    assert_int_equal(load_path(tmpdir, &c, &errs), STATUS_ERROR);
    snprintf(want, sizeof want, "%s: read error: Is a directory\n", tmpdir);
    assert_string_equal(errs, want);
    free(errs);

    /* err may be NULL, or have no sink: msg keeps the first line. */
    assert_int_equal(config_load(path, &c, NULL), STATUS_ERROR);
    Error err = {0};
    assert_int_equal(config_load(path, &c, &err), STATUS_ERROR);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(err.errors, 1);
    assert_int_equal(c.port, 6667);
}

static void test_full_file(void **state)
{
    (void)state;
    Config c;
    config_defaults(&c);
    load_ok("\xEF\xBB\xBF; BOM, CRLF, indentation, both separators\r\n"
            "[irc]\r\n"
            "  server = irc.example.org   ; inline comment\r\n"
            "port: 6697\r\n"
            "nick = Mis[sive]\r\n"
            "alt_nicks = a_, b-2\r\n"
            "username = ms\r\n"
            "realname = Миссив, letters ; of 1941\r\n"
            "channels = #one, &two key2,#Three\r\n"
            "ping_interval = 30\r\n"
            "ping_timeout = 10\r\n"
            "reconnect_min = +5\r\n"
            "reconnect_max = 005\r\n"
            "[bot]\r\n"
            "prefix = ?!\r\n"
            "answer_addressed = OFF\r\n"
            "log_level = debug\r\n"
            "more_expiry = 10\r\n"
            "max_lines = 10\r\n"
            "[ flood ]   ; spaces inside brackets are fine\r\n"
            "burst = 20\r\n"
            "interval_ms = 100\r\n"
            "queue_max = 10000\r\n"
            "[limits]\r\n"
            "user_burst = 100\r\n"
            "user_interval = 1\r\n"
            "channel_burst = 1\r\n"
            "channel_interval = 3600\r\n"
            "ignore = *!*@spam.example, bad?bot!*@*\r\n"
            "[admin]\r\n"
            "owners = *!*@trusted.example\r\n",
            &c);
    assert_string_equal(c.server, "irc.example.org");
    assert_int_equal(c.port, 6697);
    assert_string_equal(c.nick, "Mis[sive]");
    assert_int_equal(c.alt_nick_count, 2);
    assert_string_equal(c.alt_nicks[1], "b-2");
    assert_string_equal(c.username, "ms");
    assert_string_equal(c.realname, "Миссив, letters");
    assert_int_equal(c.channel_count, 3);
    assert_string_equal(c.channels[0].name, "#one");
    assert_string_equal(c.channels[0].key, "");
    assert_string_equal(c.channels[1].name, "&two");
    assert_string_equal(c.channels[1].key, "key2");
    assert_string_equal(c.channels[2].name, "#Three");
    assert_int_equal(c.ping_interval, 30);
    assert_int_equal(c.ping_timeout, 10);
    assert_int_equal(c.reconnect_min, 5);
    assert_int_equal(c.reconnect_max, 5);
    assert_string_equal(c.prefix, "?!");
    assert_false(c.answer_addressed);
    assert_int_equal(c.log_level, SEVERITY_DEBUG);
    assert_int_equal(c.more_expiry, 10);
    assert_int_equal(c.max_lines, 10);
    assert_int_equal(c.flood_burst, 20);
    assert_int_equal(c.flood_interval_ms, 100);
    assert_int_equal(c.flood_queue_max, 10000);
    assert_int_equal(c.user_burst, 100);
    assert_int_equal(c.user_interval, 1);
    assert_int_equal(c.channel_burst, 1);
    assert_int_equal(c.channel_interval, 3600);
    assert_int_equal(c.ignore.n, 2);
    assert_string_equal(c.ignore.v[0], "*!*@spam.example");
    assert_string_equal(c.ignore.v[1], "bad?bot!*@*");
    assert_int_equal(c.owners.n, 1);
    assert_string_equal(c.owners.v[0], "*!*@trusted.example");
    assert_round_trip(&c);
    config_free(&c);
}

static void test_bools(void **state)
{
    (void)state;
    static const char *const yes[] = {"yes", "true", "on", "1", "Yes", "TRUE"};
    static const char *const no[] = {"no", "false", "off", "0", "No", "oFF"};
    char text[128];
    Config c;
    config_defaults(&c);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(text, sizeof text, "[bot]\nanswer_addressed = %s\n", no[i]);
        load_ok(text, &c);
        assert_false(c.answer_addressed);
        snprintf(text, sizeof text, "[bot]\nanswer_addressed = %s\n", yes[i]);
        load_ok(text, &c);
        assert_true(c.answer_addressed);
    }
    config_free(&c);
}

static void test_lists(void **state)
{
    (void)state;
    Config c;
    config_defaults(&c);

    /* Repeated list keys append; an empty list is allowed. */
    load_ok("[irc]\nchannels = #a, #b k\nchannels = #c\nchannels =\n"
            "alt_nicks =\n[limits]\nignore = a!b@c\nignore = d!e@f\n",
            &c);
    assert_int_equal(c.channel_count, 3);
    assert_string_equal(c.channels[2].name, "#c");
    assert_int_equal(c.alt_nick_count, 0);
    assert_int_equal(c.ignore.n, 2);
    config_free(&c);
    assert_int_equal(c.ignore.n, 0);

    /* alt_nicks not given: derived from the nick, cut to fit 30. */
    load_ok("[irc]\nnick = bot\n", &c);
    assert_int_equal(c.alt_nick_count, 2);
    assert_string_equal(c.alt_nicks[0], "bot_");
    assert_string_equal(c.alt_nicks[1], "bot__");
    load_ok("[irc]\nnick = abcdefghijklmnopqrstuvwxyz0123\n", &c);
    assert_string_equal(c.alt_nicks[0], "abcdefghijklmnopqrstuvwxyz012_");
    assert_string_equal(c.alt_nicks[1], "abcdefghijklmnopqrstuvwxyz01__");

    /* 8 alternative nicks, 50 channels: the maxima. */
    load_ok("[irc]\nalt_nicks = a,b,c,d,e,f,g,h\n", &c);
    assert_int_equal(c.alt_nick_count, 8);
    char text[4096];
    size_t w = (size_t)snprintf(text, sizeof text, "[irc]\n");
    for (int i = 0; i < 50; i++)
        w += (size_t)snprintf(text + w, sizeof text - w,
                              "channels = #channel-number-%02d k%d\n", i, i);
    load_ok(text, &c);
    assert_int_equal(c.channel_count, 50);
    assert_string_equal(c.channels[49].name, "#channel-number-49");
    assert_string_equal(c.channels[49].key, "k49");
    assert_round_trip(&c); /* printing wraps the long list */
    config_free(&c);
}

/* ---- error classes ------------------------------------------------------ */

/* Each config text and the problems it must produce, in order: one row per
 * case, grouped as the old per-topic tests were. */
typedef struct {
    const char *text, *want;
} ErrorCase;

static const ErrorCase error_cases[] = {
    /* --- sections --- */
    /* Keys of an unknown section are not reported one by one. */
    {"[irc]\n[bogus]\nfoo = 1\nbar\n[irc]\nport = 1\n",
     "FILE:2: unknown section [bogus] (known: irc, bot, flood, "
     "limits, admin, daily)\n"},
    {"[irc\nport = 1\n",
     "FILE:1: missing ']' in section header\n"},
    {"[irc] port = 1\n",
     "FILE:1: unexpected text after ']'\n"},
    {"port = 1\n",
     "FILE:1: key 'port' before any [section]\n"},
    {"[IRC]\n",
     "FILE:1: unknown section [IRC] (known: irc, bot, "
     "flood, limits, admin, daily)\n"},
    /* --- keys --- */
    {"[irc]\nprot = 6667\n",
     "FILE:2: unknown key 'prot' in [irc]\n"},
    /* A key of another section is unknown here. */
    {"[bot]\nport = 6667\n",
     "FILE:2: unknown key 'port' in [bot]\n"},
    {"[irc]\n= 1\n",
     "FILE:2: missing key name before '='\n"},
    {"[irc]\nport = 1\n; comment\nport = 2\n",
     "FILE:4: duplicate key 'port' (first set on line 2)\n"},
    {"[irc]\nnick = a\n[bot]\n[irc]\nnick = b\n",
     "FILE:5: duplicate key 'nick' (first set on line 2)\n"},
    {"[irc]\nport =\n",
     "FILE:2: port: empty value\n"},
    {"[irc]\nserver = ; nothing but a comment\n",
     "FILE:2: server: empty value\n"},
    {"[bot]\ndatabase =\n",
     "FILE:2: database: empty value\n"},
    {"[irc]\nport\n",
     "FILE:2: expected 'key = value' or '[section]'\n"},
    {"[irc]\nport ; = 1\n",
     "FILE:2: expected 'key = value' or '[section]'\n"},
    {"[irc]\npassword = hunter2\n",
     "FILE:2: password: no passwords in the config file; put it "
     "in a file of its own and set password_file to its path\n"},
    /* Even outside [irc] the hint is given, and the value is never echoed. */
    {"[bot]\npassword = hunter2\n",
     "FILE:2: password: no passwords in the config file; put it "
     "in a file of its own and set password_file to its path\n"},
    /* --- numbers --- */
    {"[irc]\nport = 66a\n",
     "FILE:2: port: '66a' is not a whole number (1..65535)\n"},
    {"[irc]\nport = 0x10\n",
     "FILE:2: port: '0x10' is not a whole number (1..65535)\n"},
    {"[irc]\nport = 1 2\n",
     "FILE:2: port: '1 2' is not a whole number (1..65535)\n"},
    {"[irc]\nport = --1\n",
     "FILE:2: port: '--1' is not a whole number (1..65535)\n"},
    {"[irc]\nport = 1.5\n",
     "FILE:2: port: '1.5' is not a whole number (1..65535)\n"},
    {"[irc]\nport = 65536\n",
     "FILE:2: port: 65536 is out of range (1..65535)\n"},
    {"[irc]\nport = 0\n",
     "FILE:2: port: 0 is out of range (1..65535)\n"},
    {"[irc]\nport = -1\n",
     "FILE:2: port: -1 is out of range (1..65535)\n"},
    {"[irc]\nport = 99999999999999999999999\n",
     "FILE:2: port: 99999999999999999999999 is out of range "
     "(1..65535)\n"},
    {"[bot]\nmax_lines = 11\n",
     "FILE:2: max_lines: 11 is out of range (1..10)\n"},
    {"[flood]\nburst = 21\ninterval_ms = 99\nqueue_max = 9\n",
     "FILE:2: burst: 21 is out of range (1..20)\n"
     "FILE:3: interval_ms: 99 is out of range (100..60000)\n"
     "FILE:4: queue_max: 9 is out of range (10..10000)\n"},
    {"[limits]\nprivate_burst = 0\nprivate_interval = 3601\n",
     "FILE:2: private_burst: 0 is out of range (1..100)\n"
     "FILE:3: private_interval: 3601 is out of range "
     "(1..3600)\n"},
    {"[limits]\nprivate_burst = many\n",
     "FILE:2: private_burst: 'many' is not a whole number "
     "(1..100)\n"},
    {"[irc]\nreconnect_max = 10\nreconnect_min = 11\n",
     "FILE:3: reconnect_min (11) is greater than reconnect_max "
     "(10)\n"},
    /* Against a default: the line of the key that was set. */
    {"[irc]\nreconnect_min = 301\n",
     "FILE:2: reconnect_min (301) is greater than reconnect_max "
     "(300)\n"},
    /* --- values --- */
    {"[bot]\nanswer_addressed = maybe\n",
     "FILE:2: answer_addressed: 'maybe' is not yes/no, "
     "true/false, on/off or 1/0\n"},
    {"[bot]\nlog_level = verbose\n",
     "FILE:2: log_level: 'verbose' is not error, warn, info or "
     "debug\n"},
    {"[bot]\nprefix = ! !\n",
     "FILE:2: prefix: '! !': only printable ASCII without "
     "spaces\n"},
    {"[bot]\nprefix = 123456789\n",
     "FILE:2: prefix: longer than 8 bytes\n"},
    {"[irc]\nserver = irc example\n",
     "FILE:2: server: 'irc example': not a host name or IP "
     "address\n"},
    {"[irc]\nusername = a@b\n",
     "FILE:2: username: 'a@b': only printable ASCII without "
     "spaces or '@'\n"},
    {"[irc]\nrealname = a\x01"
     "b\n",
     "FILE:2: realname: 'a\\x01b': contains a control "
     "character\n"},
    {"[irc]\nrealname = a\xff"
     "b\n",
     "FILE:2: realname: 'a\\xffb': not valid UTF-8\n"},
    {"[bot]\ndatabase = a\x1b"
     "b\n",
     "FILE:2: database: 'a\\x1bb': contains a control "
     "character\n"},
    /* --- nicks --- */
    {"[irc]\nnick = 9lives\n",
     "FILE:2: nick: '9lives': a nick must not start with a digit "
     "or '-'\n"},
    {"[irc]\nnick = -x\n",
     "FILE:2: nick: '-x': a nick must not start with a digit "
     "or '-'\n"},
    {"[irc]\nnick = a.b\n",
     "FILE:2: nick: 'a.b': a nick holds only letters, digits and "
     "[]\\`_^{|}-\n"},
    {"[irc]\nnick = n\xc3\xa9\n",
     "FILE:2: nick: 'n\\xc3\\xa9': a nick holds only letters, "
     "digits and []\\`_^{|}-\n"},
    {"[irc]\nnick = abcdefghijklmnopqrstuvwxyz01234\n",
     "FILE:2: nick: longer than 30 bytes\n"},
    {"[irc]\nalt_nicks = ok, 1bad, , x y\n",
     "FILE:2: alt_nicks: '1bad': a nick must not start with a "
     "digit or '-'\n"
     "FILE:2: alt_nicks: '': empty item in list\n"
     "FILE:2: alt_nicks: 'x y': a nick holds only letters, digits "
     "and []\\`_^{|}-\n"},
    {"[irc]\nalt_nicks = a,b,c,d,e,f,g,h,i\n",
     "FILE:2: alt_nicks: 'i': too many alternative nicks (at most "
     "8)\n"},
    /* --- masks --- */
    {"[admin]\nowners = nobody\n",
     "FILE:2: owners: 'nobody': mask is not of the form "
     "nick!user@host\n"},
    {"[admin]\nowners = a@b!c\n",
     "FILE:2: owners: 'a@b!c': mask is not of the form "
     "nick!user@host\n"},
    {"[limits]\nignore = *!*@*, a b!c@d, ,x!y\n",
     "FILE:2: ignore: 'a b!c@d': mask holds a space or control "
     "character\n"
     "FILE:2: ignore: '': empty item in list\n"
     "FILE:2: ignore: 'x!y': mask is not of the form "
     "nick!user@host\n"},
};

static void test_error_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        expect_errors(error_cases[i].text, error_cases[i].want);
}


static void test_error_lines(void **state)
{
    (void)state;
    char text[512];
    int n = snprintf(text, sizeof text, "[irc]\nrealname = %0199d\n", 7);
    assert_true(n > 0);
    expect_errors(text, "FILE:2: line too long (at most 198 characters)\n");
    /* 198 characters is fine. */
    snprintf(text, sizeof text, "[bot]\ndatabase = /%0*d\n", 198 - 12, 7);
    Config c;
    config_defaults(&c);
    load_ok(text, &c);
    assert_int_equal(strlen(c.database), 187);
    /* Long comments are fine too. */
    snprintf(text, sizeof text, "; %0400d\n[irc]\n", 1);
    load_ok(text, &c);

    static const char nul[] = "[irc]\nnick = a\0b\nport = x\n";
    expect_errors_n(nul, sizeof nul - 1,
                    "FILE:2: NUL byte in line\n"
                    "FILE:3: port: 'x' is not a whole number (1..65535)\n");
    config_free(&c);
}

static void test_error_channels(void **state)
{
    (void)state;
    expect_errors("[irc]\nchannels = chan\n",
                  "FILE:2: channels: 'chan': a channel name starts with '#' or "
                  "'&'\n");
    expect_errors("[irc]\nchannels = #\n",
                  "FILE:2: channels: '#': a channel name needs a character "
                  "after its prefix\n");
    expect_errors("[irc]\nchannels = #a\x07"
                  "b\n",
                  "FILE:2: channels: '#a\\x07b': a channel name has no spaces, "
                  "commas or control characters\n");
    expect_errors("[irc]\nchannels = #a key extra\n",
                  "FILE:2: channels: '#a': expected '#channel' or '#channel "
                  "key'\n");
    /* The key is never echoed, even when it is the bad part. */
    expect_errors("[irc]\nchannels = #a s\x01"
                  "cret\n",
                  "FILE:2: channels: '#a': a channel key is printable ASCII "
                  "without spaces or commas\n");
    expect_errors("[irc]\nchannels = #a 0123456789012345678901234567890123\n",
                  "FILE:2: channels: '#a': a channel key is at most 32 "
                  "characters\n");
    expect_errors("[irc]\nchannels = #x, #a\nchannels = #b,, #A\n",
                  "FILE:3: channels: '': empty item in list\n"
                  "FILE:3: channels: '#A': channel listed twice\n");
    expect_errors("[irc]\nchannels = #[x], #{X}\n",
                  "FILE:2: channels: '#{X}': channel listed twice\n");
    expect_errors("[irc]\nchannels = "
                  "#012345678901234567890123456789012345678901234567890\n",
                  "FILE:2: channels: '#01234567890123456789012345678901234567"
                  "8901234567890': a channel name is at most 50 characters\n");

    char text[4096];
    size_t w = (size_t)snprintf(text, sizeof text, "[irc]\n");
    for (int i = 0; i < 51; i++)
        w +=
            (size_t)snprintf(text + w, sizeof text - w, "channels = #c%d\n", i);
    expect_errors(text, "FILE:52: channels: '#c50': too many channels (at "
                        "most 50)\n");
}

static void test_account_owners(void **state)
{
    (void)state;
    /* account:NAME is for owners only, and a name without spaces or '*' */
    expect_errors("[limits]\nignore = account:bob\n",
                  "FILE:2: ignore: 'account:bob': account: names only "
                  "owners\n");
    expect_errors("[admin]\nowners = account:, account:a*\n",
                  "FILE:2: owners: 'account:': an account name is 1 to 256 "
                  "bytes\n"
                  "FILE:2: owners: 'account:a*': an account name has no "
                  "space, control byte or '*'\n");
    Config c;
    config_defaults(&c);
    load_ok("[admin]\nowners = account:Alice, *!*@trusted.example\n", &c);
    assert_int_equal(c.owners.n, 2);
    assert_string_equal(c.owners.v[0], "account:Alice");
    config_free(&c);
}

static void test_error_many(void **state)
{
    (void)state;
    /* All reported together, in file order, and *c untouched. */
    expect_errors("[irc]\n"
                  "port = 0\n"
                  "nick = 1x\n"
                  "[bot]\n"
                  "max_lines = 0\n"
                  "colour = red\n"
                  "[wat]\n",
                  "FILE:2: port: 0 is out of range (1..65535)\n"
                  "FILE:3: nick: '1x': a nick must not start with a digit or "
                  "'-'\n"
                  "FILE:5: max_lines: 0 is out of range (1..10)\n"
                  "FILE:6: unknown key 'colour' in [bot]\n"
                  "FILE:7: unknown section [wat] (known: irc, bot, flood, "
                  "limits, admin, daily)\n");

    /* Past CONFIG_MAX_ERRORS they are counted, not printed. */
    char text[2048], want[4096];
    size_t w = (size_t)snprintf(text, sizeof text, "[irc]\n");
    size_t v = 0;
    for (int i = 0; i < 25; i++) {
        w += (size_t)snprintf(text + w, sizeof text - w, "bad%d = 1\n", i);
        if (i < CONFIG_MAX_ERRORS)
            v += (size_t)snprintf(want + v, sizeof want - v,
                                  "FILE:%d: unknown key 'bad%d' in [irc]\n",
                                  i + 2, i);
    }
    snprintf(want + v, sizeof want - v, "FILE: 5 more errors not shown\n");
    expect_errors(text, want);
}

/* ---- password, paths, printing ------------------------------------------ */

/* Each problem reaches the Error's sink as its own call, the whole line,
 * and config_load still returns one Status. */
typedef struct {
    int calls;
    char *lines[8];
} SinkLines;

static void sink_collect(void *ud, Severity severity, const char *line)
{
    SinkLines *sl = ud;
    assert_int_equal(severity, SEVERITY_ERROR);
    assert_true(sl->calls < 8);
    sl->lines[sl->calls] = strdup(line);
    assert_non_null(sl->lines[sl->calls]);
    sl->calls++;
}

static void sink_lines_free(SinkLines *sl)
{
    for (int i = 0; i < sl->calls; i++) free(sl->lines[i]);
    *sl = (SinkLines){0};
}

static void test_error_sink_lines(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX + 128];
    SinkLines sl = {0};
    Error err = {.sink = sink_collect, .sink_ud = &sl};
    Config c;
    config_defaults(&c);

    path_in_tmp(path, sizeof path, "three.conf");
    put_str(path, "[irc]\nport = 0\nnick = 1x\n[wat]\n");
    assert_int_equal(config_load(path, &c, &err), STATUS_INVALID);
    assert_int_equal(sl.calls, 3);
    assert_int_equal(err.errors, 3);
    snprintf(want, sizeof want, "%s:2: port: 0 is out of range (1..65535)",
             path);
    assert_string_equal(sl.lines[0], want);
    assert_string_equal(err.msg, want);
    snprintf(want, sizeof want,
             "%s:3: nick: '1x': a nick must not start "
             "with a digit or '-'",
             path);
    assert_string_equal(sl.lines[1], want);
    snprintf(want, sizeof want,
             "%s:4: unknown section [wat] (known: irc, "
             "bot, flood, limits, admin, daily)",
             path);
    assert_string_equal(sl.lines[2], want);
    assert_int_equal(c.port, 6667);
    sink_lines_free(&sl);

    /* A line longer than ERROR_MSG_MAX (a deep path) reaches the sink
     * whole; only msg is cut. */
    char dir[PATH_MAX], seg[101];
    memset(seg, 'd', sizeof seg - 1);
    seg[sizeof seg - 1] = '\0';
    path_in_tmp(dir, sizeof dir, "deep");
    assert_int_equal(mkdir(dir, 0700), 0);
    for (int i = 0; i < 6; i++) {
        size_t n = strlen(dir);
        snprintf(dir + n, sizeof dir - n, "/%s", seg);
        assert_int_equal(mkdir(dir, 0700), 0);
    }
    int k = snprintf(path, sizeof path, "%s/m.conf", dir);
    assert_true(k > 0 && (size_t)k < sizeof path);
    put_str(path, "[irc]\nport = 0\n");
    error_clear(&err);
    assert_int_equal(config_load(path, &c, &err), STATUS_INVALID);
    snprintf(want, sizeof want, "%s:2: port: 0 is out of range (1..65535)",
             path);
    assert_true(strlen(want) >= ERROR_MSG_MAX);
    assert_int_equal(sl.calls, 1);
    assert_string_equal(sl.lines[0], want);
    assert_int_equal(strlen(err.msg), ERROR_MSG_MAX - 1);
    assert_memory_equal(err.msg, want, ERROR_MSG_MAX - 1);
    sink_lines_free(&sl);
    config_free(&c);
}

/* A sink that keeps warnings and errors apart. */
typedef struct {
    char lines[8][512];
    Severity sev[8];
    size_t n;
} Collected;

static void sink_by_severity(void *ud, Severity severity, const char *line)
{
    Collected *c = ud;
    assert_true(c->n < 8);
    c->sev[c->n] = severity;
    snprintf(c->lines[c->n++], sizeof c->lines[0], "%s", line);
}

/* owner!*@* makes anyone who takes the nick an owner: a warning through
 * the Error sink, and the file still loads. */
static void test_owner_mask_wild_host_warns(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX + 512];
    Collected got = {0};
    Error err = {.sink = sink_by_severity, .sink_ud = &got};
    Config c;
    config_defaults(&c);
    path_in_tmp(path, sizeof path, "t.conf");
    put_str(path, "[limits]\n"
                  "ignore = *!*@*\n"
                  "[admin]\n"
                  "owners = *!*@trusted.host.example, owner!*@*\n"
                  "owners = x!*@*.*, y!y@?*, z!*@*:*, w!*@*.example.org\n"
                  "owners = v!*@192.168.*, u!*@?\n");
    assert_int_equal(config_load(path, &c, &err), STATUS_OK);
    assert_int_equal(err.errors, 0);
    assert_string_equal(err.msg, "");
    assert_int_equal(c.owners.n, 8);
    assert_int_equal(got.n, 4);
    static const struct {
        int line;
        const char *mask;
    } wild[] = {
        {4, "owner!*@*"}, {5, "x!*@*.*"}, {5, "y!y@?*"}, {5, "z!*@*:*"}};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(got.sev[i], SEVERITY_WARNING);
        snprintf(want, sizeof want,
                 "%s:%d: owners: '%s' matches every host: anyone who takes "
                 "that nick or user name is an owner; name the host, as in "
                 "*!*@trusted.host.example",
                 path, wild[i].line, wild[i].mask);
        assert_string_equal(got.lines[i], want);
    }
    config_free(&c);
}

static void test_password_file(void **state)
{
    (void)state;
    char pw[PATH_MAX], want[PATH_MAX + 64];
    Config c;
    config_defaults(&c);

    path_in_tmp(pw, sizeof pw, "secret-pw");
    put_str(pw, "Sup3r-Secret.pw\r\nsecond line ignored\n");
    load_ok("[irc]\npassword_file = secret-pw\nchannels = #open, #vault "
            "vaultKey42\n",
            &c);
    assert_string_equal(c.password_file, pw);
    assert_non_null(c.password);
    assert_string_equal(c.password, "Sup3r-Secret.pw");
    assert_string_equal(c.channels[1].key, "vaultKey42");

    char *text = print_to_string(&c);
    assert_null(strstr(text, "Sup3r"));
    assert_null(strstr(text, "Secret"));
    assert_null(strstr(text, "vaultKey42"));
    snprintf(want, sizeof want,
             "password_file = %s  ; password: ******** (15 bytes)\n", pw);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "\nchannels = #open, #vault ********\n"));
    free(text);
    assert_round_trip(&c);

    /* A second load replaces the first and frees its password. */
    put_str(pw, "other");
    load_ok("[irc]\npassword_file = secret-pw\n", &c);
    assert_string_equal(c.password, "other");
    load_ok("[irc]\npassword_file =\n", &c);
    assert_null(c.password);
    assert_string_equal(c.password_file, "");
    config_free(&c);
}

/* A process that reads a secret turns non-dumpable first (no core file
 * holds it); one without secrets stays dumpable.  In a child, because the
 * switch is one-way for the process. */
static void test_secrets_not_dumped(void **state)
{
    (void)state;
    char pw[PATH_MAX];
    path_in_tmp(pw, sizeof pw, "dump-pw");
    put_str(pw, "Sup3r-Secret.pw\n");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        Config c;
        config_defaults(&c);
        /* Earlier tests in this process read secrets already. */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
            _exit(10);
        load_ok("[irc]\nchannels = #open\n", &c);
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
            _exit(11);
        load_ok("[irc]\nsasl = plain\nsasl_username = bot\n"
                "sasl_password_file = dump-pw\n",
                &c);
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(12);
        config_free(&c);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_password_file_errors(void **state)
{
    (void)state;
    char pw[PATH_MAX], want[PATH_MAX + 128];

    path_in_tmp(pw, sizeof pw, "missing-pw");
    snprintf(want, sizeof want,
             "FILE:3: password_file %s: cannot open: No "
             "such file or directory\n",
             pw);
    expect_errors("[irc]\n\npassword_file = missing-pw\n", want);

    static const struct {
        const char *content;
        size_t len;
        const char *why;
    } bad[] = {
        {"", 0, "file is empty"},
        {"\r\nsecret\n", 9, "first line is empty"},
        {"two words\n", 10,
         "password has a space, control or non-ASCII "
         "character"},
        {"tab\there\n", 9,
         "password has a space, control or non-ASCII "
         "character"},
        {"nul\0byte\n", 9, "password contains a NUL byte"},
        {":colon\n", 7, "password must not start with ':'"},
    };
    path_in_tmp(pw, sizeof pw, "bad-pw");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_file(pw, bad[i].content, bad[i].len);
        snprintf(want, sizeof want, "FILE:2: password_file %s: %s\n", pw,
                 bad[i].why);
        expect_errors("[irc]\npassword_file = bad-pw\n", want);
    }

    char big[300];
    memset(big, 'x', sizeof big);
    put_file(pw, big, 256);
    snprintf(want, sizeof want,
             "FILE:2: password_file %s: password longer "
             "than 255 bytes\n",
             pw);
    expect_errors("[irc]\npassword_file = bad-pw\n", want);
    Config c;
    config_defaults(&c);
    put_file(pw, big, 255);
    load_ok("[irc]\npassword_file = bad-pw\n", &c);
    assert_int_equal(strlen(c.password), 255);
    config_free(&c);

    /* The password file given twice: a duplicate, read once. */
    path_in_tmp(pw, sizeof pw, "missing-pw");
    snprintf(want, sizeof want,
             "FILE:2: password_file %s: cannot open: No "
             "such file or directory\n"
             "FILE:3: duplicate key 'password_file' (first set on line 2)\n",
             pw);
    expect_errors("[irc]\npassword_file = missing-pw\npassword_file = x\n",
                  want);
}

static void test_relative_paths(void **state)
{
    (void)state;
    char sub[PATH_MAX], conf[PATH_MAX], want[PATH_MAX + 32], *errs = NULL;
    Config c;
    config_defaults(&c);

    path_in_tmp(sub, sizeof sub, "etc");
    assert_int_equal(mkdir(sub, 0700), 0);
    path_in_tmp(conf, sizeof conf, "etc/m.conf");
    put_str(conf, "[bot]\ndatabase = ../var/m.db\n[irc]\n"
                  "password_file = pw.txt\n");
    path_in_tmp(want, sizeof want, "etc/pw.txt");
    put_str(want, "pass\n");

    assert_int_equal(load_path(conf, &c, &errs), STATUS_OK);
    assert_string_equal(errs, "");
    free(errs);
    snprintf(want, sizeof want, "%s/etc/../var/m.db", tmpdir);
    assert_string_equal(c.database, want);
    snprintf(want, sizeof want, "%s/etc/pw.txt", tmpdir);
    assert_string_equal(c.password_file, want);
    assert_string_equal(c.password, "pass");

    /* Absolute paths stay; the default database is not next to the file. */
    load_ok("[bot]\ndatabase = /var/lib/missive/m.db\n", &c);
    assert_string_equal(c.database, "/var/lib/missive/m.db");
    Config d;
    config_defaults(&d);
    load_ok("[irc]\n", &c);
    assert_string_equal(c.database, d.database);
    config_free(&c);
    config_free(&d);
}

/* The daemon's database defaults to systemd's $STATE_DIRECTORY (its first
 * entry), else to an absolute path that is never under /etc. */
static void test_default_database(void **state)
{
    (void)state;
    Config c;
    char *saved = getenv("STATE_DIRECTORY");
    saved = saved ? strdup(saved) : NULL;

    assert_int_equal(setenv("STATE_DIRECTORY", "/var/lib/missive-x", 1), 0);
    config_defaults(&c);
    assert_string_equal(c.database, "/var/lib/missive-x/missive.db");
    /* Several StateDirectory= entries: the first; a trailing slash goes. */
    assert_int_equal(setenv("STATE_DIRECTORY", "/srv/a/:/srv/b", 1), 0);
    config_defaults(&c);
    assert_string_equal(c.database, "/srv/a/missive.db");
    /* The file still wins. */
    load_ok("[bot]\ndatabase = /tmp/x.db\n", &c);
    assert_string_equal(c.database, "/tmp/x.db");
    config_free(&c);

    assert_int_equal(unsetenv("STATE_DIRECTORY"), 0);
    config_defaults(&c);
    assert_true(c.database[0] == '/');
    assert_null(strstr(c.database, "/etc/"));
    assert_non_null(strstr(c.database, "/lib/missive/missive.db"));
    if (saved) {
        setenv("STATE_DIRECTORY", saved, 1);
        free(saved);
    }
}

static void test_print(void **state)
{
    (void)state;
    Config c;
    setenv("STATE_DIRECTORY", "/state", 1);
    config_defaults(&c);
    unsetenv("STATE_DIRECTORY");
    char *text = print_to_string(&c);
    /* Every key is there. */
    static const char *const keys[] = {
        "\n[irc]\n",
        "\nserver = 127.0.0.1\n",
        "\nport = 6667\n",
        "\nnick = missive\n",
        "\nalt_nicks = missive_, missive__\n",
        "\nusername = missive\n",
        "\nrealname = Missive, letters of 1941\n",
        "\nchannels =\n",
        "\npassword_file =\n",
        "\nping_interval = 120\n",
        "\nping_timeout = 60\n",
        "\nreconnect_min = 2\n",
        "\nreconnect_max = 300\n",
        "\n[bot]\n",
        "\nprefix = !\n",
        "\ndatabase = /state/missive.db\n",
        "\nanswer_addressed = yes\n",
        "\nlog_level = info\n",
        "\nmore_expiry = 600\n",
        "\nmax_lines = 3\n",
        "\n[flood]\n",
        "\nburst = 4\n",
        "\ninterval_ms = 1100\n",
        "\nqueue_max = 200\n",
        "\n[limits]\n",
        "\nuser_burst = 3\n",
        "\nuser_interval = 10\n",
        "\nchannel_burst = 6\n",
        "\nchannel_interval = 4\n",
        "\nprivate_burst = 6\n",
        "\nprivate_interval = 4\n",
        "\nignore =\n",
        "\n[admin]\n",
        "\nowners =\n",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(strstr(text, keys[i]));
    free(text);

    /* A prefix starting with ';' survives the trip (it is not a comment). */
    load_ok("[bot]\nprefix=;;\nlog_level = warn\n", &c);
    assert_string_equal(c.prefix, ";;");
    text = print_to_string(&c);
    assert_non_null(strstr(text, "\nprefix =;;\n"));
    free(text);
    assert_round_trip(&c);
    load_ok("[bot]\nlog_level = error\n", &c);
    assert_round_trip(&c);
    /* Levels are the log's own names, in any case, printed in lower case. */
    load_ok("[bot]\nlog_level = DEBUG\n", &c);
    assert_int_equal(c.log_level, SEVERITY_DEBUG);
    text = print_to_string(&c);
    assert_non_null(strstr(text, "\nlog_level = debug\n"));
    free(text);
    assert_round_trip(&c);
    config_free(&c);
}

/* ---- [daily] -------------------------------------------------------------- */

static void test_daily(void **state)
{
    (void)state;
    Config c;
    config_defaults(&c);
    assert_int_equal(c.daily_channel_count, 0);
    assert_int_equal(c.daily_hour, 9);
    assert_int_equal(c.daily_minute, 0);
    assert_string_equal(c.daily_timezone, "UTC");
    assert_int_equal(c.daily_grace, 6 * 3600);
    assert_string_equal(c.daily_template, "");

    load_ok("[irc]\nchannels = #a, #b, #C\n"
            "[daily]\nchannels = #a, #B\nchannels = #c\ntime = 23:59\n"
            "timezone = Europe/Berlin\ngrace = 1h30m\n"
            "template = Letter of the day:\n",
            &c);
    assert_int_equal(c.daily_channel_count, 3);
    assert_string_equal(c.daily_channels[1], "#B");
    assert_int_equal(c.daily_hour, 23);
    assert_int_equal(c.daily_minute, 59);
    assert_string_equal(c.daily_timezone, "Europe/Berlin");
    assert_int_equal(c.daily_grace, 5400);
    assert_string_equal(c.daily_template, "Letter of the day:");
    assert_round_trip(&c);

    static const struct {
        const char *v;
        int seconds;
    } graces[] = {{"0", 0},         {"45", 45},       {"45s", 45},
                  {"90m", 5400},    {"6h", 21600},    {"24h", 86400},
                  {"1h1m1s", 3661}, {"86400", 86400}, {"2m30s", 150}};
    for (size_t i = 0; i < sizeof graces / sizeof graces[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "[daily]\ngrace = %s\n", graces[i].v);
        load_ok(text, &c);
        assert_int_equal(c.daily_grace, graces[i].seconds);
        assert_round_trip(&c);
    }
    load_ok("[daily]\ntime = 00:00\nchannels =\ntemplate =\n", &c);
    assert_int_equal(c.daily_hour, 0);
    assert_int_equal(c.daily_channel_count, 0);
    config_free(&c);
}

static void test_daily_channel_not_joined_warns(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX + 512];
    Collected got = {0};
    Error err = {.sink = sink_by_severity, .sink_ud = &got};
    Config c;
    config_defaults(&c);
    path_in_tmp(path, sizeof path, "t.conf");
    put_str(path, "[irc]\nchannels = #a, #B key\n[daily]\n"
                  "channels = #b, #c\n");
    assert_int_equal(config_load(path, &c, &err), STATUS_OK);
    assert_int_equal(err.errors, 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.sev[0], SEVERITY_WARNING);
    snprintf(want, sizeof want,
             "%s:4: channels: '#c' is not in [irc] channels: the passage of "
             "the day is posted there only while an owner has the bot join it",
             path);
    assert_string_equal(got.lines[0], want);
    config_free(&c);
}

static void test_daily_errors(void **state)
{
    (void)state;
    expect_errors("[daily]\ntime = 24:00\n",
                  "FILE:2: time: '24:00' is not a time HH:MM between 00:00 "
                  "and 23:59\n");
    expect_errors("[daily]\ntime = 9:00\n",
                  "FILE:2: time: '9:00' is not a time HH:MM between 00:00 "
                  "and 23:59\n");
    expect_errors("[daily]\ntime = 09:60\n",
                  "FILE:2: time: '09:60' is not a time HH:MM between 00:00 "
                  "and 23:59\n");
    expect_errors("\n[daily]\ntimezone = Mars/Olympus\n",
                  "FILE:3: timezone: 'Mars/Olympus' is not a time zone of the "
                  "system's tz database (an IANA name such as Europe/London "
                  "or UTC)\n");
    expect_errors("[daily]\ntimezone = ../../etc/passwd\n",
                  "FILE:2: timezone: '../../etc/passwd' is not a time zone of "
                  "the system's tz database (an IANA name such as "
                  "Europe/London or UTC)\n");
    static const char *const bad[] = {"6",    "6x", "h",   "6h6h", "30m1h",
                                      "1.5h", "-1", "6 h", "1h30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64], want[256];
        snprintf(text, sizeof text, "[daily]\ngrace = %s\n", bad[i]);
        snprintf(want, sizeof want,
                 "FILE:2: grace: '%s' is not a duration (seconds, or e.g. 6h, "
                 "90m, 1h30m, 45s)\n",
                 bad[i]);
        if (strcmp(bad[i], "6") == 0)
            continue; /* bare seconds are fine */
        expect_errors(text, want);
    }
    expect_errors("[daily]\ngrace = 25h\n",
                  "FILE:2: grace: '25h' is longer than a day (24h)\n");
    expect_errors("[daily]\ngrace = 86401\n",
                  "FILE:2: grace: '86401' is longer than a day (24h)\n");
    expect_errors(
        "[daily]\nchannels = #a, nochan, #A\n",
        "FILE:2: channels: 'nochan': a channel name starts "
        "with '#' or '&'\nFILE:2: channels: '#A': channel listed twice\n");
    expect_errors("[daily]\ntemplate = a\x01"
                  "b\n",
                  "FILE:2: template: 'a\\x01b': control characters are not "
                  "allowed\n");
    expect_errors("[daily]\nhour = 9\n", "FILE:2: unknown key 'hour' in "
                                         "[daily]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_daily),
        cmocka_unit_test(test_daily_errors),
        cmocka_unit_test(test_daily_channel_not_joined_warns),
        cmocka_unit_test(test_shipped_config_loads),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_error_channels),
        cmocka_unit_test(test_account_owners),
        cmocka_unit_test(test_error_many),
        cmocka_unit_test(test_error_sink_lines),
        cmocka_unit_test(test_owner_mask_wild_host_warns),
        cmocka_unit_test(test_password_file),
        cmocka_unit_test(test_password_file_errors),
        cmocka_unit_test(test_secrets_not_dumped),
        cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_default_database),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
