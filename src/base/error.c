/* error.c - filling the caller's Error; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

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
    char line[ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (severity == SEVERITY_ERROR) {
        if (err->msg[0] == '\0')
            snprintf(err->msg, sizeof err->msg, "%s", line);
        err->errors++;
    }
    if (err->sink != NULL)
        err->sink(err->sink_ud, severity, line);
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
