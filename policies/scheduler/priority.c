/* The priority scheduler (FlexPS's "angry" tasks): a task's priority is its count of
 * consecutive scheduling events at which it could not start. Past
 * scheduler.angry_after it is served before the others, and when it still does not
 * fit it reserves the free slots it waits for, so that smaller tasks cannot keep
 * taking them and it does not starve. Otherwise it is greedy. */
#include "policies/scheduler/scheduler.h"

/* Ready tasks in the order they are served: the task holding reservations, then
 * other angry tasks by priority, then the rest, each in submission order. */
static int serving_order(const ps_sched_params *p, const ps_sched *s, double now, int *order)
{
    int sub[s->n_tasks > 0 ? s->n_tasks : 1], n = 0;
    ps_sched_by_submission(s, sub);
    for (int i = 0; i < s->n_tasks; i++)
        if (sub[i] == s->reserved_by && ps_sched_ready(s, sub[i], now))
            order[n++] = sub[i];
    int angry_from = n;
    for (int i = 0; i < s->n_tasks; i++) {
        int t = sub[i];
        if (t == s->reserved_by || !ps_sched_ready(s, t, now) ||
            s->tasks[t].failed < p->angry_after)
            continue;
        int j = n++;    /* stable insertion by priority, highest first */
        while (j > angry_from && s->tasks[order[j - 1]].failed < s->tasks[t].failed) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = t;
    }
    for (int i = 0; i < s->n_tasks; i++)
        if (sub[i] != s->reserved_by && ps_sched_ready(s, sub[i], now) &&
            s->tasks[sub[i]].failed < p->angry_after)
            order[n++] = sub[i];
    return n;
}

static int priority_schedule(const ps_sched_params *p, ps_sched *s, double now,
                             ps_sched_start *out)
{
    int order[s->n_tasks > 0 ? s->n_tasks : 1], started = 0, reserving = 0;
    int n = serving_order(p, s, now, order);
    for (int i = 0; i < n; i++) {
        int t = order[i];
        if (ps_sched_try_start(s, t, &out[started])) {
            started++;
            continue;
        }
        ps_sched_task *k = &s->tasks[t];
        if (k->failed >= p->angry_after && !reserving) {
            ps_sched_reserve(s, t, k->workers[k->next_stage]);
            reserving = 1;
        }
        k->failed++;
    }
    return started;
}

static const ps_config_key priority_keys[] = {
    {"scheduler", "angry_after", PS_KEY_INT, "3", PS_KEY_IN(0, 1e6), NULL,
     "scheduling events a task may fail to start at in a row before it is served "
     "first and reserves the slots it waits for"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const ps_scheduler_ops ps_scheduler_priority = {
    .name = "priority",
    .keys = priority_keys,
    .doc = "greedy, but a task that failed to start scheduler.angry_after times in a row "
           "is served first and reserves the slots it waits for",
    .schedule = priority_schedule,
};
