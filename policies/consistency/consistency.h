/* Consistency model interface, enforced at the servers on pull. A server keeps a
 * ps_clock_table (how many clocks each worker has completed); the model decides
 * whether a pull for clock c from worker w may be served now, and whether pushes
 * are held until their clock completes (BSP) or applied at once (SSP, ASP, WSP).
 * reset() moves the model to a new worker set at a stage change (FlexPS). */
#ifndef PS_CONSISTENCY_H
#define PS_CONSISTENCY_H

#include <stdint.h>

typedef struct ps_clock_table {
    int n_workers;
    int32_t *done;      /* done[w] = clocks completed by worker w */
    int32_t min_done;   /* min over workers of done[w] */
} ps_clock_table;

typedef struct ps_consistency_params {
    int staleness;      /* SSP bound s */
} ps_consistency_params;

typedef struct ps_consistency_ops {
    const char *name;
    const char *doc;
    /* Nonzero: a push of clock c is held and applied, in worker order, when
     * every worker has completed c. */
    int defer_updates;
    /* Nonzero when a pull by `worker` for clock `clock` may be served now. */
    int (*can_serve)(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                     int32_t clock);
} ps_consistency_ops;

#endif
