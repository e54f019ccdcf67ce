/* dates.h - the date lines of the edition, and how a date is shown.
 *
 * The letters carry dates as "July 18, 1941", "January 11th, 1943",
 * "18 July 1941", "Received on November 25, 1941" or "Sent on ...".  A date
 * is kept as ISO "YYYY-MM-DD" plus what it means (written, sent, received)
 * and shown as "18 July 1941" or "received 25 November 1941".
 */
#ifndef MISSIVE_DATES_H
#define MISSIVE_DATES_H

#include <stdbool.h>
#include <stddef.h>

enum date_kind {
    DATE_NONE = 0, /* undated */
    DATE_WRITTEN,  /* a bare date line */
    DATE_SENT,     /* "Sent on ..." */
    DATE_RECEIVED, /* "Received on ..." */
};

typedef struct {
    char iso[11]; /* "YYYY-MM-DD", or "" when undated */
    enum date_kind kind;
} Date;

/* True when the whole line (surrounding spaces and quotes and one trailing
 * period allowed) is a date line; fills *out.  Rejects impossible dates (30
 * February) and years outside 1000..2999. */
bool dates_parse_line(const char *line, Date *out);

/* A date at the start of s[0..len) followed by blanks or the end ("Aug. 4,
 * 1944 message from ..."): returns the bytes it and the blanks after it
 * take, and fills *out; 0 when s does not start with a date. */
size_t dates_parse_prefix(const char *s, size_t len, Date *out);

/* "written"/"sent"/"received" <-> enum; NULL / DATE_NONE for anything else. */
const char *dates_kind_name(enum date_kind kind);
enum date_kind dates_kind_parse(const char *name);

/* True for a valid ISO date "YYYY-MM-DD". */
bool dates_iso_valid(const char *iso);

/* Writes "18 July 1941", "sent 18 July 1941", "received 18 July 1941" or
 * "undated" (iso NULL or "").  Returns the length (snprintf semantics). */
int dates_format(const char *iso, enum date_kind kind, char *out, size_t outsz);

#endif
