/* Range partitioning: the key space is cut into n_servers contiguous chunks, so a
 * server holds a run of consecutive keys (FlexPS's default; with power-law data the
 * popular low keys all land on the first server, which is worth seeing). */
#include "policies/partitioner/partitioner.h"

static int range_server_of(const ps_partition *p, uint64_t key)
{
    uint64_t s = key / p->chunk;
    return s >= (uint64_t)p->n_servers ? p->n_servers - 1 : (int)s;
}

static int range_shard_range(const ps_partition *p, int server, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = (uint64_t)server * p->chunk, b = a + p->chunk;
    if (server == p->n_servers - 1 || b > p->n_keys)
        b = p->n_keys; /* the last server takes the remainder, as in server_of */
    *lo = a < p->n_keys ? a : p->n_keys;
    *hi = b;
    return 1;
}

const ps_partitioner_ops ps_partitioner_range = {
    .name = "range",
    .doc = "contiguous key ranges of equal size, one per server",
    .server_of = range_server_of,
    .shard_range = range_shard_range,
};
