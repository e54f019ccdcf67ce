/* evidence.h - whether !reply's best passage answers the message at all.
 *
 * The refusal by evidence (issue 13): not one score over a threshold but
 * what matched and what did not.  reply.c ranks the passages and describes
 * each concept of the message (EvidenceConcept) and what the best window
 * of a passage holds; this module says from that whether the letters lack
 * what the message is about (evidence_lacks), what kind of word matched
 * (evidence_window), and so whether the passage is an answer
 * (evidence_is_answer, behind reply_is_answer).  Kept apart so that the
 * rules, each a sentence of why, read in one place and are tested alone.
 */
#ifndef MISSIVE_EVIDENCE_H
#define MISSIVE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"

typedef enum {
    EVIDENCE_WORD = 0, /* a word of the message */
    EVIDENCE_PERSON,   /* a person of the alias table */
    EVIDENCE_PLACE,    /* a place of the alias table */
    EVIDENCE_TERM,     /* a term of the alias table ("second front") */
} EvidenceKind;

/* One concept of the message, as the rules see it. */
typedef struct {
    EvidenceKind kind;
    bool named;    /* a word capitalised inside the message */
    bool modifier; /* and so is the next word: "Red" in "the Red Army" */
    bool thing;    /* a noun after an article, or a number (question.h) */
    long df;       /* passages of every author holding a form of it */
} EvidenceConcept;

/* What the letters lack, from each concept's df: lacks[i] when concept i
 * is a name no letter holds (weighed fully, see reply.c); *lacking when
 * the message names a thing no letter holds; *lacks_name when it names a
 * place or a name no letter holds. */
void evidence_lacks(const EvidenceConcept *c, size_t n, bool *lacks,
                    bool *lacking, bool *lacks_name);

/* What matched in a best window holding the concepts of mask win:
 * *topical when one that is not a known place or person did, *content when
 * one of those is not a capitalised word either. */
void evidence_window(const EvidenceConcept *c, size_t n, uint32_t win,
                     bool *topical, bool *content);

/* True when a ranked result is an answer (reply_is_answer). */
bool evidence_is_answer(const ReplyResult *r);

#endif
