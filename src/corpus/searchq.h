/* searchq.h - a user's search words to a safe FTS5 MATCH expression.
 *
 * Missive's own syntax: words (all must match), "exact phrase", prefix*,
 * -exclude, and the filters from:NAME, to:NAME and year:YYYY (returned
 * apart, for the caller to resolve and bind).  Every term is emitted as an FTS5 string ("...") holding only
 * word characters, so quotes, NEAR, AND/OR/NOT, parentheses, ^, + and
 * column filters typed by a user are plain words or nothing: they can never
 * raise an SQL error or change the query's structure.
 */
#ifndef MISSIVE_SEARCHQ_H
#define MISSIVE_SEARCHQ_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define SEARCHQ_MAX_TERMS 16
#define SEARCHQ_MAX 2048 /* bytes of a built expression: 16 maximal terms fit */

#define SEARCHQ_NAME_MAX 64 /* bytes of a from:/to: name */
#define SEARCHQ_MAX_TERM 64 /* bytes of one normalised term */

/* Why searchq_build refused a query: the caller words its answer. */
enum searchq_refusal {
    SEARCHQ_ACCEPTED = 0,
    SEARCHQ_EMPTY,         /* no word to look for */
    SEARCHQ_ONLY_EXCLUDED, /* only -words: nothing to search from */
    SEARCHQ_STOPWORDS,     /* only words too common to mean anything */
    SEARCHQ_BAD_YEAR,      /* year: not followed by four digits */
};

typedef struct {
    char match[SEARCHQ_MAX]; /* the FTS5 expression */
    int nterms;              /* positive terms */
    int nexcluded;
    int nphrases; /* positive terms of several words ("exact phrase") */
    /* The one positive term, normalised (a word, or the words of an
     * "exact phrase" between single spaces), when the query has exactly
     * one and it is not a prefix*; "" otherwise. */
    char only[SEARCHQ_MAX_TERM + 1];
    int truncated;                /* more than SEARCHQ_MAX_TERMS were given */
    char from[SEARCHQ_NAME_MAX];  /* from:NAME as typed, "" when absent */
    char to[SEARCHQ_NAME_MAX];    /* to:NAME */
    int year;                     /* year:YYYY, 0 when absent */
    enum searchq_refusal refusal; /* SEARCHQ_ACCEPTED unless refused */
} SearchQuery;

/* All positive terms must match; excluded ones must not.  STATUS_OK with
 * q->match filled, or STATUS_INVALID with q->refusal saying why, a short
 * reason in err and q->match "". */
Status searchq_build(const char *user, SearchQuery *q, Error *err);

/* The words of q's positive terms, each once, in query order: a phrase
 * gives each of its words; prefix* terms and stop words give none.  Into
 * words[0..max), normalised as typed (not stemmed); their number. */
int searchq_words(const SearchQuery *q, char words[][SEARCHQ_MAX_TERM + 1],
                  int max);

/* q's positive terms as typed (a word, or a phrase's words between single
 * spaces), into terms[0..max): their number, or -1 when one is a prefix*
 * (which a caller checking text by itself would have to expand). */
int searchq_positive(const SearchQuery *q,
                     char terms[][SEARCHQ_MAX_TERM + 1], int max);

/* True for an English stop word (ASCII case-insensitive). */
bool searchq_is_stopword(const char *word, size_t len);

#endif
