/* corpus.h - questions asked of the corpus; never formats IRC text.
 *
 * Every function binds user text as parameters; none builds SQL from it.
 * Random choice is O(cells + log n): passages are ranked within their
 * (sender, recipient, year) cell at import, so the k-th passage of any filter
 * is one small scan of the cell table plus one index lookup, never an
 * ORDER BY random() over the whole table.
 */
#ifndef MISSIVE_CORPUS_H
#define MISSIVE_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

#include "dates.h"
#include "people.h"
#include "searchq.h"

enum corpus_result {
    CORPUS_OK = 0,
    CORPUS_NOTFOUND = 1,     /* no passage matches */
    CORPUS_BADQUERY = 2,     /* the user's query has nothing to search for */
    CORPUS_ERROR = -1,       /* database trouble: logged */
};

typedef struct {
    int letter;              /* letter number, from 1 */
    int para;                /* paragraph of the body, from 1 */
    char *text;              /* text to show (errata applied) */
    bool corrected;          /* errata changed the text */
    char *sender;            /* canonical names */
    char *recipient;
    char date[11];           /* ISO, or "" when undated */
    enum date_kind date_kind;
    bool date_curated;       /* the date comes from the curated sidecar */
    char *snippet;           /* search results: text around the match, the
                                matched words between \x02 (IRC bold);
                                NULL otherwise */
} Passage;

void passage_clear(Passage *p);

typedef struct {
    const char *sender;      /* canonical name, or NULL for any */
    const char *recipient;
    int year;                /* 0 for any */
} PassageFilter;

typedef struct {
    int letters;
    int passages;
    int people;
    int files;
    char first_date[11], last_date[11];   /* "" when nothing is dated */
    int undated_letters;
    int corrected_passages;
} CorpusStats;

typedef struct Corpus Corpus;

/* Wraps an open database; the caller keeps ownership of db. */
Corpus *corpus_new(sqlite3 *db);

/* The alias table !reply matches people, places and terms through (the
 * data dir's aliases.txt); the caller keeps ownership.  NULL: words only. */
void corpus_set_aliases(Corpus *c, const People *aliases);
void corpus_free(Corpus *c);

int corpus_count(Corpus *c, const PassageFilter *f, long *n);
/* The k-th passage (0-based; cells in id order, passages in id order
 * within a cell) among those matching f. */
int corpus_pick(Corpus *c, const PassageFilter *f, long k, Passage *out);
int corpus_random(Corpus *c, const PassageFilter *f, Passage *out);
int corpus_get(Corpus *c, int letter, int para, Passage *out);

/* Full-text search with a query built by searchq_build, bm25 order,
 * restricted by f (NULL: none); result number `offset` (0-based) and the
 * total number of matches. */
int corpus_search(Corpus *c, const SearchQuery *q, const PassageFilter *f,
                  long offset, Passage *out, long *total);

typedef struct {
    int letter;
    int number;              /* the edition's "No.", 0 when none */
    char *sender, *recipient;
    char date[11];           /* ISO, or "" when undated */
    enum date_kind date_kind;
    bool date_curated;
    char *heading;           /* as written */
    char *source;            /* NULL when the letter has no Source line */
    int passages;
} LetterInfo;

void letter_info_clear(LetterInfo *l);
int corpus_letter(Corpus *c, int letter, LetterInfo *out);

/* Calls fn(letter, iso_date, ud) for every dated letter in id order until
 * fn returns non-zero. */
typedef int (*corpus_dated_fn)(int letter, const char *date, void *ud);
int corpus_dated(Corpus *c, corpus_dated_fn fn, void *ud);

/* The distinct Source lines, in order of first use, joined by "; ". */
int corpus_sources(Corpus *c, char *out, size_t outsz);

/* The passage that best answers a free-text message; sender may restrict
 * the author (NULL: anyone). */
int corpus_reply(Corpus *c, const char *message, const char *sender,
                 Passage *out);

/* A passage a reply should avoid when another is nearly as good (the same
 * question asked twice in a row); letter 0 avoids nothing. */
typedef struct {
    int letter, para;
} ReplyAvoid;

int corpus_reply_ex(Corpus *c, const char *message, const char *sender,
                    const ReplyAvoid *avoid, Passage *out);

int corpus_stats(Corpus *c, CorpusStats *out);

/* The canonical name for a word a user typed ("stalin", "Churchill"), when
 * it names a person in the corpus; writes it to out. */
bool corpus_person(Corpus *c, const char *word, char *out, size_t outsz);

/* Calls fn for every passage in reading order (letter, then paragraph)
 * with its letter, para and shown text (valid only during the call), until
 * fn returns non-zero.  Returns that value, 0 when every passage was seen,
 * or CORPUS_ERROR on database trouble (so fn should stop with a positive
 * value). */
typedef int (*corpus_each_fn)(int letter, int para, const char *text,
                              size_t len, void *ud);
int corpus_each(Corpus *c, corpus_each_fn fn, void *ud);

#endif
