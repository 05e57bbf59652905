/* The in-memory store of a server's shard: a key -> slot map over parallel key and
 * value arrays. Keys appear when first touched (pulled or pushed) with the model's
 * initial value, so a server holds only the part of its range that is used, and a
 * snapshot is two memcpy()s. */
#ifndef PS_STORE_MEM_H
#define PS_STORE_MEM_H

#include <stdint.h>

#include "engine/err.h"
#include "engine/keymap.h"

typedef struct ps_store_mem {
    ps_keymap map;
    uint64_t *keys;
    float *vals;
    uint32_t n, cap;
} ps_store_mem;

int ps_store_mem_init(ps_store_mem *t, uint32_t expected, ps_err *err);
void ps_store_mem_free(ps_store_mem *t);
/* The value of key, created with the initial value 0 if new; NULL only when out
 * of memory. */
float *ps_store_mem_slot(ps_store_mem *t, uint64_t key);

#endif
