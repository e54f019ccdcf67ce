/* log.h - one line per event on stderr.
 *
 * When stderr is the systemd journal (JOURNAL_STREAM names our stderr), each
 * line carries a "<N>" syslog priority prefix and no timestamp (the journal
 * adds its own); on a terminal lines get a local timestamp; otherwise plain.
 * Callers never log secrets: the config module masks them before they get here.
 */
#ifndef MISSIVE_LOG_H
#define MISSIVE_LOG_H

#include "error.h"

enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

void log_init(void);
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 for anything else. */
int log_level_parse(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An ErrorSink that logs each reported line at its severity (ud unused):
 * what the app gives an Error so that lower layers' warnings reach the log. */
void log_sink(void *ud, Severity severity, const char *line);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
