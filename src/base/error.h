/* error.h - the one way Missive says that something failed.
 *
 * A function that can fail returns a Status (a constructor returns its
 * object, NULL meaning it failed) and, when there is a reason to give beyond
 * the Status, describes the failure in the caller's Error, its last
 * parameter.  The caller may pass NULL when it does not care why.  The
 * message is one line for a person: "FILE:LINE: what is wrong" when a file is
 * at fault, a short reason otherwise; it never holds a secret.  Predicates
 * return bool; functions that measure or split return a count (-1 when they
 * cannot), as snprintf does.
 *
 * Only the app layer logs and prints.  Lower layers return, and the app
 * decides what reaches the journal, the terminal or a user in a channel.  So
 * a few things that are not one failure also travel in the Error, through
 * its optional sink:
 *   - jobs that find many problems in one pass (a config file, an import)
 *     report every one of them, each as its own line at SEVERITY_ERROR, and
 *     still return one Status;
 *   - something worth saying that is not a failure (a letter without a
 *     Source line, a state write kept for later) is a SEVERITY_WARNING or
 *     SEVERITY_INFO line, and the function goes on.
 * Without a sink, the first error line is kept in msg and the rest are only
 * counted.
 *
 *     Error err = {0};
 *     if (db_open(path, &db, &err) != STATUS_OK) {
 *         log_error("%s", err.msg);
 *         goto fail;
 *     }
 */
#ifndef MISSIVE_ERROR_H
#define MISSIVE_ERROR_H

#include <stddef.h>

typedef enum {
    STATUS_OK = 0,
    STATUS_NOTFOUND = 1, /* the question has no answer: not a failure */
    STATUS_INVALID = 2,  /* the input was refused; msg says why, for a user */
    STATUS_ERROR = -1,   /* the system failed: database, memory, I/O */
} Status;

/* syslog's numbers, so the log can pass them on to the journal as "<N>". */
typedef enum {
    SEVERITY_ERROR = 3,
    SEVERITY_WARNING = 4,
    SEVERITY_INFO = 6,
    SEVERITY_DEBUG = 7,
} Severity;

#define ERROR_MSG_MAX 512

typedef void (*ErrorSink)(void *ud, Severity severity, const char *line);

typedef struct {
    char msg[ERROR_MSG_MAX]; /* the failure; "" while there is none */
    unsigned errors;         /* error lines reported, msg's included */
    ErrorSink sink;          /* NULL: keep the first error in msg only */
    void *sink_ud;
} Error;

/* Sets the failure (printf-style) and returns st, so that a function can
 * `return error_set(err, STATUS_INVALID, "...")`.  err may be NULL. */
Status error_set(Error *err, Status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line of a many-problem job, or a warning or note: given to the sink;
 * an error line is also counted, and kept in msg when msg is still empty.
 * err may be NULL. */
void error_report(Error *err, Severity severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Empties msg and the count; the sink stays. */
void error_clear(Error *err);

/* err->msg, or "" for NULL. */
const char *error_msg(const Error *err);

#endif
