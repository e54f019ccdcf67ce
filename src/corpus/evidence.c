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
 * A window that matched only names (places, persons, capitalised words)
 * while a thing the message asks about, which the letters hold, lies
 * outside it, is declined (names_only, below): one shared place name never
 * carries the answer ("the price of tea in Moscow" when one letter names
 * a price and another Moscow).  With those two rules deciding by evidence
 * when the place is all that matched, every other message needs
 * REPLY_MIN_TOPICAL of its weight covered, a window of names as one with a
 * topic word ("what about Hungary?"); before them a window of names needed
 * REPLY_MIN_CONFIDENCE, a threshold standing in for the evidence.  Below
 * REPLY_MIN_EVIDENCE (the best window holds no word rarer than one in half
 * the passages) nothing is an answer.  A passage declined only for its
 * confidence, with none of this evidence against it, does not hide the
 * first answer ranked below it (evidence_only_unsure; reply.c moves that
 * answer first).
 */
#include "evidence.h"

#define EVIDENCE_WORDING_PER_MATCH 2 /* unseen words per matched concept */

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

/* A thing the message names that some letter holds: a noun after an
 * article (or a number) that is a plain word, not a name. */
static bool evidence_held_thing(const EvidenceConcept *c)
{
    return c->thing && c->kind == EVIDENCE_WORD && !c->named && c->df > 0;
}

/* The noun of a thing phrase that no letter holds: "novel" of "a good
 * novel". */
static bool evidence_open_noun(const EvidenceConcept *c)
{
    return c->tail && c->kind == EVIDENCE_WORD && !c->named && c->df == 0;
}

/* Names only.  A window that matched only names of the message (places,
 * persons, capitalised words) while a thing the message asks about, which
 * the letters do hold, lies outside it, is a passage that mentions the
 * place: the letters speak of the thing elsewhere, and not there.  The
 * message is declined, whatever the share of its weight the names carry:
 * a name is not what a question asks about. */
void evidence_window(const EvidenceConcept *c, size_t n, uint32_t win,
                     bool *topical, bool *content, bool *names_only)
{
    bool thing_out = false;
    *topical = *content = false;
    for (size_t i = 0; i < n; i++) {
        /* Capitalised or not: "the Battle of Britain" asks about the
         * battle, which a window holding only "Britain" does not hold. */
        if (c[i].thing && c[i].kind == EVIDENCE_WORD && c[i].df > 0 &&
            !(win >> i & 1))
            thing_out = true;
        if (!(win >> i & 1) ||
            c[i].kind == EVIDENCE_PERSON || c[i].kind == EVIDENCE_PLACE)
            continue; /* a place or a person: a name, not a topic */
        *topical = true;
        *content |= !c[i].named;
    }
    *names_only = !*content && thing_out;
}

/* Wording.  A plain word no letter asked holds weighs REPLY_UNSEEN of a
 * seen word (reply.c): it may be the reader's word for the letters', or
 * the topic the letters lack.  When the best window holds what the
 * message is about, it is the former: every thing the message names that
 * the letters hold is in the window ("was the weather stubbornly bleak?":
 * the weather is), or every word the letters hold at all is.  Then the
 * words they never use ("stubbornly", "bleak") are how
 * the reader asks, no evidence either way, and leave the mass rather than
 * count against the passage: two or three of them otherwise declined a
 * question whose every other word matched.  Not when the message lacks a
 * thing or a name (evidence_lacks): then the unseen words may be the
 * topic, and the full mass decides.  Capitalised words are names, never
 * wording. */
uint32_t evidence_wording(const EvidenceConcept *c, size_t n, uint32_t win,
                          bool lacking, bool lacks_name)
{
    bool things = false, things_in = true, seen_in = true;
    uint32_t mask = 0;
    size_t nin = 0, nmask = 0;

    if (lacking || lacks_name || win == 0)
        return 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        bool in = (win >> i & 1) != 0;
        /* The thing is the word after the article, which may be the
         * noun's adjective ("a good novel"): the word after it counts
         * with it, and when no letter holds that word, the noun may be
         * what they lack: then nothing is wording. */
        if (evidence_open_noun(&c[i]))
            return 0;
        if (evidence_held_thing(&c[i]) ||
            (c[i].tail && c[i].kind == EVIDENCE_WORD && !c[i].named)) {
            things = true;
            things_in &= in;
        }
        nin += in ? 1 : 0;
        if (c[i].seen)
            seen_in &= in;
        else if (c[i].kind == EVIDENCE_WORD && !c[i].named) {
            mask |= UINT32_C(1) << i;
            nmask++;
        }
    }
    /* A reader words one thing the letters say with a verb and an adverb
     * or two, not with more words than the window matched twice over:
     * "tell me of quantum physics and string theory in the war" is about
     * what no letter holds, though "the war" matched. */
    if (nmask > EVIDENCE_WORDING_PER_MATCH * nin)
        return 0;
    return (things && things_in) || seen_in ? mask : 0;
}

bool evidence_is_answer(const ReplyResult *r)
{
    if (r->evidence < REPLY_MIN_EVIDENCE || (r->lacking && !r->content) ||
        r->names_only)
        return false;
    return r->confidence >= (!r->lacking && !r->lacks_name
                                 ? REPLY_MIN_TOPICAL
                                 : REPLY_MIN_CONFIDENCE);
}

/* Unsure.  A passage declined because too little of the message matched
 * is not evidence that the letters do not answer it; a window of names
 * only is, when a place or a person carries it ("the population of
 * Persia": Persia here, the population elsewhere).  Not when a capitalised
 * word the alias table does not know carries it (topical): readers
 * capitalise common nouns ("will the Allies sit together after the
 * victory?"), and a letter that holds the word is no proof that the one
 * holding the rest does not answer. */
bool evidence_only_unsure(const ReplyResult *r)
{
    return !evidence_is_answer(r) && r->evidence >= REPLY_MIN_EVIDENCE &&
           !(r->lacking && !r->content) && (!r->names_only || r->topical);
}
