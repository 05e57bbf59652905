/* Injected stragglers (see straggler.h): which workers are slow, and which
 * iterations, both drawn from the seed's straggler stream. */
#include "engine/ps/straggler.h"

#include <math.h>
#include <stdlib.h>

#include "engine/core/rng.h"

int ps_stragglers_fixed(const ps_config *cfg, int n_workers, double **out, ps_err *err)
{
    double *f = malloc((size_t)n_workers * sizeof *f);
    int *order = malloc((size_t)n_workers * sizeof *order);
    if (!f || !order) {
        free(f);
        free(order);
        return ps_err_set(err, "out of memory for %d workers' slowdowns", n_workers);
    }
    /* a seeded shuffle; its first k workers are the slow ones */
    ps_rng rng;
    ps_rng_init(&rng, cfg->seed, PS_STREAM_STRAGGLER);
    for (int i = 0; i < n_workers; i++) {
        order[i] = i;
        f[i] = 1.0;
    }
    for (int i = n_workers - 1; i > 0; i--) {
        int j = (int)ps_rng_below(&rng, (uint64_t)i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int k = (int)lround(cfg->straggler_fraction * n_workers);
    for (int i = 0; i < k; i++)
        f[order[i]] = cfg->straggler_factor;
    free(order);
    *out = f;
    return PS_OK;
}

double ps_straggler_iteration(const ps_config *cfg, int worker, int32_t clock)
{
    if (cfg->straggler_iteration_prob <= 0)
        return 1.0;
    uint64_t h = ps_hash64(cfg->seed ^ ps_hash64(((uint64_t)PS_STREAM_STRAGGLER << 56) ^
                                                 ((uint64_t)(uint32_t)worker << 32) ^
                                                 (uint32_t)clock));
    return ps_u64_to_unit(h) <= cfg->straggler_iteration_prob ? cfg->straggler_iteration_factor
                                                               : 1.0;
}
