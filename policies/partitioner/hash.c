/* Hash partitioning: a key goes to server hash(key) mod n, which spreads popular
 * keys evenly at the cost of locality. */
#include "engine/core/rng.h"
#include "policies/partitioner/partitioner.h"

static int hash_server_of(const ps_partition *p, uint64_t key)
{
    return (int)(ps_hash64(key) % (uint64_t)p->n_servers);
}

const ps_partitioner_ops ps_partitioner_hash = {
    .name = "hash",
    .doc = "keys spread by a 64-bit hash modulo the number of servers",
    .server_of = hash_server_of,
};
