/* state.h - what the bot remembers between messages and across restarts.
 *
 * Three things live next to the corpus, in the same SQLite file (schema 3,
 * see db.c):
 *
 *  - fair shuffles: per channel and filter, "!quote" walks a random
 *    permutation of the matching passages, so no passage repeats before all
 *    of them have been shown.  The permutation is a keyed bijection
 *    (shuffle_index), so the whole cycle is stored as three integers (n, seed,
 *    pos) and each step is O(1) plus one corpus_pick();
 *  - per-channel settings (command prefix, disabled commands, whether the bot
 *    answers when addressed by nick), read from an in-memory cache so that
 *    the hot path -- "is this channel message a command here?" -- runs no SQL;
 *  - the quote of the day per channel: an owner's time and zone, and the
 *    exactly-once record of the last day posted (see base/daily.h).
 *
 * Channels are compared after RFC 1459 folding (casefold.h); NULL or
 * "" means private messages and the console.  Every value is bound, never
 * spliced into SQL.
 */
#ifndef MISSIVE_STATE_H
#define MISSIVE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "corpus.h"
#include "daily.h"
#include "error.h"

#define STATE_PREFIX_MAX 8    /* bytes of a channel's command prefix */
#define STATE_COMMAND_MAX 16  /* letters of a command name */
#define STATE_DISABLED_MAX 8  /* commands disabled in one channel */
#define STATE_CHANNEL_MAX 510 /* an IRC line body: no channel name is longer */

/* The settings functions refuse with STATUS_INVALID and one of these
 * reasons in err->msg, worded for the owner who asked:
 *   - a channel name too long, or holding a space, comma or control:
 *     "not a valid channel name";
 *   - a prefix that is not 1..8 printable, non-space ASCII bytes:
 *     "a prefix is 1 to 8 printable characters, no spaces";
 *   - a command name that is not 1..16 ASCII letters:
 *     "a command name is 1 to 16 letters";
 *   - disabling "help" or "more": "help and more cannot be disabled";
 *   - STATE_DISABLED_MAX commands already off:
 *     "too many commands disabled here".
 * Database or memory trouble is STATUS_ERROR with the reason in err. */

typedef struct {
    char prefix[STATE_PREFIX_MAX + 1]; /* "": the configured prefix */
    int addressed;                     /* -1: as configured; 0 off; 1 on */
    size_t ndisabled;
    char disabled[STATE_DISABLED_MAX][STATE_COMMAND_MAX + 1]; /* lower case */
} ChannelSettings;

typedef struct State State;

/* --- the permutation ------------------------------------------------------ */

/* The pos-th element of a pseudo-random permutation of [0, n) chosen by
 * seed: for a fixed seed and n, pos -> shuffle_index is a bijection on
 * [0, n).  A 4-round Feistel network on the smallest even-bit-width domain
 * holding n (under 4n), cycle-walked back into [0, n): O(1) memory, O(1)
 * expected time (under 4 rounds of walking on average).  pos >= n is taken
 * modulo n; n == 0 gives 0. */
uint64_t shuffle_index(uint64_t seed, uint64_t n, uint64_t pos);

/* --- lifetime ------------------------------------------------------------- */

/* Prepares the statements and loads every channel's settings into the
 * cache.  db must be at schema 2 or later (db_open); the caller keeps
 * ownership of it and closes it after state_free().  A read-only connection
 * works: shuffles then live in memory only (see state_next_passage) and
 * settings cannot be changed, which is said once, as a SEVERITY_WARNING
 * line through err.  NULL with the reason in err on error.  Stored settings
 * that are not valid (edited by hand) are skipped, each reported through
 * err as a SEVERITY_WARNING line. */
State *state_new(sqlite3 *db, Error *err);
void state_free(State *s);

/* --- fair shuffles -------------------------------------------------------- */

/* The next passage matching f (NULL: any) in channel's shuffle cycle.  A new
 * cycle, with a fresh random order, begins when the channel has none for
 * this filter, when the previous one is complete, or when the number of
 * matching passages changed (the corpus was re-imported); a new cycle never
 * starts with the passage that ended the previous one (n > 1).  Returns
 * STATUS_OK with *out filled (passage_clear() it), STATUS_NOTFOUND when
 * nothing matches, STATUS_ERROR with the reason in err on database trouble.
 * Never waits on a lock beyond the connection's busy timeout: a position
 * that cannot be written now (another connection holds the write lock, or
 * the database is read-only) is kept in memory, read back first by the next
 * call, and written by state_flush(); the first deferral of an episode is
 * reported through err as one SEVERITY_WARNING line.  Other failures to
 * read or save the cycle are SEVERITY_WARNING lines too, and the passage is
 * still returned.
 * Passages f passes over (PassageFilter.min_chars, .avoid_letter) are
 * skipped and count as shown in this cycle, unless nothing else matches.
 * A channel name that is not valid gets a plain random passage (and a
 * SEVERITY_DEBUG line). */
Status state_next_passage(State *s, Corpus *c, const char *channel,
                          const PassageFilter *f, Passage *out, Error *err);

/* Writes the positions kept in memory, in one transaction.  STATUS_OK when
 * they are written, or when they must still wait (the lock is still held:
 * not a failure, nothing is reported; a read-only database: they stay in
 * memory); after an episode of deferrals, their end is one SEVERITY_INFO
 * line.  STATUS_ERROR with the reason in err on other database trouble. */
Status state_flush(State *s, Error *err);
/* Lazy mode (off by default): state_next_passage() keeps every position in
 * memory (up to a few thousand channel/filter pairs, then it writes as
 * usual) and only state_flush() writes them, in one transaction; the caller
 * flushes often (the bot: once a second) and state_free()'s owner flushes
 * before it.  Fairness holds within the process as before; a crash loses the
 * positions since the last flush, so after it those few passages may be
 * shown again before the cycle ends.  The quote of the day is not affected:
 * its record is written by state_daily_set_record() before anything is sent. */
void state_set_lazy(State *s, bool lazy);

/* How many positions are kept in memory, not yet written. */
size_t state_pending(const State *s);

/* --- channel settings ----------------------------------------------------- */

/* The cached settings of channel (no SQL): defaults (prefix "", addressed -1,
 * nothing disabled) for a channel never configured or a name that is not
 * valid.  Never NULL; the pointer stays valid until state_free(), and sees
 * later changes to that channel once it has settings of its own (ask again
 * after a state_channel_set_* call on a channel that had none). */
const ChannelSettings *state_channel(State *s, const char *channel);

/* Copies state_channel(s, channel) into *out; STATUS_OK, or STATUS_INVALID
 * (and defaults in *out) for an invalid name. */
Status state_channel_get(State *s, const char *channel, ChannelSettings *out,
                         Error *err);

/* Sets channel's command prefix; NULL returns to the configured one.
 * Saved, then cached: on any error nothing changes.  STATUS_OK,
 * STATUS_INVALID or STATUS_ERROR (see above). */
Status state_channel_set_prefix(State *s, const char *channel,
                                const char *prefix, Error *err);

/* Whether the bot answers a message addressed to its nick in channel:
 * 1 yes, 0 no, -1 as configured (anything else: -1).  As above. */
Status state_channel_set_addressed(State *s, const char *channel, int addressed,
                                   Error *err);

/* Enables or disables a command (letters; case is ignored) in channel.
 * Disabling "help" or "more" is refused (STATUS_INVALID); enabling a
 * command that is not disabled, or disabling one that is, succeeds without
 * change.  The caller checks that the command exists.  As above. */
Status state_channel_enable(State *s, const char *channel, const char *command,
                            bool enable, Error *err);

/* True when command (any case) is disabled in cs. */
bool state_command_disabled(const ChannelSettings *cs, const char *command);

/* --- the quote of the day ------------------------------------------------- */

#define STATE_ZONE_MAX 127 /* an IANA zone name */

typedef enum {
    STATE_DAILY_DEFAULT = -1, /* as configured ([daily] channels, time) */
    STATE_DAILY_OFF = 0,      /* no daily post here */
    STATE_DAILY_ON = 1,       /* at hour:minute in zone */
} StateDailyMode;

/* A channel's daily post: the owner's override and the exactly-once record
 * (base/daily.h); letter.para is the pending post's passage.  Read from the
 * database on each call (a few times a day per channel), never cached:
 * the record must be what is on disk. */
typedef struct {
    StateDailyMode mode;
    int hour, minute;
    char zone[STATE_ZONE_MAX + 1];
    DailyRecord record;
    int letter, para;
} StateDaily;

/* Channel's row, or the defaults (mode DEFAULT, empty record) when it has
 * none.  STATUS_OK, STATUS_INVALID (invalid channel name), STATUS_ERROR.
 * Dates that do not parse (edited by hand) read as absent. */
Status state_daily_get(State *s, const char *channel, StateDaily *out,
                       Error *err);

/* Sets the override: mode, and for STATE_DAILY_ON the time and zone name
 * (the caller checks the zone loads).  The record is kept.  STATUS_OK,
 * STATUS_INVALID (bad name, time or zone form), STATUS_ERROR. */
Status state_daily_set_mode(State *s, const char *channel, StateDailyMode mode,
                            int hour, int minute, const char *zone, Error *err);

/* Writes the record (and the pending passage, when there is one), waiting
 * no longer than the connection's busy timeout: the caller acts only once
 * it is written.  STATUS_OK, STATUS_INVALID, or STATUS_ERROR (a lock held,
 * a read-only database). */
Status state_daily_set_record(State *s, const char *channel,
                              const DailyRecord *rec, int letter, int para,
                              Error *err);

#endif
