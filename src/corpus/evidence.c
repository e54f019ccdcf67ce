/* evidence.c - whether !reply's best passage is an answer (see evidence.h).
 *
 * A thing the message names that no letter holds, and that the concept
 * table maps to nothing in them, is evidence that the letters do not
 * answer it: a number ("in 1941") or the word after an article ("the
 * weather in Moscow", "the capital of Finland") - in a question that is a
 * noun, or the adjective of one.  Such a message is declined unless a
 * content word of it (not a name) matched in the best window, and then
 * needs REPLY_MIN_CONFIDENCE.  A verb or an adverb the letters lack is no
 * such evidence: readers word actions their own way ("has Berlin fallen?",
 * "no need to hurry"), which is why reply.c weighs it only REPLY_UNSEEN.
 * A capitalised word is no such thing ("the Red Army"): a name the letters
 * lack weighs fully (reply.c), and a message naming one (the last
 * capitalised word of a run: "Bulge", not "Red" of "Red Army") always
 * needs REPLY_MIN_CONFIDENCE.
 *
 * Otherwise a message some word of which matched in the best window, other
 * than a place or person of the alias table, needs REPLY_MIN_TOPICAL of
 * its weight covered; one matched only by such names needs
 * REPLY_MIN_CONFIDENCE: one shared place name never lowers the bar ("the
 * food in France").  Below REPLY_MIN_EVIDENCE (the best window holds no
 * word rarer than one in half the passages) nothing is an answer.
 */
#include "evidence.h"

/* True when a concept the letters never use names something they lack: a
 * place, or a capitalised word.  A person of the alias table is a
 * correspondent, named in headings rather than in the text, so not. */
static bool evidence_names_absent(const EvidenceConcept *c)
{
    if (c->kind != EVIDENCE_WORD)
        return c->kind == EVIDENCE_PLACE;
    return c->named;
}

void evidence_lacks(const EvidenceConcept *c, size_t n, bool *lacks,
                    bool *lacking, bool *lacks_name)
{
    *lacking = *lacks_name = false;
    for (size_t i = 0; i < n; i++) {
        lacks[i] = c[i].df == 0 && evidence_names_absent(&c[i]);
        if (c[i].df == 0 && c[i].thing && c[i].kind == EVIDENCE_WORD &&
            !c[i].named)
            *lacking = true;
        if (lacks[i] && !c[i].modifier)
            *lacks_name = true;
    }
}

void evidence_window(const EvidenceConcept *c, size_t n, uint32_t win,
                     bool *topical, bool *content)
{
    *topical = *content = false;
    for (size_t i = 0; i < n; i++) {
        if (!(win >> i & 1) ||
            c[i].kind == EVIDENCE_PERSON || c[i].kind == EVIDENCE_PLACE)
            continue; /* a place or a person: a name, not a topic */
        *topical = true;
        *content |= !c[i].named;
    }
}

bool evidence_is_answer(const ReplyResult *r)
{
    if (r->evidence < REPLY_MIN_EVIDENCE || (r->lacking && !r->content))
        return false;
    return r->confidence >= (r->topical && !r->lacking && !r->lacks_name
                                 ? REPLY_MIN_TOPICAL
                                 : REPLY_MIN_CONFIDENCE);
}
