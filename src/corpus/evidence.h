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
    bool tail;     /* the word right after a thing: "novel" of "a good
                      novel", where the thing is the adjective; not after
                      a capitalised thing, a name, unless it is a place's
                      adjective ("the Persian oil") */
    long df;       /* passages of every author holding a form of it */
    bool seen;     /* a passage asked (of the "as AUTHOR") holds a form */
    bool courtesy; /* a reader's thanks, congratulations, wishes: reply.c */
} EvidenceConcept;

/* What the letters lack, from each concept's df: lacks[i] when concept i
 * is a name no letter holds (weighed fully, see reply.c); *lacking when
 * the message names a thing no letter holds; *lacks_name when it names a
 * place or a name no letter holds. */
void evidence_lacks(const EvidenceConcept *c, size_t n, bool *lacks,
                    bool *lacking, bool *lacks_name);

/* What matched in a best window holding the concepts of mask win:
 * *topical when one that is not a known place or person did, *content when
 * one of those is not a capitalised word either; *names_only when none
 * did (only names matched) and a thing the message names, which some
 * letter holds, is not in the window. */
void evidence_window(const EvidenceConcept *c, size_t n, uint32_t win,
                     bool *topical, bool *content, bool *names_only);

/* The concepts that are only the reader's wording, as a mask: the plain
 * words no passage asked holds, when the best window (win) holds what the
 * message is about - every thing it names that the letters hold, or every
 * concept they hold at all - and the message lacks no thing or name.
 * Their weight leaves the message's mass (reply.c's confidence). */
uint32_t evidence_wording(const EvidenceConcept *c, size_t n, uint32_t win,
                          bool lacking, bool lacks_name);

/* True when a ranked result is an answer (reply_is_answer). */
bool evidence_is_answer(const ReplyResult *r);

/* True when a ranked result is declined for its confidence alone: no
 * evidence says the letters do not answer (it has REPLY_MIN_EVIDENCE, is
 * not names_only unless a capitalised word of no alias is among its names,
 * and matched a content word when the message lacks a thing), only too
 * little of the message matched.  reply.c lets the first answer ranked
 * below such results go first. */
bool evidence_only_unsure(const ReplyResult *r);

#endif
