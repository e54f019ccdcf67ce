/* grep.c - the !grep engine: a user regex under hard limits (see grep.h).
 *
 * The pattern is capped in length (GREP_PATTERN_MAX) and nesting, \C is
 * refused at compile time and callouts after it (no callout function is
 * ever set, but a pattern that asks for one is not what the user thinks it
 * is).  In-pattern settings such as (*LIMIT_MATCH=n) can only lower the
 * limits of the match context; (*UTF), (*UCP), (*CR) and friends, and the
 * optimisation switches ((*NO_JIT), (*NO_START_OPT), ...) are allowed: they
 * change meaning or speed, and the limits below bound the cost either way.
 *
 * The match limit of PCRE2 counts backtracking steps per start position,
 * not per call: PCRE2 resets it each time it bumps along the subject, so a
 * pattern costing just under the limit at every position would cost the
 * limit times the subject length.  We therefore never let one call scan
 * more than GREP_WINDOW start positions (pcre2_set_offset_limit) and look at
 * the clock between calls.  Worst case per call: GREP_WINDOW * match limit
 * steps, a few milliseconds (JIT code: filling GREP_JIT_STACK_MAX, some 25);
 * worst case per command: the budget plus that.
 * Windows change nothing for ^, \A and lookbehinds (PCRE2 sees the whole
 * subject); \G would match at every window start, so it is refused, and
 * backtracking verbs such as (*COMMIT) act within one window.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Backtracking steps per start position: ~1 ms interpreted, ~0.15 ms JIT
 * on this kind of machine, and far above what a sane pattern needs on a
 * paragraph (".*x.*y" over 1 KB costs a few thousand). */
#define GREP_MATCH_LIMIT 100000
/* Nested backtracking frames (interpreter only): a group repeated once per
 * character, "(?:\w|\s)*", still fits over some 2 KB of text (the longest
 * paragraph of the edition is under 1 KB). */
#define GREP_DEPTH_LIMIT 5000
/* KiB of backtracking frames (interpreter only); the depth limit usually
 * trips first, this one bounds patterns with many captures. */
#define GREP_HEAP_LIMIT 1024
#define GREP_PARENS_LIMIT 50
/* Bytes of compiled pattern.  A counted repeat of a group is compiled as
 * that many copies, and the interpreter may walk all of them between two
 * steps the match limit counts: "().*.*a(){1,1000}h" (15 KB) took 330 ms in
 * one call under (*NO_JIT) (found by fuzz_grep).  Patterns people type
 * compile to well under 1 KB; 2 KB keeps such a call near 15 ms. */
#define GREP_CODE_MAX 2048
/* The JIT's own stack replaces depth and heap limits for JIT code: running
 * out is PCRE2_ERROR_JIT_STACKLIMIT, "too costly" like the others.  The JIT
 * counts the match limit too rarely to stop a left recursion such as
 * ".*C(?R),|\w|(?R)", whose cost grows with the square of the stack it
 * fills: 512 KiB took 200-340 ms in one call (found by fuzz_grep), 128 KiB
 * takes ~25 ms, and still fits every pattern the interpreter's depth limit
 * fits over 2 KB of text ("(?:(\w)|(\s)|(\W))*$" included). */
#define GREP_JIT_STACK_MIN (32 * 1024)
#define GREP_JIT_STACK_MAX (128 * 1024)
/* Start positions tried per pcre2_match call (bytes of subject). */
#define GREP_WINDOW 16

#define GREP_COMPILE_OPTIONS                                            \
    (PCRE2_UTF | PCRE2_CASELESS | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C | \
     PCRE2_USE_OFFSET_LIMIT)

struct Grep {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack; /* NULL when not JIT-compiled */
    bool jit;
    bool started; /* the budget runs from the first match */
    bool spent;   /* a limit was hit: STATUS_ERROR from now on */
    uint64_t deadline_ms;
};

/* --- compiling ---------------------------------------------------------- */

static int grep_count_callout(pcre2_callout_enumerate_block *b, void *ud)
{
    (void)b;
    (*(int *)ud)++;
    return 0;
}

/* Whether the pattern uses \G (false positives, e.g. inside \Q...\E, only
 * refuse a pattern nobody needs). */
static bool grep_has_backslash_g(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\\')
            continue;
        if (p[i + 1] == 'G')
            return true;
        i++; /* the escaped character */
    }
    return false;
}

/* JIT-compiles g->code when the library can; any failure leaves the
 * interpreter in charge, which is correct, only slower. */
static void grep_try_jit(Grep *g)
{
    size_t jitsize = 0;

    if (pcre2_jit_compile(g->code, PCRE2_JIT_COMPLETE) != 0)
        return;
    /* (*NO_JIT) in the pattern: success, but no code. */
    if (pcre2_pattern_info(g->code, PCRE2_INFO_JITSIZE, &jitsize) != 0 ||
        jitsize == 0)
        return;
    g->jstack =
        pcre2_jit_stack_create(GREP_JIT_STACK_MIN, GREP_JIT_STACK_MAX, NULL);
    if (!g->jstack)
        return;
    pcre2_jit_stack_assign(g->mctx, NULL, g->jstack);
    g->jit = true;
}

Grep *grep_compile(const char *pattern, Error *err)
{
    return grep_compile_opts(pattern, 0, err);
}

Grep *grep_compile_opts(const char *pattern, unsigned flags, Error *err)
{
    pcre2_compile_context *cctx = NULL;
    Grep *g = NULL;
    size_t n, codesize = 0;
    int ecode, ncallouts = 0;
    PCRE2_SIZE eoff;

    n = pattern ? strnlen(pattern, GREP_PATTERN_MAX + 1) : 0;
    if (n == 0) {
        error_set(err, STATUS_INVALID, "give me a pattern");
        return NULL;
    }
    if (n > GREP_PATTERN_MAX) {
        error_set(err, STATUS_INVALID, "pattern too long (max %d bytes)",
                  GREP_PATTERN_MAX);
        return NULL;
    }
    if (grep_has_backslash_g(pattern, n)) {
        error_set(err, STATUS_INVALID, "\\G is not supported");
        return NULL;
    }

    if (!(g = calloc(1, sizeof *g)) ||
        !(cctx = pcre2_compile_context_create(NULL)))
        goto oom;
    if (pcre2_set_max_pattern_length(cctx, GREP_PATTERN_MAX) != 0 ||
        pcre2_set_parens_nest_limit(cctx, GREP_PARENS_LIMIT) != 0)
        goto oom;

    /* PCRE2 checks the pattern's UTF-8 itself (no PCRE2_NO_UTF_CHECK). */
    g->code = pcre2_compile((PCRE2_SPTR)pattern, n, GREP_COMPILE_OPTIONS,
                            &ecode, &eoff, cctx);
    pcre2_compile_context_free(cctx);
    cctx = NULL;
    if (!g->code) {
        PCRE2_UCHAR why[120];
        if (ecode == PCRE2_ERROR_NOMEMORY)
            goto oom;
        if (pcre2_get_error_message(ecode, why, sizeof why) < 0)
            snprintf((char *)why, sizeof why, "error %d", ecode);
        error_set(err, STATUS_INVALID, "bad pattern at offset %zu: %s",
                  (size_t)eoff, (const char *)why);
        grep_free(g);
        return NULL;
    }
    if (pcre2_callout_enumerate(g->code, grep_count_callout, &ncallouts) != 0 ||
        ncallouts > 0) {
        error_set(err, STATUS_INVALID, "callouts (?C...) are not allowed");
        grep_free(g);
        return NULL;
    }
    if (pcre2_pattern_info(g->code, PCRE2_INFO_SIZE, &codesize) != 0 ||
        codesize > GREP_CODE_MAX) {
        error_set(err, STATUS_INVALID,
                  "pattern too large once compiled "
                  "(fewer repeated groups, please)");
        grep_free(g);
        return NULL;
    }

    /* One pair is enough: only the whole match is reported (a match with
     * more captures than pairs still returns rc 0, a match). */
    if (!(g->md = pcre2_match_data_create(1, NULL)) ||
        !(g->mctx = pcre2_match_context_create(NULL)))
        goto oom;
    if (pcre2_set_match_limit(g->mctx, GREP_MATCH_LIMIT) != 0 ||
        pcre2_set_depth_limit(g->mctx, GREP_DEPTH_LIMIT) != 0 ||
        pcre2_set_heap_limit(g->mctx, GREP_HEAP_LIMIT) != 0)
        goto oom;
    if (!(flags & GREP_NO_JIT))
        grep_try_jit(g);
    return g;

oom:
    pcre2_compile_context_free(cctx);
    grep_free(g);
    error_set(err, STATUS_ERROR, "out of memory");
    return NULL;
}

void grep_free(Grep *g)
{
    if (!g)
        return;
    pcre2_jit_stack_free(g->jstack);
    pcre2_match_context_free(g->mctx);
    pcre2_match_data_free(g->md);
    pcre2_code_free(g->code);
    free(g);
}

bool grep_jit(const Grep *g)
{
    return g->jit;
}

/* --- matching ----------------------------------------------------------- */

/* The first character boundary at or after i (s is valid UTF-8). */
static size_t grep_next_char(const char *s, size_t len, size_t i)
{
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    return i;
}

/* Whether the budget allows one more pcre2_match call. */
static bool grep_budget_left(Grep *g)
{
    uint64_t now = clock_now_ms();

    if (!g->started) {
        g->started = true;
        g->deadline_ms = now + GREP_BUDGET_MS;
        return true;
    }
    return now < g->deadline_ms;
}

static Status grep_stop(Grep *g, Error *err)
{
    g->spent = true;
    return error_set(err, STATUS_ERROR, "pattern too costly");
}

Status grep_match(Grep *g, const char *subject, size_t len, size_t *start,
                  size_t *end, Error *err)
{
    return grep_match_from(g, subject, len, 0, start, end, err);
}

Status grep_match_from(Grep *g, const char *subject, size_t len, size_t from,
                       size_t *start, size_t *end, Error *err)
{
    /* The first call checks the whole subject's UTF-8; later windows of
     * the same subject start on character boundaries of checked text. */
    uint32_t options = 0;

    if (g->spent)
        return grep_stop(g, err);
    if (!subject) {
        subject = "";
        len = 0;
    }
    if (from > len)
        return STATUS_NOTFOUND;
    for (;;) {
        /* Start positions from..limit (inclusive); the last window
         * includes len itself, where an empty match may start. */
        size_t next = len - from > GREP_WINDOW
                          ? grep_next_char(subject, len, from + GREP_WINDOW)
                          : len + 1;
        size_t limit = next > len ? len : next - 1;
        int rc;

        if (!grep_budget_left(g))
            return grep_stop(g, err);
        pcre2_set_offset_limit(g->mctx, limit);
        rc = pcre2_match(g->code, (PCRE2_SPTR)subject, len, from, options,
                         g->md, g->mctx);
        if (rc >= 0) {
            const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(g->md);
            size_t s = ov[0], e = ov[1];
            /* \K can put the start after the end only inside lookarounds,
             * which PCRE2 forbids by default; clamp anyway. */
            if (e < s)
                e = s;
            if (start)
                *start = s;
            if (end)
                *end = e;
            return STATUS_OK;
        }
        if (rc >= PCRE2_ERROR_UTF8_ERR21 && rc <= PCRE2_ERROR_UTF8_ERR1)
            return STATUS_NOTFOUND; /* not text: nothing to find in it */
        if (rc != PCRE2_ERROR_NOMATCH)
            return grep_stop(g, err); /* limits, JIT stack, memory */
        if (next > len)
            return STATUS_NOTFOUND;
        from = next;
        options = PCRE2_NO_UTF_CHECK;
    }
}
