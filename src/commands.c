/* commands.c - the command dispatcher (see commands.h).
 *
 * One table lists every command with its usage and help text, so `!help`
 * and the dispatcher can never disagree.  Input is sanitised once, on the
 * way in (utf8_sanitize: no control codes, valid UTF-8); every line on the
 * way out goes through format_*, which cut to the budget at a boundary.
 */
#include "commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "clock.h"
#include "format.h"
#include "utf8.h"

#define COMMANDS_NAME_MAX 32
#define COMMANDS_LINE_MAX 1024   /* scratch for one line; budgets are smaller */
#define COMMANDS_MORE_SLOTS 64   /* people with a !more waiting, at most */
#define COMMANDS_KEY_MAX 128     /* "nick channel" */

/* Lines of an answer that did not fit in max_lines, for `!more`.  A small
 * fixed table: O(slots) per lookup, fine because it holds only the people
 * who asked for something long in the last few minutes; when full, the
 * oldest continuation goes. */
typedef struct {
    char key[COMMANDS_KEY_MAX];
    char **lines;
    size_t n, next;
    uint64_t expires_ms;
} MoreSlot;

struct Commands {
    Corpus *corpus;
    char prefix[16];
    size_t line_budget;
    size_t budget;               /* for the command being run */
    int max_lines;
    uint64_t more_expiry_ms;
    MoreSlot more[COMMANDS_MORE_SLOTS];
};

typedef int (*command_fn)(Commands *c, const char *args,
                          const CommandInput *in, CommandOutput *out);

typedef struct {
    const char *name;
    const char *usage;      /* arguments, after the name */
    const char *help;       /* one line */
    const char *example;    /* arguments of an example, or NULL */
    command_fn run;
} CommandSpec;

static int command_quote(Commands *, const char *, const CommandInput *, CommandOutput *);
static int command_search(Commands *, const char *, const CommandInput *, CommandOutput *);
static int command_reply(Commands *, const char *, const CommandInput *, CommandOutput *);
static int command_help(Commands *, const char *, const CommandInput *, CommandOutput *);
static int command_more(Commands *, const char *, const CommandInput *, CommandOutput *);

static const CommandSpec commands_table[] = {
    {"quote", "[author] [year] [letter.paragraph]",
     "a passage of the letters: at random, by author or year, or by its id",
     "stalin", command_quote},
    {"search", "WORDS",
     "passages containing all the words; \"exact phrase\", prefix*, -exclude",
     "finland", command_search},
    {"reply", "MESSAGE",
     "the passage that best answers your message, in the author's own words",
     "when will you open a second front?", command_reply},
    {"more", "", "the rest of the last long answer you asked for", NULL,
     command_more},
    {"help", "[command]", "what each command does", "quote", command_help},
};

#define COMMANDS_COUNT (sizeof commands_table / sizeof commands_table[0])

/* --- output --------------------------------------------------------------- */

void command_output_clear(CommandOutput *out)
{
    for (size_t i = 0; i < out->n; i++)
        free(out->lines[i]);
    free(out->lines);
    memset(out, 0, sizeof *out);
}

/* Takes a line already made safe (by format_*) and appends a copy. */
static int output_push(CommandOutput *out, const char *line)
{
    if (array_grow(&out->lines, &out->cap, out->n + 1, sizeof *out->lines) < 0)
        return -1;
    if (!(out->lines[out->n] = strdup(line)))
        return -1;
    out->n++;
    return 0;
}

/* printf into a line, then sanitise and cut it to the budget.  fmt is
 * always one of ours; user text only ever arrives as a %s argument. */
__attribute__((format(printf, 3, 4)))
static int output_printf(Commands *c, CommandOutput *out, const char *fmt, ...)
{
    char raw[COMMANDS_LINE_MAX], line[COMMANDS_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    format_cut(raw, c->budget, line, sizeof line);
    return output_push(out, line);
}

static int output_passage(Commands *c, CommandOutput *out, const Passage *p,
                          const char *lead, int use_snippet)
{
    char line[COMMANDS_LINE_MAX];
    size_t n = strlen(lead);
    /* format_passage never goes below FORMAT_MIN_BUDGET: a lead that would
     * push the line past the budget is left out rather than overflow it. */
    if (c->budget < n + FORMAT_MIN_BUDGET)
        n = 0;
    memcpy(line, lead, n);
    format_passage(p, use_snippet, c->budget - n, line + n, sizeof line - n);
    return output_push(out, line);
}

/* --- arguments ------------------------------------------------------------ */

/* Next space-separated word of *args into word (cut to wordsz); advances
 * *args.  Returns the word's length, 0 at the end. */
static size_t args_next(const char **args, char *word, size_t wordsz)
{
    const char *p = *args;
    while (*p == ' ')
        p++;
    const char *start = p;
    while (*p && *p != ' ')
        p++;
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

/* "2.3" -> letter 2, paragraph 3. */
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

/* --- the commands --------------------------------------------------------- */

static int command_usage(Commands *c, CommandOutput *out, const CommandSpec *spec)
{
    if (spec->example)
        return output_printf(c, out, "Usage: %s%s %s (for example: %s%s %s)",
                             c->prefix, spec->name, spec->usage, c->prefix,
                             spec->name, spec->example);
    return output_printf(c, out, "Usage: %s%s %s", c->prefix, spec->name,
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

static int command_quote(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    char word[64], person[64] = "";
    PassageFilter f = {0};
    Passage p;
    int letter = 0, para = 0, rc;

    (void)in;
    while (args_next(&args, word, sizeof word)) {
        if (args_passage_id(word, &letter, &para))
            continue;
        if (args_all_digits(word) && strlen(word) == 4) {
            f.year = atoi(word);
            continue;
        }
        if (!person[0] && corpus_person(c->corpus, word, person, sizeof person)) {
            f.sender = person;
            continue;
        }
        return output_printf(c, out,
                             "I know no author, year or passage called \"%s\". "
                             "Try %squote stalin, %squote 1941 or %squote 1.4",
                             word, c->prefix, c->prefix, c->prefix);
    }

    if (letter) {
        rc = corpus_get(c->corpus, letter, para, &p);
        if (rc == CORPUS_NOTFOUND)
            return output_printf(c, out, "There is no passage %d.%d.", letter, para);
    } else {
        rc = corpus_random(c->corpus, &f, &p);
        if (rc == CORPUS_NOTFOUND)
            return output_printf(c, out, "No passage matches that.");
    }
    if (rc != CORPUS_OK)
        return command_corpus_error(c, out);
    rc = output_passage(c, out, &p, "", 0);
    passage_clear(&p);
    return rc;
}

static int command_search(Commands *c, const char *args, const CommandInput *in,
                          CommandOutput *out)
{
    Passage p;
    long total = 0;
    char lead[64];

    (void)in;
    int rc = corpus_search(c->corpus, args, 0, &p, &total);
    if (rc == CORPUS_BADQUERY)
        return output_printf(c, out,
                             "Give me at least one word to look for, e.g. %ssearch finland",
                             c->prefix);
    if (rc == CORPUS_NOTFOUND)
        return output_printf(c, out, "No passage contains that.");
    if (rc != CORPUS_OK)
        return command_corpus_error(c, out);
    snprintf(lead, sizeof lead, "(1 of %ld) ", total);
    rc = output_passage(c, out, &p, lead, 1);
    passage_clear(&p);
    return rc;
}

static int command_reply(Commands *c, const char *args, const CommandInput *in,
                         CommandOutput *out)
{
    Passage p;

    (void)in;
    int rc = corpus_reply(c->corpus, args, NULL, &p);
    if (rc == CORPUS_NOTFOUND)
        return output_printf(c, out, "Nothing in the letters answers that.");
    if (rc != CORPUS_OK)
        return command_corpus_error(c, out);
    rc = output_passage(c, out, &p, "", 0);
    passage_clear(&p);
    return rc;
}

static int command_help(Commands *c, const char *args, const CommandInput *in,
                        CommandOutput *out)
{
    char word[COMMANDS_NAME_MAX + 1], list[256] = "";
    size_t len = 0;

    (void)in;
    if (args_next(&args, word, sizeof word)) {
        const char *name = word;
        if (strncmp(name, c->prefix, strlen(c->prefix)) == 0)
            name += strlen(c->prefix);
        const CommandSpec *spec = commands_find(name);
        if (!spec)
            return output_printf(c, out, "No command \"%s\". Commands: try %shelp",
                                 name, c->prefix);
        if (output_printf(c, out, "%s%s %s: %s", c->prefix, spec->name,
                          spec->usage, spec->help) < 0)
            return -1;
        if (!spec->example)
            return 0;
        return output_printf(c, out, "Example: %s%s %s", c->prefix, spec->name,
                             spec->example);
    }
    for (size_t i = 0; i < COMMANDS_COUNT; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s%s",
                         i ? ", " : "", c->prefix, commands_table[i].name);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
    }
    return output_printf(c, out,
                         "Passages from the 1941 letters of Stalin and Churchill. "
                         "Commands: %s. %shelp COMMAND for more.",
                         list, c->prefix);
}

/* --- dispatch ------------------------------------------------------------- */

Commands *commands_new(Corpus *corpus, const CommandsConfig *cfg)
{
    Commands *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->corpus = corpus;
    snprintf(c->prefix, sizeof c->prefix, "%s",
             cfg && cfg->prefix && cfg->prefix[0] ? cfg->prefix : "!");
    c->line_budget = cfg && cfg->line_budget ? cfg->line_budget : 400;
    c->max_lines = cfg && cfg->max_lines > 0 ? cfg->max_lines : 3;
    c->more_expiry_ms = (uint64_t)(cfg && cfg->more_expiry > 0 ? cfg->more_expiry : 600) * 1000;
    return c;
}

static void more_slot_clear(MoreSlot *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->lines[i]);
    free(m->lines);
    memset(m, 0, sizeof *m);
}

void commands_free(Commands *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++)
        more_slot_clear(&c->more[i]);
    free(c);
}

/* --- !more ----------------------------------------------------------------- */

static void more_key(const CommandInput *in, char *key, size_t keysz)
{
    snprintf(key, keysz, "%s %s", in->nick ? in->nick : "",
             in->channel ? in->channel : "");
    for (char *k = key; *k; k++)
        *k = (char)tolower((unsigned char)*k);
}

static MoreSlot *more_find(Commands *c, const char *key, uint64_t now)
{
    for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++) {
        MoreSlot *m = &c->more[i];
        if (m->lines && m->expires_ms <= now)
            more_slot_clear(m);
        if (m->lines && strcmp(m->key, key) == 0)
            return m;
    }
    return NULL;
}

/* Keeps out->lines[from..] for `!more` and cuts out back to `from` lines;
 * the last line sent says how many wait. */
static int more_keep(Commands *c, const CommandInput *in, CommandOutput *out,
                     size_t from)
{
    char key[COMMANDS_KEY_MAX];
    uint64_t now = clock_now_ms();
    MoreSlot *slot;

    more_key(in, key, sizeof key);
    if (!(slot = more_find(c, key, now))) {
        slot = &c->more[0];
        for (size_t i = 0; i < COMMANDS_MORE_SLOTS; i++) {
            if (!c->more[i].lines) {
                slot = &c->more[i];
                break;
            }
            if (c->more[i].expires_ms < slot->expires_ms)
                slot = &c->more[i];
        }
    }
    more_slot_clear(slot);
    slot->lines = malloc((out->n - from) * sizeof *slot->lines);
    if (!slot->lines)
        return -1;
    snprintf(slot->key, sizeof slot->key, "%s", key);
    for (size_t i = from; i < out->n; i++)
        slot->lines[slot->n++] = out->lines[i];
    out->n = from;
    slot->expires_ms = now + c->more_expiry_ms;
    return output_printf(c, out, "(%zu more: %smore)", slot->n, c->prefix);
}

/* Sends at most max_lines of out now and keeps the rest. */
static int more_limit(Commands *c, const CommandInput *in, CommandOutput *out)
{
    size_t max = (size_t)c->max_lines;
    if (out->n <= max)
        return 0;
    /* One line is given to the "(N more)" notice. */
    return more_keep(c, in, out, max > 1 ? max - 1 : 1);
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
    size_t max = (size_t)c->max_lines, left = m->n - m->next;
    size_t take = left <= max ? left : (max > 1 ? max - 1 : 1);
    for (size_t i = 0; i < take; i++)
        if (output_push(out, m->lines[m->next++]) < 0)
            return -1;
    left = m->n - m->next;
    if (left == 0) {
        more_slot_clear(m);
        return 0;
    }
    return output_printf(c, out, "(%zu more: %smore)", left, c->prefix);
}

/* The line budget for this input: the caller's (the IRC layer knows its
 * target), else the configured one, within what format can honour. */
static void commands_set_budget(Commands *c, const CommandInput *in)
{
    size_t budget = in->line_budget ? in->line_budget : c->line_budget;
    if (budget < FORMAT_MIN_BUDGET)
        budget = FORMAT_MIN_BUDGET;
    if (budget > COMMANDS_LINE_MAX - 1)
        budget = COMMANDS_LINE_MAX - 1;
    c->budget = budget;
}

static int commands_run(Commands *c, const CommandSpec *spec, const char *args,
                        const CommandInput *in, CommandOutput *out)
{
    while (*args == ' ')
        args++;
    int rc;
    if (!*args && spec->usage[0] && spec->usage[0] != '[')
        rc = command_usage(c, out, spec);
    else
        rc = spec->run(c, args, in, out);
    if (rc == 0 && spec->run != command_more)
        rc = more_limit(c, in, out);
    return rc < 0 ? -1 : 1;
}

/* Splits "<prefix>name rest" from sanitised text: the lower-cased name
 * into name, and returns the rest, or NULL when text is not a command.  A
 * command name is letters only: "!!!", "! hi" and "!1941" are talk. */
static const char *commands_parse(const Commands *c, const char *text,
                                  char name[COMMANDS_NAME_MAX + 1])
{
    size_t plen = strlen(c->prefix), n = 0;
    if (strncmp(text, c->prefix, plen) != 0)
        return NULL;
    const char *p = text + plen;
    while (isalpha((unsigned char)p[n]) && n < COMMANDS_NAME_MAX) {
        name[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    name[n] = '\0';
    if (n == 0 || (p[n] && p[n] != ' '))
        return NULL;
    return p + n;
}

int commands_match(const Commands *c, const char *text)
{
    char name[COMMANDS_NAME_MAX + 1], clean[COMMANDS_NAME_MAX * 2];
    utf8_sanitize(text, strnlen(text, sizeof clean), clean, sizeof clean);
    return commands_parse(c, clean, name) != NULL;
}

int commands_dispatch(Commands *c, const CommandInput *in, CommandOutput *out)
{
    char text[COMMANDS_MAX_INPUT], name[COMMANDS_NAME_MAX + 1];

    utf8_sanitize(in->text, strlen(in->text), text, sizeof text);
    const char *args = commands_parse(c, text, name);
    if (!args)
        return 0;
    commands_set_budget(c, in);
    const CommandSpec *spec = commands_find(name);
    if (!spec) {
        return output_printf(c, out, "Unknown command %s%s. Try %shelp",
                             c->prefix, name, c->prefix) < 0 ? -1 : 1;
    }
    return commands_run(c, spec, args, in, out);
}

int commands_dispatch_reply(Commands *c, const CommandInput *in,
                            CommandOutput *out)
{
    char text[COMMANDS_MAX_INPUT];
    utf8_sanitize(in->text, strlen(in->text), text, sizeof text);
    commands_set_budget(c, in);
    return commands_run(c, commands_find("reply"), text, in, out);
}
