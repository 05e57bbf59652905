/* A worker's state, shared by worker.c (the iteration loop, the pulls and pushes
 * of a run without a cache, direct model transfer) and worker_cache.c (the pulls,
 * replies and pushes of a run with a worker-side parameter cache). */
#ifndef PS_WORKER_IMPL_H
#define PS_WORKER_IMPL_H

#include "engine/ps/cache.h"
#include "engine/ps/msg.h"
#include "engine/ps/run.h"
#include "engine/trace/trace.h"

/* With a cache: one key of a batch's pull from a server that is fetched, by its
 * index among the keys asked of that server (served_keys), and the cache chunk
 * waiting for it (PS_CACHE_NONE: not cached). */
/* A stage's run ended early: the run is being interrupted (PS_MSG_F_INTERRUPTED). */
#define PS_INTERRUPTED 2

typedef struct wc_fetch {
    uint32_t idx, slot;
} wc_fetch;

/* A key read from another worker's fetch in flight: its pair (served table x
 * server), index and chunk. */
typedef struct wc_join {
    uint32_t pair, idx, slot;
} wc_join;

/* A batch's keys of one served table for one server, split: those fetched (in
 * the pull's order) and those the cache gave or will give (extra: pushed with
 * their keys). */
typedef struct wc_pair {
    uint64_t *keys;     /* all of them, as served_keys writes them */
    wc_fetch *fetch;
    uint32_t *extra;
    uint32_t n, n_fetch, n_extra, cap;
} wc_pair;

/* A batch slot's plan of reads: per pair (table * n_servers + server), joins,
 * the fill notices they wait for, and the freshness of what the cache gave. */
typedef struct wc_plan {
    wc_pair *pairs;
    wc_join *joins;
    uint32_t n_joins, cap_joins;
    int notices;
    uint32_t reads;     /* chunks the cache gave (hits and joins) */
    int32_t fresh_min;  /* their smallest freshness (cache.h) */
    int32_t *pushed;    /* the node's workers' last pushed clocks as its fetches left */
} wc_plan;

/* A batch's keys of one table grouped by server (the model's batch_group): server
 * s's keys, values and results are the slice [start[s], start[s]+count[s]) of the
 * batch's arrays, so that a reply or a push touches a few cache lines, not one per
 * key. */
typedef struct key_groups {
    uint32_t *count, *start;
} key_groups;

/* One table's side of a batch: pulled values and values to push, per key. */
typedef struct table_buf {
    float *w, *out;
    uint64_t cap;        /* values */
    key_groups groups[2]; /* per batch slot */
} table_buf;

typedef struct ps_worker {
    ps_run *run;
    ps_backend *be;
    int index;
    int interrupted;  /* a reply said the run is being interrupted: end after this clock */
    uint64_t lo, n_rows;         /* this worker's shard of the training rows */
    int shuffled;                /* data.order = shuffled: a permutation per epoch */
    void *batch[2];              /* the model's batches: this iteration's and the next */
    table_buf tables[PS_MODEL_MAX_TABLES];
    ps_row_buf rowbuf;
    uint32_t *server_of;         /* per key of the batch being grouped */
    uint32_t cap_server_of;
    uint64_t *rows;
    uint32_t cap_rows;
    float *init;                 /* one key's initial values (model.init_values) */
    float *local[PS_MODEL_MAX_TABLES]; /* a direct stage: the whole model, as stored */
    ps_worker_stats stats[PS_CONFIG_MAX_STAGES]; /* per stage */
    int stage;                   /* the stage in progress */
    int rank;                    /* this worker's rank among the stage's workers */
    ps_segment seg;              /* the stretch of the stage it runs now */
    uint64_t rows_done;          /* rows taken by the stages before this one */
    ps_trace trace;              /* open when run->trace: what this worker pushed */
    /* policy.cache: its node's cache, the rule of the stage in progress, a plan per
     * batch slot, and what it saved */
    ps_cache *cache;
    ps_cache_rule rule;
    int write_through;           /* the rule lets a chunk be read after a push */
    wc_plan plan[2];
    int *cache_waiters;          /* room for the node's workers waiting on a reply */
    int32_t *cache_done;         /* a reply's clocks of the node's workers */
    int n_cache_waiters;
    ps_cache_stats cache_stats;
} ps_worker;

/* The batch's keys of table t, in their current order. */
static inline uint32_t worker_keys(const ps_worker *wk, int slot, int t, const uint64_t **keys)
{
    return wk->run->model_ops->batch_keys(wk->batch[slot], t, keys);
}

static inline uint32_t worker_vpk(const ps_worker *wk, int t)
{
    return wk->run->model_tables[t].spec.vals_per_key;
}

/* Model table t's slice for server s of batch slot `slot`: count keys from start. */
static inline uint32_t slice_count(const ps_worker *wk, int t, int slot, int s)
{
    return wk->tables[t].groups[slot].count[s];
}

/* Served table st's keys for server s: its model tables' slices, in order. */
static inline uint32_t served_count(const ps_worker *wk, int st, int slot, int s)
{
    uint32_t n = 0;
    for (int t = 0; t < wk->run->n_model_tables; t++)
        if (wk->run->model_tables[t].served == st)
            n += slice_count(wk, t, slot, s);
    return n;
}

/* Writes served table st's keys for server s (each model table's offset by its base). */
static inline void served_keys(const ps_worker *wk, int st, int slot, int s, uint64_t *out)
{
    for (int t = 0; t < wk->run->n_model_tables; t++) {
        const ps_model_table *mt = &wk->run->model_tables[t];
        if (mt->served != st)
            continue;
        const uint64_t *keys;
        worker_keys(wk, slot, t, &keys);
        const key_groups *g = &wk->tables[t].groups[slot];
        for (uint32_t i = 0; i < g->count[s]; i++)
            *out++ = mt->base + keys[g->start[s] + i];
    }
}


/* The next message for this worker, decoded (worker.c); *buf is its buffer (NULL
 * when the receive failed), for the caller to free once done with m. */
int ps_worker_recv(ps_worker *wk, void **buf, ps_msg *m, ps_err *err);
/* Traces, when asked, model table t's values to push for server s (worker.c). */
int ps_worker_trace_slice(ps_worker *wk, int cur, int t, int s, ps_err *err);

/* ---- worker_cache.c ---- */
/* Joins the node's cache, or does nothing without one. */
int ps_wc_init(ps_worker *wk, ps_err *err);
void ps_wc_free(ps_worker *wk);
/* The stage's rule of reads (at each stage or segment start). */
void ps_wc_begin_stage(ps_worker *wk, const ps_stage *st);
/* Plans batch slot `slot`'s reads for clock `clock`: the cache's chunks go
 * straight into the batch, joins wait, the rest is to fetch. */
int ps_wc_plan(ps_worker *wk, int slot, int32_t clock, ps_err *err);
/* The first pull of a segment: the plan's fetches, one message per server. */
int ps_wc_send_pulls(ps_worker *wk, int slot, int32_t clock, ps_err *err);
/* The push of served table `table` to server s closing clock `clock` (see
 * worker_send_push), its keys split as planned, the next plan's fetches riding. */
int ps_wc_send_push(ps_worker *wk, int cur, int table, int s, int32_t clock, int has_next,
                    int clock_end, ps_err *err);
/* After batch cur's step, before the next batch is planned: its deltas written
 * through into the node's chunks (when the rule lets chunks be read later). */
void ps_wc_write_through(ps_worker *wk, int cur);
/* After the next batch is planned, before the pushes of clock `clock` leave. */
void ps_wc_note_push(ps_worker *wk, int32_t clock);
/* Waits for the replies and fill notices of slot cur's plan; *held_max: the
 * servers' longest gate hold among them. */
int ps_wc_wait(ps_worker *wk, int cur, int32_t clock, double *held_max, ps_err *err);

#endif
