/* test_reply.c - the !reply ranking over the shipped corpus: stems from the
 * index's own tokenizer, IDF weights, alias expansion, the threshold that
 * declines, variety, the author filter and the addressee, hostile input;
 * and the place/term lines of the alias table it relies on.  A small corpus
 * of its own shows stem prefixes, unseen names and bm25 over concepts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include <sqlite3.h>

#include "concepts.h"
#include "corpus.h"
#include "db.h"
#include "evidence.h"
#include "import.h"
#include "people.h"
#include "question.h"
#include "reply.h"

typedef struct {
    char path[64];
    sqlite3 *db;
    People *aliases; /* the shipped table */
    People *bare;    /* people only: no places, no terms */
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    Error err = {0};
    ImportReport rep;
    const char *corpus = DATADIR "/stalin-churchill-1941.txt";
    static const char bare[] = "Stalin: Stalin\nChurchill: Churchill\n";

    if (!f)
        return -1;
    snprintf(f->path, sizeof f->path, "/tmp/test_reply.XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    close(fd);
    if (db_open(f->path, &f->db, &err) != STATUS_OK ||
        import_files(f->db, &corpus, 1, DATADIR, &rep, &err) != STATUS_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    f->aliases = people_load(DATADIR "/aliases.txt", &err);
    f->bare = people_load_buffer("bare", bare, sizeof bare - 1, &err);
    if (!f->aliases || !f->bare)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    db_close(f->db);
    unlink(f->path);
    people_free(f->aliases);
    people_free(f->bare);
    free(f);
    return 0;
}

/* The best answer as "L.P", or "none". */
static const char *best(Fixture *f, const char *msg, const char *sender,
                        const People *al, int avoid_l, int avoid_p)
{
    static char buf[32];
    ReplyQuery q = {.message = msg,
                    .sender = sender,
                    .aliases = al,
                    .avoid_letter = avoid_l,
                    .avoid_para = avoid_p};
    ReplyResult r;
    Status rc = reply_best(f->db, &q, &r, NULL);
    assert_int_not_equal(rc, STATUS_ERROR);
    if (rc == STATUS_NOTFOUND)
        return "none";
    assert_int_equal(rc, STATUS_OK);
    snprintf(buf, sizeof buf, "%d.%d", r.letter, r.para);
    return buf;
}

/* A small corpus of its own, for what the shipped letters cannot show. */
static const char small_corpus[] =
    "Personal Message from Stalin to Mr Churchill\n\n"
    "The occupation of Germany will be shared by our armies.\n\n"
    "The Reparations Commission will meet in Moscow to discuss Germany.\n\n"
    "The weather was favourable: the armies of Germany fled our armies.\n\n"
    "Source: Test fixture for test_reply.\n\n"
    "W. CHURCHILL TO J. V. STALIN*\n\n"
    "The invader, the invader and again the invader: the enemy presses on.\n\n"
    "An invasion of Britain is no longer possible this year.\n\n"
    "The convoys sail on Thursday with tanks for the enemies of Germany.\n\n"
    "Source: Test fixture for test_reply.\n";

typedef struct {
    char dir[TESTUTIL_DIR_MAX], path[TESTUTIL_DIR_MAX + 16],
        text[TESTUTIL_DIR_MAX + 16];
    sqlite3 *db;
} Small;

static void small_open_text(Small *s, const char *text, size_t len)
{
    Error err = {0};
    ImportReport rep;
    const char *paths[1];

    assert_int_equal(testutil_tmpdir("reply", s->dir, sizeof s->dir), 0);
    snprintf(s->text, sizeof s->text, "%s/letters.txt", s->dir);
    snprintf(s->path, sizeof s->path, "%s/small.db", s->dir);
    FILE *f = fopen(s->text, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    paths[0] = s->text;
    assert_int_equal(db_open(s->path, &s->db, &err), STATUS_OK);
    assert_int_equal(import_files(s->db, paths, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
}

static void small_open(Small *s)
{
    Error err = {0};
    ImportReport rep;
    const char *paths[1];

    assert_int_equal(testutil_tmpdir("reply", s->dir, sizeof s->dir), 0);
    snprintf(s->text, sizeof s->text, "%s/letters.txt", s->dir);
    snprintf(s->path, sizeof s->path, "%s/small.db", s->dir);
    FILE *f = fopen(s->text, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(small_corpus, 1, sizeof small_corpus - 1, f),
                     sizeof small_corpus - 1);
    assert_int_equal(fclose(f), 0);
    paths[0] = s->text;
    assert_int_equal(db_open(s->path, &s->db, &err), STATUS_OK);
    assert_int_equal(import_files(s->db, paths, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
}

static void small_close(Small *s)
{
    db_close(s->db);
    assert_int_equal(testutil_rmtree(s->dir), 0);
}

/* The best answer in db as "L.P", or "none". */
static const char *small_best(sqlite3 *db, const char *msg, const People *al)
{
    static char buf[32];
    ReplyQuery q = {.message = msg, .aliases = al};
    ReplyResult r;
    Status rc = reply_best(db, &q, &r, NULL);
    assert_int_not_equal(rc, STATUS_ERROR);
    if (rc == STATUS_NOTFOUND)
        return "none";
    snprintf(buf, sizeof buf, "%d.%d", r.letter, r.para);
    return buf;
}

/* The confidence of the best ranked passage, declined or not; -1: none. */
static double small_confidence(sqlite3 *db, const char *msg, const People *al)
{
    ReplyQuery q = {.message = msg, .aliases = al};
    ReplyResult r[4];
    size_t n;
    assert_int_equal(reply_rank(db, &q, r, 4, &n, NULL), STATUS_OK);
    return n ? r[0].confidence : -1;
}

static void test_stem_prefixes(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    /* Porter: "occupied" is "occupi", "occupation" "occup"; they meet. */
    assert_string_equal(small_best(s.db, "occupied", f->bare), "1.1");
    assert_string_equal(
        small_best(s.db, "how will Germany be occupied?", f->bare), "1.1");
    /* One letter more, not two: "commit" is not "commission", "favourite"
     * not "favourable"; short words get no prefix at all. */
    assert_string_equal(small_best(s.db, "commit", f->bare), "none");
    assert_string_equal(small_best(s.db, "favourite", f->bare), "none");
    assert_string_equal(small_best(s.db, "armed", f->bare), "none");
    small_close(&s);
}

static void test_unseen_names(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    /* A capitalised word the letters lack is what the message is about;
     * the same word in lower case may be the reader's own word for it. */
    double named =
        small_confidence(s.db, "what about the Battle of Britain?", f->bare);
    double plain =
        small_confidence(s.db, "what about the battle of britain?", f->bare);
    assert_true(named > 0 && plain > 0);
    assert_true(named < plain);
    assert_string_equal(
        small_best(s.db, "what about the Battle of Britain?", f->bare), "none");
    /* The first word of a sentence is capitalised anyway. */
    assert_true(small_confidence(s.db, "Battle of Britain?", f->bare) >
                named + 1e-9);
    /* A place of the alias table the letters never name: a name they lack.
     * A correspondent they never name in the text: not. */
    assert_string_equal(
        small_best(s.db, "the occupation and Norway", f->aliases), "none");
    assert_string_equal(
        small_best(s.db, "the occupation and Roosevelt", f->aliases), "1.1");
    small_close(&s);
}

static void test_coverage_before_repetition(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    /* "invader" three times does not beat "invasion of Britain" once. */
    assert_string_equal(
        small_best(s.db, "could Britain be invaded?", f->aliases), "2.2");
    /* Among passages holding the same concepts, bm25's tf and length
     * decide: Germany everywhere, the armies twice. */
    assert_string_equal(small_best(s.db, "the armies of Germany", f->bare),
                        "1.3");
    small_close(&s);
}

static void test_stems_meet_the_index(void **state)
{
    Fixture *f = *state;
    /* "volunteer" is stemmed as the index stemmed "volunteers"; "declaring"
     * and "declaration" meet at "declar". */
    assert_string_equal(best(f, "a volunteer?", NULL, f->bare, 0, 0), "1.6");
    assert_string_equal(best(f, "declaring", NULL, f->bare, 0, 0), "2.2");
    assert_string_equal(best(f, "DECLARATIONS", NULL, f->bare, 0, 0), "2.2");
}

static void test_rare_words_weigh_more(void **state)
{
    Fixture *f = *state;
    ReplyQuery q = {.message = "Soviet troops Norwegian", .aliases = f->bare};
    ReplyResult r[8];
    size_t n;

    /* "Soviet" and "troops" are everywhere in Stalin's letters; only 1.6
     * has "Norwegian", and it wins though 1.3 has the other two. */
    assert_int_equal(reply_rank(f->db, &q, r, 8, &n, NULL), STATUS_OK);
    assert_true(n >= 3);
    assert_int_equal(r[0].letter, 1);
    assert_int_equal(r[0].para, 6);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].confidence >= 0 && r[i].confidence <= 1.0 + 1e-9);
        if (i)
            assert_true(r[i].score <= r[i - 1].score);
    }
}

static void test_aliases_expand(void **state)
{
    Fixture *f = *state;
    /* The letters say "U.S.S.R." and "Finland"; the reader "USSR" and
     * "the Finns". */
    assert_string_equal(
        best(f, "the USSR and the Finns?", NULL, f->aliases, 0, 0), "3.3");
    /* Without the alias table, only WordNet (the concept table) knows that
     * the USSR is Russia. */
    assert_string_equal(best(f, "the USSR?", NULL, f->bare, 0, 0),
                        concepts_have_wordnet() ? "2.5" : "none");
    /* "after the war" is the letters' "post-war"; "want" their "wish". */
    assert_string_equal(
        best(f, "what do you want after the war?", NULL, f->aliases, 0, 0),
        "2.5");
    /* Without them "want" is a word the letters never use, weighed as a
     * possible paraphrase (see test_unseen_plain_words): the passage that
     * says "war" is found, but not 2.5, which says "wish" and "post-war". */
    assert_string_not_equal(
        best(f, "what do you want after the war?", NULL, f->bare, 0, 0), "2.5");
    /* NULL: no aliases at all, words only. */
    assert_string_not_equal(
        best(f, "what do you want after the war?", NULL, NULL, 0, 0), "2.5");
}

static void test_threshold_declines(void **state)
{
    Fixture *f = *state;
    static const char *const nonsense[] = {
        "",
        "   ",
        "the and of to",
        "what is your favourite colour?",
        "who won the 1966 world cup?",
        "tell me about Japan",
        "pizza recipe",
        "hello there",
        "how old are you?",
        "!!! ??? ...",
    };
    for (size_t i = 0; i < sizeof nonsense / sizeof nonsense[0]; i++) {
        const char *got = best(f, nonsense[i], NULL, f->aliases, 0, 0);
        if (strcmp(got, "none") != 0)
            fail_msg("'%s' answered %s", nonsense[i], got);
    }
    ReplyResult weak = {.confidence = REPLY_MIN_TOPICAL - 0.01,
                        .evidence = 10};
    assert_false(reply_is_answer(&weak));
    weak.confidence = 1;
    weak.evidence = REPLY_MIN_EVIDENCE - 0.01;
    assert_false(reply_is_answer(&weak));
    weak.evidence = REPLY_MIN_EVIDENCE;
    assert_true(reply_is_answer(&weak));
}

/* The verdict by evidence, on results made by hand: a message that lacks
 * nothing needs REPLY_MIN_TOPICAL, whatever matched, unless only names
 * matched while the thing it asks about is elsewhere (names_only); a thing
 * the letters lack declines unless content matched, and then keeps the
 * full bar; so does a name they lack. */
static void test_evidence_verdict(void **state)
{
    (void)state;
    double between = (REPLY_MIN_TOPICAL + REPLY_MIN_CONFIDENCE) / 2;
    ReplyResult r = {.confidence = between, .evidence = 10};

    assert_true(reply_is_answer(&r)); /* names, nothing asked elsewhere */
    r.names_only = true;
    assert_false(reply_is_answer(&r));
    r.names_only = false;
    r.topical = true;
    assert_true(reply_is_answer(&r));
    r.confidence = REPLY_MIN_TOPICAL - 0.01;
    assert_false(reply_is_answer(&r));

    ReplyResult lack = {.confidence = 1, .evidence = 10, .lacking = true,
                        .topical = true};
    assert_false(reply_is_answer(&lack)); /* no content word matched */
    lack.content = true;
    assert_true(reply_is_answer(&lack));
    lack.confidence = between;
    assert_false(reply_is_answer(&lack)); /* content, but the full bar */
    lack.confidence = REPLY_MIN_CONFIDENCE;
    assert_true(reply_is_answer(&lack));

    ReplyResult name = {.confidence = between, .evidence = 10,
                        .lacks_name = true, .topical = true, .content = true};
    assert_false(reply_is_answer(&name));
}

/* Declined for confidence alone, or by evidence (evidence_only_unsure). */
static void test_evidence_only_unsure(void **state)
{
    (void)state;
    ReplyResult r = {.confidence = REPLY_MIN_TOPICAL - 0.01, .evidence = 10,
                     .topical = true, .content = true};

    assert_false(reply_is_answer(&r));
    assert_true(evidence_only_unsure(&r));
    r.confidence = REPLY_MIN_TOPICAL; /* an answer is not "unsure" */
    assert_false(evidence_only_unsure(&r));
    r.confidence = REPLY_MIN_TOPICAL - 0.01;
    r.names_only = true; /* evidence that the letters do not answer */
    r.content = r.topical = false;
    assert_false(evidence_only_unsure(&r));
    r.names_only = false;
    r.content = r.topical = true;
    r.lacking = true;
    r.content = false; /* a thing they lack, no content word matched */
    assert_false(evidence_only_unsure(&r));
    r.content = true;
    assert_true(evidence_only_unsure(&r));
    r.evidence = REPLY_MIN_EVIDENCE / 2; /* nothing rare in the window */
    assert_false(evidence_only_unsure(&r));
    /* Names only, but a capitalised word of no alias among them ("the
     * Allies"): a reader's capital, not evidence. */
    ReplyResult names = {.confidence = REPLY_MIN_TOPICAL - 0.01,
                         .evidence = 10, .names_only = true};
    assert_false(evidence_only_unsure(&names));
    names.topical = true;
    assert_true(evidence_only_unsure(&names));
}

/* A capitalised thing is a name, and the noun of its phrase itself: the
 * verb after it ("will the Commission convene") is no noun the letters
 * lack (evidence_open_noun), so the words no letter uses are the reader's
 * wording once the window holds the Commission and Moscow.  After a plain
 * word ("the commission convene") it may be the noun of which the thing
 * is the adjective ("a good novel"), and the full mass decides. */
static void test_name_ends_its_phrase(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    double named = small_confidence(
        s.db, "will the Commission convene in Moscow together?", f->aliases);
    double plain = small_confidence(
        s.db, "will the commission convene in Moscow together?", f->aliases);
    assert_true(fabs(named - 1.0) < 1e-9);
    assert_true(plain > 0 && plain < named - 1e-9);
    assert_string_equal(
        small_best(s.db, "will the Commission convene in Moscow together?",
                   f->aliases),
        "1.2");
    /* A place's adjective still takes the next word as its noun: "the
     * German oil" is oil, which no letter holds. */
    assert_string_equal(
        small_best(s.db, "what about the German oil?", f->aliases), "none");
    small_close(&s);
    /* Over the shipped letters both together: "the Allies" (1.2) is a
     * capitalised word of no alias, so its window of names does not hide
     * 2.5, where the victory is and the rest is the reader's wording. */
    assert_string_equal(best(f, "will the Allies sit together after the victory?",
                             NULL, f->aliases, 0, 0),
                        "2.5");
}

/* Nearness: two passages hold the same two words once each; the one that
 * holds them in one phrase answers, though it is the longer (bm25 alone,
 * on length, prefers the other). */
static const char near_corpus[] =
    "Personal Message from Stalin to Mr Churchill\n\n"
    "The position of our troops at the front remains strained. The rains "
    "have come early this year, and the roads are deep in mud.\n\n"
    "Our position is firm. We shall write of the front later.\n\n"
    "The convoys sail on Thursday with tanks.\n\n"
    "An invasion of Britain is no longer possible this year.\n\n"
    "Source: Test fixture for test_reply.\n";

static void test_nearness(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyQuery q = {.message = "how is the position at the front?",
                    .aliases = f->bare};
    ReplyResult r[4];
    size_t n = 0;

    small_open_text(&s, near_corpus, sizeof near_corpus - 1);
    assert_int_equal(reply_rank(s.db, &q, r, 4, &n, NULL), STATUS_OK);
    assert_true(n >= 2);
    assert_int_equal(r[0].letter, 1);
    assert_int_equal(r[0].para, 1);
    assert_int_equal(r[1].para, 2);
    /* Both hold every word asked: coverage ties, nearness decides. */
    assert_true(fabs(r[0].confidence - r[1].confidence) < 1e-9);
    small_close(&s);
}

/* The first answer goes first past passages declined for confidence
 * alone: over the shipped letters, 3.4 ("joint operations by the Soviet
 * and British troops") holds more of "how many troops can Britain ship to
 * Russia?" close together and outscores 2.4, but not enough of it to
 * answer; 2.4 ("the sending of troops ... our shipping resources") does. */
static void test_promote_first_answer(void **state)
{
    Fixture *f = *state;
    ReplyQuery q = {.message = "how many troops can Britain ship to Russia?",
                    .aliases = f->aliases};
    ReplyResult r[8];
    size_t n = 0;

    assert_int_equal(reply_rank(f->db, &q, r, 8, &n, NULL), STATUS_OK);
    assert_true(n >= 2);
    assert_int_equal(r[0].letter, 2);
    assert_int_equal(r[0].para, 4);
    assert_true(reply_is_answer(&r[0]));
    for (size_t i = 1; i < n && r[i].score > r[0].score; i++)
        assert_true(evidence_only_unsure(&r[i]));
    assert_string_equal(best(f, q.message, NULL, f->aliases, 0, 0), "2.4");
}

/* The best ranked result in db (declined or not); false: none ranked. */
static bool small_top(sqlite3 *db, const char *msg, const People *al,
                      ReplyResult *out)
{
    ReplyQuery q = {.message = msg, .aliases = al};
    size_t n = 0;
    assert_int_equal(reply_rank(db, &q, out, 1, &n, NULL), STATUS_OK);
    return n == 1;
}

/* Evidence on the small corpus, whose words are known: a noun after an
 * article or a number the letters lack, with only a place matched, is
 * declined ("the population of Moscow", "in 1939"); a verb they lack is a
 * reader's wording, not a missing thing ("has Moscow surrendered?"). */
static void test_evidence_missing_thing(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyResult r;

    small_open(&s);
    assert_string_equal(
        small_best(s.db, "what is the population of Moscow?", f->aliases),
        "none");
    assert_true(small_top(s.db, "what is the population of Moscow?",
                          f->aliases, &r));
    assert_true(r.lacking);
    assert_false(r.content);
    assert_string_equal(
        small_best(s.db, "what happened in Moscow in 1939?", f->aliases),
        "none");
    assert_string_equal(
        small_best(s.db, "which population lives in Moscow?", f->aliases),
        "none");
    /* "how" and an adjective ask for a measure the letters do not give. */
    assert_string_equal(small_best(s.db, "how old is Moscow?", f->aliases),
                        "none");
    /* "which" inside the question is a pronoun, not a determiner. */
    assert_true(small_top(s.db, "did Moscow host the Commission which gathered?",
                          f->aliases, &r));
    assert_false(r.lacking);
    /* A place's adjective stays inside the noun phrase; a plural place is
     * the noun itself ("the Germans still ..."). */
    assert_string_equal(
        small_best(s.db, "what about the German population?", f->aliases),
        "none");
    assert_true(small_top(s.db, "are the Germans still fleeing?", f->aliases,
                          &r));
    assert_false(r.lacking);
    assert_true(small_top(s.db, "has Moscow surrendered?", f->aliases, &r));
    assert_false(r.lacking);
    assert_string_equal(
        small_best(s.db, "has Moscow surrendered?", f->aliases), "1.2");
    /* Content matched beside the missing thing: the full bar, not none. */
    assert_true(small_top(s.db, "will the convoys sail with the cargo?",
                          f->aliases, &r));
    assert_true(r.lacking);
    assert_true(r.content);
    assert_int_equal(r.letter, 2);
    assert_int_equal(r.para, 3);
    assert_true(reply_is_answer(&r));
    small_close(&s);
}

/* Wording (evidence_wording): when the best window holds what the message
 * is about (its things the letters hold, or every word they hold), the
 * words no letter uses are the reader's wording and leave the mass.  Not
 * when a thing the letters hold is outside the window, nor the word after
 * it ("a good novel"), nor when the message lacks a thing or a name. */
static void test_evidence_wording(void **state)
{
    Fixture *f = *state;
    EvidenceConcept c[4] = {
        {.kind = EVIDENCE_WORD, .df = 0},                        /* verb */
        {.kind = EVIDENCE_WORD, .df = 0},                        /* verb */
        {.kind = EVIDENCE_WORD, .thing = true, .df = 2, .seen = true},
        {.kind = EVIDENCE_WORD, .df = 3, .seen = true},          /* other */
    };
    /* The thing in the window, another word the letters hold not. */
    assert_int_equal(evidence_wording(c, 4, 0x4, false, false), 0x3);
    /* The thing outside: the unseen words may be the topic. */
    assert_int_equal(evidence_wording(c, 4, 0x8, false, false), 0);
    /* Every word the letters hold in it, though no thing is. */
    c[2].thing = false;
    assert_int_equal(evidence_wording(c, 4, 0xc, false, false), 0x3);
    assert_int_equal(evidence_wording(c, 4, 0xc, true, false), 0);
    assert_int_equal(evidence_wording(c, 4, 0xc, false, true), 0);
    /* The noun after the thing's adjective counts with it, held or not
     * ("a good novel", no letter holding "novel"). */
    c[2].thing = true;
    c[3].tail = true;
    assert_int_equal(evidence_wording(c, 4, 0x4, false, false), 0);
    c[1].tail = true;
    c[3].tail = false;
    assert_int_equal(evidence_wording(c, 4, 0xc, false, false), 0);
    c[1].tail = false;
    /* A capitalised word is a name, never wording. */
    c[0].named = true;
    assert_int_equal(evidence_wording(c, 4, 0xc, false, false), 0x2);
    /* More unseen words than twice the matched ones are not wording. */
    EvidenceConcept many[6] = {
        {.kind = EVIDENCE_WORD, .thing = true, .df = 2, .seen = true},
        {.kind = EVIDENCE_WORD}, {.kind = EVIDENCE_WORD},
        {.kind = EVIDENCE_WORD}, {.kind = EVIDENCE_WORD},
        {.kind = EVIDENCE_WORD},
    };
    assert_int_equal(evidence_wording(many, 6, 0x1, false, false), 0);
    assert_int_equal(evidence_wording(many, 3, 0x1, false, false), 0x6);

    /* End to end: two words the letters never use beside "the weather",
     * whose passage answers though "Thursday" is in another; with them in
     * the mass it fell under the bar. */
    Small s;
    small_open(&s);
    assert_string_equal(
        small_best(s.db, "was the weather on Thursday stubbornly bleak?",
                   f->aliases),
        "1.3");
    /* Many words of a topic no letter holds, beside one that matched. */
    assert_string_equal(
        small_best(s.db,
                   "what of quantum physics and string theory and the "
                   "invader?",
                   f->aliases),
        "none");
    /* The same words around a thing no letter holds: declined. */
    assert_string_equal(
        small_best(s.db,
                   "was the climate on Thursday stubbornly bleak?",
                   f->aliases),
        "none");
    small_close(&s);
}

/* Names only (evidence_window): a window that matched only a place, while
 * the thing the message asks about is in another passage, is declined
 * whatever its share; the passage holding the thing is not names only. */
static void test_evidence_names_only(void **state)
{
    Fixture *f = *state;
    EvidenceConcept c[2] = {
        {.kind = EVIDENCE_WORD, .thing = true, .df = 1, .seen = true},
        {.kind = EVIDENCE_PLACE, .df = 1, .seen = true},
    };
    bool topical, content, names_only;
    evidence_window(c, 2, 0x2, &topical, &content, &names_only);
    assert_true(names_only);
    evidence_window(c, 2, 0x3, &topical, &content, &names_only);
    assert_false(names_only);
    /* A capitalised thing too: "the Battle of Britain" with only Britain
     * in the window. */
    c[0].named = true;
    evidence_window(c, 2, 0x2, &topical, &content, &names_only);
    assert_true(names_only);
    c[0].named = false;
    c[0].df = 0; /* a thing no letter holds: evidence_lacks' case */
    evidence_window(c, 2, 0x2, &topical, &content, &names_only);
    assert_false(names_only);

    ReplyResult r = {.confidence = 1, .evidence = 10, .names_only = true};
    assert_false(reply_is_answer(&r));
    r.names_only = false;
    assert_true(reply_is_answer(&r));

    /* "the weather" is in 1.3, Moscow in 1.2: 1.2 mentions only the
     * place and is no answer, however it ranks. */
    Small s;
    ReplyQuery q = {.message = "what was the weather of Moscow?",
                    .aliases = f->aliases};
    ReplyResult rs[8];
    size_t n = 0, seen = 0;
    small_open(&s);
    assert_int_equal(reply_rank(s.db, &q, rs, 8, &n, NULL), STATUS_OK);
    for (size_t i = 0; i < n; i++) {
        if (rs[i].letter == 1 && rs[i].para == 2) {
            assert_true(rs[i].names_only);
            assert_false(reply_is_answer(&rs[i]));
            seen |= 1;
        }
        if (rs[i].letter == 1 && rs[i].para == 3) {
            assert_false(rs[i].names_only);
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    small_close(&s);
}

/* A general noun ("the way", "a lot") stands in for a topic: no thing the
 * letters lack, so no refusal by evidence. */
static void test_light_nouns(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyResult r;

    assert_true(question_is_chatter("way"));
    assert_true(question_is_chatter("thing"));
    assert_false(question_is_chatter("weather"));
    small_open(&s);
    assert_true(small_top(s.db, "was the weather in the way?", f->aliases, &r));
    assert_false(r.lacking);
    assert_int_equal(r.letter, 1);
    assert_int_equal(r.para, 3);
    /* A noun that names something still does. */
    assert_true(small_top(s.db, "was the weather in the newspapers?",
                          f->aliases, &r));
    assert_true(r.lacking);
    small_close(&s);
}

/* A place's adjective continues a noun phrase, its own name does not: the
 * verb after "the United Kingdom" is no thing the letters lack. */
static void test_place_adjective(void **state)
{
    Fixture *f = *state;
    assert_true(question_adjective("persian"));
    assert_true(question_adjective("british"));
    assert_true(question_adjective("japanese"));
    assert_true(question_adjective("baltic"));
    assert_true(question_adjective("nazi"));
    assert_false(question_adjective("persia"));
    assert_false(question_adjective("germans"));
    assert_false(question_adjective("union"));
    assert_false(question_adjective("uk"));

    Small s;
    ReplyResult r;
    small_open(&s);
    assert_true(small_top(s.db, "will the United Kingdom hurry?", f->aliases,
                          &r));
    assert_false(r.lacking);
    /* The adjective still does: "the British cargo" lacks "cargo". */
    assert_true(small_top(s.db, "what about the British cargo?", f->aliases,
                          &r));
    assert_true(r.lacking);
    small_close(&s);
}

/* A place matched alone is no topic; a plain word or a term is. */
static void test_evidence_topical(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyResult r;

    small_open(&s);
    assert_true(small_top(s.db, "what about Moscow?", f->aliases, &r));
    assert_false(r.topical);
    assert_true(small_top(s.db, "will the Commission meet?", f->aliases, &r));
    assert_true(r.topical);
    assert_true(r.content);
    /* "Reparations" is capitalised: topical, not content. */
    assert_true(small_top(s.db, "Reparations?", f->aliases, &r));
    assert_true(r.topical);
    small_close(&s);
}

/* A capitalised word the letters lack names something only at the end of
 * its run: "the Blue Armies" is armies, "the armies of Blue" is Blue. */
static void test_evidence_name_run(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyResult r;

    small_open(&s);
    assert_true(small_top(s.db, "why did the Blue Armies flee?", f->bare, &r));
    assert_false(r.lacks_name);
    assert_true(small_top(s.db, "why did the armies of Blue flee?", f->bare,
                          &r));
    assert_true(r.lacks_name);
    small_close(&s);
}

/* After a possessive a capitalised word is a title or an institution, not
 * a name the letters lack: "your Foreign Minister" may be their "Foreign
 * Secretary" and is the reader's wording; "the Foreign Minister" names. */
static void test_possessive_title(void **state)
{
    Fixture *f = *state;
    Small s;
    ReplyResult r;

    small_open(&s);
    assert_true(small_top(
        s.db, "will your Foreign Minister discuss Germany in Moscow?",
        f->aliases, &r));
    assert_false(r.lacks_name);
    assert_string_equal(
        small_best(s.db, "will your Foreign Minister discuss Germany in Moscow?",
                   f->aliases),
        "1.2");
    assert_string_equal(
        small_best(s.db, "will our Navy sail with the convoys?", f->aliases),
        "2.3");
    assert_true(small_top(
        s.db, "will the Foreign Minister discuss Germany in Moscow?",
        f->aliases, &r));
    assert_true(r.lacks_name);
    assert_string_equal(
        small_best(s.db, "will the Foreign Minister discuss Germany in Moscow?",
                   f->aliases),
        "none");
    small_close(&s);
}

static void test_prefix_not_restemmed(void **state)
{
    Fixture *f = *state;
    ReplyQuery q = {.message = "against", .aliases = f->bare};
    ReplyResult r[16];
    size_t n;

    /* "against" cuts to the prefix "agains"; stemmed again that would be
     * "again", and 3.4 ("from again breaking the peace") would match. */
    assert_int_equal(reply_rank(f->db, &q, r, 16, &n, NULL), STATUS_OK);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++)
        if (r[i].letter == 3 && r[i].para == 4)
            fail_msg("\"against\" matched \"again\" in 3.4");
}

static void test_thanks_answered(void **state)
{
    Fixture *f = *state;
    /* A thank-you finds the letters' own thanks (1.1, 2.1, 3.1). */
    const char *got =
        best(f, "thank you for your message", NULL, f->aliases, 0, 0);
    if (strcmp(got, "1.1") != 0 && strcmp(got, "2.1") != 0 &&
        strcmp(got, "3.1") != 0)
        fail_msg("thank-you answered %s", got);
    got = best(f, "many thanks!", NULL, f->aliases, 0, 0);
    if (strcmp(got, "1.1") != 0 && strcmp(got, "2.1") != 0 &&
        strcmp(got, "3.1") != 0)
        fail_msg("thanks answered %s", got);
}

static void test_courtesy_class(void **state)
{
    Fixture *f = *state;
    /* The classes: the reader's word and the letters' meet in one. */
    assert_true(question_courtesy("congrats") != 0);
    assert_int_equal(question_courtesy("congrats"),
                     question_courtesy("congratulations"));
    assert_int_equal(question_courtesy("grateful"), question_courtesy("thank"));
    assert_true(question_courtesy("luck") != question_courtesy("thanks"));
    assert_int_equal(question_courtesy("welcome"), 0); /* "I welcome the" */
    assert_int_equal(question_courtesy("libya"), 0);
    assert_non_null(question_courtesy_word(question_courtesy("luck"), 0));
    assert_null(question_courtesy_word(0, 0));
    assert_true(question_is_warm("many") && !question_is_warm("thanks"));
    /* "congrats" is no word of the letters, nor WordNet's: the class finds
     * Stalin's "Please accept my congratulations on ... Libya" (3.5). */
    assert_string_equal(
        best(f, "congrats on the Libya push", NULL, f->aliases, 0, 0), "3.5");
    /* "many" only warms the thanks: it would match 3.2's "in many
     * respects".  Stalin thanks in 1.1 and 3.1. */
    const char *got = best(f, "many thanks, Stalin", NULL, f->aliases, 0, 0);
    if (strcmp(got, "1.1") != 0 && strcmp(got, "3.1") != 0)
        fail_msg("many thanks, Stalin answered %s", got);
    /* A courtesy no letter of the author words ("luck") is manner, not a
     * topic they lack: the soldiers decide (3.6, "our troops"). */
    got = best(f, "good luck to your brave troops", "Stalin", f->aliases, 0, 0);
    if (strcmp(got, "3.6") != 0 && strcmp(got, "1.3") != 0)
        fail_msg("good luck to your brave troops answered %s", got);
    /* A courtesy alone is no topic: greetings no letter words decline. */
    assert_string_equal(best(f, "greetings", NULL, f->aliases, 0, 0), "none");
    /* A reader's word for the courtesy that the letters use otherwise is
     * recognised, not looked for: "kind regards" is not 3.3's "as regards
     * Finland", "cheers" finds the letters' thanks. */
    assert_int_equal(question_courtesy("cheers"), question_courtesy("thanks"));
    assert_string_equal(best(f, "kind regards", NULL, f->aliases, 0, 0),
                        "none");
    got = best(f, "cheers for the message", NULL, f->aliases, 0, 0);
    if (strcmp(got, "1.1") != 0 && strcmp(got, "2.1") != 0 &&
        strcmp(got, "3.1") != 0)
        fail_msg("cheers answered %s", got);
}

/* Churchill reports the landing in Normandy (2.1); Stalin answers of the
 * landing without naming the place (1.1).  "landing" is common, Normandy
 * rare: over everyone's passages the place weighs most (the base before
 * reply7 answered 2.1 to all three messages below). */
static const char landing_corpus[] =
    "Personal Message from Stalin to Mr Churchill\n\n"
    "The landing on a large scale has been a brilliant success.\n\n"
    "Our troops will begin the summer offensive in June.\n\n"
    "Source: Test fixture for test_reply.\n\n"
    "W. CHURCHILL TO J. V. STALIN*\n\n"
    "The landing in Normandy went well; ten divisions are ashore.\n\n"
    "The weather was doubtful for the crossing.\n\n"
    "More landing craft will be built this winter.\n\n"
    "The landing of supplies at Murmansk continues.\n\n"
    "Source: Test fixture for test_reply.\n";

/* The confidence of the best ranked passage over the shipped letters. */
static double shipped_confidence(Fixture *f, const char *msg)
{
    ReplyQuery q = {.message = msg, .aliases = f->aliases};
    ReplyResult r[2];
    size_t n = 0;
    assert_int_equal(reply_rank(f->db, &q, r, 2, &n, NULL), STATUS_OK);
    return n ? r[0].confidence : -1;
}

/* After a greeting the name is whom the message addresses, as after
 * "dear" or before a comma: no topic of it.  The rest is asked alike. */
static void test_greeting_addresses(void **state)
{
    Fixture *f = *state;
    double plain = shipped_confidence(f, "Winston, will you send Eden?");
    assert_true(plain > 0);
    assert_true(fabs(shipped_confidence(f, "hi Winston, will you send Eden?") -
                     plain) < 1e-9);
    assert_true(fabs(shipped_confidence(f, "dear Winston, will you send Eden?") -
                     plain) < 1e-9);
    assert_string_equal(
        best(f, "hello Winston, will you send Eden?", NULL, f->aliases, 0, 0),
        best(f, "Winston, will you send Eden?", NULL, f->aliases, 0, 0));
}

static void test_addressee_answers(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open_text(&s, landing_corpus, sizeof landing_corpus - 1);
    /* Over everyone's passages Normandy weighs fully and Stalin's 1.1
     * lacks it; asked as Stalin, it is the reader's side's place. */
    assert_string_equal(
        small_best(s.db, "what do you think of the landing in Normandy?",
                   f->aliases),
        "2.1");
    assert_string_equal(
        small_best(s.db,
                   "Uncle Joe, what do you think of the landing in Normandy?",
                   f->aliases),
        "1.1");
    /* A plain word only Churchill uses still weighs as over everyone's
     * passages: Stalin's landing does not answer of the weather. */
    const char *got = small_best(
        s.db, "Uncle Joe, what about the weather in Normandy?", f->aliases);
    assert_string_not_equal(got, "1.1");
    /* Named in the third person, one correspondent is asked the same way:
     * what Stalin thinks is in his own passage. */
    assert_string_equal(
        small_best(s.db, "what does Stalin think of the landing in Normandy?",
                   f->aliases),
        "1.1");
    small_close(&s);
}

static void test_unseen_plain_words(void **state)
{
    Fixture *f = *state;
    /* "holding" is no word of the letters: it weighs a share of the words
     * they do use ("troops"), not the idf of a word in no passage, which
     * on three letters outweighed the matched word and declined. */
    const char *got = best(f, "Uncle Joe, how are your troops holding up?",
                           NULL, f->aliases, 0, 0);
    if (strcmp(got, "3.6") != 0 && strcmp(got, "1.3") != 0)
        fail_msg("troops holding up answered %s", got);
    /* Words the letters lack still decline when they are most of the
     * message, and a name they lack keeps its full weight.  The first
     * needs WordNet: it knows "good" as a word of 27 senses, which says
     * little (word_senses), and "novel" as a word of the letters' ("new");
     * without it "good" (2.6's "good fortune") is a rare word that matched
     * and two unseen words are wording, so 2.6 is answered. */
    if (concepts_have_wordnet())
        assert_string_equal(
            best(f, "can you recommend a good novel?", NULL, f->aliases, 0, 0),
            "none");
    assert_string_equal(
        best(f, "what about the troops in Japan?", NULL, f->aliases, 0, 0),
        "none");
}

static void test_as_author_weights(void **state)
{
    Fixture *f = *state;
    /* "as AUTHOR": the weights are over that author's passages.  Hungary
     * and Roumania are only in Stalin's 3.3, Persia only in Churchill's
     * 2.4; over the whole corpus they are rare words the asked author's
     * passage lacks, and it fell under the threshold. */
    assert_string_equal(best(f,
                             "will you declare war on Finland, Hungary "
                             "and Roumania?",
                             "Churchill", f->aliases, 0, 0),
                        "2.2");
    assert_string_equal(best(f, "will Eden come to discuss Persia?", "Stalin",
                             f->aliases, 0, 0),
                        "3.4");
    /* A word the asked author never uses, though the other does, is not a
     * name the letters lack: Churchill's "Communist" for Stalin. */
    assert_string_equal(best(f, "what do you think of the Communist system?",
                             "Stalin", f->aliases, 0, 0),
                        "3.5");
    /* And a name no letter has still declines. */
    assert_string_equal(
        best(f, "what about Japan?", "Stalin", f->aliases, 0, 0), "none");
}

static long small_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_passage_stats(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    /* The import counts the passages, per sender and in all, so a message
     * is weighed without a scan. */
    assert_int_equal(
        small_int(s.db, "SELECT n FROM passage_stats WHERE sender = ''"), 6);
    assert_int_equal(
        small_int(s.db, "SELECT n FROM passage_stats WHERE sender = 'Stalin'"),
        3);
    assert_int_equal(
        small_int(s.db,
                  "SELECT total_len FROM passage_stats WHERE sender = ''"),
        small_int(s.db, "SELECT sum(length(shown)) FROM passages"));
    double with = small_confidence(s.db, "the occupation of Norway", f->bare);
    /* Without the table (a database from before it) the same answers,
     * counted the slow way. */
    assert_int_equal(
        sqlite3_exec(s.db, "DROP TABLE passage_stats", NULL, NULL, NULL),
        SQLITE_OK);
    assert_true(
        fabs(small_confidence(s.db, "the occupation of Norway", f->bare) -
             with) < 1e-9);
    assert_string_equal(small_best(s.db, "occupied", f->bare), "1.1");
    small_close(&s);
}

static void test_related_stems(void **state)
{
    Fixture *f = *state;
    Small s;
    small_open(&s);
    /* The concept table, filled by hand here so that the test holds with
     * or without WordNet: a reader's "conquest" may stand for the letters'
     * "occupation" (stem "occup"). */
    assert_int_equal(sqlite3_exec(s.db,
                                  "DELETE FROM concepts;"
                                  "INSERT INTO concepts VALUES"
                                  " ('conquest', 'occup'),"
                                  " ('conquest', 'occupi')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_string_equal(small_best(s.db, "the conquest of Germany", f->bare),
                        "1.1");
    /* It counts less than the letters' own word. */
    double related = small_confidence(s.db, "the conquest of Germany", f->bare);
    double direct =
        small_confidence(s.db, "the occupation of Germany", f->bare);
    assert_true(related > 0 && related < direct - 1e-9);
    /* A word whose stem less its last letter is a stem the table knows
     * relates as that word does: "Scandinavian" (stem "scandinavian") as
     * "Scandinavia" ("scandinavia"), which WordNet relates to the Norway
     * of the letters (here: to their convoys). */
    assert_string_equal(small_best(s.db, "Scandinavian", f->bare), "none");
    assert_int_equal(sqlite3_exec(s.db,
                                  "INSERT INTO concepts VALUES"
                                  " ('scandinavia', 'convoi')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_string_equal(small_best(s.db, "Scandinavian", f->bare), "2.3");
    /* A database without the table (before migration 3): words only. */
    assert_int_equal(
        sqlite3_exec(s.db, "DROP TABLE concepts", NULL, NULL, NULL), SQLITE_OK);
    assert_string_not_equal(
        small_best(s.db, "the conquest of Germany", f->bare), "1.1");
    small_close(&s);
}

static void test_concepts_imported(void **state)
{
    Fixture *f = *state;
    sqlite3_stmt *st;
    int n = -1, africa = -1;
    assert_int_equal(
        sqlite3_prepare_v2(f->db,
                           "SELECT count(*), sum(stem = 'africa' AND"
                           " target = 'libya') FROM concepts",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    africa = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (!concepts_have_wordnet()) {
        assert_int_equal(n, 0); /* built without WordNet: empty */
        return;
    }
    /* Libya is part of Africa (a holonym), so a reader's "Africa" finds
     * the letters' Libya; and the ranking uses it. */
    assert_true(n > 100);
    assert_int_equal(africa, 1);
    assert_string_equal(
        best(f, "what about the war in Africa?", NULL, f->aliases, 0, 0),
        "2.3");
}

/* A reader's irregular form ("sent") finds the letters' base form ("send"),
 * which porter stems apart: the concept table pairs them from WordNet's
 * exception lists (concepts.c, "Irregular forms"). */
static void test_concepts_irregular(void **state)
{
    Fixture *f = *state;
    sqlite3_stmt *st;
    int sent = -1, better = -1, went = -1, abbrev = -1;
    assert_int_equal(
        sqlite3_prepare_v2(f->db,
                           "SELECT sum(stem = 'sent' AND target = 'send'),"
                           " sum(stem = 'better' AND target = 'good'),"
                           " sum(stem = 'went' AND target = 'go'),"
                           " sum(target IN ('in', 'us', 'wa'))"
                           " FROM concepts",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sent = sqlite3_column_int(st, 0);
    better = sqlite3_column_int(st, 1);
    went = sqlite3_column_int(st, 2);
    abbrev = sqlite3_column_int(st, 3);
    sqlite3_finalize(st);
    if (!concepts_have_wordnet())
        return; /* the table is empty: test_concepts_imported */
    assert_int_equal(sent, 1);
    assert_int_equal(went, 1); /* a base of two letters too */
    assert_int_equal(better, 0); /* comparatives are not forms */
    /* "in" is no Indiana of the letters, "was" no plural of "wa"
     * (Washington): "America" matched every "was". */
    assert_int_equal(abbrev, 0);
    /* 2.2 holds "sent" ("when I sent you my telegram"), 2.4 proposes to
     * send Eden to Moscow: the latter answers. */
    assert_string_equal(
        best(f, "who will be sent to Moscow?", NULL, f->aliases, 0, 0),
        "2.4");
}

/* A word of many senses ("light": 47, "score") says less about which
 * passage is meant than a word of one ("deed", "bloodbath"), though both
 * occur once in the letters: the latter's passage answers
 * (reply_generality).  Before, the shorter passage won the tie.  (Not
 * after an article: "the light" is the thing asked about.) */
static void test_word_senses(void **state)
{
    Fixture *f = *state;
    sqlite3_stmt *st;
    int light = -1;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT coalesce(max(senses), 0)"
                                        " FROM word_senses WHERE stem = 'light'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    light = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!concepts_have_wordnet()) {
        assert_int_equal(light, 0); /* empty: every word as its df says */
        return;
    }
    assert_true(light > 10);
    assert_true(small_int(f->db, "SELECT max(senses) FROM word_senses"
                                 " WHERE stem = 'go'") > 10); /* two letters */
    assert_string_equal(best(f, "light or deed?", NULL, f->aliases, 0, 0),
                        "3.3");
    assert_string_equal(best(f, "score or bloodbath?", NULL, f->aliases, 0, 0),
                        "3.4");
}

static void test_excerpt(void **state)
{
    Fixture *f = *state;
    Error err = {0};
    Corpus *c = corpus_new(f->db, &err);
    Passage p;
    assert_non_null(c);
    corpus_set_aliases(c, f->aliases);
    /* The sentence of 3.3 that answers, "…" for the text before it. */
    assert_int_equal(
        corpus_reply(c, "what about Hungary and Roumania?", NULL, &p, &err),
        STATUS_OK);
    assert_int_equal(p.letter, 3);
    assert_int_equal(p.para, 3);
    assert_non_null(p.snippet);
    assert_string_equal(p.snippet, "\xe2\x80\xa6 As regards Hungary and "
                                   "Roumania, I suppose we can wait.");
    passage_clear(&p);
    /* Two sentences in the middle of 1.6: "…" on both sides. */
    assert_int_equal(
        corpus_reply(c, "without landing troops or artillery", NULL, &p, &err),
        STATUS_OK);
    assert_int_equal(p.letter, 1);
    assert_int_equal(p.para, 6);
    assert_non_null(p.snippet);
    assert_non_null(strstr(p.snippet, "\xe2\x80\xa6 This would call"));
    assert_non_null(strstr(p.snippet, "artillery."));
    assert_non_null(strstr(p.snippet, " \xe2\x80\xa6"));
    assert_null(strstr(p.snippet, "easier still"));
    passage_clear(&p);
    /* A passage of one sentence is its own excerpt: no snippet. */
    assert_int_equal(corpus_reply(c, "thank you for your two personal messages",
                                  NULL, &p, &err),
                     STATUS_OK);
    assert_int_equal(p.letter, 1);
    assert_int_equal(p.para, 1);
    assert_null(p.snippet);
    passage_clear(&p);
    corpus_free(c);
}

static void test_variety(void **state)
{
    Fixture *f = *state;
    const char *msg = "will you send Eden?";
    char first[32];

    /* 2.4 and 3.4 both answer, within a few percent of each other. */
    snprintf(first, sizeof first, "%s", best(f, msg, NULL, f->aliases, 0, 0));
    const char *other = strcmp(first, "2.4") == 0 ? "3.4" : "2.4";
    int fl = first[0] - '0', fp = first[2] - '0';
    int ol = other[0] - '0', op = other[2] - '0';
    assert_true(strcmp(first, "2.4") == 0 || strcmp(first, "3.4") == 0);
    /* Asked again right after: the other comes instead. */
    assert_string_equal(best(f, msg, NULL, f->aliases, fl, fp), other);
    /* And then the first again: only the last answer is avoided. */
    assert_string_equal(best(f, msg, NULL, f->aliases, ol, op), first);
    /* Avoiding something else changes nothing. */
    assert_string_equal(best(f, msg, NULL, f->aliases, 1, 1), first);
    assert_string_equal(best(f, msg, NULL, f->aliases, 99, 99), first);
    /* No runner-up that answers: the same passage again, not a bad one. */
    assert_string_equal(best(f, "Norwegian volunteers", NULL, f->aliases, 1, 6),
                        "1.6");
}

static void test_sender_and_addressee(void **state)
{
    Fixture *f = *state;
    assert_string_equal(
        best(f, "will you send Eden?", "Stalin", f->aliases, 0, 0), "3.4");
    assert_string_equal(
        best(f, "will you send Eden?", "Churchill", f->aliases, 0, 0), "2.4");
    assert_string_equal(
        best(f, "will you send Eden?", "Nobody", f->aliases, 0, 0), "none");
    /* Addressed by name at either end: that author answers. */
    assert_string_equal(
        best(f, "Uncle Joe, will you send Eden?", NULL, f->aliases, 0, 0),
        "3.4");
    assert_string_equal(
        best(f, "will you send Eden, Marshal Stalin?", NULL, f->aliases, 0, 0),
        "3.4");
    assert_string_equal(
        best(f, "Winston, will you send Eden?", NULL, f->aliases, 0, 0), "2.4");
}

static void test_hostile_input(void **state)
{
    Fixture *f = *state;
    static const char *const odd[] = {
        "\"NEAR(a b)\" OR * -x ^y col:z (((",
        "\xff\xfe\xc3 Finland \xe2\x82",
        "Finland\r\nPRIVMSG #x :hi\x01\x02",
        "don't won't I'm Hitler's",
        "Finland’s war",
        "\"\"\"\"",
        "a*b*c* -",
    };
    char *big = malloc(20000);
    assert_non_null(big);
    for (size_t i = 0; i + 8 < 20000; i += 8) memcpy(big + i, "Finland ", 8);
    big[19999 - 7] = '\0';
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        best(f, odd[i], NULL, f->aliases, 0, 0); /* asserts no error */
    /* One concept, however often: a Finland passage answers. */
    const char *got = best(f, big, NULL, f->aliases, 0, 0);
    assert_true(strcmp(got, "2.2") == 0 || strcmp(got, "3.3") == 0);
    free(big);
    /* An apostrophe-s is a possessive, not a word. */
    assert_string_equal(best(f, "Hitler's pact", NULL, f->aliases, 0, 0),
                        "1.3");
}

static void test_alias_groups(void **state)
{
    Fixture *f = *state;
    PeopleEntity e;
    Error err = {0};

    assert_true(people_lookup(f->aliases, "the U.S.S.R.", &e) == 0 ||
                e.kind == PEOPLE_PLACE);
    assert_true(people_lookup(f->aliases, "U.S.S.R.", &e));
    assert_int_equal(e.kind, PEOPLE_PLACE);
    assert_string_equal(people_group_name(f->aliases, e.index), "Russia");
    assert_true(people_lookup(f->aliases, "after the war", &e));
    assert_int_equal(e.kind, PEOPLE_TERM);
    assert_int_equal(people_group_kind(f->aliases, e.index), PEOPLE_TERM);
    assert_true(people_lookup(f->aliases, "Premier Stalin", &e));
    assert_int_equal(e.kind, PEOPLE_PERSON);
    assert_string_equal(people_name(f->aliases, e.index), "Stalin");
    assert_false(people_lookup(f->aliases, "Atlantis", &e));
    /* Headings never resolve to a place. */
    assert_null(people_resolve(f->aliases, "Russia"));
    assert_null(people_resolve(f->aliases, "Premier Russia"));
    assert_int_equal(people_count(f->aliases), 5);
    assert_null(people_group_name(f->aliases, people_group_count(f->aliases)));

    /* One alias, one owner, across kinds. */
    static const char clash[] =
        "Stalin: Stalin\nplace Georgia: Georgia, Stalin\n";
    assert_null(people_load_buffer("t.txt", clash, sizeof clash - 1, &err));
    assert_string_equal(err.msg,
                        "t.txt:2: alias 'Stalin' already belongs to Stalin");
    static const char only_places[] = "place Russia: USSR\n";
    assert_null(
        people_load_buffer("t.txt", only_places, sizeof only_places - 1, &err));
    assert_string_equal(err.msg, "t.txt:1: no people defined");
    /* "place" alone is a person's name, as before. */
    static const char place_person[] = "place: Place\n";
    People *p = people_load_buffer("t.txt", place_person,
                                   sizeof place_person - 1, &err);
    assert_non_null(p);
    assert_string_equal(people_resolve(p, "PLACE"), "place");
    people_free(p);
}

/* Issue 14: more matches than REPLY_POOL.  The rare words choose the pool
 * and REPLY_RANK_FN ranks it inside FTS5; when every word is common the
 * AND of the rarest is used.  Invented filler, 25 letters of 100 passages
 * of the same common words, and one passage that answers. */
static void test_pool_at_scale(void **state)
{
    (void)state;
    Small s;
    Error err = {0};
    ImportReport rep;
    const char *paths[1];

    assert_int_equal(testutil_tmpdir("replypool", s.dir, sizeof s.dir), 0);
    snprintf(s.text, sizeof s.text, "%s/letters.txt", s.dir);
    snprintf(s.path, sizeof s.path, "%s/pool.db", s.dir);
    FILE *f = fopen(s.text, "w");
    assert_non_null(f);
    for (int l = 0; l < 25; l++) {
        fputs("Personal Message from Stalin to Mr Churchill\n\n", f);
        for (int p = 0; p < 100; p++)
            fputs(l == 17 && p == 40
                      ? "The convoy to Murmansk carried tanks for the armies "
                        "of the front.\n\n"
                      : "The armies of Germany and Britain fought the war on "
                        "the front.\n\n",
                  f);
        fputs("Source: Test fixture for test_reply, invented.\n\n", f);
    }
    assert_int_equal(fclose(f), 0);
    paths[0] = s.text;
    assert_int_equal(db_open(s.path, &s.db, &err), STATUS_OK);
    assert_int_equal(import_files(s.db, paths, 1, DATADIR, &rep, NULL),
                     STATUS_OK);
    assert_true(rep.passages > REPLY_POOL);

    assert_string_equal(small_best(s.db, "will the armies bring tanks to Murmansk?",
                                   NULL),
                        "18.41");
    /* Every word common: still an answer, never an error. */
    ReplyQuery q = {.message = "did the armies of Germany fight on the front?"};
    ReplyResult r[4];
    size_t n = 0;
    assert_int_equal(reply_rank(s.db, &q, r, 4, &n, NULL), STATUS_OK);
    assert_true(n > 0);
    small_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stems_meet_the_index),
        cmocka_unit_test(test_stem_prefixes),
        cmocka_unit_test(test_unseen_names),
        cmocka_unit_test(test_coverage_before_repetition),
        cmocka_unit_test(test_rare_words_weigh_more),
        cmocka_unit_test(test_aliases_expand),
        cmocka_unit_test(test_threshold_declines),
        cmocka_unit_test(test_evidence_verdict),
        cmocka_unit_test(test_evidence_only_unsure),
        cmocka_unit_test(test_nearness),
        cmocka_unit_test(test_promote_first_answer),
        cmocka_unit_test(test_name_ends_its_phrase),
        cmocka_unit_test(test_evidence_missing_thing),
        cmocka_unit_test(test_evidence_topical),
        cmocka_unit_test(test_evidence_wording),
        cmocka_unit_test(test_evidence_names_only),
        cmocka_unit_test(test_place_adjective),
        cmocka_unit_test(test_light_nouns),
        cmocka_unit_test(test_evidence_name_run),
        cmocka_unit_test(test_possessive_title),
        cmocka_unit_test(test_prefix_not_restemmed),
        cmocka_unit_test(test_thanks_answered),
        cmocka_unit_test(test_courtesy_class),
        cmocka_unit_test(test_addressee_answers),
        cmocka_unit_test(test_greeting_addresses),
        cmocka_unit_test(test_unseen_plain_words),
        cmocka_unit_test(test_as_author_weights),
        cmocka_unit_test(test_passage_stats),
        cmocka_unit_test(test_related_stems),
        cmocka_unit_test(test_concepts_imported),
        cmocka_unit_test(test_concepts_irregular),
        cmocka_unit_test(test_word_senses),
        cmocka_unit_test(test_excerpt),
        cmocka_unit_test(test_variety),
        cmocka_unit_test(test_sender_and_addressee),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_alias_groups),
        cmocka_unit_test(test_pool_at_scale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
