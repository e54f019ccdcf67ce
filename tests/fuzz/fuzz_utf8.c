/* fuzz_utf8.c - the UTF-8 helpers against the promises of utf8.h.
 *
 * Byte 0 picks the output size for utf8_sanitize (0..1020, so truncation
 * is exercised), byte 1 the kept control byte (0: none) and the cut point
 * for the boundary functions; the rest is the text.  Sanitised output must
 * be valid UTF-8 without controls (C0, DEL, C1) save the kept byte, without
 * leading, trailing or doubled spaces, within outsz - 1 bytes, and a prefix
 * of the untruncated result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static void check_clean(const char *out, size_t n, char keep)
{
    if (strlen(out) != n || !utf8_valid(out, n, NULL))
        abort();
    if (n > 0 && (out[0] == ' ' || out[n - 1] == ' '))
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if ((c < 0x20 || c == 0x7f) &&
            !(keep != '\0' && c == (unsigned char)keep))
            abort();
        if (c == ' ' && out[i + 1] == ' ')
            abort();
        if (c == 0xc2 && (unsigned char)out[i + 1] <= 0x9f) /* C1 */
            abort();
    }
}

/* utf8_boundary and utf8_word_boundary on valid text s[0..len). */
static void check_cuts(const char *s, size_t len, size_t max)
{
    size_t b = utf8_boundary(s, len, max);
    if (max >= len) {
        if (b != len || utf8_word_boundary(s, len, max) != len)
            abort();
        return;
    }
    /* The largest character boundary <= max: at most 3 bytes back. */
    if (b > max || b + 3 < max || !utf8_valid(s, b, NULL))
        abort();
    if (b < len && ((unsigned char)s[b] & 0xc0) == 0x80)
        abort();
    for (size_t i = b + 1; i <= max; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            abort();
    size_t w = utf8_word_boundary(s, len, max);
    if (w > b || !utf8_valid(s, w, NULL))
        abort();
    if (w > 0 && s[w - 1] == ' ')
        abort();
    if (w < len && ((unsigned char)s[w] & 0xc0) == 0x80)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t outsz = (size_t)data[0] * 4;
    char keep = (char)(data[1] & 0x1f);
    const char *s = (const char *)data + 2;
    size_t len = size - 2;

    /* The whole clean text, then a truncated copy of it. */
    size_t fullsz = len * 3 + 1;
    char *full = malloc(fullsz), *cut = malloc(outsz + 1);
    if (full == NULL || cut == NULL)
        goto done;
    size_t nfull = utf8_sanitize_keep(s, len, keep, full, fullsz);
    check_clean(full, nfull, keep);

    cut[outsz] = 'Z'; /* a guard after the buffer */
    size_t ncut = utf8_sanitize_keep(s, len, keep, cut, outsz);
    if (cut[outsz] != 'Z')
        abort();
    if (outsz == 0) {
        if (ncut != 0)
            abort();
    } else {
        if (ncut > outsz - 1)
            abort();
        check_clean(cut, ncut, keep);
        if (ncut > nfull || memcmp(cut, full, ncut) != 0)
            abort();
        if (nfull <= outsz - 1 && ncut != nfull)
            abort();
    }
    size_t bad;
    bool valid = utf8_valid(s, len, &bad);
    if (!valid && bad >= len)
        abort();
    if (valid) {
        if (utf8_length(s, len) > len)
            abort();
        check_cuts(s, len, (size_t)data[1] * len / 255);
        check_cuts(s, len, (size_t)data[0]);
    }
    check_cuts(full, utf8_sanitize(s, len, full, fullsz), (size_t)data[1]);
done:
    free(full);
    free(cut);
    return 0;
}
