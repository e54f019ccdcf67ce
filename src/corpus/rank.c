/* rank.c - missive_bm25: FTS5's BM25 with a capped document count (see
 * rank.h).  Follows sqlite's fts5_aux.c bm25 for one column: the per-query
 * data (term weights, average length) is computed on the first row and
 * kept as auxiliary data; each row then costs its term instances and one
 * length lookup.
 */
#include "rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passmap.h"

#define RANK_K1 1.2
#define RANK_B 0.75

typedef struct {
    int nphrase;
    double avgdl;
    double *idf;  /* per phrase */
    double *freq; /* per phrase, this row's instances */
} RankData;

static int rank_count_cb(const Fts5ExtensionApi *api, Fts5Context *fts,
                         void *ud)
{
    (void)api, (void)fts;
    sqlite3_int64 *n = ud;
    return ++*n >= RANK_DF_CAP ? SQLITE_DONE : SQLITE_OK; /* DONE: stop */
}

static void rank_data_free(void *p)
{
    free(p);
}

double rank_idf(long long rows, long long hits)
{
    if (hits > RANK_DF_CAP)
        hits = RANK_DF_CAP;
    double idf = log((0.5 + (double)(rows - hits)) / (0.5 + (double)hits));
    return idf > 1e-6 ? idf : 1e-6; /* as fts5_aux.c */
}

double rank_avgdl(long long rows, long long tokens)
{
    return rows > 0 ? (double)tokens / (double)rows : 1.0;
}

double rank_term(double idf, double freq, int len, double avgdl)
{
    double norm = RANK_K1 * (1 - RANK_B + RANK_B * len / avgdl);
    return idf * freq * (RANK_K1 + 1) / (freq + norm);
}

/* known: the caller's passage count for every phrase (rank.h), 0: count. */
static int rank_data(const Fts5ExtensionApi *api, Fts5Context *fts,
                     sqlite3_int64 known, RankData **out)
{
    RankData *d = api->xGetAuxdata(fts, 0);
    if (d) {
        *out = d;
        return SQLITE_OK;
    }
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK)
        rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc != SQLITE_OK)
        return rc;
    int n = api->xPhraseCount(fts);
    d = calloc(1, sizeof *d + 2 * (size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!d)
        return SQLITE_NOMEM;
    d->nphrase = n;
    d->idf = (double *)(d + 1);
    d->freq = d->idf + (n > 0 ? n : 1);
    d->avgdl = rank_avgdl(rows, tokens);
    for (int i = 0; i < n; i++) {
        sqlite3_int64 hits = known;
        if (known <= 0 &&
            (rc = api->xQueryPhrase(fts, i, &hits, rank_count_cb)) !=
                SQLITE_OK) {
            free(d);
            return rc;
        }
        d->idf[i] = rank_idf(rows, hits);
    }
    if ((rc = api->xSetAuxdata(fts, d, rank_data_free)) != SQLITE_OK)
        return rc; /* xSetAuxdata freed d */
    *out = d;
    return SQLITE_OK;
}

/* The row's length in tokens: from the passage map when one is bound and
 * knows it, else FTS5's docsize table (a B-tree lookup), then kept. */
static int rank_length(const Fts5ExtensionApi *api, Fts5Context *fts,
                       PassMap *m, int *len)
{
    sqlite3_int64 rowid = m ? api->xRowid(fts) : 0;
    if (m && (*len = passmap_len(m, rowid)) >= 0)
        return SQLITE_OK;
    int rc = api->xColumnSize(fts, -1, len);
    if (rc == SQLITE_OK && m)
        passmap_set_len(m, rowid, *len);
    return rc;
}

static void rank_bm25(const Fts5ExtensionApi *api, Fts5Context *fts,
                      sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    PassMap *m = nval > 0 ? sqlite3_value_pointer(val[0], PASSMAP_POINTER)
                          : NULL;
    sqlite3_int64 known = nval > 1 ? sqlite3_value_int64(val[1]) : 0;
    RankData *d = NULL;
    int rc = rank_data(api, fts, known, &d), ninst = 0, len = 0;
    if (rc == SQLITE_OK)
        rc = api->xInstCount(fts, &ninst);
    if (rc == SQLITE_OK)
        rc = rank_length(api, fts, m, &len);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    memset(d->freq, 0, (size_t)d->nphrase * sizeof(double));
    for (int i = 0; i < ninst; i++) {
        int phrase, col, off;
        if ((rc = api->xInst(fts, i, &phrase, &col, &off)) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        if (phrase >= 0 && phrase < d->nphrase)
            d->freq[phrase] += 1.0;
    }
    double score = 0.0;
    for (int i = 0; i < d->nphrase; i++)
        score += rank_term(d->idf[i], d->freq[i], len, d->avgdl);
    sqlite3_result_double(ctx, -score);
}

fts5_api *rank_fts5(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    if (sqlite3_step(st) != SQLITE_ROW)
        api = NULL;
    sqlite3_finalize(st);
    return api;
}

Status rank_register(sqlite3 *db, Error *err)
{
    fts5_api *api = rank_fts5(db);
    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "missive_bm25", NULL, rank_bm25, NULL) !=
            SQLITE_OK)
        goto fail;
    return STATUS_OK;
fail:
    return error_set(err, STATUS_ERROR, "corpus: registering missive_bm25: %s",
                     sqlite3_errmsg(db));
}
