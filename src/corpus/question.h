/* question.h - what the words of a message to the bot are, by position.
 *
 * !reply reads a message as a question: whom it addresses ("Winston, ..."),
 * which words name something (capitalised inside the sentence), which name
 * a thing (a number, a noun after an article), which are only what people
 * say to a bot ("please", "tell me").  These judgements look at the
 * message's words (stemmer.h's STEMMER_WORDS tokens, with their offsets
 * into msg) and punctuation only, never at the letters, so they live apart
 * from the ranking (reply.c) and the decision (evidence.c) that use them.
 */
#ifndef MISSIVE_QUESTION_H
#define MISSIVE_QUESTION_H

#include <stdbool.h>
#include <stddef.h>

#include "stemmer.h"

/* True for words said to a bot that carry no topic ("tell", "please"),
 * and for general nouns that stand in for one ("the way", "a lot");
 * searchq's stop words are the rest. */
bool question_is_chatter(const char *word);

/* The courtesy class (1..) of a word of a reader's thanks,
 * congratulations, good wishes or greetings ("congrats": 2), 0 for none;
 * its j-th word (NULL past the last); and whether a word only warms the
 * courtesy after it ("many thanks"): see question.c. */
int question_courtesy(const char *word);
const char *question_courtesy_word(int cls, size_t j);
bool question_is_warm(const char *word);

bool question_is_space(char ch);

/* True when words i..j (a person) are whom the message addresses: at
 * either end of it and set off by a comma (or opening it after a greeting:
 * "dear", "hello", "hey", "hi"). */
bool question_vocative(const char *msg, const Tokens *w, size_t i, size_t j);

/* True when word i is capitalised inside its sentence: it names something
 * (not after a possessive: "your Foreign Minister" is a title). */
bool question_named(const char *msg, const Tokens *w, size_t i);

/* True when word i opens the message or a clause of it. */
bool question_opens(const char *msg, const Tokens *w, size_t i);

/* True when word i names a thing: a number, or the word after an article
 * or an opening "what"/"which"/"whose"/"how" (place[k]: word k is part of
 * a place's adjective, skipped back over). */
bool question_thing(const char *msg, const Tokens *w, const bool *place,
                    size_t i);

/* True when word (case folded) has the ending of an adjective of a place
 * or a people: "Persian", "British", "Japanese", "Baltic", "Nazi"; not a
 * plural ("Germans") nor a place's own name ("Persia", "Soviet Union"). */
bool question_adjective(const char *word);

/* True when an apostrophe joins words a and a+1 ("don't", "Hitler's"). */
bool question_apostrophe(const char *msg, const Tokens *w, size_t a);

#endif
