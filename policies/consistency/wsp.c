/* WSP (worker-selection parallel, DRPS): when a worker's pull for clock c arrives,
 * the server decides which of the workers that have not finished c-1 to wait for,
 * trading the predicted wait against the staleness left. Worker i's next update is
 * predicted to reach the server at f_i = start_i + exec_i: the arrival of its last
 * clock end plus the time between its last two, both on the server's own clock, so
 * that the prediction covers its compute and its messages' trips, as DRPS means
 * (a prediction of when a worker finishes computing, as the workers reported it
 * before, came about 10x early and made WSP wait like BSP). For each candidate j
 * among the workers behind, and for "wait for nobody":
 *     wait_j  = max(0, f_j - now) / exec_w           (in the puller's own cycles)
 *     stale_j = sum over workers behind i of (c - done_i - [f_i <= f_j]) / n_workers
 *               (clocks of updates still missing, per worker, if we wait until f_j)
 *     cost_j  = wait_weight * wait_j + staleness_weight * stale_j
 * The cheapest candidate wins (ties: the shorter wait) and the pull then waits only
 * for the workers predicted (as seen when it arrived) to arrive no later than it,
 * i.e. until no worker behind has f_i <= f_j. policy.staleness stays a hard bound on top, as in SSP.
 * All in floating point: the authors' code divided integers here, which zeroed the
 * weights. A worker with no prediction yet is predicted to arrive at once (wait 0). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "policies/consistency/consistency.h"

/* When worker i's next update is predicted to arrive, seen at `now`: a worker with
 * no cycle measured yet sorts first and costs no wait; one already past its
 * predicted arrival is predicted on its next cycle after now, not at once: with
 * max(0, f - now) an overdue worker would cost nothing to wait for, and one
 * transient straggler would hold every pull as under BSP. */
static double predicted_finish(const ps_clock_table *t, int i, double now)
{
    if (t->exec[i] < 0)
        return -DBL_MAX;
    double f = t->start[i] + t->exec[i];
    if (f < now && t->exec[i] > 0)
        f += ceil((now - f) / t->exec[i]) * t->exec[i];
    return f;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static ps_gate_decision wsp_decide(const ps_consistency_params *p, const ps_clock_table *t,
                                   int worker, int32_t clock, double now)
{
    ps_gate_decision d = {.deadline = -INFINITY, .at = now};
    int n = t->n_workers, behind = 0;
    double lag_sum = 0;
    for (int i = 0; i < n; i++)
        if (t->done[i] < clock) {
            behind++;
            lag_sum += (double)clock - (double)t->done[i];
        }
    if (behind == 0)
        return d;
    double *f = malloc((size_t)behind * sizeof *f);
    if (!f) /* no memory to choose: wait for everyone behind, the safe side */
        return (ps_gate_decision){.deadline = INFINITY};
    for (int i = 0, k = 0; i < n; i++)
        if (t->done[i] < clock)
            f[k++] = predicted_finish(t, i, now);
    qsort(f, (size_t)behind, sizeof *f, cmp_double);
    double unit = t->exec[worker] > 0 ? t->exec[worker] : 1.0;
    double best = p->wsp_staleness_weight * lag_sum / n; /* wait for nobody */
    for (int k = 0; k < behind; k++) {
        /* candidates with equal f cover each other: take the last of a run */
        if (k + 1 < behind && f[k + 1] == f[k])
            continue;
        double wait = f[k] > now ? (f[k] - now) / unit : 0.0;
        double stale = (lag_sum - (double)(k + 1)) / n;
        double cost = p->wsp_wait_weight * wait + p->wsp_staleness_weight * stale;
        if (cost < best) {
            best = cost;
            d.deadline = f[k];
        }
    }
    free(f);
    return d;
}

static int wsp_can_serve(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                         int32_t clock, const ps_gate_decision *d)
{
    (void)worker;
    if (t->min_done < clock - p->staleness)
        return 0;
    for (int i = 0; i < t->n_workers; i++)
        if (t->done[i] < clock && predicted_finish(t, i, d->at) <= d->deadline)
            return 0;
    return 1;
}

static const ps_config_key wsp_keys[] = {
    {"policy", "wsp_wait_weight", PS_KEY_DOUBLE, "1", PS_KEY_IN(0, 1e6), NULL,
     "cost of a predicted wait, per iteration of the pulling worker"},
    {"policy", "wsp_staleness_weight", PS_KEY_DOUBLE, "1", PS_KEY_IN(0, 1e6), NULL,
     "cost of staleness, per clock of updates missing, averaged over the workers"},
    {0},
};

const ps_consistency_ops ps_consistency_wsp = {
    .name = "wsp",
    .keys = wsp_keys,
    .doc = "worker-selection: wait for the workers worth waiting for (DRPS), at most "
           "staleness clocks behind",
    .defer_updates = 0,
    .bound = PS_BOUND_STALENESS,
    .recheck_on_any_clock = 1,
    .decide = wsp_decide,
    .can_serve = wsp_can_serve,
    .reset = ps_consistency_reset_table,
};
