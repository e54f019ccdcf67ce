/* console.h - the bot's answers on a terminal or a pipe.
 *
 * Reads one command per line and prints exactly the lines the bot would
 * send to a channel.  On a terminal it shows a prompt; piped, it is plain.
 */
#ifndef MISSIVE_CONSOLE_H
#define MISSIVE_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "commands.h"

int console_run(Commands *cmds, FILE *in, FILE *out, bool interactive);

#endif
