/* Partitioner interface: which server holds a key. A partitioner is pure and
 * deterministic: every actor computes the same answer with no communication. */
#ifndef PS_PARTITIONER_H
#define PS_PARTITIONER_H

#include <stdint.h>

/* Where a key lives: its server, and its index among that server's keys in key
 * order (so a store can keep the shard in an array of its own size). */
typedef struct ps_key_place {
    uint32_t server, slot;
} ps_key_place;

typedef struct ps_partition {
    uint64_t n_keys;    /* keys are 0 .. n_keys-1 */
    int n_servers;
    uint64_t chunk;     /* range: keys per contiguous chunk */
    /* Optional (ps_partition_place): every key's place, and each server's key count.
     * The partitioner's answer for every key, computed once: a load per key instead
     * of a hash, for the worker grouping its batch and the server checking a message. */
    ps_key_place *place;
    uint64_t *shard_keys;
    /* Nonzero: place was set by something other than the partitioner (the block
     * index puts each block on one server) and is the only answer: no shard is a
     * range any more. */
    int placed;
} ps_partition;

typedef struct ps_partitioner_ops {
    const char *name;
    const char *doc;
    int (*server_of)(const ps_partition *p, uint64_t key);
    /* Nonzero when server's keys are exactly [*lo, *hi) (stores then keep a dense
     * array and messages can carry key ranges); NULL or 0 otherwise. */
    int (*shard_range)(const ps_partition *p, int server, uint64_t *lo, uint64_t *hi);
    /* Optional: with a block index (engine/ps/indexer.c), the server of each of its
     * n_blocks blocks, home[b], given each block's expected cost (cost[b], seconds
     * of network and disk over the sampled batches) and its first key; NULL: each
     * block goes where server_of puts its first key. Cold keys stay server_of's. */
    void (*place_blocks)(const ps_partition *p, const double *cost, const uint64_t *first_key,
                         uint32_t n_blocks, uint32_t *home);
} ps_partitioner_ops;

static inline int ps_partition_server(const ps_partitioner_ops *ops, const ps_partition *p,
                                      uint64_t key)
{
    if (p->place && key < p->n_keys)
        return (int)p->place[key].server;
    return ops->server_of(p, key);
}

/* The partitioner's shard_range, unless the partition was placed otherwise. */
static inline int ps_partition_shard_range(const ps_partitioner_ops *ops, const ps_partition *p,
                                           int server, uint64_t *lo, uint64_t *hi)
{
    return !p->placed && ops->shard_range && ops->shard_range(p, server, lo, hi);
}

void ps_partition_init(ps_partition *p, uint64_t n_keys, int n_servers);

/* Fills p->place and p->shard_keys for a partitioner without shard ranges (a range
 * shard's place is key - lo already) when the table takes at most `budget` bytes;
 * otherwise, or if memory is short, leaves them NULL: they are only a cache. */
void ps_partition_place(ps_partition *p, const ps_partitioner_ops *ops, uint64_t budget);
void ps_partition_free(ps_partition *p);

#endif
