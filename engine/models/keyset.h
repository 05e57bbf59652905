/* A batch's set of keys of one table, as the models other than the linear ones
 * keep it: distinct keys in ascending order, built from the keys their rows
 * reference, and regrouped by server for the worker (see batch_group in model.h). */
#ifndef PS_KEYSET_H
#define PS_KEYSET_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_keyset {
    uint64_t *keys;      /* n distinct keys */
    uint32_t n, cap;
    uint64_t *scratch;   /* (key << 32 | position) pairs while building; places */
    uint32_t cap_scratch;
} ps_keyset;

/* Sets the keys to the distinct values of ref[0..n) (each below 2^32), ascending,
 * and rewrites ref[i] as the position of its key. */
int ps_keyset_build(ps_keyset *s, uint32_t *ref, uint32_t n, ps_err *err);
/* The keys 0 .. n-1, in order. */
int ps_keyset_range(ps_keyset *s, uint32_t n, ps_err *err);
/* Reorders the keys by group (as model.h's batch_group) and fills place[k], the new
 * position of the key that was at k (place has room for n). */
int ps_keyset_group(ps_keyset *s, const uint32_t *group_of, int n_groups, uint32_t *start,
                    uint32_t *count, uint32_t *place, ps_err *err);
void ps_keyset_free(ps_keyset *s);

#endif
