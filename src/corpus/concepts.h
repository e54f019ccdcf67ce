/* concepts.h - what !reply reads precomputed, refreshed at import time.
 *
 * The importer calls concepts_refresh once, at the end of its transaction,
 * after the passages are final.  It rewrites passage_stats (one row per
 * sender and '' for all: the passage count and total bytes of the shown
 * text), so that reply.c weighs a message without scanning the passages.
 * Its schema is one self-contained migration in db.c.
 */
#ifndef MISSIVE_CONCEPTS_H
#define MISSIVE_CONCEPTS_H

#include <sqlite3.h>

#include "error.h"

/* Rewrites the derived tables from the passages.  STATUS_OK, or
 * STATUS_ERROR with the reason in err; the caller's transaction decides. */
Status concepts_refresh(sqlite3 *db, Error *err);

#endif
