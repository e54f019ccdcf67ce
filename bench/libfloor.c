/* libfloor.c - the memory floor of Missive's libraries, for bench/latency.py.
 *
 * Missive's idle RSS is mostly pages of shared libraries: code that any
 * process calling them maps (the kernel maps 64 KiB around each page
 * fault), plus their relocations and first allocations.  This program links
 * the same Debian libraries (libc, libm, SQLite, PCRE2, libircclient,
 * libinih), calls each one once the way the bot does at start (a config
 * string parsed, an IRC session made, a UTF-8 pattern compiled and JITed,
 * the database opened and one FTS5 query run, SQLite's cache released) and
 * prints its VmRSS: what is left of Missive's idle RSS over this figure is
 * Missive's own.
 *
 * usage: libfloor DATABASE   (opened read-only)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ini.h>
#include <libircclient.h>
#include <math.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int libfloor_ini(void *ud, const char *section, const char *name,
                        const char *value)
{
    (void)ud, (void)section, (void)name, (void)value;
    return 1;
}

/* VmRSS in KiB, or -1. */
static long libfloor_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    irc_callbacks_t cb;
    int errcode, rc = 1;
    PCRE2_SIZE erroff;

    if (argc != 2) {
        fprintf(stderr, "usage: libfloor DATABASE\n");
        return 2;
    }
    if (ini_parse_string("[irc]\nserver = 127.0.0.1\n", libfloor_ini, NULL) != 0)
        return 1;
    memset(&cb, 0, sizeof cb);
    irc_session_t *irc = irc_create_session(&cb);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) "\\bfin\\w+", PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_CASELESS, &errcode, &erroff, NULL);
    if (!irc || !re || pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
        goto out;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT rowid FROM passages_fts WHERE passages_fts"
                           " MATCH 'finland' ORDER BY rank LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "libfloor: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        (void)log((double)sqlite3_column_int64(st, 0) + 1.0); /* libm, as BM25 */
    sqlite3_finalize(st);
    st = NULL;
    sqlite3_db_release_memory(db);
    printf("%ld\n", libfloor_rss_kb());
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    pcre2_code_free(re);
    if (irc)
        irc_destroy_session(irc);
    return rc;
}
