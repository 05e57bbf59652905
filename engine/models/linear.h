/* What the linear models (lr, svm, lasso) share: one table of n_features + 1
 * weights (the bias last), batches of sparse rows (sparse_batch.h), and the loop
 * over a data set's margins that their evaluations are made of. */
#ifndef PS_LINEAR_H
#define PS_LINEAR_H

#include "engine/models/model.h"
#include "engine/models/sparse_batch.h"

struct ps_model {
    uint32_t n_features;
    double l2, l1;
    int rule;                   /* the table's update rule */
    const ps_ctr_params *truth; /* CTR data: the true weights; else NULL */
    const ps_gen_params *gen;   /* dense generated data: the true weights; else NULL */
};

/* Whether the data's true weights are known (m->truth or m->gen). */
static inline int ps_linear_has_truth(const ps_model *m) { return m->truth || m->gen; }

/* A linear model over env's data with the given table rule and L1 weight; its L2
 * weight is model.l2. */
int ps_linear_create(const ps_model_env *env, int rule, double l1, ps_model **out, ps_err *err);
void ps_linear_destroy(ps_model *m);
int ps_linear_tables(const ps_model *m, ps_table_spec *out);
void *ps_linear_batch_new(void);
void ps_linear_batch_free(void *b);
int ps_linear_batch_build(const ps_model *m, void *b, const ps_dataset *d, const uint64_t *rows,
                          uint32_t n, ps_row_buf *buf, ps_err *err);
uint32_t ps_linear_batch_keys(const void *b, int table, const uint64_t **keys);
int ps_linear_batch_group(void *b, int table, const uint32_t *group_of, int n_groups,
                          uint32_t *start, uint32_t *count, ps_err *err);

/* Calls fn(margin, label, ctx) for every row of d, with the margin of weights w
 * (n_features + 1, bias last; features beyond the model's, or the view's, are 0)
 * or, w NULL, of m's true model. */
void ps_linear_margins(const ps_model *m, const ps_dataset *d, const ps_table_view *w,
                       void (*fn)(double margin, float label, void *ctx), void *ctx);
/* The keys a linear model's evaluation on d reads: the features its rows use (below
 * n_features) and the bias; table 0 only (others: none). */
int ps_linear_eval_keys(const ps_model *m, const ps_dataset *d, int t, uint64_t **keys,
                        uint64_t *n, ps_err *err);

/* The L2 term of a batch: adds l2 * w to grad on every key but the bias, and
 * returns 0.5 * l2 * sum of w^2 over them. */
double ps_linear_l2(const ps_batch *b, const float *w, double l2, float *grad);

/* out[k] = -rate * grad[k], in float, as the deltas of an SGD step. */
void ps_linear_sgd_deltas(const ps_batch *b, double rate, float *grad_then_delta);

/* The batch objectives and gradients of svm and lasso (lr's is in lr.h), for their
 * gradient tests: svm's is the mean hinge loss plus 0.5*l2*|w|^2 (bias excluded)
 * and its subgradient; lasso's the smooth part, mean 0.5*(y - margin)^2 (the L1
 * term is the servers' proximal step). Each returns the flops counted. */
double ps_svm_loss_grad(const ps_batch *b, const float *w, double l2, float *grad, double *loss);
double ps_lasso_loss_grad(const ps_batch *b, const float *w, float *grad, double *loss);

/* The ops fields every linear model shares (each sets its own .tables, most to
 * ps_linear_tables). */
#define PS_LINEAR_OPS                                                                     \
    .destroy = ps_linear_destroy,                                                         \
    .batch_new = ps_linear_batch_new, .batch_free = ps_linear_batch_free,                 \
    .batch_build = ps_linear_batch_build, .batch_keys = ps_linear_batch_keys,             \
    .batch_group = ps_linear_batch_group

#endif
