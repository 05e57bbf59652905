/* SVRG for logistic regression (model.type = svrg; Johnson and Zhang, NIPS'13), as
 * stages: a full_gradient stage, on many workers, takes a snapshot w~ of the
 * weights (an assign table) and sums the gradient mu at w~ over the stage's
 * examples (an add table the servers set to 0 as the stage begins); the sgd stages
 * that follow step along the variance-reduced gradient
 *   grad f_B(w) - grad f_B(w~) + mu,
 * whose noise shrinks as w nears w~. FlexPS runs the full-gradient stage wide and
 * the SGD stage on one node. The full_gradient stage should cover the training
 * data once (workers x batch x iterations = its rows). Metrics: lr's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/models/linear.h"
#include "engine/models/lr.h"

/* The three tables share the batch's keys (and a key of each sits on the same
 * server: the same partition of the same key count), so a grouping by one table's
 * keys leaves them in order for the others. */
enum { SVRG_W = 0, SVRG_SNAPSHOT = 1, SVRG_MU = 2 };

extern const ps_model_ops ps_model_lr;

/* A batch's gradient at w into g, including L2: the objective's. */
static double svrg_gradient(const ps_model *m, const ps_batch *b, const float *w, float *g,
                            double *loss)
{
    return ps_lr_loss_grad(b, w, m->l2, g, loss);
}

static int svrg_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    if (env->truth && env->truth->linear)
        return ps_err_set(err, "model svrg (logistic regression) needs 0/1 labels");
    if (env->cfg->n_stages < 2 || strcmp(env->cfg->stages[0].step, "full_gradient") != 0)
        return ps_err_set(err, "model svrg runs as stages: [stage.1] with step = "
                          "full_gradient, then sgd stages (see experiments/svrg.ini)");
    return ps_linear_create(env, PS_RULE_ADD, 0, out, err);
}

static int svrg_tables(const ps_model *m, ps_table_spec *out)
{
    ps_linear_tables(m, out);
    out[SVRG_SNAPSHOT] = out[SVRG_W];
    out[SVRG_SNAPSHOT].name = "snapshot";
    out[SVRG_SNAPSHOT].rule = PS_RULE_ASSIGN;
    out[SVRG_MU] = out[SVRG_W];
    out[SVRG_MU].name = "mu";
    out[SVRG_MU].zero_at_full_gradient = 1;
    return 3;
}

/* full_gradient: w stays (zeros pushed), w~ = w, mu += the batch's share of the
 * stage's mean gradient. sgd: w -= rate (g(w) - g(w~) + mu), w~ and mu stay. */
static double svrg_step(const ps_model *m, const void *pb, const float *const *w,
                        float *const *out, const ps_step_ctx *ctx, double *loss)
{
    const ps_batch *b = pb;
    uint32_t n = b->n_keys;
    double flops;
    if (ctx->step == PS_STEP_FULL_GRADIENT) {
        flops = svrg_gradient(m, b, w[SVRG_W], out[SVRG_MU], loss);
        float share = (float)(b->n_rows / (ctx->stage_examples > 0 ? ctx->stage_examples : 1));
        for (uint32_t k = 0; k < n; k++)
            out[SVRG_MU][k] *= share;
        memset(out[SVRG_W], 0, n * sizeof(float));
        memcpy(out[SVRG_SNAPSHOT], w[SVRG_W], n * sizeof(float));
        return flops + n;
    }
    double snap_loss;
    flops = svrg_gradient(m, b, w[SVRG_W], out[SVRG_W], loss);
    flops += svrg_gradient(m, b, w[SVRG_SNAPSHOT], out[SVRG_MU], &snap_loss);
    float lr = (float)ctx->rate;
    for (uint32_t k = 0; k < n; k++)
        out[SVRG_W][k] = -lr * (out[SVRG_W][k] - out[SVRG_MU][k] + w[SVRG_MU][k]);
    memcpy(out[SVRG_SNAPSHOT], w[SVRG_SNAPSHOT], n * sizeof(float));
    memset(out[SVRG_MU], 0, n * sizeof(float));
    return flops + 3.0 * n;
}

static void svrg_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                          double *out)
{
    ps_model_lr.evaluate(m, test, w, out);
}

static const char *const *svrg_metrics(const ps_model *m) { return ps_model_lr.metrics(m); }

static int svrg_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    return ps_model_lr.truth(m, test, out);
}

const ps_model_ops ps_model_svrg = {
    .name = "svrg",
    .doc = "SVRG for logistic regression: a full_gradient stage, then sgd stages",
    PS_LINEAR_OPS,
    .create = svrg_create,
    .tables = svrg_tables,
    .step = svrg_step,
    .metrics = svrg_metrics,
    .evaluate = svrg_evaluate,
    .eval_keys = ps_linear_eval_keys,
    .truth = svrg_truth,
};
