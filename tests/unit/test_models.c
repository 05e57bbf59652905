/* The svm and lasso batch objectives against central finite differences (svm's
 * away from the hinge's kink), their evaluations against sums done here, and the
 * model registry. lr's own tests are in test_lr.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"
#include "engine/models/linear.h"
#include "engine/models/lr.h"
#include "tests/unit/cu_main.h"

typedef double (*loss_grad_fn)(const ps_batch *b, const float *w, float *grad, double *loss);

static double svm_fn(const ps_batch *b, const float *w, float *grad, double *loss)
{
    return ps_svm_loss_grad(b, w, 0.03, grad, loss);
}

static void build(ps_batch *b, const ps_dataset *d, uint64_t first, uint32_t n)
{
    uint64_t rows[64];
    ps_row_buf buf = {0};
    for (uint32_t i = 0; i < n; i++)
        rows[i] = first + i;
    CU_ASSERT_FATAL(ps_batch_build(b, d, rows, n, &buf, NULL) == PS_OK);
    ps_row_buf_free(&buf);
}

/* The margins of w on b's rows are all at least gap away from +-1 (svm's kinks). */
static int away_from_kinks(const ps_batch *b, const float *w, double gap)
{
    for (uint32_t r = 0; r < b->n_rows; r++) {
        double m = 0;
        for (uint32_t i = b->row_ptr[r]; i < b->row_ptr[r + 1]; i++)
            m += w[b->col[i]];
        if (fabs(fabs(m) - 1) < gap)
            return 0;
    }
    return 1;
}

/* Returns how many weight draws were checked (svm skips draws near a kink). */
static int check_gradient(loss_grad_fn fn, const ps_batch *b, ps_rng *r, int kinks)
{
    float *w = malloc(b->n_keys * sizeof *w), *g = malloc(b->n_keys * sizeof *g),
          *g2 = malloc(b->n_keys * sizeof *g2);
    int checked = 0;
    for (int draw = 0; draw < 20 && checked < 3; draw++) {
        for (uint32_t k = 0; k < b->n_keys; k++)
            w[k] = (float)(ps_rng_normal(r) * 0.3);
        float h = 1e-2f;
        if (kinks && !away_from_kinks(b, w, 30 * h))
            continue;
        checked++;
        double loss, lp, lm;
        fn(b, w, g, &loss);
        for (uint32_t k = 0; k < b->n_keys; k++) {
            float keep = w[k];
            w[k] = keep + h;
            fn(b, w, g2, &lp);
            w[k] = keep - h;
            fn(b, w, g2, &lm);
            w[k] = keep;
            double fd = (lp - lm) / (2.0 * h);
            CU_ASSERT_DOUBLE_EQUAL(g[k], fd, 1e-4 + 1e-3 * fabs(fd));
        }
    }
    free(w);
    free(g);
    free(g2);
    return checked;
}

static void gradient_test(loss_grad_fn fn, int linear, int kinks)
{
    ps_ctr_params p = {.seed = 11, .n_features = 500, .nnz = 8, .zipf = 1.0, .weight_scale = 1,
                       .linear = linear, .noise = 0.1};
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 1000, NULL) == PS_OK);
    ps_batch b = {0};
    ps_rng r;
    ps_rng_init(&r, 3, 3);
    int checked = 0;
    for (int trial = 0; trial < 5; trial++) {
        build(&b, d, (uint64_t)trial * 40, kinks ? 4 : 32);
        checked += check_gradient(fn, &b, &r, kinks);
    }
    CU_ASSERT(checked >= 5); /* the test must test something */
    ps_batch_free(&b);
    ps_dataset_free(d);
}

static void test_svm_gradient(void) { gradient_test(svm_fn, 0, 1); }
static void test_lasso_gradient(void) { gradient_test(ps_lasso_loss_grad, 1, 0); }

/* The hinge: no loss and no gradient outside the margin; 1 - y*m inside it. */
static void test_svm_hinge_values(void)
{
    ps_ctr_params p = {.seed = 2, .n_features = 50, .nnz = 3, .zipf = 0, .weight_scale = 1};
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 10, NULL) == PS_OK);
    ps_batch b = {0};
    build(&b, d, 0, 1);
    float w[8] = {0}, g[8];
    double loss;
    ps_svm_loss_grad(&b, w, 0, g, &loss);
    CU_ASSERT_DOUBLE_EQUAL(loss, 1.0, 1e-12); /* margin 0: hinge 1 */
    double y = b.label[0] > 0.5f ? 1 : -1;
    w[b.bias] = (float)(0.5 * y); /* margin y/2: inside, hinge 1/2 */
    ps_svm_loss_grad(&b, w, 0, g, &loss);
    CU_ASSERT_DOUBLE_EQUAL(loss, 0.5, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(g[b.bias], -y, 1e-7);
    w[b.bias] = (float)(1.05 * y); /* margin just past 1: outside */
    ps_svm_loss_grad(&b, w, 0, g, &loss);
    CU_ASSERT_DOUBLE_EQUAL(loss, 0.0, 1e-12);
    for (uint32_t k = 0; k < b.n_keys; k++)
        CU_ASSERT_EQUAL(g[k], 0.0f);
    ps_batch_free(&b);
    ps_dataset_free(d);
}

/* lasso's metrics: the objective, the mse, and the support's F1 against the
 * truth, for weights set by hand. */
static void test_lasso_metrics(void)
{
    ps_ctr_params p = {.seed = 7, .n_features = 100, .nnz = 10, .zipf = 0, .weight_scale = 1,
                       .true_density = 0.2, .linear = 1, .noise = 0.1};
    ps_dataset *train, *test;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&train, &p, 0, 100, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&test, &p, 100, 200, NULL) == PS_OK);
    ps_config cfg;
    ps_config_init_defaults(&cfg);
    ps_model_env env = {.cfg = &cfg, .train = train, .test = test, .truth = &p};
    const ps_model_ops *ops = ps_model_by_name("lasso");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    ps_model *m;
    CU_ASSERT_FATAL(ops->create(&env, &m, NULL) == PS_OK);
    ps_table_spec t[PS_MODEL_MAX_TABLES];
    CU_ASSERT_EQUAL(ops->tables(m, t), 1);
    CU_ASSERT_EQUAL(t[0].rule, PS_RULE_ADD_L1);
    CU_ASSERT_EQUAL(t[0].l1_skip_key, 100);
    CU_ASSERT_EQUAL(t[0].n_keys, 101);
    float w[101] = {0};
    int n_true = 0, half = 0;
    for (uint32_t j = 0; j < 100; j++)
        if (ps_ctr_true_weight(&p, j) != 0 && n_true++ % 2 == 0) {
            w[j] = (float)ps_ctr_true_weight(&p, j); /* every other true weight */
            half++;
        }
    CU_ASSERT(n_true > 5 && n_true < 40); /* the density holds roughly */
    int off = 0; /* one weight off the support: found, but not true */
    while (ps_ctr_true_weight(&p, (uint32_t)off) != 0)
        off++;
    w[off] = 0.5f;
    double out[PS_MODEL_MAX_METRICS];
    ps_table_view view = {.vals = w, .n = 101, .vpk = 1};
    ops->evaluate(m, test, &view, out);
    double sq = 0, l1 = 0;
    ps_row_buf buf = {0};
    for (uint64_t i = 0; i < 200; i++) {
        ps_row row;
        ps_dataset_row(test, i, &row, &buf);
        double mm = 0;
        for (uint32_t k = 0; k < row.nnz; k++)
            mm += w[row.idx[k]] * row.val[k];
        sq += (mm - row.label) * (mm - row.label);
    }
    ps_row_buf_free(&buf);
    for (int j = 0; j < 100; j++)
        l1 += fabs(w[j]);
    CU_ASSERT_DOUBLE_EQUAL(out[1], sq / 200, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(out[0], 0.5 * sq / 200 + 0.01 * l1, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(out[2], (half + 1) / 100.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(out[3], 2.0 * half / (half + 1 + n_true), 1e-12);
    CU_ASSERT_EQUAL(ops->truth(m, test, out), 1);
    CU_ASSERT_DOUBLE_EQUAL(out[3], 1.0, 1e-12);
    CU_ASSERT_STRING_EQUAL(ops->metrics(m)[3], "support_f1");
    ops->destroy(m);
    ps_config_free(&cfg);
    ps_dataset_free(train);
    ps_dataset_free(test);
}

/* Builds a model of `type` over generated data of p, and a batch of its first
 * n training rows (grouped as one server's: keys in order). */
typedef struct model_fixture {
    ps_config cfg;
    ps_dataset *train, *test;
    const ps_model_ops *ops;
    ps_model *m;
    void *batch;
    ps_table_spec tables[PS_MODEL_MAX_TABLES];
    int n_tables;
} model_fixture;

static void fixture_open(model_fixture *f, const char *type, const ps_gen_params *p,
                         const char *const *sets, uint32_t n)
{
    ps_config_init_defaults(&f->cfg);
    CU_ASSERT_EQUAL_FATAL(ps_config_set(&f->cfg, type, NULL), PS_OK);
    for (int i = 0; sets && sets[i]; i++)
        CU_ASSERT_EQUAL_FATAL(ps_config_set(&f->cfg, sets[i], NULL), PS_OK);
    CU_ASSERT_FATAL(ps_dataset_generated(&f->train, p, 0, 1000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_generated(&f->test, p, 1000, 200, NULL) == PS_OK);
    f->ops = ps_model_by_name(strchr(type, '=') + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->ops);
    ps_model_env env = {.cfg = &f->cfg, .train = f->train, .test = f->test, .gen = p};
    CU_ASSERT_FATAL(f->ops->create(&env, &f->m, NULL) == PS_OK);
    f->n_tables = f->ops->tables(f->m, f->tables);
    f->batch = f->ops->batch_new();
    uint64_t rows[64];
    for (uint32_t i = 0; i < n; i++)
        rows[i] = i;
    ps_row_buf buf = {0};
    CU_ASSERT_FATAL(f->ops->batch_build(f->m, f->batch, f->train, rows, n, &buf, NULL) == PS_OK);
    ps_row_buf_free(&buf);
}

static void fixture_close(model_fixture *f)
{
    f->ops->batch_free(f->batch);
    f->ops->destroy(f->m);
    ps_dataset_free(f->train);
    ps_dataset_free(f->test);
    ps_config_free(&f->cfg);
}

/* mf's step at rate 1 is minus the gradient of the batch's summed objective,
 * sum over its ratings of 0.5 e^2 + 0.5 l2 (|p_u|^2 + |q_i|^2), e = r - mean - p.q:
 * against central finite differences of that objective, computed here. */
static double mf_objective(const model_fixture *f, float *const *w, double l2, double mean)
{
    uint32_t k = f->tables[0].vals_per_key;
    const uint64_t *users, *items;
    uint32_t nu = f->ops->batch_keys(f->batch, 0, &users), ni = f->ops->batch_keys(f->batch, 1, &items);
    ps_row_buf buf = {0};
    double total = 0;
    for (uint64_t r = 0; r < 8; r++) {
        ps_row row;
        ps_dataset_row(f->train, r, &row, &buf);
        uint32_t u = 0, i = 0;
        while (u < nu && users[u] != row.idx[0])
            u++;
        while (i < ni && items[i] != row.idx[1])
            i++;
        CU_ASSERT_FATAL(u < nu && i < ni);
        double dot = 0, reg = 0;
        for (uint32_t j = 0; j < k; j++) {
            dot += (double)w[0][u * k + j] * w[1][i * k + j];
            reg += (double)w[0][u * k + j] * w[0][u * k + j] + (double)w[1][i * k + j] * w[1][i * k + j];
        }
        double e = row.label - mean - dot;
        total += 0.5 * e * e + 0.5 * l2 * reg;
    }
    ps_row_buf_free(&buf);
    return total;
}

static void test_mf_gradient(void)
{
    ps_gen_params p = {.kind = PS_GEN_RATINGS, .seed = 4, .users = 6, .items = 5, .rank = 3,
                       .zipf = 0.5, .noise = 0.1, .mean = 3};
    const char *sets[] = {"model.rank=3", "model.l2=0.05", NULL};
    model_fixture f;
    fixture_open(&f, "model.type=mf", &p, sets, 8);
    CU_ASSERT_EQUAL(f.n_tables, 2);
    CU_ASSERT_EQUAL(f.tables[1].vals_per_key, 3);
    const uint64_t *keys;
    uint32_t n[2] = {f.ops->batch_keys(f.batch, 0, &keys), f.ops->batch_keys(f.batch, 1, &keys)};
    float *w[2], *out[2], *scratch[2];
    ps_rng r;
    ps_rng_init(&r, 9, 9);
    for (int t = 0; t < 2; t++) {
        w[t] = malloc(n[t] * 3 * sizeof(float));
        out[t] = malloc(n[t] * 3 * sizeof(float));
        scratch[t] = malloc(n[t] * 3 * sizeof(float));
        for (uint32_t i = 0; i < n[t] * 3; i++)
            w[t][i] = (float)(ps_rng_normal(&r) * 0.7);
    }
    ps_step_ctx ctx = {.rate = 1, .workers = 1};
    double loss;
    f.ops->step(f.m, f.batch, (const float *const *)w, out, &ctx, &loss);
    double obj = mf_objective(&f, w, 0.05, 3);
    CU_ASSERT_DOUBLE_EQUAL(loss, obj / 8, 1e-6 * (1 + obj)); /* the reported loss is the mean */
    for (int t = 0; t < 2; t++)
        for (uint32_t i = 0; i < n[t] * 3; i++) {
            float keep = w[t][i], h = 1e-2f;
            w[t][i] = keep + h;
            double lp = mf_objective(&f, w, 0.05, 3);
            w[t][i] = keep - h;
            double lm = mf_objective(&f, w, 0.05, 3);
            w[t][i] = keep;
            double fd = (lp - lm) / (2.0 * h);
            CU_ASSERT_DOUBLE_EQUAL(-out[t][i], fd, 2e-3 + 2e-3 * fabs(fd));
        }
    /* initial factors: nonzero, within +-init_scale, the same for the same key */
    float a[3], b[3];
    f.ops->init_values(f.m, 1, 4, a);
    f.ops->init_values(f.m, 1, 4, b);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);
    for (int j = 0; j < 3; j++)
        CU_ASSERT(a[j] != 0 && fabsf(a[j]) <= 0.1f);
    for (int t = 0; t < 2; t++) {
        free(w[t]);
        free(out[t]);
        free(scratch[t]);
    }
    fixture_close(&f);
}

/* kmeans from zero counts: each centroid moves exactly to the mean of the points
 * nearest it, and its count becomes theirs; with W workers, a W-th of the way. */
static void test_kmeans_step(void)
{
    ps_gen_params p = {.kind = PS_GEN_MIXTURE, .seed = 3, .dims = 4, .clusters = 3, .spread = 3};
    const char *sets[] = {"model.k=3", NULL};
    model_fixture f;
    fixture_open(&f, "model.type=kmeans", &p, sets, 40);
    CU_ASSERT_EQUAL(f.tables[0].vals_per_key, 4);
    CU_ASSERT_EQUAL(f.tables[1].vals_per_key, 1);
    float cent[12], counts[3] = {0}, out0[12], out1[3];
    for (uint32_t c = 0; c < 3; c++)
        f.ops->init_values(f.m, 0, c, cent + c * 4);
    for (int workers = 1; workers <= 2; workers++) {
        ps_step_ctx ctx = {.rate = 0.5, .workers = workers};
        double loss;
        f.ops->step(f.m, f.batch, (const float *const[]){cent, counts}, (float *const[]){out0, out1},
                    &ctx, &loss);
        double sum[12] = {0}, took[3] = {0}, total = 0;
        ps_row_buf buf = {0};
        for (uint64_t i = 0; i < 40; i++) {
            ps_row row;
            ps_dataset_row(f.train, i, &row, &buf);
            int best = 0;
            double bd = 1e300;
            for (int c = 0; c < 3; c++) {
                double d2 = 0;
                for (int j = 0; j < 4; j++) {
                    double e = (double)row.val[j] - cent[c * 4 + j];
                    d2 += e * e;
                }
                if (d2 < bd)
                    bd = d2, best = c;
            }
            total += bd;
            took[best]++;
            for (int j = 0; j < 4; j++)
                sum[best * 4 + j] += row.val[j];
        }
        ps_row_buf_free(&buf);
        CU_ASSERT_DOUBLE_EQUAL(loss, total / 40, 1e-9 * (1 + total));
        for (int c = 0; c < 3; c++) {
            CU_ASSERT_EQUAL(out1[c], (float)took[c]);
            for (int j = 0; j < 4 && took[c]; j++) {
                double mean = sum[c * 4 + j] / took[c];
                CU_ASSERT_DOUBLE_EQUAL(cent[c * 4 + j] + workers * out0[c * 4 + j], mean, 1e-4);
            }
        }
    }
    fixture_close(&f);
}

/* svrg's steps: full_gradient pushes nothing to w, w itself to the snapshot and
 * the batch's share of the stage's mean gradient to mu; sgd at w = snapshot
 * steps along mu alone (the batch's gradients at w and the snapshot cancel). */
static void test_svrg_steps(void)
{
    ps_ctr_params p = {.seed = 11, .n_features = 300, .nnz = 8, .zipf = 1.0, .weight_scale = 1};
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 1000, NULL) == PS_OK);
    ps_config cfg;
    ps_config_init_defaults(&cfg);
    cfg.n_stages = 2;
    cfg.stages[0].step = strdup("full_gradient");
    cfg.stages[1].step = strdup("sgd");
    cfg.l2 = 0.01;
    const ps_model_ops *ops = ps_model_by_name("svrg");
    ps_model_env env = {.cfg = &cfg, .train = d, .test = d, .truth = &p};
    ps_model *m;
    CU_ASSERT_FATAL(ops->create(&env, &m, NULL) == PS_OK);
    ps_table_spec t[PS_MODEL_MAX_TABLES];
    CU_ASSERT_EQUAL(ops->tables(m, t), 3);
    CU_ASSERT(t[1].rule == PS_RULE_ASSIGN && t[2].zero_at_full_gradient && !t[0].zero_at_full_gradient);
    ps_batch b = {0};
    uint64_t rows[32];
    for (int i = 0; i < 32; i++)
        rows[i] = (uint64_t)i;
    ps_row_buf buf = {0};
    CU_ASSERT_FATAL(ps_batch_build(&b, d, rows, 32, &buf, NULL) == PS_OK);
    uint32_t n = b.n_keys;
    float *w = malloc(n * sizeof *w), *snap = malloc(n * sizeof *snap), *mu = malloc(n * sizeof *mu);
    float *o0 = malloc(n * sizeof *o0), *o1 = malloc(n * sizeof *o1), *o2 = malloc(n * sizeof *o2);
    float *g = malloc(n * sizeof *g);
    for (uint32_t k = 0; k < n; k++) {
        w[k] = snap[k] = (float)(0.1 * ((int)(k % 7) - 3));
        mu[k] = (float)(0.01 * (int)(k % 5));
    }
    double loss, gl;
    ps_lr_loss_grad(&b, w, 0.01, g, &gl);
    ps_step_ctx full = {.rate = 0.5, .workers = 2, .step = PS_STEP_FULL_GRADIENT,
                        .stage_examples = 3200};
    ops->step(m, &b, (const float *const[]){w, snap, mu}, (float *const[]){o0, o1, o2}, &full, &loss);
    for (uint32_t k = 0; k < n; k++) {
        CU_ASSERT_EQUAL(o0[k], 0.0f);
        CU_ASSERT_EQUAL(o1[k], w[k]);
        CU_ASSERT_DOUBLE_EQUAL(o2[k], g[k] * 32.0 / 3200.0, 1e-7);
    }
    ps_step_ctx sgd = {.rate = 0.5, .workers = 1, .step = PS_STEP_SGD};
    ops->step(m, &b, (const float *const[]){w, snap, mu}, (float *const[]){o0, o1, o2}, &sgd, &loss);
    for (uint32_t k = 0; k < n; k++) {
        CU_ASSERT_DOUBLE_EQUAL(o0[k], -0.5 * mu[k], 1e-7);
        CU_ASSERT_EQUAL(o1[k], snap[k]);
        CU_ASSERT_EQUAL(o2[k], 0.0f);
    }
    free(w), free(snap), free(mu), free(o0), free(o1), free(o2), free(g);
    ps_row_buf_free(&buf);
    ps_batch_free(&b);
    ops->destroy(m);
    ps_config_free(&cfg);
    ps_dataset_free(d);
}

/* The keys a linear evaluation reads: the test rows' features and the bias,
 * sorted and distinct; and a view of those keys finds each, and no other. */
static void test_linear_eval_keys(void)
{
    ps_ctr_params p = {.seed = 3, .n_features = 5000, .nnz = 5, .zipf = 1.0, .weight_scale = 1};
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 300, NULL) == PS_OK);
    ps_config cfg;
    ps_config_init_defaults(&cfg);
    ps_model_env env = {.cfg = &cfg, .train = d, .test = d, .truth = &p};
    const ps_model_ops *ops = ps_model_by_name("lr");
    ps_model *m;
    CU_ASSERT_FATAL(ops->create(&env, &m, NULL) == PS_OK);
    uint64_t *keys, n;
    CU_ASSERT_FATAL(ops->eval_keys(m, d, 0, &keys, &n, NULL) == PS_OK);
    unsigned char *used = calloc(5001, 1);
    ps_row_buf buf = {0};
    for (uint64_t i = 0; i < 300; i++) {
        ps_row row;
        ps_dataset_row(d, i, &row, &buf);
        for (uint32_t k = 0; k < row.nnz; k++)
            used[row.idx[k]] = 1;
    }
    used[5000] = 1; /* the bias */
    uint64_t want = 0;
    for (int k = 0; k <= 5000; k++)
        want += used[k];
    CU_ASSERT_EQUAL(n, want);
    for (uint64_t i = 0; i < n; i++) {
        CU_ASSERT(used[keys[i]]);
        if (i)
            CU_ASSERT(keys[i] > keys[i - 1]);
    }
    float *vals = malloc(n * sizeof *vals);
    for (uint64_t i = 0; i < n; i++)
        vals[i] = (float)keys[i];
    ps_table_view v = {.vals = vals, .keys = keys, .n = n, .vpk = 1};
    for (uint64_t k = 0; k <= 5000; k++) {
        const float *at = ps_table_value(&v, k);
        CU_ASSERT(used[k] ? at && *at == (float)k : at == NULL);
    }
    free(vals);
    free(used);
    free(keys);
    ps_row_buf_free(&buf);
    ops->destroy(m);
    ps_config_free(&cfg);
    ps_dataset_free(d);
}

static void test_registry(void)
{
    for (int i = 0; ps_models[i]; i++) {
        CU_ASSERT_PTR_NOT_NULL(ps_models[i]->metrics);
        CU_ASSERT_STRING_EQUAL(ps_model_names[i], ps_models[i]->name);
        CU_ASSERT_PTR_EQUAL(ps_model_by_name(ps_models[i]->name), ps_models[i]);
    }
    CU_ASSERT_PTR_NULL(ps_model_by_name("nn"));
}

static CU_TestInfo tests[] = {
    {"svm subgradient matches finite differences", test_svm_gradient},
    {"svm hinge values", test_svm_hinge_values},
    {"lasso gradient matches finite differences", test_lasso_gradient},
    {"lasso metrics", test_lasso_metrics},
    {"mf step is minus the gradient (finite differences); initial factors", test_mf_gradient},
    {"kmeans step moves centroids to their points' mean", test_kmeans_step},
    {"svrg steps: full gradient and variance-reduced", test_svrg_steps},
    {"linear evaluation keys and views", test_linear_eval_keys},
    {"registry", test_registry},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"models", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
