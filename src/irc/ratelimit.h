/* ratelimit.h - per-user and per-channel flood control for incoming commands.
 *
 * One token bucket per key ("user@host" for a user, see ratelimit_user_key;
 * "#chan" for a channel; keys compare with RFC 1459 case mapping): a burst of `burst` commands, then one
 * per interval_ms.  A denied user hears about it once (RATE_DENY_NOTIFY: the
 * bot sends one short notice) and is then ignored silently until the bucket
 * has refilled completely, i.e. until the user has been quiet for a while;
 * without this, answering every denied command would be a flood of its own.
 *
 * Memory is bounded: at most max_keys buckets, in a fixed table allocated
 * once.  A bucket that has refilled completely carries no information and is
 * recycled first; when all are in use, the least recently used one is.  Every
 * check is O(1) on average.
 *
 * Pure: no I/O, the caller passes a monotonic time in milliseconds.
 */
#ifndef MISSIVE_RATELIMIT_H
#define MISSIVE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_DEFAULT_KEYS 4096
/* Longer keys are compared on this prefix; an ident (~10) '@' and a host
 * (HOSTLEN 63 on most servers) fit. */
#define RATELIMIT_KEY_MAX 128

enum rate_verdict {
    RATE_ALLOW,
    RATE_DENY_NOTIFY, /* first denial: tell the user, once */
    RATE_DENY_SILENT, /* later denials: say nothing */
};

typedef struct RateLimit RateLimit;

/* burst 0 counts as 1; interval_ms 0 allows everything.  max_keys 0 means
 * RATELIMIT_DEFAULT_KEYS.  NULL on OOM. */
RateLimit *ratelimit_new(unsigned burst, unsigned interval_ms, size_t max_keys);
void ratelimit_free(RateLimit *rl);

/* The key a user's commands are counted under: "user@host" of an origin
 * "nick!user@host", so that a new nick is not a new allowance; the whole
 * origin when it has no '!'.  Points into origin. */
const char *ratelimit_user_key(const char *origin);

/* Spends one token of key's bucket if it has one. */
enum rate_verdict ratelimit_check(RateLimit *rl, const char *key,
                                  uint64_t now_ms);

/* New rate on reload; every bucket keeps the tokens it holds (capped). */
void ratelimit_set(RateLimit *rl, unsigned burst, unsigned interval_ms);

/* Buckets currently held (<= max_keys). */
size_t ratelimit_count(const RateLimit *rl);

#endif
