/* Linear-probing hash map; see keymap.h. Grows at 70% load so probes stay short. */
#include "engine/store/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"

static int keymap_alloc(ps_keymap *m, uint32_t cap)
{
    m->keys = malloc((size_t)cap * sizeof *m->keys);
    m->vals = malloc((size_t)cap * sizeof *m->vals);
    m->used = calloc(cap, 1);
    m->cap = cap;
    m->count = 0;
    if (m->keys && m->vals && m->used)
        return PS_OK;
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
    return PS_ERR;
}

int ps_keymap_init(ps_keymap *m, uint32_t expected, ps_err *err)
{
    uint32_t cap = 16;
    while (cap < 0x80000000u && (uint64_t)cap * 7 / 10 <= expected)
        cap *= 2;
    if (keymap_alloc(m, cap))
        return ps_err_set(err, "out of memory for a map of %u keys", expected);
    return PS_OK;
}

void ps_keymap_free(ps_keymap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

void ps_keymap_clear(ps_keymap *m)
{
    memset(m->used, 0, m->cap);
    m->count = 0;
}

static uint32_t keymap_find(const ps_keymap *m, uint64_t key)
{
    uint32_t mask = m->cap - 1, i = (uint32_t)ps_hash64(key) & mask;
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static int keymap_grow(ps_keymap *m)
{
    ps_keymap bigger;
    if (m->cap >= 0x80000000u || keymap_alloc(&bigger, m->cap * 2))
        return PS_ERR;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->used[i])
            continue;
        uint32_t j = keymap_find(&bigger, m->keys[i]);
        bigger.used[j] = 1;
        bigger.keys[j] = m->keys[i];
        bigger.vals[j] = m->vals[i];
    }
    bigger.count = m->count;
    ps_keymap_free(m);
    *m = bigger;
    return PS_OK;
}

uint32_t *ps_keymap_put(ps_keymap *m, uint64_t key, int *inserted)
{
    uint32_t i = keymap_find(m, key);
    if (m->used[i]) {
        *inserted = 0;
        return &m->vals[i];
    }
    if ((uint64_t)(m->count + 1) * 10 > (uint64_t)m->cap * 7) {
        if (keymap_grow(m))
            return NULL;
        i = keymap_find(m, key);
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->count++;
    *inserted = 1;
    return &m->vals[i];
}

const uint32_t *ps_keymap_get(const ps_keymap *m, uint64_t key)
{
    uint32_t i = keymap_find(m, key);
    return m->used[i] ? &m->vals[i] : NULL;
}

/* Backward-shift deletion: the entries after the hole that probed past it move
 * back, so lookups never need tombstones. */
int ps_keymap_del(ps_keymap *m, uint64_t key)
{
    uint32_t mask = m->cap - 1, hole = keymap_find(m, key);
    if (!m->used[hole])
        return 0;
    for (uint32_t j = (hole + 1) & mask; m->used[j]; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)ps_hash64(m->keys[j]) & mask;
        /* j may move to the hole unless its home lies cyclically in (hole, j] */
        int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        m->keys[hole] = m->keys[j];
        m->vals[hole] = m->vals[j];
        hole = j;
    }
    m->used[hole] = 0;
    m->count--;
    return 1;
}
