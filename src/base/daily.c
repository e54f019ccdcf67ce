/* daily.c - the daily post's next instant; see daily.h. */
#include "daily.h"

#include <string.h>

#define DAILY_LOOKAHEAD 8 /* dates tried for the next slot */

static int64_t daynum(DailyDate d)
{
    return tz_days_from_civil(d.year, d.month, d.day);
}

int daily_date_cmp(DailyDate a, DailyDate b)
{
    int64_t x = daynum(a), y = daynum(b);
    return (x > y) - (x < y);
}

DailyDate daily_date_add(DailyDate d, int n)
{
    DailyDate r;
    tz_civil_from_days(daynum(d) + n, &r.year, &r.month, &r.day);
    return r;
}

static bool date_valid(DailyDate d)
{
    if (d.year < -100000 || d.year > 100000 || d.month < 1 || d.month > 12 ||
        d.day < 1)
        return false;
    DailyDate next = daily_date_add(d, 0);
    return next.month == d.month && next.day == d.day;
}

Status daily_check(const DailySchedule *s, Error *err)
{
    if (s->tz == NULL)
        return error_set(err, STATUS_INVALID, "daily schedule without a zone");
    if (s->hour < 0 || s->hour > 23 || s->minute < 0 || s->minute > 59)
        return error_set(err, STATUS_INVALID,
                         "daily time %d:%02d is not between 00:00 and 23:59",
                         s->hour, s->minute);
    if (s->grace < 0 || s->grace > DAILY_GRACE_MAX)
        return error_set(err, STATUS_INVALID,
                         "daily grace of %lld s is not between 0 and %d s",
                         (long long)s->grace, DAILY_GRACE_MAX);
    return STATUS_OK;
}

Status daily_slot(const DailySchedule *s, DailyDate d, int64_t *slot)
{
    TzCivil c = {d.year, d.month, d.day, s->hour, s->minute, 0};
    TzLocal lt;
    int64_t t;
    Status st = tz_utc(s->tz, &c, &t, NULL);
    if (st != STATUS_OK)
        return st;
    if ((st = tz_local(s->tz, t, &lt)) != STATUS_OK)
        return st;
    if (lt.civil.year != d.year || lt.civil.month != d.month ||
        lt.civil.day != d.day)
        return STATUS_NOTFOUND;
    *slot = t;
    return STATUS_OK;
}

/* The slot of d and the last second a post for d may be made: grace after
 * the slot, but not past the end of d. */
static Status window(const DailySchedule *s, DailyDate d, int64_t *slot,
                     int64_t *deadline)
{
    Status st = daily_slot(s, d, slot);
    if (st != STATUS_OK)
        return st;
    DailyDate n = daily_date_add(d, 1);
    TzCivil midnight = {n.year, n.month, n.day, 0, 0, 0};
    int64_t next_day;
    if ((st = tz_utc(s->tz, &midnight, &next_day, NULL)) != STATUS_OK)
        return st;
    *deadline = *slot + s->grace;
    if (*deadline > next_day - 1)
        *deadline = next_day - 1;
    return STATUS_OK;
}

/* Records d as the latest date given up, why, and (late) its window. */
static Status give_up(const DailySchedule *s, DailyDate d, DailyDecision *out)
{
    int64_t slot = 0, deadline = 0;
    Status st = window(s, d, &slot, &deadline);
    if (st != STATUS_OK && st != STATUS_NOTFOUND)
        return st;
    out->skip_date = d;
    out->skip_reason = st == STATUS_OK ? DAILY_SKIP_LATE : DAILY_SKIP_NO_TIME;
    out->skip_due = st == STATUS_OK ? slot : 0;
    out->skip_deadline = st == STATUS_OK ? deadline : 0;
    out->has_done = true;
    out->done = d;
    return STATUS_OK;
}

Status daily_decide(const DailySchedule *s, int64_t now, const DailyDate *done,
                    DailyDecision *out, Error *err)
{
    Status st = daily_check(s, err);
    if (st != STATUS_OK)
        return st;
    if (done != NULL && !date_valid(*done))
        return error_set(err, STATUS_INVALID, "daily: invalid last date");
    TzLocal lt;
    if (tz_local(s->tz, now, &lt) != STATUS_OK)
        return error_set(err, STATUS_INVALID, "daily: time out of range");
    memset(out, 0, sizeof *out);
    DailyDate today = {lt.civil.year, lt.civil.month, lt.civil.day};
    bool open = done == NULL || daily_date_cmp(*done, today) < 0;

    /* Dates strictly between done and today are over, so given up. */
    if (done != NULL && open) {
        int64_t gap = daynum(today) - daynum(*done) - 1;
        if (gap > 0) {
            out->skipped = gap > 0xFFFFFFF ? 0xFFFFFFF : (unsigned)gap;
            if ((st = give_up(s, daily_date_add(today, -1), out)) != STATUS_OK)
                return error_set(err, st, "daily: no slot");
        }
    }

    int64_t slot = 0, deadline = 0;
    st = open ? window(s, today, &slot, &deadline) : STATUS_NOTFOUND;
    if (st != STATUS_OK && st != STATUS_NOTFOUND)
        return error_set(err, st, "daily: no slot");
    if (open && st == STATUS_OK && now <= deadline) {
        out->date = today;
        out->due = slot;
        out->deadline = deadline;
        if (slot <= now) {
            out->action = DAILY_POST;
            out->has_done = true;
            out->done = today;
        }
        return STATUS_OK;
    }
    if (open) { /* past its window, or no posting time today */
        out->skipped++;
        if ((st = give_up(s, today, out)) != STATUS_OK)
            return error_set(err, st, "daily: no slot");
    }

    /* The next date after both today and done that has a posting time. */
    DailyDate d = today;
    if (done != NULL && daily_date_cmp(*done, d) > 0)
        d = *done;
    for (int i = 0; i < DAILY_LOOKAHEAD; i++) {
        d = daily_date_add(d, 1);
        st = window(s, d, &slot, &deadline);
        if (st == STATUS_OK) {
            out->action = DAILY_WAIT;
            out->date = d;
            out->due = slot;
            out->deadline = deadline;
            return STATUS_OK;
        }
        if (st != STATUS_NOTFOUND)
            break;
    }
    return error_set(err, STATUS_ERROR, "daily: no posting time ahead");
}

Status daily_step(const DailySchedule *s, int64_t now, const DailyRecord *rec,
                  DailyStep *out, Error *err)
{
    DailyRecord r = *rec;
    memset(out, 0, sizeof *out);
    if (r.has_pending && !date_valid(r.pending))
        r.has_pending = false; /* edited by hand: nothing to resend */
    if (r.has_pending && (r.sends < 1 || r.sends > 2))
        r.sends = 2;

    /* A pending post is resent only on its own posting day: a pending post
     * whose window closed was sent, and most likely taken, so it counts as
     * done (never skipped, never sent again). */
    if (r.has_pending) {
        DailyDecision d;
        Status st = daily_decide(s, now, r.has_done ? &r.done : NULL, &d, err);
        if (st != STATUS_OK)
            return st;
        if (d.action == DAILY_POST && daily_date_cmp(d.date, r.pending) == 0) {
            out->decision = d;
            out->record = r;
            if (r.sends >= 2) {
                out->kind = DAILY_STEP_GIVE_UP;
                out->record.has_pending = false;
                out->record.has_done = true;
                out->record.done = r.pending;
            } else {
                out->kind = DAILY_STEP_RESEND;
                out->record.sends = 2;
            }
            return STATUS_OK;
        }
        if (!r.has_done || daily_date_cmp(r.done, r.pending) < 0)
            r.done = r.pending;
        r.has_done = true;
        r.has_pending = false;
        r.sends = 0;
    }
    Status st =
        daily_decide(s, now, r.has_done ? &r.done : NULL, &out->decision, err);
    if (st != STATUS_OK)
        return st;
    out->record = r;
    if (out->decision.action == DAILY_POST) {
        out->kind = DAILY_STEP_POST;
        /* The posted date is recorded by the caller: pending, then done. */
        if (out->decision.skipped) {
            out->record.has_done = true;
            out->record.done = out->decision.skip_date;
        }
    } else if (out->decision.has_done) {
        out->record.has_done = true;
        out->record.done = out->decision.done;
    }
    return STATUS_OK;
}
