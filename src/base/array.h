/* array.h - growing a heap array by doubling, the one way Missive does it.
 *
 *     if (array_grow(&ps->paras, &ps->cap, ps->n + 1, sizeof *ps->paras) !=
 *         STATUS_OK)
 *         goto fail;
 *
 * `arrp` is the address of the array pointer (any T **, passed as void *).
 * The pointer is read and written with memcpy, not through a void **, which
 * C does not allow for a T *; POSIX gives all object pointers one
 * representation, which is what makes the copy exact.  On failure (overflow
 * or out of memory) returns STATUS_ERROR and leaves the array and *cap as
 * they were.
 */
#ifndef MISSIVE_ARRAY_H
#define MISSIVE_ARRAY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static inline Status array_grow(void *arrp, size_t *cap, size_t need,
                                size_t elem)
{
    if (need <= *cap)
        return STATUS_OK;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return STATUS_ERROR;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem)
        return STATUS_ERROR;
    void *arr;
    memcpy(&arr, arrp, sizeof arr);
    void *p = realloc(arr, ncap * elem);
    if (!p)
        return STATUS_ERROR;
    memcpy(arrp, &p, sizeof p);
    *cap = ncap;
    return STATUS_OK;
}

#endif
