/* testutil.h - what the unit tests share: a private temporary directory.
 *
 * Each test file that needs files makes one directory with testutil_tmpdir()
 * in its setup and removes it, whatever is in it, with testutil_rmtree() in
 * its teardown.  Removal walks the tree with nftw(), depth first, without
 * following symbolic links and without a shell.  Header-only: static
 * functions, each test program uses what it needs.
 */
#ifndef MISSIVE_TESTUTIL_H
#define MISSIVE_TESTUTIL_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TESTUTIL_DIR_MAX 96 /* a testutil_tmpdir path, NUL included */

/* Makes /tmp/missive-test-NAME-XXXXXX and writes its resolved path to out.
 * Returns 0, or -1 (out is then ""). */
static inline int testutil_tmpdir(const char *name, char *out, size_t outsz)
{
    char tmpl[PATH_MAX], real[PATH_MAX];
    int n = snprintf(tmpl, sizeof tmpl, "/tmp/missive-test-%s-XXXXXX", name);

    if (outsz)
        out[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof tmpl || mkdtemp(tmpl) == NULL)
        return -1;
    if (realpath(tmpl, real) == NULL || strlen(real) >= outsz)
        return -1;
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

static inline int testutil_rm_entry(const char *path, const struct stat *st,
                                    int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

/* Removes dir and everything under it (nothing outside: FTW_PHYS does not
 * follow links, FTW_MOUNT stays on one file system).  "" is a no-op. */
static inline int testutil_rmtree(const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return 0;
    return nftw(dir, testutil_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

#endif
