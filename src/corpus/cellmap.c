/* cellmap.c - passage -> cell, in memory, for filtered searches (see
 * cellmap.h).
 *
 * Why: a filter such as from:Stalin year:1942 keeps one match in 25, so a
 * search must read about 25 000 matches to find the thousand it ranks.
 * Checked through SQL, each costs a lookup in passages and one in letters
 * (random pages: 18 ms at a million passages); here it is an array read.
 * The trade-off is memory (2 bytes a passage, only for the cells a filter
 * has used) and a first filtered search that reads its cells' passages
 * from the passages_cell index.
 */
#include "cellmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Passage ids and cell ids the map can hold; beyond them the caller asks
 * SQL, as before the map. */
#define CELLMAP_MAX_ID (INT64_C(1) << 26)
#define CELLMAP_MAX_CELL 0xffff
#define CELLMAP_CHOSEN_MAX 4096 /* cells one filter may choose */

struct CellMap {
    sqlite3 *db;
    sqlite3_stmt *fingerprint; /* what says the passages are unchanged */
    sqlite3_stmt *of_cell;
    uint16_t *cell_of;   /* [passage id]: its cell, 0 when not read */
    sqlite3_int64 nids;  /* length of cell_of */
    bool loaded[CELLMAP_MAX_CELL + 1];
    bool wanted[CELLMAP_MAX_CELL + 1];
    bool stale;          /* set by the update hook */
    sqlite3_int64 version; /* PRAGMA data_version when read */
    sqlite3_int64 max_id, ncells, npassages;
    sqlite3_int64 chosen[CELLMAP_CHOSEN_MAX]; /* wanted cells, to clear */
    size_t nchosen;
};

static void cellmap_hook(void *ud, int op, const char *dbname,
                         const char *table, sqlite3_int64 rowid)
{
    (void)op, (void)dbname, (void)rowid;
    CellMap *m = ud;
    if (strcmp(table, "passages") == 0 || strcmp(table, "cells") == 0)
        m->stale = true;
}

/* missive_in_cells(map, rowid): the map comes bound as a pointer, so
 * no SQL text can name one. */
static void cellmap_sql_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const CellMap *m = sqlite3_value_pointer(argv[0], "missive_cellmap");
    sqlite3_result_int(ctx, m && cellmap_has(m, sqlite3_value_int64(argv[1])));
}

CellMap *cellmap_new(sqlite3 *db, Error *err)
{
    CellMap *m = calloc(1, sizeof *m);
    if (!m) {
        error_set(err, STATUS_ERROR, "cellmap: out of memory");
        return NULL;
    }
    m->db = db;
    if (sqlite3_prepare_v3(db,
                           "SELECT (SELECT coalesce(max(id), 0) FROM passages),"
                           " count(*), coalesce(sum(n), 0),"
                           " (SELECT data_version FROM pragma_data_version)"
                           " FROM cells",
                           -1, SQLITE_PREPARE_PERSISTENT, &m->fingerprint,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db,
                           "SELECT id FROM passages INDEXED BY passages_cell"
                           " WHERE cell_id = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &m->of_cell,
                           NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db, "missive_in_cells", 2,
                                   SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                   cellmap_sql_in, NULL, NULL,
                                   NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "cellmap: %s", sqlite3_errmsg(db));
        cellmap_free(m);
        return NULL;
    }
    sqlite3_update_hook(db, cellmap_hook, m);
    m->stale = true;
    return m;
}

void cellmap_free(CellMap *m)
{
    if (!m)
        return;
    if (sqlite3_update_hook(m->db, NULL, NULL) != m)
        sqlite3_update_hook(m->db, cellmap_hook, m); /* not ours: put back */
    sqlite3_finalize(m->fingerprint);
    sqlite3_finalize(m->of_cell);
    free(m->cell_of);
    free(m);
}

/* Drops what the map holds when the passages may have changed: the hook
 * saw a change here, another connection committed (data version), or the
 * fingerprint moved (a second hook owner hid our hook). */
static Status cellmap_check(CellMap *m, Error *err)
{
    sqlite3_stmt *st = m->fingerprint;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return error_set(err, STATUS_ERROR, "cellmap: %s",
                         sqlite3_errmsg(m->db));
    }
    /* PRAGMA data_version moves with other connections' commits only;
     * this connection's are the hook's. */
    sqlite3_int64 version = sqlite3_column_int64(st, 3);
    sqlite3_int64 max_id = sqlite3_column_int64(st, 0);
    sqlite3_int64 ncells = sqlite3_column_int64(st, 1);
    sqlite3_int64 npassages = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (!m->stale && version == m->version && max_id == m->max_id &&
        ncells == m->ncells && npassages == m->npassages)
        return STATUS_OK;
    free(m->cell_of);
    m->cell_of = NULL;
    m->nids = 0;
    memset(m->loaded, 0, sizeof m->loaded);
    m->version = version;
    m->max_id = max_id;
    m->ncells = ncells;
    m->npassages = npassages;
    m->stale = false;
    if (max_id < 0 || max_id >= CELLMAP_MAX_ID)
        return STATUS_NOTFOUND;
    /* calloc: pages never written are never resident. */
    if (!(m->cell_of = calloc((size_t)max_id + 1, sizeof *m->cell_of)))
        return error_set(err, STATUS_ERROR, "cellmap: out of memory");
    m->nids = max_id + 1;
    return STATUS_OK;
}

static Status cellmap_load(CellMap *m, sqlite3_int64 cell, Error *err)
{
    sqlite3_stmt *st = m->of_cell;
    int rc;
    sqlite3_bind_int64(st, 1, cell);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (id < 0 || id >= m->nids) {
            rc = SQLITE_DONE; /* cannot happen in one snapshot */
            m->stale = true;
            break;
        }
        m->cell_of[id] = (uint16_t)cell;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return error_set(err, STATUS_ERROR, "cellmap: %s",
                         sqlite3_errmsg(m->db));
    m->loaded[cell] = true;
    return STATUS_OK;
}

Status cellmap_select(CellMap *m, const sqlite3_int64 *cells, size_t n,
                      Error *err)
{
    Status rc = cellmap_check(m, err);
    if (rc != STATUS_OK)
        return rc;
    for (size_t i = 0; i < m->nchosen; i++) m->wanted[m->chosen[i]] = false;
    m->nchosen = 0;
    if (n > CELLMAP_CHOSEN_MAX)
        return STATUS_NOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (cells[i] <= 0 || cells[i] > CELLMAP_MAX_CELL)
            return STATUS_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        if (!m->loaded[cells[i]] &&
            (rc = cellmap_load(m, cells[i], err)) != STATUS_OK)
            return rc;
        m->wanted[cells[i]] = true;
        m->chosen[m->nchosen++] = cells[i];
    }
    return m->stale ? STATUS_NOTFOUND : STATUS_OK;
}

bool cellmap_has(const CellMap *m, sqlite3_int64 rowid)
{
    return rowid >= 0 && rowid < m->nids && m->wanted[m->cell_of[rowid]];
}
