/* sendq.c - the single outgoing queue: token bucket, urgent lines first,
 * round-robin between targets (see sendq.h).
 *
 * Tokens are kept as milliseconds of refill time (one token = interval_ms),
 * so refilling is one addition and everything stays in integers.
 *
 * Targets are a singly linked ring of those that have lines queued; looking
 * one up is a linear scan, O(targets) <= O(queue_max), fine for the few
 * hundred lines a bot ever holds.
 */
#include "sendq.h"

#include "casefold.h"
#include "ircline.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENDQ_BURST_LIMIT 1000u /* keeps the arithmetic in range */
#define SENDQ_INTERVAL_LIMIT 3600000u

struct line {
    struct line *next;
    unsigned cost; /* tokens */
    char text[];
};

struct fifo {
    struct line *head, *tail;
    size_t n;
};

struct target {
    struct target *next;
    struct fifo lines;
    bool private; /* a nick, not a channel */
    char name[];
};

struct Sendq {
    unsigned burst, interval;
    uint64_t credit;  /* ms of refill time held */
    uint64_t last_ms; /* time of the last refill */
    bool started;     /* false: bucket full, no time yet */

    size_t max, per_target, private_max;
    struct fifo pong, urgent;
    struct target *rr_head, *rr_tail; /* rr_head is served next */
    size_t normal_n, ntargets;
    size_t private_n; /* normal lines for nicks */

    bool final;        /* sendq_push_final was called: nothing more goes in */
    struct line *lent; /* returned by the last pop */
    enum { FROM_PONG, FROM_URGENT, FROM_NORMAL } lent_from;
    char lent_target[IRCLINE_BODY_MAX + 1]; /* its target, for sendq_unpop */
    uint64_t sent, dropped;
};

/* --- lines -------------------------------------------------------------- */

static bool line_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= IRCLINE_BODY_MAX && !strpbrk(s, "\r\n");
}

/* Does the line's command word equal cmd (case-insensitively)? */
static bool line_is(const char *s, const char *cmd)
{
    size_t n = strlen(cmd);
    for (size_t i = 0; i < n; i++)
        if (casefold_char(s[i]) != casefold_char(cmd[i]))
            return false;
    return s[n] == ' ' || s[n] == '\0';
}

/* InspIRCd's penalty: JOIN 2 per channel named, everything else 1. */
static unsigned line_cost(const char *s)
{
    unsigned cost = 2;

    if (!line_is(s, "JOIN"))
        return 1;
    for (s += 4; *s == ' '; s++) {
    }
    for (; *s && *s != ' '; s++)
        if (*s == ',')
            cost += 2;
    return cost;
}

static struct line *line_new(const char *s, unsigned cost)
{
    size_t n = strlen(s);
    struct line *l = malloc(sizeof *l + n + 1);

    if (!l)
        return NULL;
    l->next = NULL;
    l->cost = cost;
    memcpy(l->text, s, n + 1);
    return l;
}

/* --- fifos -------------------------------------------------------------- */

static void fifo_push(struct fifo *f, struct line *l)
{
    if (f->tail)
        f->tail->next = l;
    else
        f->head = l;
    f->tail = l;
    f->n++;
}

static struct line *fifo_pop(struct fifo *f)
{
    struct line *l = f->head;

    f->head = l->next;
    if (!f->head)
        f->tail = NULL;
    f->n--;
    l->next = NULL;
    return l;
}

static void fifo_free(struct fifo *f)
{
    while (f->head) free(fifo_pop(f));
}

/* --- targets ------------------------------------------------------------ */

static struct target *target_find(Sendq *q, const char *name)
{
    for (struct target *t = q->rr_head; t; t = t->next)
        if (casefold_cmp(t->name, name) == 0)
            return t;
    return NULL;
}

static struct target *target_add(Sendq *q, const char *name)
{
    size_t n = strlen(name);
    struct target *t = malloc(sizeof *t + n + 1);

    if (!t)
        return NULL;
    t->next = NULL;
    t->lines = (struct fifo){0};
    t->private = name[0] != '\0' && !ircline_is_channel(name);
    memcpy(t->name, name, n + 1);
    if (q->rr_tail)
        q->rr_tail->next = t;
    else
        q->rr_head = t;
    q->rr_tail = t;
    q->ntargets++;
    return t;
}

/* Takes the next line of the head target and rotates the ring. */
static struct line *target_take(Sendq *q)
{
    struct target *t = q->rr_head;
    struct line *l = fifo_pop(&t->lines);

    snprintf(q->lent_target, sizeof q->lent_target, "%s", t->name);

    q->normal_n--;
    if (t->private)
        q->private_n--;
    q->rr_head = t->next;
    if (!q->rr_head)
        q->rr_tail = NULL;
    t->next = NULL;
    if (t->lines.n == 0) {
        free(t);
        q->ntargets--;
    } else if (q->rr_tail) {
        q->rr_tail->next = t;
        q->rr_tail = t;
    } else {
        q->rr_head = q->rr_tail = t;
    }
    return l;
}

/* --- bucket ------------------------------------------------------------- */

static uint64_t bucket_cap(const Sendq *q)
{
    return (uint64_t)q->burst * q->interval;
}

static void bucket_refill(Sendq *q, uint64_t now_ms)
{
    if (!q->started) {
        q->started = true;
        q->credit = bucket_cap(q);
        q->last_ms = now_ms;
    } else if (now_ms > q->last_ms) { /* a clock going back refills nothing */
        q->credit += now_ms - q->last_ms;
        if (q->credit > bucket_cap(q))
            q->credit = bucket_cap(q);
        q->last_ms = now_ms;
    }
}

/* A line costing more than the whole burst still goes once the bucket is
 * full, rather than never. */
static uint64_t bucket_need(const Sendq *q, unsigned cost)
{
    uint64_t need = (uint64_t)cost * q->interval;
    return need < bucket_cap(q) ? need : bucket_cap(q);
}

static void rate_clamp(unsigned *burst, unsigned *interval_ms)
{
    if (*burst == 0)
        *burst = 1;
    if (*burst > SENDQ_BURST_LIMIT)
        *burst = SENDQ_BURST_LIMIT;
    if (*interval_ms > SENDQ_INTERVAL_LIMIT)
        *interval_ms = SENDQ_INTERVAL_LIMIT;
}

/* --- API ---------------------------------------------------------------- */

Sendq *sendq_new(unsigned burst, unsigned interval_ms, size_t queue_max)
{
    Sendq *q = calloc(1, sizeof *q);

    if (!q)
        return NULL;
    rate_clamp(&burst, &interval_ms);
    q->burst = burst;
    q->interval = interval_ms;
    q->max = queue_max;
    q->per_target = queue_max / 4 > SENDQ_PER_TARGET_MIN ? queue_max / 4
                                                         : SENDQ_PER_TARGET_MIN;
    q->private_max =
        queue_max / 2 > q->per_target ? queue_max / 2 : q->per_target;
    return q;
}

void sendq_free(Sendq *q)
{
    if (!q)
        return;
    sendq_clear(q);
    free(q);
}

Status sendq_push(Sendq *q, enum sendq_class cls, const char *target,
                  const char *line)
{
    struct target *t = NULL;
    struct line *l;

    if (!line_valid(line))
        return STATUS_INVALID;
    if (q->final)
        return STATUS_ERROR;
    if (cls == SENDQ_URGENT) {
        bool pong = line_is(line, "PONG");
        if (q->pong.n + q->urgent.n >= SENDQ_URGENT_MAX)
            goto drop;
        l = line_new(line, pong ? 0 : line_cost(line));
        if (!l)
            return STATUS_ERROR;
        fifo_push(pong ? &q->pong : &q->urgent, l);
        return STATUS_OK;
    }

    if (!target)
        target = "";
    if (strlen(target) > IRCLINE_BODY_MAX)
        return STATUS_INVALID;
    t = target_find(q, target);
    bool private = target[0] != '\0' && !ircline_is_channel(target);
    if (q->normal_n >= q->max || (t && t->lines.n >= q->per_target) ||
        (private && q->private_n >= q->private_max))
        goto drop;
    l = line_new(line, line_cost(line));
    if (!l)
        return STATUS_ERROR;
    if (!t && !(t = target_add(q, target))) {
        free(l);
        return STATUS_ERROR;
    }
    fifo_push(&t->lines, l);
    q->normal_n++;
    if (t->private)
        q->private_n++;
    return STATUS_OK;

drop:
    q->dropped++;
    return STATUS_ERROR;
}

/* Empties every fifo but keeps the bucket as it is. */
static size_t sendq_drop_all(Sendq *q)
{
    size_t n = q->pong.n + q->urgent.n + q->normal_n;

    free(q->lent);
    q->lent = NULL;
    fifo_free(&q->pong);
    fifo_free(&q->urgent);
    while (q->rr_head) {
        struct target *t = q->rr_head;
        q->rr_head = t->next;
        fifo_free(&t->lines);
        free(t);
    }
    q->rr_tail = NULL;
    q->normal_n = q->ntargets = q->private_n = 0;
    return n;
}

Status sendq_push_final(Sendq *q, const char *line, size_t *dropped)
{
    struct line *l;
    size_t n;

    if (!line_valid(line))
        return STATUS_INVALID;
    l = line_new(line, 0); /* free: it must not wait behind the bucket */
    if (!l)
        return STATUS_ERROR;
    n = sendq_drop_all(q);
    if (dropped)
        *dropped = n;
    fifo_push(&q->urgent, l);
    q->final = true;
    return STATUS_OK;
}

/* The fifo head that goes next, ignoring the bucket; NULL when empty. */
static const struct line *sendq_next(const Sendq *q)
{
    if (q->pong.head)
        return q->pong.head;
    if (q->urgent.head)
        return q->urgent.head;
    return q->rr_head ? q->rr_head->lines.head : NULL;
}

const char *sendq_pop(Sendq *q, uint64_t now_ms)
{
    const struct line *next;
    struct line *l;
    uint64_t need;

    free(q->lent);
    q->lent = NULL;
    next = sendq_next(q);
    if (!next)
        return NULL;
    bucket_refill(q, now_ms);
    need = bucket_need(q, next->cost);
    if (q->credit < need)
        return NULL;
    q->credit -= need;

    if (q->pong.head) {
        l = fifo_pop(&q->pong);
        q->lent_from = FROM_PONG;
    } else if (q->urgent.head) {
        l = fifo_pop(&q->urgent);
        q->lent_from = FROM_URGENT;
    } else {
        l = target_take(q);
        q->lent_from = FROM_NORMAL;
    }
    q->sent++;
    q->lent = l;
    return l->text;
}

/* Puts l first in f. */
static void fifo_unshift(struct fifo *f, struct line *l)
{
    l->next = f->head;
    f->head = l;
    if (!f->tail)
        f->tail = l;
    f->n++;
}

/* Moves the target of the lent line to the head of the ring, creating it
 * if the lent line was its last.  O(targets), as target_find. */
static struct target *target_restore(Sendq *q)
{
    struct target *t, *prev = NULL;

    if (!target_find(q, q->lent_target) && !target_add(q, q->lent_target))
        return NULL;
    for (t = q->rr_head; casefold_cmp(t->name, q->lent_target) != 0;
         t = t->next)
        prev = t;
    if (prev) {
        prev->next = t->next;
        if (q->rr_tail == t)
            q->rr_tail = prev;
        t->next = q->rr_head;
        q->rr_head = t;
    }
    return t;
}

Status sendq_unpop(Sendq *q)
{
    struct line *l = q->lent;
    struct target *t;

    if (!l)
        return STATUS_NOTFOUND;
    if (q->lent_from == FROM_PONG) {
        fifo_unshift(&q->pong, l);
    } else if (q->lent_from == FROM_URGENT) {
        fifo_unshift(&q->urgent, l);
    } else {
        if (!(t = target_restore(q)))
            return STATUS_ERROR;
        fifo_unshift(&t->lines, l);
        q->normal_n++;
        if (t->private)
            q->private_n++;
    }
    q->credit += bucket_need(q, l->cost); /* 0 for a PONG */
    if (q->credit > bucket_cap(q))
        q->credit = bucket_cap(q);
    q->lent = NULL;
    q->sent--;
    return STATUS_OK;
}

long sendq_wait_ms(Sendq *q, uint64_t now_ms)
{
    const struct line *next = sendq_next(q);
    uint64_t need;

    if (!next)
        return -1;
    bucket_refill(q, now_ms);
    need = bucket_need(q, next->cost);
    return q->credit >= need ? 0 : (long)(need - q->credit);
}

size_t sendq_clear(Sendq *q)
{
    size_t n = sendq_drop_all(q);

    q->started = false;
    q->final = false;
    return n;
}

void sendq_set_rate(Sendq *q, unsigned burst, unsigned interval_ms)
{
    rate_clamp(&burst, &interval_ms);
    /* Keep the number of tokens held, not the milliseconds they stand for;
     * from an unlimited rate, start full. */
    if (q->interval > 0)
        q->credit = q->credit * interval_ms / q->interval;
    else
        q->credit = (uint64_t)burst * interval_ms;
    q->burst = burst;
    q->interval = interval_ms;
    if (q->credit > bucket_cap(q))
        q->credit = bucket_cap(q);
}

void sendq_stats(const Sendq *q, SendqStats *out)
{
    out->lines_sent = q->sent;
    out->lines_dropped = q->dropped;
    out->depth = q->pong.n + q->urgent.n + q->normal_n;
    out->targets = q->ntargets;
}
