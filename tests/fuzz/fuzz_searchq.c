/* fuzz_searchq.c - searchq_build() on arbitrary text, then the expression
 * run as an FTS5 MATCH with the project's tokenizer.
 *
 * The contract: whatever a user types, the built expression is never an SQL
 * error (only an interrupt, which we never raise, would be tolerated), and
 * it fits its buffer.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "searchq.h"

static sqlite3 *db;
static sqlite3_stmt *st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        abort();
    /* The same table shape and tokenizer as passages_fts in db.c. */
    if (sqlite3_exec(
            db,
            "CREATE VIRTUAL TABLE t USING fts5(shown,"
            " tokenize='porter unicode61 remove_diacritics 2');"
            "INSERT INTO t VALUES ('About Finland. I was quite ready to advise "
            "the Cabinet');"
            "INSERT INTO t VALUES ('a front in the North of France, "
            "Kishinev-Lvov');"
            "INSERT INTO t VALUES ('Hitler''s forces near Leningrad and "
            "Moscow, 1941');"
            "INSERT INTO t VALUES ('AND OR NOT NEAR x column * ^ + shown:');"
            "INSERT INTO t VALUES ('Sécurité über Łódź naïve café Москва');",
            NULL, NULL, NULL) != SQLITE_OK)
        abort();
    if (sqlite3_prepare_v2(
            db,
            "SELECT rowid, snippet(t, 0, char(2), char(2), '…', 40)"
            " FROM t WHERE t MATCH ?1 ORDER BY rank",
            -1, &st, NULL) != SQLITE_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SearchQuery q;
    char *user = malloc(size + 1);
    if (user == NULL)
        return 0;
    memcpy(user, data, size);
    user[size] = '\0'; /* what the command layer hands over */

    Status r = searchq_build(user, &q, NULL);
    free(user);
    if (strnlen(q.match, sizeof q.match) >= sizeof q.match)
        abort();
    if (r != STATUS_OK) {
        if (r != STATUS_INVALID || q.refusal == SEARCHQ_ACCEPTED || q.match[0])
            abort();
        return 0;
    }
    if (q.nterms <= 0 || q.nterms > SEARCHQ_MAX_TERMS)
        abort();

    sqlite3_reset(st);
    if (sqlite3_bind_text(st, 1, q.match, -1, SQLITE_STATIC) != SQLITE_OK)
        abort();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE && rc != SQLITE_INTERRUPT) {
        fprintf(stderr, "fuzz_searchq: %s for MATCH %s\n", sqlite3_errmsg(db),
                q.match);
        abort();
    }
    sqlite3_reset(st);
    return 0;
}
