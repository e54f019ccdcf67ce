/* import.h - correspondence files into the database, all or nothing.
 *
 * One call is one transaction: every file is read, checked and parsed
 * before anything is written, and any error rolls the whole import back.
 * A file is known by its base name: importing the same content again is a
 * no-op; changed content replaces that file's letters, which keep their
 * letter numbers by position (new letters get new numbers at the end).
 * Errata and curated dates from the data directory are applied afterwards.
 */
#ifndef MISSIVE_IMPORT_H
#define MISSIVE_IMPORT_H

#include <stddef.h>
#include <sqlite3.h>

#include "error.h"

typedef struct {
    int files_new;
    int files_changed;
    int files_unchanged;
    int letters;  /* letters in the database afterwards */
    int passages; /* passages in the database afterwards */
    int errata_applied;
} ImportReport;

/* datadir holds aliases.txt, errata.tsv and dates.tsv.  Every problem is
 * reported through err as its own line, "FILE:LINE: ..." (or "FILE: ..."):
 * errors at SEVERITY_ERROR, and things that do not stop the import (a letter
 * without a Source line, an erratum that does not apply) at
 * SEVERITY_WARNING.  Returns STATUS_OK with *report filled, STATUS_INVALID
 * when the input is wrong, or STATUS_ERROR on database or memory trouble;
 * on failure the database is exactly as it was and *report is zeroed. */
Status import_files(sqlite3 *db, const char *const *paths, size_t npaths,
                    const char *datadir, ImportReport *report, Error *err);

#endif
