/* A partition of a table's keys among servers: its parameters, and the optional
 * table of every key's place (server and index within the server's shard). */
#include <stdlib.h>

#include "policies/partitioner/partitioner.h"

void ps_partition_init(ps_partition *p, uint64_t n_keys, int n_servers)
{
    *p = (ps_partition){.n_keys = n_keys, .n_servers = n_servers};
    p->chunk = (n_keys + (uint64_t)n_servers - 1) / (uint64_t)n_servers;
    if (p->chunk == 0)
        p->chunk = 1;
}

void ps_partition_place(ps_partition *p, const ps_partitioner_ops *ops, uint64_t budget)
{
    if (p->place || ops->shard_range || p->n_servers < 1 || p->n_keys == 0 ||
        p->n_keys > budget / sizeof *p->place || p->n_keys > UINT32_MAX)
        return;
    ps_key_place *place = malloc(p->n_keys * sizeof *place);
    uint64_t *count = calloc((size_t)p->n_servers, sizeof *count);
    if (!place || !count) {
        free(place);
        free(count);
        return;
    }
    for (uint64_t k = 0; k < p->n_keys; k++) {
        int s = ops->server_of(p, k);
        if (s < 0 || s >= p->n_servers)
            abort(); /* a partitioner answering outside 0..n_servers-1 is broken */
        place[k] = (ps_key_place){(uint32_t)s, (uint32_t)count[s]++};
    }
    p->place = place;
    p->shard_keys = count;
}

void ps_partition_free(ps_partition *p)
{
    free(p->place);
    free(p->shard_keys);
    p->place = NULL;
    p->shard_keys = NULL;
    p->placed = 0;
}
