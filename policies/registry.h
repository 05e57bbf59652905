/* The policy registry: one table per policy kind, name -> ops (SQLite's aVfs[]).
 * A policy is one .c file exporting one ops struct; adding one is adding a file
 * and a row in policies/registry.c. Configs choose policies by these names. */
#ifndef PS_POLICY_REGISTRY_H
#define PS_POLICY_REGISTRY_H

#include "policies/cache/cache_policy.h"
#include "policies/consistency/consistency.h"
#include "policies/partitioner/partitioner.h"
#include "policies/scheduler/scheduler.h"

/* NULL-terminated lists of names, for config validation and help text. */
extern const char *const ps_consistency_names[];
extern const char *const ps_partitioner_names[];
extern const char *const ps_scheduler_names[];
/* The worker-side cache: "off", then the eviction policies. */
extern const char *const ps_cache_names[];
/* Every consistency model, NULL-terminated (the config registers their keys). */
extern const ps_consistency_ops *const ps_consistency_policies[];
/* Every scheduler, NULL-terminated (the config registers their keys). */
extern const ps_scheduler_ops *const ps_scheduler_policies[];

const ps_consistency_ops *ps_consistency_by_name(const char *name);
const ps_partitioner_ops *ps_partitioner_by_name(const char *name);
const ps_scheduler_ops *ps_scheduler_by_name(const char *name);
/* NULL for "off" or an unknown name. */
const ps_cache_policy_ops *ps_cache_policy_by_name(const char *name);

#endif
