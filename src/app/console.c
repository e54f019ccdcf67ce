/* console.c - the bot's answers on a terminal or a pipe (see console.h).
 *
 * The console calls the same dispatcher as the IRC layer with a made-up
 * nick and channel, so what it prints is exactly what a channel would see.
 * On a terminal, lines are read with libedit (BSD-licensed, in Debian as
 * libedit2): cursor keys, Ctrl-A/E/W and the like, and a history of the
 * session's commands on the up arrow.  On a pipe it reads plain lines with
 * getline, so scripts see no prompt and no terminal codes.
 *
 * libedit is dlopen()ed when a terminal asks for it, not linked: linked,
 * it and libtinfo, libbsd and libmd were mapped into the bot too, 0.36 MB
 * of its RSS for a console it never shows.  Without libedit the terminal
 * gets a plain prompt.
 */
#include "console.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* The part of libedit's readline interface the console uses, looked up
 * by name (the prototypes of <editline/readline.h>). */
typedef struct {
    char *(*readline)(const char *prompt);
    int (*add_history)(const char *line);
    void (*using_history)(void);
    void (*clear_history)(void);
    FILE **instream, **outstream; /* rl_instream, rl_outstream */
} ConsoleEdit;

#define CONSOLE_LIBEDIT "libedit.so.2"

/* Stores the address of lib's symbol name in *fn, a function pointer of
 * size fnsize; false when it is missing.  POSIX guarantees that dlsym's
 * void * converts to a function pointer; ISO C has no cast for it, hence
 * the copy. */
static bool console_sym(void *lib, const char *name, void *fn, size_t fnsize)
{
    void *p = dlsym(lib, name);
    if (!p || fnsize != sizeof p)
        return false;
    memcpy(fn, &p, sizeof p);
    return true;
}

/* Loads libedit; false when it is not installed or lacks a symbol.  It
 * stays loaded until exit (the console runs once per process). */
static bool console_edit_load(ConsoleEdit *e)
{
    void *lib = dlopen(CONSOLE_LIBEDIT, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
    if (console_sym(lib, "readline", &e->readline, sizeof e->readline) &&
        console_sym(lib, "add_history", &e->add_history,
                    sizeof e->add_history) &&
        console_sym(lib, "using_history", &e->using_history,
                    sizeof e->using_history) &&
        console_sym(lib, "clear_history", &e->clear_history,
                    sizeof e->clear_history) &&
        (e->instream = dlsym(lib, "rl_instream")) != NULL &&
        (e->outstream = dlsym(lib, "rl_outstream")) != NULL)
        return true;
    dlclose(lib);
    return false;
}

/* The terminal loop: libedit reads and edits each line, and keeps the
 * session's history (a line is added unless it repeats the one before).
 * STATUS_NOTFOUND when libedit cannot be loaded. */
static Status console_edit(Commands *cmds, FILE *in, FILE *out,
                           const ConsoleOptions *opts)
{
    Status rc = STATUS_OK;
    char *line, *prev = NULL;
    ConsoleEdit e;

    if (!console_edit_load(&e))
        return STATUS_NOTFOUND;
    *e.instream = in;
    *e.outstream = out;
    e.using_history();
    fputs("Missive console: type !help, Ctrl-D to leave.\n", out);
    fflush(out);
    while (rc == STATUS_OK && (line = e.readline("missive> ")) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && (!prev || strcmp(prev, line) != 0)) {
            e.add_history(line);
            free(prev);
            prev = strdup(line);
        }
        rc = console_line(cmds, line, out, opts);
        free(line);
    }
    free(prev);
    e.clear_history();
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

    if (opts->interactive) {
        rc = console_edit(cmds, in, out, opts);
        if (rc != STATUS_NOTFOUND)
            return rc;
        rc = STATUS_OK;
        fputs("Missive console (no line editing: " CONSOLE_LIBEDIT
              " is not installed): type !help, Ctrl-D to leave.\n",
              out);
    }
    fflush(out);
    for (;;) {
        if (opts->interactive) { /* the prompt libedit would have shown */
            fputs("missive> ", out);
            fflush(out);
        }
        if ((len = getline(&line, &cap, in)) < 0)
            break;
        /* getline keeps NUL bytes; the dispatcher sees the line up to the
         * first one, which is all a C string can carry anyway. */
        line[strcspn(line, "\r\n")] = '\0';
        if ((rc = console_line(cmds, line, out, opts)) != STATUS_OK)
            break;
    }
    free(line);
    return rc;
}
