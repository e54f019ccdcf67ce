/* conn_tlsload.c - loads the TLS ConnType (missive-tls.so) when a
 * connection first asks for TLS (see conn.h).
 *
 * Linking OpenSSL into the binary costs every bot 1.7 MB of RSS, TLS or
 * not: libcrypto and libssl are mapped and relocated at start.  So the TLS
 * code is a module, dlopen()ed on the first TLS connection and kept for the
 * life of the process (never dlclose()d: a reconnect reuses it, and
 * OpenSSL's at-exit handlers must find their code).  A missing or foreign
 * module is an error that names the file, reported like any other failure
 * to connect.
 */
#include "conn.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const ConnTlsModule *conn_tls_module;

/* The module at path, loaded once; NULL with the reason in why. */
static const ConnTlsModule *conn_tls_load(const char *path, char *why,
                                          size_t whysz)
{
    if (conn_tls_module)
        return conn_tls_module;
    if (!path || !path[0]) {
        snprintf(why, whysz, "TLS: no TLS module configured");
        return NULL;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, whysz,
                 "TLS: cannot load the TLS module %.150s (tls = yes needs "
                 "it): %.150s",
                 path, e ? e : "unknown error");
        return NULL;
    }
    const ConnTlsModule *m = dlsym(lib, CONN_TLS_SYMBOL);
    if (!m || m->abi != CONN_TLS_ABI || m->conn_size != sizeof(Conn) ||
        m->settings_size != sizeof(ConnTlsSettings) || !m->version ||
        strcmp(m->version, MISSIVE_VERSION) != 0 || !m->open) {
        snprintf(why, whysz,
                 "TLS: %.150s is not the TLS module of Missive %s "
                 "(another build or version)",
                 path, MISSIVE_VERSION);
        dlclose(lib);
        return NULL;
    }
    conn_tls_module = m;
    return m;
}

Conn *conn_tls_new(int fd, const ConnTlsSettings *s, char *why, size_t whysz)
{
    const ConnTlsModule *m = conn_tls_load(s->module, why, whysz);
    if (!m) {
        close(fd);
        return NULL;
    }
    return m->open(fd, s, why, whysz);
}
