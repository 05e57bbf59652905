/* Sparse classification data sets: a synthetic CTR-like generator whose rows are
 * pure functions of (seed, row index) — nothing is stored, so a thousand simulated
 * workers cost no memory — and a LIBSVM text reader. Rows have 0-based feature
 * indices, ascending, float values and a 0/1 label. */
#ifndef PS_DATASET_H
#define PS_DATASET_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_row {
    uint32_t nnz;
    const uint32_t *idx;
    const float *val;
    float label;
} ps_row;

/* Scratch space for generated rows, owned by the caller and reused. */
typedef struct ps_row_buf {
    uint32_t cap;
    uint32_t *idx;
    float *val;
} ps_row_buf;

typedef struct ps_ctr_params {
    uint64_t seed;
    uint32_t n_features;
    uint32_t nnz;          /* feature draws per example (duplicates merge) */
    double zipf;           /* power-law exponent of feature popularity; 0 = uniform */
    double weight_scale;   /* scale of the true weights */
    double true_density;   /* share of features with a nonzero true weight (0 = 1: all) */
    int linear;            /* labels: 0 = Bernoulli of the logistic margin (0/1);
                            * 1 = the margin plus Gaussian noise (regression) */
    double noise;          /* linear: the noise's standard deviation */
} ps_ctr_params;

/* The other generators with known truth (generators.c): rows are pure functions
 * of (seed, row index), as the CTR generator's. */
enum ps_gen_kind {
    PS_GEN_RATINGS = 1, /* (user, item) rows labelled mean + p_u . q_i + noise, with
                         * power-law user and item popularity: low-rank MF data */
    PS_GEN_MIXTURE = 2, /* dense rows drawn from one of `clusters` Gaussians (unit
                         * variance, centres N(0, spread^2)); the label is the cluster */
    PS_GEN_DENSE = 3,   /* dense rows x ~ N(0, 1), labels 0/1 Bernoulli of the
                         * logistic margin of true weights N(0, weight_scale^2 / dims) */
};

typedef struct ps_gen_params {
    int kind;               /* enum ps_gen_kind */
    uint64_t seed;
    uint32_t users, items, rank; /* ratings */
    double zipf, noise, mean;    /* ratings: popularity skew, noise sd, global mean */
    uint32_t dims, clusters;     /* mixture, dense */
    double spread, weight_scale;
} ps_gen_params;

typedef struct ps_dataset ps_dataset;

/* Rows [first, first+n) of the generated data set of p. A ratings row has nnz 2:
 * idx = {user, item}, values 1, label the rating; a dense row has nnz = dims. */
int ps_dataset_generated(ps_dataset **out, const ps_gen_params *p, uint64_t first, uint64_t n,
                         ps_err *err);
/* Bytes that the truth of one data set of p takes (ps_dataset_generated builds it
 * for each set): true factors and popularity tables, or centres / weights. */
uint64_t ps_gen_truth_bytes(const ps_gen_params *p);
/* The generators' truth: user (side 0) or item (side 1) factor j; centre c's
 * coordinate j; the dense generator's weight j. */
double ps_gen_true_factor(const ps_gen_params *p, int side, uint32_t id, uint32_t j);
double ps_gen_true_centre(const ps_gen_params *p, uint32_t c, uint32_t j);
double ps_gen_true_weight(const ps_gen_params *p, uint32_t j);
/* Ratings data (generated or read): users and items, ids 0 .. n-1; 0 for others. */
void ps_dataset_ratings_dims(const ps_dataset *d, uint32_t *users, uint32_t *items);

/* Rows [first, first+n) of the synthetic data set of p. */
int ps_dataset_synthetic(ps_dataset **out, const ps_ctr_params *p, uint64_t first, uint64_t n,
                         ps_err *err);
/* LIBSVM text ("label idx:val ...", 1-based ascending indices, labels -1/+1 or 0/1).
 * n_features 0 infers it from the largest index; otherwise larger indices are errors. */
int ps_dataset_load_libsvm(ps_dataset **out, const char *path, uint32_t n_features, ps_err *err);
/* Seeded, deterministic split into disjoint train/test views over all's rows. The
 * views borrow all's storage: free them before all. */
int ps_dataset_split(const ps_dataset *all, double test_fraction, uint64_t seed,
                     ps_dataset **train, ps_dataset **test, ps_err *err);

uint64_t ps_dataset_rows(const ps_dataset *d);
uint32_t ps_dataset_features(const ps_dataset *d);
/* Row i (< rows); generated rows are written into buf, stored rows are not copied. */
void ps_dataset_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf);
void ps_row_buf_free(ps_row_buf *b);
void ps_dataset_free(ps_dataset *d);

/* The synthetic data's true model: pure functions of the seed. */
double ps_ctr_true_weight(const ps_ctr_params *p, uint32_t feature);
double ps_ctr_true_bias(const ps_ctr_params *p);

#endif
