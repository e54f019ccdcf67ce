/* conn_tls.c - the OpenSSL ConnType (see conn.h).
 *
 * Secure by default: the chain is verified against the system store or
 * tls_ca_file, the host name is checked (an IP address as an IP, never as
 * a name; SNI only for names), TLS 1.2 is the minimum, and an optional
 * SHA-256 pin of the server's certificate is checked after the handshake.
 * Turning verification off is possible but recorded in conn->insecure so
 * the caller says so loudly.  One SSL_CTX per connection: connections are
 * rare (one at a time, minutes or months apart) and a fresh context reads
 * a renewed CA file or client certificate without a reload.
 *
 * Built as missive-tls.so (src/CMakeLists.txt), the only object that links
 * OpenSSL; it exports nothing but missive_conn_tls (see conn.h).
 */
#include "conn.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

typedef struct {
    Conn base;
    SSL_CTX *ctx;
    SSL *ssl;
    char pin[65];    /* "" when not pinned */
    bool first_seen; /* the server's first byte has been looked at */
} TlsConn;

/* --- errors ------------------------------------------------------------------ */

/* The first OpenSSL error queued, or fallback; clears the queue. */
static void tls_why(TlsConn *t, const char *what, const char *fallback)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(t->base.why, sizeof t->base.why, "%.150s: %.200s", what,
             e ? buf : fallback);
    ERR_clear_error();
}

/* Maps an SSL_* result to CONN_AGAIN (setting want_write) or CONN_ERROR. */
static int tls_result(TlsConn *t, int rc, const char *what)
{
    int err = SSL_get_error(t->ssl, rc);
    switch (err) {
    case SSL_ERROR_WANT_READ:
        t->base.want_write = false;
        return CONN_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        t->base.want_write = true;
        return CONN_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(t->base.why, sizeof t->base.why,
                 "%s: the server closed the TLS session", what);
        return CONN_ERROR;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            snprintf(t->base.why, sizeof t->base.why, "%.150s: %.200s", what,
                     errno ? strerror(errno)
                           : "the server closed the connection");
            return CONN_ERROR;
        }
        /* fall through */
    default:
        tls_why(t, what, "unknown TLS error");
        return CONN_ERROR;
    }
}

/* --- fingerprints ------------------------------------------------------------ */

/* Normalises a fingerprint setting to 64 lower-case hex digits.  false
 * when it is not a SHA-256 fingerprint. */
static bool tls_fingerprint_parse(const char *in, char out[65])
{
    size_t n = 0;
    if (strncasecmp(in, "sha256:", 7) == 0)
        in += 7;
    for (; *in; in++) {
        if (*in == ':' || *in == ' ')
            continue;
        if (!isxdigit((unsigned char)*in) || n == 64)
            return false;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
    return n == 64;
}

static bool tls_peer_fingerprint(SSL *ssl, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    X509 *peer = SSL_get1_peer_certificate(ssl);
    bool ok = peer && X509_digest(peer, EVP_sha256(), md, &len) && len == 32;
    X509_free(peer);
    for (unsigned i = 0; ok && i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return ok;
}

/* --- operations ---------------------------------------------------------------- */

/* A TLS server's first byte starts a record: content type 20-23 (a
 * handshake, 22, in practice).  An IRC server on a plain port greets with
 * ':' or "NOTICE"/"ERROR" instead; OpenSSL would fail on it with "wrong
 * version number", or, when the server says nothing, we would wait for the
 * handshake timeout.  Peeking at that byte names the mistake at once. */
static bool tls_peer_speaks_plain(TlsConn *t)
{
    unsigned char b;
    if (t->first_seen)
        return false;
    if (recv(t->base.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
        return false; /* nothing yet (or an error SSL_connect reports) */
    t->first_seen = true;
    return b < 20 || b > 23;
}

static int tls_handshake(Conn *c)
{
    TlsConn *t = (TlsConn *)c;
    char fp[65];

    if (tls_peer_speaks_plain(t)) {
        c->plain_peer = true;
        snprintf(c->why, sizeof c->why, "the server speaks plain IRC, not TLS");
        return -1;
    }
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(t->ssl);
    if (rc != 1) {
        int r = tls_result(t, rc, "TLS handshake failed");
        if (r == CONN_AGAIN)
            return 0;
        long v = SSL_get_verify_result(t->ssl);
        if (v != X509_V_OK)
            snprintf(c->why, sizeof c->why,
                     "TLS: the server's certificate is not accepted: %s",
                     X509_verify_cert_error_string(v));
        return -1;
    }
    c->want_write = false;
    if (!tls_peer_fingerprint(t->ssl, fp)) {
        snprintf(c->why, sizeof c->why,
                 "TLS: the server sent no certificate we can fingerprint");
        return -1;
    }
    if (t->pin[0] && strcmp(fp, t->pin) != 0) {
        snprintf(c->why, sizeof c->why,
                 "TLS: the server's certificate (SHA-256 %s) does not match "
                 "tls_fingerprint",
                 fp);
        return -1;
    }
    snprintf(c->summary, sizeof c->summary, "%s %s, certificate %s, SHA-256 %s",
             SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl),
             t->pin[0]     ? "pinned"
             : c->insecure ? "NOT VERIFIED"
                           : "verified",
             fp);
    return 1;
}

static ssize_t tls_read(Conn *c, void *buf, size_t n)
{
    TlsConn *t = (TlsConn *)c;
    size_t got = 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_read_ex(t->ssl, buf, n, &got);
    if (rc == 1) {
        c->want_write = false;
        return (ssize_t)got;
    }
    int err = SSL_get_error(t->ssl, rc);
    if (err == SSL_ERROR_ZERO_RETURN)
        return 0;
    /* A peer that closes without close_notify: the end of the stream for
     * a line protocol, where a cut line is simply incomplete. */
    if (err == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return 0;
    }
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
        return 0;
    return tls_result(t, rc, "TLS read");
}

static ssize_t tls_write(Conn *c, const void *buf, size_t n)
{
    TlsConn *t = (TlsConn *)c;
    size_t put = 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_write_ex(t->ssl, buf, n, &put);
    if (rc == 1) {
        c->want_write = false;
        return (ssize_t)put;
    }
    return tls_result(t, rc, "TLS write");
}

static bool tls_pending(const Conn *c)
{
    return SSL_pending(((const TlsConn *)c)->ssl) > 0;
}

static void tls_free(Conn *c)
{
    TlsConn *t = (TlsConn *)c;
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(t);
}

static const ConnType conn_tls_type = {
    .name = "TLS",
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .pending = tls_pending,
    .free = tls_free,
};

/* --- setup ----------------------------------------------------------------------- */

static bool tls_is_ip(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 ||
           inet_pton(AF_INET6, host, buf) == 1;
}

static Conn *tls_open(int fd, const ConnTlsSettings *s, char *why,
                      size_t whysz)
{
    TlsConn *t = calloc(1, sizeof *t);
    if (!t) {
        close(fd);
        snprintf(why, whysz, "out of memory");
        return NULL;
    }
    t->base.type = &conn_tls_type;
    t->base.fd = fd;
    t->base.insecure = !s->verify;
    ERR_clear_error();

    if (s->fingerprint && s->fingerprint[0] &&
        !tls_fingerprint_parse(s->fingerprint, t->pin)) {
        snprintf(t->base.why, sizeof t->base.why,
                 "tls_fingerprint is not a SHA-256 fingerprint");
        goto fail;
    }
    if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        tls_why(t, "TLS", "cannot make a context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (s->verify) {
        int ok = s->ca_file && s->ca_file[0]
                     ? SSL_CTX_load_verify_locations(t->ctx, s->ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(t->ctx);
        if (ok != 1) {
            char what[CONN_WHY_MAX / 2];
            snprintf(what, sizeof what,
                     "TLS: cannot load CA certificates%s%.150s",
                     s->ca_file && s->ca_file[0] ? " from " : "",
                     s->ca_file && s->ca_file[0] ? s->ca_file : "");
            tls_why(t, what, "no certificates");
            goto fail;
        }
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (s->cert && s->cert[0]) {
        const char *key = s->key_file && s->key_file[0] ? s->key_file : s->cert;
        if (SSL_CTX_use_certificate_chain_file(t->ctx, s->cert) != 1) {
            tls_why(t, "TLS: cannot load tls_cert", "bad certificate");
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            /* The key's path is fine to log; its contents never are. */
            tls_why(t, "TLS: cannot use the client key", "bad key");
            goto fail;
        }
    }
    if (!(t->ssl = SSL_new(t->ctx)) || SSL_set_fd(t->ssl, fd) != 1) {
        tls_why(t, "TLS", "cannot make a session");
        goto fail;
    }
    if (tls_is_ip(s->host)) {
        if (s->verify && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
                                                       s->host) != 1) {
            tls_why(t, "TLS", "bad IP address");
            goto fail;
        }
    } else {
        if (SSL_set_tlsext_host_name(t->ssl, s->host) != 1 ||
            (s->verify && SSL_set1_host(t->ssl, s->host) != 1)) {
            tls_why(t, "TLS", "bad host name");
            goto fail;
        }
        /* "irc.example" matches "*.example"? No: partial wildcards off. */
        SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    SSL_set_connect_state(t->ssl);
    return &t->base;

fail:
    snprintf(why, whysz, "%s", t->base.why);
    tls_free(&t->base);
    return NULL;
}

/* The module's one exported symbol (the rest is hidden by
 * -fvisibility=hidden). */
__attribute__((visibility("default"))) const ConnTlsModule missive_conn_tls = {
    .abi = CONN_TLS_ABI,
    .conn_size = sizeof(Conn),
    .settings_size = sizeof(ConnTlsSettings),
    .version = MISSIVE_VERSION,
    .open = tls_open,
};
