/* cells.c - the cells table in memory (see cells.h).
 *
 * The trade-off: a copy of a small table (a few kB) and one PRAGMA per
 * command, against two statements over the table per pick.  The PRAGMA is
 * the command's first read, so its cost is mostly the read transaction's,
 * which the passage read would have paid anyway.
 */
#include "cells.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

struct Cells {
    sqlite3 *db;
    sqlite3_stmt *version, *all;
    Cell *cells;
    size_t n, cap;
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
    sqlite3_finalize(m->version);
    sqlite3_finalize(m->all);
    free(m);
}

static Status cells_read(Cells *m, Error *err)
{
    sqlite3_stmt *st = m->all;
    int rc;

    cells_clear(m);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (array_grow(&m->cells, &m->cap, m->n + 1, sizeof *m->cells) !=
            STATUS_OK)
            goto nomem;
        Cell *c = &m->cells[m->n];
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

bool cells_match(const Cell *c, const char *sender, const char *recipient,
                 int year)
{
    return (!sender || strcmp(c->sender, sender) == 0) &&
           (!recipient || strcmp(c->recipient, recipient) == 0) &&
           (year == 0 || c->year == year);
}
