/* LFU: the chunk read the fewest times since it was cached leaves first; among
 * equals, the one read longest ago. */
#include "policies/cache/cache_policy.h"

static int lfu_evict_before(const ps_cache_use *a, const ps_cache_use *b)
{
    return a->uses != b->uses ? a->uses < b->uses : a->last < b->last;
}

const ps_cache_policy_ops ps_cache_lfu = {
    .name = "lfu",
    .doc = "least frequently used: the chunk read the fewest times since it was cached "
           "leaves first (ties: the least recently read)",
    .evict_before = lfu_evict_before,
};
