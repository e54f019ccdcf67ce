/* import.h - correspondence files into the database, all or nothing.
 *
 * One call is one transaction: files stream in letter by letter (memory
 * does not grow with a file's size), every file is parsed through even after
 * an error so that all errors are reported, and any error rolls the whole
 * import back.
 * A file is known by its base name: importing the same content again is a
 * no-op; changed content replaces that file's letters, which keep their
 * letter numbers (a letter whose heading and text are unchanged keeps its
 * number wherever it moved; an edited one keeps the number of the letter at
 * its place; new letters get new numbers at the end).  Errata and curated
 * dates from the data directory are applied afterwards, each to the letter
 * its key names (FILE#FINGERPRINT), never to a position.
 */
#ifndef MISSIVE_IMPORT_H
#define MISSIVE_IMPORT_H

#include <stdbool.h>
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
    int refused; /* letters refused (only with keep_going is that not an
                    error of the whole import) */
    int checked; /* letters described (check) */
} ImportReport;

/* One line of a --check description, given to ImportOptions.describe. */
typedef void (*ImportDescribeFn)(void *ud, const char *line);

typedef struct {
    const char *from;         /* alias of the sender of headings that name none
                             ("Message to W. Churchill"), or NULL */
    const char *const *froms; /* NULL, or one per path: that file's alias
                                 (NULL entries: from) */
    bool line_paragraphs;     /* every line is a paragraph (else blank lines
                             separate them and lines are joined) */
    bool keep_going;          /* import what parses, refuse the rest */
    bool check;               /* parse and describe; write nothing (db may be
                             NULL: letter numbers are then not predicted) */
    ImportDescribeFn describe;
    void *describe_ud;
} ImportOptions;

/* datadir holds aliases.txt, errata.tsv and dates.tsv.  Every problem is
 * reported through err as its own line, "FILE:LINE: ..." (or "FILE: ..."):
 * errors at SEVERITY_ERROR, and things that do not stop the import (a letter
 * without a Source line, an erratum that does not apply) at
 * SEVERITY_WARNING.  Returns STATUS_OK with *report filled, STATUS_INVALID
 * when the input is wrong, or STATUS_ERROR on database or memory trouble;
 * on failure the database is exactly as it was and *report is zeroed. */
Status import_files(sqlite3 *db, const char *const *paths, size_t npaths,
                    const char *datadir, ImportReport *report, Error *err);

/* The same with options (NULL: the defaults, as import_files).  With
 * keep_going, a refused letter is reported as "FILE:LINE: reason" at
 * SEVERITY_ERROR and counted in report->refused, and the rest is imported:
 * STATUS_OK.  With check, every letter is described through opt->describe
 * and nothing is written. */
Status import_files_opts(sqlite3 *db, const char *const *paths, size_t npaths,
                         const char *datadir, const ImportOptions *opt,
                         ImportReport *report, Error *err);

#endif
