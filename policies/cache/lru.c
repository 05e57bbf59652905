/* LRU: the chunk read longest ago leaves first. */
#include "policies/cache/cache_policy.h"

static int lru_evict_before(const ps_cache_use *a, const ps_cache_use *b)
{
    return a->last < b->last;
}

const ps_cache_policy_ops ps_cache_lru = {
    .name = "lru",
    .doc = "least recently used: the chunk read longest ago leaves first",
    .evict_before = lru_evict_before,
};
