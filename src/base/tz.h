/* tz.h - one time zone from the system tz database, without global state.
 *
 * A Tz is a TZif file (RFC 8536, version 1 to 4; the 64-bit section when
 * there is one) read by IANA name from /usr/share/zoneinfo, plus the POSIX
 * TZ string of its footer ("CET-1CEST,M3.5.0,M10.5.0/3"), which gives local
 * time for instants after the last transition in the table.  Nothing here
 * touches TZ, tzset() or localtime(): two zones can be used side by side in
 * one process, and a Tz is immutable once loaded, so any number of callers
 * may share one.  "UTC" (and "Etc/UTC") work without the file.
 *
 * Times are int64_t seconds since 1970-01-01T00:00:00Z without leap seconds
 * (time_t's meaning); zones whose file counts leap seconds ("right/...") are
 * refused.
 *
 *     Error err = {0};
 *     Tz *tz = tz_load("Europe/London", &err);
 *     TzLocal lt;
 *     if (tz == NULL || tz_local(tz, now, &lt) != STATUS_OK) ...
 */
#ifndef MISSIVE_TZ_H
#define MISSIVE_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct Tz Tz;

#define TZ_NAME_MAX 128 /* an IANA name, NUL included */
#define TZ_ABBR_MAX 16  /* "CEST", "+0545", NUL included */
#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"

/* A civil (wall-clock) date and time, without a zone. */
typedef struct {
    int year;   /* proleptic Gregorian, e.g. 2026 */
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..59 */
} TzCivil;

/* An instant as seen in one zone. */
typedef struct {
    TzCivil civil;
    int wday;      /* 0 = Sunday */
    int32_t utoff; /* seconds east of UTC, DST included */
    bool is_dst;
    char abbr[TZ_ABBR_MAX];
} TzLocal;

/* How tz_utc matched a civil time to an instant. */
typedef enum {
    TZ_EXACT = 0, /* the civil time occurs once */
    TZ_GAP = 1,   /* it is skipped (spring forward): the first instant after */
    TZ_OVERLAP = 2, /* it occurs twice (fall back): the earlier instant */
} TzMatch;

/* The zone NAME from TZ_DIR_DEFAULT.  NULL on failure, with the reason in
 * err: STATUS_INVALID for a refused or unknown name, a file that is not
 * TZif or is corrupt; the message names the zone, never a path. */
Tz *tz_load(const char *name, Error *err);

/* As tz_load, from the database under dir (for tests). */
Tz *tz_load_dir(const char *dir, const char *name, Error *err);

/* The fixed UTC zone; never fails except out of memory. */
Tz *tz_utc_zone(void);

void tz_free(Tz *tz);

/* The name the zone was loaded under. */
const char *tz_name(const Tz *tz);

/* True when name has the form of an IANA name: 1..TZ_NAME_MAX-1 bytes of
 * [A-Za-z0-9/_+-], not starting with '/' or '-', no empty path part (so no
 * "//" and no trailing '/'), no "..". */
bool tz_name_valid(const char *name);

/* The local time at instant utc.  STATUS_INVALID for an instant outside
 * years -100000..100000. */
Status tz_local(const Tz *tz, int64_t utc, TzLocal *out);

/* The instant at which the zone's clocks show local.  A civil time that is
 * skipped gives the first instant after it (the transition: 02:30 on a
 * spring-forward day at 02:00 gives 03:00), one that occurs twice gives the
 * earlier instant; *match (may be NULL) says which.  Fields out of range
 * (month 13, 24:00) are STATUS_INVALID. */
Status tz_utc(const Tz *tz, const TzCivil *local, int64_t *utc, TzMatch *match);

/* Days from 1970-01-01 to the civil date y-m-d (negative before), and back;
 * the date arithmetic tz and its users share. */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
