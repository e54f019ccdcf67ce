/* fuzz_ircline.c - the raw IRC line helpers against their contracts.
 *
 * One input exercises all four: the first byte picks a split budget
 * (IRCLINE_SPLIT_MIN..IRCLINE_BODY_MAX) and the rest is the text.  For
 * ircline_build the text is cut at its first two 0xFF bytes into command,
 * target and message; the expected verdict is computed here from ircline.h
 * and compared.  Chunks must be non-empty, within the budget, free of CR,
 * LF and NUL, valid UTF-8 when the input was, and add up to the normalised
 * text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ircline.h"
#include "utf8.h"

typedef struct {
    const char *norm; /* the normalised text, as ircline.h defines it */
    size_t normlen, pos;
    size_t budget;
    bool valid; /* the input was valid UTF-8 */
    int chunks;
} SplitCheck;

/* CR, LF and NUL to spaces, runs of spaces to one, no leading or trailing
 * space: the reference for what the chunks must add up to. */
static size_t normalise(const char *s, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\r' || c == '\n' || c == '\0')
            c = ' ';
        if (c == ' ' && (w == 0 || out[w - 1] == ' '))
            continue;
        out[w++] = c;
    }
    if (w > 0 && out[w - 1] == ' ')
        w--;
    return w;
}

static int on_chunk(const char *chunk, size_t len, void *ud)
{
    SplitCheck *sc = ud;
    if (len == 0 || len > sc->budget || chunk[len] != '\0')
        abort();
    if (memchr(chunk, '\r', len) || memchr(chunk, '\n', len) ||
        strlen(chunk) != len)
        abort();
    if (chunk[0] == ' ' || chunk[len - 1] == ' ')
        abort();
    if (sc->valid && !utf8_valid(chunk, len, NULL))
        abort();
    if (sc->pos + len > sc->normlen ||
        memcmp(sc->norm + sc->pos, chunk, len) != 0)
        abort();
    sc->pos += len;
    if (sc->pos < sc->normlen && sc->norm[sc->pos] == ' ')
        sc->pos++;
    sc->chunks++;
    return 0;
}

static void check_split(const char *text, size_t len, size_t budget)
{
    char *norm = malloc(len + 1);
    if (norm == NULL)
        return;
    SplitCheck sc = {norm,   normalise(text, len, norm),  0,
                     budget, utf8_valid(text, len, NULL), 0};
    int n = ircline_split(text, len, budget, on_chunk, &sc);
    if (n != sc.chunks || sc.pos != sc.normlen)
        abort();
    if ((n == 0) != (sc.normlen == 0))
        abort();
    free(norm);
    if (ircline_split(text, len, IRCLINE_SPLIT_MIN - 1, on_chunk, &sc) != -1)
        abort();
}

static bool word_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

static void check_build(char *s, size_t outsz)
{
    char *command = s, *target = "", *text = "", *p;
    char out[IRCLINE_MAX];
    if ((p = strchr(command, '\xff')) != NULL) {
        *p = '\0';
        target = p + 1;
        if ((p = strchr(target, '\xff')) != NULL) {
            *p = '\0';
            text = p + 1;
        }
    }
    size_t want = strlen(command) + 1 + strlen(target) + 2 + strlen(text);
    bool ok = word_ok(command) && word_ok(target) && target[0] != ':' &&
              text[0] != '\0' && !strpbrk(text, "\r\n") &&
              want <= IRCLINE_BODY_MAX && want < outsz;
    memset(out, 'x', sizeof out);
    int n = ircline_build(out, outsz, command, target, text);
    if (ok != (n >= 0))
        abort();
    if (n < 0) {
        if (outsz > 0 && out[0] != '\0')
            abort();
        return;
    }
    if ((size_t)n != want || strlen(out) != want || strpbrk(out, "\r\n"))
        abort();
    if (strncmp(out, command, strlen(command)) != 0)
        abort();
}

static void check_ctcp(const char *text)
{
    char cmd[IRCLINE_CTCP_CMD_MAX];
    const char *args = (const char *)1;
    size_t args_len = 12345;
    memset(cmd, 'z', sizeof cmd);
    if (!ircline_ctcp_parse(text, cmd, &args, &args_len)) {
        if (args != (const char *)1 || args_len != 12345 || cmd[0] != 'z')
            abort();
        return;
    }
    size_t n = strnlen(cmd, sizeof cmd), len = strlen(text);
    if (text[0] != '\x01' || n == 0 || n >= IRCLINE_CTCP_CMD_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!((cmd[i] >= 'A' && cmd[i] <= 'Z') ||
              (cmd[i] >= '0' && cmd[i] <= '9') || cmd[i] == '-' ||
              cmd[i] == '_'))
            abort();
    if (args < text + 1 + n || args + args_len > text + len)
        abort();
    if (args[args_len] != '\x01' && args[args_len] != '\0')
        abort();
    if (memchr(args, '\x01', args_len))
        abort();
}

static void check_strip(const char *text, size_t len)
{
    static const char codes[] = "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f";
    char *s = malloc(len + 1);
    if (s == NULL)
        return;
    memcpy(s, text, len + 1);
    bool valid = utf8_valid(s, len, NULL);
    size_t n = ircline_strip_formatting(s);
    if (n > len || strlen(s) != n || strpbrk(s, codes))
        abort();
    if (valid && !utf8_valid(s, n, NULL))
        abort();
    if (ircline_strip_formatting(s) != n) /* nothing left to strip */
        abort();
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t budget = IRCLINE_SPLIT_MIN +
                    data[0] * (IRCLINE_BODY_MAX - IRCLINE_SPLIT_MIN) / 255;
    const char *raw = (const char *)data + 1;
    size_t len = size - 1;

    check_split(raw, len, budget);

    char *s = malloc(len + 1); /* the string functions see up to a NUL */
    if (s == NULL)
        return 0;
    memcpy(s, raw, len);
    s[len] = '\0';
    size_t slen = strlen(s);
    check_ctcp(s);
    check_strip(s, slen);
    check_build(s, budget); /* also a small out buffer at times */
    free(s);
    return 0;
}
