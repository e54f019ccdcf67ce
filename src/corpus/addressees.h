/* addressees.h - which letters have more than one addressee, in memory.
 *
 * A passage shows every recipient of its letter ("Roosevelt and
 * Churchill"), which letter_recipients holds: a lookup in its key index and
 * another in the table for each passage shown, two B-tree descents of the
 * five a !quote makes at a million passages, and two of its page misses
 * after a search has filled the page cache.  Nearly every letter has one
 * addressee, which letters.recipient already holds; this set names the
 * others, so SQL asks letter_recipients only for them
 * (missive_addressees(set, letter_id) in a CASE).
 */
#ifndef MISSIVE_ADDRESSEES_H
#define MISSIVE_ADDRESSEES_H

#include <stdbool.h>
#include <sqlite3.h>

#include "error.h"

typedef struct Addressees Addressees;

/* How SQL names a set: bound with sqlite3_bind_pointer under this type as
 * the first argument of missive_addressees(set, letter_id), which is true
 * when the letter has more than one addressee, or when no set is bound
 * (NULL: not known, so ask). */
#define ADDRESSEES_POINTER "missive_addressees"

/* Registers missive_addressees on db; NULL when out of memory or the
 * statement cannot be prepared.  The set starts unknown. */
Addressees *addressees_new(sqlite3 *db, Error *err);
void addressees_free(Addressees *a);

/* Reads the set (one pass over letter_recipients: about 10 ms at a million
 * passages).  Call it when the corpus may have changed, inside the read
 * transaction the answers are read in.  STATUS_OK; STATUS_ERROR leaves the
 * set unknown. */
Status addressees_read(Addressees *a, Error *err);

/* True when the letter has more than one addressee (the set must be
 * known: addressees_known). */
bool addressees_many(const Addressees *a, sqlite3_int64 letter);

/* The set to bind, or NULL while it is unknown. */
const Addressees *addressees_known(const Addressees *a);

#endif
