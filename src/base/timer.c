/* timer.c - the event loop's timers (see timer.h). */
#include "timer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

typedef struct {
    TimerId id;
    uint64_t due_ms, period_ms;
    timer_fn fn;
    void *ud;
    uint64_t mark; /* the timer_run call it is due in */
} Timer;

struct Timers {
    Timer *v; /* sorted by due_ms, then by id (the order they were armed) */
    size_t n, cap;
    TimerId next_id;
    uint64_t runs; /* timer_run calls */
};

Timers *timer_new(void)
{
    return calloc(1, sizeof(Timers));
}

void timer_free(Timers *t)
{
    if (!t)
        return;
    free(t->v);
    free(t);
}

static size_t timer_find(const Timers *t, TimerId id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].id == id)
            return i;
    return SIZE_MAX;
}

/* Inserts tm in due order, after timers due at the same time.  The room
 * was reserved by the caller. */
static void timer_insert(Timers *t, const Timer *tm)
{
    size_t i = t->n;
    while (i > 0 && t->v[i - 1].due_ms > tm->due_ms) i--;
    memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
    t->v[i] = *tm;
    t->n++;
}

static void timer_remove(Timers *t, size_t i)
{
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    t->n--;
}

TimerId timer_add(Timers *t, uint64_t due_ms, uint64_t period_ms, timer_fn fn,
                  void *ud)
{
    if (array_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v) != STATUS_OK)
        return 0;
    Timer tm = {++t->next_id, due_ms, period_ms, fn, ud, 0};
    timer_insert(t, &tm);
    return tm.id;
}

Status timer_rearm(Timers *t, TimerId id, uint64_t due_ms)
{
    size_t i = timer_find(t, id);
    if (i == SIZE_MAX)
        return STATUS_NOTFOUND;
    Timer tm = t->v[i];
    timer_remove(t, i);
    tm.due_ms = due_ms;
    timer_insert(t, &tm); /* the room it left is still there */
    return STATUS_OK;
}

Status timer_cancel(Timers *t, TimerId id)
{
    size_t i = timer_find(t, id);
    if (i == SIZE_MAX)
        return STATUS_NOTFOUND;
    timer_remove(t, i);
    return STATUS_OK;
}

unsigned timer_run(Timers *t, uint64_t now_ms)
{
    unsigned ran = 0;
    /* Only the timers due when the call began run: they are marked first,
     * so a callback arming one for "now" cannot keep us here. */
    uint64_t mark = ++t->runs;
    for (size_t i = 0; i < t->n && t->v[i].due_ms <= now_ms; i++)
        t->v[i].mark = mark;
    for (;;) {
        size_t i = 0;
        while (i < t->n && t->v[i].due_ms <= now_ms && t->v[i].mark != mark)
            i++;
        if (i == t->n || t->v[i].due_ms > now_ms)
            break;
        Timer tm = t->v[i];
        timer_remove(t, i);
        tm.mark = 0;
        if (tm.period_ms > 0) {
            tm.due_ms = now_ms + tm.period_ms;
            timer_insert(t, &tm); /* the room it left is still there */
        }
        ran++;
        tm.fn(tm.ud, tm.id, now_ms);
    }
    return ran;
}

long timer_wait_ms(const Timers *t, uint64_t now_ms)
{
    if (t->n == 0)
        return -1;
    uint64_t due = t->v[0].due_ms;
    if (due <= now_ms)
        return 0;
    uint64_t wait = due - now_ms;
    return wait > LONG_MAX ? LONG_MAX : (long)wait;
}

unsigned timer_count(const Timers *t)
{
    return (unsigned)t->n;
}
