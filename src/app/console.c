/* console.c - the bot's answers on a terminal or a pipe (see console.h).
 *
 * The console calls the same dispatcher as the IRC layer with a made-up
 * nick and channel, so what it prints is exactly what a channel would see.
 */
#include "console.h"

#include <stdlib.h>
#include <string.h>

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

Status console_run(Commands *cmds, FILE *in, FILE *out, bool interactive)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    Status rc = STATUS_OK;

    if (interactive)
        fputs("Missive console: type !help, Ctrl-D to leave.\nmissive> ", out);
    fflush(out);
    while ((len = getline(&line, &cap, in)) >= 0) {
        /* getline keeps NUL bytes; the dispatcher sees the line up to the
         * first one, which is all a C string can carry anyway. */
        line[strcspn(line, "\r\n")] = '\0';
        Status st = console_answer(cmds, line, out);
        if (st == STATUS_ERROR) {
            rc = STATUS_ERROR;
            break;
        }
        if (st == STATUS_NOTFOUND && interactive && line[0])
            fputs("(not a command: the bot stays silent; try !help)\n", out);
        if (interactive)
            fputs("missive> ", out);
        fflush(out);
    }
    if (interactive)
        fputc('\n', out);
    free(line);
    return rc;
}
