/* state.c - fair shuffles and channel settings in the corpus database
 * (see state.h).
 *
 * A shuffle cycle is (n, seed, pos): the cycle shows shuffle_index(seed, n,
 * 0), then 1, ... up to n-1.  Nothing is stored per passage, so a cycle over
 * any filter costs one row however large the corpus, and each step is one
 * primary-key read, one corpus_pick() and one UPSERT.  In lazy mode (the
 * bot's, state_set_lazy) the UPSERT and the read leave the step: positions
 * stay in memory and state_flush() writes them all in one transaction, once
 * a second from the bot's loop.  A write transaction per !quote was most of
 * the bot's own latency; the price is that a crash forgets the last second
 * of steps, so a few passages may come again early after it.
 *
 * Channel settings are few (one row per channel an operator configured) and
 * read on every channel message, so all of them are loaded at start and kept
 * in memory; changes are written to the database first and cached only when
 * the write succeeded.
 */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "casefold.h"
#include "db.h"

#define STATE_PENDING_MAX 4096 /* shuffle positions kept in memory */
#define STATE_WALK_MAX 1024    /* positions a pick may pass over */

/* --- the permutation ------------------------------------------------------ */

#define SHUFFLE_ROUNDS 4
#define SHUFFLE_GOLDEN UINT64_C(0x9e3779b97f4a7c15)

/* splitmix64's output function: a bijective 64-bit mixer whose every output
 * bit depends on every input bit. */
static uint64_t shuffle_mix(uint64_t z)
{
    z += SHUFFLE_GOLDEN;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* One pass of the Feistel network on a 2h-bit value: a bijection on
 * [0, 2^2h) whatever the round function. */
static uint64_t shuffle_feistel(const uint64_t key[SHUFFLE_ROUNDS], unsigned h,
                                uint64_t x)
{
    uint64_t mask = (UINT64_C(1) << h) - 1;
    uint64_t l = x >> h, r = x & mask;
    for (int i = 0; i < SHUFFLE_ROUNDS; i++) {
        uint64_t t = l ^ (shuffle_mix(key[i] ^ r) & mask);
        l = r;
        r = t;
    }
    return (l << h) | r;
}

uint64_t shuffle_index(uint64_t seed, uint64_t n, uint64_t pos)
{
    if (n <= 1)
        return 0;
    pos %= n;

    /* Half width h: the domain 2^2h is the smallest even power of two
     * holding n - 1, so it is below 4n and cycle-walking takes fewer than 4
     * passes on average.  h <= 32, so every shift below is defined. */
    unsigned bits = 0;
    while (bits < 64 && ((n - 1) >> bits) != 0) bits++;
    unsigned h = (bits + 1) / 2;

    uint64_t key[SHUFFLE_ROUNDS];
    for (int i = 0; i < SHUFFLE_ROUNDS; i++)
        key[i] = shuffle_mix(seed + SHUFFLE_GOLDEN * (uint64_t)(i + 1));

    /* Cycle-walking: pos lies on a cycle of the domain's permutation that
     * comes back to pos < n, so this ends, and restricting the permutation
     * this way keeps it a bijection on [0, n). */
    uint64_t x = pos;
    do x = shuffle_feistel(key, h, x);
    while (x >= n);
    return x;
}

/* --- statements and the State ------------------------------------------- */

enum state_stmt {
    ST_SHUFFLE_GET,
    ST_SHUFFLE_PUT,
    ST_CHANNEL_PUT,
    ST_CHANNEL_DEL,
    ST_DAILY_GET,
    ST_DAILY_MODE,
    ST_DAILY_RECORD,
    ST_COUNT_STMTS
};

static const char *const state_sql[ST_COUNT_STMTS] = {
    [ST_SHUFFLE_GET] = "SELECT n, seed, pos FROM shuffles"
                       " WHERE channel = ?1 AND filter = ?2",
    [ST_SHUFFLE_PUT] = "INSERT INTO shuffles (channel, filter, n, seed, pos)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)"
                       " ON CONFLICT (channel, filter) DO UPDATE"
                       " SET n = excluded.n, seed = excluded.seed,"
                       "     pos = excluded.pos",
    [ST_CHANNEL_PUT] = "INSERT INTO channel_settings"
                       " (channel, prefix, disabled, addressed)"
                       " VALUES (?1, ?2, ?3, ?4)"
                       " ON CONFLICT (channel) DO UPDATE"
                       " SET prefix = excluded.prefix,"
                       "     disabled = excluded.disabled,"
                       "     addressed = excluded.addressed",
    [ST_CHANNEL_DEL] = "DELETE FROM channel_settings WHERE channel = ?1",
    [ST_DAILY_GET] = "SELECT mode, hour, minute, zone, done, pending, letter,"
                     " para, sends FROM daily WHERE channel = ?1",
    [ST_DAILY_MODE] = "INSERT INTO daily (channel, mode, hour, minute, zone)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)"
                      " ON CONFLICT (channel) DO UPDATE"
                      " SET mode = excluded.mode, hour = excluded.hour,"
                      "     minute = excluded.minute, zone = excluded.zone",
    [ST_DAILY_RECORD] = "INSERT INTO daily (channel, done, pending, letter,"
                        " para, sends) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        " ON CONFLICT (channel) DO UPDATE"
                        " SET done = excluded.done,"
                        "     pending = excluded.pending,"
                        "     letter = excluded.letter,"
                        "     para = excluded.para, sends = excluded.sends",
};

typedef struct {
    char *channel; /* folded */
    ChannelSettings cs;
} ChannelEntry;

typedef struct {
    sqlite3_int64 n, pos;
    uint64_t seed;
} ShuffleRow;

/* A shuffle position not yet in the database: another connection held the
 * write lock, or the database is read-only. */
typedef struct {
    char *channel; /* folded */
    char *key;     /* state_filter_key */
    ShuffleRow row;
} PendingShuffle;

struct State {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT_STMTS];
    bool readonly;  /* positions live in pending only */
    bool deferring; /* a deferral was reported; said again once it ends */
    bool lazy;      /* positions are written by state_flush() only */
    PendingShuffle *pending;
    size_t npending, pending_cap;
    /* Entries are allocated one by one and never removed before
     * state_free(), so state_channel() can hand out stable pointers. */
    ChannelEntry **chans;
    size_t nchans, cap;
};

static const ChannelSettings state_defaults = {.addressed = -1};

static void state_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no row. */
static int state_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    state_done(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* SQLite integers are signed: a 64-bit seed is stored by its bits. */
static sqlite3_int64 state_u64_to_i64(uint64_t u)
{
    sqlite3_int64 i;
    memcpy(&i, &u, sizeof i);
    return i;
}

static uint64_t state_i64_to_u64(sqlite3_int64 i)
{
    uint64_t u;
    memcpy(&u, &i, sizeof u);
    return u;
}

/* --- names ---------------------------------------------------------------- */

/* Copies channel, folded, to out; NULL is "".  A channel name holds no
 * space, comma, BEL or other control byte (RFC 2812 2.3.1) and fits in a
 * line. */
static int state_channel_key(const char *channel,
                             char out[STATE_CHANNEL_MAX + 1])
{
    size_t len = 0;
    if (!channel)
        channel = "";
    for (const unsigned char *p = (const unsigned char *)channel; *p; p++) {
        if (*p <= ' ' || *p == ',' || *p == 0x7f || ++len > STATE_CHANNEL_MAX)
            return -1;
    }
    memcpy(out, channel, len + 1);
    casefold_str(out);
    return 0;
}

static bool state_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Copies a command name, lower-cased, to out: 1..STATE_COMMAND_MAX letters. */
static int state_command_key(const char *command,
                             char out[STATE_COMMAND_MAX + 1])
{
    size_t len = 0;
    if (!command)
        return -1;
    for (; command[len]; len++) {
        if (len >= STATE_COMMAND_MAX || !state_letter(command[len]))
            return -1;
        char c = command[len];
        out[len] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[len] = '\0';
    return len > 0 ? 0 : -1;
}

static bool state_prefix_valid(const char *prefix)
{
    size_t len = 0;
    for (; prefix[len]; len++)
        if (len >= STATE_PREFIX_MAX || prefix[len] <= ' ' || prefix[len] > '~')
            return false;
    return len > 0;
}

/* --- fair shuffles -------------------------------------------------------- */

/* Appends a name with '\', ';' and '=' escaped, so that no two filters
 * share a key. */
static void state_key_name(sqlite3_str *key, const char *field,
                           const char *name)
{
    sqlite3_str_appendall(key, field);
    /* Runs between the bytes to escape go in one append each (a loop:
     * names are short, and strcspn with a set of three is one more libc
     * routine mapped in for the bot's idle RSS). */
    for (const char *p = name ? name : ""; *p;) {
        int run = 0;
        while (p[run] && p[run] != '\\' && p[run] != ';' && p[run] != '=')
            run++;
        sqlite3_str_append(key, p, run);
        p += run;
        if (*p) {
            sqlite3_str_appendchar(key, 1, '\\');
            sqlite3_str_appendchar(key, 1, *p++);
        }
    }
}

/* "sender=Stalin;recipient=;year=1941": empty for "any".  (A sender of ""
 * would share the key of NULL, but matches no passage, so it never gets a
 * cycle.)  NULL when out of memory; sqlite3_free() the key. */
static char *state_filter_key(const PassageFilter *f)
{
    static const PassageFilter any = {0};
    if (!f)
        f = &any;
    sqlite3_str *key = sqlite3_str_new(NULL);
    state_key_name(key, "sender=", f->sender);
    state_key_name(key, ";recipient=", f->recipient);
    sqlite3_str_appendall(key, ";year=");
    if (f->year != 0)
        sqlite3_str_appendf(key, "%d", f->year);
    return sqlite3_str_finish(key);
}

static uint64_t state_random_seed(void)
{
    return (uint64_t)arc4random() << 32 | arc4random();
}

/* Reads the cycle; 1 found, 0 none, -1 error (reported as a warning: the
 * caller goes on as if there were none). */
static int state_shuffle_get(State *s, const char *channel, const char *key,
                             ShuffleRow *row, Error *err)
{
    sqlite3_stmt *st = s->st[ST_SHUFFLE_GET];
    sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->n = sqlite3_column_int64(st, 0);
        row->seed = state_i64_to_u64(sqlite3_column_int64(st, 1));
        row->pos = sqlite3_column_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
        error_report(err, SEVERITY_WARNING,
                     "state: reading the shuffle of '%s': %s", channel,
                     sqlite3_errmsg(s->db));
    }
    state_done(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int state_shuffle_put(State *s, const char *channel, const char *key,
                             const ShuffleRow *row)
{
    sqlite3_stmt *st = s->st[ST_SHUFFLE_PUT];
    sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, row->n);
    sqlite3_bind_int64(st, 4, state_u64_to_i64(row->seed));
    sqlite3_bind_int64(st, 5, row->pos);
    return state_step_done(st);
}

static PendingShuffle *state_pending_find(State *s, const char *channel,
                                          const char *key)
{
    for (size_t i = 0; i < s->npending; i++)
        if (strcmp(s->pending[i].channel, channel) == 0 &&
            strcmp(s->pending[i].key, key) == 0)
            return &s->pending[i];
    return NULL;
}

static void state_pending_drop(State *s, PendingShuffle *p)
{
    free(p->channel);
    free(p->key);
    *p = s->pending[--s->npending];
}

static void state_pending_clear(State *s)
{
    while (s->npending > 0) state_pending_drop(s, &s->pending[0]);
}

/* Keeps row as channel's position in memory; -1 when out of memory or
 * when too many are kept already. */
static int state_pending_set(State *s, const char *channel, const char *key,
                             const ShuffleRow *row)
{
    PendingShuffle *p = state_pending_find(s, channel, key);
    if (p) {
        p->row = *row;
        return 0;
    }
    if (s->npending >= STATE_PENDING_MAX ||
        array_grow(&s->pending, &s->pending_cap, s->npending + 1,
                   sizeof *s->pending) != STATUS_OK)
        return -1;
    p = &s->pending[s->npending];
    p->channel = strdup(channel);
    p->key = strdup(key);
    p->row = *row;
    if (!p->channel || !p->key) {
        free(p->channel);
        free(p->key);
        return -1;
    }
    s->npending++;
    return 0;
}

/* Saves the position; when the write cannot happen now, keeps it in memory
 * for state_flush() and says so once per episode.  Never waits: the
 * connection's busy timeout is the caller's (the bot's is a few ms). */
static void state_shuffle_save(State *s, const char *channel, const char *key,
                               const ShuffleRow *row, Error *err)
{
    PendingShuffle *p = state_pending_find(s, channel, key);
    /* Lazy: kept for state_flush(), unless too many are kept already. */
    if (s->lazy && !s->readonly && (p || s->npending < STATE_PENDING_MAX) &&
        state_pending_set(s, channel, key, row) == 0)
        return;
    if (!s->readonly && state_shuffle_put(s, channel, key, row) == 0) {
        if (p)
            state_pending_drop(s, p);
        return;
    }
    bool busy = !s->readonly && db_busy(s->db);
    if (!s->readonly && !busy)
        error_report(err, SEVERITY_WARNING,
                     "state: cannot save the shuffle of '%s' (%s): kept in "
                     "memory",
                     channel, sqlite3_errmsg(s->db));
    if (state_pending_set(s, channel, key, row) < 0) {
        error_report(err, SEVERITY_WARNING,
                     "state: cannot keep the shuffle of '%s': passages may "
                     "repeat early",
                     channel);
        return;
    }
    if (busy && !s->deferring) {
        s->deferring = true;
        error_report(err, SEVERITY_WARNING,
                     "state: the database is locked by another process: "
                     "!quote shuffle positions are kept in memory and saved "
                     "once it is free");
    }
}

/* Starts a new cycle in *row.  After a completed cycle of the same size the
 * new order must not begin with the passage just shown; each try fails with
 * probability about 1/n, so eight tries all fail about never, and then a
 * repeat is merely allowed. */
static void state_shuffle_restart(ShuffleRow *row, long n, bool completed)
{
    uint64_t last = 0;
    bool avoid = completed && row->n == n && n > 1;
    if (avoid)
        last = shuffle_index(row->seed, (uint64_t)n, (uint64_t)n - 1);
    row->seed = state_random_seed();
    for (int i = 0;
         avoid && i < 8 && shuffle_index(row->seed, (uint64_t)n, 0) == last;
         i++)
        row->seed = state_random_seed();
    row->n = n;
    row->pos = 0;
}

Status state_next_passage(State *s, Corpus *c, const char *channel,
                          const PassageFilter *f, Passage *out, Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    ShuffleRow row = {0}, first_row = {0};
    Passage first = {0};
    bool have_first = false;
    long n;
    Status rc;

    memset(out, 0, sizeof *out);
    if (state_channel_key(channel, chan) < 0) {
        error_report(err, SEVERITY_DEBUG,
                     "state: no shuffle for an invalid channel name");
        return corpus_random(c, f, out, err);
    }
    char *key = state_filter_key(f);
    if (!key)
        return error_set(err, STATUS_ERROR, "state: out of memory");
    if ((rc = corpus_count(c, f, &n, err)) != STATUS_OK)
        goto done;
    if (n <= 0) {
        rc = STATUS_NOTFOUND;
        goto done;
    }

    /* A position not yet saved is the newest.  A failed read is a warning
     * and treated as no cycle: the user still gets a passage, and fairness
     * resumes once the database answers. */
    const PendingShuffle *pend = state_pending_find(s, chan, key);
    int found = 1;
    if (pend)
        row = pend->row;
    else
        found = state_shuffle_get(s, chan, key, &row, err);
    bool completed = found == 1 && row.pos >= row.n;
    if (found != 1 || row.n != n || row.pos < 0 || row.pos >= n)
        state_shuffle_restart(&row, n, completed);

    /* Passages the filter passes over (see PassageFilter) are skipped, and
     * count as shown in this cycle; at the end of a cycle the next one
     * begins.  When 2n positions (the rest of this cycle and a whole new
     * one) hold nothing else, or STATE_WALK_MAX of them, the first pick is
     * shown after all, and the cycle moves on from it alone. */
    long walk = 2 * n < STATE_WALK_MAX ? 2 * n : STATE_WALK_MAX;
    for (long i = 0; i < walk; i++) {
        if (row.pos >= n)
            state_shuffle_restart(&row, n, true);
        uint64_t k = shuffle_index(row.seed, (uint64_t)n, (uint64_t)row.pos);
        Passage *into = have_first ? out : &first;
        if ((rc = corpus_pick(c, f, (long)k, into, err)) != STATUS_OK)
            goto done; /* the corpus changed under us: the cycle stays */
        row.pos++;
        if (!corpus_passed_over(f, into)) {
            if (have_first)
                passage_clear(&first);
            else
                *out = first;
            have_first = false;
            break;
        }
        if (!have_first) {
            have_first = true;
            first_row = row;
        } else {
            passage_clear(out);
        }
    }
    if (have_first) {
        *out = first;
        row = first_row;
        have_first = false;
    }
    state_shuffle_save(s, chan, key, &row, err);

done:
    if (have_first)
        passage_clear(&first);
    sqlite3_free(key);
    return rc;
}

/* The lock is held by another process: in lazy mode the flush is where
 * that is first seen, so the episode is said here, once. */
static Status state_flush_busy(State *s, Error *err)
{
    if (s->lazy && !s->deferring) {
        s->deferring = true;
        error_report(err, SEVERITY_WARNING,
                     "state: the database is locked by another process: "
                     "!quote shuffle positions are kept in memory and saved "
                     "once it is free");
    }
    return STATUS_OK;
}

void state_set_lazy(State *s, bool lazy)
{
    s->lazy = lazy;
}

Status state_flush(State *s, Error *err)
{
    size_t n = s->npending;
    if (n == 0 || s->readonly)
        return STATUS_OK;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto failed;
    for (size_t i = 0; i < n; i++) {
        const PendingShuffle *p = &s->pending[i];
        if (state_shuffle_put(s, p->channel, p->key, &p->row) < 0)
            goto rollback;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    state_pending_clear(s);
    if (s->deferring)
        error_report(err, SEVERITY_INFO,
                     "state: the database is free again: %zu deferred "
                     "shuffle position(s) saved",
                     n);
    s->deferring = false;
    return STATUS_OK;

rollback:;
    bool busy = db_busy(s->db);
    char why[ERROR_MSG_MAX];
    snprintf(why, sizeof why, "%s", sqlite3_errmsg(s->db));
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (busy)
        return state_flush_busy(s, err);
    return error_set(err, STATUS_ERROR, "state: saving %zu shuffle(s): %s", n,
                     why);
failed:
    if (db_busy(s->db))
        return state_flush_busy(s, err);
    return error_set(err, STATUS_ERROR, "state: saving %zu shuffle(s): %s", n,
                     sqlite3_errmsg(s->db));
}

size_t state_pending(const State *s)
{
    return s->npending;
}

/* --- channel settings ----------------------------------------------------- */

static ChannelEntry *state_find(const State *s, const char *chan)
{
    /* O(channels): a bot sits in a handful, and configured ones fewer. */
    for (size_t i = 0; i < s->nchans; i++)
        if (strcmp(s->chans[i]->channel, chan) == 0)
            return s->chans[i];
    return NULL;
}

/* Adds a cache entry with default settings; NULL when out of memory. */
static ChannelEntry *state_add(State *s, const char *chan)
{
    ChannelEntry *e = calloc(1, sizeof *e);
    if (!e || !(e->channel = strdup(chan)) ||
        array_grow(&s->chans, &s->cap, s->nchans + 1, sizeof *s->chans) !=
            STATUS_OK) {
        if (e)
            free(e->channel);
        free(e);
        return NULL;
    }
    e->cs = state_defaults;
    s->chans[s->nchans++] = e;
    return e;
}

static bool state_is_default(const ChannelSettings *cs)
{
    return cs->prefix[0] == '\0' && cs->addressed < 0 && cs->ndisabled == 0;
}

/* Parses a stored "quote,search" into cs, skipping (and reporting) names
 * that are not valid: the row may have been edited by hand. */
static void state_parse_disabled(ChannelSettings *cs, const char *chan,
                                 const char *list, Error *err)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char word[STATE_COMMAND_MAX + 1], name[STATE_COMMAND_MAX + 1];
        if (len > 0) {
            bool ok = len <= STATE_COMMAND_MAX;
            if (ok) {
                memcpy(word, p, len);
                word[len] = '\0';
                ok = state_command_key(word, name) == 0;
            }
            if (!ok || cs->ndisabled >= STATE_DISABLED_MAX)
                error_report(err, SEVERITY_WARNING,
                             "state: channel '%s': ignoring disabled command "
                             "'%.*s'",
                             chan, (int)(len > 32 ? 32 : len), p);
            else if (!state_command_disabled(cs, name))
                memcpy(cs->disabled[cs->ndisabled++], name, len + 1);
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

static Status state_load(State *s, Error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT channel, prefix, disabled, addressed"
                           " FROM channel_settings",
                           -1, &st, NULL) != SQLITE_OK)
        return error_set(err, STATUS_ERROR,
                         "state: loading channel settings: %s",
                         sqlite3_errmsg(s->db));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *raw = (const char *)sqlite3_column_text(st, 0);
        const char *prefix = (const char *)sqlite3_column_text(st, 1);
        const char *disabled = (const char *)sqlite3_column_text(st, 2);
        char chan[STATE_CHANNEL_MAX + 1];
        ChannelEntry *e;

        if (!raw || state_channel_key(raw, chan) < 0 ||
            strcmp(raw, chan) != 0) {
            error_report(err, SEVERITY_WARNING,
                         "state: ignoring settings of an invalid channel name");
            continue;
        }
        if (!(e = state_find(s, chan)) && !(e = state_add(s, chan))) {
            error_set(err, STATUS_ERROR, "state: out of memory");
            goto fail;
        }
        if (prefix && state_prefix_valid(prefix))
            memcpy(e->cs.prefix, prefix, strlen(prefix) + 1);
        else if (prefix)
            error_report(err, SEVERITY_WARNING,
                         "state: channel '%s': ignoring an invalid prefix",
                         chan);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            e->cs.addressed = sqlite3_column_int64(st, 3) != 0;
        state_parse_disabled(&e->cs, chan, disabled ? disabled : "", err);
    }
    if (rc != SQLITE_DONE) {
        error_set(err, STATUS_ERROR, "state: loading channel settings: %s",
                  sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_finalize(st);
    return STATUS_OK;

fail:
    sqlite3_finalize(st);
    return STATUS_ERROR;
}

/* Writes cs as channel's row (none when all default), then caches it.  On
 * failure the cache is unchanged. */
static Status state_save(State *s, const char *chan, const ChannelSettings *cs,
                         Error *err)
{
    ChannelEntry *e = state_find(s, chan);
    sqlite3_stmt *st;
    char list[STATE_DISABLED_MAX * (STATE_COMMAND_MAX + 1)] = "";
    size_t len = 0;

    /* Reserve the cache entry first: after a successful write the cache must
     * not be left behind for want of memory. */
    if (!e && !(e = state_add(s, chan)))
        return error_set(err, STATUS_ERROR, "state: out of memory");
    for (size_t i = 0; i < cs->ndisabled; i++) {
        size_t w = strlen(cs->disabled[i]);
        if (i)
            list[len++] = ',';
        memcpy(list + len, cs->disabled[i], w + 1);
        len += w;
    }
    if (state_is_default(cs)) {
        st = s->st[ST_CHANNEL_DEL];
        sqlite3_bind_text(st, 1, chan, -1, SQLITE_STATIC);
    } else {
        st = s->st[ST_CHANNEL_PUT];
        sqlite3_bind_text(st, 1, chan, -1, SQLITE_STATIC);
        if (cs->prefix[0])
            sqlite3_bind_text(st, 2, cs->prefix, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, list, -1, SQLITE_STATIC);
        if (cs->addressed >= 0)
            sqlite3_bind_int(st, 4, cs->addressed);
    }
    if (state_step_done(st) < 0)
        return error_set(err, STATUS_ERROR,
                         "state: saving the settings of '%s': %s", chan,
                         sqlite3_errmsg(s->db));
    e->cs = *cs;
    return STATUS_OK;
}

static Status state_bad_channel(Error *err)
{
    return error_set(err, STATUS_INVALID, "not a valid channel name");
}

const ChannelSettings *state_channel(State *s, const char *channel)
{
    char chan[STATE_CHANNEL_MAX + 1];
    const ChannelEntry *e;
    if (state_channel_key(channel, chan) < 0 || !(e = state_find(s, chan)))
        return &state_defaults;
    return &e->cs;
}

Status state_channel_get(State *s, const char *channel, ChannelSettings *out,
                         Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    *out = *state_channel(s, channel);
    return state_channel_key(channel, chan) < 0 ? state_bad_channel(err)
                                                : STATUS_OK;
}

Status state_channel_set_prefix(State *s, const char *channel,
                                const char *prefix, Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    if (state_channel_key(channel, chan) < 0)
        return state_bad_channel(err);
    if (prefix && !state_prefix_valid(prefix))
        return error_set(err, STATUS_INVALID,
                         "a prefix is 1 to 8 printable characters, no spaces");
    ChannelSettings cs = *state_channel(s, chan);
    snprintf(cs.prefix, sizeof cs.prefix, "%s", prefix ? prefix : "");
    return state_save(s, chan, &cs, err);
}

Status state_channel_set_addressed(State *s, const char *channel, int addressed,
                                   Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    if (state_channel_key(channel, chan) < 0)
        return state_bad_channel(err);
    ChannelSettings cs = *state_channel(s, chan);
    cs.addressed = addressed == 0 || addressed == 1 ? addressed : -1;
    return state_save(s, chan, &cs, err);
}

Status state_channel_enable(State *s, const char *channel, const char *command,
                            bool enable, Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1], name[STATE_COMMAND_MAX + 1];
    if (state_channel_key(channel, chan) < 0)
        return state_bad_channel(err);
    if (state_command_key(command, name) < 0)
        return error_set(err, STATUS_INVALID,
                         "a command name is 1 to 16 letters");
    if (!enable && (strcmp(name, "help") == 0 || strcmp(name, "more") == 0))
        return error_set(err, STATUS_INVALID,
                         "help and more cannot be disabled");

    ChannelSettings cs = *state_channel(s, chan);
    size_t i = 0;
    while (i < cs.ndisabled && strcmp(cs.disabled[i], name) != 0) i++;
    if (enable == (i == cs.ndisabled))
        return STATUS_OK; /* already as asked */
    if (enable) {
        memmove(cs.disabled[i], cs.disabled[i + 1],
                (cs.ndisabled - i - 1) * sizeof cs.disabled[0]);
        cs.ndisabled--;
    } else {
        if (cs.ndisabled >= STATE_DISABLED_MAX)
            return error_set(err, STATUS_INVALID,
                             "too many commands disabled here");
        memcpy(cs.disabled[cs.ndisabled++], name, sizeof name);
    }
    return state_save(s, chan, &cs, err);
}

bool state_command_disabled(const ChannelSettings *cs, const char *command)
{
    char name[STATE_COMMAND_MAX + 1];
    if (state_command_key(command, name) < 0)
        return false;
    for (size_t i = 0; i < cs->ndisabled; i++)
        if (strcmp(cs->disabled[i], name) == 0)
            return true;
    return false;
}

/* --- the quote of the day ------------------------------------------------- */

/* "YYYY-MM-DD" to a date; false when it is not one. */
static bool state_date_parse(const unsigned char *t, DailyDate *d)
{
    int y, m, day, n = 0;
    if (!t || sscanf((const char *)t, "%4d-%2d-%2d%n", &y, &m, &day, &n) != 3 ||
        n != 10 || t[10] != '\0' || m < 1 || m > 12 || day < 1 || day > 31)
        return false;
    DailyDate x = {y, m, day};
    DailyDate norm = daily_date_add(x, 0);
    if (norm.month != m || norm.day != day)
        return false;
    *d = x;
    return true;
}

static void state_date_format(DailyDate d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d.year, d.month, d.day);
}

Status state_daily_get(State *s, const char *channel, StateDaily *out,
                       Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    memset(out, 0, sizeof *out);
    out->mode = STATE_DAILY_DEFAULT;
    if (state_channel_key(channel, chan) < 0 || !chan[0])
        return state_bad_channel(err);
    sqlite3_stmt *st = s->st[ST_DAILY_GET];
    sqlite3_bind_text(st, 1, chan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *zone = sqlite3_column_text(st, 3);
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            int mode = sqlite3_column_int(st, 0);
            int h = sqlite3_column_int(st, 1), m = sqlite3_column_int(st, 2);
            if (mode == 0)
                out->mode = STATE_DAILY_OFF;
            else if (mode == 1 && h >= 0 && h <= 23 && m >= 0 && m <= 59 &&
                     zone && strlen((const char *)zone) <= STATE_ZONE_MAX) {
                out->mode = STATE_DAILY_ON;
                out->hour = h;
                out->minute = m;
                memcpy(out->zone, zone, strlen((const char *)zone) + 1);
            }
        }
        out->record.has_done =
            state_date_parse(sqlite3_column_text(st, 4), &out->record.done);
        out->record.has_pending =
            state_date_parse(sqlite3_column_text(st, 5), &out->record.pending);
        out->letter = sqlite3_column_int(st, 6);
        out->para = sqlite3_column_int(st, 7);
        out->record.sends = sqlite3_column_int(st, 8);
        if (out->letter <= 0 || out->para <= 0)
            out->record.has_pending = false;
        if (!out->record.has_pending)
            out->letter = out->para = out->record.sends = 0;
    }
    state_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return error_set(err, STATUS_ERROR,
                         "state: reading the daily post of '%s': %s", chan,
                         sqlite3_errmsg(s->db));
    return STATUS_OK;
}

Status state_daily_set_mode(State *s, const char *channel, StateDailyMode mode,
                            int hour, int minute, const char *zone, Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1];
    if (state_channel_key(channel, chan) < 0 || !chan[0])
        return state_bad_channel(err);
    if (mode == STATE_DAILY_ON &&
        (hour < 0 || hour > 23 || minute < 0 || minute > 59 || !zone ||
         !zone[0] || strlen(zone) > STATE_ZONE_MAX))
        return error_set(err, STATUS_INVALID, "not a valid time or zone");
    sqlite3_stmt *st = s->st[ST_DAILY_MODE];
    sqlite3_bind_text(st, 1, chan, -1, SQLITE_STATIC);
    if (mode != STATE_DAILY_DEFAULT)
        sqlite3_bind_int(st, 2, mode == STATE_DAILY_ON);
    if (mode == STATE_DAILY_ON) {
        sqlite3_bind_int(st, 3, hour);
        sqlite3_bind_int(st, 4, minute);
        sqlite3_bind_text(st, 5, zone, -1, SQLITE_STATIC);
    }
    if (state_step_done(st) < 0)
        return error_set(err, STATUS_ERROR,
                         "state: saving the daily post of '%s': %s", chan,
                         sqlite3_errmsg(s->db));
    return STATUS_OK;
}

Status state_daily_set_record(State *s, const char *channel,
                              const DailyRecord *rec, int letter, int para,
                              Error *err)
{
    char chan[STATE_CHANNEL_MAX + 1], done[16], pending[16];
    if (state_channel_key(channel, chan) < 0 || !chan[0])
        return state_bad_channel(err);
    sqlite3_stmt *st = s->st[ST_DAILY_RECORD];
    sqlite3_bind_text(st, 1, chan, -1, SQLITE_STATIC);
    if (rec->has_done) {
        state_date_format(rec->done, done);
        sqlite3_bind_text(st, 2, done, -1, SQLITE_STATIC);
    }
    if (rec->has_pending) {
        state_date_format(rec->pending, pending);
        sqlite3_bind_text(st, 3, pending, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, letter);
        sqlite3_bind_int(st, 5, para);
    }
    sqlite3_bind_int(st, 6, rec->has_pending ? rec->sends : 0);
    if (state_step_done(st) < 0)
        return error_set(err, STATUS_ERROR,
                         "state: saving the daily post of '%s': %s", chan,
                         sqlite3_errmsg(s->db));
    return STATUS_OK;
}

/* --- lifetime ------------------------------------------------------------- */

State *state_new(sqlite3 *db, Error *err)
{
    State *s = calloc(1, sizeof *s);
    if (!s) {
        error_set(err, STATUS_ERROR, "state: out of memory");
        return NULL;
    }
    s->db = db;
    for (int i = 0; i < ST_COUNT_STMTS; i++) {
        if (sqlite3_prepare_v3(db, state_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->st[i], NULL) != SQLITE_OK) {
            error_set(err, STATUS_ERROR, "state: preparing statement %d: %s", i,
                      sqlite3_errmsg(db));
            goto fail;
        }
    }
    if (state_load(s, err) != STATUS_OK)
        goto fail;
    if (sqlite3_db_readonly(db, "main") == 1) {
        s->readonly = true;
        error_report(err, SEVERITY_WARNING,
                     "state: %s is read-only: !quote shuffles are kept in "
                     "memory only and channel settings cannot change",
                     sqlite3_db_filename(db, "main"));
    }
    return s;

fail:
    state_free(s);
    return NULL;
}

void state_free(State *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT_STMTS; i++) sqlite3_finalize(s->st[i]);
    state_pending_clear(s);
    free(s->pending);
    for (size_t i = 0; i < s->nchans; i++) {
        free(s->chans[i]->channel);
        free(s->chans[i]);
    }
    free(s->chans);
    free(s);
}
