/* The parts the linear models share; see linear.h. */
#include "engine/models/linear.h"

#include <stdlib.h>

int ps_linear_create(const ps_model_env *env, int rule, double l1, ps_model **out, ps_err *err)
{
    if (env->gen && env->gen->kind == PS_GEN_RATINGS)
        return ps_err_set(err, "a linear model needs labelled feature rows, not ratings "
                          "(data.generator = ratings is for model.type = mf)");
    if (env->gen && env->gen->kind == PS_GEN_MIXTURE && env->gen->clusters != 2)
        return ps_err_set(err, "a linear model needs 0/1 labels; data.generator = mixture "
                          "labels rows with %u clusters (set data.clusters = 2)",
                          env->gen->clusters);
    ps_model *m = calloc(1, sizeof *m);
    if (!m)
        return ps_err_set(err, "out of memory");
    m->n_features = ps_dataset_features(env->train);
    m->l2 = env->cfg->l2;
    m->l1 = l1;
    m->rule = rule;
    m->truth = env->truth;
    m->gen = env->gen && env->gen->kind == PS_GEN_DENSE ? env->gen : NULL;
    *out = m;
    return PS_OK;
}

void ps_linear_destroy(ps_model *m) { free(m); }

int ps_linear_tables(const ps_model *m, ps_table_spec *out)
{
    out[0] = (ps_table_spec){.name = "weights", .n_keys = (uint64_t)m->n_features + 1,
                             .vals_per_key = 1, .rule = m->rule};
    return 1;
}

void *ps_linear_batch_new(void) { return calloc(1, sizeof(ps_batch)); }

/* A worker frees its batches when its last build is done, so the thread's sort
 * space goes too (a later build makes it again). */
void ps_linear_batch_free(void *b)
{
    if (b)
        ps_batch_free(b);
    free(b);
    ps_batch_release_sort_space();
}

int ps_linear_batch_build(const ps_model *m, void *b, const ps_dataset *d, const uint64_t *rows,
                          uint32_t n, ps_row_buf *buf, ps_err *err)
{
    (void)m;
    return ps_batch_build(b, d, rows, n, buf, err);
}

uint32_t ps_linear_batch_keys(const void *b, int table, const uint64_t **keys)
{
    (void)table; /* one table */
    const ps_batch *sb = b;
    *keys = sb->keys;
    return sb->n_keys;
}

int ps_linear_batch_group(void *b, int table, const uint32_t *group_of, int n_groups,
                          uint32_t *start, uint32_t *count, ps_err *err)
{
    (void)table;
    return ps_batch_group(b, group_of, n_groups, start, count, err);
}

/* A weight of the view, 0 where it holds none (features beyond the model's). */
static double view_weight(const ps_table_view *w, uint64_t key)
{
    if (!w->keys) /* the whole table: a load, as training does */
        return key < w->n ? (double)w->vals[key] : 0.0;
    const float *v = ps_table_value(w, key);
    return v ? (double)*v : 0.0;
}

void ps_linear_margins(const ps_model *m, const ps_dataset *d, const ps_table_view *w,
                       void (*fn)(double margin, float label, void *ctx), void *ctx)
{
    ps_row_buf buf = {0};
    uint64_t n = ps_dataset_rows(d);
    uint32_t nf = m->n_features;
    for (uint64_t i = 0; i < n; i++) {
        ps_row row;
        ps_dataset_row(d, i, &row, &buf);
        double margin = w ? view_weight(w, nf) : m->truth ? ps_ctr_true_bias(m->truth) : 0.0;
        for (uint32_t k = 0; k < row.nnz; k++) {
            uint32_t j = row.idx[k];
            double wj = w ? (j < nf ? view_weight(w, j) : 0.0)
                          : m->truth ? ps_ctr_true_weight(m->truth, j) : ps_gen_true_weight(m->gen, j);
            margin += wj * row.val[k];
        }
        fn(margin, row.label, ctx);
    }
    ps_row_buf_free(&buf);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and merges keys[0..*n) in place. */
static void sort_distinct(uint64_t *keys, uint64_t *n)
{
    qsort(keys, *n, sizeof *keys, cmp_u64);
    uint64_t m = 0;
    for (uint64_t i = 0; i < *n; i++)
        if (m == 0 || keys[m - 1] != keys[i])
            keys[m++] = keys[i];
    *n = m;
}

int ps_linear_eval_keys(const ps_model *m, const ps_dataset *d, int t, uint64_t **keys,
                        uint64_t *n, ps_err *err)
{
    uint64_t cap = 1024, got = 0;
    uint64_t *k = t == 0 ? malloc(cap * sizeof *k) : NULL;
    if (t == 0 && !k)
        return ps_err_set(err, "out of memory for the evaluation's keys");
    ps_row_buf buf = {0};
    for (uint64_t i = 0; t == 0 && i <= ps_dataset_rows(d); i++) {
        ps_row row = {.nnz = 0};
        if (i < ps_dataset_rows(d))
            ps_dataset_row(d, i, &row, &buf);
        if (got + row.nnz + 1 > cap) {
            cap = 2 * (got + row.nnz + 1);
            uint64_t *q = realloc(k, cap * sizeof *q);
            if (!q) {
                free(k);
                ps_row_buf_free(&buf);
                return ps_err_set(err, "out of memory for the evaluation's keys");
            }
            k = q;
        }
        for (uint32_t j = 0; j < row.nnz; j++)
            if (row.idx[j] < m->n_features)
                k[got++] = row.idx[j];
        if (i == ps_dataset_rows(d))
            k[got++] = m->n_features; /* the bias */
        if (got > cap / 2) /* merge as we go: memory stays the distinct keys' */
            sort_distinct(k, &got);
    }
    ps_row_buf_free(&buf);
    if (k)
        sort_distinct(k, &got);
    *keys = k;
    *n = got;
    return PS_OK;
}

double ps_linear_l2(const ps_batch *b, const float *w, double l2, float *grad)
{
    double reg = 0;
    for (uint32_t k = 0; k < b->n_keys; k++) {
        if (k == b->bias)
            continue; /* the bias is not regularised */
        reg += (double)w[k] * w[k];
        grad[k] += (float)(l2 * w[k]);
    }
    return 0.5 * l2 * reg;
}

void ps_linear_sgd_deltas(const ps_batch *b, double rate, float *g)
{
    float lr = (float)rate;
    for (uint32_t k = 0; k < b->n_keys; k++)
        g[k] = -lr * g[k];
}
