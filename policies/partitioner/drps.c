/* DRPS's multi-objective partitioning: the blocks of the block index placed so as
 * to balance each server's expected cost, network plus disk. Repeatedly the
 * server with the least cost so far takes the unplaced block cheapest there
 * (DRPS's greedy, PServer.sendCommCost in its code). A block's cost on a server is
 * the time workers on other nodes spend moving it plus its disk reads; no pslab
 * node hosts both a server and a worker, so the network share is the same on
 * every server and the cheapest block is the cheapest overall: the blocks go in
 * ascending cost, each to the least-loaded server (ties: the one with fewer
 * blocks, then the lower number, so that blocks nobody sampled spread out). Cold
 * keys are spread by hash. */
#include <stdlib.h>

#include "engine/core/rng.h"
#include "policies/partitioner/partitioner.h"

static int drps_server_of(const ps_partition *p, uint64_t key)
{
    return (int)(ps_hash64(key) % (uint64_t)p->n_servers);
}

static const double *sort_cost; /* qsort's context: one sort at a time */

static int by_cost(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_cost[x] != sort_cost[y])
        return sort_cost[x] < sort_cost[y] ? -1 : 1;
    return (x > y) - (x < y);
}

typedef struct server_load {
    double cost;
    uint32_t blocks;
} server_load;

static int lighter(const server_load *l, int a, int b)
{
    if (l[a].cost != l[b].cost)
        return l[a].cost < l[b].cost;
    if (l[a].blocks != l[b].blocks)
        return l[a].blocks < l[b].blocks;
    return a < b;
}

static void drps_place_blocks(const ps_partition *p, const double *cost, const uint64_t *first_key,
                              uint32_t n_blocks, uint32_t *home)
{
    uint32_t *order = malloc((n_blocks ? n_blocks : 1) * sizeof *order);
    server_load *load = calloc((size_t)p->n_servers, sizeof *load);
    if (!order || !load) { /* no memory for the greedy: the first key's server */
        for (uint32_t b = 0; b < n_blocks; b++)
            home[b] = (uint32_t)drps_server_of(p, first_key[b]);
        free(order);
        free(load);
        return;
    }
    for (uint32_t b = 0; b < n_blocks; b++)
        order[b] = b;
    sort_cost = cost;
    qsort(order, n_blocks, sizeof *order, by_cost);
    for (uint32_t k = 0; k < n_blocks; k++) {
        int best = 0; /* a scan: servers are few next to blocks */
        for (int s = 1; s < p->n_servers; s++)
            if (lighter(load, s, best))
                best = s;
        home[order[k]] = (uint32_t)best;
        load[best].cost += cost[order[k]];
        load[best].blocks++;
    }
    free(order);
    free(load);
}

const ps_partitioner_ops ps_partitioner_drps = {
    .name = "drps",
    .doc = "DRPS's multi-objective partitioning: with a block index, the blocks in ascending "
           "expected cost (network plus disk over the sampled batches), each to the server with "
           "the least cost so far; cold keys by hash. Needs index.strategy",
    .server_of = drps_server_of,
    .place_blocks = drps_place_blocks,
};
