/* Sparse logistic regression: the gradient against central finite differences,
 * the loss at zero, flop counting, the learning-rate schedule, and plain SGD on
 * generated data reaching the true model's held-out accuracy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/models/lr.h"
#include "engine/models/model.h"
#include "engine/core/rng.h"
#include "tests/unit/cu_main.h"

static ps_ctr_params params(void)
{
    return (ps_ctr_params){.seed = 11, .n_features = 500, .nnz = 8, .zipf = 1.0, .weight_scale = 1};
}

static void build(ps_batch *b, ps_dataset *d, uint64_t first, uint32_t n)
{
    uint64_t rows[64];
    ps_row_buf buf = {0};
    for (uint32_t i = 0; i < n; i++)
        rows[i] = first + i;
    CU_ASSERT_FATAL(ps_batch_build(b, d, rows, n, &buf, NULL) == PS_OK);
    ps_row_buf_free(&buf);
}

/* The batch's gradient against central finite differences of its loss, at random
 * weights. */
static void check_gradient(const ps_batch *b, ps_rng *r)
{
    float *w = malloc(b->n_keys * sizeof *w), *g = malloc(b->n_keys * sizeof *g),
          *g2 = malloc(b->n_keys * sizeof *g2);
    for (uint32_t k = 0; k < b->n_keys; k++)
        w[k] = (float)(ps_rng_normal(r) * 0.5);
    double loss, lp, lm, l2 = 0.03;
    ps_lr_loss_grad(b, w, l2, g, &loss);
    for (uint32_t k = 0; k < b->n_keys; k++) {
        float keep = w[k], h = 1e-2f;
        w[k] = keep + h;
        ps_lr_loss_grad(b, w, l2, g2, &lp);
        w[k] = keep - h;
        ps_lr_loss_grad(b, w, l2, g2, &lm);
        w[k] = keep;
        double fd = (lp - lm) / (2.0 * h);
        CU_ASSERT_DOUBLE_EQUAL(g[k], fd, 1e-4 + 1e-3 * fabs(fd));
    }
    free(w);
    free(g);
    free(g2);
}

static void test_gradient_matches_finite_differences(void)
{
    ps_ctr_params p = params();
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 1000, NULL) == PS_OK);
    ps_batch b = {0};
    ps_rng r;
    ps_rng_init(&r, 3, 3);
    for (int trial = 0; trial < 5; trial++) {
        build(&b, d, (uint64_t)trial * 40, 32);
        CU_ASSERT(b.unit_vals); /* synthetic rows are one-hot */
        check_gradient(&b, &r);
    }
    ps_batch_free(&b);
    ps_dataset_free(d);
}

/* Values other than 1 (a LIBSVM file's), first met after one-hot rows: the batch
 * writes its values from then on, the earlier ones as 1, and its gradient and loss
 * are those of the rows' values. */
static void test_gradient_with_values(void)
{
    char path[] = "/tmp/pslab-test-lr-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("1 1:1 4:1\n0 2:1 3:1\n1 1:0.5 3:2.5\n0 4:-1.5\n", f);
    fclose(f);
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_load_libsvm(&d, path, 5, NULL) == PS_OK);
    unlink(path);
    ps_batch b = {0};
    build(&b, d, 0, 2);
    CU_ASSERT(b.unit_vals);
    build(&b, d, 0, 4);
    CU_ASSERT_FATAL(!b.unit_vals);
    ps_rng r;
    ps_rng_init(&r, 4, 4);
    check_gradient(&b, &r);
    /* the loss at w = 1 everywhere, computed from the file's rows by hand: margins
     * (bias included) 3, 3, 4, -0.5 */
    float w[16], g[16];
    for (int k = 0; k < 16; k++)
        w[k] = 1.0f;
    double loss, want = (log1p(exp(-3.0)) + log1p(exp(3.0)) + log1p(exp(-4.0)) + log1p(exp(-0.5))) / 4;
    CU_ASSERT_FATAL(b.n_keys <= 16);
    ps_lr_loss_grad(&b, w, 0.0, g, &loss);
    CU_ASSERT_DOUBLE_EQUAL(loss, want, 1e-9);
    ps_batch_free(&b);
    ps_dataset_free(d);
}

static void test_batch_keys_and_bias(void)
{
    ps_ctr_params p = params();
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 100, NULL) == PS_OK);
    ps_batch b = {0};
    build(&b, d, 0, 20);
    CU_ASSERT_EQUAL(b.keys[b.n_keys - 1], p.n_features); /* bias last */
    for (uint32_t k = 1; k < b.n_keys; k++)
        CU_ASSERT(b.keys[k - 1] < b.keys[k]);
    /* every nonzero maps back to its row's feature */
    ps_row_buf buf = {0};
    for (uint32_t r = 0; r < b.n_rows; r++) {
        ps_row row;
        ps_dataset_row(d, r, &row, &buf);
        CU_ASSERT_EQUAL_FATAL(b.row_ptr[r + 1] - b.row_ptr[r], row.nnz + 1);
        for (uint32_t i = 0; i < row.nnz; i++)
            CU_ASSERT_EQUAL(b.keys[b.col[b.row_ptr[r] + i]], row.idx[i]);
        CU_ASSERT_EQUAL(b.keys[b.col[b.row_ptr[r + 1] - 1]], p.n_features);
    }
    ps_row_buf_free(&buf);
    ps_batch_free(&b);
    ps_dataset_free(d);
}

/* Grouping keys (as the worker does by server) gives contiguous groups, ascending
 * within each, columns that still name each nonzero's feature, the bias followed
 * to its new place, and the same gradient per key with the bias still not
 * regularised (a nonzero l2 makes a lost bias index show). */
static void test_batch_group(void)
{
    ps_ctr_params p = params();
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 100, NULL) == PS_OK);
    ps_batch b = {0}, plain = {0};
    build(&b, d, 0, 30);
    build(&plain, d, 0, 30);
    uint32_t n = b.n_keys, groups[3], start[3], count[3];
    uint32_t *group_of = malloc(n * sizeof *group_of);
    for (uint32_t k = 0; k < n; k++) /* the bias (last) goes to group 0 */
        group_of[k] = k + 1 == n ? 0 : (uint32_t)(b.keys[k] * 7 % 3);
    for (int g = 0; g < 3; g++)
        groups[g] = 0;
    for (uint32_t k = 0; k < n; k++)
        groups[group_of[k]]++;
    CU_ASSERT_FATAL(ps_batch_group(&b, group_of, 3, start, count, NULL) == PS_OK);
    CU_ASSERT_EQUAL(start[0], 0);
    for (int g = 0; g < 3; g++) {
        CU_ASSERT_EQUAL(count[g], groups[g]);
        if (g > 0)
            CU_ASSERT_EQUAL(start[g], start[g - 1] + count[g - 1]);
        for (uint32_t i = start[g]; i < start[g] + count[g]; i++) {
            CU_ASSERT_EQUAL(g == 0 && b.keys[i] == p.n_features ? 0 : b.keys[i] * 7 % 3, (uint64_t)g);
            if (i > start[g])
                CU_ASSERT(b.keys[i - 1] < b.keys[i]);
        }
    }
    CU_ASSERT_EQUAL(b.keys[b.bias], p.n_features);
    CU_ASSERT_NOT_EQUAL(b.bias, n - 1);
    for (uint32_t i = 0; i < b.nnz; i++)
        CU_ASSERT_EQUAL(b.keys[b.col[i]], plain.keys[plain.col[i]]);
    float *w = malloc(n * sizeof *w), *wp = malloc(n * sizeof *wp), *g = malloc(n * sizeof *g),
          *gp = malloc(n * sizeof *gp);
    for (uint32_t k = 0; k < n; k++)
        wp[k] = (float)plain.keys[k] / 1000.0f - 0.2f;
    for (uint32_t k = 0; k < n; k++) /* the same weight per key in both layouts */
        for (uint32_t j = 0; j < n; j++)
            if (b.keys[k] == plain.keys[j])
                w[k] = wp[j];
    double loss, loss_p;
    ps_lr_loss_grad(&b, w, 0.5, g, &loss);
    ps_lr_loss_grad(&plain, wp, 0.5, gp, &loss_p);
    CU_ASSERT_DOUBLE_EQUAL(loss, loss_p, 1e-12);
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t j = 0; j < n; j++)
            if (b.keys[k] == plain.keys[j])
                CU_ASSERT_EQUAL(g[k], gp[j]);
    free(w);
    free(wp);
    free(g);
    free(gp);
    free(group_of);
    ps_batch_free(&b);
    ps_batch_free(&plain);
    ps_dataset_free(d);
}

static void test_zero_weights_and_flops(void)
{
    ps_ctr_params p = params();
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 100, NULL) == PS_OK);
    ps_batch b = {0};
    build(&b, d, 0, 10);
    float *w = calloc(b.n_keys, sizeof *w), *g = calloc(b.n_keys, sizeof *g);
    double loss, f10 = ps_lr_loss_grad(&b, w, 0.1, g, &loss);
    CU_ASSERT_DOUBLE_EQUAL(loss, log(2.0), 1e-12);
    CU_ASSERT(f10 > 0);
    free(w);
    free(g);
    build(&b, d, 0, 40);
    w = calloc(b.n_keys, sizeof *w);
    g = calloc(b.n_keys, sizeof *g);
    CU_ASSERT(ps_lr_loss_grad(&b, w, 0.1, g, &loss) > f10);
    free(w);
    free(g);
    ps_batch_free(&b);
    ps_dataset_free(d);
}

/* The model's evaluation and its truth, through its ops table. */
static void evaluate(const ps_dataset *train, const ps_dataset *test, const ps_ctr_params *p,
                     const float *w, double *model_metrics, double *truth_metrics)
{
    const ps_model_ops *ops = ps_model_by_name("lr");
    ps_config cfg;
    ps_config_init_defaults(&cfg);
    ps_model_env env = {.cfg = &cfg, .train = train, .test = test, .truth = p};
    ps_model *m;
    CU_ASSERT_FATAL(ops->create(&env, &m, NULL) == PS_OK);
    ps_table_view view = {.vals = w, .n = p->n_features + 1, .vpk = 1};
    ops->evaluate(m, test, &view, model_metrics);
    CU_ASSERT_FATAL(ops->truth(m, test, truth_metrics) == 1);
    ops->destroy(m);
    ps_config_free(&cfg);
}

/* Single-process SGD: the model the testbed trains can match the true model. */
static void test_sgd_reaches_true_accuracy(void)
{
    ps_ctr_params p = {.seed = 5, .n_features = 2000, .nnz = 10, .zipf = 1.1, .weight_scale = 1};
    ps_dataset *train, *test;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&train, &p, 0, 60000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&test, &p, 60000, 5000, NULL) == PS_OK);
    float *w = calloc(p.n_features + 1, sizeof *w), *local = NULL, *g = NULL;
    ps_batch b = {0};
    uint32_t cap = 0;
    for (int it = 0; it < 1875; it++) { /* one epoch, batches of 32 */
        build(&b, train, (uint64_t)it * 32, 32);
        if (b.n_keys > cap) {
            cap = b.n_keys;
            local = realloc(local, cap * sizeof *local);
            g = realloc(g, cap * sizeof *g);
        }
        for (uint32_t k = 0; k < b.n_keys; k++)
            local[k] = w[b.keys[k]];
        double loss;
        ps_lr_loss_grad(&b, local, 1e-5, g, &loss);
        for (uint32_t k = 0; k < b.n_keys; k++)
            w[b.keys[k]] -= (float)(0.5 / (1 + 0.001 * it)) * g[k];
    }
    double mm[PS_MODEL_MAX_METRICS], tm[PS_MODEL_MAX_METRICS];
    evaluate(train, test, &p, w, mm, tm);
    double loss = mm[0], acc = mm[1], tloss = tm[0], tacc = tm[1];
    printf("\n  SGD accuracy %.4f loss %.4f; true model %.4f loss %.4f\n", acc, loss, tacc, tloss);
    CU_ASSERT(acc >= tacc - 0.02);
    CU_ASSERT(tacc > 0.6); /* the labels carry signal */
    free(w);
    free(local);
    free(g);
    ps_batch_free(&b);
    ps_dataset_free(train);
    ps_dataset_free(test);
}

static CU_TestInfo tests[] = {
    {"gradient matches finite differences", test_gradient_matches_finite_differences},
    {"gradient with values other than 1", test_gradient_with_values},
    {"batch keys sorted, bias last, columns map back", test_batch_keys_and_bias},
    {"batch grouped: contiguous groups, bias followed, same gradient", test_batch_group},
    {"loss at zero is log 2; flops grow", test_zero_weights_and_flops},
    {"SGD reaches the true model's accuracy", test_sgd_reaches_true_accuracy},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"model_lr", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
