/* Mini-batch K-means (model.type = kmeans; Sculley, WWW'10): a table of
 * model.k centroids of the data's dimension and a table of their counts. Each
 * point of a batch goes to its nearest centroid; a centroid c that took m points
 * of sum s moves by (s - m c) / (n_c + W m), n_c its count so far and W the
 * workers whose moves are summed (the step 1/n per point of Sculley's algorithm,
 * for the W batches together; model.lr is not used), and its count grows by m.
 * Centroids start at training rows chosen by k-means++ (Arthur and Vassilvitskii)
 * on a sample of the training data, drawn from the seed. Metrics: the held-out
 * mean squared distance to the nearest centroid and, where rows are labelled, the
 * purity of the clusters against the labels. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"
#include "engine/models/keyset.h"
#include "engine/models/model.h"

#define KMEANS_MAX_LABELS 256 /* purity counts labels 0 .. 255 */
#define KMEANS_MAX_DIMS 4096   /* a centroid is one key: the messages' values per key */

struct ps_model {
    uint32_t k, dims;
    uint64_t seed;
    const ps_gen_params *truth;
    float *init; /* k x dims: the starting centroids */
};

typedef struct km_batch {
    uint32_t n, cap;
    float *x;           /* n x dims, dense */
    ps_keyset keys[2];  /* 0 .. k-1 of both tables, grouped by server */
    uint32_t *pos[2];   /* per centroid: its position in keys[t] */
    uint32_t *place;
    uint32_t *took;     /* per centroid: points of this batch */
    double *sum;        /* per centroid: their sum, dims values */
} km_batch;

static const ps_config_key kmeans_keys[] = {
    {"model", "k", PS_KEY_INT, "10", PS_KEY_IN(1, 100000), NULL, "clusters: the centroids"},
    {0},
};

#define KMEANS_INIT_SAMPLE 4096

static void dense_row(const ps_dataset *d, uint64_t i, uint32_t dims, float *x, ps_row_buf *buf,
                      float *label);

/* The potential (sum over rows of the squared distance to the nearest centroid)
 * if row c joined the centroids, whose distances are dist; into next. */
static double potential_with(const float *x, uint32_t n, uint32_t d, uint32_t c,
                             const double *dist, double *next)
{
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        double d2 = 0;
        for (uint32_t j = 0; j < d; j++) {
            double e = x[(size_t)i * d + j] - x[(size_t)c * d + j];
            d2 += e * e;
        }
        next[i] = d2 < dist[i] ? d2 : dist[i];
        total += next[i];
    }
    return total;
}

/* Greedy k-means++ (as scikit-learn does it) on a sample of the training rows:
 * the first centroid a row drawn uniformly; then, each time, 2 + ln k candidate
 * rows drawn with probability proportional to their squared distance to the
 * nearest centroid so far, of which the one that lowers the potential most. */
static int kmeans_plus_plus(ps_model *m, const ps_dataset *train, ps_err *err)
{
    uint64_t rows = ps_dataset_rows(train);
    uint32_t n = rows < KMEANS_INIT_SAMPLE ? (uint32_t)rows : KMEANS_INIT_SAMPLE, d = m->dims;
    float *x = malloc((size_t)n * d * sizeof *x);
    double *dist = malloc((size_t)n * sizeof *dist);
    m->init = malloc((size_t)m->k * d * sizeof *m->init);
    if (!x || !dist || !m->init || n == 0) {
        free(x);
        free(dist);
        free(m->init);
        return ps_err_set(err, n ? "out of memory for the initial centroids" : "no training rows");
    }
    ps_rng r;
    ps_rng_init(&r, m->seed, (uint64_t)PS_STREAM_INIT << 56 | 1);
    ps_row_buf buf = {0};
    for (uint32_t i = 0; i < n; i++) /* rows spread over the data set */
        dense_row(train, (uint64_t)i * rows / n, d, x + (size_t)i * d, &buf, NULL);
    ps_row_buf_free(&buf);
    for (uint32_t i = 0; i < n; i++)
        dist[i] = DBL_MAX;
    double *next = malloc((size_t)n * sizeof *next), *best_next = malloc((size_t)n * sizeof *next);
    if (!next || !best_next) {
        free(x);
        free(dist);
        free(next);
        free(best_next);
        free(m->init);
        return ps_err_set(err, "out of memory for the initial centroids");
    }
    uint32_t trials = 2 + (uint32_t)log((double)m->k);
    uint32_t pick = (uint32_t)ps_rng_below(&r, n);
    double total = potential_with(x, n, d, pick, dist, dist);
    memcpy(m->init, x + (size_t)pick * d, d * sizeof *x);
    for (uint32_t c = 1; c < m->k; c++) {
        double best = DBL_MAX;
        for (uint32_t t = 0; t < trials; t++) {
            double u = ps_rng_unit(&r) * total;
            uint32_t cand = n - 1;
            for (uint32_t i = 0; i < n && total > 0; i++)
                if ((u -= dist[i]) <= 0) {
                    cand = i;
                    break;
                }
            double pot = potential_with(x, n, d, cand, dist, next);
            if (pot < best) {
                best = pot;
                pick = cand;
                double *tmp = best_next;
                best_next = next;
                next = tmp;
            }
        }
        memcpy(m->init + (size_t)c * d, x + (size_t)pick * d, d * sizeof *x);
        memcpy(dist, best_next, (size_t)n * sizeof *dist);
        total = best;
    }
    free(next);
    free(best_next);
    free(x);
    free(dist);
    return PS_OK;
}

static int kmeans_create(const ps_model_env *env, ps_model **out, ps_err *err)
{
    uint32_t dims = ps_dataset_features(env->train);
    if (dims == 0)
        return ps_err_set(err, "model kmeans needs feature rows (not ratings)");
    if ((uint64_t)dims > KMEANS_MAX_DIMS)
        return ps_err_set(err, "model kmeans: %u dimensions; at most %u", dims,
                          KMEANS_MAX_DIMS);
    ps_model *m = calloc(1, sizeof *m);
    if (!m)
        return ps_err_set(err, "out of memory");
    m->k = (uint32_t)ps_config_module_int(env->cfg, "model", "k");
    m->dims = dims;
    m->seed = env->cfg->seed;
    m->truth = env->gen && env->gen->kind == PS_GEN_MIXTURE ? env->gen : NULL;
    if (kmeans_plus_plus(m, env->train, err)) {
        free(m);
        return PS_ERR;
    }
    *out = m;
    return PS_OK;
}

static void kmeans_destroy(ps_model *m)
{
    free(m->init);
    free(m);
}

static int kmeans_tables(const ps_model *m, ps_table_spec *out)
{
    out[0] = (ps_table_spec){.name = "centroids", .n_keys = m->k, .vals_per_key = m->dims};
    out[1] = (ps_table_spec){.name = "counts", .n_keys = m->k, .vals_per_key = 1};
    return 2;
}

/* A row as a dense vector. */
static void dense_row(const ps_dataset *d, uint64_t i, uint32_t dims, float *x, ps_row_buf *buf,
                      float *label)
{
    ps_row row;
    ps_dataset_row(d, i, &row, buf);
    memset(x, 0, dims * sizeof *x);
    for (uint32_t k = 0; k < row.nnz; k++)
        if (row.idx[k] < dims)
            x[row.idx[k]] = row.val[k];
    if (label)
        *label = row.label;
}

/* Centroids start at k-means++'s choice; counts at 0. */
static void kmeans_init_values(const ps_model *m, int table, uint64_t key, float *vals)
{
    if (table == 1)
        vals[0] = 0;
    else
        memcpy(vals, m->init + key * m->dims, m->dims * sizeof *vals);
}

static void *kmeans_batch_new(void) { return calloc(1, sizeof(km_batch)); }

static void kmeans_batch_free(void *p)
{
    km_batch *b = p;
    if (!b)
        return;
    free(b->x);
    for (int t = 0; t < 2; t++) {
        ps_keyset_free(&b->keys[t]);
        free(b->pos[t]);
    }
    free(b->place);
    free(b->took);
    free(b->sum);
    free(b);
}

static int kmeans_batch_build(const ps_model *m, void *p, const ps_dataset *d,
                              const uint64_t *rows, uint32_t n, ps_row_buf *buf, ps_err *err)
{
    km_batch *b = p;
    if (n > b->cap) {
        float *x = realloc(b->x, (size_t)n * m->dims * sizeof *x);
        if (!x)
            return ps_err_set(err, "out of memory for a batch of %u rows", n);
        b->x = x;
        b->cap = n;
    }
    if (!b->took) {
        b->took = calloc(m->k, sizeof *b->took);
        b->sum = calloc((size_t)m->k * m->dims, sizeof *b->sum);
        b->place = calloc(m->k, sizeof *b->place);
        for (int t = 0; t < 2; t++)
            b->pos[t] = calloc(m->k, sizeof *b->pos[t]);
        if (!b->took || !b->sum || !b->place || !b->pos[0] || !b->pos[1])
            return ps_err_set(err, "out of memory for %u centroids", m->k);
    }
    for (uint32_t i = 0; i < n; i++)
        dense_row(d, rows[i], m->dims, b->x + (size_t)i * m->dims, buf, NULL);
    b->n = n;
    for (int t = 0; t < 2; t++) {
        if (ps_keyset_range(&b->keys[t], m->k, err))
            return PS_ERR;
        for (uint32_t c = 0; c < m->k; c++)
            b->pos[t][c] = c;
    }
    return PS_OK;
}

static uint32_t kmeans_batch_keys(const void *p, int table, const uint64_t **keys)
{
    const km_batch *b = p;
    *keys = b->keys[table].keys;
    return b->keys[table].n;
}

static int kmeans_batch_group(void *p, int table, const uint32_t *group_of, int n_groups,
                              uint32_t *start, uint32_t *count, ps_err *err)
{
    km_batch *b = p;
    ps_keyset *s = &b->keys[table];
    if (ps_keyset_group(s, group_of, n_groups, start, count, b->place, err))
        return PS_ERR;
    for (uint32_t c = 0; c < s->n; c++) /* the key at position pos moved to place[pos] */
        b->pos[table][c] = b->place[b->pos[table][c]];
    return PS_OK;
}

/* The nearest of k centroids (centroid c at cent + pos[c] * dims, or the truth's
 * centres when cent is NULL) and the squared distance to it. */
static uint32_t nearest(const ps_model *m, const float *x, const float *cent, const uint32_t *pos,
                        double *dist)
{
    uint32_t best = 0, k = cent ? m->k : m->truth->clusters;
    double best_d = DBL_MAX;
    for (uint32_t c = 0; c < k; c++) {
        double d2 = 0;
        for (uint32_t j = 0; j < m->dims; j++) {
            double v = cent ? cent[(size_t)pos[c] * m->dims + j] : ps_gen_true_centre(m->truth, c, j);
            double e = x[j] - v;
            d2 += e * e;
        }
        if (d2 < best_d) {
            best_d = d2;
            best = c;
        }
    }
    *dist = best_d;
    return best;
}

static double kmeans_step(const ps_model *m, const void *p, const float *const *w,
                          float *const *out, const ps_step_ctx *ctx, double *loss)
{
    const km_batch *b = p;
    uint32_t d = m->dims;
    double W = ctx->workers > 0 ? ctx->workers : 1;
    memset(b->took, 0, m->k * sizeof *b->took);
    memset(b->sum, 0, (size_t)m->k * d * sizeof *b->sum);
    double total = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const float *x = b->x + (size_t)i * d;
        double dist;
        uint32_t c = nearest(m, x, w[0], b->pos[0], &dist);
        total += dist;
        b->took[c]++;
        for (uint32_t j = 0; j < d; j++)
            b->sum[(size_t)c * d + j] += x[j];
    }
    for (uint32_t c = 0; c < m->k; c++) {
        const float *cent = w[0] + (size_t)b->pos[0][c] * d;
        float *dc = out[0] + (size_t)b->pos[0][c] * d;
        double took = b->took[c], n = w[1][b->pos[1][c]] + W * took;
        for (uint32_t j = 0; j < d; j++)
            dc[j] = took ? (float)((b->sum[(size_t)c * d + j] - took * cent[j]) / n) : 0.0f;
        out[1][b->pos[1][c]] = (float)took;
    }
    *loss = b->n ? total / b->n : 0;
    return 3.0 * d * m->k * b->n + 2.0 * d * m->k;
}

/* Objective and purity of centroids cent (NULL: the true centres) on test. */
static void kmeans_measure(const ps_model *m, const ps_dataset *test, const float *cent,
                           double *out)
{
    uint32_t k = cent ? m->k : m->truth->clusters;
    uint32_t *votes = calloc((size_t)k * KMEANS_MAX_LABELS, sizeof *votes);
    uint32_t *pos = malloc(k * sizeof *pos);
    float *x = malloc(m->dims * sizeof *x);
    ps_row_buf buf = {0};
    double total = 0;
    uint64_t n = ps_dataset_rows(test), labelled = 0;
    for (uint32_t c = 0; pos && c < k; c++)
        pos[c] = c;
    for (uint64_t i = 0; votes && pos && x && i < n; i++) {
        float label;
        double dist;
        dense_row(test, i, m->dims, x, &buf, &label);
        uint32_t c = nearest(m, x, cent, pos, &dist);
        total += dist;
        if (label >= 0 && label < KMEANS_MAX_LABELS && label == floorf(label)) {
            votes[(size_t)c * KMEANS_MAX_LABELS + (uint32_t)label]++;
            labelled++;
        }
    }
    uint64_t majority = 0;
    for (uint32_t c = 0; votes && c < k; c++) {
        uint32_t best = 0;
        for (uint32_t l = 0; l < KMEANS_MAX_LABELS; l++)
            best = votes[(size_t)c * KMEANS_MAX_LABELS + l] > best
                       ? votes[(size_t)c * KMEANS_MAX_LABELS + l] : best;
        majority += best;
    }
    out[0] = n ? total / (double)n : 0;
    out[1] = labelled ? (double)majority / (double)labelled : 0;
    ps_row_buf_free(&buf);
    free(votes);
    free(pos);
    free(x);
}

static void kmeans_evaluate(const ps_model *m, const ps_dataset *test, const ps_table_view *w,
                            double *out)
{
    kmeans_measure(m, test, w[0].vals, out); /* every centroid: no eval_keys */
}

static int kmeans_truth(const ps_model *m, const ps_dataset *test, double *out)
{
    if (!m->truth)
        return 0;
    kmeans_measure(m, test, NULL, out);
    return 1;
}

static const char *const *kmeans_metrics(const ps_model *m)
{
    (void)m;
    static const char *const names[] = {"objective", "purity", NULL};
    return names;
}

const ps_model_ops ps_model_kmeans = {
    .name = "kmeans",
    .doc = "mini-batch K-means: centroids and their counts, each point a 1/n step",
    .keys = kmeans_keys,
    .create = kmeans_create,
    .destroy = kmeans_destroy,
    .tables = kmeans_tables,
    .batch_new = kmeans_batch_new,
    .batch_free = kmeans_batch_free,
    .batch_build = kmeans_batch_build,
    .batch_keys = kmeans_batch_keys,
    .batch_group = kmeans_batch_group,
    .step = kmeans_step,
    .init_values = kmeans_init_values,
    .metrics = kmeans_metrics,
    .evaluate = kmeans_evaluate,
    .truth = kmeans_truth,
};
