/* Partitioner interface: which server holds a key. A partitioner is pure and
 * deterministic: every actor computes the same answer with no communication. */
#ifndef PS_PARTITIONER_H
#define PS_PARTITIONER_H

#include <stdint.h>

typedef struct ps_partition {
    uint64_t n_keys;    /* keys are 0 .. n_keys-1 */
    int n_servers;
    uint64_t chunk;     /* range: keys per contiguous chunk */
} ps_partition;

typedef struct ps_partitioner_ops {
    const char *name;
    const char *doc;
    int (*server_of)(const ps_partition *p, uint64_t key);
    /* Nonzero when server's keys are exactly [*lo, *hi) (stores then keep a dense
     * array and messages can carry key ranges); NULL or 0 otherwise. */
    int (*shard_range)(const ps_partition *p, int server, uint64_t *lo, uint64_t *hi);
} ps_partitioner_ops;

static inline int ps_partition_server(const ps_partitioner_ops *ops, const ps_partition *p,
                                      uint64_t key)
{
    return ops->server_of(p, key);
}

void ps_partition_init(ps_partition *p, uint64_t n_keys, int n_servers);

#endif
