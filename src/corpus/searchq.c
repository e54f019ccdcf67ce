/* searchq.c - a user's search words to a safe FTS5 MATCH expression.
 *
 * The trick that makes it safe: every term we emit is an FTS5 string, "...",
 * holding only letters, digits, non-ASCII bytes and single spaces.  FTS5
 * syntax can only live outside strings, and a string can only end at a '"',
 * which we never copy.  So whatever the user typed, the structure of the
 * expression is ours: terms joined by AND (juxtaposition) or OR, and NOT.
 */
#include "searchq.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wordlist.h"

typedef struct {
    char text[SEARCHQ_MAX_TERM + 1];
    bool prefix;
    bool excluded;
} SearchTerm;

/* English stop words: too common to say anything about a passage.  Sorted,
 * so lookup is a binary search. */
static const char *const searchq_stopwords[] = {
    "a",     "about",   "after", "again", "all",   "also",  "am",   "an",
    "and",   "any",     "are",   "as",    "at",    "be",    "been", "before",
    "being", "both",    "but",   "by",    "can",   "could", "did",  "do",
    "does",  "doing",   "for",   "from",  "had",   "has",   "have", "having",
    "he",    "her",     "here",  "hers",  "him",   "his",   "how",  "i",
    "if",    "in",      "into",  "is",    "it",    "its",   "just", "may",
    "me",    "might",   "more",  "most",  "much",  "must",  "my",   "no",
    "nor",   "not",     "now",   "of",    "on",    "once",  "only", "or",
    "other", "our",     "ours",  "out",   "over",  "own",   "same", "shall",
    "she",   "should",  "so",    "some",  "such",  "than",  "that", "the",
    "their", "theirs",  "them",  "then",  "there", "these", "they", "this",
    "those", "through", "to",    "too",   "under", "until", "up",   "upon",
    "us",    "very",    "was",   "we",    "were",  "what",  "when", "where",
    "which", "while",   "who",   "whom",  "why",   "will",  "with", "would",
    "you",   "your",    "yours",
};

bool searchq_is_stopword(const char *word, size_t len)
{
    char low[16];
    if (len == 0 || len >= sizeof low)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)word[i];
        low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    low[len] = '\0';
    return wordlist_contains(
        searchq_stopwords, sizeof searchq_stopwords / sizeof *searchq_stopwords,
        low);
}

static bool searchq_wordbyte(unsigned char ch)
{
    return ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z');
}

/* Copies the word bytes of s[0..len) into t->text, every run of other bytes
 * becoming one space (so "Kishinev-Lvov" is the phrase "Kishinev Lvov").
 * A term longer than SEARCHQ_MAX_TERM is cut back to its last whole word;
 * a cut inside a UTF-8 sequence is harmless here (the tokenizer drops the
 * broken tail) but we avoid it anyway by cutting at a space. */
static void searchq_normalise(const char *s, size_t len, SearchTerm *t)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!searchq_wordbyte(ch)) {
            space = n > 0;
            continue;
        }
        if (space) {
            if (n + 1 >= SEARCHQ_MAX_TERM)
                break;
            t->text[n++] = ' ';
            space = false;
        }
        if (n >= SEARCHQ_MAX_TERM) {
            while (n > 0 && t->text[n - 1] != ' ') n--;
            while (n > 0 && t->text[n - 1] == ' ') n--;
            break;
        }
        t->text[n++] = (char)ch;
    }
    t->text[n] = '\0';
}

/* from:NAME, to:NAME, year:YYYY.  Returns 1 when the token [s, end) was a
 * filter (stored in q), 0 when it is an ordinary word, -1 for a bad year. */
static int searchq_filter(const char *s, const char *end, SearchQuery *q)
{
    static const struct {
        const char *key;
        size_t len;
    } keys[] = {
        {"from:", 5},
        {"to:", 3},
        {"year:", 5},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t klen = keys[i].len, vlen = (size_t)(end - s) - klen;
        if ((size_t)(end - s) <= klen || strncasecmp(s, keys[i].key, klen) != 0)
            continue;
        const char *v = s + klen;
        if (i == 2) {
            if (vlen != 4 || strspn(v, "0123456789") < 4)
                return -1;
            q->year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 +
                      (v[2] - '0') * 10 + (v[3] - '0');
            return 1;
        }
        char *dst = i == 0 ? q->from : q->to;
        if (vlen >= SEARCHQ_NAME_MAX)
            vlen = SEARCHQ_NAME_MAX - 1;
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
        return 1;
    }
    return 0;
}

/* Splits the user's text into terms, taking filters out into q.  Returns
 * the number of terms (at most max), or -1 for a bad filter; q->truncated
 * is set when more terms were given. */
static int searchq_terms(const char *user, SearchTerm *terms, int max,
                         SearchQuery *q)
{
    const char *p = user;
    int n = 0;

    q->truncated = 0;
    while (*p) {
        SearchTerm t = {0};
        const char *start, *end;

        /* '\0' is below 0x20 too: stop there, not after it. */
        while (*p && (*p == ' ' || (unsigned char)*p < 0x20)) p++;
        if (!*p)
            break;
        if (*p == '-' && p[1] && p[1] != ' ') {
            t.excluded = true;
            p++;
        }
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"') p++;
            end = p;
            if (*p == '"')
                p++;
        } else {
            start = p;
            while (*p && *p != ' ' && *p != '"' && (unsigned char)*p >= 0x20)
                p++;
            end = p;
            int filter = !t.excluded ? searchq_filter(start, end, q) : 0;
            if (filter < 0)
                return -1;
            if (filter > 0)
                continue;
            if (end > start && end[-1] == '*') {
                t.prefix = true;
                while (end > start && end[-1] == '*') end--;
            }
        }
        searchq_normalise(start, (size_t)(end - start), &t);
        if (!t.text[0])
            continue;
        if (n == max) {
            q->truncated = 1;
            break;
        }
        terms[n++] = t;
    }
    return n;
}

static int searchq_append(SearchQuery *q, size_t *len, const char *sep,
                          const SearchTerm *t)
{
    int w = snprintf(q->match + *len, sizeof q->match - *len, "%s\"%s\"%s", sep,
                     t->text, t->prefix ? "*" : "");
    if (w < 0 || (size_t)w >= sizeof q->match - *len)
        return -1;
    *len += (size_t)w;
    return 0;
}

static bool searchq_term_is_stopword(const SearchTerm *t)
{
    return !t->prefix && !strchr(t->text, ' ') &&
           searchq_is_stopword(t->text, strlen(t->text));
}

static void searchq_reset(SearchQuery *q)
{
    memset(q, 0, sizeof *q);
}

/* Records a refusal in q and err. */
static Status searchq_refuse(SearchQuery *q, enum searchq_refusal why,
                             Error *err)
{
    static const char *const reasons[] = {
        [SEARCHQ_EMPTY] = "no word to look for",
        [SEARCHQ_ONLY_EXCLUDED] = "only excluded words",
        [SEARCHQ_STOPWORDS] = "only words too common to search for",
        [SEARCHQ_BAD_YEAR] = "year: takes four digits",
    };
    q->match[0] = '\0';
    q->only[0] = '\0';
    q->refusal = why;
    return error_set(err, STATUS_INVALID, "%s", reasons[why]);
}

Status searchq_build(const char *user, SearchQuery *q, Error *err)
{
    SearchTerm terms[SEARCHQ_MAX_TERMS];
    size_t len = 0;
    bool meaningful = false;

    searchq_reset(q);
    int n = searchq_terms(user, terms, SEARCHQ_MAX_TERMS, q);
    if (n < 0)
        return searchq_refuse(q, SEARCHQ_BAD_YEAR, err);
    for (int i = 0; i < n; i++)
        meaningful |=
            !terms[i].excluded && !searchq_term_is_stopword(&terms[i]);
    /* Positive terms first, grouped, then each exclusion: "(a b) NOT c". */
    for (int i = 0; i < n; i++) {
        if (terms[i].excluded)
            continue;
        if (searchq_append(q, &len, q->nterms ? " " : "(", &terms[i]) < 0)
            break;
        q->nterms++;
        q->nphrases += strchr(terms[i].text, ' ') != NULL;
    }
    for (int i = 0; i < n && q->nterms == 1; i++)
        if (!terms[i].excluded && !terms[i].prefix)
            memcpy(q->only, terms[i].text, sizeof q->only);
    if (q->nterms == 0) {
        for (int i = 0; i < n; i++) q->nexcluded += terms[i].excluded;
        return searchq_refuse(
            q, q->nexcluded ? SEARCHQ_ONLY_EXCLUDED : SEARCHQ_EMPTY, err);
    }
    if (!meaningful) {
        /* "the of and" would match nearly every passage: say so instead. */
        return searchq_refuse(q, SEARCHQ_STOPWORDS, err);
    }
    /* SEARCHQ_MAX holds 16 maximal terms with room to spare, so the
     * closing parenthesis always fits. */
    q->match[len++] = ')';
    q->match[len] = '\0';
    for (int i = 0; i < n; i++) {
        if (!terms[i].excluded)
            continue;
        if (searchq_append(q, &len, " NOT ", &terms[i]) < 0)
            break;
        q->nexcluded++;
    }
    return STATUS_OK;
}

/* Reads q->match back rather than keeping a copy of the terms in q: its
 * positive group is ours, "(" then "term" or "term"* separated by single
 * spaces, then ")" (searchq_build).  Steps *p over the next quoted term:
 * false at the end of the group, else the term's text (without quotes)
 * and whether it is a prefix. */
static bool searchq_next_term(const char **p, const char **start,
                              size_t *len, bool *prefix)
{
    while (**p == ' ') (*p)++;
    if (**p != '"')
        return false;
    const char *s = *p + 1, *end = strchr(s, '"');
    if (!end)
        return false;
    *start = s;
    *len = (size_t)(end - s);
    *prefix = end[1] == '*';
    *p = end + 1 + (*prefix ? 1 : 0);
    return true;
}

int searchq_words(const SearchQuery *q, char words[][SEARCHQ_MAX_TERM + 1],
                  int max)
{
    const char *p = q->match, *start;
    size_t tlen;
    bool prefix;
    int n = 0;

    if (*p++ != '(')
        return 0;
    while (searchq_next_term(&p, &start, &tlen, &prefix)) {
        if (prefix)
            continue;
        const char *end = start + tlen;
        for (const char *w = start; w < end;) {
            const char *e = memchr(w, ' ', (size_t)(end - w));
            size_t len = (size_t)((e ? e : end) - w);
            bool seen = false;
            for (int i = 0; i < n && !seen; i++)
                seen = strlen(words[i]) == len && !memcmp(words[i], w, len);
            if (len > 0 && len <= SEARCHQ_MAX_TERM && !seen && n < max &&
                !searchq_is_stopword(w, len)) {
                memcpy(words[n], w, len);
                words[n++][len] = '\0';
            }
            w += len + 1;
        }
    }
    return n;
}

int searchq_positive(const SearchQuery *q,
                     char terms[][SEARCHQ_MAX_TERM + 1], int max)
{
    const char *p = q->match, *start;
    size_t len;
    bool prefix;
    int n = 0;

    if (*p++ != '(')
        return 0;
    while (searchq_next_term(&p, &start, &len, &prefix)) {
        if (prefix)
            return -1;
        if (n < max && len <= SEARCHQ_MAX_TERM) {
            memcpy(terms[n], start, len);
            terms[n++][len] = '\0';
        }
    }
    return n;
}
