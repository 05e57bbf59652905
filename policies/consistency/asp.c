/* ASP: never wait. Pushes apply at once and every pull is served on arrival; the
 * trace still records how stale each read was. */
#include "policies/consistency/consistency.h"

static int asp_can_serve(const ps_consistency_params *p, const ps_clock_table *t, int worker,
                         int32_t clock, const ps_gate_decision *d)
{
    (void)p;
    (void)t;
    (void)worker;
    (void)clock;
    (void)d;
    return 1;
}

const ps_consistency_ops ps_consistency_asp = {
    .name = "asp",
    .doc = "asynchronous: pulls are served at once",
    .defer_updates = 0,
    .bound = PS_BOUND_NONE,
    .can_serve = asp_can_serve,
    .reset = ps_consistency_reset_table,
};
