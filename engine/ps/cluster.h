/* A multi-task run: several tasks, each a whole run of its own (model, data,
 * stages, coordinator, servers, workers), share one cluster's nodes, and a
 * scheduler actor (policy.scheduler) decides when each stage starts and on which
 * worker slots. Every task keeps its own actor ids behind a view of the backend,
 * so the engine's actors run unchanged; only the scheduler sees the whole. */
#ifndef PS_CLUSTER_H
#define PS_CLUSTER_H

#include "engine/ps/run.h"

typedef struct ps_cluster_task {
    char name[64];
    double submit;
    ps_config cfg;          /* its own config, with the cluster's shape, as loaded */
    const ps_config *tcfg;  /* the task's config: cfg, or a one-task run's own */
    ps_run run;
    char dir[4200];         /* RUN_DIR/NAME */
    ps_backend view;        /* the backend as the task's actors see it */
    int base;               /* its actor ids' offset in the whole table */
} ps_cluster_task;

typedef struct ps_cluster {
    const ps_config *cfg;   /* the multi-task file's */
    const char *out_dir;
    const ps_scheduler_ops *policy;
    ps_sched_params params;
    int n_tasks;
    ps_cluster_task tasks[PS_CONFIG_MAX_TASKS];
    int n_nodes, slots;     /* worker nodes (after the servers') and slots on each */
    int single;             /* a one-task run: the task's outputs are the run's */
    ps_backend *be;         /* the whole backend, set at launch */
    int failed;
} ps_cluster;

/* Loads each task's config (its cluster.* and run.backend forced to the run's),
 * makes its directory with its resolved config.ini (when make_dirs: the node that
 * writes the outputs), and builds its run. A config without [task.N]
 * (policy.scheduler = auto) is the one task, in out_dir itself. */
int ps_cluster_init(ps_cluster *c, const ps_config *cfg, const char *out_dir, int make_dirs,
                    ps_err *err);
void ps_cluster_free(ps_cluster *c);
/* The whole actor table: the scheduler (id 0, node 0), then each task's actors. */
int ps_cluster_launch(ps_cluster *c, ps_backend *be, ps_err *err);

/* The scheduler's actor (sched_actor.c); arg is the ps_cluster. It writes
 * RUN_DIR/schedule.csv and RUN_DIR/summary.txt. */
void ps_scheduler_main(ps_backend *be, void *arg);

#endif
