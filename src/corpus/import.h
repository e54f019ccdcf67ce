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

#include <stdio.h>
#include <sqlite3.h>

typedef struct {
    int files_new;
    int files_changed;
    int files_unchanged;
    int letters;          /* letters in the database afterwards */
    int passages;         /* passages in the database afterwards */
    int errata_applied;
} ImportReport;

/* datadir holds aliases.txt, errata.tsv and dates.tsv.  Errors and
 * warnings go to errs as "FILE:LINE: ...".  Returns 0 on success, -1 with
 * the database exactly as it was. */
int import_files(sqlite3 *db, const char *const *paths, size_t npaths,
                 const char *datadir, ImportReport *report, FILE *errs);

#endif
