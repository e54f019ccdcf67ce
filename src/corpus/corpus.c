/* corpus.c - questions asked of the corpus (see corpus.h).
 *
 * Statements are prepared once per Corpus (those of searches and rarer
 * commands on first use) and reset after each use: the bot asks the same
 * few questions all day.  Every value from a user is bound,
 * and full-text queries go through searchq, which owns FTS5 syntax.
 */
#include "corpus.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addressees.h"
#include "array.h"
#include "cells.h"
#include "letterdates.h"
#include "passmap.h"
#include "clock.h"
#include "rank.h"
#include "reply.h"
#include "searchq.h"
#include "toplist.h"
#include "utf8.h"

/* No question may hold the bot's loop longer than this.  SQLite calls the
 * progress handler every CORPUS_PROGRESS_OPS virtual-machine steps (tens
 * of nanoseconds each; a clock read costs about two percent of them), so
 * the bound is tight, even for a walk whose rows cost few steps each.  When a command is armed
 * (corpus_command_begin), its statements share the command's one deadline
 * instead, so a command of many statements is bounded as a whole. */
#define CORPUS_QUERY_MS 250
#define CORPUS_PROGRESS_OPS 100

/* Cells a filter may have for the cell map to check it; a filter of more
 * (not in any real edition: there is one cell per sender, recipient and
 * year) is checked by SQL. */
#define CORPUS_FILTER_CELLS 1024

/* corpus_random's bounds on passing over unwanted passages. */
#define CORPUS_RANDOM_TRIES 16
#define CORPUS_RANDOM_WALK 256

/* Every recipient of a letter, in heading order ("Roosevelt and
 * Churchill"); the first one (letters.recipient) is what filters use.
 * letter_recipients is read only for letters the set bound as ?9 names
 * (addressees.h), and for all when none is bound. */
#define CORPUS_RECIPIENTS                                                  \
    "CASE WHEN missive_addressees(?9, l.id) THEN"                         \
    " coalesce((SELECT group_concat(person, ' and ') FROM (SELECT person"  \
    " FROM letter_recipients r WHERE r.letter_id = l.id ORDER BY r.pos))," \
    " l.recipient) ELSE l.recipient END"

#define CORPUS_PASSAGE_COLUMNS                                         \
    "l.id, p.para, p.shown, p.corrected, l.sender, " CORPUS_RECIPIENTS \
    ", l.date, l.date_kind, l.date_source IS NOT NULL"

/* The same filter on letters l, numbered ?2..?4 after the MATCH text. */
#define CORPUS_LETTER_FILTER                                             \
    "(?2 IS NULL OR l.sender = ?2) AND (?3 IS NULL OR l.recipient = ?3)" \
    " AND (?4 = 0 OR substr(l.date, 1, 4) = printf('%04d', ?4))"

enum corpus_stmt {
    /* Prepared by corpus_new: !quote's, and a check of the schema. */
    ST_PASSAGE_ROW,
    ST_BY_PASSAGE,
    ST_BY_CELL,
    ST_BY_ID,
    ST_PERSON,
    /* Prepared when first asked (corpus_stmt): the search statements
     * connect the FTS5 table (its tokenizer, its own statements), 38 KiB
     * of SQLite's heap at start, for a bot that may never be asked to
     * search. */
    ST_SEARCH_TOP,
    ST_SEARCH_TOP_F,
    ST_SEARCH_TOP_M,
    ST_SEARCH,
    ST_SEARCH_PROBE,
    ST_SEARCH_SCORE,
    ST_SEARCH_SCORE_F,
    ST_SEARCH_TEXT,
    ST_LETTER,
    ST_DATED,
    ST_SOURCES,
    ST_COUNT_STMTS
};

static const char *const corpus_sql[ST_COUNT_STMTS] = {
    /* A pick whose cell knows its ids (cells.h): the passage alone when
     * its letter's date is known (letterdates.h) and its addressee is the
     * cell's, or with its letter; and a pick whose cell does not. */
    [ST_PASSAGE_ROW] = "SELECT letter_id, para, shown, corrected"
                       " FROM passages WHERE id = ?1",
    [ST_BY_PASSAGE] = "SELECT " CORPUS_PASSAGE_COLUMNS
                      " FROM passages p JOIN letters l ON l.id = p.letter_id"
                      " WHERE p.id = ?1",
    [ST_BY_CELL] = "SELECT " CORPUS_PASSAGE_COLUMNS
                   " FROM passages p JOIN letters l ON l.id = p.letter_id"
                   " WHERE p.cell_id = ?1 AND p.cell_ord = ?2",
    [ST_BY_ID] = "SELECT " CORPUS_PASSAGE_COLUMNS
                 " FROM passages p JOIN letters l ON l.id = p.letter_id"
                 " WHERE p.letter_id = ?1 AND p.para = ?2",
    /* The candidates of a search (see corpus_search): the first ?5
     * matches in passage order with their BM25 score (rank.h; ?7: what
     * the caller knows of the phrases' passage counts).  Without a filter
     * the index alone answers; the joins are paid only when a filter
     * needs them. */
    [ST_SEARCH_TOP] = "SELECT rowid, missive_bm25(passages_fts, ?6, ?7)"
                      " FROM passages_fts"
                      " WHERE passages_fts MATCH ?1 LIMIT ?5",
    [ST_SEARCH_TOP_F] = "SELECT passages_fts.rowid,"
                        " missive_bm25(passages_fts, ?6, ?7)"
                        " FROM passages_fts"
                        " JOIN passages p INDEXED BY passages_letter"
                        " ON p.id = passages_fts.rowid"
                        " JOIN letters l ON l.id = p.letter_id"
                        " WHERE passages_fts MATCH ?1 AND " CORPUS_LETTER_FILTER
                        " LIMIT ?5",
    /* The same through the passage map (passmap.h): the filter is an
     * array read per match, and only the matches it keeps are scored. */
    [ST_SEARCH_TOP_M] = "SELECT rowid, missive_bm25(passages_fts, ?6, ?7)"
                        " FROM passages_fts"
                        " WHERE passages_fts MATCH ?1"
                        " AND missive_in_cells(?6, rowid) LIMIT ?5",
    /* The chosen passage, with its snippet: one row by rowid. */
    [ST_SEARCH] = "SELECT " CORPUS_PASSAGE_COLUMNS ","
                  /* The index reads passages.indexed, NULL when shown (footnote marks
                   * dropped); a snippet is made of what it reads, so a
                   * passage whose shown text differs is shown as it is. */
                  " CASE WHEN p.indexed IS NULL"
                  " THEN snippet(passages_fts, 0, ?3, ?4, '…', 40)"
                  " ELSE p.shown END"
                  " FROM passages_fts"
                  " JOIN passages p ON p.id = passages_fts.rowid"
                  " JOIN letters l ON l.id = p.letter_id"
                  " WHERE passages_fts MATCH ?1 AND passages_fts.rowid = ?2",
    /* Whether passage ?5 matches the query and the filter (?2..?4, NULL
     * and 0 for none): one index lookup per phrase. */
    [ST_SEARCH_PROBE] = "SELECT 1 FROM passages_fts"
                        " JOIN passages p INDEXED BY passages_letter"
                        " ON p.id = passages_fts.rowid"
                        " JOIN letters l ON l.id = p.letter_id"
                        " WHERE passages_fts MATCH ?1"
                        " AND passages_fts.rowid = ?5 AND " CORPUS_LETTER_FILTER,
    /* Passage ?5's score if it matches the query (and the filter, in the
     * second): a list candidate's (corpus_search_candidates). */
    [ST_SEARCH_SCORE] = "SELECT missive_bm25(passages_fts, ?6, ?7)"
                        " FROM passages_fts"
                        " WHERE passages_fts MATCH ?1 AND rowid = ?5",
    [ST_SEARCH_SCORE_F] = "SELECT missive_bm25(passages_fts, ?6, ?7)"
                          " FROM passages_fts"
                          " JOIN passages p INDEXED BY passages_letter"
                          " ON p.id = passages_fts.rowid"
                          " JOIN letters l ON l.id = p.letter_id"
                          " WHERE passages_fts MATCH ?1"
                          " AND passages_fts.rowid = ?5"
                          " AND " CORPUS_LETTER_FILTER,
    /* What the index read of passage ?1 (db.c: passages_indexed). */
    [ST_SEARCH_TEXT] = "SELECT coalesce(indexed, shown) FROM passages"
                       " WHERE id = ?1",
    [ST_LETTER] =
        "SELECT l.id, l.sender, " CORPUS_RECIPIENTS ", l.date, l.date_kind,"
        " l.date_source IS NOT NULL, l.heading, l.source, l.number,"
        " (SELECT count(*) FROM passages p WHERE p.letter_id = l.id)"
        " FROM letters l WHERE l.id = ?1",
    /* Every dated letter: O(letters), asked once a day or so by !today. */
    [ST_DATED] =
        "SELECT id, date FROM letters WHERE date IS NOT NULL ORDER BY id",
    [ST_SOURCES] = ("SELECT source FROM letters WHERE source IS NOT NULL"
                    " GROUP BY source ORDER BY min(id)"),
    [ST_PERSON] = "SELECT name FROM people WHERE name = ?1 COLLATE NOCASE",
};

struct Corpus {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT_STMTS];
    sqlite3_stmt *begin, *commit, *rollback; /* a command's read transaction */
    bool in_command; /* corpus_command_begin opened a transaction */
    uint64_t deadline_ms;  /* of the question being answered */
    uint64_t command_ms;   /* of the command, UINT64_MAX when none */
    const People *aliases; /* for !reply; not owned */
    PassMap *pmap;         /* passage cells and lengths (passmap.h) */
    TopList *top;          /* common words' best passages (toplist.h);
                              opened on first use, like the searches */
    Cells *cells;          /* the cells table (cells.h) */
    Addressees *addressees; /* letters with several (addressees.h) */
    uint64_t addressees_gen; /* cells_generation when they were read */
    LetterDates *dates;     /* every letter's date (letterdates.h) */
    uint64_t dates_gen;     /* cells_generation when read or tried */
    bool dates_ok;          /* and it was read */
    char **people;          /* the people table's names, in id order */
    size_t npeople, people_cap;
    uint64_t people_gen;    /* cells_generation when they were read */
    bool cells_checked;    /* in this command's transaction */
    uint64_t cells_seen;   /* passmap_changes when checked */
    bool no_cells;         /* the last filter matched no cell */
    bool ranked;           /* missive_bm25 is registered */
};

/* Interrupts a statement that runs past the deadline (SQLITE_INTERRUPT).
 * The handler belongs to the whole connection, which state.c shares, so
 * the deadline is armed (corpus_begin) right before each of our statements
 * steps and disarmed (corpus_end) as soon as it is reset: other modules'
 * statements never inherit a stale deadline. */
static int corpus_progress(void *ud)
{
    const Corpus *c = ud;
    return clock_now_ms() > c->deadline_ms;
}

static void corpus_begin(Corpus *c)
{
    uint64_t own = clock_now_ms() + CORPUS_QUERY_MS;
    c->deadline_ms = own < c->command_ms ? own : c->command_ms;
}

/* A lookup of rows by key (a passage, a letter, a person, the cells
 * table) runs disarmed: it reads a handful of pages, so no deadline can
 * make it shorter (a read blocked on a busy disk is not stopped: the
 * handler runs between steps), and an interrupt would only turn a late
 * answer into an error once its cost is paid.  That happened to a !quote at
 * a million passages under load ("pick: interrupted").  What a command
 * repeats lookups for is bounded by its callers (STATE_WALK_MAX picks, the
 * passages of one letter). */
static void corpus_lookup(Corpus *c)
{
    c->deadline_ms = UINT64_MAX;
}

/* One read transaction for the whole command.  In autocommit mode every
 * statement opens and closes its own (a shared lock and a WAL read mark:
 * several fcntl and an fstat each), which was most of an unfiltered
 * !quote at a million passages.  BEGIN is deferred, so a command that
 * reads nothing takes no lock, and a write (a shuffle position outside
 * lazy mode) upgrades it as usual.  The transaction never outlives the
 * command, so the loop sees every import at the next command and never
 * holds back a WAL checkpoint longer than one command's budget. */
void corpus_command_begin(Corpus *c, unsigned budget_ms)
{
    c->command_ms = clock_now_ms() + budget_ms;
    c->in_command = false;
    c->cells_checked = false;
    if (!sqlite3_get_autocommit(c->db))
        return; /* the caller's transaction: keep out of it */
    c->in_command = sqlite3_step(c->begin) == SQLITE_DONE;
    sqlite3_reset(c->begin);
}

void corpus_command_end(Corpus *c)
{
    c->command_ms = UINT64_MAX;
    c->cells_checked = false;
    if (!c->in_command)
        return;
    c->in_command = false;
    /* An interrupted statement may have rolled the transaction back. */
    if (sqlite3_get_autocommit(c->db))
        return;
    int rc = sqlite3_step(c->commit);
    sqlite3_reset(c->commit);
    if (rc != SQLITE_DONE) {
        (void)sqlite3_step(c->rollback);
        sqlite3_reset(c->rollback);
    }
}

static void corpus_end(Corpus *c)
{
    c->deadline_ms = UINT64_MAX;
}

static Status corpus_cells(Corpus *c, const Cell **cells, size_t *n,
                           Error *err);
static bool corpus_dates(Corpus *c);

/* Reads every cell's passage ids (cells_warm), then the passage map from
 * them (passmap_warm), in one read transaction of their own. */
static void corpus_warm(Corpus *c)
{
    const Cell *cells;
    size_t n;
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return;
    if (corpus_cells(c, &cells, &n, NULL) == STATUS_OK) {
        cells_warm(c->cells);
        (void)passmap_warm(c->pmap, c->cells, NULL);
        (void)corpus_dates(c);
    }
    (void)sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
}

void passage_clear(Passage *p)
{
    free(p->text);
    free(p->sender);
    free(p->recipient);
    free(p->snippet);
    memset(p, 0, sizeof *p);
}

Corpus *corpus_new(sqlite3 *db, Error *err)
{
    Corpus *c = calloc(1, sizeof *c);
    if (!c) {
        error_set(err, STATUS_ERROR, "corpus: out of memory");
        return NULL;
    }
    c->db = db;
    c->deadline_ms = UINT64_MAX;
    c->command_ms = UINT64_MAX;
    sqlite3_progress_handler(db, CORPUS_PROGRESS_OPS, corpus_progress, c);
    if (!(c->pmap = passmap_new(db, err)) ||
        !(c->cells = cells_new(db, err)) ||
        !(c->addressees = addressees_new(db, err)) ||
        !(c->dates = letterdates_new(db, err))) {
        corpus_free(c);
        return NULL;
    }
    for (int i = 0; i < ST_SEARCH_TOP; i++) {
        if (sqlite3_prepare_v3(db, corpus_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &c->st[i], NULL) != SQLITE_OK) {
            error_set(err, STATUS_ERROR, "corpus: preparing statement %d: %s",
                      i, sqlite3_errmsg(db));
            corpus_free(c);
            return NULL;
        }
    }
    /* Best effort: a map not read now is read as searches need it, and
     * the cells' ids as picks need them. */
    if (sqlite3_get_autocommit(db))
        corpus_warm(c);
    if (sqlite3_prepare_v3(db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
                           &c->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
                           &c->commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT,
                           &c->rollback, NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "corpus: preparing a transaction: %s",
                  sqlite3_errmsg(db));
        corpus_free(c);
        return NULL;
    }
    return c;
}

/* Statement i, prepared now if it was not yet; NULL with the reason in
 * err when it cannot be (an FTS5 table missing). */
static sqlite3_stmt *corpus_stmt(Corpus *c, enum corpus_stmt i, Error *err)
{
    if (c->st[i])
        return c->st[i];
    if (i >= ST_SEARCH_TOP && i <= ST_SEARCH && !c->ranked) {
        if (rank_register(c->db, err) != STATUS_OK)
            return NULL;
        c->ranked = true;
    }
    if (sqlite3_prepare_v3(c->db, corpus_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &c->st[i], NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "corpus: preparing statement %d: %s",
                  (int)i, sqlite3_errmsg(c->db));
        return NULL;
    }
    return c->st[i];
}

void corpus_set_aliases(Corpus *c, const People *aliases)
{
    c->aliases = aliases;
}

static void corpus_people_clear(Corpus *c)
{
    for (size_t i = 0; i < c->npeople; i++) free(c->people[i]);
    c->npeople = 0;
    c->people_gen = 0;
}

void corpus_free(Corpus *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST_COUNT_STMTS; i++) sqlite3_finalize(c->st[i]);
    if (c->in_command && !sqlite3_get_autocommit(c->db))
        (void)sqlite3_step(c->rollback);
    sqlite3_finalize(c->begin);
    sqlite3_finalize(c->commit);
    sqlite3_finalize(c->rollback);
    passmap_free(c->pmap);
    toplist_free(c->top);
    cells_free(c->cells);
    addressees_free(c->addressees);
    letterdates_free(c->dates);
    corpus_people_clear(c);
    free(c->people);
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
    free(c);
}

/* Resets a statement for reuse; every query path ends here. */
static void corpus_done(Corpus *c, sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    corpus_end(c);
}

static Status corpus_fail(Corpus *c, sqlite3_stmt *st, const char *what,
                          Error *err)
{
    error_set(err, STATUS_ERROR, "corpus: %s: %s", what, sqlite3_errmsg(c->db));
    corpus_done(c, st);
    return STATUS_ERROR;
}

static char *corpus_dup_column(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return strdup(s ? (const char *)s : "");
}

/* A letter's date from columns col (ISO or NULL), col+1 (kind) and col+2
 * (curated): left "" when the database holds no valid date. */
static void corpus_read_date(sqlite3_stmt *st, int col, char date[11],
                             enum date_kind *kind, bool *curated)
{
    const unsigned char *iso = sqlite3_column_text(st, col);
    if (!iso || !dates_iso_valid((const char *)iso))
        return;
    memcpy(date, iso, 10);
    date[10] = '\0';
    *kind = dates_kind_parse((const char *)sqlite3_column_text(st, col + 1));
    if (*kind == DATE_NONE)
        *kind = DATE_WRITTEN;
    *curated = sqlite3_column_int(st, col + 2) != 0;
}

/* Fills *out from a row laid out as CORPUS_PASSAGE_COLUMNS (then, when
 * snippet_col >= 0, the snippet). */
static Status corpus_read_passage(sqlite3_stmt *st, int snippet_col,
                                  Passage *out, Error *err)
{
    memset(out, 0, sizeof *out);
    out->letter = sqlite3_column_int(st, 0);
    out->para = sqlite3_column_int(st, 1);
    out->text = corpus_dup_column(st, 2);
    out->corrected = sqlite3_column_int(st, 3) != 0;
    out->sender = corpus_dup_column(st, 4);
    out->recipient = corpus_dup_column(st, 5);
    corpus_read_date(st, 6, out->date, &out->date_kind, &out->date_curated);
    if (snippet_col >= 0)
        out->snippet = corpus_dup_column(st, snippet_col);
    if (!out->text || !out->sender || !out->recipient ||
        (snippet_col >= 0 && !out->snippet)) {
        passage_clear(out);
        return error_set(err, STATUS_ERROR, "corpus: out of memory");
    }
    return STATUS_OK;
}

/* Steps a statement expected to yield at most one passage row. */
static Status corpus_one_passage(Corpus *c, sqlite3_stmt *st, int snippet_col,
                                 Passage *out, const char *what, Error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        corpus_done(c, st);
        return STATUS_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return corpus_fail(c, st, what, err);
    Status read = corpus_read_passage(st, snippet_col, out, err);
    corpus_done(c, st);
    return read;
}

/* The cells, current for this command's snapshot: read again only when
 * the database changed (cells.h), and checked once per command.  Outside
 * a command every call checks. */
static Status corpus_cells(Corpus *c, const Cell **cells, size_t *n, Error *err)
{
    uint64_t changes = passmap_changes(c->pmap);
    if (!c->cells_checked || changes != c->cells_seen) {
        corpus_lookup(c);
        Status rc = cells_check(c->cells, changes, err);
        corpus_end(c);
        if (rc != STATUS_OK)
            return rc;
        c->cells_checked = c->in_command;
        c->cells_seen = changes;
        /* Best effort: while the set is unknown, SQL asks for every
         * letter. */
        uint64_t gen = cells_generation(c->cells);
        if (gen != c->addressees_gen &&
            addressees_read(c->addressees, NULL) == STATUS_OK)
            c->addressees_gen = gen;
    }
    *cells = cells_all(c->cells, n);
    return STATUS_OK;
}

/* Binds the set of letters with several addressees as ?9, when it is
 * current: it was read at the cells' generation, which corpus_cells has
 * just checked. */
static void corpus_bind_addressees(Corpus *c, sqlite3_stmt *st)
{
    if (c->addressees_gen == cells_generation(c->cells))
        sqlite3_bind_pointer(st, 9,
                             (void *)addressees_known(c->addressees),
                             ADDRESSEES_POINTER, NULL);
}

static bool corpus_cell_matches(const Cell *cell, const PassageFilter *f)
{
    return !f || cells_match(cell, f->sender, f->recipient, f->year);
}

Status corpus_count(Corpus *c, const PassageFilter *f, long *n, Error *err)
{
    const Cell *cells;
    size_t ncells;
    if (corpus_cells(c, &cells, &ncells, err) != STATUS_OK)
        return STATUS_ERROR;
    long sum = 0;
    for (size_t i = 0; i < ncells; i++)
        if (corpus_cell_matches(&cells[i], f))
            sum += (long)cells[i].n;
    *n = sum;
    return STATUS_OK;
}

/* Every letter's date, current for this command's snapshot: read again
 * (a scan of letters) by the first pick after the cells were.  False when
 * it could not be read (not tried again before the cells are read again)
 * or the addressees are not known. */
static bool corpus_dates(Corpus *c)
{
    uint64_t gen = cells_generation(c->cells);
    if (c->dates_gen != gen) {
        c->dates_gen = gen;
        c->dates_ok = letterdates_read(c->dates, NULL) == STATUS_OK;
    }
    return c->dates_ok && c->addressees_gen == gen;
}

/* Passage id of cell, read without its letter: the sender and recipient
 * are the cell's, the date the letter map's.  1 read; 0 when SQL must
 * read it with its letter (several addressees, a date not known); -1 on
 * error. */
static int corpus_pick_row(Corpus *c, const Cell *cell, sqlite3_int64 id,
                           Passage *out, Error *err)
{
    sqlite3_stmt *st = c->st[ST_PASSAGE_ROW];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) {
            corpus_done(c, st);
            return 0;
        }
        corpus_fail(c, st, "pick", err);
        return -1;
    }
    sqlite3_int64 letter = sqlite3_column_int64(st, 0);
    memset(out, 0, sizeof *out);
    if (letter <= 0 || letter > INT32_MAX ||
        addressees_many(c->addressees, letter) ||
        !letterdates_get(c->dates, letter, out->date, &out->date_kind,
                         &out->date_curated)) {
        corpus_done(c, st);
        return 0;
    }
    out->letter = (int)letter;
    out->para = sqlite3_column_int(st, 1);
    out->text = corpus_dup_column(st, 2);
    out->corrected = sqlite3_column_int(st, 3) != 0;
    corpus_done(c, st);
    out->sender = strdup(cell->sender);
    out->recipient = strdup(cell->recipient);
    if (!out->text || !out->sender || !out->recipient) {
        passage_clear(out);
        error_set(err, STATUS_ERROR, "corpus: out of memory");
        return -1;
    }
    return 1;
}

Status corpus_pick(Corpus *c, const PassageFilter *f, long k, Passage *out,
                   Error *err)
{
    const Cell *cells;
    size_t ncells, at = 0;
    sqlite3_int64 cell = -1, id;
    long before = 0;

    if (k < 0)
        return STATUS_NOTFOUND;
    if (corpus_cells(c, &cells, &ncells, err) != STATUS_OK)
        return STATUS_ERROR;
    for (size_t i = 0; i < ncells; i++) {
        if (!corpus_cell_matches(&cells[i], f))
            continue;
        if (k < before + (long)cells[i].n) {
            cell = cells[i].id;
            at = i;
            break;
        }
        before += (long)cells[i].n;
    }
    if (cell < 0)
        return STATUS_NOTFOUND;

    /* A cell asked for the first time reads its ids, and the first pick
     * after a change the letters' dates: scans, under the deadline; the
     * lookups are not. */
    corpus_begin(c);
    bool known = cells_passage(c->cells, at, k - before, &id);
    bool dated = known && corpus_dates(c);
    corpus_lookup(c);
    sqlite3_stmt *st;
    if (dated) {
        int got = corpus_pick_row(c, &cells[at], id, out, err);
        if (got != 0)
            return got > 0 ? STATUS_OK : STATUS_ERROR;
        corpus_lookup(c);
    }
    if (known) {
        st = c->st[ST_BY_PASSAGE];
        sqlite3_bind_int64(st, 1, id);
    } else {
        st = c->st[ST_BY_CELL];
        sqlite3_bind_int64(st, 1, cell);
        sqlite3_bind_int64(st, 2, k - before);
    }
    corpus_bind_addressees(c, st);
    return corpus_one_passage(c, st, -1, out, "pick", err);
}
bool corpus_passed_over(const PassageFilter *f, const Passage *p)
{
    if (!f)
        return false;
    if (f->avoid_letter && p->letter == f->avoid_letter &&
        p->para == f->avoid_para)
        return true;
    return f->min_chars > 0 && p->text &&
           !utf8_length_at_least(p->text, strlen(p->text),
                                 (size_t)f->min_chars);
}

/* arc4random_uniform: unbiased, and seeded by the kernel. */
static long corpus_random_index(long n)
{
    return n > 0xffffffffL ? (long)arc4random() % n
                           : (long)arc4random_uniform((unsigned)n);
}

Status corpus_random(Corpus *c, const PassageFilter *f, Passage *out,
                     Error *err)
{
    Passage first;
    long n;
    Status rc = corpus_count(c, f, &n, err);
    if (rc != STATUS_OK)
        return rc;
    if (n <= 0)
        return STATUS_NOTFOUND;
    long k = corpus_random_index(n);
    if ((rc = corpus_pick(c, f, k, &first, err)) != STATUS_OK ||
        !corpus_passed_over(f, &first)) {
        *out = first;
        return rc;
    }
    /* Draws stay uniform over the wanted passages; the walk after them is
     * a bounded last resort for filters where nearly all are passed over,
     * and is as long as the filter when it is small. */
    long tries = n < CORPUS_RANDOM_TRIES / 2 ? 2 * n : CORPUS_RANDOM_TRIES;
    long walk = n - 1 < CORPUS_RANDOM_WALK ? n - 1 : CORPUS_RANDOM_WALK;
    for (long i = 1; i < tries + walk; i++) {
        k = i < tries ? corpus_random_index(n) : (k + 1) % n;
        if ((rc = corpus_pick(c, f, k, out, err)) != STATUS_OK) {
            passage_clear(&first);
            return rc;
        }
        if (!corpus_passed_over(f, out)) {
            passage_clear(&first);
            return STATUS_OK;
        }
        passage_clear(out);
    }
    *out = first;
    return STATUS_OK;
}

Status corpus_get(Corpus *c, int letter, int para, Passage *out, Error *err)
{
    const Cell *cells;
    size_t ncells;
    if (corpus_cells(c, &cells, &ncells, err) != STATUS_OK)
        return STATUS_ERROR; /* the set must be this snapshot's */
    corpus_lookup(c);
    sqlite3_stmt *st = c->st[ST_BY_ID];
    sqlite3_bind_int(st, 1, letter);
    sqlite3_bind_int(st, 2, para);
    corpus_bind_addressees(c, st);
    return corpus_one_passage(c, st, -1, out, "get", err);
}

/* A search candidate: passage rowid and its bm25 rank (lower is better). */
typedef struct {
    sqlite3_int64 id;
    double rank;
} CorpusHit;

/* By passage id only: a search's matches as read. */
static int corpus_hit_id_cmp(const void *a, const void *b)
{
    const CorpusHit *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int corpus_hit_cmp(const void *a, const void *b)
{
    const CorpusHit *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Chooses f's cells in the passage map: STATUS_OK, STATUS_NOTFOUND when
 * the map cannot serve (c->no_cells: because no cell matches f), or
 * STATUS_ERROR. */
static Status corpus_map_filter(Corpus *c, const PassageFilter *f, Error *err)
{
    sqlite3_int64 ids[CORPUS_FILTER_CELLS], sizes[CORPUS_FILTER_CELLS];
    const Cell *cells;
    size_t n = 0, ncells;

    c->no_cells = false;
    if (corpus_cells(c, &cells, &ncells, err) != STATUS_OK)
        return STATUS_ERROR;
    for (size_t i = 0; i < ncells; i++) {
        if (!corpus_cell_matches(&cells[i], f))
            continue;
        if (n == CORPUS_FILTER_CELLS)
            return STATUS_NOTFOUND; /* SQL filters it instead */
        ids[n] = cells[i].id;
        sizes[n++] = cells[i].n;
    }
    if (n == 0) {
        c->no_cells = true;
        return STATUS_NOTFOUND;
    }
    corpus_begin(c);
    Status mapped = passmap_select(c->pmap, ids, sizes, n, err);
    corpus_end(c);
    return mapped;
}

/* Steps search statement st into hits (at most bound + 1 rows), with known (rank.h) bound as what the ranking knows of the
 * phrases' passage counts.  The number of rows, or -1 on error (err). */
static long corpus_search_read(Corpus *c, sqlite3_stmt *st,
                               const SearchQuery *q, const PassageFilter *f,
                               bool with_map, long bound, long known,
                               CorpusHit *hits, Error *err)
{
    long n = 0;
    int rc;

    corpus_begin(c);
    sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    if (st == c->st[ST_SEARCH_TOP_F]) {
        sqlite3_bind_text(st, 2, f->sender, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, f->recipient, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, f->year);
    }
    if (with_map)
        sqlite3_bind_pointer(st, 6, c->pmap, PASSMAP_POINTER, NULL);
    sqlite3_bind_int64(st, 5, bound + 1);
    sqlite3_bind_int64(st, 7, known);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        hits[n].id = sqlite3_column_int64(st, 0);
        hits[n].rank = sqlite3_column_double(st, 1);
        n++;
    }
    if (rc != SQLITE_DONE) {
        corpus_fail(c, st, "search", err);
        return -1;
    }
    corpus_done(c, st);
    return n;
}

/* A search's walk of a word's list (toplist.h), for result `offset`. */
typedef struct {
    const SearchQuery *q;
    const PassageFilter *f;
    bool filtered, in_map; /* the map checks the filter */
    long kept;             /* list passages that matched so far */
} CorpusListWalk;

/* Whether list passage id matches the query and the filter: STATUS_OK,
 * STATUS_NOTFOUND or STATUS_ERROR.  A one-word query without exclusions
 * matches every passage of its word's list, so only the filter is asked,
 * from the passage map when it serves. */
static Status corpus_list_keeps(Corpus *c, CorpusListWalk *w, sqlite3_int64 id,
                                Error *err)
{
    if (w->filtered && w->in_map && !passmap_has(c->pmap, id))
        return STATUS_NOTFOUND;
    if (w->q->nexcluded == 0 && (!w->filtered || w->in_map))
        return STATUS_OK;
    sqlite3_stmt *st = c->st[ST_SEARCH_PROBE];
    bool sql_filter = w->filtered && !w->in_map;
    corpus_begin(c);
    sqlite3_bind_text(st, 1, w->q->match, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sql_filter ? w->f->sender : NULL, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sql_filter ? w->f->recipient : NULL, -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 4, sql_filter ? w->f->year : 0);
    sqlite3_bind_int64(st, 5, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return corpus_fail(c, st, "search", err);
    corpus_done(c, st);
    return rc == SQLITE_ROW ? STATUS_OK : STATUS_NOTFOUND;
}

static int corpus_id_cmp(const void *a, const void *b)
{
    sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
    return (x > y) - (x < y);
}

/* Result `offset` of a one-word query over the bound, into *id: first the
 * word's list passages that match, in the list's order, then the other
 * window matches hits[0..nhits) (already in ranking order).  STATUS_OK,
 * STATUS_NOTFOUND (no such result, or no list: *listed false), or
 * STATUS_ERROR. */
static Status corpus_search_listed(Corpus *c, CorpusListWalk *w,
                                   const CorpusHit *hits, long nhits,
                                   long offset, sqlite3_int64 *id,
                                   bool *listed, Error *err)
{
    sqlite3_int64 *ids = NULL;
    size_t nids = 0;
    Status rc;

    *listed = false;
    if (!c->top && !(c->top = toplist_open(c->db, err)))
        return STATUS_ERROR;
    corpus_begin(c);
    rc = toplist_get(c->top, w->q->only, &ids, &nids, err);
    corpus_end(c);
    if (rc != STATUS_OK)
        return rc;
    *listed = true;
    for (size_t i = 0; i < nids; i++) {
        if ((rc = corpus_list_keeps(c, w, ids[i], err)) == STATUS_ERROR)
            goto done;
        if (rc == STATUS_OK && w->kept++ == offset) {
            *id = ids[i];
            goto done;
        }
    }
    /* Past the list: every other match ranks after each listed one. */
    qsort(ids, nids, sizeof *ids, corpus_id_cmp);
    rc = STATUS_NOTFOUND;
    for (long i = 0; i < nhits; i++) {
        if (bsearch(&hits[i].id, ids, nids, sizeof *ids, corpus_id_cmp))
            continue;
        if (w->kept++ == offset) {
            *id = hits[i].id;
            rc = STATUS_OK;
            break;
        }
    }
done:
    free(ids);
    return rc;
}

/* A list candidate (corpus_search_candidates): in how many of the query's
 * words' lists it is, and the sum of its places there. */
typedef struct {
    uint32_t id; /* 0: empty (ids start at 1; lists hold 4-byte ids) */
    int32_t lists;
    int32_t places;
} CorpusCand;

/* More promising first: in more lists, then better places, then id. */
static int corpus_cand_cmp(const void *a, const void *b)
{
    const CorpusCand *x = a, *y = b;
    if (x->lists != y->lists)
        return x->lists > y->lists ? -1 : 1;
    if (x->places != y->places)
        return x->places < y->places ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Scores passage id for the query and the filter (ST_SEARCH_SCORE[_F])
 * into hits[*n] when it matches: STATUS_OK (matched or not) or
 * STATUS_ERROR. */
static Status corpus_search_score(Corpus *c, sqlite3_stmt *st,
                                  const SearchQuery *q, const PassageFilter *f,
                                  bool sql_filter, bool with_map,
                                  sqlite3_int64 id, CorpusHit *hits, long *n,
                                  Error *err)
{
    corpus_begin(c);
    sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    if (sql_filter) {
        sqlite3_bind_text(st, 2, f->sender, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, f->recipient, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, f->year);
    }
    sqlite3_bind_int64(st, 5, id);
    if (with_map)
        sqlite3_bind_pointer(st, 6, c->pmap, PASSMAP_POINTER, NULL);
    sqlite3_bind_int64(st, 7, RANK_DF_CAP);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        hits[*n].id = id;
        hits[*n].rank = sqlite3_column_double(st, 0);
        ++*n;
    } else if (step != SQLITE_DONE) {
        return corpus_fail(c, st, "search", err);
    }
    corpus_done(c, st);
    return STATUS_OK;
}

/* Whether passage id's text holds the query's positive terms, read by
 * itself (toplist_holds): 1, 0 (it cannot match), -1 (cannot say, or an
 * error in err: STATUS_ERROR in *failed). */
static int corpus_passage_holds(Corpus *c, sqlite3_stmt *st, sqlite3_int64 id,
                                const TopPhrase *phrases, int n, bool *failed,
                                Error *err)
{
    int holds = -1;
    corpus_begin(c);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        if (text)
            holds = toplist_holds(c->top, text, (size_t)len, phrases, n);
    } else if (rc != SQLITE_DONE) {
        *failed = true;
        corpus_fail(c, st, "search", err);
        return -1;
    }
    corpus_done(c, st);
    return holds;
}

/* Candidates for a query over its bound that no one list ranks (several
 * words, a phrase), scored by the real ranking if they match the query
 * and the filter, appended to hits from hits[*n]; hits[0..nread) are the
 * matches read (sorted by id), which are not scored twice.
 *
 * A candidate is scored by one FTS5 lookup (ST_SEARCH_SCORE): 60-100 us
 * for three words at 100k to 1M passages (a seek per term in each of the
 * index's segments, a million instructions), as much as reading several
 * hundred matches.  So candidates are taken in order of promise: first
 * the passages in the lists (toplist.h) of two or more of the query's
 * words (each holds those words and is among the best for each), most
 * lists and best places first, then the first passage of each list; the
 * text of each (up to CORPUS_LIST_CHECKS) is read and tokenized first
 * (toplist_holds: a row by key and the tokenizer, no index segments), and
 * only those holding every positive term are looked up in the index, up
 * to CORPUS_LIST_CANDIDATES (the lookup also checks exclusions and the
 * filter, and gives the score).  The lists are merged in memory. */
static Status corpus_search_candidates(Corpus *c, const SearchQuery *q,
                                       const PassageFilter *f, bool filtered,
                                       bool mapped, bool with_map, long nread,
                                       CorpusHit *hits, long *n, Error *err)
{
    char words[SEARCHQ_MAX_TERMS][SEARCHQ_MAX_TERM + 1];
    int nwords = searchq_words(q, words, SEARCHQ_MAX_TERMS), nlists = 0;
    sqlite3_int64 *lists[SEARCHQ_MAX_TERMS] = {NULL};
    size_t sizes[SEARCHQ_MAX_TERMS] = {0};
    CorpusCand *slots = NULL;
    bool sql_filter = filtered && !mapped;
    Status result = STATUS_ERROR;
    sqlite3_int64 probed[CORPUS_LIST_CANDIDATES];
    long probes = 0, checks = 0;
    char terms[SEARCHQ_MAX_TERMS][SEARCHQ_MAX_TERM + 1];
    TopPhrase phrases[SEARCHQ_MAX_TERMS];
    int nterms = searchq_positive(q, terms, SEARCHQ_MAX_TERMS);
    bool failed = false;
    sqlite3_stmt *st =
        corpus_stmt(c, sql_filter ? ST_SEARCH_SCORE_F : ST_SEARCH_SCORE, err);
    sqlite3_stmt *text = st ? corpus_stmt(c, ST_SEARCH_TEXT, err) : NULL;

    if (!text || (!c->top && !(c->top = toplist_open(c->db, err))))
        return STATUS_ERROR;
    for (int i = 0; i < nterms; i++)
        if (toplist_phrase(c->top, terms[i], &phrases[i]) < 0)
            nterms = -1; /* checked by FTS5 alone */
    for (int w = 0; w < nwords; w++) {
        corpus_begin(c);
        Status rc = toplist_get(c->top, words[w], &lists[nlists],
                                &sizes[nlists], err);
        corpus_end(c);
        if (rc == STATUS_ERROR)
            goto done;
        nlists += rc == STATUS_OK;
    }
    if (nlists == 0) {
        result = STATUS_OK;
        goto done;
    }
    /* The lists merged: an open-addressed table of the passages in them,
     * at most half full (12 bytes a slot: 96 KiB for three lists). */
    size_t total = 0, nslots = 1024;
    int shift = 64 - 10;
    for (int l = 0; l < nlists; l++) total += sizes[l];
    while (nslots < 2 * total + SEARCHQ_MAX_TERMS) {
        nslots *= 2;
        shift--;
    }
    if (!(slots = calloc(nslots, sizeof *slots))) {
        error_set(err, STATUS_ERROR, "corpus: out of memory");
        goto done;
    }
    for (int l = 0; l < nlists; l++)
        for (size_t i = 0; i < sizes[l]; i++) {
            uint32_t id = (uint32_t)lists[l][i];
            size_t h = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15u >> shift);
            while (slots[h].id && slots[h].id != id)
                h = (h + 1) & (nslots - 1);
            slots[h].id = id;
            slots[h].lists++;
            slots[h].places += (int32_t)i;
        }
    /* Those in two lists or more, to the front, best first. */
    size_t nmulti = 0;
    for (size_t h = 0; h < nslots; h++)
        if (slots[h].id && slots[h].lists > 1)
            slots[nmulti++] = slots[h];
    qsort(slots, nmulti, sizeof *slots, corpus_cand_cmp);
    /* Then each list's first (a passage may come twice: the check below
     * skips what was probed).  The table is done with: its slots after
     * the multi-list ones hold them. */
    size_t next = nmulti;
    for (int l = 0; l < nlists; l++)
        if (sizes[l] > 0)
            slots[next++] =
                (CorpusCand){.id = (uint32_t)lists[l][0], .lists = 1};
    for (size_t i = 0; i < next && probes < CORPUS_LIST_CANDIDATES &&
                       checks < CORPUS_LIST_CHECKS;
         i++) {
        CorpusHit key = {.id = slots[i].id};
        sqlite3_int64 id = key.id;
        bool seen = bsearch(&key, hits, (size_t)nread, sizeof *hits,
                            corpus_hit_id_cmp) != NULL;
        for (long k = 0; k < probes && !seen; k++)
            seen = probed[k] == id;
        if (seen || (filtered && mapped && !passmap_has(c->pmap, id)))
            continue;
        if (nterms > 0) {
            checks++;
            int holds = corpus_passage_holds(c, text, id, phrases, nterms,
                                             &failed, err);
            if (failed)
                goto done;
            if (holds == 0)
                continue; /* cannot match: no FTS5 lookup */
        }
        probed[probes++] = id;
        if (corpus_search_score(c, st, q, f, sql_filter, with_map, id, hits,
                                n, err) != STATUS_OK)
            goto done;
    }
    result = STATUS_OK;
done:
    for (int l = 0; l < nlists; l++) free(lists[l]);
    free(slots);
    return result;
}

/* Ranking and bound, as the man page says.  Matches are read in passage
 * order, at most bound + 1 of them (CORPUS_SEARCH_BOUND, or
 * CORPUS_PHRASE_BOUND for a query with a phrase), scored by missive_bm25
 * (rank.h); the count is exact up to the bound, "over" it beyond.
 *  - Up to the bound, every match is read and ranked: exact.  (A query
 *    with a phrase and another term is read first as if each phrase were
 *    in RANK_DF_CAP passages, then scored again with the real weights; a
 *    query of one phrase needs no weight: one term's weight scales every
 *    score alike.)
 *  - Over CORPUS_SEARCH_BOUND, each phrase is in more than RANK_DF_CAP
 *    passages (the matches are among its own), so every weight is the
 *    capped one.  Over CORPUS_PHRASE_BOUND, a query with a phrase is
 *    weighed so too (for one phrase alone that changes no order; with
 *    other words, a phrase in fewer than RANK_DF_CAP passages weighs a
 *    little less than a full count would give it).
 *    A query of one word (any filters and -exclusions) then ranks as its
 *    word's list does (toplist.h): the results are the list's passages
 *    that match, in its order, then the other matches read, best first;
 *    every passage not listed ranks after every listed one, so the
 *    results up to the last listed match are exactly the best of all
 *    matches.  Any other query (several words, a phrase) ranks the first
 *    `bound` matches together with the candidates of
 *    corpus_search_candidates that match the query and the filter: up to
 *    CORPUS_LIST_CANDIDATES of the CORPUS_LIST_CHECKS first passages in
 *    two or more of its words' lists,
 *    then the first of each list.  Guaranteed: Result 1 is at least as
 *    good as the best of the first matches, and as each of those
 *    candidates.  Not guaranteed: the best of all matches, when it is
 *    among none of the candidates (the lists cannot bound a sum of
 *    several words' scores tightly enough to prove a best: their 1000th
 *    scores are near the maxima).  A prefix* or a word without a list
 *    adds no candidates. */
_Static_assert(CORPUS_SEARCH_BOUND >= RANK_DF_CAP &&
                   TOPLIST_MIN_DF <= CORPUS_SEARCH_BOUND &&
                   CORPUS_PHRASE_BOUND <= CORPUS_SEARCH_BOUND &&
                   CORPUS_LIST_CANDIDATES > 0,
               "a query over the bound must have weights and lists");

long corpus_search_bound(const SearchQuery *q)
{
    return q->nphrases > 0 ? CORPUS_PHRASE_BOUND : CORPUS_SEARCH_BOUND;
}

Status corpus_search(Corpus *c, const SearchQuery *q, const PassageFilter *f,
                     const SnippetMarks *marks, long offset, Passage *out,
                     long *total, Error *err)
{
    static const PassageFilter any = {0};
    CorpusHit *hits = NULL;
    sqlite3_int64 id = 0;
    long n, bound = corpus_search_bound(q);
    bool mapped = false;

    *total = 0;
    if (!q->match[0])
        return error_set(err, STATUS_INVALID, "nothing to search for");
    if (!f)
        f = &any;
    bool filtered = f->sender || f->recipient || f->year;
    enum corpus_stmt top = ST_SEARCH_TOP;
    corpus_begin(c);
    Status usable = passmap_check(c->pmap, err);
    corpus_end(c);
    if (usable == STATUS_ERROR)
        return STATUS_ERROR;
    if (filtered) {
        Status m = usable == STATUS_OK ? corpus_map_filter(c, f, err)
                                       : STATUS_NOTFOUND;
        if (m == STATUS_ERROR)
            return STATUS_ERROR;
        if (m == STATUS_NOTFOUND && c->no_cells)
            return STATUS_NOTFOUND; /* no passage has these authors/year */
        mapped = m == STATUS_OK;
        top = mapped ? ST_SEARCH_TOP_M : ST_SEARCH_TOP_F;
    }
    sqlite3_stmt *st = corpus_stmt(c, top, err);
    if (!st || !corpus_stmt(c, ST_SEARCH, err) ||
        !corpus_stmt(c, ST_SEARCH_PROBE, err))
        return STATUS_ERROR;
    size_t room = (size_t)bound + 1 + CORPUS_LIST_CANDIDATES;
    if (!(hits = malloc(room * sizeof *hits)))
        return error_set(err, STATUS_ERROR, "corpus: out of memory");
    /* A word's weight costs a read of at most RANK_DF_CAP of its index
     * entries; a phrase's, a position check of every passage holding all
     * its words until RANK_DF_CAP hold it, which can cost more than the
     * search itself: phrases are weighed once the count says how. */
    bool phrased = q->nphrases > 0;
    n = corpus_search_read(c, st, q, f, usable == STATUS_OK, bound,
                           phrased ? RANK_DF_CAP : 0, hits, err);
    if (phrased && q->nterms > 1 && n > 0 && n <= bound) {
        long again = corpus_search_read(c, st, q, f, usable == STATUS_OK,
                                        bound, 0, hits, err);
        if (again >= 0 && again != n)
            n = again; /* changed between the reads (another connection) */
        else if (again < 0)
            n = -1;
    }
    if (n < 0) {
        free(hits);
        return STATUS_ERROR;
    }
    *total = n;
    long ranked = n > bound ? bound : n;
    Status found = STATUS_NOTFOUND;
    bool listed = false;
    if (offset >= 0 && n > bound && q->only[0] && !phrased) {
        qsort(hits, (size_t)ranked, sizeof *hits, corpus_hit_cmp);
        CorpusListWalk w = {
            .q = q, .f = f, .filtered = filtered, .in_map = mapped};
        found = corpus_search_listed(c, &w, hits, ranked, offset, &id, &listed,
                                     err);
    } else if (offset >= 0 && n > bound) {
        /* The matches were read in passage order, so hits[0..ranked) is
         * sorted by id for the candidates' check (sorted again if not). */
        long all = ranked;
        for (long i = 1; i < ranked; i++)
            if (hits[i - 1].id > hits[i].id) {
                qsort(hits, (size_t)ranked, sizeof *hits, corpus_hit_id_cmp);
                break;
            }
        if (corpus_search_candidates(c, q, f, filtered, mapped,
                                     usable == STATUS_OK, ranked, hits, &all,
                                     err) != STATUS_OK)
            found = STATUS_ERROR;
        ranked = all;
    }
    if (!listed && found != STATUS_ERROR) {
        if (!(n > bound && q->only[0] && !phrased))
            qsort(hits, (size_t)ranked, sizeof *hits, corpus_hit_cmp);
        if (offset >= 0 && offset < ranked) {
            id = hits[offset].id;
            found = STATUS_OK;
        }
    }
    free(hits);
    if (found != STATUS_OK)
        return found;

    corpus_begin(c);
    st = c->st[ST_SEARCH];
    sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, marks && marks->open ? marks->open : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 4, marks && marks->close ? marks->close : "", -1,
                      SQLITE_STATIC);
    return corpus_one_passage(c, st, 9, out, "search", err);
}

void letter_info_clear(LetterInfo *l)
{
    free(l->sender);
    free(l->recipient);
    free(l->heading);
    free(l->source);
    memset(l, 0, sizeof *l);
}

Status corpus_letter(Corpus *c, int letter, LetterInfo *out, Error *err)
{
    sqlite3_stmt *st = corpus_stmt(c, ST_LETTER, err);
    int rc;

    memset(out, 0, sizeof *out);
    if (!st)
        return STATUS_ERROR;
    corpus_lookup(c);
    sqlite3_bind_int(st, 1, letter);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        corpus_done(c, st);
        return STATUS_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return corpus_fail(c, st, "letter", err);
    out->letter = sqlite3_column_int(st, 0);
    out->sender = corpus_dup_column(st, 1);
    out->recipient = corpus_dup_column(st, 2);
    corpus_read_date(st, 3, out->date, &out->date_kind, &out->date_curated);
    out->heading = corpus_dup_column(st, 6);
    out->source = sqlite3_column_type(st, 7) == SQLITE_NULL
                      ? NULL
                      : corpus_dup_column(st, 7);
    out->number = sqlite3_column_int(st, 8);
    out->passages = sqlite3_column_int(st, 9);
    corpus_done(c, st);
    if (!out->sender || !out->recipient || !out->heading) {
        letter_info_clear(out);
        return error_set(err, STATUS_ERROR, "corpus: out of memory");
    }
    return STATUS_OK;
}

Status corpus_dated(Corpus *c, corpus_dated_fn fn, void *ud, Error *err)
{
    sqlite3_stmt *st = corpus_stmt(c, ST_DATED, err);
    int rc;

    if (!st)
        return STATUS_ERROR;
    corpus_begin(c);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *date = (const char *)sqlite3_column_text(st, 1);
        if (date && dates_iso_valid(date) &&
            fn(sqlite3_column_int(st, 0), date, ud))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return corpus_fail(c, st, "dated letters", err);
    corpus_done(c, st);
    return STATUS_OK;
}

/* The letters_date index answers "written on this day" with one lookup per
 * year in the corpus's span instead of a pass over every letter; a span of
 * more than CORPUS_DATED_YEARS years is left to corpus_dated. */
#define CORPUS_DATED_YEARS 400

Status corpus_dated_on(Corpus *c, int month, int day, int *letter,
                       Error *err)
{
    sqlite3_stmt *span = NULL, *on = NULL;
    Status result = STATUS_NOTFOUND;
    int first = 0, last = -1;

    *letter = 0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT (SELECT min(date) FROM letters),"
                           " (SELECT max(date) FROM letters)",
                           -1, &span, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT min(id) FROM letters WHERE date = ?1", -1,
                           &on, NULL) != SQLITE_OK) {
        result = error_set(err, STATUS_ERROR, "corpus: dated: %s",
                           sqlite3_errmsg(c->db));
        goto done;
    }
    corpus_begin(c);
    if (sqlite3_step(span) != SQLITE_ROW) {
        result = error_set(err, STATUS_ERROR, "corpus: dated: %s",
                           sqlite3_errmsg(c->db));
        goto done;
    }
    if (sqlite3_column_type(span, 0) != SQLITE_NULL) {
        first = atoi((const char *)sqlite3_column_text(span, 0));
        last = atoi((const char *)sqlite3_column_text(span, 1));
    }
    if (last - first > CORPUS_DATED_YEARS)
        goto done;
    for (int year = first; year <= last && year <= 9999; year++) {
        char iso[40];
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", year, month, day);
        sqlite3_bind_text(on, 1, iso, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(on);
        if (rc != SQLITE_ROW) {
            result = error_set(err, STATUS_ERROR, "corpus: dated: %s",
                               sqlite3_errmsg(c->db));
            goto done;
        }
        int id = sqlite3_column_int(on, 0);
        if (sqlite3_column_type(on, 0) != SQLITE_NULL &&
            (*letter == 0 || id < *letter)) {
            *letter = id;
            result = STATUS_OK;
        }
        sqlite3_reset(on);
    }
done:
    sqlite3_finalize(span);
    sqlite3_finalize(on);
    corpus_end(c);
    return result;
}

Status corpus_sources(Corpus *c, char *out, size_t outsz, Error *err)
{
    sqlite3_stmt *st = corpus_stmt(c, ST_SOURCES, err);
    size_t len = 0;
    int rc;

    out[0] = '\0';
    if (!st)
        return STATUS_ERROR;
    corpus_begin(c);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int w = snprintf(out + len, outsz - len, "%s%s", len ? "; " : "",
                         (const char *)sqlite3_column_text(st, 0));
        if (w < 0 || (size_t)w >= outsz - len) {
            len = outsz - 1; /* cut; the caller cuts again to its budget */
            break;
        }
        len += (size_t)w;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return corpus_fail(c, st, "sources", err);
    corpus_done(c, st);
    return STATUS_OK;
}

Status corpus_reply(Corpus *c, const char *message, const char *sender,
                    Passage *out, Error *err)
{
    return corpus_reply_ex(c, message, sender, NULL, out, err);
}

/* out->snippet: the sentences [start, end) of out->text that answer, with
 * "…" where text is left out before or after; NULL when they are the
 * whole passage.  The chat layer shows it when the passage is too long. */
static Status corpus_reply_excerpt(Passage *out, int start, int end, Error *err)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* … */
    size_t len = strlen(out->text), a = (size_t)start, b = (size_t)end, n = 0;

    if (start < 0 || end <= start || b > len || (a == 0 && b == len))
        return STATUS_OK;
    if (!(out->snippet = malloc(b - a + 2 * sizeof ellipsis + 2))) {
        passage_clear(out);
        return error_set(err, STATUS_ERROR, "corpus: out of memory");
    }
    if (a > 0) {
        memcpy(out->snippet, ellipsis, sizeof ellipsis - 1);
        n = sizeof ellipsis - 1;
        out->snippet[n++] = ' ';
    }
    memcpy(out->snippet + n, out->text + a, b - a);
    n += b - a;
    if (b < len) {
        out->snippet[n++] = ' ';
        memcpy(out->snippet + n, ellipsis, sizeof ellipsis - 1);
        n += sizeof ellipsis - 1;
    }
    out->snippet[n] = '\0';
    return STATUS_OK;
}

Status corpus_reply_ex(Corpus *c, const char *message, const char *sender,
                       const ReplyAvoid *avoid, Passage *out, Error *err)
{
    /* The ranking is reply.c's; here only the passage it names is read. */
    ReplyQuery q = {
        .message = message, .sender = sender, .aliases = c->aliases};
    ReplyResult r;

    if (avoid) {
        q.avoid_letter = avoid->letter;
        q.avoid_para = avoid->para;
    }
    corpus_begin(c);
    Status rc = reply_best(c->db, &q, &r, err);
    corpus_end(c);
    if (rc != STATUS_OK)
        return rc;
    if ((rc = corpus_get(c, r.letter, r.para, out, err)) != STATUS_OK)
        return rc;
    return corpus_reply_excerpt(out, r.excerpt_start, r.excerpt_end, err);
}

/* One value of a one-row query: an int into *num, or text into text. */
static Status corpus_scalar(Corpus *c, const char *sql, int *num, char *text,
                            size_t textsz, Error *err)
{
    sqlite3_stmt *st;
    if (text)
        text[0] = '\0';
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return error_set(err, STATUS_ERROR, "corpus: stats: %s",
                         sqlite3_errmsg(c->db));
    corpus_begin(c);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && num)
        *num = sqlite3_column_int(st, 0);
    if (rc == SQLITE_ROW && text && sqlite3_column_text(st, 0))
        snprintf(text, textsz, "%s", (const char *)sqlite3_column_text(st, 0));
    if (rc != SQLITE_ROW)
        error_set(err, STATUS_ERROR, "corpus: stats: %s",
                  sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    corpus_end(c);
    return rc == SQLITE_ROW ? STATUS_OK : STATUS_ERROR;
}

/* Stats are asked rarely: preparing on demand keeps Corpus small.  No
 * statement scans a table: letters and undated letters are kept by
 * triggers (corpus_counts), passages by the import (passage_stats), the
 * dates come from the letters_date index and the emended passages from a
 * partial index; people and files are a handful of rows. */
Status corpus_stats(Corpus *c, CorpusStats *s, Error *err)
{
    memset(s, 0, sizeof *s);
    if (corpus_scalar(c, "SELECT letters FROM corpus_counts", &s->letters,
                      NULL, 0, err) ||
        corpus_scalar(c,
                      "SELECT coalesce((SELECT n FROM passage_stats"
                      " WHERE sender = ''), 0)",
                      &s->passages, NULL, 0, err) ||
        corpus_scalar(c, "SELECT count(*) FROM people", &s->people, NULL, 0,
                      err) ||
        corpus_scalar(c, "SELECT count(*) FROM files", &s->files, NULL, 0,
                      err) ||
        corpus_scalar(c, "SELECT undated FROM corpus_counts",
                      &s->undated_letters, NULL, 0, err) ||
        corpus_scalar(c, "SELECT count(*) FROM passages WHERE corrected",
                      &s->corrected_passages, NULL, 0, err) ||
        corpus_scalar(c, "SELECT min(date) FROM letters", NULL, s->first_date,
                      sizeof s->first_date, err) ||
        corpus_scalar(c, "SELECT max(date) FROM letters", NULL, s->last_date,
                      sizeof s->last_date, err))
        return STATUS_ERROR;
    return STATUS_OK;
}

/* The people's names in memory, current for this command's snapshot:
 * read again with the cells (people are added by an import, with letters,
 * which moves the cells' generation).  False when they cannot be read. */
static bool corpus_people(Corpus *c)
{
    const Cell *cells;
    size_t n;
    sqlite3_stmt *st = NULL;
    int rc;
    if (corpus_cells(c, &cells, &n, NULL) != STATUS_OK)
        return false;
    uint64_t gen = cells_generation(c->cells);
    if (c->people_gen == gen)
        return true;
    corpus_people_clear(c);
    corpus_lookup(c);
    if (sqlite3_prepare_v2(c->db, "SELECT name FROM people ORDER BY id", -1,
                           &st, NULL) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        if (array_grow(&c->people, &c->people_cap, c->npeople + 1,
                       sizeof *c->people) != STATUS_OK ||
            !(c->people[c->npeople] =
                  strdup(name ? (const char *)name : "")))
            goto fail;
        c->npeople++;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    corpus_end(c);
    c->people_gen = gen;
    return true;

fail:
    sqlite3_finalize(st);
    corpus_end(c);
    corpus_people_clear(c);
    return false;
}

/* The people table is a handful of rows that no index serves NOCASE: a
 * scan either way, and in memory without a statement's cost.
 * sqlite3_stricmp folds as NOCASE does (ASCII only). */
bool corpus_person(Corpus *c, const char *word, char *out, size_t outsz)
{
    if (corpus_people(c)) {
        for (size_t i = 0; i < c->npeople; i++) {
            if (sqlite3_stricmp(c->people[i], word) == 0) {
                snprintf(out, outsz, "%s", c->people[i]);
                return true;
            }
        }
        return false;
    }
    corpus_lookup(c);
    sqlite3_stmt *st = c->st[ST_PERSON];
    bool found = false;
    sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
        found = true;
    }
    corpus_done(c, st);
    return found;
}

/* Steps a prepared walk statement (letter_id, para, shown) into fn under
 * the deadline, and finalizes it. */
static Status corpus_walk(Corpus *c, sqlite3_stmt *st, corpus_each_fn fn,
                          void *ud, Error *err)
{
    Status result = STATUS_OK;
    int rc, stop = 0;

    corpus_begin(c);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 2);
        size_t len = (size_t)sqlite3_column_bytes(st, 2);
        stop = fn(sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                  text ? text : "", text ? len : 0, ud);
        if (stop != 0)
            break;
        /* fn's time counts too, and SQLite only looks at the clock every
         * CORPUS_PROGRESS_OPS steps, which may span many short rows. */
        if (clock_now_ms() > c->deadline_ms) {
            rc = SQLITE_INTERRUPT;
            break;
        }
    }
    if (stop == 0 && rc == SQLITE_INTERRUPT)
        result = error_set(err, STATUS_ERROR, "corpus: each: interrupted");
    else if (stop == 0 && rc != SQLITE_DONE)
        result = error_set(err, STATUS_ERROR, "corpus: each: %s",
                           sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    corpus_end(c);
    return result;
}

/* One full scan, prepared on demand: O(passages), used by !grep only for
 * a pattern with no literal to narrow it (grepnarrow.c); the deadline
 * bounds it, and also the time fn spends between rows. */
Status corpus_each(Corpus *c, corpus_each_fn fn, void *ud, Error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT letter_id, para, shown"
                           " FROM passages ORDER BY letter_id, para",
                           -1, &st, NULL) != SQLITE_OK)
        return error_set(err, STATUS_ERROR, "corpus: each: %s",
                         sqlite3_errmsg(c->db));
    return corpus_walk(c, st, fn, ud, err);
}

Status corpus_each_candidate(Corpus *c, const char *match, corpus_each_fn fn,
                             void *ud, Error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT p.letter_id, p.para, p.shown"
                           " FROM passages_tri JOIN passages p"
                           " ON p.id = passages_tri.rowid"
                           " WHERE passages_tri MATCH ?1"
                           " ORDER BY passages_tri.rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return error_set(err, STATUS_ERROR, "corpus: each: %s",
                         sqlite3_errmsg(c->db));
    sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
    return corpus_walk(c, st, fn, ud, err);
}
