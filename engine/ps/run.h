/* The run context: everything an actor needs to play its role, built the same way
 * from the config by every process (sim: one process for all actors; real: one per
 * node), so that all actors agree on data shards, key ownership and policies. */
#ifndef PS_RUN_H
#define PS_RUN_H

#define PS_RUN_MAX_CRASHES 64

#include <stdint.h>
#include <stdio.h>

#include "engine/core/backend.h"
#include "engine/core/config.h"
#include "engine/data/dataset.h"
#include "engine/models/model.h"
#include "engine/store/store.h"
#include "policies/registry.h"

/* Actor ids: the coordinator, then servers, then workers. A multi-task run gives
 * each task these ids of its own (engine/ps/cluster.c), and ids below 0 reach its
 * scheduler. */
#define PS_COORDINATOR_ID 0
#define PS_SCHEDULER_ACTOR (-1)
static inline int ps_server_actor(int s) { return 1 + s; }

/* A model's table, as the run serves it: model tables of one shape (values per key,
 * rule) travel and are stored together as one served table, each a key range of
 * it, so that a worker sends one message per server and served table (MF's users
 * and items: half the messages of a table each). */
typedef struct ps_model_table {
    ps_table_spec spec;  /* the model's */
    int served;          /* its served table (ps_run.tables) */
    uint64_t base;       /* its key k is the served table's key base + k */
} ps_model_table;

/* A parameter table as the servers keep it: a spec (the model tables' it serves,
 * keys one after the other) and its partition. */
typedef struct ps_run_table {
    ps_table_spec spec;
    char name[64];       /* a joined table's: "users+items" */
    ps_partition partition;
    /* NULL: evaluated whole; else the keys evaluation reads (sorted), the only ones
     * servers snapshot and the coordinator holds (run.eval_full_max) */
    uint64_t *eval_keys;
    uint64_t n_eval_keys;
} ps_run_table;

/* A stage of the task, as every actor plans it from the config: clocks on the
 * wire are global (stage k's clocks are clock_base .. clock_base+iterations-1),
 * and count within the stage in the outputs. */
typedef struct ps_stage {
    int number;          /* N of [stage.N]; 0: the run's keys, no stage sections */
    int workers;         /* workers 0 .. workers-1 take part; the others idle */
    int batch;
    int32_t iterations, clock_base;
    double lr, lr_decay;
    const ps_consistency_ops *consistency;
    ps_consistency_params consistency_params;
    int step;            /* enum ps_step */
    int direct;          /* one worker, policy.direct_transfer = on: it keeps the model */
} ps_stage;

typedef struct ps_run {
    const ps_config *cfg;
    int n_servers, n_workers;
    uint32_t n_features;
    ps_dataset *train, *test;        /* test is used by the coordinator only */
    ps_dataset *all;                 /* loaded file data, parent of train/test views */
    ps_ctr_params ctr;               /* CTR data: the generator (its truth) */
    ps_gen_params gen;               /* the other generators' */
    int gen_kind;                    /* 0: CTR or files; else enum ps_gen_kind */
    const ps_model_ops *model_ops;   /* model.type */
    ps_model *model;
    ps_model_table model_tables[PS_MODEL_MAX_TABLES]; /* the model's parameter tables */
    int n_model_tables;
    ps_run_table tables[PS_MODEL_MAX_TABLES];        /* as served */
    int n_tables;
    int n_metrics;                   /* the model's metrics, columns of metrics.csv */
    const char *const *metric_names;
    const ps_consistency_ops *consistency;   /* the first stage's (set before ps_run_plan) */
    ps_consistency_params consistency_params;
    ps_stage stages[PS_CONFIG_MAX_STAGES];
    int n_stages;
    int32_t total_clocks;            /* the clocks of every stage */
    int32_t *evals;                  /* evaluation points, global clocks, ascending */
    int n_evals;
    double *slowdown;                /* per worker: injected straggler factor, >= 1 */
    int trace;                       /* nonzero: write RUN_DIR/trace/ (pslab run --trace) */
    const ps_partitioner_ops *partitioner; /* set before ps_run_set_tables */
    const ps_store_ops *store_ops;   /* mem unless the composition root picks another */
    uint32_t store_block_keys;
    uint64_t store_cache_bytes;
    int has_truth;                   /* synthetic data: the true model is known */
    double truth_metrics[PS_MODEL_MAX_METRICS]; /* the true model on the held-out set */
    const char *out_dir;             /* run directory, written by the coordinator */
    double wall_start;               /* for the progress line only, never in outputs */
    int progress;                    /* nonzero: show a progress line on stderr */
    int failed;                      /* set by an actor that hit a fatal error */
    ps_backend *be;                  /* a one-task run's, from its launch: told of a
                                      * fatal error (ps_backend_fail) */
    int interrupted;                 /* the signal that stopped the run (coordinator.c) */
    /* pslab run --resume: the run goes on from its checkpoint at resume_clock, whose
     * time (time_offset) the times it reports continue from */
    int resumed;
    int32_t resume_clock;
    double time_offset;
    int restarts;                    /* fault.restarts used so far */
    /* the crashes this attempt injects (fault.crash from the one after the last
     * attempt's, through the next that restarts the run; fault.rate's draws), each
     * once, when its node has completed `clock` clocks or at backend time after_s */
    struct ps_run_crash {
        int server, index;
        int32_t clock;
        double after_s;              /* >= 0: at this backend time instead of a clock */
        int drawn, fired;            /* drawn: by fault.rate */
    } crashes[PS_RUN_MAX_CRASHES];
    int n_crashes;
    int crashed;                     /* sim: a node crashed (coordinator.c) */
    int crashed_worker;              /* it was a worker */
    double crash_time;
    /* A task of a multi-task run: its stages start when the scheduler's GRANT says,
     * on the workers it names, and its workers report each stage's end to it. */
    int scheduled;
    int task;                        /* its index among the run's tasks */
    /* policy.cache (NULL: off): a parameter cache per worker node (engine/ps/cache.h),
     * the node of worker w being w / cluster.workers_per_node */
    const ps_cache_policy_ops *cache_policy;
    struct ps_cache **caches;
    int n_caches;
    /* index.strategy (NULL: off): the block index build (engine/ps/indexer.h), and
     * once an actor of this process has installed it, the index of served table 0
     * (its stores' layout; its partition is then placed by block) */
    struct ps_indexer *indexer;
    const struct ps_block_index *index;
} ps_run;

static inline int ps_worker_actor(const ps_run *r, int w) { return 1 + r->n_servers + w; }
/* cluster.workers_per_node: worker w is on worker node w / this. */
static inline int ps_run_node_workers(const ps_run *r)
{
    return r->cfg->workers_per_node > 0 ? r->cfg->workers_per_node : 1;
}
static inline int ps_actor_count(const ps_run *r) { return 1 + r->n_servers + r->n_workers; }

/* Sets the run's model tables, merges those of one shape into served tables and
 * partitions them among r->n_servers with r->partitioner (ps_run_init does this
 * from the model; tests and benchmarks that drive actors directly call it
 * themselves). */
int ps_run_set_tables(ps_run *r, const ps_table_spec *specs, int n, ps_err *err);

/* Builds datasets, partition and policies from the config. */
int ps_run_init(ps_run *r, const ps_config *cfg, const char *out_dir, ps_err *err);
/* Bytes of the generator's true model (r->gen) as a run holds it: built once for
 * the training set and once for the test set. */
uint64_t ps_run_truth_bytes(const ps_run *r);
void ps_run_free(ps_run *r);

/* The run's actor table (coordinator, servers, workers: ps_actor_count of each
 * array), with ids 0 .. n-1 and the nodes that host them. */
typedef struct ps_actor_arg ps_actor_arg;
void ps_run_actors(ps_run *r, ps_actor_spec *spec, ps_actor_arg *args, char (*names)[32]);

/* Fills the actor table and launches it on be. */
int ps_run_launch(ps_run *r, ps_backend *be, ps_err *err);

/* Plans the stages and evaluation points from r->cfg (ps_run_init does this; tests
 * and benchmarks that drive actors directly call it after setting r->consistency):
 * [stage.N] sections, or one stage of the run's keys. */
int ps_run_plan(ps_run *r, ps_err *err);

/* The stage global clock c belongs to (the last stage for c past the end). */
int ps_run_stage_of(const ps_run *r, int32_t c);

/* The evaluation point after global clock c, or INT32_MAX after the last one:
 * clock 0 (the initial model), then each stage's every run.eval_every clocks and
 * its last. */
int32_t ps_run_next_eval(const ps_run *r, int32_t c);

/* The step size of global clock c: its stage's lr / (1 + lr_decay * t), t the
 * clock within the stage, divided by the stage's workers under model.update =
 * average. Workers scale their steps by it and servers their proximal thresholds. */
double ps_run_step_rate(const ps_run *r, int32_t clock);
/* The same, for a stretch of the stage run by `workers` workers (auto's probes). */
double ps_run_step_rate_for(const ps_run *r, int32_t clock, int workers);

/* A stretch of a stage's clocks [first, end) run by one worker set, each worker
 * taking `batch` examples an iteration: the whole stage, unless the auto
 * scheduler splits it into probes of worker counts and the rest. A GRANT's aux
 * opens with it (clocks within the stage), then lists the workers. */
typedef struct ps_segment {
    int32_t first, end;   /* global clocks */
    int workers, batch;
} ps_segment;
#define PS_GRANT_HEAD 12  /* u32 first (within the stage), iterations, batch */

/* A GRANT decoded: a segment of stage `stage` and its n workers. */
typedef struct ps_grant {
    int stage;
    uint32_t first, iterations, batch, n; /* first: clocks into the stage */
    const uint8_t *list;  /* n u32 worker indices, in the message */
} ps_grant;

/* Decodes GRANT m against the run's plan (its stage, clocks, batch and worker
 * count in range); the list's order is for ps_members_set to check. */
struct ps_msg;
int ps_grant_decode(const ps_run *r, const struct ps_msg *m, ps_grant *g, ps_err *err);
/* The grant's i-th worker. */
uint32_t ps_grant_worker(const ps_grant *g, uint32_t i);

/* fault.crash: the caller, server or worker `index`, has completed `clock` clocks;
 * if an armed crash is its own and due, it dies: on a backend that can (real) it does
 * not return; else (sim) it returns 1 after telling the coordinator, and the node
 * plays dead. 0: no crash. */
int ps_run_crash_point(ps_run *r, ps_backend *be, int server, int index, int32_t clock,
                       ps_err *err);

/* Reports an actor's fatal error once, on stderr, and marks the run failed. */
void ps_run_fail(ps_run *r, const char *who, const ps_err *err);

/* A snapshot's aux: f64 time, then the staleness of the pulls its server served
 * since its previous snapshot: count, sum, max. The three are left out (aux is
 * just the time) when the model is BSP and no pull was stale. */
#define PS_SNAPSHOT_AUX 4
/* With a store on disk, table 0's snapshot adds the bytes the server's store has
 * read and written so far (all its tables), and the bytes of the messages it has
 * received and of the pull replies it has sent: three f64. */
#define PS_SNAPSHOT_AUX_IO 7

/* What a worker reports to the coordinator when it finishes (DONE's aux). */
typedef struct ps_worker_stats {
    double iterations, compute_s, wait_s, comm_s, examples, flops, loss_sum, end_time_s;
    double transfer_in_s, transfer_out_s; /* a direct stage's bulk model transfers */
    double member;                   /* 1: the worker took part in the stage */
    double granted;                  /* iterations it was given (scheduled runs) */
} ps_worker_stats;

/* What a worker's reads did with policy.cache (DONE's aux after the stages'
 * stats): chunks read, given by the cache (hits), shared with another worker's
 * fetch (joins), fetched, and bytes: those the pulls and replies did not carry
 * (a key and its values per chunk the cache gave) and those the cache added (a
 * key in the push per such chunk, a freshness per reply). The first worker of a
 * node adds its cache's evictions and peak bytes. */
typedef struct ps_cache_stats {
    double reads, hits, joins, fetched, bytes_saved, bytes_added, evictions, peak_bytes;
} ps_cache_stats;

/* Whether worker w took part in stage k, by its reported stats: a planned stage
 * holds workers 0 .. workers-1, a scheduled one those its grant named. */
static inline int ps_run_took_part(const ps_run *r, const ps_worker_stats *stats, int w, int k)
{
    return r->scheduled ? stats[(size_t)w * (size_t)r->n_stages + (size_t)k].member != 0
                        : w < r->stages[k].workers;
}

/* The actors' entry points; arg is the ps_actor_arg of the spec. */
struct ps_actor_arg {
    ps_run *run;
    int index;   /* server or worker index; 0 for the coordinator */
};

void ps_server_main(ps_backend *be, void *arg);
void ps_worker_main(ps_backend *be, void *arg);
void ps_coordinator_main(ps_backend *be, void *arg);

#endif
