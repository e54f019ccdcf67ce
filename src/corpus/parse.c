/* parse.c - plain-text correspondence to letters (see parse.h).
 *
 * Three passes over one file, each simple on its own:
 *
 *   1. lines: reject what is not text (control bytes, invalid UTF-8, lines
 *      over PARSE_MAX_LINE), strip CR and trailing blanks, and join runs of
 *      non-blank lines into paragraphs;
 *   2. classify: every paragraph is a "No. N", a date line, a heading
 *      qualifier ("Personal and Most Secret"), a heading, a "Source:" line or
 *      body text;
 *   3. letters: a small state machine over the classified paragraphs.
 *
 * Headings are recognised by the table parse_headings[] below: to accept a
 * new form, add a row.  The patterns are compiled once per Parser and freed
 * with it, so a parser holds no global state: two parsers never share
 * anything, and an import that is done leaves nothing behind.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "parse.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "utf8.h"

#define PARSE_MAX_HEADING 300  /* longer paragraphs are never headings */
#define PARSE_MAX_CAPS 119     /* the bare "X TO Y" form is short */
#define PARSE_MAX_DATE 100     /* longest plausible date line */
#define PARSE_MAX_SIGNATURE 60 /* "W. S. CHURCHILL", not a sentence */
#define PARSE_MSG 1024

/* --- the heading table ---------------------------------------------------- */

/* One qualifier word ("Personal", "Most Secret") and a list of them joined by
 * commas or "and". */
#define QUAL_WORD                    \
    "(?:(?:most|strictly|top)\\s+)?" \
    "(?:personal|secret|confidential|private)"
#define QUALS QUAL_WORD "(?:(?:\\s*,\\s*|\\s+)(?:and\\s+)?" QUAL_WORD ")*"
/* A recipient ends in a letter or digit, then optional footnote stars:
 * "...TO J. V. STALIN*".  A final full stop means a sentence, not a heading. */
#define NAME_END "(.*?[^\\s.,;:!?*])\\**$"

typedef struct {
    const char *pattern;
    uint32_t flags;
    int sender_group; /* capture group holding the sender */
    int recipient_group;
    size_t maxlen; /* longer paragraphs never match this rule */
    bool strict;   /* unknown names: body text, not an error */
    const char *comment;
} HeadingRule;

static const HeadingRule parse_headings[] = {
    {"^(?:" QUALS ",?\\s+)?message\\s+from\\s+(.+?),?\\s+to\\s+" NAME_END,
     PCRE2_CASELESS, 1, 2, PARSE_MAX_HEADING, false,
     "[Personal and Secret] Message from Premier Stalin to Prime Minister "
     "Churchill; MOST SECRET AND PERSONAL MESSAGE FROM THE PRIME MINISTER, "
     "MR. WINSTON CHURCHILL, TO PREMIER STALIN"},
    {"^" QUALS "\\s+from\\s+(.+?),?\\s+to\\s+" NAME_END, PCRE2_CASELESS, 1, 2,
     PARSE_MAX_HEADING, false,
     "PERSONAL AND SECRET FROM PRESIDENT ROOSEVELT TO MARSHAL STALIN"},
    {"^(\\p{Lu}[\\p{Lu}.,'\\- ]*?),?\\s+TO\\s+(\\p{Lu}[\\p{Lu}.,'\\- ]*?)\\**$",
     0, 1, 2, PARSE_MAX_CAPS, true,
     "W. CHURCHILL TO J. V. STALIN* (upper case only, both names known)"},
};

#define PARSE_NHEADINGS (sizeof parse_headings / sizeof parse_headings[0])

/* The other paragraph patterns. */
enum { RX_NUMBER, RX_QUALIFIER, RX_COUNT };
static const char *const parse_patterns[RX_COUNT] = {
    [RX_NUMBER] = "^No\\.\\s*(\\d{1,6})(?:\\s+(\\S.*))?$",
    [RX_QUALIFIER] = "^" QUALS "\\.?$",
};

struct Parser {
    const People *people;                    /* borrowed */
    pcre2_code *heading_rx[PARSE_NHEADINGS]; /* parse_headings[], compiled */
    pcre2_code *rx[RX_COUNT];                /* parse_patterns[], compiled */
    pcre2_match_data *md;
};

static pcre2_code *parse_compile(const char *pattern, uint32_t flags,
                                 Error *err)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   flags | PCRE2_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(code, buf, sizeof buf);
        error_set(err, STATUS_ERROR, "internal error: pattern '%s' at %zu: %s",
                  pattern, (size_t)off, (const char *)buf);
    }
    return re;
}

Parser *parser_new(const People *people, Error *err)
{
    Parser *p = calloc(1, sizeof *p);

    if (!p) {
        error_set(err, STATUS_ERROR, "parser: out of memory");
        return NULL;
    }
    p->people = people;
    for (size_t i = 0; i < PARSE_NHEADINGS; i++)
        if (!(p->heading_rx[i] = parse_compile(parse_headings[i].pattern,
                                               parse_headings[i].flags, err)))
            goto fail;
    for (size_t i = 0; i < RX_COUNT; i++)
        if (!(p->rx[i] = parse_compile(parse_patterns[i], PCRE2_CASELESS, err)))
            goto fail;
    if (!(p->md = pcre2_match_data_create(8, NULL))) {
        error_set(err, STATUS_ERROR, "parser: out of memory");
        goto fail;
    }
    return p;

fail:
    parser_free(p);
    return NULL;
}

void parser_free(Parser *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < PARSE_NHEADINGS; i++)
        pcre2_code_free(p->heading_rx[i]);
    for (size_t i = 0; i < RX_COUNT; i++) pcre2_code_free(p->rx[i]);
    pcre2_match_data_free(p->md);
    free(p);
}

/* --- paragraphs ----------------------------------------------------------- */

enum para_kind {
    PK_BODY,
    PK_NUMBER, /* "No. 23" alone */
    PK_DATE,
    PK_QUALIFIER, /* "Personal and Most Secret" */
    PK_HEADING,
    PK_SOURCE,
};

typedef struct {
    int line;
    char *text; /* owned until moved into a letter */
    size_t len;
    enum para_kind kind;
    int number;         /* PK_NUMBER, or a heading's "No. 23 " prefix */
    Date date;          /* PK_DATE */
    const char *sender; /* PK_HEADING */
    const char *recipient;
    size_t head_off; /* PK_HEADING: text after the "No. N " prefix */
    size_t src_off;  /* PK_SOURCE: text after "Source:" */
} Para;

/* One file being parsed. */
typedef struct {
    const char *name;
    const People *people;
    const Parser *parser;
    pcre2_match_data *md;
    Para *paras;
    size_t npara, cappara;
    Error *err;
    Status status; /* of the first failure */
} ParseRun;

/* Every failure of a run goes through one of these: "NAME:LINE: what". */
static void parse_fail(ParseRun *ps, int line, const char *what)
{
    ps->status =
        error_set(ps->err, STATUS_INVALID, "%s:%d: %s", ps->name, line, what);
}

static void parse_oom(ParseRun *ps, int line)
{
    ps->status = error_set(ps->err, STATUS_ERROR, "%s:%d: out of memory",
                           ps->name, line);
}

/* Ends the paragraph being collected in buf (if any). */
static int parse_flush(ParseRun *ps, char **buf, size_t *len, int line)
{
    if (!*buf)
        return 0;
    if (array_grow(&ps->paras, &ps->cappara, ps->npara + 1,
                   sizeof *ps->paras) != STATUS_OK) {
        parse_oom(ps, line);
        return -1;
    }
    Para *p = &ps->paras[ps->npara++];
    memset(p, 0, sizeof *p);
    p->line = line;
    p->text = *buf;
    p->len = *len;
    *buf = NULL;
    *len = 0;
    return 0;
}

/* Pass 1: lines to paragraphs. */
static int parse_lines(ParseRun *ps, const char *buf, size_t len)
{
    char *para = NULL; /* paragraph being collected */
    size_t plen = 0, pcap = 0;
    int pline = 0, lineno = 0;
    size_t pos = 0;
    char msg[64];

    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        const char *s = buf + pos;
        size_t l = end - pos;

        lineno++;
        pos = end + 1;
        if (nl && l > 0 && s[l - 1] == '\r')
            l--;
        if (l > PARSE_MAX_LINE) {
            snprintf(msg, sizeof msg, "line longer than %d bytes",
                     PARSE_MAX_LINE);
            parse_fail(ps, lineno, msg);
            goto fail;
        }
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)s[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                snprintf(msg, sizeof msg, "binary data (control byte 0x%02x)",
                         c);
                parse_fail(ps, lineno, msg);
                goto fail;
            }
        }
        if (!utf8_valid(s, l, NULL)) {
            parse_fail(ps, lineno, "invalid UTF-8");
            goto fail;
        }
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t')) l--;
        if (l == 0) {
            if (parse_flush(ps, &para, &plen, pline) < 0)
                goto fail;
            pcap = 0;
            continue;
        }
        if (!para)
            pline = lineno;
        size_t need = plen + (para ? 1 : 0) + l + 1;
        if (need > pcap) {
            size_t ncap = pcap ? pcap : 256;
            while (ncap < need) ncap *= 2;
            char *np = realloc(para, ncap);
            if (!np) {
                parse_oom(ps, lineno);
                goto fail;
            }
            para = np;
            pcap = ncap;
        }
        if (plen > 0)
            para[plen++] = ' ';
        memcpy(para + plen, s, l);
        plen += l;
        para[plen] = '\0';
    }
    if (parse_flush(ps, &para, &plen, pline) < 0)
        goto fail;
    return 0;

fail:
    free(para);
    return -1;
}

/* --- pass 2: classification ---------------------------------------------- */

static int parse_match(ParseRun *ps, const pcre2_code *re, const char *s,
                       size_t len)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, ps->md,
                         NULL);
    return rc > 0; /* no match, or a resource limit: not this form */
}

/* Offset and length of capture group g of the last match (0, 0 if unset). */
static void parse_group(ParseRun *ps, int g, size_t *off, size_t *len)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ps->md);
    *off = *len = 0;
    if (ov[2 * g] == PCRE2_UNSET)
        return;
    *off = ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
}

/* The text of group g of the last match on s, trimmed of spaces, commas and
 * footnote stars, into out. */
static void parse_name(ParseRun *ps, const char *s, int g, char *out,
                       size_t outsz)
{
    size_t off, len;

    parse_group(ps, g, &off, &len);
    const char *p = s + off;
    while (len > 0 &&
           (p[len - 1] == ' ' || p[len - 1] == ',' || p[len - 1] == '*'))
        len--;
    if (len >= outsz)
        len = outsz - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

/* 1: s[0..len) is a heading (sender/recipient set); 0: it is not; -1: it is
 * one but names someone unknown (error written). */
static int parse_heading(ParseRun *ps, const Para *p, const char *s, size_t len,
                         const char **sender, const char **recipient)
{
    char sname[PARSE_MAX_HEADING + 1], rname[PARSE_MAX_HEADING + 1];
    char msg[PARSE_MSG];

    for (size_t i = 0; i < PARSE_NHEADINGS; i++) {
        const HeadingRule *r = &parse_headings[i];
        if (len > r->maxlen ||
            !parse_match(ps, ps->parser->heading_rx[i], s, len))
            continue;
        parse_name(ps, s, r->sender_group, sname, sizeof sname);
        parse_name(ps, s, r->recipient_group, rname, sizeof rname);
        const char *snd = people_resolve(ps->people, sname);
        const char *rcp = people_resolve(ps->people, rname);
        if (snd && rcp) {
            *sender = snd;
            *recipient = rcp;
            return 1;
        }
        if (r->strict)
            continue;
        snprintf(msg, sizeof msg,
                 "unknown person '%s' (add it to data/aliases.txt)",
                 snd ? rname : sname);
        parse_fail(ps, p->line, msg);
        return -1;
    }
    return 0;
}

static int parse_classify(ParseRun *ps, Para *p)
{
    const char *s = p->text;
    size_t len = p->len;
    size_t lead = 0;

    while (lead < len && (s[lead] == ' ' || s[lead] == '\t')) lead++;
    s += lead;
    len -= lead;
    p->kind = PK_BODY;

    if (len >= 7 && strncasecmp(s, "Source:", 7) == 0) {
        size_t off = 7;
        while (off < len && (s[off] == ' ' || s[off] == '\t')) off++;
        p->kind = PK_SOURCE;
        p->src_off = lead + off;
        return 0;
    }
    if (len <= PARSE_MAX_HEADING &&
        parse_match(ps, ps->parser->rx[RX_NUMBER], s, len)) {
        size_t off, glen;
        char digits[8];
        parse_group(ps, 1, &off, &glen);
        memcpy(digits, s + off, glen); /* \d{1,6} */
        digits[glen] = '\0';
        int number = atoi(digits);
        parse_group(ps, 2, &off, &glen);
        if (glen == 0) {
            p->kind = PK_NUMBER;
            p->number = number;
            return 0;
        }
        /* "No. 23 MESSAGE FROM ...": a heading with its number in front. */
        size_t hoff = off;
        int rc = parse_heading(ps, p, s + hoff, len - hoff, &p->sender,
                               &p->recipient);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            p->kind = PK_HEADING;
            p->number = number;
            p->head_off = lead + hoff;
        }
        return 0;
    }
    if (len <= PARSE_MAX_DATE && dates_parse_line(s, &p->date)) {
        p->kind = PK_DATE;
        return 0;
    }
    int rc = parse_heading(ps, p, s, len, &p->sender, &p->recipient);
    if (rc < 0)
        return -1;
    if (rc > 0) {
        p->kind = PK_HEADING;
        p->head_off = lead;
        return 0;
    }
    if (len <= PARSE_MAX_HEADING &&
        parse_match(ps, ps->parser->rx[RX_QUALIFIER], s, len))
        p->kind = PK_QUALIFIER;
    return 0;
}

/* --- pass 3: letters ------------------------------------------------------ */

/* Where a letter starts at paragraph i: optional "No. N", optional date
 * (always after "No. N"; alone only when lead_date), optional qualifier,
 * then the heading.  Returns the index of the heading paragraph, or -1. */
static long parse_letter_start(const ParseRun *ps, size_t i, bool lead_date,
                               size_t *date_at, size_t *qual_at)
{
    const Para *p = ps->paras;
    size_t j = i, n = ps->npara;
    bool numbered = false;

    *date_at = *qual_at = SIZE_MAX;
    if (j < n && p[j].kind == PK_NUMBER) {
        numbered = true;
        j++;
    }
    if (j < n && p[j].kind == PK_DATE && (numbered || lead_date))
        *date_at = j++;
    if (j + 1 < n && p[j].kind == PK_QUALIFIER && p[j + 1].kind == PK_HEADING)
        *qual_at = j++;
    if (j < n && p[j].kind == PK_HEADING && !(numbered && p[j].number))
        return (long)j;
    return -1;
}

static int parse_warn(ParseRun *ps, ParsedFile *out, int line, const char *what)
{
    char msg[PARSE_MSG];
    snprintf(msg, sizeof msg, "%s:%d: %s", ps->name, line, what);
    char **w = realloc(out->warnings, (out->nwarnings + 1) * sizeof *w);
    if (!w) {
        parse_oom(ps, line);
        return -1;
    }
    out->warnings = w;
    if (!(w[out->nwarnings] = strdup(msg))) {
        parse_oom(ps, line);
        return -1;
    }
    out->nwarnings++;
    return 0;
}

/* Finishes letter k (1-based) of out: signature, body check, Source check. */
static int parse_close(ParseRun *ps, ParsedFile *out, bool has_source)
{
    ParsedLetter *l = &out->letters[out->nletters - 1];
    size_t k = out->nletters;
    char msg[128];

    if (l->npara > 0) {
        ParsedPara *last = &l->paras[l->npara - 1];
        if (strlen(last->text) <= PARSE_MAX_SIGNATURE &&
            people_resolve(ps->people, last->text) == l->sender) {
            l->signature = last->text;
            last->text = NULL;
            l->npara--;
        }
    }
    if (l->npara == 0) {
        snprintf(msg, sizeof msg, "letter %zu has no body", k);
        parse_fail(ps, l->line, msg);
        return -1;
    }
    if (!has_source) {
        snprintf(msg, sizeof msg, "letter %zu has no Source line", k);
        return parse_warn(ps, out, l->line, msg);
    }
    return 0;
}

static char *parse_strdup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Opens a letter whose prelude runs from i to the heading at h. */
static int parse_open(ParseRun *ps, ParsedFile *out, size_t *cap, size_t i,
                      size_t h, size_t date_at, size_t qual_at)
{
    Para *p = ps->paras;
    Para *hp = &p[h];

    if (array_grow(&out->letters, cap, out->nletters + 1,
                   sizeof *out->letters) != STATUS_OK)
        goto oom;
    ParsedLetter *l = &out->letters[out->nletters++];
    memset(l, 0, sizeof *l);
    l->line = qual_at != SIZE_MAX ? p[qual_at].line : hp->line;
    l->number = p[i].kind == PK_NUMBER ? p[i].number : hp->number;
    l->sender = hp->sender;
    l->recipient = hp->recipient;
    if (date_at != SIZE_MAX) {
        l->date = p[date_at].date;
        l->date_line = p[date_at].line;
    }
    const char *ht = hp->text + hp->head_off;
    size_t hl = hp->len - hp->head_off;
    if (qual_at != SIZE_MAX) {
        /* Two-paragraph heading: kept as one line, as if hard-wrapped. */
        const Para *q = &p[qual_at];
        l->heading = malloc(q->len + 1 + hl + 1);
        if (!l->heading)
            goto oom;
        memcpy(l->heading, q->text, q->len);
        l->heading[q->len] = ' ';
        memcpy(l->heading + q->len + 1, ht, hl);
        l->heading[q->len + 1 + hl] = '\0';
    } else if (!(l->heading = parse_strdup(ht, hl))) {
        goto oom;
    }
    return 0;

oom:
    parse_oom(ps, hp->line);
    return -1;
}

static int parse_letters(ParseRun *ps, ParsedFile *out)
{
    size_t lcap = 0, pcap = 0;
    size_t i = 0, date_at, qual_at;
    ParsedLetter *cur = NULL;
    char msg[PARSE_MSG];

    while (i < ps->npara) {
        Para *p = &ps->paras[i];
        if (!cur) {
            long h = parse_letter_start(ps, i, true, &date_at, &qual_at);
            if (h < 0) {
                if (p->kind == PK_NUMBER)
                    snprintf(msg, sizeof msg,
                             "No. %d is not followed by a letter heading",
                             p->number);
                else if (out->nletters == 0)
                    snprintf(msg, sizeof msg,
                             "text before the first letter heading");
                else
                    snprintf(msg, sizeof msg,
                             "text after the Source line of letter %zu does "
                             "not start a new letter",
                             out->nletters);
                parse_fail(ps, p->line, msg);
                return -1;
            }
            if (parse_open(ps, out, &lcap, i, (size_t)h, date_at, qual_at) < 0)
                return -1;
            cur = &out->letters[out->nletters - 1];
            pcap = 0;
            i = (size_t)h + 1;
            continue;
        }
        if (p->kind == PK_SOURCE) {
            if (!(cur->source = parse_strdup(p->text + p->src_off,
                                             p->len - p->src_off))) {
                parse_oom(ps, p->line);
                return -1;
            }
            if (parse_close(ps, out, true) < 0)
                return -1;
            cur = NULL;
            i++;
            continue;
        }
        if (p->kind == PK_NUMBER || p->kind == PK_QUALIFIER ||
            p->kind == PK_HEADING) {
            if (parse_letter_start(ps, i, false, &date_at, &qual_at) >= 0) {
                /* The next letter starts: this one had no Source line. */
                if (parse_close(ps, out, false) < 0)
                    return -1;
                cur = NULL;
                continue;
            }
            if (p->kind == PK_NUMBER) {
                snprintf(msg, sizeof msg,
                         "No. %d is not followed by a letter heading",
                         p->number);
                parse_fail(ps, p->line, msg);
                return -1;
            }
        }
        if (p->kind == PK_DATE) {
            if (cur->date.kind != DATE_NONE) {
                snprintf(msg, sizeof msg,
                         "second date line in letter %zu (first on line %d)",
                         out->nletters, cur->date_line);
                parse_fail(ps, p->line, msg);
                return -1;
            }
            cur->date = p->date;
            cur->date_line = p->line;
            i++;
            continue;
        }
        if (array_grow(&cur->paras, &pcap, cur->npara + 1,
                       sizeof *cur->paras) != STATUS_OK) {
            parse_oom(ps, p->line);
            return -1;
        }
        cur->paras[cur->npara].line = p->line;
        cur->paras[cur->npara].text = p->text;
        cur->npara++;
        p->text = NULL;
        i++;
    }
    if (cur && parse_close(ps, out, false) < 0)
        return -1;
    if (out->nletters == 0) {
        parse_fail(ps, 1, "no letters found");
        return -1;
    }
    return 0;
}

/* --- entry points ----------------------------------------------------------- */

Status parser_parse(Parser *parser, const char *name, const char *buf,
                    size_t len, ParsedFile *out, Error *err)
{
    ParseRun ps = {.name = name,
                   .people = parser->people,
                   .parser = parser,
                   .md = parser->md,
                   .err = err,
                   .status = STATUS_ERROR};
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (parse_lines(&ps, buf, len) < 0)
        goto done;
    for (size_t i = 0; i < ps.npara; i++)
        if (parse_classify(&ps, &ps.paras[i]) < 0)
            goto done;
    if (parse_letters(&ps, out) < 0)
        goto done;
    rc = 0;

done:
    if (rc < 0)
        parsed_file_free(out);
    for (size_t i = 0; i < ps.npara; i++) free(ps.paras[i].text);
    free(ps.paras);
    return rc < 0 ? ps.status : STATUS_OK;
}

void parsed_file_free(ParsedFile *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nletters; i++) {
        ParsedLetter *l = &f->letters[i];
        for (size_t j = 0; j < l->npara; j++) free(l->paras[j].text);
        free(l->paras);
        free(l->heading);
        free(l->signature);
        free(l->source);
    }
    free(f->letters);
    for (size_t i = 0; i < f->nwarnings; i++) free(f->warnings[i]);
    free(f->warnings);
    memset(f, 0, sizeof *f);
}
