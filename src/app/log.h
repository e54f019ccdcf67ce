/* log.h - one line per event on stderr.
 *
 * When stderr is the systemd journal (JOURNAL_STREAM names our stderr), each
 * line carries a "<N>" syslog priority prefix and no timestamp (the journal
 * adds its own); on a terminal lines get a local timestamp; otherwise (a
 * file, a pipe) an ISO-8601 UTC one: "2026-12-04T18:52:19.123Z info: text".
 * Callers never log secrets: the config module masks them before they get here.
 *
 * Only the app layer logs (it is the only layer that links this module);
 * lower layers return an Error and send warnings through its sink, which the
 * app points at log_sink.  Levels are error.h's Severity, syslog's numbers.
 */
#ifndef MISSIVE_LOG_H
#define MISSIVE_LOG_H

#include <stdbool.h>

#include "error.h"

void log_init(void);
void log_set_level(Severity level);
/* The name log_level_parse accepts for level ("warn"), "log" for others. */
const char *log_level_name(Severity level);
/* Sets *out (when not NULL) and returns true for "error", "warn", "info" or
 * "debug" in any case; false for anything else. */
bool log_level_parse(const char *name, Severity *out);
void log_msg(Severity level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An ErrorSink that logs each reported line at its severity (ud unused):
 * what the app gives an Error so that lower layers' warnings reach the log. */
void log_sink(void *ud, Severity severity, const char *line);

#define log_error(...) log_msg(SEVERITY_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(SEVERITY_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(SEVERITY_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(SEVERITY_DEBUG, __VA_ARGS__)

#endif
