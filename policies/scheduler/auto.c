/* The auto scheduler (FlexPS's auto-parallelism): stages run one at a time, tasks in
 * submission order, each on every worker node, and how many workers each node runs
 * is searched while the stage runs: probes of 1, 2, 3, ... workers a node for
 * scheduler.probe_iterations iterations each, keeping a stage's global batch, until
 * a probe is slower than the one before (auto_parallel.c; the scheduler actor,
 * engine/ps/sched_actor.c, runs the probes and times them). */
#include "policies/scheduler/scheduler.h"

extern const ps_scheduler_ops ps_scheduler_sequential;

static int auto_schedule(const ps_sched_params *p, ps_sched *s, double now, ps_sched_start *out)
{
    return ps_scheduler_sequential.schedule(p, s, now, out); /* every stage takes the cluster */
}

static const ps_config_key auto_keys[] = {
    {"scheduler", "probe_iterations", PS_KEY_INT, "10", PS_KEY_IN(1, 1e6), NULL,
     "auto: iterations of each probe of a worker count (FlexPS: 10)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const ps_scheduler_ops ps_scheduler_auto = {
    .name = "auto",
    .doc = "one stage at a time on every worker node, the workers a node runs searched by "
           "timed probes (auto-parallelism)",
    .keys = auto_keys,
    .schedule = auto_schedule,
    .auto_parallel = 1,
};
