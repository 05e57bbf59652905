/* The block index's distributed build (DRPS), run before training when
 * index.strategy is not off: every worker samples index.samples batches of its
 * shard and counts what they touch; the coordinator sums the counts, picks the hot
 * keys and each round's merges (engine/index/block_index.c), and finally sends the
 * index to every server and worker, which install it in their process (the disk
 * layout and the placement of served table 0) before anything reads the
 * partition. Every count and merge travels as a message through the backend, so
 * the build's cost is simulated and measured like training's. */
#ifndef PS_INDEXER_H
#define PS_INDEXER_H

#include "engine/ps/kept_queue.h"
#include "engine/ps/run.h"

/* The build's figures, for summary.txt (the coordinator's). */
typedef struct ps_index_report {
    double time_s, wall_s;   /* backend time (simulated in sim) and wall time */
    uint64_t bytes;          /* bytes of the build's messages */
    uint64_t messages;
    uint64_t hot;            /* hot keys */
    int loaded;              /* index.load: read, not built */
} ps_index_report;

/* From the config: sets r->indexer when index.strategy is not off (refusing what
 * it cannot serve), else leaves it NULL. */
int ps_indexer_setup(ps_run *r, ps_err *err);
void ps_indexer_free(ps_run *r);

/* The coordinator's side: builds (or loads) the index, installs it, writes
 * RUN_DIR/index.csv and sends it to every server and worker. A worker that ends
 * (DONE) during the build fails it, naming the worker (counted in
 * *workers_done); on failure the workers are told to stop. */
int ps_indexer_coordinate(ps_run *r, ps_backend *be, int *workers_done, ps_err *err);
/* A worker's side, before its first iteration; lo and n_rows: its shard. Returns
 * 1 when the coordinator stopped the build. */
int ps_indexer_work(ps_run *r, ps_backend *be, int worker, uint64_t lo, uint64_t n_rows,
                    ps_err *err);
/* A server's side, before it opens its stores: waits for the index; any other
 * message that arrives first is kept in *kept, in order. Returns 1 when the
 * coordinator stopped the run instead. */
int ps_indexer_await(ps_run *r, ps_backend *be, ps_kept_queue *kept, ps_err *err);

/* pslab index: the index the run would build, built here from the same samples
 * (every worker's, in worker order) without the backend; and index.csv's writer. */
struct ps_block_index;
int ps_indexer_build_direct(ps_run *r, struct ps_block_index *x, ps_err *err);
int ps_indexer_write(const ps_run *r, const struct ps_block_index *x, const char *path,
                     ps_err *err);
/* Every worker's sampled batches, one after the other, as table keys (malloc'd). */
int ps_indexer_sample_all(ps_run *r, uint64_t **dims, uint64_t **start, uint32_t *n_batches,
                          ps_err *err);

const ps_index_report *ps_indexer_report(const ps_run *r); /* NULL without an index */

#endif
