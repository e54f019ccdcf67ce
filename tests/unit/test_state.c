/* test_state.c - the shuffle permutation, fair cycles over the real corpus
 * (persisted, per channel, per filter, reset by a re-import), channel
 * settings (validation, cache, persistence) and the schema 1 -> 2 upgrade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "corpus.h"
#include "db.h"
#include "import.h"
#include "searchq.h"
#include "state.h"
#include "utf8.h"

#define CORPUS_FILE DATADIR "/stalin-churchill-1941.txt"
#define CORPUS_PASSAGES 18

static char tmpdir[TESTUTIL_DIR_MAX];
static int dbcount;

static int setup(void **state)
{
    (void)state;
    return testutil_tmpdir("state", tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    return testutil_rmtree(tmpdir);
}

/* --- helpers ------------------------------------------------------------- */

/* An open database with its Corpus and State. */
typedef struct {
    char path[256];
    sqlite3 *db;
    Corpus *corpus;
    State *state;
} Fixture;

/* Warnings reported through an Error's sink, counted, the last kept. */
typedef struct {
    int warnings, others;
    char last[ERROR_MSG_MAX];
} Warnings;

static void count_warning(void *ud, Severity severity, const char *line)
{
    Warnings *w = ud;
    if (severity == SEVERITY_WARNING)
        w->warnings++;
    else
        w->others++;
    snprintf(w->last, sizeof w->last, "%s", line);
}

/* Opens fx; *loaded (when not NULL) gets what state_new warned about. */
static void fx_open_warned(Fixture *fx, bool readonly, Warnings *loaded)
{
    Warnings w = {0};
    Error err = {.sink = count_warning, .sink_ud = &w};
    Status rc = readonly ? db_open_readonly(fx->path, &fx->db, &err)
                         : db_open(fx->path, &fx->db, &err);
    if (rc != STATUS_OK)
        fail_msg("%s", err.msg);
    fx->corpus = corpus_new(fx->db, &err);
    assert_non_null(fx->corpus);
    fx->state = state_new(fx->db, &err);
    assert_non_null(fx->state);
    assert_int_equal(err.errors, 0);
    if (loaded)
        *loaded = w;
}

static void fx_open(Fixture *fx, bool readonly)
{
    fx_open_warned(fx, readonly, NULL);
}

/* The old result codes of the settings functions, recovered from the
 * Status and the reason in err, so that each assertion still names the
 * refusal it expects. */
enum {
    T_OK,
    T_BADCHANNEL,
    T_BADPREFIX,
    T_BADCOMMAND,
    T_PROTECTED,
    T_FULL,
    T_ERROR,
};

static int verdict(Status st, const Error *err)
{
    static const char *const reasons[] = {
        [T_BADCHANNEL] = "not a valid channel name",
        [T_BADPREFIX] = "a prefix is 1 to 8 printable characters, no spaces",
        [T_BADCOMMAND] = "a command name is 1 to 16 letters",
        [T_PROTECTED] = "help and more cannot be disabled",
        [T_FULL] = "too many commands disabled here",
    };
    if (st == STATUS_OK) {
        assert_string_equal(err->msg, "");
        return T_OK;
    }
    if (st == STATUS_ERROR) {
        assert_non_null(strstr(err->msg, "state: "));
        return T_ERROR;
    }
    assert_int_equal(st, STATUS_INVALID);
    for (int i = T_BADCHANNEL; i <= T_FULL; i++)
        if (strcmp(err->msg, reasons[i]) == 0)
            return i;
    fail_msg("unexpected reason: %s", err->msg);
    return -1;
}

static int set_prefix(State *s, const char *channel, const char *prefix)
{
    Error err = {0};
    return verdict(state_channel_set_prefix(s, channel, prefix, &err), &err);
}

static int set_addressed(State *s, const char *channel, int addressed)
{
    Error err = {0};
    return verdict(state_channel_set_addressed(s, channel, addressed, &err),
                   &err);
}

static int set_enabled(State *s, const char *channel, const char *command,
                       bool enable)
{
    Error err = {0};
    return verdict(state_channel_enable(s, channel, command, enable, &err),
                   &err);
}

static int get_settings(State *s, const char *channel, ChannelSettings *cs)
{
    Error err = {0};
    return verdict(state_channel_get(s, channel, cs, &err), &err);
}

static void fx_close(Fixture *fx)
{
    state_free(fx->state);
    corpus_free(fx->corpus);
    db_close(fx->db);
    fx->state = NULL;
    fx->corpus = NULL;
    fx->db = NULL;
}

static void import_one(sqlite3 *db, const char *path, ImportReport *rep)
{
    Error err = {0};
    const char *paths[] = {path};
    if (import_files(db, paths, 1, DATADIR, rep, &err) != STATUS_OK)
        fail_msg("import failed: %s", err.msg);
}

/* A fresh database holding the shipped corpus, opened. */
static void fx_corpus(Fixture *fx)
{
    ImportReport rep;
    memset(fx, 0, sizeof *fx);
    snprintf(fx->path, sizeof fx->path, "%s/db%d.sqlite", tmpdir, ++dbcount);
    fx_open(fx, false);
    import_one(fx->db, CORPUS_FILE, &rep);
    assert_int_equal(rep.passages, CORPUS_PASSAGES);
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no row: %s", sql);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row ("NULL" for NULL, "" for no row); static. */
static const char *q_text(sqlite3 *db, const char *sql)
{
    static char buf[1024];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, sizeof buf, "%s", t ? t : "NULL");
    }
    sqlite3_finalize(st);
    return buf;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* The next passage of a cycle, as letter * 100 + para. */
static int next_id(Fixture *fx, const char *channel, const PassageFilter *f)
{
    Passage p;
    assert_int_equal(
        state_next_passage(fx->state, fx->corpus, channel, f, &p, NULL),
        STATUS_OK);
    assert_in_range(p.letter, 1, 99);
    assert_in_range(p.para, 1, 99);
    assert_non_null(p.text);
    int id = p.letter * 100 + p.para;
    passage_clear(&p);
    return id;
}

static bool contains(const int *ids, size_t n, int id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* n passages from a cycle into ids[], asserting they are all different. */
static void next_distinct(Fixture *fx, const char *channel,
                          const PassageFilter *f, int *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ids[i] = next_id(fx, channel, f);
        if (contains(ids, i, ids[i]))
            fail_msg("passage %d.%d repeated after %zu of %zu", ids[i] / 100,
                     ids[i] % 100, i, n);
    }
}

/* --- the permutation ------------------------------------------------------ */

static void test_shuffle_is_permutation(void **state)
{
    (void)state;
    static const uint64_t ns[] = {1,  2,  3,  4,   5,    16,   17,
                                  18, 64, 65, 100, 1000, 4096, 4097};
    static const uint64_t seeds[] = {
        0, 1, 42, 0xdeadbeef, UINT64_MAX, UINT64_C(0x8000000000000000)};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t n = ns[i];
        unsigned char *seen = calloc(n, 1);
        assert_non_null(seen);
        for (size_t j = 0; j < sizeof seeds / sizeof seeds[0]; j++) {
            memset(seen, 0, n);
            for (uint64_t pos = 0; pos < n; pos++) {
                uint64_t k = shuffle_index(seeds[j], n, pos);
                if (k >= n || seen[k])
                    fail_msg("n=%llu seed=%llu pos=%llu -> %llu: %s",
                             (unsigned long long)n,
                             (unsigned long long)seeds[j],
                             (unsigned long long)pos, (unsigned long long)k,
                             k >= n ? "out of range" : "repeated");
                seen[k] = 1;
                /* Deterministic. */
                assert_int_equal(shuffle_index(seeds[j], n, pos), k);
            }
        }
        free(seen);
    }
}

static void test_shuffle_seeds_differ(void **state)
{
    (void)state;
    static const uint64_t ns[] = {5, 17, 18, 100, 1000, 4097};
    enum { SEEDS = 8 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t n = ns[i];
        uint64_t *order[SEEDS];
        for (int s = 0; s < SEEDS; s++) {
            order[s] = malloc(n * sizeof *order[s]);
            assert_non_null(order[s]);
            for (uint64_t pos = 0; pos < n; pos++)
                order[s][pos] = shuffle_index((uint64_t)s * 7919 + 1, n, pos);
        }
        for (int a = 0; a < SEEDS; a++)
            for (int b = a + 1; b < SEEDS; b++)
                if (memcmp(order[a], order[b], n * sizeof *order[a]) == 0)
                    fail_msg("n=%llu: seeds %d and %d give the same order",
                             (unsigned long long)n, a, b);
        /* Not the identity either. */
        bool identity = true;
        for (uint64_t pos = 0; pos < n; pos++)
            identity = identity && order[0][pos] == pos;
        assert_false(identity);
        for (int s = 0; s < SEEDS; s++) free(order[s]);
    }
    /* Two elements: both orders occur. */
    int first[2] = {0, 0};
    for (uint64_t seed = 0; seed < 64; seed++)
        first[shuffle_index(seed, 2, 0)]++;
    assert_true(first[0] > 8 && first[1] > 8);
}

/* Over many seeds every passage is about equally likely to come first, and
 * the second one is not tied to the first: the mixer is doing its job. */
static void test_shuffle_uniform(void **state)
{
    (void)state;
    enum { N = 18, TRIALS = 18000 };
    int first[N] = {0}, same_step = 0;
    uint64_t seed = 12345;
    for (int t = 0; t < TRIALS; t++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t a = shuffle_index(seed, N, 0), b = shuffle_index(seed, N, 1);
        first[a]++;
        same_step += (b == (a + 1) % N);
    }
    for (int k = 0; k < N; k++)
        if (first[k] < 800 || first[k] > 1200)
            fail_msg("passage %d came first %d times of %d", k, first[k],
                     TRIALS);
    /* Expected TRIALS / 17 ~ 1059. */
    assert_in_range(same_step, 800, 1300);
}

static void test_shuffle_edges(void **state)
{
    (void)state;
    assert_int_equal(shuffle_index(99, 0, 0), 0);
    assert_int_equal(shuffle_index(99, 0, 5), 0);
    assert_int_equal(shuffle_index(99, 1, 0), 0);
    assert_int_equal(shuffle_index(99, 1, 7), 0);
    /* pos is taken modulo n. */
    assert_int_equal(shuffle_index(99, 18, 18 + 3), shuffle_index(99, 18, 3));

    /* Huge domains: in range, injective on a sample, h = 32 exercised. */
    static const uint64_t big[] = {UINT64_MAX, UINT64_C(1) << 63,
                                   (UINT64_C(1) << 62) + 1,
                                   (UINT64_C(1) << 32) + 1, UINT32_MAX};
    enum { SAMPLE = 2000 };
    static uint64_t got[SAMPLE];
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        for (uint64_t pos = 0; pos < SAMPLE; pos++) {
            got[pos] = shuffle_index(7, big[i], big[i] - 1 - pos);
            assert_true(got[pos] < big[i]);
            for (uint64_t q = 0; q < pos; q++) assert_true(got[q] != got[pos]);
        }
    }
}

/* --- fair cycles over the real corpus ------------------------------------- */

static void test_cycle_full(void **state)
{
    (void)state;
    Fixture fx;
    int ids[CORPUS_PASSAGES], again[CORPUS_PASSAGES];
    fx_corpus(&fx);

    next_distinct(&fx, "#a", NULL, ids, CORPUS_PASSAGES);
    assert_int_equal(
        q_int(fx.db, "SELECT pos FROM shuffles WHERE channel = '#a'"),
        CORPUS_PASSAGES);
    long long seed1 = q_int(fx.db, "SELECT seed FROM shuffles");

    /* The 19th starts a new cycle, not with the passage that just ended. */
    again[0] = next_id(&fx, "#a", NULL);
    assert_int_not_equal(again[0], ids[CORPUS_PASSAGES - 1]);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 1);
    assert_int_equal(q_int(fx.db, "SELECT n FROM shuffles"), CORPUS_PASSAGES);
    assert_true(q_int(fx.db, "SELECT seed FROM shuffles") != seed1);
    for (size_t i = 1; i < CORPUS_PASSAGES; i++) {
        again[i] = next_id(&fx, "#a", NULL);
        assert_false(contains(again, i, again[i]));
    }
    /* Both cycles covered the same passages. */
    for (size_t i = 0; i < CORPUS_PASSAGES; i++)
        assert_true(contains(again, CORPUS_PASSAGES, ids[i]));
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 1);
    assert_string_equal(q_text(fx.db, "SELECT filter FROM shuffles"),
                        "sender=;recipient=;year=");
    fx_close(&fx);
}

/* The shipped corpus's two one-line courtesies, 1.1 ("Allow me to thank
 * you for your two personal messages.") and 3.1 ("Thank you for your
 * message."), are under CORPUS_RANDOM_MIN_CHARS; the other 16 are not. */
#define SHORT_PASSAGES 2

/* Random picks that pass over short passages: a cycle is the 16 others,
 * each once, and the next cycle again never shows a short one. */
static void test_cycle_passes_over_short(void **state)
{
    (void)state;
    Fixture fx;
    PassageFilter f = {.min_chars = CORPUS_RANDOM_MIN_CHARS};
    int ids[CORPUS_PASSAGES - SHORT_PASSAGES];
    fx_corpus(&fx);

    for (int round = 0; round < 3; round++) {
        next_distinct(&fx, "#s", &f, ids, CORPUS_PASSAGES - SHORT_PASSAGES);
        assert_false(contains(ids, CORPUS_PASSAGES - SHORT_PASSAGES, 101));
        assert_false(contains(ids, CORPUS_PASSAGES - SHORT_PASSAGES, 301));
    }
    /* The cycle is the filter's, not a new one: same key as no minimum. */
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 1);
    assert_string_equal(q_text(fx.db, "SELECT filter FROM shuffles"),
                        "sender=;recipient=;year=");

    /* When nothing else matches, short passages come after all, and the
     * cycle stays fair. */
    PassageFilter all_short = {.min_chars = 100000};
    int every[CORPUS_PASSAGES];
    next_distinct(&fx, "#all", &all_short, every, CORPUS_PASSAGES);
    fx_close(&fx);
}

/* A pick passes over the passage to avoid (the one the channel was just
 * shown) unless it is the only one. */
static void test_cycle_avoids_last_shown(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    for (int i = 0; i < 3 * CORPUS_PASSAGES; i++) {
        PassageFilter f = {.avoid_letter = 1, .avoid_para = 4};
        assert_int_not_equal(next_id(&fx, "#v", &f), 104);
    }
    /* Counting ignores both rules: the cycle is over every passage. */
    PassageFilter one = {.avoid_letter = 3, .avoid_para = 1, .min_chars = 1};
    long n;
    assert_int_equal(corpus_count(fx.corpus, &one, &n, NULL), STATUS_OK);
    assert_int_equal(n, CORPUS_PASSAGES);
    fx_close(&fx);
}

/* corpus_random: the same rules without a cycle. */
static void test_random_passes_over_short(void **state)
{
    (void)state;
    Fixture fx;
    PassageFilter f = {.min_chars = CORPUS_RANDOM_MIN_CHARS,
                       .avoid_letter = 1,
                       .avoid_para = 4};
    Passage p;
    fx_corpus(&fx);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(corpus_random(fx.corpus, &f, &p, NULL), STATUS_OK);
        int id = p.letter * 100 + p.para;
        assert_true(id != 101 && id != 301 && id != 104);
        assert_true(utf8_length(p.text, strlen(p.text)) >=
                    CORPUS_RANDOM_MIN_CHARS);
        passage_clear(&p);
    }
    PassageFilter all_short = {.min_chars = 100000};
    assert_int_equal(corpus_random(fx.corpus, &all_short, &p, NULL), STATUS_OK);
    passage_clear(&p);
    fx_close(&fx);
}

static void test_cycle_filter(void **state)
{
    (void)state;
    Fixture fx;
    int ids[6], all[3];
    fx_corpus(&fx);

    /* Interleaved with the unfiltered cycle of the same channel. */
    all[0] = next_id(&fx, "#a", NULL);
    PassageFilter churchill = {.sender = "Churchill"};
    next_distinct(&fx, "#a", &churchill, ids, 6);
    all[1] = next_id(&fx, "#a", NULL);
    all[2] = next_id(&fx, "#a", NULL);
    assert_false(contains(all, 1, all[1]));
    assert_false(contains(all, 2, all[2]));
    for (int i = 0; i < 6; i++)
        assert_true(contains(ids, 6, 200 + i + 1)); /* letter 2, paras 1-6 */
    /* The seventh begins again among the same six. */
    int seventh = next_id(&fx, "#a", &churchill);
    assert_true(seventh / 100 == 2 && seventh != ids[5]);

    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles WHERE filter = "
                                  "'sender=Churchill;recipient=;year='"),
                     1);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles WHERE filter = "
                                  "'sender=;recipient=;year='"),
                     3);

    /* The canonical key of a full filter. */
    PassageFilter full = {
        .sender = "Stalin", .recipient = "Churchill", .year = 1941};
    int s = next_id(&fx, "#a", &full);
    assert_true(s / 100 == 1 || s / 100 == 3);
    assert_int_equal(q_int(fx.db,
                           "SELECT n FROM shuffles WHERE filter = "
                           "'sender=Stalin;recipient=Churchill;year=1941'"),
                     12);

    /* Nothing matches: not found, and no cycle is stored. */
    Passage p;
    PassageFilter nobody = {.sender = "Nobody"}, later = {.year = 1950};
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", &nobody, &p, NULL),
        STATUS_NOTFOUND);
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", &later, &p, NULL),
        STATUS_NOTFOUND);
    /* Names with the key's separators are escaped, never confused. */
    PassageFilter odd = {.sender = "a;recipient=b", .recipient = "\\"};
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", &odd, &p, NULL),
        STATUS_NOTFOUND);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 3);
    fx_close(&fx);
}

static void test_cycle_persists(void **state)
{
    (void)state;
    Fixture fx;
    int ids[CORPUS_PASSAGES];
    fx_corpus(&fx);

    next_distinct(&fx, "#a", NULL, ids, 7);
    fx_close(&fx);
    fx_open(&fx, false);
    for (size_t i = 7; i < CORPUS_PASSAGES; i++) {
        ids[i] = next_id(&fx, "#a", NULL);
        if (contains(ids, i, ids[i]))
            fail_msg("after reopening, %d.%d was shown again", ids[i] / 100,
                     ids[i] % 100);
    }
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), CORPUS_PASSAGES);
    fx_close(&fx);
}

static void test_cycle_per_channel(void **state)
{
    (void)state;
    Fixture fx;
    int a[CORPUS_PASSAGES], b[CORPUS_PASSAGES];
    fx_corpus(&fx);

    /* Interleaved: neither channel's cycle disturbs the other. */
    for (size_t i = 0; i < CORPUS_PASSAGES; i++) {
        a[i] = next_id(&fx, "#a", NULL);
        assert_false(contains(a, i, a[i]));
        b[i] = next_id(&fx, "#b", NULL);
        assert_false(contains(b, i, b[i]));
    }
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 2);

    /* Names fold the RFC 1459 way: "#A[x]" is "#a{x}". */
    int c[2];
    c[0] = next_id(&fx, "#A[x]", NULL);
    c[1] = next_id(&fx, "#a{x}", NULL);
    assert_int_not_equal(c[0], c[1]);
    assert_int_equal(
        q_int(fx.db, "SELECT pos FROM shuffles WHERE channel = '#a{x}'"), 2);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 3);

    /* Private messages and the console share "". */
    next_id(&fx, NULL, NULL);
    next_id(&fx, "", NULL);
    assert_int_equal(
        q_int(fx.db, "SELECT pos FROM shuffles WHERE channel = ''"), 2);

    /* A name no server would send still gets an answer, and no row. */
    next_id(&fx, "#bad name", NULL);
    next_id(&fx, "#bad\r\nname", NULL);
    char longname[STATE_CHANNEL_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '#';
    longname[sizeof longname - 1] = '\0';
    next_id(&fx, longname, NULL);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 4);
    /* One shorter is a valid (if unlikely) name. */
    longname[sizeof longname - 2] = '\0';
    next_id(&fx, longname, NULL);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 5);
    fx_close(&fx);
}

/* The shipped file with a fourth letter (19 passages) into copy. */
static void write_changed_copy(char *copy, size_t copysz)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/changed%d", tmpdir, dbcount);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(copy, copysz, "%s/stalin-churchill-1941.txt", dir);
    FILE *in = fopen(CORPUS_FILE, "rb"), *out = fopen(copy, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, got, out), got);
    fputs("\n\nJ. V. STALIN TO W. CHURCHILL\n\nA test fixture letter.\n\n"
          "Source: test\n",
          out);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_cycle_reimport(void **state)
{
    (void)state;
    Fixture fx;
    ImportReport rep;
    int ids[CORPUS_PASSAGES + 1];
    char copy[192];
    fx_corpus(&fx);

    next_distinct(&fx, "#a", NULL, ids, 5);
    long long seed1 = q_int(fx.db, "SELECT seed FROM shuffles");

    write_changed_copy(copy, sizeof copy);
    import_one(fx.db, copy, &rep);
    assert_int_equal(rep.passages, CORPUS_PASSAGES + 1);

    /* The next passage begins a new cycle over all 19. */
    next_distinct(&fx, "#a", NULL, ids, CORPUS_PASSAGES + 1);
    assert_int_equal(q_int(fx.db, "SELECT n FROM shuffles"),
                     CORPUS_PASSAGES + 1);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"),
                     CORPUS_PASSAGES + 1);
    assert_true(q_int(fx.db, "SELECT seed FROM shuffles") != seed1);
    assert_true(contains(ids, CORPUS_PASSAGES + 1, 401));
    fx_close(&fx);
}

/* Counts and picks see an import made by another connection (another
 * process, as `missive import` beside the bot): the copy of the cells
 * table is read again within the next command. */
static void test_count_other_connection(void **state)
{
    (void)state;
    Fixture fx;
    ImportReport rep;
    Passage p;
    sqlite3 *other;
    Error err = {0};
    char copy[192];
    long n;
    fx_corpus(&fx);

    const PassageFilter stalin = {.sender = "Stalin"};
    long stalin_before;
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    assert_int_equal(n, CORPUS_PASSAGES);
    assert_int_equal(corpus_count(fx.corpus, &stalin, &stalin_before, NULL),
                     STATUS_OK);
    assert_int_equal(corpus_pick(fx.corpus, NULL, CORPUS_PASSAGES, &p, NULL),
                     STATUS_NOTFOUND);

    write_changed_copy(copy, sizeof copy);
    assert_int_equal(db_open(fx.path, &other, &err), STATUS_OK);
    import_one(other, copy, &rep);
    assert_int_equal(rep.passages, CORPUS_PASSAGES + 1);
    db_close(other);

    /* Inside a command, as the bot asks, and outside one. */
    corpus_command_begin(fx.corpus, CORPUS_COMMAND_MS);
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    assert_int_equal(n, CORPUS_PASSAGES + 1);
    assert_int_equal(corpus_pick(fx.corpus, NULL, CORPUS_PASSAGES, &p, NULL),
                     STATUS_OK);
    passage_clear(&p);
    corpus_command_end(fx.corpus);
    assert_int_equal(corpus_count(fx.corpus, &stalin, &n, NULL), STATUS_OK);
    assert_int_equal(n, stalin_before + 1);

    /* A change through this connection (the update hook), inside a
     * command that has already counted. */
    corpus_command_begin(fx.corpus, CORPUS_COMMAND_MS);
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    exec_ok(
        fx.db,
        "UPDATE cells SET n = n + 5 WHERE id = (SELECT min(id) FROM cells)");
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    assert_int_equal(n, CORPUS_PASSAGES + 6);
    corpus_command_end(fx.corpus);
    fx_close(&fx);
}

/* A pick (the passage row, its cell's names, the letter map's date) says
 * what corpus_get (SQL, the passage with its letter) says. */
static void assert_same_as_get(Fixture *fx, const Passage *p)
{
    Passage q;
    assert_int_equal(corpus_get(fx->corpus, p->letter, p->para, &q, NULL),
                     STATUS_OK);
    assert_string_equal(p->text, q.text);
    assert_int_equal(p->corrected, q.corrected);
    assert_string_equal(p->sender, q.sender);
    assert_string_equal(p->recipient, q.recipient);
    assert_string_equal(p->date, q.date);
    assert_int_equal(p->date_kind, q.date_kind);
    assert_int_equal(p->date_curated, q.date_curated);
    passage_clear(&q);
}

/* Every pick k of filter f (NULL: any) is the passage of rank k in the
 * filter's cells, as the passages_cell index orders them: what the cells'
 * id arrays (cells.h) answer, read lazily or at start. */
static void assert_picks_by_rank(Fixture *fx, const PassageFilter *f,
                                 const char *where)
{
    char sql[256];
    long n;
    Passage p;
    assert_int_equal(corpus_count(fx->corpus, f, &n, NULL), STATUS_OK);
    assert_true(n > 1);
    for (long k = 0; k < n; k++) {
        corpus_command_begin(fx->corpus, CORPUS_COMMAND_MS);
        assert_int_equal(corpus_pick(fx->corpus, f, k, &p, NULL), STATUS_OK);
        corpus_command_end(fx->corpus);
        snprintf(sql, sizeof sql,
                 "SELECT p.letter_id * 100 + p.para FROM passages p"
                 " JOIN cells c ON c.id = p.cell_id WHERE %s"
                 " ORDER BY p.cell_id, p.cell_ord LIMIT 1 OFFSET %ld",
                 where, k);
        assert_int_equal(p.letter * 100 + p.para, q_int(fx->db, sql));
        assert_same_as_get(fx, &p);
        passage_clear(&p);
    }
    assert_int_equal(corpus_pick(fx->corpus, f, n, &p, NULL), STATUS_NOTFOUND);
}

/* Picks by rank through the id arrays: read lazily after an import on this
 * connection, at start when the corpus is opened on a database that has
 * passages, and not trusted when the index does not rank a cell 0..n-1
 * (edited by another connection): SQL answers then. */
static void test_pick_by_rank(void **state)
{
    (void)state;
    Fixture fx;
    Passage p;
    sqlite3 *other;
    Error err = {0};
    const PassageFilter stalin = {.sender = "Stalin"};
    fx_corpus(&fx);
    assert_picks_by_rank(&fx, NULL, "1");
    assert_picks_by_rank(&fx, &stalin, "c.sender = 'Stalin'");
    fx_close(&fx);
    fx_open(&fx, false);
    assert_picks_by_rank(&fx, &stalin, "c.sender = 'Stalin'");
    assert_picks_by_rank(&fx, NULL, "1");

    /* A letter's date changed by another connection: the map is read
     * again. */
    assert_int_equal(db_open(fx.path, &other, &err), STATUS_OK);
    exec_ok(other, "UPDATE letters SET date = '1941-02-03', date_kind ="
                   " 'received', date_source = 'test' WHERE id = 1");
    assert_picks_by_rank(&fx, NULL, "1");
    exec_ok(other, "UPDATE letters SET date = NULL WHERE id = 1");
    assert_picks_by_rank(&fx, NULL, "1");
    exec_ok(other, "UPDATE passages SET cell_ord = cell_ord + 1"
                   " WHERE cell_id = (SELECT min(id) FROM cells)");
    db_close(other);
    corpus_command_begin(fx.corpus, CORPUS_COMMAND_MS);
    assert_int_equal(corpus_pick(fx.corpus, NULL, 0, &p, NULL),
                     STATUS_NOTFOUND);
    assert_int_equal(corpus_pick(fx.corpus, NULL, 1, &p, NULL), STATUS_OK);
    corpus_command_end(fx.corpus);
    assert_int_equal(p.letter * 100 + p.para,
                     q_int(fx.db, "SELECT letter_id * 100 + para FROM passages"
                                  " WHERE cell_id = (SELECT min(id) FROM cells)"
                                  " AND cell_ord = 1"));
    passage_clear(&p);
    fx_close(&fx);
}

/* People are matched as NOCASE does, from a copy that follows another
 * connection's change. */
static void test_person(void **state)
{
    (void)state;
    Fixture fx;
    sqlite3 *other;
    Error err = {0};
    char who[64] = "";
    fx_corpus(&fx);
    corpus_command_begin(fx.corpus, CORPUS_COMMAND_MS);
    assert_true(corpus_person(fx.corpus, "sTaLiN", who, sizeof who));
    assert_string_equal(who, "Stalin");
    assert_false(corpus_person(fx.corpus, "Napoleon", who, sizeof who));
    assert_false(corpus_person(fx.corpus, "Stali", who, sizeof who));
    corpus_command_end(fx.corpus);

    assert_int_equal(db_open(fx.path, &other, &err), STATUS_OK);
    exec_ok(other, "INSERT INTO people (name) VALUES ('Napoleon')");
    db_close(other);
    corpus_command_begin(fx.corpus, CORPUS_COMMAND_MS);
    assert_true(corpus_person(fx.corpus, "NAPOLEON", who, sizeof who));
    assert_string_equal(who, "Napoleon");
    corpus_command_end(fx.corpus);
    fx_close(&fx);
}

/* The recipient of the letter of passage k, picked in a command. */
static void pick_recipient(Fixture *fx, long k, int *letter, char *out,
                           size_t outsz)
{
    Passage p;
    corpus_command_begin(fx->corpus, CORPUS_COMMAND_MS);
    assert_int_equal(corpus_pick(fx->corpus, NULL, k, &p, NULL), STATUS_OK);
    corpus_command_end(fx->corpus);
    *letter = p.letter;
    snprintf(out, outsz, "%s", p.recipient);
    passage_clear(&p);
}

/* Letters with several addressees are shown with all of them, from the
 * set kept in memory (addressees.h), which follows another connection's
 * change. */
static void test_pick_addressees(void **state)
{
    (void)state;
    Fixture fx;
    ImportReport rep;
    sqlite3 *other;
    Error err = {0};
    char who[128];
    int letter, seen = 0;
    long n;

    memset(&fx, 0, sizeof fx);
    snprintf(fx.path, sizeof fx.path, "%s/db%d.sqlite", tmpdir, ++dbcount);
    fx_open(&fx, false);
    /* Invented: letter 1 to Roosevelt and Churchill, letter 2 to
     * Roosevelt, letters 3 and 4 one addressee each. */
    import_one(fx.db, FIXTURES "/layouts/frus.txt", &rep);
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    assert_int_equal(n, 5);
    for (long k = 0; k < n; k++) {
        pick_recipient(&fx, k, &letter, who, sizeof who);
        if (letter == 1)
            assert_string_equal(who, "Roosevelt and Churchill");
        if (letter == 2)
            assert_string_equal(who, "Roosevelt");
        seen |= 1 << letter;
    }
    assert_int_equal(seen & 6, 6);

    assert_int_equal(db_open(fx.path, &other, &err), STATUS_OK);
    exec_ok(other, "INSERT INTO letter_recipients (letter_id, pos, person)"
                   " VALUES (2, 2, 'Churchill')");
    db_close(other);
    for (long k = 0; k < n; k++) {
        pick_recipient(&fx, k, &letter, who, sizeof who);
        if (letter == 2)
            assert_string_equal(who, "Roosevelt and Churchill");
    }
    fx_close(&fx);
}

/* A command whose budget is spent (a slow disk, a busy machine) still
 * gets its passage: lookups by key are not interrupted, only statements
 * that may scan are. */
static void test_lookups_after_budget(void **state)
{
    (void)state;
    Fixture fx;
    Passage p;
    SearchQuery q;
    long total;
    Error err = {0};
    const struct timespec pause = {0, 5 * 1000 * 1000};
    fx_corpus(&fx);

    corpus_command_begin(fx.corpus, 0);
    nanosleep(&pause, NULL);
    assert_int_equal(corpus_pick(fx.corpus, NULL, 3, &p, &err), STATUS_OK);
    passage_clear(&p);
    assert_int_equal(corpus_get(fx.corpus, 1, 1, &p, &err), STATUS_OK);
    passage_clear(&p);
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
        STATUS_OK);
    passage_clear(&p);
    assert_string_equal(err.msg, "");
    /* A search still stops at the deadline. */
    assert_int_equal(searchq_build("Hitler", &q, NULL), STATUS_OK);
    assert_int_equal(
        corpus_search(fx.corpus, &q, NULL, NULL, 0, &p, &total, &err),
        STATUS_ERROR);
    assert_non_null(strstr(err.msg, "interrupted"));
    corpus_command_end(fx.corpus);
    fx_close(&fx);
}

/* A cycle stored with a bad position (hand-edited) restarts cleanly. */
static void test_cycle_bad_row(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    next_id(&fx, "#a", NULL);
    exec_ok(fx.db, "UPDATE shuffles SET pos = -5");
    next_id(&fx, "#a", NULL);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 1);
    exec_ok(fx.db, "UPDATE shuffles SET pos = 1000");
    next_id(&fx, "#a", NULL);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 1);
    fx_close(&fx);
}

/* Read-only: passages still come and stay fair in memory; the cycle just is
 * not saved, which state_new says once. */
static void test_cycle_readonly(void **state)
{
    (void)state;
    Fixture fx;
    Warnings loaded;
    int ids[CORPUS_PASSAGES];
    fx_corpus(&fx);
    assert_int_equal(set_prefix(fx.state, "#a", "?"), T_OK);
    fx_close(&fx);

    fx_open_warned(&fx, true, &loaded);
    assert_int_equal(loaded.warnings, 1);
    assert_non_null(strstr(loaded.last, "is read-only"));
    /* Then no warning per command, and no repeat within the process. */
    Warnings w = {0};
    Error err = {.sink = count_warning, .sink_ud = &w};
    for (size_t i = 0; i < CORPUS_PASSAGES; i++) {
        Passage p;
        assert_int_equal(
            state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
            STATUS_OK);
        ids[i] = p.letter * 100 + p.para;
        passage_clear(&p);
        assert_false(contains(ids, i, ids[i]));
    }
    assert_int_equal(err.errors, 0);
    assert_int_equal(w.warnings + w.others, 0);
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 0);
    /* Settings load, but cannot change. */
    assert_string_equal(state_channel(fx.state, "#a")->prefix, "?");
    assert_int_equal(set_prefix(fx.state, "#a", "@"), T_ERROR);
    assert_int_equal(set_enabled(fx.state, "#b", "quote", false), T_ERROR);
    assert_string_equal(state_channel(fx.state, "#a")->prefix, "?");
    assert_false(
        state_command_disabled(state_channel(fx.state, "#b"), "quote"));
    fx_close(&fx);

    /* The same through a URI opened read-only, as the operator's
     * file:...?mode=ro would be. */
    char uri[512];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", fx.path);
    assert_int_equal(sqlite3_open_v2(uri, &fx.db,
                                     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                                     NULL),
                     SQLITE_OK);
    memset(&w, 0, sizeof w);
    fx.corpus = corpus_new(fx.db, &err);
    fx.state = state_new(fx.db, &err);
    assert_non_null(fx.state);
    assert_int_equal(w.warnings, 1);
    next_distinct(&fx, "#a", NULL, ids, CORPUS_PASSAGES);
    assert_int_equal(w.warnings, 1);
    fx_close(&fx);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Another process holds the write lock (an operator's import): each step
 * returns at once, the cycle keeps its no-repeat guarantee from the
 * positions kept in memory, the deferral is said once, and the positions
 * land when the lock is released. */
static void test_cycle_under_write_lock(void **state)
{
    (void)state;
    Fixture fx;
    sqlite3 *other;
    int ids[CORPUS_PASSAGES];
    Warnings w = {0};
    Error err = {.sink = count_warning, .sink_ud = &w};
    fx_corpus(&fx);
    db_set_wait(fx.db, 5); /* the bot's connection */

    next_distinct(&fx, "#a", NULL, ids, 3);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 3);

    assert_int_equal(sqlite3_open(fx.path, &other), SQLITE_OK);
    exec_ok(other, "BEGIN IMMEDIATE");
    exec_ok(other, "UPDATE letters SET heading = heading WHERE id = 1");
    uint64_t worst = 0;
    for (size_t i = 3; i < CORPUS_PASSAGES; i++) {
        Passage p;
        uint64_t t0 = now_ms();
        assert_int_equal(
            state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
            STATUS_OK);
        uint64_t took = now_ms() - t0;
        worst = took > worst ? took : worst;
        ids[i] = p.letter * 100 + p.para;
        passage_clear(&p);
        if (contains(ids, i, ids[i]))
            fail_msg("under the lock, %d.%d was shown again", ids[i] / 100,
                     ids[i] % 100);
    }
    print_message("slowest step under a held write lock: %llu ms\n",
                  (unsigned long long)worst);
    assert_true(worst < 100);
    assert_int_equal(err.errors, 0);
    assert_int_equal(w.warnings, 1); /* once per episode, not per command */
    assert_non_null(strstr(w.last, "locked by another process"));
    assert_int_equal(state_pending(fx.state), 1);

    /* Still locked: flushing does not wait and keeps the position. */
    uint64_t t0 = now_ms();
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    assert_true(now_ms() - t0 < 100);
    assert_int_equal(state_pending(fx.state), 1);

    exec_ok(other, "COMMIT");
    sqlite3_close(other);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 3);
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    assert_int_equal(state_pending(fx.state), 0);
    assert_int_equal(w.others, 1); /* the end of the episode */
    assert_non_null(strstr(w.last, "1 deferred shuffle position(s) saved"));
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), CORPUS_PASSAGES);

    /* The cycle goes on from the saved position, across a reopen. */
    fx_close(&fx);
    fx_open(&fx, false);
    int next = next_id(&fx, "#a", NULL);
    assert_int_not_equal(next, ids[CORPUS_PASSAGES - 1]);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 1);

    /* A second episode is said again, once. */
    assert_int_equal(sqlite3_open(fx.path, &other), SQLITE_OK);
    exec_ok(other, "BEGIN IMMEDIATE");
    db_set_wait(fx.db, 0);
    memset(&w, 0, sizeof w);
    Passage p;
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
        STATUS_OK);
    passage_clear(&p);
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
        STATUS_OK);
    passage_clear(&p);
    assert_int_equal(
        state_next_passage(fx.state, fx.corpus, "#a", NULL, &p, &err),
        STATUS_OK);
    passage_clear(&p);
    assert_int_equal(w.warnings, 1);
    exec_ok(other, "ROLLBACK");
    sqlite3_close(other);
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    fx_close(&fx);
    fx_open(&fx, false);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 4);
    fx_close(&fx);
}

/* Lazy mode (the bot's): steps write nothing, the cycle stays fair in
 * memory, one flush writes the position, and a "crash" (closing without a
 * flush) forgets only the steps since that flush: they may come again,
 * nothing else does. */
static void test_cycle_lazy(void **state)
{
    (void)state;
    Fixture fx;
    int ids[CORPUS_PASSAGES];
    Error err = {0};
    fx_corpus(&fx);
    state_set_lazy(fx.state, true);
    next_distinct(&fx, "#a", NULL, ids, 5);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 0);
    assert_int_equal(state_pending(fx.state), 1);
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    assert_int_equal(err.errors, 0);
    assert_int_equal(state_pending(fx.state), 0);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 5);
    /* Three more steps, then closed without a flush. */
    for (size_t i = 5; i < 8; i++) {
        ids[i] = next_id(&fx, "#a", NULL);
        assert_false(contains(ids, i, ids[i]));
    }
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"), 5);
    fx_close(&fx);
    fx_open(&fx, false);
    state_set_lazy(fx.state, true);
    /* The cycle resumes at the flushed position: the three unflushed steps
     * repeat, in the same order, and the rest of the cycle follows. */
    for (size_t i = 5; i < 8; i++)
        assert_int_equal(next_id(&fx, "#a", NULL), ids[i]);
    for (size_t i = 8; i < CORPUS_PASSAGES; i++) {
        ids[i] = next_id(&fx, "#a", NULL);
        assert_false(contains(ids, i, ids[i]));
    }
    assert_int_equal(state_flush(fx.state, &err), STATUS_OK);
    assert_int_equal(q_int(fx.db, "SELECT pos FROM shuffles"),
                     CORPUS_PASSAGES);
    fx_close(&fx);
}

/* The Corpus's progress handler, with the deadline of a question long
 * answered, must not break state statements on the shared connection. */
static void test_stale_corpus_deadline(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    long n;
    assert_int_equal(corpus_count(fx.corpus, NULL, &n, NULL), STATUS_OK);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(set_addressed(fx.state, "#a", i % 2), T_OK);
        assert_int_equal(set_prefix(fx.state, "#a", i % 2 ? "?" : "!"), T_OK);
    }
    fx_close(&fx);
}

/* --- channel settings ----------------------------------------------------- */

static void test_settings_defaults(void **state)
{
    (void)state;
    Fixture fx;
    ChannelSettings cs;
    fx_corpus(&fx);
    const ChannelSettings *d = state_channel(fx.state, "#nowhere");
    assert_non_null(d);
    assert_string_equal(d->prefix, "");
    assert_int_equal(d->addressed, -1);
    assert_int_equal(d->ndisabled, 0);
    assert_false(state_command_disabled(d, "quote"));
    assert_int_equal(get_settings(fx.state, "#nowhere", &cs), T_OK);
    assert_int_equal(cs.addressed, -1);
    assert_int_equal(get_settings(fx.state, "#bad name", &cs), T_BADCHANNEL);
    assert_int_equal(cs.addressed, -1);
    assert_non_null(state_channel(fx.state, "#bad name"));
    assert_non_null(state_channel(fx.state, NULL));
    fx_close(&fx);
}

static void test_settings_set_get_persist(void **state)
{
    (void)state;
    Fixture fx;
    ChannelSettings cs;
    fx_corpus(&fx);
    State *s = fx.state;

    assert_int_equal(set_prefix(s, "#Chan[1]", "?"), T_OK);
    const ChannelSettings *live = state_channel(s, "#chan{1}");
    assert_string_equal(live->prefix, "?");
    assert_int_equal(live->addressed, -1);

    /* Later changes show through the same pointer. */
    assert_int_equal(set_addressed(s, "#chan[1]", 0), T_OK);
    assert_int_equal(live->addressed, 0);
    assert_int_equal(set_enabled(s, "#CHAN[1]", "Quote", false), T_OK);
    assert_int_equal(set_enabled(s, "#chan[1]", "search", false), T_OK);
    assert_int_equal(set_enabled(s, "#chan[1]", "SEARCH", false), T_OK);
    assert_int_equal(live->ndisabled, 2);
    assert_true(state_command_disabled(live, "quote"));
    assert_true(state_command_disabled(live, "QUOTE"));
    assert_true(state_command_disabled(live, "search"));
    assert_false(state_command_disabled(live, "reply"));
    assert_false(state_command_disabled(live, "quote1"));
    assert_false(state_command_disabled(live, ""));
    assert_int_equal(get_settings(s, "#chan{1}", &cs), T_OK);
    assert_string_equal(cs.prefix, "?");
    assert_int_equal(cs.addressed, 0);
    assert_int_equal(cs.ndisabled, 2);

    /* Stored folded, as one row, bound not spliced. */
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM channel_settings"), 1);
    assert_string_equal(q_text(fx.db,
                               "SELECT channel || ' ' || prefix || ' ' || "
                               "disabled || ' ' || addressed "
                               "FROM channel_settings"),
                        "#chan{1} ? quote,search 0");
    assert_int_equal(set_addressed(s, "#other", 1), T_OK);
    assert_int_equal(set_prefix(s, "#other", "!';--"), T_OK);
    assert_string_equal(q_text(fx.db, "SELECT prefix FROM channel_settings "
                                      "WHERE channel = '#other'"),
                        "!';--");
    assert_string_equal(q_text(fx.db, "SELECT disabled FROM channel_settings "
                                      "WHERE channel = '#other'"),
                        "");

    /* Enabling again, and the row goes when nothing is left to remember. */
    assert_int_equal(set_enabled(s, "#chan[1]", "quote", true), T_OK);
    assert_false(state_command_disabled(live, "quote"));
    assert_true(state_command_disabled(live, "search"));
    assert_int_equal(set_enabled(s, "#chan[1]", "quote", true), T_OK);
    assert_int_equal(live->ndisabled, 1);

    fx_close(&fx);
    fx_open(&fx, false);
    s = fx.state;
    assert_string_equal(state_channel(s, "#CHAN[1]")->prefix, "?");
    assert_int_equal(state_channel(s, "#chan[1]")->addressed, 0);
    assert_true(state_command_disabled(state_channel(s, "#chan[1]"), "search"));
    assert_false(state_command_disabled(state_channel(s, "#chan[1]"), "quote"));
    assert_int_equal(state_channel(s, "#other")->addressed, 1);
    assert_string_equal(state_channel(s, "#other")->prefix, "!';--");

    live = state_channel(s, "#chan[1]");
    assert_int_equal(set_prefix(s, "#chan[1]", NULL), T_OK);
    assert_int_equal(set_addressed(s, "#chan[1]", -1), T_OK);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM channel_settings "
                                  "WHERE prefix IS NULL AND addressed IS NULL"),
                     1);
    assert_int_equal(set_enabled(s, "#chan[1]", "search", true), T_OK);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM channel_settings"), 1);
    assert_string_equal(live->prefix, "");
    assert_int_equal(live->addressed, -1);
    assert_int_equal(live->ndisabled, 0);
    /* Anything but 0 or 1 is "as configured". */
    assert_int_equal(set_addressed(s, "#other", 7), T_OK);
    assert_int_equal(state_channel(s, "#other")->addressed, -1);
    assert_int_equal(
        q_int(fx.db, "SELECT addressed IS NULL FROM channel_settings"), 1);

    /* Private messages have settings of their own under "". */
    assert_int_equal(set_prefix(s, NULL, "."), T_OK);
    assert_string_equal(state_channel(s, "")->prefix, ".");
    fx_close(&fx);
}

static void test_settings_validation(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    State *s = fx.state;

    static const char *const bad_prefixes[] = {
        "",     "123456789", "a b",  " !",       "!\t",
        "\x01", "!\r\n",     "\x7f", "\xc3\xa9", "!\x02",
    };
    for (size_t i = 0; i < sizeof bad_prefixes / sizeof bad_prefixes[0]; i++)
        assert_int_equal(set_prefix(s, "#a", bad_prefixes[i]), T_BADPREFIX);
    assert_int_equal(set_prefix(s, "#a", "12345678"), T_OK);
    assert_int_equal(set_prefix(s, "#a", "~"), T_OK);
    assert_int_equal(set_prefix(s, "#a", "\"!\""), T_OK);

    static const char *const bad_commands[] = {
        "",        "quote1", "qu ote",       "abcdefghijklmnopq",
        "quote\n", "!quote", "qu\xc3\xa9te", "-",
    };
    for (size_t i = 0; i < sizeof bad_commands / sizeof bad_commands[0]; i++) {
        assert_int_equal(set_enabled(s, "#a", bad_commands[i], false),
                         T_BADCOMMAND);
        assert_int_equal(set_enabled(s, "#a", bad_commands[i], true),
                         T_BADCOMMAND);
    }
    assert_int_equal(set_enabled(s, "#a", NULL, false), T_BADCOMMAND);
    assert_int_equal(set_enabled(s, "#a", "abcdefghijklmnop", false), T_OK);

    assert_int_equal(set_enabled(s, "#a", "help", false), T_PROTECTED);
    assert_int_equal(set_enabled(s, "#a", "HELP", false), T_PROTECTED);
    assert_int_equal(set_enabled(s, "#a", "More", false), T_PROTECTED);
    assert_int_equal(set_enabled(s, "#a", "help", true), T_OK);

    /* Full at STATE_DISABLED_MAX (one is already off). */
    static const char *const names[] = {"aa", "bb", "cc", "dd",
                                        "ee", "ff", "gg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(set_enabled(s, "#a", names[i], false), T_OK);
    assert_int_equal(state_channel(s, "#a")->ndisabled, STATE_DISABLED_MAX);
    assert_int_equal(set_enabled(s, "#a", "quote", false), T_FULL);
    assert_int_equal(set_enabled(s, "#a", "aa", false), T_OK);
    assert_int_equal(set_enabled(s, "#a", "dd", true), T_OK);
    assert_int_equal(set_enabled(s, "#a", "quote", false), T_OK);
    assert_true(state_command_disabled(state_channel(s, "#a"), "gg"));
    assert_false(state_command_disabled(state_channel(s, "#a"), "dd"));

    static const char *const bad_channels[] = {"#a b", "#a,#b", "#a\x07",
                                               "#a\r", "#a\x7f"};
    for (size_t i = 0; i < sizeof bad_channels / sizeof bad_channels[0]; i++) {
        assert_int_equal(set_prefix(s, bad_channels[i], "?"), T_BADCHANNEL);
        assert_int_equal(set_addressed(s, bad_channels[i], 1), T_BADCHANNEL);
        assert_int_equal(set_enabled(s, bad_channels[i], "quote", false),
                         T_BADCHANNEL);
    }
    char longname[STATE_CHANNEL_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(set_prefix(s, longname, "?"), T_BADCHANNEL);

    /* No failed call changed anything. */
    assert_string_equal(state_channel(s, "#a")->prefix, "\"!\"");
    assert_int_equal(state_channel(s, "#a")->addressed, -1);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM channel_settings"), 1);
    assert_string_equal(q_text(fx.db, "SELECT disabled FROM channel_settings"),
                        "abcdefghijklmnop,aa,bb,cc,ee,ff,gg,quote");

    Error why = {0};
    assert_int_equal(state_channel_enable(s, "#a", "help", false, &why),
                     STATUS_INVALID);
    assert_string_equal(why.msg, "help and more cannot be disabled");
    fx_close(&fx);
}

/* Rows edited by hand load what is valid and skip the rest. */
static void test_settings_hand_edited(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    exec_ok(fx.db, "INSERT INTO channel_settings VALUES "
                   "('#x', 'far too long prefix', "
                   "',quote,,bad1,Search,quote,aaaaaaaaaaaaaaaaaaaaaaaaa,', 5),"
                   "('#BadCase', '?', '', NULL),"
                   "('#y z', '?', '', NULL),"
                   "('#full', NULL, 'a,b,c,d,e,f,g,h,i,j', 0)");
    fx_close(&fx);
    Warnings w;
    fx_open_warned(&fx, false, &w);
    /* Each skipped value is one warning for the caller to log: the prefix
     * and two commands of #x, the two names, two commands of #full. */
    assert_int_equal(w.others, 0);
    assert_int_equal(w.warnings, 7);
    const ChannelSettings *x = state_channel(fx.state, "#x");
    assert_string_equal(x->prefix, "");
    assert_int_equal(x->addressed, 1);
    assert_int_equal(x->ndisabled, 2);
    assert_string_equal(x->disabled[0], "quote");
    assert_string_equal(x->disabled[1], "search");
    /* Not stored folded: no channel can match it, so it is ignored. */
    assert_string_equal(state_channel(fx.state, "#badcase")->prefix, "");
    const ChannelSettings *full = state_channel(fx.state, "#full");
    assert_int_equal(full->ndisabled, STATE_DISABLED_MAX);
    assert_int_equal(full->addressed, 0);
    assert_true(state_command_disabled(full, "h"));
    assert_false(state_command_disabled(full, "i"));
    fx_close(&fx);
}

/* --- schema 1 -> 2 -------------------------------------------------------- */

static void test_migrate_from_v1(void **state)
{
    (void)state;
    Fixture fx;
    Error err = {0};
    sqlite3 *ro;
    fx_corpus(&fx);
    assert_int_equal(q_int(fx.db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    assert_int_equal(DB_SCHEMA_VERSION, 11);
    fx_close(&fx);

    /* Back to what schema 1 created: migration 11 adds word_senses;
     * migration 10 adds search_top.keys; migration 9 adds search_top;
     * migration 8 drops the two insert triggers of the search indexes (the
     * import indexes its rows); migration 7 adds the trigram index,
     * a counts table, their triggers and three indexes; migration 6 turns files.content into
     * hash and size, passages.text into original, and makes the index read
     * a view; migration 2 only adds tables; migration 3 adds a table and two
     * columns and indexes another; migrations 4 and 5 add tables. */
    assert_int_equal(sqlite3_open(fx.path, &fx.db), SQLITE_OK);
    exec_ok(fx.db, "DROP TABLE word_senses; PRAGMA user_version = 10");
    exec_ok(fx.db, "ALTER TABLE search_top DROP COLUMN keys; PRAGMA user_version = 9");
    exec_ok(fx.db, "DROP TABLE search_top; PRAGMA user_version = 8");
    exec_ok(fx.db, "CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN "
                   "SELECT 1; END;"
                   "CREATE TRIGGER passages_tri_ai AFTER INSERT ON passages "
                   "BEGIN SELECT 1; END;"
                   "PRAGMA user_version = 7");
    exec_ok(fx.db, "DROP TRIGGER passages_tri_ai; DROP TRIGGER passages_tri_ad;"
                   "DROP TRIGGER passages_tri_au; DROP TABLE passages_tri;"
                   "DROP TRIGGER letters_count_ai; DROP TRIGGER letters_count_ad;"
                   "DROP TRIGGER letters_count_au; DROP TABLE corpus_counts;"
                   "DROP INDEX letters_date; DROP INDEX passages_emended;"
                   "DROP INDEX passages_letter;"
                   "DROP TRIGGER passages_ai; DROP TRIGGER passages_ad;"
                   "DROP TRIGGER passages_au; DROP TABLE passages_fts;"
                   "DROP VIEW passages_indexed;"
                   "ALTER TABLE files ADD COLUMN content BLOB NOT NULL "
                   "DEFAULT x'';"
                   "ALTER TABLE files DROP COLUMN hash;"
                   "ALTER TABLE files DROP COLUMN size;"
                   "ALTER TABLE passages ADD COLUMN text TEXT NOT NULL "
                   "DEFAULT '';"
                   "UPDATE passages SET text = coalesce(original, shown),"
                   " indexed = coalesce(indexed, shown);"
                   "ALTER TABLE passages DROP COLUMN original;"
                   "CREATE VIRTUAL TABLE passages_fts USING fts5(indexed, "
                   "content='passages', content_rowid='id', "
                   "tokenize='porter unicode61 remove_diacritics 2');"
                   "CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN "
                   "SELECT 1; END;"
                   "CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN "
                   "SELECT 1; END;"
                   "CREATE TRIGGER passages_au AFTER UPDATE ON passages BEGIN "
                   "SELECT 1; END;"
                   "PRAGMA user_version = 5");
    exec_ok(fx.db, "DROP TABLE shuffles; DROP TABLE channel_settings;"
                   "DROP TABLE letter_recipients; DROP TABLE daily; DROP TABLE passage_stats; DROP TABLE concepts; DROP TRIGGER passages_ai;"
                   "DROP TRIGGER passages_ad; DROP TRIGGER passages_au;"
                   "DROP TABLE passages_fts;"
                   "ALTER TABLE letters DROP COLUMN fingerprint;"
                   "ALTER TABLE passages DROP COLUMN indexed;"
                   "CREATE VIRTUAL TABLE passages_fts USING fts5(shown, "
                   "content='passages', content_rowid='id', "
                   "tokenize='porter unicode61 remove_diacritics 2');"
                   "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild');"
                   "PRAGMA user_version = 1");
    db_close(fx.db);

    /* Read-only refuses it, saying how to upgrade. */
    assert_int_equal(db_open_readonly(fx.path, &ro, &err), STATUS_ERROR);
    assert_null(ro);
    assert_non_null(strstr(err.msg, "schema 1 is older"));

    /* Read-write upgrades it and keeps the corpus. */
    fx_open(&fx, false);
    assert_int_equal(q_int(fx.db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM daily"), 0);
    /* Migration 3 counts the passages an older import left. */
    assert_int_equal(
        q_int(fx.db, "SELECT n FROM passage_stats WHERE sender = ''"),
        CORPUS_PASSAGES);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM passages"),
                     CORPUS_PASSAGES);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM letters"), 3);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM passages_fts "
                                  "WHERE passages_fts MATCH 'finland'"),
                     2);
    /* Migration 6 keeps one copy: no text column, indexed only where it
     * differs, the raw file gone (its hash unknown until imported again). */
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM passages "
                                  "WHERE indexed IS shown OR original IS shown"),
                     0);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM files "
                                  "WHERE hash IS NULL AND size IS NOT NULL"),
                     1);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM passages_indexed"),
                     CORPUS_PASSAGES);
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM shuffles"), 0);
    /* Migration 7 fills the trigram index and the letter counts. */
    assert_int_equal(q_int(fx.db, "SELECT count(*) FROM passages_tri "
                                  "WHERE passages_tri MATCH 'fin'"),
                     q_int(fx.db, "SELECT count(*) FROM passages "
                                  "WHERE shown LIKE '%fin%'"));
    assert_int_equal(q_int(fx.db, "SELECT letters FROM corpus_counts"), 3);
    next_id(&fx, "#a", NULL);
    assert_int_equal(set_prefix(fx.state, "#a", "?"), T_OK);
    fx_close(&fx);

    fx_open(&fx, true);
    assert_string_equal(state_channel(fx.state, "#a")->prefix, "?");
    fx_close(&fx);

    /* A newer schema is refused both ways. */
    assert_int_equal(sqlite3_open(fx.path, &fx.db), SQLITE_OK);
    char newer[64];
    snprintf(newer, sizeof newer, "PRAGMA user_version = %d",
             DB_SCHEMA_VERSION + 1);
    exec_ok(fx.db, newer);
    db_close(fx.db);
    assert_int_equal(db_open_readonly(fx.path, &ro, &err), STATUS_ERROR);
    assert_int_equal(db_open(fx.path, &ro, &err), STATUS_ERROR);
    assert_non_null(strstr(err.msg, "newer"));
}

/* state_new on a database without the state tables fails cleanly. */
static void test_state_new_needs_schema(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    Error err = {0};
    assert_null(state_new(db, &err));
    assert_non_null(strstr(err.msg, "state: "));
    sqlite3_close(db);
}

/* --- the quote of the day -------------------------------------------------- */

static void test_daily_settings_and_record(void **state)
{
    (void)state;
    Fixture fx;
    Error err = {0};
    StateDaily d;
    fx_corpus(&fx);

    /* None yet: defaults. */
    assert_int_equal(state_daily_get(fx.state, "#a", &d, &err), STATUS_OK);
    assert_int_equal(d.mode, STATE_DAILY_DEFAULT);
    assert_false(d.record.has_done);
    assert_false(d.record.has_pending);

    assert_int_equal(state_daily_set_mode(fx.state, "#A", STATE_DAILY_ON, 8, 30,
                                          "Europe/Berlin", &err),
                     STATUS_OK);
    DailyRecord rec = {.has_done = true,
                       .done = {2026, 3, 28},
                       .has_pending = true,
                       .pending = {2026, 3, 29},
                       .sends = 1};
    assert_int_equal(state_daily_set_record(fx.state, "#a", &rec, 2, 3, &err),
                     STATUS_OK);
    fx_close(&fx);

    /* Both survive a restart, and the record keeps the override. */
    fx_open(&fx, false);
    assert_int_equal(state_daily_get(fx.state, "#a", &d, &err), STATUS_OK);
    assert_int_equal(d.mode, STATE_DAILY_ON);
    assert_int_equal(d.hour, 8);
    assert_int_equal(d.minute, 30);
    assert_string_equal(d.zone, "Europe/Berlin");
    assert_true(d.record.has_done);
    assert_int_equal(daily_date_cmp(d.record.done, rec.done), 0);
    assert_true(d.record.has_pending);
    assert_int_equal(daily_date_cmp(d.record.pending, rec.pending), 0);
    assert_int_equal(d.record.sends, 1);
    assert_int_equal(d.letter, 2);
    assert_int_equal(d.para, 3);
    assert_string_equal(q_text(fx.db, "SELECT done || ' ' || pending FROM "
                                      "daily WHERE channel = '#a'"),
                        "2026-03-28 2026-03-29");

    /* Acknowledged: done moves on, pending is cleared; mode kept. */
    rec = (DailyRecord){.has_done = true, .done = {2026, 3, 29}};
    assert_int_equal(state_daily_set_record(fx.state, "#a", &rec, 0, 0, &err),
                     STATUS_OK);
    assert_int_equal(
        state_daily_set_mode(fx.state, "#a", STATE_DAILY_OFF, 0, 0, NULL, &err),
        STATUS_OK);
    assert_int_equal(state_daily_get(fx.state, "#a", &d, &err), STATUS_OK);
    assert_int_equal(d.mode, STATE_DAILY_OFF);
    assert_false(d.record.has_pending);
    assert_int_equal(daily_date_cmp(d.record.done, rec.done), 0);
    assert_int_equal(state_daily_set_mode(fx.state, "#a", STATE_DAILY_DEFAULT,
                                          0, 0, NULL, &err),
                     STATUS_OK);
    assert_int_equal(state_daily_get(fx.state, "#a", &d, &err), STATUS_OK);
    assert_int_equal(d.mode, STATE_DAILY_DEFAULT);
    assert_true(d.record.has_done);

    /* Refusals; hand-edited rows read as absent, never as garbage. */
    assert_int_equal(state_daily_set_mode(fx.state, "#a", STATE_DAILY_ON, 24, 0,
                                          "UTC", &err),
                     STATUS_INVALID);
    assert_int_equal(state_daily_set_mode(fx.state, "bad name", STATE_DAILY_ON,
                                          1, 0, "UTC", &err),
                     STATUS_INVALID);
    assert_int_equal(state_daily_get(fx.state, "", &d, &err), STATUS_INVALID);
    exec_ok(fx.db, "UPDATE daily SET done = '2026-02-30', pending = 'x',"
                   " mode = 1, hour = 99 WHERE channel = '#a'");
    assert_int_equal(state_daily_get(fx.state, "#a", &d, &err), STATUS_OK);
    assert_int_equal(d.mode, STATE_DAILY_DEFAULT);
    assert_false(d.record.has_done);
    assert_false(d.record.has_pending);
    fx_close(&fx);
}

/* The shuffle behind the daily post: 1,000 simulated days in one channel,
 * no passage twice before every passage was shown, across restarts. */
static void test_daily_thousand_days_no_repeat(void **state)
{
    (void)state;
    Fixture fx;
    fx_corpus(&fx);
    int seen[CORPUS_PASSAGES];
    size_t nseen = 0, cycles = 0;
    for (int day = 0; day < 1000; day++) {
        if (day % 97 == 0) { /* a restart now and then */
            fx_close(&fx);
            fx_open(&fx, false);
        }
        int id = next_id(&fx, "#daily", NULL);
        assert_false(contains(seen, nseen, id));
        seen[nseen++] = id;
        if (nseen == CORPUS_PASSAGES) {
            nseen = 0;
            cycles++;
        }
    }
    assert_int_equal(cycles, 1000 / CORPUS_PASSAGES);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shuffle_is_permutation),
        cmocka_unit_test(test_shuffle_seeds_differ),
        cmocka_unit_test(test_shuffle_uniform),
        cmocka_unit_test(test_shuffle_edges),
        cmocka_unit_test(test_cycle_full),
        cmocka_unit_test(test_cycle_filter),
        cmocka_unit_test(test_cycle_passes_over_short),
        cmocka_unit_test(test_cycle_avoids_last_shown),
        cmocka_unit_test(test_random_passes_over_short),
        cmocka_unit_test(test_cycle_persists),
        cmocka_unit_test(test_cycle_per_channel),
        cmocka_unit_test(test_cycle_reimport),
        cmocka_unit_test(test_count_other_connection),
        cmocka_unit_test(test_lookups_after_budget),
        cmocka_unit_test(test_pick_addressees),
        cmocka_unit_test(test_pick_by_rank),
        cmocka_unit_test(test_person),
        cmocka_unit_test(test_cycle_bad_row),
        cmocka_unit_test(test_cycle_readonly),
        cmocka_unit_test(test_cycle_under_write_lock),
        cmocka_unit_test(test_cycle_lazy),
        cmocka_unit_test(test_stale_corpus_deadline),
        cmocka_unit_test(test_settings_defaults),
        cmocka_unit_test(test_settings_set_get_persist),
        cmocka_unit_test(test_settings_validation),
        cmocka_unit_test(test_settings_hand_edited),
        cmocka_unit_test(test_migrate_from_v1),
        cmocka_unit_test(test_daily_settings_and_record),
        cmocka_unit_test(test_daily_thousand_days_no_repeat),
        cmocka_unit_test(test_state_new_needs_schema),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
