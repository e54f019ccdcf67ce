/* toplist.c - each common word's best passages, kept at import (see
 * toplist.h).
 *
 * The build scores each common term's passages with rank.c's own pieces
 * (rank_idf, rank_term, rank_avgdl), so a list is in exactly the order
 * missive_bm25 gives a one-word query, ties by passage id.  It walks a
 * term's postings inside one FTS5 auxiliary call (xQueryPhrase), with
 * lengths read beforehand from the docsize table, so a posting costs its
 * position list and a heap step, not a statement row and a B-tree lookup.
 *
 * Terms come from fts5vocab, as stems; a MATCH stems its phrase again, so
 * a term is listed only when the index's porter tokenizer leaves it as it
 * is (nearly always), and the reader stems a user's word with the same
 * tokenizer before it looks a list up.
 */
#include "toplist.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passmap.h"
#include "rank.h"

#define TOPLIST_TERM_MAX 256       /* bytes of a stem we list */
#define TOPLIST_POINTER "missive_toplist"

/* --- the index's stemmer ---------------------------------------------------- */

typedef struct {
    fts5_tokenizer api;
    Fts5Tokenizer *tok;
} TopStemmer;

/* porter over unicode61, with passages_fts's arguments (db.c). */
static int toplist_stemmer_open(sqlite3 *db, TopStemmer *s)
{
    static const char *const args[] = {"unicode61", "remove_diacritics", "2"};
    fts5_api *api = rank_fts5(db);
    void *ud = NULL;

    memset(s, 0, sizeof *s);
    if (!api || api->xFindTokenizer(api, "porter", &ud, &s->api) != SQLITE_OK ||
        s->api.xCreate(ud, (const char **)args, 3, &s->tok) != SQLITE_OK) {
        s->tok = NULL;
        return -1;
    }
    return 0;
}

static void toplist_stemmer_close(TopStemmer *s)
{
    if (s->tok)
        s->api.xDelete(s->tok);
    s->tok = NULL;
}

typedef struct {
    int n;
    char stem[TOPLIST_TERM_MAX];
} TopStem;

static int toplist_stem_cb(void *ud, int tflags, const char *tok, int ntok,
                           int start, int end)
{
    (void)start, (void)end;
    TopStem *s = ud;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (s->n++ == 0 && ntok > 0 && (size_t)ntok < sizeof s->stem) {
        memcpy(s->stem, tok, (size_t)ntok);
        s->stem[ntok] = '\0';
    }
    return SQLITE_OK;
}

/* The index term that word is, into out: 0, or -1 when it is none or
 * several (a phrase) or too long. */
static int toplist_stem(TopStemmer *s, const char *word, TopStem *out)
{
    size_t len = strlen(word);
    memset(out, 0, sizeof *out);
    if (len == 0 || len >= TOPLIST_TERM_MAX ||
        s->api.xTokenize(s->tok, out, FTS5_TOKENIZE_QUERY, word, (int)len,
                         toplist_stem_cb) != SQLITE_OK)
        return -1;
    return out->n == 1 && out->stem[0] ? 0 : -1;
}

/* --- building --------------------------------------------------------------- */

typedef struct {
    sqlite3_int64 id;
    double score; /* rank_term: higher is better */
} TopEntry;

typedef struct {
    TopEntry *heap; /* the TOPLIST_LEN best so far; the worst at [0] */
    size_t n;
    const int32_t *lens; /* [passage id]: tokens, -1 when unknown */
    sqlite3_int64 nlens;
    double idf, avgdl;
    sqlite3_int64 docs; /* postings walked */
} TopBuild;

/* True when a ranks after b: lower score, then higher passage id. */
static bool toplist_after(const TopEntry *a, const TopEntry *b)
{
    return a->score < b->score || (a->score == b->score && a->id > b->id);
}

static void toplist_sift_down(TopEntry *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && toplist_after(&h[l], &h[worst]))
            worst = l;
        if (r < n && toplist_after(&h[r], &h[worst]))
            worst = r;
        if (worst == i)
            return;
        TopEntry t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

static void toplist_push(TopBuild *b, TopEntry e)
{
    TopEntry *h = b->heap;
    if (b->n < TOPLIST_LEN) {
        size_t i = b->n++;
        h[i] = e;
        while (i > 0 && toplist_after(&h[i], &h[(i - 1) / 2])) {
            TopEntry t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (!toplist_after(&h[0], &e))
        return; /* no better than the worst kept */
    h[0] = e;
    toplist_sift_down(h, b->n, 0);
}

/* Best first. */
static int toplist_cmp(const void *x, const void *y)
{
    const TopEntry *a = x, *b = y;
    return toplist_after(a, b) ? 1 : toplist_after(b, a) ? -1 : 0;
}

static int toplist_row(const Fts5ExtensionApi *api, Fts5Context *fts,
                       void *ud)
{
    TopBuild *b = ud;
    sqlite3_int64 id = api->xRowid(fts);
    int ninst = 0, len = -1;
    int rc = api->xInstCount(fts, &ninst);
    if (rc != SQLITE_OK)
        return rc;
    if (id >= 0 && id < b->nlens)
        len = b->lens[id];
    if (len < 0 && (rc = api->xColumnSize(fts, -1, &len)) != SQLITE_OK)
        return rc;
    b->docs++;
    toplist_push(b, (TopEntry){id, rank_term(b->idf, ninst, len, b->avgdl)});
    return SQLITE_OK;
}

/* missive_toplist(fts, build): on its row, walks the query's one phrase
 * into the build (a TopBuild bound as a pointer). */
static void toplist_aux(const Fts5ExtensionApi *api, Fts5Context *fts,
                        sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    TopBuild *b = nval > 0 ? sqlite3_value_pointer(val[0], TOPLIST_POINTER)
                           : NULL;
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = b ? api->xRowCount(fts, &rows) : SQLITE_MISUSE;
    if (rc == SQLITE_OK)
        rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc == SQLITE_OK) {
        b->idf = rank_idf(rows, RANK_DF_CAP);
        b->avgdl = rank_avgdl(rows, tokens);
        rc = api->xQueryPhrase(fts, 0, b, toplist_row);
    }
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
}

/* Every passage's length in tokens, from FTS5's docsize table. */
static int toplist_lengths(sqlite3 *db, TopBuild *b)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 max = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM passages",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return -1;
    }
    max = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (max < 0 || max >= INT32_MAX)
        return -1;
    int32_t *lens = malloc((size_t)(max + 1) * sizeof *lens);
    if (!lens)
        return -1;
    for (sqlite3_int64 i = 0; i <= max; i++) lens[i] = -1;
    b->lens = lens;
    b->nlens = max + 1;
    if (sqlite3_prepare_v2(db, "SELECT id, sz FROM passages_fts_docsize", -1,
                           &st, NULL) != SQLITE_OK)
        return 0; /* no docsize table: xColumnSize answers */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (id >= 0 && id <= max)
            lens[id] = passmap_docsize(sqlite3_column_blob(st, 1),
                                       sqlite3_column_bytes(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The list as a blob: 4-byte little-endian passage ids, best first. */
static int toplist_blob(TopBuild *b, unsigned char *out)
{
    qsort(b->heap, b->n, sizeof *b->heap, toplist_cmp);
    for (size_t i = 0; i < b->n; i++) {
        sqlite3_int64 id = b->heap[i].id;
        if (id < 0 || id > INT32_MAX)
            return -1;
        for (int k = 0; k < 4; k++) out[4 * i + k] = (unsigned char)(id >> (8 * k));
    }
    return 0;
}

Status toplist_refresh(sqlite3 *db, Error *err)
{
    static const char *const sql[] = {
        "SELECT term, doc FROM temp.missive_toplist_vocab WHERE doc > ?1",
        ("SELECT missive_toplist(passages_fts, ?2) FROM passages_fts"
         " WHERE passages_fts MATCH ?1 LIMIT 1"),
        "INSERT INTO search_top(term, ids) VALUES (?1, ?2)",
    };
    enum { TERMS, BUILD, INSERT, NSQL };
    sqlite3_stmt *st[NSQL] = {NULL};
    TopBuild b = {0};
    TopStemmer stem = {0};
    unsigned char *blob = NULL;
    Status result = STATUS_ERROR;
    bool vocab = false;
    fts5_api *api = rank_fts5(db);
    int rc;

    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "missive_toplist", NULL, toplist_aux,
                             NULL) != SQLITE_OK ||
        toplist_stemmer_open(db, &stem) < 0) {
        error_set(err, STATUS_ERROR, "toplist: no FTS5 porter tokenizer");
        goto done;
    }
    if (!(b.heap = malloc(TOPLIST_LEN * sizeof *b.heap)) ||
        !(blob = malloc(TOPLIST_LEN * 4))) {
        error_set(err, STATUS_ERROR, "toplist: out of memory");
        goto done;
    }
    if (sqlite3_exec(db, "DELETE FROM search_top", NULL, NULL, NULL) !=
            SQLITE_OK ||
        toplist_lengths(db, &b) < 0 ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE temp.missive_toplist_vocab"
                     " USING fts5vocab(main, passages_fts, row)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto sqlfail;
    vocab = true;
    for (int i = 0; i < NSQL; i++)
        if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
            goto sqlfail;
    sqlite3_bind_int64(st[TERMS], 1, TOPLIST_MIN_DF);
    sqlite3_bind_pointer(st[BUILD], 2, &b, TOPLIST_POINTER, NULL);
    while ((rc = sqlite3_step(st[TERMS])) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(st[TERMS], 0);
        sqlite3_int64 df = sqlite3_column_int64(st[TERMS], 1);
        TopStem s;
        char match[TOPLIST_TERM_MAX + 3];
        /* A stem porter would change, or one with a quote (none: the
         * tokenizer keeps word characters), is not listed. */
        if (!term || strchr(term, '"') || toplist_stem(&stem, term, &s) < 0 ||
            strcmp(s.stem, term) != 0)
            continue;
        snprintf(match, sizeof match, "\"%s\"", term);
        b.n = 0;
        b.docs = 0;
        sqlite3_bind_text(st[BUILD], 1, match, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st[BUILD])) == SQLITE_ROW)
            ;
        sqlite3_reset(st[BUILD]);
        if (rc != SQLITE_DONE)
            goto sqlfail;
        /* Walked another term's postings (porter disagreed after all):
         * no list rather than a wrong one. */
        if (b.docs != df || toplist_blob(&b, blob) < 0)
            continue;
        sqlite3_bind_text(st[INSERT], 1, term, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st[INSERT], 2, blob, (int)(4 * b.n), SQLITE_STATIC);
        rc = sqlite3_step(st[INSERT]);
        sqlite3_reset(st[INSERT]);
        if (rc != SQLITE_DONE)
            goto sqlfail;
    }
    if (rc != SQLITE_DONE)
        goto sqlfail;
    result = STATUS_OK;
    goto done;

sqlfail:
    error_set(err, STATUS_ERROR, "toplist: %s", sqlite3_errmsg(db));
done:
    for (int i = 0; i < NSQL; i++) sqlite3_finalize(st[i]);
    if (vocab)
        sqlite3_exec(db, "DROP TABLE temp.missive_toplist_vocab", NULL, NULL,
                     NULL);
    toplist_stemmer_close(&stem);
    free((void *)b.lens);
    free(b.heap);
    free(blob);
    return result;
}

/* --- reading ------------------------------------------------------------------ */

struct TopList {
    TopStemmer stem;
    sqlite3_stmt *get;
    uint64_t *tokens; /* toplist_holds's passage, kept between calls */
    size_t ntokens, cap;
    int failed;
};

TopList *toplist_open(sqlite3 *db, Error *err)
{
    TopList *t = calloc(1, sizeof *t);
    if (!t) {
        error_set(err, STATUS_ERROR, "toplist: out of memory");
        return NULL;
    }
    if (toplist_stemmer_open(db, &t->stem) < 0) {
        error_set(err, STATUS_ERROR, "toplist: no FTS5 porter tokenizer");
        goto fail;
    }
    if (sqlite3_prepare_v3(db, "SELECT ids FROM search_top WHERE term = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &t->get,
                           NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "toplist: %s", sqlite3_errmsg(db));
        goto fail;
    }
    return t;
fail:
    toplist_free(t);
    return NULL;
}

void toplist_free(TopList *t)
{
    if (!t)
        return;
    toplist_stemmer_close(&t->stem);
    sqlite3_finalize(t->get);
    free(t->tokens);
    free(t);
}

Status toplist_get(TopList *t, const char *word, sqlite3_int64 **ids,
                   size_t *n, Error *err)
{
    TopStem s;
    Status result = STATUS_NOTFOUND;

    *ids = NULL;
    *n = 0;
    if (toplist_stem(&t->stem, word, &s) < 0)
        return STATUS_NOTFOUND;
    sqlite3_bind_text(t->get, 1, s.stem, -1, SQLITE_STATIC);
    int rc = sqlite3_step(t->get);
    if (rc == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(t->get, 0);
        size_t count = (size_t)sqlite3_column_bytes(t->get, 0) / 4;
        if (count > 0 && p && !(*ids = malloc(count * sizeof **ids))) {
            result = error_set(err, STATUS_ERROR, "toplist: out of memory");
        } else if (count > 0 && p) {
            for (size_t i = 0; i < count; i++) {
                const unsigned char *q = p + 4 * i;
                (*ids)[i] = (sqlite3_int64)((uint32_t)q[0] |
                                            (uint32_t)q[1] << 8 |
                                            (uint32_t)q[2] << 16 |
                                            (uint32_t)q[3] << 24);
            }
            *n = count;
            result = STATUS_OK;
        }
    } else if (rc != SQLITE_DONE) {
        result = error_set(err, STATUS_ERROR, "toplist: %s",
                           sqlite3_errmsg(sqlite3_db_handle(t->get)));
    }
    sqlite3_reset(t->get);
    sqlite3_clear_bindings(t->get);
    return result;
}

/* --- text checked by itself ---------------------------------------------- */

static uint64_t toplist_hash(const char *tok, int n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (int i = 0; i < n; i++) {
        h ^= (unsigned char)tok[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static int toplist_phrase_cb(void *ud, int tflags, const char *tok, int ntok,
                             int start, int end)
{
    (void)start, (void)end;
    TopPhrase *p = ud;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (p->n == TOPLIST_PHRASE_MAX)
        return SQLITE_ERROR;
    p->token[p->n++] = toplist_hash(tok, ntok);
    return SQLITE_OK;
}

int toplist_phrase(TopList *t, const char *phrase, TopPhrase *out)
{
    size_t len = strlen(phrase);
    out->n = 0;
    if (len > INT32_MAX ||
        t->stem.api.xTokenize(t->stem.tok, out, FTS5_TOKENIZE_QUERY, phrase,
                              (int)len, toplist_phrase_cb) != SQLITE_OK)
        return -1;
    return 0;
}

static int toplist_text_cb(void *ud, int tflags, const char *tok, int ntok,
                           int start, int end)
{
    (void)start, (void)end;
    TopList *t = ud;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (t->ntokens == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        uint64_t *grown = realloc(t->tokens, cap * sizeof *grown);
        if (!grown) {
            t->failed = 1;
            return SQLITE_NOMEM;
        }
        t->tokens = grown;
        t->cap = cap;
    }
    t->tokens[t->ntokens++] = toplist_hash(tok, ntok);
    return SQLITE_OK;
}

int toplist_holds(TopList *t, const char *text, size_t len,
                  const TopPhrase *phrases, int n)
{
    t->ntokens = 0;
    t->failed = 0;
    if (len > INT32_MAX ||
        t->stem.api.xTokenize(t->stem.tok, t, FTS5_TOKENIZE_DOCUMENT, text,
                              (int)len, toplist_text_cb) != SQLITE_OK)
        return -1;
    for (int k = 0; k < n; k++) {
        const TopPhrase *p = &phrases[k];
        bool found = p->n == 0;
        for (size_t i = 0; !found && i + (size_t)p->n <= t->ntokens; i++) {
            int j = 0;
            while (j < p->n && t->tokens[i + (size_t)j] == p->token[j]) j++;
            found = j == p->n;
        }
        if (!found)
            return 0;
    }
    return 1;
}
