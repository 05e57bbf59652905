/* The one table of policies per kind (see registry.h): one line per kind lists its
 * policy files, and both the ops table and the names the config accepts are made
 * from it. */
#include "policies/registry.h"

#include <string.h>

#define CONSISTENCY_POLICIES(X) X(bsp) X(ssp) X(asp) X(wsp)
#define PARTITIONER_POLICIES(X) X(range) X(hash) X(drps)
#define SCHEDULER_POLICIES(X) X(sequential) X(greedy) X(priority) X(auto)
#define CACHE_POLICIES(X) X(lru) X(lfu)

#define DECLARE_CONSISTENCY(n) extern const ps_consistency_ops ps_consistency_##n;
#define DECLARE_PARTITIONER(n) extern const ps_partitioner_ops ps_partitioner_##n;
CONSISTENCY_POLICIES(DECLARE_CONSISTENCY)
PARTITIONER_POLICIES(DECLARE_PARTITIONER)
#define DECLARE_SCHEDULER(n) extern const ps_scheduler_ops ps_scheduler_##n;
SCHEDULER_POLICIES(DECLARE_SCHEDULER)
#define DECLARE_CACHE(n) extern const ps_cache_policy_ops ps_cache_##n;
CACHE_POLICIES(DECLARE_CACHE)

#define CONSISTENCY_OPS(n) &ps_consistency_##n,
#define PARTITIONER_OPS(n) &ps_partitioner_##n,
#define SCHEDULER_OPS(n) &ps_scheduler_##n,
#define CACHE_OPS(n) &ps_cache_##n,
#define NAME(n) #n,
static const ps_consistency_ops *const consistency_table[] = {CONSISTENCY_POLICIES(CONSISTENCY_OPS)};
static const ps_partitioner_ops *const partitioner_table[] = {PARTITIONER_POLICIES(PARTITIONER_OPS)};
const char *const ps_consistency_names[] = {CONSISTENCY_POLICIES(NAME) NULL};
const ps_consistency_ops *const ps_consistency_policies[] = {CONSISTENCY_POLICIES(CONSISTENCY_OPS) NULL};
const char *const ps_partitioner_names[] = {PARTITIONER_POLICIES(NAME) NULL};
static const ps_scheduler_ops *const scheduler_table[] = {SCHEDULER_POLICIES(SCHEDULER_OPS)};
const char *const ps_scheduler_names[] = {SCHEDULER_POLICIES(NAME) NULL};
const ps_scheduler_ops *const ps_scheduler_policies[] = {SCHEDULER_POLICIES(SCHEDULER_OPS) NULL};
static const ps_cache_policy_ops *const cache_table[] = {CACHE_POLICIES(CACHE_OPS)};
/* "off" first: the config's default, no cache */
const char *const ps_cache_names[] = {"off", CACHE_POLICIES(NAME) NULL};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const ps_consistency_ops *ps_consistency_by_name(const char *name)
{
    for (size_t i = 0; i < COUNT(consistency_table); i++)
        if (strcmp(consistency_table[i]->name, name) == 0)
            return consistency_table[i];
    return NULL;
}

const ps_partitioner_ops *ps_partitioner_by_name(const char *name)
{
    for (size_t i = 0; i < COUNT(partitioner_table); i++)
        if (strcmp(partitioner_table[i]->name, name) == 0)
            return partitioner_table[i];
    return NULL;
}

const ps_scheduler_ops *ps_scheduler_by_name(const char *name)
{
    for (size_t i = 0; i < COUNT(scheduler_table); i++)
        if (strcmp(scheduler_table[i]->name, name) == 0)
            return scheduler_table[i];
    return NULL;
}

const ps_cache_policy_ops *ps_cache_policy_by_name(const char *name)
{
    for (size_t i = 0; i < COUNT(cache_table); i++)
        if (strcmp(cache_table[i]->name, name) == 0)
            return cache_table[i];
    return NULL;
}
