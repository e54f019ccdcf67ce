/* irc.c - one connection to one IRC server, kept alive (see irc.h).
 *
 * libircclient parses lines and handles the server's PING; everything else
 * that makes a bot survive months is here: our own pselect() loop, the send
 * queue, keep-alive, reconnect backoff, nick fallback and regain.  A new
 * libircclient session is made for every connection: it is cheap, and it
 * means no state of a dead connection can leak into the next one.
 *
 * Two quirks of Debian's libircclient 1.9 shape this file: its idea of our
 * nick is updated by a prefix comparison (a user "missive2" changing nick
 * would rename us), so we track our nick ourselves and route channel and
 * private messages through one handler that looks at the target; and its
 * event_connect fires at the end of the MOTD, so registration is RPL_WELCOME.
 * A third, its 1024-byte input buffer, is handled by the transport, which
 * cuts server lines to 512 bytes; irc_step still guards against it.
 *
 * libircclient never touches the network.  It can only connect() to a
 * host and port, so irc_connect_now points it at a loopback port we have
 * bound but never listen on (the connect is still in progress when it
 * returns) and at once dup2()s our socket pair's end over its socket: no
 * listener exists, nothing else can reach the bot's stream, and the
 * library goes on as if connected to the server, which the transport
 * (transport.h) really is.
 */
#include "irc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <libircclient.h>
#include <libirc_rfcnumeric.h>

#include "casefold.h"
#include "clock.h"
#include "ircline.h"
#include "transport.h"

#define IRC_HOST_MAX 256
#define IRC_REGAIN_MS 30000       /* how often we ask for our nick back */
#define IRC_STABLE_MS 60000       /* a connection this old resets backoff */
#define IRC_REGISTER_MIN_MS 30000 /* registration timeout, at least */
#define IRC_MAX_ALT 8
#define IRC_DROP_NOTE_MS 10000 /* at most one "dropped" line per 10 s */
#define IRC_NOTE_MAX 1024      /* holds ">> " and a whole line */

enum irc_state {
    IRC_DOWN,       /* no socket; next_connect_ms says when to try */
    IRC_CONNECTING, /* socket open, registration under way */
    IRC_REGISTERED, /* RPL_WELCOME received */
};

struct Irc {
    /* Settings, copied: the caller's Config may be reloaded under us. */
    char *server, *password, *username, *realname;
    char *tls_ca_file, *tls_fingerprint, *tls_cert, *tls_key_file, *tls_module;
    bool tls, tls_verify;
    int sasl;
    char *sasl_username, *sasl_password;
    bool sasl_required;
    char wanted_nick[IRC_NICK_MAX];
    char alt_nicks[IRC_MAX_ALT][IRC_NICK_MAX];
    size_t alt_count;
    int port;
    uint64_t ping_interval_ms, ping_timeout_ms;
    uint64_t reconnect_min_ms, reconnect_max_ms;

    IrcHandlers h;
    void *ud;
    irc_session_t *session;
    Sendq *q;

    enum irc_state state;
    char nick[IRC_NICK_MAX]; /* the nick we have or are asking for */
    size_t nick_try;         /* 0: wanted, 1..: alternates, then random */
    char user[IRC_HOST_MAX]; /* as the server relays us; "" unknown */
    char host[IRC_HOST_MAX];

    unsigned attempts; /* failed connections in a row */
    uint64_t next_connect_ms;
    uint64_t connect_started_ms;
    uint64_t registered_ms;
    uint64_t last_rx_ms;
    uint64_t ping_sent_ms; /* 0: no keep-alive PING outstanding */
    uint64_t next_regain_ms;
    uint64_t reconnects;

    Transport *tr; /* the real connection, while not IRC_DOWN */
    int sock;      /* libircclient's socket (our pair's end); -1 */
    bool reading;  /* libircclient has asked to read it */

    bool quitting;
    bool output_full;       /* libircclient refused our last line */
    uint64_t drops_unnoted; /* dropped since the last drop note */
    uint64_t last_drop_note_ms;
};

/* --- helpers --------------------------------------------------------------- */

/* Tells the app something worth logging; this layer never logs itself. */
__attribute__((format(printf, 3, 4))) static void
irc_note(const Irc *irc, Severity severity, const char *fmt, ...)
{
    char line[IRC_NOTE_MAX];
    va_list ap;

    if (!irc->h.note)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    irc->h.note(irc->ud, severity, line);
}

/* Bounded copy; truncation is the intent (names are validated upstream). */
static void irc_copy(char *dst, size_t dstsz, const char *src)
{
    size_t n = src ? strnlen(src, dstsz - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static int irc_strdup(char **dst, const char *src)
{
    char *s = src ? strdup(src) : NULL;
    if (src && !s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

/* The nick part of "nick!user@host" into out. */
static void irc_origin_nick(const char *origin, char *out, size_t outsz)
{
    size_t n = strcspn(origin ? origin : "", "!@");
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, origin ? origin : "", n);
    out[n] = '\0';
}

static bool irc_is_me(const Irc *irc, const char *origin)
{
    char nick[IRC_NICK_MAX];
    irc_origin_nick(origin, nick, sizeof nick);
    return irc->nick[0] && casefold_cmp(nick, irc->nick) == 0;
}

static Irc *irc_from(irc_session_t *session)
{
    return irc_get_ctx(session);
}

/* params[i] when present, "" otherwise: the library passes what the server
 * sent, and a hostile server can send fewer parameters than a numeric has. */
static const char *irc_param(const char **params, unsigned count, unsigned i)
{
    return i < count && params[i] ? params[i] : "";
}

/* --- nicks ------------------------------------------------------------------ */

/* Picks the nick for registration attempt nick_try: the wanted nick, each
 * alternate, then the wanted nick with three random digits. */
static void irc_pick_nick(Irc *irc)
{
    if (irc->nick_try == 0) {
        irc_copy(irc->nick, sizeof irc->nick, irc->wanted_nick);
    } else if (irc->nick_try <= irc->alt_count) {
        irc_copy(irc->nick, sizeof irc->nick,
                 irc->alt_nicks[irc->nick_try - 1]);
    } else {
        /* 9 bytes is the smallest NICKLEN a server may impose. */
        char base[7];
        irc_copy(base, sizeof base, irc->wanted_nick);
        snprintf(irc->nick, sizeof irc->nick, "%s%03u", base,
                 (unsigned)(arc4random_uniform(1000)));
    }
}

static void irc_ask_nick(Irc *irc, const char *nick)
{
    char line[IRCLINE_BODY_MAX + 1];
    snprintf(line, sizeof line, "NICK %s", nick);
    irc_send(irc, SENDQ_URGENT, NULL, line);
}

/* --- connection ------------------------------------------------------------ */

static void irc_disconnect_now(Irc *irc, const char *why);

static void irc_on_numeric(irc_session_t *session, unsigned code,
                           const char *origin, const char **params,
                           unsigned count)
{
    Irc *irc = irc_from(session);
    (void)origin;

    switch (code) {
    case LIBIRC_RFC_RPL_WELCOME:
        irc->state = IRC_REGISTERED;
        irc->registered_ms = clock_now_ms();
        irc_copy(irc->nick, sizeof irc->nick, irc_param(params, count, 0));
        irc->next_regain_ms = irc->registered_ms + IRC_REGAIN_MS;
        irc_note(irc, SEVERITY_INFO, "registered as %s", irc->nick);
        if (irc->h.registered)
            irc->h.registered(irc->ud, irc->nick);
        break;
    case LIBIRC_RFC_ERR_NICKNAMEINUSE:
    case LIBIRC_RFC_ERR_ERRONEUSNICKNAME:
    case LIBIRC_RFC_ERR_UNAVAILRESOURCE:
    case LIBIRC_RFC_ERR_NICKCOLLISION:
        if (irc->state == IRC_REGISTERED) {
            /* A regain attempt failed; our current nick stands. */
            if (casefold_cmp(irc->nick, irc->wanted_nick) != 0)
                irc_note(irc, SEVERITY_DEBUG, "nick %s still taken",
                         irc->wanted_nick);
            break;
        }
        irc->nick_try++;
        irc_pick_nick(irc);
        irc_note(irc, SEVERITY_WARNING, "nick taken or refused (%u), trying %s",
                 code, irc->nick);
        irc_ask_nick(irc, irc->nick);
        break;
    case LIBIRC_RFC_ERR_CHANNELISFULL:
    case LIBIRC_RFC_ERR_INVITEONLYCHAN:
    case LIBIRC_RFC_ERR_BANNEDFROMCHAN:
    case LIBIRC_RFC_ERR_BADCHANNELKEY:
    case LIBIRC_RFC_ERR_BADCHANMASK:
    case LIBIRC_RFC_ERR_NOSUCHCHANNEL:
    case LIBIRC_RFC_ERR_TOOMANYCHANNELS:
    case 477: /* ERR_NEEDREGGEDNICK on most networks */
        if (irc->h.join_failed)
            irc->h.join_failed(irc->ud, irc_param(params, count, 1), code,
                               irc_param(params, count, 2));
        break;
    case 396: /* RPL_HOSTHIDDEN: our relayed host changed */
        irc_copy(irc->host, sizeof irc->host, irc_param(params, count, 1));
        break;
    case LIBIRC_RFC_ERR_PASSWDMISMATCH:
        irc_note(irc, SEVERITY_ERROR, "the server refused our password (464)");
        break;
    case LIBIRC_RFC_ERR_YOUREBANNEDCREEP:
        irc_note(irc, SEVERITY_ERROR, "the server says we are banned (465): %s",
                 irc_param(params, count, 1));
        break;
    default:
        break;
    }
}

static void irc_on_join(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    (void)event;
    if (!irc_is_me(irc, origin))
        return;
    /* Our own JOIN echo shows us as others see us: learn user@host, which
     * sets how much text fits in a relayed line. */
    const char *bang = origin ? strchr(origin, '!') : NULL;
    const char *at = bang ? strchr(bang, '@') : NULL;
    if (bang && at) {
        snprintf(irc->user, sizeof irc->user, "%.*s", (int)(at - bang - 1),
                 bang + 1);
        irc_copy(irc->host, sizeof irc->host, at + 1);
    }
    if (irc->h.joined)
        irc->h.joined(irc->ud, irc_param(params, count, 0));
}

static void irc_on_part(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    (void)event;
    if (irc_is_me(irc, origin) && irc->h.parted)
        irc->h.parted(irc->ud, irc_param(params, count, 0));
}

static void irc_on_kick(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    (void)event;
    if (casefold_cmp(irc_param(params, count, 1), irc->nick) == 0 &&
        irc->h.kicked)
        irc->h.kicked(irc->ud, irc_param(params, count, 0),
                      origin ? origin : "", irc_param(params, count, 2));
}

static void irc_on_nick(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    char who[IRC_NICK_MAX];
    (void)event;
    irc_origin_nick(origin, who, sizeof who);
    if (casefold_cmp(who, irc->nick) == 0) {
        irc_copy(irc->nick, sizeof irc->nick, irc_param(params, count, 0));
        irc_note(irc, SEVERITY_INFO, "now known as %s", irc->nick);
    } else if (casefold_cmp(who, irc->wanted_nick) == 0) {
        irc->next_regain_ms = 0; /* our nick just came free */
    }
}

static void irc_on_quit(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    char who[IRC_NICK_MAX];
    (void)event, (void)params, (void)count;
    irc_origin_nick(origin, who, sizeof who);
    if (casefold_cmp(who, irc->wanted_nick) == 0)
        irc->next_regain_ms = 0;
}

/* Channel and private messages alike: the target tells them apart. */
static void irc_on_message(irc_session_t *session, const char *event,
                           const char *origin, const char **params,
                           unsigned count)
{
    Irc *irc = irc_from(session);
    (void)event;
    if (count < 2 || !params[0] || !params[1] || !origin)
        return;
    if (irc_is_me(irc, origin))
        return; /* our own lines, if a server echoes them */
    /* The account travels with this very line (transport_account), never
     * from a nick -> account cache that a NICK or logout leaves stale. */
    char account[128] = "";
    const char *acct =
        irc->tr ? transport_account(irc->tr, origin, params[0], params[1])
                : NULL;
    if (acct)
        snprintf(account, sizeof account, "%s", acct);
    if (irc->h.message)
        irc->h.message(irc->ud, origin, params[0], params[1],
                       account[0] ? account : NULL);
}

static void irc_on_ctcp(irc_session_t *session, const char *event,
                        const char *origin, const char **params, unsigned count)
{
    Irc *irc = irc_from(session);
    (void)event;
    if (count < 1 || !params[0] || !origin || irc_is_me(irc, origin))
        return;
    if (irc->h.ctcp)
        irc->h.ctcp(irc->ud, origin, params[0]);
}

/* A PONG: libircclient 1.9 has no event of its own for it.  One that
 * carries an irc_sync token is handed up; any PONG also answers our
 * keep-alive PING (irc_step resets that on every read). */
static void irc_on_unknown(irc_session_t *session, const char *event,
                           const char *origin, const char **params,
                           unsigned count)
{
    Irc *irc = irc_from(session);
    (void)origin;
    if (!event || strcmp(event, "PONG") != 0 || count < 1)
        return;
    const char *token = params[count - 1];
    if (token &&
        strncmp(token, IRC_SYNC_PREFIX, strlen(IRC_SYNC_PREFIX)) == 0 &&
        irc->h.synced)
        irc->h.synced(irc->ud, token);
}

/* Deliberately unset: event_ctcp_action (libircclient 1.9 hands it a
 * pointer past the end of short CTCP payloads), event_notice and
 * event_channel_notice (a bot never answers a NOTICE), DCC. */
static irc_callbacks_t irc_callbacks = {
    .event_numeric = irc_on_numeric,
    .event_join = irc_on_join,
    .event_part = irc_on_part,
    .event_kick = irc_on_kick,
    .event_nick = irc_on_nick,
    .event_quit = irc_on_quit,
    .event_channel = irc_on_message,
    .event_privmsg = irc_on_message,
    .event_ctcp_req = irc_on_ctcp,
    .event_unknown = irc_on_unknown,
};

static uint64_t irc_backoff_ms(Irc *irc)
{
    uint64_t base = irc->reconnect_min_ms;
    for (unsigned i = 1; i < irc->attempts && base < irc->reconnect_max_ms; i++)
        base *= 2;
    if (base > irc->reconnect_max_ms)
        base = irc->reconnect_max_ms;
    /* "Equal jitter": half fixed, half random, so a netsplit does not bring
     * every bot back in the same second. */
    uint64_t half = base / 2;
    return half +
           (half ? arc4random_uniform(
                       (uint32_t)(half > UINT32_MAX ? UINT32_MAX : half) + 1)
                 : 0);
}

static void irc_schedule_reconnect(Irc *irc, uint64_t now)
{
    irc->attempts++;
    uint64_t delay = irc_backoff_ms(irc);
    irc->next_connect_ms = now + delay;
    irc_note(irc, SEVERITY_INFO, "reconnecting in %.1f s (attempt %u)",
             (double)delay / 1000.0, irc->attempts);
}

static void irc_disconnect_now(Irc *irc, const char *why)
{
    uint64_t now = clock_now_ms();
    bool was_registered = irc->state == IRC_REGISTERED;

    if (irc->session) {
        irc_disconnect(irc->session);
        irc_destroy_session(irc->session);
        irc->session = NULL;
    }
    transport_close(irc->tr);
    irc->tr = NULL;
    irc->state = IRC_DOWN;
    irc->sock = -1;
    irc->reading = false;
    irc->ping_sent_ms = 0;
    irc->user[0] = irc->host[0] = '\0';
    size_t dropped = sendq_clear(irc->q);
    irc_note(irc, irc->quitting ? SEVERITY_INFO : SEVERITY_WARNING,
             "disconnected: %s%s", why,
             dropped ? " (queued lines dropped)" : "");
    if (was_registered && now - irc->registered_ms >= IRC_STABLE_MS)
        irc->attempts = 0;
    if (!irc->quitting) {
        irc->reconnects++;
        irc_schedule_reconnect(irc, now);
    }
    if (irc->h.disconnected)
        irc->h.disconnected(irc->ud, why);
}

static void irc_transport_note(void *ud, Severity severity, const char *line)
{
    irc_note(ud, severity, "%s", line);
}

/* Hands the session our end of the socket pair (see the top of this file).
 * Returns 0, or -1 with the reason in why. */
static int irc_attach(Irc *irc, int local, char *why, size_t whysz)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    fd_set in, out;
    int maxfd = -1, sessfd = -1, found = 0;
    int rc = -1;

    /* Bound, never listening: the library's connect() goes nowhere, and
     * no other socket can take the port while we hold it. */
    int hole = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (hole < 0 || bind(hole, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        getsockname(hole, (struct sockaddr *)&sin, &len) < 0) {
        snprintf(why, whysz, "cannot reserve a loopback port: %s",
                 strerror(errno));
        goto done;
    }
    if (irc_connect(irc->session, "127.0.0.1", ntohs(sin.sin_port),
                    irc->password, irc->nick, irc->username, irc->realname)) {
        snprintf(why, whysz, "libircclient cannot start: %s",
                 irc_strerror(irc_errno(irc->session)));
        goto done;
    }
    /* A session that is connecting waits for exactly one descriptor, its
     * socket, to turn writable. */
    FD_ZERO(&in);
    FD_ZERO(&out);
    irc_add_select_descriptors(irc->session, &in, &out, &maxfd);
    for (int fd = 0; fd <= maxfd; fd++)
        if (FD_ISSET(fd, &out) || FD_ISSET(fd, &in)) {
            sessfd = fd;
            found++;
        }
    if (found != 1) {
        snprintf(why, whysz, "libircclient's socket not found");
        goto done;
    }
    if (dup2(local, sessfd) < 0 || fcntl(sessfd, F_SETFD, FD_CLOEXEC) < 0) {
        snprintf(why, whysz, "dup2: %s", strerror(errno));
        goto done;
    }
    irc->sock = sessfd;
    rc = 0;
done:
    if (hole >= 0)
        close(hole);
    close(local);
    return rc;
}

static int irc_connect_now(Irc *irc, uint64_t now)
{
    TransportSettings ts = {
        .host = irc->server,
        .port = irc->port,
        .tls = irc->tls,
        .tls_verify = irc->tls_verify,
        .tls_ca_file = irc->tls_ca_file,
        .tls_fingerprint = irc->tls_fingerprint,
        .tls_cert = irc->tls_cert,
        .tls_key_file = irc->tls_key_file,
        .tls_module = irc->tls_module,
        .sasl = (enum transport_sasl)irc->sasl,
        .sasl_username = irc->sasl_username,
        .sasl_password = irc->sasl_password,
        .sasl_required = irc->sasl_required,
        .note = irc_transport_note,
        .ud = irc,
    };
    Error err = {0};
    char why[512];
    int local = -1;

    irc->session = irc_create_session(&irc_callbacks);
    if (!irc->session)
        return -1;
    irc_set_ctx(irc->session, irc);
    irc->nick_try = 0;
    irc_pick_nick(irc);
    irc->connect_started_ms = irc->last_rx_ms = now;
    irc->ping_sent_ms = 0;
    irc->sock = -1;
    irc->reading = false;
    irc->state = IRC_CONNECTING;
    irc_note(irc, SEVERITY_INFO, "connecting to %s port %d (%s) as %s",
             irc->server, irc->port,
             !irc->tls         ? "plain text"
             : irc->tls_verify ? "TLS"
                               : "TLS, unverified",
             irc->nick);

    irc->tr = transport_open(&ts, &local, &err);
    if (!irc->tr) {
        snprintf(why, sizeof why, "cannot connect: %.400s", err.msg);
        irc_disconnect_now(irc, why);
        return 0;
    }
    if (irc_attach(irc, local, why, sizeof why) < 0)
        irc_disconnect_now(irc, why);
    return 0;
}

/* --- keep-alive and timers ---------------------------------------------------- */

/* Milliseconds until the next timer of a live connection, after acting on
 * any that are due. */
static long irc_timers(Irc *irc, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    if (irc->state == IRC_CONNECTING) {
        uint64_t limit = irc->ping_timeout_ms > IRC_REGISTER_MIN_MS
                             ? irc->ping_timeout_ms
                             : IRC_REGISTER_MIN_MS;
        if (now - irc->connect_started_ms >= limit) {
            irc_disconnect_now(irc, "registration timed out");
            return 0;
        }
        next = irc->connect_started_ms + limit;
    }
    if (irc->state == IRC_REGISTERED) {
        if (irc->ping_sent_ms) {
            if (now - irc->ping_sent_ms >= irc->ping_timeout_ms) {
                irc_disconnect_now(
                    irc, "ping timeout: the server stopped answering");
                return 0;
            }
            next = irc->ping_sent_ms + irc->ping_timeout_ms;
        } else if (now - irc->last_rx_ms >= irc->ping_interval_ms) {
            irc_send(irc, SENDQ_URGENT, NULL, "PING :missive");
            irc->ping_sent_ms = now;
            next = now + irc->ping_timeout_ms;
        } else {
            next = irc->last_rx_ms + irc->ping_interval_ms;
        }
        if (casefold_cmp(irc->nick, irc->wanted_nick) != 0) {
            if (now >= irc->next_regain_ms) {
                irc_ask_nick(irc, irc->wanted_nick);
                irc->next_regain_ms = now + IRC_REGAIN_MS;
            }
            if (irc->next_regain_ms < next)
                next = irc->next_regain_ms;
        }
    }
    return next == UINT64_MAX ? -1 : (long)(next - now);
}

/* Hands the lines the send queue allows to libircclient; how many. */
static size_t irc_flush(Irc *irc, uint64_t now)
{
    const char *line;
    size_t handed = 0;
    if (!irc->session || irc->state == IRC_DOWN)
        return 0;
    irc->output_full = false;
    while ((line = sendq_pop(irc->q, now)) != NULL) {
        if (irc_send_raw(irc->session, "%s", line) != 0) {
            /* libircclient's 1024-byte output buffer is full: give the line
             * back and wait for the socket to drain it. */
            sendq_unpop(irc->q);
            irc->output_full = true;
            break;
        }
        handed++;
        irc_note(irc, SEVERITY_DEBUG, ">> %s", line);
    }
    return handed;
}

/* The answer's way out in the same turn.  libircclient writes its buffer
 * only when select() says its socket is writable, and the transport reads
 * it from the socket pair only when select() says so next: two more trips
 * through pselect() per answer.  Our end of the pair is writable unless its
 * buffer is full (then libircclient's send() just fails with EAGAIN, as
 * after a spurious wake-up, and the normal path takes over), and every
 * socket here is non-blocking, so both steps are run now. */
static void irc_push_out(Irc *irc)
{
    fd_set in, out;
    int maxfd = -1;

    if (irc->state != IRC_REGISTERED || irc->sock < 0 || !irc->session)
        return;
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(irc->sock, &out);
    if (irc_process_select_descriptors(irc->session, &in, &out) != 0 ||
        !irc_is_connected(irc->session))
        return; /* the next irc_step sees it and says why */
    FD_ZERO(&in);
    FD_ZERO(&out);
    transport_prepare(irc->tr, &in, &out, &maxfd);
    FD_ZERO(&out);
    transport_process(irc->tr, &in, &out);
}

static long irc_min_wait(long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

Status irc_step(Irc *irc, long max_wait_ms, const sigset_t *unblocked)
{
    uint64_t now = clock_now_ms();
    fd_set in, out;
    int maxfd = -1;
    long wait = max_wait_ms;

    FD_ZERO(&in);
    FD_ZERO(&out);
    if (irc->state == IRC_DOWN && !irc->quitting &&
        now >= irc->next_connect_ms) {
        if (irc_connect_now(irc, now) < 0)
            return STATUS_ERROR;
    }
    if (irc->state == IRC_DOWN) {
        if (!irc->quitting)
            wait = irc_min_wait(wait, (long)(irc->next_connect_ms - now));
    } else {
        wait = irc_min_wait(wait, irc_timers(irc, now));
        if (irc->state != IRC_DOWN) {
            irc_flush(irc, now);
            /* With the library's buffer full, the socket turning writable
             * is what wakes us, not the bucket. */
            if (!irc->output_full)
                wait = irc_min_wait(wait, sendq_wait_ms(irc->q, now));
            irc_add_select_descriptors(irc->session, &in, &out, &maxfd);
            /* libircclient 1.9 reads into a 1024-byte buffer and leaves the
             * socket out of the read set while the buffer holds no complete
             * line: after one line over 1023 bytes it never reads again and
             * says nothing.  The transport cuts lines to 512 bytes, so this
             * is a guard; only a new connection would get us out. */
            if (irc->sock >= 0 && FD_ISSET(irc->sock, &in))
                irc->reading = true;
            else if (irc->reading) {
                irc_disconnect_now(irc, "server sent a line longer than 1023 "
                                        "bytes; libircclient cannot read "
                                        "past it: reconnecting");
                return STATUS_OK;
            }
            wait = irc_min_wait(wait,
                                transport_prepare(irc->tr, &in, &out, &maxfd));
        }
    }
    if (wait < 0)
        wait = 1000;

    struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
    int n = pselect(maxfd + 1, &in, &out, NULL, &ts, unblocked);
    if (n < 0) {
        if (errno == EINTR)
            return STATUS_OK;
        irc_note(irc, SEVERITY_ERROR, "select: %s", strerror(errno));
        return STATUS_OK;
    }
    if (!irc->session || irc->state == IRC_DOWN)
        return STATUS_OK;

    now = clock_now_ms();
    transport_process(irc->tr, &in, &out);
    /* A line the transport has just relayed is read in this turn as well,
     * not after one more trip through pselect(): one poll() of our end of
     * the pair, when libircclient asked to read this turn (so it has room). */
    if (n > 0 && irc->reading && irc->sock >= 0 && !FD_ISSET(irc->sock, &in)) {
        struct pollfd pfd = {.fd = irc->sock, .events = POLLIN};
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
            FD_SET(irc->sock, &in);
    }
    if (irc->sock >= 0 && FD_ISSET(irc->sock, &in)) {
        irc->last_rx_ms = now;
        irc->ping_sent_ms = 0;
    }
    if (irc_process_select_descriptors(irc->session, &in, &out) != 0 ||
        !irc_is_connected(irc->session)) {
        /* The transport knows why the stream ended (a certificate refused,
         * the server gone); libircclient only saw it end. */
        const char *why = transport_failure(irc->tr);
        int err = irc_errno(irc->session);
        char reason[IRC_NOTE_MAX];
        snprintf(reason, sizeof reason, "%s",
                 why   ? why
                 : err ? irc_strerror(err)
                       : "connection closed");
        irc_disconnect_now(irc, reason);
        return STATUS_OK;
    }
    if (irc_flush(irc, now) > 0)
        irc_push_out(irc);
    return STATUS_OK;
}

/* --- public ------------------------------------------------------------------ */

static int irc_apply(Irc *irc, const IrcSettings *s)
{
    if (irc_strdup(&irc->server, s->server) ||
        irc_strdup(&irc->password, s->password) ||
        irc_strdup(&irc->username, s->username) ||
        irc_strdup(&irc->realname, s->realname) ||
        irc_strdup(&irc->tls_ca_file, s->tls_ca_file) ||
        irc_strdup(&irc->tls_fingerprint, s->tls_fingerprint) ||
        irc_strdup(&irc->tls_cert, s->tls_cert) ||
        irc_strdup(&irc->tls_key_file, s->tls_key_file) ||
        irc_strdup(&irc->tls_module, s->tls_module) ||
        irc_strdup(&irc->sasl_username, s->sasl_username))
        return -1;
    if (irc->sasl_password) /* a secret: wiped, not just freed */
        explicit_bzero(irc->sasl_password, strlen(irc->sasl_password));
    if (irc_strdup(&irc->sasl_password, s->sasl_password))
        return -1;
    irc->sasl = s->sasl;
    irc->sasl_required = s->sasl_required;
    irc->tls = s->tls;
    irc->tls_verify = s->tls_verify;
    irc_copy(irc->wanted_nick, sizeof irc->wanted_nick, s->nick);
    irc->alt_count =
        s->alt_nick_count < IRC_MAX_ALT ? s->alt_nick_count : IRC_MAX_ALT;
    for (size_t i = 0; i < irc->alt_count; i++)
        irc_copy(irc->alt_nicks[i], sizeof irc->alt_nicks[i], s->alt_nicks[i]);
    irc->port = s->port;
    irc->ping_interval_ms =
        (uint64_t)(s->ping_interval > 0 ? s->ping_interval : 120) * 1000;
    irc->ping_timeout_ms =
        (uint64_t)(s->ping_timeout > 0 ? s->ping_timeout : 60) * 1000;
    irc->reconnect_min_ms =
        (uint64_t)(s->reconnect_min > 0 ? s->reconnect_min : 2) * 1000;
    irc->reconnect_max_ms =
        (uint64_t)(s->reconnect_max > 0 ? s->reconnect_max : 300) * 1000;
    if (irc->reconnect_max_ms < irc->reconnect_min_ms)
        irc->reconnect_max_ms = irc->reconnect_min_ms;
    return 0;
}

Irc *irc_new(const IrcSettings *s, const IrcHandlers *h, void *ud)
{
    Irc *irc = calloc(1, sizeof *irc);
    if (!irc)
        return NULL;
    irc->h = *h;
    irc->ud = ud;
    irc->sock = -1;
    irc->q = sendq_new(s->flood_burst, s->flood_interval_ms, s->queue_max);
    if (!irc->q || irc_apply(irc, s) < 0) {
        irc_free(irc);
        return NULL;
    }
    return irc;
}

void irc_free(Irc *irc)
{
    if (!irc)
        return;
    if (irc->session)
        irc_destroy_session(irc->session);
    transport_close(irc->tr);
    sendq_free(irc->q);
    free(irc->server);
    if (irc->password)
        memset(irc->password, 0, strlen(irc->password));
    free(irc->password);
    free(irc->username);
    free(irc->realname);
    free(irc->tls_ca_file);
    free(irc->tls_fingerprint);
    free(irc->tls_cert);
    free(irc->tls_key_file);
    free(irc->tls_module);
    free(irc->sasl_username);
    if (irc->sasl_password)
        explicit_bzero(irc->sasl_password, strlen(irc->sasl_password));
    free(irc->sasl_password);
    free(irc);
}

Status irc_update(Irc *irc, const IrcSettings *s)
{
    bool new_nick = casefold_cmp(s->nick, irc->wanted_nick) != 0;
    if (irc_apply(irc, s) < 0)
        return STATUS_ERROR;
    sendq_set_rate(irc->q, s->flood_burst, s->flood_interval_ms);
    if (new_nick && irc->state == IRC_REGISTERED)
        irc->next_regain_ms = 0;
    return STATUS_OK;
}

/* Drops are counted in the queue's stats and logged at most once per
 * IRC_DROP_NOTE_MS: a flood of commands must not become a flood of logs. */
static void irc_note_drop(Irc *irc, const char *target)
{
    uint64_t now = clock_now_ms();
    irc->drops_unnoted++;
    if (irc->last_drop_note_ms &&
        now - irc->last_drop_note_ms < IRC_DROP_NOTE_MS)
        return;
    irc_note(irc, SEVERITY_WARNING,
             "send queue full: %llu line(s) dropped (latest to %s)",
             (unsigned long long)irc->drops_unnoted,
             target ? target : "server");
    irc->drops_unnoted = 0;
    irc->last_drop_note_ms = now;
}

Status irc_send(Irc *irc, enum sendq_class cls, const char *target,
                const char *line)
{
    Status st;

    if (strpbrk(line, "\r\n")) {
        irc_note(irc, SEVERITY_ERROR,
                 "refusing to send a line with CR or LF: %.40s", line);
        return STATUS_INVALID;
    }
    if ((st = sendq_push(irc->q, cls, target, line)) != STATUS_OK) {
        if (!irc->quitting) /* after QUIT nothing more is sent */
            irc_note_drop(irc, target);
        return st;
    }
    return STATUS_OK;
}

Status irc_sync(Irc *irc, const char *target, const char *token)
{
    char line[IRCLINE_BODY_MAX + 1];
    if (irc->state != IRC_REGISTERED ||
        strncmp(token, IRC_SYNC_PREFIX, strlen(IRC_SYNC_PREFIX)) != 0 ||
        strpbrk(token, " \r\n") || strlen(token) > 64)
        return STATUS_INVALID;
    snprintf(line, sizeof line, "PING :%s", token);
    return irc_send(irc, SENDQ_NORMAL, target, line);
}

typedef struct {
    Irc *irc;
    const char *command;
    const char *target;
    int queued;
    int failed;
} IrcSay;

static int irc_say_chunk(const char *chunk, size_t len, void *ud)
{
    IrcSay *say = ud;
    char line[IRCLINE_BODY_MAX + 1];
    (void)len;
    if (ircline_build(line, sizeof line, say->command, say->target, chunk) <
            0 ||
        irc_send(say->irc, SENDQ_NORMAL, say->target, line) != STATUS_OK) {
        say->failed = 1;
        return 1; /* the rest would be dropped too: stop */
    }
    say->queued++;
    return 0;
}

size_t irc_text_budget(const Irc *irc, const char *target)
{
    return ircline_privmsg_budget(irc->nick[0] ? irc->nick : irc->wanted_nick,
                                  irc->user[0] ? irc->user : NULL,
                                  irc->host[0] ? irc->host : NULL, target);
}

int irc_say(Irc *irc, const char *command, const char *target, const char *text)
{
    IrcSay say = {irc, command, target, 0, 0};
    size_t budget = irc_text_budget(irc, target);
    if (budget < IRCLINE_SPLIT_MIN)
        return -1;
    ircline_split(text, strlen(text), budget, irc_say_chunk, &say);
    return say.failed ? -1 : say.queued;
}

bool irc_registered(const Irc *irc)
{
    return irc->state == IRC_REGISTERED;
}

const char *irc_nick(const Irc *irc)
{
    return irc->nick[0] ? irc->nick : irc->wanted_nick;
}

void irc_stats(const Irc *irc, IrcStats *out)
{
    out->connected = irc->state == IRC_REGISTERED;
    out->connected_since_ms = irc->registered_ms;
    out->reconnects = irc->reconnects;
    sendq_stats(irc->q, &out->queue);
}

void irc_quit(Irc *irc, const char *reason)
{
    char line[IRCLINE_BODY_MAX + 1];
    size_t dropped = 0;

    irc->quitting = true;
    if (irc->state == IRC_DOWN)
        return;
    snprintf(line, sizeof line, "QUIT :%s", reason);
    /* With the queue full the bucket is empty: QUIT behind it would miss
     * the shutdown deadline, and the lines before it no longer matter. */
    if (sendq_push_final(irc->q, line, &dropped) != STATUS_OK)
        irc_note(irc, SEVERITY_ERROR, "cannot queue QUIT: out of memory");
    else if (dropped)
        irc_note(irc, SEVERITY_INFO, "quitting: %zu queued line(s) dropped",
                 dropped);
}

bool irc_flushed(const Irc *irc)
{
    /* After QUIT the server closes the connection: that is the proof that
     * everything before it was written. */
    return irc->state == IRC_DOWN;
}
