/* paths.c - default data directory and database; see paths.h.
 *
 * Telling a build-tree binary from an installed one at run time (by where
 * /proc/self/exe lives) keeps one binary: the file `cmake --install` copies
 * is the file the tests ran, not a second build with another definition.
 */
#include "paths.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MISSIVE_DATADIR
#error "MISSIVE_DATADIR (the installed data directory) must be defined"
#endif

/* Whether the running executable lives under the build directory. */
static bool paths_in_build_tree(void)
{
#if defined(MISSIVE_BUILD_DIR) && defined(MISSIVE_SOURCE_DATADIR)
    char exe[PATH_MAX];
    size_t n = strlen(MISSIVE_BUILD_DIR);

    if (realpath("/proc/self/exe", exe) == NULL)
        return false;
    return strncmp(exe, MISSIVE_BUILD_DIR, n) == 0 && exe[n] == '/';
#else
    return false;
#endif
}

const char *paths_data_dir(void)
{
#ifdef MISSIVE_SOURCE_DATADIR
    static int in_build = -1;

    if (in_build < 0)
        in_build = paths_in_build_tree();
    if (in_build)
        return MISSIVE_SOURCE_DATADIR;
#endif
    return MISSIVE_DATADIR;
}

const char *paths_tls_module(void)
{
#ifdef MISSIVE_BUILD_DIR
    static int in_build = -1;
    if (in_build < 0)
        in_build = paths_in_build_tree();
    if (in_build)
        return MISSIVE_BUILD_DIR "/missive-tls.so";
#endif
    return MISSIVE_MODULEDIR "/missive-tls.so";
}

void paths_default_database(char *buf, size_t size)
{
    const char *state = getenv("STATE_DIRECTORY");
    int len;

    if (size == 0)
        return;
    /* systemd joins several StateDirectory= entries with ':'; the first is
     * the service's own. */
    if (state != NULL && *state == '/')
        len = (int)strcspn(state, ":");
    else {
        state = MISSIVE_STATEDIR;
        len = (int)strlen(state);
    }
    while (len > 1 && state[len - 1] == '/') len--;
    snprintf(buf, size, "%.*s/missive.db", len, state);
}
