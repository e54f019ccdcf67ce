/* fuzz_config.c - config_load() on an arbitrary file.
 *
 * The input is written to a temporary file and loaded on top of the
 * defaults (errors go to /dev/null).  A load either fails and leaves the
 * Config as it was, or succeeds with values config.h promises: a nick, a
 * port in range, limits that are positive.  The loaded Config is printed
 * (to /dev/null) and freed; LeakSanitizer checks the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];
static FILE *devnull;

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/missive-fuzz-%d.conf", dir, (int)getpid());
    if (!(devnull = fopen("/dev/null", "w")))
        abort();
    atexit(remove_file);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();

    Config c, before;
    config_defaults(&c);
    memcpy(&before, &c, sizeof c);
    if (config_load(path, &c, NULL) != STATUS_OK) {
        if (memcmp(&before, &c, sizeof c) != 0) /* untouched */
            abort();
        return 0;
    }
    if (c.nick[0] == '\0' || c.port < 1 || c.port > 65535 ||
        c.server[0] == '\0' || c.channel_count > CONFIG_CHANNELS_MAX ||
        c.alt_nick_count > CONFIG_ALT_NICKS_MAX || c.database[0] != '/')
        abort();
    config_print(&c, devnull);
    config_free(&c);
    return 0;
}
