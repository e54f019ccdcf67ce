/* format.c - a passage as one line of chat, cut to a byte budget.
 *
 *   "text" — Stalin to Churchill, 18 July 1941 [1.4]
 *
 * Every part goes through utf8_sanitize first, so the line is clean whatever
 * the database holds; the one exception is FORMAT_BOLD, which the chat layer
 * asks the corpus to put around the matches of a snippet (format_snippet_marks)
 * and puts around grep matches itself: it is kept and balanced.  Only
 * the quoted text is ever cut: names are bounded (NAME_MAX_BYTES) so the
 * citation always fits in FORMAT_MIN_BUDGET.
 */
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "utf8.h"

#define NAME_MAX_BYTES 40 /* canonical names are far shorter */
#define DATE_MAX 32       /* "received 30 September 1941" */
#define CITATION_MAX 160  /* 2 names + date + "[L.P, emended]" */

const SnippetMarks format_snippet_marks = {FORMAT_BOLD, FORMAT_BOLD};
_Static_assert(sizeof FORMAT_BOLD == 2, "FORMAT_BOLD is one byte");

static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026 */
static const char dash[] = "\" \xE2\x80\x94 "; /* closing quote, " — " */

#define ELLIPSIS_LEN (sizeof ellipsis - 1)
#define LINE_OVERHEAD (1 + sizeof dash - 1) /* both quotes, dash */

/* The longest citation: two full names, the longest date, two INT_MIN
 * numbers.  The line around it must fit in the minimum budget. */
#define CITATION_WORST                          \
    (NAME_MAX_BYTES * 2 + sizeof " to , " - 1 + \
     sizeof "received 30 September 2999" - 1 +  \
     sizeof " [-2147483648.-2147483648, emended]" - 1)
_Static_assert(CITATION_WORST < CITATION_MAX, "citation buffer too small");
_Static_assert(CITATION_WORST + LINE_OVERHEAD + ELLIPSIS_LEN <=
                   FORMAT_MIN_BUDGET,
               "FORMAT_MIN_BUDGET must hold the longest citation line");

/* ---- output buffer ------------------------------------------------------- */

/* Appends s[0..n); callers have already checked that everything fits. */
static void put(char *out, size_t *len, const char *s, size_t n)
{
    memcpy(out + *len, s, n);
    *len += n;
}

/* Sanitises text into a fresh buffer holding up to room + 5 bytes.  A cut
 * by sanitize only happens when the next unit (owed space + a character of
 * at most 4 bytes) does not fit, so the result is longer than room exactly
 * when the whole clean text is: *len <= room means "it all fits".
 * Returns NULL when out of memory; the caller frees. */
static char *clean_text(const char *text, char keep, size_t room, size_t *len)
{
    size_t sz = room + 6;
    char *buf = malloc(sz);
    if (buf == NULL)
        return NULL;
    if (text == NULL)
        text = "";
    *len = utf8_sanitize_keep(text, strlen(text), keep, buf, sz);
    return buf;
}

static size_t count_byte(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += s[i] == c;
    return n;
}

/* ---- citation ------------------------------------------------------------ */

static void clean_name(const char *name, char *out, size_t outsz)
{
    size_t n = name ? utf8_sanitize(name, strlen(name), out, outsz) : 0;
    if (n == 0)
        snprintf(out, outsz, "unknown");
}

size_t format_citation(const Passage *p, char *out, size_t outsz)
{
    char sender[NAME_MAX_BYTES + 1], recipient[NAME_MAX_BYTES + 1];
    char date[DATE_MAX], cite[CITATION_MAX];

    if (out == NULL || outsz == 0)
        return 0;
    clean_name(p->sender, sender, sizeof sender);
    clean_name(p->recipient, recipient, sizeof recipient);
    dates_format(p->date, p->date_kind, date, sizeof date);

    int n =
        snprintf(cite, sizeof cite, "%s to %s, %s [%d.%d%s]", sender, recipient,
                 date, p->letter, p->para, p->corrected ? ", emended" : "");
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    size_t len = utf8_boundary(cite, (size_t)n, outsz - 1);
    memcpy(out, cite, len);
    out[len] = '\0';
    return len;
}

/* ---- passage line -------------------------------------------------------- */

bool format_fits(const Passage *p, size_t budget)
{
    char cite[CITATION_MAX];
    size_t tlen;

    if (budget < FORMAT_MIN_BUDGET)
        budget = FORMAT_MIN_BUDGET;
    size_t clen = format_citation(p, cite, sizeof cite);
    if (budget < clen + LINE_OVERHEAD + ELLIPSIS_LEN)
        return false;
    size_t room = budget - clen - LINE_OVERHEAD;
    char *text = clean_text(p->text, '\0', room, &tlen);
    free(text);
    return text != NULL && tlen <= room;
}

size_t format_passage(const Passage *p, int use_snippet, size_t budget,
                      char *out, size_t outsz)
{
    return format_passage_cut(p, use_snippet, budget, out, outsz, NULL);
}

size_t format_passage_cut(const Passage *p, int use_snippet, size_t budget,
                          char *out, size_t outsz, size_t *shown)
{
    char cite[CITATION_MAX];

    if (shown)
        *shown = SIZE_MAX;
    if (out == NULL || outsz == 0)
        return 0;
    if (budget < FORMAT_MIN_BUDGET)
        budget = FORMAT_MIN_BUDGET;
    if (budget > outsz - 1)
        budget = outsz - 1;

    size_t clen = format_citation(p, cite, sizeof cite);
    /* Only a caller's buffer smaller than the minimum budget gets here:
     * the citation alone is the most useful thing that fits. */
    if (budget < clen + LINE_OVERHEAD + ELLIPSIS_LEN)
        return format_cut(cite, budget, out, outsz);

    size_t room = budget - clen - LINE_OVERHEAD;
    char keep = use_snippet ? FORMAT_BOLD[0] : '\0';
    size_t tlen;
    char *text =
        clean_text(use_snippet ? p->snippet : p->text, keep, room, &tlen);
    if (text == NULL) {
        out[0] = '\0';
        return 0;
    }

    /* A bold left open would run into the citation: close it, even when a
     * hostile snippet arrived unbalanced. */
    size_t cut = tlen;
    bool close_bold = count_byte(text, tlen, FORMAT_BOLD[0]) % 2 == 1;
    bool cutting = tlen + (close_bold ? 1 : 0) > room;
    if (cutting) {
        size_t max = room - ELLIPSIS_LEN;
        cut = utf8_word_boundary(text, tlen, max);
        close_bold = count_byte(text, cut, FORMAT_BOLD[0]) % 2 == 1;
        if (close_bold && cut + 1 > max) {
            cut = utf8_word_boundary(text, tlen, max - 1);
            close_bold = count_byte(text, cut, FORMAT_BOLD[0]) % 2 == 1;
        }
    }

    size_t len = 0;
    put(out, &len, "\"", 1);
    put(out, &len, text, cut);
    if (close_bold)
        put(out, &len, FORMAT_BOLD, 1);
    if (cutting)
        put(out, &len, ellipsis, ELLIPSIS_LEN);
    put(out, &len, dash, sizeof dash - 1);
    put(out, &len, cite, clen);
    out[len] = '\0';
    if (shown && cutting)
        *shown = cut;
    free(text);
    return len;
}

/* ---- general cutter ------------------------------------------------------ */

size_t format_cut(const char *text, size_t budget, char *out, size_t outsz)
{
    if (out == NULL || outsz == 0)
        return 0;
    if (budget > outsz - 1)
        budget = outsz - 1;

    size_t tlen;
    char *clean = clean_text(text, '\0', budget, &tlen);
    if (clean == NULL) {
        out[0] = '\0';
        return 0;
    }

    size_t len;
    if (tlen <= budget) {
        len = tlen;
        memcpy(out, clean, len);
    } else if (budget < ELLIPSIS_LEN) {
        len = utf8_boundary(clean, tlen, budget); /* no room for "…" */
        memcpy(out, clean, len);
    } else {
        len = utf8_word_boundary(clean, tlen, budget - ELLIPSIS_LEN);
        memcpy(out, clean, len);
        memcpy(out + len, ellipsis, ELLIPSIS_LEN);
        len += ELLIPSIS_LEN;
    }
    out[len] = '\0';
    free(clean);
    return len;
}
