/* The index build's shared parts: its state in the run, the message steps, the
 * installation (indexer.c), used by the workers' and servers' side (indexer.c)
 * and the coordinator's (indexer_coord.c). */
#ifndef PS_INDEXER_IMPL_H
#define PS_INDEXER_IMPL_H

#include <pthread.h>

#include "engine/index/block_index.h"
#include "engine/ps/indexer.h"

#define STEP_FINAL INT32_MAX
#define STEP_ABORT (-1)
#define INDEX_TABLE 0 /* the served table the index covers */

struct ps_indexer {
    pthread_mutex_t mu;      /* the real backend's actors of a node are threads */
    ps_index_params params;
    uint32_t hot;
    ps_block_index index;    /* once installed, r->index */
    int installed;
    ps_index_report report;
};

double ps_indexer_wall(void);
/* Installs x (taken: freed either way) in the process's run, unless an actor of
 * the process already did: the index, and the placement of its table (block b on
 * server home[b], cold keys where the partitioner puts them). */
int ps_indexer_install(ps_run *r, ps_block_index *x, const uint32_t *home, ps_err *err);
/* An index message of n keys, optional float vals (n) and n_aux u32 of aux;
 * counted in rep when not NULL. */
int ps_indexer_send(ps_backend *be, uint32_t sender, int to, int32_t step, uint32_t table,
                    const uint64_t *keys, const float *vals, uint32_t n, const uint32_t *aux,
                    uint32_t n_aux, ps_index_report *rep, ps_err *err);
int ps_indexer_cmp_u64(const void *a, const void *b);

#endif
