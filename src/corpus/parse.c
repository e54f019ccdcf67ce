/* parse.c - plain-text correspondence to letters (see parse.h).
 *
 * Four passes over one file, each simple on its own:
 *
 *   1. lines: reject what is not text (control bytes, invalid UTF-8, lines
 *      over PARSE_MAX_LINE), strip CR and trailing blanks;
 *   2. classify: every line gets a class from the layout table below
 *      (separator, Source line, page marker, "No. N", classification, date,
 *      heading, or text);
 *   3. items: runs of text lines become paragraphs (split at blank lines, or
 *      at every line with PARSE_PARA_LINES); every other class is an item of
 *      its own;
 *   4. letters: a small state machine over the items.
 *
 * All layout knowledge is in the two tables of the next section, which read
 * as data: parse_line_rules[] (what a line is) and parse_headings[] (the
 * heading forms).  The patterns are compiled once per Parser and freed with
 * it, so a parser holds no global state.
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
#define PARSE_MAX_BARE 119     /* the "SENDER to RECIPIENT" form is short */
#define PARSE_MAX_NAME 160     /* one name with all its titles */
#define PARSE_MAX_DATE 100     /* longest plausible date line */
#define PARSE_MAX_SIGNATURE 60 /* "W. S. CHURCHILL", not a sentence */
#define PARSE_MSG 1024

/* --- the layout table ------------------------------------------------------ */

enum line_class {
    LC_TEXT = 0,
    LC_BLANK,
    LC_SEPARATOR,      /* "* * *" between letters */
    LC_SOURCE,         /* "Source: ..." ends a letter */
    LC_PAGE,           /* "[Page 34]" on a line of its own */
    LC_NUMBER,         /* "No. 93": the edition's number, not an id */
    LC_CLASSIFICATION, /* "Personal and Most Secret", "Translation" */
    LC_DATE,           /* a whole-line date (dates.c) */
    LC_HEADING,        /* parse_headings[] */
    LC_BADHEADING,     /* a heading whose names do not resolve */
};

/* Classification words; a line of only these (joined by commas or "and") is
 * a classification line. */
#define CLASS_WORD                             \
    "(?:(?:most|strictly|top|very)\\s+)?"      \
    "(?:personal|secret|confidential|private|" \
    "urgent|immediate|translation|paraphrase|copy|unofficial)"
#define CLASSES CLASS_WORD "(?:(?:\\s*,\\s*|\\s+)(?:and\\s+)?" CLASS_WORD ")*"

/* Valediction words: a line of only these, with at least one of the key
 * words, closes a letter ("With sincere respect", "Yours sincerely,"). */
#define VALE_KEY                                                      \
    "(?:regards|respects?|wishes|greetings|esteem|compliments|yours|" \
    "sincerely|faithfully|truly|cordially|consideration|friendship)"
#define VALE_WORD                                                         \
    "(?:with|my|our|very|most|sincere|best|kind|kindest|warm|warmest|"    \
    "high|highest|deep|deepest|cordial|respectful|respectfully|faithful|" \
    "true|personal|friendly|all|good|and|the|of|ever|affectionately|"     \
    "assurances|" VALE_KEY ")"
#define VALEDICTION "(?=.*\\b" VALE_KEY "\\b)(?:" VALE_WORD "\\b[\\s,.!]*)+"

typedef struct {
    enum line_class cls;
    const char *pattern; /* caseless, on the whole line; NULL: by code */
    const char *example;
} LineRule;

/* In order: the first rule that matches gives the class.  A line no rule
 * matches is text. */
static const LineRule parse_line_rules[] = {
    {LC_SEPARATOR, "^(?:[*\\-_=~\\x{2013}\\x{2014}]\\s*){3,}$", "* * *"},
    {LC_SOURCE, "^source\\s*:", "Source: ... / Source : ..."},
    {LC_PAGE, "^\\[\\s*(?:page|p\\.)\\s*[0-9ivxlcdm]+\\s*\\]$", "[Page 34]"},
    {LC_NUMBER, "^(?:no\\.?|\\x{2116})\\s*(\\d{1,6})\\.?$",
     "No. 93 / No 93 / \\u2116 93"},
    {LC_CLASSIFICATION, "^\\[?" CLASSES "[.:]?\\]?[.:]?$",
     "Personal and Most Secret / TOP SECRET / Translation"},
    {LC_DATE, NULL,
     "July 18, 1941 / 10 November 1944 / Sent on ... / Received: ... / "
     "Moscow, the Kremlin, July 18, 1941 (parse_date_line)"},
    {LC_HEADING, NULL, "parse_headings[] below"},
};

#define PARSE_NLINE_RULES (sizeof parse_line_rules / sizeof parse_line_rules[0])

/* Words that may precede a heading's names: "Personal and Secret Message",
 * "Telegram", "The".  A general rule, not a list of wordings: any run of
 * them, in any case, separated by blanks or commas. */
#define DESC_WORD                                                          \
    "(?:personal|secret|most|top|strictly|confidential|private|urgent|"    \
    "immediate|translation|paraphrase|copy|text|original|joint|special|"   \
    "message|telegram|cable|letter|note|reply|answer|memorandum|the|a|an|" \
    "and|of|his|her|no\\.\\s*\\d{1,6})"
#define DESCS "(?:" DESC_WORD "[\\s,]+)*"
#define DESC_NOUN \
    "(?:message|telegram|cable|letter|note|reply|answer|memorandum)"

typedef struct {
    const char *pattern;
    int sender_group; /* 0: the heading names no sender (--from gives it) */
    int recipient_group;
    size_t maxlen; /* longer headings never match this rule */
    bool strict;   /* names that do not resolve: text, not an error */
    const char *example;
} HeadingRule;

/* Tried in order on the heading with its "No. N" and date prefixes, quotes
 * and trailing colon removed.  RECIPIENTS may be several names joined by
 * "and" or commas; any name may carry titles, initials, a footnote mark and
 * a parenthesised name ("The Chairman ... (Stalin)"). */
static const HeadingRule parse_headings[] = {
    {"^" DESCS "from\\s+(.+?),?\\s+to\\s+(.+)$", 1, 2, PARSE_MAX_HEADING, false,
     "[descriptors] [from] SENDER to RECIPIENTS: Personal and Secret Message "
     "from Premier J. V. Stalin to the Prime Minister, Mr Winston Churchill"},
    {"^" DESCS "(?:to|for)\\s+(.+?),?\\s+from\\s+(.+)$", 2, 1,
     PARSE_MAX_HEADING, false,
     "[descriptors] To RECIPIENTS from SENDER: To President Roosevelt from "
     "Marshal Stalin; Personal and Secret for the President from Marshal "
     "Stalin"},
    {"^" DESCS "(.+?),?\\s+to\\s+(.+)$", 1, 2, PARSE_MAX_BARE, true,
     "[descriptors] SENDER to RECIPIENTS: Premier J. V. Stalin to President "
     "Roosevelt; W. CHURCHILL TO J. V. STALIN*"},
    {"^" DESCS DESC_NOUN "[\\s,]+to\\s+(.+)$", 0, 1, PARSE_MAX_HEADING, false,
     "[descriptors] to RECIPIENTS, sender from --from: Message to W. Churchill "
     "(Correspondence Vol. 1, No. 93)"},
};

#define PARSE_NHEADINGS (sizeof parse_headings / sizeof parse_headings[0])

/* Patterns used by code rather than by a table row. */
enum { RX_NUMPREFIX, RX_VALEDICTION, RX_VALE_NAME, RX_COUNT };
static const char *const parse_patterns[RX_COUNT] = {
    [RX_NUMPREFIX] = "^(?:no\\.?|\\x{2116})\\s*(\\d{1,6})\\s+",
    /* Signature blocks, tried on the last paragraphs of a letter only. */
    [RX_VALEDICTION] = "^" VALEDICTION "$",
    [RX_VALE_NAME] = "^(" VALEDICTION ")\\s*(\\S.*)$",
};

struct Parser {
    const People *people;                    /* borrowed */
    pcre2_code *line_rx[PARSE_NLINE_RULES];  /* parse_line_rules[] */
    pcre2_code *heading_rx[PARSE_NHEADINGS]; /* parse_headings[] */
    pcre2_code *rx[RX_COUNT];                /* parse_patterns[] */
    pcre2_match_data *md;
};

static pcre2_code *parse_compile(const char *pattern, Error *err)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP,
                                   &code, &off, NULL);
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
    for (size_t i = 0; i < PARSE_NLINE_RULES; i++)
        if (parse_line_rules[i].pattern &&
            !(p->line_rx[i] = parse_compile(parse_line_rules[i].pattern, err)))
            goto fail;
    for (size_t i = 0; i < PARSE_NHEADINGS; i++)
        if (!(p->heading_rx[i] = parse_compile(parse_headings[i].pattern, err)))
            goto fail;
    for (size_t i = 0; i < RX_COUNT; i++)
        if (!(p->rx[i] = parse_compile(parse_patterns[i], err)))
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
    for (size_t i = 0; i < PARSE_NLINE_RULES; i++)
        pcre2_code_free(p->line_rx[i]);
    for (size_t i = 0; i < PARSE_NHEADINGS; i++)
        pcre2_code_free(p->heading_rx[i]);
    for (size_t i = 0; i < RX_COUNT; i++) pcre2_code_free(p->rx[i]);
    pcre2_match_data_free(p->md);
    free(p);
}

/* --- one run ---------------------------------------------------------------- */

typedef struct {
    int no;
    const char *s; /* into the caller's buffer; trailing blanks stripped */
    size_t len;
    enum line_class cls;
} Line;

/* What a heading says. */
typedef struct {
    const char *sender;
    const char *recipients[PARSE_MAX_RECIPIENTS];
    size_t nrecipients;
    int number;    /* "No. 23 " prefix, or 0 */
    Date date;     /* "Aug. 4, 1944 " prefix, or kind DATE_NONE */
    size_t off;    /* the heading proper starts here (after "No. N ") */
    char bad[256]; /* LC_BADHEADING: why */
} Heading;

typedef struct {
    enum line_class kind; /* LC_TEXT for a paragraph */
    int line;
    int nlines;
    char *text; /* owned until moved into a letter */
    size_t len;
    int number; /* LC_NUMBER */
    Date date;  /* LC_DATE */
    Heading head;
} Item;

typedef struct {
    const char *name;
    const People *people;
    const Parser *parser;
    const ParseOptions *opt;
    pcre2_match_data *md;
    Line *lines;
    size_t nlines, caplines;
    Item *items;
    size_t nitems, capitems;
    Error *err;
    Status status; /* of the first failure */
    size_t opened; /* letters opened so far, refused ones too */
} ParseRun;

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

static char *parse_strdup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Appends a copy of "fmt..." to a string list. */
static int parse_note(char ***v, size_t *n, const char *msg)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = strdup(msg)))
        return -1;
    (*n)++;
    return 0;
}

/* --- pass 1: lines ---------------------------------------------------------- */

static int parse_lines(ParseRun *ps, const char *buf, size_t len)
{
    int lineno = ps->opt->first_line;
    size_t pos = 0;
    char msg[64];

    if (!ps->opt->later_part && len >= 3 &&
        memcmp(buf, "\xef\xbb\xbf", 3) == 0)
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
            return -1;
        }
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)s[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                snprintf(msg, sizeof msg, "binary data (control byte 0x%02x)",
                         c);
                parse_fail(ps, lineno, msg);
                return -1;
            }
        }
        if (!utf8_valid(s, l, NULL)) {
            parse_fail(ps, lineno, "invalid UTF-8");
            return -1;
        }
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t')) l--;
        if (array_grow(&ps->lines, &ps->caplines, ps->nlines + 1,
                       sizeof *ps->lines) != STATUS_OK) {
            parse_oom(ps, lineno);
            return -1;
        }
        ps->lines[ps->nlines++] = (Line){lineno, s, l, LC_BLANK};
    }
    return 0;
}

/* --- names ------------------------------------------------------------------ */

static bool parse_is_quote(const char *s, size_t len, bool at_end, size_t *n)
{
    static const char *const quotes[] = {"\"",           "'",
                                         "\xe2\x80\x9c", "\xe2\x80\x9d",
                                         "\xe2\x80\x98", "\xe2\x80\x99",
                                         "\xc2\xab",     "\xc2\xbb"};
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t q = strlen(quotes[i]);
        if (len >= q && memcmp(at_end ? s + len - q : s, quotes[i], q) == 0) {
            *n = q;
            return true;
        }
    }
    return false;
}

/* Trims blanks, quotes, commas, colons and footnote stars at both ends. */
static void parse_trim(const char **s, size_t *len)
{
    size_t q;
    for (bool again = true; again && *len > 0;) {
        again = false;
        char c = (*s)[0];
        if (c == ' ' || c == '\t' || c == ',') {
            (*s)++, (*len)--, again = true;
        } else if (parse_is_quote(*s, *len, false, &q)) {
            *s += q, *len -= q, again = true;
        }
    }
    for (bool again = true; again && *len > 0;) {
        again = false;
        char c = (*s)[*len - 1];
        if (c == ' ' || c == '\t' || c == ',' || c == ':' || c == '*' ||
            c == ';') {
            (*len)--, again = true;
        } else if (parse_is_quote(*s, *len, true, &q)) {
            *len -= q, again = true;
        }
    }
}

static const char *parse_resolve_raw(const ParseRun *ps, const char *s,
                                     size_t len)
{
    char buf[PARSE_MAX_NAME + 1];
    if (len == 0 || len > PARSE_MAX_NAME)
        return NULL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return people_resolve(ps->people, buf);
}

/* One name: as written; else without a trailing footnote mark ("Roosevelt1",
 * "Roosevelt 56", "STALIN*"); else the name in a final parenthesis
 * ("... Soviet Union (Stalin)"); else without that parenthesis ("W. Churchill
 * (Correspondence Vol. 1, No. 93)"). */
static const char *parse_resolve(const ParseRun *ps, const char *s, size_t len)
{
    const char *r;

    parse_trim(&s, &len);
    if ((r = parse_resolve_raw(ps, s, len)))
        return r;
    size_t d = len;
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
    if (d < len && len - d <= 3 && d > 0) {
        size_t e = d;
        while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '*')) e--;
        if (e > 0 && (r = parse_resolve_raw(ps, s, e)))
            return r;
    }
    if (len > 2 && s[len - 1] == ')') {
        const char *open = NULL;
        for (size_t i = len - 1; i-- > 0;)
            if (s[i] == '(') {
                open = s + i;
                break;
            }
        if (open) {
            const char *in = open + 1;
            size_t inlen = (size_t)(s + len - 1 - in);
            parse_trim(&in, &inlen);
            if ((r = parse_resolve_raw(ps, in, inlen)))
                return r;
            size_t before = (size_t)(open - s);
            if (before > 0 && (r = parse_resolve(ps, s, before)))
                return r;
        }
    }
    return NULL;
}

/* Finds " and " (any case) or "," or " & " in s: the first separator kind
 * that occurs, at its first place.  Returns its offset and length. */
static bool parse_split(const char *s, size_t len, size_t *at, size_t *seplen)
{
    static const char *const seps[] = {" and ", ",", " & "};
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        size_t n = strlen(seps[k]);
        for (size_t i = 1; i + n < len; i++)
            if (strncasecmp(s + i, seps[k], n) == 0) {
                *at = i;
                *seplen = n;
                return true;
            }
    }
    return false;
}

/* Names joined by "and" or commas.  The whole phrase is tried first, so "the
 * Prime Minister, Mr Winston Churchill" is one name.  Returns 1 with the
 * names added to h, or 0 with the first unknown part in bad. */
static int parse_resolve_list(const ParseRun *ps, const char *s, size_t len,
                              Heading *h, char *bad, size_t badsz, int depth)
{
    parse_trim(&s, &len);
    const char *r = parse_resolve(ps, s, len);
    size_t at, seplen;
    if (r) {
        for (size_t i = 0; i < h->nrecipients; i++)
            if (h->recipients[i] == r)
                return 1;
        if (h->nrecipients < PARSE_MAX_RECIPIENTS)
            h->recipients[h->nrecipients++] = r;
        return 1;
    }
    if (depth < 8 && parse_split(s, len, &at, &seplen))
        return parse_resolve_list(ps, s, at, h, bad, badsz, depth + 1) &&
               parse_resolve_list(ps, s + at + seplen, len - at - seplen, h,
                                  bad, badsz, depth + 1);
    snprintf(bad, badsz, "%.*s", (int)(len > 200 ? 200 : len), s);
    return 0;
}

/* --- pass 2: classification ------------------------------------------------ */

/* A date line: the whole line is a date (dates.c), or a place and a date
 * ("Moscow, July 18, 1941", "Moscow, the Kremlin, 4 August 1944"): up to
 * five words before a comma, each capitalised or "the"/"of". */
static bool parse_date_line(const char *s, size_t len, Date *out)
{
    char buf[PARSE_MAX_DATE + 1];
    if (len > PARSE_MAX_DATE)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (dates_parse_line(buf, out))
        return true;
    /* "(Received on July 20, 1941)", "[July 18, 1941]": an editor's date. */
    if (len > 2 && (buf[0] == '(' || buf[0] == '[') &&
        (buf[len - 1] == ')' || buf[len - 1] == ']' ||
         (buf[len - 1] == '.' &&
          (buf[len - 2] == ')' || buf[len - 2] == ']')))) {
        size_t e = buf[len - 1] == '.' ? len - 2 : len - 1;
        buf[e] = '\0';
        if (dates_parse_line(buf + 1, out))
            return true;
        memcpy(buf, s, len);
        buf[len] = '\0';
    }
    int words = 0;
    size_t w = 0; /* start of the current word */
    for (size_t i = 0; i <= len && i < 60; i++) {
        unsigned char c = (unsigned char)buf[i];
        bool end = c == ' ' || c == ',' || c == '\0';
        if (end && i > w) {
            size_t k = w + (buf[w] == '['); /* "[Moscow,] July 18, 1941" */
            bool cap = buf[k] >= 'A' && buf[k] <= 'Z';
            bool small = (i - w == 3 && strncmp(buf + w, "the", 3) == 0) ||
                         (i - w == 2 && strncmp(buf + w, "of", 2) == 0);
            if ((!cap && !small) || ++words > 5)
                return false;
        }
        if (c == ',' && words > 0 &&
            dates_parse_line(buf + i + 1 + (buf[i + 1] == ']'), out))
            return true;
        if (end)
            w = i + 1;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '.' || c == '-' || c == '\'' || c == '[' || c == ']'))
            return false;
    }
    return false;
}

static int parse_match(const ParseRun *ps, const pcre2_code *re, const char *s,
                       size_t len)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, ps->md,
                         NULL);
    return rc > 0; /* no match, or a resource limit: not this form */
}

static void parse_group(const ParseRun *ps, int g, size_t *off, size_t *len)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ps->md);
    *off = *len = 0;
    if (ov[2 * g] == PCRE2_UNSET)
        return;
    *off = ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
}

/* Is s[0..len) a heading?  1: yes (h filled); 0: no; 2: it is one, but its
 * names do not resolve (h->bad says why). */
static int parse_heading(ParseRun *ps, const char *s, size_t len, Heading *h)
{
    size_t off, glen, lead = 0;

    memset(h, 0, sizeof *h);
    while (lead < len && (s[lead] == ' ' || s[lead] == '\t')) lead++;
    if (len - lead > PARSE_MAX_HEADING)
        return 0;
    const char *p = s + lead;
    size_t n = len - lead;
    if (parse_match(ps, ps->parser->rx[RX_NUMPREFIX], p, n)) {
        parse_group(ps, 1, &off, &glen);
        char digits[8];
        memcpy(digits, p + off, glen); /* \d{1,6} */
        digits[glen] = '\0';
        h->number = atoi(digits);
        parse_group(ps, 0, &off, &glen);
        p += glen;
        n -= glen;
        lead += glen;
    }
    h->off = lead;
    /* Quotes around it, then a leading date ("Aug. 4, 1944 message ..."). */
    parse_trim(&p, &n);
    size_t dl = dates_parse_prefix(p, n, &h->date);
    if (dl > 0) {
        p += dl;
        n -= dl;
        parse_trim(&p, &n);
    }
    if (n == 0 || p[n - 1] == '.') /* a final full stop: a sentence */
        return 0;

    for (size_t i = 0; i < PARSE_NHEADINGS; i++) {
        const HeadingRule *r = &parse_headings[i];
        if (n > r->maxlen || !parse_match(ps, ps->parser->heading_rx[i], p, n))
            continue;
        size_t soff = 0, slen = 0, roff, rlen;
        if (r->sender_group)
            parse_group(ps, r->sender_group, &soff, &slen);
        parse_group(ps, r->recipient_group, &roff, &rlen);
        Heading t = *h;
        char bad[256] = "";
        int rok =
            parse_resolve_list(ps, p + roff, rlen, &t, bad, sizeof bad, 0);
        const char *snd = NULL;
        bool several = false;
        if (r->sender_group) {
            snd = parse_resolve(ps, p + soff, slen);
            if (!snd) {
                Heading tmp = {0};
                char b2[256];
                several = parse_resolve_list(ps, p + soff, slen, &tmp, b2,
                                             sizeof b2, 0) &&
                          tmp.nrecipients > 1;
                if (!several && rok) {
                    const char *q = p + soff;
                    size_t ql = slen;
                    parse_trim(&q, &ql);
                    snprintf(bad, sizeof bad, "%.*s",
                             (int)(ql > 200 ? 200 : ql), q);
                }
            }
        } else {
            snd = ps->opt->default_sender;
        }
        if (snd && rok && t.nrecipients == 1 && t.recipients[0] == snd) {
            /* A letter to oneself is a misreading (or a wrong --from). */
            snprintf(h->bad, sizeof h->bad,
                     "heading makes %s write to %s; a letter has another "
                     "recipient",
                     snd, snd);
            return 2;
        }
        if (snd && rok) {
            *h = t;
            h->sender = snd;
            return 1;
        }
        if (r->strict) {
            /* Not a heading; but if one side is someone we know, say which
             * name is unknown should this line end up outside any letter. */
            if (!h->bad[0] && (snd != NULL) != (rok != 0) && bad[0])
                snprintf(h->bad, sizeof h->bad,
                         "unknown person '%.190s' (add it to data/aliases.txt)",
                         bad);
            continue;
        }
        /* Only a line that names someone we know, or whose names we could
         * not read at all, is taken for a heading gone wrong; otherwise it is
         * a sentence that happens to start with "From". */
        bool known_part = rok || snd || several || t.nrecipients > 0;
        if (!known_part)
            continue;
        if (several)
            snprintf(h->bad, sizeof h->bad,
                     "heading names several senders; a letter has one");
        else if (!r->sender_group && !snd)
            snprintf(h->bad, sizeof h->bad,
                     "heading names no sender; give the file's sender with "
                     "--from ALIAS");
        else
            snprintf(h->bad, sizeof h->bad,
                     "unknown person '%.190s' (add it to data/aliases.txt)", bad);
        return 2;
    }
    return 0;
}

static void parse_classify_line(ParseRun *ps, Line *ln, bool after_text)
{
    const char *s = ln->s;
    size_t len = ln->len;

    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    if (len == 0) {
        ln->cls = LC_BLANK;
        return;
    }
    ln->cls = LC_TEXT;
    for (size_t i = 0; i < PARSE_NLINE_RULES; i++) {
        const LineRule *r = &parse_line_rules[i];
        /* Inside a run of text, a lone "No. 4" or "Personal" is text. */
        if (after_text && (r->cls == LC_NUMBER || r->cls == LC_CLASSIFICATION))
            continue;
        if (r->cls == LC_DATE) {
            Date d;
            if (parse_date_line(s, len, &d)) {
                ln->cls = LC_DATE;
                return;
            }
            continue;
        }
        if (r->cls == LC_HEADING) {
            Heading h;
            int rc = parse_heading(ps, s, len, &h);
            if (rc) {
                ln->cls = rc == 1 ? LC_HEADING : LC_BADHEADING;
                return;
            }
            continue;
        }
        /* Only a Source line may be long; the pattern reads its start. */
        if ((len <= PARSE_MAX_HEADING || r->cls == LC_SOURCE) &&
            parse_match(ps, ps->parser->line_rx[i], s, len)) {
            ln->cls = r->cls;
            return;
        }
    }
}

/* --- pass 3: items ------------------------------------------------------------ */

static Item *parse_new_item(ParseRun *ps, int line)
{
    if (array_grow(&ps->items, &ps->capitems, ps->nitems + 1,
                   sizeof *ps->items) != STATUS_OK) {
        parse_oom(ps, line);
        return NULL;
    }
    Item *it = &ps->items[ps->nitems++];
    memset(it, 0, sizeof *it);
    it->line = line;
    return it;
}

/* Lines a..b (inclusive) of one class into one item; text lines are joined
 * with one space. */
static int parse_make_item(ParseRun *ps, size_t a, size_t b)
{
    const Line *first = &ps->lines[a];
    size_t total = 0;
    for (size_t i = a; i <= b; i++) total += ps->lines[i].len + 1;
    Item *it = parse_new_item(ps, first->no);
    if (!it)
        return -1;
    it->kind = first->cls;
    it->nlines = (int)(b - a + 1);
    if (!(it->text = malloc(total + 1))) {
        parse_oom(ps, first->no);
        return -1;
    }
    for (size_t i = a; i <= b; i++) {
        if (i > a)
            it->text[it->len++] = ' ';
        memcpy(it->text + it->len, ps->lines[i].s, ps->lines[i].len);
        it->len += ps->lines[i].len;
    }
    it->text[it->len] = '\0';

    const char *s = it->text;
    size_t len = it->len;
    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    switch (it->kind) {
    case LC_NUMBER: {
        const char *d = s;
        while (*d && (*d < '0' || *d > '9')) d++;
        it->number = atoi(d);
        break;
    }
    case LC_DATE:
        parse_date_line(s, len, &it->date);
        break;
    case LC_TEXT:
        /* A hard-wrapped heading: the paragraph as a whole. */
        if (it->nlines > 1) {
            int rc = parse_heading(ps, it->text, it->len, &it->head);
            if (rc == 1)
                it->kind = LC_HEADING;
        }
        break;
    case LC_HEADING:
    case LC_BADHEADING:
        parse_heading(ps, it->text, it->len, &it->head);
        break;
    default:
        break;
    }
    return 0;
}

/* A heading line whose names do not resolve may be the first line of a
 * hard-wrapped heading ("... TO THE PRIME" / "MINISTER, MR. W. CHURCHILL"):
 * the last line of the heading read with up to two more lines, up to the
 * next blank one.  Returns that last line's index, or i. */
static size_t parse_wrapped_heading(ParseRun *ps, size_t i)
{
    char buf[PARSE_MAX_HEADING + 1];
    size_t len = 0, best = i;

    for (size_t j = i; j < ps->nlines && j <= i + 2; j++) {
        const Line *ln = &ps->lines[j];
        if (ln->len == 0 || len + 1 + ln->len > PARSE_MAX_HEADING)
            break;
        if (j > i)
            buf[len++] = ' ';
        memcpy(buf + len, ln->s, ln->len);
        len += ln->len;
        Heading h;
        if (j > i && parse_heading(ps, buf, len, &h) == 1) {
            best = j;
            break;
        }
    }
    return best;
}

static int parse_items(ParseRun *ps)
{
    bool lines_mode = ps->opt->paragraphs == PARSE_PARA_LINES;
    size_t run = SIZE_MAX; /* first line of the text run being collected */

    for (size_t i = 0; i < ps->nlines; i++) {
        Line *ln = &ps->lines[i];
        bool after_text = i > 0 && ps->lines[i - 1].cls == LC_TEXT;
        parse_classify_line(ps, ln, after_text);
        if (ln->cls == LC_SOURCE && !lines_mode) {
            /* A hard-wrapped Source line takes the text lines under it. */
            size_t last = i;
            while (last + 1 < ps->nlines) {
                parse_classify_line(ps, &ps->lines[last + 1], true);
                if (ps->lines[last + 1].cls != LC_TEXT)
                    break;
                last++;
            }
            if (run != SIZE_MAX && parse_make_item(ps, run, i - 1) < 0)
                return -1;
            run = SIZE_MAX;
            for (size_t j = i + 1; j <= last; j++) ps->lines[j].cls = LC_SOURCE;
            if (parse_make_item(ps, i, last) < 0)
                return -1;
            i = last;
            continue;
        }
        if (ln->cls == LC_BADHEADING) {
            size_t last = parse_wrapped_heading(ps, i);
            if (last > i) {
                if (run != SIZE_MAX && parse_make_item(ps, run, i - 1) < 0)
                    return -1;
                run = SIZE_MAX;
                for (size_t j = i; j <= last; j++)
                    ps->lines[j].cls = LC_HEADING;
                if (parse_make_item(ps, i, last) < 0)
                    return -1;
                i = last;
                continue;
            }
        }
        if (ln->cls == LC_TEXT && !lines_mode) {
            if (run == SIZE_MAX)
                run = i;
            continue;
        }
        if (run != SIZE_MAX) {
            if (parse_make_item(ps, run, i - 1) < 0)
                return -1;
            run = SIZE_MAX;
        }
        if (ln->cls != LC_BLANK && parse_make_item(ps, i, i) < 0)
            return -1;
    }
    if (run != SIZE_MAX && parse_make_item(ps, run, ps->nlines - 1) < 0)
        return -1;
    return 0;
}

/* --- pass 4: letters -------------------------------------------------------- */

static const char *parse_class_name(enum line_class c)
{
    switch (c) {
    case LC_SEPARATOR:
        return "separator";
    case LC_PAGE:
        return "page marker";
    case LC_NUMBER:
        return "front matter";
    case LC_CLASSIFICATION:
        return "classification";
    case LC_DATE:
        return "date";
    default:
        return "line";
    }
}

static int parse_skip_note(ParseRun *ps, ParsedLetter *l, int line,
                           const char *what, const char *text)
{
    char msg[PARSE_MSG];
    snprintf(msg, sizeof msg, "%d: %s: %.200s", line, what, text);
    if (parse_note(&l->skipped, &l->nskipped, msg) < 0) {
        parse_oom(ps, line);
        return -1;
    }
    return 0;
}

static void parse_letter_free(ParsedLetter *l)
{
    for (size_t j = 0; j < l->npara; j++) free(l->paras[j].text);
    free(l->paras);
    free(l->heading);
    free(l->signature);
    free(l->source);
    for (size_t j = 0; j < l->nskipped; j++) free(l->skipped[j]);
    free(l->skipped);
    memset(l, 0, sizeof *l);
}

/* A refused letter: with keep_going it is dropped and listed; otherwise the
 * whole parse fails with its reason. */
static int parse_refuse(ParseRun *ps, ParsedFile *out, bool drop_last, int line,
                        const char *why)
{
    char msg[PARSE_MSG];
    if (drop_last) {
        parse_letter_free(&out->letters[out->nletters - 1]);
        out->nletters--;
    }
    if (!ps->opt->keep_going) {
        parse_fail(ps, line, why);
        return -1;
    }
    snprintf(msg, sizeof msg, "%s:%d: %s", ps->name, line, why);
    if (parse_note(&out->refused, &out->nrefused, msg) < 0) {
        parse_oom(ps, line);
        return -1;
    }
    return 0;
}

static const char *parse_date_text(const Date *d, char *buf, size_t sz)
{
    dates_format(d->iso, d->kind, buf, sz);
    return buf;
}

/* Adds a date the letter carries.  0: taken or noted; 1: it conflicts (the
 * letter must be refused, msg says why); -1: out of memory. */
static int parse_add_date(ParseRun *ps, ParsedLetter *l, const Date *d,
                          int line, enum parse_date_from from, char *msg,
                          size_t msgsz)
{
    char a[64], b[64], note[160];
    if (l->date.kind == DATE_NONE) {
        l->date = *d;
        l->date_line = line;
        l->date_from = from;
        return 0;
    }
    if (strcmp(l->date.iso, d->iso) == 0) {
        /* The same day: not a conflict; a written date says the most. */
        if (d->kind == DATE_WRITTEN && l->date.kind != DATE_WRITTEN) {
            l->date.kind = DATE_WRITTEN;
            l->date_line = line;
            l->date_from = from;
        }
        snprintf(note, sizeof note, "the same date again (%s)",
                 parse_date_text(d, a, sizeof a));
        return parse_skip_note(ps, l, line, "date", note);
    }
    if (l->date.kind == d->kind) {
        snprintf(msg, msgsz,
                 "second date line in letter %zu (first on line %d)",
                 ps->opened, l->date_line);
        return 1;
    }
    /* Two different facts (written and sent, sent and received): the
     * written date is the letter's; otherwise the first one read. */
    if (d->kind == DATE_WRITTEN) {
        int old_line = l->date_line;
        snprintf(note, sizeof note,
                 "not kept: %s; the written date (line %d) is the letter's",
                 parse_date_text(&l->date, b, sizeof b), line);
        l->date = *d;
        l->date_line = line;
        l->date_from = from;
        return parse_skip_note(ps, l, old_line, "date", note);
    }
    snprintf(note, sizeof note, "not kept: %s (the letter is dated %s)",
             parse_date_text(d, a, sizeof a),
             parse_date_text(&l->date, b, sizeof b));
    return parse_skip_note(ps, l, line, "date", note);
}

/* FNV-1a, 64 bits: short, stable, no dependency; collisions between the
 * letters of one file are what matters, and those are checked. */
static uint64_t parse_fnv(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void parse_fingerprint(ParsedLetter *l)
{
    uint64_t h = 14695981039346656037ull;
    h = parse_fnv(h, l->heading, strlen(l->heading));
    for (size_t i = 0; i < l->npara; i++) {
        h = parse_fnv(h, "\n", 1);
        h = parse_fnv(h, l->paras[i].text, strlen(l->paras[i].text));
    }
    snprintf(l->fingerprint, sizeof l->fingerprint, "%016llx",
             (unsigned long long)h);
}

/* Is text (one paragraph) a signature part of a letter from sender?  A
 * valediction, the sender's name (quoted or not), or a valediction followed
 * by any known name. */
static bool parse_is_signature(ParseRun *ps, const char *text,
                               const char *sender)
{
    size_t len = strlen(text);
    if (len > PARSE_MAX_SIGNATURE)
        return false;
    if (parse_resolve(ps, text, len) == sender)
        return true;
    if (parse_match(ps, ps->parser->rx[RX_VALEDICTION], text, len))
        return true;
    if (parse_match(ps, ps->parser->rx[RX_VALE_NAME], text, len)) {
        size_t off, glen;
        parse_group(ps, 2, &off, &glen);
        return parse_resolve(ps, text + off, glen) != NULL;
    }
    return false;
}

/* Notes start with their line number. */
static int parse_cmp_note(const void *a, const void *b)
{
    int x = atoi(*(char *const *)a), y = atoi(*(char *const *)b);
    return (x > y) - (x < y);
}

/* Finishes the last letter of out: signature, body check, fingerprint. */
static int parse_close(ParseRun *ps, ParsedFile *out, bool has_source)
{
    ParsedLetter *l = &out->letters[out->nletters - 1];
    char msg[128];

    /* The signature block: trailing paragraphs that are valedictions or
     * names, at most three. */
    size_t keep = l->npara;
    while (keep > 0 && l->npara - keep < 3 &&
           parse_is_signature(ps, l->paras[keep - 1].text, l->sender))
        keep--;
    if (keep < l->npara) {
        size_t total = 0;
        for (size_t j = keep; j < l->npara; j++)
            total += strlen(l->paras[j].text) + 1;
        if (!(l->signature = malloc(total)))
            goto oom;
        l->signature[0] = '\0';
        for (size_t j = keep; j < l->npara; j++) {
            if (j > keep)
                strcat(l->signature, " ");
            strcat(l->signature, l->paras[j].text);
            if (parse_skip_note(ps, l, l->paras[j].line, "signature",
                                l->paras[j].text) < 0)
                return -1;
            free(l->paras[j].text);
            l->paras[j].text = NULL;
        }
        l->npara = keep;
    }
    /* Skipped lines in file order, for --check. */
    if (l->nskipped > 1)
        qsort(l->skipped, l->nskipped, sizeof *l->skipped, parse_cmp_note);
    if (l->npara == 0) {
        snprintf(msg, sizeof msg, "letter %zu has no body", ps->opened);
        return parse_refuse(ps, out, true, l->line, msg) < 0 ? -1 : 1;
    }
    parse_fingerprint(l);
    if (!has_source) {
        snprintf(msg, sizeof msg, "letter %zu has no Source line", ps->opened);
        char w[PARSE_MSG];
        snprintf(w, sizeof w, "%s:%d: %s", ps->name, l->line, msg);
        if (parse_note(&out->warnings, &out->nwarnings, w) < 0)
            goto oom;
    }
    return 0;

oom:
    parse_oom(ps, l->line);
    return -1;
}

/* Index of the heading that the front matter at i leads to, or -1.  Front
 * matter: "No. N" (once), dates, classification lines, page markers and
 * separators, in any order. */
static long parse_front_to_heading(const ParseRun *ps, size_t i, bool dates)
{
    bool numbered = false;
    for (size_t j = i; j < ps->nitems; j++) {
        switch (ps->items[j].kind) {
        case LC_HEADING:
        case LC_BADHEADING:
            return (long)j;
        case LC_NUMBER:
            if (numbered)
                return -1;
            numbered = true;
            break;
        case LC_DATE:
            if (!dates && !numbered)
                return -1;
            break;
        case LC_CLASSIFICATION:
        case LC_PAGE:
        case LC_SEPARATOR:
            break;
        default:
            return -1;
        }
    }
    return -1;
}

/* Opens a letter from front matter items [f, h) and the heading at h.
 * Returns 0, 1 when the letter was refused, -1 on failure. */
static int parse_open(ParseRun *ps, ParsedFile *out, size_t *cap, size_t f,
                      size_t h)
{
    Item *hp = &ps->items[h];
    char msg[PARSE_MSG];

    ps->opened++;
    if (array_grow(&out->letters, cap, out->nletters + 1,
                   sizeof *out->letters) != STATUS_OK)
        goto oom;
    ParsedLetter *l = &out->letters[out->nletters++];
    memset(l, 0, sizeof *l);
    l->line = hp->line;
    l->end_line = hp->line + hp->nlines - 1;
    const char *ht = hp->text + hp->head.off;
    size_t hl = hp->len - hp->head.off;
    bool joined = h > f && ps->items[h - 1].kind == LC_CLASSIFICATION;
    if (joined) {
        /* Classification and heading: kept as one line, as if wrapped. */
        const Item *q = &ps->items[h - 1];
        l->line = q->line;
        if (!(l->heading = malloc(q->len + 1 + hl + 1)))
            goto oom;
        memcpy(l->heading, q->text, q->len);
        l->heading[q->len] = ' ';
        memcpy(l->heading + q->len + 1, ht, hl);
        l->heading[q->len + 1 + hl] = '\0';
    } else if (!(l->heading = parse_strdup(ht, hl))) {
        goto oom;
    }
    if (hp->kind == LC_BADHEADING)
        return parse_refuse(ps, out, true, hp->line, hp->head.bad) < 0 ? -1 : 1;
    l->sender = hp->head.sender;
    memcpy(l->recipients, hp->head.recipients, sizeof l->recipients);
    l->nrecipients = hp->head.nrecipients;
    l->recipient = l->recipients[0];
    l->number = hp->head.number;
    for (size_t j = f; j < h; j++) {
        Item *it = &ps->items[j];
        if (it->kind == LC_NUMBER) {
            if (l->number) {
                snprintf(msg, sizeof msg,
                         "No. %d is not followed by a letter heading",
                         it->number);
                return parse_refuse(ps, out, true, it->line, msg) < 0 ? -1 : 1;
            }
            l->number = it->number;
        }
        if (it->kind == LC_DATE) {
            int r = parse_add_date(ps, l, &it->date, it->line, PARSE_DATE_FRONT,
                                   msg, sizeof msg);
            if (r < 0)
                return -1;
            if (r > 0)
                return parse_refuse(ps, out, true, it->line, msg) < 0 ? -1 : 1;
        }
        if ((it->kind == LC_CLASSIFICATION && joined && j == h - 1) ||
            it->kind == LC_DATE) /* dates are noted by parse_add_date */
            continue;
        if (parse_skip_note(ps, l, it->line, parse_class_name(it->kind),
                            it->text) < 0)
            return -1;
    }
    if (hp->head.date.kind != DATE_NONE) {
        int r = parse_add_date(ps, l, &hp->head.date, hp->line,
                               PARSE_DATE_HEADING, msg, sizeof msg);
        if (r < 0)
            return -1;
        if (r > 0)
            return parse_refuse(ps, out, true, hp->line, msg) < 0 ? -1 : 1;
    }
    return 0;

oom:
    parse_oom(ps, hp->line);
    return -1;
}

enum parse_state { ST_OUT, ST_IN, ST_SKIP };

/* Text outside any letter: what to say about it. */
static void parse_stray(ParseRun *ps, const ParsedFile *out, size_t front,
                        size_t i, int *line, char *msg, size_t sz)
{
    const Item *f = front != SIZE_MAX ? &ps->items[front] : &ps->items[i];
    *line = f->line;
    Heading h;
    if (front != SIZE_MAX && f->kind == LC_NUMBER)
        snprintf(msg, sz, "No. %d is not followed by a letter heading",
                 f->number);
    else if (f->kind == LC_TEXT &&
             parse_heading(ps, f->text, f->len, &h) == 0 && h.bad[0])
        snprintf(msg, sz, "%s", h.bad); /* a heading naming someone unknown */
    else if (out->nletters == 0 && ps->opened == 0)
        snprintf(msg, sz, "text before the first letter heading");
    else
        snprintf(msg, sz,
                 "text after the Source line of letter %zu does not start a "
                 "new letter",
                 ps->opened);
}

static int parse_letters(ParseRun *ps, ParsedFile *out)
{
    size_t lcap = 0, pcap = 0;
    size_t i = 0, front = SIZE_MAX;
    enum parse_state st = ST_OUT;
    char msg[PARSE_MSG];
    int line, r;

    while (i < ps->nitems) {
        Item *p = &ps->items[i];
        ParsedLetter *cur =
            st == ST_IN ? &out->letters[out->nletters - 1] : NULL;

        if (st == ST_SKIP) {
            if (p->kind == LC_SOURCE) {
                st = ST_OUT;
                i++;
            } else if ((p->kind == LC_NUMBER || p->kind == LC_CLASSIFICATION ||
                        p->kind == LC_HEADING || p->kind == LC_BADHEADING) &&
                       parse_front_to_heading(ps, i, false) >= 0) {
                st = ST_OUT;
            } else {
                i++;
            }
            continue;
        }
        if (st == ST_OUT) {
            switch (p->kind) {
            case LC_SEPARATOR:
            case LC_NUMBER:
            case LC_DATE:
            case LC_CLASSIFICATION:
            case LC_PAGE:
                if (p->kind == LC_NUMBER && front != SIZE_MAX &&
                    parse_front_to_heading(ps, front, true) < 0) {
                    parse_stray(ps, out, front, i, &line, msg, sizeof msg);
                    if (parse_refuse(ps, out, false, line, msg) < 0)
                        return -1;
                    front = SIZE_MAX;
                    st = ST_SKIP;
                    continue;
                }
                if (front == SIZE_MAX && p->kind != LC_SEPARATOR)
                    front = i;
                i++;
                continue;
            case LC_HEADING:
            case LC_BADHEADING:
                r = parse_open(ps, out, &lcap, front == SIZE_MAX ? i : front,
                               i);
                if (r < 0)
                    return -1;
                front = SIZE_MAX;
                pcap = 0;
                st = r > 0 ? ST_SKIP : ST_IN;
                i++;
                continue;
            default:
                parse_stray(ps, out, front, i, &line, msg, sizeof msg);
                if (parse_refuse(ps, out, false, line, msg) < 0)
                    return -1;
                front = SIZE_MAX;
                st = ST_SKIP;
                if (p->kind == LC_SOURCE) {
                    st = ST_OUT;
                    i++;
                }
                continue;
            }
        }
        /* ST_IN */
        switch (p->kind) {
        case LC_SOURCE: {
            const char *colon = memchr(p->text, ':', p->len);
            size_t off = (size_t)(colon - p->text) + 1;
            while (off < p->len &&
                   (p->text[off] == ' ' || p->text[off] == '\t'))
                off++;
            if (!(cur->source = parse_strdup(p->text + off, p->len - off))) {
                parse_oom(ps, p->line);
                return -1;
            }
            cur->end_line = p->line + p->nlines - 1;
            if (parse_close(ps, out, true) < 0)
                return -1;
            st = ST_OUT;
            i++;
            continue;
        }
        case LC_HEADING:
        case LC_BADHEADING:
            if ((r = parse_close(ps, out, false)) < 0)
                return -1;
            st = ST_OUT;
            continue;
        case LC_NUMBER:
        case LC_CLASSIFICATION:
            if (parse_front_to_heading(ps, i, false) >= 0) {
                /* The next letter starts: this one had no Source line. */
                if ((r = parse_close(ps, out, false)) < 0)
                    return -1;
                st = ST_OUT;
                continue;
            }
            if (p->kind == LC_NUMBER) {
                snprintf(msg, sizeof msg,
                         "No. %d is not followed by a letter heading",
                         p->number);
                if (parse_refuse(ps, out, true, p->line, msg) < 0)
                    return -1;
                st = ST_SKIP;
                i++;
                continue;
            }
            if (cur->npara == 0) { /* right under the heading */
                if (parse_skip_note(ps, cur, p->line, "classification",
                                    p->text) < 0)
                    return -1;
                i++;
                continue;
            }
            break; /* a classification word in the body is text */
        case LC_DATE:
            r = parse_add_date(ps, cur, &p->date, p->line, PARSE_DATE_BODY, msg,
                               sizeof msg);
            if (r < 0)
                return -1;
            if (r > 0) {
                if (parse_refuse(ps, out, true, p->line, msg) < 0)
                    return -1;
                st = ST_SKIP;
            } else {
                cur->end_line = p->line;
            }
            i++;
            continue;
        case LC_PAGE:
        case LC_SEPARATOR:
            if (parse_skip_note(ps, cur, p->line, parse_class_name(p->kind),
                                p->text) < 0)
                return -1;
            i++;
            continue;
        default:
            break;
        }
        if (array_grow(&cur->paras, &pcap, cur->npara + 1,
                       sizeof *cur->paras) != STATUS_OK) {
            parse_oom(ps, p->line);
            return -1;
        }
        cur->paras[cur->npara].line = p->line;
        cur->paras[cur->npara].text = p->text;
        cur->npara++;
        cur->end_line = p->line + p->nlines - 1;
        p->text = NULL;
        i++;
    }
    if (st == ST_IN && parse_close(ps, out, false) < 0)
        return -1;
    if (st == ST_OUT && front != SIZE_MAX) {
        parse_stray(ps, out, front, front, &line, msg, sizeof msg);
        if (parse_refuse(ps, out, false, line, msg) < 0)
            return -1;
    }
    if (out->nletters == 0 && out->nrefused == 0 && !ps->opt->later_part) {
        parse_fail(ps, 1, "no letters found");
        return -1;
    }
    return 0;
}

/* A body whose lines were joined although none of the letter's paragraphs
 * is separated by a blank line: the file may put one paragraph on a line.
 * Said, not guessed. */
static int parse_check_wrapped(ParseRun *ps, ParsedFile *out)
{
    if (ps->opt->paragraphs != PARSE_PARA_BLANK || ps->opt->wrapped_said)
        return 0;
    for (size_t i = 0; i < ps->nitems; i++) {
        const Item *it = &ps->items[i];
        if (it->kind == LC_TEXT && it->nlines >= 4) {
            char w[PARSE_MSG];
            snprintf(w, sizeof w,
                     "%s:%d: %d lines joined into one paragraph (blank lines "
                     "separate paragraphs; if this file puts one paragraph on "
                     "each line, import it with --paragraphs=lines)",
                     ps->name, it->line, it->nlines);
            if (parse_note(&out->warnings, &out->nwarnings, w) < 0) {
                parse_oom(ps, it->line);
                return -1;
            }
            out->wrapped = true;
            return 0; /* once per file is enough */
        }
    }
    return 0;
}

/* --- entry points ----------------------------------------------------------- */

Status parser_parse_opts(Parser *parser, const char *name, const char *buf,
                         size_t len, const ParseOptions *opt, ParsedFile *out,
                         Error *err)
{
    static const ParseOptions defaults = {0};
    ParseRun ps = {.name = name,
                   .people = parser->people,
                   .parser = parser,
                   .opt = opt ? opt : &defaults,
                   .md = parser->md,
                   .err = err,
                   .status = STATUS_ERROR};
    ps.opened = ps.opt->letters_before;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (parse_lines(&ps, buf, len) < 0 || parse_items(&ps) < 0 ||
        parse_letters(&ps, out) < 0 || parse_check_wrapped(&ps, out) < 0)
        goto done;
    out->opened = ps.opened;
    rc = 0;

done:
    if (rc < 0)
        parsed_file_free(out);
    for (size_t i = 0; i < ps.nitems; i++) free(ps.items[i].text);
    free(ps.items);
    free(ps.lines);
    return rc < 0 ? ps.status : STATUS_OK;
}

Status parser_parse(Parser *p, const char *name, const char *buf, size_t len,
                    ParsedFile *out, Error *err)
{
    return parser_parse_opts(p, name, buf, len, NULL, out, err);
}

void parsed_file_free(ParsedFile *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nletters; i++) parse_letter_free(&f->letters[i]);
    free(f->letters);
    for (size_t i = 0; i < f->nwarnings; i++) free(f->warnings[i]);
    free(f->warnings);
    for (size_t i = 0; i < f->nrefused; i++) free(f->refused[i]);
    free(f->refused);
    memset(f, 0, sizeof *f);
}

/* --- the index's view of a passage ------------------------------------------ */

static bool parse_ascii_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool parse_ascii_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* A footnote mark is 1-3 digits right after a word of two or more letters,
 * or after such a word and one of . , ; : ) (the copy glued the mark on after
 * the punctuation), and not followed by a letter or digit. */
char *parse_index_text(const char *text)
{
    size_t len = strlen(text), o = 0;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (parse_ascii_digit(c) && i >= 2) {
            size_t w = i;
            if (strchr(".,;:)", text[w - 1]) && w >= 3)
                w--;
            bool word = parse_ascii_alpha((unsigned char)text[w - 1]) &&
                        parse_ascii_alpha((unsigned char)text[w - 2]);
            size_t d = i;
            while (d < len && parse_ascii_digit((unsigned char)text[d])) d++;
            bool end =
                d == len || !(parse_ascii_alpha((unsigned char)text[d]) ||
                              (unsigned char)text[d] >= 0x80);
            if (word && d - i <= 3 && end) {
                i = d;
                continue;
            }
            memcpy(out + o, text + i, d - i);
            o += d - i;
            i = d;
            continue;
        }
        out[o++] = (char)c;
        i++;
    }
    out[o] = '\0';
    return out;
}
