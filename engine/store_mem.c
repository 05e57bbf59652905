/* In-memory shard store; see store_mem.h. */
#include "engine/store_mem.h"

#include <stdlib.h>

int ps_store_mem_init(ps_store_mem *t, uint32_t expected, ps_err *err)
{
    t->n = 0;
    t->cap = expected ? expected : 16;
    t->keys = malloc(t->cap * sizeof *t->keys);
    t->vals = malloc(t->cap * sizeof *t->vals);
    if (!t->keys || !t->vals || ps_keymap_init(&t->map, t->cap, err)) {
        free(t->keys);
        free(t->vals);
        return ps_err_set(err, "out of memory for a store of %u keys", t->cap);
    }
    return PS_OK;
}

void ps_store_mem_free(ps_store_mem *t)
{
    ps_keymap_free(&t->map);
    free(t->keys);
    free(t->vals);
}

static int store_grow(ps_store_mem *t)
{
    uint32_t cap = t->cap * 2;
    uint64_t *k = realloc(t->keys, cap * sizeof *k);
    if (!k)
        return PS_ERR;
    t->keys = k;
    float *v = realloc(t->vals, cap * sizeof *v);
    if (!v)
        return PS_ERR;
    t->vals = v;
    t->cap = cap;
    return PS_OK;
}

float *ps_store_mem_slot(ps_store_mem *t, uint64_t key)
{
    int inserted = 0;
    uint32_t *slot = ps_keymap_put(&t->map, key, &inserted);
    if (!slot)
        return NULL;
    if (inserted) {
        if (t->n == t->cap && store_grow(t))
            return NULL;
        *slot = t->n;
        t->keys[t->n] = key;
        t->vals[t->n] = 0.0f;
        t->n++;
    }
    return &t->vals[*slot];
}
