/* concepts.c - what !reply reads precomputed (see concepts.h).
 *
 * Statistics.  Per message, reply.c needs N and the mean passage length
 * (bm25's idf and length norm), of all passages or of one sender's.
 * Counting them per message is a scan of every passage; the import that
 * changes them is rare, so they are counted once there.  The rows follow
 * the shown text (with errata), which is what the FTS index sees.
 *
 * Concepts.  Readers say "nations" where the letters say "countries",
 * "victory" where they say "victorious", "Africa" where they say "Libya".
 * For every word of the letters, WordNet (when the build has it) gives the
 * lemmas a reader might use for it: the other words of its synsets (only its
 * WN_SENSES most frequent senses per part of speech: rare senses make "go"
 * a synonym of "die"), its derivations and pertainyms (lexical pointers from
 * that word), and the wholes it is a part or member of (part and member
 * holonyms: "Libya" is part of "Africa").  Not hypernyms: "a country" is not
 * what a reader means by "Finland".  Each pair is stored as porter stems,
 * made by the index's own tokenizer through a temporary FTS5 table, so
 * reply.c looks a message's stem up directly: concepts(stem, target), the
 * reader's stem and a stem the letters contain.  Only one-word lemmas:
 * reply.c looks up single words.  The running bot reads the table; it
 * never calls WordNet.  Without WordNet the table is simply empty.
 *
 * Senses.  With the pairs, each word of the letters' count of WordNet
 * senses (all parts of speech, of its base form) goes into word_senses by
 * porter stem (the most of the words sharing a stem; words of one sense
 * are left out; words of two letters, such as "go", are counted though
 * they get no pairs): reply.c weighs a word of many senses ("make": 52) as
 * saying less about which passage is meant than its df alone says.
 */
#include "concepts.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "wordset.h"

#ifdef MISSIVE_HAVE_WORDNET
#include <wn.h>
#endif

#define WN_SENSES 3 /* most frequent senses of a word looked at, per POS */
#define WN_WORD 64  /* bytes of a word; longer ones are skipped */
#define WN_MIN_WORD 3
#define WN_MIN_SENSES 2 /* letters of a word counted in word_senses: "go" */
/* An ASCII letter. */
#define CONCEPTS_ALPHA(c) ((unsigned)(((c) | 0x20) - 'a') < 26u)

static Status concepts_exec(sqlite3 *db, const char *sql, Error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "concepts: %s",
                  msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return STATUS_ERROR;
    }
    return STATUS_OK;
}

/* An import that only added passages (ids from first_new on): their
 * counts join their senders' rows, and the whole corpus's row is summed
 * again from the senders' (a few rows). */
static Status concepts_stats_add(sqlite3 *db, sqlite3_int64 first_new,
                                 Error *err)
{
    static const char *const sql =
        "INSERT INTO passage_stats(sender, n, total_len)"
        "  SELECT l.sender, count(*), sum(length(p.shown)) FROM passages p"
        "  JOIN letters l ON l.id = p.letter_id WHERE p.id >= ?1"
        "  GROUP BY l.sender"
        "  ON CONFLICT (sender) DO UPDATE SET n = n + excluded.n,"
        "  total_len = total_len + excluded.total_len";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, first_new);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    return concepts_exec(
        db,
        "INSERT OR REPLACE INTO passage_stats(sender, n, total_len)"
        "  SELECT '', coalesce(sum(n), 0), coalesce(sum(total_len), 0)"
        "  FROM passage_stats WHERE sender <> '';",
        err);
fail:
    error_set(err, STATUS_ERROR, "concepts: %s", sqlite3_errmsg(db));
    return STATUS_ERROR;
}

static Status concepts_stats(sqlite3 *db, Error *err)
{
    return concepts_exec(
        db,
        "DELETE FROM passage_stats;"
        "INSERT INTO passage_stats(sender, n, total_len)"
        "  SELECT l.sender, count(*), sum(length(p.shown)) FROM passages p"
        "  JOIN letters l ON l.id = p.letter_id GROUP BY l.sender;"
        /* The whole corpus from the senders' rows, not a second pass over
         * the text (5 s at a million passages): every passage has its
         * letter (a foreign key), so the sums are the same. */
        "INSERT INTO passage_stats(sender, n, total_len)"
        "  SELECT '', coalesce(sum(n), 0), coalesce(sum(total_len), 0)"
        "  FROM passage_stats WHERE sender <> '';",
        err);
}

#ifdef MISSIVE_HAVE_WORDNET

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *pair;
    sqlite3_stmt *senses; /* (word, its WordNet senses) */
} Builder;

/* The lemma as a reader's word: lower case, one word of letters only
 * ("north_africa", "o'clock" are skipped).  False when it is not one. */
static bool concepts_lemma(const char *lemma, char *out, size_t outsz)
{
    size_t n = strlen(lemma);
    if (n < WN_MIN_WORD || n >= outsz)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)lemma[i];
        if (!isalpha(c) || c >= 0x80)
            return false;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return true;
}

static Status concepts_pair(Builder *b, const char *lemma, const char *word)
{
    char r[WN_WORD];
    if (!concepts_lemma(lemma, r, sizeof r) || strcmp(r, word) == 0)
        return STATUS_OK;
    sqlite3_reset(b->pair);
    sqlite3_bind_text(b->pair, 1, r, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(b->pair, 2, word, -1, SQLITE_TRANSIENT);
    return sqlite3_step(b->pair) == SQLITE_DONE ? STATUS_OK : STATUS_ERROR;
}

/* The 1-based index of base among the synset's words, or 0. */
static int concepts_which(SynsetPtr s, const char *base)
{
    for (int w = 0; w < s->wcount; w++)
        if (strcasecmp(s->words[w], base) == 0)
            return w + 1;
    return 0;
}

static Status concepts_synset(Builder *b, SynsetPtr s, const char *base,
                              const char *word)
{
    int me = concepts_which(s, base);
    for (int w = 0; w < s->wcount; w++)
        if (concepts_pair(b, s->words[w], word) != STATUS_OK)
            return STATUS_ERROR;
    for (int p = 0; p < s->ptrcount; p++) {
        int t = s->ptrtyp[p];
        bool lexical = t == DERIVATION || t == PERTPTR;
        bool holonym = t == ISPARTPTR || t == ISMEMBERPTR;
        if (!lexical && !holonym)
            continue;
        if (lexical && s->pfrm[p] != 0 && s->pfrm[p] != me)
            continue; /* another word of the synset's derivation */
        char none[1] = "";
        SynsetPtr o = read_synset(s->ppos[p], s->ptroff[p], none);
        if (!o)
            continue;
        Status rc = STATUS_OK;
        for (int w = 0; w < o->wcount && rc == STATUS_OK; w++)
            if (!lexical || s->pto[p] == 0 || s->pto[p] == w + 1)
                rc = concepts_pair(b, o->words[w], word);
        free_synset(o);
        if (rc != STATUS_OK)
            return rc;
    }
    return STATUS_OK;
}

/* Whether a word of the letters gets its synsets' words as pairs: not a
 * word of two letters, which WordNet reads as an abbreviation ("in" is
 * Indiana, "us" the United States).  Its senses are still counted ("go"),
 * and it is still the base of irregular forms ("went"). */
static bool concepts_target(const char *word)
{
    return strlen(word) >= WN_MIN_WORD;
}

/* Every pair (reader's lemma, word) for one word of the letters. */
static Status concepts_word(Builder *b, const char *word)
{
    char buf[WN_WORD], base[WN_WORD];
    int senses = 0;
    for (int pos = NOUN; pos <= ADV; pos++) {
        /* The word as it is, else its base form ("troops": "troop").
         * morphstr reads the exception lists by stream, slowly: only on a
         * miss. */
        snprintf(base, sizeof base, "%s", word);
        IndexPtr ix = index_lookup(base, pos);
        if (!ix) {
            snprintf(buf, sizeof buf, "%s", word);
            char *m = morphstr(buf, pos);
            /* A base of two letters is an abbreviation's plural, not the
             * word: "was" is "wa" (Washington, so "America" matched every
             * "was"), "has" is "ha". */
            if (!m || strcmp(m, word) == 0 || strlen(m) < WN_MIN_WORD)
                continue;
            snprintf(base, sizeof base, "%s", m);
            ix = index_lookup(base, pos);
        }
        if (!ix)
            continue;
        senses += ix->off_cnt;
        Status rc = STATUS_OK;
        for (int i = 0; i < ix->off_cnt && i < WN_SENSES && rc == STATUS_OK &&
                        concepts_target(word);
             i++) {
            SynsetPtr s = read_synset(pos, (long)ix->offset[i], base);
            if (!s)
                continue;
            rc = concepts_synset(b, s, base, word);
            free_synset(s);
        }
        free_index(ix);
        if (rc != STATUS_OK)
            return rc;
    }
    if (senses > 1) {
        sqlite3_reset(b->senses);
        sqlite3_bind_text(b->senses, 1, word, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(b->senses, 2, senses);
        if (sqlite3_step(b->senses) != SQLITE_DONE)
            return STATUS_ERROR;
    }
    return STATUS_OK;
}

/* WordNet reads its files by fseek, getc and fgets on every lookup: a
 * binary search of an index or exception list is a few hundred getc calls,
 * a synset a seek and a buffer refill.  For one refresh, and without
 * touching the library's own state:
 *  - every stream bin_search meets (the four index files, the exception
 *    lists morph.c keeps in a static array) is mapped read-only, and the
 *    search runs on the mapping (wn_search, the library's algorithm step for
 *    step, so that it finds what the library finds);
 *  - the four data files are swapped for fmemopen streams over their
 *    mappings with a small buffer (a synset line is a few hundred bytes;
 *    the default 8 KiB buffer was refilled, copied, on every seek), then
 *    put back.
 * Mappings, not copies: only the pages a lookup touches become resident
 * (MADV_RANDOM: no fault-around), where copies of the ~28 MB of files were
 * all resident and made most of the import's peak RSS.  Outside a refresh
 * calls pass through to the library. */
#define WN_MAPS 16
#define WN_LINE_LEN (1024 * 25) /* binsrch.c's LINE_LEN */
#define WN_KEY_LEN 1024         /* binsrch.c's KEY_LEN */
#define WN_DATA_BUF 1024

typedef struct {
    FILE *fp; /* the library's stream */
    const char *map;
    size_t len;
} WnMap;

typedef struct {
    WnMap map[WN_MAPS];
    int n;
    FILE *saved[NUMPARTS + 1], *mem[NUMPARTS + 1];
} WnMem;

static WnMem *wn_mem; /* set only while concepts_wordnet runs */

/* The mapping of fp's file, made on first use; NULL when it cannot be. */
static const WnMap *wn_map(WnMem *m, FILE *fp)
{
    struct stat st;
    for (int i = 0; i < m->n; i++)
        if (m->map[i].fp == fp)
            return &m->map[i];
    int fd = fileno(fp);
    if (m->n == WN_MAPS || fd < 0 || fstat(fd, &st) != 0 || st.st_size < 2)
        return NULL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, (size_t)st.st_size, MADV_RANDOM); /* a hint only */
    WnMap *w = &m->map[m->n++];
    *w = (WnMap){fp, p, (size_t)st.st_size};
    return w;
}

static void wn_unmap_all(WnMem *m)
{
    for (int i = 0; i < m->n; i++)
        munmap((void *)(uintptr_t)m->map[i].map, m->map[i].len);
    m->n = 0;
}

extern long last_bin_search_offset; /* binsrch.c's, read by index_lookup */
char *__real_bin_search(char *key, FILE *fp);
char *__wrap_bin_search(char *key, FILE *fp);

/* libwordnet's bin_search (Debian 3.0-37) on a mapping: seek to mid - 1,
 * skip to the next line start unless mid is 1, read a line (at the end of
 * the file the previous line stays), compare its first word, halve.  Kept
 * step for step, quirks and all: a correct binary search could find a line
 * it misses, and the concept table must not change.  The library copies
 * every line it probes (up to LINE_LEN - 1 bytes, through its newline) and
 * compares the copy's first word: here the word is compared in place, what
 * that copy's strchr and strcmp would see, and only the line found is
 * copied (the copies were most of a refresh's WordNet time). */
static char *wn_search(const WnMap *w, const char *searchkey)
{
    static char line[WN_LINE_LEN];
    const size_t keylen = strlen(searchkey);
    long size = (long)w->len, top = 0, bot = size, mid = size / 2;
    long cur = -1; /* where the line held starts; -1: none yet */

    for (;;) {
        long pos = mid - 1;
        if (mid != 1)
            while (pos < size && w->map[pos++] != '\n')
                ;
        last_bin_search_offset = pos;
        if (pos < size)
            cur = pos;
        if (cur < 0)
            return NULL; /* the library's empty line: no space in it */
        /* The copy's length: through the newline, at most LINE_LEN - 1
         * bytes, not past the end; its first space, before any NUL. */
        long lim = size - cur;
        if (lim > WN_LINE_LEN - 1)
            lim = WN_LINE_LEN - 1;
        const char *s = w->map + cur;
        long k = 0;
        while (k < lim && s[k] != ' ' && s[k] != '\n' && s[k] != '\0') k++;
        if (k >= lim || s[k] != ' ' || k >= WN_KEY_LEN)
            return NULL;
        size_t klen = (size_t)k;
        int cmp = memcmp(s, searchkey, klen < keylen ? klen : keylen);
        if (cmp == 0)
            cmp = (klen > keylen) - (klen < keylen);
        long diff;
        if (cmp == 0) {
            size_t n = 0;
            while (n < (size_t)lim) {
                char c = s[n];
                line[n++] = c;
                if (c == '\n')
                    break;
            }
            line[n] = '\0';
            return line;
        }
        if (cmp < 0) {
            top = mid;
            diff = (bot - top) / 2;
        } else {
            bot = mid;
            diff = (bot - top) / 2;
        }
        mid = top + diff;
        if (diff == 0)
            return NULL;
    }
}

char *__wrap_bin_search(char *key, FILE *fp)
{
    const WnMap *w = wn_mem && fp ? wn_map(wn_mem, fp) : NULL;
    return w ? wn_search(w, key) : __real_bin_search(key, fp);
}

static void wn_mem_open(WnMem *m)
{
    memset(m, 0, sizeof *m);
    for (int pos = 1; pos <= NUMPARTS; pos++) {
        const WnMap *w = datafps[pos] ? wn_map(m, datafps[pos]) : NULL;
        FILE *mem = w ? fmemopen((void *)(uintptr_t)w->map, w->len, "r")
                      : NULL;
        if (!mem)
            continue;
        if (setvbuf(mem, NULL, _IOFBF, WN_DATA_BUF) != 0) {
            fclose(mem);
            continue;
        }
        m->saved[pos] = datafps[pos];
        m->mem[pos] = mem;
        datafps[pos] = mem;
    }
    wn_mem = m;
}

static void wn_mem_close(WnMem *m)
{
    wn_mem = NULL;
    for (int pos = 1; pos <= NUMPARTS; pos++) {
        if (!m->mem[pos])
            continue;
        datafps[pos] = m->saved[pos];
        fclose(m->mem[pos]);
    }
    wn_unmap_all(m);
}

static int concepts_wordnet_ready(void)
{
    static int state; /* 0 untried, 1 ready, -1 unavailable */
    if (state == 0)
        state = wninit() == 0 ? 1 : -1;
    return state > 0;
}

/* Irregular forms.  A word of the letters in its base form ("send",
 * "child") is also what a reader means by its irregular inflections
 * ("sent", "children"), which porter does not bring to the same stem and
 * no synset lists: WordNet keeps them in its exception lists (verb.exc,
 * noun.exc: "inflected base ..." a line), which morphstr reads only the
 * other way, from the inflection.  So each line whose base is a word of
 * the letters pairs the inflection with it.  Nouns and verbs only: the
 * adjectives' exceptions are comparatives ("better": "good"), another
 * meaning, not another form. */
static Status concepts_irregular(Builder *b, const WordSet *words)
{
    static const char *const lists[] = {"noun.exc", "verb.exc"};
    const char *dir = SetSearchdir();
    char path[512], line[256];

    for (size_t i = 0; dir && i < sizeof lists / sizeof *lists; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, lists[i]) >=
            (int)sizeof path)
            continue;
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* no list: no irregular forms */
        Status rc = STATUS_OK;
        while (rc == STATUS_OK && fgets(line, sizeof line, f)) {
            char *save = NULL, *infl = strtok_r(line, " \n", &save);
            for (char *base = infl ? strtok_r(NULL, " \n", &save) : NULL;
                 base && rc == STATUS_OK; base = strtok_r(NULL, " \n", &save))
                if (wordset_has(words, base))
                    rc = concepts_pair(b, infl, base);
        }
        fclose(f);
        if (rc != STATUS_OK)
            return rc;
    }
    return STATUS_OK;
}

/* The letters' words, then their WordNet pairs, then both sides as stems.
 * Only the words of passages from first_new on (1: all): a word's pairs
 * depend on that word alone, so the table of a corpus is the union of its
 * passages' tables, and an import that only adds passages adds theirs. */
static Status concepts_wordnet(sqlite3 *db, sqlite3_int64 first_new,
                               Error *err)
{
    Builder b = {.db = db};
    WordSet words = {0};
    WnMem mem;
    sqlite3_stmt *text = NULL;
    Status rc = STATUS_ERROR;

    if (!concepts_wordnet_ready()) {
        /* Built for WordNet but its files are absent: say so once, or the
         * table stays empty and !reply quietly loses its synonyms. */
        const char *dir = getenv("WNSEARCHDIR");
        error_report(err, SEVERITY_WARNING,
                     "WordNet dictionary not found in %s: !reply "
                     "will match no synonyms (install wordnet-base)",
                     dir ? dir : "its default directory");
        return STATUS_OK; /* no dictionary files: no concepts */
    }
    if (concepts_exec(db,
                      "CREATE TEMP TABLE concept_pairs(r TEXT, w TEXT,"
                      "  PRIMARY KEY (r, w)) WITHOUT ROWID;"
                      "CREATE TEMP TABLE concept_senses(w TEXT PRIMARY KEY,"
                      "  n INTEGER) WITHOUT ROWID;",
                      err) != STATUS_OK)
        return STATUS_ERROR;
    if (sqlite3_prepare_v2(db, "SELECT shown FROM passages WHERE id >= ?1", -1,
                           &text, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO temp.concept_pairs(r, w)"
                           " VALUES (?1, ?2)",
                           -1, &b.pair, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO temp.concept_senses(w, n)"
                           " VALUES (?1, ?2)",
                           -1, &b.senses, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_int64(text, 1, first_new);
    /* The letters' words: runs of ASCII letters, lower case (what isalpha
     * and tolower give in the C locale, inline: this loop reads every byte
     * of the corpus), hashed as they are read. */
    while (sqlite3_step(text) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_text(text, 0);
        while (p && *p) {
            char w[WN_WORD];
            size_t n = 0;
            uint64_t h = WORDSET_FNV_BASIS;
            while (*p && !CONCEPTS_ALPHA(*p)) p++;
            while (CONCEPTS_ALPHA(*p)) {
                unsigned char c = *p | 0x20;
                if (n + 1 < sizeof w)
                    w[n] = (char)c;
                h = (h ^ c) * WORDSET_FNV_PRIME;
                n++;
                p++;
            }
            if (n < WN_MIN_SENSES || n + 1 >= sizeof w)
                continue;
            if (wordset_add(&words, w, n, h) < 0) {
                error_set(err, STATUS_ERROR, "concepts: out of memory");
                goto done;
            }
        }
    }
    wn_mem_open(&mem);
    Status wrc = STATUS_OK;
    for (size_t i = 0; i < words.cap && wrc == STATUS_OK; i++)
        if (words.slot[i])
            wrc = concepts_word(&b, words.slot[i]);
    wn_mem_close(&mem);
    if (wrc == STATUS_OK)
        wrc = concepts_irregular(&b, &words);
    if (wrc != STATUS_OK)
        goto sqlfail;
    /* Stems by the index's own tokenizer: each word is one document of a
     * temporary FTS5 table, its one token read back through fts5vocab. */
    if (concepts_exec(
            db,
            "CREATE TEMP TABLE concept_forms(id INTEGER PRIMARY KEY,"
            "  w TEXT UNIQUE);"
            "INSERT OR IGNORE INTO temp.concept_forms(w)"
            "  SELECT r FROM temp.concept_pairs"
            "  UNION SELECT w FROM temp.concept_pairs"
            "  UNION SELECT w FROM temp.concept_senses;"
            "CREATE VIRTUAL TABLE temp.concept_fts USING fts5(w,"
            "  tokenize = 'porter unicode61 remove_diacritics 2');"
            "INSERT INTO temp.concept_fts(rowid, w)"
            "  SELECT id, w FROM temp.concept_forms;"
            "CREATE VIRTUAL TABLE temp.concept_vocab"
            "  USING fts5vocab(temp, concept_fts, instance);"
            "CREATE TEMP TABLE concept_stems(id INTEGER PRIMARY KEY, s TEXT);"
            "INSERT OR IGNORE INTO temp.concept_stems(id, s)"
            "  SELECT doc, term FROM temp.concept_vocab;"
            "INSERT OR IGNORE INTO concepts(stem, target)"
            "  SELECT rs.s, ws.s FROM temp.concept_pairs p"
            "  JOIN temp.concept_forms rf ON rf.w = p.r"
            "  JOIN temp.concept_stems rs ON rs.id = rf.id"
            "  JOIN temp.concept_forms wf ON wf.w = p.w"
            "  JOIN temp.concept_stems ws ON ws.id = wf.id"
            "  WHERE rs.s <> ws.s;"
            /* An update sees only the new passages' words: a stem the
             * letters had keeps the larger count, as a rebuild gives. */
            "INSERT INTO word_senses(stem, senses)"
            "  SELECT st.s, max(cs.n) FROM temp.concept_senses cs"
            "  JOIN temp.concept_forms f ON f.w = cs.w"
            "  JOIN temp.concept_stems st ON st.id = f.id GROUP BY st.s"
            "  ON CONFLICT(stem) DO UPDATE"
            "  SET senses = max(senses, excluded.senses);",
            err) != STATUS_OK)
        goto done;
    rc = STATUS_OK;
    goto done;
sqlfail:
    error_set(err, STATUS_ERROR, "concepts: %s", sqlite3_errmsg(db));
done:
    wordset_free(&words);
    sqlite3_finalize(text);
    sqlite3_finalize(b.pair);
    sqlite3_finalize(b.senses);
    sqlite3_exec(db,
                 "DROP TABLE IF EXISTS temp.concept_vocab;"
                 "DROP TABLE IF EXISTS temp.concept_fts;"
                 "DROP TABLE IF EXISTS temp.concept_stems;"
                 "DROP TABLE IF EXISTS temp.concept_forms;"
                 "DROP TABLE IF EXISTS temp.concept_pairs;"
                 "DROP TABLE IF EXISTS temp.concept_senses;",
                 NULL, NULL, NULL);
    return rc;
}

#endif /* MISSIVE_HAVE_WORDNET */

bool concepts_have_wordnet(void)
{
#ifdef MISSIVE_HAVE_WORDNET
    return true;
#else
    return false;
#endif
}

Status concepts_refresh(sqlite3 *db, Error *err)
{
    if (concepts_stats(db, err) != STATUS_OK ||
        concepts_exec(db, "DELETE FROM concepts; DELETE FROM word_senses;",
                      err) != STATUS_OK)
        return STATUS_ERROR;
#ifdef MISSIVE_HAVE_WORDNET
    return concepts_wordnet(db, INT64_MIN, err);
#else
    return STATUS_OK;
#endif
}

Status concepts_update(sqlite3 *db, sqlite3_int64 first_new, Error *err)
{
    if (concepts_stats_add(db, first_new, err) != STATUS_OK)
        return STATUS_ERROR;
#ifdef MISSIVE_HAVE_WORDNET
    return concepts_wordnet(db, first_new, err);
#else
    return STATUS_OK;
#endif
}
