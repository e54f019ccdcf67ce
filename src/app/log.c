/* log.c - one line per event on stderr, shaped for where stderr goes.
 *
 * Under systemd, JOURNAL_STREAM holds "dev:inode" of the stream the journal
 * gave us; when it matches our stderr, lines start with "<N>" so journald
 * records the priority, and carry no timestamp (it adds its own).  On a
 * terminal a local timestamp helps; elsewhere (a file, a pipe to another
 * logger) each line starts with an ISO-8601 UTC timestamp with milliseconds,
 * "2026-12-04T18:52:19.123Z": UTC so that lines from machines in different
 * zones, or from either side of a DST change, sort as text.  Each line is built whole and written with one fwrite so lines
 * from different places never interleave mid-line, and CR/LF inside a message
 * cannot forge a second line.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

enum log_mode {
    LOG_MODE_PLAIN,   /* "2026-12-04T18:52:19.123Z info: message" */
    LOG_MODE_TTY,     /* "2024-01-31 12:00:00 info: message" */
    LOG_MODE_JOURNAL, /* "<6>message" */
};

static enum log_mode mode = LOG_MODE_PLAIN;
static Severity threshold = SEVERITY_INFO;

static const struct {
    Severity level;
    const char *name;
} levels[] = {
    {SEVERITY_ERROR, "error"},
    {SEVERITY_WARNING, "warn"},
    {SEVERITY_INFO, "info"},
    {SEVERITY_DEBUG, "debug"},
};

const char *log_level_name(Severity level)
{
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        if (levels[i].level == level)
            return levels[i].name;
    return "log";
}

/* True when JOURNAL_STREAM ("dev:inode") names the file behind stderr. */
static bool stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    if (env == NULL || *env == '\0')
        return false;

    char *end;
    errno = 0;
    unsigned long long dev = strtoull(env, &end, 10);
    if (errno != 0 || end == env || *end != ':')
        return false;
    const char *ino_start = end + 1;
    unsigned long long ino = strtoull(ino_start, &end, 10);
    if (errno != 0 || end == ino_start || *end != '\0')
        return false;

    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void log_init(void)
{
    int saved = errno;
    if (stderr_is_journal())
        mode = LOG_MODE_JOURNAL;
    else if (isatty(STDERR_FILENO))
        mode = LOG_MODE_TTY;
    else
        mode = LOG_MODE_PLAIN;
    errno = saved;
}

void log_set_level(Severity level)
{
    threshold = level;
}

bool log_level_parse(const char *name, Severity *out)
{
    if (name == NULL)
        return false;
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        if (strcasecmp(name, levels[i].name) == 0) {
            if (out != NULL)
                *out = levels[i].level;
            return true;
        }
    }
    return false;
}

/* Writes the prefix for this mode; returns its length (< sz). */
static size_t log_prefix(Severity level, char *buf, size_t sz)
{
    int n;
    if (mode == LOG_MODE_JOURNAL) {
        n = snprintf(buf, sz, "<%d>", (int)level);
    } else if (mode == LOG_MODE_TTY) {
        char stamp[32] = "";
        time_t now = time(NULL);
        struct tm tm;
        if (localtime_r(&now, &tm) != NULL)
            strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S ", &tm);
        n = snprintf(buf, sz, "%s%s: ", stamp, log_level_name(level));
    } else {
        char stamp[40] = "";
        struct timespec ts;
        struct tm tm;
        if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
            gmtime_r(&ts.tv_sec, &tm) != NULL) {
            size_t k = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
            snprintf(stamp + k, sizeof stamp - k, ".%03ldZ ",
                     ts.tv_nsec / 1000000L);
        }
        n = snprintf(buf, sz, "%s%s: ", stamp, log_level_name(level));
    }
    if (n < 0)
        return 0;
    return (size_t)n < sz ? (size_t)n : sz - 1;
}

/* A message cut by vsnprintf may end inside a UTF-8 sequence; drop the
 * partial character so the journal does not show a broken one. */
static size_t drop_partial_tail(const char *s, size_t len)
{
    size_t i = len, conts = 0;
    while (i > 0 && conts < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        conts++;
    }
    if (i == 0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > conts + 1 ? i - 1 : len;
}

void log_msg(Severity level, const char *fmt, ...)
{
    if (level > threshold)
        return;

    int saved = errno; /* callers log, then look at errno */
    char line[LOG_LINE_MAX];
    size_t len = log_prefix(level, line, sizeof line);

    /* Leave room for the '\n'. */
    size_t room = sizeof line - 1 - len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + len, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;

    size_t mlen = (size_t)n;
    if (mlen >= room)
        mlen = drop_partial_tail(line + len, room - 1);
    for (size_t i = 0; i < mlen; i++) {
        char *c = &line[len + i];
        if (*c == '\r' || *c == '\n' || *c == '\0')
            *c = ' ';
    }
    len += mlen;
    line[len++] = '\n';

    fwrite(line, 1, len, stderr);
    fflush(stderr);
    errno = saved;
}

_Static_assert((int)SEVERITY_ERROR == (int)SEVERITY_ERROR &&
                   (int)SEVERITY_WARNING == (int)SEVERITY_WARNING &&
                   (int)SEVERITY_INFO == (int)SEVERITY_INFO &&
                   (int)SEVERITY_DEBUG == (int)SEVERITY_DEBUG,
               "severities are log levels");

void log_sink(void *ud, Severity severity, const char *line)
{
    (void)ud;
    log_msg((Severity)severity, "%s", line);
}
