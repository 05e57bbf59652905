/* The generators other than the CTR one (dataset.c), each with a known truth:
 * low-rank ratings with power-law popularity, a Gaussian mixture, and dense
 * logistic classification; and rows of dense u8 images (the IDX reader's). Rows
 * are pure functions of (seed, row index); the truth is computed once per data
 * set, a few MB at the sizes the examples use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/rng.h"
#include "engine/data/dataset_impl.h"

/* Normal draw that is a pure function of x (two hashed uniforms, Box-Muller). */
static double hashed_normal(uint64_t x)
{
    double u1 = ps_u64_to_unit(ps_hash64(x)), u2 = ps_u64_to_unit(ps_hash64(x ^ 0x5DEECE66Dull));
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static uint64_t truth_hash(const ps_gen_params *p, uint64_t what, uint64_t a, uint64_t b)
{
    return ps_hash64(ps_hash64(p->seed ^ ((uint64_t)PS_STREAM_TRUTH << 56) ^ what) + a) ^
           ps_hash64(b * 0x9E3779B97F4A7C15ull + 1);
}

/* Factors N(0, 1/sqrt(rank)) per value, so that p . q has unit variance. */
double ps_gen_true_factor(const ps_gen_params *p, int side, uint32_t id, uint32_t j)
{
    return hashed_normal(truth_hash(p, 1 + (uint64_t)side, id, j)) / sqrt(sqrt((double)p->rank));
}

double ps_gen_true_centre(const ps_gen_params *p, uint32_t c, uint32_t j)
{
    return p->spread * hashed_normal(truth_hash(p, 3, c, j));
}

double ps_gen_true_weight(const ps_gen_params *p, uint32_t j)
{
    return p->weight_scale / sqrt((double)p->dims) * 3.0 * hashed_normal(truth_hash(p, 4, j, 0));
}

/* Popularity of ids 0 .. n-1 falling as (id + 1)^-zipf: the CDF, searched with a
 * uniform draw. */
static double *popularity_cdf(uint32_t n, double zipf)
{
    double *cdf = malloc((size_t)n * sizeof *cdf), sum = 0;
    if (!cdf)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        cdf[i] = sum += pow(i + 1.0, -zipf);
    for (uint32_t i = 0; i < n; i++)
        cdf[i] /= sum;
    return cdf;
}

static uint32_t draw_popular(const double *cdf, uint32_t n, double u)
{
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int gen_truth(ps_dataset *d, ps_err *err)
{
    const ps_gen_params *p = &d->gen;
    if (p->kind == PS_GEN_RATINGS) {
        uint32_t n[2] = {p->users, p->items};
        for (int side = 0; side < 2; side++) {
            d->pop_cdf[side] = popularity_cdf(n[side], p->zipf);
            d->factors[side] = malloc((size_t)n[side] * p->rank * sizeof(float));
            if (!d->pop_cdf[side] || !d->factors[side])
                return ps_err_set(err, "out of memory for %u true factors", n[side]);
            for (uint32_t i = 0; i < n[side]; i++)
                for (uint32_t j = 0; j < p->rank; j++)
                    d->factors[side][(size_t)i * p->rank + j] =
                        (float)ps_gen_true_factor(p, side, i, j);
        }
        return PS_OK;
    }
    uint32_t rows = p->kind == PS_GEN_MIXTURE ? p->clusters : 1;
    d->centres = malloc((size_t)rows * p->dims * sizeof *d->centres);
    if (!d->centres)
        return ps_err_set(err, "out of memory for the true model");
    for (uint32_t c = 0; c < rows; c++)
        for (uint32_t j = 0; j < p->dims; j++)
            d->centres[(size_t)c * p->dims + j] = (float)(p->kind == PS_GEN_MIXTURE
                                                              ? ps_gen_true_centre(p, c, j)
                                                              : ps_gen_true_weight(p, j));
    return PS_OK;
}

uint64_t ps_gen_truth_bytes(const ps_gen_params *p)
{
    if (p->kind == PS_GEN_RATINGS)
        return ((uint64_t)p->users + p->items) * ((uint64_t)p->rank * sizeof(float) + sizeof(double));
    uint64_t rows = p->kind == PS_GEN_MIXTURE ? p->clusters : 1;
    return rows * p->dims * sizeof(float);
}

int ps_dataset_generated(ps_dataset **out, const ps_gen_params *p, uint64_t first, uint64_t n,
                         ps_err *err)
{
    int ratings = p->kind == PS_GEN_RATINGS;
    if (ratings ? !p->users || !p->items || !p->rank || !(p->zipf >= 0) || !(p->noise >= 0)
                : (p->kind != PS_GEN_MIXTURE && p->kind != PS_GEN_DENSE) || !p->dims ||
                      (p->kind == PS_GEN_MIXTURE && !p->clusters))
        return ps_err_set(err, "generator %d: sizes must be positive", p->kind);
    ps_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return ps_err_set(err, "out of memory");
    *d = (ps_dataset){.kind = PS_DATA_GENERATED, .gen = *p, .first = first, .rows = n,
                      .n_features = ratings ? 0 : p->dims};
    if (ratings) {
        d->users = p->users;
        d->items = p->items;
    }
    if (gen_truth(d, err)) {
        ps_dataset_free(d);
        return PS_ERR;
    }
    *out = d;
    return PS_OK;
}

static void ratings_row(const ps_dataset *d, ps_rng *r, ps_row *row, ps_row_buf *buf)
{
    const ps_gen_params *p = &d->gen;
    uint32_t u = draw_popular(d->pop_cdf[0], p->users, ps_rng_unit(r));
    uint32_t i = draw_popular(d->pop_cdf[1], p->items, ps_rng_unit(r));
    const float *pu = d->factors[0] + (size_t)u * p->rank, *qi = d->factors[1] + (size_t)i * p->rank;
    double dot = 0;
    for (uint32_t j = 0; j < p->rank; j++)
        dot += (double)pu[j] * qi[j];
    buf->idx[0] = u;
    buf->idx[1] = i;
    buf->val[0] = buf->val[1] = 1.0f;
    row->nnz = 2;
    row->label = (float)(p->mean + dot + p->noise * ps_rng_normal(r));
}

static void dense_row(const ps_dataset *d, ps_rng *r, ps_row *row, ps_row_buf *buf)
{
    const ps_gen_params *p = &d->gen;
    double margin = 0;
    uint32_t c = p->kind == PS_GEN_MIXTURE ? (uint32_t)ps_rng_below(r, p->clusters) : 0;
    for (uint32_t j = 0; j < p->dims; j++) {
        double x = ps_rng_normal(r);
        buf->idx[j] = j;
        if (p->kind == PS_GEN_MIXTURE) {
            buf->val[j] = (float)(d->centres[(size_t)c * p->dims + j] + x);
        } else {
            buf->val[j] = (float)x;
            margin += d->centres[j] * (double)buf->val[j];
        }
    }
    row->nnz = p->dims;
    row->label = p->kind == PS_GEN_MIXTURE ? (float)c
                                           : ps_rng_unit(r) <= 1.0 / (1.0 + exp(-margin)) ? 1.0f
                                                                                         : 0.0f;
}

void ps_generated_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf)
{
    ps_row_buf_reserve(buf, d->gen.kind == PS_GEN_RATINGS ? 2 : d->gen.dims);
    ps_rng r;
    ps_rng_init(&r, d->gen.seed, ((uint64_t)PS_STREAM_DATA << 56) ^ (d->first + i));
    if (d->gen.kind == PS_GEN_RATINGS)
        ratings_row(d, &r, row, buf);
    else
        dense_row(d, &r, row, buf);
    row->idx = buf->idx;
    row->val = buf->val;
}

void ps_dense_u8_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf)
{
    uint32_t n = d->n_features;
    ps_row_buf_reserve(buf, n);
    const uint8_t *px = d->pixels + i * n;
    for (uint32_t j = 0; j < n; j++) {
        buf->idx[j] = j;
        buf->val[j] = px[j] * (1.0f / 255.0f);
    }
    row->nnz = n;
    row->idx = buf->idx;
    row->val = buf->val;
    row->label = d->label[i];
}

void ps_dataset_ratings_dims(const ps_dataset *d, uint32_t *users, uint32_t *items)
{
    *users = d->users;
    *items = d->items;
}
