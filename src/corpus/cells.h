/* cells.h - the cells table in memory: one row per (sender, recipient,
 * year) with its number of passages, a few dozen in a real edition and a
 * hundred in the generated million.
 *
 * Counting the passages of a filter and finding the cell of the k-th one
 * are what every !quote asks twice; as SQL they were two passes over the
 * table, a third of an unfiltered !quote at a million passages.  Here they
 * are loops over an array, checked against the database once per command
 * (cells_check): PRAGMA data_version for other connections' commits, and a
 * counter of this connection's own changes to passages and cells, which the
 * caller reads from the connection's update hook (passmap_changes).
 *
 * Each cell also keeps its passages' ids in rank order (cells_passage), so
 * that the k-th passage of a filter is an array read and not a descent of
 * the passages_cell index: 4 bytes a passage of the cells read, 4 MB at a
 * million, dropped with the copy.
 */
#ifndef MISSIVE_CELLS_H
#define MISSIVE_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "error.h"

typedef struct {
    sqlite3_int64 id, n;
    char *sender, *recipient;
    int year;
} Cell;

typedef struct Cells Cells;

/* NULL with the reason in err when the statements cannot be prepared (no
 * cells table) or memory runs out.  The caller keeps ownership of db. */
Cells *cells_new(sqlite3 *db, Error *err);
void cells_free(Cells *m);

/* Makes the copy current: reads the table again when another connection
 * committed since it was read, or when local_changes (the caller's count of
 * this connection's changes) moved.  Call it inside the read transaction
 * the answer is read in, so that the copy is that snapshot's.  STATUS_OK or
 * STATUS_ERROR (the copy is then read again next time). */
Status cells_check(Cells *m, uint64_t local_changes, Error *err);

/* Moves each time cells_check reads the table again: what copies of other
 * tables that change with it (addressees.h) are read again by. */
uint64_t cells_generation(const Cells *m);

/* The cells in id order; valid until the next cells_check. */
const Cell *cells_all(const Cells *m, size_t *n);

/* The id of the passage of rank ord (0-based, below the cell's n) in
 * cells_all()[i], in *id: from the cell's array, read with one pass over
 * its part of the passages_cell index the first time it is asked for
 * after cells_check read the table (or by cells_warm).  False when the
 * array cannot answer: the index does not hold exactly ranks 0..n-1 of
 * the cell (a table changed by hand), an id beyond 32 bits, memory, or its
 * reading failed or was interrupted (the connection's progress handler).
 * The caller then asks SQL, and the cell is not read again before the
 * table is. */
bool cells_passage(Cells *m, size_t i, sqlite3_int64 ord, sqlite3_int64 *id);

/* Reads every cell's array at once (one pass over the passages_cell
 * index, about 0.1 s at a million passages), so that no !quote pays for a
 * first reading.  Call it inside a read transaction, after cells_check. */
void cells_warm(Cells *m);

/* Cell cells_all()[i]'s passage ids in rank order (its n of them), or NULL
 * when they are not read; valid until the next cells_check. */
const uint32_t *cells_ids(const Cells *m, size_t i);

/* True when cell c holds the passages of the filter (a NULL name or year 0:
 * any), compared as SQL's = does (BINARY). */
bool cells_match(const Cell *c, const char *sender, const char *recipient,
                 int year);

#endif
