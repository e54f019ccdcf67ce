/* mask.h - nick!user@host glob masks, as in bans and ignore lists.
 *
 * '*' matches any run of bytes (empty included), '?' exactly one byte; every
 * other character is literal ("a.b!*@*" does not match "axb!u@h").  Matching
 * folds case with RFC 1459 rules on both sides.  Each mask is compiled once
 * to an anchored PCRE2 pattern with match limits, so a hostile mask like
 * "*a*a*a*a*a*a*b!*@*" cannot stall the bot; a match that hits a limit counts
 * as no match.
 */
#ifndef MISSIVE_MASK_H
#define MISSIVE_MASK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define MASK_MAX 256         /* longest mask accepted, in bytes */
#define MASK_SUBJECT_MAX 512 /* longer nick!user@host never matches */

typedef struct Mask Mask;

/* Compiles glob, or returns NULL with the reason in err: STATUS_INVALID for a
 * mask that is empty, longer than MASK_MAX, holds a space or control byte, or
 * lacks a '!' followed later by an '@'; STATUS_ERROR when out of memory. */
Mask *mask_compile(const char *glob, Error *err);
void mask_free(Mask *m);
/* The glob as given. */
const char *mask_text(const Mask *m);
/* Does "nick!user@host" match?  Not reentrant: each mask owns its match
 * data (the daemon is single-threaded). */
bool mask_match(Mask *m, const char *nuh);

/* A list holds masks and, for owners, services accounts written
 * "account:NAME" (matched without case, RFC 1459 folding, against the
 * account a message was tagged with: see IrcHandlers.message). */
#define MASK_ACCOUNT_PREFIX "account:"

typedef struct MaskList MaskList;

/* Is glob an "account:NAME" entry?  STATUS_OK when NAME is usable (1 to
 * MASK_MAX bytes, no space, control byte or '*'), else STATUS_INVALID
 * with the reason. */
bool mask_is_account(const char *glob);
Status mask_account_check(const char *glob, Error *err);

MaskList *mask_list_new(void);
void mask_list_free(MaskList *l);
/* Compiles and appends glob (or an account:NAME): STATUS_OK, or the status
 * and reason of mask_compile or mask_account_check (STATUS_ERROR when out
 * of memory); l is then unchanged. */
Status mask_list_add(MaskList *l, const char *glob, Error *err);
size_t mask_list_count(const MaskList *l);
/* True when any mask of the list matches nuh (accounts are not asked). */
bool mask_list_match(MaskList *l, const char *nuh);
/* True when a mask matches nuh or an account entry names account (NULL:
 * the message carried none). */
bool mask_list_match_account(MaskList *l, const char *nuh,
                             const char *account);

#endif
