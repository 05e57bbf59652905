/* A worker: owns a shard of the training data and loops over mini-batches: pull
 * the batch's keys, compute the gradient with real math, charge its flops to the
 * backend, push the deltas. One message per server and iteration carries both the
 * push of clock c and the pull for clock c+1, which halves the message count (the
 * cost that dominates a simulated cluster) without changing what is read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ps/msg.h"
#include "engine/ps/run.h"
#include "engine/ps/straggler.h"
#include "engine/trace/trace.h"

/* A batch's keys grouped by server (the model's batch_group): server s's keys, weights and
 * gradient are the slice [start[s], start[s]+count[s]) of the batch's arrays, so
 * that a reply or a push touches a few cache lines, not one per key. */
typedef struct key_groups {
    uint32_t *count, *start;
} key_groups;

typedef struct ps_worker {
    ps_run *run;
    ps_backend *be;
    int index;
    uint64_t lo, n_rows;         /* this worker's shard of the training rows */
    void *batch[2];              /* the model's batches: this iteration's and the next */
    key_groups groups[2];
    ps_row_buf rowbuf;
    uint32_t *server_of;         /* per key of the batch being grouped */
    uint32_t cap_server_of;
    uint64_t *rows;
    float *w_local, *delta;      /* pulled values and values to push, per batch key */
    uint32_t cap_keys;
    ps_worker_stats stats;
    ps_trace trace;              /* open when run->trace: what this worker pushed */
} ps_worker;

/* The batch's keys, in their current order. */
static uint32_t worker_keys(const ps_worker *wk, int slot, const uint64_t **keys)
{
    return wk->run->model_ops->batch_keys(wk->batch[slot], keys);
}

static int groups_build(ps_worker *wk, key_groups *g, int slot, ps_err *err)
{
    const ps_run *r = wk->run;
    const uint64_t *keys;
    uint32_t n = worker_keys(wk, slot, &keys);
    if (n > wk->cap_server_of) {
        uint32_t *p = realloc(wk->server_of, n * sizeof *p);
        if (!p)
            return ps_err_set(err, "out of memory grouping %u keys", n);
        wk->server_of = p;
        wk->cap_server_of = n;
    }
    for (uint32_t k = 0; k < n; k++)
        wk->server_of[k] = (uint32_t)ps_partition_server(r->partitioner, &r->partition, keys[k]);
    return r->model_ops->batch_group(wk->batch[slot], wk->server_of, r->n_servers, g->start,
                                     g->count, err);
}

static int worker_build_batch(ps_worker *wk, int slot, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    uint32_t B = (uint32_t)r->cfg->batch;
    for (uint32_t j = 0; j < B; j++)
        wk->rows[j] = wk->lo + ((uint64_t)clock * B + j) % wk->n_rows;
    if (r->model_ops->batch_build(r->model, wk->batch[slot], r->train, wk->rows, B, &wk->rowbuf,
                                  err))
        return PS_ERR;
    const uint64_t *keys;
    uint32_t n = worker_keys(wk, slot, &keys);
    if (n > wk->cap_keys) {
        float *w = realloc(wk->w_local, n * sizeof *w);
        if (w)
            wk->w_local = w;
        float *d = realloc(wk->delta, n * sizeof *d);
        if (d)
            wk->delta = d;
        if (!w || !d)
            return ps_err_set(err, "out of memory for a batch of %u keys", n);
        wk->cap_keys = n;
    }
    return groups_build(wk, &wk->groups[slot], slot, err);
}

static int worker_send_pulls(ps_worker *wk, int slot, int32_t clock, ps_err *err)
{
    const key_groups *g = &wk->groups[slot];
    const uint64_t *keys;
    worker_keys(wk, slot, &keys);
    for (int s = 0; s < wk->run->n_servers; s++) {
        if (!g->count[s])
            continue;
        ps_msg_writer m;
        if (ps_msg_build(&m, PS_MSG_PULL, 0, (uint32_t)ps_worker_actor(wk->run, wk->index), 0,
                         clock, g->count[s], 0, 0, err))
            return PS_ERR;
        memcpy(m.keys, keys + g->start[s], g->count[s] * sizeof *m.keys);
        if (ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* Sends, to every server, the deltas of clock `clock` on its keys (or just the
 * clock, so that every server sees every clock), with the keys of the next pull,
 * and, when the model wants it, this iteration's start and duration (timing[2]).
 * The deltas are for the very keys this clock pulled from that server, in the same
 * order, so the push names them (PS_MSG_F_KEYS_ASKED) instead of carrying them. */
static int worker_send_pushes(ps_worker *wk, int cur, int32_t clock, int has_next,
                              const double timing[2], ps_err *err)
{
    const ps_run *r = wk->run;
    const key_groups *g = &wk->groups[cur], *gn = &wk->groups[!cur];
    const uint64_t *keys, *next_keys;
    worker_keys(wk, cur, &keys);
    worker_keys(wk, !cur, &next_keys);
    int timed = r->consistency->needs_timing;
    for (int s = 0; s < r->n_servers; s++) {
        uint32_t nk = g->count[s], np = has_next ? gn->count[s] : 0;
        uint16_t flags = PS_MSG_F_CLOCK_END | (np ? PS_MSG_F_PULL_NEXT : 0) |
                         (timed ? PS_MSG_F_TIMING : 0) | (nk ? PS_MSG_F_KEYS_ASKED : 0);
        uint8_t type = nk || np ? PS_MSG_PUSH : PS_MSG_CLOCK;
        uint32_t keys_len = np * (uint32_t)sizeof(uint64_t);
        ps_msg_writer m;
        if (ps_msg_build(&m, type, flags, (uint32_t)ps_worker_actor(r, wk->index), 0, clock, nk,
                         type == PS_MSG_PUSH, keys_len + (timed ? PS_MSG_TIMING_LEN : 0), err))
            return PS_ERR;
        if (timed)
            memcpy(m.aux + keys_len, timing, PS_MSG_TIMING_LEN);
        if (nk)
            memcpy(m.vals, wk->delta + g->start[s], nk * sizeof *m.vals);
        if (r->trace && ps_trace_push(&wk->trace, keys + g->start[s], m.vals, nk, err)) {
            free(m.buf);
            return PS_ERR;
        }
        if (np)
            memcpy(m.aux, next_keys + gn->start[s], np * sizeof *next_keys);
        if (ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* Copies one reply's values into the batch's local weights, after checking that
 * it answers the clock and as many keys as were asked of that server (and the very
 * keys, when it carries them). */
static int worker_take_reply(ps_worker *wk, int cur, const ps_msg *m, int32_t clock, ps_err *err)
{
    const key_groups *g = &wk->groups[cur];
    const uint64_t *keys;
    worker_keys(wk, cur, &keys);
    int s = (int)m->sender - ps_server_actor(0);
    if (m->type != PS_MSG_PULL_REPLY || s < 0 || s >= wk->run->n_servers)
        return ps_err_set(err, "unexpected %s message from actor %u",
                          ps_msg_type_name(m->type), m->sender);
    if (m->clock != clock || m->nkeys != g->count[s] || m->vals_per_key != 1)
        return ps_err_set(err, "server %d answered clock %d with %u keys, expected clock %d "
                          "with %u keys", s, m->clock, m->nkeys, clock, g->count[s]);
    const uint64_t *asked = keys + g->start[s];
    if (!(m->flags & PS_MSG_F_KEYS_ASKED))
        for (uint32_t i = 0; i < m->nkeys; i++)
            if (ps_msg_key(m, i) != asked[i])
                return ps_err_set(err, "server %d answered key %llu where %llu was asked", s,
                                  (unsigned long long)ps_msg_key(m, i),
                                  (unsigned long long)asked[i]);
    if (m->nkeys)
        memcpy(wk->w_local + g->start[s], m->vals, m->nkeys * sizeof *m->vals);
    return PS_OK;
}

static int worker_wait_replies(ps_worker *wk, int cur, int32_t clock, double sent_at, ps_err *err)
{
    int expected = 0;
    double held_max = 0;
    for (int s = 0; s < wk->run->n_servers; s++)
        expected += wk->groups[cur].count[s] != 0;
    for (int got = 0; got < expected; got++) {
        void *buf;
        size_t len;
        ps_msg m;
        if (ps_recv(wk->be, PS_FOREVER, &buf, &len, err))
            return PS_ERR;
        int rc = ps_msg_decode(buf, len, &m, err);
        if (rc == PS_OK)
            rc = worker_take_reply(wk, cur, &m, clock, err);
        if (rc == PS_OK && m.aux_len == sizeof(double)) {
            double held;
            memcpy(&held, m.aux, sizeof held);
            held_max = held > held_max ? held : held_max;
        }
        free(buf);
        if (rc)
            return PS_ERR;
    }
    /* The gate's hold time is waiting for others; the rest of the round trip is
     * communication. */
    double total = ps_now(wk->be) - sent_at;
    wk->stats.wait_s += held_max < total ? held_max : total;
    wk->stats.comm_s += held_max < total ? total - held_max : 0;
    return PS_OK;
}

/* A diverged run ends here, naming where, rather than pushing NaN or infinity
 * into the servers and ending "successfully" with a nan loss. */
static int worker_check_finite(const ps_worker *wk, int cur, int32_t c, double loss, ps_err *err)
{
    const uint64_t *keys;
    uint32_t n = worker_keys(wk, cur, &keys), bad = 0;
    for (uint32_t k = 0; k < n; k++)
        bad += !isfinite(wk->delta[k]);
    if (isfinite(loss) && !bad)
        return PS_OK;
    return ps_err_set(err, "diverged at stage 1, iteration %d: the batch loss is %g and %u of "
                      "%u pushed values are not finite (model.lr = %g may be too large)",
                      c, loss, bad, n, wk->run->cfg->lr);
}

static int worker_iterate(ps_worker *wk, ps_err *err)
{
    const ps_config *cfg = wk->run->cfg;
    int cur = 0;
    if (worker_build_batch(wk, cur, 0, err) || worker_send_pulls(wk, cur, 0, err))
        return PS_ERR;
    double sent_at = ps_now(wk->be);
    double iter_start = sent_at; /* iteration c runs from here to its pushes */
    for (int32_t c = 0; c < cfg->iterations; c++) {
        if (worker_wait_replies(wk, cur, c, sent_at, err))
            return PS_ERR;
        double t0 = ps_now(wk->be), loss;
        ps_step_ctx ctx = {.rate = ps_run_step_rate(wk->run, c), .clock = c};
        double flops = wk->run->model_ops->step(wk->run->model, wk->batch[cur], wk->w_local,
                                                wk->delta, &ctx, &loss);
        if (worker_check_finite(wk, cur, c, loss, err))
            return PS_ERR;
        ps_compute(wk->be, flops * cfg->flop_scale);
        double slow = (wk->run->slowdown ? wk->run->slowdown[wk->index] : 1.0) *
                      ps_straggler_iteration(cfg, wk->index, c);
        if (slow > 1) /* stretch the compute just measured: the same on both backends */
            ps_sleep(wk->be, (slow - 1) * (ps_now(wk->be) - t0));
        wk->stats.compute_s += ps_now(wk->be) - t0;
        wk->stats.flops += flops;
        wk->stats.loss_sum += loss;
        wk->stats.examples += (double)cfg->batch;
        int has_next = c + 1 < cfg->iterations;
        if (has_next && worker_build_batch(wk, !cur, c + 1, err))
            return PS_ERR;
        double now = ps_now(wk->be), timing[2] = {iter_start, now - iter_start};
        if (worker_send_pushes(wk, cur, c, has_next, timing, err))
            return PS_ERR;
        sent_at = iter_start = ps_now(wk->be);
        wk->stats.iterations = c + 1;
        cur = !cur;
    }
    return PS_OK;
}

static int worker_send_done(ps_worker *wk, ps_err *err)
{
    ps_msg_writer m;
    wk->stats.end_time_s = ps_now(wk->be);
    if (ps_msg_build(&m, PS_MSG_DONE, 0, (uint32_t)ps_worker_actor(wk->run, wk->index), 0,
                     wk->run->cfg->iterations, 0, 0, sizeof wk->stats, err))
        return PS_ERR;
    memcpy(m.aux, &wk->stats, sizeof wk->stats);
    return ps_send(wk->be, PS_COORDINATOR_ID, m.buf, m.len, err);
}

static int worker_init(ps_worker *wk, ps_run *r, ps_backend *be, int index, ps_err *err)
{
    memset(wk, 0, sizeof *wk);
    wk->run = r;
    wk->be = be;
    wk->index = index;
    uint64_t n = ps_dataset_rows(r->train), W = (uint64_t)r->n_workers;
    wk->lo = n * (uint64_t)index / W;
    wk->n_rows = n * (uint64_t)(index + 1) / W - wk->lo;
    if (wk->n_rows == 0)
        return ps_err_set(err, "worker %d has no training rows (%llu rows for %d workers)", index,
                          (unsigned long long)n, r->n_workers);
    wk->rows = malloc((size_t)r->cfg->batch * sizeof *wk->rows);
    for (int i = 0; i < 2; i++)
        if (!(wk->batch[i] = r->model_ops->batch_new()))
            return ps_err_set(err, "out of memory");
    for (int i = 0; i < 2; i++) {
        wk->groups[i].count = calloc((size_t)r->n_servers, sizeof(uint32_t));
        wk->groups[i].start = calloc((size_t)r->n_servers, sizeof(uint32_t));
        if (!wk->groups[i].count || !wk->groups[i].start)
            return ps_err_set(err, "out of memory");
    }
    if (!wk->rows)
        return ps_err_set(err, "out of memory");
    return r->trace ? ps_trace_open_worker(&wk->trace, r->out_dir, index, err) : PS_OK;
}

static void worker_free(ps_worker *wk)
{
    for (int i = 0; i < 2; i++) {
        if (wk->batch[i])
            wk->run->model_ops->batch_free(wk->batch[i]);
        free(wk->groups[i].count);
        free(wk->groups[i].start);
    }
    ps_trace_abandon(&wk->trace);
    ps_row_buf_free(&wk->rowbuf);
    free(wk->server_of);
    free(wk->rows);
    free(wk->w_local);
    free(wk->delta);
}

void ps_worker_main(ps_backend *be, void *arg)
{
    ps_actor_arg *a = arg;
    ps_worker wk;
    ps_err err;
    char who[32];
    snprintf(who, sizeof who, "worker %d", a->index);
    int rc = worker_init(&wk, a->run, be, a->index, &err);
    if (rc == PS_OK)
        rc = worker_iterate(&wk, &err);
    if (rc == PS_OK && a->run->trace)
        rc = ps_trace_close_worker(&wk.trace, &err);
    if (rc)
        ps_run_fail(a->run, who, &err);
    /* Sent even after a failure (with fewer iterations than asked), so that the
     * coordinator learns of it and ends the run instead of waiting. */
    ps_err done_err;
    if (worker_send_done(&wk, &done_err))
        ps_run_fail(a->run, who, &done_err);
    worker_free(&wk);
}
