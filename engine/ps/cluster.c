/* A multi-task run's setup and launch (see cluster.h): the tasks' runs, each task's
 * view of the backend (its own actor ids, the scheduler at PS_SCHEDULER_ACTOR), and
 * the one actor table of them all. */
#include "engine/ps/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ps/msg.h"
#include "engine/ps/outputs.h"

/* ---- a task's view of the backend: ids offset by its base ---- */

typedef struct task_view {
    ps_backend *inner;
    int base, n;        /* the task's actors are base .. base+n-1 in the whole table */
} task_view;

static task_view *view_of(ps_backend *be) { return be->impl; }

static int view_to(const task_view *v, int to) { return to < 0 ? 0 : to + v->base; }

static int view_launch(ps_backend *be, const ps_actor_spec *a, int n, ps_err *err)
{
    (void)be;
    (void)a;
    (void)n;
    return ps_err_set(err, "a task's view of the backend launches no actors");
}

static int view_self(ps_backend *be)
{
    task_view *v = view_of(be);
    return v->inner->ops->self(v->inner) - v->base;
}

/* Messages name their sender by the task's id; on the wire it is the run's (the
 * real backend checks it against the node it came from). */
static void view_out(const task_view *v, void *buf, size_t len)
{
    if (len >= PS_MSG_HEADER_LEN)
        ps_msg_set_sender(buf, ps_msg_sender_of(buf) + (uint32_t)v->base);
}

/* The whole backend's counters count every task's messages, as ps_send would. */
static int view_send(ps_backend *be, int to, void *buf, size_t len, ps_err *err)
{
    task_view *v = view_of(be);
    view_out(v, buf, len);
    return ps_send(v->inner, view_to(v, to), buf, len, err);
}

static int view_send_spliced(ps_backend *be, int to, void *head, size_t head_len, size_t at,
                             const void *data, size_t data_len, ps_err *err)
{
    task_view *v = view_of(be);
    view_out(v, head, head_len);
    return ps_send_spliced(v->inner, view_to(v, to), head, head_len, at, data, data_len, err);
}

/* A sender outside the task (the scheduler) becomes an id no actor of it has. */
static int view_recv(ps_backend *be, double timeout_s, void **buf, size_t *len, ps_err *err)
{
    task_view *v = view_of(be);
    int rc = ps_recv(v->inner, timeout_s, buf, len, err);
    if (rc == PS_OK && *len >= PS_MSG_HEADER_LEN) {
        uint32_t g = ps_msg_sender_of(*buf);
        ps_msg_set_sender(*buf, g >= (uint32_t)v->base && g < (uint32_t)(v->base + v->n)
                                    ? g - (uint32_t)v->base : UINT32_MAX);
    }
    return rc;
}

static double view_now(ps_backend *be) { return ps_now(view_of(be)->inner); }
static void view_compute(ps_backend *be, double flops) { ps_compute(view_of(be)->inner, flops); }
static void view_disk(ps_backend *be, size_t bytes, int is_write)
{
    ps_disk(view_of(be)->inner, bytes, is_write);
}
static void view_sleep(ps_backend *be, double s) { ps_sleep(view_of(be)->inner, s); }
static int view_wake(ps_backend *be, int to, ps_err *err)
{
    task_view *v = view_of(be);
    return ps_wake(v->inner, view_to(v, to), err);
}
static int view_wait_wakes(ps_backend *be, int n, ps_err *err)
{
    return ps_wait_wakes(view_of(be)->inner, n, err);
}
static void view_destroy(ps_backend *be) { free(be->impl); }

static const ps_backend_ops view_ops = {
    .name = "task view",
    .launch = view_launch,
    .self = view_self,
    .send = view_send,
    .send_spliced = view_send_spliced,
    .recv = view_recv,
    .now = view_now,
    .compute = view_compute,
    .disk = view_disk,
    .sleep = view_sleep,
    .wake = view_wake,
    .wait_wakes = view_wait_wakes,
    .destroy = view_destroy,
};

/* ---- setup ---- */

/* Task k's config: its own file, with the cluster's shape, backend and worker-side
 * cache (the nodes' memory is the cluster's; each task's workers on a node share
 * one of cache.bytes). */
static int task_load(ps_cluster *c, int k, ps_err *err)
{
    const ps_config *cc = c->cfg;
    ps_cluster_task *t = &c->tasks[k];
    char sets[8][200];
    snprintf(sets[0], sizeof sets[0], "cluster.servers=%d", cc->servers);
    snprintf(sets[1], sizeof sets[1], "cluster.workers=%d", cc->workers);
    snprintf(sets[2], sizeof sets[2], "cluster.workers_per_node=%d", cc->workers_per_node);
    snprintf(sets[3], sizeof sets[3], "run.backend=%s", cc->backend);
    snprintf(sets[4], sizeof sets[4], "run.name=%s", t->name);
    snprintf(sets[5], sizeof sets[5], "policy.cache=%s", cc->cache);
    snprintf(sets[6], sizeof sets[6], "cache.bytes=%llu", (unsigned long long)cc->worker_cache_bytes);
    snprintf(sets[7], sizeof sets[7], "cache.staleness=%d", cc->cache_staleness);
    const char *s[8] = {sets[0], sets[1], sets[2], sets[3], sets[4], sets[5], sets[6], sets[7]};
    int n = strcmp(cc->cache, "off") != 0 ? 8 : 6;
    if (ps_config_load(&t->cfg, cc->tasks[k].config, s, n, err))
        return ps_err_prefix(err, "task.%d (%s): ", k + 1, t->name);
    if (t->cfg.n_tasks)
        return ps_err_set(err, "task.%d (%s): %s has [task.N] sections of its own; a task is "
                          "one run", k + 1, t->name, cc->tasks[k].config);
    return PS_OK;
}

int ps_cluster_init(ps_cluster *c, const ps_config *cfg, const char *out_dir, int make_dirs,
                    ps_err *err)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->out_dir = out_dir;
    c->policy = ps_scheduler_by_name(cfg->scheduler);
    if (!c->policy)
        return ps_err_set(err, "unknown scheduler %s", cfg->scheduler);
    c->params.angry_after = strcmp(cfg->scheduler, "priority") == 0
                                ? ps_config_module_int(cfg, "scheduler", "angry_after") : 0;
    c->params.probe_iterations = c->policy->auto_parallel
                                     ? ps_config_module_int(cfg, "scheduler", "probe_iterations")
                                     : 0;
    c->slots = cfg->workers_per_node > 0 ? cfg->workers_per_node : 1;
    c->n_nodes = (cfg->workers + c->slots - 1) / c->slots;
    c->single = cfg->n_tasks == 0;
    for (int k = 0; k < (c->single ? 1 : cfg->n_tasks); k++) {
        ps_cluster_task *t = &c->tasks[k];
        snprintf(t->name, sizeof t->name, "%s", c->single ? cfg->name : cfg->tasks[k].name);
        t->submit = c->single ? 0 : cfg->tasks[k].submit;
        c->n_tasks = k + 1; /* freed from here on */
        if (c->single) {
            t->tcfg = cfg;
            snprintf(t->dir, sizeof t->dir, "%s", out_dir);
        } else if (task_load(c, k, err)) {
            return PS_ERR;
        } else {
            t->tcfg = &t->cfg;
            char dir[sizeof t->dir]; /* not straight into t->dir: GCC sees t->name overlap it */
            if (snprintf(dir, sizeof dir, "%s/%s", out_dir, cfg->tasks[k].name) >= (int)sizeof dir)
                return ps_err_set(err, "%s/%s: path too long", out_dir, t->name);
            memcpy(t->dir, dir, sizeof dir);
            if (make_dirs &&
                (ps_outputs_mkdir(t->dir, err) || ps_outputs_write_config(t->dir, &t->cfg, err)))
                return ps_err_prefix(err, "task %s: ", t->name);
        }
        if (ps_run_init(&t->run, t->tcfg, t->dir, err))
            return ps_err_prefix(err, "task %s: ", t->name);
        t->run.scheduled = 1;
        t->run.task = k;
        for (int s = 0; s < t->run.n_stages; s++) {
            if (t->run.stages[s].workers > c->n_nodes * c->slots)
                return ps_err_set(err, "task %s: stage %d asks for %d workers; the cluster has %d",
                                  t->name, s + 1, t->run.stages[s].workers, c->n_nodes * c->slots);
            if (c->policy->auto_parallel)
                t->run.stages[s].direct = 0; /* its probes are never one worker's alone */
        }
    }
    return PS_OK;
}

void ps_cluster_free(ps_cluster *c)
{
    for (int k = 0; k < c->n_tasks; k++) {
        ps_run_free(&c->tasks[k].run);
        if (c->tasks[k].tcfg == &c->tasks[k].cfg)
            ps_config_free(&c->tasks[k].cfg);
        if (c->tasks[k].view.ops)
            c->tasks[k].view.ops->destroy(&c->tasks[k].view);
    }
    c->n_tasks = 0;
}

/* ---- launch ---- */

/* A task's actor: its own main, called with the task's view of the backend. */
typedef struct task_actor {
    ps_actor_main main;
    void *arg;
    ps_backend *view;
} task_actor;

static void task_actor_main(ps_backend *be, void *arg)
{
    (void)be;
    task_actor *a = arg;
    a->main(a->view, a->arg);
}

static int cluster_actor_count(const ps_cluster *c)
{
    int n = 1;
    for (int k = 0; k < c->n_tasks; k++)
        n += ps_actor_count(&c->tasks[k].run);
    return n;
}

/* Fills the whole table: the scheduler, then task by task. */
static int cluster_actors(ps_cluster *c, ps_actor_spec *spec, ps_actor_arg *args,
                          char (*names)[32], task_actor *ta, ps_err *err)
{
    spec[0] = (ps_actor_spec){.id = 0, .node = 0, .name = "scheduler",
                              .main = ps_scheduler_main, .arg = c};
    int at = 1;
    for (int k = 0; k < c->n_tasks; k++) {
        ps_cluster_task *t = &c->tasks[k];
        task_view *v = malloc(sizeof *v);
        if (!v)
            return ps_err_set(err, "out of memory");
        int n = ps_actor_count(&t->run);
        *v = (task_view){.inner = c->be, .base = at, .n = n};
        t->view = (ps_backend){.ops = &view_ops, .impl = v};
        t->base = at;
        ps_run_actors(&t->run, spec + at, args + at, names + at);
        for (int i = at; i < at + n; i++) {
            char local[32];
            snprintf(local, sizeof local, "%s", names[i]);
            snprintf(names[i], sizeof names[i], "%.14s.%.16s", t->name, local);
            ta[i] = (task_actor){.main = spec[i].main, .arg = spec[i].arg, .view = &t->view};
            spec[i].id = i;
            spec[i].main = task_actor_main;
            spec[i].arg = &ta[i];
        }
        at += n;
    }
    return PS_OK;
}

int ps_cluster_launch(ps_cluster *c, ps_backend *be, ps_err *err)
{
    c->be = be;
    int n = cluster_actor_count(c);
    ps_actor_spec *spec = calloc((size_t)n, sizeof *spec);
    ps_actor_arg *args = calloc((size_t)n, sizeof *args);
    char (*names)[32] = calloc((size_t)n, sizeof *names);
    task_actor *ta = calloc((size_t)n, sizeof *ta);
    int rc = spec && args && names && ta ? PS_OK
                                         : ps_err_set(err, "out of memory for %d actors", n);
    if (rc == PS_OK)
        rc = cluster_actors(c, spec, args, names, ta, err);
    if (rc == PS_OK)
        rc = be->ops->launch(be, spec, n, err);
    free(spec);
    free(args);
    free(names);
    free(ta);
    for (int k = 0; rc == PS_OK && k < c->n_tasks; k++)
        if (c->tasks[k].run.failed)
            rc = ps_err_set(err, "task %s failed (see the errors above)", c->tasks[k].name);
    if (rc == PS_OK && c->failed)
        rc = ps_err_set(err, "the scheduler failed (see the errors above)");
    return rc;
}
