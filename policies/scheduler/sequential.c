/* The sequential scheduler: tasks in submission order, one stage in flight at a
 * time; a task runs all its stages before the next task starts. */
#include "policies/scheduler/scheduler.h"

static int sequential_schedule(const ps_sched_params *p, ps_sched *s, double now,
                               ps_sched_start *out)
{
    (void)p;
    int order[s->n_tasks > 0 ? s->n_tasks : 1];
    ps_sched_by_submission(s, order);
    for (int i = 0; i < s->n_tasks; i++) {
        const ps_sched_task *k = &s->tasks[order[i]];
        if (k->next_stage == k->n_stages)
            continue;           /* finished */
        /* the first unfinished task: its next stage starts when it is submitted and
         * none of its stages runs; otherwise nothing does */
        return ps_sched_ready(s, order[i], now) ? ps_sched_try_start(s, order[i], out) : 0;
    }
    return 0;
}

const ps_scheduler_ops ps_scheduler_sequential = {
    .name = "sequential",
    .doc = "tasks in submission order, one stage in flight at a time",
    .schedule = sequential_schedule,
};
