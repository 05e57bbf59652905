/* Growing arrays: one resize for every buffer the engine grows, checked for
 * overflow, that leaves the array as it was when memory runs out. */
#ifndef PS_MEM_H
#define PS_MEM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Resizes the array whose address is `pp` (a T **) to n elements of `size` bytes.
 * Returns 0, or -1 with *pp unchanged. */
static inline int ps_resize(void *pp, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return -1;
    void *old;
    memcpy(&old, pp, sizeof old);
    size_t bytes = n * size;
    void *q = realloc(old, bytes ? bytes : 1);
    if (!q)
        return -1;
    memcpy(pp, &q, sizeof q);
    return 0;
}

#endif
