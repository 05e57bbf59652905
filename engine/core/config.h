/* The run configuration: an INI file (parsed with inih) plus "section.key=value"
 * overrides. Every key is declared once, in the table in config.c; parsing,
 * validation, defaults, the resolved-config writer and the reference all come from it. */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "engine/core/err.h"
#include "engine/core/fault_plan.h"

/* Config keys, as tables declare them: the core's in config.c, and each model's
 * own (ps_model_ops.keys), which the config registers under the model's name:
 * accepted only when that model is chosen, written to config.ini only then, and
 * read by the model with ps_config_module_*(). */
typedef enum {
    PS_KEY_INT, PS_KEY_U64, PS_KEY_DOUBLE, PS_KEY_STRING, PS_KEY_ENUM, PS_KEY_PATH
} ps_key_type;

enum {
    PS_KEY_F_REQUIRED = 1, /* no default; zero means unset, so the range must exclude 0 */
    PS_KEY_F_MIN = 2,      /* value >= min */
    PS_KEY_F_MIN_OPEN = 4, /* value > min */
    PS_KEY_F_MAX = 8,      /* value <= max */
    PS_KEY_F_STEM = 16     /* left empty, it becomes the config file's stem */
};

/* flags, min, max of a key, as the tables write them */
#define PS_KEY_ANY 0, 0, 0
#define PS_KEY_IN(lo, hi) PS_KEY_F_MIN | PS_KEY_F_MAX, (lo), (hi)
#define PS_KEY_POS PS_KEY_F_MIN_OPEN, 0, 0
#define PS_KEY_POS_TO(hi) PS_KEY_F_MIN_OPEN | PS_KEY_F_MAX, 0, (hi)

typedef struct ps_config_key {
    const char *section, *key; /* a NULL key ends a module's table */
    ps_key_type type;
    const char *def;           /* parsed like a file value; NULL when required */
    unsigned flags;
    double min, max;           /* integer keys' bounds are below 2^53, hence exact */
    const char *const *choices; /* PS_KEY_ENUM: NULL-terminated */
    const char *doc;
} ps_config_key;

typedef union ps_config_value {
    int i;
    uint64_t u;
    double d;
    char *s;
} ps_config_value;

#define PS_CONFIG_MODULE_KEYS 32

/* data.features = 0 for generated rows: CTR's, and the dense generators' */
#define PS_CONFIG_CTR_FEATURES 100000
#define PS_CONFIG_DENSE_FEATURES 20

/* A stage of a multi-stage task ([stage.N] sections, N = 1 .. PS_CONFIG_MAX_STAGES,
 * consecutive from 1). Keys a section leaves out take the run's value: the
 * cluster's workers, run.iterations, model.batch, lr and lr_decay,
 * policy.consistency and staleness, and the step sgd. */
#define PS_CONFIG_MAX_STAGES 16
#define PS_CONFIG_MAX_CRASHES 16

typedef struct ps_stage_config {
    int workers;       /* at most cluster.workers; the others idle */
    int iterations;
    int batch;
    double lr, lr_decay;
    char *consistency;
    int staleness;
    char *step;        /* sgd | full_gradient: the model's algorithm step */
} ps_stage_config;

/* A task of a multi-task run ([task.N] sections, N = 1 .. PS_CONFIG_MAX_TASKS): a
 * task config of its own, which the run's scheduler (policy.scheduler) starts on the
 * run's cluster at its submission time. */
#define PS_CONFIG_MAX_TASKS 8

typedef struct ps_task_config {
    char *config;      /* the task's own config file (its model, data, stages) */
    double submit;     /* seconds after the run's start */
    char *name;        /* its outputs' directory in the run directory; default taskN */
} ps_task_config;

typedef struct ps_config {
    char *source_path; /* the INI file, as given to ps_config_load */

    /* [run] */
    char *name;
    uint64_t seed;
    int iterations;
    int eval_every;
    uint64_t eval_full_max; /* bytes; larger tables are evaluated on the keys tested */
    char *backend; /* "sim" | "real" */

    /* [cluster] */
    int servers;
    int workers;
    int workers_per_node; /* workers sharing a node (FlexPS: threads of a process) */
    char *platform; /* SimGrid platform file; "" = generate from [platform] */

    /* [platform] */
    double host_speed;
    double bandwidth;
    double latency;
    double speed_spread;
    double slow_fraction;
    double slow_factor;
    double disk_read_bw;
    double disk_write_bw;
    double disk_seek;             /* sim disk store: seconds a block read waits */
    int cores;          /* per host */
    int worker_links;   /* 0: only server hosts get network links (scale mode) */
    double precision;   /* SimGrid's surf/precision, seconds */

    /* [data] */
    char *source; /* synthetic | libsvm | movielens | idx */
    char *path;
    char *test_path;
    char *labels, *test_labels; /* idx */
    char *classes;
    char *order;        /* shuffled | file */
    double test_fraction;
    uint64_t features;
    uint64_t train_examples;
    uint64_t test_examples;
    int nnz;
    double zipf;
    double weight_scale;
    char *generator;    /* ctr | ratings | mixture | dense */
    uint64_t users, items;
    int true_rank;
    double rating_mean;
    int clusters;
    double spread;
    char *target;       /* logistic | linear */
    double true_density;
    double noise;

    /* [model] */
    char *type; /* lr */
    int batch;
    double lr;
    char *update;       /* average | sum: how workers' steps combine */
    double lr_decay;
    double l2;
    double flop_scale;

    /* [server] */
    char *store;          /* mem | rocksdb */
    int block_keys;
    uint64_t cache_bytes;

    /* [index] */
    char *index_strategy;         /* off | none | basic | ours */
    int index_samples;            /* batches a worker samples */
    int index_hot;                /* hot: touched by more sampled batches than this */
    int index_per_round;
    int index_max_block;          /* 0: hot keys / (servers x 6) */
    double index_min_gain;        /* seconds */
    char *index_load;             /* "": build the index */

    /* [real] */
    int real_port;
    double real_timeout;
    uint64_t real_send_buffer;
    double real_stall_timeout;    /* 0: the coordinator waits forever */

    /* [fault] */
    int checkpoint_every;         /* clocks; 0: no checkpoints */
    int checkpoint_full_every;    /* every Nth checkpoint whole, the others deltas */
    int fault_restarts;           /* restarts after a node's death */
    char *fault_crash;            /* "server1@40, worker3@100": injected crashes */
    double fault_recovery_s;      /* sim: from a crash to the restarted run */
    double fault_rate;            /* crashes per node-hour, drawn from the seed */
    int n_crashes;                /* fault_crash parsed, by clock */
    struct ps_config_crash {
        int server;               /* 1: server `index`; 0: worker `index` */
        int index;
        int32_t clock;            /* when it has completed this many clocks */
        double at_s;              /* >= 0: at this time of the run instead (NODE@Ts) */
    } crashes[PS_CONFIG_MAX_CRASHES];
    char *on_worker_failure;      /* restart | continue | abort */
    char *fault_slow;             /* "worker3.cpu@10+20x4, link:l2@0+5x10": sim slowdowns */
    char *fault_link_down;        /* "server1@5+2, link:l2@8+1": sim links down */
    int n_windows;                /* fault_slow and fault_link_down parsed */
    ps_fault_window windows[PS_FAULT_MAX_WINDOWS];

    /* [policy] */
    char *consistency;
    int staleness;                /* SSP bound; WSP's maximum staleness */
    char *partitioner;
    char *direct_transfer;        /* on | off: one-worker stages keep the model themselves */
    char *scheduler;              /* a multi-task run's stage scheduler */
    char *cache;                  /* off, or the worker-side cache's eviction policy */

    /* [cache] */
    uint64_t worker_cache_bytes;  /* per node */
    int cache_staleness;          /* -1: the consistency model's bound */

    /* [stragglers] */
    double straggler_fraction;    /* share of workers slowed for the whole run */
    double straggler_factor;
    double straggler_iteration_prob; /* chance that any one iteration is slowed */
    double straggler_iteration_factor;

    /* the modules' own keys, in registration order (see ps_config_key) */
    ps_config_value module[PS_CONFIG_MODULE_KEYS];

    /* [stage.N]: 0 stages = one stage of the run's keys (outputs call it stage 0) */
    ps_stage_config stages[PS_CONFIG_MAX_STAGES];
    int n_stages;

    /* [task.N]: 0 tasks = the file is one task; else it describes the cluster and
     * its tasks, and its other sections' training keys are not used */
    ps_task_config tasks[PS_CONFIG_MAX_TASKS];
    int n_tasks;
} ps_config;

/* The nodes of the cluster: the servers' and the workers' (workers_per_node to a
 * node). */
static inline int ps_config_nodes(const ps_config *c)
{
    int wpn = c->workers_per_node > 0 ? c->workers_per_node : 1;
    return c->servers + (c->workers + wpn - 1) / wpn;
}

/* Every key at its default; required keys are unset (zero). Owns its strings. */
void ps_config_init_defaults(ps_config *c);

/* Fills c (which need not be initialised) from defaults, then the file at path,
 * then the overrides "section.key=value" in order, and validates the result.
 * Errors name the file and line ("exp.ini:9: model.lr = -1: out of range (must be
 * > 0 ...)") or the override ("--set model.foo=1: unknown key model.foo").
 * On error c is left empty: ps_config_free is safe but not needed. */
int ps_config_load(ps_config *c, const char *path, const char *const *overrides,
                   int n_overrides, ps_err *err);

/* Sets one key from "section.key=value" (whitespace around key and value is
 * ignored), with the same parsing and range checks as the file. */
int ps_config_set(ps_config *c, const char *assignment, ps_err *err);

/* Writes every key, in table order, as INI with each key's doc as a comment;
 * ps_config_load of the output gives back the same config. PS_ERR on I/O error. */
int ps_config_write(const ps_config *c, FILE *f);

/* The reference of all keys: per section, each key's type, default, range or
 * choices, whether it is required, and its doc line. */
void ps_config_print_reference(FILE *f);

/* A module's own key, by section and name, at its value in c (the default unless
 * set). Asking for a key no module declared, or as another type, aborts. */
int ps_config_module_int(const ps_config *c, const char *section, const char *key);
uint64_t ps_config_module_u64(const ps_config *c, const char *section, const char *key);
double ps_config_module_double(const ps_config *c, const char *section, const char *key);
const char *ps_config_module_string(const ps_config *c, const char *section, const char *key);

/* Frees the strings of c and clears it. */
void ps_config_free(ps_config *c);

/* Whether crash i of fault.crash restarts the run (a worker's under
 * fault.on_worker_failure = continue does not). */
int ps_config_crash_restarts(const ps_config *c, int i);

#endif
