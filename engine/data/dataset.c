/* Synthetic CTR-like data, data set views and row access; see dataset.h. The
 * LIBSVM reader is in dataset_libsvm.c. */
#include "engine/data/dataset_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"

/* Normal draw that is a pure function of x (two hashed uniforms, Box-Muller). */
static double hashed_normal(uint64_t x)
{
    double u1 = ps_u64_to_unit(ps_hash64(x)), u2 = ps_u64_to_unit(ps_hash64(x ^ 0x5DEECE66Dull));
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Popular features carry most of the signal and rare ones little (their weight
 * shrinks with rank), as in click logs: a model trained on a realistic number of
 * examples can then approach the true model, which is what a testbed needs to show
 * convergence. The 3/sqrt(nnz) factor keeps margins O(weight_scale * 1.5). */
double ps_ctr_true_weight(const ps_ctr_params *p, uint32_t feature)
{
    uint64_t h = ps_hash64(p->seed ^ ((uint64_t)PS_STREAM_TRUTH << 56)) + feature;
    /* a sparse truth (for lasso): a weight is nonzero with probability density,
     * drawn from its own hash so that a dense truth keeps its weights */
    if (p->true_density > 0 && p->true_density < 1 &&
        ps_u64_to_unit(ps_hash64(h ^ 0x6A09E667F3BCC909ull)) >= p->true_density)
        return 0.0;
    double shrink = 1.0 / sqrt(1.0 + feature / 100.0);
    /* rounded to float: the label generator's table holds exactly these values */
    return (float)(p->weight_scale * 3.0 / sqrt((double)p->nnz) * shrink * hashed_normal(h));
}

double ps_ctr_true_bias(const ps_ctr_params *p)
{
    (void)p;
    return 0.0;
}

/* The continuous power law's inverse CDF on [1, n+1): increasing in u. */
static double power_law_x(const ps_dataset *d, double u)
{
    if (fabs(d->ctr.zipf - 1.0) < 1e-12)
        return exp(u * d->log_n1);
    return pow(1.0 + u * d->pow_n1, d->inv_1ma);
}

static uint32_t x_to_feature(double x, uint32_t n)
{
    double k = floor(x) - 1.0;
    return k < 0 ? 0 : k >= n ? n - 1 : (uint32_t)k;
}

uint32_t ps_synth_feature_computed(const ps_dataset *d, uint64_t x)
{
    return x_to_feature(power_law_x(d, ps_u64_to_unit(x)), d->ctr.n_features);
}

#define DRAW_TABLE_BITS 16
#define DRAW_TABLE_NONE UINT32_MAX /* the bucket spans several features: compute */

uint32_t ps_synth_feature(const ps_dataset *d, uint64_t x)
{
    uint32_t k = d->draw_table[x >> (64 - DRAW_TABLE_BITS)];
    return k != DRAW_TABLE_NONE ? k : ps_synth_feature_computed(d, x);
}

/* Row generation spent a fifth of its time in pow. The feature is a monotone
 * function of x, so where the features at both ends of a bucket of x (its top 16
 * bits) are equal, every x in it draws that feature: 69% of draws at zipf 1.1 and
 * 1M features, for a 256 KB table. The same bits as computing it, not an
 * approximation: the ends are widened by 2^-40 relative before the comparison, far
 * more than pow's and exp's error (under 1 ulp, 2^-52), so a bucket whose computed
 * values could straddle an integer is never taken as settled. */
static int draw_table_build(ps_dataset *d)
{
    size_t n = (size_t)1 << DRAW_TABLE_BITS;
    d->draw_table = malloc(n * sizeof *d->draw_table);
    if (!d->draw_table)
        return PS_ERR;
    const double widen = 0x1p-40;
    unsigned shift = 64 - DRAW_TABLE_BITS;
    for (size_t b = 0; b < n; b++) {
        uint64_t first = (uint64_t)b << shift, last = first | ((UINT64_C(1) << shift) - 1);
        double lo = power_law_x(d, ps_u64_to_unit(first)), hi = power_law_x(d, ps_u64_to_unit(last));
        if (lo > hi) {
            double t = lo;
            lo = hi;
            hi = t;
        }
        uint32_t a = x_to_feature(lo * (1.0 - widen), d->ctr.n_features),
                 z = x_to_feature(hi * (1.0 + widen), d->ctr.n_features);
        d->draw_table[b] = a == z ? a : DRAW_TABLE_NONE;
    }
    return PS_OK;
}

/* Sorts a row's draws and merges duplicates. Each draw goes straight to its rank
 * (draws below it, or equal and earlier): comparisons without branches, which the
 * compiler vectorizes. An insertion sort mispredicted about once per draw and took
 * half of row generation. */
#define SORT_RANK_MAX 64

void ps_sort_unique_u32(uint32_t *a, uint32_t *n)
{
    uint32_t m = 0;
    if (*n <= SORT_RANK_MAX) {
        uint32_t sorted[SORT_RANK_MAX];
        for (uint32_t i = 0; i < *n; i++) {
            uint32_t v = a[i], rank = 0;
            for (uint32_t j = 0; j < i; j++)
                rank += a[j] <= v;
            for (uint32_t j = i + 1; j < *n; j++)
                rank += a[j] < v;
            sorted[rank] = v;
        }
        for (uint32_t i = 0; i < *n; i++)
            if (m == 0 || a[m - 1] != sorted[i])
                a[m++] = sorted[i];
        *n = m;
        return;
    }
    for (uint32_t i = 1; i < *n; i++) { /* insertion sort: rows this long are rare */
        uint32_t v = a[i], j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
    for (uint32_t i = 0; i < *n; i++)
        if (m == 0 || a[m - 1] != a[i])
            a[m++] = a[i];
    *n = m;
}

void ps_row_buf_reserve(ps_row_buf *buf, uint32_t n)
{
    if (buf->cap >= n)
        return;
    free(buf->idx);
    free(buf->val);
    buf->idx = malloc(n * sizeof *buf->idx);
    buf->val = malloc(n * sizeof *buf->val);
    if (!buf->idx || !buf->val)
        abort(); /* a few KB: failing here means the process is already lost */
    buf->cap = n;
}

#define PS_TRUTH_TABLE_MAX (1u << 24) /* 64 MB of true weights */

static void synth_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf)
{
    uint32_t nnz = d->ctr.nnz;
    ps_row_buf_reserve(buf, nnz);
    ps_rng r;
    ps_rng_init(&r, d->ctr.seed, ((uint64_t)PS_STREAM_DATA << 56) ^ (d->first + i));
    for (uint32_t k = 0; k < nnz; k++) {
        buf->idx[k] = d->ctr.zipf == 0 ? (uint32_t)ps_rng_below(&r, d->ctr.n_features)
                                       : ps_synth_feature(d, ps_rng_u64(&r));
        /* the label's sum below reads these: start the (mostly missing) loads now,
         * so that they overlap the other draws and the sort */
        if (d->truth)
            __builtin_prefetch(&d->truth[buf->idx[k]]);
    }
    ps_sort_unique_u32(buf->idx, &nnz);
    double margin = ps_ctr_true_bias(&d->ctr);
    for (uint32_t k = 0; k < nnz; k++) {
        buf->val[k] = 1.0f;
        margin += d->truth ? d->truth[buf->idx[k]]
                           : (float)ps_ctr_true_weight(&d->ctr, buf->idx[k]); /* the same */
    }
    row->nnz = nnz;
    row->idx = buf->idx;
    row->val = buf->val;
    if (d->ctr.linear)
        row->label = (float)(margin + d->ctr.noise * ps_rng_normal(&r));
    else
        row->label = ps_rng_unit(&r) <= 1.0 / (1.0 + exp(-margin)) ? 1.0f : 0.0f;
}

int ps_dataset_synthetic(ps_dataset **out, const ps_ctr_params *p, uint64_t first, uint64_t n,
                         ps_err *err)
{
    if (p->n_features == 0 || p->nnz == 0 || !(p->zipf >= 0) || !(p->weight_scale >= 0))
        return ps_err_set(err, "synthetic data needs features > 0, nnz > 0, zipf >= 0");
    ps_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return ps_err_set(err, "out of memory");
    d->kind = PS_DATA_SYNTHETIC;
    d->ctr = *p;
    d->first = first;
    d->rows = n;
    d->n_features = p->n_features;
    double n1 = (double)p->n_features + 1.0;
    d->log_n1 = log(n1);
    d->pow_n1 = pow(n1, 1.0 - p->zipf) - 1.0;
    d->inv_1ma = 1.0 / (1.0 - p->zipf);
    /* Every label needs nnz true weights; a table (4 MB per million features,
     * shared by all simulated workers) makes that a load instead of a log and a cos.
     * Past PS_TRUTH_TABLE_MAX features they are computed as needed: the table would
     * be in every process of a real run, servers' too, and a model larger than the
     * servers' memory would need more than that for its data alone. */
    d->truth = NULL;
    if (p->n_features <= PS_TRUTH_TABLE_MAX) {
        d->truth = malloc((size_t)p->n_features * sizeof *d->truth);
        if (!d->truth) {
            free(d);
            return ps_err_set(err, "out of memory for %u true weights", p->n_features);
        }
        for (uint32_t j = 0; j < p->n_features; j++)
            d->truth[j] = (float)ps_ctr_true_weight(p, j);
    }
    if (p->zipf != 0 && draw_table_build(d)) {
        free(d->truth);
        free(d);
        return ps_err_set(err, "out of memory for the feature sampler's table");
    }
    *out = d;
    return PS_OK;
}

uint64_t ps_dataset_rows(const ps_dataset *d) { return d->rows; }
uint32_t ps_dataset_features(const ps_dataset *d) { return d->n_features; }

void ps_dataset_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf)
{
    if (d->kind == PS_DATA_VIEW) {
        ps_dataset_row(d->parent, d->map[i], row, buf);
        return;
    }
    if (d->kind == PS_DATA_SYNTHETIC) {
        synth_row(d, i, row, buf);
        return;
    }
    if (d->kind == PS_DATA_GENERATED) {
        ps_generated_row(d, i, row, buf);
        return;
    }
    if (d->kind == PS_DATA_DENSE_U8) {
        ps_dense_u8_row(d, i, row, buf);
        return;
    }
    uint64_t a = d->row_ptr[i], b = d->row_ptr[i + 1];
    row->nnz = (uint32_t)(b - a);
    row->idx = d->idx + a;
    row->val = d->val + a;
    row->label = d->label[i];
}

int ps_dataset_split(const ps_dataset *all, double test_fraction, uint64_t seed,
                     ps_dataset **train, ps_dataset **test, ps_err *err)
{
    uint64_t n = all->rows, n_test = (uint64_t)llround(test_fraction * (double)n);
    if (n_test < 1)
        n_test = 1;
    if (n < 2 || n_test >= n)
        return ps_err_set(err, "cannot split %llu rows with test fraction %g",
                          (unsigned long long)n, test_fraction);
    uint64_t *perm = malloc(n * sizeof *perm);
    ps_dataset *tr = calloc(1, sizeof *tr), *te = calloc(1, sizeof *te);
    if (!perm || !tr || !te) {
        free(perm);
        free(tr);
        free(te);
        return ps_err_set(err, "out of memory splitting %llu rows", (unsigned long long)n);
    }
    ps_rng r;
    ps_rng_init(&r, seed, PS_STREAM_SAMPLE);
    for (uint64_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        uint64_t j = ps_rng_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint64_t *train_map = malloc((n - n_test) * sizeof *train_map);
    if (!train_map) {
        free(perm);
        free(tr);
        free(te);
        return ps_err_set(err, "out of memory splitting %llu rows", (unsigned long long)n);
    }
    memcpy(train_map, perm + n_test, (n - n_test) * sizeof *train_map);
    /* the test view keeps only its own rows (80 MB for 10M rows otherwise) */
    uint64_t *test_map = realloc(perm, n_test * sizeof *test_map);
    if (test_map)
        perm = test_map;
    *te = (ps_dataset){.kind = PS_DATA_VIEW, .parent = all, .map = perm, .rows = n_test,
                       .n_features = all->n_features, .owns_map = 1, .users = all->users,
                       .items = all->items};
    *tr = (ps_dataset){.kind = PS_DATA_VIEW, .parent = all, .map = train_map,
                       .rows = n - n_test, .n_features = all->n_features, .owns_map = 1,
                       .users = all->users, .items = all->items};
    *train = tr;
    *test = te;
    return PS_OK;
}

void ps_row_buf_free(ps_row_buf *b)
{
    free(b->idx);
    free(b->val);
    memset(b, 0, sizeof *b);
}

void ps_dataset_free(ps_dataset *d)
{
    if (!d)
        return;
    if (d->owns_map)
        free(d->map);
    free(d->row_ptr);
    free(d->idx);
    free(d->val);
    free(d->label);
    free(d->truth);
    free(d->draw_table);
    for (int i = 0; i < 2; i++) {
        free(d->factors[i]);
        free(d->pop_cdf[i]);
    }
    free(d->centres);
    free(d->pixels);
    free(d);
}
