/* A multi-task run's scheduler actor: at each submission and each stage end it
 * asks the policy (policies/scheduler/) which ready stages start where, grants
 * them to their tasks' servers and workers, waits for every worker of a stage to
 * report its end, and tells a task's workers when all its stages have run. It
 * writes schedule.csv (one row per stage run) and the run's summary.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/interrupt.h"
#include "engine/core/mem.h"
#include "engine/ps/cluster.h"
#include "engine/ps/msg.h"
#include "engine/ps/outputs.h"
#include "policies/scheduler/auto_parallel.h"

/* A stage's run, or a segment of it (auto's probes and the rest). */
typedef struct stage_run {
    int task, stage, left;   /* left: its workers yet to report its end */
    uint32_t first, iterations, batch, workers; /* first: clocks into the stage */
    double start, end;
    int *per_node;
} stage_run;

typedef struct sched_actor {
    ps_cluster *c;
    ps_backend *be;
    ps_sched s;
    int workers[PS_CONFIG_MAX_TASKS][PS_CONFIG_MAX_STAGES];
    stage_run *runs;
    int n_runs, cap_runs, n_done;
    double done[PS_CONFIG_MAX_TASKS];
    double first_start[PS_CONFIG_MAX_TASKS];
    int *held[PS_CONFIG_MAX_TASKS];  /* the slots per node of its running stage */
    ps_auto autos[PS_CONFIG_MAX_TASKS]; /* auto: each task's search and memo */
    int *even;               /* auto: a count on every node */
    int failed[PS_CONFIG_MAX_TASKS]; /* a worker of the task stopped short: it ended there */
    uint32_t *list;          /* a grant's workers */
} sched_actor;

static int sched_init(sched_actor *a, ps_cluster *c, ps_backend *be, ps_err *err)
{
    memset(a, 0, sizeof *a);
    a->c = c;
    a->be = be;
    ps_sched_task tasks[PS_CONFIG_MAX_TASKS];
    for (int t = 0; t < c->n_tasks; t++) {
        const ps_run *r = &c->tasks[t].run;
        for (int k = 0; k < r->n_stages; k++)
            a->workers[t][k] = c->policy->auto_parallel ? c->n_nodes * c->slots
                                                         : r->stages[k].workers;
        ps_auto_init(&a->autos[t]);
        if (!(a->held[t] = calloc((size_t)c->n_nodes, sizeof(int))))
            return ps_err_set(err, "scheduler: out of memory");
        tasks[t] = (ps_sched_task){.submit = c->tasks[t].submit, .n_stages = r->n_stages,
                                   .workers = a->workers[t]};
        a->first_start[t] = -1;
    }
    a->list = calloc((size_t)c->n_nodes * (size_t)c->slots + 3, sizeof *a->list);
    a->even = calloc((size_t)c->n_nodes, sizeof *a->even);
    if (!a->list || !a->even)
        return ps_err_set(err, "scheduler: out of memory");
    return ps_sched_init(&a->s, c->n_nodes, c->slots, tasks, c->n_tasks, err);
}

static void sched_free(sched_actor *a)
{
    for (int i = 0; a->runs && i < a->n_runs; i++)
        free(a->runs[i].per_node);
    free(a->runs);
    free(a->list);
    free(a->even);
    for (int t = 0; t < PS_CONFIG_MAX_TASKS; t++)
        free(a->held[t]);
    ps_sched_free(&a->s);
}

/* Sends `type` to actor `local` of the task, aux = the n u32 of list. */
static int send_to(sched_actor *a, int task, int local, uint8_t type, int32_t clock,
                   const uint32_t *list, uint32_t n, ps_err *err)
{
    ps_msg_writer m;
    if (ps_msg_build(&m, type, 0, 0, (uint32_t)task, clock, 0, 0, n * 4u, err))
        return PS_ERR;
    if (n)
        memcpy(m.aux, list, n * 4u);
    return ps_send(a->be, a->c->tasks[task].base + local, m.buf, m.len, err);
}

/* A segment of stage st of task t (its iterations from `first`, `batch` examples a
 * worker) starts on per_node[n] slots of each worker node n: the task's workers
 * there, first slots first. Its servers and those workers are told. */
static int sched_grant(sched_actor *a, const ps_sched_start *st, uint32_t first,
                       uint32_t iterations, uint32_t batch, ps_err *err)
{
    const ps_cluster *c = a->c;
    const ps_run *r = &c->tasks[st->task].run;
    uint32_t n = 3; /* after PS_GRANT_HEAD */
    a->list[0] = first;
    a->list[1] = iterations;
    a->list[2] = batch;
    for (int node = 0; node < c->n_nodes; node++)
        for (int j = 0; j < st->per_node[node]; j++)
            a->list[n++] = (uint32_t)(node * c->slots + j);
    if (a->n_runs == a->cap_runs &&
        ps_resize(&a->runs, (size_t)(a->cap_runs = 2 * a->cap_runs + 8), sizeof *a->runs))
        return ps_err_set(err, "scheduler: out of memory");
    stage_run *run = &a->runs[a->n_runs++];
    double now = ps_now(a->be);
    *run = (stage_run){.task = st->task, .stage = st->stage, .left = (int)n - 3, .first = first,
                       .iterations = iterations, .batch = batch, .workers = n - 3,
                       .start = now, .per_node = malloc(sizeof(int) * (size_t)c->n_nodes)};
    if (!run->per_node)
        return ps_err_set(err, "scheduler: out of memory");
    memcpy(run->per_node, st->per_node, sizeof(int) * (size_t)c->n_nodes);
    if (a->first_start[st->task] < 0)
        a->first_start[st->task] = now;
    for (int s = 0; s < r->n_servers; s++)
        if (send_to(a, st->task, ps_server_actor(s), PS_MSG_GRANT, st->stage, a->list, n, err))
            return PS_ERR;
    for (uint32_t i = 3; i < n; i++)
        if (send_to(a, st->task, ps_worker_actor(r, (int)a->list[i]), PS_MSG_GRANT, st->stage,
                    a->list, n, err))
            return PS_ERR;
    return PS_OK;
}

/* Auto: a segment of task t's stage k from `first`, with `count` workers on every
 * node, the stage's global batch (as configured: workers x batch) shared among
 * them; a probe unless the count is decided. */
static int auto_grant(sched_actor *a, int t, int k, uint32_t first, int count, ps_err *err)
{
    const ps_cluster *c = a->c;
    const ps_stage *st = &c->tasks[t].run.stages[k];
    const ps_auto *au = &a->autos[t];
    uint32_t left = (uint32_t)st->iterations - first, probe = (uint32_t)c->params.probe_iterations;
    double global = (double)st->workers * st->batch, n = (double)count * c->n_nodes;
    uint32_t batch = (uint32_t)(global / n + 0.5);
    for (int node = 0; node < c->n_nodes; node++)
        a->even[node] = count;
    ps_sched_start at = {.task = t, .stage = k, .per_node = a->even};
    return sched_grant(a, &at, first, au->decided || probe > left ? left : probe,
                       batch ? batch : 1, err);
}

/* Auto: a probe of task t's stage ended; the search says what runs next. */
static int auto_next(sched_actor *a, const stage_run *done, ps_err *err)
{
    ps_auto *au = &a->autos[done->task];
    int count = (int)done->workers / a->c->n_nodes;
    if (!au->decided)
        count = ps_auto_probe_done(au, (done->end - done->start) / done->iterations);
    return auto_grant(a, done->task, done->stage, done->first + done->iterations, count, err);
}

/* A scheduling event at `now`: whatever the policy starts is granted. */
static int sched_event(sched_actor *a, double now, ps_err *err)
{
    int nt = a->c->n_tasks;
    int placed[nt][a->c->n_nodes];
    ps_sched_start starts[nt];
    for (int i = 0; i < nt; i++)
        starts[i].per_node = placed[i];
    int n = a->c->policy->schedule(&a->c->params, &a->s, now, starts);
    for (int i = 0; i < n; i++) {
        int t = starts[i].task, k = starts[i].stage;
        const ps_stage *st = &a->c->tasks[t].run.stages[k];
        memcpy(a->held[t], starts[i].per_node, sizeof(int) * (size_t)a->c->n_nodes);
        int rc = a->c->policy->auto_parallel
                     ? auto_grant(a, t, k, 0,
                                  ps_auto_begin(&a->autos[t], (int64_t)st->workers * st->batch,
                                                a->c->slots), err)
                     : sched_grant(a, &starts[i], 0, (uint32_t)st->iterations,
                                   (uint32_t)st->batch, err);
        if (rc)
            return PS_ERR;
    }
    return PS_OK;
}

/* How long to wait for a stage end: until the next submission, or forever. */
static double sched_patience(const sched_actor *a, double now, int *running)
{
    double next = -1;
    *running = 0;
    for (int t = 0; t < a->s.n_tasks; t++) {
        const ps_sched_task *k = &a->s.tasks[t];
        *running |= k->running;
        if (k->submit > now && (next < 0 || k->submit < next))
            next = k->submit;
    }
    return next < 0 ? PS_FOREVER : next - now;
}

/* A worker's report that it has done its part of a stage; the last one ends it. */
static int sched_take_end(sched_actor *a, const ps_msg *m, double now, int *ended, ps_err *err)
{
    *ended = 0;
    int t = (int)m->table;
    uint32_t aux[2] = {UINT32_MAX, 0};
    if (m->aux_len == 4 || m->aux_len == 8)
        memcpy(aux, m->aux, m->aux_len);
    uint32_t first = aux[0];
    if (m->type == PS_MSG_STAGE_END && t >= 0 && t < a->c->n_tasks && a->failed[t])
        return PS_OK; /* the rest of an ended task's reports */
    stage_run *run = NULL;
    for (int i = 0; i < a->n_runs; i++)
        if (a->runs[i].task == t && a->runs[i].stage == m->clock && a->runs[i].first == first &&
            a->runs[i].left > 0)
            run = &a->runs[i];
    if (m->type != PS_MSG_STAGE_END || t < 0 || t >= a->c->n_tasks || !run)
        return ps_err_set(err, "scheduler: unexpected %s message from actor %u (task %d, "
                          "stage %d)", ps_msg_type_name(m->type), m->sender, t, m->clock + 1);
    if (aux[1]) { /* a worker failed: the task ends, its slots go to the others */
        a->failed[t] = 1;
        run->left = 0;
        a->s.tasks[t].next_stage = a->s.tasks[t].n_stages - 1;
    } else if (--run->left > 0) {
        return PS_OK;
    }
    run->end = now;
    if (!a->failed[t] &&
        run->first + run->iterations < (uint32_t)a->c->tasks[t].run.stages[m->clock].iterations) {
        stage_run done = *run; /* a probe: the stage goes on (runs may move) */
        return auto_next(a, &done, err);
    }
    *ended = 1;
    ps_sched_finish(&a->s, t, a->held[t]);
    if (a->s.tasks[t].next_stage < a->s.tasks[t].n_stages)
        return PS_OK;
    a->done[t] = now;
    a->n_done++;
    const ps_run *r = &a->c->tasks[t].run;
    for (int w = 0; w < r->n_workers; w++)
        if (send_to(a, t, ps_worker_actor(r, w), PS_MSG_TASK_END, r->n_stages, NULL, 0, err))
            return PS_ERR;
    return PS_OK;
}

/* Scheduling events come at each submission and each stage's end (not at each
 * worker's report: the priority policy counts the events a task waits through). */
static int sched_loop(sched_actor *a, ps_err *err)
{
    for (int event = 1; a->n_done < a->c->n_tasks;) {
        /* a submission's timeout may end an ulp before its time */
        double now = ps_now(a->be) + 1e-9;
        if (event && sched_event(a, now, err))
            return PS_ERR;
        int running;
        double wait = sched_patience(a, now, &running);
        if (!running && wait == PS_FOREVER)
            return ps_err_set(err, "scheduler (%s): %d task(s) can never start: nothing runs "
                              "and nothing is left to submit at t=%g", a->c->policy->name,
                              a->c->n_tasks - a->n_done, now);
        void *buf;
        size_t len;
        int rc = ps_recv(a->be, wait, &buf, &len, err);
        event = rc == PS_TIMEOUT; /* a submission */
        if (event)
            continue;
        if (rc)
            return PS_ERR;
        ps_msg m;
        rc = ps_msg_decode(buf, len, &m, err);
        if (rc == PS_OK && m.type == PS_MSG_INTERRUPT)
            rc = ps_err_set(err, "interrupted by %s: a multi-task run does not stop cleanly yet; "
                            "what its tasks wrote so far is kept",
                            ps_interrupt_name(m.clock));
        else if (rc == PS_OK)
            rc = sched_take_end(a, &m, ps_now(a->be), &event, err);
        free(buf);
        if (rc)
            return PS_ERR;
    }
    return PS_OK;
}

/* schedule.csv: a row per stage run, with its worker slots per node. */
static int sched_write_schedule(const sched_actor *a, ps_err *err)
{
    char tmp[4200];
    const ps_cluster *c = a->c;
    FILE *f = ps_outputs_open_tmp(c->out_dir, "schedule.csv", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    fprintf(f, "task,stage,workers,start_s,end_s,nodes,first,iterations,batch\n");
    for (int i = 0; i < a->n_runs; i++) {
        const stage_run *r = &a->runs[i];
        fprintf(f, "%s,%d,%u,%.9f,%.9f,", c->tasks[r->task].name, r->stage + 1, r->workers,
                r->start, r->end);
        int first = 1;
        for (int n = 0; n < c->n_nodes; n++)
            if (r->per_node[n]) {
                /* the node's index in the whole cluster, servers first */
                fprintf(f, "%s%d:%d", first ? "" : " ", c->cfg->servers + n, r->per_node[n]);
                first = 0;
            }
        fprintf(f, ",%u,%u,%u\n", r->first, r->iterations, r->batch);
    }
    return ps_outputs_commit_tmp(f, c->out_dir, "schedule.csv", tmp, err);
}

/* summary.txt: the policy, makespan and mean completion time, then each task. */
static int sched_write_summary(const sched_actor *a, ps_err *err)
{
    char tmp[4200];
    const ps_cluster *c = a->c;
    FILE *f = ps_outputs_open_tmp(c->out_dir, "summary.txt", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    double makespan = 0, sum = 0;
    for (int t = 0; t < c->n_tasks; t++) {
        makespan = a->done[t] > makespan ? a->done[t] : makespan;
        sum += a->done[t] - c->tasks[t].submit;
    }
    fprintf(f, "name: %s\nbackend: %s\nseed: %llu\nscheduler: %s\n", c->cfg->name,
            c->cfg->backend, (unsigned long long)c->cfg->seed, c->policy->name);
    fprintf(f, "servers: %d\nworkers: %d\nworkers_per_node: %d\ntasks: %d\n", c->cfg->servers,
            c->cfg->workers, c->slots, c->n_tasks);
    fprintf(f, "makespan_s: %.9f\nmean_completion_s: %.9f\n", makespan,
            c->n_tasks ? sum / c->n_tasks : 0.0);
    for (int t = 0; t < c->n_tasks; t++)
        fprintf(f, "task_%d: %s, stages %d, submit_s %.9f, start_s %.9f, done_s %.9f, "
                   "completion_s %.9f%s\n", t + 1, c->tasks[t].name, c->tasks[t].run.n_stages,
                c->tasks[t].submit, a->first_start[t], a->done[t],
                a->done[t] - c->tasks[t].submit, a->failed[t] ? ", failed" : "");
    return ps_outputs_commit_tmp(f, c->out_dir, "summary.txt", tmp, err);
}

void ps_scheduler_main(ps_backend *be, void *arg)
{
    ps_cluster *c = arg;
    sched_actor a;
    ps_err err;
    int rc = sched_init(&a, c, be, &err);
    if (rc == PS_OK)
        rc = sched_loop(&a, &err);
    if (rc == PS_OK)
        rc = sched_write_schedule(&a, &err);
    if (rc == PS_OK)
        rc = sched_write_summary(&a, &err);
    if (rc) {
        fprintf(stderr, "pslab: scheduler: %s\n", err.msg);
        c->failed = 1;
    }
    sched_free(&a);
}
