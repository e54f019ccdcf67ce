/* letterdates.h - every letter's date, its kind and whether it was
 * curated, in memory: 4 bytes a letter.
 *
 * A !quote read its passage's letter for these alone (the sender and the
 * recipient are its cell's, cells.h; letters with several addressees are
 * asked of SQL, addressees.h): a descent of the letters table per pick,
 * and after a search has filled SQLite's page cache, one or two page
 * misses of the three or four left.  Read whole, in one pass over the
 * letters table (about 0.05 s at a million passages, 133,000 letters),
 * when the corpus opens and when a pick first needs it after the database
 * changed.
 */
#ifndef MISSIVE_LETTERDATES_H
#define MISSIVE_LETTERDATES_H

#include <stdbool.h>
#include <sqlite3.h>

#include "dates.h"
#include "error.h"

typedef struct LetterDates LetterDates;

/* NULL when out of memory.  Nothing is known until letterdates_read. */
LetterDates *letterdates_new(sqlite3 *db, Error *err);
void letterdates_free(LetterDates *d);

/* Reads every letter, inside the read transaction the answers are read
 * in (under the caller's deadline: it is a scan).  STATUS_OK;
 * STATUS_NOTFOUND when it cannot serve this database (letter ids too
 * large for the array); STATUS_ERROR (interrupted, out of memory).  Both
 * leave nothing known. */
Status letterdates_read(LetterDates *d, Error *err);

/* Forgets what was read (the corpus changed). */
void letterdates_drop(LetterDates *d);

/* Letter's date ("" when undated or not valid, as corpus.c reads it),
 * kind and curated flag; false when not known (not read, no such letter,
 * a date stored in another form): the caller asks SQL. */
bool letterdates_get(const LetterDates *d, sqlite3_int64 letter,
                     char date[11], enum date_kind *kind, bool *curated);

#endif
