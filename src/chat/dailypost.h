/* dailypost.h - the quote of the day as chat: whose channel posts when, which
 * passage, and the lines that carry it.
 *
 * Sits between the pure scheduler (base/daily.h), the state database
 * (per-channel override and exactly-once record, corpus/state.h) and the
 * app, which owns the clock, the timers and the IRC connection.  A channel
 * posts when an owner set its own time ("set #chan daily 08:30 Zone"), or
 * when [daily] lists it and no owner turned it off.
 *
 * The passage: one written on this day of the year when the corpus has one
 * ("On this day in 1941: ..."), otherwise the next of the channel's own
 * shuffle cycle (state_next_passage), so nothing repeats before every
 * passage was shown.  It is posted whole over up to max_lines lines; a
 * passage longer than that is cut after its last whole sentence that fits
 * and ends with a pointer to !read, which sends the rest.
 */
#ifndef MISSIVE_DAILYPOST_H
#define MISSIVE_DAILYPOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "daily.h"
#include "error.h"
#include "state.h"
#include "tz.h"

#define DAILYPOST_LINES_MAX 10 /* [bot] max_lines is at most 10 */

/* The [daily] section, borrowed (the app keeps it alive). */
typedef struct {
    const char *const *channels; /* as listed; compared folded */
    size_t nchannels;
    int hour, minute;
    const char *zone;     /* IANA name */
    int64_t grace;        /* seconds */
    const char *template; /* "" or NULL: none */
} DailyDefaults;

/* One channel's effective schedule and its stored state. */
typedef struct {
    DailySchedule sched; /* sched.tz is tz */
    Tz *tz;              /* owned */
    StateDaily state;
    bool own; /* the owner's time, not [daily]'s */
} DailyChannel;

/* The schedule of channel: STATUS_OK (out filled; dailypost_channel_clear
 * it), STATUS_NOTFOUND when it has no daily post (out->state still read),
 * STATUS_INVALID when its zone no longer loads (reason in err), or
 * STATUS_ERROR (database). d may be NULL: no [daily] section. */
Status dailypost_channel(State *st, const DailyDefaults *d, const char *channel,
                         DailyChannel *out, Error *err);
void dailypost_channel_clear(DailyChannel *ch);

/* The passage for date in channel: *letter > 0 asks for that one again (a
 * resend), otherwise one is chosen and *letter, *para say which.
 * *on_this_day is set when it was written on date's month and day.
 * STATUS_OK (passage_clear out), STATUS_NOTFOUND (no letters), or
 * STATUS_ERROR. */
Status dailypost_choose(Corpus *c, State *st, const char *channel,
                        DailyDate date, int *letter, int *para, Passage *out,
                        bool *on_this_day, Error *err);

typedef struct {
    char *v[DAILYPOST_LINES_MAX];
    size_t n;
} DailyLines;

void dailypost_lines_clear(DailyLines *l);

/* The lines of p: template, "On this day in YYYY: " when on_this_day, the
 * quoted text and its citation, each line at most budget bytes, at most
 * max_lines (1..DAILYPOST_LINES_MAX) lines; longer passages end after a
 * whole sentence with " [...]", the citation and "(all of it: PREFIXread
 * L.P)".  STATUS_OK or STATUS_ERROR (out of memory). */
Status dailypost_lines(const Passage *p, bool on_this_day, const char *template,
                       const char *prefix, size_t budget, int max_lines,
                       DailyLines *out);

/* "2026-03-29", for logs and answers. */
void dailypost_date_str(DailyDate d, char out[16]);

#endif
