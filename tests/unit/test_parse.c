/* test_parse.c - the corpus parser: heading forms, letter structure, the
 * shipped corpus, the edition fixtures and every error with its position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"
#include "people.h"

static People *people;
static Parser *parser;

static int setup(void **state)
{
    (void)state;
    Error err = {0};
    people = people_load(DATADIR "/aliases.txt", &err);
    if (people)
        parser = parser_new(people, &err);
    if (!parser)
        fprintf(stderr, "%s\n", err.msg);
    return parser ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    parser_free(parser);
    people_free(people);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    assert_false(ferror(f));
    fclose(f);
    return buf;
}

static Status parse_str(const char *name, const char *s, ParsedFile *pf,
                        Error *err)
{
    return parser_parse(parser, name, s, strlen(s), pf, err);
}

static Status parse_fixture(const char *file, ParsedFile *pf, Error *err)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", FIXTURES, file);
    char *buf = slurp(path, &len);
    Status rc = parser_parse(parser, file, buf, len, pf, err);
    free(buf);
    return rc;
}

/* Expects an error with exactly this message, and an empty result. */
static void expect_error(const char *name, const char *buf, size_t len,
                         const char *want)
{
    ParsedFile pf;
    Error err = {0};
    assert_int_equal(parser_parse(parser, name, buf, len, &pf, &err),
                     STATUS_INVALID);
    assert_string_equal(err.msg, want);
    assert_int_equal(pf.nletters, 0);
    assert_null(pf.letters);
    assert_int_equal(pf.nwarnings, 0);
}

/* For literals that may hold NUL bytes. */
#define expect_lit(name, lit, want) \
    expect_error(name, lit, sizeof lit - 1, want)

/* --- heading forms ---------------------------------------------------------- */

static const struct {
    const char *line;
    const char *sender, *recipient; /* NULL: not a heading */
    int number;
    const char *heading; /* stored heading, when not the line */
} heading_cases[] = {
    {"Personal Message from Stalin to Mr Churchill", "Stalin", "Churchill", 0,
     NULL},
    {"W. CHURCHILL TO J. V. STALIN*", "Churchill", "Stalin", 0, NULL},
    {"J. V. STALIN TO W. CHURCHILL*", "Stalin", "Churchill", 0, NULL},
    {"J. V. STALIN TO W. CHURCHILL", "Stalin", "Churchill", 0, NULL},
    {"MESSAGE FROM PREMIER STALIN TO PRIME MINISTER CHURCHILL", "Stalin",
     "Churchill", 0, NULL},
    {"Personal and Secret Message from Premier Stalin to Prime Minister "
     "Churchill",
     "Stalin", "Churchill", 0, NULL},
    {"Message from Mr Winston Churchill to Marshal Stalin", "Churchill",
     "Stalin", 0, NULL},
    {"PERSONAL AND SECRET MESSAGE FROM PREMIER J. V. STALIN TO THE PRIME "
     "MINISTER, MR. W. CHURCHILL",
     "Stalin", "Churchill", 0, NULL},
    {"Personal Message from Premier J. V. Stalin to the Prime Minister, Mr "
     "Winston Churchill",
     "Stalin", "Churchill", 0, NULL},
    {"MOST SECRET AND PERSONAL MESSAGE FROM THE PRIME MINISTER, MR. WINSTON "
     "CHURCHILL, TO PREMIER STALIN",
     "Churchill", "Stalin", 0, NULL},
    {"Personal Message from Mr W. Churchill to Marshal Stalin", "Churchill",
     "Stalin", 0, NULL},
    {"PERSONAL AND SECRET FROM PRESIDENT ROOSEVELT TO MARSHAL STALIN",
     "Roosevelt", "Stalin", 0, NULL},
    {"SECRET AND PERSONAL FROM PRESIDENT TRUMAN TO GENERALISSIMO STALIN",
     "Truman", "Stalin", 0, NULL},
    {"Personal message from Mr. Attlee to Generalissimo Stalin", "Attlee",
     "Stalin", 0, NULL},
    {"Strictly Secret and Personal, Message from Marshal Stalin to President "
     "Roosevelt",
     "Stalin", "Roosevelt", 0, NULL},
    {"No. 23 MESSAGE FROM PREMIER STALIN TO PRIME MINISTER CHURCHILL", "Stalin",
     "Churchill", 23,
     "MESSAGE FROM PREMIER STALIN TO PRIME MINISTER CHURCHILL"},
    {"No. 7 J. V. STALIN TO W. CHURCHILL*", "Stalin", "Churchill", 7,
     "J. V. STALIN TO W. CHURCHILL*"},
    {"THE THE J. V. STALIN TO W. CHURCHILL", "Stalin", "Churchill", 0, NULL},
    /* Not headings: body text, so the file has text before its heading. */
    /* Issue 10: one general rule, in any case, with the forms of real
     * copies (titles, initials, footnote marks, quotes, a trailing colon, a
     * leading date, several recipients). */
    {"Stalin to Churchill", "Stalin", "Churchill", 0, NULL},
    {"From Stalin to Churchill", "Stalin", "Churchill", 0, NULL},
    {"The message from Stalin to Churchill", "Stalin", "Churchill", 0, NULL},
    {"Premier J. V. Stalin to President Roosevelt", "Stalin", "Roosevelt", 0,
     NULL},
    {"To President Roosevelt from Marshal Stalin", "Stalin", "Roosevelt", 0,
     NULL},
    {"Personal and secret message from Premier J. V. Stalin to President "
     "Roosevelt1",
     "Stalin", "Roosevelt", 0, NULL},
    {"MESSAGE FROM PREMIER STALIN TO PRESIDENT ROOSEVELT 56", "Stalin",
     "Roosevelt", 0, NULL},
    {"FROM PRESIDENT ROOSEVELT TO MARSHAL STALIN*", "Roosevelt", "Stalin", 0,
     NULL},
    {"\xe2\x80\x9cMessage from the Prime Minister, Mr Winston Churchill, to "
     "Marshal Stalin:\xe2\x80\x9d",
     "Churchill", "Stalin", 0, NULL},
    {"The Chairman of the Council of People's Commissars of the Soviet Union "
     "(Stalin) to President Roosevelt",
     "Stalin", "Roosevelt", 0, NULL},
    {"PERSONAL MESSAGE FROM THE PRIME MINISTER, MR. WINSTON CHURCHILL, TO "
     "M. STALIN",
     "Churchill", "Stalin", 0, NULL},
    {"Personal and Secret for President Roosevelt from Marshal Stalin",
     "Stalin", "Roosevelt", 0, NULL},
    {"Message No. 93 from Stalin to Churchill", "Stalin", "Churchill", 0, NULL},
    {"Message from Stalin to Churchill.", NULL, NULL, 0, NULL}, /* a sentence */
    {"From the beginning I said to you", NULL, NULL, 0, NULL},
    {"No. 23", NULL, NULL, 0, NULL}, /* no heading after */
    /* The bare upper-case form must be under 120 bytes: the first line is
     * 120 and is body text, the second is 116 and a heading, although the
     * names of both resolve once their titles are stripped. */
    {"THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE "
     "THE THE THE THE THE J. V. STALIN TO W. CHURCHILL",
     NULL, NULL, 0, NULL},
    {"THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE THE "
     "THE THE THE THE J. V. STALIN TO W. CHURCHILL",
     "Stalin", "Churchill", 0, NULL},
};

static void test_heading_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof heading_cases / sizeof heading_cases[0];
         i++) {
        char buf[1024];
        Error err = {0};
        ParsedFile pf;
        snprintf(buf, sizeof buf, "%s\n\nThe body.\n\nSource: test\n",
                 heading_cases[i].line);
        Status rc = parse_str("h.txt", buf, &pf, &err);
        if (!heading_cases[i].sender) {
            if (rc == STATUS_OK)
                fail_msg("heading accepted: %s", heading_cases[i].line);
            if (strncmp(heading_cases[i].line, "No. ", 4) == 0)
                assert_string_equal(
                    err.msg,
                    "h.txt:1: No. 23 is not followed by a letter heading");
            else
                assert_string_equal(
                    err.msg, "h.txt:1: text before the first letter heading");
            continue;
        }
        if (rc != STATUS_OK)
            fail_msg("'%s': %s", heading_cases[i].line, err.msg);
        assert_int_equal(pf.nletters, 1);
        assert_string_equal(pf.letters[0].sender, heading_cases[i].sender);
        assert_string_equal(pf.letters[0].recipient,
                            heading_cases[i].recipient);
        assert_int_equal(pf.letters[0].number, heading_cases[i].number);
        assert_string_equal(pf.letters[0].heading,
                            heading_cases[i].heading ? heading_cases[i].heading
                                                     : heading_cases[i].line);
        assert_int_equal(pf.letters[0].line, 1);
        assert_int_equal(pf.letters[0].npara, 1);
        assert_string_equal(pf.letters[0].paras[0].text, "The body.");
        assert_string_equal(pf.letters[0].source, "test");
        parsed_file_free(&pf);
    }
}

static void test_heading_unknown_person(void **state)
{
    (void)state;
    const char *a =
        "Personal Message from Marshal Voroshilov to Mr Churchill\n\nBody.\n";
    expect_error("u.txt", a, strlen(a),
                 "u.txt:1: unknown person 'Marshal Voroshilov' (add it to "
                 "data/aliases.txt)");
    /* A bare title is never guessed. */
    const char *b =
        "MESSAGE FROM THE PRIME MINISTER TO PREMIER STALIN\n\nBody.\n";
    expect_error("u.txt", b, strlen(b),
                 "u.txt:1: unknown person 'THE PRIME MINISTER' (add it to "
                 "data/aliases.txt)");
    /* The recipient too, and inside a letter as well as at its head. */
    const char *c = "Personal Message from Stalin to Mr Churchill\n\nBody.\n\n"
                    "Message from Stalin to President Benes\n\nBody.\n";
    expect_error("u.txt", c, strlen(c),
                 "u.txt:5: unknown person 'President Benes' (add it to "
                 "data/aliases.txt)");
    /* The form without "from": text inside a letter, but outside one the
     * error names the unknown person rather than "text before ...". */
    const char *d = "STALIN TO VOROSHILOV\n\nBody.\n";
    expect_error("u.txt", d, strlen(d),
                 "u.txt:1: unknown person 'VOROSHILOV' (add it to "
                 "data/aliases.txt)");
    const char *e = "Stalin to Churchill\n\nStalin to Voroshilov\n\n"
                    "Source: s\n";
    ParsedFile pf;
    Error err = {0};
    assert_int_equal(parse_str("u.txt", e, &pf, &err), STATUS_OK);
    assert_string_equal(pf.letters[0].paras[0].text, "Stalin to Voroshilov");
    parsed_file_free(&pf);
}

/* --- the shipped corpus ------------------------------------------------------- */

static void test_shipped_corpus(void **state)
{
    (void)state;
    size_t len;
    char *buf = slurp(DATADIR "/stalin-churchill-1941.txt", &len);
    ParsedFile pf;
    Error err = {0};
    Status rc =
        parser_parse(parser, "stalin-churchill-1941.txt", buf, len, &pf, &err);
    if (rc != STATUS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(pf.nletters, 3);
    assert_int_equal(pf.nwarnings, 0);

    static const size_t npara[3] = {6, 6, 6};
    static const int lines[3] = {1, 19, 35};
    static const char *const sender[3] = {"Stalin", "Churchill", "Stalin"};
    static const char *const recipient[3] = {"Churchill", "Stalin",
                                             "Churchill"};
    static const char *const heading[3] = {
        "Personal Message from Stalin to Mr Churchill",
        "W. CHURCHILL TO J. V. STALIN*",
        "MESSAGE FROM PREMIER STALIN TO PRIME MINISTER CHURCHILL",
    };
    for (int i = 0; i < 3; i++) {
        const ParsedLetter *l = &pf.letters[i];
        assert_int_equal(l->npara, npara[i]);
        assert_int_equal(l->line, lines[i]);
        assert_string_equal(l->sender, sender[i]);
        assert_string_equal(l->recipient, recipient[i]);
        assert_string_equal(l->heading, heading[i]);
        assert_int_equal(l->number, 0);
        assert_null(l->signature);
        assert_non_null(l->source);
        /* Body paragraphs follow the heading on every other line. */
        for (size_t j = 0; j < l->npara; j++)
            assert_int_equal(l->paras[j].line, lines[i] + 2 + 2 * (int)j);
    }
    const ParsedLetter *l1 = &pf.letters[0];
    assert_int_equal(l1->date.kind, DATE_WRITTEN);
    assert_string_equal(l1->date.iso, "1941-07-18");
    assert_int_equal(l1->date_line, 15);
    assert_string_equal(l1->source, "Stalin: Works, Vol. 17: 1941");
    assert_string_equal(
        l1->paras[0].text,
        "Allow me to thank you for your two personal messages.");
    assert_memory_equal(l1->paras[3].text, "It seems to me, furthermore", 27);
    assert_non_null(strstr(l1->paras[5].text, "could send& thither"));
    assert_int_equal(pf.letters[1].date.kind, DATE_NONE);
    assert_string_equal(pf.letters[1].date.iso, "");
    assert_int_equal(pf.letters[2].date.kind, DATE_NONE);
    assert_memory_equal(pf.letters[1].source, "Correspondence between", 22);
    assert_non_null(
        strstr(pf.letters[1].paras[1].text, "About Finland. 1 was"));
    assert_non_null(
        strstr(pf.letters[1].paras[4].text, "with you* to the utmost"));
    /* UTF-8 kept byte for byte (the em dashes of 3.3). */
    assert_non_null(strstr(pf.letters[2].paras[2].text, "anything\xe2\x80\x94"
                                                        "at least"));
    parsed_file_free(&pf);
    assert_int_equal(pf.nletters, 0);
    free(buf);
}

/* --- edition fixtures ------------------------------------------------------- */

static void check_edition(const ParsedFile *pf, const char *name)
{
    (void)name;
    assert_int_equal(pf->nletters, 6);
    assert_int_equal(pf->nwarnings, 0);

    const ParsedLetter *l = &pf->letters[0]; /* No. 29 */
    assert_int_equal(l->number, 29);
    assert_int_equal(l->line, 5);
    assert_string_equal(l->heading, "J. V. STALIN TO W. CHURCHILL*");
    assert_string_equal(l->sender, "Stalin");
    assert_string_equal(l->recipient, "Churchill");
    assert_int_equal(l->date.kind, DATE_SENT);
    assert_string_equal(l->date.iso, "1942-01-08");
    assert_int_equal(l->date_line, 3);
    assert_int_equal(l->npara, 1);
    assert_int_equal(l->paras[0].line, 7);
    /* Three wrapped lines joined by single spaces. */
    assert_string_equal(
        l->paras[0].text,
        "Test fixture, paraphrased after the 1957 Moscow edition. Your message "
        "received; thank you for the news of the convoy, which arrived "
        "safely.");
    assert_string_equal(l->signature, "J. STALIN");
    assert_string_equal(l->source, "Test fixture (paraphrase of No. 29).");

    l = &pf->letters[1]; /* No. 98 */
    assert_int_equal(l->number, 98);
    assert_int_equal(l->date.kind, DATE_SENT);
    assert_string_equal(l->date.iso, "1943-01-05");
    assert_string_equal(l->sender, "Stalin");
    assert_int_equal(l->npara, 1);
    assert_null(l->signature);

    l = &pf->letters[2]; /* No. 221, two-part heading */
    assert_int_equal(l->number, 221);
    assert_int_equal(l->line, 29); /* the qualifier's line */
    assert_string_equal(l->heading, "Personal and Most Secret Message from "
                                    "Mr Winston Churchill to Marshal Stalin");
    assert_string_equal(l->sender, "Churchill");
    assert_string_equal(l->recipient, "Stalin");
    assert_int_equal(l->date.kind, DATE_RECEIVED);
    assert_string_equal(l->date.iso, "1944-01-05");
    assert_int_equal(l->npara, 2);
    assert_string_equal(
        l->paras[1].text,
        "2. President Bene\xc5\xa1 is coming to see me today. (Test fixture.)");
    assert_string_equal(l->signature, "W. S. CHURCHILL");

    l = &pf->letters[3]; /* "No. 23 " prefix */
    assert_int_equal(l->number, 23);
    assert_string_equal(
        l->heading,
        "PERSONAL AND SECRET FROM PRESIDENT ROOSEVELT TO MARSHAL STALIN");
    assert_string_equal(l->sender, "Roosevelt");
    assert_int_equal(l->date.kind, DATE_WRITTEN);
    assert_string_equal(l->date.iso, "1943-01-11");
    assert_string_equal(l->source, "Test fixture.");

    l = &pf->letters[4];
    assert_int_equal(l->number, 0);
    assert_string_equal(l->sender, "Truman");
    assert_int_equal(l->date.kind, DATE_NONE);

    l = &pf->letters[5];
    assert_string_equal(l->sender, "Attlee");
    assert_string_equal(l->recipient, "Stalin");
    assert_string_equal(l->date.iso, "1944-01-02");
    assert_int_equal(l->npara, 1);
}

static void test_edition_fixture(void **state)
{
    (void)state;
    static const char *const files[] = {
        "edition-1942-1944.txt",
        "edition-crlf.txt",
        "edition-bom.txt",
    };
    for (size_t i = 0; i < 3; i++) {
        ParsedFile pf;
        Error err = {0};
        if (parse_fixture(files[i], &pf, &err) != STATUS_OK)
            fail_msg("%s: %s", files[i], err.msg);
        check_edition(&pf, files[i]);
        parsed_file_free(&pf);
    }
}

/* --- structure -------------------------------------------------------------- */

static void test_date_positions(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};

    /* A "Sent on" line before the heading, without "No." (start of file). */
    const char *a = "Sent on January 5, 1943\n\nPersonal Message from Stalin "
                    "to Mr Churchill\n\n"
                    "Body.\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", a, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].date.kind, DATE_SENT);
    assert_int_equal(pf.letters[0].date_line, 1);
    assert_int_equal(pf.letters[0].line, 3);
    parsed_file_free(&pf);

    /* "Received on" after the body. */
    const char *b = "Personal Message from Stalin to Mr Churchill\n\nBody.\n\n"
                    "Received on November 25, 1941\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", b, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].date.kind, DATE_RECEIVED);
    assert_string_equal(pf.letters[0].date.iso, "1941-11-25");
    assert_int_equal(pf.letters[0].date_line, 5);
    assert_int_equal(pf.letters[0].npara, 1);
    parsed_file_free(&pf);

    /* Second letter: a date after the first Source starts the next letter. */
    const char *c =
        "Personal Message from Stalin to Mr Churchill\n\nBody.\n\nSource: s\n\n"
        "Sent on January 5, 1943\n\nW. CHURCHILL TO J. V. "
        "STALIN\n\nBody.\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", c, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_int_equal(pf.letters[0].date.kind, DATE_NONE);
    assert_int_equal(pf.letters[1].date.kind, DATE_SENT);
    parsed_file_free(&pf);

    /* Without a Source line, a date before the next heading stays with the
     * letter it ends. */
    const char *d =
        "Personal Message from Stalin to Mr Churchill\n\nBody.\n\n"
        "July 18, 1941\n\nW. CHURCHILL TO J. V. STALIN\n\nBody.\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", d, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_string_equal(pf.letters[0].date.iso, "1941-07-18");
    assert_int_equal(pf.letters[1].date.kind, DATE_NONE);
    assert_int_equal(pf.nwarnings, 1);
    assert_string_equal(pf.warnings[0], "d.txt:1: letter 1 has no Source line");
    parsed_file_free(&pf);

    /* A date after a Source line that no heading follows. */
    const char *e =
        "Personal Message from Stalin to Mr Churchill\n\nBody.\n\nSource: s\n\n"
        "July 18, 1941\n";
    expect_error("d.txt", e, strlen(e),
                 "d.txt:7: text after the Source line of "
                 "letter 1 does not start a new letter");
}

static void test_number_handling(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};

    /* "No. N" inside a letter with no Source line starts the next letter. */
    const char *a =
        "No. 1\n\nPersonal Message from Stalin to Mr Churchill\n\nBody.\n\n"
        "No. 2\n\nReceived on January 5, 1944\n\nPersonal and Most Secret\n\n"
        "Message from Mr Winston Churchill to Marshal Stalin\n\nBody "
        "two.\n\nSource: s\n";
    assert_int_equal(parse_str("n.txt", a, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_int_equal(pf.letters[0].number, 1);
    assert_int_equal(pf.letters[0].npara, 1);
    assert_null(pf.letters[0].source);
    assert_int_equal(pf.letters[0].date.kind, DATE_NONE);
    assert_int_equal(pf.letters[1].number, 2);
    assert_int_equal(pf.letters[1].date.kind, DATE_RECEIVED);
    assert_int_equal(pf.letters[1].line, 11);
    assert_int_equal(pf.nwarnings, 1);
    assert_string_equal(pf.warnings[0], "n.txt:3: letter 1 has no Source line");
    parsed_file_free(&pf);

    /* "NO.12" spacing and case variants. */
    const char *b =
        "NO.12\n\nJ. V. STALIN TO W. CHURCHILL\n\nBody.\n\nSource: s\n";
    assert_int_equal(parse_str("n.txt", b, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].number, 12);
    parsed_file_free(&pf);

    /* A number twice, or a number inside a body with no heading after it. */
    const char *c = "No. 1\n\nNo. 2 J. V. STALIN TO W. CHURCHILL\n\nBody.\n";
    expect_error("n.txt", c, strlen(c),
                 "n.txt:1: No. 1 is not followed by a letter heading");
    const char *d =
        "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nNo. 4\n\nMore body.\n";
    expect_error("n.txt", d, strlen(d),
                 "n.txt:5: No. 4 is not followed by a letter heading");
    /* A qualifier not followed by a heading is ordinary body text. */
    const char *e = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nPersonal and "
                    "secret.\n\nSource: s\n";
    assert_int_equal(parse_str("n.txt", e, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 2);
    assert_string_equal(pf.letters[0].paras[1].text, "Personal and secret.");
    parsed_file_free(&pf);
}

static void test_signature(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};

    /* After the date line too; the signature is not a paragraph. */
    const char *a = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nI. "
                    "STALIN.\n\nJuly 18, 1941\n\nSource: s\n";
    assert_int_equal(parse_str("s.txt", a, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 1);
    assert_string_equal(pf.letters[0].signature, "I. STALIN.");
    parsed_file_free(&pf);

    /* Someone else's name is body text. */
    const char *b = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nW. S. "
                    "CHURCHILL\n\nSource: s\n";
    assert_int_equal(parse_str("s.txt", b, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 2);
    assert_null(pf.letters[0].signature);
    parsed_file_free(&pf);

    /* Only at the end of the body. */
    const char *c = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nJ. "
                    "STALIN\n\nMore body.\n\nSource: s\n";
    assert_int_equal(parse_str("s.txt", c, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 3);
    assert_null(pf.letters[0].signature);
    parsed_file_free(&pf);

    /* Over 60 bytes: not a signature, even if it would resolve. */
    const char *d = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\n"
                    "THE THE THE THE THE THE THE THE THE THE THE THE THE THE "
                    "J. STALIN\n\nSource: s\n";
    assert_int_equal(parse_str("s.txt", d, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 2);
    assert_null(pf.letters[0].signature);
    parsed_file_free(&pf);

    /* A signature alone is no body. */
    const char *e = "J. V. STALIN TO W. CHURCHILL\n\nJ. STALIN\n\nSource: s\n";
    expect_error("s.txt", e, strlen(e), "s.txt:1: letter 1 has no body");
}

static void test_paragraph_text(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};

    /* Trailing blanks go, inner and leading ones stay; lines of only
     * blanks separate paragraphs; TAB is text. */
    const char *a = "J. V. STALIN TO W. CHURCHILL  \n\n  First  line \t "
                    "\nsecond\tline\n \t \n"
                    "Third.\n\n\n\nSource:   the source  \n";
    assert_int_equal(parse_str("p.txt", a, &pf, &err), STATUS_OK);
    assert_string_equal(pf.letters[0].heading, "J. V. STALIN TO W. CHURCHILL");
    assert_int_equal(pf.letters[0].npara, 2);
    assert_string_equal(pf.letters[0].paras[0].text,
                        "  First  line second\tline");
    assert_int_equal(pf.letters[0].paras[0].line, 3);
    assert_string_equal(pf.letters[0].paras[1].text, "Third.");
    assert_int_equal(pf.letters[0].paras[1].line, 6);
    assert_string_equal(pf.letters[0].source, "the source");
    parsed_file_free(&pf);

    /* No final newline; mixed LF and CRLF. */
    const char *b =
        "J. V. STALIN TO W. CHURCHILL\r\n\r\nOne\r\ntwo\n\nSource: s";
    assert_int_equal(parse_str("p.txt", b, &pf, &err), STATUS_OK);
    assert_string_equal(pf.letters[0].paras[0].text, "One two");
    assert_string_equal(pf.letters[0].source, "s");
    parsed_file_free(&pf);

    /* A line of exactly PARSE_MAX_LINE bytes is fine. */
    const char *head = "J. V. STALIN TO W. CHURCHILL\n\n";
    size_t hl = strlen(head);
    char *big = malloc(hl + PARSE_MAX_LINE + 2);
    assert_non_null(big);
    memcpy(big, head, hl);
    memset(big + hl, 'a', PARSE_MAX_LINE);
    big[hl + PARSE_MAX_LINE] = '\n';
    assert_int_equal(
        parser_parse(parser, "p.txt", big, hl + PARSE_MAX_LINE + 1, &pf, &err),
        STATUS_OK);
    assert_int_equal(strlen(pf.letters[0].paras[0].text), PARSE_MAX_LINE);
    assert_int_equal(pf.nwarnings, 1);
    parsed_file_free(&pf);
    free(big);
}

static void test_missing_source(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};
    assert_int_equal(parse_fixture("warn-no-source.txt", &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_null(pf.letters[0].source);
    assert_null(pf.letters[1].source);
    assert_int_equal(pf.letters[0].npara, 1);
    assert_int_equal(pf.letters[1].npara, 1);
    assert_int_equal(pf.nwarnings, 2);
    assert_string_equal(pf.warnings[0],
                        "warn-no-source.txt:1: letter 1 has no Source line");
    assert_string_equal(pf.warnings[1],
                        "warn-no-source.txt:5: letter 2 has no Source line");
    parsed_file_free(&pf);
}

/* --- errors ----------------------------------------------------------------- */

static void test_error_fixtures(void **state)
{
    (void)state;
    static const struct {
        const char *file, *err;
    } cases[] = {
        {"bad-empty.txt", "bad-empty.txt:1: no letters found"},
        {"bad-blank.txt", "bad-blank.txt:1: no letters found"},
        {"bad-binary.txt", "bad-binary.txt:3: binary data (control byte 0x00)"},
        {"bad-utf8.txt", "bad-utf8.txt:3: invalid UTF-8"},
        {"bad-before-heading.txt",
         "bad-before-heading.txt:1: text before the first letter heading"},
        {"bad-no-body.txt", "bad-no-body.txt:7: letter 2 has no body"},
        {"bad-unknown-person.txt",
         "bad-unknown-person.txt:7: unknown person "
         "'Marshal Voroshilov' (add it to data/aliases.txt)"},
        {"bad-number.txt",
         "bad-number.txt:7: No. 12 is not followed by a letter heading"},
        {"bad-after-source.txt",
         "bad-after-source.txt:7: text after the Source line "
         "of letter 1 does not start a new letter"},
        {"bad-two-dates.txt",
         "bad-two-dates.txt:9: second date line in letter 1 "
         "(first on line 3)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ParsedFile pf;
        Error err = {0};
        assert_int_equal(parse_fixture(cases[i].file, &pf, &err),
                         STATUS_INVALID);
        assert_string_equal(err.msg, cases[i].err);
        assert_int_equal(pf.nletters, 0);
        assert_int_equal(pf.nwarnings, 0);
    }
}

static void test_error_bytes(void **state)
{
    (void)state;
    const char *h = "J. V. STALIN TO W. CHURCHILL\n\n";

    /* Overlong line, generated rather than committed. */
    size_t hl = strlen(h);
    size_t len = hl + PARSE_MAX_LINE + 1 + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memcpy(big, h, hl);
    memset(big + hl, 'a', PARSE_MAX_LINE + 1);
    big[len - 1] = '\n';
    expect_error("big.txt", big, len,
                 "big.txt:3: line longer than 65536 bytes");
    free(big);

    /* Other control bytes, a lone CR, DEL. */
    expect_lit("c.txt", "J. V. STALIN TO W. CHURCHILL\n\nA \x1b[31m red\n",
               "c.txt:3: binary data (control byte 0x1b)");
    expect_lit("c.txt", "J. V. STALIN TO W. CHURCHILL\n\nA\rB\n",
               "c.txt:3: binary data (control byte 0x0d)");
    expect_lit("c.txt",
               "J. V. STALIN TO W. CHURCHILL\n\nA\x7f"
               "B\n",
               "c.txt:3: binary data (control byte 0x7f)");
    expect_lit("c.txt", "J. V. STALIN TO W. CHURCHILL\n\nAB\r",
               "c.txt:3: binary data (control byte 0x0d)");
    /* A NUL in the middle of the heading line: the whole buffer is read. */
    expect_lit("c.txt", "J. V. STALIN\0TO W. CHURCHILL\n",
               "c.txt:1: binary data (control byte 0x00)");

    /* Invalid UTF-8: overlong, surrogate, truncated sequence, lone
     * continuation byte. */
    static const char *const bad[] = {
        "\xc0\xaf", "\xed\xa0\x80", "\xe2\x80", "\x80", "\xf4\x90\x80\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[128];
        int n = snprintf(buf, sizeof buf, "%sBody %s.\n", h, bad[i]);
        expect_error("u.txt", buf, (size_t)n, "u.txt:3: invalid UTF-8");
    }
    /* A BOM elsewhere than the start is just a character (U+FEFF), but a
     * BOM alone is an empty file. */
    expect_lit("b.txt", "\xef\xbb\xbf", "b.txt:1: no letters found");
    expect_lit("b.txt", "\xef\xbb\xbf\n\n", "b.txt:1: no letters found");
}

static void test_error_leaves_nothing(void **state)
{
    (void)state;
    /* Letters parsed before the error are freed and *out is empty. */
    const char *a = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nSource: s\n\n"
                    "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\n"
                    "J. V. STALIN TO W. CHURCHILL\n\nBody \xff.\n";
    expect_error("e.txt", a, strlen(a), "e.txt:13: invalid UTF-8");
    const char *b = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\n"
                    "J. V. STALIN TO W. CHURCHILL\n\nSource: s\n";
    expect_error("e.txt", b, strlen(b), "e.txt:5: letter 2 has no body");
}

/* A parser owns its compiled patterns and frees them: the ASan build's
 * leak check fails this test if parser_free() leaves anything behind.  Two
 * parsers share nothing, and one parses any number of files. */
static void test_parser_lifetime(void **state)
{
    (void)state;
    const char *text = "J. V. STALIN TO W. CHURCHILL\n\nBody.\n\nSource: s\n";
    Error err = {0};
    Parser *a = parser_new(people, &err);
    Parser *b = parser_new(people, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    for (int i = 0; i < 3; i++) {
        ParsedFile pf;
        Parser *p = i % 2 ? b : a;
        assert_int_equal(
            parser_parse(p, "l.txt", text, strlen(text), &pf, &err), STATUS_OK);
        assert_int_equal(pf.nletters, 1);
        parsed_file_free(&pf);
    }
    parser_free(a);
    /* b still works once a is gone. */
    ParsedFile pf;
    assert_int_equal(parser_parse(b, "l.txt", text, strlen(text), &pf, &err),
                     STATUS_OK);
    parsed_file_free(&pf);
    parser_free(b);
    parser_free(NULL);
    assert_int_equal(err.errors, 0);
}

/* --- issue 10: layouts of real copies (tests/fixtures/layouts, invented) --- */

typedef struct {
    const char *sender;
    const char *recipients; /* joined with "," */
    const char *iso;        /* "" undated */
    enum date_kind kind;
    size_t npara;
    int line;
} WantLetter;

static void expect_letters(const char *file, const ParseOptions *opt,
                           const WantLetter *want, size_t n, size_t nwarn)
{
    char path[1024];
    size_t len;
    ParsedFile pf;
    Error err = {0};
    snprintf(path, sizeof path, "%s/layouts/%s", FIXTURES, file);
    char *buf = slurp(path, &len);
    if (parser_parse_opts(parser, file, buf, len, opt, &pf, &err) != STATUS_OK)
        fail_msg("%s: %s", file, err.msg);
    free(buf);
    assert_int_equal(pf.nrefused, 0);
    assert_int_equal(pf.nletters, n);
    assert_int_equal(pf.nwarnings, nwarn);
    for (size_t k = 0; k < n; k++) {
        const ParsedLetter *l = &pf.letters[k];
        char who[256] = "";
        for (size_t r = 0; r < l->nrecipients; r++) {
            if (r)
                strcat(who, ",");
            strcat(who, l->recipients[r]);
        }
        if (strcmp(l->sender, want[k].sender) != 0 ||
            strcmp(who, want[k].recipients) != 0 ||
            strcmp(l->date.iso, want[k].iso) != 0 ||
            l->date.kind != want[k].kind || l->npara != want[k].npara ||
            l->line != want[k].line)
            fail_msg("%s letter %zu: %s -> %s, '%s' kind %d, %zu passages, "
                     "line %d",
                     file, k + 1, l->sender, who, l->date.iso, l->date.kind,
                     l->npara, l->line);
        assert_ptr_equal(l->recipient, l->recipients[0]);
        assert_int_equal(strlen(l->fingerprint), PARSE_FINGERPRINT_LEN);
    }
    parsed_file_free(&pf);
}

static void test_layout_archive(void **state)
{
    (void)state;
    /* Archive titles name no sender: --from gives it, never a guess. */
    ParseOptions opt = {.default_sender = people_resolve(people, "stalin")};
    static const WantLetter want[] = {
        {"Stalin", "Churchill", "1941-07-18", DATE_WRITTEN, 2, 4},
        {"Stalin", "Churchill", "1941-07-25", DATE_WRITTEN, 1, 24},
    };
    expect_letters("archive.txt", &opt, want, 2, 0);

    ParsedFile pf;
    Error err = {0};
    size_t len;
    char *buf = slurp(FIXTURES "/layouts/archive.txt", &len);
    assert_int_equal(
        parser_parse_opts(parser, "archive.txt", buf, len, &opt, &pf, &err),
        STATUS_OK);
    const ParsedLetter *l = &pf.letters[0];
    /* Text byte for byte: footnote marks, the edition's "2. ", inline page
     * markers; page markers on their own line, dates and the signature
     * block are not passages. */
    assert_string_equal(l->paras[0].text,
                        "An invented test fixture letter: a footnote mark "
                        "glued to a name, Hopkins82, and one after a full "
                        "stop, as the President.40");
    assert_string_equal(l->paras[1].text,
                        "2. The second passage starts with the edition's own "
                        "number and keeps an inline [Page 35] marker.");
    assert_string_equal(l->signature, "With sincere respect, J. STALIN");
    assert_int_equal(l->number, 93);
    assert_string_equal(l->heading,
                        "Personal and Most Secret \xe2\x80\x9cMessage to W. "
                        "Churchill (Correspondence Vol. 1, No. "
                        "93)\xe2\x80\x9d");
    assert_string_equal(l->source, "Invented test fixture, laid out as web "
                                   "archives transcribe the 1957 edition.");
    assert_int_equal(l->date_from, PARSE_DATE_BODY);
    assert_string_equal(pf.letters[1].signature,
                        "\xe2\x80\x9cJ. STALIN\xe2\x80\x9d");
    parsed_file_free(&pf);

    /* Without --from: each such heading is refused at its line. */
    assert_int_equal(parser_parse(parser, "archive.txt", buf, len, &pf, &err),
                     STATUS_INVALID);
    assert_string_equal(err.msg, "archive.txt:6: heading names no sender; "
                                 "give the file's sender with --from ALIAS");
    ParseOptions kg = {.keep_going = true};
    assert_int_equal(
        parser_parse_opts(parser, "archive.txt", buf, len, &kg, &pf, &err),
        STATUS_OK);
    assert_int_equal(pf.nletters, 0);
    assert_int_equal(pf.nrefused, 2);
    assert_string_equal(pf.refused[1], "archive.txt:24: heading names no "
                                       "sender; give the file's sender with "
                                       "--from ALIAS");
    parsed_file_free(&pf);
    free(buf);
}

static void test_layout_frus(void **state)
{
    (void)state;
    static const WantLetter want[] = {
        {"Stalin", "Roosevelt,Churchill", "1944-08-04", DATE_WRITTEN, 1, 1},
        {"Stalin", "Roosevelt", "1943-10-19", DATE_WRITTEN, 1, 7},
        {"Churchill", "Stalin", "1944-11-10", DATE_WRITTEN, 2, 15},
        {"Churchill", "Stalin", "", DATE_NONE, 1, 25},
    };
    expect_letters("frus.txt", NULL, want, 4, 0);
}

static void test_layout_works(void **state)
{
    (void)state;
    static const WantLetter want[] = {
        {"Stalin", "Roosevelt", "1943-01-11", DATE_WRITTEN, 1, 5},
        {"Stalin", "Churchill", "", DATE_NONE, 1, 13},
    };
    expect_letters("works.txt", NULL, want, 2, 0);
}

static void test_layout_lines(void **state)
{
    (void)state;
    /* Default: blank lines separate paragraphs, so the four lines are one,
     * and a warning names the option instead of merging silently. */
    static const WantLetter joined[] = {
        {"Stalin", "Churchill", "", DATE_NONE, 1, 1},
    };
    expect_letters("lines.txt", NULL, joined, 1, 1);
    ParseOptions opt = {.paragraphs = PARSE_PARA_LINES};
    static const WantLetter lines[] = {
        {"Stalin", "Churchill", "", DATE_NONE, 3, 1},
    };
    expect_letters("lines.txt", &opt, lines, 1, 0);
}

static void test_layout_keep_going(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};
    size_t len;
    char *buf = slurp(FIXTURES "/layouts/keep-going.txt", &len);
    assert_int_equal(parser_parse(parser, "k.txt", buf, len, &pf, &err),
                     STATUS_INVALID);
    assert_string_equal(err.msg, "k.txt:7: unknown person 'Marshal Voroshilov' "
                                 "(add it to data/aliases.txt)");
    ParseOptions kg = {.keep_going = true};
    assert_int_equal(
        parser_parse_opts(parser, "k.txt", buf, len, &kg, &pf, &err),
        STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_int_equal(pf.nrefused, 2);
    assert_string_equal(pf.refused[1], "k.txt:19: second date line in letter "
                                       "3 (first on line 13)");
    assert_string_equal(pf.letters[1].sender, "Churchill");
    parsed_file_free(&pf);
    free(buf);
}

static void test_dates_and_separators(void **state)
{
    (void)state;
    ParsedFile pf;
    Error err = {0};
    /* A bare date in the front matter and the same date after the body; a
     * "Received on" and a written date: the written one is the letter's. */
    const char *a = "   \n* * *\n\nSent on July 18, 1941\n\nJuly 18, 1941\n\n"
                    "stalin to churchill\n\nBody.\n\n[Page 3]\n\nJuly 18, "
                    "1941.\n\nSource : s\n\n* * *\n\n";
    assert_int_equal(parse_str("d.txt", a, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 1);
    assert_string_equal(pf.letters[0].date.iso, "1941-07-18");
    assert_int_equal(pf.letters[0].date.kind, DATE_WRITTEN);
    assert_int_equal(pf.letters[0].npara, 1);
    assert_string_equal(pf.letters[0].source, "s");
    parsed_file_free(&pf);

    /* A heading whose date is in front of it; none elsewhere. */
    const char *b = "Sept. 3, 1943 message from Marshal Stalin to Prime "
                    "Minister Churchill\n\nBody.\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", b, &pf, &err), STATUS_OK);
    assert_string_equal(pf.letters[0].date.iso, "1943-09-03");
    assert_int_equal(pf.letters[0].date_from, PARSE_DATE_HEADING);
    parsed_file_free(&pf);

    /* A place before the date, "Received:" without "on". */
    const char *p = "Received: July 20, 1941\n\nMessage from Premier Stalin to "
                    "Prime Minister Churchill\n\nBody.\n\nMoscow, the "
                    "Kremlin, July 18, 1941\n\n[Moscow,] July 18, 1941.\n\n"
                    "[July 18, 1941]\n\n(Received: July 20, 1941)\n\n"
                    "Source: s\n";
    assert_int_equal(parse_str("d.txt", p, &pf, &err), STATUS_OK);
    assert_string_equal(pf.letters[0].date.iso, "1941-07-18");
    assert_int_equal(pf.letters[0].npara, 1);
    parsed_file_free(&pf);

    /* Hard-wrapped headings, with or without a blank line after them. */
    const char *w = "PERSONAL AND SECRET MESSAGE FROM PREMIER J. V. STALIN TO "
                    "THE PRIME\nMINISTER, MR. W. CHURCHILL\n\nBody one.\n\n"
                    "Source: x\n\nMESSAGE FROM PREMIER STALIN TO PRESIDENT "
                    "ROOSEVELT AND\nPRIME MINISTER CHURCHILL\nBody two.\n\n"
                    "Source: x\n";
    assert_int_equal(parse_str("d.txt", w, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_string_equal(pf.letters[0].recipient, "Churchill");
    assert_int_equal(pf.letters[1].nrecipients, 2);
    assert_string_equal(pf.letters[1].paras[0].text, "Body two.");
    parsed_file_free(&pf);

    /* Numbers written "No 7" and "\u2116 8". */
    const char *nn = "No 7\n\nStalin to Churchill\n\nBody.\n\nSource: s\n\n"
                     "\xe2\x84\x96 8\n\nStalin to Churchill\n\nBody 2.\n\n"
                     "Source: s\n";
    assert_int_equal(parse_str("d.txt", nn, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].number, 7);
    assert_int_equal(pf.letters[1].number, 8);
    parsed_file_free(&pf);

    /* A classification line under the heading is not a passage. */
    const char *cl = "Stalin to Roosevelt\nPersonal and Secret\n\nBody.\n\n"
                     "Secret.\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", cl, &pf, &err), STATUS_OK);
    assert_int_equal(pf.letters[0].npara, 2);
    assert_string_equal(pf.letters[0].paras[1].text, "Secret.");
    parsed_file_free(&pf);

    /* A hard-wrapped Source line; a heading right under a Source line. */
    const char *sw = "Stalin to Churchill\n\nBody.\n\nSource: Correspondence,\n"
                     "vol. 1, Moscow 1957.\nChurchill to Stalin\n\nBody two."
                     "\n\nSource: s\n";
    assert_int_equal(parse_str("d.txt", sw, &pf, &err), STATUS_OK);
    assert_int_equal(pf.nletters, 2);
    assert_string_equal(pf.letters[0].source,
                        "Correspondence, vol. 1, Moscow 1957.");
    assert_int_equal(pf.nwarnings, 0);
    parsed_file_free(&pf);

    /* Several senders are not guessed into one. */
    const char *c = "Message from President Roosevelt and Prime Minister "
                    "Churchill to Marshal Stalin\n\nBody.\n\nSource: s\n";
    expect_error("d.txt", c, strlen(c),
                 "d.txt:1: heading names several senders; a letter has one");
}

static void test_index_text(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Hopkins82 said", "Hopkins said"},
        {"the President.40", "the President."},
        {"in 1941 and 5th", "in 1941 and 5th"},
        {"B29 bombers", "B29 bombers"},
        {"Soviet-German U.S.S.R.", "Soviet-German U.S.S.R."},
        {"word1234 x", "word1234 x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = parse_index_text(cases[i][0]);
        assert_non_null(t);
        assert_string_equal(t, cases[i][1]);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heading_forms),
        cmocka_unit_test(test_heading_unknown_person),
        cmocka_unit_test(test_shipped_corpus),
        cmocka_unit_test(test_edition_fixture),
        cmocka_unit_test(test_date_positions),
        cmocka_unit_test(test_number_handling),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_paragraph_text),
        cmocka_unit_test(test_missing_source),
        cmocka_unit_test(test_error_fixtures),
        cmocka_unit_test(test_error_bytes),
        cmocka_unit_test(test_error_leaves_nothing),
        cmocka_unit_test(test_parser_lifetime),
        cmocka_unit_test(test_layout_archive),
        cmocka_unit_test(test_layout_frus),
        cmocka_unit_test(test_layout_works),
        cmocka_unit_test(test_layout_lines),
        cmocka_unit_test(test_layout_keep_going),
        cmocka_unit_test(test_dates_and_separators),
        cmocka_unit_test(test_index_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
