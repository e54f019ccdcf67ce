/* fuzz_grep.c - a user's !grep pattern, compiled and matched.
 *
 * The input is "PATTERN\nSUBJECT" (IRC text never holds a newline, so no
 * pattern does); without a newline the pattern runs over every line of the
 * shipped letters, as !grep runs over every passage.  Both the JIT and the
 * interpreter are tried.  Whatever the pattern, compiling and matching must
 * stay within the budget (run with -timeout=2: one input, both engines,
 * well under a second), report offsets on character boundaries inside the
 * subject, and keep STATUS_ERROR sticky.  One grep_match call must also return within
 * SLOW_CALL_MS, a few budgets: PCRE2 is not instrumented, so its time here
 * is its real time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grep.h"
#include "utf8.h"

#define MAX_LINES 512
#define SLOW_CALL_MS (3 * GREP_BUDGET_MS)

static char *letters; /* the shipped file, lines cut at NUL */
static const char *lines[MAX_LINES];
static size_t lens[MAX_LINES], nlines;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FILE *f = fopen(DATADIR "/stalin-churchill-1941.txt", "rb");
    if (f == NULL || !(letters = malloc(1 << 16)))
        abort();
    size_t n = fread(letters, 1, (1 << 16) - 1, f);
    fclose(f);
    letters[n] = '\0';
    for (char *p = letters, *nl; *p && nlines < MAX_LINES; p = nl + 1) {
        if (!(nl = strchr(p, '\n')))
            nl = p + strlen(p);
        lines[nlines] = p;
        lens[nlines++] = (size_t)(nl - p);
        if (!*nl)
            break;
        *nl = '\0';
    }
    return 0;
}

static bool boundary(const char *s, size_t len, size_t i)
{
    return i == len || ((unsigned char)s[i] & 0xc0) != 0x80;
}

static Status match_one(Grep *g, const char *s, size_t len)
{
    size_t start = (size_t)-1, end = (size_t)-1;
    uint64_t t0 = clock_now_ms();
    Status rc = grep_match(g, s, len, &start, &end, NULL);
    uint64_t ms = clock_now_ms() - t0;
    if (rc != STATUS_OK && rc != STATUS_NOTFOUND && rc != STATUS_ERROR)
        abort();
    if (ms > SLOW_CALL_MS) {
        fprintf(stderr, "fuzz_grep: one call took %llu ms (jit %d)\n",
                (unsigned long long)ms, grep_jit(g));
        abort();
    }
    if (rc == STATUS_OK) {
        if (start > end || end > len)
            abort();
        if (utf8_valid(s, len, NULL) &&
            (!boundary(s, len, start) || !boundary(s, len, end)))
            abort();
    }
    return rc;
}

static void run(const char *pattern, const char *subject, size_t slen,
                unsigned flags)
{
    Error err = {0};
    Grep *g = grep_compile_opts(pattern, flags, &err);
    if (g == NULL) {
        if (err.msg[0] == '\0' || !utf8_valid(err.msg, strlen(err.msg), NULL))
            abort();
        return;
    }
    if ((flags & GREP_NO_JIT) && grep_jit(g))
        abort();
    Status rc = STATUS_NOTFOUND;
    if (subject != NULL) {
        rc = match_one(g, subject, slen);
    } else {
        for (size_t i = 0; i < nlines && rc != STATUS_ERROR; i++)
            rc = match_one(g, lines[i], lens[i]);
    }
    if (rc == STATUS_ERROR &&
        grep_match(g, "a", 1, NULL, NULL, NULL) != STATUS_ERROR) /* sticky */
        abort();
    grep_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *subject = memchr(buf, '\n', size);
    size_t slen = 0;
    if (subject != NULL) {
        *subject++ = '\0';
        slen = size - (size_t)(subject - buf);
    }
    run(buf, subject, slen, 0);
    run(buf, subject, slen, GREP_NO_JIT);
    free(buf);
    return 0;
}
