/* A replay of a task set under a scheduler policy with scripted stage durations: a
 * scheduling event at each submission and each stage end, as in FlexPS. Tests use
 * it to check which stage starts when and where; experiments to compare policies'
 * makespans on one task mix. */
#include "policies/scheduler/scheduler.h"

#include <stdlib.h>
#include <string.h>

void ps_sched_runs_free(ps_sched_run *runs, int n_runs)
{
    for (int i = 0; i < n_runs; i++)
        free(runs[i].per_node);
    free(runs);
}

static int stages_total(const ps_sched_task *tasks, int n_tasks)
{
    int n = 0;
    for (int t = 0; t < n_tasks; t++)
        n += tasks[t].n_stages;
    return n;
}

/* The next event after `now`: the earliest running stage's end or later submission. */
static int next_event(const ps_sched *s, const ps_sched_run *runs, int n_runs, double now,
                      double *next)
{
    int found = 0;
    for (int i = 0; i < n_runs; i++)
        if (s->tasks[runs[i].task].running && runs[i].stage == s->tasks[runs[i].task].next_stage
            && (!found || runs[i].end < *next)) {
            *next = runs[i].end;
            found = 1;
        }
    for (int t = 0; t < s->n_tasks; t++)
        if (s->tasks[t].submit > now && (!found || s->tasks[t].submit < *next)) {
            *next = s->tasks[t].submit;
            found = 1;
        }
    return found;
}

static int run_events(const ps_scheduler_ops *ops, const ps_sched_params *p, ps_sched *s,
                      const double *const *duration, ps_sched_run *runs, int *n_runs,
                      double *done, ps_err *err)
{
    int remaining = stages_total(s->tasks, s->n_tasks), nt = s->n_tasks > 0 ? s->n_tasks : 1;
    double now = 0;
    for (int t = 0; t < s->n_tasks; t++) {
        done[t] = s->tasks[t].submit;   /* a task without stages is done when submitted */
        if (t == 0 || s->tasks[t].submit < now)
            now = s->tasks[t].submit;
    }
    /* an event starts at most one stage a task; the policies place into these */
    int placed[nt][s->n_nodes];
    ps_sched_start starts[nt];
    for (int i = 0; i < nt; i++)
        starts[i].per_node = placed[i];
    while (remaining > 0) {
        int n = ops->schedule(p, s, now, starts);
        for (int i = 0; i < n; i++) {
            ps_sched_run *r = &runs[(*n_runs)++];
            *r = (ps_sched_run){.task = starts[i].task, .stage = starts[i].stage, .start = now,
                                .end = now + duration[starts[i].task][starts[i].stage],
                                .per_node = malloc(sizeof(int) * (size_t)s->n_nodes)};
            if (!r->per_node)
                return ps_err_set(err, "scheduler replay: out of memory");
            memcpy(r->per_node, placed[i], sizeof(int) * (size_t)s->n_nodes);
        }
        double next = 0;
        if (!next_event(s, runs, *n_runs, now, &next))
            return ps_err_set(err, "scheduler replay (%s): %d stages can never start: "
                              "nothing runs and nothing is left to submit at t=%g",
                              ops->name, remaining, now);
        now = next;
        for (int i = 0; i < *n_runs; i++) {
            ps_sched_task *k = &s->tasks[runs[i].task];
            if (k->running && runs[i].stage == k->next_stage && runs[i].end <= now) {
                ps_sched_finish(s, runs[i].task, runs[i].per_node);
                remaining--;
                if (k->next_stage == k->n_stages)
                    done[runs[i].task] = runs[i].end;
            }
        }
    }
    return 0;
}

int ps_sched_replay(const ps_scheduler_ops *ops, const ps_sched_params *p, int n_nodes,
                    int slots_per_node, const ps_sched_task *tasks, int n_tasks,
                    const double *const *duration, ps_sched_run **runs, int *n_runs,
                    double *done, ps_err *err)
{
    ps_sched s;
    *runs = NULL;
    *n_runs = 0;
    if (ps_sched_init(&s, n_nodes, slots_per_node, tasks, n_tasks, err) != 0)
        return -1;
    *runs = calloc((size_t)stages_total(tasks, n_tasks) + 1, sizeof **runs);
    int rc = *runs ? run_events(ops, p, &s, duration, *runs, n_runs, done, err)
                   : ps_err_set(err, "scheduler replay: out of memory");
    ps_sched_free(&s);
    if (rc != 0) {
        ps_sched_runs_free(*runs, *n_runs);
        *runs = NULL;
        *n_runs = 0;
        return -1;
    }
    return 0;
}
