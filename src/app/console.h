/* console.h - the bot's answers on a terminal or a pipe.
 *
 * Reads one command per line and prints exactly the lines the bot would
 * send to a channel.  On a terminal it shows a prompt and edits lines with
 * libedit (history on the up arrow); piped, it is plain.
 */
#ifndef MISSIVE_CONSOLE_H
#define MISSIVE_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "commands.h"

typedef struct {
    bool interactive; /* in is a terminal: prompt and line editing */
    bool timing;      /* "timing: N us" on stderr after each command */
} ConsoleOptions;

/* Answers every line of in until EOF.  STATUS_OK, or STATUS_ERROR when the
 * dispatcher failed (out of memory; logged). */
Status console_run(Commands *cmds, FILE *in, FILE *out,
                   const ConsoleOptions *opts);

/* Answers one command and prints the answer to out, the lines for the user
 * alone marked "(to you privately)".  Returns the dispatcher's Status
 * (STATUS_NOTFOUND: not a command, nothing printed); trouble is logged. */
Status console_answer(Commands *cmds, const char *text, FILE *out);

#endif
