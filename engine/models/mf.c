/* Low-rank matrix factorisation (model.type = mf): a rating r_ui is predicted as
 * mean + p_u . q_i, with a user table and an item table whose keys hold a factor
 * vector of model.rank values, started uniform in +-model.init_scale (they cannot
 * start at zero: the gradient of p_u is zero while q_i is). SGD on the observed
 * ratings with L2 (model.l2): the step is the rate times the gradient summed over
 * the batch's ratings, each rating a step as in per-rating SGD. Metric: held-out
 * RMSE (and the training batches' mean loss in workers.csv). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"
#include "engine/models/keyset.h"
#include "engine/models/model.h"

struct ps_model {
    uint32_t users, items, rank;
    double l2, init_scale, mean;
    uint64_t seed;
    const ps_gen_params *truth;
};

typedef struct mf_batch {
    uint32_t n, cap;
    uint32_t *ref[2]; /* per rating: position of its user, of its item, in keys[] */
    float *rating;
    ps_keyset keys[2];
    uint32_t *place;
    uint32_t cap_place;
} mf_batch;

static const ps_config_key mf_keys[] = {
    {"model", "rank", PS_KEY_INT, "16", PS_KEY_IN(1, 4096), NULL,
     "the factor vectors' length: each user and item key holds rank values"},
    {"model", "init_scale", PS_KEY_DOUBLE, "0.1", PS_KEY_POS_TO(100), NULL,
     "initial factors are drawn uniform in +-init_scale from the seed"},
    {0},
};

/* The mean rating of the training data: the predictions' offset. */
static double mean_rating(const ps_dataset *d)
{
    ps_row_buf buf = {0};
    double sum = 0;
    uint64_t n = ps_dataset_rows(d);
    for (uint64_t i = 0; i < n; i++) {
        ps_row row;
        ps_dataset_row(d, i, &row, &buf);
        sum += row.label;
    }
    ps_row_buf_free(&buf);
    return n ? sum / (double)n : 0;
}

static int mf_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    uint32_t users, items;
    ps_dataset_ratings_dims(env->train, &users, &items);
    if (!users || !items)
        return ps_err_set(err, "model mf needs ratings data (data.source = movielens, or "
                          "synthetic with data.generator = ratings)");
    ps_model *m = calloc(1, sizeof *m);
    if (!m)
        return ps_err_set(err, "out of memory");
    m->users = users;
    m->items = items;
    m->rank = (uint32_t)ps_config_module_int(env->cfg, "model", "rank");
    m->init_scale = ps_config_module_double(env->cfg, "model", "init_scale");
    m->l2 = env->cfg->l2;
    m->seed = env->cfg->seed;
    m->truth = env->gen && env->gen->kind == PS_GEN_RATINGS ? env->gen : NULL;
    m->mean = m->truth ? m->truth->mean : mean_rating(env->train);
    *out = m;
    return PS_OK;
}

static void mf_destroy(ps_model *m) { free(m); }

static int mf_tables(const ps_model *m, ps_table_spec *out)
{
    out[0] = (ps_table_spec){.name = "users", .n_keys = m->users, .vals_per_key = m->rank};
    out[1] = (ps_table_spec){.name = "items", .n_keys = m->items, .vals_per_key = m->rank};
    return 2;
}

static void mf_init_values(const ps_model *m, int table, uint64_t key, float *vals)
{
    uint64_t h = ps_hash64(m->seed ^ ((uint64_t)PS_STREAM_INIT << 56) ^ (uint64_t)table << 48) +
                 key * m->rank;
    for (uint32_t j = 0; j < m->rank; j++)
        vals[j] = (float)(m->init_scale * (2.0 * ps_u64_to_unit(ps_hash64(h + j)) - 1.0));
}

static void *mf_batch_new(void) { return calloc(1, sizeof(mf_batch)); }

static void mf_batch_free(void *p)
{
    mf_batch *b = p;
    if (!b)
        return;
    for (int t = 0; t < 2; t++) {
        free(b->ref[t]);
        ps_keyset_free(&b->keys[t]);
    }
    free(b->rating);
    free(b->place);
    free(b);
}

static int mf_batch_build(const ps_model *m, void *p, const ps_dataset *d, const uint64_t *rows,
                          uint32_t n, ps_row_buf *buf, ps_err *err)
{
    mf_batch *b = p;
    if (n > b->cap) {
        for (int t = 0; t < 2; t++) {
            uint32_t *r = realloc(b->ref[t], n * sizeof *r);
            if (!r)
                return ps_err_set(err, "out of memory for a batch");
            b->ref[t] = r;
        }
        float *r = realloc(b->rating, n * sizeof *r);
        if (!r)
            return ps_err_set(err, "out of memory for a batch");
        b->rating = r;
        b->cap = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        ps_row row;
        ps_dataset_row(d, rows[i], &row, buf);
        if (row.nnz != 2 || row.idx[0] >= m->users || row.idx[1] >= m->items)
            return ps_err_set(err, "row %llu is not a rating of a known user and item",
                              (unsigned long long)rows[i]);
        b->ref[0][i] = row.idx[0];
        b->ref[1][i] = row.idx[1];
        b->rating[i] = row.label;
    }
    b->n = n;
    return ps_keyset_build(&b->keys[0], b->ref[0], n, err) ||
                   ps_keyset_build(&b->keys[1], b->ref[1], n, err)
               ? PS_ERR
               : PS_OK;
}

static uint32_t mf_batch_keys(const void *p, int table, const uint64_t **keys)
{
    const mf_batch *b = p;
    *keys = b->keys[table].keys;
    return b->keys[table].n;
}

static int mf_batch_group(void *p, int table, const uint32_t *group_of, int n_groups,
                          uint32_t *start, uint32_t *count, ps_err *err)
{
    mf_batch *b = p;
    ps_keyset *s = &b->keys[table];
    if (s->n > b->cap_place) {
        uint32_t *q = realloc(b->place, s->n * sizeof *q);
        if (!q)
            return ps_err_set(err, "out of memory grouping %u keys", s->n);
        b->place = q;
        b->cap_place = s->n;
    }
    if (ps_keyset_group(s, group_of, n_groups, start, count, b->place, err))
        return PS_ERR;
    for (uint32_t i = 0; i < b->n; i++)
        b->ref[table][i] = b->place[b->ref[table][i]];
    return PS_OK;
}

static double mf_step(const ps_model *m, const void *p, const float *const *w, float *const *out,
                      const ps_step_ctx *ctx, double *loss)
{
    const mf_batch *b = p;
    uint32_t k = m->rank;
    float lr = (float)ctx->rate;
    memset(out[0], 0, (size_t)b->keys[0].n * k * sizeof(float));
    memset(out[1], 0, (size_t)b->keys[1].n * k * sizeof(float));
    double total = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const float *pu = w[0] + (size_t)b->ref[0][i] * k, *qi = w[1] + (size_t)b->ref[1][i] * k;
        float *du = out[0] + (size_t)b->ref[0][i] * k, *di = out[1] + (size_t)b->ref[1][i] * k;
        double dot = 0, reg = 0;
        for (uint32_t j = 0; j < k; j++) {
            dot += (double)pu[j] * qi[j];
            reg += (double)pu[j] * pu[j] + (double)qi[j] * qi[j];
        }
        double e = b->rating[i] - (m->mean + dot);
        total += 0.5 * e * e + 0.5 * m->l2 * reg;
        float fe = (float)e, l2 = (float)m->l2;
        for (uint32_t j = 0; j < k; j++) {
            du[j] += lr * (fe * qi[j] - l2 * pu[j]);
            di[j] += lr * (fe * pu[j] - l2 * qi[j]);
        }
    }
    *loss = b->n ? total / b->n : 0;
    return 12.0 * k * b->n;
}

/* w NULL: the true factors of truth */
static double mf_rmse(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                      const ps_gen_params *truth)
{
    ps_row_buf buf = {0};
    double sq = 0;
    uint64_t n = ps_dataset_rows(test), counted = 0;
    for (uint64_t i = 0; i < n; i++) {
        ps_row row;
        ps_dataset_row(test, i, &row, &buf);
        if (row.nnz != 2 || row.idx[0] >= m->users || row.idx[1] >= m->items)
            continue;
        double dot = 0;
        const float *pu = w ? ps_table_value(&w[0], row.idx[0]) : NULL;
        const float *qi = w ? ps_table_value(&w[1], row.idx[1]) : NULL;
        if (w && (!pu || !qi))
            continue; /* not in the view: cannot happen with eval_keys' keys */
        for (uint32_t j = 0; j < m->rank; j++)
            dot += w ? (double)pu[j] * qi[j]
                     : ps_gen_true_factor(truth, 0, row.idx[0], j) *
                           ps_gen_true_factor(truth, 1, row.idx[1], j);
        double e = row.label - (m->mean + dot);
        sq += e * e;
        counted++;
    }
    ps_row_buf_free(&buf);
    return counted ? sqrt(sq / (double)counted) : 0;
}

static void mf_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                        double *out)
{
    out[0] = mf_rmse(m, test, w, NULL);
}

/* The true factors' RMSE is the noise's level (when the true rank is at most the
 * model's, the best any model can do). */
static int mf_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    if (!m->truth)
        return 0;
    ps_model tm = *m;
    tm.rank = m->truth->rank;
    out[0] = mf_rmse(&tm, test, NULL, m->truth);
    return 1;
}

/* The users (table 0) or items (1) the test ratings name. */
static int mf_eval_keys(const ps_model *m, const ps_dataset *test, int t, uint64_t **keys,
                        uint64_t *n, ps_err *err)
{
    uint64_t limit = t == 0 ? m->users : m->items;
    uint8_t *seen = calloc(limit, 1); /* a byte per key: 1 MB at a million users */
    if (!seen)
        return ps_err_set(err, "out of memory for the evaluation's keys");
    ps_row_buf buf = {0};
    uint64_t count = 0;
    for (uint64_t i = 0; i < ps_dataset_rows(test); i++) {
        ps_row row;
        ps_dataset_row(test, i, &row, &buf);
        if (row.nnz == 2 && row.idx[t] < limit && !seen[row.idx[t]]++)
            count++;
    }
    ps_row_buf_free(&buf);
    *keys = malloc((count ? count : 1) * sizeof **keys);
    if (!*keys) {
        free(seen);
        return ps_err_set(err, "out of memory for the evaluation's keys");
    }
    *n = 0;
    for (uint64_t k = 0; k < limit; k++)
        if (seen[k])
            (*keys)[(*n)++] = k;
    free(seen);
    return PS_OK;
}

static const char *const *mf_metrics(const ps_model *m)
{
    (void)m;
    static const char *const names[] = {"rmse", NULL};
    return names;
}

const ps_model_ops ps_model_mf = {
    .name = "mf",
    .doc = "low-rank matrix factorisation: user and item tables of rank-k factors, SGD "
           "on ratings with L2",
    .keys = mf_keys,
    .create = mf_create,
    .destroy = mf_destroy,
    .tables = mf_tables,
    .batch_new = mf_batch_new,
    .batch_free = mf_batch_free,
    .batch_build = mf_batch_build,
    .batch_keys = mf_batch_keys,
    .batch_group = mf_batch_group,
    .step = mf_step,
    .init_values = mf_init_values,
    .metrics = mf_metrics,
    .evaluate = mf_evaluate,
    .eval_keys = mf_eval_keys,
    .truth = mf_truth,
};
