/* ratelimit.c - per-key token buckets in a bounded table (see ratelimit.h).
 *
 * A fixed array of entries, chained into a hash table by index and kept in a
 * doubly linked LRU list (head: most recently checked).  Tokens are held as
 * milliseconds of refill time, one token being interval_ms, as in sendq.c.
 *
 * Keys are user@host and channel names, partly chosen by other people, so
 * chains could be made long on purpose; the table never holds more than
 * max_keys entries, which bounds the damage to one scan of max_keys short
 * strings.
 */
#include "ratelimit.h"

#include "casefold.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define RATELIMIT_KEYS_LIMIT (1u << 24)
#define RATELIMIT_EVICT_SCAN 8 /* LRU entries looked at for a full one */
#define RATELIMIT_BURST_LIMIT 1000u
#define RATELIMIT_INTERVAL_LIMIT 3600000u

struct entry {
    char key[RATELIMIT_KEY_MAX + 1]; /* folded, NUL-terminated */
    uint32_t hash;
    uint32_t chain;      /* next in bucket, or in free list */
    uint32_t prev, next; /* LRU neighbours */
    uint64_t credit, last_ms;
    bool notified; /* denial announced, not yet refilled */
};

struct RateLimit {
    unsigned burst, interval;
    size_t max, count;
    uint32_t mask; /* nbuckets - 1 */
    uint32_t *buckets;
    struct entry *e;
    uint32_t lru_head, lru_tail, free_head;
    /* Entries from here on were never used.  They are taken in order and
     * only then touched, so the calloc'd array stays unmapped zero pages
     * until keys arrive: two tables of 4,096 entries would otherwise be
     * 1.4 MB of a 4 MB daemon's RSS from the start. */
    uint32_t fresh;
};

/* --- keys --------------------------------------------------------------- */

static uint32_t key_fold(const char *key, char out[RATELIMIT_KEY_MAX + 1])
{
    uint32_t h = 2166136261u; /* FNV-1a */
    size_t i;

    for (i = 0; i < RATELIMIT_KEY_MAX && key[i]; i++) {
        out[i] = casefold_char(key[i]);
        h = (h ^ (unsigned char)out[i]) * 16777619u;
    }
    out[i] = '\0';
    return h;
}

/* --- buckets ------------------------------------------------------------ */

static uint64_t bucket_cap(const RateLimit *rl)
{
    return (uint64_t)rl->burst * rl->interval;
}

/* Credit the entry would hold at now_ms. */
static uint64_t bucket_credit(const RateLimit *rl, const struct entry *e,
                              uint64_t now_ms)
{
    uint64_t c = e->credit;

    if (now_ms > e->last_ms)
        c += now_ms - e->last_ms;
    return c < bucket_cap(rl) ? c : bucket_cap(rl);
}

static void bucket_refill(const RateLimit *rl, struct entry *e, uint64_t now_ms)
{
    e->credit = bucket_credit(rl, e, now_ms);
    if (now_ms > e->last_ms)
        e->last_ms = now_ms;
    if (e->credit == bucket_cap(rl))
        e->notified = false;
}

static void rate_clamp(unsigned *burst, unsigned *interval_ms)
{
    if (*burst == 0)
        *burst = 1;
    if (*burst > RATELIMIT_BURST_LIMIT)
        *burst = RATELIMIT_BURST_LIMIT;
    if (*interval_ms > RATELIMIT_INTERVAL_LIMIT)
        *interval_ms = RATELIMIT_INTERVAL_LIMIT;
}

/* --- LRU list ----------------------------------------------------------- */

static void lru_unlink(RateLimit *rl, uint32_t i)
{
    struct entry *e = &rl->e[i];

    if (e->prev != NIL)
        rl->e[e->prev].next = e->next;
    else
        rl->lru_head = e->next;
    if (e->next != NIL)
        rl->e[e->next].prev = e->prev;
    else
        rl->lru_tail = e->prev;
    e->prev = e->next = NIL;
}

static void lru_push_front(RateLimit *rl, uint32_t i)
{
    struct entry *e = &rl->e[i];

    e->prev = NIL;
    e->next = rl->lru_head;
    if (rl->lru_head != NIL)
        rl->e[rl->lru_head].prev = i;
    else
        rl->lru_tail = i;
    rl->lru_head = i;
}

/* --- table -------------------------------------------------------------- */

static uint32_t table_find(const RateLimit *rl, const char *key, uint32_t h)
{
    for (uint32_t i = rl->buckets[h & rl->mask]; i != NIL; i = rl->e[i].chain)
        if (rl->e[i].hash == h && strcmp(rl->e[i].key, key) == 0)
            return i;
    return NIL;
}

static void table_remove(RateLimit *rl, uint32_t i)
{
    uint32_t *link = &rl->buckets[rl->e[i].hash & rl->mask];

    while (*link != i) link = &rl->e[*link].chain;
    *link = rl->e[i].chain;
    lru_unlink(rl, i);
    rl->e[i].chain = rl->free_head;
    rl->free_head = i;
    rl->count--;
}

/* Makes room when the table is full: a refilled bucket near the LRU end if
 * there is one (it knows nothing), else the least recently used. */
static void table_evict(RateLimit *rl, uint64_t now_ms)
{
    uint32_t i = rl->lru_tail;

    for (int n = 0; i != NIL && n < RATELIMIT_EVICT_SCAN; n++) {
        if (bucket_credit(rl, &rl->e[i], now_ms) == bucket_cap(rl)) {
            table_remove(rl, i);
            return;
        }
        i = rl->e[i].prev;
    }
    table_remove(rl, rl->lru_tail);
}

/* Drops up to two refilled buckets from the LRU end: as each check adds at
 * most one bucket, idle ones drain away instead of lingering until the table
 * is full.  Safe for the key about to be checked: a refilled bucket and a new
 * one behave alike. */
static void table_drop_idle(RateLimit *rl, uint64_t now_ms)
{
    for (int n = 0; n < 2 && rl->lru_tail != NIL; n++) {
        if (bucket_credit(rl, &rl->e[rl->lru_tail], now_ms) < bucket_cap(rl))
            return;
        table_remove(rl, rl->lru_tail);
    }
}

static uint32_t table_insert(RateLimit *rl, const char *key, uint32_t h,
                             uint64_t now_ms)
{
    uint32_t i, *bucket;
    struct entry *e;

    if (rl->count == rl->max)
        table_evict(rl, now_ms);

    if (rl->free_head != NIL) {
        i = rl->free_head;
        rl->free_head = rl->e[i].chain;
    } else {
        i = rl->fresh++; /* count < max, so fresh < max */
    }
    e = &rl->e[i];
    memcpy(e->key, key, sizeof e->key);
    e->hash = h;
    e->credit = bucket_cap(rl);
    e->last_ms = now_ms;
    e->notified = false;
    bucket = &rl->buckets[h & rl->mask];
    e->chain = *bucket;
    *bucket = i;
    lru_push_front(rl, i);
    rl->count++;
    return i;
}

/* --- API ---------------------------------------------------------------- */

RateLimit *ratelimit_new(unsigned burst, unsigned interval_ms, size_t max_keys)
{
    RateLimit *rl = calloc(1, sizeof *rl);
    size_t nbuckets = 1;

    if (!rl)
        return NULL;
    if (max_keys == 0)
        max_keys = RATELIMIT_DEFAULT_KEYS;
    if (max_keys > RATELIMIT_KEYS_LIMIT)
        max_keys = RATELIMIT_KEYS_LIMIT;
    while (nbuckets < max_keys) nbuckets <<= 1;

    rate_clamp(&burst, &interval_ms);
    rl->burst = burst;
    rl->interval = interval_ms;
    rl->max = max_keys;
    rl->mask = (uint32_t)(nbuckets - 1);
    rl->buckets = malloc(nbuckets * sizeof *rl->buckets);
    rl->e = calloc(max_keys, sizeof *rl->e);
    if (!rl->buckets || !rl->e)
        goto fail;
    for (size_t b = 0; b < nbuckets; b++) rl->buckets[b] = NIL;
    rl->free_head = NIL;
    rl->fresh = 0;
    rl->lru_head = rl->lru_tail = NIL;
    return rl;

fail:
    ratelimit_free(rl);
    return NULL;
}

void ratelimit_free(RateLimit *rl)
{
    if (!rl)
        return;
    free(rl->buckets);
    free(rl->e);
    free(rl);
}

const char *ratelimit_user_key(const char *origin)
{
    const char *bang = strchr(origin, '!');
    return bang && bang[1] ? bang + 1 : origin;
}

enum rate_verdict ratelimit_check(RateLimit *rl, const char *key,
                                  uint64_t now_ms)
{
    char folded[RATELIMIT_KEY_MAX + 1];
    uint32_t h = key_fold(key, folded);
    uint32_t i;
    struct entry *e;

    table_drop_idle(rl, now_ms);
    i = table_find(rl, folded, h);
    if (i == NIL) {
        i = table_insert(rl, folded, h, now_ms);
    } else {
        lru_unlink(rl, i);
        lru_push_front(rl, i);
    }
    e = &rl->e[i];
    bucket_refill(rl, e, now_ms);
    if (e->credit >= rl->interval) {
        e->credit -= rl->interval;
        return RATE_ALLOW;
    }
    if (e->notified)
        return RATE_DENY_SILENT;
    e->notified = true;
    return RATE_DENY_NOTIFY;
}

void ratelimit_set(RateLimit *rl, unsigned burst, unsigned interval_ms)
{
    uint64_t cap;

    rate_clamp(&burst, &interval_ms);
    cap = (uint64_t)burst * interval_ms;
    /* O(keys), once per reload: keep each bucket's tokens, not its ms. */
    for (uint32_t i = rl->lru_head; i != NIL; i = rl->e[i].next) {
        struct entry *e = &rl->e[i];
        e->credit = rl->interval ? e->credit * interval_ms / rl->interval : cap;
        if (e->credit > cap)
            e->credit = cap;
    }
    rl->burst = burst;
    rl->interval = interval_ms;
}

size_t ratelimit_count(const RateLimit *rl)
{
    return rl->count;
}
