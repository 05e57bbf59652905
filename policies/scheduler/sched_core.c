/* The scheduler's state and the mechanics every policy shares: readiness, free and
 * reserved slots, placement of a stage's workers, and a replay of a task set with
 * scripted stage durations (for tests and for comparing policies). */
#include "policies/scheduler/scheduler.h"

#include <stdlib.h>
#include <string.h>

int ps_sched_init(ps_sched *s, int n_nodes, int slots_per_node, const ps_sched_task *tasks,
                  int n_tasks, ps_err *err)
{
    memset(s, 0, sizeof *s);
    if (n_nodes < 1 || slots_per_node < 1)
        return ps_err_set(err, "scheduler: %d nodes x %d slots: need at least one of each",
                          n_nodes, slots_per_node);
    for (int t = 0; t < n_tasks; t++)
        for (int k = 0; k < tasks[t].n_stages; k++)
            if (tasks[t].workers[k] < 1 || tasks[t].workers[k] > n_nodes * slots_per_node)
                return ps_err_set(err, "scheduler: task %d stage %d asks for %d workers; "
                                  "the cluster has %d slots (%d nodes x %d)", t, k,
                                  tasks[t].workers[k], n_nodes * slots_per_node, n_nodes,
                                  slots_per_node);
    s->n_nodes = n_nodes;
    s->slots_per_node = slots_per_node;
    s->n_tasks = n_tasks;
    s->reserved_by = -1;
    s->free = malloc(sizeof(int) * (size_t)n_nodes);
    s->reserved = calloc((size_t)n_nodes, sizeof(int));
    s->tasks = calloc((size_t)(n_tasks > 0 ? n_tasks : 1), sizeof *s->tasks);
    if (!s->free || !s->reserved || !s->tasks)
        goto oom;
    for (int n = 0; n < n_nodes; n++)
        s->free[n] = slots_per_node;
    for (int t = 0; t < n_tasks; t++) {
        s->tasks[t] = tasks[t];
        s->tasks[t].next_stage = 0;
        s->tasks[t].running = 0;
        s->tasks[t].failed = 0;
        s->tasks[t].used = calloc((size_t)n_nodes, sizeof(int));
        if (!s->tasks[t].used)
            goto oom;
    }
    return 0;
oom:
    ps_sched_free(s);
    return ps_err_set(err, "scheduler: out of memory for %d nodes, %d tasks", n_nodes, n_tasks);
}

void ps_sched_free(ps_sched *s)
{
    if (s->tasks)
        for (int t = 0; t < s->n_tasks; t++)
            free(s->tasks[t].used);
    free(s->tasks);
    free(s->free);
    free(s->reserved);
    memset(s, 0, sizeof *s);
}

int ps_sched_ready(const ps_sched *s, int t, double now)
{
    const ps_sched_task *k = &s->tasks[t];
    return k->submit <= now && !k->running && k->next_stage < k->n_stages;
}

void ps_sched_by_submission(const ps_sched *s, int *order)
{
    for (int t = 0; t < s->n_tasks; t++) {
        int j = t;
        while (j > 0 && s->tasks[order[j - 1]].submit > s->tasks[t].submit) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = t;
    }
}

static int avail_on(const ps_sched *s, int t, int node)
{
    int held = (s->reserved_by >= 0 && s->reserved_by != t) ? s->reserved[node] : 0;
    return s->free[node] - held;
}

int ps_sched_free_for(const ps_sched *s, int t)
{
    int sum = 0;
    for (int n = 0; n < s->n_nodes; n++)
        sum += avail_on(s, t, n);
    return sum;
}

/* Nodes in the order task t should fill them: least used by t first, then by index. */
static void placement_order(const ps_sched *s, int t, int *order)
{
    const int *used = s->tasks[t].used;
    for (int n = 0; n < s->n_nodes; n++)
        order[n] = n;
    for (int i = 1; i < s->n_nodes; i++) {  /* insertion sort: stable, n is small */
        int v = order[i], j = i;
        while (j > 0 && used[order[j - 1]] > used[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

/* Deals `want` workers one at a time over the nodes in t's order, skipping nodes
 * with no slot left for t: even over the least-used nodes, the remainder round robin. */
static void deal(const ps_sched *s, int t, int want, const int *order, int *per_node,
                 int (*cap)(const ps_sched *, int, int))
{
    memset(per_node, 0, sizeof(int) * (size_t)s->n_nodes);
    while (want > 0) {
        int placed = 0;
        for (int i = 0; i < s->n_nodes && want > 0; i++) {
            int n = order[i];
            if (per_node[n] < cap(s, t, n)) {
                per_node[n]++;
                want--;
                placed = 1;
            }
        }
        if (!placed)
            abort();    /* callers checked that `want` slots are there */
    }
}

int ps_sched_try_start(ps_sched *s, int t, ps_sched_start *out)
{
    ps_sched_task *k = &s->tasks[t];
    int want = k->workers[k->next_stage];
    if (ps_sched_free_for(s, t) < want)
        return 0;
    int order[s->n_nodes];
    placement_order(s, t, order);
    deal(s, t, want, order, out->per_node, avail_on);
    for (int n = 0; n < s->n_nodes; n++) {
        s->free[n] -= out->per_node[n];
        k->used[n] += out->per_node[n];
    }
    if (s->reserved_by == t) {
        memset(s->reserved, 0, sizeof(int) * (size_t)s->n_nodes);
        s->reserved_by = -1;
    }
    out->task = t;
    out->stage = k->next_stage;
    k->running = 1;
    k->failed = 0;
    return 1;
}

static int unreserved_on(const ps_sched *s, int t, int node)
{
    (void)t;
    return s->free[node] - s->reserved[node];
}

void ps_sched_reserve(ps_sched *s, int t, int want)
{
    if (s->reserved_by != t) {
        memset(s->reserved, 0, sizeof(int) * (size_t)s->n_nodes);
        s->reserved_by = t;
    }
    int have = 0, unreserved = 0;
    for (int n = 0; n < s->n_nodes; n++) {
        have += s->reserved[n];
        unreserved += unreserved_on(s, t, n);
    }
    int more = want - have < unreserved ? want - have : unreserved;
    if (more <= 0)
        return;
    int order[s->n_nodes], add[s->n_nodes];
    placement_order(s, t, order);
    deal(s, t, more, order, add, unreserved_on);
    for (int n = 0; n < s->n_nodes; n++)
        s->reserved[n] += add[n];
}

void ps_sched_finish(ps_sched *s, int t, const int *per_node)
{
    ps_sched_task *k = &s->tasks[t];
    for (int n = 0; n < s->n_nodes; n++)
        s->free[n] += per_node[n];
    k->running = 0;
    k->next_stage++;
}
