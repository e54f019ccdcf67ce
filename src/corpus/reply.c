/* reply.c - the passage that best answers a message (see reply.h).
 *
 * Why each step is what it is:
 *
 * Words.  The message is cut into words by SQLite's unicode61 tokenizer and
 * stemmed by its porter tokenizer (stemmer.c), with the arguments of the
 * passages_fts table: the stems we compare are byte for byte the stems in
 * the index, and the same tokenizer cuts the passages when we re-score
 * them.  Stop words (searchq's list, plus what people say to a bot:
 * question.c) carry no topic and are dropped; so are contractions ("don't",
 * "I'm").
 *
 * Stems.  Porter gives one word's forms different stems when they differ in
 * the last letter: "occupied" is "occupi", "occupation" is "occup".  So a
 * word of REPLY_PREFIX_WORD letters or more, whose stem is as long, also
 * matches the stems that are its stem less the last letter, plus at most one
 * letter ("occup", "occupi"; not "commiss" for "commit", nor "favour" for
 * "favourite").  The cut stem is not stemmed again: porter would make
 * "against"'s "agains" into "again".  FTS5 proposes candidates and counts df
 * with the prefix query ("occup" *), which is broader: df errs high, the
 * weight low; a cut stem that FTS5's own stemming of the query would change
 * stays out of the query and only re-scores.
 *
 * Concepts.  A run of up to REPLY_MAX_NGRAM words that the alias table knows
 * ("Uncle Joe", "the U.S.S.R.", "after the war") becomes one concept whose
 * forms are all that person's, place's or term's aliases: "will the USSR"
 * finds "Soviet Union".  A person named at either end of the message and set
 * off by a comma ("Winston, will you ...?") is whom the message addresses:
 * not a topic, but a preference for that author's passages.  Every other
 * word is a concept of one form (and its prefix form); words with one stem
 * count once.  The concept table (concepts.c: WordNet's synonyms, derived
 * forms, pertainyms and holonyms of the letters' words, written at import)
 * adds up to REPLY_MAX_RELATED stems of the letters to a word's concept:
 * "nations" finds "countries", "Africa" finds "Libya"; so does its cut
 * stem (see "Stems"), when the table knows it: "Scandinavian" relates as
 * "Scandinavia" does, to "Norway".  A concept matched
 * only through them counts REPLY_RELATED of its weight, in the window, in
 * the confidence and in the score: the reader's own word, when the letters
 * use it, is better evidence than WordNet's guess at what they meant.  A
 * courtesy ("congrats", "many thanks": question_courtesy) is one concept
 * whose forms are every word of its class, matched directly: the letters'
 * courtesy passages answer it in their own words, and a courtesy no letter
 * words weighs nothing (the reader's manner, not a topic they lack).
 *
 * Weights.  A concept weighs idf = ln(1 + (N - df + 0.5) / (df + 0.5)) (the
 * bm25 form, always > 0), df being the passages holding any of its forms.
 * df comes from a MATCH count on passages_fts, not from an fts5vocab table:
 * a concept is a union of phrases ("soviet union" OR "russia" OR ...), which
 * a per-term vocabulary cannot count without double counting, and a count
 * uses the same index.  The count stops at REPLY_DF_EXACT matches, in rowid
 * order: beyond, df is estimated from how far into the rowids that match
 * lies, so a common word costs a bounded read at any corpus size.  On a
 * corpus of over REPLY_PREFIX_CORPUS passages, prefix forms and phrases of
 * common words (which FTS5 can only find by reading whole doclists) are
 * counted and proposed by their rarest word (reply_loosest) and checked
 * exactly only when re-scored.  N and the mean length come from the
 * passage_stats table the importer keeps, not from a scan per message.
 * With "as AUTHOR" the weights are over that author's passages: the corpus
 * asked is theirs, and a word only the other correspondent uses would
 * otherwise be a rare word their answer lacks.  A concept no letter uses
 * keeps the full weight of the rarest when it names something (a place of
 * the alias table, or a word capitalised inside the sentence: "the Battle
 * of Britain", "Pearl Harbor"): the message is about what the letters lack.
 * Any other unseen word (or one the asked author never uses) weighs
 * REPLY_UNSEEN of the mean weight of the message's seen concepts: readers
 * say "together" where the letters say "alliance", and the idf of df = 0,
 * which on a small corpus is larger than any seen word's, let two such words
 * decline a question whose every other word matched.  A person of the
 * alias table is a correspondent, named in headings and not in the text, so
 * is never a name the letters lack.  A plain word of many WordNet senses
 * ("make", "stand") weighs less than its df alone says (reply_generality):
 * on a small corpus everyday verbs are as rare as the things asked about.
 *
 * Candidates.  When the concepts' matches total at most REPLY_POOL
 * passages, bm25 (FTS5's rank) over the OR of every form proposes
 * REPLY_CANDIDATES passages, optionally of one author, as it always did.
 * Beyond (issue 14: a million passages), the pool is chosen by the rarest
 * concepts: their OR while their matches fit REPLY_POOL; when even the
 * rarest is common, the AND of the rarest two, three, ... until it fits,
 * looked for only up to the rarest concept's REPLY_SCAN-th match and cut at
 * the REPLY_POOL-th.  A passage holding none of the rare concepts is then
 * no candidate: it could answer only through common words.  The pool is
 * ranked inside FTS5 by REPLY_RANK_FN (bm25 over concepts with the weights
 * already known: FTS5's bm25 would read every phrase's whole doclist first)
 * and only the best REPLY_CANDIDATES passages are read.  O(candidates x
 * tokens x forms) re-scoring after that is a few hundred microseconds.
 *
 * Windows and confidence.  Each candidate is cut into sentences
 * (sentences.c); a window
 * is one sentence and the next.  Its evidence W is the IDF mass of the
 * concepts matched inside it (each once, a form only inside one sentence);
 * the best window has the most.  Concepts matched only elsewhere in the
 * passage count REPLY_ELSEWHERE of their weight: the passage that answers
 * in one place beats the one that has the same words scattered over a page.
 * Confidence is that covered mass over the message's whole mass, less the
 * words evidence_wording finds to be only the reader's wording (plain
 * words no letter asked uses, when the window holds what the message is
 * about).
 *
 * Score.  bm25 itself, over concepts instead of words: each matched
 * concept adds idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen)),
 * times REPLY_ELSEWHERE when it is outside the best window.  Over concepts,
 * because bm25 over the raw OR of forms counts "Soviet", "Russia" and
 * "U.S.S.R." as three rare words where the reader wrote one.  Lengths are in
 * bytes (the mean from passage_stats): bm25 only needs their ratio.
 * REPLY_B is bm25's usual 0.75; REPLY_K1 is small (usual: 1.2) because a
 * question names each thing once and an answer need only hold it: with a
 * large k1 a passage saying "invader" three times beats the one that says
 * "invasion of Britain" once.  So coverage decides, and how often and how
 * densely a passage holds the words breaks what would be ties.  Nearness
 * (reply_near) is added to it: each two concepts matched in one sentence
 * add the lesser weight of the two, halved at REPLY_NEAR_SPAN tokens apart
 * ("the position of the Soviet troops at the front" answers "how is the
 * situation at the front?" before a passage naming the position in one
 * clause and a front in another).  A passage that holds the words of the
 * message in one phrase is speaking of what the message asks about; one
 * that holds them far apart may only share its vocabulary.  A message
 * addressing an author answers as that author: their passages that are
 * answers rank before everyone else's (when none is, the others still may
 * answer; and when none is over everyone's weights, it is ranked again as
 * "as AUTHOR" would: see reply_rank).  Exact ties keep bm25's order.
 * The first answer then goes before passages ranked above it that are
 * declined only for their confidence (reply_promote): a higher score that
 * is not enough of the message is no reason to refuse the question.
 *
 * Evidence.  Whether the best is an answer is judged on what matched, not
 * on one score: evidence.c has the rules and their why.  This file gives
 * it each concept's kind, df and place in the message (question.c says
 * which words name a thing), and the concepts of each best window.
 *
 * REPLY_K1, REPLY_ELSEWHERE and the thresholds are the tuned numbers, on
 * the shipped set and tests/fixtures/larger; the other relevance sets
 * (tests/relevance/) check them on letters not tuned on.  REPLY_RELATED was
 * set in issue 13 against all five sets; REPLY_UNSEEN (0.6 then) and
 * REPLY_MIN_TOPICAL with the evidence rules, against all six: every set
 * measures the same for REPLY_UNSEEN from 0.4 to 0.5 (0.45, the middle),
 * and for REPLY_MIN_TOPICAL only from about 0.38 to 0.42 (below, two
 * unanswerable questions of larger2 pass; above, blind2 refuses one more
 * answerable one), so the latter is the number to watch.  Since the
 * names-only rule (evidence.c), REPLY_MIN_TOPICAL is also the bar of a
 * window that matched only names.  REPLY_SENSES was set against the sets
 * other than the held-out blind4: 0.05 and 0.1 gain larger3 one question
 * (0.1 also blind3 one), 0.15 to 0.2 lose blind and larger2 one each,
 * 0.35 and above more.  REPLY_NEAR was set against the same sets: from
 * 0.8 to 1.3 (with REPLY_NEAR_SPAN 5; 1.0 with a span from 3 to 8) every
 * set measures the same, the shipped set and blind2 one question better,
 * none worse; 0.6 and below gain only blind2's.
 *
 * Excerpt.  Each result also names the bytes of the sentences of its best
 * window that hold a match: corpus_reply shows them, rather than the
 * passage's opening, when the passage is too long for one line.
 */
#include "reply.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "rank.h"
#include "evidence.h"
#include "question.h"
#include "searchq.h"
#include "sentences.h"
#include "stemmer.h"

#define REPLY_MAX_NGRAM 6   /* words of the longest alias tried */
#define REPLY_MAX_WORDS 128 /* words of a message looked at */
#define REPLY_PHRASE 256    /* bytes of a phrase given to people_lookup */
#define REPLY_ELSEWHERE 0.5 /* weight of matches outside the window */
#define REPLY_UNSEEN 0.45 /* an unseen plain word, of a seen one's weight */
#define REPLY_PREFIX_WORD 6 /* letters of word and stem for a prefix */
#define REPLY_RELATED 0.6   /* weight of a match through the concept table */
#define REPLY_MAX_RELATED 8 /* related stems looked at per word */
#define REPLY_SENSES 0.1    /* idf / (1 + this * ln senses): see "Weights" */
#define REPLY_K1 0.3        /* bm25 tf saturation: coverage first */
#define REPLY_B 0.75        /* bm25 length normalisation, the usual */
#define REPLY_PREFIX_CORPUS 50000 /* passages beyond which no prefix MATCH */
#define REPLY_SCAN 5000     /* rowids of the rarest concept's matches read */
#define REPLY_NEAR 1.0      /* weight of nearness, of a concept's idf */
#define REPLY_NEAR_SPAN 5.0 /* tokens apart at which nearness halves */
#define REPLY_NEAR_FAR 40   /* tokens apart beyond which it is nothing */

_Static_assert(REPLY_MAX_CONCEPTS <= 32, "concept sets are uint32_t masks");

/* --- the message as concepts -------------------------------------------- */

typedef struct {
    size_t first, ntok;     /* stems in Message.stems */
    bool prefix;            /* one stem, matching every longer stem */
    bool in_match;          /* used in FTS5 MATCH expressions */
    bool related;           /* from the concept table: weighs less */
    char fts[REPLY_PHRASE]; /* the form as an FTS5 phrase body */
    char loose[REPLY_PHRASE]; /* a phrase's rarest word, on a large corpus */
} Form;

typedef struct {
    size_t first_form, nforms;
    bool entity;
    PeopleEntity who;
    double idf;
} Concept;

typedef struct {
    Tokens stems; /* of every form */
    Form *forms;
    size_t nforms, capforms;
    Concept c[REPLY_MAX_CONCEPTS];
    /* What evidence.c judges of each concept; ev[i].df: the passages of
     * every author holding a form of c[i] (maybe estimated). */
    EvidenceConcept ev[REPLY_MAX_CONCEPTS];
    size_t n;
    double mass;           /* sum of the concepts' idf */
    double avglen;         /* mean bytes of a passage */
    long n_all;            /* passages of every author */
    bool no_prefix;        /* prefix forms only re-score: see reply_match */
    bool loose;            /* match phrases by their rarest word instead */
    bool lacking;          /* names a thing no letter holds */
    bool lacks_name;       /* names a place or a name no letter holds */
    const char *addressee; /* canonical person, or NULL */
    bool addressed_pass;   /* weighed as the addressee asked: reply_rank */
    const char *subject;   /* the one person named otherwise, or NULL */
    int nsubjects;         /* persons named otherwise */
} Message;

static void message_free(Message *m)
{
    stemmer_tokens_free(&m->stems);
    free(m->forms);
    memset(m, 0, sizeof *m);
}

/* Adds one form (text as the alias table or the tokenizer gave it) to the
 * concept being built, stemming it.  A form with no stem is skipped. */
static int message_add_form(Message *m, Stemmer *s, const char *text,
                            bool prefix)
{
    size_t before = m->stems.n, len = strlen(text);
    Form *f;

    if (len == 0 || len >= REPLY_PHRASE || strchr(text, '"'))
        return 0; /* '"' cannot occur: tokens have none */
    if (stemmer_run(s, STEMMER_PORTER, text, len, &m->stems) < 0)
        return -1;
    if (m->stems.n == before)
        return 0;
    if (array_grow(&m->forms, &m->capforms, m->nforms + 1, sizeof *m->forms) !=
        STATUS_OK)
        return -1;
    f = &m->forms[m->nforms++];
    f->first = before;
    f->ntok = m->stems.n - before;
    f->prefix = prefix && f->ntok == 1;
    f->related = false;
    f->in_match = true;
    memcpy(f->fts, text, len + 1);
    f->loose[0] = '\0';
    m->c[m->n].nforms++;
    return 0;
}

static bool message_has_stem(const Message *m, const char *stem)
{
    for (size_t i = 0; i < m->nforms; i++)
        if (m->forms[i].ntok == 1 && !m->forms[i].prefix &&
            strcmp(m->stems.v[m->forms[i].first].stem, stem) == 0)
            return true;
    return false;
}

static bool message_has_entity(const Message *m, PeopleEntity e)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->c[i].entity && m->c[i].who.kind == e.kind &&
            m->c[i].who.index == e.index)
            return true;
    return false;
}

/* Starts the next concept, its forms to follow (message_add_form):
 * NULL when the message has all it may hold. */
static Concept *message_concept_begin(Message *m, EvidenceConcept ev)
{
    if (m->n == REPLY_MAX_CONCEPTS)
        return NULL;
    Concept *c = &m->c[m->n];
    memset(c, 0, sizeof *c);
    c->first_form = m->nforms;
    m->ev[m->n] = ev;
    return c;
}

/* Keeps the concept begun when it got a form. */
static void message_concept_end(Message *m)
{
    if (m->c[m->n].nforms > 0)
        m->n++;
}

static int message_add_entity(Message *m, Stemmer *s, const People *al,
                              PeopleEntity e)
{
    if (message_has_entity(m, e))
        return 0;
    Concept *c = message_concept_begin(
        m, (EvidenceConcept){.kind = e.kind == PEOPLE_PERSON  ? EVIDENCE_PERSON
                                     : e.kind == PEOPLE_PLACE ? EVIDENCE_PLACE
                                                              : EVIDENCE_TERM});
    if (!c)
        return 0;
    c->entity = true;
    c->who = e;
    for (size_t i = 0; i < people_alias_count(al); i++) {
        PeopleEntity w;
        const char *form = people_alias(al, i, &w);
        if (w.kind == e.kind && w.index == e.index &&
            message_add_form(m, s, form, false) < 0)
            return -1;
    }
    message_concept_end(m);
    return 0;
}

/* The stem less its last letter, or "" when the word or the stem is short:
 * see the top of the file ("Stems"). */
static void message_prefix(const char *word, const char *stem, char *out,
                           size_t outsz)
{
    size_t sl = strlen(stem);
    out[0] = '\0';
    if (strlen(word) < REPLY_PREFIX_WORD || sl <= REPLY_PREFIX_WORD - 1 ||
        sl > outsz)
        return;
    memcpy(out, stem, sl - 1);
    out[sl - 1] = '\0';
}

/* Adds a stem (not a word) as a form of the concept being built: the cut
 * stem of a word as a prefix form, or a stem of the letters the concept
 * table relates the word to.  A stem is not stemmed again ("against" cuts
 * to "agains", which porter would make "again" and so match "again").
 * FTS5 stems the terms of a query, so the form goes into MATCH expressions
 * only when porter leaves it as it is; otherwise the other forms propose
 * the candidates and this one only re-scores them. */
static int message_add_stem(Message *m, Stemmer *s, const char *stem,
                            bool prefix, bool related)
{
    Tokens again = {0};
    size_t len = strlen(stem), before = m->stems.n;
    Form *f;
    int rc = -1;

    if (len == 0 || len >= REPLY_PHRASE || len >= STEMMER_STEM ||
        strchr(stem, '"'))
        return 0;
    if (stemmer_run(s, STEMMER_PORTER, stem, len, &again) < 0)
        goto done;
    if (stemmer_tokens_push(&m->stems, stem, (int)len, 0, (int)len) < 0 ||
        array_grow(&m->forms, &m->capforms, m->nforms + 1, sizeof *m->forms) !=
            STATUS_OK) {
        m->stems.n = before;
        goto done;
    }
    f = &m->forms[m->nforms++];
    f->first = before;
    f->ntok = 1;
    f->prefix = prefix;
    f->related = related;
    f->in_match = again.n == 1 && strcmp(again.v[0].stem, stem) == 0;
    memcpy(f->fts, stem, len + 1);
    f->loose[0] = '\0';
    m->c[m->n].nforms++;
    rc = 0;
done:
    stemmer_tokens_free(&again);
    return rc;
}

/* Adds the stems the concept table relates stem to (see concepts.c), as
 * weaker forms of the concept being built.  No table: none. */
static int message_add_related(Message *m, Stemmer *s, sqlite3_stmt *related,
                               const char *stem)
{
    int n = 0, step;
    if (!related)
        return 0;
    sqlite3_reset(related);
    sqlite3_bind_text(related, 1, stem, -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(related)) == SQLITE_ROW &&
           n < REPLY_MAX_RELATED) {
        const char *t = (const char *)sqlite3_column_text(related, 0);
        if (!t || message_has_stem(m, t))
            continue;
        if (message_add_stem(m, s, t, false, true) < 0)
            return -1;
        n++;
    }
    sqlite3_reset(related);
    return 0;
}

/* Stems word into one (emptied first): 1 when it is one stem the message
 * has no form of yet, 0 when it is not, -1 on error. */
static int message_new_stem(const Message *m, Stemmer *s, const char *word,
                            Tokens *one)
{
    one->n = 0;
    if (stemmer_run(s, STEMMER_PORTER, word, strlen(word), one) < 0)
        return -1;
    return one->n == 1 && !message_has_stem(m, one->v[0].stem);
}

static int message_add_word(Message *m, Stemmer *s, sqlite3_stmt *related,
                            const char *word, bool named, bool modifier,
                            bool thing, bool tail)
{
    Tokens one = {0};
    char prefix[STEMMER_STEM];
    int rc = 0;

    if (m->n == REPLY_MAX_CONCEPTS)
        return 0;
    int fresh = message_new_stem(m, s, word, &one);
    if (fresh <= 0) { /* a word of one stem, once */
        rc = fresh;
        goto done;
    }
    message_concept_begin(m, (EvidenceConcept){.kind = EVIDENCE_WORD,
                                               .named = named,
                                               .modifier = modifier,
                                               .thing = thing,
                                               .tail = tail});
    if (message_add_form(m, s, word, false) < 0) {
        rc = -1;
        goto done;
    }
    message_prefix(word, one.v[0].stem, prefix, sizeof prefix);
    if (prefix[0] && message_add_stem(m, s, prefix, true, false) < 0) {
        rc = -1;
        goto done;
    }
    /* The table is keyed by the stems of WordNet's lemmas; a derived word
     * whose cut stem is one ("Scandinavian", "scandinavia") relates as
     * that lemma does: its prefix form already stands for the same word
     * ("Scandinavia" finds the Norway of the letters). */
    if (message_add_related(m, s, related, one.v[0].stem) < 0 ||
        (prefix[0] && message_add_related(m, s, related, prefix) < 0)) {
        rc = -1;
        goto done;
    }
    message_concept_end(m);
done:
    stemmer_tokens_free(&one);
    return rc;
}

/* A reader's courtesy (question_courtesy: "congrats", "many thanks") as
 * one concept whose forms are every word of its class, each a direct
 * match: the letters' courtesy passages answer it in their own words
 * ("Please accept my congratulations").  Once per class. */
static int message_add_courtesy(Message *m, Stemmer *s, int cls)
{
    Tokens one = {0};
    const char *cw;
    int rc = 0;

    if (!message_concept_begin(
            m, (EvidenceConcept){.kind = EVIDENCE_WORD, .courtesy = true}))
        return 0;
    for (size_t j = 0; (cw = question_courtesy_word(cls, j)) != NULL; j++) {
        int fresh = message_new_stem(m, s, cw, &one);
        if (fresh < 0) {
            rc = -1;
            goto done;
        }
        if (!fresh)
            continue; /* another word of the class stems alike */
        if (message_add_form(m, s, cw, false) < 0) {
            rc = -1;
            goto done;
        }
    }
    message_concept_end(m);
done:
    stemmer_tokens_free(&one);
    return rc;
}

static int message_build(Message *m, Stemmer *s, sqlite3_stmt *related,
                         const People *al, const char *msg)
{
    Tokens w = {0};
    char phrase[REPLY_PHRASE];
    bool place[REPLY_MAX_WORDS] = {false}; /* the words of a place named */
    size_t thing_at = SIZE_MAX - 1; /* the word of the last thing added */
    int rc = -1;

    memset(m, 0, sizeof *m);
    if (stemmer_run(s, STEMMER_WORDS, msg, strlen(msg), &w) < 0)
        goto done;
    if (w.n > REPLY_MAX_WORDS)
        w.n = REPLY_MAX_WORDS;
    for (size_t i = 0; i < w.n && m->n < REPLY_MAX_CONCEPTS;) {
        const char *word = w.v[i].stem;
        /* "don't", "I'm", "we'll": function words; "Hitler's": Hitler. */
        if (question_apostrophe(msg, &w, i)) {
            if (strcmp(w.v[i + 1].stem, "s") != 0) {
                i += 2;
                continue;
            }
        }
        size_t used = 0;
        for (size_t len = REPLY_MAX_NGRAM; len > 0 && !used && al; len--) {
            size_t j = i + len - 1;
            if (j >= w.n)
                continue;
            size_t plen = (size_t)(w.v[j].end - w.v[i].start);
            if (len == 1 && (searchq_is_stopword(word, strlen(word)) ||
                             question_is_chatter(word)))
                break;
            if (plen >= sizeof phrase)
                continue;
            memcpy(phrase, msg + w.v[i].start, plen);
            phrase[plen] = '\0';
            PeopleEntity e;
            if (!people_lookup(al, phrase, &e))
                continue;
            used = len;
            bool adjective = e.kind == PEOPLE_PLACE &&
                             question_adjective(w.v[j].stem);
            for (size_t k = i; adjective && k <= j; k++)
                place[k] = true;
            if (e.kind == PEOPLE_PERSON && question_vocative(msg, &w, i, j)) {
                m->addressee = people_name(al, e.index);
            } else if (message_add_entity(m, s, al, e) < 0) {
                goto done;
            } else if (e.kind == PEOPLE_PERSON) {
                const char *who = people_name(al, e.index);
                if (!m->subject || strcmp(m->subject, who) != 0)
                    m->nsubjects++;
                m->subject = who;
            }
        }
        if (used) {
            i += used;
            continue;
        }
        /* "many thanks", "good luck": the courtesy, once per class. */
        if (i + 1 < w.n && question_is_warm(word) &&
            question_courtesy(w.v[i + 1].stem)) {
            i++;
            continue;
        }
        int courtesy = question_courtesy(word);
        if (courtesy) {
            bool had = false;
            for (size_t k = 0; k < m->n; k++)
                had |= m->ev[k].courtesy &&
                       question_courtesy(m->forms[m->c[k].first_form].fts) ==
                           courtesy;
            if (!had && message_add_courtesy(m, s, courtesy) < 0)
                goto done;
            i++;
            continue;
        }
        size_t wl = strlen(word);
        if (wl >= 2 && !searchq_is_stopword(word, wl) &&
            !question_is_chatter(word)) {
            bool thing = question_thing(msg, &w, place, i);
            size_t before = m->n;
            if (message_add_word(m, s, related, word,
                                 question_named(msg, &w, i),
                                 i + 1 < w.n && question_named(msg, &w, i + 1),
                                 thing, thing_at + 1 == i && i > 0) < 0)
                goto done;
            /* A capitalised thing is a name, itself the noun ("will the
             * Allies sit together?"): the word after it is no part of its
             * phrase, unless it is a place's adjective ("the Persian oil"). */
            if (thing && m->n > before &&
                (!question_named(msg, &w, i) || question_adjective(word)))
                thing_at = i;
        }
        i++;
    }
    rc = 0;
done:
    stemmer_tokens_free(&w);
    return rc;
}

/* --- SQL ------------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
} Buf;

static int buf_add(Buf *b, const char *a, const char *c, const char *d)
{
    const char *parts[3] = {a, c, d};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        if (array_grow(&b->s, &b->cap, b->len + l + 1, 1) != STATUS_OK)
            return -1;
        memcpy(b->s + b->len, parts[i], l + 1);
        b->len += l;
    }
    return 0;
}

/* "f1" OR "f2" ... for the forms [first, first+n). Every form holds only
 * tokenizer output, never '"', so each is one FTS5 string. */
static int reply_match_add(const Message *m, size_t first, size_t n, Buf *b)
{
    size_t start = b->len;
    for (size_t i = first; i < first + n; i++)
        if (m->forms[i].in_match && !(m->forms[i].prefix && m->no_prefix) &&
            buf_add(b, b->len > start ? " OR \"" : "\"",
                    m->loose && m->forms[i].loose[0] ? m->forms[i].loose
                                                     : m->forms[i].fts,
                    m->forms[i].prefix ? "\" *" : "\"") < 0)
            return -1;
    return 0;
}

static int reply_match(const Message *m, size_t first, size_t n, Buf *b)
{
    b->len = 0;
    if (buf_add(b, "", "", "") < 0) /* "" rather than NULL when empty */
        return -1;
    return reply_match_add(m, first, n, b);
}

/* N and the mean passage length in bytes, of every passage or of one
 * author's: from the passage_stats table the importer keeps (one row per
 * sender, '' for all), so a message costs no scan of the passages.  A
 * database without the row (imported before the table existed) is counted
 * the slow way. */
static int reply_stats(sqlite3 *db, const char *sender, long *n, double *avglen,
                       Error *err)
{
    static const char cached[] =
        "SELECT n, total_len FROM passage_stats WHERE sender = ?1";
    static const char slow[] =
        "SELECT count(*), total(length(p.shown)) FROM passages p"
        " JOIN letters l ON l.id = p.letter_id"
        " WHERE ?1 = '' OR l.sender = ?1";
    sqlite3_stmt *st = NULL;
    const char *key = sender ? sender : "";
    int rc = -1;

    for (int pass = 0; pass < 2 && rc < 0; pass++) {
        if (sqlite3_prepare_v2(db, pass ? slow : cached, -1, &st, NULL) !=
            SQLITE_OK) {
            st = NULL;
            if (pass)
                break;
            continue; /* no passage_stats table: an older database */
        }
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *n = (long)sqlite3_column_int64(st, 0);
            double total = sqlite3_column_double(st, 1);
            *avglen = *n > 0 ? total / (double)*n : 1;
            rc = 0;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc < 0)
        error_set(err, STATUS_ERROR, "reply: counting: %s", sqlite3_errmsg(db));
    return rc;
}

/* Counts the passages matching match (and of sender, when given) in rowid
 * order up to rowid last, stopping at cap: *count <= cap, and *cut is the
 * rowid of the last one counted (0 when none).  So a rare concept costs its few matches and a
 * common one at most cap, however large the corpus. */
static int reply_count_bounded(sqlite3_stmt *st, const char *match,
                               const char *sender, long cap,
                               sqlite3_int64 last, long *count,
                               sqlite3_int64 *cut)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cap);
    sqlite3_bind_int64(st, 4, last);
    if (sender)
        sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    *count = (long)sqlite3_column_int64(st, 0);
    if (cut)
        *cut = sqlite3_column_int64(st, 1);
    return 0;
}

/* The passages holding any form of the concept, of every author (*all) and
 * of sender's (*mine; = *all without a sender).  Exact below REPLY_DF_EXACT;
 * above it, estimated from how far into the rowids the REPLY_DF_EXACT-th
 * match lies (matches spread like the passages: a word in one passage of
 * ten reaches its 500th match a tenth of the way in), and the author's
 * share in proportion to their passages.  An estimate moves a common word's
 * small weight a little; an exact count would read its whole doclist, which
 * at a million passages is the cost of the answer many times over. */
static int reply_df(sqlite3_stmt *const st[2], const char *match,
                    const char *sender, long n_all, long n_mine,
                    sqlite3_int64 minid, sqlite3_int64 maxid, long *all,
                    long *mine)
{
    sqlite3_int64 cut = 0;
    if (reply_count_bounded(st[0], match, NULL, REPLY_DF_EXACT, INT64_MAX, all,
                            &cut) < 0)
        return -1;
    if (*all >= REPLY_DF_EXACT && cut >= minid && maxid > minid) {
        double span = (double)(maxid - minid + 1);
        double est = (double)*all * span / (double)(cut - minid + 1);
        *all = est > (double)n_all ? n_all : (long)est;
    }
    *mine = *all;
    if (!sender || *all == 0)
        return 0;
    if (*all < REPLY_DF_EXACT) /* a join per match, at most REPLY_DF_EXACT */
        return reply_count_bounded(st[1], match, sender, REPLY_DF_EXACT,
                                   INT64_MAX, mine, NULL);
    *mine = n_all > 0 ? (long)((double)*all * (double)n_mine / (double)n_all)
                      : 0;
    return 0;
}

/* The rarest word of a phrase form, into f->loose: on a large corpus a
 * phrase of common words ("second front") is counted and windowed by it,
 * since FTS5 finds a rare phrase of common words only by reading both
 * words' whole doclists.  Its df then errs high (the weight low). */
static int reply_loosest(sqlite3_stmt *count, Form *f, long n_all,
                         sqlite3_int64 minid, sqlite3_int64 maxid)
{
    char words[REPLY_PHRASE], q[REPLY_PHRASE + 3];
    long best = -1;
    memcpy(words, f->fts, sizeof words);
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        long got = 0;
        sqlite3_int64 cut = 0;
        snprintf(q, sizeof q, "\"%s\"", w);
        if (reply_count_bounded(count, q, NULL, REPLY_DF_EXACT, INT64_MAX,
                                &got, &cut) < 0)
            return -1;
        if (got >= REPLY_DF_EXACT && cut >= minid && maxid > minid)
            got = (long)((double)got * (double)(maxid - minid + 1) /
                         (double)(cut - minid + 1));
        if (got > n_all)
            got = n_all;
        if (best < 0 || got < best) {
            best = got;
            snprintf(f->loose, sizeof f->loose, "%s", w);
        }
    }
    return 0;
}

/* The span of passage ids, for reply_df's estimate.  Two subqueries: one
 * SELECT of both would scan the table instead of reading its two ends. */
static int reply_ids(sqlite3 *db, sqlite3_int64 *minid, sqlite3_int64 *maxid)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT min(id) FROM passages),"
                           " (SELECT max(id) FROM passages)", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *minid = sqlite3_column_int64(st, 0);
        *maxid = sqlite3_column_int64(st, 1);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* What a plain word's idf is divided by: 1 + REPLY_SENSES * ln(senses),
 * senses being WordNet's count for the word (the word_senses table, see
 * concepts.c; 1 when it has none).  On a corpus of a few dozen passages
 * "made", "stand" or "light" occur once, as rarely as "bloodbath" or
 * "pact", and weighed as much: a passage sharing only the reader's
 * everyday verb then beat, or tied on length with, the one sharing the
 * thing asked about; and a question whose verb the letters word otherwise
 * lost that verb's large weight from its confidence.  A word of many
 * senses says less about which passage is meant, whatever its df; the
 * logarithm keeps the step small (52 senses: / 1.4).  Names are never
 * divided: they name one thing; nor is the word after an article (a
 * thing, question.h): the reader named it as what the message is about,
 * in the one sense the article gives it, and the evidence rules weigh it
 * against names ("the weather on Thursday"). */
static double reply_generality(sqlite3_stmt *senses, const char *stem)
{
    double g = 1.0;
    if (!senses)
        return g; /* an older database: every word as its df says */
    sqlite3_reset(senses);
    sqlite3_bind_text(senses, 1, stem, -1, SQLITE_STATIC);
    if (sqlite3_step(senses) == SQLITE_ROW) {
        int k = sqlite3_column_int(senses, 0);
        if (k > 1)
            g += REPLY_SENSES * log((double)k);
    }
    sqlite3_reset(senses);
    return g;
}

static int message_weigh(Message *m, sqlite3 *db, const char *sender, Buf *b,
                         Error *err)
{
    static const char *const sql[2] = {
        "SELECT count(*), max(r) FROM (SELECT rowid AS r FROM passages_fts"
        " WHERE passages_fts MATCH ?1 AND rowid <= ?4 AND ?3 IS NULL"
        " ORDER BY rowid LIMIT ?2)",
        "SELECT count(*), 0 FROM (SELECT 1 FROM passages_fts"
        " JOIN passages p ON p.id = passages_fts.rowid"
        " JOIN letters l ON l.id = p.letter_id"
        " WHERE passages_fts MATCH ?1 AND passages_fts.rowid <= ?4"
        " AND l.sender = ?3 LIMIT ?2)"};
    sqlite3_stmt *st[2] = {NULL, NULL}, *senses = NULL;
    sqlite3_int64 minid = 0, maxid = 0;
    long N = 0, all = 0, df = 0;
    double avg_all = 0;
    double seen = 0;
    size_t nseen = 0;
    bool lacks[REPLY_MAX_CONCEPTS] = {false};
    int rc = -1;

    /* "as AUTHOR": the author's passages are the corpus asked, so the
     * weights are theirs; whether the letters lack a word is still judged
     * over all of them. */
    if (reply_stats(db, NULL, &m->n_all, &avg_all, err) < 0 ||
        reply_stats(db, sender, &N, &m->avglen, err) < 0)
        return -1;
    if (reply_ids(db, &minid, &maxid) < 0)
        goto sqlfail;
    /* FTS5 answers a prefix query by merging the whole doclist of every
     * term it covers, before the first row: on a large corpus the cut
     * stem's forms ("occup" *) only re-score the candidates. */
    m->no_prefix = m->n_all > REPLY_PREFIX_CORPUS;
    for (int k = 0; k < (sender ? 2 : 1); k++)
        if (sqlite3_prepare_v2(db, sql[k], -1, &st[k], NULL) != SQLITE_OK)
            goto sqlfail;
    if (sqlite3_prepare_v2(db, "SELECT senses FROM word_senses WHERE stem = ?1",
                           -1, &senses, NULL) != SQLITE_OK)
        senses = NULL;
    for (size_t f = 0; m->no_prefix && f < m->nforms; f++)
        if (m->forms[f].in_match && m->forms[f].ntok > 1 &&
            reply_loosest(st[0], &m->forms[f], m->n_all, minid, maxid) < 0)
            goto sqlfail;
    m->loose = m->no_prefix;
    for (size_t i = 0; i < m->n; i++) {
        Concept *c = &m->c[i];
        if (reply_match(m, c->first_form, c->nforms, b) < 0) {
            error_set(err, STATUS_ERROR, "reply: out of memory");
            goto done;
        }
        if (reply_df(st, b->s, sender, m->n_all, N, minid, maxid, &all, &df) <
            0)
            goto sqlfail;
        if (df > N)
            df = N;
        m->ev[i].df = all;
        m->ev[i].seen = df > 0;
        /* Asked as whom the message addresses (reply_rank): only a name
         * they never use is the reader's side's context, which their
         * answer need not repeat; a plain word they never use weighs as
         * over everyone's passages, so that their passage answers only
         * what they wrote of. */
        if (m->addressed_pass && df == 0 && all > 0 &&
            m->ev[i].kind == EVIDENCE_WORD && !m->ev[i].named) {
            m->ev[i].seen = true;
            df = all * N / (m->n_all > 0 ? m->n_all : 1);
        }
        c->idf = log(1.0 + ((double)(N - df) + 0.5) / ((double)df + 0.5));
        if (m->ev[i].kind == EVIDENCE_WORD && !m->ev[i].named &&
            !m->ev[i].thing)
            c->idf /= reply_generality(
                senses, m->stems.v[m->forms[c->first_form].first].stem);
        if (m->ev[i].seen) {
            seen += c->idf;
            nseen++;
        }
    }
    evidence_lacks(m->ev, m->n, lacks, &m->lacking, &m->lacks_name);
    /* A plain word the letters never use may be the reader's own word for
     * theirs (and a word the author asked never uses, the other author's):
     * it weighs REPLY_UNSEEN of the mean of the words they do use, not the
     * idf of df = 0, which on a small corpus let two paraphrased words
     * outweigh every matched one.  A name the letters lack keeps the full
     * weight: the message is about what the letters lack. */
    m->mass = 0;
    for (size_t i = 0; i < m->n; i++) {
        Concept *c = &m->c[i];
        if (!m->ev[i].seen && !lacks[i])
            c->idf = REPLY_UNSEEN * (nseen ? seen / (double)nseen : c->idf);
        /* A courtesy the letters (or the author asked) never word is the
         * reader's manner, not a topic they lack: "good luck to your
         * brave soldiers" asks of the soldiers. */
        if (!m->ev[i].seen && m->ev[i].courtesy)
            c->idf = 0;
        m->mass += c->idf;
    }
    rc = 0;
    goto done;
sqlfail:
    error_set(err, STATUS_ERROR, "reply: counting: %s", sqlite3_errmsg(db));
done:
    m->loose = false;
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    sqlite3_finalize(senses);
    return rc;
}

/* The weight of the concepts in set; those not in direct (matched only
 * through the concept table) count REPLY_RELATED of theirs. */
static double reply_mass(const Message *m, uint32_t set, uint32_t direct)
{
    double s = 0;
    for (size_t i = 0; i < m->n; i++)
        if (set & (UINT32_C(1) << i))
            s += m->c[i].idf *
                 ((direct & (UINT32_C(1) << i)) ? 1 : REPLY_RELATED);
    return s;
}

typedef struct {
    ReplyResult r;
    bool addressed; /* an answer by whom the message addresses */
    bool unsure;    /* declined for its confidence alone: evidence.h */
    size_t order;   /* bm25 rank among the candidates */
} Scored;

typedef struct {
    size_t first, last; /* tokens of the matched form */
    size_t concept;
    bool related;       /* through the concept table */
} Occurrence;

/* Nearness (see "Score"): each two concepts matched in one sentence add
 * the lesser of their weights times 1 / (1 + d / REPLY_NEAR_SPAN), d being
 * the fewest tokens between them (1: adjacent), REPLY_RELATED of it when
 * either is matched only through the concept table there.  occ is in text
 * order; pairs further apart than REPLY_NEAR_FAR tokens add nothing, which
 * also bounds the work in a long sentence. */
static double reply_near(const Message *m, const Occurrence *occ, size_t nocc,
                         const int *sent)
{
    double gain[REPLY_MAX_CONCEPTS][REPLY_MAX_CONCEPTS] = {{0}};
    double near = 0;

    for (size_t o = 0; o < nocc; o++)
        for (size_t p = o + 1; p < nocc; p++) {
            size_t a = occ[o].concept, b = occ[p].concept;
            if (sent[occ[p].first] != sent[occ[o].first] ||
                occ[p].first > occ[o].last + REPLY_NEAR_FAR)
                break;
            if (a == b || occ[p].first <= occ[o].last)
                continue; /* one concept, or overlapping forms */
            double w = m->c[a].idf < m->c[b].idf ? m->c[a].idf : m->c[b].idf;
            w /= 1.0 + (double)(occ[p].first - occ[o].last) / REPLY_NEAR_SPAN;
            if (occ[o].related || occ[p].related)
                w *= REPLY_RELATED;
            if (w > gain[a][b])
                gain[a][b] = gain[b][a] = w;
        }
    for (size_t a = 0; a < m->n; a++)
        for (size_t b = a + 1; b < m->n; b++) near += gain[a][b];
    return near;
}

/* Scores one candidate passage (see the top of the file). */
static int reply_score(const Message *m, Stemmer *s, const char *text,
                       const char *sender, Scored *out)
{
    Tokens t = {0};
    int *sent = NULL, nsent = 0, rc = -1;
    uint32_t *mask = NULL, *direct; /* per sentence, +1: a 0 at the end */
    Occurrence *occ = NULL;
    size_t nocc = 0, capocc = 0;

    if (stemmer_run(s, STEMMER_PORTER, text, strlen(text), &t) < 0)
        goto done;
    if (!(sent = calloc(t.n + 1, sizeof *sent)))
        goto done;
    sentences_split(text, &t, sent, &nsent);
    if (!(mask = calloc(2 * ((size_t)nsent + 1), sizeof *mask)))
        goto done;
    direct = mask + nsent + 1;
    /* Token-major, so the occurrences come out in text order. */
    for (size_t i = 0; i < t.n; i++) {
        for (size_t c = 0; c < m->n; c++) {
            for (size_t f = m->c[c].first_form;
                 f < m->c[c].first_form + m->c[c].nforms; f++) {
                const Form *fm = &m->forms[f];
                size_t k = 0;
                if (i + fm->ntok > t.n)
                    continue;
                if (fm->prefix) {
                    const char *p = m->stems.v[fm->first].stem;
                    size_t pl = strlen(p);
                    k = strncmp(t.v[i].stem, p, pl) == 0 &&
                        strlen(t.v[i].stem) <= pl + 1;
                }
                while (!fm->prefix && k < fm->ntok &&
                       strcmp(t.v[i + k].stem,
                              m->stems.v[fm->first + k].stem) == 0)
                    k++;
                if (k < fm->ntok || sent[i] != sent[i + k - 1])
                    continue;
                mask[sent[i]] |= UINT32_C(1) << c;
                if (!fm->related)
                    direct[sent[i]] |= UINT32_C(1) << c;
                if (array_grow(&occ, &capocc, nocc + 1, sizeof *occ) !=
                    STATUS_OK)
                    goto done;
                occ[nocc++] = (Occurrence){i, i + k - 1, c, fm->related};
            }
        }
    }
    /* The best window: the most weight in two neighbouring sentences. */
    uint32_t all = 0, all_direct = 0, win = 0;
    double best = 0;
    int at = 0;
    for (int i = 0; i < nsent; i++) {
        uint32_t set = mask[i] | mask[i + 1]; /* mask[nsent] is 0 */
        double w = reply_mass(m, set, direct[i] | direct[i + 1]);
        all |= mask[i];
        all_direct |= direct[i];
        if (w > best + 1e-9) {
            best = w;
            win = set;
            at = i;
        }
    }
    sentences_excerpt(text, &t, sent, nsent, mask[at] ? at : at + 1,
                      mask[at + 1] ? at + 1 : at, &out->r.excerpt_start,
                      &out->r.excerpt_end);
    double cover =
        best + REPLY_ELSEWHERE * (reply_mass(m, all, all_direct) - best);
    /* Words the reader used for what the window says otherwise leave the
     * message's mass (evidence_wording says when). */
    double mass = m->mass;
    uint32_t wording =
        evidence_wording(m->ev, m->n, win, m->lacking, m->lacks_name);
    for (size_t c = 0; c < m->n; c++)
        if (wording >> c & 1)
            mass -= m->c[c].idf;
    out->r.evidence = best;
    out->r.confidence = mass > 1e-9 ? cover / mass : 0;
    if (out->r.confidence > 1)
        out->r.confidence = 1;
    out->r.lacking = m->lacking;
    out->r.lacks_name = m->lacks_name;
    evidence_window(m->ev, m->n, win, &out->r.topical, &out->r.content,
                    &out->r.names_only);

    /* bm25 over concepts: an occurrence overlapping the previous one of the
     * same concept ("Soviet Union" and "Soviet") counts once. */
    double tf[REPLY_MAX_CONCEPTS] = {0};
    size_t end[REPLY_MAX_CONCEPTS];
    for (size_t c = 0; c < m->n; c++) end[c] = SIZE_MAX;
    for (size_t o = 0; o < nocc; o++) {
        size_t c = occ[o].concept;
        if (end[c] != SIZE_MAX && occ[o].first <= end[c])
            continue;
        tf[c]++;
        end[c] = occ[o].last;
    }
    double len = m->avglen > 0 ? (double)strlen(text) / m->avglen : 1;
    double norm = REPLY_K1 * (1 - REPLY_B + REPLY_B * len), score = 0;
    for (size_t c = 0; c < m->n; c++)
        if (tf[c] > 0)
            score += m->c[c].idf * tf[c] * (REPLY_K1 + 1) / (tf[c] + norm) *
                     ((win >> c & 1) ? 1 : REPLY_ELSEWHERE) *
                     ((all_direct >> c & 1) ? 1 : REPLY_RELATED);
    out->r.score = score + REPLY_NEAR * reply_near(m, occ, nocc, sent);
    /* "Uncle Joe, ...": Stalin answers, if he has an answer. */
    out->unsure = evidence_only_unsure(&out->r);
    out->addressed = m->addressee && strcmp(sender, m->addressee) == 0 &&
                     reply_is_answer(&out->r);
    rc = 0;
done:
    stemmer_tokens_free(&t);
    free(sent);
    free(mask);
    free(occ);
    return rc;
}

static int reply_cmp(const void *a, const void *b)
{
    const Scored *x = a, *y = b;
    if (x->addressed != y->addressed)
        return x->addressed ? -1 : 1;
    if (x->r.score != y->r.score)
        return x->r.score < y->r.score ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The first answer of the ranking goes first when every passage ranked
 * above it is declined for its confidence alone (evidence_only_unsure):
 * their score counted words the evidence found wanting, and a passage that
 * holds more of the message's words but not enough of them is no reason
 * to refuse the question that the next one answers.  Not past a passage
 * declined by evidence (only names matched, a thing the letters lack):
 * that says the letters do not answer, wherever an answer seems to be.
 * Only the first answer moves: the rest keep bm25's order. */
static void reply_promote(Scored *sc, size_t n)
{
    size_t i = 0;
    while (i < n && sc[i].unsure) i++;
    if (i == 0 || i == n || !reply_is_answer(&sc[i].r))
        return;
    Scored first = sc[i];
    memmove(sc + 1, sc, i * sizeof *sc);
    sc[0] = first;
}

/* --- the pool's own ranking, inside FTS5 --------------------------------- */

/* Per phrase of the MATCH expression, in its order: the concept it is a form
 * of (-1: a phrase that only selects) and whether it is a related form. */
typedef struct {
    int concept;
    bool related;
} PhraseWeight;

typedef struct {
    const Message *m;
    PhraseWeight *p;
    size_t n, cap;
} RankWeights;

#define REPLY_RANK_FN "missive_reply_rank"
#define REPLY_RANK_PTR "missive_reply_weights"

static int weights_add(RankWeights *w, const Message *m, size_t first,
                       size_t n, int concept)
{
    for (size_t i = first; i < first + n; i++) {
        if (!m->forms[i].in_match || (m->forms[i].prefix && m->no_prefix))
            continue;
        if (array_grow(&w->p, &w->cap, w->n + 1, sizeof *w->p) != STATUS_OK)
            return -1;
        w->p[w->n++] = (PhraseWeight){concept, m->forms[i].related};
    }
    return 0;
}

/* bm25 over concepts (as reply_score, without the window) from the
 * index's positions and sizes alone.  FTS5's own bm25 first reads the whole
 * doclist of every phrase to count its rows: at a million passages, for a
 * common word, that alone is more than the answer's budget; the concepts'
 * weights are known already. */
static void reply_fts_rank(const Fts5ExtensionApi *api, Fts5Context *fts,
                           sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    const RankWeights *w =
        nval == 1 ? sqlite3_value_pointer(val[0], REPLY_RANK_PTR) : NULL;
    double direct[REPLY_MAX_CONCEPTS] = {0}, related[REPLY_MAX_CONCEPTS] = {0};
    int ninst = 0, len = 0;
    sqlite3_int64 rows = 0, total = 0;

    if (!w) {
        sqlite3_result_error(ctx, REPLY_RANK_FN ": no weights", -1);
        return;
    }
    if (api->xInstCount(fts, &ninst) != SQLITE_OK ||
        api->xColumnSize(fts, -1, &len) != SQLITE_OK ||
        api->xRowCount(fts, &rows) != SQLITE_OK ||
        api->xColumnTotalSize(fts, -1, &total) != SQLITE_OK) {
        sqlite3_result_error(ctx, REPLY_RANK_FN ": index", -1);
        return;
    }
    for (int i = 0; i < ninst; i++) {
        int ph, col, off;
        if (api->xInst(fts, i, &ph, &col, &off) != SQLITE_OK || ph < 0 ||
            (size_t)ph >= w->n || w->p[ph].concept < 0)
            continue;
        (w->p[ph].related ? related : direct)[w->p[ph].concept]++;
    }
    double avg = rows > 0 && total > 0 ? (double)total / (double)rows : 1;
    double norm = REPLY_K1 * (1 - REPLY_B + REPLY_B * (double)len / avg);
    double score = 0;
    for (size_t c = 0; c < w->m->n; c++) {
        double tf = direct[c] + related[c];
        if (tf > 0)
            score += w->m->c[c].idf * tf * (REPLY_K1 + 1) / (tf + norm) *
                     (direct[c] > 0 ? 1 : REPLY_RELATED);
    }
    sqlite3_result_double(ctx, score);
}

/* Makes REPLY_RANK_FN known to the connection, once: FTS5 keeps every
 * registration until the connection closes. */
static int reply_rank_register(sqlite3 *db)
{
    sqlite3_stmt *probe = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT " REPLY_RANK_FN "(passages_fts, NULL)"
                           " FROM passages_fts WHERE 0",
                           -1, &probe, NULL) == SQLITE_OK) {
        sqlite3_finalize(probe);
        return 0;
    }
    fts5_api *api = rank_fts5(db);
    if (!api || api->xCreateFunction(api, REPLY_RANK_FN, NULL, reply_fts_rank,
                                     NULL) != SQLITE_OK)
        return -1;
    return 0;
}

/* --- candidates ---------------------------------------------------------- */

/* Appends "(" the forms of concepts order[0..k) joined by op ")". */
static int reply_join(const Message *m, const size_t *order, size_t k,
                      const char *op, Buf *b)
{
    for (size_t j = 0; j < k; j++) {
        const Concept *c = &m->c[order[j]];
        if (buf_add(b, j ? op : "", "(", "") < 0 ||
            reply_match_add(m, c->first_form, c->nforms, b) < 0 ||
            buf_add(b, ")", "", "") < 0)
            return -1;
    }
    return 0;
}

/* The MATCH expression that proposes candidates, and the last rowid
 * ranked (*cut; INT64_MAX: all).  See the top of the file ("Candidates").
 * Returns 0, -1 out of memory, -2 a database error. */
static int reply_candidates(Message *m, sqlite3_stmt *count, Buf *b,
                            sqlite3_int64 *cut, RankWeights *w)
{
    size_t order[REPLY_MAX_CONCEPTS], n = 0, k = 0;
    long total = 0, cum = 0, got = 0;
    Buf e = {0};
    int rc = -1;

    *cut = INT64_MAX;
    w->n = 0;
    /* On a large corpus a phrase proposes by its rarest word (see
     * reply_loosest); reply_score still checks the phrase itself. */
    m->loose = m->no_prefix;
    for (size_t i = 0; i < m->n; i++) {
        if (m->ev[i].df <= 0)
            continue;
        size_t j = n++; /* rarest first; ties keep the message's order */
        while (j > 0 && m->ev[order[j - 1]].df > m->ev[i].df) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
        total += m->ev[i].df;
    }
    if (n == 0 || total <= REPLY_POOL) { /* every match: as always */
        rc = reply_match(m, 0, m->nforms, b);
        goto done;
    }
    while (k < n && cum + m->ev[order[k]].df <= REPLY_POOL)
        cum += m->ev[order[k++]].df;
    if (buf_add(&e, "", "", "") < 0)
        goto done;
    if (k > 0) {
        if (reply_join(m, order, k, " OR ", &e) < 0)
            goto done;
    } else {
        /* Every concept common: the passages holding the rarest two, three,
         * ... together, until they fit; if even all of them together do not,
         * the first REPLY_POOL of those by rowid.  An AND of common words
         * with few matches would be read to the end of the index to find
         * that out: all of this looks only as far as the rarest concept's
         * REPLY_SCAN-th match (a sample in rowid order, the letters' order). */
        sqlite3_int64 win = INT64_MAX;
        e.len = 0;
        if (reply_join(m, order, 1, " AND ", &e) < 0)
            goto done;
        if (reply_count_bounded(count, e.s, NULL, REPLY_SCAN, INT64_MAX, &got,
                                &win) < 0) {
            rc = -2;
            goto done;
        }
        if (got < REPLY_SCAN)
            win = INT64_MAX;
        for (k = 1; k <= n; k++) {
            e.len = 0;
            if (reply_join(m, order, k, " AND ", &e) < 0)
                goto done;
            if (reply_count_bounded(count, e.s, NULL, REPLY_POOL, win, &got,
                                    cut) < 0) {
                rc = -2;
                goto done;
            }
            if (got < REPLY_POOL) {
                *cut = win;
                break;
            }
        }
    }
    /* Ranked over every concept, on the passages the rare ones chose: the
     * selecting phrases first, then one per form, in the weights' order. */
    if (k > n)
        k = n; /* the AND of all of them, cut at REPLY_POOL */
    for (size_t j = 0; j < k; j++) {
        const Concept *c = &m->c[order[j]];
        if (weights_add(w, m, c->first_form, c->nforms, -1) < 0)
            goto done;
    }
    b->len = 0;
    if (buf_add(b, "(", e.s, ") AND (") < 0)
        goto done;
    for (size_t i = 0, any = 0; i < m->n; i++) {
        const Concept *c = &m->c[i];
        size_t before = b->len;
        if (any && buf_add(b, " OR ", "", "") < 0)
            goto done;
        size_t mark = b->len;
        if (reply_match_add(m, c->first_form, c->nforms, b) < 0)
            goto done;
        if (b->len == mark) { /* no form in MATCH expressions */
            b->len = before;
            b->s[before] = '\0';
            continue;
        }
        any = 1;
        if (weights_add(w, m, c->first_form, c->nforms, (int)i) < 0)
            goto done;
    }
    if (buf_add(b, ")", "", "") < 0)
        goto done;
    rc = 1;
done:
    m->loose = false;
    free(e.s);
    return rc;
}

/* --- entry points --------------------------------------------------------- */

bool reply_is_answer(const ReplyResult *r)
{
    return evidence_is_answer(r);
}

/* One ranking of q's passages; *addressee: whom the message addresses
 * (canonical, an alias table's string), or NULL. */
static Status reply_rank_one(sqlite3 *db, const ReplyQuery *q,
                             ReplyResult *out, size_t max, size_t *n,
                             const char **addressee, bool addressed,
                             Error *err)
{
    static const char sql[] =
        /* Scored on the text the index read (footnote marks dropped). */
        "SELECT p.letter_id, p.para, coalesce(p.indexed, p.shown), l.sender"
        " FROM passages_fts"
        " JOIN passages p ON p.id = passages_fts.rowid"
        " JOIN letters l ON l.id = p.letter_id"
        " WHERE passages_fts MATCH ?1 AND passages_fts.rowid <= ?4"
        " AND (?2 IS NULL OR l.sender = ?2)"
        " ORDER BY passages_fts.rank, p.id LIMIT ?3";
    /* More matches than REPLY_POOL: ranked by REPLY_RANK_FN on the index
     * alone, and only the best REPLY_CANDIDATES passages are read. */
    static const char pooled[] =
        "SELECT p.letter_id, p.para, coalesce(p.indexed, p.shown), l.sender FROM"
        " (SELECT rowid AS id, " REPLY_RANK_FN "(passages_fts, ?5) AS s"
        "  FROM passages_fts"
        "  WHERE passages_fts MATCH ?1 AND passages_fts.rowid <= ?4"
        "  AND (?2 IS NULL OR (SELECT l2.sender FROM passages p2"
        "   JOIN letters l2 ON l2.id = p2.letter_id"
        "   WHERE p2.id = passages_fts.rowid) = ?2)"
        "  ORDER BY s DESC, id LIMIT ?3) f"
        " JOIN passages p ON p.id = f.id"
        " JOIN letters l ON l.id = p.letter_id"
        " ORDER BY f.s DESC, f.id";
    static const char count_sql[] =
        "SELECT count(*), max(r) FROM (SELECT rowid AS r FROM passages_fts"
        " WHERE passages_fts MATCH ?1 AND rowid <= ?4 AND ?3 IS NULL"
        " ORDER BY rowid LIMIT ?2)";
    Stemmer s;
    Message m;
    Buf b = {0};
    Scored *sc = NULL;
    size_t nsc = 0;
    sqlite3_stmt *st = NULL, *related = NULL, *count = NULL;
    sqlite3_int64 cut = INT64_MAX;
    RankWeights w = {0};
    Status rc = STATUS_ERROR;
    int step, got;

    *n = 0;
    if (stemmer_open(db, &s) < 0)
        return error_set(err, STATUS_ERROR,
                         "reply: no FTS5 porter tokenizer: %s",
                         sqlite3_errmsg(db));
    /* No concept table (an older database): words and aliases only. */
    if (sqlite3_prepare_v2(db, "SELECT target FROM concepts WHERE stem = ?1",
                           -1, &related, NULL) != SQLITE_OK)
        related = NULL;
    if (message_build(&m, &s, related, q->aliases,
                      q->message ? q->message : "") < 0)
        goto oom;
    *addressee = m.addressee ? m.addressee
                 : m.nsubjects == 1 ? m.subject : NULL;
    m.addressed_pass = addressed;
    if (m.n == 0) {
        rc = STATUS_OK;
        goto done;
    }
    if (message_weigh(&m, db, q->sender, &b, err) < 0)
        goto done;
    if (sqlite3_prepare_v2(db, count_sql, -1, &count, NULL) != SQLITE_OK)
        goto sqlfail;
    w.m = &m;
    if ((got = reply_candidates(&m, count, &b, &cut, &w)) == -2)
        goto sqlfail;
    if (got < 0 || !(sc = calloc(REPLY_CANDIDATES, sizeof *sc)))
        goto oom;
    if (got == 1 && reply_rank_register(db) < 0)
        goto sqlfail;
    if (sqlite3_prepare_v2(db, got == 1 ? pooled : sql, -1, &st, NULL) !=
        SQLITE_OK)
        goto sqlfail;
    if (got == 1)
        sqlite3_bind_pointer(st, 5, &w, REPLY_RANK_PTR, NULL);
    sqlite3_bind_text(st, 1, b.s, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, REPLY_CANDIDATES);
    sqlite3_bind_int64(st, 4, cut);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && nsc < REPLY_CANDIDATES) {
        const char *text = (const char *)sqlite3_column_text(st, 2);
        const char *sender = (const char *)sqlite3_column_text(st, 3);
        Scored *x = &sc[nsc];
        x->r.letter = sqlite3_column_int(st, 0);
        x->r.para = sqlite3_column_int(st, 1);
        x->order = nsc;
        if (reply_score(&m, &s, text ? text : "", sender ? sender : "", x) < 0)
            goto oom;
        nsc++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto sqlfail;
    qsort(sc, nsc, sizeof *sc, reply_cmp);
    reply_promote(sc, nsc);
    for (size_t i = 0; i < nsc && i < max; i++) out[(*n)++] = sc[i].r;
    rc = STATUS_OK;
    goto done;
oom:
    error_set(err, STATUS_ERROR, "reply: out of memory");
    goto done;
sqlfail:
    error_set(err, STATUS_ERROR, "reply: candidates: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    sqlite3_finalize(count);
    sqlite3_finalize(related);
    free(w.p);
    free(sc);
    free(b.s);
    message_free(&m);
    stemmer_close(&s);
    return rc;
}

/* "Uncle Joe, what do you think of the landing in Normandy?": the message
 * asks Stalin, so it is first asked as "as Stalin" would ask it, weighed
 * over his passages: his answer need not repeat the place the reader's
 * side named ("the landing on a large scale has been a brilliant
 * success"), which over every author's passages would weigh fully and
 * leave his own passage under the threshold, behind Churchill's report
 * of the landing.  When that ranking holds an answer, its answers come
 * first, then the rest of the ranking over everyone's passages; when it
 * holds none, the others answer as before; when the ranking over
 * everyone's passages already answers with one of theirs, it stands.  The
 * same for a message that names one correspondent otherwise ("why does
 * Stalin care whether Britain declares war?"): it asks what they wrote,
 * and their own passage answers it when one does.  A second ranking only
 * for messages that address or name one person. */
Status reply_rank(sqlite3 *db, const ReplyQuery *q, ReplyResult *out,
                  size_t max, size_t *n, Error *err)
{
    const char *addressee = NULL;
    ReplyResult *mine = NULL;
    size_t nmine = 0, k = 0;
    Status rc = reply_rank_one(db, q, out, max, n, &addressee, false, err);

    if (rc != STATUS_OK || q->sender || !addressee || max == 0)
        return rc;
    ReplyQuery as = *q;
    as.sender = addressee;
    /* Every candidate of theirs: whether the first answer is theirs is
     * looked up among them. */
    size_t cap = (max > REPLY_CANDIDATES ? max : REPLY_CANDIDATES) + max;
    if (!(mine = calloc(cap, sizeof *mine)))
        return error_set(err, STATUS_ERROR, "reply: out of memory");
    if ((rc = reply_rank_one(db, &as, mine, REPLY_CANDIDATES, &nmine,
                             &addressee, true, err)) != STATUS_OK)
        goto done;
    while (k < nmine && reply_is_answer(&mine[k]) &&
           mine[k].confidence >= REPLY_MIN_CONFIDENCE)
        k++;
    /* Already answered by the author over everyone's weights (reply_cmp
     * puts their answers first): that ranking stands. */
    for (size_t j = 0; k > 0 && *n > 0 && reply_is_answer(&out[0]) &&
                       j < nmine;
         j++)
        if (mine[j].letter == out[0].letter && mine[j].para == out[0].para)
            k = 0;
    if (k > max)
        k = max;
    if (k > 0) {
        /* The author's answers, then the rest not among them. */
        for (size_t i = 0; i < *n && k < max; i++) {
            bool dup = false;
            for (size_t j = 0; j < k && !dup; j++)
                dup = mine[j].letter == out[i].letter &&
                      mine[j].para == out[i].para;
            if (!dup)
                mine[k++] = out[i];
        }
        memcpy(out, mine, k * sizeof *out);
        *n = k;
    }
done:
    free(mine);
    return rc;
}

Status reply_best(sqlite3 *db, const ReplyQuery *q, ReplyResult *out,
                  Error *err)
{
    ReplyResult r[2];
    size_t n;
    Status rc = reply_rank(db, q, r, 2, &n, err);

    if (rc != STATUS_OK)
        return rc;
    if (n == 0 || !reply_is_answer(&r[0]))
        return STATUS_NOTFOUND;
    /* Variety: the same question twice in a row need not get the same
     * passage when another is nearly as good. */
    if (n == 2 && q->avoid_letter > 0 && r[0].letter == q->avoid_letter &&
        r[0].para == q->avoid_para && reply_is_answer(&r[1]) &&
        r[1].score >= REPLY_VARIETY * r[0].score) {
        *out = r[1];
        return STATUS_OK;
    }
    *out = r[0];
    return STATUS_OK;
}
