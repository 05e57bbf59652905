/* Sparse logistic regression (model.type = lr); see lr.h. Metrics: the mean
 * logistic loss on the held-out set (no L2) and the accuracy of its sign. */
#include "engine/models/lr.h"

#include <math.h>
#include <string.h>

#include "engine/models/linear.h"

/* log(1 + exp(x)) without overflow */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

double ps_lr_loss_grad(const ps_batch *b, const float *w_local, double l2, float *grad,
                       double *loss)
{
    double total = 0, inv_n = b->n_rows ? 1.0 / b->n_rows : 0;
    const float *val = b->unit_vals ? NULL : b->val; /* x * 1 is x: the same sums */
    memset(grad, 0, b->n_keys * sizeof *grad);
    for (uint32_t r = 0; r < b->n_rows; r++) {
        double m = 0;
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            m += (double)w_local[b->col[i]] * (val ? val[i] : 1.0f);
        double y = b->label[r], p = 1.0 / (1.0 + exp(-m));
        total += softplus(m) - y * m;
        float g = (float)((p - y) * inv_n);
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            grad[b->col[i]] += g * (val ? val[i] : 1.0f);
    }
    double reg = ps_linear_l2(b, w_local, l2, grad);
    *loss = total * inv_n + reg;
    /* margin and gradient: 2 each per nonzero; sigmoid and loss ~ 20 per row */
    return 4.0 * b->nnz + 20.0 * b->n_rows + 3.0 * b->n_keys;
}

static int lr_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    if (env->truth && env->truth->linear)
        return ps_err_set(err, "model lr needs 0/1 labels, but data.target = linear makes "
                          "real-valued ones (use model.type = lasso, or data.target = logistic)");
    return ps_linear_create(env, PS_RULE_ADD, 0, out, err);
}

static double lr_step(const ps_model *m, const void *b, const float *const *wt,
                      float *const *outt, const ps_step_ctx *ctx, double *loss)
{
    const float *w = wt[0];
    float *out = outt[0];
    double flops = ps_lr_loss_grad(b, w, m->l2, out, loss);
    ps_linear_sgd_deltas(b, ctx->rate, out);
    return flops;
}

typedef struct lr_sums {
    double loss;
    uint64_t n, correct;
} lr_sums;

static void lr_add_row(double m, float label, void *ctx)
{
    lr_sums *s = ctx;
    s->loss += softplus(m) - label * m;
    s->correct += (m > 0) == (label > 0.5f);
    s->n++;
}

static void lr_metrics(const lr_sums *s, double *out)
{
    out[0] = s->n ? s->loss / (double)s->n : 0;
    out[1] = s->n ? (double)s->correct / (double)s->n : 0;
}

static void lr_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                        double *out)
{
    lr_sums s = {0};
    ps_linear_margins(m, test, &w[0], lr_add_row, &s);
    lr_metrics(&s, out);
}

static int lr_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    if (!ps_linear_has_truth(m))
        return 0;
    lr_sums s = {0};
    ps_linear_margins(m, test, NULL, lr_add_row, &s);
    lr_metrics(&s, out);
    return 1;
}

static const char *const lr_metric_names[] = {"loss", "accuracy", NULL};

static const char *const *lr_metric_list(const ps_model *m)
{
    (void)m;
    return lr_metric_names;
}

const ps_model_ops ps_model_lr = {
    .name = "lr",
    .doc = "logistic regression: labels 0/1, log loss, L2 (model.l2)",
    PS_LINEAR_OPS,
    .create = lr_create,
    .tables = ps_linear_tables,
    .step = lr_step,
    .metrics = lr_metric_list,
    .evaluate = lr_evaluate,
    .eval_keys = ps_linear_eval_keys,
    .truth = lr_truth,
};
