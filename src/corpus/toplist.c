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
#include "stemmer.h"
#include "wordset.h"

#define TOPLIST_TERM_MAX 256       /* bytes of a stem we list */
#define TOPLIST_POINTER "missive_toplist"

/* --- the index's stemmer ---------------------------------------------------- */

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
static int toplist_stem(Stemmer *s, const char *word, TopStem *out)
{
    size_t len = strlen(word);
    memset(out, 0, sizeof *out);
    if (len == 0 || len >= TOPLIST_TERM_MAX ||
        stemmer_tokenize(s, STEMMER_PORTER, FTS5_TOKENIZE_QUERY, word, len,
                         out, toplist_stem_cb) != SQLITE_OK)
        return -1;
    return out->n == 1 && out->stem[0] ? 0 : -1;
}

/* --- building --------------------------------------------------------------- */

/* What an incremental update needs besides the ids (column keys): each
 * listed passage's term frequency and length, and the "rest": for every
 * term frequency among the term's passages NOT listed, the best of them
 * (the shortest, then the lowest id).  The order of two postings depends
 * on avgdl, which every import moves, but for one tf the shorter passage
 * always ranks first, so the best passage left out of a list, whatever
 * avgdl becomes, is one of the rest's.  Layout, little-endian: per listed
 * passage tf (1 byte) and length (2), in list order; then per rest entry
 * tf (1), length (2), id (4).  NULL (the next import rebuilds the lists)
 * when a tf or a length does not fit. */
#define TOPLIST_TF_MAX 256
#define TOPLIST_LEN_MAX 65535
#define TOPLIST_KEY 3
#define TOPLIST_REST 7

typedef struct {
    sqlite3_int64 id;
    double score; /* rank_term: higher is better */
    int tf, len;
} TopEntry;

typedef struct {
    int len; /* INT32_MAX: none */
    sqlite3_int64 id;
} TopRest;

typedef struct {
    TopEntry *heap; /* the TOPLIST_LEN best so far; the worst at [0] */
    size_t n;
    const int32_t *lens; /* [passage id]: tokens, -1 when unknown; or NULL */
    sqlite3_int64 nlens;
    double idf, avgdl;
    sqlite3_int64 docs; /* postings walked */
    bool walk;          /* the aux walks the phrase; else it adds its row */
    bool nokeys;        /* a tf the rest cannot hold was met */
    TopRest rest[TOPLIST_TF_MAX];
    TopEntry *extra; /* the rows the aux was called on (walk false) */
    size_t nextra, capextra;
} TopBuild;

/* True when a ranks after b: lower score, then higher passage id. */
static bool toplist_after(const TopEntry *a, const TopEntry *b)
{
    return a->score < b->score || (a->score == b->score && a->id > b->id);
}

static void toplist_reset(TopBuild *b)
{
    b->n = 0;
    b->docs = 0;
    b->nokeys = false;
    b->nextra = 0;
    for (int i = 0; i < TOPLIST_TF_MAX; i++) b->rest[i] = (TopRest){INT32_MAX, 0};
}

/* e is not listed: the rest keeps it when it is its tf's best. */
static void toplist_exclude(TopBuild *b, const TopEntry *e)
{
    if (e->tf < 1 || e->tf >= TOPLIST_TF_MAX) {
        b->nokeys = true;
        return;
    }
    TopRest *r = &b->rest[e->tf];
    if (e->len < r->len || (e->len == r->len && e->id < r->id))
        *r = (TopRest){e->len, e->id};
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
    if (!toplist_after(&h[0], &e)) {
        toplist_exclude(b, &e); /* no better than the worst kept */
        return;
    }
    toplist_exclude(b, &h[0]);
    h[0] = e;
    toplist_sift_down(h, b->n, 0);
}

/* Best first. */
static int toplist_cmp(const void *x, const void *y)
{
    const TopEntry *a = x, *b = y;
    return toplist_after(a, b) ? 1 : toplist_after(b, a) ? -1 : 0;
}

static TopEntry toplist_entry(const TopBuild *b, sqlite3_int64 id, int tf,
                              int len)
{
    return (TopEntry){id, rank_term(b->idf, tf, len, b->avgdl), tf, len};
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
    if (b->lens && id >= 0 && id < b->nlens)
        len = b->lens[id];
    if (len < 0 && (rc = api->xColumnSize(fts, -1, &len)) != SQLITE_OK)
        return rc;
    b->docs++;
    toplist_push(b, toplist_entry(b, id, ninst, len));
    return SQLITE_OK;
}

/* missive_toplist(fts, build): sets the build's weights from the index;
 * with b->walk, walks the query's one phrase into the build (a TopBuild
 * bound as a pointer), else remembers the row it was called on (tf and
 * length) in b->extra. */
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
        if (b->walk) {
            rc = api->xQueryPhrase(fts, 0, b, toplist_row);
        } else {
            int ninst = 0, len = 0;
            if ((rc = api->xInstCount(fts, &ninst)) == SQLITE_OK &&
                (rc = api->xColumnSize(fts, -1, &len)) == SQLITE_OK) {
                if (b->nextra == b->capextra) {
                    size_t cap = b->capextra ? 2 * b->capextra : 64;
                    TopEntry *e = realloc(b->extra, cap * sizeof *e);
                    if (!e)
                        rc = SQLITE_NOMEM;
                    else
                        b->extra = e, b->capextra = cap;
                }
                if (rc == SQLITE_OK)
                    b->extra[b->nextra++] =
                        (TopEntry){api->xRowid(fts), 0, ninst, len};
            }
        }
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

static void toplist_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int k = 0; k < bytes; k++) p[k] = (unsigned char)(v >> (8 * k));
}

static uint64_t toplist_take(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++) v |= (uint64_t)p[k] << (8 * k);
    return v;
}

/* The list as blobs: ids (4-byte little-endian passage ids, best first)
 * into out, keys (see above) into keys with *nkeys bytes, 0 when the list
 * has none.  -1 when an id does not fit. */
static int toplist_blob(TopBuild *b, unsigned char *out, unsigned char *keys,
                        size_t *nkeys)
{
    size_t k = 0;
    qsort(b->heap, b->n, sizeof *b->heap, toplist_cmp);
    for (size_t i = 0; i < b->n; i++) {
        const TopEntry *e = &b->heap[i];
        if (e->id < 0 || e->id > INT32_MAX)
            return -1;
        toplist_put(out + 4 * i, (uint64_t)e->id, 4);
        if (e->tf < 1 || e->tf >= TOPLIST_TF_MAX || e->len < 0 ||
            e->len > TOPLIST_LEN_MAX)
            b->nokeys = true;
        toplist_put(keys + k, (uint64_t)e->tf, 1);
        toplist_put(keys + k + 1, (uint64_t)e->len, 2);
        k += TOPLIST_KEY;
    }
    for (int tf = 1; tf < TOPLIST_TF_MAX; tf++) {
        const TopRest *r = &b->rest[tf];
        if (r->len == INT32_MAX)
            continue;
        if (r->len < 0 || r->len > TOPLIST_LEN_MAX || r->id < 0 ||
            r->id > INT32_MAX)
            b->nokeys = true;
        toplist_put(keys + k, (uint64_t)tf, 1);
        toplist_put(keys + k + 1, (uint64_t)r->len, 2);
        toplist_put(keys + k + 3, (uint64_t)r->id, 4);
        k += TOPLIST_REST;
    }
    *nkeys = b->nokeys ? 0 : k;
    return 0;
}

/* What one refresh or update holds. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *build, *put, *df;
    TopBuild b;
    Stemmer stem;
    unsigned char *ids, *keys;
    bool vocab;
} TopWork;

enum { TOPLIST_KEYS_MAX = TOPLIST_LEN * TOPLIST_KEY +
                          TOPLIST_TF_MAX * TOPLIST_REST };

static int toplist_work_open(sqlite3 *db, TopWork *w, Error *err)
{
    static const char *const build =
        "SELECT missive_toplist(passages_fts, ?2) FROM passages_fts"
        " WHERE passages_fts MATCH ?1 AND rowid >= ?3";
    fts5_api *api = rank_fts5(db);

    memset(w, 0, sizeof *w);
    w->db = db;
    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "missive_toplist", NULL, toplist_aux,
                             NULL) != SQLITE_OK ||
        stemmer_open(db, &w->stem) < 0) {
        error_set(err, STATUS_ERROR, "toplist: no FTS5 porter tokenizer");
        return -1;
    }
    if (!(w->b.heap = malloc(TOPLIST_LEN * sizeof *w->b.heap)) ||
        !(w->ids = malloc(TOPLIST_LEN * 4)) ||
        !(w->keys = malloc(TOPLIST_KEYS_MAX))) {
        error_set(err, STATUS_ERROR, "toplist: out of memory");
        return -1;
    }
    if (sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE temp.missive_toplist_vocab"
                     " USING fts5vocab(main, passages_fts, row)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto sqlfail;
    w->vocab = true;
    if (sqlite3_prepare_v2(db, build, -1, &w->build, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO search_top(term, ids, keys)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &w->put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT doc FROM temp.missive_toplist_vocab"
                           " WHERE term = ?1",
                           -1, &w->df, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_pointer(w->build, 2, &w->b, TOPLIST_POINTER, NULL);
    return 0;
sqlfail:
    error_set(err, STATUS_ERROR, "toplist: %s", sqlite3_errmsg(db));
    return -1;
}

static void toplist_work_close(TopWork *w)
{
    sqlite3_finalize(w->build);
    sqlite3_finalize(w->put);
    sqlite3_finalize(w->df);
    if (w->vocab)
        sqlite3_exec(w->db, "DROP TABLE temp.missive_toplist_vocab", NULL,
                     NULL, NULL);
    stemmer_close(&w->stem);
    free((void *)w->b.lens);
    free(w->b.heap);
    free(w->b.extra);
    free(w->ids);
    free(w->keys);
}

/* Runs the build statement for term's phrase from passage `from` on, to
 * its first row only with once (the aux walks on it with walk): -1 on an
 * SQL error. */
static int toplist_query(TopWork *w, const char *term, sqlite3_int64 from,
                         bool walk, bool once)
{
    char match[TOPLIST_TERM_MAX + 3];
    int rc;
    snprintf(match, sizeof match, "\"%s\"", term);
    w->b.walk = walk;
    sqlite3_bind_text(w->build, 1, match, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(w->build, 3, from);
    while ((rc = sqlite3_step(w->build)) == SQLITE_ROW && !once)
        ;
    sqlite3_reset(w->build);
    return rc == SQLITE_DONE || (once && rc == SQLITE_ROW) ? 0 : -1;
}

/* Writes term's list as toplist_blob left it in w->ids and w->keys (nkeys
 * bytes of keys; none: NULL). */
static int toplist_write(TopWork *w, const char *term, size_t nkeys)
{
    sqlite3_bind_text(w->put, 1, term, -1, SQLITE_STATIC);
    sqlite3_bind_blob(w->put, 2, w->ids, (int)(4 * w->b.n), SQLITE_STATIC);
    if (nkeys > 0)
        sqlite3_bind_blob(w->put, 3, w->keys, (int)nkeys, SQLITE_STATIC);
    else
        sqlite3_bind_null(w->put, 3);
    int rc = sqlite3_step(w->put);
    sqlite3_reset(w->put);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Writes the build's list of term. */
static int toplist_store(TopWork *w, const char *term)
{
    size_t nkeys = 0;
    if (toplist_blob(&w->b, w->ids, w->keys, &nkeys) < 0)
        return 0; /* an id beyond 4 bytes: no list */
    return toplist_write(w, term, nkeys);
}

/* Whether term is one a list may be kept for: porter leaves it as it is
 * (a MATCH stems it again), no quote. */
static bool toplist_stable(TopWork *w, const char *term)
{
    TopStem s;
    return term && !strchr(term, '"') && toplist_stem(&w->stem, term, &s) == 0 &&
           strcmp(s.stem, term) == 0;
}

/* Walks every posting of term (df of them) and stores its list. */
static int toplist_walk(TopWork *w, const char *term, sqlite3_int64 df)
{
    /* Past a few thousand postings every length read at once is cheaper
     * than a docsize lookup per posting. */
    if (!w->b.lens && df > 20000 && toplist_lengths(w->db, &w->b) < 0)
        return -1;
    toplist_reset(&w->b);
    if (toplist_query(w, term, 0, true, true) < 0)
        return -1;
    /* Walked another term's postings (porter disagreed after all): no list
     * rather than a wrong one. */
    if (w->b.docs != df)
        return 0;
    return toplist_store(w, term);
}

Status toplist_refresh(sqlite3 *db, Error *err)
{
    TopWork w;
    sqlite3_stmt *terms = NULL;
    Status result = STATUS_ERROR;
    int rc;

    if (toplist_work_open(db, &w, err) < 0)
        goto done;
    if (sqlite3_exec(db, "DELETE FROM search_top", NULL, NULL, NULL) !=
            SQLITE_OK ||
        toplist_lengths(db, &w.b) < 0 ||
        sqlite3_prepare_v2(db,
                           "SELECT term, doc FROM temp.missive_toplist_vocab"
                           " WHERE doc > ?1",
                           -1, &terms, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_int64(terms, 1, TOPLIST_MIN_DF);
    while ((rc = sqlite3_step(terms)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(terms, 0);
        if (toplist_stable(&w, term) &&
            toplist_walk(&w, term, sqlite3_column_int64(terms, 1)) < 0)
            goto sqlfail;
    }
    if (rc != SQLITE_DONE)
        goto sqlfail;
    result = STATUS_OK;
    goto done;

sqlfail:
    error_set(err, STATUS_ERROR, "toplist: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(terms);
    toplist_work_close(&w);
    return result;
}

/* --- updating ----------------------------------------------------------------- */

static int toplist_token_cb(void *ud, int tflags, const char *tok, int ntok,
                            int start, int end)
{
    (void)tflags, (void)start, (void)end;
    if (ntok <= 0 || ntok >= TOPLIST_TERM_MAX)
        return SQLITE_OK;
    size_t n = (size_t)ntok;
    return wordset_add(ud, tok, n, wordset_hash(tok, n)) < 0 ? SQLITE_NOMEM
                                                             : SQLITE_OK;
}

/* One listed term, its new postings at hand: the old list rescored with
 * the index's weights of now, merged with them.  *walk when the rest
 * shows a passage left out before might now be listed (or there are no
 * keys): the caller walks the term. */
static int toplist_merge(TopWork *w, const char *term, const unsigned char *ids,
                         size_t nids, const unsigned char *keys, size_t nkeys,
                         bool *walk)
{
    TopBuild *b = &w->b;
    size_t nrest = nkeys >= nids * TOPLIST_KEY
                       ? (nkeys - nids * TOPLIST_KEY) / TOPLIST_REST
                       : 0;
    *walk = true;
    if (!keys || nids != TOPLIST_LEN ||
        nkeys != nids * TOPLIST_KEY + nrest * TOPLIST_REST)
        return 0;
    size_t nnew = b->nextra;
    b->n = 0;
    b->nokeys = false;
    for (int i = 0; i < TOPLIST_TF_MAX; i++) b->rest[i] = (TopRest){INT32_MAX, 0};
    for (size_t i = 0; i < nids; i++) {
        const unsigned char *k = keys + TOPLIST_KEY * i;
        toplist_push(b, toplist_entry(b, (sqlite3_int64)toplist_take(ids + 4 * i, 4),
                                      (int)toplist_take(k, 1),
                                      (int)toplist_take(k + 1, 2)));
    }
    for (size_t i = 0; i < nnew; i++)
        toplist_push(b, toplist_entry(b, b->extra[i].id, b->extra[i].tf,
                                      b->extra[i].len));
    /* The worst listed now, against every tf's best left out before. */
    const TopEntry *worst = &b->heap[0];
    const unsigned char *r = keys + nids * TOPLIST_KEY;
    for (size_t i = 0; i < nrest; i++, r += TOPLIST_REST) {
        int tf = (int)toplist_take(r, 1);
        TopEntry e = toplist_entry(b, (sqlite3_int64)toplist_take(r + 3, 4), tf,
                                   (int)toplist_take(r + 1, 2));
        if (!toplist_after(&e, worst))
            return 0;
        toplist_exclude(b, &e);
    }
    if (b->nokeys)
        return 0;
    *walk = false;
    /* Unchanged (the same passages in the same order, the same rest): no
     * write. */
    size_t nk = 0;
    if (toplist_blob(b, w->ids, w->keys, &nk) < 0)
        return -1;
    if (nnew == 0 && nk == nkeys && memcmp(w->ids, ids, 4 * nids) == 0 &&
        memcmp(w->keys, keys, nkeys) == 0)
        return 0;
    return toplist_write(w, term, nk);
}

Status toplist_update(sqlite3 *db, sqlite3_int64 first_new, Error *err)
{
    TopWork w;
    WordSet listed = {0}, fresh = {0};
    sqlite3_stmt *get = NULL, *text = NULL, *one = NULL;
    Status result = STATUS_ERROR;
    int rc;

    if (toplist_work_open(db, &w, err) < 0)
        goto done;
    if (sqlite3_prepare_v2(db, "SELECT term FROM search_top", -1, &get,
                           NULL) != SQLITE_OK)
        goto sqlfail;
    while ((rc = sqlite3_step(get)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(get, 0);
        size_t n = (size_t)sqlite3_column_bytes(get, 0);
        if (t && wordset_add(&listed, t, n, wordset_hash(t, n)) < 0)
            goto oom;
    }
    sqlite3_finalize(get);
    get = NULL;
    if (rc != SQLITE_DONE ||
        sqlite3_prepare_v2(db, "SELECT ids, keys FROM search_top WHERE term = ?1",
                           -1, &one, NULL) != SQLITE_OK)
        goto sqlfail;
    /* Each listed term: its new postings, then the merge. */
    for (size_t i = 0; i < listed.cap; i++) {
        const char *term = listed.slot[i];
        bool walk = false;
        if (!term)
            continue;
        w.b.nextra = 0;
        if (toplist_query(&w, term, first_new, false, false) < 0)
            goto sqlfail;
        if (w.b.nextra == 0 && w.b.avgdl == 0) {
            /* No new posting, so no aux call: the weights still come from
             * the index, once. */
            if (toplist_query(&w, term, 0, false, true) < 0)
                goto sqlfail;
            w.b.nextra = 0;
        }
        sqlite3_bind_text(one, 1, term, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(one)) == SQLITE_ROW) {
            const unsigned char *ids = sqlite3_column_blob(one, 0);
            size_t nids = (size_t)sqlite3_column_bytes(one, 0) / 4;
            const unsigned char *keys = sqlite3_column_blob(one, 1);
            size_t nkeys = (size_t)sqlite3_column_bytes(one, 1);
            rc = toplist_merge(&w, term, ids, nids, keys, nkeys, &walk);
            sqlite3_reset(one);
            if (rc < 0)
                goto sqlfail;
        } else {
            sqlite3_reset(one);
            if (rc != SQLITE_DONE)
                goto sqlfail;
        }
        if (walk) {
            sqlite3_bind_text(w.df, 1, term, -1, SQLITE_STATIC);
            rc = sqlite3_step(w.df);
            sqlite3_int64 df = rc == SQLITE_ROW ? sqlite3_column_int64(w.df, 0) : 0;
            sqlite3_reset(w.df);
            if ((rc != SQLITE_ROW && rc != SQLITE_DONE) ||
                toplist_walk(&w, term, df) < 0)
                goto sqlfail;
        }
    }
    /* Terms of the new passages that are now in more than TOPLIST_MIN_DF
     * passages and had no list. */
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(indexed, shown) FROM passages"
                           " WHERE id >= ?1",
                           -1, &text, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_int64(text, 1, first_new);
    while ((rc = sqlite3_step(text)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(text, 0);
        int n = sqlite3_column_bytes(text, 0);
        if (s && n > 0 &&
            stemmer_tokenize(&w.stem, STEMMER_PORTER, FTS5_TOKENIZE_DOCUMENT,
                             s, (size_t)n, &fresh,
                             toplist_token_cb) != SQLITE_OK)
            goto oom;
    }
    if (rc != SQLITE_DONE)
        goto sqlfail;
    for (size_t i = 0; i < fresh.cap; i++) {
        const char *term = fresh.slot[i];
        if (!term || wordset_has(&listed, term) || !toplist_stable(&w, term))
            continue;
        sqlite3_bind_text(w.df, 1, term, -1, SQLITE_STATIC);
        rc = sqlite3_step(w.df);
        sqlite3_int64 df = rc == SQLITE_ROW ? sqlite3_column_int64(w.df, 0) : 0;
        sqlite3_reset(w.df);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            goto sqlfail;
        if (df > TOPLIST_MIN_DF && toplist_walk(&w, term, df) < 0)
            goto sqlfail;
    }
    result = STATUS_OK;
    goto done;

oom:
    error_set(err, STATUS_ERROR, "toplist: out of memory");
    goto done;
sqlfail:
    error_set(err, STATUS_ERROR, "toplist: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(get);
    sqlite3_finalize(one);
    sqlite3_finalize(text);
    wordset_free(&listed);
    wordset_free(&fresh);
    toplist_work_close(&w);
    return result;
}

/* --- reading ------------------------------------------------------------------ */

struct TopList {
    Stemmer stem;
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
    if (stemmer_open(db, &t->stem) < 0) {
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
    stemmer_close(&t->stem);
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
    if (stemmer_tokenize(&t->stem, STEMMER_PORTER, FTS5_TOKENIZE_QUERY,
                         phrase, len, out, toplist_phrase_cb) != SQLITE_OK)
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
    if (stemmer_tokenize(&t->stem, STEMMER_PORTER, FTS5_TOKENIZE_DOCUMENT,
                         text, len, t, toplist_text_cb) != SQLITE_OK)
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
