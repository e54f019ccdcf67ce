/* people.h - canonical people and the many ways the letters name them.
 *
 * data/aliases.txt maps every form a heading or signature uses ("J. V.
 * STALIN", "the Prime Minister, Mr. W. Churchill", "Premier Stalin") to one
 * canonical name ("Stalin").  Lookup ignores case, punctuation and leading
 * titles listed in the same file.  An unknown name is never guessed: the
 * caller reports it with file and line.
 */
#ifndef MISSIVE_PEOPLE_H
#define MISSIVE_PEOPLE_H

#include <stddef.h>

typedef struct People People;

/* Loads an alias file.  On error returns NULL and writes "PATH:LINE: what"
 * to err. */
People *people_load(const char *path, char *err, size_t errsz);
/* Same, from a buffer (name is used in messages only). */
People *people_load_buffer(const char *name, const char *buf, size_t len,
                           char *err, size_t errsz);
void people_free(People *p);

/* The canonical name for a phrase, or NULL when no alias matches.  The
 * returned string is owned by p. */
const char *people_resolve(const People *p, const char *phrase);

size_t people_count(const People *p);
const char *people_name(const People *p, size_t i);

#endif
