/* wordset.h - a set of distinct words, an open-addressing hash table.
 *
 * The import collects the distinct words of every passage (concepts.c: the
 * letters' words for WordNet; toplist.c: the index terms of new passages).
 * A million passages hold some 65 million words but only tens of thousands
 * of distinct ones, so a set in memory replaces an INSERT OR IGNORE per
 * occurrence.  The table doubles at half full, so probes stay short; it owns
 * its strings.  Each slot keeps its word's hash (FNV-1a 64), which a caller
 * scanning text may compute as it reads the word: a probe compares hashes
 * before bytes, and growing hashes nothing again.
 */
#ifndef MISSIVE_WORDSET_H
#define MISSIVE_WORDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORDSET_FNV_BASIS 1469598103934665603u /* FNV-1a 64 */
#define WORDSET_FNV_PRIME 1099511628211u

typedef struct {
    char **slot;
    uint64_t *hash; /* [slot]: its word's wordset_hash */
    size_t cap, n;  /* cap: a power of two */
} WordSet;

/* FNV-1a 64 of w[0..n): what wordset_add expects as h. */
uint64_t wordset_hash(const char *w, size_t n);

/* Adds w[0..n), of hash h, unless present: 1 added, 0 present, -1 out of
 * memory. */
int wordset_add(WordSet *ws, const char *w, size_t n, uint64_t h);

bool wordset_has(const WordSet *ws, const char *w);

/* Frees the words and the table; ws is empty again. */
void wordset_free(WordSet *ws);

#endif
