/* people.c - the alias table: many spellings of a name, one person.
 *
 * The alias file has two kinds of lines (see data/aliases.txt):
 *
 *     title: the, mr, premier, prime minister, ...
 *     Stalin: Stalin, J. V. Stalin, Joseph Stalin, ...
 *
 * and lines for groups that are not correspondents, which headings never
 * resolve to but !reply matches in messages:
 *
 *     place Russia: Soviet Union, U.S.S.R., ...
 *     term wish: want, desire
 *
 * An alias belongs to one person or group only, whatever its kind, so a
 * phrase in a message never names two things.
 *
 * Every alias and every looked-up phrase is normalised the same way (ASCII
 * case folded, ASCII punctuation turned into spaces, runs of spaces collapsed,
 * ends trimmed), so "MR. W. CHURCHILL" and "Mr W Churchill" meet.  A phrase
 * that matches no alias loses one leading title and is tried again, until
 * nothing is left: a bare title never resolves to anyone.
 *
 * Lookups are linear scans: the file holds a few dozen names and lookups only
 * happen while importing, so a hash table would buy nothing.
 */
#include "people.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "utf8.h"

#define PEOPLE_MAX_PHRASE 256 /* longer phrases are not names */
#define PEOPLE_MAX_NAME 64    /* canonical names end up in IRC lines */
#define PEOPLE_MAX_FILE (1u << 20)

typedef struct {
    char *norm;       /* normalised alias */
    PeopleEntity who; /* index into names or groups */
} Alias;

typedef struct {
    char *name;
    enum people_kind kind; /* PEOPLE_PLACE or PEOPLE_TERM */
} Group;

struct People {
    char **names; /* canonical names, in file order */
    size_t nnames, capnames;
    Alias *aliases;
    size_t naliases, capaliases;
    char **titles; /* normalised, longest first once loaded */
    size_t ntitles, captitles;
    Group *groups; /* places and terms, in file order */
    size_t ngroups, capgroups;
};

/* --- normalisation ------------------------------------------------------ */

static bool people_is_punct(unsigned char c)
{
    return c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
           !(c >= '0' && c <= '9');
}

/* Writes the normalised form of s[0..len) to out.  Returns its length, or
 * -1 when it does not fit. */
static int people_normalise(const char *s, size_t len, char *out, size_t outsz)
{
    size_t n = 0;
    bool space = false;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (people_is_punct(c)) {
            space = n > 0;
            continue;
        }
        if (space) {
            if (n + 1 >= outsz)
                return -1;
            out[n++] = ' ';
            space = false;
        }
        if (n + 1 >= outsz)
            return -1;
        out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
    }
    if (outsz == 0)
        return -1;
    out[n] = '\0';
    return (int)n;
}

static long people_find_name(const People *p, const char *name)
{
    for (size_t i = 0; i < p->nnames; i++)
        if (strcmp(p->names[i], name) == 0)
            return (long)i;
    return -1;
}

static long people_find_group(const People *p, enum people_kind kind,
                              const char *name)
{
    for (size_t i = 0; i < p->ngroups; i++)
        if (p->groups[i].kind == kind && strcmp(p->groups[i].name, name) == 0)
            return (long)i;
    return -1;
}

static const char *people_entity_name(const People *p, PeopleEntity e)
{
    return e.kind == PEOPLE_PERSON ? p->names[e.index]
                                   : p->groups[e.index].name;
}

static const Alias *people_find_alias(const People *p, const char *norm)
{
    for (size_t i = 0; i < p->naliases; i++)
        if (strcmp(p->aliases[i].norm, norm) == 0)
            return &p->aliases[i];
    return NULL;
}

/* --- parsing the file --------------------------------------------------- */

static void people_trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* Adds one title (is_title) or one alias of who. */
static Status people_add_item(People *p, bool is_title, PeopleEntity who,
                              const char *item, size_t len, const char *name,
                              int lineno, Error *err)
{
    char norm[PEOPLE_MAX_PHRASE];
    int n;

    people_trim(&item, &len);
    if (len == 0)
        return error_set(err, STATUS_INVALID, "%s:%d: empty entry in list",
                         name, lineno);
    n = people_normalise(item, len, norm, sizeof norm);
    if (n < 0)
        return error_set(err, STATUS_INVALID,
                         "%s:%d: entry longer than %d bytes", name, lineno,
                         PEOPLE_MAX_PHRASE - 1);
    if (n == 0)
        return error_set(err, STATUS_INVALID,
                         "%s:%d: entry '%.*s' has no letters or digits", name,
                         lineno, (int)len, item);
    if (is_title) {
        for (size_t i = 0; i < p->ntitles; i++)
            if (strcmp(p->titles[i], norm) == 0)
                return STATUS_OK;
        if (array_grow(&p->titles, &p->captitles, p->ntitles + 1,
                       sizeof *p->titles) != STATUS_OK)
            goto oom;
        if (!(p->titles[p->ntitles] = strdup(norm)))
            goto oom;
        p->ntitles++;
        return STATUS_OK;
    }
    const Alias *old = people_find_alias(p, norm);
    if (old) {
        if (old->who.kind == who.kind && old->who.index == who.index)
            return STATUS_OK; /* "Stalin: Stalin" repeats the implicit alias */
        return error_set(
            err, STATUS_INVALID, "%s:%d: alias '%.*s' already belongs to %s",
            name, lineno, (int)len, item, people_entity_name(p, old->who));
    }
    if (array_grow(&p->aliases, &p->capaliases, p->naliases + 1,
                   sizeof *p->aliases) != STATUS_OK)
        goto oom;
    if (!(p->aliases[p->naliases].norm = strdup(norm)))
        goto oom;
    p->aliases[p->naliases].who = who;
    p->naliases++;
    return STATUS_OK;

oom:
    return error_set(err, STATUS_ERROR, "%s:%d: out of memory", name, lineno);
}

/* Adds (or finds) the canonical person or group on the left of a line. */
static Status people_add_entity(People *p, enum people_kind kind,
                                const char *key, size_t klen, PeopleEntity *who,
                                const char *name, int lineno, Error *err)
{
    char canon[PEOPLE_MAX_NAME + 1];

    if (klen > PEOPLE_MAX_NAME)
        return error_set(err, STATUS_INVALID,
                         "%s:%d: name longer than %d bytes", name, lineno,
                         PEOPLE_MAX_NAME);
    memcpy(canon, key, klen);
    canon[klen] = '\0';
    who->kind = kind;
    long found = kind == PEOPLE_PERSON ? people_find_name(p, canon)
                                       : people_find_group(p, kind, canon);
    if (found >= 0) {
        who->index = (size_t)found; /* a second line for the same name adds */
        return STATUS_OK;
    }
    if (kind == PEOPLE_PERSON) {
        if (array_grow(&p->names, &p->capnames, p->nnames + 1,
                       sizeof *p->names) != STATUS_OK ||
            !(p->names[p->nnames] = strdup(canon)))
            goto oom;
        who->index = p->nnames++;
    } else {
        if (array_grow(&p->groups, &p->capgroups, p->ngroups + 1,
                       sizeof *p->groups) != STATUS_OK ||
            !(p->groups[p->ngroups].name = strdup(canon)))
            goto oom;
        p->groups[p->ngroups].kind = kind;
        who->index = p->ngroups++;
    }
    /* The canonical name is always an alias of itself. */
    return people_add_item(p, false, *who, key, klen, name, lineno, err);

oom:
    return error_set(err, STATUS_ERROR, "%s:%d: out of memory", name, lineno);
}

/* "place Russia" and "term wish" name groups; anything else a person. */
static enum people_kind people_key_kind(const char **key, size_t *klen)
{
    static const struct {
        const char *word;
        enum people_kind kind;
    } kinds[] = {{"place", PEOPLE_PLACE}, {"term", PEOPLE_TERM}};

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t wl = strlen(kinds[i].word);
        if (*klen > wl + 1 && memcmp(*key, kinds[i].word, wl) == 0 &&
            ((*key)[wl] == ' ' || (*key)[wl] == '\t')) {
            *key += wl;
            *klen -= wl;
            people_trim(key, klen);
            return kinds[i].kind;
        }
    }
    return PEOPLE_PERSON;
}

static Status people_parse_line(People *p, const char *line, size_t len,
                                const char *name, int lineno, Error *err)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return error_set(err, STATUS_INVALID, "%s:%d: control byte 0x%02x",
                             name, lineno, c);
    }
    if (!utf8_valid(line, len, NULL))
        return error_set(err, STATUS_INVALID, "%s:%d: invalid UTF-8", name,
                         lineno);
    people_trim(&line, &len);
    if (len == 0 || line[0] == '#')
        return STATUS_OK;

    const char *colon = memchr(line, ':', len);
    if (!colon)
        return error_set(err, STATUS_INVALID,
                         "%s:%d: expected 'Name: alias, alias, ...'", name,
                         lineno);
    const char *key = line;
    size_t klen = (size_t)(colon - line);
    people_trim(&key, &klen);
    const char *list = colon + 1;
    size_t llen = (size_t)(line + len - list);
    if (klen == 0)
        return error_set(err, STATUS_INVALID, "%s:%d: missing name before ':'",
                         name, lineno);

    bool is_title = klen == 5 && memcmp(key, "title", 5) == 0;
    PeopleEntity who = {PEOPLE_PERSON, 0};
    if (!is_title) {
        enum people_kind kind = people_key_kind(&key, &klen);
        Status st =
            people_add_entity(p, kind, key, klen, &who, name, lineno, err);
        if (st != STATUS_OK)
            return st;
    }

    const char *item = list, *end = list + llen;
    if (!is_title) {
        /* An empty list is allowed: the canonical name is its own alias. */
        const char *t = list;
        size_t tl = llen;
        people_trim(&t, &tl);
        if (tl == 0)
            return STATUS_OK;
    }
    for (;;) {
        const char *comma = memchr(item, ',', (size_t)(end - item));
        const char *stop = comma ? comma : end;
        Status st = people_add_item(p, is_title, who, item,
                                    (size_t)(stop - item), name, lineno, err);
        if (st != STATUS_OK)
            return st;
        if (!comma)
            break;
        item = comma + 1;
    }
    return STATUS_OK;
}

static int people_cmp_title(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb   ? 1
           : la > lb ? -1
                     : strcmp(*(char *const *)a, *(char *const *)b);
}

People *people_load_buffer(const char *name, const char *buf, size_t len,
                           Error *err)
{
    People *p = calloc(1, sizeof *p);
    int lineno = 0;
    size_t pos = 0;

    if (!p) {
        error_set(err, STATUS_ERROR, "%s: out of memory", name);
        return NULL;
    }
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t l = end - pos;
        lineno++;
        if (l > 0 && buf[pos + l - 1] == '\r')
            l--;
        if (people_parse_line(p, buf + pos, l, name, lineno, err) != STATUS_OK)
            goto fail;
        pos = end + 1;
    }
    if (p->nnames == 0) {
        error_set(err, STATUS_INVALID, "%s:%d: no people defined", name,
                  lineno ? lineno : 1);
        goto fail;
    }
    if (p->ntitles > 1) /* a file with no titles has no array */
        qsort(p->titles, p->ntitles, sizeof *p->titles, people_cmp_title);
    return p;

fail:
    people_free(p);
    return NULL;
}

People *people_load(const char *path, Error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    People *p = NULL;

    if (!f) {
        error_set(err, STATUS_ERROR, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(PEOPLE_MAX_FILE + 1);
    if (!buf) {
        error_set(err, STATUS_ERROR, "%s: out of memory", path);
        goto done;
    }
    len = fread(buf, 1, PEOPLE_MAX_FILE + 1, f);
    if (ferror(f)) {
        error_set(err, STATUS_ERROR, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (len > PEOPLE_MAX_FILE) {
        error_set(err, STATUS_INVALID, "%s: larger than %u bytes", path,
                  PEOPLE_MAX_FILE);
        goto done;
    }
    p = people_load_buffer(path, buf, len, err);
done:
    free(buf);
    fclose(f);
    return p;
}

void people_free(People *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nnames; i++) free(p->names[i]);
    for (size_t i = 0; i < p->naliases; i++) free(p->aliases[i].norm);
    for (size_t i = 0; i < p->ntitles; i++) free(p->titles[i]);
    for (size_t i = 0; i < p->ngroups; i++) free(p->groups[i].name);
    free(p->names);
    free(p->aliases);
    free(p->titles);
    free(p->groups);
    free(p);
}

/* --- lookup ------------------------------------------------------------- */

/* The person's alias a phrase names, titles stripped; NULL if none. */
static const Alias *people_resolve_alias(const People *p, const char *phrase)
{
    char norm[PEOPLE_MAX_PHRASE];
    const char *s = norm;

    if (!p || !phrase)
        return NULL;
    if (people_normalise(phrase, strlen(phrase), norm, sizeof norm) <= 0)
        return NULL;
    for (;;) {
        const Alias *a = people_find_alias(p, s);
        if (a && a->who.kind == PEOPLE_PERSON)
            return a;
        /* Strip the longest leading title that is a whole word, and retry. */
        const char *next = NULL;
        for (size_t i = 0; i < p->ntitles && !next; i++) {
            size_t tl = strlen(p->titles[i]);
            if (strncmp(s, p->titles[i], tl) == 0 && s[tl] == ' ')
                next = s + tl + 1;
        }
        if (!next)
            return NULL;
        s = next;
    }
}

const char *people_resolve(const People *p, const char *phrase)
{
    const Alias *a = people_resolve_alias(p, phrase);
    return a ? p->names[a->who.index] : NULL;
}

bool people_lookup(const People *p, const char *phrase, PeopleEntity *e)
{
    char norm[PEOPLE_MAX_PHRASE];
    const Alias *a = people_resolve_alias(p, phrase);

    if (!a && p && phrase &&
        people_normalise(phrase, strlen(phrase), norm, sizeof norm) > 0)
        a = people_find_alias(p, norm);
    if (!a)
        return false;
    *e = a->who;
    return true;
}

size_t people_count(const People *p)
{
    return p ? p->nnames : 0;
}

const char *people_name(const People *p, size_t i)
{
    return p && i < p->nnames ? p->names[i] : NULL;
}

size_t people_group_count(const People *p)
{
    return p ? p->ngroups : 0;
}

const char *people_group_name(const People *p, size_t i)
{
    return p && i < p->ngroups ? p->groups[i].name : NULL;
}

enum people_kind people_group_kind(const People *p, size_t i)
{
    return p && i < p->ngroups ? p->groups[i].kind : PEOPLE_PERSON;
}

size_t people_alias_count(const People *p)
{
    return p ? p->naliases : 0;
}

const char *people_alias(const People *p, size_t i, PeopleEntity *e)
{
    if (!p || i >= p->naliases)
        return NULL;
    if (e)
        *e = p->aliases[i].who;
    return p->aliases[i].norm;
}
