/* Key sets of a batch; see keyset.h. */
#include "engine/models/keyset.h"

#include <stdlib.h>
#include <string.h>

static int reserve(ps_keyset *s, uint32_t n, ps_err *err)
{
    if (n > s->cap) {
        uint64_t *k = realloc(s->keys, (size_t)n * sizeof *k);
        if (!k)
            return ps_err_set(err, "out of memory for %u keys", n);
        s->keys = k;
        s->cap = n;
    }
    if (n > s->cap_scratch) {
        uint64_t *k = realloc(s->scratch, (size_t)n * sizeof *k);
        if (!k)
            return ps_err_set(err, "out of memory for %u keys", n);
        s->scratch = k;
        s->cap_scratch = n;
    }
    return PS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int ps_keyset_build(ps_keyset *s, uint32_t *ref, uint32_t n, ps_err *err)
{
    if (reserve(s, n ? n : 1, err))
        return PS_ERR;
    for (uint32_t i = 0; i < n; i++)
        s->scratch[i] = (uint64_t)ref[i] << 32 | i;
    qsort(s->scratch, n, sizeof *s->scratch, cmp_u64);
    s->n = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t key = s->scratch[i] >> 32;
        if (s->n == 0 || s->keys[s->n - 1] != key)
            s->keys[s->n++] = key;
        ref[(uint32_t)s->scratch[i]] = s->n - 1;
    }
    return PS_OK;
}

int ps_keyset_range(ps_keyset *s, uint32_t n, ps_err *err)
{
    if (reserve(s, n ? n : 1, err))
        return PS_ERR;
    for (uint32_t i = 0; i < n; i++)
        s->keys[i] = i;
    s->n = n;
    return PS_OK;
}

int ps_keyset_group(ps_keyset *s, const uint32_t *group_of, int n_groups, uint32_t *start,
                    uint32_t *count, uint32_t *place, ps_err *err)
{
    (void)err;
    memset(count, 0, (size_t)n_groups * sizeof *count);
    for (uint32_t k = 0; k < s->n; k++)
        count[group_of[k]]++;
    for (uint32_t g = 0, at = 0; g < (uint32_t)n_groups; g++) {
        start[g] = at;
        at += count[g];
    }
    for (uint32_t k = 0; k < s->n; k++)
        place[k] = start[group_of[k]]++;
    for (int g = 0; g < n_groups; g++)
        start[g] -= count[g];
    memcpy(s->scratch, s->keys, s->n * sizeof *s->keys);
    for (uint32_t k = 0; k < s->n; k++)
        s->keys[place[k]] = s->scratch[k];
    return PS_OK;
}

void ps_keyset_free(ps_keyset *s)
{
    free(s->keys);
    free(s->scratch);
    memset(s, 0, sizeof *s);
}
