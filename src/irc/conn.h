/* conn.h - one network connection behind a small table of operations.
 *
 * The transport (transport.c) drives a connected, non-blocking socket
 * through a ConnType without knowing whether it is plain TCP or TLS, the
 * way Redis's ConnectionType and ngircd's conn.c/conn-ssl.c split them.
 * The plain type lives in transport.c, the OpenSSL one in conn_tls.c,
 * which is built as its own shared object (missive-tls.so) and loaded by
 * conn_tlsload.c only when a connection asks for TLS, the way Redis builds
 * redis-tls.so: a bot without TLS never maps libssl and libcrypto (1.7 MB
 * of its RSS).  Operations never block and never log: a failure leaves its
 * reason in conn->why for the transport to report.
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
    const char *module;      /* path of missive-tls.so */
} ConnTlsSettings;

/* What missive-tls.so exports, under the name CONN_TLS_SYMBOL.  The
 * module shares Conn and ConnTlsSettings with the binary, so a module from
 * another build is refused rather than trusted: CONN_TLS_ABI changes with
 * either struct, and the version and sizes must match too. */
#define CONN_TLS_SYMBOL "missive_conn_tls"
#define CONN_TLS_ABI 1
typedef struct {
    int abi;              /* CONN_TLS_ABI */
    size_t conn_size;     /* sizeof(Conn) */
    size_t settings_size; /* sizeof(ConnTlsSettings) */
    const char *version;  /* MISSIVE_VERSION of its build */
    /* A TLS client over fd (takes ownership, also on failure). */
    Conn *(*open)(int fd, const ConnTlsSettings *s, char *why, size_t whysz);
} ConnTlsModule;

/* Plain TCP over fd (takes ownership). NULL when out of memory. */
Conn *conn_plain_new(int fd);

/* TLS client over fd (takes ownership, also on failure), loading
 * s->module on first use (conn_tlsload.c).  NULL with the reason in why
 * when the module cannot be loaded (the reason names its path) or the
 * settings cannot be used (CA file, client key). */
Conn *conn_tls_new(int fd, const ConnTlsSettings *s, char *why, size_t whysz);

void conn_free(Conn *c);

#endif
