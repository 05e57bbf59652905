/* Stage scheduler interface (FlexPS): which ready stages of which tasks start on a
 * scheduling event, and on which nodes. The state (tasks, their stages' worker
 * requests, free worker slots per node) lives in ps_sched; a policy only orders and
 * picks, through ps_sched_try_start, which places the workers. Pure and
 * deterministic, so tests drive it with scripted task sets (ps_sched_replay). */
#ifndef PS_SCHEDULER_H
#define PS_SCHEDULER_H

#include "engine/core/config.h"
#include "engine/core/err.h"

typedef struct ps_sched_params {
    int angry_after;        /* priority: failed attempts after which a task is served first */
    int probe_iterations;   /* auto: iterations of each probe */
} ps_sched_params;

typedef struct ps_sched_task {
    double submit;          /* when it becomes ready */
    int n_stages;
    const int *workers;     /* worker slots each stage asks for */
    /* kept by the scheduler */
    int next_stage;         /* the stage to start next; n_stages when all have run */
    int running;            /* nonzero while one of its stages runs */
    int failed;             /* consecutive scheduling events at which it could not start */
    int *used;              /* used[node]: workers its stages have placed there, in all */
} ps_sched_task;

typedef struct ps_sched {
    int n_nodes, slots_per_node;
    int *free;              /* free[node]: worker slots free now */
    int *reserved;          /* reserved[node]: free slots held for reserved_by */
    int reserved_by;        /* the task holding reservations, or -1 */
    int n_tasks;
    ps_sched_task *tasks;
} ps_sched;

/* A stage started by a scheduling event: which, and its worker count per node. */
typedef struct ps_sched_start {
    int task, stage;
    int *per_node;          /* n_nodes counts, owned by the caller of ps_sched_event */
} ps_sched_start;

typedef struct ps_scheduler_ops {
    const char *name;
    const char *doc;
    /* The policy's own config keys (NULL-terminated by a NULL key), registered under
     * [scheduler]; read with ps_config_module_*. NULL: none. */
    const ps_config_key *keys;
    /* Starts what the policy picks among the ready stages at `now`, by calls to
     * ps_sched_try_start; returns how many started (written to out[0..]). */
    int (*schedule)(const ps_sched_params *p, ps_sched *s, double now, ps_sched_start *out);
    /* Nonzero: every stage asks for the whole cluster, and the workers a node runs
     * are searched while it runs (auto_parallel.h; the scheduler actor probes). */
    int auto_parallel;
} ps_scheduler_ops;

/* The state (sched_core.c). Tasks are copied; their `workers` arrays are borrowed. */
int ps_sched_init(ps_sched *s, int n_nodes, int slots_per_node, const ps_sched_task *tasks,
                  int n_tasks, ps_err *err);
void ps_sched_free(ps_sched *s);
/* Nonzero when task t has a stage to start at `now` (submitted, none running). */
int ps_sched_ready(const ps_sched *s, int t, double now);
/* The task indices in submission order (by submit time, then index). */
void ps_sched_by_submission(const ps_sched *s, int *order);
/* Free slots task t may use: free slots minus those reserved for another task. */
int ps_sched_free_for(const ps_sched *s, int t);
/* Starts task t's next stage if its request fits the slots it may use, placing its
 * workers on the nodes t has used least, evenly, then round robin; fills *out and
 * returns 1, or returns 0 (nothing changed). */
int ps_sched_try_start(ps_sched *s, int t, ps_sched_start *out);
/* Holds up to `want` free slots for task t (the priority policy's angry task). */
void ps_sched_reserve(ps_sched *s, int t, int want);
/* Task t's running stage has ended: its slots are freed. */
void ps_sched_finish(ps_sched *s, int t, const int *per_node);

/* One stage run of a replay: when it started and ended, and where its workers were. */
typedef struct ps_sched_run {
    int task, stage;
    double start, end;
    int *per_node;
} ps_sched_run;

/* Replays a task set under a policy, stage k of task t taking duration[t][k]
 * seconds, with a scheduling event at each submission and each stage end. Returns
 * the runs in start order (*runs, *n_runs; free with ps_sched_runs_free), and each
 * task's completion time in done[t]. A stage that can never fit is an error. */
int ps_sched_replay(const ps_scheduler_ops *ops, const ps_sched_params *p, int n_nodes,
                    int slots_per_node, const ps_sched_task *tasks, int n_tasks,
                    const double *const *duration, ps_sched_run **runs, int *n_runs,
                    double *done, ps_err *err);
void ps_sched_runs_free(ps_sched_run *runs, int n_runs);

#endif
