/* grepnarrow.c - the literals a !grep pattern requires, as a trigram index
 * query (see grepnarrow.h).
 *
 * A recursive reading of the pattern: an alternation is the OR of its
 * branches (nothing, if any branch requires nothing), a sequence the AND
 * of its parts, a run of plain characters one literal.  A character
 * followed by ?, * or {0,...} leaves the run; one followed by + or {n,...}
 * (n >= 1) ends it; a group followed by an optional quantifier adds
 * nothing.  Only ASCII letters, digits, space and a few punctuation marks
 * count as plain, and not k or s: caseless UTF matching also lets them
 * match the Kelvin sign and the long s, which the index folds otherwise.
 * Anything else (classes, '.', anchors, escapes such as \w or \b) ends the
 * run; escapes that take arguments (\x, \p, \Q ...), (?...) groups other
 * than (?:, and verbs after the pattern's start make the pattern "not
 * narrowed" at all rather than risk a wrong reading.
 */
#include "grepnarrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Patterns are short (GREP_PATTERN_MAX), so nesting is bounded by it. */
#define GREPNARROW_RUN_MAX 256

typedef struct {
    const char *p; /* the next byte to read */
    bool giveup;
} Reader;

/* A heap string, or NULL for "requires nothing". */
typedef char *Expr;

static Expr grepnarrow_alt(Reader *r);

static bool grepnarrow_plain(unsigned char ch)
{
    if (ch >= 0x80)
        return false;
    if (ch == 'k' || ch == 'K' || ch == 's' || ch == 'S')
        return false;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9'))
        return true;
    return strchr(" ,-'\":;!/@&%=<>_~`#", ch) != NULL && ch != '\0';
}

/* "a AND b" (either may be NULL); takes both. */
static Expr grepnarrow_and(Expr a, Expr b, Reader *r)
{
    if (!a)
        return b;
    if (!b)
        return a;
    size_t n = strlen(a) + strlen(b) + 6;
    Expr e = malloc(n);
    if (e)
        snprintf(e, n, "%s AND %s", a, b);
    else
        r->giveup = true;
    free(a);
    free(b);
    return e;
}

/* "(a) OR (b)"; NULL if either is NULL (that branch requires nothing). */
static Expr grepnarrow_or(Expr a, Expr b, Reader *r)
{
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    size_t n = strlen(a) + strlen(b) + 11;
    Expr e = malloc(n);
    if (e)
        snprintf(e, n, "(%s) OR (%s)", a, b);
    else
        r->giveup = true;
    free(a);
    free(b);
    return e;
}

/* The trigrams of a run, AND-ed; NULL when it is shorter than three.
 * Each takes at most 13 bytes: " AND ", two quotes and three characters
 * that may each be a doubled quote. */
static Expr grepnarrow_run(const char *run, size_t len, Reader *r)
{
    if (len < 3)
        return NULL;
    size_t n = (len - 2) * 13 + 1, at = 0;
    Expr e = malloc(n);
    if (!e) {
        r->giveup = true;
        return NULL;
    }
    for (size_t i = 0; i + 3 <= len; i++) {
        if (i) {
            memcpy(e + at, " AND ", 5);
            at += 5;
        }
        e[at++] = '"';
        for (size_t j = i; j < i + 3; j++) {
            e[at++] = run[j];
            if (run[j] == '"')
                e[at++] = '"'; /* FTS5 strings double their quotes */
        }
        e[at++] = '"';
    }
    e[at] = '\0';
    return e;
}

/* After an atom: skips its quantifier, if any.  Returns 0 for none, 1 for
 * one that requires the atom at least once (+, {n} or {n,...} with n >= 1),
 * 2 for one that may repeat it zero times. */
static int grepnarrow_quantifier(Reader *r)
{
    int kind = 0;
    const char *p = r->p;
    if (*p == '?' || *p == '*') {
        kind = 2;
        p++;
    } else if (*p == '+') {
        kind = 1;
        p++;
    } else if (*p == '{') {
        const char *q = p + 1;
        long min = -1;
        if (*q >= '0' && *q <= '9')
            min = strtol(q, (char **)&q, 10);
        while ((*q >= '0' && *q <= '9') || *q == ',' || *q == ' ') q++;
        if (*q != '}')
            return 0; /* a literal brace: the caller reads it as one */
        kind = min >= 1 ? 1 : 2;
        p = q + 1;
    }
    if (kind && (*p == '?' || *p == '+'))
        p++; /* lazy or possessive */
    r->p = p;
    return kind;
}

/* Skips a [...] class; gives up when it does not end. */
static void grepnarrow_class(Reader *r)
{
    const char *p = r->p + 1;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++; /* a leading ] is a member */
    while (*p && *p != ']') {
        if (*p == '\\' && p[1])
            p += 2;
        else if (*p == '[' && p[1] == ':') {
            const char *end = strstr(p + 2, ":]");
            p = end ? end + 2 : p + 1;
        } else
            p++;
    }
    if (!*p)
        r->giveup = true;
    r->p = *p ? p + 1 : p;
}

/* A sequence up to '|', ')' or the end: the AND of what it requires. */
static Expr grepnarrow_seq(Reader *r)
{
    char run[GREPNARROW_RUN_MAX] = ""; /* zeroed: GCC -O3 cannot see len guards it */
    size_t len = 0;
    Expr all = NULL;

#define FLUSH()                                                      \
    do {                                                             \
        all = grepnarrow_and(all, grepnarrow_run(run, len, r), r);   \
        len = 0;                                                     \
    } while (0)

    while (!r->giveup && *r->p && *r->p != '|' && *r->p != ')') {
        unsigned char ch = (unsigned char)*r->p;
        bool escaped = false;
        if (ch == '(') {
            FLUSH();
            r->p++;
            if (r->p[0] == '*' || (r->p[0] == '?' && r->p[1] != ':')) {
                r->giveup = true;
                break;
            }
            if (r->p[0] == '?')
                r->p += 2;
            Expr inner = grepnarrow_alt(r);
            if (*r->p != ')') {
                free(inner);
                r->giveup = true;
                break;
            }
            r->p++;
            if (grepnarrow_quantifier(r) == 2) {
                free(inner);
                inner = NULL;
            }
            all = grepnarrow_and(all, inner, r);
            continue;
        }
        if (ch == '[') {
            FLUSH();
            grepnarrow_class(r);
            grepnarrow_quantifier(r);
            continue;
        }
        if (ch == '\\') {
            unsigned char e = (unsigned char)r->p[1];
            if (!e) {
                r->giveup = true;
                break;
            }
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
                (e >= '0' && e <= '9')) {
                if (!strchr("bBwWdDsShHvVRXAzZK", e)) {
                    r->giveup = true; /* an escape with arguments */
                    break;
                }
                FLUSH();
                r->p += 2;
                grepnarrow_quantifier(r);
                continue;
            }
            ch = e; /* an escaped mark stands for itself */
            r->p++;
            escaped = true;
        }
        r->p++;
        if (!(escaped ? ch > ' ' && ch < 0x7f : grepnarrow_plain(ch))) {
            FLUSH();
            while (ch >= 0xC0 && ((unsigned char)*r->p & 0xC0) == 0x80)
                r->p++; /* the rest of a UTF-8 character */
            grepnarrow_quantifier(r);
            continue;
        }
        int q = grepnarrow_quantifier(r);
        if (q == 2) {
            FLUSH();
            continue;
        }
        if (len == sizeof run)
            FLUSH();
        run[len++] = (char)ch;
        if (q == 1)
            FLUSH();
    }
    FLUSH();
#undef FLUSH
    return all;
}

static Expr grepnarrow_alt(Reader *r)
{
    Expr e = grepnarrow_seq(r);
    while (!r->giveup && *r->p == '|') {
        r->p++;
        e = grepnarrow_or(e, grepnarrow_seq(r), r);
    }
    return e;
}

/* Leading verbs such as (*UTF) or (*LIMIT_MATCH=100) change how a match
 * runs, not what it needs: skipped. */
static void grepnarrow_verbs(Reader *r)
{
    while (r->p[0] == '(' && r->p[1] == '*') {
        const char *q = r->p + 2;
        while ((*q >= 'A' && *q <= 'Z') || *q == '_' || *q == '=' ||
               (*q >= '0' && *q <= '9'))
            q++;
        if (*q != ')')
            return;
        r->p = q + 1;
    }
}

bool grepnarrow_build(const char *pattern, char *out, size_t outsz)
{
    Reader r = {.p = pattern};
    out[0] = '\0';
    grepnarrow_verbs(&r);
    Expr e = grepnarrow_alt(&r);
    bool ok = e && !r.giveup && *r.p == '\0' && strlen(e) < outsz;
    if (ok)
        memcpy(out, e, strlen(e) + 1);
    free(e);
    return ok;
}
