/* toplist.h - each common word's best passages, by BM25, kept at import.
 *
 * !search counts a query's matches in passage order and stops past
 * CORPUS_SEARCH_BOUND; ranking every match of a word in half a million
 * passages would cost half a second.  So the import keeps, for every
 * index term (a porter stem) in more than TOPLIST_MIN_DF passages, its
 * TOPLIST_LEN best passages by missive_bm25 of that term alone, best
 * first (ties by passage id), in the table search_top.  A query over the
 * bound has a passage count over RANK_DF_CAP for each of its words, so
 * each weighs the same and a one-word query ranks its matches exactly as
 * that list does: its best matches are the list's, in the list's order
 * (corpus.c, corpus_search).
 *
 * Cost: one pass over the index's vocabulary and one over the postings of
 * the listed terms (nearly all postings: common words hold most of them),
 * at the end of a fresh import, in its transaction; 4 bytes a listed
 * passage, and 6 more (keys: its tf and length) so that an import that
 * adds a few letters updates the lists instead (toplist_update).
 */
#ifndef MISSIVE_TOPLIST_H
#define MISSIVE_TOPLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "error.h"

#define TOPLIST_MIN_DF 1000 /* terms in more passages than this are kept */
#define TOPLIST_LEN 1000    /* passages kept per term */

/* Rewrites search_top from passages_fts.  STATUS_OK, or STATUS_ERROR with
 * the reason in err; the caller's transaction decides. */
Status toplist_refresh(sqlite3 *db, Error *err);

/* After an import that only added passages (every id >= first_new, and
 * no older passage changed or went): each list is its old passages
 * rescored with the index's weights of now, merged with the term's new
 * postings, and a term of the new passages that is now common gets its
 * list; a term whose list may now miss a passage it left out before is
 * walked again, as toplist_refresh would.  The same table as a refresh,
 * at a cost that grows with the new passages, not the corpus. */
Status toplist_update(sqlite3 *db, sqlite3_int64 first_new, Error *err);

typedef struct TopList TopList;

/* The reader: the index's stemmer and one prepared lookup on db.  NULL
 * with the reason in err when the FTS5 porter tokenizer is missing, the
 * schema has no search_top or memory runs out. */
TopList *toplist_open(sqlite3 *db, Error *err);
void toplist_free(TopList *t);

/* The list of the index term `word` (as a user typed it: one word, stemmed
 * here as passages_fts stems) into *ids (malloc'd, the caller frees; best
 * first) and *n.  STATUS_OK; STATUS_NOTFOUND when word is not one index
 * term or has no list (too rare, or imported before lists were kept);
 * STATUS_ERROR. */
Status toplist_get(TopList *t, const char *word, sqlite3_int64 **ids,
                   size_t *n, Error *err);

/* A phrase as the index's tokenizer reads it: a hash of each token. */
#define TOPLIST_PHRASE_MAX 64
typedef struct {
    uint64_t token[TOPLIST_PHRASE_MAX];
    int n;
} TopPhrase;

/* The term `phrase` (a word or words between single spaces, as a user
 * typed them) tokenized as a MATCH does, into *out: 0, or -1. */
int toplist_phrase(TopList *t, const char *phrase, TopPhrase *out);

/* Whether text[0..len), a passage as the index reads it, holds each of
 * phrases[0..n) (tokens in a row, as FTS5 matches a phrase): 1, 0, or -1
 * when it cannot say (out of memory, a tokenizer error).  Tokens are
 * compared by hash, so a collision can say 1 where FTS5 says 0, never the
 * reverse: a caller confirms a 1 with FTS5.  Cheap beside an FTS5 lookup
 * of a passage (no index segments to seek). */
int toplist_holds(TopList *t, const char *text, size_t len,
                  const TopPhrase *phrases, int n);

#endif
