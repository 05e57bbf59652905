/* The one table of policies per kind (see registry.h). */
#include "policies/registry.h"

#include <string.h>

extern const ps_consistency_ops ps_consistency_bsp;
extern const ps_consistency_ops ps_consistency_ssp;
extern const ps_consistency_ops ps_consistency_asp;
extern const ps_consistency_ops ps_consistency_wsp;
extern const ps_partitioner_ops ps_partitioner_range;
extern const ps_partitioner_ops ps_partitioner_hash;

static const ps_consistency_ops *const consistency_table[] = {
    &ps_consistency_bsp, &ps_consistency_ssp, &ps_consistency_asp, &ps_consistency_wsp};
static const ps_partitioner_ops *const partitioner_table[] = {&ps_partitioner_range,
                                                              &ps_partitioner_hash};

const char *const ps_consistency_names[] = {"bsp", "ssp", "asp", "wsp", NULL};
const char *const ps_partitioner_names[] = {"range", "hash", NULL};

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
