/* stemmer.c - the index's own word cutter and stemmer (see stemmer.h).
 *
 * Fetched from the connection rather than reimplemented: a stem that is
 * not byte for byte the index's never matches it, and SQLite's porter has
 * its own quirks ("occupied" is "occupi", "occupation" is "occup") that
 * reply.c works around knowingly.
 */
#include "stemmer.h"

#include <limits.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "rank.h"

void stemmer_tokens_free(Tokens *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

int stemmer_tokens_push(Tokens *t, const char *s, int len, int start, int end)
{
    if (array_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v) != STATUS_OK)
        return -1;
    Token *k = &t->v[t->n++];
    if (len < 0)
        len = 0;
    if (len >= STEMMER_STEM)
        len = STEMMER_STEM - 1; /* cut alike in the message and the text */
    memcpy(k->stem, s, (size_t)len);
    k->stem[len] = '\0';
    k->start = start;
    k->end = end;
    return 0;
}

void stemmer_close(Stemmer *s)
{
    for (int i = 0; i < 2; i++)
        if (s->tok[i])
            s->api[i].xDelete(s->tok[i]);
    memset(s, 0, sizeof *s);
}

/* The word cutter (unicode61) and the stemmer (porter over unicode61), with
 * the arguments of passages_fts (db.c). */
int stemmer_open(sqlite3 *db, Stemmer *s)
{
    static const char *const porter_args[] = {"unicode61", "remove_diacritics",
                                              "2"};
    static const char *const word_args[] = {"remove_diacritics", "2"};
    void *ud = NULL;
    fts5_api *api = rank_fts5(db);

    memset(s, 0, sizeof *s);
    if (!api)
        return -1;
    if (api->xFindTokenizer(api, "unicode61", &ud, &s->api[STEMMER_WORDS]) !=
            SQLITE_OK ||
        s->api[STEMMER_WORDS].xCreate(ud, (const char **)word_args, 2,
                                      &s->tok[STEMMER_WORDS]) != SQLITE_OK)
        goto fail;
    if (api->xFindTokenizer(api, "porter", &ud, &s->api[STEMMER_PORTER]) !=
            SQLITE_OK ||
        s->api[STEMMER_PORTER].xCreate(ud, (const char **)porter_args, 3,
                                       &s->tok[STEMMER_PORTER]) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    stemmer_close(s);
    return -1;
}

int stemmer_tokenize(Stemmer *s, int which, int flags, const char *text,
                     size_t len, void *ctx,
                     int (*token)(void *ctx, int tflags, const char *tok,
                                  int ntok, int start, int end))
{
    if (len > INT_MAX)
        return SQLITE_TOOBIG;
    return s->api[which].xTokenize(s->tok[which], ctx, flags, text, (int)len,
                                   token);
}

static int stemmer_token(void *ctx, int tflags, const char *tok, int ntok,
                         int start, int end)
{
    (void)tflags;
    return stemmer_tokens_push(ctx, tok, ntok, start, end) < 0 ? SQLITE_NOMEM
                                                               : SQLITE_OK;
}

int stemmer_run(Stemmer *s, int which, const char *text, size_t len,
                Tokens *out)
{
    if (len > INT32_MAX)
        return -1;
    return s->api[which].xTokenize(s->tok[which], out, FTS5_TOKENIZE_DOCUMENT,
                                   text, (int)len, stemmer_token) == SQLITE_OK
               ? 0
               : -1;
}
