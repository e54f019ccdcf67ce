/* mask.c - nick!user@host glob masks compiled to PCRE2 (see mask.h).
 *
 * The glob is folded (RFC 1459) and translated byte by byte: '*' to ".*",
 * '?' to ".", letters and digits as they are, anything else escaped, so no
 * character of a mask is ever a regex operator.  Byte mode (no PCRE2_UTF):
 * hostmasks are ASCII in practice, and byte matching cannot fail on invalid
 * UTF-8 in a subject.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "mask.h"

#include "array.h"
#include "casefold.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK_MATCH_LIMIT 100000 /* backtracking steps per match */
#define MASK_DEPTH_LIMIT 1000

struct Mask {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char text[];
};

struct MaskList {
    Mask **v;
    size_t n, cap;
    char **acct; /* account names, case-folded */
    size_t nacct, acct_cap;
};

/* --- compiling ---------------------------------------------------------- */

static const char *glob_check(const char *glob)
{
    const char *bang, *at;
    size_t n = strlen(glob);

    if (n == 0)
        return "empty mask";
    if (n > MASK_MAX)
        return "mask too long";
    for (const char *p = glob; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7F)
            return "mask holds a space or control character";
    bang = strchr(glob, '!');
    at = bang ? strchr(bang + 1, '@') : NULL;
    if (!at)
        return "mask is not of the form nick!user@host";
    return NULL;
}

/* Writes the regex for glob to out (sized for the worst case: 6 bytes per
 * glob byte, "\x{hh}"). */
static void glob_to_regex(const char *glob, char *out, size_t outsz)
{
    size_t w = 0;

    for (const char *p = glob; *p; p++) {
        unsigned char c = (unsigned char)casefold_char(*p);

        if (c == '*') {
            if (p[1] == '*')
                continue; /* "**" is "*" */
            w += (size_t)snprintf(out + w, outsz - w, ".*");
        } else if (c == '?') {
            w += (size_t)snprintf(out + w, outsz - w, ".");
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            w += (size_t)snprintf(out + w, outsz - w, "%c", c);
        } else if (c < 0x80) {
            w += (size_t)snprintf(out + w, outsz - w, "\\%c", c);
        } else {
            w += (size_t)snprintf(out + w, outsz - w, "\\x{%02x}", c);
        }
    }
}

/* mask_compile with the status kept, for mask_list_add. */
static Status mask_make(const char *glob, Mask **out, Error *err)
{
    char re[MASK_MAX * 6 + 1];
    const char *why = glob_check(glob);
    size_t n;
    Mask *m = NULL;
    Status st = STATUS_ERROR;
    int rc;
    PCRE2_SIZE off;

    *out = NULL;
    if (why)
        return error_set(err, STATUS_INVALID, "%s", why);
    n = strlen(glob);
    m = calloc(1, sizeof *m + n + 1);
    if (!m)
        goto oom;
    memcpy(m->text, glob, n + 1);
    glob_to_regex(glob, re, sizeof re);

    m->code =
        pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                      PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL |
                          PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP,
                      &rc, &off, NULL);
    if (!m->code) { /* cannot happen: all escaped */
        st = error_set(err, STATUS_ERROR, "mask does not compile");
        goto fail;
    }
    m->md = pcre2_match_data_create_from_pattern(m->code, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (!m->md || !m->mctx)
        goto oom;
    if (pcre2_set_match_limit(m->mctx, MASK_MATCH_LIMIT) != 0 ||
        pcre2_set_depth_limit(m->mctx, MASK_DEPTH_LIMIT) != 0)
        goto oom;
    *out = m;
    return STATUS_OK;

oom:
    st = error_set(err, STATUS_ERROR, "out of memory");
fail:
    mask_free(m);
    return st;
}

Mask *mask_compile(const char *glob, Error *err)
{
    Mask *m;
    mask_make(glob, &m, err);
    return m;
}

void mask_free(Mask *m)
{
    if (!m)
        return;
    pcre2_match_context_free(m->mctx);
    pcre2_match_data_free(m->md);
    pcre2_code_free(m->code);
    free(m);
}

const char *mask_text(const Mask *m)
{
    return m->text;
}

/* --- matching ----------------------------------------------------------- */

bool mask_match(Mask *m, const char *nuh)
{
    char folded[MASK_SUBJECT_MAX + 1];
    size_t n = strlen(nuh);

    if (n > MASK_SUBJECT_MAX)
        return false;
    memcpy(folded, nuh, n + 1);
    casefold_str(folded);
    /* Any error, the match limit included, is "no match". */
    return pcre2_match(m->code, (PCRE2_SPTR)folded, n, 0, 0, m->md, m->mctx) >=
           0;
}

/* --- lists -------------------------------------------------------------- */

MaskList *mask_list_new(void)
{
    return calloc(1, sizeof(MaskList));
}

void mask_list_free(MaskList *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) mask_free(l->v[i]);
    free(l->v);
    for (size_t i = 0; i < l->nacct; i++) free(l->acct[i]);
    free(l->acct);
    free(l);
}

bool mask_is_account(const char *glob)
{
    return strncasecmp(glob, MASK_ACCOUNT_PREFIX,
                       sizeof MASK_ACCOUNT_PREFIX - 1) == 0;
}

Status mask_account_check(const char *glob, Error *err)
{
    const char *name = glob + sizeof MASK_ACCOUNT_PREFIX - 1;
    size_t n = strlen(name);
    if (n == 0 || n > MASK_MAX)
        return error_set(err, STATUS_INVALID,
                         "an account name is 1 to %d bytes", MASK_MAX);
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '*')
            return error_set(err, STATUS_INVALID,
                             "an account name has no space, control byte "
                             "or '*'");
    return STATUS_OK;
}

Status mask_list_add(MaskList *l, const char *glob, Error *err)
{
    Mask *m;
    Status st;

    if (mask_is_account(glob)) {
        if ((st = mask_account_check(glob, err)) != STATUS_OK)
            return st;
        char *name = strdup(glob + sizeof MASK_ACCOUNT_PREFIX - 1);
        if (!name || array_grow(&l->acct, &l->acct_cap, l->nacct + 1,
                                sizeof *l->acct) != STATUS_OK) {
            free(name);
            return error_set(err, STATUS_ERROR, "out of memory");
        }
        l->acct[l->nacct++] = casefold_str(name);
        return STATUS_OK;
    }
    if (array_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v) != STATUS_OK)
        return error_set(err, STATUS_ERROR, "out of memory");
    if ((st = mask_make(glob, &m, err)) != STATUS_OK)
        return st;
    l->v[l->n++] = m;
    return STATUS_OK;
}

size_t mask_list_count(const MaskList *l)
{
    return l->n + l->nacct;
}

bool mask_list_match(MaskList *l, const char *nuh)
{
    for (size_t i = 0; i < l->n; i++)
        if (mask_match(l->v[i], nuh))
            return true;
    return false;
}

bool mask_list_match_account(MaskList *l, const char *nuh,
                             const char *account)
{
    if (account)
        for (size_t i = 0; i < l->nacct; i++)
            if (casefold_cmp(l->acct[i], account) == 0)
                return true;
    return mask_list_match(l, nuh);
}
