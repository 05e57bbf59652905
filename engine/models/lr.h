/* Sparse logistic regression with L2, the first model of the testbed. Parameter
 * keys: feature j is key j and the bias is key n_features. A mini-batch is
 * compacted onto its unique keys so that the gradient touches only what it pulled. */
#ifndef PS_MODEL_LR_H
#define PS_MODEL_LR_H

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

/* loss = mean logistic loss over the batch + 0.5*l2*sum of w^2 over the batch's
 * keys (bias excluded); grad[k] = d loss / d w_local[k]. Returns the floating-point
 * operations done, counted, which the worker charges to the backend. */
double ps_lr_loss_grad(const ps_batch *b, const float *w_local, double l2, float *grad,
                       double *loss);

/* Mean logistic loss (no L2) and accuracy of full weights w[n_features+1] on d. */
void ps_lr_evaluate(const ps_dataset *d, const float *w, uint32_t n_features, double *loss,
                    double *accuracy);
/* The same for the synthetic data's true model (the best any model can do). */
void ps_lr_evaluate_truth(const ps_dataset *d, const ps_ctr_params *p, double *loss,
                          double *accuracy);

/* Learning-rate schedule: lr0 / (1 + decay * clock). */
double ps_lr_rate(double lr0, double decay, int clock);

#endif
