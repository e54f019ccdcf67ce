/* cells.c - the cells table in memory (see cells.h).
 *
 * The trade-off: a copy of a small table (a few kB) and one PRAGMA per
 * command, against two statements over the table per pick.  The PRAGMA is
 * the command's first read, so its cost is mostly the read transaction's,
 * which the passage read would have paid anyway.
 *
 * The ids in rank order: 4 bytes a passage against a descent of the
 * passages_cell index per pick (its leaf page is one of the three a pick
 * reads, the one most often out of SQLite's cache after a search).  They
 * are read a cell at a time and only when asked (cells_warm asks for all
 * at start), and they go with the copy: a change that makes the table be
 * read again makes them be read again.
 */
#include "cells.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* A cell's passages by rank. */
typedef struct {
    uint32_t *ids; /* NULL while not read */
    bool failed;   /* not to be read again before the table is */
} CellIds;

struct Cells {
    sqlite3 *db;
    sqlite3_stmt *version, *all, *of_cell;
    Cell *cells;
    CellIds *ids; /* [i]: cells[i]'s; as many as cells */
    size_t n, cap, ids_cap;
    bool valid;
    sqlite3_int64 data_version;
    uint64_t local_changes;
    uint64_t generation;
};

Cells *cells_new(sqlite3 *db, Error *err)
{
    Cells *m = calloc(1, sizeof *m);
    if (!m) {
        error_set(err, STATUS_ERROR, "cells: out of memory");
        return NULL;
    }
    m->db = db;
    if (sqlite3_prepare_v3(db, "PRAGMA data_version", -1,
                           SQLITE_PREPARE_PERSISTENT, &m->version,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db,
                           "SELECT id, sender, recipient, year, n FROM cells"
                           " ORDER BY id",
                           -1, SQLITE_PREPARE_PERSISTENT, &m->all,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db,
                           "SELECT id, cell_ord FROM passages"
                           " INDEXED BY passages_cell WHERE cell_id = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &m->of_cell,
                           NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "cells: %s", sqlite3_errmsg(db));
        cells_free(m);
        return NULL;
    }
    return m;
}

static void cells_clear(Cells *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->cells[i].sender);
        free(m->cells[i].recipient);
        free(m->ids[i].ids);
    }
    m->n = 0;
    m->valid = false;
}

void cells_free(Cells *m)
{
    if (!m)
        return;
    cells_clear(m);
    free(m->cells);
    free(m->ids);
    sqlite3_finalize(m->version);
    sqlite3_finalize(m->all);
    sqlite3_finalize(m->of_cell);
    free(m);
}

static Status cells_read(Cells *m, Error *err)
{
    sqlite3_stmt *st = m->all;
    int rc;

    cells_clear(m);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (array_grow(&m->cells, &m->cap, m->n + 1, sizeof *m->cells) !=
                STATUS_OK ||
            array_grow(&m->ids, &m->ids_cap, m->n + 1, sizeof *m->ids) !=
                STATUS_OK)
            goto nomem;
        Cell *c = &m->cells[m->n];
        m->ids[m->n] = (CellIds){0};
        const unsigned char *s = sqlite3_column_text(st, 1);
        const unsigned char *r = sqlite3_column_text(st, 2);
        c->id = sqlite3_column_int64(st, 0);
        c->year = sqlite3_column_int(st, 3);
        c->n = sqlite3_column_int64(st, 4);
        c->sender = strdup(s ? (const char *)s : "");
        c->recipient = strdup(r ? (const char *)r : "");
        m->n++; /* owned from here, even half made */
        if (!c->sender || !c->recipient)
            goto nomem;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cells_clear(m);
        return error_set(err, STATUS_ERROR, "cells: %s", sqlite3_errmsg(m->db));
    }
    m->valid = true;
    m->generation++;
    return STATUS_OK;

nomem:
    sqlite3_reset(st);
    cells_clear(m);
    return error_set(err, STATUS_ERROR, "cells: out of memory");
}

Status cells_check(Cells *m, uint64_t local_changes, Error *err)
{
    sqlite3_stmt *st = m->version;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        cells_clear(m);
        return error_set(err, STATUS_ERROR, "cells: %s", sqlite3_errmsg(m->db));
    }
    sqlite3_int64 version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (m->valid && version == m->data_version &&
        local_changes == m->local_changes)
        return STATUS_OK;
    m->data_version = version;
    m->local_changes = local_changes;
    return cells_read(m, err);
}

uint64_t cells_generation(const Cells *m)
{
    return m->generation;
}

const Cell *cells_all(const Cells *m, size_t *n)
{
    *n = m->valid ? m->n : 0;
    return m->cells;
}

/* Reads cell i's ids, or marks it failed. */
static void cells_load(Cells *m, size_t i)
{
    const Cell *c = &m->cells[i];
    CellIds *x = &m->ids[i];
    sqlite3_stmt *st = m->of_cell;
    uint32_t *ids;
    sqlite3_int64 k = 0;
    int rc;

    x->failed = true; /* until read whole */
    if (c->n <= 0 || (uint64_t)c->n > SIZE_MAX / sizeof *ids ||
        !(ids = malloc((size_t)c->n * sizeof *ids)))
        return;
    /* The index is in (cell_id, cell_ord) order: ranks come as 0, 1, ... */
    sqlite3_bind_int64(st, 1, c->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (k >= c->n || sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
            sqlite3_column_int64(st, 1) != k || id < 0 || id > UINT32_MAX)
            break;
        ids[k++] = (uint32_t)id;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || k != c->n) {
        free(ids);
        return;
    }
    x->ids = ids;
    x->failed = false;
}

bool cells_passage(Cells *m, size_t i, sqlite3_int64 ord, sqlite3_int64 *id)
{
    if (!m->valid || i >= m->n || ord < 0 || ord >= m->cells[i].n)
        return false;
    CellIds *x = &m->ids[i];
    if (!x->ids && !x->failed)
        cells_load(m, i);
    if (!x->ids)
        return false;
    *id = x->ids[ord];
    return true;
}

void cells_warm(Cells *m)
{
    for (size_t i = 0; m->valid && i < m->n; i++)
        if (!m->ids[i].ids && !m->ids[i].failed)
            cells_load(m, i);
}

const uint32_t *cells_ids(const Cells *m, size_t i)
{
    return m->valid && i < m->n ? m->ids[i].ids : NULL;
}

bool cells_match(const Cell *c, const char *sender, const char *recipient,
                 int year)
{
    /* The year, then the first byte, turn most cells away: a filter is
     * checked against every cell twice per pick. */
    return (year == 0 || c->year == year) &&
           (!sender ||
            (c->sender[0] == sender[0] && strcmp(c->sender, sender) == 0)) &&
           (!recipient || (c->recipient[0] == recipient[0] &&
                           strcmp(c->recipient, recipient) == 0));
}
