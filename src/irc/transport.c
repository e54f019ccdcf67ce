/* transport.c - resolution, connection and relay under libircclient (see
 * transport.h), and the plain ConnType.
 *
 * Life of one connection: RESOLVING (a numeric address at once; a name
 * through getaddrinfo_a, polled, never waited for) -> CONNECTING to each
 * address in turn, a non-blocking connect() with its own timeout ->
 * HANDSHAKE (TLS; plain is done at once) -> UP, relaying both ways ->
 * FAILED, with a reason, once anything goes wrong or the server closes.
 * Bytes libircclient writes before UP (NICK, USER) wait in tx; bytes from
 * the server are cut into lines of at most 510 bytes + CR LF on their way
 * to libircclient, whose 1024-byte buffer would otherwise jam.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "base64.h"
#include "casefold.h"
#include "clock.h"
#include "conn.h"

#define TRANSPORT_TX_MAX 8192
#define TRANSPORT_RX_MAX 16384
#define TRANSPORT_RX_CHUNK 4096 /* read from the server at most */
#define TRANSPORT_LINE_MAX 510  /* RFC 1459: 512 with CR LF */
#define TRANSPORT_POLL_MS 20    /* how often an unfinished lookup is asked */
#define TRANSPORT_TIMEOUT_MS 10000
#define TRANSPORT_NOTE_MAX 1024
#define TRANSPORT_HOST_MAX 256
#define TRANSPORT_ADDR_MAX (INET6_ADDRSTRLEN + 8)

#define TRANSPORT_SASL_CHUNK 400 /* AUTHENTICATE payload per line */
#define TRANSPORT_PARAMS_MAX 15

#define TRANSPORT_TAGS_MAX 2048   /* message tags kept per line; more: none */
#define TRANSPORT_ACCOUNT_MAX 96  /* longer account names are not trusted */
#define TRANSPORT_MSGS 128        /* PRIVMSG lines on their way up */
#define TRANSPORT_NICK_MAX 63     /* longer nicks get no account */
#define TRANSPORT_ACCT_SLOTS (2 * TRANSPORT_ACCOUNTS_MAX) /* a power of 2 */

/* CAP (and SASL) before registration; NEG_OFF until the connection is up. */
enum transport_neg {
    NEG_OFF,
    NEG_LS,  /* CAP LS 302 sent */
    NEG_REQ, /* CAP REQ sent: answers, then AUTHENTICATE, are awaited */
    NEG_DONE,
};

/* One PRIVMSG on its way to libircclient with the account its tag named.
 *
 * libircclient 1.9 cannot parse message tags, so the transport strips them
 * from every line; the account of a PRIVMSG would be lost.  Each PRIVMSG
 * that goes up is therefore also recorded here, in order, as the origin,
 * target and text libircclient will report, with its account.  When
 * libircclient hands the message on, transport_account takes the oldest
 * record that equals it, word for word (older ones are lines libircclient
 * did not report as messages, CTCP for example), so an account can only
 * ever be paired with the very line that carried it; when no record
 * matches (or the ring overflowed under a flood) there is no account,
 * never someone else's.  Without account-tag the account comes from the
 * nick -> account map (TransportAcct) as it stood when the line arrived. */
typedef struct {
    char buf[TRANSPORT_LINE_MAX + 1]; /* origin, target, text, NUL-ended */
    unsigned short target, text;      /* offsets into buf (origin at 0) */
    char account[TRANSPORT_ACCOUNT_MAX + 1]; /* "" when not logged in */
} TransportMsg;

/* The fallback when the server grants no account-tag but extended-join and
 * account-notify: a nick -> account map built from what those caps tell
 * us, used only then (a granted account-tag always wins).
 *
 * The trade-off: a map is a cache, and a cache can go stale; a stale
 * entry would name a stranger as an owner.  So it is kept fail-closed:
 * an extended JOIN sets a nick's account ("*": none), ACCOUNT name/"*"
 * updates it, NICK moves it, and QUIT, PART or KICK of that nick removes
 * it, even when the nick is still in another channel with us (it loses
 * its account until it joins again or ACCOUNT names one); our own PART,
 * KICK, or any disconnect clears the whole map (a reconnect starts a new
 * transport with an empty one).  A nick we never saw join (already in the
 * channel when we joined: NAMES carries no account, and no WHOX is sent)
 * has no account until it rejoins or ACCOUNT names one.  The map holds TRANSPORT_ACCOUNTS_MAX nicks; when full, new
 * nicks get none, never an old entry's.  A line cut at 510 bytes never
 * sets an account (KICK: clears the map, the target may be cut).  Open
 * addressing, linear probing, backward-shift deletion; nicks folded with
 * RFC 1459 case mapping; allocated only once the caps are granted. */
typedef struct {
    char nick[TRANSPORT_NICK_MAX + 1];       /* folded; "": free slot */
    char account[TRANSPORT_ACCOUNT_MAX + 1]; /* never "" */
} TransportAcct;

enum transport_state {
    TRANSPORT_RESOLVING,
    TRANSPORT_CONNECTING,
    TRANSPORT_HANDSHAKE,
    TRANSPORT_UP,
    TRANSPORT_FAILED,
};

/* One getaddrinfo_a request.  glibc writes into it until the lookup ends,
 * so when we give up on a lookup that cannot be cancelled it moves to the
 * orphans list and is freed once glibc is done with it. */
typedef struct Lookup {
    struct gaicb cb;
    struct addrinfo hints;
    char host[TRANSPORT_HOST_MAX];
    char port[8];
    struct Lookup *next;
} Lookup;

struct Transport {
    /* Settings, copied: the caller's config may be reloaded. */
    char host[TRANSPORT_HOST_MAX];
    int port;
    bool tls, tls_verify;
    char *ca_file, *fingerprint, *cert, *key_file, *tls_module;
    uint64_t timeout_ms;
    void (*note)(void *ud, Severity severity, const char *line);
    void *ud;
    enum transport_sasl sasl;
    char sasl_user[TRANSPORT_HOST_MAX];
    char *sasl_pass; /* wiped when freed */
    bool sasl_required;

    enum transport_state state;
    enum transport_neg neg;
    bool ls_sasl;      /* the CAP LS lines so far offered sasl */
    bool ls_mech;      /* ... with our mechanism (or named none) */
    bool ls_account;   /* ... and account-tag */
    bool ls_extjoin, ls_notify; /* ... extended-join, account-notify */
    char ls_mechs[128];
    unsigned reqs;     /* CAP REQs not yet answered */
    bool authenticating;
    bool account_tag; /* the server ACKed account-tag */
    bool account_map; /* ... or extended-join and account-notify */
    TransportAcct *accts; /* TRANSPORT_ACCT_SLOTS once account_map */
    size_t accts_n;
    bool accts_full_noted;
    char me[TRANSPORT_LINE_MAX + 1]; /* our nick, folded (001, NICK) */
    size_t rx_checked; /* while negotiating: rx bytes that may go on */
    char failure[CONN_WHY_MAX * 2];
    uint64_t deadline_ms; /* of the current connect or handshake */
    uint64_t next_poll_ms;

    Lookup *lookup;         /* while resolving a name */
    struct addrinfo *addrs; /* owned; from getaddrinfo or the lookup */
    bool addrs_from_lookup;
    struct addrinfo *next_addr;    /* the next to try */
    char addr[TRANSPORT_ADDR_MAX]; /* the one being tried, for the log */
    char tried[CONN_WHY_MAX];      /* "addr: reason; ..." so far */
    int sock;                      /* while connecting; -1 */
    Conn *conn;                    /* once connected */

    int local; /* our end of the socket pair; -1 once closed */
    bool local_eof, local_shut;

    char tx[TRANSPORT_TX_MAX]; /* libircclient -> server */
    size_t tx_len;
    char rx[TRANSPORT_RX_MAX]; /* server -> libircclient, lines cut */
    size_t rx_len;
    size_t line_len; /* bytes of the server's current line so far */
    bool discarding; /* the rest of an overlong line is being dropped */
    uint64_t lines_cut;
    /* The current server line, for its account: tags stripped on the way
     * and kept here, its first 510 bytes in cur. */
    bool bol;      /* at the beginning of a line */
    bool in_tags;  /* reading "@tags " */
    bool skip_sp;  /* the spaces after the tags */
    bool tags_over;
    size_t tags_len;
    char tags[TRANSPORT_TAGS_MAX];
    char cur[TRANSPORT_LINE_MAX + 1];
    TransportMsg *msgs; /* ring of TRANSPORT_MSGS */
    size_t msg_head, msg_count;
};

static Lookup *transport_orphans;

/* --- helpers ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void
transport_note(const Transport *t, Severity severity, const char *fmt, ...)
{
    char line[TRANSPORT_NOTE_MAX];
    va_list ap;
    if (!t->note)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    t->note(t->ud, severity, line);
}

static char *transport_dup(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static bool transport_dup_ok(const char *src, const char *copy)
{
    return !(src && *src && !copy);
}

static void transport_fail(Transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first failure; the connection is dropped, what the server
 * sent is still handed on. */
static void transport_fail(Transport *t, const char *fmt, ...)
{
    va_list ap;
    if (t->state == TRANSPORT_FAILED)
        return;
    va_start(ap, fmt);
    vsnprintf(t->failure, sizeof t->failure, fmt, ap);
    va_end(ap);
    /* During CAP negotiation only vetted lines may go on (no 001 that
     * would look like a registration). */
    if (t->neg != NEG_OFF && t->neg != NEG_DONE)
        t->rx_len = t->rx_checked;
    t->state = TRANSPORT_FAILED;
    if (t->sock >= 0) {
        close(t->sock);
        t->sock = -1;
    }
    conn_free(t->conn);
    t->conn = NULL;
    t->tx_len = 0;
    /* Disconnected: nothing the map holds can be kept up to date. */
    free(t->accts);
    t->accts = NULL;
    t->accts_n = 0;
    t->account_map = false;
}

static void transport_orphans_reap(void)
{
    Lookup **p = &transport_orphans;
    while (*p) {
        Lookup *l = *p;
        if (gai_error(&l->cb) == EAI_INPROGRESS) {
            p = &l->next;
            continue;
        }
        *p = l->next;
        if (l->cb.ar_result)
            freeaddrinfo(l->cb.ar_result);
        free(l);
    }
}

static void transport_lookup_drop(Lookup *l)
{
    if (!l)
        return;
    int rc = gai_cancel(&l->cb);
    if (rc == EAI_NOTCANCELED) {
        l->next = transport_orphans;
        transport_orphans = l;
        return;
    }
    if (rc == EAI_ALLDONE && l->cb.ar_result)
        freeaddrinfo(l->cb.ar_result);
    free(l);
}

/* "[::1]:6697" or "127.0.0.1:6667" */
static void transport_format_addr(const struct addrinfo *ai, char *out,
                                  size_t outsz)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ai->ai_addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(out, outsz, "[%s]:%d", ip, port);
    } else {
        const struct sockaddr_in *a = (const void *)ai->ai_addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(out, outsz, "%s:%d", ip, port);
    }
}

/* --- the plain ConnType ------------------------------------------------------- */

static int plain_handshake(Conn *c)
{
    (void)c;
    return 1;
}

static ssize_t plain_read(Conn *c, void *buf, size_t n)
{
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_AGAIN;
    snprintf(c->why, sizeof c->why, "read: %s", strerror(errno));
    return CONN_ERROR;
}

static ssize_t plain_write(Conn *c, const void *buf, size_t n)
{
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CONN_AGAIN;
    snprintf(c->why, sizeof c->why, "write: %s", strerror(errno));
    return CONN_ERROR;
}

static bool plain_pending(const Conn *c)
{
    (void)c;
    return false;
}

static void plain_free(Conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static const ConnType conn_plain_type = {
    .name = "plain",
    .handshake = plain_handshake,
    .read = plain_read,
    .write = plain_write,
    .pending = plain_pending,
    .free = plain_free,
};

Conn *conn_plain_new(int fd)
{
    Conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->type = &conn_plain_type;
    c->fd = fd;
    snprintf(c->summary, sizeof c->summary, "plain text, not encrypted");
    return c;
}

void conn_free(Conn *c)
{
    if (c)
        c->type->free(c);
}

/* --- resolving and connecting --------------------------------------------------- */

static void transport_try_next(Transport *t);
static void transport_handshake(Transport *t);

static void transport_resolved(Transport *t, struct addrinfo *list)
{
    t->addrs = list;
    t->next_addr = list;
    t->state = TRANSPORT_CONNECTING;
    transport_try_next(t);
}

/* A numeric address needs no lookup: resolved at once, without DNS. */
static void transport_resolve(Transport *t)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    char port[8];

    snprintf(port, sizeof port, "%d", t->port);
    if (getaddrinfo(t->host, port, &hints, &list) == 0) {
        transport_resolved(t, list);
        return;
    }
    Lookup *l = calloc(1, sizeof *l);
    if (!l) {
        transport_fail(t, "cannot resolve %s: out of memory", t->host);
        return;
    }
    snprintf(l->host, sizeof l->host, "%s", t->host);
    memcpy(l->port, port, sizeof l->port);
    /* No AI_ADDRCONFIG: on a host with loopback only it hides
     * "localhost"; an address family we cannot reach fails fast and the
     * next address is tried. */
    l->hints = (struct addrinfo){.ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICSERV};
    l->cb.ar_name = l->host;
    l->cb.ar_service = l->port;
    l->cb.ar_request = &l->hints;
    struct gaicb *list_a[1] = {&l->cb};
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    int rc = getaddrinfo_a(GAI_NOWAIT, list_a, 1, &sev);
    if (rc != 0) {
        free(l);
        transport_fail(t, "cannot resolve %s: %s", t->host, gai_strerror(rc));
        return;
    }
    t->lookup = l;
    t->next_poll_ms = clock_now_ms() + TRANSPORT_POLL_MS;
}

static void transport_poll_lookup(Transport *t)
{
    int rc = gai_error(&t->lookup->cb);
    if (rc == EAI_INPROGRESS) {
        t->next_poll_ms = clock_now_ms() + TRANSPORT_POLL_MS;
        return;
    }
    Lookup *l = t->lookup;
    t->lookup = NULL;
    if (rc != 0) {
        free(l);
        transport_fail(t, "cannot resolve %s: %s", t->host, gai_strerror(rc));
        return;
    }
    struct addrinfo *list = l->cb.ar_result;
    free(l);
    t->addrs_from_lookup = true;
    transport_resolved(t, list);
}

static void transport_tried(Transport *t, const char *why)
{
    size_t n = strlen(t->tried);
    snprintf(t->tried + n, sizeof t->tried - n, "%s%s: %s", n ? "; " : "",
             t->addr, why);
}

/* Starts a connect() to the next address; fails when none is left. */
static void transport_try_next(Transport *t)
{
    while (t->next_addr) {
        struct addrinfo *ai = t->next_addr;
        t->next_addr = ai->ai_next;
        transport_format_addr(ai, t->addr, sizeof t->addr);
        int fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            transport_tried(t, strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
            errno != EINPROGRESS) {
            transport_tried(t, strerror(errno));
            close(fd);
            continue;
        }
        t->sock = fd;
        t->deadline_ms = clock_now_ms() + t->timeout_ms;
        transport_note(t, SEVERITY_DEBUG, "connecting to %s", t->addr);
        return;
    }
    transport_fail(t, "cannot connect to %s port %d: %s", t->host, t->port,
                   t->tried[0] ? t->tried : "no address");
}

static void transport_connected(Transport *t)
{
    int fd = t->sock;
    char why[CONN_WHY_MAX];

    t->sock = -1;
    if (t->tls) {
        ConnTlsSettings s = {
            .host = t->host,
            .verify = t->tls_verify,
            .ca_file = t->ca_file,
            .fingerprint = t->fingerprint,
            .cert = t->cert,
            .key_file = t->key_file,
            .module = t->tls_module,
        };
        t->conn = conn_tls_new(fd, &s, why, sizeof why);
        if (!t->conn) {
            transport_fail(t, "%s", why);
            return;
        }
    } else if (!(t->conn = conn_plain_new(fd))) {
        transport_fail(t, "out of memory");
        return;
    }
    t->state = TRANSPORT_HANDSHAKE;
    t->deadline_ms = clock_now_ms() + t->timeout_ms;
    transport_handshake(t); /* plain: done; TLS: sends its hello */
}

static void transport_handshake(Transport *t)
{
    int rc = t->conn->type->handshake(t->conn);
    if (rc == 0)
        return;
    if (rc < 0 && t->conn->plain_peer) {
        transport_fail(t,
                       "server at %s:%d (%s) speaks plain IRC, not TLS: set "
                       "tls = no or use its TLS port",
                       t->host, t->port, t->addr);
        return;
    }
    if (rc < 0) {
        transport_fail(t, "%s (%s)", t->conn->why, t->addr);
        return;
    }
    t->state = TRANSPORT_UP;
    transport_note(t, t->conn->insecure ? SEVERITY_WARNING : SEVERITY_INFO,
                   "connected to %s (%s): %s", t->host, t->addr,
                   t->conn->summary);
    /* Ahead of libircclient's NICK and USER, already in tx: a server
     * that reads CAP LS first holds registration until CAP END.  Always
     * sent: account-tag is wanted for owners named by account even
     * without SASL; a server without CAP simply registers us. */
    static const char ls[] = "CAP LS 302\r\n";
    if (t->tx_len + sizeof ls - 1 > sizeof t->tx) {
        transport_fail(t, "send buffer full");
        return;
    }
    memmove(t->tx + sizeof ls - 1, t->tx, t->tx_len);
    memcpy(t->tx, ls, sizeof ls - 1);
    t->tx_len += sizeof ls - 1;
    t->neg = NEG_LS;
    t->rx_checked = 0;
}

/* --- CAP and SASL ------------------------------------------------------------------ */

static bool transport_negotiating(const Transport *t)
{
    return t->neg != NEG_OFF && t->neg != NEG_DONE &&
           t->state != TRANSPORT_FAILED;
}

/* Queues a line of ours for the server (never noted: it may hold a
 * secret).  Lines are short and tx holds 8 KiB; when it is full the
 * connection is hopeless anyway. */
static void transport_send(Transport *t, const char *line)
{
    size_t n = strlen(line);
    if (t->tx_len + n + 2 > sizeof t->tx) {
        transport_fail(t, "send buffer full during CAP negotiation");
        return;
    }
    memcpy(t->tx + t->tx_len, line, n);
    memcpy(t->tx + t->tx_len + n, "\r\n", 2);
    t->tx_len += n + 2;
}

/* Without account-tag: asks for extended-join and account-notify in one
 * REQ (granted or refused together), when both were offered. */
static void transport_req_fallback(Transport *t)
{
    if (!t->ls_extjoin || !t->ls_notify)
        return;
    transport_send(t, "CAP REQ :extended-join account-notify");
    t->reqs++;
}

/* Sends CAP END once every REQ is answered and SASL is over. */
static void transport_neg_maybe_end(Transport *t)
{
    if (t->state == TRANSPORT_FAILED || t->neg != NEG_REQ || t->reqs > 0 ||
        t->authenticating)
        return;
    transport_send(t, "CAP END");
    t->neg = NEG_DONE;
}

/* A SASL failure: drops the connection when SASL is required, goes on
 * unauthenticated otherwise. */
static void transport_sasl_failed(Transport *t, const char *why)
{
    t->authenticating = false;
    if (t->sasl_required) {
        transport_fail(t, "SASL: %s (sasl_required = yes)", why);
        return;
    }
    transport_note(t, SEVERITY_WARNING,
                   "SASL: %s; going on unauthenticated (sasl_required = no)",
                   why);
}

/* True when the space-separated list has item (alone or as "item=..."). */
static bool transport_has_token(const char *list, const char *item,
                                const char **value)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len >= n && strncasecmp(p, item, n) == 0 &&
            (len == n || p[n] == '=')) {
            if (value)
                *value = len > n ? p + n + 1 : NULL;
            return true;
        }
        p += len;
        while (*p == ' ') p++;
    }
    return false;
}

static void transport_sasl_credentials(Transport *t)
{
    if (t->sasl == TRANSPORT_SASL_EXTERNAL) {
        transport_send(t, "AUTHENTICATE +");
        return;
    }
    /* authzid NUL authcid NUL password, base64, in 400-byte lines; a last
     * line of exactly 400 is followed by "+". */
    size_t ul = strlen(t->sasl_user), pl = strlen(t->sasl_pass);
    size_t rawn = ul + 1 + ul + 1 + pl;
    unsigned char raw[2 * TRANSPORT_HOST_MAX + 512];
    char b64[BASE64_SIZE(sizeof raw)];
    char line[TRANSPORT_SASL_CHUNK + 16];
    if (rawn > sizeof raw) {
        transport_fail(t, "SASL: user name or password too long");
        return;
    }
    memcpy(raw, t->sasl_user, ul);
    raw[ul] = '\0';
    memcpy(raw + ul + 1, t->sasl_user, ul);
    raw[2 * ul + 1] = '\0';
    memcpy(raw + 2 * ul + 2, t->sasl_pass, pl);
    int n = (int)base64_encode(raw, rawn, b64, sizeof b64);
    for (int off = 0; off < n && t->state != TRANSPORT_FAILED;
         off += TRANSPORT_SASL_CHUNK) {
        int len =
            n - off < TRANSPORT_SASL_CHUNK ? n - off : TRANSPORT_SASL_CHUNK;
        snprintf(line, sizeof line, "AUTHENTICATE %.*s", len,
                 b64 + off);
        transport_send(t, line);
    }
    if (n % TRANSPORT_SASL_CHUNK == 0)
        transport_send(t, "AUTHENTICATE +");
    explicit_bzero(raw, sizeof raw);
    explicit_bzero(b64, sizeof b64);
    explicit_bzero(line, sizeof line);
}

/* Splits an IRC line (tags and prefix skipped) into its command and
 * parameters, in place.  Returns the number of parameters. */
static size_t transport_parse(char *line, char **cmd,
                              char *params[TRANSPORT_PARAMS_MAX])
{
    size_t n = 0;
    char *p = line;
    if (*p == '@')
        p += strcspn(p, " ");
    while (*p == ' ') p++;
    if (*p == ':')
        p += strcspn(p, " ");
    while (*p == ' ') p++;
    *cmd = p;
    p += strcspn(p, " ");
    while (*p && n < TRANSPORT_PARAMS_MAX) {
        *p++ = '\0';
        while (*p == ' ') p++;
        if (!*p)
            break;
        if (*p == ':') {
            params[n++] = p + 1;
            break;
        }
        params[n++] = p;
        p += strcspn(p, " ");
    }
    return n;
}

/* One server line during negotiation.  True when it is ours alone and
 * libircclient must not see it. */
static bool transport_neg_line(Transport *t, char *line)
{
    char *cmd, *pv[TRANSPORT_PARAMS_MAX];
    size_t n = transport_parse(line, &cmd, pv);
    const char *mech = t->sasl == TRANSPORT_SASL_PLAIN ? "PLAIN" : "EXTERNAL";

    if (strcmp(cmd, "CAP") == 0 && n >= 3) {
        const char *sub = pv[1];
        bool more = n >= 4 && strcmp(pv[2], "*") == 0;
        const char *caps = pv[more ? 3 : 2];
        const char *mechs = NULL;
        if (strcasecmp(sub, "LS") == 0 && t->neg == NEG_LS) {
            if (transport_has_token(caps, "sasl", &mechs)) {
                /* "sasl=PLAIN,EXTERNAL" (CAP 302): is ours there? */
                t->ls_sasl = true;
                t->ls_mech = true;
                if (mechs) {
                    char list[256];
                    snprintf(list, sizeof list, "%.*s",
                             (int)strcspn(mechs, " "), mechs);
                    snprintf(t->ls_mechs, sizeof t->ls_mechs, "%.100s", list);
                    for (char *c = list; *c; c++)
                        if (*c == ',')
                            *c = ' ';
                    t->ls_mech = transport_has_token(list, mech, NULL);
                }
            }
            if (transport_has_token(caps, "account-tag", NULL))
                t->ls_account = true;
            if (transport_has_token(caps, "extended-join", NULL))
                t->ls_extjoin = true;
            if (transport_has_token(caps, "account-notify", NULL))
                t->ls_notify = true;
            if (more)
                return true;
            t->neg = NEG_REQ;
            if (t->ls_account) {
                transport_send(t, "CAP REQ :account-tag");
                t->reqs++;
            } else {
                transport_req_fallback(t);
            }
            if (t->sasl == TRANSPORT_SASL_NONE) {
                /* nothing to authenticate */
            } else if (!t->ls_sasl) {
                transport_sasl_failed(t, "the server does not offer SASL");
            } else if (!t->ls_mech) {
                char why[320];
                snprintf(why, sizeof why,
                         "the server offers SASL %.200s, not %s", t->ls_mechs,
                         mech);
                transport_sasl_failed(t, why);
            } else {
                transport_send(t, "CAP REQ :sasl");
                t->reqs++;
            }
            transport_neg_maybe_end(t);
        } else if ((strcasecmp(sub, "ACK") == 0 ||
                    strcasecmp(sub, "NAK") == 0) &&
                   t->neg == NEG_REQ) {
            bool ack = strcasecmp(sub, "ACK") == 0;
            if (t->reqs > 0)
                t->reqs--;
            if (transport_has_token(caps, "sasl", NULL)) {
                if (ack) {
                    char req[64];
                    snprintf(req, sizeof req, "AUTHENTICATE %s", mech);
                    transport_send(t, req);
                    t->authenticating = true;
                } else {
                    transport_sasl_failed(t,
                                          "the server refused CAP REQ :sasl");
                }
            } else if (transport_has_token(caps, "account-tag", NULL)) {
                t->account_tag = ack;
                bool fallback = !ack && t->ls_extjoin && t->ls_notify;
                transport_note(t, ack ? SEVERITY_DEBUG : SEVERITY_WARNING,
                               "CAP account-tag %s: owners named by account "
                               "%s",
                               ack ? "granted" : "refused",
                               ack ? "are recognised by each message's tag"
                               : fallback
                                   ? "are looked for through extended-join "
                                     "and account-notify"
                                   : "are never recognised");
                if (!ack)
                    transport_req_fallback(t);
            } else if (transport_has_token(caps, "extended-join", NULL)) {
                /* Both or nothing: without account-notify a logout would
                 * go unseen. */
                if (ack && transport_has_token(caps, "account-notify", NULL)) {
                    if (!t->accts)
                        t->accts =
                            calloc(TRANSPORT_ACCT_SLOTS, sizeof *t->accts);
                    t->account_map = t->accts != NULL;
                }
                transport_note(
                    t, t->account_map ? SEVERITY_DEBUG : SEVERITY_WARNING,
                    "CAP extended-join account-notify %s: owners named by "
                    "account %s",
                    t->account_map ? "granted" : "refused (or out of memory)",
                    t->account_map ? "are recognised by the accounts seen "
                                     "on JOIN and ACCOUNT"
                                   : "are never recognised");
            }
            transport_neg_maybe_end(t);
        }
        return true;
    }
    if (strcmp(cmd, "AUTHENTICATE") == 0) {
        /* InspIRCd sends "AUTHENTICATE :+": the parameter is what counts. */
        if (t->authenticating && n >= 1 && strcmp(pv[0], "+") == 0)
            transport_sasl_credentials(t);
        return true;
    }
    if (strcmp(cmd, "900") == 0) { /* RPL_LOGGEDIN */
        transport_note(t, SEVERITY_INFO, "SASL: logged in as %.100s",
                       n >= 3 ? pv[2] : "?");
        return true;
    }
    if (strcmp(cmd, "903") == 0) { /* RPL_SASLSUCCESS */
        transport_note(t, SEVERITY_INFO, "SASL %s authentication succeeded",
                       mech);
        t->authenticating = false;
        transport_neg_maybe_end(t);
        return true;
    }
    if (strcmp(cmd, "902") == 0 || strcmp(cmd, "904") == 0 ||
        strcmp(cmd, "905") == 0 || strcmp(cmd, "906") == 0 ||
        strcmp(cmd, "908") == 0) {
        if (strcmp(cmd, "908") == 0) /* RPL_SASLMECHS: 904 follows */
            return true;
        char why[320];
        snprintf(why, sizeof why, "%s authentication failed (%.3s: %.200s)",
                 mech, cmd, n >= 2 ? pv[n - 1] : "no reason given");
        transport_sasl_failed(t, why);
        transport_neg_maybe_end(t);
        return true;
    }
    if (strcmp(cmd, "001") == 0 ||
        (strcmp(cmd, "421") == 0 && n >= 2 && strcasecmp(pv[1], "CAP") == 0)) {
        /* A server without CAP registers us at once: no CAP END. */
        if (t->sasl != TRANSPORT_SASL_NONE)
            transport_sasl_failed(t, "the server does not support CAP");
        if (t->state != TRANSPORT_FAILED)
            t->neg = NEG_DONE;
        return strcmp(cmd, "421") == 0;
    }
    return false;
}

/* Takes the complete lines past rx_checked: ours are removed, the others
 * may go on to libircclient. */
static void transport_negotiate(Transport *t)
{
    while (transport_negotiating(t)) {
        char *start = t->rx + t->rx_checked;
        char *nl = memchr(start, '\n', t->rx_len - t->rx_checked);
        if (!nl)
            return;
        size_t len = (size_t)(nl - start) + 1;
        char line[TRANSPORT_LINE_MAX + 3];
        bool ours = false;
        if (len < sizeof line) {
            size_t n = len;
            memcpy(line, start, n);
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
            line[n] = '\0';
            ours = transport_neg_line(t, line);
        }
        if (t->state == TRANSPORT_FAILED)
            return; /* transport_fail kept only the vetted lines */
        if (ours) {
            memmove(start, nl + 1, t->rx_len - t->rx_checked - len);
            t->rx_len -= len;
        } else {
            t->rx_checked += len;
        }
    }
}

/* --- relaying ------------------------------------------------------------------- */

/* The value of the account tag in tags ("a=b;account=alice;..."),
 * unescaped, into out; false when there is none or it does not fit. */
static bool transport_tag_account(const char *tags, size_t n, char *out,
                                  size_t outsz)
{
    static const char key[] = "account=";
    const char *p = tags, *end = tags + n;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *te = semi ? semi : end;
        if ((size_t)(te - p) >= sizeof key - 1 &&
            memcmp(p, key, sizeof key - 1) == 0) {
            size_t o = 0;
            for (const char *v = p + sizeof key - 1; v < te; v++) {
                char ch = *v;
                if (ch == '\\') {
                    if (++v == te)
                        break;
                    ch = *v == ':'   ? ';'
                         : *v == 's' ? ' '
                         : *v == 'r' ? '\r'
                         : *v == 'n' ? '\n'
                                     : *v;
                }
                if (o + 1 >= outsz)
                    return false; /* never a truncated name */
                out[o++] = ch;
            }
            out[o] = '\0';
            return o > 0 && strcmp(out, "*") != 0;
        }
        p = te + 1;
    }
    return false;
}

/* Splits a PRIVMSG line into the origin, target and text libircclient
 * will report (see TransportMsg); false for any other line. */
static bool transport_privmsg_split(const char *line, TransportMsg *m)
{
    if (line[0] != ':')
        return false;
    snprintf(m->buf, sizeof m->buf, "%s", line + 1);
    char *p = m->buf + strcspn(m->buf, " ");
    if (!*p)
        return false;
    *p++ = '\0';
    while (*p == ' ') p++;
    size_t cl = strcspn(p, " ");
    if (cl != 7 || strncasecmp(p, "PRIVMSG", 7) != 0)
        return false;
    p += cl;
    while (*p == ' ') p++;
    m->target = (unsigned short)(p - m->buf);
    p += strcspn(p, " ");
    if (!*p)
        return false;
    *p++ = '\0';
    while (*p == ' ') p++;
    if (*p == ':')
        p++;
    else
        p[strcspn(p, " ")] = '\0';
    m->text = (unsigned short)(p - m->buf);
    return true;
}

/* --- the nick -> account map (TransportAcct) ------------------------- */

static size_t transport_acct_hash(const char *folded)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = folded; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h & (TRANSPORT_ACCT_SLOTS - 1);
}

/* nick folded into out; false when it is empty or too long for the map
 * (such a nick never has an entry). */
static bool transport_acct_fold(const char *nick, size_t len,
                                char out[TRANSPORT_NICK_MAX + 1])
{
    if (len == 0 || len > TRANSPORT_NICK_MAX)
        return false;
    memcpy(out, nick, len);
    out[len] = '\0';
    casefold_str(out);
    return true;
}

/* The slot of folded, or of the free slot where it would go. */
static size_t transport_acct_slot(const Transport *t, const char *folded)
{
    size_t i = transport_acct_hash(folded);
    while (t->accts[i].nick[0] && strcmp(t->accts[i].nick, folded) != 0)
        i = (i + 1) & (TRANSPORT_ACCT_SLOTS - 1);
    return i; /* never loops: at most half the slots are used */
}

static const char *transport_acct_get(const Transport *t, const char *nick,
                                      size_t len)
{
    char f[TRANSPORT_NICK_MAX + 1];
    if (!t->accts || !transport_acct_fold(nick, len, f))
        return NULL;
    const TransportAcct *a = &t->accts[transport_acct_slot(t, f)];
    return a->nick[0] ? a->account : NULL;
}

static void transport_acct_del(Transport *t, const char *nick, size_t len)
{
    char f[TRANSPORT_NICK_MAX + 1];
    const size_t mask = TRANSPORT_ACCT_SLOTS - 1;
    if (!t->accts || !transport_acct_fold(nick, len, f))
        return;
    size_t i = transport_acct_slot(t, f);
    if (!t->accts[i].nick[0])
        return;
    /* Backward shift: later entries of the run that may not stay past
     * the hole move into it, so every lookup still finds its entry. */
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (!t->accts[j].nick[0])
            break;
        size_t k = transport_acct_hash(t->accts[j].nick);
        bool between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (between)
            continue;
        t->accts[i] = t->accts[j];
        i = j;
    }
    t->accts[i].nick[0] = '\0';
    t->accts_n--;
}

/* Sets nick's account; NULL, "", "*" or one too long to keep: none. */
static void transport_acct_set(Transport *t, const char *nick, size_t len,
                               const char *account)
{
    char f[TRANSPORT_NICK_MAX + 1];
    if (!account || !*account || strcmp(account, "*") == 0 ||
        strlen(account) > TRANSPORT_ACCOUNT_MAX) {
        transport_acct_del(t, nick, len);
        return;
    }
    if (!t->accts || !transport_acct_fold(nick, len, f))
        return;
    TransportAcct *a = &t->accts[transport_acct_slot(t, f)];
    if (!a->nick[0]) {
        if (t->accts_n == TRANSPORT_ACCOUNTS_MAX) {
            if (!t->accts_full_noted)
                transport_note(t, SEVERITY_WARNING,
                               "%d nicks with accounts known: further "
                               "nicks are not recognised by account",
                               TRANSPORT_ACCOUNTS_MAX);
            t->accts_full_noted = true;
            return;
        }
        snprintf(a->nick, sizeof a->nick, "%s", f);
        t->accts_n++;
    }
    snprintf(a->account, sizeof a->account, "%s", account);
}

static void transport_acct_clear(Transport *t)
{
    if (t->accts)
        memset(t->accts, 0, TRANSPORT_ACCT_SLOTS * sizeof *t->accts);
    t->accts_n = 0;
}

/* True when nick (len bytes) is ours. */
static bool transport_is_me(const Transport *t, const char *nick, size_t len)
{
    char f[TRANSPORT_LINE_MAX + 1];
    if (!t->me[0] || len >= sizeof f)
        return false;
    memcpy(f, nick, len);
    f[len] = '\0';
    return strcmp(casefold_str(f), t->me) == 0;
}

/* Keeps the map in step with the line in cur (see TransportAcct); cut:
 * the line was longer than 510 bytes. */
static void transport_acct_track(Transport *t, bool cut)
{
    char line[TRANSPORT_LINE_MAX + 1], *cmd, *pv[TRANSPORT_PARAMS_MAX];
    const char *nick = "";
    size_t nl = 0;
    snprintf(line, sizeof line, "%s", t->cur);
    if (line[0] == ':') {
        nick = line + 1;
        nl = strcspn(nick, "!@ ");
    }
    size_t n = transport_parse(line, &cmd, pv);
    /* transport_parse ended the prefix nowhere: nick stays nl bytes. */
    if (strcmp(cmd, "001") == 0 && n >= 1) {
        snprintf(t->me, sizeof t->me, "%s", pv[0]);
        casefold_str(t->me);
    } else if (strcasecmp(cmd, "JOIN") == 0) {
        transport_acct_set(t, nick, nl, n >= 2 && !cut ? pv[1] : NULL);
    } else if (strcasecmp(cmd, "ACCOUNT") == 0) {
        transport_acct_set(t, nick, nl, n >= 1 && !cut ? pv[0] : NULL);
    } else if (strcasecmp(cmd, "NICK") == 0) {
        char account[TRANSPORT_ACCOUNT_MAX + 1] = "";
        const char *a = transport_acct_get(t, nick, nl);
        if (a)
            snprintf(account, sizeof account, "%s", a);
        if (n >= 1 && transport_is_me(t, nick, nl)) {
            snprintf(t->me, sizeof t->me, "%s", pv[0]);
            casefold_str(t->me);
        }
        transport_acct_del(t, nick, nl);
        if (n >= 1) {
            /* Whatever the new nick held is stale: it was free. */
            transport_acct_del(t, pv[0], strlen(pv[0]));
            if (!cut)
                transport_acct_set(t, pv[0], strlen(pv[0]), account);
        }
    } else if (strcasecmp(cmd, "QUIT") == 0) {
        transport_acct_del(t, nick, nl);
    } else if (strcasecmp(cmd, "PART") == 0) {
        if (transport_is_me(t, nick, nl))
            transport_acct_clear(t);
        else
            transport_acct_del(t, nick, nl);
    } else if (strcasecmp(cmd, "CAP") == 0 && n >= 3 &&
               strcasecmp(pv[1], "DEL") == 0 &&
               (transport_has_token(pv[n - 1], "extended-join", NULL) ||
                transport_has_token(pv[n - 1], "account-notify", NULL))) {
        /* cap-notify (implied by CAP LS 302): the map would go stale. */
        transport_note(t, SEVERITY_WARNING,
                       "the server withdrew extended-join or account-notify: "
                       "owners named by account are no longer recognised");
        transport_acct_clear(t);
        t->account_map = false;
    } else if (strcasecmp(cmd, "KICK") == 0) {
        if (cut || n < 2 || transport_is_me(t, pv[1], strlen(pv[1])))
            transport_acct_clear(t);
        else
            transport_acct_del(t, pv[1], strlen(pv[1]));
    }
}

/* A whole server line is in cur (tags in tags): the account map follows
 * it, and a PRIVMSG is recorded with its account.  cut: the line was
 * longer than 510 bytes. */
static void transport_line_done(Transport *t, bool cut)
{
    t->cur[t->line_len] = '\0';
    if (t->account_map)
        transport_acct_track(t, cut);
    if (!t->msgs)
        return;
    size_t slot = (t->msg_head + t->msg_count) % TRANSPORT_MSGS;
    TransportMsg *m = &t->msgs[slot];
    if (!transport_privmsg_split(t->cur, m))
        return;
    m->account[0] = '\0';
    if (t->account_tag && !t->tags_over &&
        !transport_tag_account(t->tags, t->tags_len, m->account,
                               sizeof m->account))
        m->account[0] = '\0';
    if (!t->account_tag && t->account_map) {
        const char *a = transport_acct_get(t, m->buf, strcspn(m->buf, "!@"));
        if (a)
            snprintf(m->account, sizeof m->account, "%s", a);
    }
    if (t->msg_count == TRANSPORT_MSGS) /* a flood: the oldest is lost */
        t->msg_head = (t->msg_head + 1) % TRANSPORT_MSGS;
    else
        t->msg_count++;
}

/* Appends server bytes to rx, stripping message tags (libircclient cannot
 * parse them; the account one is kept, see TransportMsg), cutting lines
 * over TRANSPORT_LINE_MAX bytes (CR and LF not counted) to that length and
 * a CR LF, and dropping the rest of them up to their LF. */
static void transport_cut(Transport *t, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (t->discarding) {
            if (ch == '\n') {
                t->discarding = false;
                t->bol = true;
            }
            continue;
        }
        if (t->bol && ch != '\n' && ch != '\r') {
            t->bol = false;
            t->in_tags = ch == '@';
            t->skip_sp = false;
            t->tags_len = 0;
            t->tags_over = false;
            if (t->in_tags)
                continue;
        }
        if (t->in_tags && ch != '\n' && ch != '\r') {
            if (ch == ' ') {
                t->in_tags = false;
                t->skip_sp = true;
            } else if (t->tags_len < sizeof t->tags) {
                t->tags[t->tags_len++] = ch;
            } else {
                t->tags_over = true;
            }
            continue;
        }
        t->in_tags = false;
        if (t->skip_sp && ch == ' ')
            continue;
        t->skip_sp = false;
        if (ch == '\n') {
            transport_line_done(t, false);
            t->line_len = 0;
            t->bol = true;
        } else if (ch == '\r') {
            /* not part of the line */
        } else if (t->line_len == TRANSPORT_LINE_MAX) {
            transport_line_done(t, true);
            t->rx[t->rx_len++] = '\r';
            t->rx[t->rx_len++] = '\n';
            t->line_len = 0;
            t->discarding = true;
            if (t->lines_cut++ == 0) /* once a connection: no log flood */
                transport_note(t, SEVERITY_WARNING,
                               "server line longer than 512 bytes: cut to "
                               "512 (further ones cut silently)");
            continue;
        } else {
            t->cur[t->line_len++] = ch;
        }
        t->rx[t->rx_len++] = ch;
    }
}

static void transport_read_server(Transport *t)
{
    char buf[TRANSPORT_RX_CHUNK];
    /* Room for a whole chunk, cut lines' extra CR LF included. */
    while (t->state == TRANSPORT_UP &&
           TRANSPORT_RX_MAX - t->rx_len >= 2 * TRANSPORT_RX_CHUNK) {
        ssize_t r = t->conn->type->read(t->conn, buf, sizeof buf);
        if (r == CONN_AGAIN)
            return;
        if (r == CONN_ERROR) {
            transport_fail(t, "%s (%s)", t->conn->why, t->addr);
            return;
        }
        if (r == 0) {
            transport_fail(t, "the server closed the connection");
            return;
        }
        transport_cut(t, buf, (size_t)r);
        transport_negotiate(t);
    }
}

static void transport_write_server(Transport *t)
{
    while (t->state == TRANSPORT_UP && t->tx_len > 0) {
        ssize_t w = t->conn->type->write(t->conn, t->tx, t->tx_len);
        if (w == CONN_AGAIN)
            return;
        if (w == CONN_ERROR) {
            transport_fail(t, "%s (%s)", t->conn->why, t->addr);
            return;
        }
        memmove(t->tx, t->tx + w, t->tx_len - (size_t)w);
        t->tx_len -= (size_t)w;
    }
}

static void transport_read_local(Transport *t)
{
    while (!t->local_eof && t->tx_len < sizeof t->tx) {
        ssize_t r =
            recv(t->local, t->tx + t->tx_len, sizeof t->tx - t->tx_len, 0);
        if (r > 0) {
            /* After a failure what libircclient says goes nowhere. */
            if (t->state != TRANSPORT_FAILED)
                t->tx_len += (size_t)r;
            continue;
        }
        if (r < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        t->local_eof = true;
    }
}

static void transport_write_local(Transport *t)
{
    for (;;) {
        bool neg = transport_negotiating(t);
        size_t ready = neg ? t->rx_checked : t->rx_len;
        if (ready == 0)
            return;
        ssize_t w = send(t->local, t->rx, ready, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                t->rx_len = 0; /* libircclient is gone */
            return;
        }
        memmove(t->rx, t->rx + w, t->rx_len - (size_t)w);
        t->rx_len -= (size_t)w;
        if (neg)
            t->rx_checked -= (size_t)w;
    }
}

/* --- public ------------------------------------------------------------------------ */

Transport *transport_open(const TransportSettings *s, int *local_fd, Error *err)
{
    int pair[2] = {-1, -1};
    Transport *t = calloc(1, sizeof *t);

    transport_orphans_reap();
    if (!t) {
        error_set(err, STATUS_ERROR, "out of memory");
        return NULL;
    }
    t->sock = t->local = -1;
    t->bol = true;
    snprintf(t->host, sizeof t->host, "%s", s->host);
    t->port = s->port;
    t->tls = s->tls;
    t->tls_verify = s->tls_verify;
    t->ca_file = transport_dup(s->tls_ca_file);
    t->fingerprint = transport_dup(s->tls_fingerprint);
    t->cert = transport_dup(s->tls_cert);
    t->key_file = transport_dup(s->tls_key_file);
    t->tls_module = transport_dup(s->tls_module);
    t->timeout_ms =
        (uint64_t)(s->connect_timeout_ms > 0 ? s->connect_timeout_ms
                                             : TRANSPORT_TIMEOUT_MS);
    t->note = s->note;
    t->ud = s->ud;
    t->sasl = s->sasl;
    t->sasl_required = s->sasl_required;
    snprintf(t->sasl_user, sizeof t->sasl_user, "%s",
             s->sasl_username ? s->sasl_username : "");
    t->sasl_pass = strdup(s->sasl_password ? s->sasl_password : "");
    t->msgs = calloc(TRANSPORT_MSGS, sizeof *t->msgs);
    if (!t->sasl_pass || !t->msgs) {
        error_set(err, STATUS_ERROR, "out of memory");
        goto fail;
    }
    if (!transport_dup_ok(s->tls_ca_file, t->ca_file) ||
        !transport_dup_ok(s->tls_fingerprint, t->fingerprint) ||
        !transport_dup_ok(s->tls_cert, t->cert) ||
        !transport_dup_ok(s->tls_key_file, t->key_file) ||
        !transport_dup_ok(s->tls_module, t->tls_module)) {
        error_set(err, STATUS_ERROR, "out of memory");
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   pair) < 0) {
        error_set(err, STATUS_ERROR, "socketpair: %s", strerror(errno));
        goto fail;
    }
    t->local = pair[0];
    *local_fd = pair[1];
    if (t->tls && !t->tls_verify)
        transport_note(t, SEVERITY_WARNING,
                       "tls_verify = no: the server's certificate is NOT "
                       "checked; anyone on the path to %s can read and "
                       "change this connection%s",
                       t->host,
                       t->fingerprint ? " (only the tls_fingerprint pin "
                                        "protects it)"
                                      : "");
    t->state = TRANSPORT_RESOLVING;
    transport_resolve(t);
    return t;

fail:
    transport_close(t);
    return NULL;
}

void transport_close(Transport *t)
{
    if (!t)
        return;
    transport_lookup_drop(t->lookup);
    transport_orphans_reap();
    if (t->addrs) {
        freeaddrinfo(t->addrs);
    }
    if (t->sock >= 0)
        close(t->sock);
    conn_free(t->conn);
    if (t->local >= 0)
        close(t->local);
    free(t->ca_file);
    free(t->fingerprint);
    free(t->cert);
    free(t->key_file);
    free(t->tls_module);
    free(t->msgs);
    free(t->accts);
    if (t->sasl_pass) {
        explicit_bzero(t->sasl_pass, strlen(t->sasl_pass));
        free(t->sasl_pass);
    }
    explicit_bzero(t->tx, sizeof t->tx); /* may hold AUTHENTICATE */
    free(t);
}

static void transport_fd_set(int fd, fd_set *set, int *maxfd)
{
    FD_SET(fd, set);
    if (fd > *maxfd)
        *maxfd = fd;
}

static long transport_until(uint64_t when, uint64_t now)
{
    return when > now ? (long)(when - now) : 0;
}

long transport_prepare(Transport *t, fd_set *in, fd_set *out, int *maxfd)
{
    uint64_t now = clock_now_ms();
    long wait = -1;

    if (t->local >= 0) {
        if (!t->local_eof && t->tx_len < sizeof t->tx)
            transport_fd_set(t->local, in, maxfd);
        if (transport_negotiating(t) ? t->rx_checked > 0 : t->rx_len > 0)
            transport_fd_set(t->local, out, maxfd);
    }
    switch (t->state) {
    case TRANSPORT_RESOLVING:
        wait = transport_until(t->next_poll_ms, now);
        break;
    case TRANSPORT_CONNECTING:
        transport_fd_set(t->sock, out, maxfd);
        wait = transport_until(t->deadline_ms, now);
        break;
    case TRANSPORT_HANDSHAKE:
        transport_fd_set(t->conn->fd, t->conn->want_write ? out : in, maxfd);
        wait = transport_until(t->deadline_ms, now);
        break;
    case TRANSPORT_UP: {
        bool room = TRANSPORT_RX_MAX - t->rx_len >= 2 * TRANSPORT_RX_CHUNK;
        if (room)
            transport_fd_set(t->conn->fd, in, maxfd);
        if (t->tx_len > 0 || t->conn->want_write)
            transport_fd_set(t->conn->fd, out, maxfd);
        if (room && t->conn->type->pending(t->conn))
            wait = 0;
        break;
    }
    case TRANSPORT_FAILED:
        /* Everything the server sent is handed on; then libircclient reads
         * the end of the stream and the caller learns why. */
        if (t->rx_len == 0 && !t->local_shut && t->local >= 0) {
            shutdown(t->local, SHUT_WR);
            t->local_shut = true;
        }
        break;
    }
    return wait;
}

void transport_process(Transport *t, const fd_set *in, const fd_set *out)
{
    uint64_t now = clock_now_ms();

    if (t->local >= 0 && FD_ISSET(t->local, in))
        transport_read_local(t);

    switch (t->state) {
    case TRANSPORT_RESOLVING:
        if (t->lookup && now >= t->next_poll_ms)
            transport_poll_lookup(t);
        break;
    case TRANSPORT_CONNECTING:
        if (FD_ISSET(t->sock, out)) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(t->sock, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                soerr = errno;
            if (soerr == 0) {
                transport_connected(t);
            } else {
                transport_tried(t, strerror(soerr));
                close(t->sock);
                t->sock = -1;
                transport_try_next(t);
            }
        } else if (now >= t->deadline_ms) {
            transport_tried(t, "timed out");
            close(t->sock);
            t->sock = -1;
            transport_try_next(t);
        }
        break;
    case TRANSPORT_HANDSHAKE:
        if (FD_ISSET(t->conn->fd, in) || FD_ISSET(t->conn->fd, out))
            transport_handshake(t);
        else if (now >= t->deadline_ms)
            transport_fail(t,
                           "%s handshake with %s timed out after %llu s (is "
                           "this a %s port?)",
                           t->conn->type->name, t->addr,
                           (unsigned long long)(t->timeout_ms / 1000),
                           t->conn->type->name);
        break;
    default:
        break;
    }
    /* Not else: a plain connection is up the moment it connects, and a
     * finished handshake may already hold data. */
    if (t->state == TRANSPORT_UP) {
        transport_read_server(t);
        transport_write_server(t);
    }
    if (t->local >= 0)
        transport_write_local(t);
}

const char *transport_failure(const Transport *t)
{
    return t->state == TRANSPORT_FAILED ? t->failure : NULL;
}

bool transport_ready(const Transport *t)
{
    return t->state == TRANSPORT_UP;
}

uint64_t transport_lines_cut(const Transport *t)
{
    return t->lines_cut;
}

const char *transport_account(Transport *t, const char *origin,
                              const char *target, const char *text)
{
    for (size_t i = 0; i < t->msg_count; i++) {
        TransportMsg *m = &t->msgs[(t->msg_head + i) % TRANSPORT_MSGS];
        if (strcmp(m->buf, origin) != 0 ||
            strcmp(m->buf + m->target, target) != 0 ||
            strcmp(m->buf + m->text, text) != 0)
            continue;
        /* This one, and the older ones libircclient passed over. */
        t->msg_head = (t->msg_head + i + 1) % TRANSPORT_MSGS;
        t->msg_count -= i + 1;
        return m->account[0] ? m->account : NULL;
    }
    return NULL;
}
