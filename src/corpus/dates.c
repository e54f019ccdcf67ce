/* dates.c - recognising the date lines of the edition and showing dates.
 *
 * A date line is a whole line: "July 18, 1941", "18th July, 1941",
 * "Received on Nov. 25, 1941".  It is parsed by hand with a small cursor
 * rather than a regular expression: the grammar is tiny, and the checks that
 * matter (day fits the month, leap years, no trailing text) are arithmetic
 * anyway.  Dates are kept as ISO "YYYY-MM-DD" so SQLite can sort them.
 */
#include "dates.h"

#include <stdio.h>
#include <string.h>

#define DATES_YEAR_MIN 1000
#define DATES_YEAR_MAX 2999

/* ---- ASCII classes (locale-independent) ---------------------------------- */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- calendar ------------------------------------------------------------ */

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static bool year_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    if (month == 2 && year_is_leap(year))
        return 29;
    return days[month - 1];
}

static bool date_valid(int year, int month, int day)
{
    return year >= DATES_YEAR_MIN && year <= DATES_YEAR_MAX && month >= 1 &&
           month <= 12 && day >= 1 && day <= month_days(year, month);
}

/* Writes a date already checked by date_valid as "YYYY-MM-DD". */
static void iso_write(char iso[11], int y, int m, int d)
{
    const int digits[8] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10,
                           m / 10,   m % 10,       d / 10,      d % 10};
    const int at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++) iso[at[i]] = (char)('0' + digits[i]);
    iso[4] = iso[7] = '-';
    iso[10] = '\0';
}

/* Splits a valid ISO date; false for anything else (including years outside
 * the range date lines accept, so every stored date can be shown). */
static bool iso_split(const char *iso, int *y, int *m, int *d)
{
    if (iso == NULL || strlen(iso) != 10 || iso[4] != '-' || iso[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit((unsigned char)iso[i]))
            return false;
    *y = (iso[0] - '0') * 1000 + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 +
         (iso[3] - '0');
    *m = (iso[5] - '0') * 10 + (iso[6] - '0');
    *d = (iso[8] - '0') * 10 + (iso[9] - '0');
    return date_valid(*y, *m, *d);
}

/* ---- cursor over the line ------------------------------------------------ */

typedef struct {
    const char *p;   /* next unread byte */
    const char *end; /* one past the last byte of the line proper */
} Cursor;

/* Skips blanks; true when at least one was skipped. */
static bool cursor_blanks(Cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && is_blank((unsigned char)*c->p)) c->p++;
    return c->p > start;
}

static bool cursor_char(Cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Consumes a letter run equal to word (ASCII, case-insensitive). */
static bool cursor_word(Cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)c->p[i]) != word[i])
            return false;
    if (c->p + n < c->end && is_alpha((unsigned char)c->p[n]))
        return false;
    c->p += n;
    return true;
}

/* Reads 1..maxdigits decimal digits not followed by another digit. */
static bool cursor_number(Cursor *c, int maxdigits, int *out)
{
    int v = 0, n = 0;
    while (c->p < c->end && is_digit((unsigned char)*c->p)) {
        if (++n > maxdigits)
            return false;
        v = v * 10 + (*c->p - '0');
        c->p++;
    }
    *out = v;
    return n > 0;
}

/* A month: the full name, or its first three letters ("Sept" too) with an
 * optional period.  Returns 1..12, or 0. */
static int cursor_month(Cursor *c)
{
    char word[16];
    size_t n = 0;
    while (c->p + n < c->end && is_alpha((unsigned char)c->p[n])) {
        if (n + 1 >= sizeof word)
            return 0;
        word[n] = (char)lower((unsigned char)c->p[n]);
        n++;
    }
    word[n] = '\0';
    if (n < 3)
        return 0;

    for (int m = 0; m < 12; m++) {
        char full[16];
        size_t len = strlen(month_names[m]);
        for (size_t i = 0; i <= len; i++)
            full[i] = (char)lower((unsigned char)month_names[m][i]);

        bool is_full = strcmp(word, full) == 0;
        bool is_abbr = (n == 3 && strncmp(word, full, 3) == 0) ||
                       (m == 8 && strcmp(word, "sept") == 0);
        if (is_full || is_abbr) {
            c->p += n;
            if (is_abbr)
                cursor_char(c, '.');
            return m + 1;
        }
    }
    return 0;
}

/* A day of the month with an optional ordinal suffix ("18", "11th", "1st"). */
static bool cursor_day(Cursor *c, int *day)
{
    if (!cursor_number(c, 2, day))
        return false;
    static const char *const suffixes[] = {"st", "nd", "rd", "th"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
        if (cursor_word(c, suffixes[i]))
            break;
    return true;
}

/* "July 18, 1941" / "July 18 1941" */
static bool dates_parse_month_first(Cursor *c, int *y, int *m, int *d)
{
    if ((*m = cursor_month(c)) == 0 || !cursor_blanks(c) || !cursor_day(c, d))
        return false;
    bool comma = cursor_char(c, ',');
    bool blank = cursor_blanks(c);
    return (comma || blank) && cursor_number(c, 4, y);
}

/* "18 July 1941" / "18th July, 1941" */
static bool dates_parse_day_first(Cursor *c, int *y, int *m, int *d)
{
    if (!cursor_day(c, d) || !cursor_blanks(c) || (*m = cursor_month(c)) == 0)
        return false;
    bool comma = cursor_char(c, ',');
    bool blank = cursor_blanks(c);
    return (comma || blank) && cursor_number(c, 4, y);
}

/* Consumes "<verb> on " ("Sent on ", "Received on "); leaves the cursor
 * alone when the line does not start that way. */
static bool cursor_lead(Cursor *c, const char *verb)
{
    /* "Sent on", "Sent:", "Received" alone: copies differ. */
    Cursor save = *c;
    if (cursor_word(c, verb)) {
        bool colon = cursor_char(c, ':');
        bool blank = cursor_blanks(c);
        if (!colon && cursor_word(c, "on"))
            blank = cursor_blanks(c);
        if (blank)
            return true;
    }
    *c = save;
    return false;
}

/* ---- public -------------------------------------------------------------- */

/* Quote marks a copy may glue to a date: ASCII and the UTF-8 curly ones. */
static size_t quote_len(const char *p, const char *end, bool backwards)
{
    static const char *const quotes[] = {"\"",           "'",
                                         "\xe2\x80\x9c", "\xe2\x80\x9d",
                                         "\xe2\x80\x98", "\xe2\x80\x99"};
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t n = strlen(quotes[i]);
        if ((size_t)(end - p) < n)
            continue;
        if (memcmp(backwards ? end - n : p, quotes[i], n) == 0)
            return n;
    }
    return 0;
}

/* Parses a date at the start of c; on success the cursor is after it. */
static bool dates_parse_at(Cursor *c, Date *out)
{
    enum date_kind kind = DATE_WRITTEN;
    if (cursor_lead(c, "sent"))
        kind = DATE_SENT;
    else if (cursor_lead(c, "received"))
        kind = DATE_RECEIVED;

    int y = 0, m = 0, d = 0;
    bool ok = c->p < c->end && is_digit((unsigned char)*c->p)
                  ? dates_parse_day_first(c, &y, &m, &d)
                  : dates_parse_month_first(c, &y, &m, &d);
    if (!ok || !date_valid(y, m, d))
        return false;
    if (out != NULL) {
        iso_write(out->iso, y, m, d);
        out->kind = kind;
    }
    return true;
}

bool dates_parse_line(const char *line, Date *out)
{
    if (line == NULL)
        return false;

    Cursor c = {line, line + strlen(line)};
    size_t q;
    /* Trailing blanks, quotes and one period, in any order a copy has them:
     * 'October 19, 1943.' and 'October 19, 1943.\u201d' alike. */
    for (int period = 0;;) {
        while (c.end > c.p && is_blank((unsigned char)c.end[-1])) c.end--;
        if ((q = quote_len(c.p, c.end, true)) > 0) {
            c.end -= q;
        } else if (!period && c.end > c.p && c.end[-1] == '.') {
            c.end--;
            period = 1;
        } else {
            break;
        }
    }
    cursor_blanks(&c);
    while ((q = quote_len(c.p, c.end, false)) > 0) {
        c.p += q;
        cursor_blanks(&c);
    }
    Date d;
    if (!dates_parse_at(&c, &d))
        return false;
    cursor_blanks(&c);
    if (c.p != c.end)
        return false;
    if (out != NULL)
        *out = d;
    return true;
}

size_t dates_parse_prefix(const char *s, size_t len, Date *out)
{
    Cursor c = {s, s + len};
    Date d;
    if (!dates_parse_at(&c, &d))
        return 0;
    /* "Aug. 4, 1944 message", "Aug. 4, 1944, message", "... 1944: message" */
    bool punct = cursor_char(&c, ',') || cursor_char(&c, ':') ||
                 cursor_char(&c, ';') || cursor_char(&c, '-');
    if (!cursor_blanks(&c) && c.p != c.end && !punct)
        return 0; /* "1941x": not a date followed by a word */
    if (out != NULL)
        *out = d;
    return (size_t)(c.p - s);
}

const char *dates_kind_name(enum date_kind kind)
{
    switch (kind) {
    case DATE_WRITTEN:
        return "written";
    case DATE_SENT:
        return "sent";
    case DATE_RECEIVED:
        return "received";
    case DATE_NONE:
        break;
    }
    return NULL;
}

enum date_kind dates_kind_parse(const char *name)
{
    if (name == NULL)
        return DATE_NONE;
    if (strcmp(name, "written") == 0)
        return DATE_WRITTEN;
    if (strcmp(name, "sent") == 0)
        return DATE_SENT;
    if (strcmp(name, "received") == 0)
        return DATE_RECEIVED;
    return DATE_NONE;
}

bool dates_iso_valid(const char *iso)
{
    int y, m, d;
    return iso_split(iso, &y, &m, &d);
}

/* An invalid ISO string is shown as "undated": whatever reaches a chat line
 * must be something we understood. */
int dates_format(const char *iso, enum date_kind kind, char *out, size_t outsz)
{
    int y, m, d;
    if (!iso_split(iso, &y, &m, &d))
        return snprintf(out, outsz, "undated");

    const char *prefix = "";
    if (kind == DATE_SENT)
        prefix = "sent ";
    else if (kind == DATE_RECEIVED)
        prefix = "received ";
    return snprintf(out, outsz, "%s%d %s %d", prefix, d, month_names[m - 1], y);
}
