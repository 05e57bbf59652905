/* Servers' checkpoints (fault.checkpoint_every): a server's shards of every table
 * at a clock every worker has completed and none has gone past, in
 * RUN_DIR/checkpoint/serverS.ckpt, the one before kept as serverS.prev.ckpt, each
 * written whole to a temporary file and renamed. `pslab run --resume` continues
 * from the newest clock every server has. */
#ifndef PS_CHECKPOINT_H
#define PS_CHECKPOINT_H

#include <stdint.h>

#include "engine/ps/server_table.h"

/* Incremental checkpoints (fault.checkpoint_full_every): a delta holds, of each
 * dense shard, only the keys written since the checkpoint before (`base`, of the
 * chain that starts at the full one at `full`), in serverS.dCLOCK.ckpt; a sparse
 * shard is whole in each. NULL: a full checkpoint, after which the deltas of the
 * chain before the one kept as .prev are removed. Taking one clears the shards'
 * written keys. */
typedef struct ps_checkpoint_delta {
    int32_t base, full;
} ps_checkpoint_delta;

/* Writes server s's checkpoint at `clock` (time_s: the run's time then); *bytes
 * is the file's size, for the backend's disk. */
int ps_checkpoint_write(const ps_run *r, int s, int32_t clock, double time_s,
                        const ps_checkpoint_delta *delta, ps_server_table *tables, int n_tables,
                        uint64_t *bytes, ps_err *err);

/* The same in two steps, so that training need not wait for the file: take copies
 * the shards into memory (the file's bytes, len of them), commit writes them and
 * renames the file into place, and may run on another thread. */
typedef struct ps_checkpoint_image {
    char *buf;
    size_t len;
    char dir[4096];
    int server;
    int32_t clock, delta; /* delta: a delta's file, else a full one's rotation */
} ps_checkpoint_image;
int ps_checkpoint_take(const ps_run *r, int s, int32_t clock, double time_s,
                       const ps_checkpoint_delta *delta, ps_server_table *tables, int n_tables,
                       ps_checkpoint_image *im, ps_err *err);
int ps_checkpoint_commit(ps_checkpoint_image *im, ps_err *err);
/* The newest clock for which every server of r has a whole checkpoint in dir, and
 * the latest time among them. An error says what is missing or damaged; it returns
 * PS_CHECKPOINT_NONE when there is simply none yet. */
#define PS_CHECKPOINT_NONE 1
int ps_checkpoint_find(const char *dir, const ps_run *r, int32_t *clock, double *time_s,
                       ps_err *err);
/* Removes server s's deltas after clock `after`: a resumed run's history goes on
 * from its clock, and what the run before wrote past it is not this one's. */
void ps_checkpoint_prune(const char *dir, int s, int32_t after);
/* Sets server s's shards from its checkpoint at `clock` (found by the above): a
 * full one, and the deltas of its chain up to `clock`. */
int ps_checkpoint_load(const ps_run *r, int s, int32_t clock, ps_server_table *tables,
                       int n_tables, ps_err *err);

#endif
