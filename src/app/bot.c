/* bot.c - the daemon: Missive in its channels (see bot.h).
 *
 * Event-driven on top of irc.c: the IRC layer calls back with what arrived,
 * bot_tick() runs our own timers (joins and rejoins), and signals only set
 * flags that the loop acts on between two turns, so no handler ever touches
 * shared state.  Who is answered is decided here, in this order: ignore
 * masks, other Missive instances, owners' private commands, the command
 * prefix or our nick, then the user's and the channel's rate limits.
 */
#include "bot.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "casefold.h"
#include "clock.h"
#include "commands.h"
#include "config.h"
#include "corpus.h"
#include "db.h"
#include "import.h"
#include "irc.h"
#include "ircline.h"
#include "log.h"
#include "mask.h"
#include "ratelimit.h"
#include "session.h"
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

typedef struct {
    char name[CONFIG_CHANNEL_LEN + 1];
    char key[CONFIG_KEY_LEN + 1];
    bool adhoc; /* joined by an owner, not in the config */
    bool joined;
    uint64_t next_join_ms;
    uint64_t backoff_ms;
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
    uint64_t watchdog_sent_ms;
    uint64_t db_checked_ms;
    DbFileId db_refused; /* a replacement already logged as unusable */
} Bot;

static void bot_database(Bot *b, uint64_t now, bool force);

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
#ifdef HAVE_SYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

/* Half the period of systemd's watchdog (WatchdogSec=) in ms, or 0. */
static uint64_t bot_watchdog_period(void)
{
#ifdef HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
        return usec / 2000;
#endif
    return 0;
}

/* Sends WATCHDOG=1 at the start of a loop turn and returns how long the
 * turn may sleep before the next one is due (-1: no watchdog).  Sent on
 * every turn after at least a second, not only when half the period is
 * up: a turn may block (irc_connect resolves the server name with
 * gethostbyname), and it then has the whole period, not what is left. */
static long bot_watchdog(Bot *b, uint64_t now)
{
    uint64_t gap = b->watchdog_ms < BOT_WATCHDOG_GAP_MS ? b->watchdog_ms
                                                        : BOT_WATCHDOG_GAP_MS;
    if (!b->watchdog_ms)
        return -1;
    if (now - b->watchdog_sent_ms >= gap) {
        bot_notify("WATCHDOG=1");
        b->watchdog_sent_ms = now;
    }
    return (long)(b->watchdog_sent_ms + b->watchdog_ms - now);
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

/* Owner commands, in a private message, with or without the prefix:
 * join #chan [key], part #chan, say #chan text, reload, status.  Returns
 * true when text was one. */
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
                       const char *reply_to, const char *text, bool as_reply)
{
    CommandOutput out = {0};
    CommandInput in = {text, nick, channel, irc_text_budget(b->irc, reply_to)};
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
}

static void bot_on_message(void *ud, const char *origin, const char *target,
                           const char *raw)
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

    if (private && mask_list_match(b->owners, origin) &&
        bot_owner_command(b, nick, text))
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
    bot_answer(b, nick, channel, private ? nick : target, body, as_reply);
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
    for (size_t i = 0; i < b->nchans; i++) b->chans[i].joined = false;
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
}

/* At most once a second, or now when forced: writes the !quote positions
 * kept in memory while another process held the database's write lock, and
 * notices the database file replaced under the bot (moved over).  The old
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
    if (session_flush(b->session, &err) != STATUS_OK)
        log_error("%s", err.msg);
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

    while (!bot_stop_signal) {
        uint64_t now = clock_now_ms();
        long wait = bot_tick(&b, now), dog = bot_watchdog(&b, now);
        if (dog >= 0 && (wait < 0 || dog < wait))
            wait = dog;
        if (wait < 0 || wait > BOT_DB_CHECK_MS)
            wait = BOT_DB_CHECK_MS; /* see bot_database */
        if (irc_step(b.irc, wait, &unblocked) != STATUS_OK) {
            log_error("out of memory in the IRC loop");
            goto out;
        }
        if (bot_reload_signal) {
            bot_reload_signal = 0;
            bot_reload(&b);
        }
        bot_database(&b, clock_now_ms(), false);
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
