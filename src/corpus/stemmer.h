/* stemmer.h - the index's own word cutter and stemmer, over any text.
 *
 * !reply compares a message's stems with a passage's byte for byte, so it
 * cuts both with the tokenizers of passages_fts (unicode61, and porter over
 * it, with the same arguments: db.c), fetched through the fts5_api of the
 * caller's connection.  Split out of reply.c: the question analysis
 * (question.c), the sentence cutter (sentences.c) and the ranking all read
 * the same tokens.
 */
#ifndef MISSIVE_STEMMER_H
#define MISSIVE_STEMMER_H

#include <stddef.h>
#include <sqlite3.h> /* with FTS5's tokenizer API */


#define STEMMER_STEM 64 /* bytes of a stem; longer ones are cut */

typedef struct {
    char stem[STEMMER_STEM];
    int start, end; /* byte offsets in the tokenized text */
} Token;

typedef struct {
    Token *v;
    size_t n, cap;
} Tokens;

typedef struct {
    fts5_tokenizer api[2];
    Fts5Tokenizer *tok[2];
} Stemmer;

enum { STEMMER_WORDS = 0, STEMMER_PORTER = 1 };

/* Opens both tokenizers on db's FTS5: 0, or -1 (no FTS5, no porter). */
int stemmer_open(sqlite3 *db, Stemmer *s);
void stemmer_close(Stemmer *s);

/* Appends the tokens of text[0..len) to out (STEMMER_WORDS: words as
 * written, case folded; STEMMER_PORTER: their stems); offsets are relative
 * to text.  0, or -1 out of memory or a tokenizer error. */
int stemmer_run(Stemmer *s, int which, const char *text, size_t len,
                Tokens *out);

/* The tokenizer's own call, for a caller that keeps what it needs of each
 * token itself (toplist.c: one stem, or counts over a whole passage):
 * SQLite's return code.  flags: FTS5_TOKENIZE_QUERY or _DOCUMENT. */
int stemmer_tokenize(Stemmer *s, int which, int flags, const char *text,
                     size_t len, void *ctx,
                     int (*token)(void *ctx, int tflags, const char *tok,
                                  int ntok, int start, int end));

/* Appends one token (cut to STEMMER_STEM - 1 bytes): 0, or -1. */
int stemmer_tokens_push(Tokens *t, const char *s, int len, int start, int end);
void stemmer_tokens_free(Tokens *t);

#endif
