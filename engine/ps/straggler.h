/* Injected stragglers, reproducible from the run seed: a fixed share of the workers
 * slow for the whole run, and random slow iterations. The same keys mean the same
 * thing on both backends: the worker stretches its compute by sleeping (f-1) times
 * the compute time it just measured (sim: simulated; real: wall clock). */
#ifndef PS_STRAGGLER_H
#define PS_STRAGGLER_H

#include <stdint.h>

#include "engine/core/config.h"
#include "engine/core/err.h"

/* Per-worker factors for the whole run: exactly round(fraction * n) workers, drawn
 * from the seed, get cfg->straggler_factor; the others 1. *out is malloc'd. */
int ps_stragglers_fixed(const ps_config *cfg, int n_workers, double **out, ps_err *err);

/* The factor of one iteration: iteration_factor with probability iteration_prob,
 * else 1. A pure function of (seed, worker, clock), so it does not depend on the
 * order in which actors run. */
double ps_straggler_iteration(const ps_config *cfg, int worker, int32_t clock);

#endif
