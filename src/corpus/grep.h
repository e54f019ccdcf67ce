/* grep.h - the !grep engine: one user regex, matched against passages.
 *
 * PCRE2 in UTF mode, caseless, Unicode classes (\w, \b, case folding).  A
 * user pattern is hostile until proven cheap: its length, nesting and
 * compiled size are capped, callouts, \C and \G are refused, and every
 * match runs under match/depth/heap limits (a pattern can lower them, never
 * raise them) plus a time budget shared by all the matches of one command.  JIT when the
 * library has it, the interpreter otherwise; both obey the limits.
 */
#ifndef MISSIVE_GREP_H
#define MISSIVE_GREP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define GREP_PATTERN_MAX 200 /* bytes */
#define GREP_BUDGET_MS 50    /* all grep_match calls of one Grep */

enum grep_flags {
    GREP_NO_JIT = 1 << 0, /* interpreter only (tests) */
};

/* A compiled user pattern + match data + limits + budget. */
typedef struct Grep Grep;

/* Compiles; on error returns NULL with a short, user-facing message in err
 * ("pattern too long (max 200 bytes)", "bad pattern at offset 3: missing
 * closing parenthesis"; "out of memory" when memory runs out).  The message
 * never quotes the pattern. */
Grep *grep_compile(const char *pattern, Error *err);
Grep *grep_compile_opts(const char *pattern, unsigned flags, Error *err);
void grep_free(Grep *g);

/* Whether matches run JIT-compiled code. */
bool grep_jit(const Grep *g);

/* Matches one subject (len bytes).  STATUS_OK on a match (*start, *end:
 * byte offsets of the first match; start == end for an empty match; either
 * pointer may be NULL), STATUS_NOTFOUND on no match (also when the subject
 * is not valid UTF-8), STATUS_ERROR with "pattern too costly" in err when a
 * limit was hit or the budget is spent: the whole command must stop.
 * STATUS_ERROR is sticky: every later call on g returns it too.  The budget
 * starts at the first call. */
Status grep_match(Grep *g, const char *subject, size_t len, size_t *start,
                  size_t *end, Error *err);

/* As grep_match, for the first match starting at or after byte `from` (a
 * character boundary, at most len): the text before it still counts for
 * lookbehind and \b, so the next match of a subject is found as it would
 * be in the whole. */
Status grep_match_from(Grep *g, const char *subject, size_t len, size_t from,
                       size_t *start, size_t *end, Error *err);

#endif
