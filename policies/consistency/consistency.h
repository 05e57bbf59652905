/* Consistency model interface, enforced at the servers on pull. A server keeps a
 * ps_clock_table (how many clocks each worker has completed and, for WSP, when each
 * worker's iteration started and how long the last one took); the model decides
 * whether a pull for clock c from worker w may be served now, and whether pushes
 * are held until their clock completes (BSP) or applied at once (SSP, ASP, WSP).
 * The gate functions are pure over the table, so tests drive them with scripted
 * tables; reset() moves the tracker to a new worker set at a stage change (FlexPS). */
#ifndef PS_CONSISTENCY_H
#define PS_CONSISTENCY_H

#include <stdint.h>

#include "engine/core/config.h"
#include "engine/core/err.h"

/* done[w] of a worker that is gone (fault.on_worker_failure = continue): ahead of
 * every clock, so that it holds no one back. */
#define PS_CLOCK_GONE (INT32_MAX / 2)

typedef struct ps_clock_table {
    int n_workers;
    int32_t *done;      /* done[w] = clocks completed by worker w */
    int32_t min_done;   /* min over workers of done[w] */
    /* Each worker's clocks as this server saw them arrive (WSP's predictions):
     * start[w] is when its last clock end arrived, exec[w] the time between its
     * last two (its whole cycle as the server sees it: compute, the push's trip,
     * the wait for its pull), in backend seconds; exec[w] < 0 while unknown (fewer
     * than two arrivals since the last reset). So start[w] + exec[w] predicts
     * when its next update will reach the server, from the server's own clock. */
    double *start, *exec;
    int *arrivals;      /* clock ends seen since the last reset */
} ps_clock_table;

typedef struct ps_consistency_params {
    int staleness;          /* SSP bound s; WSP's maximum staleness */
    double wsp_wait_weight;      /* WSP: weight of the predicted wait, per own iteration */
    double wsp_staleness_weight; /* WSP: weight of the staleness, per missing clock */
} ps_consistency_params;

/* A pull's gate decision, taken once when the pull arrives (DRPS's WSP decides at
 * the end of the worker's iteration which workers to wait for) and kept with it. */
typedef struct ps_gate_decision {
    double deadline;    /* WSP: wait for workers predicted to finish by this time */
    double at;          /* WSP: when it was taken, the time its predictions are seen from */
} ps_gate_decision;

enum { PS_BOUND_ZERO = 0, PS_BOUND_STALENESS = 1, PS_BOUND_NONE = 2 };

typedef struct ps_consistency_ops ps_consistency_ops;
/* The bound of ops with policy.staleness = staleness, in clocks; -1: none. */
int ps_consistency_bound(const ps_consistency_ops *ops, int staleness);

typedef struct ps_consistency_ops {
    const char *name;
    const char *doc;
    /* The policy's own config keys (NULL-terminated by a NULL key), registered under
     * its name: accepted when the run or a stage uses it (see ps_config_key). */
    const ps_config_key *keys;
    /* Nonzero: a push of clock c is held and applied, in worker order, when
     * every worker has completed c. */
    int defer_updates;
    /* How many clocks a read may lag the slowest worker (what pslab check holds
     * pulls to, and the bound of a worker-side cache): PS_BOUND_* */
    int bound;
    /* Nonzero: a held pull may become servable when any worker's clock moves,
     * not only the slowest one's, so the server re-checks on every clock. */
    int recheck_on_any_clock;
    /* Optional: the decision for a pull by `worker` for `clock` arriving at `now`. */
    ps_gate_decision (*decide)(const ps_consistency_params *p, const ps_clock_table *t,
                               int worker, int32_t clock, double now);
    /* Nonzero when a pull by `worker` for `clock`, with decision d, may be served. */
    int (*can_serve)(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                     int32_t clock, const ps_gate_decision *d);
    /* Moves the tracker to a new set of n workers, all having completed `clock`
     * clocks, timing forgotten (a stage change). */
    int (*reset)(const ps_consistency_params *p, ps_clock_table *t, int n_workers,
                 int32_t clock, ps_err *err);
} ps_consistency_ops;

/* Clock tables (clock_table.c). */
int ps_clock_table_init(ps_clock_table *t, int n_workers, ps_err *err);
void ps_clock_table_free(ps_clock_table *t);
/* Resizes to n workers, all at `clock`, timing unknown. */
int ps_clock_table_reset(ps_clock_table *t, int n_workers, int32_t clock, ps_err *err);
/* Worker w's clock end arrived at `now`. */
void ps_clock_table_arrival(ps_clock_table *t, int w, double now);
/* The common reset of every model: all the state is in the table. */
int ps_consistency_reset_table(const ps_consistency_params *p, ps_clock_table *t,
                               int n_workers, int32_t clock, ps_err *err);

#endif
