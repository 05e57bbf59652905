/* Sparse logistic regression with L2 (model.type = lr): labels 0/1, log loss.
 * The loss and gradient are exposed for the gradient test. */
#ifndef PS_MODEL_LR_H
#define PS_MODEL_LR_H

#include "engine/models/sparse_batch.h"

/* loss = mean logistic loss over the batch + 0.5*l2*sum of w^2 over the batch's
 * keys (bias excluded); grad[k] = d loss / d w_local[k]. Returns the floating-point
 * operations done, counted, which the worker charges to the backend. */
double ps_lr_loss_grad(const ps_batch *b, const float *w_local, double l2, float *grad,
                       double *loss);

#endif
