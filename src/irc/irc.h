/* irc.h - one connection to one IRC server, kept alive for months.
 *
 * Wraps libircclient's session in our own loop (never irc_run): a single
 * pselect() over the transport's sockets (transport.h: name resolution,
 * TCP or TLS, relayed to libircclient over a socket pair) with our timers - the send queue's token bucket,
 * keep-alive PING and its timeout, registration timeout, reconnect with
 * exponential backoff and jitter, nick regain.  Every line we send goes
 * through the send queue; what arrives is handed to IrcHandlers.  This layer
 * knows IRC, not commands or SQL.
 */
#ifndef MISSIVE_IRC_H
#define MISSIVE_IRC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sendq.h"

#define IRC_NICK_MAX 64
#define IRC_SYNC_PREFIX "missive-sync-" /* irc_sync tokens start so */

typedef struct {
    const char *server;
    int port;
    const char *password; /* NULL: none */
    /* Transport (transport.h): TLS, verified unless tls_verify is false. */
    bool tls;
    bool tls_verify;
    const char *tls_ca_file;     /* NULL or "": the system store */
    const char *tls_fingerprint; /* NULL or "": no SHA-256 pin */
    const char *tls_cert;        /* client certificate; NULL or "": none */
    const char *tls_key_file;
    const char *tls_module; /* path of missive-tls.so (paths_tls_module) */
    int sasl;                  /* enum transport_sasl (transport.h) */
    const char *sasl_username; /* PLAIN */
    const char *sasl_password; /* PLAIN; NULL: none */
    bool sasl_required;
    const char *nick;
    const char *const *alt_nicks; /* tried in order when nick is taken */
    size_t alt_nick_count;
    const char *username;
    const char *realname;
    int ping_interval; /* seconds of silence before our PING */
    int ping_timeout;  /* seconds to wait for any answer */
    int reconnect_min; /* seconds; doubles up to reconnect_max */
    int reconnect_max;
    unsigned flood_burst;
    unsigned flood_interval_ms;
    size_t queue_max;
} IrcSettings;

/* Callbacks; origin is "nick!user@host" (or a server name), never NULL. */
typedef struct {
    void (*registered)(void *ud, const char *nick);
    void (*disconnected)(void *ud, const char *why);
    /* PRIVMSG that is not CTCP; target is a channel or our nick.  account:
     * the services account the server tagged this very line with (IRCv3
     * account-tag), NULL when none. */
    void (*message)(void *ud, const char *origin, const char *target,
                    const char *text, const char *account);
    /* CTCP request (PRIVMSG \x01...\x01), e.g. "VERSION" or "PING 123". */
    void (*ctcp)(void *ud, const char *origin, const char *request);
    void (*joined)(void *ud, const char *channel); /* we joined */
    void (*parted)(void *ud, const char *channel); /* we left */
    void (*kicked)(void *ud, const char *channel, const char *by,
                   const char *reason);
    /* ERR_CHANNELISFULL, INVITEONLYCHAN, BANNEDFROMCHAN, BADCHANNELKEY ... */
    void (*join_failed)(void *ud, const char *channel, unsigned code,
                        const char *reason);
    /* One line for the log (connecting, disconnected, reconnect backoff,
     * nick trouble, drops, ">> " for each line sent at SEVERITY_DEBUG): this
     * layer never logs itself.  NULL: nothing is said. */
    void (*note)(void *ud, Severity severity, const char *line);
    /* The server answered the PING irc_sync queued with token: every line
     * queued for that target before it has been taken by the server. */
    void (*synced)(void *ud, const char *token);
} IrcHandlers;

typedef struct {
    bool connected; /* registered with the server */
    uint64_t connected_since_ms;
    uint64_t reconnects;
    SendqStats queue;
} IrcStats;

typedef struct Irc Irc;

Irc *irc_new(const IrcSettings *s, const IrcHandlers *h, void *ud);
void irc_free(Irc *irc);

/* New settings on reload: rates apply at once; server, port, password,
 * TLS settings, username and realname at the next connection; a new nick
 * is asked for.
 * STATUS_OK, or STATUS_ERROR when out of memory. */
Status irc_update(Irc *irc, const IrcSettings *s);

/* One turn of the loop: (re)connects when due, waits at most max_wait_ms
 * (or less, for our own timers) with `unblocked` as the signal mask during
 * the wait, handles what arrived and sends what the bucket allows.
 * A failed select() is noted (SEVERITY_ERROR) and is not fatal.  Returns
 * STATUS_OK, or STATUS_ERROR on a fatal error (out of memory). */
Status irc_step(Irc *irc, long max_wait_ms, const sigset_t *unblocked);

/* Queues a raw line (no CR LF).  STATUS_OK, or sendq_push's status when it
 * was not queued (noted as a drop, at most once per 10 s); STATUS_INVALID,
 * noted at once, when it holds CR or LF. */
Status irc_send(Irc *irc, enum sendq_class cls, const char *target,
                const char *line);

/* Queues text to target as PRIVMSG or NOTICE, split to fit 512 bytes as
 * the server will relay it.  Returns the number of lines queued, -1 when
 * some were dropped (the queue is full) or the target is bad. */
int irc_say(Irc *irc, const char *command, const char *target,
            const char *text);

/* Queues "PING :token" behind the lines already queued for target (the
 * send queue keeps each target's lines in order), so its PONG, handed to
 * IrcHandlers.synced, says the server has read them all.  token starts with
 * IRC_SYNC_PREFIX, has no spaces and is at most 64 bytes.  STATUS_OK,
 * STATUS_INVALID (not registered, a bad token), or irc_send's status.  A
 * disconnect before the answer drops it with the queue: no callback. */
Status irc_sync(Irc *irc, const char *target, const char *token);

/* Bytes of text that fit in one PRIVMSG to target as relayed. */
size_t irc_text_budget(const Irc *irc, const char *target);

bool irc_registered(const Irc *irc);
const char *irc_nick(const Irc *irc);
void irc_stats(const Irc *irc, IrcStats *out);

/* Queues QUIT ahead of everything, without waiting for the token bucket,
 * and drops every other queued line (noted); nothing queued after it is
 * sent.  irc_flushed() turns true once it has been written out (or the
 * connection is gone). */
void irc_quit(Irc *irc, const char *reason);
bool irc_flushed(const Irc *irc);

#endif
