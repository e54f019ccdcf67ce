/* conn.h - one network connection behind a small table of operations.
 *
 * The transport (transport.c) drives a connected, non-blocking socket
 * through a ConnType without knowing whether it is plain TCP or TLS, the
 * way Redis's ConnectionType and ngircd's conn.c/conn-ssl.c split them.
 * The plain type lives in transport.c, the OpenSSL one in conn_tls.c.
 * Operations never block and never log: a failure leaves its reason in
 * conn->why for the transport to report.
 */
#ifndef MISSIVE_CONN_H
#define MISSIVE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONN_WHY_MAX 384
#define CONN_AGAIN (-1) /* nothing now: wait for the socket */
#define CONN_ERROR (-2) /* failed; conn->why says why */

typedef struct Conn Conn;

typedef struct {
    const char *name; /* "plain" or "TLS" */
    /* 1 when the connection is ready for data, 0 to be called again when
     * the socket is ready, -1 on failure. */
    int (*handshake)(Conn *c);
    /* Bytes read (> 0), 0 at the end of the stream, CONN_AGAIN or
     * CONN_ERROR. */
    ssize_t (*read)(Conn *c, void *buf, size_t n);
    /* Bytes written (> 0), CONN_AGAIN or CONN_ERROR. */
    ssize_t (*write)(Conn *c, const void *buf, size_t n);
    /* Decrypted bytes held that select() cannot see. */
    bool (*pending)(const Conn *c);
    void (*free)(Conn *c);
} ConnType;

struct Conn {
    const ConnType *type;
    int fd;          /* connected, non-blocking; owned by the Conn */
    bool want_write; /* the last operation waits for a writable socket */
    char why[CONN_WHY_MAX];
    /* One line for the log once the handshake is done ("TLS 1.3 ..."). */
    char summary[CONN_WHY_MAX];
    bool insecure;   /* the peer's certificate was not verified */
    bool plain_peer; /* handshake failed: the server answered in plain text */
};

/* TLS settings, borrowed from the transport's copy. */
typedef struct {
    const char *host; /* checked against the certificate; SNI for names */
    bool verify;
    const char *ca_file;     /* NULL: the system store */
    const char *fingerprint; /* NULL or 64 hex digits (colons allowed) */
    const char *cert;        /* client certificate (PEM); NULL: none */
    const char *key_file;    /* its key (PEM); NULL: in cert */
} ConnTlsSettings;

/* Plain TCP over fd (takes ownership). NULL when out of memory. */
Conn *conn_plain_new(int fd);

/* TLS client over fd (takes ownership, also on failure).  NULL with the
 * reason in why when the settings cannot be used (CA file, client key). */
Conn *conn_tls_new(int fd, const ConnTlsSettings *s, char *why, size_t whysz);

/* Normalises a fingerprint setting to 64 lower-case hex digits.  false
 * when it is not a SHA-256 fingerprint. */
bool conn_tls_fingerprint_parse(const char *in, char out[65]);

void conn_free(Conn *c);

#endif
