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

/* Registers missive_bm25(fts_table [, passmap [, df]]) on db's FTS5
 * module; a PassMap bound as the second argument (passmap.h) keeps row
 * lengths.  df, when given and positive, is what the caller already knows
 * of every positive phrase's passage count (counts at or over RANK_DF_CAP
 * all mean "capped"), so none is counted: RANK_DF_CAP when the query
 * matches more passages than that (each of its phrases then does too), or
 * the exact count of a query of one phrase and no filter or exclusion.
 * Excluded phrases never occur in a match, so their weight is moot. */
Status rank_register(sqlite3 *db, Error *err);

/* db's FTS5 module (the "SELECT fts5(?1)" handshake SQLite documents),
 * for registering functions and finding its tokenizers; NULL without
 * FTS5. */
fts5_api *rank_fts5(sqlite3 *db);

/* The pieces of the score, for code that must order passages exactly as
 * missive_bm25 does (toplist.c): a phrase's weight from the passages
 * (rows) and the passages holding it (hits, capped as above), and one
 * phrase's term of the sum for freq instances in a row of len tokens.
 * missive_bm25 is minus the sum of the terms, phrase by phrase. */
double rank_idf(long long rows, long long hits);
double rank_avgdl(long long rows, long long tokens);
double rank_term(double idf, double freq, int len, double avgdl);

#endif
