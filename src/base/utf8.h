/* utf8.h - the few UTF-8 operations every outgoing line depends on.
 *
 * Anything a user typed or a corpus file holds passes through here before it
 * can reach an IRC line: invalid sequences become U+FFFD, control characters
 * (C0, DEL, C1; CR, LF and NUL among them) are dropped or turned into spaces,
 * and cuts never fall inside a multi-byte sequence.
 */
#ifndef MISSIVE_UTF8_H
#define MISSIVE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF).  On failure *bad (if not NULL) gets the offset of
 * the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad);

/* Copies s[0..len) to out (at most outsz-1 bytes, always NUL-terminated when
 * outsz > 0): invalid bytes become U+FFFD, TAB/CR/LF/VT/FF become one space,
 * other control characters (including IRC colour and CTCP codes) are removed,
 * and runs of spaces collapse to one; leading and trailing spaces are trimmed.
 * Never truncates inside a sequence.  Returns the length written. */
size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outsz);

/* utf8_sanitize, except that the control byte keep (e.g. '\x02', IRC bold,
 * which our own code puts around search matches) is copied through; keep
 * '\0' keeps nothing. */
size_t utf8_sanitize_keep(const char *s, size_t len, char keep, char *out,
                          size_t outsz);

/* Largest n <= max such that s[0..n) ends on a character boundary (s is
 * assumed valid UTF-8 of length len). */
size_t utf8_boundary(const char *s, size_t len, size_t max);

/* Like utf8_boundary, but prefers to cut after the last space at or before
 * max, provided that keeps at least half of max; trailing spaces are not
 * counted in the result. */
size_t utf8_word_boundary(const char *s, size_t len, size_t max);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s, size_t len);

/* utf8_length(s, len) >= n, reading no further than the n-th code point
 * (a !quote asks whether a passage of hundreds is shorter than 80). */
bool utf8_length_at_least(const char *s, size_t len, size_t n);

#endif
