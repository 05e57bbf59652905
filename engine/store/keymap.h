/* An open-addressing hash map from u64 keys to u32 values (linear probing,
 * power-of-two capacity). Servers map keys to slots of their shard, workers map a
 * batch's keys to local indices; both sit on the hot path of every message. */
#ifndef PS_KEYMAP_H
#define PS_KEYMAP_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_keymap {
    uint64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    uint32_t cap, count;
} ps_keymap;

int ps_keymap_init(ps_keymap *m, uint32_t expected, ps_err *err);
void ps_keymap_free(ps_keymap *m);
void ps_keymap_clear(ps_keymap *m);
/* The value slot of key; *inserted = 1 when the key is new (the value is then
 * uninitialised and the caller sets it). NULL only when out of memory. */
uint32_t *ps_keymap_put(ps_keymap *m, uint64_t key, int *inserted);
const uint32_t *ps_keymap_get(const ps_keymap *m, uint64_t key);
/* Removes key; 1 if it was there. */
int ps_keymap_del(ps_keymap *m, uint64_t key);

#endif
