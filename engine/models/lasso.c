/* Lasso (model.type = lasso): least squares with an L1 penalty, 0.5*(y - margin)^2
 * + model.l1 * |w|_1 (bias excluded). Workers push plain gradient steps; the
 * servers take the proximal step, a soft-threshold of each sum (PS_RULE_ADD_L1),
 * so that weights become exactly zero. Metrics: the held-out objective, mean
 * squared error, the share of nonzero weights and, when the data's true weights
 * are known, the F1 score of the nonzero set against their support. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/models/linear.h"

/* loss = mean 0.5*(y - margin)^2 (the smooth part; the L1 term is the server's). */
double ps_lasso_loss_grad(const ps_batch *b, const float *w, float *grad, double *loss)
{
    double total = 0, inv_n = b->n_rows ? 1.0 / b->n_rows : 0;
    const float *val = b->unit_vals ? NULL : b->val;
    memset(grad, 0, b->n_keys * sizeof *grad);
    for (uint32_t r = 0; r < b->n_rows; r++) {
        double m = 0;
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            m += (double)w[b->col[i]] * (val ? val[i] : 1.0f);
        double e = m - b->label[r];
        total += 0.5 * e * e;
        float g = (float)(e * inv_n);
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            grad[b->col[i]] += g * (val ? val[i] : 1.0f);
    }
    *loss = total * inv_n;
    return 4.0 * b->nnz + 4.0 * b->n_rows + 2.0 * b->n_keys;
}

static const ps_config_key lasso_keys[] = {
    {"model", "l1", PS_KEY_DOUBLE, "0.01", PS_KEY_IN(0, 1000), NULL,
     "L1 penalty weight: the proximal step sets a weight to 0 when its update is within "
     "rate * l1 of it"},
    {0},
};

static int lasso_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    return ps_linear_create(env, PS_RULE_ADD_L1,
                            ps_config_module_double(env->cfg, "model", "l1"), out, err);
}

static int lasso_tables(const ps_model *m, ps_table_spec *out)
{
    ps_linear_tables(m, out);
    out[0].l1 = m->l1;
    out[0].l1_skip_key = m->n_features; /* the bias */
    return 1;
}

static double lasso_step(const ps_model *m, const void *b, const float *const *wt,
                         float *const *outt, const ps_step_ctx *ctx, double *loss)
{
    const float *w = wt[0];
    float *out = outt[0];
    (void)m;
    double flops = ps_lasso_loss_grad(b, w, out, loss);
    ps_linear_sgd_deltas(b, ctx->rate, out);
    return flops;
}

typedef struct lasso_sums {
    double sq;
    uint64_t n;
} lasso_sums;

static void lasso_add_row(double m, float label, void *ctx)
{
    lasso_sums *s = ctx;
    s->sq += (m - label) * (m - label);
    s->n++;
}

/* objective, mse, nonzero, support_f1; w NULL: the true weights */
static void lasso_metrics(const ps_model *m, const lasso_sums *s, const float *w, double *out)
{
    double l1 = 0;
    uint64_t nonzero = 0, true_nz = 0, both = 0;
    for (uint32_t j = 0; j < m->n_features; j++) {
        double v = w ? w[j] : ps_ctr_true_weight(m->truth, j);
        int t = m->truth && ps_ctr_true_weight(m->truth, j) != 0;
        l1 += fabs(v);
        nonzero += v != 0;
        true_nz += t;
        both += t && v != 0;
    }
    double mse = s->n ? s->sq / (double)s->n : 0;
    out[0] = 0.5 * mse + m->l1 * l1;
    out[1] = mse;
    out[2] = m->n_features ? (double)nonzero / m->n_features : 0;
    if (m->truth) /* F1 = 2 |both| / (|found| + |true|); 1 when both are empty */
        out[3] = nonzero + true_nz ? 2.0 * (double)both / (double)(nonzero + true_nz) : 1.0;
}

static void lasso_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                           double *out)
{
    lasso_sums s = {0};
    ps_linear_margins(m, test, &w[0], lasso_add_row, &s);
    lasso_metrics(m, &s, w[0].vals, out); /* every weight: lasso has no eval_keys */
}

static int lasso_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    if (!m->truth) /* the support is the CTR generator's */
        return 0;
    lasso_sums s = {0};
    ps_linear_margins(m, test, NULL, lasso_add_row, &s);
    lasso_metrics(m, &s, NULL, out);
    return 1;
}

static const char *const *lasso_metric_list(const ps_model *m)
{
    static const char *const names[] = {"objective", "mse", "nonzero", "support_f1", NULL};
    static const char *const no_truth[] = {"objective", "mse", "nonzero", NULL};
    return m->truth ? names : no_truth;
}

const ps_model_ops ps_model_lasso = {
    .name = "lasso",
    .doc = "least squares with L1 (model.l1) by a proximal step: sparse weights",
    .keys = lasso_keys,
    PS_LINEAR_OPS,
    .create = lasso_create,
    .tables = lasso_tables,
    .step = lasso_step,
    .metrics = lasso_metric_list,
    .evaluate = lasso_evaluate,
    .truth = lasso_truth,
};
