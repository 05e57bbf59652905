/* The servers' progress tracker: per-worker completed clocks and timing, shared by
 * every consistency model. Reset is how a stage change (FlexPS) moves a server to a
 * new worker set without restarting it. */
#include <stdlib.h>

#include "policies/consistency/consistency.h"

int ps_clock_table_init(ps_clock_table *t, int n_workers, ps_err *err)
{
    t->n_workers = 0;
    t->done = NULL;
    t->start = t->exec = NULL;
    t->arrivals = NULL;
    t->min_done = 0;
    return ps_clock_table_reset(t, n_workers, 0, err);
}

void ps_clock_table_free(ps_clock_table *t)
{
    free(t->done);
    free(t->start);
    free(t->exec);
    free(t->arrivals);
    t->done = NULL;
    t->start = t->exec = NULL;
    t->arrivals = NULL;
    t->n_workers = 0;
}

int ps_clock_table_reset(ps_clock_table *t, int n_workers, int32_t clock, ps_err *err)
{
    if (n_workers < 1)
        return ps_err_set(err, "a clock table needs at least one worker, got %d", n_workers);
    size_t n = (size_t)n_workers;
    int32_t *done = realloc(t->done, n * sizeof *done);
    if (done)
        t->done = done;
    double *start = realloc(t->start, n * sizeof *start);
    if (start)
        t->start = start;
    double *exec = realloc(t->exec, n * sizeof *exec);
    if (exec)
        t->exec = exec;
    int *arrivals = realloc(t->arrivals, n * sizeof *arrivals);
    if (arrivals)
        t->arrivals = arrivals;
    if (!done || !start || !exec || !arrivals)
        return ps_err_set(err, "out of memory for a clock table of %d workers", n_workers);
    for (size_t i = 0; i < n; i++) {
        done[i] = clock;
        start[i] = 0;
        exec[i] = -1;
        arrivals[i] = 0;
    }
    t->n_workers = n_workers;
    t->min_done = clock;
    return PS_OK;
}

void ps_clock_table_arrival(ps_clock_table *t, int w, double now)
{
    if (t->arrivals[w]++ > 0)
        t->exec[w] = now - t->start[w];
    t->start[w] = now;
}

int ps_consistency_reset_table(const ps_consistency_params *p, ps_clock_table *t,
                               int n_workers, int32_t clock, ps_err *err)
{
    (void)p;
    return ps_clock_table_reset(t, n_workers, clock, err);
}

int ps_consistency_bound(const ps_consistency_ops *ops, int staleness)
{
    return ops->bound == PS_BOUND_ZERO ? 0 : ops->bound == PS_BOUND_STALENESS ? staleness : -1;
}
