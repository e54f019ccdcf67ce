/* format.h - a passage as one line of chat.
 *
 *   "text" — Stalin to Churchill, 18 July 1941 [1.4]
 *
 * The budget is in bytes for the whole line (the IRC layer passes what fits
 * in one 512-byte message after its own prefix).  When the text does not
 * fit it is cut at a word boundary, never inside a UTF-8 sequence, and ends
 * with an ellipsis; the citation is never cut.  Output is valid UTF-8 with no
 * control characters whatever the database holds.
 */
#ifndef MISSIVE_FORMAT_H
#define MISSIVE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "corpus.h"

#define FORMAT_MIN_BUDGET \
    160 /* smaller budgets are raised to this; the
                                  citation line always fits in it */

/* IRC bold, on and off alike: the one control byte a passage line keeps
 * (in snippets, around the matched words). */
#define FORMAT_BOLD "\x02"

/* The marks to ask corpus_search for: FORMAT_BOLD around each match. */
extern const SnippetMarks format_snippet_marks;

/* The citation alone: "Stalin to Churchill, 18 July 1941 [1.4]". */
size_t format_citation(const Passage *p, char *out, size_t outsz);

/* The passage line; uses p->snippet instead of p->text when use_snippet
 * (its FORMAT_BOLD marks are kept, and balanced).
 * Writes at most min(budget, outsz-1) bytes.  Returns the length. */
size_t format_passage(const Passage *p, int use_snippet, size_t budget,
                      char *out, size_t outsz);

/* format_passage, and *shown: SIZE_MAX when the whole text is on the line,
 * else how many bytes of the text, sanitised (utf8_sanitize_keep, keeping
 * FORMAT_BOLD when use_snippet), are on it before the "…": the rest starts
 * there, after any spaces. */
size_t format_passage_cut(const Passage *p, int use_snippet, size_t budget,
                          char *out, size_t outsz, size_t *shown);

/* True when p's whole text fits in its line within budget, uncut. */
bool format_fits(const Passage *p, size_t budget);

/* Copies text into out, cut to at most budget bytes at a word boundary
 * with "…" appended when cut.  Returns the length. */
size_t format_cut(const char *text, size_t budget, char *out, size_t outsz);

#endif
