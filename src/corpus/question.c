/* question.c - what the words of a message to the bot are (see question.h).
 *
 * Position and punctuation, not a parser: a message to the bot is one or
 * two short sentences, and the few things !reply needs to know of a word
 * (does it address someone, name something, name a thing the letters may
 * lack) show in the word before it and the capital it starts with.  Each
 * rule errs towards "no": a word wrongly taken for a thing makes !reply
 * decline an answerable question (see evidence.c).
 */
#include "question.h"

#include <string.h>

#include "wordlist.h"

/* Said to a bot, these carry no topic (searchq's list has the rest). */
static const char *const question_chatter[] = {
    "answer",   "ask",       "dear",    "did",   "doing", "going",  "happen",
    "happened", "happening", "happens", "hello", "hey",   "hi",     "know",
    "let",      "like",      "missive", "ok",    "okay",  "please", "reply",
    "say",      "tell",      "think",   "well",  "yes",
};
/* Not "thank"/"thanks": the letters thank each other, and a reader who
 * thanks the bot is answered by a correspondent's own thanks. */

/* General nouns that stand in for a topic rather than name one ("stand in
 * the way", "the thing is", "a lot of"): after an article they would count
 * as a thing the letters lack (evidence.c) and decline a question whose
 * every other word matched.  Sorted, like the list above. */
static const char *const question_light[] = {
    "anything", "lot", "lots", "something", "sort", "thing", "things", "way",
    "ways",
};

bool question_is_chatter(const char *w)
{
    return wordlist_contains(question_chatter,
                             sizeof question_chatter / sizeof *question_chatter,
                             w) ||
           wordlist_contains(question_light,
                             sizeof question_light / sizeof *question_light, w);
}

/* Courtesies (issue 13).  A reader thanks, congratulates or wishes a
 * correspondent well in words of their own ("congrats", "much obliged",
 * "good luck"), and the letters answer with their own courtesy passages
 * ("Allow me to thank you", "Please accept my congratulations"), which
 * often share no word with the reader's: WordNet relates "congrats" to
 * nothing.  So each class below is one concept whose forms are all of its
 * words: the reader's courtesy finds the letters' by the letters' own
 * wording, whichever of the class they use, as a direct match.  Small and
 * closed on purpose: only words whose one use addressed to someone is the
 * courtesy itself ("welcome" and "glad" are not: "I welcome the desire",
 * "we would be glad if"; nor "best" or "hope", topic words as often).
 * Each row sorted, the first word of each row the class's name. */
#define QUESTION_COURTESY_WORDS 12
static const char *const question_courtesy_class[][QUESTION_COURTESY_WORDS] = {
    {"thank", "appreciate", "appreciated", "appreciation", "grateful",
     "gratitude", "thanked", "thankful", "thanking", "thanks", NULL},
    {"congratulate", "bravo", "congrats", "congratulated", "congratulating",
     "congratulation", "congratulations", "kudos", NULL},
    {"luck", "godspeed", "wishes", NULL},
    {"greetings", "compliments", "greeting", NULL},
};
/* A reader's courtesy words that are not looked for in the letters: there
 * they mean something else ("we were obliged to withdraw", "the crowd
 * cheers", "as regards Finland").  Sorted; class as above, from 1. */
static const struct {
    const char *word;
    int cls;
} question_courtesy_only[] = {
    {"cheers", 1},
    {"obliged", 1},
    {"regards", 4},
};

/* Said before a courtesy, these only make it warmer ("many thanks", "good
 * luck", "heartiest congratulations"): part of the courtesy, not a topic
 * ("many" would match "in many respects").  Sorted. */
static const char *const question_warm[] = {
    "best",      "big",   "good",    "heartfelt", "heartiest", "hearty",
    "kind",      "kindest", "many",  "sincere",   "sincerest", "warm",
    "warmest",
};

static size_t question_courtesy_len(size_t k)
{
    size_t n = 0;
    while (n < QUESTION_COURTESY_WORDS && question_courtesy_class[k][n]) n++;
    return n;
}

int question_courtesy(const char *w)
{
    size_t nclass = sizeof question_courtesy_class /
                    sizeof *question_courtesy_class;
    for (size_t k = 0; k < nclass; k++)
        for (size_t j = 0; j < question_courtesy_len(k); j++)
            if (strcmp(question_courtesy_class[k][j], w) == 0)
                return (int)k + 1;
    for (size_t k = 0; k < sizeof question_courtesy_only /
                               sizeof *question_courtesy_only;
         k++)
        if (strcmp(question_courtesy_only[k].word, w) == 0)
            return question_courtesy_only[k].cls;
    return 0;
}

const char *question_courtesy_word(int cls, size_t j)
{
    size_t nclass = sizeof question_courtesy_class /
                    sizeof *question_courtesy_class;
    if (cls < 1 || (size_t)cls > nclass ||
        j >= question_courtesy_len((size_t)cls - 1))
        return NULL;
    return question_courtesy_class[cls - 1][j];
}

bool question_is_warm(const char *w)
{
    return wordlist_contains(question_warm,
                             sizeof question_warm / sizeof *question_warm, w);
}

bool question_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* A person named at either end of the message, set off by a comma (or
 * opening it after a greeting: "dear", "hi"), is whom it addresses.
 * Sorted. */
bool question_vocative(const char *msg, const Tokens *w, size_t i, size_t j)
{
    static const char *const greeting[] = {"dear", "hello", "hey", "hi"};
    size_t first = i == 1 && wordlist_contains(greeting,
                                               sizeof greeting /
                                                   sizeof *greeting,
                                               w->v[0].stem)
                       ? 1
                       : 0;
    if (i == first) {
        const char *p = msg + w->v[j].end;
        while (question_is_space(*p)) p++;
        if (*p == ',' || *p == ':' || *p == '!')
            return true;
    }
    if (j + 1 == w->n) {
        const char *p = msg + w->v[i].start;
        while (p > msg && question_is_space(p[-1])) p--;
        if (p > msg && p[-1] == ',')
            return true;
    }
    return false;
}

/* A word written with a capital inside a sentence. */
static bool question_capital(const char *msg, const Tokens *w, size_t i)
{
    unsigned char c = (unsigned char)msg[w->v[i].start];
    if (i == 0 || !(c >= 'A' && c <= 'Z'))
        return false;
    for (const char *p = msg + w->v[i].start; p > msg + w->v[i - 1].end; p--)
        if (p[-1] == '.' || p[-1] == '?' || p[-1] == '!' || p[-1] == ':')
            return false;
    return true;
}

/* A word written with a capital inside a sentence names something: "the
 * Battle of Britain", "Pearl Harbor".  Not after a possessive (directly or
 * through other capitalised words): a person or a place takes none, and
 * "your Foreign Minister", "our Navy" are the reader's capitals for a
 * title or an institution of someone's, which the letters word their own
 * way ("Foreign Secretary"), not a name they lack.  Sorted. */
bool question_named(const char *msg, const Tokens *w, size_t i)
{
    static const char *const possessive[] = {"her", "his",   "its", "my",
                                             "our", "their", "your"};
    if (!question_capital(msg, w, i))
        return false;
    while (i > 0 && question_capital(msg, w, i - 1)) i--;
    return i == 0 || !wordlist_contains(possessive,
                                        sizeof possessive / sizeof *possessive,
                                        w->v[i - 1].stem);
}

/* True when token i opens the message or a clause of it ("Joe, which"). */
bool question_opens(const char *msg, const Tokens *w, size_t i)
{
    if (i == 0)
        return true;
    for (const char *p = msg + w->v[i - 1].end; p < msg + w->v[i].start; p++)
        if (strchr(".?!,:;", *p))
            return true;
    return false;
}

/* A word that names a thing: a number ("1941", "17"), or the word after an
 * article or a question's determiner ("the weather", "a holiday", "what
 * language"), which is a noun or the adjective of one ("the tallest
 * mountain"); a place's adjective between them is part of the same noun
 * phrase ("the Persian oil"; place[k] marks the words of a place named by
 * other than a plural: "the Germans" is the noun itself).  "what", "which"
 * and "whose" only when they open the question: inside it they are as often
 * pronouns ("the plan which Eden carries"); after "what" an auxiliary
 * ("what did") is a stop word, no concept.  So is "how" with an adjective:
 * "how old", "how far" ask for a measure, which letters that lack the word
 * do not give ("how is", "how can": stop words).  Not after "your" or "no":
 * readers also write nouns of verbs there that the letters word otherwise
 * ("your visit", "no need to"). */
bool question_thing(const char *msg, const Tokens *w, const bool *place,
                    size_t i)
{
    static const char *const articles[] = {"a", "an", "the"};
    static const char *const questions[] = {"how", "what", "which", "whose"};
    const char *p = w->v[i].stem;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '\0')
        return true;
    while (i > 0 && place[i - 1]) i--;
    if (i == 0)
        return false;
    p = w->v[i - 1].stem;
    return wordlist_contains(articles, sizeof articles / sizeof *articles, p) ||
           (wordlist_contains(questions, sizeof questions / sizeof *questions,
                              p) &&
            question_opens(msg, w, i - 1));
}

/* English forms the adjective of a place or a people with these endings
 * ("-an": German, Italian; "-ish": British, Finnish; "-ese": Japanese;
 * "-ic": Baltic, Arctic; "-i": Nazi, Iraqi).  Only such a word continues
 * a noun phrase to the word after it ("the Persian oil"): a place's own
 * name is the noun, and the word after it is a verb as often as not ("will
 * the Soviet Union fight Japan?"), which the letters word their own way and
 * so is no thing they lack.  "Soviet" is an adjective without such an
 * ending: it is taken for a name, which errs towards no thing. */
bool question_adjective(const char *word)
{
    static const char *const endings[] = {"an", "ish", "ese", "ic", "i"};
    size_t wl = strlen(word);
    for (size_t k = 0; k < sizeof endings / sizeof *endings; k++) {
        size_t el = strlen(endings[k]);
        if (wl > el + 1 && strcmp(word + wl - el, endings[k]) == 0)
            return true;
    }
    return false;
}

/* An apostrophe (ASCII or U+2019) joins tokens a and a+1. */
bool question_apostrophe(const char *msg, const Tokens *w, size_t a)
{
    if (a + 1 >= w->n)
        return false;
    const char *p = msg + w->v[a].end;
    size_t gap = (size_t)(w->v[a + 1].start - w->v[a].end);
    return (gap == 1 && *p == '\'') ||
           (gap == 3 && memcmp(p, "\xe2\x80\x99", 3) == 0);
}
