/* Linear support vector machine (model.type = svm): labels 0/1 read as -1/+1,
 * hinge loss max(0, 1 - y*margin) with L2 (model.l2), SGD on its subgradient.
 * Metrics: held-out accuracy and mean hinge loss. */
#include <string.h>

#include "engine/models/linear.h"

double ps_svm_loss_grad(const ps_batch *b, const float *w, double l2, float *grad, double *loss)
{
    double total = 0, inv_n = b->n_rows ? 1.0 / b->n_rows : 0;
    const float *val = b->unit_vals ? NULL : b->val;
    memset(grad, 0, b->n_keys * sizeof *grad);
    for (uint32_t r = 0; r < b->n_rows; r++) {
        double m = 0, y = b->label[r] > 0.5f ? 1.0 : -1.0;
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            m += (double)w[b->col[i]] * (val ? val[i] : 1.0f);
        if (y * m >= 1)
            continue; /* outside the margin: no loss, no gradient */
        total += 1 - y * m;
        float g = (float)(-y * inv_n);
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            grad[b->col[i]] += g * (val ? val[i] : 1.0f);
    }
    *loss = total * inv_n + ps_linear_l2(b, w, l2, grad);
    return 4.0 * b->nnz + 4.0 * b->n_rows + 3.0 * b->n_keys;
}

static int svm_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    if (env->truth && env->truth->linear)
        return ps_err_set(err, "model svm needs 0/1 labels, but data.target = linear makes "
                          "real-valued ones");
    return ps_linear_create(env, PS_RULE_ADD, 0, out, err);
}

static double svm_step(const ps_model *m, const void *b, const float *const *wt,
                       float *const *outt, const ps_step_ctx *ctx, double *loss)
{
    const float *w = wt[0];
    float *out = outt[0];
    double flops = ps_svm_loss_grad(b, w, m->l2, out, loss);
    ps_linear_sgd_deltas(b, ctx->rate, out);
    return flops;
}

typedef struct svm_sums {
    double hinge;
    uint64_t n, correct;
} svm_sums;

static void svm_add_row(double m, float label, void *ctx)
{
    svm_sums *s = ctx;
    double y = label > 0.5f ? 1.0 : -1.0;
    s->hinge += y * m < 1 ? 1 - y * m : 0;
    s->correct += (m > 0) == (y > 0);
    s->n++;
}

static void svm_metrics(const svm_sums *s, double *out)
{
    out[0] = s->n ? (double)s->correct / (double)s->n : 0;
    out[1] = s->n ? s->hinge / (double)s->n : 0;
}

static void svm_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                         double *out)
{
    svm_sums s = {0};
    ps_linear_margins(m, test, &w[0], svm_add_row, &s);
    svm_metrics(&s, out);
}

/* The generator's true model is a logistic one; its sign is still the best
 * classifier of the labels it draws, so its accuracy is the one to approach. */
static int svm_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    if (!ps_linear_has_truth(m))
        return 0;
    svm_sums s = {0};
    ps_linear_margins(m, test, NULL, svm_add_row, &s);
    svm_metrics(&s, out);
    return 1;
}

static const char *const svm_metric_names[] = {"accuracy", "hinge", NULL};

static const char *const *svm_metric_list(const ps_model *m)
{
    (void)m;
    return svm_metric_names;
}

const ps_model_ops ps_model_svm = {
    .name = "svm",
    .doc = "linear SVM: labels 0/1 as -1/+1, hinge loss, L2 (model.l2)",
    PS_LINEAR_OPS,
    .create = svm_create,
    .tables = ps_linear_tables,
    .step = svm_step,
    .metrics = svm_metric_list,
    .evaluate = svm_evaluate,
    .eval_keys = ps_linear_eval_keys,
    .truth = svm_truth,
};
