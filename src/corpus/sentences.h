/* sentences.h - a passage cut into sentences, and the bytes of some of them.
 *
 * !reply judges a passage by its best window of two neighbouring sentences
 * and shows the sentences of that window that match (reply.c).  Where a
 * sentence ends is its own question (abbreviations, initials, quotes), kept
 * here apart from the ranking.
 */
#ifndef MISSIVE_SENTENCES_H
#define MISSIVE_SENTENCES_H

#include "stemmer.h"

/* The sentence number (from 0) of every token of text into sent[0..t->n),
 * their count into *nsent (at least 1).  O(text). */
void sentences_split(const char *text, const Tokens *t, int *sent,
                     int *nsent);

/* The bytes [*start, *end) of sentences first..last of text: from the start
 * of the first (after the previous sentence's closing punctuation) to the
 * end of the last (up to the next sentence's first token, less the
 * spaces).  The whole text when there is no such sentence. */
void sentences_excerpt(const char *text, const Tokens *t, const int *sent,
                       int nsent, int first, int last, int *start, int *end);

#endif
