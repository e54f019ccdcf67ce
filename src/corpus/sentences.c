/* sentences.c - a passage cut into sentences (see sentences.h).
 *
 * A sentence ends at '.', '!' or '?' followed (after closing quotes and
 * brackets) by a space and a capital, a digit, a quote or a non-ASCII
 * letter, unless the '.' ends an abbreviation of a title or an initial
 * ("Mr. Eden", "J. V. Stalin", "U.S.S.R."): the letters are formal prose,
 * and a window that stopped at "Mr." would split the sentence that
 * answers.
 */
#include "sentences.h"

#include <stdbool.h>
#include <string.h>

#include "question.h"

static bool sentences_upper_start(const unsigned char *p)
{
    return (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '"' ||
           *p == '(' || *p == '\'' || *p >= 0x80;
}

/* True when the '.' at text[i] ends an abbreviation or an initial: "Mr.",
 * "J. V.", "U.S.S.R." */
static bool sentences_abbrev(const char *text, size_t i)
{
    static const char *const abbrevs[] = {"Mr",  "Mrs", "Dr",   "St", "No",
                                          "Gen", "Col", "Capt", "Lt", "Messrs"};
    size_t k = i;
    while (k > 0 && ((text[k - 1] >= 'a' && text[k - 1] <= 'z') ||
                     (text[k - 1] >= 'A' && text[k - 1] <= 'Z')))
        k--;
    size_t wl = i - k;
    if (wl == 1 && text[k] >= 'A' && text[k] <= 'Z')
        return true;
    for (size_t a = 0; a < sizeof abbrevs / sizeof abbrevs[0]; a++)
        if (strlen(abbrevs[a]) == wl && memcmp(text + k, abbrevs[a], wl) == 0)
            return true;
    return false;
}

void sentences_split(const char *text, const Tokens *t, int *sent, int *nsent)
{
    size_t len = strlen(text), tok = 0;
    int cur = 0;

    for (size_t i = 0; i <= len; i++) {
        while (tok < t->n && (size_t)t->v[tok].start <= i) sent[tok++] = cur;
        if (i == len)
            break;
        char ch = text[i];
        if (ch != '.' && ch != '!' && ch != '?')
            continue;
        if (ch == '.' && sentences_abbrev(text, i))
            continue;
        size_t k = i + 1;
        while (k < len && (text[k] == '"' || text[k] == ')' || text[k] == '\''))
            k++;
        if (k < len && !question_is_space(text[k]))
            continue;
        while (k < len && question_is_space(text[k])) k++;
        if (k == len || sentences_upper_start((const unsigned char *)text + k))
            cur++;
    }
    while (tok < t->n) sent[tok++] = cur;
    *nsent = cur + 1;
}

void sentences_excerpt(const char *text, const Tokens *t, const int *sent,
                       int nsent, int first, int last, int *start, int *end)
{
    size_t len = strlen(text), a = 0, b = len, k = 0;

    if (t->n == 0 || first >= nsent) {
        *start = 0;
        *end = (int)len;
        return;
    }
    while (k < t->n && sent[k] < first) k++;
    if (k > 0 && k < t->n) {
        a = (size_t)t->v[k - 1].end;
        while (a < len && !question_is_space(text[a])) a++;
        while (a < len && question_is_space(text[a])) a++;
        if (a > (size_t)t->v[k].start)
            a = (size_t)t->v[k].start;
    }
    while (k < t->n && sent[k] <= last) k++;
    if (k < t->n) {
        b = (size_t)t->v[k].start;
        while (b > a && !question_is_space(text[b - 1])) b--; /* '"', '(' */
        while (b > a && question_is_space(text[b - 1])) b--;
    }
    *start = (int)a;
    *end = (int)b;
}
