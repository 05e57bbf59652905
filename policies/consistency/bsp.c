/* BSP: a pull for clock c is served only when every worker has completed c-1, and
 * pushes are held until their clock completes, then applied in worker order. This
 * is what makes a BSP run deterministic and identical on both backends. */
#include "policies/consistency/consistency.h"

static int bsp_can_serve(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                         int32_t clock, const ps_gate_decision *d)
{
    (void)p;
    (void)worker;
    (void)d;
    return t->min_done >= clock;
}

const ps_consistency_ops ps_consistency_bsp = {
    .name = "bsp",
    .doc = "bulk synchronous: a pull for clock c waits until all workers finished c-1",
    .defer_updates = 1,
    .bound = PS_BOUND_ZERO,
    .can_serve = bsp_can_serve,
    .reset = ps_consistency_reset_table,
};
