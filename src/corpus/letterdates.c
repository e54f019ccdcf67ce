/* letterdates.c - every letter's date in memory (see letterdates.h).
 *
 * One uint32_t a letter, by id: bit 31 known, bit 30 curated, bits 27..29
 * the kind, bits 0..26 the date as the number YYYYMMDD (0: undated).  The
 * trade-off: 0.5 MB at a million passages and a scan of the letters table
 * when the corpus opens or changes, against a descent of the letters table
 * per pick.
 */
#include "letterdates.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LETTERDATES_MAX_ID (INT64_C(1) << 26)
#define LD_KNOWN (UINT32_C(1) << 31)
#define LD_CURATED (UINT32_C(1) << 30)
#define LD_KIND_SHIFT 27
#define LD_DATE_MASK ((UINT32_C(1) << LD_KIND_SHIFT) - 1)

struct LetterDates {
    sqlite3 *db;
    uint32_t *of;        /* [letter id] */
    sqlite3_int64 nids;  /* length of of; 0: nothing known */
};

LetterDates *letterdates_new(sqlite3 *db, Error *err)
{
    LetterDates *d = calloc(1, sizeof *d);
    if (!d) {
        error_set(err, STATUS_ERROR, "letterdates: out of memory");
        return NULL;
    }
    d->db = db;
    return d;
}

void letterdates_drop(LetterDates *d)
{
    free(d->of);
    d->of = NULL;
    d->nids = 0;
}

void letterdates_free(LetterDates *d)
{
    if (!d)
        return;
    letterdates_drop(d);
    free(d);
}

static bool letterdates_digits(const unsigned char *s, int n, uint32_t *v)
{
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (uint32_t)(s[i] - '0');
    }
    return true;
}

/* The packed entry of a row (date, kind, curated) as corpus.c would read
 * it; 0 (not known) for a valid date not in the "YYYY-MM-DD" form. */
static uint32_t letterdates_pack(const unsigned char *iso, int isolen,
                                 const unsigned char *kind, bool curated)
{
    uint32_t ymd = 0;
    if (!iso || !dates_iso_valid((const char *)iso))
        return LD_KNOWN; /* undated: no kind, not curated */
    if (isolen != 10 || iso[4] != '-' || iso[7] != '-' ||
        !letterdates_digits(iso, 4, &ymd) ||
        !letterdates_digits(iso + 5, 2, &ymd) ||
        !letterdates_digits(iso + 8, 2, &ymd) || ymd == 0)
        return 0;
    enum date_kind k = dates_kind_parse((const char *)kind);
    if (k == DATE_NONE)
        k = DATE_WRITTEN;
    return LD_KNOWN | (curated ? LD_CURATED : 0) |
           (uint32_t)k << LD_KIND_SHIFT | ymd;
}

Status letterdates_read(LetterDates *d, Error *err)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 max_id;
    int rc;

    letterdates_drop(d);
    if (sqlite3_prepare_v2(d->db, "SELECT coalesce(max(id), 0) FROM letters",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    max_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (max_id < 0 || max_id >= LETTERDATES_MAX_ID)
        return STATUS_NOTFOUND;
    /* calloc: the pages of ids never used are never written. */
    if (!(d->of = calloc((size_t)max_id + 1, sizeof *d->of)))
        return error_set(err, STATUS_ERROR, "letterdates: out of memory");
    d->nids = max_id + 1;
    if (sqlite3_prepare_v2(d->db,
                           "SELECT id, date, date_kind,"
                           " date_source IS NOT NULL FROM letters",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (id < 0 || id >= d->nids)
            continue; /* cannot happen in one snapshot */
        d->of[id] = letterdates_pack(sqlite3_column_text(st, 1),
                                     sqlite3_column_bytes(st, 1),
                                     sqlite3_column_text(st, 2),
                                     sqlite3_column_int(st, 3) != 0);
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    return STATUS_OK;

fail:
    error_set(err, STATUS_ERROR, "letterdates: %s", sqlite3_errmsg(d->db));
    sqlite3_finalize(st);
    letterdates_drop(d);
    return STATUS_ERROR;
}

bool letterdates_get(const LetterDates *d, sqlite3_int64 letter,
                     char date[11], enum date_kind *kind, bool *curated)
{
    if (letter < 0 || letter >= d->nids || !(d->of[letter] & LD_KNOWN))
        return false;
    uint32_t v = d->of[letter];
    uint32_t ymd = v & LD_DATE_MASK;
    date[0] = '\0';
    *kind = DATE_NONE;
    *curated = false;
    if (ymd == 0)
        return true;
    uint32_t y = ymd / 10000, m = ymd / 100 % 100, day = ymd % 100;
    const char s[11] = {
        (char)('0' + y / 1000),     (char)('0' + y / 100 % 10),
        (char)('0' + y / 10 % 10),  (char)('0' + y % 10),
        '-',                        (char)('0' + m / 10),
        (char)('0' + m % 10),       '-',
        (char)('0' + day / 10),     (char)('0' + day % 10),
        '\0'};
    memcpy(date, s, sizeof s);
    *kind = (enum date_kind)(v >> LD_KIND_SHIFT & 7);
    *curated = (v & LD_CURATED) != 0;
    return true;
}
