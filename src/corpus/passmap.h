/* passmap.h - two facts about each passage kept in memory for !search:
 * its cell (sender, recipient, year: what a filter asks) and its length in
 * tokens (what BM25 divides by).
 *
 * Both are otherwise a B-tree lookup per scored match on pages spread over
 * the whole file: at a million passages, the letters and passages lookups
 * of a filter cost 18 ms for from:Stalin year:1942 front, and the FTS5
 * docsize lookups were three quarters of an unfiltered search.  Here each
 * is an array read once known.  Cells are read a whole cell at a time from
 * the passages_cell index, when a filter first names them; lengths one
 * passage at a time, as missive_bm25 first scores it.  Memory: 4 bytes a
 * passage at most, and pages never written are never resident.
 *
 * Everything is dropped when the passages or cells may have changed:
 * through this connection (its update hook) or another (PRAGMA
 * data_version), or when their fingerprint moved.
 */
#ifndef MISSIVE_PASSMAP_H
#define MISSIVE_PASSMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "cells.h"
#include "error.h"

typedef struct PassMap PassMap;

/* How SQL names a map: bound with sqlite3_bind_pointer under this type,
 * as the first argument of missive_in_cells(map, rowid) and the second of
 * missive_bm25(fts, map). */
#define PASSMAP_POINTER "missive_passmap"

/* Takes db's update hook (one per connection: nothing else in Missive sets
 * one; like the corpus's progress handler, one PassMap per connection)
 * and registers missive_in_cells(map, rowid): true when the passage is in
 * a cell passmap_select chose.  NULL when out of memory or the function
 * cannot be registered. */
PassMap *passmap_new(sqlite3 *db, Error *err);
void passmap_free(PassMap *m);

/* How many changes to passages, cells, letters or their recipients the
 * update hook has seen on this connection: what other in-memory copies
 * (cells.h, addressees.h) check against. */
uint64_t passmap_changes(const PassMap *m);

/* Reads every passage's cell and length at once, so that no search pays
 * for a first reading: the cells from cells (cells_ids: read by cells_warm,
 * which !quote needs anyway; a cell it lacks from the passages_cell
 * index), the lengths with one pass over FTS5's docsize table (about 0.1 s
 * at a million passages).  Call it inside a read transaction, after
 * cells_check.  STATUS_OK (also when the map cannot serve this database),
 * or STATUS_ERROR. */
Status passmap_warm(PassMap *m, const Cells *cells, Error *err);

/* Drops what the map holds if the passages changed.  Call it at the start
 * of each search, inside the read transaction the search runs in.
 * STATUS_OK; STATUS_NOTFOUND when the map cannot serve this database
 * (passage ids too large: bind no map); STATUS_ERROR. */
Status passmap_check(PassMap *m, Error *err);

/* Passages a search may read into the map before it is answered (about
 * a millisecond per ten thousand): a filter whose cells hold more is read
 * over several searches, which filter through SQL until it is whole. */
#define PASSMAP_LOAD_MAX 60000

/* Chooses the cells cells[0..n) (ids from the cells table; sizes[i]: the
 * passages in cells[i]) and reads their passages into the map, at most
 * PASSMAP_LOAD_MAX of them this time.  STATUS_OK when the map can check
 * the filter; STATUS_NOTFOUND when it cannot, or cannot yet (ids too
 * large, too many cells, cells still to read: the caller filters through
 * SQL); STATUS_ERROR (a cell half read is read again next time). */
Status passmap_select(PassMap *m, const sqlite3_int64 *cells,
                      const sqlite3_int64 *sizes, size_t n, Error *err);

/* True when passage rowid is in a chosen cell. */
bool passmap_has(const PassMap *m, sqlite3_int64 rowid);

/* The length in tokens an FTS5 docsize row (sz: one SQLite varint per
 * column, the column's tokens) holds: their sum, what xColumnSize(-1)
 * says; -1 when malformed or too long for the map (65535 or more). */
int passmap_docsize(const unsigned char *sz, int n);

/* The passage's length in tokens, or -1 when not known yet. */
int passmap_len(const PassMap *m, sqlite3_int64 rowid);
/* Remembers it (a length beyond what the map holds is not kept). */
void passmap_set_len(PassMap *m, sqlite3_int64 rowid, int len);

#endif
