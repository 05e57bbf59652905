/* The greedy scheduler: at each scheduling event, every ready stage whose worker
 * request fits the free slots starts, tasks taken in submission order. A large
 * request can wait forever behind a stream of small ones (see priority.c). */
#include "policies/scheduler/scheduler.h"

static int greedy_schedule(const ps_sched_params *p, ps_sched *s, double now,
                           ps_sched_start *out)
{
    (void)p;
    int order[s->n_tasks > 0 ? s->n_tasks : 1], n = 0;
    ps_sched_by_submission(s, order);
    for (int i = 0; i < s->n_tasks; i++)
        if (ps_sched_ready(s, order[i], now))
            n += ps_sched_try_start(s, order[i], &out[n]);
    return n;
}

const ps_scheduler_ops ps_scheduler_greedy = {
    .name = "greedy",
    .doc = "every ready stage that fits the free worker slots starts, in submission order",
    .schedule = greedy_schedule,
};
