/* people.h - canonical people and the many ways the letters name them.
 *
 * data/aliases.txt maps every form a heading or signature uses ("J. V.
 * STALIN", "the Prime Minister, Mr. W. Churchill", "Premier Stalin") to one
 * canonical name ("Stalin").  Lookup ignores case, punctuation and leading
 * titles listed in the same file.  An unknown name is never guessed: the
 * caller reports it with file and line.
 *
 * The same file also names groups that are not correspondents: places
 * ("place Russia: Soviet Union, U.S.S.R., ...") and the letters' own words
 * for what a reader types ("term wish: want, desire").  Headings never
 * resolve to a group; !reply uses them to match a message to the letters.
 */
#ifndef MISSIVE_PEOPLE_H
#define MISSIVE_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct People People;

/* Loads an alias file.  On error returns NULL with "PATH:LINE: what" in err
 * (STATUS_INVALID for a mistake in the file, STATUS_ERROR when it cannot be
 * read or memory runs out). */
People *people_load(const char *path, Error *err);
/* Same, from a buffer (name is used in messages only). */
People *people_load_buffer(const char *name, const char *buf, size_t len,
                           Error *err);
void people_free(People *p);

/* The canonical name for a phrase, or NULL when no alias matches.  The
 * returned string is owned by p. */
const char *people_resolve(const People *p, const char *phrase);

size_t people_count(const People *p);
const char *people_name(const People *p, size_t i);

/* --- every alias, of people and groups alike (for !reply) --------------- */

enum people_kind {
    PEOPLE_PERSON = 0,
    PEOPLE_PLACE, /* "place NAME: ..." lines */
    PEOPLE_TERM,  /* "term NAME: ..." lines */
};

typedef struct {
    enum people_kind kind;
    size_t index; /* into people_name, or people_group_name */
} PeopleEntity;

size_t people_group_count(const People *p);
const char *people_group_name(const People *p, size_t i);
enum people_kind people_group_kind(const People *p, size_t i);

/* What a phrase names: a person (titles stripped as for people_resolve) or
 * a group (exact alias).  Returns 1 and fills *e, or 0. */
bool people_lookup(const People *p, const char *phrase, PeopleEntity *e);

/* The i-th alias of all, normalised (lower case, punctuation turned into
 * spaces), and whose it is; NULL past the end.  O(1). */
size_t people_alias_count(const People *p);
const char *people_alias(const People *p, size_t i, PeopleEntity *e);

#endif
