/* grepnarrow.h - what a !grep pattern requires of a passage, for the
 * trigram index (issue 14).
 *
 * From a PCRE2 pattern (as grep.h compiles it: caseless, UTF, not
 * extended), an FTS5 expression over the trigram table passages_tri that
 * every matching passage satisfies: the literals the pattern needs, each as
 * the AND of its trigrams, AND-ed along a sequence and OR-ed across
 * alternatives.  Conservative by construction: whatever is optional,
 * repeated zero times, inside a class, behind an escape or a construct it
 * does not know adds nothing, so the expression may let through passages
 * that do not match (PCRE2 confirms each one) but never keeps out one that
 * does.
 */
#ifndef MISSIVE_GREPNARROW_H
#define MISSIVE_GREPNARROW_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the longest expression: a pattern of GREP_PATTERN_MAX bytes
 * has fewer trigrams than that, each at most 8 bytes with its AND. */
#define GREPNARROW_MAX 4096

/* Writes the expression to out (outsz bytes) and returns true, or returns
 * false with out "" when the pattern requires no literal of 3+ characters
 * (or uses syntax this reading does not follow): then only a full walk can
 * answer it. */
bool grepnarrow_build(const char *pattern, char *out, size_t outsz);

#endif
