/* sendq.h - the single queue every outgoing IRC line goes through.
 *
 * Servers punish a client that talks too fast: InspIRCd 3 cuts it with
 * "Excess Flood" once (lines sent - seconds elapsed) reaches 10 (JOIN counts
 * 2, PONG 0); Solanum takes ~5 lines at once then ~2/s; ngircd only delays.
 * libircclient has no send queue of its own, so the daemon pops lines from
 * here no faster than a token bucket allows: a burst of `burst` lines, then
 * one every interval_ms (tokens refill continuously).  The defaults (burst 4,
 * 1100 ms) stay under all three rules indefinitely.
 *
 * Urgent lines (registration, PONG, QUIT, nick regain, JOIN: the caller
 * decides) go before all others and are never dropped for lack of room.
 * Normal lines are queued per target (channel or nick, RFC 1459 case-
 * insensitive) and served round-robin between targets, so one long answer in
 * a busy channel cannot starve a reply to someone else.  Room is shared out
 * too: one target holds at most a quarter of the queue, and private targets
 * (nicks) together at most half, so a flood of private questions under many
 * nicks can never fill the queue and silence the channels.
 *
 * Costs follow InspIRCd's accounting, the strictest we meet: PONG is free and
 * bypasses the bucket entirely when pushed as urgent (a PONG stuck behind a
 * throttled queue would get us pinged out); JOIN costs two tokens per channel
 * named; every other line one.
 *
 * Pure: no I/O, the caller passes a monotonic time in milliseconds.
 */
#ifndef MISSIVE_SENDQ_H
#define MISSIVE_SENDQ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SENDQ_PER_TARGET_MIN 8 /* per-target cap is max(this, max / 4) */
#define SENDQ_URGENT_MAX 1024  /* memory safety only, see sendq_push */

enum sendq_class {
    SENDQ_URGENT,
    SENDQ_NORMAL,
};

typedef struct {
    uint64_t lines_sent;    /* popped since sendq_new */
    uint64_t lines_dropped; /* refused by sendq_push for lack of room */
    size_t depth;           /* lines queued now, urgent included */
    size_t targets;         /* targets with normal lines queued */
} SendqStats;

typedef struct Sendq Sendq;

/* burst 0 counts as 1; interval_ms 0 means no limit (local tests only).
 * queue_max bounds the normal lines queued in total.  NULL on OOM. */
Sendq *sendq_new(unsigned burst, unsigned interval_ms, size_t queue_max);
void sendq_free(Sendq *q);

/* Queues line (without CR LF).  target names the channel or nick a normal
 * line is for (NULL or "" for lines with no target); it is ignored for urgent
 * lines.  Returns STATUS_OK, or the line was not queued:
 *   - STATUS_INVALID: invalid line (empty, CR or LF inside, longer than
 *     IRCLINE_BODY_MAX) or target longer than IRCLINE_BODY_MAX: a bug
 *     upstream;
 *   - STATUS_ERROR: normal line while queue_max lines are queued, or
 *     max(8, queue_max/4) for this target, or, for a nick (a target that
 *     is not a channel), max(that, queue_max/2) for all nicks together:
 *     the NEW line is dropped, so the beginning of an answer, which the
 *     reader sees first, survives; counted in lines_dropped;
 *   - STATUS_ERROR: urgent line while SENDQ_URGENT_MAX urgent lines wait
 *     (only a hostile server could cause that); counted in lines_dropped;
 *   - STATUS_ERROR: out of memory.
 * The caller logs the drop. */
Status sendq_push(Sendq *q, enum sendq_class cls, const char *target,
                  const char *line);

/* The last line of a connection (QUIT): drops every line queued, urgent
 * ones included, and queues line to go next without waiting for the bucket
 * (one line over the rate, after which the server closes the connection).
 * Until sendq_clear, every sendq_push is refused with STATUS_ERROR (not
 * counted as a drop).  *dropped (may be NULL) gets how many lines were
 * discarded, for the log.  STATUS_OK, STATUS_INVALID for an invalid line,
 * or STATUS_ERROR on OOM. */
Status sendq_push_final(Sendq *q, const char *line, size_t *dropped);

/* The next line to send now, or NULL when none is queued or the bucket is
 * empty.  Order: urgent PONGs, other urgent lines, then normal lines one per
 * target in turn.  The string (no CR LF) is borrowed: it stays valid until
 * the next sendq_pop, sendq_clear or sendq_free on q.  The caller must send
 * every line it pops: its tokens are spent. */
const char *sendq_pop(Sendq *q, uint64_t now_ms);

/* Gives back the line the last sendq_pop returned, when the transport could
 * not take it (libircclient refuses a line when its 1024-byte output buffer
 * is full): it goes back first in its queue and its tokens are refunded.
 * The borrowed string is then invalid.  Returns STATUS_OK, STATUS_NOTFOUND
 * when no line is lent, or STATUS_ERROR on OOM (the line is then lost). */
Status sendq_unpop(Sendq *q);

/* Milliseconds until sendq_pop can return a line (0: now), or -1 when nothing
 * is queued: the select() timeout of the event loop. */
long sendq_wait_ms(Sendq *q, uint64_t now_ms);

/* Drops everything queued and refills the bucket: call on disconnect (a new
 * connection starts with a clean flood counter on the server); pushes are
 * accepted again after sendq_push_final.  Cleared lines
 * are not counted as dropped; returns how many there were, for the log. */
size_t sendq_clear(Sendq *q);

/* New rate on reload; the tokens held are kept (rescaled, capped). */
void sendq_set_rate(Sendq *q, unsigned burst, unsigned interval_ms);

void sendq_stats(const Sendq *q, SendqStats *out);

#endif
