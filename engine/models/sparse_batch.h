/* A mini-batch of sparse rows, the batch of the linear models (lr, svm, lasso):
 * feature j is key j and the bias is key n_features, and the batch is compacted
 * onto its unique keys so that a step touches only what it pulled. */
#ifndef PS_SPARSE_BATCH_H
#define PS_SPARSE_BATCH_H

#include <stdint.h>

#include "engine/data/dataset.h"

typedef struct ps_batch {
    uint32_t n_rows, n_keys, nnz;
    uint32_t cap_rows, cap_nnz, cap_keys;
    uint32_t *row_ptr;   /* n_rows+1 */
    uint32_t *col;       /* local key index per nonzero (the bias is one per row) */
    float *val, *label;  /* val: written only once a value is not 1 (unit_vals 0) */
    int unit_vals;       /* every value is 1, as in one-hot data: val is not used */
    uint64_t *keys;      /* n_keys global keys, ascending (within each group once
                          * grouped); keys[bias] is the bias key */
    uint32_t bias;
} ps_batch;

/* Builds the batch of the given rows of d, reusing b's capacity across calls. */
int ps_batch_build(ps_batch *b, const ps_dataset *d, const uint64_t *rows, uint32_t n_rows,
                   ps_row_buf *buf, ps_err *err);
/* Reorders the keys by group, group_of[k] in [0, n_groups) for key k, ascending
 * within a group, so that group g is keys[start[g] .. start[g]+count[g]) and so are
 * its weights and gradient; start and count are filled. Used by the worker to give
 * each server's keys a contiguous slice. The gradient is the same. */
int ps_batch_group(ps_batch *b, const uint32_t *group_of, int n_groups, uint32_t *start,
                   uint32_t *count, ps_err *err);
void ps_batch_free(ps_batch *b);
/* Frees the calling thread's sort space, which builds share (a later build makes
 * it again): call it when a thread's last build is done. */
void ps_batch_release_sort_space(void);

#endif
