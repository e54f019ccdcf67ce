/* corpus.h - questions asked of the corpus; never formats IRC text.
 *
 * Every function that asks the database returns a Status: STATUS_OK,
 * STATUS_NOTFOUND when nothing matches, STATUS_ERROR with the reason in err
 * on database or memory trouble (the caller decides what to log and what to
 * tell a user).  Every function binds user text as parameters; none builds
 * SQL from it.
 * Random choice is O(cells + log n): passages are ranked within their
 * (sender, recipient, year) cell at import, so the k-th passage of any filter
 * is one small scan of the cell table (a copy in memory, cells.h), the
 * passage's id from its cell's array of ids by rank (or one index lookup
 * when the array cannot serve) and one lookup of the passage row (its
 * letter's date from letterdates.h), never an ORDER BY random() over the
 * whole table.
 */
#ifndef MISSIVE_CORPUS_H
#define MISSIVE_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

#include "dates.h"
#include "error.h"
#include "people.h"
#include "searchq.h"

typedef struct {
    int letter;     /* letter number, from 1 */
    int para;       /* paragraph of the body, from 1 */
    char *text;     /* text to show (errata applied) */
    bool corrected; /* errata changed the text */
    char *sender;   /* canonical names */
    char *recipient;
    char date[11]; /* ISO, or "" when undated */
    enum date_kind date_kind;
    bool date_curated; /* the date comes from the curated sidecar */
    char *snippet;     /* search results: text around the match, the
                                matched words between the caller's
                                SnippetMarks; NULL otherwise */
} Passage;

void passage_clear(Passage *p);

typedef struct {
    const char *sender; /* canonical name, or NULL for any */
    const char *recipient;
    int year; /* 0 for any */
    /* Random picks only (corpus_random, state_next_passage; counting and
     * corpus_pick ignore these): passages passed over while another
     * matching passage is not.  min_chars: shorter than this many
     * characters (one-line courtesies, "Thank you for your message."; 0:
     * none); avoid_letter.avoid_para: that passage (letter 0: none), e.g.
     * the one the channel was just shown. */
    int min_chars;
    int avoid_letter, avoid_para;
} PassageFilter;

/* The minimum length of a random pick, in characters: what !quote, !today
 * and the daily post ask for (documented in the README). */
#define CORPUS_RANDOM_MIN_CHARS 80

/* True when a random pick under f should pass over p (see PassageFilter). */
bool corpus_passed_over(const PassageFilter *f, const Passage *p);

typedef struct {
    int letters;
    int passages;
    int people;
    int files;
    char first_date[11], last_date[11]; /* "" when nothing is dated */
    int undated_letters;
    int corrected_passages;
} CorpusStats;

/* What a search snippet puts around each matched phrase, e.g. a chat
 * client's bold on and off.  NULL strings, or no SnippetMarks at all, mark
 * nothing. */
typedef struct {
    const char *open;
    const char *close;
} SnippetMarks;

typedef struct Corpus Corpus;

/* Wraps an open database; the caller keeps ownership of db.  NULL with the
 * reason in err when a statement cannot be prepared (no corpus schema) or
 * memory runs out. */
Corpus *corpus_new(sqlite3 *db, Error *err);

/* The alias table !reply matches people, places and terms through (the
 * data dir's aliases.txt); the caller keeps ownership.  NULL: words only. */
void corpus_set_aliases(Corpus *c, const People *aliases);
void corpus_free(Corpus *c);

/* The number of passages matching f (NULL: any): STATUS_OK or
 * STATUS_ERROR. */
Status corpus_count(Corpus *c, const PassageFilter *f, long *n, Error *err);
/* The k-th passage (0-based; cells in id order, passages in id order
 * within a cell) among those matching f: STATUS_OK with *out filled
 * (passage_clear() it), STATUS_NOTFOUND, or STATUS_ERROR. */
Status corpus_pick(Corpus *c, const PassageFilter *f, long k, Passage *out,
                   Error *err);
/* A passage matching f, at random; as corpus_pick.  Passages f passes
 * over come only when nothing else matches: up to CORPUS_RANDOM_TRIES
 * random draws, then a walk from the last draw over at most
 * CORPUS_RANDOM_WALK passages, then the first draw. */
Status corpus_random(Corpus *c, const PassageFilter *f, Passage *out,
                     Error *err);
/* Passage letter.para; as corpus_pick. */
Status corpus_get(Corpus *c, int letter, int para, Passage *out, Error *err);

/* Matches a search counts and ranks at most (see corpus_search); a query
 * with an "exact phrase" counts fewer: FTS5 checks a phrase's positions in
 * every passage holding all its words, tens of thousands for two common
 * words at a million passages, to find the matches a count needs. */
#define CORPUS_SEARCH_BOUND 1000
#define CORPUS_PHRASE_BOUND 100
/* How many of its words' best passages a query over its bound checks
 * (corpus.c, corpus_search_candidates): those in two or more of the
 * words' lists, then each list's first; CORPUS_LIST_CHECKS of them read
 * and tokenized, CORPUS_LIST_CANDIDATES of those that hold the query's
 * terms looked up in the index and scored. */
#define CORPUS_LIST_CANDIDATES 6
#define CORPUS_LIST_CHECKS 32

/* The bound of query q: CORPUS_PHRASE_BOUND when it has a phrase, else
 * CORPUS_SEARCH_BOUND. */
long corpus_search_bound(const SearchQuery *q);

/* Full-text search with a query built by searchq_build, restricted by f
 * (NULL: none), in BM25 order (missive_bm25, rank.h; ties by passage):
 * result number `offset` (0-based) and the number of matches, exact up to
 * the query's bound and bound + 1 ("over") when there are more.
 * Over the bound, a one-word query's results are its word's best passages
 * (toplist.h) that match, then the other matches among the first `bound`
 * in passage order, exactly as a full ranking would give them until the
 * last listed match; any other query ranks those first matches together
 * with up to CORPUS_LIST_CANDIDATES of its words' listed passages that
 * match (corpus.c says which, and what that guarantees).  Results past the
 * bound are not given.  out->snippet marks the matches with marks
 * (NULL: unmarked).  STATUS_OK, STATUS_NOTFOUND (no result `offset`),
 * STATUS_INVALID when q holds nothing to search for, or STATUS_ERROR. */
Status corpus_search(Corpus *c, const SearchQuery *q, const PassageFilter *f,
                     const SnippetMarks *marks, long offset, Passage *out,
                     long *total, Error *err);

typedef struct {
    int letter;
    int number; /* the edition's "No.", 0 when none */
    char *sender, *recipient;
    char date[11]; /* ISO, or "" when undated */
    enum date_kind date_kind;
    bool date_curated;
    char *heading; /* as written */
    char *source;  /* NULL when the letter has no Source line */
    int passages;
} LetterInfo;

void letter_info_clear(LetterInfo *l);
/* STATUS_OK with *out filled (letter_info_clear() it), STATUS_NOTFOUND, or
 * STATUS_ERROR. */
Status corpus_letter(Corpus *c, int letter, LetterInfo *out, Error *err);

/* Calls fn(letter, iso_date, ud) for every dated letter in id order until
 * fn returns non-zero.  STATUS_OK or STATUS_ERROR. */
typedef int (*corpus_dated_fn)(int letter, const char *date, void *ud);
Status corpus_dated(Corpus *c, corpus_dated_fn fn, void *ud, Error *err);
/* The lowest-numbered letter dated month/day in any year (the letter
 * corpus_dated would find first at distance 0), by index: STATUS_OK,
 * STATUS_NOTFOUND (none, or a span of years too long to look up one by
 * one: ask corpus_dated), or STATUS_ERROR. */
Status corpus_dated_on(Corpus *c, int month, int day, int *letter,
                       Error *err);

/* The distinct Source lines, in order of first use, joined by "; ".
 * STATUS_OK or STATUS_ERROR. */
Status corpus_sources(Corpus *c, char *out, size_t outsz, Error *err);

/* The passage that best answers a free-text message; sender may restrict
 * the author (NULL: anyone).  STATUS_OK with *out filled, STATUS_NOTFOUND
 * when nothing answers (see reply_best), or STATUS_ERROR.  out->snippet is
 * the sentences that carry the match, with "…" for text left out before or
 * after them, or NULL when they are the whole passage. */
Status corpus_reply(Corpus *c, const char *message, const char *sender,
                    Passage *out, Error *err);

/* A passage a reply should avoid when another is nearly as good (the same
 * question asked twice in a row); letter 0 avoids nothing. */
typedef struct {
    int letter, para;
} ReplyAvoid;

Status corpus_reply_ex(Corpus *c, const char *message, const char *sender,
                       const ReplyAvoid *avoid, Passage *out, Error *err);

/* STATUS_OK or STATUS_ERROR. */
Status corpus_stats(Corpus *c, CorpusStats *out, Error *err);

/* The canonical name for a word a user typed ("stalin", "Churchill"), when
 * it names a person in the corpus; writes it to out.  A database failure
 * reads as "no such person". */
bool corpus_person(Corpus *c, const char *word, char *out, size_t outsz);

/* Calls fn for every passage in reading order (letter, then paragraph)
 * with its letter, para and shown text (valid only during the call), until
 * fn returns non-zero.  STATUS_OK when every passage was seen or fn stopped
 * the walk (why it stopped is fn's to record in ud), STATUS_ERROR on
 * database trouble. */
typedef int (*corpus_each_fn)(int letter, int para, const char *text,
                              size_t len, void *ud);
Status corpus_each(Corpus *c, corpus_each_fn fn, void *ud, Error *err);

/* As corpus_each, over only the passages whose shown text holds what
 * `match` asks of the trigram index (an FTS5 expression from
 * grepnarrow_build), in passage (rowid) order. */
Status corpus_each_candidate(Corpus *c, const char *match, corpus_each_fn fn,
                             void *ud, Error *err);

/* One deadline for a whole command: from corpus_command_begin to
 * corpus_command_end, every statement that may scan (searches, replies,
 * walks, dates) stops when budget_ms from the begin have passed (a
 * statement alone still stops after CORPUS_QUERY_MS), so a command of many
 * statements never holds the loop longer than the budget.  Lookups by key
 * (corpus_pick, corpus_get, corpus_letter, corpus_person, counting) are
 * never interrupted: a few page reads, which a late clock cannot shorten.
 * The command's statements also share one read transaction (one snapshot,
 * one set of locks), opened here when the connection is in autocommit
 * mode and ended by corpus_command_end: never keep it across loop turns. */
#define CORPUS_COMMAND_MS 250
void corpus_command_begin(Corpus *c, unsigned budget_ms);
void corpus_command_end(Corpus *c);

#endif
