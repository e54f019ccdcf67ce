/* test_log.c - stderr redirected to a temporary file (and once to a pty):
 * prefixes per mode, JOURNAL_STREAM matching, level filtering, CR/LF and
 * truncation safety. */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "utf8.h"

static int saved_stderr = -1;
static int log_fd = -1;
static char log_path[] = "/tmp/missive-test-log-XXXXXX";

/* The capture file, opened O_APPEND so truncating it restarts at offset 0.
 * stderr points at it only between capture_begin and capture_end, so that
 * cmocka's own failure messages still reach the real stderr. */
static int setup(void **state)
{
    (void)state;
    log_fd = mkstemp(log_path);
    if (log_fd < 0 || fcntl(log_fd, F_SETFL, O_APPEND) != 0)
        return -1;
    saved_stderr = dup(STDERR_FILENO);
    return saved_stderr < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    close(saved_stderr);
    close(log_fd);
    unlink(log_path);
    unsetenv("JOURNAL_STREAM");
    return 0;
}

static void capture_begin(void)
{
    fflush(stderr);
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_true(dup2(log_fd, STDERR_FILENO) >= 0);
    log_init(); /* the mode follows what stderr is right now */
}

#define STAMP "dddd-dd-ddTdd:dd:dd.dddZ "
#define STAMP_LEN (sizeof STAMP - 1)

/* Whether s starts with an ISO-8601 UTC timestamp and a space. */
static bool has_stamp(const char *s)
{
    for (size_t i = 0; i < STAMP_LEN; i++) {
        if (STAMP[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != STAMP[i])
            return false;
    }
    return true;
}

/* Restores stderr; returns everything logged since capture_begin, with
 * each line's timestamp taken out.  Every line written to a file has one,
 * except journal lines ("<N>..."), which must have none. */
static size_t capture_end(char *buf, size_t sz)
{
    fflush(stderr);
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
    ssize_t n = pread(log_fd, buf, sz - 1, 0);
    assert_true(n >= 0);
    buf[n] = '\0';
    size_t out = 0;
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (line[0] != '<') {
            if (!has_stamp(line))
                fail_msg("no timestamp: \"%.*s\"", (int)len, line);
            line += STAMP_LEN;
            len -= STAMP_LEN;
        }
        memmove(buf + out, line, len);
        out += len;
        line += len;
    }
    buf[out] = '\0';
    return out;
}

static void plain_mode(void)
{
    unsetenv("JOURNAL_STREAM");
}

/* ---- tests --------------------------------------------------------------- */

/* Runs first: nothing has set a level yet. */
static void test_default_level_is_info(void **state)
{
    (void)state;
    plain_mode();
    capture_begin();
    log_debug("hidden");
    log_info("shown");
    char buf[256];
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "info: shown\n");
}

static void test_plain_prefixes(void **state)
{
    (void)state;
    plain_mode();
    log_set_level(SEVERITY_DEBUG);
    capture_begin();
    log_error("e %d", 1);
    log_warn("w %s", "two");
    log_info("i");
    log_debug("d");
    log_msg(SEVERITY_INFO, "via %s", "log_msg");
    char buf[256];
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "error: e 1\nwarn: w two\ninfo: i\ndebug: d\n"
                             "info: via log_msg\n");
    log_set_level(SEVERITY_INFO);
}

static void test_level_filtering(void **state)
{
    (void)state;
    plain_mode();
    char buf[256];

    log_set_level(SEVERITY_ERROR);
    capture_begin();
    log_error("e");
    log_warn("w");
    log_info("i");
    log_debug("d");
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "error: e\n");

    log_set_level(SEVERITY_WARNING);
    capture_begin();
    log_error("e");
    log_warn("w");
    log_info("i");
    log_debug("d");
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "error: e\nwarn: w\n");

    log_set_level(SEVERITY_INFO);
    capture_begin();
    log_info("i");
    log_debug("d");
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "info: i\n");
}

static void set_journal_stream(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char v[64];
    snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

static void test_journal_mode(void **state)
{
    (void)state;
    set_journal_stream(log_fd);
    log_set_level(SEVERITY_DEBUG);
    capture_begin();
    log_error("e");
    log_warn("w");
    log_info("i %d", 6);
    log_debug("d");
    char buf[256];
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "<3>e\n<4>w\n<6>i 6\n<7>d\n");
    log_set_level(SEVERITY_INFO);

    /* back to plain as soon as the variable stops naming our stderr */
    plain_mode();
    capture_begin();
    log_info("i");
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "info: i\n");
}

static void test_journal_mismatch(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(fstat(log_fd, &st), 0);
    char other_inode[64], other_dev[64], padded[64];
    snprintf(other_inode, sizeof other_inode, "%llu:%llu",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
    snprintf(other_dev, sizeof other_dev, "%llu:%llu",
             (unsigned long long)st.st_dev + 1, (unsigned long long)st.st_ino);
    snprintf(padded, sizeof padded, "%llu:%llux", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    const char *const values[] = {
        other_inode, other_dev, padded,
        "",          "abc",     "12:",
        ":5",        "1:2:3",   "99999999999999999999999:1",
    };
    char buf[256];
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        assert_int_equal(setenv("JOURNAL_STREAM", values[i], 1), 0);
        capture_begin();
        log_info("x");
        capture_end(buf, sizeof buf);
        if (strcmp(buf, "info: x\n") != 0)
            fail_msg("JOURNAL_STREAM=\"%s\" gave \"%s\"", values[i], buf);
    }
    unsetenv("JOURNAL_STREAM");
}

static void test_crlf_neutralised(void **state)
{
    (void)state;
    char buf[256];
    plain_mode();
    capture_begin();
    log_info("a\r\nb %s", "c\nd\r");
    log_info("x%cy", 0);
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "info: a  b c d \ninfo: x y\n");

    set_journal_stream(log_fd);
    capture_begin();
    log_warn("user said %s", "hi\r\n<3>forged");
    size_t n = capture_end(buf, sizeof buf);
    assert_string_equal(buf, "<4>user said hi  <3>forged\n");
    assert_ptr_equal(memchr(buf, '\n', n), buf + n - 1);
    plain_mode();
}

static void test_long_message_truncated(void **state)
{
    (void)state;
    /* 3000 two-byte characters: the cut must fall between characters */
    static char big[6001];
    for (size_t i = 0; i < 3000; i++) memcpy(big + 2 * i, "\xC3\xA9", 2);
    big[6000] = '\0';

    static char buf[8192];
    for (int odd = 0; odd < 2; odd++) {
        plain_mode();
        capture_begin();
        log_info("%s%s", odd ? "x" : "", big); /* shifts the cut by one */
        size_t n = capture_end(buf, sizeof buf);
        assert_true(n <= 2048);
        assert_true(n > 2000);
        assert_int_equal(buf[n - 1], '\n');
        assert_ptr_equal(memchr(buf, '\n', n), buf + n - 1);
        assert_true(utf8_valid(buf, n - 1, NULL));
    }
}

static void test_errno_preserved(void **state)
{
    (void)state;
    plain_mode();
    capture_begin();
    errno = ENOENT;
    log_info("x");
    assert_int_equal(errno, ENOENT);
    errno = EACCES;
    log_debug("filtered");
    assert_int_equal(errno, EACCES);
    errno = EINTR;
    log_init();
    assert_int_equal(errno, EINTR);
    char buf[64];
    capture_end(buf, sizeof buf);
    assert_string_equal(buf, "info: x\n");
}

static void test_level_parse(void **state)
{
    (void)state;
    Severity l = SEVERITY_INFO;
    assert_true(log_level_parse("error", &l));
    assert_int_equal(l, SEVERITY_ERROR);
    assert_true(log_level_parse("warn", &l));
    assert_int_equal(l, SEVERITY_WARNING);
    assert_true(log_level_parse("info", &l));
    assert_int_equal(l, SEVERITY_INFO);
    assert_true(log_level_parse("debug", &l));
    assert_int_equal(l, SEVERITY_DEBUG);
    assert_true(log_level_parse("DEBUG", &l));
    assert_int_equal(l, SEVERITY_DEBUG);

    l = SEVERITY_WARNING;
    const char *const bad[] = {"", "trace", "warning", "info ", "err", "6"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_false(log_level_parse(bad[i], &l));
        assert_int_equal(l, SEVERITY_WARNING); /* untouched */
    }
    assert_false(log_level_parse(NULL, &l));
}

/* In a file: the stamp is UTC and now (within a minute, for a slow box). */
static void test_file_stamp_is_utc_now(void **state)
{
    (void)state;
    char buf[256];
    plain_mode();
    capture_begin();
    time_t before = time(NULL);
    log_info("when");
    fflush(stderr);
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
    ssize_t n = pread(log_fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_true(has_stamp(buf));
    assert_string_equal(buf + STAMP_LEN, "info: when\n");
    struct tm tm = {0};
    assert_non_null(strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm));
    time_t at = timegm(&tm);
    assert_true(at >= before - 1 && at <= before + 60);
}

/* On a terminal: "YYYY-MM-DD HH:MM:SS level: message". */
static void test_tty_mode(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        skip();
    const char *name = NULL;
    if (grantpt(master) != 0 || unlockpt(master) != 0 ||
        (name = ptsname(master)) == NULL) {
        close(master);
        skip();
    }
    int slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);

    unsetenv("JOURNAL_STREAM");
    assert_true(dup2(slave, STDERR_FILENO) >= 0);
    log_init();
    log_warn("on a tty");
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);

    char buf[256];
    ssize_t n = read(master, buf, sizeof buf - 1);
    close(slave);
    close(master);
    assert_true(n > 0);
    buf[n] = '\0';
    const char *pat = "dddd-dd-dd dd:dd:dd warn: on a tty";
    assert_true((size_t)n >= strlen(pat));
    for (size_t i = 0; pat[i]; i++) {
        if (pat[i] == 'd')
            assert_true(buf[i] >= '0' && buf[i] <= '9');
        else
            assert_int_equal(buf[i], pat[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_level_is_info),
        cmocka_unit_test(test_plain_prefixes),
        cmocka_unit_test(test_level_filtering),
        cmocka_unit_test(test_journal_mode),
        cmocka_unit_test(test_file_stamp_is_utc_now),
        cmocka_unit_test(test_journal_mismatch),
        cmocka_unit_test(test_crlf_neutralised),
        cmocka_unit_test(test_long_message_truncated),
        cmocka_unit_test(test_errno_preserved),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_tty_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
