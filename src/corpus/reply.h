/* reply.h - the passage that best answers a message, or none.
 *
 * !reply is not a search: a message is a question in a reader's words
 * ("will you send Eden?", "Uncle Joe, what about the Finns?") and the answer
 * is one passage, or a plain "nothing answers that".  So the ranking is its
 * own (see reply.c for the why of each step):
 *
 *   1. the message becomes concepts: people, places and the letters' own
 *      words for what a reader types, recognised through the alias table
 *      (data/aliases.txt), and every other word that is not a stop word,
 *      stemmed by SQLite's own porter tokenizer so that it meets the index
 *      exactly; each concept weighs its IDF over the whole corpus;
 *   2. FTS5 (bm25) proposes the REPLY_CANDIDATES best passages holding any
 *      concept, among at most REPLY_POOL passages chosen by the rarest
 *      concepts (so a million passages cost what a few thousand do);
 *   3. each is re-scored by bm25 over the concepts, those outside its best
 *      window of two neighbouring sentences counting less, so the passage
 *      that carries the answer in one place wins over one that mentions the
 *      words far apart;
 *   4. the best is declined by evidence (see evidence.h): when the
 *      message names a thing no letter holds (a number, or a noun after an
 *      article, that maps to nothing in them) and no content word of it
 *      matched; when the best window matched only names while the thing
 *      the message asks about is in other passages (a shared place name
 *      never carries the answer); when it covers too little of the message
 *      (confidence below REPLY_MIN_TOPICAL, or REPLY_MIN_CONFIDENCE when
 *      the message names a thing or a name the letters lack), words no
 *      letter uses not counting against a window that holds what the
 *      message is about; or when its evidence is too weak (below
 *      REPLY_MIN_EVIDENCE).
 *
 * The database needs the passages_fts table of the schema; the module only
 * reads it (plus a temporary table on the caller's connection).
 */
#ifndef MISSIVE_REPLY_H
#define MISSIVE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

#include "error.h"
#include "people.h"

#define REPLY_CANDIDATES 50       /* bm25 proposals re-scored per message */
#define REPLY_POOL 1000           /* passages bm25 ranks per message, at most */
#define REPLY_DF_EXACT 500        /* matches counted per concept; then estimated */
#define REPLY_MAX_CONCEPTS 24     /* more words than this are not a question */
#define REPLY_MIN_CONFIDENCE 0.5  /* of the message's IDF mass matched, when
                                     it names what the letters lack */
#define REPLY_MIN_TOPICAL 0.4     /* the same, when it lacks nothing */
#define REPLY_MIN_EVIDENCE 0.6931 /* ln 2: a word in half the passages */
#define REPLY_VARIETY 0.9         /* runner-up within 10% replaces a repeat */

typedef struct {
    const char *message;   /* what the user said, UTF-8 */
    const char *sender;    /* canonical author to answer as, or NULL */
    int avoid_letter;      /* the channel's previous answer to the same */
    int avoid_para;        /*   question, or 0: see reply_best */
    const People *aliases; /* people, places and terms; NULL: words only */
} ReplyQuery;

typedef struct {
    int letter, para;
    double score;      /* higher is better; comparable within a query */
    double confidence; /* 0..1: share of the message's IDF mass */
    double evidence;   /* IDF mass matched in the best window */
    int excerpt_start; /* bytes [start, end) of the passage's shown text: */
    int excerpt_end;   /*   the sentences of the best window that match */
    bool lacking;      /* the message names a thing no letter holds */
    bool lacks_name;   /* ... or a name (place, capitalised word) */
    bool content;      /* a content word or term matched in the best window */
    bool topical;      /* content, or a capitalised word not in the aliases */
    bool names_only;   /* only names matched in the best window, and a thing
                          the message names, which the letters hold, is not
                          in it (see evidence.h) */
} ReplyResult;

/* The answer: STATUS_OK and *out, STATUS_NOTFOUND when nothing answers
 * (no concept, no candidate, or the best is below the thresholds),
 * STATUS_ERROR with the reason in err on database or memory trouble.  When
 * the best is the passage q->avoid_letter.q->avoid_para and the runner-up
 * is also an answer and scores within REPLY_VARIETY of it, the runner-up is
 * returned instead. */
Status reply_best(sqlite3 *db, const ReplyQuery *q, ReplyResult *out,
                  Error *err);

/* The ranked candidates, best first, declined or not: up to max in out,
 * their number in *n.  Returns STATUS_OK (also when *n is 0) or
 * STATUS_ERROR with the reason in err.  For evaluation and tests. */
Status reply_rank(sqlite3 *db, const ReplyQuery *q, ReplyResult *out,
                  size_t max, size_t *n, Error *err);

/* True when a ranked result is good enough to be an answer: not lacking
 * unless content matched, and enough of the message covered (see above). */
bool reply_is_answer(const ReplyResult *r);

#endif
