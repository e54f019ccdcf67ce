/* cellmap.h - which cell each passage is in, kept in memory, so that a
 * filtered !search checks a filter with an array read per match instead
 * of two B-tree lookups (passages, then letters).
 *
 * A filter (sender, recipient, year) is a set of cells (corpus.h).  The
 * map holds the cell of every passage of the cells a filter has asked for
 * so far, read from the passages_cell index one cell at a time (about a
 * microsecond per ten passages); 2 bytes a passage at most.  It is dropped
 * whenever the passages or cells change: through this connection (an
 * update hook) or another one (the pager's data version).
 */
#ifndef MISSIVE_CELLMAP_H
#define MISSIVE_CELLMAP_H

#include <stdbool.h>
#include <sqlite3.h>

#include "error.h"

typedef struct CellMap CellMap;

/* Takes db's update hook (one per connection: nothing else in Missive sets
 * one) and registers the SQL function missive_in_cells(rowid), true when
 * the passage is in a cell cellmap_select chose.  NULL when out of memory
 * or the function cannot be registered. */
CellMap *cellmap_new(sqlite3 *db, Error *err);
void cellmap_free(CellMap *m);

/* Chooses the cells whose ids are in cells[0..n) (from the cells table,
 * read in the same transaction) and loads their passages into the map.
 * STATUS_OK, STATUS_NOTFOUND when the map cannot serve this database (ids
 * too large: the caller asks SQL instead), or STATUS_ERROR (interrupted by
 * the deadline, or database trouble; cells half read are read again next
 * time). */
Status cellmap_select(CellMap *m, const sqlite3_int64 *cells, size_t n,
                      Error *err);

/* True when passage rowid is in a chosen cell. */
bool cellmap_has(const CellMap *m, sqlite3_int64 rowid);

#endif
