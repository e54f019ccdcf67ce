/* error.c - filling the caller's Error; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

Status error_set(Error *err, Status st, const char *fmt, ...)
{
    if (err == NULL)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->errors++;
    return st;
}

void error_report(Error *err, Severity severity, const char *fmt, ...)
{
    char buf[ERROR_MSG_MAX], *line = buf, *big = NULL;
    va_list ap;
    int n;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* msg is bounded, the sink's line is not: a line naming a long path
     * reaches the terminal whole (truncated only when memory runs out). */
    if (n >= (int)sizeof buf && err->sink != NULL &&
        (big = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        line = big;
    }
    if (severity == SEVERITY_ERROR) {
        if (err->msg[0] == '\0')
            snprintf(err->msg, sizeof err->msg, "%s", line);
        err->errors++;
    }
    if (err->sink != NULL)
        err->sink(err->sink_ud, severity, line);
    free(big);
}

void error_clear(Error *err)
{
    if (err == NULL)
        return;
    err->msg[0] = '\0';
    err->errors = 0;
}

const char *error_msg(const Error *err)
{
    return err != NULL ? err->msg : "";
}
