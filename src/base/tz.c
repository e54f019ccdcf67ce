/* tz.c - TZif files (RFC 8536) and POSIX TZ strings, read without TZ,
 * tzset() or localtime(). */
#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_FILE_MAX (1024 * 1024) /* the largest zone file today is ~3 KiB */
#define TZ_SECS_MAX INT64_C(3000000000000) /* ~95,000 years either way */
#define TZ_YEAR_MAX 100000

static const char tz_oom[] = "out of memory";

typedef struct {
    int32_t utoff;
    bool isdst;
    char abbr[TZ_ABBR_MAX];
} TzType;

/* One end of the daylight-saving period of a POSIX TZ string. */
typedef struct {
    char kind;    /* 'J': Jn, 1..365 without Feb 29; 'N': n, 0..365; 'M' */
    int n;        /* J and N: the day; M: the month */
    int week;     /* M: 1..5, 5 meaning the last */
    int wday;     /* M: 0 = Sunday */
    int32_t time; /* local seconds after midnight, -167h..167h */
} TzRuleDate;

typedef struct {
    TzType std, dst;
    bool has_dst;
    TzRuleDate start, end; /* start in standard time, end in DST */
} TzRule;

struct Tz {
    char name[TZ_NAME_MAX];
    int64_t *trans; /* ascending */
    uint8_t *idx;   /* type of each transition */
    size_t ntrans;
    TzType *types;
    size_t ntypes;
    bool has_rule; /* the footer; governs from the last transition on */
    TzRule rule;
};

/* ---- dates ---------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(((days % 7) + 11) % 7);
}

/* ---- POSIX TZ strings ----------------------------------------------------- */

static bool parse_abbr(const char **pp, char *out)
{
    const char *p = *pp;
    size_t n = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>') {
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
                return false;
            if (n + 1 < TZ_ABBR_MAX)
                out[n++] = *p;
            p++;
        }
        if (*p != '>')
            return false;
        p++;
    } else {
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            if (n + 1 < TZ_ABBR_MAX)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    if (p - *pp < 3)
        return false;
    *pp = p;
    return true;
}

/* [+-]h[hh][:mm[:ss]] with hours up to max_hours; seconds to *out. */
static bool parse_hms(const char **pp, int max_hours, int32_t *out)
{
    const char *p = *pp;
    int sign = 1, parts[3] = {0, 0, 0};
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*p != ':')
                break;
            p++;
        }
        int digits = 0, v = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || (i > 0 && (digits != 2 || v > 59)))
            return false;
        parts[i] = v;
    }
    if (parts[0] > max_hours)
        return false;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    *pp = p;
    return true;
}

static bool parse_num(const char **pp, int lo, int hi, int *out)
{
    const char *p = *pp;
    int v = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || v < lo || v > hi)
        return false;
    *out = v;
    *pp = p;
    return true;
}

static bool parse_rule_date(const char **pp, TzRuleDate *rd)
{
    const char *p = *pp;
    memset(rd, 0, sizeof *rd);
    if (*p == 'J') {
        p++;
        rd->kind = 'J';
        if (!parse_num(&p, 1, 365, &rd->n))
            return false;
    } else if (*p == 'M') {
        p++;
        rd->kind = 'M';
        if (!parse_num(&p, 1, 12, &rd->n) || *p++ != '.' ||
            !parse_num(&p, 1, 5, &rd->week) || *p++ != '.' ||
            !parse_num(&p, 0, 6, &rd->wday))
            return false;
    } else {
        rd->kind = 'N';
        if (!parse_num(&p, 0, 365, &rd->n))
            return false;
    }
    rd->time = 7200;
    if (*p == '/') {
        p++;
        if (!parse_hms(&p, 167, &rd->time))
            return false;
    }
    *pp = p;
    return true;
}

static bool parse_posix(const char *s, TzRule *r)
{
    const char *p = s;
    int32_t off;
    memset(r, 0, sizeof *r);
    if (!parse_abbr(&p, r->std.abbr) || !parse_hms(&p, 24, &off))
        return false;
    r->std.utoff = -off;
    if (*p == '\0')
        return true;
    r->has_dst = true;
    r->dst.isdst = true;
    if (!parse_abbr(&p, r->dst.abbr))
        return false;
    r->dst.utoff = r->std.utoff + 3600;
    if (*p != ',' && *p != '\0') {
        if (!parse_hms(&p, 24, &off))
            return false;
        r->dst.utoff = -off;
    }
    if (*p == '\0') { /* no rule given: the US rule, as glibc does */
        r->start = (TzRuleDate){'M', 3, 2, 0, 7200};
        r->end = (TzRuleDate){'M', 11, 1, 0, 7200};
        return true;
    }
    if (*p++ != ',' || !parse_rule_date(&p, &r->start) || *p++ != ',' ||
        !parse_rule_date(&p, &r->end))
        return false;
    return *p == '\0';
}

/* Day of the year (0-based) that rd names in year y. */
static int64_t rule_yday(const TzRuleDate *rd, int64_t y)
{
    if (rd->kind == 'J')
        return rd->n - 1 + (is_leap(y) && rd->n >= 60);
    if (rd->kind == 'N')
        return rd->n;
    int64_t first = tz_days_from_civil(y, rd->n, 1);
    int day = 1 + (rd->wday - weekday(first) + 7) % 7 + 7 * (rd->week - 1);
    while (day > month_days(y, rd->n)) day -= 7;
    return first + day - 1 - tz_days_from_civil(y, 1, 1);
}

/* The instant at which DST starts (start) or ends in year y. */
static int64_t rule_instant(const TzRule *r, int64_t y, bool start)
{
    const TzRuleDate *rd = start ? &r->start : &r->end;
    int32_t before = start ? r->std.utoff : r->dst.utoff;
    int64_t days = tz_days_from_civil(y, 1, 1) + rule_yday(rd, y);
    return days * 86400 + rd->time - before;
}

static int64_t year_of(int64_t t)
{
    int y, m, d;
    tz_civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return y;
}

static TzType rule_type(const TzRule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std;
    int64_t y0 = year_of(t + r->std.utoff), best = INT64_MIN;
    bool dst = false;
    /* The latest change at or before t; on a tie the later one in the list
     * wins, so that all-year DST ("0/0,J365/25") stays DST. */
    for (int64_t y = y0 - 1; y <= y0 + 1; y++) {
        for (int k = 0; k < 2; k++) {
            int64_t at = rule_instant(r, y, k == 0);
            if (at <= t && at >= best) {
                best = at;
                dst = k == 0;
            }
        }
    }
    return dst ? r->dst : r->std;
}

/* ---- lookups -------------------------------------------------------------- */

static TzType type_at(const Tz *tz, int64_t t)
{
    size_t n = tz->ntrans;
    if (n == 0 || t >= tz->trans[n - 1]) {
        if (tz->has_rule)
            return rule_type(&tz->rule, t);
        return n == 0 ? tz->types[0] : tz->types[tz->idx[n - 1]];
    }
    if (t < tz->trans[0])
        return tz->types[0];
    size_t lo = 0, hi = n - 1; /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->types[tz->idx[lo]];
}

/* The first instant after t at which the zone's type may change. */
static bool next_change(const Tz *tz, int64_t t, int64_t *next)
{
    size_t n = tz->ntrans;
    if (n > 0 && t < tz->trans[n - 1]) {
        size_t lo = 0, hi = n - 1; /* the first trans[i] > t is in lo..hi */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        *next = tz->trans[lo];
        return true;
    }
    if (!tz->has_rule || !tz->rule.has_dst)
        return false;
    int64_t y0 = year_of(t + tz->rule.std.utoff), best = INT64_MAX;
    for (int64_t y = y0 - 1; y <= y0 + 2; y++) {
        for (int k = 0; k < 2; k++) {
            int64_t at = rule_instant(&tz->rule, y, k == 0);
            if (at > t && at < best)
                best = at;
        }
    }
    *next = best;
    return best != INT64_MAX;
}

Status tz_local(const Tz *tz, int64_t utc, TzLocal *out)
{
    if (utc < -TZ_SECS_MAX || utc > TZ_SECS_MAX)
        return STATUS_INVALID;
    TzType ty = type_at(tz, utc);
    int64_t local = utc + ty.utoff;
    int64_t days = floor_div(local, 86400), secs = local - days * 86400;
    memset(out, 0, sizeof *out);
    tz_civil_from_days(days, &out->civil.year, &out->civil.month,
                       &out->civil.day);
    out->civil.hour = (int)(secs / 3600);
    out->civil.minute = (int)(secs / 60 % 60);
    out->civil.second = (int)(secs % 60);
    out->wday = weekday(days);
    out->utoff = ty.utoff;
    out->is_dst = ty.isdst;
    memcpy(out->abbr, ty.abbr, sizeof out->abbr);
    return STATUS_OK;
}

Status tz_utc(const Tz *tz, const TzCivil *lc, int64_t *utc, TzMatch *match)
{
    if (lc->year < -TZ_YEAR_MAX || lc->year > TZ_YEAR_MAX || lc->month < 1 ||
        lc->month > 12 || lc->day < 1 ||
        lc->day > month_days(lc->year, lc->month) || lc->hour < 0 ||
        lc->hour > 23 || lc->minute < 0 || lc->minute > 59 || lc->second < 0 ||
        lc->second > 59)
        return STATUS_INVALID;
    int64_t local = tz_days_from_civil(lc->year, lc->month, lc->day) * 86400 +
                    lc->hour * 3600 + lc->minute * 60 + lc->second;
    /* Every offset is well under two days, so the instants that can show
     * this civil time lie in (w0, w1).  Walk the stretches of constant type
     * across that window: the civil time occurs in a stretch when local -
     * offset falls inside it. */
    int64_t w0 = local - 2 * 86400, w1 = local + 2 * 86400;
    int64_t start = w0, found = 0, gap_at = 0;
    unsigned hits = 0;
    bool gap = false;
    for (int guard = 0; guard < 1000; guard++) {
        int32_t off = type_at(tz, start).utoff;
        int64_t end;
        bool more = next_change(tz, start, &end);
        int64_t t = local - off;
        if (t >= start && (!more || t < end)) {
            if (hits++ == 0)
                found = t;
        }
        if (!gap && start + off > local) { /* the first stretch after it */
            gap = true;
            gap_at = start;
        }
        if (!more || end > w1)
            break;
        start = end;
    }
    if (hits > 0) {
        *utc = found;
        if (match)
            *match = hits > 1 ? TZ_OVERLAP : TZ_EXACT;
        return STATUS_OK;
    }
    if (!gap)
        return STATUS_ERROR;
    *utc = gap_at;
    if (match)
        *match = TZ_GAP;
    return STATUS_OK;
}

/* ---- loading -------------------------------------------------------------- */

bool tz_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || name[0] == '-' ||
        name[n - 1] == '/' || strstr(name, "..") || strstr(name, "//"))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
              c == '-'))
            return false;
    }
    return true;
}

static Tz *tz_new(const char *name)
{
    Tz *tz = calloc(1, sizeof *tz);
    if (tz == NULL)
        return NULL;
    snprintf(tz->name, sizeof tz->name, "%s", name);
    return tz;
}

static Tz *utc_named(const char *name)
{
    Tz *tz = tz_new(name);
    if (tz == NULL)
        return NULL;
    tz->types = calloc(1, sizeof *tz->types);
    if (tz->types == NULL) {
        free(tz);
        return NULL;
    }
    tz->ntypes = 1;
    memcpy(tz->types[0].abbr, "UTC", 4);
    return tz;
}

Tz *tz_utc_zone(void)
{
    return utc_named("UTC");
}

void tz_free(Tz *tz)
{
    if (tz == NULL)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

const char *tz_name(const Tz *tz)
{
    return tz->name;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

enum { CNT_ISUT, CNT_ISSTD, CNT_LEAP, CNT_TIME, CNT_TYPE, CNT_CHAR };

/* The header at buf+off: version and the six counts; the size of the data
 * block that follows it with times of width tw. */
static bool tzif_header(const uint8_t *buf, size_t len, size_t off, int tw,
                        char *version, uint32_t cnt[6], size_t *block)
{
    if (len < off || len - off < 44 || memcmp(buf + off, "TZif", 4) != 0)
        return false;
    *version = (char)buf[off + 4];
    for (int i = 0; i < 6; i++) cnt[i] = be32(buf + off + 20 + 4 * i);
    *block = (size_t)cnt[CNT_TIME] * (size_t)(tw + 1) +
             (size_t)cnt[CNT_TYPE] * 6 + cnt[CNT_CHAR] +
             (size_t)cnt[CNT_LEAP] * (size_t)(tw + 4) + cnt[CNT_ISSTD] +
             cnt[CNT_ISUT];
    return *block <= len - off - 44;
}

/* Fills tz from a TZif image; returns a reason, or NULL. */
static const char *tzif_parse(Tz *tz, const uint8_t *buf, size_t len)
{
    char version;
    uint32_t cnt[6];
    size_t block, off = 0;
    int tw = 4;
    if (!tzif_header(buf, len, 0, 4, &version, cnt, &block))
        return "not a TZif file";
    if (version != '\0') { /* v2+: skip to the 64-bit section */
        off = 44 + block;
        tw = 8;
        char v2;
        if (!tzif_header(buf, len, off, 8, &v2, cnt, &block))
            return "corrupt TZif file";
    }
    if (cnt[CNT_LEAP] != 0)
        return "leap-second zones are not supported";
    if (cnt[CNT_TYPE] == 0 || cnt[CNT_TYPE] > 256 || cnt[CNT_CHAR] == 0 ||
        (cnt[CNT_ISUT] != 0 && cnt[CNT_ISUT] != cnt[CNT_TYPE]) ||
        (cnt[CNT_ISSTD] != 0 && cnt[CNT_ISSTD] != cnt[CNT_TYPE]))
        return "corrupt TZif file";
    const uint8_t *p = buf + off + 44;
    size_t nt = cnt[CNT_TIME], ny = cnt[CNT_TYPE];
    tz->ntrans = nt;
    tz->ntypes = ny;
    tz->trans = malloc((nt ? nt : 1) * sizeof *tz->trans);
    tz->idx = malloc(nt ? nt : 1);
    tz->types = calloc(ny, sizeof *tz->types);
    if (tz->trans == NULL || tz->idx == NULL || tz->types == NULL)
        return tz_oom;
    for (size_t i = 0; i < nt; i++) {
        tz->trans[i] = tw == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
            return "corrupt TZif file";
    }
    p += nt * (size_t)tw;
    for (size_t i = 0; i < nt; i++) {
        tz->idx[i] = p[i];
        if (p[i] >= ny)
            return "corrupt TZif file";
    }
    p += nt;
    const uint8_t *chars = p + ny * 6;
    for (size_t i = 0; i < ny; i++) {
        int32_t utoff = (int32_t)be32(p + 6 * i);
        uint8_t isdst = p[6 * i + 4], desig = p[6 * i + 5];
        if (utoff <= -86400 || utoff >= 86400 || isdst > 1 ||
            desig >= cnt[CNT_CHAR])
            return "corrupt TZif file";
        tz->types[i].utoff = utoff;
        tz->types[i].isdst = isdst;
        size_t k = 0;
        while (desig + k < cnt[CNT_CHAR] && chars[desig + k] != '\0' &&
               k + 1 < TZ_ABBR_MAX) {
            tz->types[i].abbr[k] = (char)chars[desig + k];
            k++;
        }
    }
    if (tw == 4)
        return NULL;
    /* The footer: "\n" POSIX-TZ "\n"; an empty string means none. */
    size_t foot = off + 44 + block;
    if (foot >= len || buf[foot] != '\n')
        return "corrupt TZif footer";
    const uint8_t *s = buf + foot + 1;
    const uint8_t *nl = memchr(s, '\n', len - foot - 1);
    if (nl == NULL || nl - s >= 256)
        return "corrupt TZif footer";
    if (nl == s)
        return NULL;
    char posix[256];
    memcpy(posix, s, (size_t)(nl - s));
    posix[nl - s] = '\0';
    if (!parse_posix(posix, &tz->rule))
        return "unsupported TZ string in TZif footer";
    tz->has_rule = true;
    return NULL;
}

Tz *tz_load_dir(const char *dir, const char *name, Error *err)
{
    if (!tz_name_valid(name)) {
        error_set(err, STATUS_INVALID, "invalid time zone name \"%.64s\"",
                  name ? name : "");
        return NULL;
    }
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
        Tz *tz = utc_named(name);
        if (tz == NULL)
            error_set(err, STATUS_ERROR, "out of memory");
        return tz;
    }
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (pn < 0 || (size_t)pn >= sizeof path) {
        error_set(err, STATUS_INVALID, "unknown time zone \"%s\"", name);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            error_set(err, STATUS_INVALID, "unknown time zone \"%s\"", name);
        else
            error_set(err, STATUS_ERROR, "time zone \"%s\": %s", name,
                      strerror(e));
        return NULL;
    }
    uint8_t *buf = malloc(TZ_FILE_MAX);
    size_t len = 0;
    if (buf != NULL) {
        len = fread(buf, 1, TZ_FILE_MAX, f);
        if (ferror(f)) /* a directory: "Europe" */
            len = 0;
    }
    fclose(f);
    if (buf == NULL) {
        error_set(err, STATUS_ERROR, "out of memory");
        return NULL;
    }
    Tz *tz = tz_new(name);
    const char *why = tz ? tzif_parse(tz, buf, len) : tz_oom;
    free(buf);
    if (why != NULL) {
        if (len == 0 && why != tz_oom)
            why = "not a zone file";
        error_set(err, why == tz_oom ? STATUS_ERROR : STATUS_INVALID,
                  "time zone \"%s\": %s", name, why);
        tz_free(tz);
        return NULL;
    }
    return tz;
}

Tz *tz_load(const char *name, Error *err)
{
    return tz_load_dir(TZ_DIR_DEFAULT, name, err);
}
