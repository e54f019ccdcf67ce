/* wordlist.h - is a word in a fixed, sorted list of words?
 *
 * The stop words of search and the chatter words of !reply are small
 * constant tables sorted by strcmp; a binary search over them is O(log n)
 * with no setup and no allocation.  Header-only: it is one loop.
 */
#ifndef MISSIVE_WORDLIST_H
#define MISSIVE_WORDLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* True when word is one of sorted[0..n), which must be in strcmp order. */
static inline bool wordlist_contains(const char *const *sorted, size_t n,
                                     const char *word)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(word, sorted[mid]);
        if (cmp == 0)
            return true;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

#endif
