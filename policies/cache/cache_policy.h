/* Eviction policies of the worker-side parameter cache (engine/ps/cache.c): which
 * unpinned chunk leaves first when a node's cache is full. A policy only orders
 * chunks by their use; the cache keeps them in a heap by that order. */
#ifndef PS_CACHE_POLICY_H
#define PS_CACHE_POLICY_H

#include <stdint.h>

/* How a cached chunk has been used: when last (the cache's tick) and how often. */
typedef struct ps_cache_use {
    uint64_t last, uses;
} ps_cache_use;

typedef struct ps_cache_policy_ops {
    const char *name;
    const char *doc;
    /* Nonzero when a chunk used as `a` says should be evicted before one used as `b`;
     * a strict order (ties broken by `last`, which is unique per chunk). */
    int (*evict_before)(const ps_cache_use *a, const ps_cache_use *b);
} ps_cache_policy_ops;

#endif
