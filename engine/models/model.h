/* The model seam: a model is a table of operations (like a policy), one .c file in
 * engine/models/ exporting one ps_model_ops, listed in models.c and chosen by
 * model.type. The worker, the coordinator, run setup and the outputs call only this
 * table: which parameter tables the model has, the keys a batch touches, one step
 * from a batch and its pulled values to the values to push, evaluation into named
 * metrics, and the true model's metrics when the data is generated. */
#ifndef PS_MODEL_H
#define PS_MODEL_H

#include <stdint.h>

#include "engine/core/config.h"
#include "engine/core/err.h"
#include "engine/data/dataset.h"

/* How a server applies pushed values to a table. */
enum ps_update_rule {
    PS_RULE_ADD = 0,    /* value += delta (SGD) */
    PS_RULE_ASSIGN = 1, /* value = pushed value (centroids, a model handed on) */
    /* value += delta, then soft-thresholded by the step's rate times the table's
     * l1 (every key but l1_skip_key): the proximal step of an L1 penalty, taken
     * where the sum is, so that a weight the penalty zeroes is exactly 0 however
     * many workers pushed to it */
    PS_RULE_ADD_L1 = 2,
};

typedef struct ps_table_spec {
    const char *name;
    uint64_t n_keys;       /* the table's keys are 0 .. n_keys-1 */
    uint32_t vals_per_key; /* a rank-k factor vector is one key with k values */
    int rule;              /* enum ps_update_rule */
    double l1;             /* PS_RULE_ADD_L1: the penalty's weight */
    uint64_t l1_skip_key;  /* PS_RULE_ADD_L1: a key left unpenalised (the bias) */
    /* Nonzero: the servers set the table to 0 when a full_gradient stage begins, so
     * that it accumulates that stage's sum alone (SVRG's full gradient). */
    int zero_at_full_gradient;
} ps_table_spec;

#define PS_MODEL_MAX_TABLES 4
#define PS_MODEL_MAX_METRICS 8

typedef struct ps_model ps_model; /* a model's own state: hyper-parameters, sizes */

/* A table as evaluation sees it: every key (keys NULL: key k's values at
 * vals + k * vpk), or only the keys the test set touches (sorted; key keys[i]'s
 * values at vals + i * vpk), so that a model larger than the coordinator's memory
 * can still be evaluated. */
typedef struct ps_table_view {
    const float *vals;
    const uint64_t *keys;
    uint64_t n;      /* keys held */
    uint32_t vpk;
    uint64_t key_base; /* keys[i] is key keys[i] - key_base of the table */
} ps_table_view;

/* Key's values in the view; NULL when the view does not hold it. */
static inline const float *ps_table_value(const ps_table_view *v, uint64_t key)
{
    if (!v->keys)
        return key < v->n ? v->vals + key * v->vpk : NULL;
    uint64_t lo = 0, hi = v->n, want = key + v->key_base;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->keys[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n && v->keys[lo] == want ? v->vals + lo * v->vpk : NULL;
}

/* What a model is made from: the resolved config (its own keys are read there with
 * ps_config_module_*), the training and held-out data, and, for generated data,
 * the generator's parameters (its true model). */
typedef struct ps_model_env {
    const ps_config *cfg;
    const ps_dataset *train, *test;
    const ps_ctr_params *truth; /* the CTR generator's; NULL for other data */
    const ps_gen_params *gen;   /* the other generators'; NULL for other data */
} ps_model_env;

/* A stage's algorithm step ([stage.N] step). */
enum ps_step { PS_STEP_SGD = 0, PS_STEP_FULL_GRADIENT = 1 };

/* One step's context, given by the engine. */
typedef struct ps_step_ctx {
    double rate;   /* the step size of this iteration, already scaled (model.update) */
    int32_t clock; /* the clock within the stage */
    int workers;   /* workers stepping together: the sum of their pushes is applied */
    int step;      /* the stage's algorithm step: enum ps_step */
    double stage_examples; /* the examples of the whole stage: workers x batch x clocks */
} ps_step_ctx;

typedef struct ps_model_ops {
    const char *name;
    const char *doc; /* one line, for the config reference */
    /* This model's own config keys (NULL-terminated by a NULL key), registered with
     * the config under the model's name; see ps_config_key. */
    const ps_config_key *keys;

    int (*create)(const ps_model_env *env, ps_model **out, ps_err *err);
    void (*destroy)(ps_model *m);
    /* The model's parameter tables; returns how many (1 .. PS_MODEL_MAX_TABLES). */
    int (*tables)(const ps_model *m, ps_table_spec *out);

    /* A batch: model-owned scratch, reused from one iteration to the next. */
    void *(*batch_new)(void);
    void (*batch_free)(void *b);
    /* Builds the batch of training rows rows[0..n) of d; its keys (ascending, per
     * table) are then those the step reads and writes. */
    int (*batch_build)(const ps_model *m, void *b, const ps_dataset *d, const uint64_t *rows,
                       uint32_t n, ps_row_buf *buf, ps_err *err);
    /* The batch's keys of one table; returns their count. */
    uint32_t (*batch_keys)(const void *b, int table, const uint64_t **keys);
    /* Reorders the batch's keys of one table by group (group_of[k] in [0, n_groups)
     * for its k-th key), ascending within a group, so that group g is the slice
     * start[g] .. start[g]+count[g] of the keys, of the values pulled and of the
     * values pushed: the worker gives each server one contiguous slice. */
    int (*batch_group)(void *b, int table, const uint32_t *group_of, int n_groups,
                       uint32_t *start, uint32_t *count, ps_err *err);

    /* One step: from the values w[t] pulled for the batch's keys of each table t
     * (vals_per_key each, in key order), the values to push for the same keys into
     * out[t]: the deltas for an add table, the new values for an assign table.
     * *loss is the batch's objective at w. Returns the floating-point operations
     * done, counted, which the worker charges to the backend. */
    double (*step)(const ps_model *m, const void *b, const float *const *w, float *const *out,
                   const ps_step_ctx *ctx, double *loss);
    /* Optional: the initial values of a key of a table, a pure function of the
     * seed (NULL: zeros). Stores hold each value's change from its initial one,
     * so that no store is ever filled; the worker adds these to what it pulls,
     * and takes them from what it pushes to an assign table. */
    void (*init_values)(const ps_model *m, int table, uint64_t key, float *vals);

    /* Named quality metrics, the columns of metrics.csv in this order (at most
     * PS_MODEL_MAX_METRICS, NULL-terminated); the first is the one summary.txt and
     * pslab plot lead with. */
    const char *const *(*metrics)(const ps_model *m);
    /* The metrics of the model on test: w[t] is table t's view, initial values
     * included: every key, or at least those eval_keys named. */
    void (*evaluate)(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                     double *out);
    /* Optional: the keys of table t that evaluating on test reads, sorted and
     * distinct (malloc'd; *n of them). The run evaluates a large table on these
     * alone (run.eval_full_max); a model without this op (lasso counts every
     * weight) is always evaluated on whole tables. */
    int (*eval_keys)(const ps_model *m, const ps_dataset *test, int t, uint64_t **keys,
                     uint64_t *n, ps_err *err);
    /* The true model's metrics on test; 0 when there is no known truth. */
    int (*truth)(const ps_model *m, const ps_dataset *test, double *out);
} ps_model_ops;

/* The registry (engine/models/models.c). */
const ps_model_ops *ps_model_by_name(const char *name);
extern const char *const ps_model_names[]; /* NULL-terminated */
extern const ps_model_ops *const ps_models[]; /* NULL-terminated */

static inline int ps_model_metric_count(const ps_model_ops *ops, const ps_model *m)
{
    const char *const *names = ops->metrics(m);
    int n = 0;
    while (names[n])
        n++;
    return n;
}

#endif
