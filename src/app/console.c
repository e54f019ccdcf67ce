/* console.c - the bot's answers on a terminal or a pipe (see console.h).
 *
 * The console calls the same dispatcher as the IRC layer with a made-up
 * nick and channel, so what it prints is exactly what a channel would see.
 * On a terminal, lines are read with libedit (BSD-licensed, in Debian as
 * libedit-dev): cursor keys, Ctrl-A/E/W and the like, and a history of the
 * session's commands on the up arrow.  On a pipe it reads plain lines with
 * getline, so scripts see no prompt and no terminal codes.
 */
#include "console.h"

#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

#include "clock.h"
#include "log.h"

#define CONSOLE_NICK "console"
#define CONSOLE_CHANNEL "#console"

Status console_answer(Commands *cmds, const char *text, FILE *out)
{
    CommandOutput answer = {0};
    CommandInput in = {text, CONSOLE_NICK, CONSOLE_CHANNEL, 0, NULL};
    Error err = {.sink = log_sink};
    Status st = commands_dispatch(cmds, &in, &answer, &err);

    if (err.msg[0])
        log_error("%s", err.msg);
    for (size_t i = 0; i < answer.n; i++) fprintf(out, "%s\n", answer.lines[i]);
    for (size_t i = 0; i < answer.npriv; i++)
        fprintf(out, "(to you privately) %s\n", answer.priv[i]);
    command_output_clear(&answer);
    return st;
}

/* Answers one line; STATUS_ERROR only when the dispatcher failed.  With
 * timing on, the time the dispatcher took (printing excluded) goes to
 * stderr, so bench/scale.py can time commands in one long-lived process. */
static Status console_line(Commands *cmds, const char *line, FILE *out,
                           const ConsoleOptions *opts)
{
    uint64_t start = opts->timing ? clock_now_us() : 0;
    Status st = console_answer(cmds, line, out);
    if (opts->timing)
        fprintf(stderr, "timing: %llu us\n",
                (unsigned long long)(clock_now_us() - start));
    if (st == STATUS_NOTFOUND && opts->interactive && line[0])
        fputs("(not a command: the bot stays silent; try !help)\n", out);
    fflush(out);
    return st == STATUS_ERROR ? STATUS_ERROR : STATUS_OK;
}

/* The terminal loop: libedit reads and edits each line, and keeps the
 * session's history (a line is added unless it repeats the one before). */
static Status console_edit(Commands *cmds, FILE *in, FILE *out,
                           const ConsoleOptions *opts)
{
    Status rc = STATUS_OK;
    char *line, *prev = NULL;

    rl_instream = in;
    rl_outstream = out;
    using_history();
    fputs("Missive console: type !help, Ctrl-D to leave.\n", out);
    fflush(out);
    while (rc == STATUS_OK && (line = readline("missive> ")) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && (!prev || strcmp(prev, line) != 0)) {
            add_history(line);
            free(prev);
            prev = strdup(line);
        }
        rc = console_line(cmds, line, out, opts);
        free(line);
    }
    free(prev);
    clear_history();
    fputc('\n', out);
    return rc;
}

Status console_run(Commands *cmds, FILE *in, FILE *out,
                   const ConsoleOptions *opts)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    Status rc = STATUS_OK;

    if (opts->interactive)
        return console_edit(cmds, in, out, opts);
    fflush(out);
    while ((len = getline(&line, &cap, in)) >= 0) {
        /* getline keeps NUL bytes; the dispatcher sees the line up to the
         * first one, which is all a C string can carry anyway. */
        line[strcspn(line, "\r\n")] = '\0';
        if ((rc = console_line(cmds, line, out, opts)) != STATUS_OK)
            break;
    }
    free(line);
    return rc;
}
