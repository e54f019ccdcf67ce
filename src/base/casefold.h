/* casefold.h - RFC 1459 case mapping of IRC names (nicks, channels, masks).
 *
 * IRC compares names with A-Z folded to a-z and "[]\^" folded to "{}|~" (the
 * Scandinavian upper/lower pairs of the original protocol).  It lives in the
 * base layer because the bot's state keys channels by their folded name as
 * well as the IRC layer does, and neither may depend on the other.
 */
#ifndef MISSIVE_CASEFOLD_H
#define MISSIVE_CASEFOLD_H

/* The folded byte. */
char casefold_char(char c);
/* Folds s in place; returns s. */
char *casefold_str(char *s);
/* strcmp() after folding both sides. */
int casefold_cmp(const char *a, const char *b);

#endif
