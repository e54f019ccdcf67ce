/* rank.h - missive_bm25, the FTS5 ranking function !search uses.
 *
 * FTS5's own bm25() counts, on its first row, every passage holding each
 * query term (a full pass over each term's postings: 25 ms for a word in
 * half of a million passages) even when the query reads only a thousand
 * rows.  missive_bm25 is the same Okapi BM25 (k1 = 1.2, b = 0.75, lower is
 * better, as FTS5's rank) except that it stops counting a term's passages
 * at RANK_DF_CAP: every term at least that common gets the same, smallest
 * weight, which changes nothing for one-word queries and little for
 * others (common words weigh little in BM25 anyway).
 */
#ifndef MISSIVE_RANK_H
#define MISSIVE_RANK_H

#include <sqlite3.h>

#include "error.h"

#define RANK_DF_CAP 1000

/* Registers missive_bm25(fts_table [, passmap]) on db's FTS5 module; a
 * PassMap bound as the second argument (passmap.h) keeps row lengths. */
Status rank_register(sqlite3 *db, Error *err);

#endif
