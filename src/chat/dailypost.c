/* dailypost.c - the quote of the day as chat (see dailypost.h). */
#include "dailypost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "format.h"
#include "utf8.h"

#define DAILYPOST_TEXT_MAX 16384 /* a whole passage and its citation */

static const char dailypost_dash[] = " \xE2\x80\x94 "; /* " — " */
static const char dailypost_cut[] = " [\xE2\x80\xA6]"; /* " […]" */

void dailypost_date_str(DailyDate d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d.year % 100000,
             (d.month % 13 + 13) % 13, (d.day % 32 + 32) % 32);
}

/* --- whose channel, when ---------------------------------------------------- */

static bool dailypost_listed(const DailyDefaults *d, const char *channel)
{
    for (size_t i = 0; d && i < d->nchannels; i++)
        if (casefold_cmp(d->channels[i], channel) == 0)
            return true;
    return false;
}

Status dailypost_channel(State *st, const DailyDefaults *d, const char *channel,
                         DailyChannel *out, Error *err)
{
    memset(out, 0, sizeof *out);
    Status rc = state_daily_get(st, channel, &out->state, err);
    if (rc != STATUS_OK)
        return rc;
    const char *zone;
    if (out->state.mode == STATE_DAILY_OFF)
        return STATUS_NOTFOUND;
    if (out->state.mode == STATE_DAILY_ON) {
        out->own = true;
        out->sched.hour = out->state.hour;
        out->sched.minute = out->state.minute;
        zone = out->state.zone;
    } else {
        if (!dailypost_listed(d, channel))
            return STATUS_NOTFOUND;
        out->sched.hour = d->hour;
        out->sched.minute = d->minute;
        zone = d->zone && d->zone[0] ? d->zone : "UTC";
    }
    out->sched.grace = d ? d->grace : 6 * 3600;
    if (!(out->tz = tz_load(zone, err)))
        return STATUS_INVALID;
    out->sched.tz = out->tz;
    return STATUS_OK;
}

void dailypost_channel_clear(DailyChannel *ch)
{
    tz_free(ch->tz);
    memset(ch, 0, sizeof *ch);
}

/* --- which passage ------------------------------------------------------------ */

typedef struct {
    char monthday[6]; /* "MM-DD" */
    int letters[64];  /* the first 64 written on it */
    size_t n;
} OnThisDay;

static int dailypost_visit(int letter, const char *date, void *ud)
{
    OnThisDay *t = ud;
    if (strcmp(date + 5, t->monthday) == 0 &&
        t->n < sizeof t->letters / sizeof t->letters[0])
        t->letters[t->n++] = letter;
    return 0;
}

Status dailypost_choose(Corpus *c, State *st, const char *channel,
                        DailyDate date, int *letter, int *para, Passage *out,
                        bool *on_this_day, Error *err)
{
    OnThisDay t = {0};
    Status rc;

    memset(out, 0, sizeof *out);
    t.monthday[0] = (char)('0' + (unsigned)date.month / 10 % 10);
    t.monthday[1] = (char)('0' + (unsigned)date.month % 10);
    t.monthday[2] = '-';
    t.monthday[3] = (char)('0' + (unsigned)date.day / 10 % 10);
    t.monthday[4] = (char)('0' + (unsigned)date.day % 10);
    if (*letter > 0) {
        rc = corpus_get(c, *letter, *para, out, err);
        if (rc != STATUS_NOTFOUND) {
            if (rc == STATUS_OK)
                *on_this_day = strlen(out->date) == 10 &&
                               strcmp(out->date + 5, t.monthday) == 0;
            return rc;
        }
        /* Re-imported since: choose afresh. */
    }
    if ((rc = corpus_dated(c, dailypost_visit, &t, err)) != STATUS_OK)
        return rc;
    *on_this_day = t.n > 0;
    if (t.n > 0) {
        /* Another letter, and another paragraph of it, each year. */
        LetterInfo l;
        int pick = t.letters[(unsigned)date.year % t.n];
        if ((rc = corpus_letter(c, pick, &l, err)) != STATUS_OK)
            return rc;
        int n = l.passages > 0 ? l.passages : 1;
        int first = (int)((unsigned)date.year / t.n % (unsigned)n);
        letter_info_clear(&l);
        /* Passing over one-line courtesies as every random pick does,
         * unless the letter has nothing else. */
        PassageFilter any = {.min_chars = CORPUS_RANDOM_MIN_CHARS};
        bool found = false;
        rc = STATUS_NOTFOUND;
        for (int k = 0; k < n && !found; k++) {
            rc = corpus_get(c, pick, 1 + (first + k) % n, out, err);
            if (rc != STATUS_OK)
                break;
            if (!(found = !corpus_passed_over(&any, out)))
                passage_clear(out);
        }
        if (!found && rc == STATUS_OK)
            rc = corpus_get(c, pick, 1 + first, out, err);
    } else {
        PassageFilter any = {.min_chars = CORPUS_RANDOM_MIN_CHARS};
        rc = state_next_passage(st, c, channel, &any, out, err);
    }
    if (rc == STATUS_OK) {
        *letter = out->letter;
        *para = out->para;
    }
    return rc;
}

/* --- the lines ------------------------------------------------------------------ */

void dailypost_lines_clear(DailyLines *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    memset(l, 0, sizeof *l);
}

/* Word-wraps s into lines of at most budget bytes; returns how many lines
 * it takes, storing at most max of them in out (when out is not NULL). */
static size_t dailypost_wrap(const char *s, size_t len, size_t budget,
                             size_t max, DailyLines *out, bool *oom)
{
    size_t n = 0;
    while (len > 0) {
        size_t cut = len <= budget ? len : utf8_word_boundary(s, len, budget);
        if (cut == 0)
            cut = utf8_boundary(s, len, budget);
        if (out && n < max) {
            char *line = malloc(cut + 1);
            if (!line) {
                *oom = true;
                return n;
            }
            memcpy(line, s, cut);
            line[cut] = '\0';
            out->v[out->n++] = line;
        }
        n++;
        s += cut;
        len -= cut;
        while (len > 0 && *s == ' ') s++, len--;
    }
    return n;
}

/* True when text[0..i) ends a sentence: . ! ? (maybe closed by a quote or
 * bracket) followed by a space. */
static bool dailypost_sentence_end(const char *text, size_t len, size_t i)
{
    if (i == 0 || i >= len || text[i] != ' ')
        return false;
    size_t j = i;
    while (j > 0 && strchr("\"')]", text[j - 1])) j--;
    return j > 0 && strchr(".!?", text[j - 1]) != NULL;
}

Status dailypost_lines(const Passage *p, bool on_this_day, const char *template,
                       const char *prefix, size_t budget, int max_lines,
                       DailyLines *out)
{
    char *text = malloc(DAILYPOST_TEXT_MAX), *whole = NULL;
    char cite[256], lead[320], tail[320];
    size_t max = max_lines < 1                     ? 1
                 : max_lines > DAILYPOST_LINES_MAX ? DAILYPOST_LINES_MAX
                                                   : (size_t)max_lines;
    bool oom = false;

    memset(out, 0, sizeof *out);
    if (budget < FORMAT_MIN_BUDGET)
        budget = FORMAT_MIN_BUDGET;
    if (!text || !(whole = malloc(DAILYPOST_TEXT_MAX + 1024)))
        goto oom;
    size_t tlen =
        utf8_sanitize(p->text ? p->text : "", strlen(p->text ? p->text : ""),
                      text, DAILYPOST_TEXT_MAX);
    format_citation(p, cite, sizeof cite);
    char tmpl[256];
    utf8_sanitize(template ? template : "", strlen(template ? template : ""),
                  tmpl, sizeof tmpl);
    snprintf(lead, sizeof lead, "%s%s", tmpl, tmpl[0] ? " " : "");
    if (on_this_day && strlen(p->date) == 10) {
        size_t l = strlen(lead);
        snprintf(lead + l, sizeof lead - l, "On this day in %.4s: ", p->date);
    }

    /* Whole, when it fits. */
    int w = snprintf(whole, DAILYPOST_TEXT_MAX + 1024, "%s\"%.*s\"%s%s", lead,
                     (int)tlen, text, dailypost_dash, cite);
    size_t wlen = w > 0 ? (size_t)w : 0;
    if (dailypost_wrap(whole, wlen, budget, max, NULL, &oom) <= max) {
        dailypost_wrap(whole, wlen, budget, max, out, &oom);
        goto done;
    }

    /* Too long: the most whole sentences that fit with the pointer to
     * !read; a first sentence longer than all the lines is cut at a word. */
    snprintf(tail, sizeof tail, "%s\"%s%s (all of it: %sread %d.%d)",
             dailypost_cut, dailypost_dash, cite, prefix ? prefix : "!",
             p->letter, p->para);
    size_t keep = 0;
    for (size_t i = tlen; i > 0; i--) {
        if (!dailypost_sentence_end(text, tlen, i))
            continue;
        w = snprintf(whole, DAILYPOST_TEXT_MAX + 1024, "%s\"%.*s%s", lead,
                     (int)i, text, tail);
        wlen = w > 0 ? (size_t)w : 0;
        if (dailypost_wrap(whole, wlen, budget, max, NULL, &oom) <= max) {
            keep = i;
            break;
        }
    }
    if (keep == 0) {
        size_t room = max * (budget - budget / 4); /* wrapping loses some */
        size_t fixed = strlen(lead) + 1 + strlen(tail);
        keep = room > fixed ? utf8_word_boundary(text, tlen, room - fixed) : 0;
        if (keep > tlen)
            keep = tlen;
    }
    w = snprintf(whole, DAILYPOST_TEXT_MAX + 1024, "%s\"%.*s%s", lead,
                 (int)keep, text, tail);
    wlen = w > 0 ? (size_t)w : 0;
    dailypost_wrap(whole, wlen, budget, max, out, &oom);

done:
    free(text);
    free(whole);
    if (oom) {
        dailypost_lines_clear(out);
        return STATUS_ERROR;
    }
    return STATUS_OK;
oom:
    free(text);
    free(whole);
    return STATUS_ERROR;
}
