/* ircline.c - composing and taking apart raw IRC lines, safely (see ircline.h).
 *
 * Everything here is defensive by construction: a chunk or a built line can
 * never hold CR, LF or NUL, whatever the caller passed, because a stray line
 * break is a second IRC command sent with our identity.
 */
#include "ircline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- budget ------------------------------------------------------------- */

size_t ircline_privmsg_budget(const char *nick, const char *user,
                              const char *host, const char *target)
{
    size_t used = 2; /* CR LF */

    used += 1 + strlen(nick);                               /* ":nick" */
    used += 1 + (user ? strlen(user) : IRCLINE_WORST_USER); /* "!user" */
    used += 1 + (host ? strlen(host) : IRCLINE_WORST_HOST); /* "@host" */
    used += strlen(" PRIVMSG ") + strlen(target) + strlen(" :");
    return used < IRCLINE_MAX ? IRCLINE_MAX - used : 0;
}

/* --- split -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..len), or 1 when the bytes
 * there are not one (the split then treats each bad byte on its own). */
static size_t ircline_char_len(const unsigned char *s, size_t len)
{
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 1;
    if (s[0] == 0xE0)
        lo = 0xA0; /* overlong */
    if (s[0] == 0xED)
        hi = 0x9F; /* surrogates */
    if (s[0] == 0xF0)
        lo = 0x90; /* overlong */
    if (s[0] == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (len < n || s[1] < lo || s[1] > hi)
        return 1;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 1;
    return n;
}

/* The normalisation described in ircline.h, in place; returns the length. */
static size_t split_normalise(char *s, size_t len)
{
    size_t w = 0;

    for (size_t r = 0; r < len; r++) {
        char c = s[r];
        if (c == '\r' || c == '\n' || c == '\0')
            c = ' ';
        if (c == ' ' && (w == 0 || s[w - 1] == ' '))
            continue;
        s[w++] = c;
    }
    if (w > 0 && s[w - 1] == ' ')
        w--;
    s[w] = '\0';
    return w;
}

/* Where to end the chunk starting at s (n > budget bytes remain): after the
 * last word that fits, else at the last character boundary that fits. */
static size_t split_cut(const char *s, size_t n, size_t budget)
{
    size_t cut = 0;

    if (s[budget] == ' ')
        return budget;
    for (size_t i = budget; i > 0; i--)
        if (s[i - 1] == ' ')
            return i - 1;
    for (;;) {
        size_t step = ircline_char_len((const unsigned char *)s + cut, n - cut);
        if (cut + step > budget)
            return cut;
        cut += step;
    }
}

int ircline_split(const char *text, size_t len, size_t budget,
                  ircline_chunk_fn fn, void *ud)
{
    char *buf;
    size_t n, pos = 0;
    int count = 0;

    if (budget < IRCLINE_SPLIT_MIN)
        return -1;
    buf = malloc(len + 1);
    if (!buf)
        return -1;
    memcpy(buf, text, len);
    n = split_normalise(buf, len);

    while (pos < n) {
        size_t take =
            n - pos <= budget ? n - pos : split_cut(buf + pos, n - pos, budget);
        char saved = buf[pos + take];
        int stop;

        buf[pos + take] = '\0';
        stop = fn(buf + pos, take, ud);
        buf[pos + take] = saved;
        if (stop)
            goto fail;
        count++;
        pos += take;
        if (pos < n && buf[pos] == ' ')
            pos++;
    }
    free(buf);
    return count;

fail:
    free(buf);
    return -1;
}

/* --- build -------------------------------------------------------------- */

static bool build_word_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7F)
            return false;
    return true;
}

int ircline_build(char *out, size_t outsz, const char *command,
                  const char *target, const char *text)
{
    int n;

    if (!build_word_ok(command) || !build_word_ok(target) || target[0] == ':')
        goto fail;
    if (text[0] == '\0' || strpbrk(text, "\r\n"))
        goto fail;
    n = snprintf(out, outsz, "%s %s :%s", command, target, text);
    if (n < 0 || (size_t)n >= outsz || n > IRCLINE_BODY_MAX)
        goto fail;
    return n;

fail:
    if (outsz > 0)
        out[0] = '\0';
    return -1;
}

/* --- names -------------------------------------------------------------- */

bool ircline_is_channel(const char *name)
{
    return name[0] != '\0' && strchr("#&+!", name[0]) != NULL;
}

/* --- CTCP and formatting ------------------------------------------------ */

bool ircline_ctcp_parse(const char *text, char cmd[IRCLINE_CTCP_CMD_MAX],
                        const char **args, size_t *args_len)
{
    const char *p = text + 1, *end;
    size_t n = 0;

    if (text[0] != '\x01')
        return false;
    end = strchr(p, '\x01');
    if (!end)
        end = p + strlen(p);
    while (p + n < end && p[n] != ' ') {
        char c = p[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok || n + 1 >= IRCLINE_CTCP_CMD_MAX)
            return false;
        n++;
    }
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        cmd[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 32) : p[i];
    cmd[n] = '\0';
    p += n;
    if (p < end)
        p++; /* the space */
    *args = p;
    *args_len = (size_t)(end - p);
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of up to max characters of class ok at s. */
static size_t span(const char *s, bool (*ok)(char), size_t max)
{
    size_t n = 0;
    while (n < max && ok(s[n])) n++;
    return n;
}

/* Bytes of colour arguments after \x03 (digits, max 2) or \x04 (hex, 6). */
static size_t colour_args(const char *s, bool (*ok)(char), size_t max)
{
    size_t fg = span(s, ok, max), bg;

    if (fg == 0 || (max == 6 && fg != 6))
        return 0;
    if (s[fg] != ',')
        return fg;
    bg = span(s + fg + 1, ok, max);
    if (bg == 0 || (max == 6 && bg != 6))
        return fg; /* keep the comma */
    return fg + 1 + bg;
}

size_t ircline_strip_formatting(char *s)
{
    size_t w = 0;

    for (size_t r = 0; s[r]; r++) {
        switch (s[r]) {
        case '\x03':
            r += colour_args(s + r + 1, is_digit, 2);
            break;
        case '\x04':
            r += colour_args(s + r + 1, is_hex, 6);
            break;
        case '\x02':
        case '\x0F':
        case '\x11':
        case '\x16':
        case '\x1D':
        case '\x1E':
        case '\x1F':
            break;
        default:
            s[w++] = s[r];
        }
    }
    s[w] = '\0';
    return w;
}
