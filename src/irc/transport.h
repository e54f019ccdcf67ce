/* transport.h - the connection to the IRC server, under libircclient.
 *
 * Debian's libircclient has no TLS, resolves names with a blocking call and
 * stops reading after one server line over 1023 bytes.  So Missive owns the
 * connection: the transport resolves the server's name without blocking,
 * tries each of its addresses (IPv6 and IPv4, in getaddrinfo's order),
 * speaks plain TCP or verified TLS through one ConnType table (conn.h), and
 * relays plain IRC to libircclient over a socket pair, cutting any server
 * line to 510 bytes + CR LF on the way.  It negotiates CAP before
 * registration completes (account-tag when offered, else extended-join +
 * account-notify; SASL when configured), so libircclient sees a
 * registration as usual, and strips message tags, which libircclient
 * cannot parse, keeping each PRIVMSG's account for transport_account.
 * Everything runs in the caller's select() loop: transport_prepare adds
 * our descriptors and says how long we may wait, transport_process does
 * what is ready.  No threads of ours
 * (glibc's getaddrinfo_a keeps its own helper for names that need DNS).
 */
#ifndef MISSIVE_TRANSPORT_H
#define MISSIVE_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h>

#include "error.h"

enum transport_sasl {
    TRANSPORT_SASL_NONE,
    TRANSPORT_SASL_PLAIN,
    TRANSPORT_SASL_EXTERNAL, /* the TLS client certificate (CertFP) */
};

typedef struct {
    const char *host; /* a name, an IPv4 or an IPv6 address */
    int port;
    bool tls;
    bool tls_verify;
    const char *tls_ca_file;     /* NULL or "": the system store */
    const char *tls_fingerprint; /* NULL or "": no pin */
    const char *tls_cert;        /* NULL or "": no client certificate */
    const char *tls_key_file;
    const char *tls_module; /* missive-tls.so, loaded for the first TLS
                               connection (conn_tlsload.c) */
    int connect_timeout_ms; /* per address; 0: 10 s */
    /* SASL, before registration completes (CAP LS 302, CAP REQ :sasl,
     * AUTHENTICATE, CAP END).  CAP LS is sent either way, for account-tag;
     * a server without CAP registers us at once. */
    enum transport_sasl sasl;
    const char *sasl_username; /* PLAIN */
    const char *sasl_password; /* PLAIN; copied, wiped when freed */
    bool sasl_required;        /* a failure drops the connection (retried) */
    /* Log lines; the transport never logs itself. */
    void (*note)(void *ud, Severity severity, const char *line);
    void *ud;
} TransportSettings;

typedef struct Transport Transport;

/* Starts connecting.  *local_fd receives our end for libircclient: a
 * connected AF_UNIX stream socket, non-blocking, close-on-exec, owned by
 * the caller.  NULL when out of descriptors or memory (reason in err). */
Transport *transport_open(const TransportSettings *s, int *local_fd,
                          Error *err);

/* Closes the network connection; an unfinished name lookup is cancelled
 * (or left to finish on its own, never waited for). */
void transport_close(Transport *t);

/* Adds the descriptors we wait for.  Returns the longest wait in ms for
 * our timers, or -1 when none is due. */
long transport_prepare(Transport *t, fd_set *in, fd_set *out, int *maxfd);

/* Acts on what select() found ready, and on timers. */
void transport_process(Transport *t, const fd_set *in, const fd_set *out);

/* Why the connection failed or ended; NULL while it is healthy.  Once
 * failed, whatever the server sent has been handed on and libircclient
 * reads the end of the stream. */
const char *transport_failure(const Transport *t);

/* True once the server connection is up (TLS handshake done). */
bool transport_ready(const Transport *t);

/* Nicks whose account the fallback map holds at most (see TransportAcct
 * in transport.c); when full, further nicks have no account. */
#define TRANSPORT_ACCOUNTS_MAX 4096

/* The services account that the server's account tag named on the
 * PRIVMSG libircclient reports as origin, target, text: the oldest such
 * line not asked about yet (see TransportMsg in transport.c).  Without
 * account-tag, the account the nick -> account map (extended-join,
 * account-notify) held for the sender when that line arrived.  NULL when
 * that line carried none (not logged in, no account known) or no such
 * line is known.  The string lives until the next call. */
const char *transport_account(Transport *t, const char *origin,
                              const char *target, const char *text);

/* Server lines cut to 510 bytes so far. */
uint64_t transport_lines_cut(const Transport *t);

#endif
