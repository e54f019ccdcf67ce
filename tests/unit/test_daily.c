/* test_daily.c - the daily post's decisions under an injected clock, no
 * sleeping: before, during and after the posting minute, downtime shorter
 * and longer than grace, 00:00 and 23:59, DST in both directions in London,
 * New York and Sydney (02:30 on a spring-forward day posts at 03:00, 01:30
 * on a fall-back day posts once), Kathmandu's +05:45, a midnight transition
 * (Santiago), a day that never happened (Samoa), and 1,000-day simulations
 * with an irregular clock: exactly one post per local day, and with
 * downtime every day either posted or reported skipped, never both.  The
 * exactly-once record (daily_step): kill -9 between choosing a passage and
 * the server's acknowledgement resends once and never a third time, a
 * pending post whose day is over counts as done, and 1,000 days with random
 * kills send each day's post once, twice only after such a kill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daily.h"
#include "testtz.h"
#include "tz.h"

#define HOUR 3600
#define GRACE (6 * HOUR)

static DailyDate date(int y, int m, int d)
{
    return (DailyDate){y, m, d};
}

static void assert_date(DailyDate got, DailyDate want)
{
    if (daily_date_cmp(got, want) != 0)
        fail_msg("date %04d-%02d-%02d, want %04d-%02d-%02d", got.year,
                 got.month, got.day, want.year, want.month, want.day);
}

static DailyDecision decide(const DailySchedule *s, int64_t now,
                            const DailyDate *done)
{
    DailyDecision d;
    Error err = {0};
    if (daily_decide(s, now, done, &d, &err) != STATUS_OK)
        fail_msg("daily_decide: %s", err.msg);
    return d;
}

static void assert_post(const DailySchedule *s, int64_t now,
                        const DailyDate *done, DailyDate want, int64_t due)
{
    DailyDecision d = decide(s, now, done);
    assert_int_equal(d.action, DAILY_POST);
    assert_date(d.date, want);
    assert_int_equal(d.due, due);
    assert_true(d.has_done);
    assert_date(d.done, want);
}

static void assert_wait(const DailySchedule *s, int64_t now,
                        const DailyDate *done, DailyDate want, int64_t due)
{
    DailyDecision d = decide(s, now, done);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_date(d.date, want);
    assert_int_equal(d.due, due);
    assert_true(d.due > now);
}

/* ---- the posting minute, grace ------------------------------------------- */

static void test_restart_around_minute(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Europe/London");
    DailySchedule s = {9, 0, tz, GRACE};
    DailyDate done = date(2026, 6, 30), jul1 = date(2026, 7, 1);
    int64_t slot = testtz_utc(2026, 7, 1, 8, 0, 0); /* 09:00 BST */

    /* Started just before, during and after the posting minute. */
    assert_wait(&s, slot - 3600, &done, jul1, slot);
    assert_wait(&s, slot - 1, &done, jul1, slot);
    assert_post(&s, slot, &done, jul1, slot);
    assert_post(&s, slot + 30, &done, jul1, slot);
    assert_post(&s, slot + 59, &done, jul1, slot);
    assert_post(&s, slot + 61, &done, jul1, slot);
    assert_post(&s, slot + 2 * HOUR, &done, jul1, slot);

    /* Having posted, the rest of the minute and the day wait for tomorrow. */
    int64_t tomorrow = testtz_utc(2026, 7, 2, 8, 0, 0);
    assert_wait(&s, slot + 1, &jul1, date(2026, 7, 2), tomorrow);
    assert_wait(&s, slot + 59, &jul1, date(2026, 7, 2), tomorrow);
    assert_wait(&s, testtz_utc(2026, 7, 1, 22, 59, 59), &jul1, date(2026, 7, 2),
                tomorrow);
    /* Restarted at 09:00:30 of the day after: posts for that day. */
    assert_post(&s, tomorrow + 30, &jul1, date(2026, 7, 2), tomorrow);

    /* The deadline is inclusive; a second later the day is given up. */
    assert_post(&s, slot + GRACE, &done, jul1, slot);
    DailyDecision d = decide(&s, slot + GRACE + 1, &done);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 1);
    assert_date(d.skip_date, jul1);
    assert_int_equal(d.skip_reason, DAILY_SKIP_LATE);
    assert_int_equal(d.skip_due, slot);
    assert_int_equal(d.skip_deadline, slot + GRACE);
    assert_true(d.has_done);
    assert_date(d.done, jul1);
    assert_date(d.date, date(2026, 7, 2));
    assert_int_equal(d.due, tomorrow);
    /* Stored as done, the skip is not reported again. */
    d = decide(&s, slot + GRACE + 2, &jul1);
    assert_int_equal(d.skipped, 0);
    assert_false(d.has_done);
    tz_free(tz);
}

static void test_downtime(void **state)
{
    (void)state;
    Tz *tz = testtz_load("America/New_York");
    DailySchedule s = {9, 0, tz, GRACE};
    DailyDate done = date(2026, 6, 30), jul1 = date(2026, 7, 1);
    int64_t slot = testtz_utc(2026, 7, 1, 13, 0, 0); /* 09:00 EDT */

    /* Down from 08:00 to 10:30 local, shorter than grace: posts on return,
     * and the decision says how late. */
    assert_wait(&s, slot - HOUR, &done, jul1, slot);
    DailyDecision d = decide(&s, slot + 90 * 60, &done);
    assert_int_equal(d.action, DAILY_POST);
    assert_int_equal(d.due, slot);
    assert_int_equal(d.deadline, slot + GRACE);
    assert_int_equal(d.skipped, 0);

    /* Down from 08:00 to 16:00, longer than grace: skipped, and why. */
    d = decide(&s, slot + 7 * HOUR, &done);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 1);
    assert_date(d.skip_date, jul1);
    assert_int_equal(d.skip_reason, DAILY_SKIP_LATE);
    assert_int_equal(d.due, testtz_utc(2026, 7, 2, 13, 0, 0));

    /* Down for days: the days in between are counted, the latest named. */
    d = decide(&s, slot - HOUR, &(DailyDate){2026, 6, 27});
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 3);
    assert_date(d.skip_date, date(2026, 6, 30));
    assert_int_equal(d.skip_reason, DAILY_SKIP_LATE);
    assert_int_equal(d.skip_due, testtz_utc(2026, 6, 30, 13, 0, 0));
    assert_date(d.done, date(2026, 6, 30));
    assert_date(d.date, jul1);
    d = decide(&s, slot + HOUR, &(DailyDate){2026, 6, 27});
    assert_int_equal(d.action, DAILY_POST);
    assert_int_equal(d.skipped, 3);
    assert_date(d.done, jul1);
    d = decide(&s, slot + 8 * HOUR, &(DailyDate){2026, 6, 27});
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 4);
    assert_date(d.skip_date, jul1);

    /* A new channel (no date): only today counts. */
    assert_wait(&s, slot - 1, NULL, jul1, slot);
    assert_post(&s, slot + HOUR, NULL, jul1, slot);
    d = decide(&s, slot + GRACE + 1, NULL);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 1);
    assert_date(d.skip_date, jul1);

    /* Grace 0: the slot's own second only. */
    DailySchedule strict = {9, 0, tz, 0};
    assert_post(&strict, slot, &done, jul1, slot);
    d = decide(&strict, slot + 1, &done);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 1);

    /* The clock went back after a post: no second post for any date up to
     * the one done. */
    assert_wait(&s, slot + HOUR, &(DailyDate){2026, 7, 2}, date(2026, 7, 3),
                testtz_utc(2026, 7, 3, 13, 0, 0));
    tz_free(tz);
}

/* ---- midnight ------------------------------------------------------------- */

static void test_midnight_schedules(void **state)
{
    (void)state;
    Tz *tz = testtz_load("America/New_York");
    DailyDate done = date(2026, 6, 30), jul1 = date(2026, 7, 1);

    /* 00:00 EDT is 04:00Z: the first second of the day. */
    DailySchedule s0 = {0, 0, tz, GRACE};
    int64_t slot0 = testtz_utc(2026, 7, 1, 4, 0, 0);
    assert_wait(&s0, slot0 - 1, &done, jul1, slot0);
    assert_post(&s0, slot0, &done, jul1, slot0);
    assert_post(&s0, slot0 + 5 * HOUR, &done, jul1, slot0);
    assert_wait(&s0, slot0 + 1, &jul1, date(2026, 7, 2),
                testtz_utc(2026, 7, 2, 4, 0, 0));

    /* 23:59 EDT is 03:59Z the next day; grace ends with the local day. */
    DailySchedule s1 = {23, 59, tz, GRACE};
    int64_t slot1 = testtz_utc(2026, 7, 2, 3, 59, 0);
    assert_wait(&s1, slot1 - 1, &done, jul1, slot1);
    assert_post(&s1, slot1, &done, jul1, slot1);
    DailyDecision d = decide(&s1, slot1 + 59, &done);
    assert_int_equal(d.action, DAILY_POST);
    assert_int_equal(d.deadline, slot1 + 59);
    /* 00:00 the next day: too late for July 1, July 2 is next. */
    d = decide(&s1, slot1 + 60, &done);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_int_equal(d.skipped, 1);
    assert_date(d.skip_date, jul1);
    assert_int_equal(d.skip_deadline, slot1 + 59);
    assert_date(d.date, date(2026, 7, 2));
    assert_int_equal(d.due, slot1 + 86400);
    tz_free(tz);

    /* Santiago moves its clocks at 24:00: on 2026-09-06 local midnight
     * does not occur, and a 00:00 schedule posts at 01:00 that day. */
    tz = testtz_load("America/Santiago");
    DailySchedule sc = {0, 0, tz, GRACE};
    int64_t slot;
    TzLocal lt;
    assert_int_equal(daily_slot(&sc, date(2026, 9, 6), &slot), STATUS_OK);
    assert_int_equal(tz_local(tz, slot, &lt), STATUS_OK);
    assert_int_equal(lt.civil.day, 6);
    assert_int_equal(lt.civil.hour, 1);
    assert_int_equal(lt.civil.minute, 0);
    assert_post(&sc, slot, &(DailyDate){2026, 9, 5}, date(2026, 9, 6), slot);
    assert_wait(&sc, slot - 1, &(DailyDate){2026, 9, 5}, date(2026, 9, 6),
                slot);
    tz_free(tz);
}

/* ---- DST ------------------------------------------------------------------ */

/* On a spring-forward day a time in the gap posts at the first instant
 * after it; on a fall-back day a repeated time posts once, at its first
 * occurrence, or at the second one when down during the first. */
static void check_spring(const char *zone, int h, int m, DailyDate spring,
                         int64_t spring_slot)
{
    Tz *tz = testtz_load(zone);
    DailySchedule s = {h, m, tz, GRACE};
    DailyDate before = daily_date_add(spring, -1);

    assert_wait(&s, spring_slot - 1, &before, spring, spring_slot);
    assert_post(&s, spring_slot, &before, spring, spring_slot);
    assert_post(&s, spring_slot + 59, &before, spring, spring_slot);
    DailyDecision d = decide(&s, spring_slot + 1, &spring);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_date(d.date, daily_date_add(spring, 1));
    tz_free(tz);
}

static void check_fall(const char *zone, int h, int m, DailyDate fall,
                       int64_t fall_first, int64_t fall_second)
{
    Tz *tz = testtz_load(zone);
    DailySchedule s = {h, m, tz, GRACE};
    DailyDate before = daily_date_add(fall, -1);
    TzLocal a, b;

    /* Both instants show the posting time. */
    assert_int_equal(tz_local(tz, fall_first, &a), STATUS_OK);
    assert_int_equal(tz_local(tz, fall_second, &b), STATUS_OK);
    assert_memory_equal(&a.civil, &b.civil, sizeof a.civil);
    assert_int_equal(a.civil.hour * 60 + a.civil.minute, h * 60 + m);

    assert_wait(&s, fall_first - 1, &before, fall, fall_first);
    assert_post(&s, fall_first, &before, fall, fall_first);
    /* The second occurrence, having posted at the first: nothing. */
    DailyDecision d = decide(&s, fall_second, &fall);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_date(d.date, daily_date_add(fall, 1));
    assert_int_equal(d.skipped, 0);
    d = decide(&s, fall_second + 30, &fall);
    assert_int_equal(d.action, DAILY_WAIT);
    /* Down during the first: the second is an hour late, within grace. */
    assert_post(&s, fall_second, &before, fall, fall_first);
    tz_free(tz);
}

static void test_dst_london(void **state)
{
    (void)state;
    /* 01:30 is skipped on 2026-03-29 (posts at 02:00 BST = 01:00Z) and
     * repeated on 2026-10-25 (00:30Z BST, 01:30Z GMT). */
    check_spring("Europe/London", 1, 30, date(2026, 3, 29),
                 testtz_utc(2026, 3, 29, 1, 0, 0));
    check_fall("Europe/London", 1, 30, date(2026, 10, 25),
               testtz_utc(2026, 10, 25, 0, 30, 0),
               testtz_utc(2026, 10, 25, 1, 30, 0));
}

static void test_dst_new_york(void **state)
{
    (void)state;
    /* 02:30 on 2026-03-08 posts at 03:00 EDT (07:00Z). */
    Tz *tz = testtz_load("America/New_York");
    DailySchedule s = {2, 30, tz, GRACE};
    int64_t slot;
    TzLocal lt;
    assert_int_equal(daily_slot(&s, date(2026, 3, 8), &slot), STATUS_OK);
    assert_int_equal(slot, testtz_utc(2026, 3, 8, 7, 0, 0));
    assert_int_equal(tz_local(tz, slot, &lt), STATUS_OK);
    assert_int_equal(lt.civil.hour, 3);
    assert_int_equal(lt.civil.minute, 0);
    tz_free(tz);
    check_spring("America/New_York", 2, 30, date(2026, 3, 8),
                 testtz_utc(2026, 3, 8, 7, 0, 0));
    /* 01:30 on 2026-11-01 occurs at 05:30Z (EDT) and 06:30Z (EST). */
    check_fall("America/New_York", 1, 30, date(2026, 11, 1),
               testtz_utc(2026, 11, 1, 5, 30, 0),
               testtz_utc(2026, 11, 1, 6, 30, 0));
}

static void test_dst_sydney(void **state)
{
    (void)state;
    /* Southern hemisphere: 02:30 is skipped on 2026-10-04 (posts at 03:00
     * AEDT = 16:00Z on the 3rd) and repeated on 2026-04-05. */
    check_spring("Australia/Sydney", 2, 30, date(2026, 10, 4),
                 testtz_utc(2026, 10, 3, 16, 0, 0));
    check_fall("Australia/Sydney", 2, 30, date(2026, 4, 5),
               testtz_utc(2026, 4, 4, 15, 30, 0),
               testtz_utc(2026, 4, 4, 16, 30, 0));
}

static void test_odd_offsets(void **state)
{
    (void)state;
    Tz *ktm = testtz_load("Asia/Kathmandu"), *kol = testtz_load("Asia/Kolkata");
    DailySchedule s = {9, 0, ktm, GRACE}, k = {23, 59, kol, GRACE};
    DailyDate done = date(2026, 6, 30), jul1 = date(2026, 7, 1);
    assert_post(&s, testtz_utc(2026, 7, 1, 3, 15, 0), &done, jul1,
                testtz_utc(2026, 7, 1, 3, 15, 0));
    assert_wait(&s, testtz_utc(2026, 7, 1, 3, 14, 59), &done, jul1,
                testtz_utc(2026, 7, 1, 3, 15, 0));
    assert_post(&k, testtz_utc(2026, 7, 1, 18, 29, 0), &done, jul1,
                testtz_utc(2026, 7, 1, 18, 29, 0));
    tz_free(ktm);
    tz_free(kol);
}

static void test_day_that_never_was(void **state)
{
    (void)state;
    /* Samoa skipped 2011-12-30: its 09:00 never occurs. */
    Tz *tz = testtz_load("Pacific/Apia");
    DailySchedule s = {9, 0, tz, GRACE};
    int64_t slot;
    assert_int_equal(daily_slot(&s, date(2011, 12, 30), &slot),
                     STATUS_NOTFOUND);
    /* Waiting on the 29th after its post: the next is the 31st. */
    DailyDate dec29 = date(2011, 12, 29);
    DailyDecision d = decide(&s, testtz_utc(2011, 12, 29, 20, 0, 0), &dec29);
    assert_int_equal(d.action, DAILY_WAIT);
    assert_date(d.date, date(2011, 12, 31));
    assert_int_equal(d.due, testtz_utc(2011, 12, 30, 19, 0, 0));
    /* On the 31st the 30th is reported as a date without the time. */
    d = decide(&s, testtz_utc(2011, 12, 30, 19, 0, 0), &dec29);
    assert_int_equal(d.action, DAILY_POST);
    assert_int_equal(d.skipped, 1);
    assert_date(d.skip_date, date(2011, 12, 30));
    assert_int_equal(d.skip_reason, DAILY_SKIP_NO_TIME);
    tz_free(tz);
}

static void test_invalid(void **state)
{
    (void)state;
    Tz *tz = tz_utc_zone();
    static const DailySchedule bad[] = {
        {24, 0, NULL, 0},
        {-1, 0, NULL, 0},
        {9, 60, NULL, 0},
        {9, 0, NULL, -1},
        {9, 0, NULL, DAILY_GRACE_MAX + 1},
    };
    DailyDecision d;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        DailySchedule s = bad[i];
        s.tz = tz;
        Error err = {0};
        assert_int_equal(daily_decide(&s, 0, NULL, &d, &err), STATUS_INVALID);
        assert_true(err.msg[0] != '\0');
    }
    DailySchedule none = {9, 0, NULL, 0}, ok = {9, 0, tz, 0};
    assert_int_equal(daily_decide(&none, 0, NULL, &d, NULL), STATUS_INVALID);
    assert_int_equal(daily_decide(&ok, 0, &(DailyDate){2026, 2, 29}, &d, NULL),
                     STATUS_INVALID);
    assert_int_equal(daily_decide(&ok, INT64_MAX, NULL, &d, NULL),
                     STATUS_INVALID);
    assert_int_equal(daily_check(&ok, NULL), STATUS_OK);
    tz_free(tz);
}

/* ---- 1,000 days with an irregular clock ----------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define DAYS 1000

/* Runs the bot's loop for DAYS local days from start: it wakes at the due
 * instant (up to 50 s late) or earlier for other events, in irregular steps;
 * with downtime, now and then it is away for 1..40 hours.  Checks that no
 * local date gets two posts, that every post is inside its window on its
 * own local date, and that every date is either posted or reported skipped
 * exactly once; without downtime, that every date is posted. */
static void simulate(const char *zone, int h, int m, bool downtime)
{
    Tz *tz = testtz_load(zone);
    DailySchedule s = {h, m, tz, GRACE};
    DailyDate first = {2026, 1, 1};
    TzCivil midnight = {2026, 1, 1, 0, 0, 0};
    int64_t start;
    TzLocal lt;
    assert_int_equal(tz_utc(tz, &midnight, &start, NULL), STATUS_OK);
    DailyDate done = daily_date_add(first, -1);
    static unsigned char seen[DAYS + 4]; /* 1 posted, 2 skipped */
    memset(seen, 0, sizeof seen);
    int64_t first_day = tz_days_from_civil(first.year, first.month, first.day);
    int64_t now = start;
    unsigned posts = 0, decisions = 0;

    for (;;) {
        DailyDecision d = decide(&s, now, &done);
        decisions++;
        assert_int_equal(tz_local(tz, now, &lt), STATUS_OK);
        int64_t today =
            tz_days_from_civil(lt.civil.year, lt.civil.month, lt.civil.day);
        if (d.skipped > 0) {
            assert_true(downtime);
            /* every date after done up to skip_date, once */
            int64_t a = tz_days_from_civil(done.year, done.month, done.day) + 1;
            int64_t b = tz_days_from_civil(d.skip_date.year, d.skip_date.month,
                                           d.skip_date.day);
            assert_int_equal(b - a + 1, d.skipped);
            assert_true(b - first_day < DAYS + 4);
            for (int64_t x = a; x <= b; x++) {
                assert_int_equal(seen[x - first_day], 0);
                seen[x - first_day] = 2;
            }
        }
        if (today - first_day >= DAYS)
            break;
        if (d.action == DAILY_POST) {
            int64_t x =
                tz_days_from_civil(d.date.year, d.date.month, d.date.day);
            assert_int_equal(x, today); /* on its own local date */
            assert_int_equal(seen[x - first_day], 0);
            seen[x - first_day] = 1;
            assert_true(d.due <= now && now <= d.deadline);
            posts++;
        }
        if (d.has_done)
            done = d.done;
        if (d.action == DAILY_POST)
            continue; /* ask again at once, as the bot will */
        assert_true(d.due > now);
        int64_t step = 1 + (int64_t)(next_rand() % (3 * HOUR));
        int64_t wake = d.due + (int64_t)(next_rand() % 51);
        now = now + step < wake ? now + step : wake;
        if (downtime && next_rand() % 40 == 0)
            now += HOUR + (int64_t)(next_rand() % (39 * HOUR));
    }
    unsigned posted = 0, skipped = 0;
    for (int i = 0; i < DAYS; i++) {
        if (seen[i] == 0)
            fail_msg("%s %02d:%02d: day %d neither posted nor skipped", zone, h,
                     m, i);
        posted += seen[i] == 1;
        skipped += seen[i] == 2;
    }
    assert_int_equal(posted, posts);
    if (!downtime)
        assert_int_equal(posted, DAYS);
    else
        assert_true(skipped > 0 && posted > DAYS / 2);
    assert_true(decisions > posts);
    tz_free(tz);
}

static const char *const sim_zones[] = {
    "Europe/London",  "America/New_York", "Australia/Sydney",
    "Asia/Kathmandu", "America/Santiago", "UTC",
};

static const int sim_times[][2] = {{0, 0}, {1, 30}, {2, 30}, {9, 0}, {23, 59}};

static void test_thousand_days(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof sim_zones / sizeof *sim_zones; z++)
        for (size_t t = 0; t < sizeof sim_times / sizeof *sim_times; t++)
            simulate(sim_zones[z], sim_times[t][0], sim_times[t][1], false);
}

static void test_thousand_days_with_downtime(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof sim_zones / sizeof *sim_zones; z++)
        for (size_t t = 0; t < sizeof sim_times / sizeof *sim_times; t++)
            simulate(sim_zones[z], sim_times[t][0], sim_times[t][1], true);
}

/* ---- exactly once: the stored record across crashes ------------------------ */

static DailyStep step_at(const DailySchedule *s, int64_t now,
                         const DailyRecord *rec)
{
    DailyStep st;
    Error err = {0};
    if (daily_step(s, now, rec, &st, &err) != STATUS_OK)
        fail_msg("daily_step: %s", err.msg);
    return st;
}

/* What the bot writes after choosing, before the first line goes out. */
static DailyRecord chosen(DailyRecord rec, DailyDate d, int sends)
{
    rec.has_pending = true;
    rec.pending = d;
    rec.sends = sends;
    return rec;
}

static DailyRecord acked(DailyDate d)
{
    return (DailyRecord){.has_done = true, .done = d};
}

static void test_kill9_between_choice_and_ack(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Europe/London");
    DailySchedule s = {9, 0, tz, GRACE};
    int64_t slot = testtz_utc(2026, 7, 1, 8, 0, 0); /* 09:00 BST */
    DailyDate jul1 = date(2026, 7, 1), jun30 = date(2026, 6, 30);
    DailyRecord rec = acked(jun30);

    /* Restart just before the minute: wait for it. */
    DailyStep st = step_at(&s, slot - 1, &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_int_equal(st.decision.due, slot);
    /* During the minute: post. */
    st = step_at(&s, slot + 30, &rec);
    assert_int_equal(st.kind, DAILY_STEP_POST);
    assert_date(st.decision.date, jul1);
    assert_false(st.record.has_pending);

    /* Chosen and sent, killed before the PONG: the restart sends the same
     * passage once more... */
    rec = chosen(st.record, jul1, 1);
    st = step_at(&s, slot + 45, &rec);
    assert_int_equal(st.kind, DAILY_STEP_RESEND);
    assert_int_equal(st.record.sends, 2);
    assert_date(st.record.pending, jul1);
    /* ...and killed again in the same window: given up, never a third. */
    rec = chosen(st.record, jul1, 2);
    st = step_at(&s, slot + 90, &rec);
    assert_int_equal(st.kind, DAILY_STEP_GIVE_UP);
    assert_true(st.record.has_done);
    assert_date(st.record.done, jul1);
    assert_false(st.record.has_pending);
    rec = st.record;
    st = step_at(&s, slot + 91, &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_date(st.decision.date, date(2026, 7, 2));

    /* Acknowledged: a restart after the minute, later that day, the next
     * morning before the time: nothing until the next slot. */
    rec = acked(jul1);
    int64_t tomorrow = testtz_utc(2026, 7, 2, 8, 0, 0);
    for (int64_t t = slot; t < tomorrow; t += 997) {
        st = step_at(&s, t, &rec);
        assert_int_equal(st.kind, DAILY_STEP_WAIT);
        assert_int_equal(st.decision.due, tomorrow);
        assert_int_equal(st.decision.skipped, 0);
    }

    /* A post left pending past its own day was sent: it counts as done,
     * never resent, never reported skipped. */
    rec = chosen(acked(jun30), jul1, 1);
    st = step_at(&s, testtz_utc(2026, 7, 2, 7, 0, 0), &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_int_equal(st.decision.skipped, 0);
    assert_date(st.record.done, jul1);
    assert_false(st.record.has_pending);
    st = step_at(&s, tomorrow + 5, &rec);
    assert_int_equal(st.kind, DAILY_STEP_POST);
    assert_date(st.decision.date, date(2026, 7, 2));
    /* Pending past its grace on its own day: done too. */
    st = step_at(&s, slot + GRACE + 1, &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_date(st.record.done, jul1);
    assert_int_equal(st.decision.skipped, 0);
    tz_free(tz);
}

static void test_step_downtime(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Australia/Sydney");
    DailySchedule s = {7, 15, tz, 2 * HOUR};
    DailyDate d1 = date(2026, 7, 1), d4 = date(2026, 7, 4);
    int64_t slot4 =
        testtz_utc(2026, 7, 3, 21, 15, 0); /* 07:15 AEST on 4 July */
    DailyRecord rec = acked(d1);

    /* Down from the 1st until within grace on the 4th: the 2nd and 3rd are
     * skipped (reported, recorded), the 4th is posted late. */
    DailyStep st = step_at(&s, slot4 + 2 * HOUR - 60, &rec);
    assert_int_equal(st.kind, DAILY_STEP_POST);
    assert_date(st.decision.date, d4);
    assert_int_equal(st.decision.skipped, 2);
    assert_date(st.record.done, date(2026, 7, 3));
    /* Back a minute after grace: the 4th is skipped too. */
    st = step_at(&s, slot4 + 2 * HOUR + 1, &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_int_equal(st.decision.skipped, 3);
    assert_int_equal(st.decision.skip_reason, DAILY_SKIP_LATE);
    assert_date(st.record.done, d4);
    /* Stored, a restart reports nothing again. */
    rec = st.record;
    st = step_at(&s, slot4 + 3 * HOUR, &rec);
    assert_int_equal(st.kind, DAILY_STEP_WAIT);
    assert_int_equal(st.decision.skipped, 0);
    tz_free(tz);
}

/* 1,000 days of a bot that is killed at random: sometimes between choosing
 * and the server's acknowledgement, sometimes while waiting.  A day's post
 * goes out at most twice, twice only when a kill fell between choosing and
 * the acknowledgement, and exactly once on a day without such a kill. */
static void test_thousand_days_with_kills(void **state)
{
    (void)state;
    Tz *tz = testtz_load("America/New_York");
    DailySchedule s = {23, 59, tz, GRACE};
    DailyRecord rec = {0};
    static unsigned char sends[DAYS + 2], kills[DAYS + 2];
    memset(sends, 0, sizeof sends);
    memset(kills, 0, sizeof kills);
    int64_t start = testtz_utc(2026, 1, 1, 12, 0, 0), now = start;
    int64_t first = tz_days_from_civil(2026, 1, 1);
    TzLocal lt;

    for (;;) {
        assert_int_equal(tz_local(tz, now, &lt), STATUS_OK);
        int64_t today =
            tz_days_from_civil(lt.civil.year, lt.civil.month, lt.civil.day);
        if (today - first >= DAYS)
            break;
        DailyStep st = step_at(&s, now, &rec);
        rec = st.record;
        if (st.kind == DAILY_STEP_POST || st.kind == DAILY_STEP_RESEND) {
            int64_t x = tz_days_from_civil(st.decision.date.year,
                                           st.decision.date.month,
                                           st.decision.date.day);
            rec = chosen(rec, st.decision.date,
                         st.kind == DAILY_STEP_RESEND ? 2 : 1);
            sends[x - first]++;
            if (next_rand() % 5 == 0) { /* killed before the PONG */
                kills[x - first] = 1;
                now += 1 + (int64_t)(next_rand() % 20);
                continue;
            }
            rec = acked(st.decision.date);
            continue;
        }
        if (st.kind == DAILY_STEP_GIVE_UP)
            continue;
        assert_true(st.decision.due > now);
        now = st.decision.due + (int64_t)(next_rand() % 5);
    }
    unsigned twice = 0;
    for (int i = 0; i < DAYS; i++) {
        assert_in_range(sends[i], kills[i] ? 1 : 1, kills[i] ? 2 : 1);
        twice += sends[i] == 2;
    }
    assert_true(twice > 0);
    tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_around_minute),
        cmocka_unit_test(test_downtime),
        cmocka_unit_test(test_midnight_schedules),
        cmocka_unit_test(test_dst_london),
        cmocka_unit_test(test_dst_new_york),
        cmocka_unit_test(test_dst_sydney),
        cmocka_unit_test(test_odd_offsets),
        cmocka_unit_test(test_day_that_never_was),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_thousand_days),
        cmocka_unit_test(test_thousand_days_with_downtime),
        cmocka_unit_test(test_kill9_between_choice_and_ack),
        cmocka_unit_test(test_step_downtime),
        cmocka_unit_test(test_thousand_days_with_kills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
