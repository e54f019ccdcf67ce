/* wordset.c - a set of distinct words (see wordset.h). */
#include "wordset.h"

#include <stdlib.h>
#include <string.h>

#define WORDSET_FIRST_CAP 1024

uint64_t wordset_hash(const char *w, size_t n)
{
    uint64_t h = WORDSET_FNV_BASIS;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * WORDSET_FNV_PRIME;
    return h;
}

static bool wordset_grow(WordSet *ws)
{
    size_t cap = ws->cap ? ws->cap * 2 : WORDSET_FIRST_CAP;
    char **slot = calloc(cap, sizeof *slot);
    uint64_t *hash = malloc(cap * sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return false;
    }
    for (size_t i = 0; i < ws->cap; i++) {
        if (!ws->slot[i])
            continue;
        size_t j = ws->hash[i] & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = ws->slot[i];
        hash[j] = ws->hash[i];
    }
    free(ws->slot);
    free(ws->hash);
    ws->slot = slot;
    ws->hash = hash;
    ws->cap = cap;
    return true;
}

int wordset_add(WordSet *ws, const char *w, size_t n, uint64_t h)
{
    if (2 * (ws->n + 1) > ws->cap && !wordset_grow(ws))
        return -1;
    size_t j = h & (ws->cap - 1);
    /* strncmp, not memcmp: a stored word shorter than n ends at its NUL. */
    for (; ws->slot[j]; j = (j + 1) & (ws->cap - 1))
        if (ws->hash[j] == h && strncmp(ws->slot[j], w, n) == 0 &&
            ws->slot[j][n] == '\0')
            return 0;
    if (!(ws->slot[j] = strndup(w, n)))
        return -1;
    ws->hash[j] = h;
    ws->n++;
    return 1;
}

bool wordset_has(const WordSet *ws, const char *w)
{
    if (ws->cap == 0)
        return false;
    size_t n = strlen(w);
    uint64_t h = wordset_hash(w, n);
    for (size_t j = h & (ws->cap - 1); ws->slot[j]; j = (j + 1) & (ws->cap - 1))
        if (ws->hash[j] == h && strcmp(ws->slot[j], w) == 0)
            return true;
    return false;
}

void wordset_free(WordSet *ws)
{
    for (size_t i = 0; i < ws->cap; i++) free(ws->slot[i]);
    free(ws->slot);
    free(ws->hash);
    memset(ws, 0, sizeof *ws);
}
