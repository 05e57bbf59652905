/* Starting a real cluster: as local processes on 127.0.0.1 (pslab run --backend
 * real), or one `pslab node` per machine under Slurm, MPI launchers or ssh. */
#ifndef PS_REAL_LAUNCH_H
#define PS_REAL_LAUNCH_H

#include <sys/types.h>

#include "engine/core/backend.h"
#include "engine/core/config.h"
#include "engine/ps/run.h"

typedef struct ps_real_children {
    int n;
    pid_t *pid;   /* pid[r] of node r, r >= 1 */
    long *peak_rss_kb; /* after ps_real_local_wait: each node's peak resident set, node 0
                        * this process (0: unknown); freed by ps_real_local_free */
    double start_time;  /* in: every node's origin of now() (monotonic; 0: at start) */
    int crashed_node, crashed_signal; /* out: a node killed by a signal not ours (a
                                       * crash, SIGKILL), or 0 */
    int expendable_from; /* fault.on_worker_failure = continue: nodes from this rank
                          * on killed by a signal are lost workers, not failures */
    int stalled_node; /* in: a node node 0 found stalled, killed with SIGKILL (a failed
                       * node, which fault.restarts restarts), or 0 */
} ps_real_children;

/* The first node the run may lose and go on (the workers' under
 * fault.on_worker_failure = continue), or 0. */
int ps_real_expendable_from(const ps_config *cfg);

/* What a forked node runs on its backend: its actors of the run (a ps_run's, or a
 * multi-task run's), from the state built before the fork. */
typedef int (*ps_real_launch_fn)(void *ctx, ps_backend *be, ps_err *err);

/* Listens on 127.0.0.1:real.port, forks nodes 1..N-1 (each joins, runs
 * launch(ctx) and exits) and makes this process node 0; *be is its backend. Fork
 * happens before any thread exists. */
int ps_real_local_start(ps_real_launch_fn launch, void *ctx, const ps_config *cfg,
                        const char *dir, ps_backend **be, ps_real_children *kids, ps_err *err);
/* Waits for the children; if this node failed, stops them first. Nonzero when
 * any node failed, with err naming them. */
int ps_real_local_wait(ps_real_children *kids, int this_node_failed, ps_err *err);
/* RUN_DIR/nodes.csv: node,roles,peak_rss_kb for each node of a local run, after
 * ps_real_local_wait (node 0 holds the coordinator and server 0; the servers' nodes
 * come first, then the workers' by cluster.workers_per_node). */
int ps_real_write_nodes(const ps_real_children *kids, const ps_config *cfg, const char *dir,
                        ps_err *err);
void ps_real_local_free(ps_real_children *kids);

/* Points the run at the store chosen by server.store (rocksdb when built in). */
int ps_real_select_store(ps_run *run, const ps_config *cfg, ps_err *err);

/* A whole (config) file as a string, or NULL; the caller frees. */
char *ps_real_read_file(const char *path);

/* `pslab node`: the per-process entry point on a cluster. */
int ps_real_node_main(int argc, char **argv);

#endif
