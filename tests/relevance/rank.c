/* rank.c - the ranked lists behind !reply and !search, for evaluate.py.
 *
 *     relevance_rank DB [-v] < rows.tsv
 *
 * Reads relevance rows ("kind<TAB>as<TAB>text[<TAB>...]", '#' lines and
 * blank lines skipped) and prints, for each, one line
 *
 *     ANSWER<TAB>RANKED
 *
 * ANSWER is what Missive answers (reply_best for reply rows, the first
 * corpus_search result for search rows), "none" when it declines or finds
 * nothing; RANKED is the whole ranked list, best first, space-separated
 * "letter.para": reply_rank's candidates (declined or not), or every search
 * match in bm25 order.  Mean reciprocal rank needs the list, which the bot's
 * one-passage answer cannot show; the answer itself is also asked of the
 * real binary by evaluate.py, and the two must agree.  -v also writes
 * each reply row's top scores to stderr, for tuning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "db.h"
#include "reply.h"
#include "searchq.h"

#define RANK_MAX 50
#define RANK_LINE 4096

static int rank_verbose;
static People *rank_aliases; /* the shipped data dir's, as the bot's */

/* as is the author as a reader types it ("stalin"): the bot's !reply takes
 * the letters' spelling of it, as here. */
static void rank_reply(sqlite3 *db, Corpus *c, const char *as,
                       const char *text)
{
    char person[128];
    if (as && corpus_person(c, as, person, sizeof person))
        as = person;
    ReplyQuery q = {.message = text, .sender = as, .aliases = rank_aliases};
    ReplyResult best, r[RANK_MAX];
    size_t n = 0;
    Error err = {0};

    Status rc = reply_best(db, &q, &best, &err);
    if (rc == STATUS_OK)
        printf("%d.%d\t", best.letter, best.para);
    else
        printf("%s\t", rc == STATUS_NOTFOUND ? "none" : "error");
    if (reply_rank(db, &q, r, RANK_MAX, &n, &err) != STATUS_OK)
        printf("error");
    if (err.msg[0])
        fprintf(stderr, "relevance_rank: %s\n", err.msg);
    for (size_t i = 0; i < n; i++)
        printf("%s%d.%d", i ? " " : "", r[i].letter, r[i].para);
    putchar('\n');
    if (rank_verbose) {
        fprintf(stderr, "%s\n", text);
        for (size_t i = 0; i < n && i < 5; i++)
            fprintf(stderr,
                    "  %d.%d score %.3f confidence %.3f evidence %.3f\n",
                    r[i].letter, r[i].para, r[i].score, r[i].confidence,
                    r[i].evidence);
    }
}

static void rank_search(Corpus *c, const char *text)
{
    SearchQuery q;
    Passage p;
    long total = 0;
    Error err = {0};

    if (searchq_build(text, &q, NULL) != STATUS_OK) {
        puts("none\t");
        return;
    }
    for (long i = 0; i < RANK_MAX; i++) {
        Status rc = corpus_search(c, &q, NULL, NULL, i, &p, &total, &err);
        if (rc != STATUS_OK) {
            if (i == 0)
                printf("%s\t", rc == STATUS_NOTFOUND ? "none" : "error");
            if (err.msg[0])
                fprintf(stderr, "relevance_rank: %s\n", err.msg);
            break;
        }
        if (i == 0)
            printf("%d.%d\t", p.letter, p.para);
        printf("%s%d.%d", i ? " " : "", p.letter, p.para);
        passage_clear(&p);
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    char line[RANK_LINE];
    Error err = {0};
    sqlite3 *db = NULL;
    Corpus *c = NULL;
    int rc = 1;

    rank_verbose = argc == 3 && strcmp(argv[2], "-v") == 0;
    if (argc != 2 && !rank_verbose) {
        fputs("usage: relevance_rank DB [-v] < rows.tsv\n", stderr);
        return 2;
    }
    if (db_open_readonly(argv[1], &db, &err) != STATUS_OK) {
        fprintf(stderr, "relevance_rank: %s\n", err.msg);
        return 1;
    }
    if (!(rank_aliases = people_load(MISSIVE_DATADIR "/aliases.txt", &err)))
        fprintf(stderr, "relevance_rank: %s (names match only as words)\n",
                err.msg);
    error_clear(&err);
    if (!(c = corpus_new(db, &err))) {
        fprintf(stderr, "relevance_rank: %s\n", err.msg);
        goto done;
    }
    corpus_set_aliases(c, rank_aliases);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *kind = line, *as = strchr(kind, '\t'), *text;
        if (!as || !(text = strchr(as + 1, '\t'))) {
            fprintf(stderr, "relevance_rank: bad row: %s\n", line);
            goto done;
        }
        *as++ = '\0';
        *text++ = '\0';
        text[strcspn(text, "\t")] = '\0';
        if (strcmp(kind, "reply") == 0)
            rank_reply(db, c, strcmp(as, "-") == 0 ? NULL : as, text);
        else
            rank_search(c, text);
        fflush(stdout);
    }
    rc = 0;
done:
    corpus_free(c);
    db_close(db);
    people_free(rank_aliases);
    return rc;
}
