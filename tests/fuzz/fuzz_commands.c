/* fuzz_commands.c - commands_dispatch() over the real imported corpus.
 *
 * The shipped letters are imported once into a temporary database; every
 * input is then one message typed to the bot.  Its first two bytes choose
 * where and how: bits 0-1 of the first the entry point (commands_dispatch,
 * commands_dispatch_reply for "missive: text", or an owner's "set #cfg ..."
 * through commands_configure before a command in #cfg), bit 2 a private
 * message (else #fuzz), the other 13 bits the line budget (160..510).  In
 * the configure mode the text is "SETTINGS\nCOMMAND"; #cfg is reset after
 * each input so that no setting leaks into the next one.  Every line that
 * comes back, to the channel, privately or to the owner, must be valid
 * UTF-8, within the budget, and free of control bytes except IRC bold.
 * !more continuations persist between inputs; the nick names the budget, so
 * a continuation is always asked for at the budget it was cut for.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "state.h"
#include "utf8.h"

#define BUDGET_MIN 160
#define BUDGET_MAX 510

static char db_path[64];
static sqlite3 *db;
static Corpus *corpus;
static State *state;
static Commands *cmds;

static void remove_db(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[80];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
        unlink(path);
    }
}

static void teardown(void)
{
    commands_free(cmds);
    state_free(state);
    corpus_free(corpus);
    db_close(db);
    remove_db();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    Error err = {0};
    ImportReport rep;
    const char *paths[] = {DATADIR "/stalin-churchill-1941.txt"};
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    log_set_level(SEVERITY_ERROR);
    snprintf(db_path, sizeof db_path, "%s/missive-fuzz-%d.db", dir,
             (int)getpid());
    remove_db();
    if (db_open(db_path, &db, &err) != STATUS_OK) {
        fprintf(stderr, "fuzz_commands: %s\n", err.msg);
        abort();
    }
    if (import_files(db, paths, 1, DATADIR, &rep, NULL) != STATUS_OK)
        abort();
    CommandsConfig cfg = {"!", 400, 3, 600};
    if (!(corpus = corpus_new(db, NULL)) || !(state = state_new(db, NULL)) ||
        !(cmds = commands_new(corpus, state, &cfg)))
        abort();
    atexit(teardown);
    return 0;
}

static void check_line(const char *line, size_t budget)
{
    size_t len = strlen(line);
    if (len == 0 || len > budget || !utf8_valid(line, len, NULL)) {
        fprintf(stderr, "fuzz_commands: bad line (%zu bytes, budget %zu): %s\n",
                len, budget, line);
        abort();
    }
    for (size_t j = 0; j < len; j++) {
        unsigned char ch = (unsigned char)line[j];
        if ((ch < 0x20 && ch != 0x02) || ch == 0x7f) {
            fprintf(stderr, "fuzz_commands: control byte 0x%02x at %zu: %s\n",
                    ch, j, line);
            abort();
        }
    }
}

static void check_lines(char **lines, size_t n, size_t budget)
{
    for (size_t i = 0; i < n; i++) check_line(lines[i], budget);
}

/* An owner's "set #cfg SETTINGS"; returns the command typed afterwards. */
static char *configure(char *text)
{
    char args[COMMANDS_MAX_INPUT + 8], reply[256];
    char *command = strchr(text, '\n');
    if (command != NULL)
        *command++ = '\0';
    snprintf(args, sizeof args, "#cfg %s", text);
    reply[0] = '\0';
    Error err = {0};
    Status st = commands_configure(cmds, args, reply, sizeof reply, &err);
    if (st == STATUS_NOTFOUND || (st != STATUS_OK && err.msg[0] == '\0'))
        abort();
    check_line(reply, sizeof reply - 1);
    return command != NULL ? command : text + strlen(text);
}

static void configure_reset(void)
{
    ChannelSettings cs;
    state_channel_get(state, "#cfg", &cs, NULL);
    for (size_t i = cs.ndisabled; i-- > 0;)
        state_channel_enable(state, "#cfg", cs.disabled[i], true, NULL);
    state_channel_set_prefix(state, "#cfg", NULL, NULL);
    state_channel_set_addressed(state, "#cfg", -1, NULL);
    state_daily_set_mode(state, "#cfg", STATE_DAILY_DEFAULT, 0, 0, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0] & 3;
    bool priv = data[0] & 4;
    unsigned sel = (unsigned)(data[0] >> 3) | (unsigned)data[1] << 5;
    size_t budget = BUDGET_MIN + sel % (BUDGET_MAX - BUDGET_MIN + 1);
    char nick[16];
    snprintf(nick, sizeof nick, "fz%zu", budget);

    char *text = malloc(size - 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 2, size - 2); /* up to a NUL, as IRC delivers it */
    text[size - 2] = '\0';

    CommandInput in = {text, nick, priv ? NULL : "#fuzz", budget, NULL};
    if (mode == 2) {
        in.text = configure(text);
        in.channel = "#cfg";
        (void)commands_match(cmds, in.channel, in.text);
        (void)commands_addressed(cmds, in.channel, 1);
    }
    CommandOutput out;
    memset(&out, 0, sizeof out);
    Error err = {0};
    Status rc = mode == 1 ? commands_dispatch_reply(cmds, &in, &out, &err)
                          : commands_dispatch(cmds, &in, &out, &err);
    if (rc == STATUS_NOTFOUND && (out.n != 0 || out.npriv != 0))
        abort();
    if (rc == STATUS_OK && out.n == 0 && out.npriv == 0)
        abort();
    if (rc == STATUS_INVALID)
        abort(); /* a refusal is an answer, never a Status */
    check_lines(out.lines, out.n, budget);
    check_lines(out.priv, out.npriv, budget);
    command_output_clear(&out);
    if (mode == 2)
        configure_reset();
    free(text);
    return 0;
}
