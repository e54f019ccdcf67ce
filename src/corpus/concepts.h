/* concepts.h - what !reply reads precomputed, refreshed at import time.
 *
 * The importer calls concepts_refresh once, at the end of its transaction,
 * after the passages are final.  It rewrites passage_stats (one row per
 * sender and '' for all: the passage count and total bytes of the shown
 * text), so that reply.c weighs a message without scanning the passages,
 * and concepts (stem, target): a reader's word, as a porter stem, and a
 * stem of the letters it may stand for, from WordNet when the build has it
 * (empty otherwise).  Their schema is one self-contained migration in db.c.
 */
#ifndef MISSIVE_CONCEPTS_H
#define MISSIVE_CONCEPTS_H

#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"

/* Rewrites the derived tables from the passages.  STATUS_OK, or
 * STATUS_ERROR with the reason in err; the caller's transaction decides.
 * A build with WordNet whose dictionary files are missing reports one
 * SEVERITY_WARNING line through err's sink and leaves the concepts empty. */
Status concepts_refresh(sqlite3 *db, Error *err);

/* The same after an import that only added passages (every id from
 * first_new on; no older passage changed or went): the new passages'
 * counts are added and their words' pairs inserted, at a cost that grows
 * with the new passages, not the corpus. */
Status concepts_update(sqlite3 *db, sqlite3_int64 first_new, Error *err);

/* True when this build maps words through WordNet at import time. */
bool concepts_have_wordnet(void);

#endif
