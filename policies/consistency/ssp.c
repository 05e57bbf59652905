/* SSP(s): a read at clock c must reflect every update stamped <= c-s-1, so a pull
 * for clock c is served once every worker has completed c-s. Pushes apply at once,
 * so a worker sees its own updates (and whatever else has arrived). The fastest and
 * slowest worker never drift more than s clocks apart; s = 0 gates like BSP. */
#include "policies/consistency/consistency.h"

static int ssp_can_serve(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                         int32_t clock, const ps_gate_decision *d)
{
    (void)worker;
    (void)d;
    return t->min_done >= clock - p->staleness;
}

const ps_consistency_ops ps_consistency_ssp = {
    .name = "ssp",
    .doc = "stale synchronous: a pull for clock c waits until all workers finished c-s-1",
    .defer_updates = 0,
    .bound = PS_BOUND_STALENESS,
    .can_serve = ssp_can_serve,
    .reset = ps_consistency_reset_table,
};
