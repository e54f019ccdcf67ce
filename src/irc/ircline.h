/* ircline.h - composing and taking apart raw IRC lines, safely.
 *
 * Pure string functions (no I/O) shared by everything that talks IRC: how
 * much text fits in one PRIVMSG as the server will relay it, splitting long
 * text into such pieces at word and UTF-8 boundaries, building a command line
 * that can never smuggle a second command (CR/LF/NUL),
 * CTCP detection and mIRC formatting removal.
 */
#ifndef MISSIVE_IRCLINE_H
#define MISSIVE_IRCLINE_H

#include <stdbool.h>
#include <stddef.h>

#define IRCLINE_MAX 512         /* one line on the wire, CR LF included */
#define IRCLINE_BODY_MAX 510    /* the same without CR LF */
#define IRCLINE_WORST_USER 10   /* ident as relayed, "~" included */
#define IRCLINE_WORST_HOST 63   /* HOSTLEN of common servers */
#define IRCLINE_SPLIT_MIN 4     /* smallest budget: one 4-byte character */
#define IRCLINE_CTCP_CMD_MAX 32 /* buffer for a CTCP command name + NUL */

/* Bytes left for the text of one PRIVMSG when the server relays it to others
 * as ":nick!user@host PRIVMSG target :text\r\n" (512 bytes at most).  user or
 * host NULL (not yet known: before RPL_WELCOME / a USERHOST reply) means the
 * worst case, IRCLINE_WORST_USER / IRCLINE_WORST_HOST bytes.  A NOTICE has one
 * byte more; using this budget for it is safe.  Returns 0 when nothing fits. */
size_t ircline_privmsg_budget(const char *nick, const char *user,
                              const char *host, const char *target);

/* Receives one chunk: chunk[len] is '\0' for the duration of the call.
 * Returns 0 to go on, anything else to stop the split. */
typedef int (*ircline_chunk_fn)(const char *chunk, size_t len, void *ud);

/* Splits text[0..len) into chunks of at most budget bytes.  The text is first
 * normalised: CR, LF and NUL become spaces, runs of spaces collapse to one,
 * leading and trailing spaces go.  Cuts fall on spaces (the space is dropped),
 * so joining the chunks with single spaces gives back the normalised text;
 * only a word longer than budget is cut inside, at a character boundary
 * (bytes that are not valid UTF-8 count as one-byte characters).  No chunk is
 * empty.  budget must be >= IRCLINE_SPLIT_MIN.  Returns the number of chunks
 * delivered (0 for blank text), or -1 on a bad budget, allocation failure, or
 * when fn stopped the split. */
int ircline_split(const char *text, size_t len, size_t budget,
                  ircline_chunk_fn fn, void *ud);

/* Writes "COMMAND target :text" (no CR LF) to out.  Fails with -1 when
 * command or target is empty or holds a space, CR, LF or other control byte,
 * target starts with ':', text is empty or holds CR or LF, the line would pass
 * IRCLINE_BODY_MAX bytes, or out is too small (out is then "").  Returns
 * the length written. */
int ircline_build(char *out, size_t outsz, const char *command,
                  const char *target, const char *text);

/* True when name starts with a channel prefix: '#', '&', '+' or '!'. */
bool ircline_is_channel(const char *name);

/* Recognises a CTCP message "\x01CMD args\x01" (the final \x01 may be
 * missing, as some clients omit it).  On success cmd gets the command name
 * upper-cased (ASCII letters, digits, '-' and '_' only, shorter than
 * IRCLINE_CTCP_CMD_MAX), *args points into text after the single separating
 * space and *args_len excludes the closing \x01.  Returns false for anything
 * else (then cmd, args and args_len are untouched). */
bool ircline_ctcp_parse(const char *text, char cmd[IRCLINE_CTCP_CMD_MAX],
                        const char **args, size_t *args_len);

/* Removes mIRC formatting in place: colours \x03[N[N]][,N[N]], hex colours
 * \x04[RRGGBB[,RRGGBB]], bold \x02, italics \x1D, underline \x1F,
 * strike-through \x1E, monospace \x11, reverse \x16 and reset \x0F.  Returns
 * the new length. */
size_t ircline_strip_formatting(char *s);

#endif
