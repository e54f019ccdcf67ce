/* utf8.c - strict UTF-8 validation, sanitising and safe cut points.
 *
 * The decoder follows Unicode's table of well-formed byte sequences (Table
 * 3-7): the second byte's range depends on the lead byte, which is what rules
 * out overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and
 * code points above U+10FFFF (F4 90.., F5..FF).  utf8_sanitize replaces each
 * *maximal subpart* of an ill-formed sequence with one U+FFFD, the practice
 * Unicode recommends (so "\xE2\x82" then "A" is one U+FFFD then "A", while
 * two stray continuation bytes are two U+FFFD).
 */
#include "utf8.h"

#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* ---- decoding ------------------------------------------------------------ */

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Length of the well-formed sequence at s[0..len), or 0 when ill-formed; then
 * *skip gets the length of the maximal ill-formed subpart (at least 1). */
static size_t seq_decode(const unsigned char *s, size_t len, size_t *skip)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *skip = 1; /* 80..BF, C0, C1, F5..FF never start one */
        return 0;
    }

    size_t i = 1;
    for (; i < need && i < len; i++) {
        unsigned char b = s[i];
        bool ok = (i == 1) ? (b >= lo && b <= hi) : is_cont(b);
        if (!ok)
            break;
    }
    if (i == need)
        return need;
    *skip = i;
    return 0;
}

bool utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t skip, n = seq_decode(u + i, len - i, &skip);
        if (n == 0) {
            if (bad != NULL)
                *bad = i;
            return false;
        }
        i += n;
    }
    return true;
}

/* ---- sanitising ---------------------------------------------------------- */

typedef struct {
    char *out;
    size_t cap; /* bytes we may write, not counting the NUL */
    size_t len;
    bool space; /* a space is owed before the next visible text */
    bool full;  /* something did not fit: write nothing more */
} Sink;

/* Appends one unit of visible text (a character, or a kept control byte),
 * preceded by the owed space.  Both fit or neither is written, and once
 * something does not fit the output stays a prefix of the clean text. */
static void sink_put(Sink *k, const char *p, size_t n)
{
    size_t need = n + (k->space ? 1 : 0);
    if (k->full || need > k->cap - k->len) {
        k->full = true;
        return;
    }
    if (k->space)
        k->out[k->len++] = ' ';
    memcpy(k->out + k->len, p, n);
    k->len += n;
    k->space = false;
}

/* Appends a run of one-byte characters (no space first, none last, none
 * two together), as many sink_put and sink_space calls would: what fits
 * of it, then nothing more. */
static void sink_run(Sink *k, const char *p, size_t n)
{
    size_t room = k->full ? 0 : k->cap - k->len;
    if (k->space) {
        if (room < 2) {
            k->full = true;
            return;
        }
        k->out[k->len++] = ' ';
        k->space = false;
        room--;
    }
    size_t take = n <= room ? n : room;
    memcpy(k->out + k->len, p, take);
    k->len += take;
    if (take < n) {
        k->full = true;
        /* A space is written with the character after it or not at all. */
        if (take > 0 && p[take - 1] == ' ')
            k->len--;
    }
}

/* Printable ASCII other than the space: copied as it is. */
static bool is_plain(unsigned char c)
{
    return c > 0x20 && c < 0x7F;
}

/* Leading spaces are never owed, so the output starts with visible text. */
static void sink_space(Sink *k)
{
    if (k->len > 0)
        k->space = true;
}

static bool is_space_control(unsigned char c)
{
    return c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
           c == ' ';
}

size_t utf8_sanitize_keep(const char *s, size_t len, char keep, char *out,
                          size_t outsz)
{
    if (out == NULL || outsz == 0)
        return 0;
    Sink k = {out, outsz - 1, 0, false, false};
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (s != NULL && i < len && !k.full) {
        unsigned char c = u[i];
        if (is_plain(c) && c != (unsigned char)keep) {
            /* Most text: a run of plain bytes goes in one copy, with the
             * single spaces between them (what sink_space and the next
             * sink_put would write: a space is never kept). */
            size_t j = i + 1;
            for (;;) {
                while (j < len && is_plain(u[j]) && u[j] != (unsigned char)keep)
                    j++;
                if (j + 1 < len && u[j] == ' ' && is_plain(u[j + 1]) &&
                    u[j + 1] != (unsigned char)keep) {
                    j += 2;
                    continue;
                }
                break;
            }
            sink_run(&k, s + i, j - i);
            i = j;
            continue;
        }
        size_t skip, n = seq_decode(u + i, len - i, &skip);

        if (n == 0) {
            sink_put(&k, replacement, 3);
            i += skip;
        } else if (is_space_control(c)) {
            sink_space(&k);
            i++;
        } else if (keep != '\0' && c == (unsigned char)keep) {
            sink_put(&k, s + i, 1);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            i++; /* C0 and DEL */
        } else if (n == 2 && c == 0xC2 && u[i + 1] <= 0x9F) {
            i += 2; /* C1: U+0080..U+009F */
        } else {
            sink_put(&k, s + i, n);
            i += n;
        }
    }
    out[k.len] = '\0';
    return k.len;
}

size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outsz)
{
    return utf8_sanitize_keep(s, len, '\0', out, outsz);
}

/* ---- cutting and counting ------------------------------------------------ */

size_t utf8_boundary(const char *s, size_t len, size_t max)
{
    if (max >= len)
        return len;
    size_t n = max;
    while (n > 0 && is_cont((unsigned char)s[n])) n--;
    return n;
}

size_t utf8_word_boundary(const char *s, size_t len, size_t max)
{
    if (max >= len)
        return len;
    size_t cut = utf8_boundary(s, len, max);

    /* s[cut] is the first byte left out; a space there is a clean cut. */
    size_t word = cut + 1;
    while (word > 0 && s[word - 1] != ' ') word--;
    if (word > 0) {
        while (word > 0 && s[word - 1] == ' ') word--;
        if (word * 2 >= max)
            return word;
    }
    while (cut > 0 && s[cut - 1] == ' ') cut--;
    return cut;
}

size_t utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!is_cont((unsigned char)s[i]))
            n++;
    return n;
}

bool utf8_length_at_least(const char *s, size_t len, size_t n)
{
    size_t seen = 0;
    if (len >= 4 * n)
        return true; /* four bytes a code point at most */
    for (size_t i = 0; i < len && seen < n; i++)
        if (!is_cont((unsigned char)s[i]))
            seen++;
    return seen >= n;
}
