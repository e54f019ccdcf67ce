/* commands.h - what the bot says in answer to what a user typed.
 *
 * Independent of IRC: input is the raw text plus who and where, output is
 * a list of lines, each valid UTF-8, free of CR, LF and NUL, and within the
 * line budget.  The IRC layer and the console both call commands_dispatch().
 */
#ifndef MISSIVE_COMMANDS_H
#define MISSIVE_COMMANDS_H

#include <stddef.h>

#include "corpus.h"
#include "dailypost.h"
#include "error.h"
#include "state.h"

#define COMMANDS_MAX_INPUT 4096 /* longer input is cut (at a boundary) */

typedef struct {
    const char *prefix; /* "!" */
    size_t line_budget; /* default bytes per output line */
    int max_lines;      /* lines per answer; the rest wait for !more */
    int more_expiry;    /* seconds a !more continuation is kept */
} CommandsConfig;

typedef struct {
    const char *text;    /* raw bytes as received */
    const char *nick;    /* who typed it */
    const char *channel; /* NULL in a private message */
    size_t line_budget;  /* bytes per line for this target; 0: default */
    /* The owner commands the caller understands, listed by help in a
     * private message; NULL when the sender is no owner. */
    const char *owner_help;
} CommandInput;

/* An answer: lines for where the command was typed (the channel, or the
 * user in a private message) and lines for the user alone (!read, !letter).
 * Both are sent through the send queue by the caller. */
typedef struct {
    char **lines;
    size_t n, cap;
    char **priv;
    size_t npriv, cappriv;
} CommandOutput;

typedef struct Commands Commands;

/* state may be NULL: no per-channel settings, !quote picks at random. */
Commands *commands_new(Corpus *corpus, State *state, const CommandsConfig *cfg);
void commands_free(Commands *c);

/* The [daily] section !daily and "set #chan daily" read; borrowed, NULL:
 * none.  The caller sets it again after it changes (a reload). */
void commands_set_daily(Commands *c, const DailyDefaults *daily);

/* Answers in->text.  STATUS_OK when it was a command (out filled, maybe
 * with an error line for the user), STATUS_NOTFOUND when it was not
 * addressed to the bot (out empty), STATUS_ERROR when memory ran out.  The
 * user's answer never holds internal detail: when the corpus or the state
 * failed (the user got an apology), err->msg says why, and warnings (a
 * shuffle that could not be saved) arrive through err's sink; the caller
 * logs them.  err may be NULL. */
Status commands_dispatch(Commands *c, const CommandInput *in,
                         CommandOutput *out, Error *err);

/* True when text is addressed to the bot as a command in channel (NULL:
 * private) - that channel's prefix and a command not disabled there -
 * whether or not the command exists: what rate limits count. */
bool commands_match(const Commands *c, const char *channel, const char *text);

/* Whether to answer "nick: message" in channel: its setting, else fallback. */
bool commands_addressed(const Commands *c, const char *channel, bool fallback);

/* An owner's settings change, e.g. "#chan prefix @", "#chan addressed off",
 * "#chan disable grep", "#chan daily 08:30 Europe/Berlin" (or off, default),
 * "#chan show"; writes a one-line answer for the owner
 * to reply in every case.  STATUS_OK when done (or shown), STATUS_INVALID
 * when the request was refused (reply says why), STATUS_ERROR when the
 * database failed (reply says so; err->msg says why). */
Status commands_configure(Commands *c, const char *args, char *reply,
                          size_t replysz, Error *err);

/* Treats text as "<prefix>reply text" (the bot was addressed by nick, or
 * messaged privately).  In a private message (in->channel NULL) a bare
 * command name without arguments ("help", "more", "quote") or "help WORD"
 * runs that command instead.  As commands_dispatch, except that it never
 * returns STATUS_NOTFOUND. */
Status commands_dispatch_reply(Commands *c, const CommandInput *in,
                               CommandOutput *out, Error *err);

void command_output_clear(CommandOutput *out);

#endif
