/* testtz.h - what the time zone and daily-post tests share: a zone that
 * must load, and UTC instants written as civil dates.  Include after
 * <cmocka.h>. */
#ifndef MISSIVE_TESTTZ_H
#define MISSIVE_TESTTZ_H

#include <stdint.h>

#include "tz.h"

/* The zone, or the test fails with the reason. */
static inline Tz *testtz_load(const char *name)
{
    Error err = {0};
    Tz *tz = tz_load(name, &err);
    if (tz == NULL)
        fail_msg("tz_load(%s): %s", name, err.msg);
    return tz;
}

/* 2026-03-29T01:00:00Z as utc(2026, 3, 29, 1, 0, 0). */
static inline int64_t testtz_utc(int y, int mo, int d, int h, int mi, int s)
{
    return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

#endif
