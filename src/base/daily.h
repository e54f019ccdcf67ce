/* daily.h - when a channel's daily passage is due: pure, the clock is an
 * argument.
 *
 * A schedule is a wall-clock time (HH:MM) in a zone and a grace period.  The
 * posting instant of local date D, its "slot", is D at HH:MM in the zone,
 * resolved by tz_utc: a time skipped by a spring-forward change gives the
 * first instant after it (02:30 -> 03:00), a time that occurs twice gives
 * the earlier one.  A post for D may be made while
 *
 *     slot(D) <= now <= slot(D) + grace   and   the local date of now is D,
 *
 * so a late post never lands on the next local day (a 23:59 schedule has
 * until 23:59:59) and each local date has at most one post: the caller
 * passes the latest date already dealt with, and no date at or before it is
 * posted again, which also keeps the second 01:30 of a fall-back day from
 * posting twice.  A date whose slot falls on another local date (a skipped
 * stretch that reaches midnight) has no post.
 *
 * The caller asks daily_decide() whenever it wakes (at `due`, on connect, on
 * a clock step), acts on the answer, and stores `done` when has_done is set;
 * it logs skipped days from the decision.  Storing only the dates of posts
 * is enough for one post a day; storing skipped dates too keeps a skip from
 * being reported again after a restart.
 */
#ifndef MISSIVE_DAILY_H
#define MISSIVE_DAILY_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "tz.h"

#define DAILY_GRACE_MAX 86400 /* a post is never later than its own day */

typedef struct {
    int year, month, day;
} DailyDate;

typedef struct {
    int hour, minute; /* 00:00 .. 23:59 */
    const Tz *tz;     /* borrowed */
    int64_t grace;    /* seconds, 0 .. DAILY_GRACE_MAX */
} DailySchedule;

typedef enum {
    DAILY_WAIT = 0, /* nothing to post now; ask again at `due` */
    DAILY_POST = 1, /* post now, for `date` */
} DailyAction;

typedef enum {
    DAILY_SKIP_NONE = 0,
    DAILY_SKIP_LATE = 1, /* not posted by its deadline (down, disconnected) */
    DAILY_SKIP_NO_TIME = 2, /* the posting time never occurs on that date */
} DailySkip;

typedef struct {
    DailyAction action;
    /* POST: the date posted for; due is its slot (<= now), deadline the last
     * second a post for it may be made.  WAIT: the next date to post for,
     * its slot (> now) and deadline. */
    DailyDate date;
    int64_t due, deadline;
    /* Dates after the caller's `done` that were given up, the latest first:
     * skipped counts them (0: none), skip_date is the latest, skip_reason
     * why, and for DAILY_SKIP_LATE skip_due and skip_deadline its window. */
    unsigned skipped;
    DailyDate skip_date;
    DailySkip skip_reason;
    int64_t skip_due, skip_deadline;
    /* What the caller stores as its new `done`: the posted date, else the
     * latest skipped one; has_done false: keep the old one. */
    bool has_done;
    DailyDate done;
} DailyDecision;

/* Checks a schedule: STATUS_INVALID with a reason for a time outside
 * 00:00..23:59, a grace outside 0..DAILY_GRACE_MAX or no zone. */
Status daily_check(const DailySchedule *s, Error *err);

/* The decision at now (UTC seconds), given done, the latest local date
 * already posted for or given up (NULL: none, as for a new channel; then
 * only today is considered).  STATUS_INVALID for a bad schedule or a now
 * outside tz_local's range. */
Status daily_decide(const DailySchedule *s, int64_t now, const DailyDate *done,
                    DailyDecision *out, Error *err);

/* The posting instant of date d; STATUS_NOTFOUND when the time never occurs
 * on d (DAILY_SKIP_NO_TIME). */
Status daily_slot(const DailySchedule *s, DailyDate d, int64_t *slot);

/* --- exactly once ---------------------------------------------------------
 *
 * What the caller keeps per channel, durably (the state database), and the
 * step it takes from it.  A post goes out in three moves: choose the passage
 * and record it as pending (sends = 1) before the first line is queued; send
 * it, then something the server answers after it (a PING); on that answer,
 * record the date as done, which clears the pending post.  A crash or a lost
 * connection between the first and the third move leaves the post pending:
 * the next step sends the same passage once more (sends = 2), and a post
 * pending after two sends is given up without a third.  So a channel sees a
 * day's post at most twice, and twice only after a failure in the second or
 * so between sending and the server's answer. */
typedef struct {
    bool has_done;
    DailyDate done; /* the latest date posted for or given up */
    bool has_pending;
    DailyDate pending; /* chosen and sent, not yet acknowledged */
    int sends;         /* how often the pending post was sent: 1 or 2 */
} DailyRecord;

typedef enum {
    DAILY_STEP_WAIT = 0,    /* nothing now; ask again at decision.due */
    DAILY_STEP_POST = 1,    /* choose a passage for decision.date and post */
    DAILY_STEP_RESEND = 2,  /* send the pending passage again (sends 2) */
    DAILY_STEP_GIVE_UP = 3, /* pending after two sends: record it done */
} DailyStepKind;

typedef struct {
    DailyStepKind kind;
    DailyDecision decision; /* for the dates, the due time and skips */
    /* The record to store before acting (the skips and any pending post
     * the server must have had: a pending post whose day is over counts as
     * posted). */
    DailyRecord record;
} DailyStep;

/* The step at now, given the stored record.  As daily_decide. */
Status daily_step(const DailySchedule *s, int64_t now, const DailyRecord *rec,
                  DailyStep *out, Error *err);

/* Comparing and stepping dates: <0, 0, >0; d plus n days. */
int daily_date_cmp(DailyDate a, DailyDate b);
DailyDate daily_date_add(DailyDate d, int n);

#endif
