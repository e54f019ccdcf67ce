/* passmap.c - a passage's cell and length, in memory (see passmap.h).
 *
 * The trade-off: up to 4 bytes a passage of memory and a first filtered
 * search that reads its cells' passages from the passages_cell index (a
 * few ms for a filter of 40 000 passages), against two random B-tree
 * lookups per match scored or filtered, every time.
 */
#include "passmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Passage ids and cell ids the map can hold; beyond them the caller asks
 * SQL, as before the map. */
#define PASSMAP_MAX_ID (INT64_C(1) << 26)
#define PASSMAP_MAX_CELL 0xffff
#define PASSMAP_CHOSEN_MAX 4096 /* cells one filter may choose */

struct PassMap {
    sqlite3 *db;
    sqlite3_stmt *fingerprint; /* what says the passages are unchanged */
    sqlite3_stmt *of_cell;
    uint16_t *cell_of;   /* [passage id]: its cell, 0 when not read */
    uint16_t *len_of;    /* [passage id]: 1 + its length, 0 when not known */
    sqlite3_int64 nids;  /* length of both; 0: the map serves nothing */
    /* A bit per cell: loaded is cleared whole at each reset, which for an
     * array of bools wrote 64 KiB, resident from the bot's start. */
    uint64_t loaded[(PASSMAP_MAX_CELL + 1) / 64];
    uint64_t wanted[(PASSMAP_MAX_CELL + 1) / 64];
    bool stale;          /* set by the update hook */
    uint64_t changes;    /* corpus rows the hook saw change */
    sqlite3_int64 version; /* PRAGMA data_version when read */
    sqlite3_int64 max_id, ncells, npassages;
    uint16_t chosen[PASSMAP_CHOSEN_MAX]; /* wanted cells, to clear */
    size_t nchosen;
};

static bool passmap_bit(const uint64_t *bits, sqlite3_int64 cell)
{
    return bits[cell / 64] >> (cell % 64) & 1;
}

static void passmap_set_bit(uint64_t *bits, sqlite3_int64 cell, bool on)
{
    uint64_t bit = UINT64_C(1) << (cell % 64);
    bits[cell / 64] = on ? bits[cell / 64] | bit : bits[cell / 64] & ~bit;
}

static void passmap_hook(void *ud, int op, const char *dbname,
                         const char *table, sqlite3_int64 rowid)
{
    (void)op, (void)dbname, (void)rowid;
    PassMap *m = ud;
    if (strcmp(table, "passages") == 0 || strcmp(table, "cells") == 0) {
        m->stale = true;
        m->changes++;
    } else if (strcmp(table, "letters") == 0 ||
               strcmp(table, "letter_recipients") == 0) {
        m->changes++;
    }
}

/* missive_in_cells(map, rowid): the map comes bound as a pointer, so
 * no SQL text can name one. */
static void passmap_sql_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const PassMap *m = sqlite3_value_pointer(argv[0], PASSMAP_POINTER);
    sqlite3_result_int(ctx, m && passmap_has(m, sqlite3_value_int64(argv[1])));
}

PassMap *passmap_new(sqlite3 *db, Error *err)
{
    PassMap *m = calloc(1, sizeof *m);
    if (!m) {
        error_set(err, STATUS_ERROR, "passmap: out of memory");
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
                                   passmap_sql_in, NULL, NULL,
                                   NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "passmap: %s", sqlite3_errmsg(db));
        passmap_free(m);
        return NULL;
    }
    sqlite3_update_hook(db, passmap_hook, m);
    m->stale = true;
    return m;
}

void passmap_free(PassMap *m)
{
    if (!m)
        return;
    if (sqlite3_update_hook(m->db, NULL, NULL) != m)
        sqlite3_update_hook(m->db, passmap_hook, m); /* not ours: put back */
    sqlite3_finalize(m->fingerprint);
    sqlite3_finalize(m->of_cell);
    free(m->cell_of);
    free(m->len_of);
    free(m);
}

/* Drops what the map holds when the passages may have changed: the hook
 * saw a change here, another connection committed (data version), or the
 * fingerprint moved (a second hook owner hid our hook). */
Status passmap_check(PassMap *m, Error *err)
{
    sqlite3_stmt *st = m->fingerprint;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return error_set(err, STATUS_ERROR, "passmap: %s",
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
        return m->nids > 0 ? STATUS_OK : STATUS_NOTFOUND;
    free(m->cell_of);
    free(m->len_of);
    m->cell_of = m->len_of = NULL;
    m->nids = 0;
    memset(m->loaded, 0, sizeof m->loaded);
    m->version = version;
    m->max_id = max_id;
    m->ncells = ncells;
    m->npassages = npassages;
    m->stale = false;
    if (max_id < 0 || max_id >= PASSMAP_MAX_ID)
        return STATUS_NOTFOUND;
    /* calloc: pages never written are never resident. */
    if (!(m->cell_of = calloc((size_t)max_id + 1, sizeof *m->cell_of)) ||
        !(m->len_of = calloc((size_t)max_id + 1, sizeof *m->len_of))) {
        free(m->cell_of);
        m->cell_of = NULL;
        m->stale = true; /* try again next time */
        return error_set(err, STATUS_ERROR, "passmap: out of memory");
    }
    m->nids = max_id + 1;
    return STATUS_OK;
}

static Status passmap_load(PassMap *m, sqlite3_int64 cell, Error *err)
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
        return error_set(err, STATUS_ERROR, "passmap: %s",
                         sqlite3_errmsg(m->db));
    passmap_set_bit(m->loaded, cell, true);
    return STATUS_OK;
}

Status passmap_select(PassMap *m, const sqlite3_int64 *cells,
                      const sqlite3_int64 *sizes, size_t n, Error *err)
{
    sqlite3_int64 budget = PASSMAP_LOAD_MAX;
    bool whole = true;
    Status rc;
    for (size_t i = 0; i < m->nchosen; i++)
        passmap_set_bit(m->wanted, m->chosen[i], false);
    m->nchosen = 0;
    if (n > PASSMAP_CHOSEN_MAX || m->nids == 0)
        return STATUS_NOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (cells[i] <= 0 || cells[i] > PASSMAP_MAX_CELL)
            return STATUS_NOTFOUND;
    /* A cell larger than the whole budget is read when it is the first
     * this search reads, so every cell is read in the end. */
    for (size_t i = 0; i < n; i++) {
        if (passmap_bit(m->loaded, cells[i]))
            continue;
        if (sizes[i] > budget && budget < PASSMAP_LOAD_MAX) {
            whole = false;
            continue;
        }
        if ((rc = passmap_load(m, cells[i], err)) != STATUS_OK)
            return rc;
        budget -= sizes[i];
    }
    if (!whole || m->stale)
        return STATUS_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        passmap_set_bit(m->wanted, cells[i], true);
        m->chosen[m->nchosen++] = (uint16_t)cells[i];
    }
    return STATUS_OK;
}

uint64_t passmap_changes(const PassMap *m)
{
    return m->changes;
}

bool passmap_has(const PassMap *m, sqlite3_int64 rowid)
{
    return rowid >= 0 && rowid < m->nids &&
           passmap_bit(m->wanted, m->cell_of[rowid]);
}

int passmap_len(const PassMap *m, sqlite3_int64 rowid)
{
    return rowid >= 0 && rowid < m->nids ? (int)m->len_of[rowid] - 1 : -1;
}

void passmap_set_len(PassMap *m, sqlite3_int64 rowid, int len)
{
    if (rowid >= 0 && rowid < m->nids && len >= 0 && len < UINT16_MAX)
        m->len_of[rowid] = (uint16_t)(len + 1);
}

int passmap_docsize(const unsigned char *p, int n)
{
    long total = 0;
    int i = 0;
    while (i < n) {
        unsigned long v = 0;
        int k = 0;
        for (; k < 5 && i < n; k++) {
            unsigned char b = p[i++];
            v = (v << 7) | (b & 0x7f);
            if (!(b & 0x80))
                break;
        }
        if (k == 5 || (p[i - 1] & 0x80))
            return -1;
        total += (long)v;
        if (total >= UINT16_MAX)
            return -1; /* not kept: xColumnSize answers it */
    }
    return (int)total;
}

/* Steps st, a statement of (passage id, value) rows, into the map. */
static Status passmap_warm_rows(PassMap *m, sqlite3_stmt *st, bool lengths)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (id < 0 || id >= m->nids)
            continue;
        if (lengths) {
            int len = passmap_docsize(sqlite3_column_blob(st, 1),
                                      sqlite3_column_bytes(st, 1));
            if (len >= 0)
                m->len_of[id] = (uint16_t)(len + 1);
        } else {
            sqlite3_int64 cell = sqlite3_column_int64(st, 1);
            if (cell > 0 && cell <= PASSMAP_MAX_CELL) {
                m->cell_of[id] = (uint16_t)cell;
                passmap_set_bit(m->loaded, cell, true);
            }
        }
    }
    return rc == SQLITE_DONE ? STATUS_OK : STATUS_ERROR;
}

/* Fills the cells of the cells whose ids are read (cells_ids); false when
 * some are not, and the index must be read. */
static bool passmap_warm_cells(PassMap *m, const Cells *cells)
{
    size_t n;
    const Cell *all = cells_all(cells, &n);
    bool whole = n > 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *ids = cells_ids(cells, i);
        sqlite3_int64 cell = all[i].id;
        if (!ids || cell <= 0 || cell > PASSMAP_MAX_CELL) {
            whole = false;
            continue;
        }
        for (sqlite3_int64 k = 0; k < all[i].n; k++) {
            if (ids[k] >= m->nids) {
                m->stale = true; /* cannot happen in one snapshot */
                return true;
            }
            m->cell_of[ids[k]] = (uint16_t)cell;
        }
        passmap_set_bit(m->loaded, cell, true);
    }
    return whole;
}

Status passmap_warm(PassMap *m, const Cells *cells, Error *err)
{
    static const char *const sql[2] = {
        "SELECT id, cell_id FROM passages INDEXED BY passages_cell",
        "SELECT id, sz FROM passages_fts_docsize",
    };
    Status usable = passmap_check(m, err);
    if (usable != STATUS_OK)
        return usable == STATUS_ERROR ? STATUS_ERROR : STATUS_OK;
    bool have_cells = passmap_warm_cells(m, cells);
    for (int i = have_cells ? 1 : 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;
        /* The docsize table is FTS5's: a build without it keeps lengths
         * as searches meet them. */
        if (sqlite3_prepare_v2(m->db, sql[i], -1, &st, NULL) != SQLITE_OK)
            continue;
        Status rc = passmap_warm_rows(m, st, i == 1);
        sqlite3_finalize(st);
        if (rc != STATUS_OK) {
            m->stale = true; /* half read: start again next time */
            return error_set(err, STATUS_ERROR, "passmap: %s",
                             sqlite3_errmsg(m->db));
        }
    }
    return STATUS_OK;
}
