/* commands.c - the command dispatcher (see commands.h).
 *
 * One table lists every command with its usage and help text, so `!help`
 * and the dispatcher can never disagree.  Input is sanitised once, on the
 * way in (utf8_sanitize: no control codes, valid UTF-8); every line on the
 * way out goes through format_*, which cut to the budget at a boundary.
 *
 * Two small in-memory tables give commands a memory: `!more` continuations
 * per person and place, and the last `!reply` per channel (so the same
 * question twice in a row can get a different, nearly as good answer).
 *
 * A user never sees why the corpus failed, only an apology; the reason goes
 * to the caller's Error (c->err while a command runs), for the app to log.
 */
#include "commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "array.h"
#include "clock.h"
#include "dailypost.h"
#include "format.h"
#include "grep.h"
#include "grepnarrow.h"
#include "searchq.h"
#include "state.h"
#include "utf8.h"

#define COMMANDS_NAME_MAX 32
#define COMMANDS_LINE_MAX 1024  /* scratch for one line; budgets are smaller */
#define COMMANDS_TEXT_MAX 16384 /* a whole passage, for !read and !letter */
#define COMMANDS_MORE_SLOTS 64  /* people with a !more waiting, at most */
#define COMMANDS_KEY_MAX 128    /* "nick channel" */
#define COMMANDS_PRIVATE_MAX 40 /* lines sent privately at once */
#define COMMANDS_REPLY_SLOTS 32 /* channels whose last !reply is remembered */
#define COMMANDS_GREP_COUNT_MAX 1000 /* matches counted for "1 of N" */
#define COMMANDS_GREP_BEFORE 100     /* bytes of context kept before a match */
#define COMMANDS_GREP_BOLD_MAX 64    /* matches bolded in one shown passage */

/* What `!more` continues: lines that did not fit, or a search or grep
 * whose next result is fetched when asked for.  A small fixed table:
 * O(slots) per lookup, fine because it holds only people who asked for
 * something long in the last few minutes; when full, the oldest goes. */
enum more_kind {
    MORE_FREE,
    MORE_LINES,
    MORE_SEARCH,
    MORE_GREP,
};

typedef struct {
    enum more_kind kind;
    char key[COMMANDS_KEY_MAX];
    char **lines; /* MORE_LINES */
    size_t n, next;
    bool priv;       /* the lines go to the user alone */
    char *query;     /* MORE_SEARCH, MORE_GREP: the arguments */
    long query_next; /* offset of the next result */
    uint64_t expires_ms;
} MoreSlot;

/* What a place (a channel, or a person in private) was last given: the
 * last !reply, so the same question twice can get another answer, and the
 * last passage shown by !quote, !reply or !today, which a random pick
 * there passes over ("!quote" right after "!quote stalin"). */
typedef struct {
    char channel[COMMANDS_KEY_MAX];
    uint64_t question; /* hash of the normalised message */
    int letter, para;
    int shown_letter, shown_para; /* 0: none */
} LastReply;

struct Commands {
    Corpus *corpus;
    State *state;    /* per-channel settings and shuffles; may be NULL */
    char prefix[16]; /* the configured prefix */
    const char *pfx; /* the prefix where the command was typed */
    size_t line_budget;
    size_t budget; /* for the command being run */
    Error *err;    /* the caller's, while a command runs */
    int max_lines;
    uint64_t more_expiry_ms;
    const DailyDefaults *daily; /* [daily]; NULL: none */
    MoreSlot more[COMMANDS_MORE_SLOTS];
    LastReply replies[COMMANDS_REPLY_SLOTS];
    size_t next_reply_slot;
};

typedef int (*command_fn)(Commands *c, const char *args, const CommandInput *in,
                          CommandOutput *out);

typedef struct {
    const char *name;
    bool needs_args;     /* without arguments, the answer is the usage */
    const char *usage;   /* arguments, after the name; "" for none */
    const char *help;    /* one line */
    const char *example; /* arguments of an example, or NULL */
    command_fn run;
} CommandSpec;

static int command_quote(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_search(Commands *, const char *, const CommandInput *,
                          CommandOutput *);
static int command_grep(Commands *, const char *, const CommandInput *,
                        CommandOutput *);
static int command_reply(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_read(Commands *, const char *, const CommandInput *,
                        CommandOutput *);
static int command_letter(Commands *, const char *, const CommandInput *,
                          CommandOutput *);
static int command_today(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_stats(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_about(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_more(Commands *, const char *, const CommandInput *,
                        CommandOutput *);
static int command_daily(Commands *, const char *, const CommandInput *,
                         CommandOutput *);
static int command_help(Commands *, const char *, const CommandInput *,
                        CommandOutput *);

static const CommandSpec commands_table[] = {
    {"quote", false, "[author] [year] [letter.paragraph]",
     "a passage of the letters: at random (no repeats until all were shown), "
     "by author or year, or by its id",
     "stalin 1941", command_quote},
    {"search", true, "WORDS",
     "passages containing all the words, best first; \"exact phrase\", "
     "prefix*, "
     "-exclude, from:NAME, to:NAME, year:YYYY; !more for the next result",
     "finland", command_search},
    {"grep", true, "PATTERN",
     "passages matching a regular expression (PCRE2, case-insensitive); "
     "!more for the next match",
     "declar\\w+ (of )?war", command_grep},
    {"reply", true, "[as AUTHOR] MESSAGE",
     "the passage that best answers your message, in its author's own words",
     "when will you open a second front?", command_reply},
    {"read", true, "LETTER.PARAGRAPH",
     "the whole passage, sent to you privately", "1.4", command_read},
    {"letter", true, "N", "the whole letter N, sent to you privately", "2",
     command_letter},
    {"today", false, "",
     "a passage written on this day of the year, or the nearest day", NULL,
     command_today},
    {"stats", false, "",
     "how many letters, passages and people, and the dates they span", NULL,
     command_stats},
    {"about", false, "", "what Missive is and where its letters come from",
     NULL, command_about},
    {"daily", false, "",
     "when the passage of the day is next posted in this channel, in its "
     "time zone",
     NULL, command_daily},
    {"more", false, "",
     "the rest of your last long answer, or the next search result", NULL,
     command_more},
    {"help", false, "[command]", "what each command does", "search",
     command_help},
};

#define COMMANDS_COUNT (sizeof commands_table / sizeof commands_table[0])

/* --- output --------------------------------------------------------------- */

void command_output_clear(CommandOutput *out)
{
    for (size_t i = 0; i < out->n; i++) free(out->lines[i]);
    for (size_t i = 0; i < out->npriv; i++) free(out->priv[i]);
    free(out->lines);
    free(out->priv);
    memset(out, 0, sizeof *out);
}

/* Appends a copy of a line already made safe (by format_*). */
static int output_push_to(char ***lines, size_t *n, size_t *cap,
                          const char *line)
{
    if (array_grow(lines, cap, *n + 1, sizeof **lines) != STATUS_OK)
        return -1;
    if (!((*lines)[*n] = strdup(line)))
        return -1;
    (*n)++;
    return 0;
}

static int output_push(CommandOutput *out, const char *line)
{
    return output_push_to(&out->lines, &out->n, &out->cap, line);
}

/* printf into a line, then sanitise and cut it to the budget.  fmt is
 * always one of ours; user text only ever arrives as a %s argument. */
__attribute__((format(printf, 3, 4))) static int
output_printf(Commands *c, CommandOutput *out, const char *fmt, ...)
{
    char raw[COMMANDS_LINE_MAX], line[COMMANDS_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    format_cut(raw, c->budget, line, sizeof line);
    return output_push(out, line);
}

/* The passage line; *shown as format_passage_cut (NULL: not wanted). */
static int output_passage_cut(Commands *c, CommandOutput *out, const Passage *p,
                              const char *lead, int use_snippet, size_t *shown)
{
    char line[COMMANDS_LINE_MAX];
    size_t n = strlen(lead);
    /* format_passage never goes below FORMAT_MIN_BUDGET: a lead that would
     * push the line past the budget is left out rather than overflow it. */
    if (c->budget < n + FORMAT_MIN_BUDGET)
        n = 0;
    memcpy(line, lead, n);
    format_passage_cut(p, use_snippet, c->budget - n, line + n, sizeof line - n,
                       shown);
    return output_push(out, line);
}

static int output_passage(Commands *c, CommandOutput *out, const Passage *p,
                          const char *lead, int use_snippet)
{
    return output_passage_cut(c, out, p, lead, use_snippet, NULL);
}

static MoreSlot *more_take(Commands *c, const CommandInput *in);
static LastReply *command_reply_last(Commands *c, const CommandInput *in,
                                     bool create);
static void command_random_filter(Commands *c, const CommandInput *in,
                                  PassageFilter *f);

/* Splits text into budget-sized lines at word boundaries, appended to
 * lines[*n..]; -1 when out of memory. */
static int output_split(Commands *c, const char *text, size_t len,
                        char ***lines, size_t *n, size_t *cap)
{
    char line[COMMANDS_LINE_MAX];
    while (len > 0) {
        size_t cut =
            len <= c->budget ? len : utf8_word_boundary(text, len, c->budget);
        if (cut == 0)
            cut = utf8_boundary(text, len, c->budget);
        memcpy(line, text, cut);
        line[cut] = '\0';
        if (output_push_to(lines, n, cap, line) < 0)
            return -1;
        text += cut;
        len -= cut;
        while (len > 0 && *text == ' ') text++, len--;
    }
    return 0;
}

/* A whole passage asked for by a person (!quote, !reply, !today): the
 * line, and when its text had to be cut, the rest waits for `!more` as
 * lines of its own, "…the rest" up to the closing quote, then the
 * citation (on the last line when it fits, never split). */
static int output_passage_whole(Commands *c, const CommandInput *in,
                                CommandOutput *out, const Passage *p,
                                const char *lead)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    static char clean[COMMANDS_TEXT_MAX]; /* single-threaded dispatcher */
    char cite[COMMANDS_LINE_MAX], tail[2 * COMMANDS_LINE_MAX];
    size_t shown;

    if (output_passage_cut(c, out, p, lead, 0, &shown) < 0)
        return -1;
    LastReply *place = command_reply_last(c, in, true);
    place->shown_letter = p->letter;
    place->shown_para = p->para;
    if (shown == SIZE_MAX)
        return 0;
    size_t len =
        utf8_sanitize(p->text, strlen(p->text), clean + 3, sizeof clean - 4) +
        3;
    if (shown + 3 >= len)
        return 0; /* nothing left but spaces */
    /* "…" right before the rest, in place of what was shown. */
    size_t at = shown + 3;
    while (at < len && clean[at] == ' ') at++;
    memcpy(clean + at - 3, ellipsis, 3);
    at -= 3;
    clean[len++] = '"';
    clean[len] = '\0';

    MoreSlot *slot = more_take(c, in);
    size_t cap = 0;
    if (output_split(c, clean + at, len - at, &slot->lines, &slot->n, &cap) < 0)
        return -1;
    format_citation(p, cite, sizeof cite);
    char **last = &slot->lines[slot->n - 1];
    int w = snprintf(tail, sizeof tail, "%s \xe2\x80\x94 %s", *last, cite);
    if (w > 0 && (size_t)w <= c->budget) {
        char *joined = strdup(tail);
        if (!joined)
            return -1;
        free(*last);
        *last = joined;
    } else {
        snprintf(tail, sizeof tail, "\xe2\x80\x94 %s", cite);
        if (output_push_to(&slot->lines, &slot->n, &cap, tail) < 0)
            return -1;
    }
    slot->kind = MORE_LINES;
    slot->priv = false;
    return 0;
}

/* Sanitises text and splits it into budget-sized lines at word
 * boundaries onto a list. */
static int output_split_text(Commands *c, char ***lines, size_t *n,
                             size_t *cap, const char *text)
{
    char clean[COMMANDS_TEXT_MAX];
    size_t len = utf8_sanitize(text, strlen(text), clean, sizeof clean);
    return output_split(c, clean, len, lines, n, cap);
}

/* Long text for the user alone: COMMANDS_PRIVATE_MAX lines at once, whether
 * the command came in a channel or privately. */
static int output_long(Commands *c, CommandOutput *out, const char *text)
{
    return output_split_text(c, &out->priv, &out->npriv, &out->cappriv, text);
}

/* --- arguments ------------------------------------------------------------ */

/* Next space-separated word of *args into word (cut to wordsz); advances
 * *args.  Returns the word's length, 0 at the end. */
static size_t args_next(const char **args, char *word, size_t wordsz)
{
    const char *p = *args;
    while (*p == ' ') p++;
    const char *start = p;
    while (*p && *p != ' ') p++;
    size_t len = (size_t)(p - start);
    size_t keep = len < wordsz ? len : wordsz - 1;
    memcpy(word, start, keep);
    word[keep] = '\0';
    *args = p;
    return len;
}

static int args_all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* "2.3" -> letter 2, paragraph 3; nothing is written unless it parses. */
static int args_passage_id(const char *s, int *letter, int *para)
{
    int l, p;
    char tail;
    if (strlen(s) > 12 || !isdigit((unsigned char)s[0]) ||
        sscanf(s, "%d.%d%c", &l, &p, &tail) != 2 || l <= 0 || p <= 0)
        return 0;
    *letter = l;
    *para = p;
    return 1;
}

/* A positive number of at most 9 digits, or 0. */
static int args_number(const char *s)
{
    if (!args_all_digits(s) || strlen(s) > 9)
        return 0;
    return atoi(s);
}

/* --- !more ----------------------------------------------------------------- */

static void more_key(const CommandInput *in, char *key, size_t keysz)
{
    snprintf(key, keysz, "%s %s", in->nick ? in->nick : "",
             in->channel ? in->channel : "");
    for (char *k = key; *k; k++) *k = (char)tolower((unsigned char)*k);
}

static void more_slot_clear(MoreSlot *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->lines[i]);
    free(m->lines);
    free(m->query);
    memset(m, 0, sizeof *m);
}

static bool more_slot_used(const MoreSlot *m)
{
    return m->kind != MORE_FREE;
}

static MoreSlot *more_find(Commands *c, const char *key, uint64_t now)
{
    for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++) {
        MoreSlot *m = &c->more[i];
        if (more_slot_used(m) && m->expires_ms <= now)
            more_slot_clear(m);
        if (more_slot_used(m) && strcmp(m->key, key) == 0)
            return m;
    }
    return NULL;
}

/* The slot for this user and place, emptied: theirs, a free one, or the
 * one closest to expiry. */
static MoreSlot *more_take(Commands *c, const CommandInput *in)
{
    char key[COMMANDS_KEY_MAX];
    uint64_t now = clock_now_ms();
    MoreSlot *slot;

    more_key(in, key, sizeof key);
    if (!(slot = more_find(c, key, now))) {
        slot = &c->more[0];
        for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++) {
            if (!more_slot_used(&c->more[i])) {
                slot = &c->more[i];
                break;
            }
            if (c->more[i].expires_ms < slot->expires_ms)
                slot = &c->more[i];
        }
    }
    more_slot_clear(slot);
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->expires_ms = now + c->more_expiry_ms;
    return slot;
}

/* Keeps lines[from..n) of a list for `!more` and cuts the list back;
 * returns the slot, or NULL when out of memory. */
static MoreSlot *more_keep(Commands *c, const CommandInput *in, char **lines,
                           size_t *n, size_t from, bool priv)
{
    MoreSlot *slot = more_take(c, in);
    slot->lines = malloc((*n - from) * sizeof *slot->lines);
    if (!slot->lines)
        return NULL;
    slot->kind = MORE_LINES;
    for (size_t i = from; i < *n; i++) slot->lines[slot->n++] = lines[i];
    *n = from;
    slot->priv = priv;
    return slot;
}

/* Sends at most max_lines (COMMANDS_PRIVATE_MAX privately) now and keeps
 * the rest; one line says how many wait. */
static int more_limit(Commands *c, const CommandInput *in, CommandOutput *out)
{
    size_t max = (size_t)c->max_lines;
    MoreSlot *slot;
    if (out->n > max) {
        if (!(slot = more_keep(c, in, out->lines, &out->n,
                               max > 1 ? max - 1 : 1, false)))
            return -1;
        return output_printf(c, out, "(%zu more: %smore)", slot->n, c->pfx) < 0
                   ? -1
                   : 0;
    }
    if (out->npriv > COMMANDS_PRIVATE_MAX) {
        if (!(slot = more_keep(c, in, out->priv, &out->npriv,
                               COMMANDS_PRIVATE_MAX - 1, true)))
            return -1;
        char line[64];
        snprintf(line, sizeof line, "(%zu more: %smore)", slot->n, c->pfx);
        return output_push_to(&out->priv, &out->npriv, &out->cappriv, line);
    }
    return 0;
}

static int command_search_show(Commands *c, const char *args, long offset,
                               const CommandInput *in, CommandOutput *out);
static int command_grep_show(Commands *c, const char *pattern, long offset,
                             const CommandInput *in, CommandOutput *out);

/* Remembers a search or grep for `!more`: its next result is `next`. */
static void more_query(Commands *c, const CommandInput *in, enum more_kind kind,
                       const char *query, long next)
{
    MoreSlot *slot = more_take(c, in);
    if (!(slot->query = strdup(query)))
        return; /* out of memory: !more will say "Nothing more." */
    slot->kind = kind;
    slot->query_next = next;
}

static int command_more(Commands *c, const char *args, const CommandInput *in,
                        CommandOutput *out)
{
    char key[COMMANDS_KEY_MAX];
    (void)args;
    more_key(in, key, sizeof key);
    MoreSlot *m = more_find(c, key, clock_now_ms());
    if (!m)
        return output_printf(c, out, "Nothing more.");
    if (m->kind == MORE_SEARCH || m->kind == MORE_GREP) {
        char *query = m->query;
        long next = m->query_next;
        enum more_kind kind = m->kind;
        m->query = NULL;
        more_slot_clear(m);
        int rc = kind == MORE_SEARCH
                     ? command_search_show(c, query, next, in, out)
                     : command_grep_show(c, query, next, in, out);
        free(query);
        return rc;
    }
    size_t max = m->priv ? COMMANDS_PRIVATE_MAX : (size_t)c->max_lines;
    size_t left = m->n - m->next;
    size_t take = left <= max ? left : (max > 1 ? max - 1 : 1);
    for (size_t i = 0; i < take; i++) {
        const char *line = m->lines[m->next++];
        int rc = m->priv ? output_push_to(&out->priv, &out->npriv,
                                          &out->cappriv, line)
                         : output_push(out, line);
        if (rc < 0)
            return -1;
    }
    left = m->n - m->next;
    if (left == 0) {
        more_slot_clear(m);
        return 0;
    }
    return output_printf(c, out, "(%zu more: %smore)", left, c->pfx);
}

/* --- the commands --------------------------------------------------------- */

static int command_usage(Commands *c, CommandOutput *out,
                         const CommandSpec *spec)
{
    if (spec->example)
        return output_printf(c, out, "Usage: %s%s %s (for example: %s%s %s)",
                             c->pfx, spec->name, spec->usage, c->pfx,
                             spec->name, spec->example);
    return output_printf(c, out, "Usage: %s%s %s", c->pfx, spec->name,
                         spec->usage);
}

static const CommandSpec *commands_find(const char *name)
{
    for (size_t i = 0; i < COMMANDS_COUNT; i++)
        if (strcmp(commands_table[i].name, name) == 0)
            return &commands_table[i];
    return NULL;
}

static int command_corpus_error(Commands *c, CommandOutput *out)
{
    return output_printf(c, out, "Sorry, the letters cannot be read just now.");
}

static int command_unknown_person(Commands *c, CommandOutput *out,
                                  const char *who)
{
    return output_printf(c, out, "I know no author called \"%s\".", who);
}

static int command_quote(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    char word[64], person[64] = "";
    PassageFilter f = {0};
    Passage p;
    int letter = 0, para = 0, rc;

    while (args_next(&args, word, sizeof word)) {
        if (args_passage_id(word, &letter, &para))
            continue;
        if (args_all_digits(word) && strlen(word) == 4) {
            f.year = atoi(word);
            continue;
        }
        if (!person[0] &&
            corpus_person(c->corpus, word, person, sizeof person)) {
            f.sender = person;
            continue;
        }
        return output_printf(c, out,
                             "I know no author, year or passage called \"%s\". "
                             "Try %squote stalin, %squote 1941 or %squote 1.4",
                             word, c->pfx, c->pfx, c->pfx);
    }

    if (letter) {
        rc = corpus_get(c->corpus, letter, para, &p, c->err);
        if (rc == STATUS_NOTFOUND)
            return output_printf(c, out, "There is no passage %d.%d.", letter,
                                 para);
    } else {
        /* A fair shuffle per channel and filter when there is state. */
        command_random_filter(c, in, &f);
        rc = c->state ? state_next_passage(c->state, c->corpus, in->channel, &f,
                                           &p, c->err)
                      : corpus_random(c->corpus, &f, &p, c->err);
        if (rc == STATUS_NOTFOUND)
            return output_printf(c, out, "No passage matches that.");
    }
    if (rc != STATUS_OK)
        return command_corpus_error(c, out);
    rc = output_passage_whole(c, in, out, &p, "");
    passage_clear(&p);
    return rc;
}

/* Result `offset` of a search; remembers the next one for !more. */
static int command_search_show(Commands *c, const char *args, long offset,
                               const CommandInput *in, CommandOutput *out)
{
    char from[64], to[64], lead[96];
    SearchQuery q;
    PassageFilter f = {0};
    Passage p;
    long total = 0;

    /* A refused query is the user's to hear about, not the log's. */
    if (searchq_build(args, &q, NULL) != STATUS_OK) {
        switch (q.refusal) {
        case SEARCHQ_STOPWORDS:
            return output_printf(c, out,
                                 "Those words are too common to search for; "
                                 "try a rarer one, or an \"exact phrase\".");
        case SEARCHQ_BAD_YEAR:
            return output_printf(c, out,
                                 "year: takes four digits, e.g. year:1941");
        default:
            return output_printf(c, out,
                                 "Give me at least one word to look for, "
                                 "e.g. %ssearch finland",
                                 c->pfx);
        }
    }
    if (q.from[0]) {
        if (!corpus_person(c->corpus, q.from, from, sizeof from))
            return command_unknown_person(c, out, q.from);
        f.sender = from;
    }
    if (q.to[0]) {
        if (!corpus_person(c->corpus, q.to, to, sizeof to))
            return command_unknown_person(c, out, q.to);
        f.recipient = to;
    }
    f.year = q.year;

    int rc = corpus_search(c->corpus, &q, &f, &format_snippet_marks, offset, &p,
                           &total, c->err);
    if (rc == STATUS_NOTFOUND)
        return output_printf(
            c, out, offset ? "No more results." : "No passage contains that.");
    if (rc != STATUS_OK)
        return command_corpus_error(c, out);
    /* Counts stop at the query's bound: "of over 1000" ("over 100" with
     * a phrase), and results past it are not offered (corpus_search says
     * why). */
    long bound = corpus_search_bound(&q);
    const char *over = total > bound ? "over " : "";
    if (total > bound)
        total = bound;
    if (offset + 1 < total) {
        snprintf(lead, sizeof lead,
                 "Result %ld of %s%ld (%smore for the next): ", offset + 1, over,
                 total, c->pfx);
        more_query(c, in, MORE_SEARCH, args, offset + 1);
    } else {
        snprintf(lead, sizeof lead, "Result %ld of %s%ld: ", offset + 1, over,
                 total);
    }
    rc = output_passage(c, out, &p, lead, 1);
    passage_clear(&p);
    return rc;
}

static int command_search(Commands *c, const char *args, const CommandInput *in,
                          CommandOutput *out)
{
    return command_search_show(c, args, 0, in, out);
}

/* --- !grep ------------------------------------------------------------------ */

typedef struct {
    Grep *g;
    long want;        /* the match to show, 0-based */
    long seen;        /* matching passages so far */
    int letter, para; /* of match `want` */
    size_t start, end;
    bool costly; /* a limit was hit */
} GrepWalk;

/* One passage: counts it when it matches, remembers match `want`.  O(N)
 * over the corpus per command; grep's budget bounds the whole walk. */
static int command_grep_visit(int letter, int para, const char *text,
                              size_t len, void *ud)
{
    GrepWalk *w = ud;
    size_t start, end;
    Status m = grep_match(w->g, text, len, &start, &end, NULL);
    if (m == STATUS_ERROR) {
        w->costly = true;
        return 1;
    }
    if (m == STATUS_NOTFOUND)
        return 0;
    if (w->seen == w->want) {
        w->letter = letter;
        w->para = para;
        w->start = start;
        w->end = end;
    }
    return ++w->seen >= COMMANDS_GREP_COUNT_MAX;
}

/* The passage text from a little before [start, end), with that match and
 * every later one in FORMAT_BOLD, as a heap string for Passage.snippet.
 * Later matches are found with the same Grep (and its budget): when the
 * budget runs out, the rest is simply left unbolded.  format_passage cuts
 * the line to its budget, so only the first COMMANDS_GREP_BOLD_MAX matches
 * are marked: more could never be seen. */
static char *command_grep_snippet(Grep *g, const char *text, size_t start,
                                  size_t end)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    size_t len = strlen(text), from = 0, out = 0;
    if (start > COMMANDS_GREP_BEFORE) {
        from = utf8_boundary(text, len, start - COMMANDS_GREP_BEFORE);
        const char *space = memchr(text + from, ' ', start - from);
        if (space)
            from = (size_t)(space - text) + 1;
    }
    size_t size = len - from + sizeof ellipsis + 2 * COMMANDS_GREP_BOLD_MAX;
    char *s = malloc(size);
    if (!s)
        return NULL;
    if (from) {
        memcpy(s, ellipsis, sizeof ellipsis - 1);
        out = sizeof ellipsis - 1;
    }
    size_t at = from; /* text[from..at) is copied */
    for (int marked = 0; marked < COMMANDS_GREP_BOLD_MAX;) {
        if (end > start) {
            memcpy(s + out, text + at, start - at);
            out += start - at;
            s[out++] = FORMAT_BOLD[0];
            memcpy(s + out, text + start, end - start);
            out += end - start;
            s[out++] = FORMAT_BOLD[0];
            at = end;
            marked++;
        }
        /* An empty match moves on by one character, as grep tools do. */
        size_t next = end > start ? end : end + 1;
        while (next < len && ((unsigned char)text[next] & 0xC0) == 0x80) next++;
        if (next > len || grep_match_from(g, text, len, next, &start, &end,
                                          NULL) != STATUS_OK)
            break;
    }
    memcpy(s + out, text + at, len - at);
    out += len - at;
    s[out] = '\0';
    return s;
}

static int command_grep_show(Commands *c, const char *pattern, long offset,
                             const CommandInput *in, CommandOutput *out)
{
    char lead[96];
    Error why = {0}; /* a refused pattern is the user's to hear */
    GrepWalk w = {.want = offset};
    Passage p;

    if (!(w.g = grep_compile(pattern, &why)))
        return output_printf(c, out, "Cannot use that pattern: %.159s.",
                             why.msg);
    /* The trigram index narrows the walk to passages holding the
     * pattern's literals; without one, every passage is tried, within
     * grep's budget. */
    char narrow[GREPNARROW_MAX];
    bool narrowed = grepnarrow_build(pattern, narrow, sizeof narrow);
    Status rc = narrowed ? corpus_each_candidate(c->corpus, narrow,
                                                 command_grep_visit, &w, c->err)
                         : corpus_each(c->corpus, command_grep_visit, &w,
                                       c->err);
    int shown;
    if (rc == STATUS_ERROR) {
        shown = command_corpus_error(c, out);
        goto done;
    }
    if (w.costly && !narrowed) {
        shown = output_printf(c, out,
                              "That pattern is too broad to run over every "
                              "passage: include a word of three letters or "
                              "more, e.g. %sgrep Finland.",
                              c->pfx);
        goto done;
    }
    if (w.costly) {
        shown = output_printf(c, out,
                              "That pattern is too costly to run; "
                              "try a simpler one.");
        goto done;
    }
    if (w.seen <= offset) {
        shown = output_printf(c, out,
                              offset ? "No more matches."
                                     : "No passage matches that pattern.");
        goto done;
    }
    if (corpus_get(c->corpus, w.letter, w.para, &p, c->err) != STATUS_OK) {
        shown = command_corpus_error(c, out);
        goto done;
    }
    free(p.snippet);
    if (!(p.snippet = command_grep_snippet(w.g, p.text, w.start, w.end))) {
        passage_clear(&p);
        shown = -1;
        goto done;
    }
    const char *more = w.seen >= COMMANDS_GREP_COUNT_MAX ? "+" : "";
    if (offset + 1 < w.seen) {
        snprintf(lead, sizeof lead,
                 "Match %ld of %ld%s (%smore for the next): ", offset + 1,
                 w.seen, more, c->pfx);
        more_query(c, in, MORE_GREP, pattern, offset + 1);
    } else {
        snprintf(lead, sizeof lead, "Match %ld of %ld%s: ", offset + 1, w.seen,
                 more);
    }
    shown = output_passage(c, out, &p, lead, 1);
    passage_clear(&p);
done:
    grep_free(w.g);
    return shown;
}

static int command_grep(Commands *c, const char *args, const CommandInput *in,
                        CommandOutput *out)
{
    return command_grep_show(c, args, 0, in, out);
}

/* FNV-1a of the message's letters and digits, lower-cased: "Will you send
 * Eden?" and "will you send eden" are the same question. */
static uint64_t command_reply_question_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!isalnum(ch) && ch < 0x80)
            continue;
        h = (h ^ (unsigned char)tolower(ch)) * 1099511628211ULL;
    }
    return h;
}

static LastReply *command_reply_last(Commands *c, const CommandInput *in,
                                     bool create)
{
    char key[COMMANDS_KEY_MAX];
    more_key(in, key, sizeof key);
    /* In a channel the channel remembers; in private, the person. */
    const char *k = in->channel ? strchr(key, ' ') + 1 : key;
    for (size_t i = 0; i < COMMANDS_REPLY_SLOTS; i++)
        if (strcmp(c->replies[i].channel, k) == 0)
            return &c->replies[i];
    if (!create)
        return NULL;
    LastReply *r = &c->replies[c->next_reply_slot++ % COMMANDS_REPLY_SLOTS];
    memset(r, 0, sizeof *r);
    snprintf(r->channel, sizeof r->channel, "%s", k);
    return r;
}

/* A random pick's filter passes over the passage this place was just shown
 * and over one-line courtesies. */
static void command_random_filter(Commands *c, const CommandInput *in,
                                  PassageFilter *f)
{
    const LastReply *last = command_reply_last(c, in, false);
    f->min_chars = CORPUS_RANDOM_MIN_CHARS;
    if (last) {
        f->avoid_letter = last->shown_letter;
        f->avoid_para = last->shown_para;
    }
}

static int command_reply(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    char word[64], person[64];
    const char *sender = NULL, *message = args, *rest = args;
    Passage p;

    /* "as churchill MESSAGE" picks the author. */
    if (args_next(&rest, word, sizeof word) && strcasecmp(word, "as") == 0 &&
        args_next(&rest, word, sizeof word)) {
        if (!corpus_person(c->corpus, word, person, sizeof person))
            return command_unknown_person(c, out, word);
        sender = person;
        message = rest;
        while (*message == ' ') message++;
        if (!*message)
            return output_printf(c, out,
                                 "What should %s answer? e.g. %sreply as %s "
                                 "what about Finland?",
                                 person, c->pfx, word);
    }

    uint64_t question = command_reply_question_hash(message);
    LastReply *last = command_reply_last(c, in, false);
    ReplyAvoid avoid = {0, 0};
    if (last && last->question == question) {
        avoid.letter = last->letter;
        avoid.para = last->para;
    }
    int rc = corpus_reply_ex(c->corpus, message, sender, &avoid, &p, c->err);
    if (rc == STATUS_NOTFOUND)
        return output_printf(c, out, "Nothing in the letters answers that.");
    if (rc != STATUS_OK)
        return command_corpus_error(c, out);
    last = command_reply_last(c, in, true);
    last->question = question;
    last->letter = p.letter;
    last->para = p.para;
    /* Too long for the line: the sentences that answer, not the opening;
     * !more gives the whole passage.  Otherwise the passage, its cut rest
     * kept for !more. */
    bool excerpt = p.snippet && !format_fits(&p, c->budget);
    if (!excerpt) {
        rc = output_passage_whole(c, in, out, &p, "");
    } else {
        size_t first = out->n + 1;
        rc = output_passage(c, out, &p, "", 1);
        if (rc == 0 &&
            (output_split_text(c, &out->lines, &out->n, &out->cap, p.text) < 0 ||
             !more_keep(c, in, out->lines, &out->n, first, false)))
            rc = -1;
    }
    passage_clear(&p);
    return rc;
}

/* "Sent you passage 1.4 privately, alice." in the channel, unless the
 * command came privately already. */
static int command_sent(Commands *c, const CommandInput *in, CommandOutput *out,
                        const char *what)
{
    if (!in->channel)
        return 0;
    return output_printf(c, out, "%s: I have sent you %s privately.",
                         in->nick ? in->nick : "you", what);
}

static int command_read(Commands *c, const char *args, const CommandInput *in,
                        CommandOutput *out)
{
    char word[64], citation[COMMANDS_LINE_MAX], what[64];
    static char text[COMMANDS_TEXT_MAX]; /* single-threaded dispatcher */
    int letter, para;
    Passage p;

    args_next(&args, word, sizeof word);
    if (!args_passage_id(word, &letter, &para))
        return command_usage(c, out, commands_find("read"));
    int rc = corpus_get(c->corpus, letter, para, &p, c->err);
    if (rc == STATUS_NOTFOUND)
        return output_printf(c, out, "There is no passage %d.%d.", letter,
                             para);
    if (rc != STATUS_OK)
        return command_corpus_error(c, out);
    format_citation(&p, citation, sizeof citation);
    snprintf(text, sizeof text, "\"%s\" \xe2\x80\x94 %s", p.text, citation);
    passage_clear(&p);
    snprintf(what, sizeof what, "passage %d.%d", letter, para);
    if (command_sent(c, in, out, what) < 0 || output_long(c, out, text) < 0)
        return -1;
    return 0;
}

static int command_letter(Commands *c, const char *args, const CommandInput *in,
                          CommandOutput *out)
{
    char word[64], date[64], what[64], head[COMMANDS_LINE_MAX];
    static char text[COMMANDS_TEXT_MAX];
    LetterInfo l;

    args_next(&args, word, sizeof word);
    int letter = args_number(word);
    if (!letter)
        return command_usage(c, out, commands_find("letter"));
    int rc = corpus_letter(c->corpus, letter, &l, c->err);
    if (rc == STATUS_NOTFOUND)
        return output_printf(c, out, "There is no letter %d.", letter);
    if (rc != STATUS_OK)
        return command_corpus_error(c, out);

    dates_format(l.date, l.date_kind, date, sizeof date);
    snprintf(what, sizeof what, "letter %d (%d passages)", letter, l.passages);
    snprintf(head, sizeof head, "Letter %d: %s to %s, %s%s.", letter, l.sender,
             l.recipient, date,
             l.date_curated ? " (date from a curated source)" : "");
    rc = command_sent(c, in, out, what);
    if (rc == 0)
        rc = output_long(c, out, head);
    for (int para = 1; rc == 0 && para <= l.passages; para++) {
        Passage p;
        if (corpus_get(c->corpus, letter, para, &p, c->err) != STATUS_OK)
            continue;
        snprintf(text, sizeof text, "[%d.%d] %s", letter, para, p.text);
        passage_clear(&p);
        rc = output_long(c, out, text);
    }
    if (rc == 0 && l.source) {
        snprintf(text, sizeof text, "Source: %s", l.source);
        rc = output_long(c, out, text);
    }
    letter_info_clear(&l);
    return rc;
}

/* --- !today ------------------------------------------------------------------ */

typedef struct {
    int today; /* day of the year, 0..364, ignoring leap days */
    int best_letter;
    int best_distance;
    char best_date[11];
} TodaySearch;

static int today_day_of_year(int month, int day)
{
    static const int before[12] = {0,   31,  59,  90,  120, 151,
                                   181, 212, 243, 273, 304, 334};
    if (month < 1 || month > 12)
        return 0;
    int d = before[month - 1] + day - 1;
    return d > 364 ? 364 : d; /* 29 February counts as 28 */
}

static int today_visit(int letter, const char *date, void *ud)
{
    TodaySearch *t = ud;
    int doy = today_day_of_year(atoi(date + 5), atoi(date + 8));
    int d = abs(doy - t->today);
    if (365 - d < d)
        d = 365 - d; /* the year wraps: 30 December is near 2 January */
    if (t->best_letter == 0 || d < t->best_distance) {
        t->best_letter = letter;
        t->best_distance = d;
        memcpy(t->best_date, date, sizeof t->best_date);
    }
    return 0;
}

/* A passage of the letter at random, passing over what a random pick
 * passes over (command_random_filter) unless the letter has nothing else:
 * O(passages of one letter), a few dozen lookups at most. */
static Status today_pick(Commands *c, const CommandInput *in, int letter,
                         int passages, Passage *out)
{
    PassageFilter f = {0};
    Passage p;
    int wanted = 0;

    command_random_filter(c, in, &f);
    for (int para = 1; para <= passages; para++) {
        if (corpus_get(c->corpus, letter, para, &p, c->err) != STATUS_OK)
            return STATUS_ERROR;
        wanted += !corpus_passed_over(&f, &p);
        passage_clear(&p);
    }
    int k = (int)arc4random_uniform((unsigned)(wanted ? wanted : passages));
    for (int para = 1; para <= passages; para++) {
        if (corpus_get(c->corpus, letter, para, &p, c->err) != STATUS_OK)
            return STATUS_ERROR;
        if ((!wanted || !corpus_passed_over(&f, &p)) && k-- == 0) {
            *out = p;
            return STATUS_OK;
        }
        passage_clear(&p);
    }
    return error_set(c->err, STATUS_ERROR, "commands: letter %d changed",
                     letter);
}

/* Today's month and day: MISSIVE_TODAY (YYYY-MM-DD, for tests and demos)
 * or the local calendar. */
static void today_date(int *month, int *day)
{
    const char *env = getenv("MISSIVE_TODAY");
    if (env && dates_iso_valid(env)) {
        *month = atoi(env + 5);
        *day = atoi(env + 8);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    *month = tm.tm_mon + 1;
    *day = tm.tm_mday;
}

static int command_today(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    static const char *const months[] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December",
    };
    TodaySearch t = {0};
    LetterInfo l;
    Passage p;
    char lead[160];
    int month, day;

    (void)args;
    today_date(&month, &day);
    t.today = today_day_of_year(month, day);
    /* A letter of this very day, by index; 29 February and 1 March share a
     * day of the year, so those two take the full pass. */
    Status on = STATUS_NOTFOUND;
    if (!(month == 2 && day == 29) && !(month == 3 && day == 1) &&
        (on = corpus_dated_on(c->corpus, month, day, &t.best_letter,
                              c->err)) == STATUS_ERROR)
        return command_corpus_error(c, out);
    if (on == STATUS_OK)
        t.best_distance = 0;
    else if (corpus_dated(c->corpus, today_visit, &t, c->err) != STATUS_OK)
        return command_corpus_error(c, out);
    if (!t.best_letter)
        return output_printf(c, out, "No letter is dated.");
    if (corpus_letter(c->corpus, t.best_letter, &l, c->err) != STATUS_OK)
        return command_corpus_error(c, out);
    int passages = l.passages > 0 ? l.passages : 1;
    letter_info_clear(&l);
    if (today_pick(c, in, t.best_letter, passages, &p) != STATUS_OK)
        return command_corpus_error(c, out);
    if (t.best_distance == 0)
        snprintf(lead, sizeof lead, "On this day, %d %s: ", day,
                 months[month - 1]);
    else
        snprintf(lead, sizeof lead,
                 "Nothing was written on %d %s; the nearest day is "
                 "%d %s: ",
                 day, months[month - 1], atoi(t.best_date + 8),
                 months[atoi(t.best_date + 5) - 1]);
    int rc = output_passage_whole(c, in, out, &p, lead);
    passage_clear(&p);
    return rc;
}

/* --- !daily ------------------------------------------------------------------ */

static int command_daily(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    static const char *const months[] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December",
    };
    static const char *const days[] = {"Sunday",    "Monday",   "Tuesday",
                                       "Wednesday", "Thursday", "Friday",
                                       "Saturday"};
    DailyChannel ch;
    DailyStep step;
    TzLocal lt;
    Error why = {0};

    (void)args;
    if (!in->channel)
        return output_printf(c, out,
                             "Ask in a channel: %sdaily tells when its "
                             "passage of the day is due.",
                             c->pfx);
    if (!c->state)
        return output_printf(c, out, "No passage of the day here.");
    Status rc = dailypost_channel(c->state, c->daily, in->channel, &ch, &why);
    if (rc == STATUS_NOTFOUND)
        return output_printf(c, out, "No passage of the day is posted here.");
    if (rc != STATUS_OK) {
        error_report(c->err, SEVERITY_WARNING, "!daily in %s: %s", in->channel,
                     why.msg);
        dailypost_channel_clear(&ch);
        return output_printf(c, out,
                             "The passage of the day cannot be scheduled just "
                             "now (its time zone does not load).");
    }
    int64_t now = (int64_t)time(NULL);
    rc = daily_step(&ch.sched, now, &ch.state.record, &step, &why);
    int64_t due = step.decision.due;
    int r;
    if (rc != STATUS_OK || tz_local(ch.tz, due, &lt) != STATUS_OK) {
        r = output_printf(c, out,
                          "The passage of the day cannot be scheduled "
                          "just now.");
    } else if (step.kind != DAILY_STEP_WAIT) {
        r = output_printf(c, out, "Today's passage is due now (%02d:%02d %s).",
                          ch.sched.hour, ch.sched.minute, tz_name(ch.tz));
    } else {
        int64_t left = due - now;
        r = output_printf(
            c, out,
            "The next passage of the day here: %s %d %s %d at %02d:%02d %s "
            "(%s), in %lld h %02lld min.",
            days[lt.wday % 7], lt.civil.day, months[(lt.civil.month + 11) % 12],
            lt.civil.year, lt.civil.hour, lt.civil.minute, lt.abbr,
            tz_name(ch.tz), (long long)(left / 3600),
            (long long)(left / 60 % 60));
    }
    dailypost_channel_clear(&ch);
    return r;
}

/* --- !stats, !about, !help ---------------------------------------------------- */

static int command_stats(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    CorpusStats s;
    char first[64], last[64];

    (void)args, (void)in;
    if (corpus_stats(c->corpus, &s, c->err) != STATUS_OK)
        return command_corpus_error(c, out);
    if (s.letters == 0)
        return output_printf(c, out, "No letters are imported yet.");
    dates_format(s.first_date, DATE_WRITTEN, first, sizeof first);
    dates_format(s.last_date, DATE_WRITTEN, last, sizeof last);
    return output_printf(
        c, out,
        "%d letters in %d passages between %d people, from %s to %s; "
        "%d undated, %d passages emended.",
        s.letters, s.passages, s.people, first, last, s.undated_letters,
        s.corrected_passages);
}

static int command_about(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    char sources[COMMANDS_LINE_MAX];

    (void)args, (void)in;
    if (corpus_sources(c->corpus, sources, sizeof sources, c->err) != STATUS_OK)
        return command_corpus_error(c, out);
    /* A source line often ends with its own full stop ("Moscow 1957."). */
    size_t slen = strlen(sources);
    bool stop = slen > 0 && sources[slen - 1] == '.';
    return output_printf(
        c, out,
        "Missive %s: passages of historical correspondence, exactly "
        "cited. Sources: %s%s %shelp for the commands.",
        MISSIVE_VERSION, sources[0] ? sources : "none yet", stop ? "" : ".",
        c->pfx);
}

static int command_help(Commands *c, const char *args, const CommandInput *in,
                        CommandOutput *out)
{
    char word[COMMANDS_NAME_MAX + 1], list[256] = "";
    size_t len = 0;

    if (args_next(&args, word, sizeof word)) {
        const char *name = word;
        if (strncmp(name, c->pfx, strlen(c->pfx)) == 0)
            name += strlen(c->pfx);
        const CommandSpec *spec = commands_find(name);
        if (!spec)
            return output_printf(c, out,
                                 "No command \"%s\". Commands: try %shelp",
                                 name, c->pfx);
        if (output_printf(c, out, "%s%s%s%s: %s", c->pfx, spec->name,
                          spec->usage[0] ? " " : "", spec->usage,
                          spec->help) < 0)
            return -1;
        if (!spec->example)
            return 0;
        return output_printf(c, out, "Example: %s%s %s", c->pfx, spec->name,
                             spec->example);
    }
    for (size_t i = 0; i < COMMANDS_COUNT; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s%s", i ? " " : "",
                         c->pfx, commands_table[i].name);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
    }
    if (output_printf(c, out,
                      "Passages from historical letters, exactly cited. "
                      "Commands: %s. %shelp COMMAND for more.",
                      list, c->pfx) < 0)
        return -1;
    /* An owner's own commands, never where others can read them. */
    if (!in->channel && in->owner_help && in->owner_help[0])
        return output_printf(c, out, "As an owner, in private: %s",
                             in->owner_help);
    return 0;
}

/* --- dispatch ------------------------------------------------------------- */

Commands *commands_new(Corpus *corpus, State *state, const CommandsConfig *cfg)
{
    Commands *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->corpus = corpus;
    c->state = state;
    snprintf(c->prefix, sizeof c->prefix, "%s",
             cfg && cfg->prefix && cfg->prefix[0] ? cfg->prefix : "!");
    c->pfx = c->prefix;
    c->line_budget = cfg && cfg->line_budget ? cfg->line_budget : 400;
    c->max_lines = cfg && cfg->max_lines > 0 ? cfg->max_lines : 3;
    c->more_expiry_ms =
        (uint64_t)(cfg && cfg->more_expiry > 0 ? cfg->more_expiry : 600) * 1000;
    return c;
}

void commands_set_daily(Commands *c, const DailyDefaults *daily)
{
    c->daily = daily;
}

void commands_free(Commands *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++)
        more_slot_clear(&c->more[i]);
    free(c);
}

static const char *commands_prefix(const Commands *c, const char *channel);

/* The line budget for this input: the caller's (the IRC layer knows its
 * target), else the configured one, within what format can honour. */
static void commands_set_budget(Commands *c, const CommandInput *in)
{
    c->pfx = commands_prefix(c, in->channel);
    size_t budget = in->line_budget ? in->line_budget : c->line_budget;
    if (budget < FORMAT_MIN_BUDGET)
        budget = FORMAT_MIN_BUDGET;
    if (budget > COMMANDS_LINE_MAX - 1)
        budget = COMMANDS_LINE_MAX - 1;
    c->budget = budget;
}

/* Runs one command with err as the place its failures go. */
static Status commands_run(Commands *c, const CommandSpec *spec,
                           const char *args, const CommandInput *in,
                           CommandOutput *out, Error *err)
{
    while (*args == ' ') args++;
    int rc;
    c->err = err;
    /* One deadline for all the statements of the command (corpus.h). */
    if (c->corpus)
        corpus_command_begin(c->corpus, CORPUS_COMMAND_MS);
    if (!*args && spec->needs_args)
        rc = command_usage(c, out, spec);
    else
        rc = spec->run(c, args, in, out);
    if (c->corpus)
        corpus_command_end(c->corpus);
    if (rc == 0 && spec->run != command_more)
        rc = more_limit(c, in, out);
    c->err = NULL;
    return rc < 0 ? error_set(err, STATUS_ERROR, "commands: out of memory")
                  : STATUS_OK;
}

/* The channel's settings, or NULL (none kept, or a private message). */
static const ChannelSettings *commands_channel(const Commands *c,
                                               const char *channel)
{
    return c->state && channel ? state_channel(c->state, channel) : NULL;
}

/* The prefix commands take where text was typed. */
static const char *commands_prefix(const Commands *c, const char *channel)
{
    const ChannelSettings *cs = commands_channel(c, channel);
    return cs && cs->prefix[0] ? cs->prefix : c->prefix;
}

/* Splits "<prefix>name rest" from sanitised text: the lower-cased name
 * into name, and returns the rest, or NULL when text is not a command.  A
 * command name is letters only: "!!!", "! hi" and "!1941" are talk; so is
 * a command an owner disabled in this channel (another bot may serve it). */
static const char *commands_parse(const Commands *c, const char *channel,
                                  const char *text,
                                  char name[COMMANDS_NAME_MAX + 1])
{
    const char *prefix = commands_prefix(c, channel);
    size_t plen = strlen(prefix), n = 0;
    if (strncmp(text, prefix, plen) != 0)
        return NULL;
    const char *p = text + plen;
    while (isalpha((unsigned char)p[n]) && n < COMMANDS_NAME_MAX) {
        name[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    name[n] = '\0';
    if (n == 0 || (p[n] && p[n] != ' '))
        return NULL;
    const ChannelSettings *cs = commands_channel(c, channel);
    if (cs && state_command_disabled(cs, name))
        return NULL;
    return p + n;
}

bool commands_match(const Commands *c, const char *channel, const char *text)
{
    char name[COMMANDS_NAME_MAX + 1], clean[COMMANDS_NAME_MAX * 2];
    utf8_sanitize(text, strnlen(text, sizeof clean), clean, sizeof clean);
    return commands_parse(c, channel, clean, name) != NULL;
}

bool commands_addressed(const Commands *c, const char *channel, bool fallback)
{
    const ChannelSettings *cs = commands_channel(c, channel);
    return cs && cs->addressed >= 0 ? cs->addressed == 1 : fallback;
}

/* The next space-separated word of *s into out ("" at the end); -1 when it
 * does not fit: a channel name cut to fit would be another channel. */
static int configure_word(const char **s, char *out, size_t outsz)
{
    const char *p = *s + strspn(*s, " ");
    size_t n = strcspn(p, " ");
    *s = p + n;
    out[0] = '\0';
    if (n >= outsz)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* Valid UTF-8 without C0 controls or DEL. */
static bool configure_clean(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return utf8_valid(s, len, NULL);
}

/* Writes the owner's answer to reply and, as a refusal, to err. */
__attribute__((format(printf, 4, 5))) static Status
configure_refuse(char *reply, size_t replysz, Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reply, replysz, fmt, ap);
    va_end(ap);
    return error_set(err, STATUS_INVALID, "%s", reply);
}

/* "#chan daily HH:MM ZONE", "#chan daily off", "#chan daily default". */
static Status configure_daily(Commands *c, const char *chan, const char *value,
                              const char *zone, char *reply, size_t replysz,
                              Error *err)
{
    Error why = {0};
    Status rc;
    int h = -1, m = -1;

    if (strcmp(value, "off") == 0 || strcmp(value, "default") == 0) {
        rc = state_daily_set_mode(c->state, chan,
                                  value[1] == 'f' ? STATE_DAILY_OFF
                                                  : STATE_DAILY_DEFAULT,
                                  0, 0, NULL, &why);
    } else {
        if (strlen(value) == 5 && value[2] == ':' &&
            strspn(value, "0123456789") == 2 &&
            strspn(value + 3, "0123456789") == 2) {
            h = (value[0] - '0') * 10 + (value[1] - '0');
            m = (value[3] - '0') * 10 + (value[4] - '0');
        }
        if (h < 0 || h > 23 || m < 0 || m > 59 || !zone[0])
            return configure_refuse(reply, replysz, err,
                                    "Usage: set #channel daily HH:MM ZONE "
                                    "(e.g. 08:30 Europe/Berlin), off or "
                                    "default");
        Tz *tz = tz_name_valid(zone) ? tz_load(zone, &why) : NULL;
        if (!tz)
            return configure_refuse(reply, replysz, err,
                                    "Not changed: \"%s\" is not a time zone "
                                    "(an IANA name such as Europe/Berlin).",
                                    zone);
        tz_free(tz);
        rc = state_daily_set_mode(c->state, chan, STATE_DAILY_ON, h, m, zone,
                                  &why);
    }
    if (rc == STATUS_INVALID)
        return configure_refuse(reply, replysz, err, "Not changed: %s.",
                                why.msg);
    if (rc != STATUS_OK) {
        snprintf(reply, replysz,
                 "Not changed: the bot's database failed (see its log).");
        return error_set(err, STATUS_ERROR, "%s", why.msg);
    }
    DailyChannel ch;
    rc = dailypost_channel(c->state, c->daily, chan, &ch, &why);
    if (rc == STATUS_OK)
        snprintf(reply, replysz, "%s: passage of the day at %02d:%02d %s%s.",
                 chan, ch.sched.hour, ch.sched.minute, tz_name(ch.tz),
                 ch.own ? "" : " (as configured)");
    else
        snprintf(reply, replysz, "%s: no passage of the day%s.", chan,
                 strcmp(value, "off") == 0 ? "" : " (as configured)");
    dailypost_channel_clear(&ch);
    return STATUS_OK;
}

/* Owners' settings: "#chan prefix X|default", "#chan addressed on|off|default",
 * "#chan enable|disable COMMAND", "#chan show". */
Status commands_configure(Commands *c, const char *args, char *reply,
                          size_t replysz, Error *err)
{
    char chan[64], what[16], value[32], zone[STATE_ZONE_MAX + 2];
    const char *p = args;
    Error why = {0};
    Status rc;

    if (!c->state)
        return configure_refuse(reply, replysz, err,
                                "Settings need the state database.");
    /* The answer echoes these words: text only, as every other answer. */
    if (!configure_clean(args))
        return configure_refuse(reply, replysz, err,
                                "Not changed: settings "
                                "are plain text, without control codes.");
    if (configure_word(&p, chan, sizeof chan) < 0 ||
        configure_word(&p, what, sizeof what) < 0 ||
        configure_word(&p, value, sizeof value) < 0 ||
        configure_word(&p, zone, sizeof zone) < 0)
        return configure_refuse(reply, replysz, err,
                                "Not changed: a word is too long.");
    if (!chan[0] || !what[0])
        return configure_refuse(reply, replysz, err,
                                "Usage: set #channel prefix X|default, "
                                "addressed on|off|default, enable|disable "
                                "COMMAND, daily HH:MM ZONE|off|default, "
                                "show");
    if (strcmp(what, "prefix") == 0) {
        rc = state_channel_set_prefix(
            c->state, chan,
            !value[0] || strcmp(value, "default") == 0 ? NULL : value, &why);
    } else if (strcmp(what, "addressed") == 0) {
        int on = strcmp(value, "on") == 0    ? 1
                 : strcmp(value, "off") == 0 ? 0
                                             : -1;
        if (on < 0 && strcmp(value, "default") != 0)
            return configure_refuse(reply, replysz, err,
                                    "addressed takes on, off or default");
        rc = state_channel_set_addressed(c->state, chan, on, &why);
    } else if (strcmp(what, "enable") == 0 || strcmp(what, "disable") == 0) {
        if (!commands_find(value))
            return configure_refuse(reply, replysz, err, "No command \"%s\".",
                                    value);
        rc = state_channel_enable(c->state, chan, value, what[0] == 'e', &why);
    } else if (strcmp(what, "daily") == 0) {
        return configure_daily(c, chan, value, zone, reply, replysz, err);
    } else if (strcmp(what, "show") == 0) {
        rc = STATUS_OK;
    } else {
        return configure_refuse(reply, replysz, err, "Unknown setting \"%s\".",
                                what);
    }
    if (rc == STATUS_INVALID)
        return configure_refuse(reply, replysz, err, "Not changed: %s.",
                                why.msg);
    if (rc != STATUS_OK) {
        snprintf(reply, replysz,
                 "Not changed: the bot's database failed "
                 "(see its log).");
        return error_set(err, STATUS_ERROR, "%s", why.msg);
    }
    ChannelSettings cs;
    char disabled[STATE_DISABLED_MAX * (STATE_COMMAND_MAX + 1) + 1] = "";
    size_t len = 0;
    /* "show" on a name that is not a channel shows the defaults. */
    state_channel_get(c->state, chan, &cs, NULL);
    for (size_t i = 0; i < cs.ndisabled; i++) {
        int w = snprintf(disabled + len, sizeof disabled - len, "%s%s",
                         i ? "," : "", cs.disabled[i]);
        if (w > 0 && (size_t)w < sizeof disabled - len)
            len += (size_t)w;
    }
    snprintf(reply, replysz, "%s: prefix %s, addressed %s, disabled: %s", chan,
             cs.prefix[0] ? cs.prefix : c->prefix,
             cs.addressed < 0 ? "as configured"
             : cs.addressed   ? "on"
                              : "off",
             cs.ndisabled ? disabled : "none");
    return STATUS_OK;
}

Status commands_dispatch(Commands *c, const CommandInput *in,
                         CommandOutput *out, Error *err)
{
    char text[COMMANDS_MAX_INPUT], name[COMMANDS_NAME_MAX + 1];

    utf8_sanitize(in->text, strlen(in->text), text, sizeof text);
    const char *args = commands_parse(c, in->channel, text, name);
    if (!args)
        return STATUS_NOTFOUND;
    commands_set_budget(c, in);
    const CommandSpec *spec = commands_find(name);
    if (!spec) {
        if (output_printf(c, out, "Unknown command %s%s. Try %shelp", c->pfx,
                          name, c->pfx) < 0)
            return error_set(err, STATUS_ERROR, "commands: out of memory");
        return STATUS_OK;
    }
    return commands_run(c, spec, args, in, out, err);
}

/* In a private message, a command's bare name needs no prefix: "help",
 * "help search", "more", "quote".  Only names that take no arguments, plus
 * help with one word, so that a question starting with a command's name
 * ("read my letter?") still gets a reply.  Returns the spec and sets *args,
 * or NULL. */
static const CommandSpec *commands_bare(const char *text, const char **args)
{
    char name[COMMANDS_NAME_MAX + 1], word[COMMANDS_NAME_MAX + 1];
    const char *p = text;
    size_t n = args_next(&p, name, sizeof name);
    if (n == 0 || n > COMMANDS_NAME_MAX)
        return NULL;
    for (char *k = name; *k; k++) *k = (char)tolower((unsigned char)*k);
    size_t len = strlen(name);
    if (len > 0 && (name[len - 1] == '?' || name[len - 1] == '.'))
        name[len - 1] = '\0'; /* "help?" */
    const CommandSpec *spec = commands_find(name);
    if (!spec)
        return NULL;
    const char *rest = p;
    size_t words = 0;
    while (args_next(&p, word, sizeof word)) words++;
    if (words == 0 && !spec->needs_args) {
        *args = rest;
        return spec;
    }
    if (words == 1 && spec->run == command_help) {
        *args = rest;
        return spec;
    }
    return NULL;
}

Status commands_dispatch_reply(Commands *c, const CommandInput *in,
                               CommandOutput *out, Error *err)
{
    char text[COMMANDS_MAX_INPUT];
    utf8_sanitize(in->text, strlen(in->text), text, sizeof text);
    commands_set_budget(c, in);
    const char *args = text;
    const CommandSpec *spec = in->channel ? NULL : commands_bare(text, &args);
    if (!spec)
        spec = commands_find("reply");
    return commands_run(c, spec, args, in, out, err);
}
