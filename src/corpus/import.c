/* import.c - correspondence files into the database, all or nothing.
 *
 * One IMMEDIATE transaction: files stream in letter by letter (read a MiB
 * at a time, parsed in parts cut after a letter's Source line, written as
 * they parse), so memory does not grow with a file and no file is too
 * large.  Every file is parsed through and errata.tsv and dates.tsv are
 * checked even after an error, so the user sees every error at once; any
 * error rolls the whole import back and leaves the database as it was.
 * Then errata and curated dates are re-applied, and the cells rebuilt if a
 * deletion or a date moved a passage (import_cells).
 *
 * Letter numbers are what users quote ("!letter 2"), so they are stable: a
 * changed file's k-th letter keeps the number its k-th letter had, and new
 * letters take fresh AUTOINCREMENT numbers that were never used before.
 *
 * Errata and curated dates are applied on every import, from scratch, but
 * only rows whose values actually change are written: the FTS triggers fire
 * on every UPDATE of passages.shown, changed or not.  New passages are
 * indexed in bulk once written, not by a trigger per row (import_index).
 * The derived tables (passage_stats, concepts, search_top) are left alone
 * by an import that changed nothing, updated by one that only added a few
 * passages, rebuilt otherwise (import_derived).
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "concepts.h"
#include "db.h"
#include "toplist.h"
#include "dates.h"
#include "parse.h"
#include "people.h"
#include "utf8.h"

/* Files are read this much at a time; a part parsed at once is the letters
 * that end in it, so memory does not grow with the file. */
#define IMPORT_CHUNK (1u << 20)
#define IMPORT_MAX_TSV (1u << 20)
#define IMPORT_PATH_MAX 4096

/* A letter as the import remembers it between passes over its file: what
 * its number and the file's being unchanged depend on. */
typedef struct {
    char fp[PARSE_FINGERPRINT_LEN + 1];
    const char *sender; /* owned by the People table */
} LetterSum;

typedef struct {
    const char *path;
    const char *sender; /* --from for this file, canonical, or NULL */
    const char *base;   /* points into path */
    bool skip;          /* no usable name */
    uint64_t hash;      /* FNV-1a 64 of the bytes, once streamed */
    uint64_t size;
    LetterSum *sums; /* every letter, in file order */
    size_t nsums, capsums;
    size_t nrefused;
} ImportFile;

/* A curated fact names its letter by file and fingerprint; letter is the
 * letter number it resolved to in this import (0: not found). */
typedef struct {
    char *file;
    char fp[PARSE_FINGERPRINT_LEN + 1];
} LetterKey;

typedef struct {
    int line;
    LetterKey key;
    long letter;
    long para;
    char *original;
    char *replacement;
    char *reason;
} Erratum;

typedef struct {
    int line;
    LetterKey key;
    long letter;
    char iso[11];
    enum date_kind kind;
    char *source;
} CuratedDate;

/* A letter of a file as the database has it. */
typedef struct {
    sqlite3_int64 id;
    long seq;
    char fp[PARSE_FINGERPRINT_LEN + 1]; /* "" when not known */
    const char *sender;                 /* owned by the People table */
} OldLetter;

/* Prepared once per import, finalized on every path. */
typedef struct {
    sqlite3 *db;
    Error *err;
    sqlite3_stmt *file_get, *file_ins, *file_upd, *letter_ids, *passage_del,
        *letter_del, *person_ins, *letter_ins, *passage_ins, *erratum_ins,
        *passage_get, *passage_set, *letter_date, *letter_set_date, *recip_del,
        *recip_ins, *letter_find, *cell_add;
    const People *people;
    sqlite3_int64 first_new; /* the first passage this import wrote; 0: none */
    bool recount;            /* cells must be rebuilt (import_cells) */
    bool old_changed;        /* a passage older than the import went or changed */
    bool redated;            /* curated dates were cleared or set */
} Importer;

/* --- reading -------------------------------------------------------------- */

/* Reads all of path into *buf (NUL-terminated, never NULL on success).
 * Returns 0, 1 when the file does not exist and missing_ok, or -1. */
static int import_read(const char *path, size_t cap, bool missing_ok,
                       char **buf, size_t *len, Error *err)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, bcap = 0;

    *buf = NULL;
    *len = 0;
    if (!f) {
        if (missing_ok && errno == ENOENT)
            return 1;
        error_report(err, SEVERITY_ERROR, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (n + 1 >= bcap) {
            size_t ncap = bcap ? bcap * 2 : 65536;
            if (ncap > (size_t)cap + 2)
                ncap = (size_t)cap + 2;
            char *nb = realloc(b, ncap);
            if (!nb) {
                error_report(err, SEVERITY_ERROR, "%s: out of memory", path);
                goto fail;
            }
            b = nb;
            bcap = ncap;
        }
        size_t got = fread(b + n, 1, bcap - 1 - n, f);
        n += got;
        if (n > cap) {
            error_report(err, SEVERITY_ERROR, "%s: larger than %zu MiB", path,
                         (size_t)cap >> 20);
            goto fail;
        }
        if (got == 0) {
            if (ferror(f)) {
                error_report(err, SEVERITY_ERROR, "%s: %s", path,
                             strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;

fail:
    fclose(f);
    free(b);
    return -1;
}

static const char *import_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* --- errata.tsv and dates.tsv ------------------------------------------- */

/* Splits line (NUL-terminated, modified) at TABs into exactly n fields. */
static int import_fields(char *line, char **fields, int n)
{
    int i = 0;
    char *s = line;
    for (;;) {
        char *tab = strchr(s, '\t');
        if (i == n)
            return -1;
        fields[i++] = s;
        if (!tab)
            break;
        *tab = '\0';
        s = tab + 1;
    }
    return i == n ? 0 : -1;
}

/* A positive decimal of at most 9 digits, whole string; -1 otherwise. */
static long import_number(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > 0 ? v : -1;
}

/* "FILE#FINGERPRINT" (the key --check prints) into *key. */
static const char *import_key(const char *s, size_t len, LetterKey *key)
{
    const char *hash = NULL;
    for (size_t i = len; i-- > 0;)
        if (s[i] == '#') {
            hash = s + i;
            break;
        }
    if (!hash)
        return import_number(s, len) > 0
                   ? "a letter number is a position, which other imports "
                     "change: name the letter as FILE#FINGERPRINT (missive "
                     "import --check FILE prints it)"
                   : "LETTER must be FILE#FINGERPRINT";
    size_t flen = (size_t)(hash - s), hlen = len - flen - 1;
    if (flen == 0 || memchr(s, '/', flen))
        return "FILE must be a file's base name";
    if (hlen != PARSE_FINGERPRINT_LEN)
        return "FINGERPRINT must be 16 hex digits";
    for (size_t i = 0; i < hlen; i++) {
        char c = hash[1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return "FINGERPRINT must be 16 hex digits";
    }
    if (!(key->file = malloc(flen + 1)))
        return "out of memory";
    memcpy(key->file, s, flen);
    key->file[flen] = '\0';
    memcpy(key->fp, hash + 1, hlen);
    key->fp[hlen] = '\0';
    return NULL;
}

static bool import_key_eq(const LetterKey *a, const LetterKey *b)
{
    return strcmp(a->file, b->file) == 0 && strcmp(a->fp, b->fp) == 0;
}

typedef int (*import_line_fn)(void *ctx, const char *path, int lineno,
                              char *line, Error *err);

/* Calls fn on every line of a TSV file that is neither blank nor a comment.
 * A missing file has no lines. */
static int import_tsv(const char *path, import_line_fn fn, void *ctx,
                      Error *err)
{
    char *buf;
    size_t len, pos = 0;
    int lineno = 0, rc = 0;

    int r = import_read(path, IMPORT_MAX_TSV, true, &buf, &len, err);
    if (r != 0)
        return r > 0 ? 0 : -1;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        char *line = buf + pos;
        char *nl = memchr(line, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - line) : len - pos;
        pos += l + 1;
        lineno++;
        line[l] = '\0'; /* the '\n', or the terminating NUL */
        if (l > 0 && line[l - 1] == '\r')
            line[--l] = '\0';
        bool bad = false;
        for (size_t i = 0; i < l && !bad; i++) {
            unsigned char c = (unsigned char)line[i];
            bad = (c < 0x20 && c != '\t') || c == 0x7f;
        }
        if (bad || !utf8_valid(line, l, NULL)) {
            error_report(err, SEVERITY_ERROR, "%s:%d: %s", path, lineno,
                         bad ? "control byte in line" : "invalid UTF-8");
            rc = -1;
            continue;
        }
        size_t k = 0;
        while (k < l && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == l || line[k] == '#')
            continue;
        if (fn(ctx, path, lineno, line, err) < 0)
            rc = -1;
    }
    free(buf);
    return rc;
}

typedef struct {
    Erratum *v;
    size_t n, cap;
} ErrataList;

static int import_erratum_line(void *ctx, const char *path, int lineno,
                               char *line, Error *err)
{
    ErrataList *list = ctx;
    char *f[4];
    const char *what = NULL;

    LetterKey key = {0};
    if (import_fields(line, f, 4) < 0) {
        error_report(err, SEVERITY_ERROR,
                     "%s:%d: expected LETTER.PARA<TAB>ORIGINAL<TAB>"
                     "REPLACEMENT<TAB>REASON",
                     path, lineno);
        return -1;
    }
    char *dot = strrchr(f[0], '.');
    long para = dot ? import_number(dot + 1, strlen(dot + 1)) : -1;
    if (para < 0)
        what = "passage must be LETTER.PARA, LETTER being FILE#FINGERPRINT";
    else if ((what = import_key(f[0], (size_t)(dot - f[0]), &key)) != NULL)
        ;
    else if (f[1][0] == '\0')
        what = "empty ORIGINAL";
    else if (strcmp(f[1], f[2]) == 0)
        what = "REPLACEMENT equals ORIGINAL";
    else if (f[3][0] == '\0')
        what = "empty REASON";
    if (what) {
        free(key.file);
        error_report(err, SEVERITY_ERROR, "%s:%d: %s", path, lineno, what);
        return -1;
    }
    for (size_t i = 0; i < list->n; i++) {
        const Erratum *e = &list->v[i];
        if (import_key_eq(&e->key, &key) && e->para == para &&
            strcmp(e->original, f[1]) == 0) {
            free(key.file);
            error_report(err, SEVERITY_ERROR,
                         "%s:%d: same passage and ORIGINAL as line %d", path,
                         lineno, e->line);
            return -1;
        }
    }
    if (array_grow(&list->v, &list->cap, list->n + 1, sizeof *list->v) !=
        STATUS_OK)
        goto oom;
    Erratum *e = &list->v[list->n];
    memset(e, 0, sizeof *e);
    e->line = lineno;
    e->key = key;
    key.file = NULL;
    e->para = para;
    if (!(e->original = strdup(f[1])) || !(e->replacement = strdup(f[2])) ||
        !(e->reason = strdup(f[3]))) {
        free(e->original);
        free(e->replacement);
        free(e->key.file);
        goto oom;
    }
    list->n++;
    return 0;

oom:
    free(key.file);
    error_report(err, SEVERITY_ERROR, "%s:%d: out of memory", path, lineno);
    return -1;
}

static void import_errata_free(ErrataList *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->v[i].original);
        free(list->v[i].replacement);
        free(list->v[i].reason);
        free(list->v[i].key.file);
    }
    free(list->v);
}

typedef struct {
    CuratedDate *v;
    size_t n, cap;
} DateList;

static int import_date_line(void *ctx, const char *path, int lineno, char *line,
                            Error *err)
{
    DateList *list = ctx;
    char *f[4];
    const char *what = NULL;

    LetterKey key = {0};
    if (import_fields(line, f, 4) < 0) {
        error_report(err, SEVERITY_ERROR,
                     "%s:%d: expected LETTER<TAB>YYYY-MM-DD<TAB>"
                     "written|sent|received<TAB>SOURCE",
                     path, lineno);
        return -1;
    }
    enum date_kind kind = dates_kind_parse(f[2]);
    if ((what = import_key(f[0], strlen(f[0]), &key)) != NULL)
        ;
    else if (strlen(f[1]) != 10 || !dates_iso_valid(f[1]))
        what = "date must be a valid YYYY-MM-DD";
    else if (kind == DATE_NONE)
        what = "kind must be written, sent or received";
    else if (f[3][strspn(f[3], " ")] == '\0')
        what = "empty SOURCE: say where the date comes from";
    if (what) {
        free(key.file);
        error_report(err, SEVERITY_ERROR, "%s:%d: %s", path, lineno, what);
        return -1;
    }
    for (size_t i = 0; i < list->n; i++) {
        if (import_key_eq(&list->v[i].key, &key)) {
            error_report(err, SEVERITY_ERROR,
                         "%s:%d: letter %s already dated on line %d", path,
                         lineno, f[0], list->v[i].line);
            free(key.file);
            return -1;
        }
    }
    if (array_grow(&list->v, &list->cap, list->n + 1, sizeof *list->v) !=
        STATUS_OK)
        goto oom;
    CuratedDate *d = &list->v[list->n];
    memset(d, 0, sizeof *d);
    d->line = lineno;
    d->key = key;
    key.file = NULL;
    memcpy(d->iso, f[1], sizeof d->iso); /* 10 chars and the NUL */
    d->kind = kind;
    if (!(d->source = strdup(f[3]))) {
        free(d->key.file);
        goto oom;
    }
    list->n++;
    return 0;

oom:
    free(key.file);
    error_report(err, SEVERITY_ERROR, "%s:%d: out of memory", path, lineno);
    return -1;
}

static void import_dates_free(DateList *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->v[i].source);
        free(list->v[i].key.file);
    }
    free(list->v);
}

/* --- statements ------------------------------------------------------------ */

static int import_prepare(Importer *im)
{
    static const struct {
        size_t off;
        const char *sql;
    } stmts[] = {
#define IM_ST(field, sql) {offsetof(Importer, field), sql}
        IM_ST(file_get, "SELECT id, hash, size FROM files WHERE name = ?1"),
        IM_ST(file_ins,
              "INSERT INTO files(name, imported_at) "
              "VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"),
        IM_ST(file_upd, "UPDATE files SET hash = ?2, size = ?3, "
                        "imported_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                        "WHERE id = ?1"),
        IM_ST(letter_ids, "SELECT id, seq, fingerprint, sender FROM letters "
                          "WHERE file_id = ?1 ORDER BY seq"),
        IM_ST(passage_del, "DELETE FROM passages WHERE letter_id IN "
                           "(SELECT id FROM letters WHERE file_id = ?1)"),
        IM_ST(letter_del, "DELETE FROM letters WHERE file_id = ?1"),
        IM_ST(person_ins, "INSERT OR IGNORE INTO people(name) VALUES (?1)"),
        IM_ST(letter_ins,
              "INSERT INTO letters(id, file_id, seq, number, "
              "heading, line, sender, recipient, date, date_kind, "
              "date_source, signature, source, fingerprint) VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13)"),
        IM_ST(passage_ins, "INSERT INTO passages(letter_id, para, line, "
                           "shown, indexed, cell_id, cell_ord) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        /* A letter's passages join the end of its cell (import_cells). */
        IM_ST(cell_add,
              "INSERT INTO cells(sender, recipient, year, n) VALUES "
              "(?1, ?2, coalesce(CAST(substr(?3, 1, 4) AS INT), 0), ?4) "
              "ON CONFLICT (sender, recipient, year) DO UPDATE "
              "SET n = n + excluded.n RETURNING id, n"),
        IM_ST(erratum_ins, "INSERT INTO errata(letter_id, para, original, "
                           "replacement, reason) VALUES (?1, ?2, ?3, ?4, ?5)"),
        IM_ST(passage_get, "SELECT id, coalesce(original, shown) FROM "
                           "passages WHERE letter_id = ?1 AND para = ?2"),
        /* original and indexed only when they differ from shown (db.c). */
        IM_ST(passage_set,
              "UPDATE passages SET shown = ?2, corrected = ?3, "
              "indexed = nullif(?4, ?2), original = nullif(?5, ?2) "
              "WHERE id = ?1 AND (shown IS NOT ?2 OR corrected IS NOT ?3 "
              "OR indexed IS NOT nullif(?4, ?2) "
              "OR original IS NOT nullif(?5, ?2))"),
        IM_ST(letter_date, "SELECT date FROM letters WHERE id = ?1"),
        IM_ST(letter_set_date, "UPDATE letters SET date = ?2, date_kind = ?3, "
                               "date_source = ?4 WHERE id = ?1"),
        IM_ST(recip_del, "DELETE FROM letter_recipients WHERE letter_id IN "
                         "(SELECT id FROM letters WHERE file_id = ?1)"),
        IM_ST(recip_ins, "INSERT INTO letter_recipients(letter_id, pos, "
                         "person) VALUES (?1, ?2, ?3)"),
        IM_ST(letter_find, "SELECT l.id FROM letters l JOIN files f "
                           "ON f.id = l.file_id WHERE f.name = ?1 "
                           "AND l.fingerprint = ?2 ORDER BY l.id"),
#undef IM_ST
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        sqlite3_stmt **st = (sqlite3_stmt **)((char *)im + stmts[i].off);
        if (sqlite3_prepare_v2(im->db, stmts[i].sql, -1, st, NULL) !=
            SQLITE_OK) {
            error_report(im->err, SEVERITY_ERROR, "import: %s",
                         sqlite3_errmsg(im->db));
            return -1;
        }
    }
    return 0;
}

static void import_finalize(Importer *im)
{
    sqlite3_stmt **all[] = {
        &im->file_get,    &im->file_ins,        &im->file_upd,
        &im->letter_ids,  &im->passage_del,     &im->letter_del,
        &im->person_ins,  &im->letter_ins,      &im->passage_ins,
        &im->erratum_ins, &im->passage_get,     &im->passage_set,
        &im->letter_date, &im->letter_set_date, &im->recip_del,
        &im->recip_ins,   &im->letter_find,     &im->cell_add,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
}

/* Steps a statement that returns no row, then resets it for the next use. */
static int import_run(Importer *im, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        error_report(im->err, SEVERITY_ERROR, "%s: %s", what,
                     sqlite3_errmsg(im->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int import_exec(Importer *im, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(im->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_report(im->err, SEVERITY_ERROR, "%s: %s", what,
                     msg ? msg : sqlite3_errmsg(im->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void import_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* --- files -------------------------------------------------------------- */

/* Letter numbers for a file's letters (sums, in file order), given the
 * file's letters in the database: a letter whose fingerprint is unchanged
 * keeps its number wherever it moved; an edited letter keeps the number of
 * the old letter at its place if no other took it; the rest get 0 (a fresh
 * number). */
static void import_assign(const LetterSum *sums, size_t n,
                          const OldLetter *old, size_t nold, bool *used,
                          sqlite3_int64 *ids)
{
    for (size_t o = 0; o < nold; o++) used[o] = false;
    for (size_t k = 0; k < n; k++) {
        ids[k] = 0;
        for (size_t o = 0; o < nold; o++)
            if (!used[o] && old[o].fp[0] &&
                strcmp(old[o].fp, sums[k].fp) == 0) {
                ids[k] = old[o].id;
                used[o] = true;
                break;
            }
    }
    for (size_t k = 0; k < n; k++) {
        if (ids[k])
            continue;
        for (size_t o = 0; o < nold; o++)
            if (!used[o] && old[o].seq == (long)k + 1) {
                ids[k] = old[o].id;
                used[o] = true;
                break;
            }
    }
}

/* The letters the database holds for file_id, in file order. */
static int import_old_letters(Importer *im, const char *path,
                              sqlite3_int64 file_id, OldLetter **out, size_t *n)
{
    size_t cap = 0;
    int step;

    *out = NULL;
    *n = 0;
    sqlite3_bind_int64(im->letter_ids, 1, file_id);
    while ((step = sqlite3_step(im->letter_ids)) == SQLITE_ROW) {
        if (array_grow(out, &cap, *n + 1, sizeof **out) != STATUS_OK) {
            error_report(im->err, SEVERITY_ERROR, "%s: out of memory", path);
            import_done(im->letter_ids);
            return -1;
        }
        OldLetter *o = &(*out)[(*n)++];
        memset(o, 0, sizeof *o);
        o->id = sqlite3_column_int64(im->letter_ids, 0);
        o->seq = (long)sqlite3_column_int64(im->letter_ids, 1);
        const char *fp = (const char *)sqlite3_column_text(im->letter_ids, 2);
        if (fp && strlen(fp) == PARSE_FINGERPRINT_LEN)
            memcpy(o->fp, fp, PARSE_FINGERPRINT_LEN + 1);
        const char *snd = (const char *)sqlite3_column_text(im->letter_ids, 3);
        o->sender = snd && im->people ? people_resolve(im->people, snd) : NULL;
    }
    import_done(im->letter_ids);
    if (step != SQLITE_DONE) {
        error_report(im->err, SEVERITY_ERROR, "%s: %s", path,
                     sqlite3_errmsg(im->db));
        return -1;
    }
    return 0;
}

/* Writes one part's letters; first is the file index of its first letter
 * (its seq is first + 1), ids the numbers of the whole file (NULL: all
 * fresh). */
/* Places a letter's npara passages at the end of their cell (sender, first
 * recipient, year): *cell gets the cell's id and *ord the first passage's
 * rank in it.  The year is computed by the same SQL expression as
 * import_cells', so both agree on every date. */
static int import_place(Importer *im, const ParsedLetter *l, const char *path,
                        sqlite3_int64 *cell, sqlite3_int64 *ord)
{
    sqlite3_stmt *st = im->cell_add;
    sqlite3_bind_text(st, 1, l->sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, l->recipient, -1, SQLITE_STATIC);
    if (l->date.kind != DATE_NONE)
        sqlite3_bind_text(st, 3, l->date.iso, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)l->npara);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *cell = sqlite3_column_int64(st, 0);
        *ord = sqlite3_column_int64(st, 1) - (sqlite3_int64)l->npara;
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE)
        error_report(im->err, SEVERITY_ERROR, "%s: %s", path,
                     sqlite3_errmsg(im->db));
    import_done(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int import_letters(Importer *im, const char *path,
                          const ParsedFile *pf, size_t first,
                          sqlite3_int64 file_id, const sqlite3_int64 *ids)
{
    for (size_t k = 0; k < pf->nletters; k++) {
        const ParsedLetter *l = &pf->letters[k];
        for (size_t i = 0; i <= l->nrecipients; i++) {
            const char *name = i == 0 ? l->sender : l->recipients[i - 1];
            sqlite3_bind_text(im->person_ins, 1, name, -1, SQLITE_STATIC);
            if (import_run(im, im->person_ins, path) < 0)
                return -1;
        }
        sqlite3_stmt *st = im->letter_ins;
        if (ids && ids[first + k])
            sqlite3_bind_int64(st, 1, ids[first + k]);
        else
            sqlite3_bind_null(st, 1); /* a fresh number, never reused */
        sqlite3_bind_int64(st, 2, file_id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)(first + k) + 1);
        if (l->number > 0)
            sqlite3_bind_int(st, 4, l->number);
        sqlite3_bind_text(st, 5, l->heading, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, l->line);
        sqlite3_bind_text(st, 7, l->sender, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, l->recipient, -1, SQLITE_STATIC);
        if (l->date.kind != DATE_NONE) {
            sqlite3_bind_text(st, 9, l->date.iso, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 10, dates_kind_name(l->date.kind), -1,
                              SQLITE_STATIC);
        }
        if (l->signature)
            sqlite3_bind_text(st, 11, l->signature, -1, SQLITE_STATIC);
        if (l->source)
            sqlite3_bind_text(st, 12, l->source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, l->fingerprint, -1, SQLITE_STATIC);
        if (import_run(im, st, path) < 0)
            return -1;
        sqlite3_int64 letter_id = sqlite3_last_insert_rowid(im->db);

        for (size_t i = 0; i < l->nrecipients; i++) {
            st = im->recip_ins;
            sqlite3_bind_int64(st, 1, letter_id);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
            sqlite3_bind_text(st, 3, l->recipients[i], -1, SQLITE_STATIC);
            if (import_run(im, st, path) < 0)
                return -1;
        }
        sqlite3_int64 cell = 0, ord = 0;
        if (l->npara > 0 && import_place(im, l, path, &cell, &ord) < 0)
            return -1;
        for (size_t j = 0; j < l->npara; j++) {
            char *indexed = parse_index_text(l->paras[j].text);
            if (!indexed) {
                error_report(im->err, SEVERITY_ERROR, "%s: out of memory",
                             path);
                return -1;
            }
            st = im->passage_ins;
            sqlite3_bind_int64(st, 1, letter_id);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)j + 1);
            sqlite3_bind_int(st, 3, l->paras[j].line);
            sqlite3_bind_text(st, 4, l->paras[j].text, -1, SQLITE_STATIC);
            /* Stored only when it differs from shown (db.c, migration 6). */
            if (strcmp(indexed, l->paras[j].text) != 0)
                sqlite3_bind_text(st, 5, indexed, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, cell);
            sqlite3_bind_int64(st, 7, ord + (sqlite3_int64)j);
            int r = import_run(im, st, path);
            free(indexed);
            if (r < 0)
                return -1;
            if (im->first_new == 0)
                im->first_new = sqlite3_last_insert_rowid(im->db);
        }
    }
    return 0;
}

/* Same bytes (by hash and size), and the stored letters are what this parse
 * gives (the same fingerprints and senders: --paragraphs and --from can
 * change them, and a database from before fingerprints has none). */
static bool import_same(const ImportFile *f, const char *hash,
                        sqlite3_int64 size, const OldLetter *ol, size_t nold)
{
    char mine[17];
    snprintf(mine, sizeof mine, "%016llx", (unsigned long long)f->hash);
    if (!hash || strcmp(hash, mine) != 0 || size != (sqlite3_int64)f->size)
        return false;
    if (nold != f->nsums)
        return false;
    for (size_t k = 0; k < nold; k++)
        if (strcmp(ol[k].fp, f->sums[k].fp) != 0 ||
            ol[k].sender != f->sums[k].sender)
            return false;
    return true;
}

/* --- streaming -------------------------------------------------------------- */

/* Where buf[0..len) may be cut: after a blank line that follows a Source
 * line (parse.c's "^source\s*:", caseless, after leading blanks) or the
 * blank lines after it.  A Source item leaves the parser outside any letter
 * with no front matter pending, the state it starts a file in, so the rest
 * parses as if it were a file of its own (with its line offset).  A Source
 * line wrapped onto more lines gives no cut: a line under it might be the
 * next heading.  0: no such place yet. */
static size_t import_cut(const char *buf, size_t len)
{
    size_t pos = 0, cut = 0;
    bool after_source = false, cuttable = false;

    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            break; /* an incomplete line: wait for the rest */
        size_t end = (size_t)(nl - buf);
        size_t i = pos;
        while (i < end && (buf[i] == ' ' || buf[i] == '\t')) i++;
        size_t rest = end - i;
        bool source = false;
        if (rest == 0 || (rest == 1 && buf[i] == '\r')) {
            if (after_source || cuttable) {
                cut = end + 1;
                cuttable = true;
            }
        } else {
            cuttable = false;
            if (rest >= 7 && strncasecmp(buf + i, "source", 6) == 0) {
                size_t j = i + 6;
                while (j < end && (buf[j] == ' ' || buf[j] == '\t')) j++;
                source = j < end && buf[j] == ':';
            }
        }
        after_source = source;
        pos = end + 1;
    }
    return cut;
}

static uint64_t import_fnv(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static double import_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What one pass over a file does with each parsed part. */
typedef int (*import_part_fn)(void *ud, ImportFile *f, const ParsedFile *part,
                              size_t first);

/* Reads f in IMPORT_CHUNK pieces, parses each run of whole letters and
 * gives it to fn (0; -1 when the input is wrong, reported; -2 when fn
 * failed), so that memory holds one piece and the letters of it,
 * whatever the file's size.  With report, refused letters and warnings go
 * to err (and are counted in f); the file's hash and size are set.  A
 * progress line goes to stderr when it is a terminal. */
static int import_stream(ImportFile *f, Parser *parser,
                         const ParseOptions *popt, bool report, Error *err,
                         import_part_fn fn, void *ud)
{
    FILE *in = fopen(f->path, "rb");
    int open_errno = errno;
    char *buf = NULL;
    size_t cap = 0, len = 0, opened = 0, letters = 0, passages = 0;
    size_t probe = 8 * IMPORT_CHUNK;
    uint64_t hash = 0xcbf29ce484222325ull, size = 0, total = 0;
    int line = 0, rc = -1;
    bool eof = false, any = false, said = false;
    bool tty = isatty(STDERR_FILENO) == 1;
    double t0 = import_now(), shown = t0;
    struct stat st;

    if (!in) {
        error_report(err, SEVERITY_ERROR, "%s: %s", f->path,
                     strerror(open_errno));
        return -1;
    }
    if (fstat(fileno(in), &st) == 0 && st.st_size > 0)
        total = (uint64_t)st.st_size;
    for (;;) {
        if (!eof) {
            if (cap - len < IMPORT_CHUNK + 1) {
                size_t ncap = cap ? cap * 2 : 2 * IMPORT_CHUNK;
                while (ncap - len < IMPORT_CHUNK + 1) ncap *= 2;
                char *nb = realloc(buf, ncap);
                if (!nb) {
                    error_report(err, SEVERITY_ERROR, "%s: out of memory",
                                 f->path);
                    goto done;
                }
                buf = nb;
                cap = ncap;
            }
            size_t got = fread(buf + len, 1, IMPORT_CHUNK, in);
            hash = import_fnv(hash, buf + len, got);
            size += got;
            len += got;
            if (got < IMPORT_CHUNK) {
                if (ferror(in)) {
                    error_report(err, SEVERITY_ERROR, "%s: %s", f->path,
                                 strerror(errno));
                    goto done;
                }
                eof = true;
            }
        }
        size_t cut = eof ? len : import_cut(buf, len);
        if (cut == 0 && len >= probe) {
            /* No place to cut in this much (a file whose letters lack
             * Source lines, or not letters at all): whatever is wrong with
             * what is held is said now, not once the whole file is read.
             * Held text is parsed at 8, 16, 32... MiB: at most twice. */
            ParseOptions o = *popt;
            ParsedFile part;
            Error why = {0};
            o.first_line = line;
            o.letters_before = opened;
            o.later_part = true;
            o.wrapped_said = true;
            probe *= 2;
            size_t whole = len; /* complete lines only */
            while (whole > 0 && buf[whole - 1] != '\n') whole--;
            if (len - whole > PARSE_MAX_LINE + 2) {
                int at = line + 1;
                for (size_t i = 0; i < whole; i++) at += buf[i] == '\n';
                error_report(err, SEVERITY_ERROR,
                             "%s:%d: line longer than %d bytes", f->path, at,
                             PARSE_MAX_LINE);
                goto done;
            }
            if (parser_parse_opts(parser, f->path, buf, whole, &o, &part,
                                  &why) != STATUS_OK &&
                why.msg[0] && !strstr(why.msg, "out of memory")) {
                error_report(err, SEVERITY_ERROR, "%s", why.msg);
                goto done;
            }
            parsed_file_free(&part);
        }
        if (cut > 0 || (eof && !any)) {
            ParseOptions o = *popt;
            ParsedFile part;
            Error why = {0};
            o.first_line = line;
            o.letters_before = opened;
            o.later_part = any;
            o.wrapped_said = said;
            if (parser_parse_opts(parser, f->path, buf, cut, &o, &part,
                                  &why) != STATUS_OK) {
                error_report(err, SEVERITY_ERROR, "%s", why.msg);
                goto done;
            }
            if (report) {
                for (size_t r = 0; r < part.nrefused; r++)
                    error_report(err, SEVERITY_ERROR, "%s", part.refused[r]);
                for (size_t w = 0; w < part.nwarnings; w++)
                    error_report(err, SEVERITY_WARNING, "%s",
                                 part.warnings[w]);
                f->nrefused += part.nrefused;
            }
            said = said || part.wrapped;
            opened = part.opened;
            for (size_t i = 0; i < cut; i++)
                if (buf[i] == '\n')
                    line++;
            for (size_t k = 0; k < part.nletters; k++)
                passages += part.letters[k].npara;
            int r = fn(ud, f, &part, letters);
            letters += part.nletters;
            parsed_file_free(&part);
            if (r < 0) {
                rc = -2;
                goto fail;
            }
            any = true;
            memmove(buf, buf + cut, len - cut);
            len -= cut;
        }
        double now = import_now();
        if (tty && now - shown >= 0.5) {
            double rate = (double)passages / (now - t0);
            double eta = size > 0 && total > size
                             ? (now - t0) * (double)(total - size) / (double)size
                             : 0;
            fprintf(stderr, "\r%s: %zu letters, %.0f passages/s, ETA %.0f s ",
                    f->base, letters, rate, eta);
            shown = now;
        }
        if (eof && len == 0)
            break;
    }
    if (tty && shown > t0)
        fprintf(stderr, "\r%s: %zu letters%30s\n", f->base, letters, "");
    f->hash = hash;
    f->size = size;
    rc = 0;
    goto fail;

done:
    rc = -1;
fail:
    free(buf);
    fclose(in);
    return rc;
}

/* --- passes ----------------------------------------------------------------- */

typedef struct {
    Importer *im;
    sqlite3_int64 file_id;
    const sqlite3_int64 *ids; /* NULL: fresh numbers */
    bool collect;             /* remember each letter's LetterSum */
    bool write;               /* insert the letters */
    bool *bad;                /* set: nothing more is written */
} ImportPass;

static int import_pass_part(void *ud, ImportFile *f, const ParsedFile *part,
                            size_t first)
{
    ImportPass *ps = ud;
    if (ps->ids && first + part->nletters > f->nsums) {
        /* The second pass found more letters than the first. */
        error_report(ps->im->err, SEVERITY_ERROR,
                     "%s: changed while it was being imported", f->path);
        return -1;
    }
    if (ps->collect) {
        for (size_t k = 0; k < part->nletters; k++) {
            if (array_grow(&f->sums, &f->capsums, f->nsums + 1,
                           sizeof *f->sums) != STATUS_OK) {
                error_report(ps->im->err, SEVERITY_ERROR, "%s: out of memory",
                             f->path);
                return -1;
            }
            LetterSum *s = &f->sums[f->nsums++];
            memcpy(s->fp, part->letters[k].fingerprint, sizeof s->fp);
            s->sender = part->letters[k].sender;
        }
    }
    if (ps->write && !*ps->bad &&
        import_letters(ps->im, f->path, part, first, ps->file_id, ps->ids) < 0)
        return -1;
    return 0;
}

static int import_set_hash(Importer *im, const ImportFile *f,
                           sqlite3_int64 file_id)
{
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)f->hash);
    sqlite3_bind_int64(im->file_upd, 1, file_id);
    sqlite3_bind_text(im->file_upd, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(im->file_upd, 3, (sqlite3_int64)f->size);
    return import_run(im, im->file_upd, f->path);
}

/* One file in the import's transaction.  A new file is parsed and written
 * in one pass.  A known one is parsed once to see whether it changed (and
 * which old letter each of its letters is); then, only if it did, its old
 * letters go and a second pass writes the new ones.  Once *bad, files are
 * still parsed, to report every error, but nothing is written. */
static int import_file(Importer *im, ImportFile *f, Parser *parser,
                       const ParseOptions *popt, bool keep_going, bool *bad,
                       ImportReport *rep)
{
    sqlite3_int64 file_id = 0, *ids = NULL, old_size = -1;
    OldLetter *old = NULL;
    size_t nold = 0;
    bool found = false, same = false, *used = NULL;
    char *old_hash = NULL;
    int rc = -1;
    ImportPass pass = {.im = im, .collect = true, .bad = bad};

    sqlite3_bind_text(im->file_get, 1, f->base, -1, SQLITE_STATIC);
    int step = sqlite3_step(im->file_get);
    if (step == SQLITE_ROW) {
        found = true;
        file_id = sqlite3_column_int64(im->file_get, 0);
        const char *h = (const char *)sqlite3_column_text(im->file_get, 1);
        if (h && !(old_hash = strdup(h))) {
            import_done(im->file_get);
            error_report(im->err, SEVERITY_ERROR, "%s: out of memory", f->path);
            return -1;
        }
        if (sqlite3_column_type(im->file_get, 2) != SQLITE_NULL)
            old_size = sqlite3_column_int64(im->file_get, 2);
    } else if (step != SQLITE_DONE) {
        error_report(im->err, SEVERITY_ERROR, "%s: %s", f->path,
                     sqlite3_errmsg(im->db));
        import_done(im->file_get);
        return -1;
    }
    import_done(im->file_get);

    if (!found) {
        if (!*bad) {
            sqlite3_bind_text(im->file_ins, 1, f->base, -1, SQLITE_STATIC);
            if (import_run(im, im->file_ins, f->path) < 0)
                goto done;
            file_id = sqlite3_last_insert_rowid(im->db);
        }
        pass.file_id = file_id;
        pass.write = true;
        /* Nothing to compare a new file with: its letters are not
         * remembered (at a million passages that was 4-8 MB). */
        pass.collect = false;
        int r = import_stream(f, parser, popt, true, im->err,
                              import_pass_part, &pass);
        if (r == -2)
            goto done;
        if (r < 0 || (f->nrefused > 0 && !keep_going))
            *bad = true;
        if (!*bad && import_set_hash(im, f, file_id) < 0)
            goto done;
        rep->files_new++;
        rc = 0;
        goto done;
    }

    if (import_old_letters(im, f->path, file_id, &old, &nold) < 0)
        goto done;
    int r = import_stream(f, parser, popt, true, im->err, import_pass_part,
                          &pass);
    if (r == -2)
        goto done;
    if (r < 0 || (f->nrefused > 0 && !keep_going))
        *bad = true;
    same = import_same(f, old_hash, old_size, old, nold);
    if (same || *bad) {
        if (same)
            rep->files_unchanged++;
        rc = 0;
        goto done;
    }
    if (!(ids = calloc(f->nsums + 1, sizeof *ids)) ||
        !(used = calloc(nold + 1, sizeof *used))) {
        error_report(im->err, SEVERITY_ERROR, "%s: out of memory", f->path);
        goto done;
    }
    import_assign(f->sums, f->nsums, old, nold, used, ids);
    sqlite3_bind_int64(im->passage_del, 1, file_id);
    if (import_run(im, im->passage_del, f->path) < 0)
        goto done;
    if (sqlite3_changes(im->db) > 0)
        im->recount = im->old_changed = true; /* the cells' ranks have gaps */
    sqlite3_bind_int64(im->recip_del, 1, file_id);
    if (import_run(im, im->recip_del, f->path) < 0)
        goto done;
    sqlite3_bind_int64(im->letter_del, 1, file_id);
    if (import_run(im, im->letter_del, f->path) < 0)
        goto done;
    pass = (ImportPass){.im = im, .file_id = file_id, .ids = ids,
                        .write = true, .bad = bad};
    if (import_stream(f, parser, popt, false, im->err, import_pass_part,
                      &pass) < 0)
        goto done; /* the file changed under us, or memory ran out */
    if (import_set_hash(im, f, file_id) < 0)
        goto done;
    rep->files_changed++;
    rc = 0;

done:
    free(ids);
    free(used);
    free(old);
    free(old_hash);
    return rc;
}

/* Resolves a curated fact's key to a letter number: 0 and a warning when no
 * letter or more than one has it. */
static sqlite3_int64 import_find(Importer *im, const char *path, int line,
                                 const LetterKey *key)
{
    sqlite3_int64 id = 0;
    int n = 0, step;

    sqlite3_bind_text(im->letter_find, 1, key->file, -1, SQLITE_STATIC);
    sqlite3_bind_text(im->letter_find, 2, key->fp, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(im->letter_find)) == SQLITE_ROW) {
        if (n++ == 0)
            id = sqlite3_column_int64(im->letter_find, 0);
    }
    import_done(im->letter_find);
    if (step != SQLITE_DONE) {
        error_report(im->err, SEVERITY_ERROR, "%s: %s", path,
                     sqlite3_errmsg(im->db));
        return -1;
    }
    if (n == 0)
        error_report(im->err, SEVERITY_WARNING,
                     "%s:%d: no letter %s#%s; not applied", path, line,
                     key->file, key->fp);
    else if (n > 1)
        error_report(im->err, SEVERITY_WARNING,
                     "%s:%d: %d letters are %s#%s; not applied", path, line, n,
                     key->file, key->fp);
    return n == 1 ? id : 0;
}

/* --- errata ----------------------------------------------------------------- */

/* Replaces the first occurrence of from in *s by to.  Returns 1 when done, 0
 * when from does not occur, -1 on allocation failure. */
static int import_replace(char **s, const char *from, const char *to)
{
    char *at = strstr(*s, from);
    if (!at)
        return 0;
    size_t pre = (size_t)(at - *s), fl = strlen(from), tl = strlen(to);
    size_t post = strlen(at + fl);
    char *n = malloc(pre + tl + post + 1);
    if (!n)
        return -1;
    memcpy(n, *s, pre);
    memcpy(n + pre, to, tl);
    memcpy(n + pre + tl, at + fl, post + 1);
    free(*s);
    *s = n;
    return 1;
}

static int import_cmp_erratum(const void *a, const void *b)
{
    const Erratum *x = *(const Erratum *const *)a,
                  *y = *(const Erratum *const *)b;
    if (x->letter != y->letter)
        return x->letter < y->letter ? -1 : 1;
    if (x->para != y->para)
        return x->para < y->para ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Applies the entries g[0..n) of one passage, in file order, each to the
 * result of the previous ones. */
static int import_erratum_group(Importer *im, const char *path,
                                Erratum *const *g, size_t n, int *applied)
{
    sqlite3_int64 id = 0;
    char *shown = NULL, *original = NULL;
    int ok = 0, rc = -1;

    sqlite3_bind_int64(im->passage_get, 1, g[0]->letter);
    sqlite3_bind_int64(im->passage_get, 2, g[0]->para);
    int step = sqlite3_step(im->passage_get);
    if (step == SQLITE_ROW) {
        id = sqlite3_column_int64(im->passage_get, 0);
        const char *text =
            (const char *)sqlite3_column_text(im->passage_get, 1);
        shown = strdup(text ? text : "");
        original = strdup(text ? text : "");
    }
    import_done(im->passage_get);
    if (step == SQLITE_DONE) {
        for (size_t i = 0; i < n; i++)
            error_report(im->err, SEVERITY_WARNING,
                         "%s:%d: passage %ld.%ld does not exist; "
                         "not applied",
                         path, g[i]->line, g[i]->letter, g[i]->para);
        return 0;
    }
    if (step != SQLITE_ROW) {
        error_report(im->err, SEVERITY_ERROR, "%s: %s", path,
                     sqlite3_errmsg(im->db));
        goto done;
    }
    if (!shown || !original)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        int r = import_replace(&shown, g[i]->original, g[i]->replacement);
        if (r < 0)
            goto oom;
        if (r == 0)
            error_report(im->err, SEVERITY_WARNING,
                         "%s:%d: passage %ld.%ld does not contain '%s'; "
                         "not applied",
                         path, g[i]->line, g[i]->letter, g[i]->para,
                         g[i]->original);
        ok += r;
    }
    /* No entry applied: the passage goes back to its text. */
    char *indexed = parse_index_text(shown);
    if (!indexed)
        goto oom;
    sqlite3_bind_int64(im->passage_set, 1, id);
    sqlite3_bind_text(im->passage_set, 2, shown, -1, SQLITE_STATIC);
    sqlite3_bind_int(im->passage_set, 3, ok > 0);
    sqlite3_bind_text(im->passage_set, 4, indexed, -1, SQLITE_STATIC);
    sqlite3_bind_text(im->passage_set, 5, original, -1, SQLITE_STATIC);
    int r = import_run(im, im->passage_set, path);
    free(indexed);
    if (r < 0)
        goto done;
    if (sqlite3_changes(im->db) > 0 && (im->first_new == 0 || id < im->first_new))
        im->old_changed = true;
    *applied += ok;
    rc = 0;
    goto done;

oom:
    error_report(im->err, SEVERITY_ERROR, "%s: out of memory", path);
done:
    free(shown);
    free(original);
    return rc;
}

static int import_errata(Importer *im, const char *path, ErrataList *list,
                         ImportReport *rep)
{
    Erratum **order = NULL;
    int rc = -1;

    if (import_exec(im, "DELETE FROM errata", path) < 0)
        return -1;
    size_t nfound = 0;
    for (size_t i = 0; i < list->n; i++) {
        Erratum *e = &list->v[i];
        sqlite3_int64 id = import_find(im, path, e->line, &e->key);
        if (id < 0)
            return -1;
        e->letter = (long)id;
        if (id == 0)
            continue;
        nfound++;
        /* Two keys may name one passage with the same ORIGINAL. */
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = list->v[j].letter == e->letter &&
                  list->v[j].para == e->para &&
                  strcmp(list->v[j].original, e->original) == 0;
        if (dup)
            continue;
        sqlite3_stmt *st = im->erratum_ins;
        sqlite3_bind_int64(st, 1, e->letter);
        sqlite3_bind_int64(st, 2, e->para);
        sqlite3_bind_text(st, 3, e->original, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, e->replacement, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, e->reason, -1, SQLITE_STATIC);
        if (import_run(im, st, path) < 0)
            return -1;
    }
    /* Every passage no erratum names shows its own text. */
    if (import_exec(
            im,
            "UPDATE passages SET shown = coalesce(original, shown), "
            "original = NULL, corrected = 0, indexed = CASE WHEN original "
            "IS NULL THEN indexed ELSE nullif(missive_index_text(original), "
            "original) END "
            "WHERE (original IS NOT NULL OR corrected IS NOT 0) AND NOT EXISTS "
            "(SELECT 1 FROM errata e WHERE e.letter_id = passages.letter_id "
            "AND e.para = passages.para)",
            path) < 0)
        return -1;
    if (sqlite3_changes(im->db) > 0)
        im->old_changed = true; /* a new passage has no erratum to undo */
    if (nfound == 0)
        return 0;
    if (!(order = malloc(nfound * sizeof *order))) {
        error_report(im->err, SEVERITY_ERROR, "%s: out of memory", path);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i].letter > 0)
            order[k++] = &list->v[i];
    qsort(order, nfound, sizeof *order, import_cmp_erratum);
    for (size_t i = 0; i < nfound;) {
        size_t j = i + 1;
        while (j < nfound && order[j]->letter == order[i]->letter &&
               order[j]->para == order[i]->para)
            j++;
        if (import_erratum_group(im, path, order + i, j - i,
                                 &rep->errata_applied) < 0)
            goto done;
        i = j;
    }
    rc = 0;
done:
    free(order);
    return rc;
}

/* --- curated dates ------------------------------------------------------------ */

static int import_dates(Importer *im, const char *path, DateList *list)
{
    /* Curated dates are re-applied from scratch; a letter's own date
     * (date_source NULL) is never touched. */
    if (import_exec(im,
                    "UPDATE letters SET date = NULL, date_kind = NULL, "
                    "date_source = NULL WHERE date_source IS NOT NULL",
                    path) < 0)
        return -1;
    if (sqlite3_changes(im->db) > 0)
        im->redated = true;
    for (size_t i = 0; i < list->n; i++) {
        CuratedDate *d = &list->v[i];
        sqlite3_int64 id = import_find(im, path, d->line, &d->key);
        if (id < 0)
            return -1;
        if (id == 0)
            continue;
        d->letter = (long)id;
        sqlite3_bind_int64(im->letter_date, 1, d->letter);
        int step = sqlite3_step(im->letter_date);
        bool dated = step == SQLITE_ROW &&
                     sqlite3_column_type(im->letter_date, 0) != SQLITE_NULL;
        char own[11] = "";
        if (dated) {
            const char *t =
                (const char *)sqlite3_column_text(im->letter_date, 0);
            snprintf(own, sizeof own, "%s", t ? t : "");
        }
        import_done(im->letter_date);
        if (step == SQLITE_DONE) {
            error_report(im->err, SEVERITY_WARNING,
                         "%s:%d: letter %ld does not exist; not applied", path,
                         d->line, d->letter);
            continue;
        }
        if (step != SQLITE_ROW) {
            error_report(im->err, SEVERITY_ERROR, "%s: %s", path,
                         sqlite3_errmsg(im->db));
            return -1;
        }
        if (dated) {
            error_report(im->err, SEVERITY_WARNING,
                         "%s:%d: letter %ld has its own date (%s); "
                         "not applied",
                         path, d->line, d->letter, own);
            continue;
        }
        sqlite3_stmt *st = im->letter_set_date;
        sqlite3_bind_int64(st, 1, d->letter);
        sqlite3_bind_text(st, 2, d->iso, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, dates_kind_name(d->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, d->source, -1, SQLITE_STATIC);
        if (import_run(im, st, path) < 0)
            return -1;
        im->redated = true;
    }
    return 0;
}

/* --- the search indexes ------------------------------------------------------ */

/* Indexes the passages this import wrote, in both FTS5 indexes, with one
 * statement each.  Why not a trigger per inserted row (as deletes and
 * updates still have, db.c migration 8): an INSERT inside a transaction runs
 * with a statement savepoint, and FTS5 (SQLite 3.40) flushes its
 * pending-terms hash to disk at every savepoint, so a row per statement made
 * one tiny segment per passage and then merged them: two thirds of an
 * import's time.  One INSERT ... SELECT fills the hash to its size and
 * writes full segments, as FTS5's own 'rebuild' does.  The price: rows are
 * only searchable once this runs, so it runs before anything that updates
 * passages through the triggers (errata), and any other writer of passages
 * must index its rows itself (there is none).
 *
 * Which rows: passages.id is a plain INTEGER PRIMARY KEY, so each insert
 * takes max(id) + 1.  Every row this import wrote is at or above the first
 * one it wrote, and every row older than the import that survives is below
 * it (a changed file's old rows are deleted, through the triggers, before
 * its new ones are written; files are distinct). */
static int import_index(Importer *im)
{
    static const char *const sql[] = {
        "INSERT INTO passages_fts(rowid, indexed)"
        " SELECT id, coalesce(indexed, shown) FROM passages WHERE id >= ?1",
        "INSERT INTO passages_tri(rowid, shown)"
        " SELECT id, shown FROM passages WHERE id >= ?1",
    };
    /* FTS5 merges a level's segments once it holds 'automerge' of them
     * (4 by default): during the load 8, so that each posting is merged
     * again about half as often (100k passages: the trigram index 2.3 s
     * -> 1.9 s, the word index 0.8 -> 0.7 s; as many segments left at
     * the end).  Back to the default after, for the small writes of later
     * imports and errata. */
    static const char *const merge[] = {
        "INSERT INTO passages_fts(passages_fts, rank) VALUES ('automerge', 8);"
        "INSERT INTO passages_tri(passages_tri, rank) VALUES ('automerge', 8);",
        "INSERT INTO passages_fts(passages_fts, rank) VALUES ('automerge', 4);"
        "INSERT INTO passages_tri(passages_tri, rank) VALUES ('automerge', 4);",
    };
    if (im->first_new == 0)
        return 0;
    if (import_exec(im, merge[0], "import: index") < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(im->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
            error_report(im->err, SEVERITY_ERROR, "import: index: %s",
                         sqlite3_errmsg(im->db));
            return -1;
        }
        sqlite3_bind_int64(st, 1, im->first_new);
        int rc = import_run(im, st, "import: index");
        sqlite3_finalize(st);
        if (rc < 0)
            return -1;
    }
    return import_exec(im, merge[1], "import: index");
}

/* A number one query gives (a count, a pragma, EXISTS). */
static int import_count(Importer *im, const char *sql, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(im->db, sql, -1, &st, NULL) != SQLITE_OK) {
        error_report(im->err, SEVERITY_ERROR, "import: %s",
                     sqlite3_errmsg(im->db));
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        error_report(im->err, SEVERITY_ERROR, "import: %s",
                     sqlite3_errmsg(im->db));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* --- cells ------------------------------------------------------------------- */

/* Whether a letter's passages sit in a cell that is not the letter's own
 * (sender, first recipient, year): one row per letter, its first passage. */
static const char *const import_cells_moved =
    "SELECT EXISTS (SELECT 1 FROM letters l"
    " JOIN passages p ON p.letter_id = l.id AND p.para = 1"
    " LEFT JOIN cells c ON c.id = p.cell_id"
    " WHERE c.id IS NULL OR c.sender IS NOT l.sender"
    " OR c.recipient IS NOT l.recipient"
    " OR c.year IS NOT coalesce(CAST(substr(l.date, 1, 4) AS INT), 0))";

/* Cells are kept by placing each new letter's passages at the end of its
 * cell as they are written (import_place), so an import that only adds
 * letters leaves nothing to do here.  Two things break that: a changed
 * file's old passages deleted (gaps in the ranks), and curated dates
 * cleared and re-applied when one of them moves a letter to another year
 * (checked per letter, ~0.1 s per million passages, and only when some
 * curated date was written).  Then the cells are rebuilt from the passages
 * and every passage whose cell or rank moved is rewritten: a pass over all
 * passages, ~1 s per 100k, which every import used to pay (a fresh import
 * of a million passages: on every row, ~11% of its time). */
static int import_cells(Importer *im)
{
    if (!im->recount && im->redated) {
        int moved = 0;
        if (import_count(im, import_cells_moved, &moved) < 0)
            return -1;
        im->recount = moved != 0;
    }
    if (!im->recount)
        return 0;
    static const char *const sql =
        "DELETE FROM cells;"
        "INSERT INTO cells(sender, recipient, year, n)"
        "  SELECT l.sender, l.recipient,"
        "         COALESCE(CAST(substr(l.date, 1, 4) AS INT), 0), count(*)"
        "  FROM passages p JOIN letters l ON l.id = p.letter_id"
        "  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;"
        "UPDATE passages SET cell_id = r.cell_id, cell_ord = r.ord FROM ("
        "  SELECT p.id AS pid, c.id AS cell_id,"
        "         row_number() OVER (PARTITION BY c.id ORDER BY p.id) - 1 AS "
        "ord"
        "  FROM passages p JOIN letters l ON l.id = p.letter_id"
        "  JOIN cells c ON c.sender = l.sender AND c.recipient = l.recipient"
        "   AND c.year = COALESCE(CAST(substr(l.date, 1, 4) AS INT), 0)"
        ") AS r WHERE passages.id = r.pid"
        "  AND (passages.cell_id IS NOT r.cell_id OR passages.cell_ord IS NOT "
        "r.ord);";
    return import_exec(im, sql, "import: cells");
}

/* --- derived tables --------------------------------------------------------- */

/* Below this share of new passages an import updates the derived tables
 * (concepts_update, toplist_update) instead of rebuilding them: an update
 * costs per new passage more than a rebuild does, a rebuild costs the
 * whole corpus. */
#define IMPORT_UPDATE_SHARE 8 /* new passages at most 1/8 of all */

/* passage_stats, concepts and search_top after the passages are final.
 * Nothing written and nothing gone (a re-import): nothing to do.  Passages
 * added only, a few against the corpus, and nothing left stale by a
 * migration: an update.  Otherwise (a changed file's passages deleted, an erratum
 * changing an older passage's text, a fresh corpus) a rebuild from the
 * passages.  -1 with the reason in why, or already reported. */
static int import_derived(Importer *im, Error *why)
{
    int old = 0, all = 0, fresh = 0, stale = 0;
    if (!im->old_changed && im->first_new == 0)
        return 0;
    if (!im->old_changed) {
        char sql[128];
        /* The new rows by their ids (a short range); all of them by the
         * smallest index. */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM passages WHERE id >= %lld",
                 (long long)im->first_new);
        if (import_count(im, sql, &fresh) < 0 ||
            import_count(im, "SELECT count(*) FROM passages", &all) < 0 ||
            /* Stale after a migration: lists without their keys
             * (migration 10), or concepts without word_senses (11). */
            import_count(im,
                         "SELECT EXISTS (SELECT 1 FROM search_top"
                         " WHERE keys IS NULL) OR (EXISTS (SELECT 1 FROM"
                         " concepts) AND NOT EXISTS (SELECT 1 FROM"
                         " word_senses))",
                         &stale) < 0)
            return -1; /* said by import_count */
        old = all - fresh;
    }
    if (!im->old_changed && old > 0 && !stale &&
        (long long)(all - old) * IMPORT_UPDATE_SHARE <= all) {
        if (concepts_update(im->db, im->first_new, why) != STATUS_OK ||
            toplist_update(im->db, im->first_new, why) != STATUS_OK)
            return -1;
        return 0;
    }
    if (concepts_refresh(im->db, why) != STATUS_OK ||
        toplist_refresh(im->db, why) != STATUS_OK)
        return -1;
    return 0;
}

/* --- journal -------------------------------------------------------------- */

/* A database with no passages yet (a first import) is written through a
 * rollback journal instead of the WAL: every page of a fresh load is new,
 * so the journal holds next to nothing, where the WAL took each page once
 * and the checkpoint after the commit wrote it again (100k passages: 4.64
 * -> 4.39 s of CPU, median of three; the plain SQLite load of bench/ pays
 * that WAL).  A failed import still rolls back (the journal keeps the
 * file's first size) and a crash leaves a hot journal that the next open
 * rolls back; synchronous FULL while it lasts, as rollback mode wants.
 * Leaving WAL needs the only connection: with another one open (a bot
 * serving the empty database) SQLite says busy at once (no wait here) and
 * the import keeps the WAL.  True when the mode was changed. */
static bool import_unjournal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool empty = false, changed = false;
    if (sqlite3_prepare_v2(db, "SELECT NOT EXISTS (SELECT 1 FROM passages)",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        empty = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    st = NULL;
    if (!empty)
        return false;
    db_set_wait(db, 0);
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = DELETE", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        changed = mode && strcmp(mode, "delete") == 0;
    }
    sqlite3_finalize(st);
    db_set_wait(db, DB_WAIT_MS);
    if (changed &&
        sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) !=
            SQLITE_OK) {
        sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        changed = false;
    }
    return changed;
}

/* --- check: what an import would do ------------------------------------- */

static void import_say(const ImportOptions *opt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void import_say(const ImportOptions *opt, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (opt->describe)
        opt->describe(opt->describe_ud, line);
}

static const char *import_date_from(enum parse_date_from from)
{
    switch (from) {
    case PARSE_DATE_FRONT:
        return "front matter";
    case PARSE_DATE_HEADING:
        return "heading";
    case PARSE_DATE_BODY:
        return "date line";
    case PARSE_DATE_NONE:
        break;
    }
    return "none";
}

/* The numbers the file's letters would get (0: a new number), read from the
 * database without writing; all 0 without one. */
static int import_predict(sqlite3 *db, const People *people,
                          const ImportFile *f, sqlite3_int64 *ids,
                          sqlite3_int64 *next)
{
    Importer im = {.db = db, .people = people};
    Error quiet = {0};
    OldLetter *old = NULL;
    size_t nold = 0;
    bool *used = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    for (size_t k = 0; k < f->nsums; k++) ids[k] = 0;
    if (!db) {
        if (*next == 0)
            *next = 1; /* a new database numbers from 1 */
        return 0;
    }
    im.err = &quiet;
    if (sqlite3_prepare_v2(db, "SELECT id FROM files WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT id, seq, fingerprint, sender FROM letters "
                           "WHERE file_id = ?1 ORDER BY seq",
                           -1, &im.letter_ids, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_text(st, 1, f->base, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW &&
        import_old_letters(&im, f->path, sqlite3_column_int64(st, 0), &old,
                           &nold) < 0)
        goto done;
    if (!(used = calloc(nold + 1, sizeof *used)))
        goto done;
    import_assign(f->sums, f->nsums, old, nold, used, ids);
    if (*next == 0) {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT max(coalesce((SELECT seq FROM "
                               "sqlite_sequence WHERE name = 'letters'), 0), "
                               "coalesce((SELECT max(id) FROM letters), 0))",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            *next = sqlite3_column_int64(st, 0) + 1;
    }
    rc = 0;
done:
    sqlite3_finalize(st);
    sqlite3_finalize(im.letter_ids);
    free(old);
    free(used);
    return rc;
}

/* --check's second pass over a file: each part's letters described. */
typedef struct {
    const ImportOptions *opt;
    const DateList *dates;
    sqlite3_int64 *ids; /* the whole file's predicted numbers, or NULL */
    sqlite3_int64 *next;
    ImportReport *rep;
} ImportDescribe;

static int import_describe_part(void *ud, ImportFile *f,
                                const ParsedFile *pf, size_t first)
{
    ImportDescribe *d = ud;
    const ImportOptions *opt = d->opt;
    char date[64], who[512];

    for (size_t k = 0; k < pf->nletters; k++) {
        const ParsedLetter *l = &pf->letters[k];
        sqlite3_int64 id =
            d->ids && first + k < f->nsums ? d->ids[first + k] : 0;
        if (id == 0 && *d->next > 0)
            id = (*d->next)++;
        char num[32];
        if (id > 0)
            snprintf(num, sizeof num, "%lld", (long long)id);
        else
            snprintf(num, sizeof num, "(new)");
        size_t o = 0;
        who[0] = '\0';
        for (size_t r = 0; r < l->nrecipients && o < sizeof who; r++)
            o += (size_t)snprintf(who + o, sizeof who - o, "%s%s",
                                  r ? ", " : "", l->recipients[r]);
        import_say(opt, "%s:%d-%d: letter %s.1-%s.%zu, key %s#%s", f->path,
                   l->line, l->end_line, num, num, l->npara, f->base,
                   l->fingerprint);
        import_say(opt, "  %s -> %s", l->sender, who);
        dates_format(l->date.iso, l->date.kind, date, sizeof date);
        if (l->date.kind != DATE_NONE)
            import_say(opt, "  date: %s (%s, line %d)", date,
                       import_date_from(l->date_from), l->date_line);
        else {
            const CuratedDate *c = NULL;
            for (size_t i = 0; i < d->dates->n && !c; i++)
                if (strcmp(d->dates->v[i].key.file, f->base) == 0 &&
                    strcmp(d->dates->v[i].key.fp, l->fingerprint) == 0)
                    c = &d->dates->v[i];
            if (c) {
                dates_format(c->iso, c->kind, date, sizeof date);
                import_say(opt, "  date: %s (dates.tsv line %d: %s)", date,
                           c->line, c->source);
            } else {
                import_say(opt, "  date: undated");
            }
        }
        import_say(opt, "  passages: %zu", l->npara);
        if (l->number)
            import_say(opt, "  edition number: No. %d", l->number);
        for (size_t j = 0; j < l->nskipped; j++)
            import_say(opt, "  skipped line %s", l->skipped[j]);
        if (!l->source)
            import_say(opt, "  no Source line");
        d->rep->checked++;
    }
    for (size_t r = 0; r < pf->nrefused; r++)
        import_say(opt, "%s (refused)", pf->refused[r]);
    return 0;
}

/* --- entry point ---------------------------------------------------------- */

/* SQL's view of parse_index_text, for statements that set passages.indexed
 * from a column (registered on the import's connection only). */
static void import_sql_index(sqlite3_context *ctx, int argc,
                             sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    if (!t) {
        sqlite3_result_null(ctx);
        return;
    }
    char *r = parse_index_text(t);
    if (!r) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, r, -1, free);
}

/* Base names: present and distinct (files are known by them). */
static int import_check_names(ImportFile *files, size_t n, Error *err)
{
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        ImportFile *f = &files[i];
        f->base = import_base(f->path);
        if (f->base[0] == '\0') {
            error_report(err, SEVERITY_ERROR, "%s: not a file name", f->path);
            f->skip = true;
            rc = -1;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(files[j].base, f->base) == 0) {
                error_report(err, SEVERITY_ERROR,
                             "%s: same file name as %s (files are known by "
                             "their base name)",
                             f->path, files[j].path);
                rc = -1;
                break;
            }
        }
    }
    return rc;
}

/* --check: every file parsed (errors reported), then described. */
static void import_check(sqlite3 *db, const People *people, ImportFile *files,
                         size_t n, Parser *parser, const ParseOptions *popt,
                         const ImportOptions *opt, const DateList *dates,
                         ImportReport *rep, int *bad, Error *err)
{
    sqlite3_int64 next = 0;
    Importer im = {.db = db, .err = err, .people = people};
    ImportPass pass = {.im = &im, .collect = true};
    bool never = false;

    pass.bad = &never;
    for (size_t i = 0; i < n; i++) {
        ImportFile *f = &files[i];
        if (f->skip)
            continue;
        int r = import_stream(f, parser, popt, true, err, import_pass_part,
                              &pass);
        rep->refused += (int)f->nrefused;
        if (r < 0) {
            *bad = -1;
            continue;
        }
        if (f->nsums == 0 && f->nrefused == 0)
            continue;
        sqlite3_int64 *ids = calloc(f->nsums + 1, sizeof *ids);
        if (ids && import_predict(db, people, f, ids, &next) < 0)
            memset(ids, 0, (f->nsums + 1) * sizeof *ids);
        import_say(opt, "%s: %zu letter(s), %zu refused", f->path, f->nsums,
                   f->nrefused);
        ImportDescribe d = {opt, dates, ids, &next, rep};
        if (import_stream(f, parser, popt, false, err, import_describe_part,
                          &d) < 0)
            *bad = -1;
        free(ids);
    }
}

Status import_files(sqlite3 *db, const char *const *paths, size_t npaths,
                    const char *datadir, ImportReport *report, Error *err)
{
    return import_files_opts(db, paths, npaths, datadir, NULL, report, err);
}

Status import_files_opts(sqlite3 *db, const char *const *paths, size_t npaths,
                         const char *datadir, const ImportOptions *opt,
                         ImportReport *report, Error *err)
{
    static const ImportOptions defaults = {0};
    char aliases[IMPORT_PATH_MAX], errata_path[IMPORT_PATH_MAX],
        dates_path[IMPORT_PATH_MAX];
    ImportFile *files = NULL;
    ErrataList errata = {0};
    DateList dates = {0};
    People *people = NULL;
    Parser *parser = NULL;
    Error why = {0};
    Importer im = {.db = db, .err = err};
    ParseOptions popt = {0};
    bool in_tx = false, bad = false, cache_set = false, unjournaled = false;
    Status rc = STATUS_ERROR;
    int refused = 0, cache_size = 0;

    if (!opt)
        opt = &defaults;
    memset(report, 0, sizeof *report);
    if (snprintf(aliases, sizeof aliases, "%s/aliases.txt", datadir) >=
            (int)sizeof aliases ||
        snprintf(errata_path, sizeof errata_path, "%s/errata.tsv", datadir) >=
            (int)sizeof errata_path ||
        snprintf(dates_path, sizeof dates_path, "%s/dates.tsv", datadir) >=
            (int)sizeof dates_path) {
        error_report(err, SEVERITY_ERROR, "%s: data directory path too long",
                     datadir);
        return STATUS_INVALID;
    }
    if (!(people = people_load(aliases, &why))) {
        error_report(err, SEVERITY_ERROR, "%s", why.msg);
        return STATUS_INVALID;
    }
    im.people = people;
    popt.paragraphs =
        opt->line_paragraphs ? PARSE_PARA_LINES : PARSE_PARA_BLANK;
    /* Always keep going while parsing, so that every refused letter of every
     * file is reported; the import itself is refused below unless asked. */
    popt.keep_going = true;
    if (!(parser = parser_new(people, &why))) {
        error_report(err, SEVERITY_ERROR, "%s", why.msg);
        goto done;
    }
    if (npaths > 0 && !(files = calloc(npaths, sizeof *files))) {
        error_report(err, SEVERITY_ERROR, "import: out of memory");
        goto done;
    }
    for (size_t i = 0; i < npaths; i++) {
        const char *from =
            opt->froms && opt->froms[i] ? opt->froms[i] : opt->from;
        files[i].path = paths[i];
        if (from && !(files[i].sender = people_resolve(people, from))) {
            error_report(err, SEVERITY_ERROR,
                         "--from '%s': unknown person (add it to %s)", from,
                         aliases);
            rc = STATUS_INVALID;
            goto done;
        }
    }
    if (import_check_names(files, npaths, err) < 0)
        bad = true;

    if (opt->check) {
        int cbad = bad ? -1 : 0;
        if (import_tsv(dates_path, import_date_line, &dates, err) < 0)
            cbad = -1;
        import_check(db, people, files, npaths, parser, &popt, opt, &dates,
                     report, &cbad, err);
        if (import_tsv(errata_path, import_erratum_line, &errata, err) < 0)
            cbad = -1;
        rc = cbad < 0 ? STATUS_INVALID : STATUS_OK;
        refused = report->refused;
        goto done;
    }

    /* Files stream into one transaction, letter by letter; the first error
     * stops the writing (every file is still parsed, so that every error is
     * reported) and rolls it all back. */
    if (sqlite3_create_function(db, "missive_index_text", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                import_sql_index, NULL, NULL) != SQLITE_OK) {
        error_report(err, SEVERITY_ERROR, "import: %s", sqlite3_errmsg(db));
        goto done;
    }
    /* SQLite's page cache for the import: 4 MiB, not the bot's 16
     * (db.c).  The import appends; what it reads again is the tables'
     * right edges and the FTS5 segments being merged, and a bigger cache
     * made it no faster at 100k passages (noise) while it was most of the
     * import's peak RSS.  Put back when done: the connection is the
     * caller's. */
    if (import_count(&im, "PRAGMA cache_size", &cache_size) < 0 ||
        import_exec(&im, "PRAGMA cache_size = -4096", "import") < 0)
        goto done;
    cache_set = true;
    unjournaled = import_unjournal(db);
    if (import_exec(&im, "BEGIN IMMEDIATE", "import") < 0)
        goto done;
    in_tx = true;
    if (import_prepare(&im) < 0)
        goto done;
    for (size_t i = 0; i < npaths; i++) {
        ParseOptions fopt = popt;
        fopt.default_sender = files[i].sender;
        if (files[i].skip)
            continue;
        if (import_file(&im, &files[i], parser, &fopt, opt->keep_going, &bad,
                        report) < 0)
            goto done;
        report->refused += (int)files[i].nrefused;
    }
    refused = report->refused;
    if (import_tsv(errata_path, import_erratum_line, &errata, err) < 0)
        bad = true;
    if (import_tsv(dates_path, import_date_line, &dates, err) < 0)
        bad = true;
    if (bad) {
        rc = STATUS_INVALID;
        goto done;
    }
    if (import_index(&im) < 0 ||
        import_errata(&im, errata_path, &errata, report) < 0 ||
        import_dates(&im, dates_path, &dates) < 0 || import_cells(&im) < 0 ||
        import_count(&im, "SELECT count(*) FROM letters", &report->letters) <
            0 ||
        import_count(&im, "SELECT count(*) FROM passages", &report->passages) <
            0)
        goto done;
    why.sink = err ? err->sink : NULL; /* its warning reaches the user */
    why.sink_ud = err ? err->sink_ud : NULL;
    if (import_derived(&im, &why) < 0) {
        if (why.msg[0])
            error_report(err, SEVERITY_ERROR, "%s", why.msg);
        goto done;
    }
    import_finalize(&im);
    if (import_exec(&im, "COMMIT", "import") < 0)
        goto done;
    in_tx = false;
    rc = STATUS_OK;

done:
    import_finalize(&im);
    if (in_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (unjournaled) /* db.c's modes; its next open sets them anyway */
        sqlite3_exec(db, "PRAGMA synchronous = NORMAL;"
                         "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (cache_set) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %d", cache_size);
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
    }
    if (rc != STATUS_OK && !opt->check)
        memset(report, 0, sizeof *report);
    report->refused = refused;
    for (size_t i = 0; i < npaths && files; i++) free(files[i].sums);
    free(files);
    import_errata_free(&errata);
    import_dates_free(&dates);
    parser_free(parser);
    people_free(people);
    return rc;
}
