/* The data set structure, shared by dataset.c and dataset_libsvm.c only. */
#ifndef PS_DATASET_IMPL_H
#define PS_DATASET_IMPL_H

#include "engine/data/dataset.h"

enum { PS_DATA_SYNTHETIC = 1, PS_DATA_STORED = 2, PS_DATA_VIEW = 3, PS_DATA_GENERATED = 4,
       PS_DATA_DENSE_U8 = 5 };

struct ps_dataset {
    int kind;
    uint64_t rows;
    uint32_t n_features;
    /* synthetic */
    ps_ctr_params ctr;
    uint64_t first;
    double log_n1, pow_n1, inv_1ma; /* power-law sampling constants */
    uint32_t *draw_table;           /* power law: see ps_synth_feature */
    float *truth;                   /* true weights, computed once (labels need them) */
    /* stored (CSR) */
    uint64_t *row_ptr;
    uint32_t *idx;
    float *val, *label;
    /* generated (generators.c): the generator and its truth, computed once */
    ps_gen_params gen;
    float *factors[2];              /* ratings: true user and item factors */
    double *pop_cdf[2];             /* ratings: user and item popularity CDFs */
    float *centres;                 /* mixture: clusters x dims; dense: the weights */
    /* ratings read from a file: the dense id ranges */
    uint32_t users, items;
    /* dense u8 (IDX images): rows x n_features bytes, scaled by 1/255 */
    uint8_t *pixels;
    /* view: row i is parent's row map[i] */
    const ps_dataset *parent;
    uint64_t *map;
    int owns_map;
};

/* The feature that a synthetic row draws from the 64-bit random number x: the
 * power law's inverse CDF at u = ps_u64_to_unit(x), looked up in draw_table where
 * x's top 16 bits settle it and computed otherwise (ps_synth_feature_computed). */
uint32_t ps_synth_feature(const ps_dataset *d, uint64_t x);
uint32_t ps_synth_feature_computed(const ps_dataset *d, uint64_t x);
/* Sorts a[0..*n) ascending and merges equal values, leaving *n distinct ones. */
void ps_sort_unique_u32(uint32_t *a, uint32_t *n);
/* Row i of a generated or dense u8 data set (generators.c). */
void ps_generated_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf);
void ps_dense_u8_row(const ps_dataset *d, uint64_t i, ps_row *row, ps_row_buf *buf);
/* Room for n values in buf (rows built on the fly). */
void ps_row_buf_reserve(ps_row_buf *buf, uint32_t n);

#endif
