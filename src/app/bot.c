/* bot.c - the daemon: Missive in its channels (see bot.h).
 *
 * Event-driven on top of irc.c: the IRC layer calls back with what arrived,
 * bot_tick() runs the joins and rejoins, the loop's timers (base/timer.h)
 * the database check, the service watchdog and the quote of the day, and
 * signals only set flags that the loop acts on between two turns, so no
 * handler ever touches shared state.  Who is answered is decided here, in this order: ignore
 * masks, other Missive instances, owners' private commands, the command
 * prefix or our nick, then the user's and the channel's rate limits.
 */
#include "bot.h"

#include <ctype.h>
#include <malloc.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "casefold.h"
#include "clock.h"
#include "commands.h"
#include "config.h"
#include "corpus.h"
#include "daily.h"
#include "dailypost.h"
#include "db.h"
#include "import.h"
#include "irc.h"
#include "ircline.h"
#include "log.h"
#include "mask.h"
#include "notify.h"
#include "paths.h"
#include "ratelimit.h"
#include "session.h"
#include "state.h"
#include "timer.h"
#include "utf8.h"

#define BOT_CHANNELS_MAX (CONFIG_CHANNELS_MAX + 16)
#define BOT_REJOIN_MS 10000           /* after a KICK */
#define BOT_JOIN_WAIT_MS 60000        /* JOIN unanswered this long: resend */
#define BOT_JOIN_BACKOFF_MIN_MS 60000 /* after 471/473/474/475 ... */
#define BOT_JOIN_BACKOFF_MAX_MS (30 * 60000)
#define BOT_QUIT_WAIT_MS 3000 /* for the server to close after QUIT */
#define BOT_PEERS_MAX 16      /* other Missive instances remembered */
#define BOT_PEER_MS (3600 * 1000)
#define BOT_CTCP_BURST 3
#define BOT_CTCP_INTERVAL_MS 10000
#define BOT_TEXT_MAX 1024        /* a received line is at most 512 */
#define BOT_WATCHDOG_GAP_MS 1000 /* WATCHDOG=1 at most this often */
#define BOT_DB_CHECK_MS 1000     /* database file and deferred state */
#define BOT_IDLE_MS 10000        /* quiet time before memory is given back */
#define BOT_DAILY_CHECK_MS 30000 /* daily posts looked at, at least */
#define BOT_DAILY_RETRY_MS 60000 /* after a database failure */
#define BOT_TOKEN_MAX 64

typedef struct {
    char name[CONFIG_CHANNEL_LEN + 1];
    char key[CONFIG_KEY_LEN + 1];
    bool adhoc; /* joined by an owner, not in the config */
    bool joined;
    uint64_t next_join_ms;
    uint64_t backoff_ms;
    /* The quote of the day sent and not yet acknowledged (see daily.h):
     * sync is the token of the PING behind it; acked once its PONG came,
     * while the done record still waits to be written. */
    char sync[BOT_TOKEN_MAX];
    DailyDate sync_date;
    bool acked;
} BotChannel;

typedef struct {
    char nick[IRC_NICK_MAX];
    uint64_t until_ms;
} BotPeer;

typedef struct {
    const char *config_path;
    Config cfg;
    Session *session; /* database, corpus, state, dispatcher */
    Commands *cmds;   /* borrowed from session */
    Irc *irc;
    RateLimit *users, *channels, *private, *ctcp;
    MaskList *ignore, *owners;
    BotChannel chans[BOT_CHANNELS_MAX];
    size_t nchans;
    BotPeer peers[BOT_PEERS_MAX];
    uint64_t started_ms;
    uint64_t watchdog_ms; /* half of WatchdogSec=; 0: none */
    uint64_t db_checked_ms;
    DbFileId db_refused; /* a replacement already logged as unusable */
    Timers *timers;
    TimerId daily_timer;
    TimerId idle_timer; /* 0 once it ran: armed again by bot_busy */
    uint64_t syncs; /* irc_sync tokens made */
    const char *daily_chans[CONFIG_CHANNELS_MAX];
    DailyDefaults daily; /* points into cfg */
} Bot;

static void bot_database(Bot *b, uint64_t now, bool force);
static void bot_daily_soon(Bot *b);

static volatile sig_atomic_t bot_stop_signal;
static volatile sig_atomic_t bot_reload_signal;

static void bot_on_signal(int sig)
{
    if (sig == SIGHUP)
        bot_reload_signal = 1;
    else
        bot_stop_signal = sig;
}

/* --- service manager ------------------------------------------------------ */

static void bot_notify(const char *state)
{
    notify_send(state);
}

/* Half the period of systemd's watchdog (WatchdogSec=) in ms, or 0. */
static uint64_t bot_watchdog_period(void)
{
    uint64_t usec = notify_watchdog_usec();
    return usec >= 2000 ? usec / 2000 : 0;
}

/* The watchdog timer: WATCHDOG=1 every second, or every half period when
 * WatchdogSec= is under two seconds.  Overdue after a turn that was slow
 * (a busy disk; names are resolved without blocking, see transport.h), it
 * is sent at the start of the next one, which then has the whole period. */
static void bot_watchdog(void *ud, TimerId id, uint64_t now)
{
    (void)ud, (void)id, (void)now;
    bot_notify("WATCHDOG=1");
}

/* The database timer: writes the !quote positions kept in memory (lazy
 * state, or deferred while another process held the write lock) here, off
 * the path of any command, then bot_database. */
static void bot_database_timer(void *ud, TimerId id, uint64_t now)
{
    Bot *b = ud;
    Error err = {.sink = log_sink};
    (void)id;
    if (b->session && session_flush(b->session, &err) != STATUS_OK)
        log_error("%s", err.msg);
    bot_database(b, now, false);
}

/* The idle timer: BOT_IDLE_MS after the last use of the database, SQLite's
 * page cache is dropped and the heap trimmed, which gives an idle bot's
 * cache back to the system (a quarter of its private memory on the
 * shipped corpus, up to the 16 MiB cap at a million passages).  The pages
 * stay in the kernel's file cache: the next command reads them from there,
 * microseconds a page, and only after a quiet spell. */
static void bot_idle(void *ud, TimerId id, uint64_t now)
{
    Bot *b = ud;
    (void)now;
    if (id == b->idle_timer)
        b->idle_timer = 0;
    if (!b->session)
        return;
    size_t freed = session_release_memory(b->session);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    log_debug("idle: %zu KiB of page cache given back", freed / 1024);
}

/* The database was just used: the idle timer starts again. */
static void bot_busy(Bot *b)
{
    uint64_t due = clock_now_ms() + BOT_IDLE_MS;
    if (b->idle_timer && timer_rearm(b->timers, b->idle_timer, due) == STATUS_OK)
        return;
    b->idle_timer = timer_add(b->timers, due, 0, bot_idle, b);
}

/* --- small helpers -------------------------------------------------------- */

static void bot_origin_nick(const char *origin, char *out, size_t outsz)
{
    size_t n = strcspn(origin, "!@");
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, origin, n);
    out[n] = '\0';
}

/* Queues an answer; a full queue drops the rest of it, which the IRC
 * layer counts and logs. */
static void bot_say(Bot *b, const char *command, const char *target,
                    const char *text)
{
    irc_say(b->irc, command, target, text);
}

/* --- who is answered -------------------------------------------------------- */

/* A line ending like "— Stalin to Churchill, 18 July 1941 [1.4]" is the
 * answer of another Missive: never answered, and its sender is remembered
 * as a peer so two instances can never talk to each other in a loop. */
static bool bot_looks_like_missive(const char *text)
{
    const char *dash = strstr(text, "\xe2\x80\x94 ");
    size_t len = strlen(text);
    if (!dash || len < 6 || text[len - 1] != ']')
        return false;
    const char *open = strrchr(text, '[');
    return open && open > dash && isdigit((unsigned char)open[1]) &&
           strstr(dash, " to ");
}

static BotPeer *bot_peer(Bot *b, const char *nick, uint64_t now)
{
    for (size_t i = 0; i < BOT_PEERS_MAX; i++)
        if (b->peers[i].until_ms > now &&
            casefold_cmp(b->peers[i].nick, nick) == 0)
            return &b->peers[i];
    return NULL;
}

static void bot_remember_peer(Bot *b, const char *nick, uint64_t now)
{
    BotPeer *slot = bot_peer(b, nick, now);
    for (size_t i = 0; !slot && i < BOT_PEERS_MAX; i++)
        if (b->peers[i].until_ms <= now)
            slot = &b->peers[i];
    if (!slot)
        slot = &b->peers[0];
    if (slot->until_ms <= now)
        log_info("%s answers like a Missive: not answering it for an hour",
                 nick);
    snprintf(slot->nick, sizeof slot->nick, "%s", nick);
    slot->until_ms = now + BOT_PEER_MS;
}

/* "missive: text" or "missive, text" in a channel; returns text or NULL. */
static const char *bot_addressed(Bot *b, const char *text)
{
    const char *me = irc_nick(b->irc);
    size_t n = strlen(me);
    if (strlen(text) <= n + 1)
        return NULL;
    char head[IRC_NICK_MAX];
    memcpy(head, text, n);
    head[n] = '\0';
    if (casefold_cmp(head, me) != 0 || (text[n] != ':' && text[n] != ','))
        return NULL;
    text += n + 1;
    while (*text == ' ') text++;
    return *text ? text : NULL;
}

/* True when the command may run; tells the user once when it may not.
 * A user is counted by user@host, so a new nick is no new allowance; private
 * questions from everyone share one more limit, as a channel's do. */
static bool bot_rate_ok(Bot *b, const char *origin, const char *nick,
                        const char *channel, uint64_t now)
{
    enum rate_verdict v =
        ratelimit_check(b->users, ratelimit_user_key(origin), now);
    if (v == RATE_ALLOW)
        v = channel ? ratelimit_check(b->channels, channel, now)
                    : ratelimit_check(b->private, "private", now);
    if (v == RATE_DENY_NOTIFY) {
        log_info("rate limit: %s%s%s", origin, channel ? " in " : "",
                 channel ? channel : " (private)");
        bot_say(b, "NOTICE", nick,
                "You are asking faster than I may answer; I will listen again "
                "in a few seconds.");
    }
    return v == RATE_ALLOW;
}

/* --- channels --------------------------------------------------------------- */

static BotChannel *bot_channel(Bot *b, const char *name)
{
    for (size_t i = 0; i < b->nchans; i++)
        if (casefold_cmp(b->chans[i].name, name) == 0)
            return &b->chans[i];
    return NULL;
}

static BotChannel *bot_channel_add(Bot *b, const char *name, const char *key,
                                   bool adhoc)
{
    BotChannel *ch = bot_channel(b, name);
    bool created = !ch;
    if (created) {
        if (b->nchans == BOT_CHANNELS_MAX)
            return NULL;
        ch = &b->chans[b->nchans++];
        memset(ch, 0, sizeof *ch);
        snprintf(ch->name, sizeof ch->name, "%s", name);
        ch->adhoc = adhoc;
    } else if (!adhoc) {
        ch->adhoc = false; /* the config claims an owner's channel */
    }
    /* An owner's "join #chan" without a key keeps the configured key. */
    if (created || !adhoc || (key && *key))
        snprintf(ch->key, sizeof ch->key, "%s", key ? key : "");
    return ch;
}

static void bot_channel_remove(Bot *b, BotChannel *ch)
{
    if (ch->joined) {
        char line[IRCLINE_BODY_MAX + 1];
        snprintf(line, sizeof line, "PART %s :Missive leaves", ch->name);
        irc_send(b->irc, SENDQ_URGENT, NULL, line);
    }
    *ch = b->chans[--b->nchans];
}

static void bot_join(Bot *b, BotChannel *ch, uint64_t now)
{
    char line[IRCLINE_BODY_MAX + 1];
    if (ch->key[0])
        snprintf(line, sizeof line, "JOIN %s %s", ch->name, ch->key);
    else
        snprintf(line, sizeof line, "JOIN %s", ch->name);
    irc_send(b->irc, SENDQ_URGENT, NULL, line);
    ch->next_join_ms = now + BOT_JOIN_WAIT_MS;
}

/* Our timers: joins that are due.  Returns ms until the next one (-1: none). */
static long bot_tick(Bot *b, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    if (!irc_registered(b->irc))
        return -1;
    for (size_t i = 0; i < b->nchans; i++) {
        BotChannel *ch = &b->chans[i];
        if (ch->joined)
            continue;
        if (now >= ch->next_join_ms)
            bot_join(b, ch, now);
        if (ch->next_join_ms < next)
            next = ch->next_join_ms;
    }
    return next == UINT64_MAX ? -1 : (long)(next - now);
}

/* --- the quote of the day ------------------------------------------------------ */

/* Runs the daily check at the next turn of the loop. */
static void bot_daily_soon(Bot *b)
{
    if (b->timers && b->daily_timer)
        timer_rearm(b->timers, b->daily_timer, clock_now_ms());
}

static State *bot_state(Bot *b)
{
    return b->session ? session_state(b->session) : NULL;
}

/* Writes rec for ch; logs and returns false when it cannot be written. */
static bool bot_daily_store(Bot *b, const char *chan, const DailyRecord *rec,
                            int letter, int para)
{
    Error err = {0};
    State *st = bot_state(b);
    if (!st) {
        log_error("daily: %s: no database", chan);
        return false;
    }
    if (state_daily_set_record(st, chan, rec, letter, para, &err) !=
        STATUS_OK) {
        log_error("daily: %s: %s", chan, err.msg);
        return false;
    }
    return true;
}

/* Logs the days a decision gave up. */
static void bot_daily_log_skips(const char *chan, const DailyDecision *d)
{
    char date[16];
    if (!d->skipped)
        return;
    dailypost_date_str(d->skip_date, date);
    if (d->skip_reason == DAILY_SKIP_NO_TIME)
        log_warn("daily: %s: no post for %s: the posting time does not occur "
                 "on that day",
                 chan, date);
    else
        log_warn("daily: %s: skipped %u day(s), the latest %s: not connected "
                 "or not in the channel between the posting time and the end "
                 "of the grace period",
                 chan, d->skipped, date);
}

/* Chooses (or, resending, reloads) the passage for date, records it as
 * pending, queues it and the PING behind it.  Returns false when nothing
 * was sent (logged). */
static bool bot_daily_post(Bot *b, BotChannel *ch, DailyDate date,
                           DailyRecord rec, int letter, int para)
{
    Error err = {.sink = log_sink};
    Passage p;
    bool on_this_day = false;
    DailyLines lines;
    char day[16];
    State *st = bot_state(b);

    if (!st)
        return false;
    dailypost_date_str(date, day);
    Status rc = dailypost_choose(session_corpus(b->session), st, ch->name, date,
                                 &letter, &para, &p, &on_this_day, &err);
    bot_busy(b);
    if (rc == STATUS_NOTFOUND) {
        log_warn("daily: %s: no letters to post from", ch->name);
        return false;
    }
    if (rc != STATUS_OK) {
        log_error("daily: %s: %s", ch->name, err.msg);
        return false;
    }
    /* Pending first: once a line may have reached the server, a restart
     * must know it. */
    rec.has_pending = true;
    rec.pending = date;
    if (!bot_daily_store(b, ch->name, &rec, letter, para)) {
        passage_clear(&p);
        return false;
    }
    rc = dailypost_lines(&p, on_this_day, b->cfg.daily_template, b->cfg.prefix,
                         irc_text_budget(b->irc, ch->name), b->cfg.max_lines,
                         &lines);
    passage_clear(&p);
    if (rc != STATUS_OK) {
        log_error("daily: %s: out of memory", ch->name);
        return false;
    }
    for (size_t i = 0; i < lines.n; i++)
        bot_say(b, "PRIVMSG", ch->name, lines.v[i]);
    dailypost_lines_clear(&lines);
    snprintf(ch->sync, sizeof ch->sync, IRC_SYNC_PREFIX "daily-%llu",
             (unsigned long long)++b->syncs);
    ch->sync_date = date;
    ch->acked = false;
    if (irc_sync(b->irc, ch->name, ch->sync) != STATUS_OK)
        ch->sync[0] = '\0'; /* not acknowledged: resent once on return */
    log_info("daily: %s: posting %d.%d for %s%s", ch->name, letter, para, day,
             rec.sends > 1 ? " again (the first was not acknowledged)" : "");
    return true;
}

/* The server took the post: the day is done. */
static void bot_daily_done(Bot *b, BotChannel *ch)
{
    DailyRecord rec = {.has_done = true, .done = ch->sync_date};
    char day[16];
    ch->acked = true;
    if (!bot_daily_store(b, ch->name, &rec, 0, 0))
        return; /* kept acked: written at the next check */
    dailypost_date_str(ch->sync_date, day);
    log_info("daily: %s: the server took the post for %s", ch->name, day);
    ch->sync[0] = '\0';
    ch->acked = false;
}

static void bot_on_synced(void *ud, const char *token)
{
    Bot *b = ud;
    for (size_t i = 0; i < b->nchans; i++)
        if (b->chans[i].sync[0] && strcmp(b->chans[i].sync, token) == 0)
            bot_daily_done(b, &b->chans[i]);
}

/* One channel's daily decision; *next gets the wall-clock second it wants
 * to be looked at again (unchanged when it needs nothing). */
static void bot_daily_channel(Bot *b, BotChannel *ch, int64_t now,
                              int64_t *next)
{
    Error err = {0};
    DailyChannel dc;
    DailyStep step;

    if (ch->sync[0]) {
        if (ch->acked)
            bot_daily_done(b, ch); /* its write failed before */
        return;                    /* waiting for the server */
    }
    Status rc = dailypost_channel(bot_state(b), &b->daily, ch->name, &dc, &err);
    if (rc != STATUS_OK) {
        if (rc != STATUS_NOTFOUND)
            log_error("daily: %s: %s", ch->name, err.msg);
        dailypost_channel_clear(&dc);
        return;
    }
    if (daily_step(&dc.sched, now, &dc.state.record, &step, &err) !=
        STATUS_OK) {
        log_error("daily: %s: %s", ch->name, err.msg);
        dailypost_channel_clear(&dc);
        return;
    }
    const DailyRecord *old = &dc.state.record;
    bool changed = step.record.has_done != old->has_done ||
                   (step.record.has_done &&
                    daily_date_cmp(step.record.done, old->done) != 0) ||
                   step.record.has_pending != old->has_pending;
    char day[16];
    dailypost_date_str(step.decision.date, day);
    switch (step.kind) {
    case DAILY_STEP_WAIT:
        bot_daily_log_skips(ch->name, &step.decision);
        if (changed)
            bot_daily_store(b, ch->name, &step.record, 0, 0);
        if (step.decision.due < *next)
            *next = step.decision.due;
        break;
    case DAILY_STEP_GIVE_UP:
        log_warn("daily: %s: the post for %s was sent twice without the "
                 "server's acknowledgement: not sending it a third time",
                 ch->name, day);
        bot_daily_store(b, ch->name, &step.record, 0, 0);
        *next = now;
        break;
    case DAILY_STEP_POST:
    case DAILY_STEP_RESEND:
        if (!irc_registered(b->irc) || !ch->joined) {
            /* Back in the channel (bot_on_joined) is the next chance; the
             * deadline is looked at again in any case. */
            if (step.decision.deadline + 1 < *next)
                *next = step.decision.deadline + 1;
            break;
        }
        bot_daily_log_skips(ch->name, &step.decision);
        DailyRecord rec = step.record;
        rec.sends = step.kind == DAILY_STEP_RESEND ? 2 : 1;
        if (!bot_daily_post(b, ch, step.decision.date, rec,
                            step.kind == DAILY_STEP_RESEND ? dc.state.letter
                                                           : 0,
                            dc.state.para))
            *next = now + BOT_DAILY_RETRY_MS / 1000;
        break;
    }
    dailypost_channel_clear(&dc);
}

/* The daily timer: every channel the bot is in, then again at the earliest
 * due time, at most BOT_DAILY_CHECK_MS later (owners' changes, clock
 * steps). */
static void bot_daily_check(void *ud, TimerId id, uint64_t now_ms)
{
    Bot *b = ud;
    int64_t now = (int64_t)time(NULL);
    int64_t next = now + BOT_DAILY_CHECK_MS / 1000;
    for (size_t i = 0; b->session && i < b->nchans; i++)
        bot_daily_channel(b, &b->chans[i], now, &next);
    uint64_t wait = next > now ? (uint64_t)(next - now) * 1000 : 0;
    if (wait > BOT_DAILY_CHECK_MS)
        wait = BOT_DAILY_CHECK_MS;
    timer_rearm(b->timers, id, now_ms + wait);
}

/* The owners' "daily now #chan" and "daily skip #chan". */
static void bot_daily_owner(Bot *b, const char *nick, const char *rest)
{
    char verb[8], chan[CONFIG_CHANNEL_LEN + 2], text[256], day[16];
    Error err = {0};
    DailyChannel dc;
    DailyStep step = {0};
    BotChannel *ch;

    if (sscanf(rest, "%7s %51s", verb, chan) != 2 ||
        (strcmp(verb, "now") != 0 && strcmp(verb, "skip") != 0) ||
        !ircline_is_channel(chan)) {
        bot_say(b, "PRIVMSG", nick,
                "Usage: daily now #channel, daily skip "
                "#channel");
        return;
    }
    if (!(ch = bot_channel(b, chan)) || !bot_state(b)) {
        bot_say(b, "PRIVMSG", nick, "I am not in that channel.");
        return;
    }
    if (ch->sync[0]) {
        bot_say(b, "PRIVMSG", nick,
                "A post there is waiting for the server; try again shortly.");
        return;
    }
    Status rc = dailypost_channel(bot_state(b), &b->daily, chan, &dc, &err);
    bool scheduled = rc == STATUS_OK;
    if (rc == STATUS_NOTFOUND && verb[0] == 's') {
        dailypost_channel_clear(&dc);
        snprintf(text, sizeof text, "No passage of the day is posted in %s.",
                 chan);
        bot_say(b, "PRIVMSG", nick, text);
        return;
    }
    if (rc == STATUS_NOTFOUND) {
        /* "now" without a schedule: today in [daily]'s zone. */
        if (!(dc.tz = tz_load(b->daily.zone, &err)))
            rc = STATUS_INVALID;
        else
            rc = STATUS_OK;
        dc.sched = (DailySchedule){0, 0, dc.tz, 0};
    }
    int64_t now = (int64_t)time(NULL);
    TzLocal lt;
    if (rc != STATUS_OK || tz_local(dc.sched.tz, now, &lt) != STATUS_OK ||
        (scheduled && daily_step(&dc.sched, now, &dc.state.record, &step,
                                 &err) != STATUS_OK)) {
        log_error("daily: %s: %s", chan, err.msg);
        bot_say(b, "PRIVMSG", nick, "Cannot do that now (see the log).");
        dailypost_channel_clear(&dc);
        return;
    }
    DailyDate today = {lt.civil.year, lt.civil.month, lt.civil.day};
    /* "now" goes by what is stored: today posted, or its skip recorded. */
    DailyRecord rec = verb[0] == 'n' ? dc.state.record : step.record;
    rec.has_pending = false;
    if (verb[0] == 'n') {
        if (rec.has_done && daily_date_cmp(rec.done, today) >= 0) {
            snprintf(text, sizeof text,
                     "Today's passage was already posted (or skipped) in %s.",
                     chan);
        } else if (!irc_registered(b->irc) || !ch->joined) {
            snprintf(text, sizeof text, "I am not in %s just now.", chan);
        } else {
            rec.sends = 1;
            bool ok = bot_daily_post(b, ch, today, rec, 0, 0);
            snprintf(text, sizeof text, "%s",
                     ok ? "Posting today's passage."
                        : "Cannot post (see the "
                          "log).");
            log_info("owner %s: daily now %s", nick, chan);
        }
    } else {
        DailyDate skip =
            step.kind == DAILY_STEP_WAIT ? step.decision.date : today;
        rec.has_done = true;
        rec.done = skip;
        rec.has_pending = false;
        dailypost_date_str(skip, day);
        if (bot_daily_store(b, chan, &rec, 0, 0))
            snprintf(text, sizeof text, "The post of %s in %s is skipped.", day,
                     chan);
        else
            snprintf(text, sizeof text, "Cannot skip (see the log).");
        log_info("owner %s: daily skip %s (%s)", nick, chan, day);
    }
    dailypost_channel_clear(&dc);
    bot_say(b, "PRIVMSG", nick, text);
    bot_daily_soon(b);
}

/* --- owners ---------------------------------------------------------------- */

static void bot_status(Bot *b, const char *nick)
{
    IrcStats st;
    char text[BOT_TEXT_MAX], chans[512] = "";
    size_t len = 0;
    uint64_t now = clock_now_ms(), up = (now - b->started_ms) / 1000;

    irc_stats(b->irc, &st);
    for (size_t i = 0; i < b->nchans; i++) {
        int w = snprintf(chans + len, sizeof chans - len, "%s%s%s",
                         len ? " " : "", b->chans[i].name,
                         b->chans[i].joined ? "" : "(not joined)");
        if (w < 0 || (size_t)w >= sizeof chans - len)
            break;
        len += (size_t)w;
    }
    snprintf(
        text, sizeof text,
        "up %llud%02lluh%02llum; %s; queue %zu; lines sent %llu, dropped %llu; "
        "reconnects %llu; channels: %s",
        (unsigned long long)(up / 86400), (unsigned long long)(up / 3600 % 24),
        (unsigned long long)(up / 60 % 60),
        st.connected ? "connected" : "not connected", st.queue.depth,
        (unsigned long long)st.queue.lines_sent,
        (unsigned long long)st.queue.lines_dropped,
        (unsigned long long)st.reconnects, len ? chans : "none");
    bot_say(b, "PRIVMSG", nick, text);
}

/* What `help` lists for an owner in a private message: keep it in step
 * with bot_owner_command below. */
static const char bot_owner_help[] =
    "status, join #chan [key], part #chan, say #chan TEXT, reload, "
    "set #chan prefix X|default, set #chan addressed on|off|default, "
    "set #chan enable|disable COMMAND, set #chan daily HH:MM ZONE|off|default, "
    "set #chan show, daily now #chan, daily skip #chan";

/* Owner commands, in a private message, with or without the prefix:
 * join #chan [key], part #chan, say #chan text, set #chan ..., daily
 * now|skip #chan, reload, status.  Returns true when text was one. */
static bool bot_owner_command(Bot *b, const char *nick, const char *text)
{
    char verb[16], chan[CONFIG_CHANNEL_LEN + 2], key[CONFIG_KEY_LEN + 2];
    size_t plen = strlen(b->cfg.prefix);
    int used = 0;

    if (strncmp(text, b->cfg.prefix, plen) == 0)
        text += plen;
    if (sscanf(text, "%15s%n", verb, &used) != 1)
        return false;
    const char *rest = text + used;
    while (*rest == ' ') rest++;

    if (strcmp(verb, "status") == 0) {
        bot_status(b, nick);
    } else if (strcmp(verb, "set") == 0) {
        char answer[256];
        Error err = {0};
        if (commands_configure(b->cmds, rest, answer, sizeof answer, &err) ==
            STATUS_ERROR)
            log_error("%s", err.msg);
        bot_say(b, "PRIVMSG", nick, answer);
    } else if (strcmp(verb, "daily") == 0) {
        bot_daily_owner(b, nick, rest);
    } else if (strcmp(verb, "reload") == 0) {
        bot_reload_signal = 1;
        bot_say(b, "PRIVMSG", nick, "Reloading the configuration.");
    } else if (strcmp(verb, "join") == 0 || strcmp(verb, "part") == 0 ||
               strcmp(verb, "say") == 0) {
        key[0] = '\0';
        used = 0;
        if (sscanf(rest, "%51s%n", chan, &used) != 1 ||
            !ircline_is_channel(chan) || strlen(chan) > CONFIG_CHANNEL_LEN ||
            strpbrk(chan, ",\a")) {
            bot_say(b, "PRIVMSG", nick,
                    "Which channel? e.g. join #channel [key]");
            return true;
        }
        rest += used;
        while (*rest == ' ') rest++;
        if (verb[0] == 'j') {
            if (sscanf(rest, "%33s", key) == 1 && strlen(key) > CONFIG_KEY_LEN)
                key[0] = '\0';
            BotChannel *ch = bot_channel_add(b, chan, key, true);
            if (ch)
                ch->next_join_ms = 0;
            bot_say(b, "PRIVMSG", nick, ch ? "Joining." : "Too many channels.");
            log_info("owner %s: join %s", nick, chan);
        } else if (verb[0] == 'p') {
            BotChannel *ch = bot_channel(b, chan);
            if (ch)
                bot_channel_remove(b, ch);
            bot_say(b, "PRIVMSG", nick,
                    ch ? "Leaving." : "I am not in that channel.");
            log_info("owner %s: part %s", nick, chan);
        } else if (*rest) {
            bot_say(b, "PRIVMSG", chan, rest);
            log_info("owner %s: say in %s", nick, chan);
        }
    } else {
        return false;
    }
    return true;
}

/* --- IRC events --------------------------------------------------------------- */

static void bot_answer(Bot *b, const char *nick, const char *channel,
                       const char *reply_to, const char *text, bool as_reply,
                       bool owner)
{
    CommandOutput out = {0};
    CommandInput in = {text, nick, channel, irc_text_budget(b->irc, reply_to),
                       owner ? bot_owner_help : NULL};
    Error err = {.sink = log_sink};
    Status rc = as_reply ? commands_dispatch_reply(b->cmds, &in, &out, &err)
                         : commands_dispatch(b->cmds, &in, &out, &err);
    if (rc == STATUS_ERROR)
        log_error("out of memory answering %s", nick);
    else if (err.msg[0])
        log_error("%s", err.msg);
    for (size_t i = 0; i < out.n; i++)
        bot_say(b, "PRIVMSG", reply_to, out.lines[i]);
    for (size_t i = 0; i < out.npriv; i++)
        bot_say(b, "PRIVMSG", nick, out.priv[i]);
    command_output_clear(&out);
    bot_busy(b);
}

static void bot_on_message(void *ud, const char *origin, const char *target,
                           const char *raw, const char *account)
{
    Bot *b = ud;
    char nick[IRC_NICK_MAX], text[BOT_TEXT_MAX];
    uint64_t now = clock_now_ms();
    bool private = !ircline_is_channel(target);
    const char *channel = private ? NULL : target;

    bot_database(b, now, false);
    if (!b->cmds)
        return;
    bot_origin_nick(origin, nick, sizeof nick);
    if (!nick[0] || mask_list_match(b->ignore, origin) ||
        bot_peer(b, nick, now))
        return;
    if (bot_looks_like_missive(raw)) {
        bot_remember_peer(b, nick, now);
        return;
    }
    /* Commands typed with colours or bold still count. */
    snprintf(text, sizeof text, "%s", raw);
    ircline_strip_formatting(text);

    /* An owner by mask or by the account this very line was tagged with. */
    bool owner =
        private && mask_list_match_account(b->owners, origin, account);
    if (owner && bot_owner_command(b, nick, text))
        return;

    const char *body = text;
    bool as_reply = false;
    if (!commands_match(b->cmds, channel, text)) {
        if (private)
            as_reply = true;
        else if (commands_addressed(b->cmds, channel,
                                    b->cfg.answer_addressed) &&
                 (body = bot_addressed(b, text)))
            as_reply =
                !commands_match(b->cmds, channel, body); /* "missive: !help" */
        else
            return;
    }
    if (!bot_rate_ok(b, origin, nick, channel, now))
        return;
    log_debug("%s%s%s: %.80s", nick, channel ? " in " : "",
              channel ? channel : "", body);
    bot_answer(b, nick, channel, private ? nick : target, body, as_reply,
               owner);
}

static void bot_on_ctcp(void *ud, const char *origin, const char *request)
{
    Bot *b = ud;
    char nick[IRC_NICK_MAX], verb[16] = "", arg[96] = "", text[256];
    uint64_t now = clock_now_ms();
    int used = 0;

    bot_origin_nick(origin, nick, sizeof nick);
    if (mask_list_match(b->ignore, origin) ||
        ratelimit_check(b->ctcp, "ctcp", now) != RATE_ALLOW)
        return;
    if (sscanf(request, "%15s%n", verb, &used) != 1)
        return;
    utf8_sanitize(request + used, strnlen(request + used, 64), arg, sizeof arg);

    if (strcmp(verb, "VERSION") == 0) {
        snprintf(text, sizeof text,
                 "\001VERSION Missive %s, an IRC bot of "
                 "historical letters, in C\001",
                 MISSIVE_VERSION);
    } else if (strcmp(verb, "PING") == 0) {
        snprintf(text, sizeof text, "\001PING %s\001", arg);
    } else if (strcmp(verb, "TIME") == 0) {
        char when[64];
        time_t t = time(NULL);
        struct tm tm;
        strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y %Z",
                 localtime_r(&t, &tm));
        snprintf(text, sizeof text, "\001TIME %s\001", when);
    } else if (strcmp(verb, "SOURCE") == 0) {
        snprintf(text, sizeof text,
                 "\001SOURCE Missive %s: the source ships "
                 "with every copy (README.md)\001",
                 MISSIVE_VERSION);
    } else if (strcmp(verb, "CLIENTINFO") == 0) {
        snprintf(text, sizeof text,
                 "\001CLIENTINFO CLIENTINFO PING SOURCE TIME VERSION\001");
    } else {
        return;
    }
    bot_say(b, "NOTICE", nick, text);
}

/* The irc layer's notes and config problems, logged at their severity. */
static void bot_on_note(void *ud, Severity severity, const char *line)
{
    Severity level = SEVERITY_DEBUG;
    (void)ud;
    switch (severity) {
    case SEVERITY_ERROR:
        level = SEVERITY_ERROR;
        break;
    case SEVERITY_WARNING:
        level = SEVERITY_WARNING;
        break;
    case SEVERITY_INFO:
        level = SEVERITY_INFO;
        break;
    case SEVERITY_DEBUG:
        level = SEVERITY_DEBUG;
        break;
    }
    log_msg(level, "%s", line);
}

static void bot_on_registered(void *ud, const char *nick)
{
    Bot *b = ud;
    (void)nick;
    for (size_t i = 0; i < b->nchans; i++) {
        b->chans[i].joined = false;
        b->chans[i].next_join_ms = 0;
    }
    bot_notify("STATUS=connected");
}

static void bot_on_disconnected(void *ud, const char *why)
{
    Bot *b = ud;
    for (size_t i = 0; i < b->nchans; i++) {
        b->chans[i].joined = false;
        /* A post not acknowledged may not have reached the server: it
         * stays pending in the database and is sent once more. */
        if (!b->chans[i].acked)
            b->chans[i].sync[0] = '\0';
    }
    bot_notify("STATUS=disconnected, reconnecting");
    (void)why;
}

static void bot_on_joined(void *ud, const char *channel)
{
    Bot *b = ud;
    BotChannel *ch = bot_channel(b, channel);
    log_info("joined %s", channel);
    if (!ch)
        return;
    ch->joined = true;
    ch->backoff_ms = 0;
    bot_daily_soon(b); /* a post may be due, or late within grace */
}

static void bot_on_parted(void *ud, const char *channel)
{
    Bot *b = ud;
    BotChannel *ch = bot_channel(b, channel);
    if (ch) {
        ch->joined = false;
        ch->next_join_ms = clock_now_ms() + BOT_REJOIN_MS;
    }
}

static void bot_on_kicked(void *ud, const char *channel, const char *by,
                          const char *reason)
{
    Bot *b = ud;
    BotChannel *ch = bot_channel(b, channel);
    log_warn("kicked from %s by %s (%.100s); rejoining in %d s", channel, by,
             reason, BOT_REJOIN_MS / 1000);
    if (ch) {
        ch->joined = false;
        ch->next_join_ms = clock_now_ms() + BOT_REJOIN_MS;
    }
}

static void bot_on_join_failed(void *ud, const char *channel, unsigned code,
                               const char *reason)
{
    Bot *b = ud;
    BotChannel *ch = bot_channel(b, channel);
    if (!ch)
        return;
    ch->backoff_ms =
        ch->backoff_ms ? ch->backoff_ms * 2 : BOT_JOIN_BACKOFF_MIN_MS;
    if (ch->backoff_ms > BOT_JOIN_BACKOFF_MAX_MS)
        ch->backoff_ms = BOT_JOIN_BACKOFF_MAX_MS;
    ch->next_join_ms = clock_now_ms() + ch->backoff_ms;
    log_warn("cannot join %s (%u: %.100s); trying again in %llu s", channel,
             code, reason, (unsigned long long)(ch->backoff_ms / 1000));
}

/* --- configuration ------------------------------------------------------------- */

static void bot_irc_settings(const Config *c, IrcSettings *s,
                             const char *alts[CONFIG_ALT_NICKS_MAX])
{
    for (size_t i = 0; i < c->alt_nick_count; i++) alts[i] = c->alt_nicks[i];
    *s = (IrcSettings){
        .server = c->server,
        .port = c->port,
        .password = c->password,
        .tls = c->tls,
        .tls_verify = c->tls_verify,
        .tls_ca_file = c->tls_ca_file,
        .tls_fingerprint = c->tls_fingerprint,
        .tls_cert = c->tls_cert,
        .tls_key_file = c->tls_key_file,
        .tls_module = paths_tls_module(),
        .sasl = (int)c->sasl, /* same numbers as enum transport_sasl */
        .sasl_username = c->sasl_username,
        .sasl_password = c->sasl_password,
        .sasl_required = c->sasl_required,
        .nick = c->nick,
        .alt_nicks = alts,
        .alt_nick_count = c->alt_nick_count,
        .username = c->username,
        .realname = c->realname,
        .ping_interval = c->ping_interval,
        .ping_timeout = c->ping_timeout,
        .reconnect_min = c->reconnect_min,
        .reconnect_max = c->reconnect_max,
        .flood_burst = (unsigned)c->flood_burst,
        .flood_interval_ms = (unsigned)c->flood_interval_ms,
        .queue_max = (size_t)c->flood_queue_max,
    };
}

static MaskList *bot_masks(const ConfigMasks *m)
{
    Error err = {0};
    MaskList *l = mask_list_new();
    for (size_t i = 0; l && i < m->n; i++) {
        if (mask_list_add(l, m->v[i], &err) != STATUS_OK) {
            log_error("mask %s: %s", m->v[i], err.msg);
            mask_list_free(l);
            return NULL;
        }
    }
    return l;
}

/* The corpus shipped in the data directory (installed as share/missive). */
#define BOT_SHIPPED_CORPUS "stalin-churchill-1941.txt"

/* The first start of a service with an empty state directory: the database
 * does not exist yet, so the shipped corpus is imported into a new one,
 * before the bot opens it.  An existing database, even one without letters,
 * is the operator's and is left as it is.  -1 (logged) if the import fails:
 * the file is then removed again so that the next start tries afresh. */
static int bot_first_import(const Config *cfg)
{
    char corpus[CONFIG_PATH_LEN + 64];
    Error err = {0};
    Error lines = {.sink = log_sink};
    ImportReport rep;
    sqlite3 *db;

    if (access(cfg->database, F_OK) == 0 || errno != ENOENT)
        return 0;
    snprintf(corpus, sizeof corpus, "%s/%s", cfg->data_dir, BOT_SHIPPED_CORPUS);
    const char *paths[] = {corpus};
    log_info("%s does not exist: importing the shipped corpus %s",
             cfg->database, corpus);
    if (db_open(cfg->database, &db, &err) != STATUS_OK) {
        log_error("%s", err.msg);
        return -1;
    }
    Status rc = import_files(db, paths, 1, cfg->data_dir, &rep, &lines);
    db_close(db);
    if (rc != STATUS_OK) {
        log_error("first start: importing %s into %s failed", corpus,
                  cfg->database);
        unlink(cfg->database);
        return -1;
    }
    log_info("%s: %d letters, %d passages imported", cfg->database, rep.letters,
             rep.passages);
    return 0;
}

/* The database and the dispatcher named by cfg, or NULL (logged).  existing:
 * only an existing Missive database with letters (a reload). */
static Session *bot_open_session(const Config *cfg, bool existing)
{
    CommandsConfig cc = {cfg->prefix, 0, cfg->max_lines, cfg->more_expiry};
    SessionOptions so = {.database = cfg->database,
                         .data_dir = cfg->data_dir,
                         .commands = &cc,
                         .existing = existing,
                         .never_wait = true};
    Error err = {.sink = log_sink};
    CorpusStats st;
    Session *s = session_open(&so, &err);

    if (s == NULL) {
        log_error("%s", err.msg);
        return NULL;
    }
    /* !quote positions are written by the database timer (bot_database),
     * not in a write transaction of their own on every pick. */
    state_set_lazy(session_state(s), true);
    error_clear(&err);
    if (corpus_stats(session_corpus(s), &st, &err) != STATUS_OK)
        log_error("%s", err.msg);
    else if (st.passages == 0)
        log_warn("%s holds no letters yet: run 'missive import --db %s FILE'",
                 cfg->database, cfg->database);
    return s;
}

static void bot_set_session(Bot *b, Session *s)
{
    session_close(b->session);
    b->session = s;
    b->cmds = s != NULL ? session_commands(s) : NULL;
    if (b->cmds)
        commands_set_daily(b->cmds, &b->daily);
}

/* b->daily from b->cfg's [daily]. */
static void bot_daily_defaults(Bot *b)
{
    const Config *c = &b->cfg;
    for (size_t i = 0; i < c->daily_channel_count; i++)
        b->daily_chans[i] = c->daily_channels[i];
    b->daily = (DailyDefaults){
        .channels = b->daily_chans,
        .nchannels = c->daily_channel_count,
        .hour = c->daily_hour,
        .minute = c->daily_minute,
        .zone = c->daily_timezone,
        .grace = c->daily_grace,
        .template = c->daily_template,
    };
}

/* At most once a second, or now when forced: notices the database file
 * replaced under the bot (moved over).  The old
 * session is then closed before the new file is opened: the -wal and -shm
 * next to the path are the old file's, and closing the last connection
 * checkpoints them into the old file (through its descriptor, not the path)
 * and deletes them, so the new one is opened clean. */
static void bot_database(Bot *b, uint64_t now, bool force)
{
    Error err = {.sink = log_sink};
    DbFileId id = {0};

    if (!force && now < b->db_checked_ms + BOT_DB_CHECK_MS)
        return;
    b->db_checked_ms = now;
    if (b->session == NULL) {
        bot_set_session(b, bot_open_session(&b->cfg, false));
        return;
    }
    if (!session_replaced(b->session))
        return;
    error_clear(&err);
    if (db_probe_file(b->cfg.database, &id, &err) != STATUS_OK) {
        if (id.dev != b->db_refused.dev || id.ino != b->db_refused.ino)
            log_error("%s; the database file was replaced by one that cannot "
                      "be used: keeping the open one",
                      err.msg);
        b->db_refused = id;
        return;
    }
    log_warn("%s was replaced by another file: closing the old one and "
             "opening the new one",
             b->cfg.database);
    bot_set_session(b, NULL);
    bot_set_session(b, bot_open_session(&b->cfg, true));
    if (b->session == NULL)
        bot_set_session(b, bot_open_session(&b->cfg, false));
    if (b->session != NULL)
        log_info("database %s reopened", b->cfg.database);
}

/* Applies the parts of cfg that live in b itself (rates, masks, channels). */
static int bot_apply(Bot *b, const Config *cfg)
{
    MaskList *ignore = bot_masks(&cfg->ignore),
             *owners = bot_masks(&cfg->owners);
    if (!ignore || !owners) {
        mask_list_free(ignore);
        mask_list_free(owners);
        return -1;
    }
    mask_list_free(b->ignore);
    mask_list_free(b->owners);
    b->ignore = ignore;
    b->owners = owners;
    ratelimit_set(b->users, (unsigned)cfg->user_burst,
                  (unsigned)cfg->user_interval * 1000);
    ratelimit_set(b->channels, (unsigned)cfg->channel_burst,
                  (unsigned)cfg->channel_interval * 1000);
    ratelimit_set(b->private, (unsigned)cfg->private_burst,
                  (unsigned)cfg->private_interval * 1000);

    /* Channels: leave those no longer configured, join the new ones. */
    for (size_t i = b->nchans; i-- > 0;) {
        bool keep = b->chans[i].adhoc;
        for (size_t j = 0; !keep && j < cfg->channel_count; j++)
            keep = casefold_cmp(b->chans[i].name, cfg->channels[j].name) == 0;
        if (!keep)
            bot_channel_remove(b, &b->chans[i]);
    }
    for (size_t j = 0; j < cfg->channel_count; j++)
        if (!bot_channel_add(b, cfg->channels[j].name, cfg->channels[j].key,
                             false))
            log_warn("too many channels: %s not joined", cfg->channels[j].name);
    log_set_level(cfg->log_level);
    return 0;
}

/* Each config problem lands in the log as its own line. */
static int bot_load_config(const char *path, Config *cfg)
{
    Error err = {.sink = bot_on_note};
    return config_load(path, cfg, &err) == STATUS_OK ? 0 : -1;
}

static void bot_reload(Bot *b)
{
    Config next;
    const char *alts[CONFIG_ALT_NICKS_MAX];
    IrcSettings s;

    bot_notify("RELOADING=1");
    log_info("reloading %s", b->config_path);
    config_defaults(&next);
    if (bot_load_config(b->config_path, &next) < 0) {
        log_error("reload failed: keeping the running configuration");
        goto done;
    }
    bot_database(b, clock_now_ms(), true);
    Session *fresh = bot_open_session(&next, true);
    if (fresh == NULL || bot_apply(b, &next) < 0) {
        session_close(fresh);
        config_free(&next);
        log_error("reload failed: keeping the running configuration%s",
                  fresh == NULL ? " and the open database" : "");
        goto done;
    }
    bot_set_session(b, fresh);
    config_free(&b->cfg);
    b->cfg = next;
    bot_daily_defaults(b);
    bot_daily_soon(b);
    bot_irc_settings(&b->cfg, &s, alts);
    irc_update(b->irc, &s);
    log_info("configuration reloaded");
done:
    bot_notify("READY=1");
}

/* --- main loop ------------------------------------------------------------------ */

static int bot_signals(sigset_t *unblocked)
{
    struct sigaction sa = {0};
    sigset_t block;

    sa.sa_handler = bot_on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    /* Blocked except inside pselect(): a signal can never slip in between
     * checking the flags and going to sleep. */
    if (sigprocmask(SIG_BLOCK, &block, unblocked) < 0)
        return -1;
    sigdelset(unblocked, SIGTERM);
    sigdelset(unblocked, SIGINT);
    sigdelset(unblocked, SIGHUP);
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) ||
        sigaction(SIGHUP, &sa, NULL))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void bot_free(Bot *b)
{
    irc_free(b->irc);
    timer_free(b->timers);
    bot_set_session(b, NULL);
    ratelimit_free(b->users);
    ratelimit_free(b->channels);
    ratelimit_free(b->private);
    ratelimit_free(b->ctcp);
    mask_list_free(b->ignore);
    mask_list_free(b->owners);
    config_free(&b->cfg);
}

int bot_run(const char *config_path)
{
    static const IrcHandlers handlers = {
        .registered = bot_on_registered,
        .disconnected = bot_on_disconnected,
        .message = bot_on_message,
        .ctcp = bot_on_ctcp,
        .joined = bot_on_joined,
        .parted = bot_on_parted,
        .kicked = bot_on_kicked,
        .join_failed = bot_on_join_failed,
        .note = bot_on_note,
        .synced = bot_on_synced,
    };
    Bot b = {.config_path = config_path};
    const char *alts[CONFIG_ALT_NICKS_MAX];
    IrcSettings s;
    sigset_t unblocked;
    int rc = 1;

    config_defaults(&b.cfg);
    if (bot_load_config(config_path, &b.cfg) < 0)
        return 1;
    log_set_level(b.cfg.log_level);
    b.started_ms = clock_now_ms();
    b.users = ratelimit_new(1, 1000, RATELIMIT_DEFAULT_KEYS);
    b.channels = ratelimit_new(1, 1000, RATELIMIT_DEFAULT_KEYS);
    b.private = ratelimit_new(1, 1000, 1);
    b.ctcp = ratelimit_new(BOT_CTCP_BURST, BOT_CTCP_INTERVAL_MS, 4);
    if (!b.users || !b.channels || !b.private || !b.ctcp)
        goto out;
    bot_daily_defaults(&b);
    if (bot_first_import(&b.cfg) < 0)
        goto out;
    bot_set_session(&b, bot_open_session(&b.cfg, false));
    if (b.session == NULL || bot_apply(&b, &b.cfg) < 0)
        goto out;
    bot_irc_settings(&b.cfg, &s, alts);
    if (!(b.irc = irc_new(&s, &handlers, &b)) || bot_signals(&unblocked) < 0) {
        log_error("cannot start: %s", strerror(errno));
        goto out;
    }
    log_info("Missive %s starting: %s port %d, database %s", MISSIVE_VERSION,
             b.cfg.server, b.cfg.port, b.cfg.database);
    /* Ready once configured and looping: an unreachable server is a state
     * we recover from, not a failed start. */
    bot_notify("READY=1\nSTATUS=connecting");
    b.watchdog_ms = bot_watchdog_period();
    uint64_t start = clock_now_ms();
    if (!(b.timers = timer_new()) ||
        !timer_add(b.timers, start + BOT_DB_CHECK_MS, BOT_DB_CHECK_MS,
                   bot_database_timer, &b) ||
        !(b.daily_timer = timer_add(b.timers, start, BOT_DAILY_CHECK_MS,
                                    bot_daily_check, &b)) ||
        (b.watchdog_ms &&
         !timer_add(b.timers, start,
                    b.watchdog_ms < BOT_WATCHDOG_GAP_MS ? b.watchdog_ms
                                                        : BOT_WATCHDOG_GAP_MS,
                    bot_watchdog, &b))) {
        log_error("cannot start: out of memory");
        goto out;
    }
    bot_busy(&b); /* what opening the corpus read */

    while (!bot_stop_signal) {
        uint64_t now = clock_now_ms();
        timer_run(b.timers, now);
        long wait = bot_tick(&b, now), next = timer_wait_ms(b.timers, now);
        if (wait < 0 || (next >= 0 && next < wait))
            wait = next;
        if (irc_step(b.irc, wait, &unblocked) != STATUS_OK) {
            log_error("out of memory in the IRC loop");
            goto out;
        }
        if (bot_reload_signal) {
            bot_reload_signal = 0;
            bot_reload(&b);
        }
    }

    log_info("signal %d: quitting", (int)bot_stop_signal);
    bot_notify("STOPPING=1");
    irc_quit(b.irc, "Missive is shutting down");
    uint64_t deadline = clock_now_ms() + BOT_QUIT_WAIT_MS;
    while (!irc_flushed(b.irc) && clock_now_ms() < deadline)
        irc_step(b.irc, 100, &unblocked);
    rc = 0;
out:
    bot_free(&b);
    return rc;
}
