/* A worker: owns a shard of the training data and loops over mini-batches: pull
 * the batch's keys, compute the model's step with real math, charge its flops to
 * the backend, push the results. One message per server, table and iteration
 * carries both the push of clock c and the pull for clock c+1, which halves the
 * message count (the cost that dominates a simulated cluster) without changing
 * what is read; the last message to a server closes the clock there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/ps/batch_order.h"
#include "engine/ps/indexer.h"
#include "engine/ps/msg.h"
#include "engine/ps/rules.h"
#include "engine/ps/run.h"
#include "engine/ps/straggler.h"
#include "engine/ps/worker_impl.h"
#include "engine/trace/trace.h"

static int groups_build(ps_worker *wk, int slot, int t, ps_err *err)
{
    const ps_run *r = wk->run;
    key_groups *g = &wk->tables[t].groups[slot];
    const uint64_t *keys;
    uint32_t n = worker_keys(wk, slot, t, &keys);
    if (n > wk->cap_server_of) {
        if (ps_resize(&wk->server_of, n, sizeof *wk->server_of))
            return ps_err_set(err, "out of memory grouping %u keys", n);
        wk->cap_server_of = n;
    }
    const ps_model_table *mt = &r->model_tables[t];
    const ps_partition *part = &r->tables[mt->served].partition;
    for (uint32_t k = 0; k < n; k++)
        wk->server_of[k] = (uint32_t)ps_partition_server(r->partitioner, part, mt->base + keys[k]);
    return r->model_ops->batch_group(wk->batch[slot], t, wk->server_of, r->n_servers, g->start,
                                     g->count, err);
}

static int table_reserve(table_buf *tb, uint64_t n, ps_err *err)
{
    if (n <= tb->cap)
        return PS_OK;
    if (ps_resize(&tb->w, n, sizeof *tb->w) || ps_resize(&tb->out, n, sizeof *tb->out))
        return ps_err_set(err, "out of memory for a batch of %llu values", (unsigned long long)n);
    tb->cap = n;
    return PS_OK;
}

/* The batch of clock `clock` of stage st: the next rows of the worker's sequence,
 * which runs on from one stage to the next. */
static int worker_build_batch(ps_worker *wk, const ps_stage *st, int slot, int32_t clock,
                              ps_err *err)
{
    const ps_run *r = wk->run;
    uint32_t B = (uint32_t)wk->seg.batch;
    uint64_t first = wk->rows_done + (uint64_t)(clock - st->clock_base) * B;
    if (B > wk->cap_rows) {
        if (ps_resize(&wk->rows, B, sizeof *wk->rows))
            return ps_err_set(err, "out of memory for a batch of %u rows", B);
        wk->cap_rows = B;
    }
    for (uint32_t j = 0; j < B; j++) {
        uint64_t at = first + j, pos = at % wk->n_rows;
        wk->rows[j] = wk->lo + (wk->shuffled ? ps_batch_order_row(r->cfg->seed, wk->rank,
                                                                  at / wk->n_rows, pos, wk->n_rows)
                                             : pos);
    }
    if (r->model_ops->batch_build(r->model, wk->batch[slot], r->train, wk->rows, B, &wk->rowbuf,
                                  err))
        return PS_ERR;
    for (int t = 0; t < r->n_model_tables; t++) {
        const uint64_t *keys;
        uint32_t n = worker_keys(wk, slot, t, &keys);
        if (table_reserve(&wk->tables[t], (uint64_t)n * worker_vpk(wk, t), err) ||
            groups_build(wk, slot, t, err))
            return PS_ERR;
    }
    return PS_OK;
}

static int worker_send_pulls(ps_worker *wk, int slot, int32_t clock, ps_err *err)
{
    for (int st = 0; st < wk->run->n_tables; st++)
        for (int s = 0; s < wk->run->n_servers; s++) {
            uint32_t n = served_count(wk, st, slot, s);
            if (!n)
                continue;
            ps_msg_writer m;
            if (ps_msg_build(&m, PS_MSG_PULL, 0, (uint32_t)ps_worker_actor(wk->run, wk->index),
                             (uint32_t)st, clock, n, 0, 0, err))
                return PS_ERR;
            served_keys(wk, st, slot, s, m.keys);
            if (ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err))
                return PS_ERR;
        }
    return PS_OK;
}

int ps_worker_trace_slice(ps_worker *wk, int cur, int t, int s, ps_err *err)
{
    const ps_run *r = wk->run;
    const ps_model_table *mt = &r->model_tables[t];
    if (!r->trace || mt->spec.rule == PS_RULE_ASSIGN || mt->spec.zero_at_full_gradient)
        return PS_OK;
    const key_groups *g = &wk->tables[t].groups[cur];
    uint32_t vpk = worker_vpk(wk, t);
    const uint64_t *keys;
    worker_keys(wk, cur, t, &keys);
    return ps_trace_push(&wk->trace, keys + g->start[s], mt->base, mt->served, vpk,
                         wk->tables[t].out + (size_t)g->start[s] * vpk, g->count[s], err);
}

/* Copies, traced when asked, model table t's values to push for server s into v. */
static int push_slice(ps_worker *wk, int cur, int t, int s, float *v, ps_err *err)
{
    const key_groups *g = &wk->tables[t].groups[cur];
    uint32_t vpk = worker_vpk(wk, t), n = g->count[s];
    if (n)
        memcpy(v, wk->tables[t].out + (size_t)g->start[s] * vpk, (size_t)n * vpk * sizeof *v);
    return ps_worker_trace_slice(wk, cur, t, s, err);
}

/* The message of served table st to server s closing clock `clock`: the values to
 * push on its keys of this clock, with the keys of the next pull. The values are
 * for the very keys this clock pulled from that server, in the same order, so the
 * push names them (PS_MSG_F_KEYS_ASKED) instead of carrying them. */
static int worker_send_push(ps_worker *wk, int cur, int table, int s,
                            int32_t clock, int has_next, int clock_end, ps_err *err)
{
    const ps_run *r = wk->run;
    uint32_t v = r->tables[table].spec.vals_per_key;
    uint32_t nk = served_count(wk, table, cur, s), np = has_next ? served_count(wk, table, !cur, s) : 0;
    uint16_t flags = (clock_end ? PS_MSG_F_CLOCK_END : 0) | (np ? PS_MSG_F_PULL_NEXT : 0) |
                     (nk ? PS_MSG_F_KEYS_ASKED : 0);
    uint8_t type = nk || np ? PS_MSG_PUSH : PS_MSG_CLOCK;
    uint32_t keys_len = np * (uint32_t)sizeof(uint64_t);
    ps_msg_writer m;
    if (ps_msg_build(&m, type, flags, (uint32_t)ps_worker_actor(r, wk->index), (uint32_t)table,
                     clock, nk, type == PS_MSG_PUSH ? v : 0, keys_len, err))
        return PS_ERR;
    float *vals = m.vals;
    for (int t = 0; t < r->n_model_tables; t++) {
        if (r->model_tables[t].served != table)
            continue;
        if (push_slice(wk, cur, t, s, vals, err)) {
            free(m.buf);
            return PS_ERR;
        }
        vals += (size_t)slice_count(wk, t, cur, s) * v;
    }
    if (np) /* aux is 8-byte aligned by the message format */
        served_keys(wk, table, !cur, s, (uint64_t *)(void *)m.aux);
    return ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err);
}

/* Sends to every server its tables' messages of this clock; the last one closes
 * the clock there, and a server with nothing of any table still gets a clock-only
 * message, so that every server sees every clock. */
static int worker_send_pushes(ps_worker *wk, int cur, int32_t clock, int has_next, ps_err *err)
{
    const ps_run *r = wk->run;
    for (int s = 0; s < r->n_servers; s++) {
        int last = 0, any[PS_MODEL_MAX_TABLES]; /* the last table with something for s */
        for (int t = 0; t < r->n_tables; t++) {
            any[t] = served_count(wk, t, cur, s) || (has_next && served_count(wk, t, !cur, s));
            if (any[t])
                last = t;
        }
        for (int t = 0; t <= last; t++) {
            if (t < last && !any[t])
                continue;
            if (wk->cache ? ps_wc_send_push(wk, cur, t, s, clock, has_next, t == last, err)
                          : worker_send_push(wk, cur, t, s, clock, has_next, t == last, err))
                return PS_ERR;
        }
    }
    return PS_OK;
}

/* Model table t's slice of a reply: its values, plus the initial values (stores
 * hold changes from them); n keys asked, vals the reply's part for them. */
static void take_slice(ps_worker *wk, int t, int cur, int s, const float *vals)
{
    const key_groups *g = &wk->tables[t].groups[cur];
    uint32_t v = worker_vpk(wk, t), n = g->count[s];
    float *w = wk->tables[t].w + (size_t)g->start[s] * v;
    if (n)
        memcpy(w, vals, (size_t)n * v * sizeof *w);
    const ps_model_ops *ops = wk->run->model_ops;
    if (!ops->init_values)
        return;
    const uint64_t *keys;
    worker_keys(wk, cur, t, &keys);
    for (uint32_t i = 0; i < n; i++) {
        ops->init_values(wk->run->model, t, keys[g->start[s] + i], wk->init);
        for (uint32_t j = 0; j < v; j++)
            w[(size_t)i * v + j] += wk->init[j];
    }
}

/* Copies one reply's values into the batch's pulled values, after checking that
 * it answers the clock and as many keys as were asked of that server (and the very
 * keys, when it carries them). */
static int worker_take_reply(ps_worker *wk, int cur, const ps_msg *m, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    int s = (int)m->sender - ps_server_actor(0), st = (int)m->table;
    if (m->type != PS_MSG_PULL_REPLY || s < 0 || s >= r->n_servers ||
        m->table >= (uint32_t)r->n_tables)
        return ps_err_set(err, "unexpected %s message from actor %u (table %u)",
                          ps_msg_type_name(m->type), m->sender, m->table);
    if ((m->flags & PS_MSG_F_INTERRUPTED) && m->clock == clock && m->nkeys == 0) {
        wk->interrupted = 1; /* the other replies of this clock still come */
        return PS_OK;
    }
    uint32_t v = r->tables[st].spec.vals_per_key, want = served_count(wk, st, cur, s);
    if (m->clock != clock || m->nkeys != want || m->vals_per_key != v)
        return ps_err_set(err, "server %d answered clock %d with %u keys of %u values, expected "
                          "clock %d with %u keys of %u", s, m->clock, m->nkeys, m->vals_per_key,
                          clock, want, v);
    if (!(m->flags & PS_MSG_F_KEYS_ASKED)) {
        uint64_t *asked = malloc((want ? want : 1) * sizeof *asked);
        if (!asked)
            return ps_err_set(err, "out of memory checking a reply");
        served_keys(wk, st, cur, s, asked);
        for (uint32_t i = 0; i < m->nkeys; i++)
            if (ps_msg_key(m, i) != asked[i]) {
                ps_err_set(err, "server %d answered key %llu where %llu was asked", s,
                           (unsigned long long)ps_msg_key(m, i), (unsigned long long)asked[i]);
                free(asked);
                return PS_ERR;
            }
        free(asked);
    }
    const float *vals = m->vals;
    for (int t = 0; t < r->n_model_tables; t++)
        if (r->model_tables[t].served == st) {
            take_slice(wk, t, cur, s, vals);
            vals += (size_t)slice_count(wk, t, cur, s) * v;
        }
    return PS_OK;
}

/* An assign table's new values become changes from the initial values, as the
 * stores hold them. */
static void worker_assign_offsets(ps_worker *wk, int cur)
{
    const ps_run *r = wk->run;
    if (!r->model_ops->init_values)
        return;
    for (int t = 0; t < r->n_model_tables; t++) {
        if (r->model_tables[t].spec.rule != PS_RULE_ASSIGN)
            continue;
        const uint64_t *keys;
        uint32_t n = worker_keys(wk, cur, t, &keys), v = worker_vpk(wk, t);
        for (uint32_t i = 0; i < n; i++) {
            r->model_ops->init_values(r->model, t, keys[i], wk->init);
            for (uint32_t j = 0; j < v; j++)
                wk->tables[t].out[(size_t)i * v + j] -= wk->init[j];
        }
    }
}

/* The next message for this worker, decoded; *buf is its buffer (NULL when the
 * receive failed), for the caller to free once done with m. */
int ps_worker_recv(ps_worker *wk, void **buf, ps_msg *m, ps_err *err)
{
    size_t len;
    memset(m, 0, sizeof *m);
    *buf = NULL;
    if (ps_recv(wk->be, PS_FOREVER, buf, &len, err))
        return PS_ERR;
    return ps_msg_decode(*buf, len, m, err);
}

static int worker_wait_replies(ps_worker *wk, int cur, int32_t clock, double sent_at, ps_err *err)
{
    int expected = 0;
    double held_max = 0;
    if (wk->cache && ps_wc_wait(wk, cur, clock, &held_max, err))
        return PS_ERR;
    for (int t = 0; !wk->cache && t < wk->run->n_tables; t++)
        for (int s = 0; s < wk->run->n_servers; s++)
            expected += served_count(wk, t, cur, s) != 0;
    for (int got = 0; got < expected; got++) {
        void *buf;
        ps_msg m;
        int rc = ps_worker_recv(wk, &buf, &m, err);
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
    wk->stats[wk->stage].wait_s += held_max < total ? held_max : total;
    wk->stats[wk->stage].comm_s += held_max < total ? total - held_max : 0;
    return PS_OK;
}

/* A diverged run ends here, naming where, rather than pushing NaN or infinity
 * into the servers and ending "successfully" with a nan loss. */
static int worker_check_finite(const ps_worker *wk, int cur, const ps_stage *st, int32_t c,
                               double loss, ps_err *err)
{
    uint64_t n = 0, bad = 0;
    for (int t = 0; t < wk->run->n_model_tables; t++) {
        const uint64_t *keys;
        uint64_t m = (uint64_t)worker_keys(wk, cur, t, &keys) * worker_vpk(wk, t);
        for (uint64_t k = 0; k < m; k++)
            bad += !isfinite(wk->tables[t].out[k]);
        n += m;
    }
    if (isfinite(loss) && !bad)
        return PS_OK;
    return ps_err_set(err, "diverged at stage %d, iteration %d: the batch loss is %g and %llu "
                      "of %llu pushed values are not finite (its lr = %g may be too large)",
                      st->number, c - st->clock_base, loss, (unsigned long long)bad,
                      (unsigned long long)n, st->lr);
}

/* Charges an iteration's step, started at t0: its flops to the backend, stretched
 * for an injected straggler (the same on both backends), and its statistics. */
static void worker_charge(ps_worker *wk, const ps_stage *st, int32_t c, double t0, double flops,
                          double loss)
{
    const ps_config *cfg = wk->run->cfg;
    ps_worker_stats *stats = &wk->stats[wk->stage];
    ps_compute(wk->be, flops * cfg->flop_scale);
    double slow = (wk->run->slowdown ? wk->run->slowdown[wk->index] : 1.0) *
                  ps_straggler_iteration(cfg, wk->index, c);
    if (slow > 1) /* stretch the compute just measured */
        ps_sleep(wk->be, (slow - 1) * (ps_now(wk->be) - t0));
    stats->compute_s += ps_now(wk->be) - t0;
    stats->flops += flops;
    stats->loss_sum += loss;
    stats->examples += (double)st->batch;
}

/* One iteration, clock c of stage st: the batch's values have arrived; step,
 * charge the compute, build the next batch, push. */
static int worker_step(ps_worker *wk, const ps_stage *st, int cur, int32_t c, double *iter_start,
                       ps_err *err)
{
    ps_worker_stats *stats = &wk->stats[wk->stage];
    double t0 = ps_now(wk->be), loss;
    const ps_segment *g = &wk->seg;
    ps_step_ctx ctx = {.rate = ps_run_step_rate_for(wk->run, c, g->workers),
                       .clock = c - st->clock_base, .workers = g->workers, .step = st->step,
                       .stage_examples = (double)g->workers * g->batch * st->iterations};
    const float *w[PS_MODEL_MAX_TABLES];
    float *out[PS_MODEL_MAX_TABLES];
    for (int t = 0; t < wk->run->n_model_tables; t++) {
        w[t] = wk->tables[t].w;
        out[t] = wk->tables[t].out;
    }
    double flops = wk->run->model_ops->step(wk->run->model, wk->batch[cur], w, out, &ctx, &loss);
    if (worker_check_finite(wk, cur, st, c, loss, err))
        return PS_ERR;
    worker_assign_offsets(wk, cur);
    worker_charge(wk, st, c, t0, flops, loss);
    int has_next = c + 1 < g->end;
    if (has_next && worker_build_batch(wk, st, !cur, c + 1, err))
        return PS_ERR;
    if (wk->cache) { /* this push written through before the next batch reads */
        ps_wc_write_through(wk, cur);
        if (has_next && ps_wc_plan(wk, !cur, c + 1, err))
            return PS_ERR;
        ps_wc_note_push(wk, c);
    }
    if (worker_send_pushes(wk, cur, c, has_next, err))
        return PS_ERR;
    *iter_start = ps_now(wk->be);
    stats->iterations++;
    return PS_OK;
}

/* The iterations of the worker's segment of a stage (the whole stage unless auto
 * splits it), the next batch's pull riding on each push. */
static int worker_run_stage(ps_worker *wk, const ps_stage *st, ps_err *err)
{
    int cur = 0;
    int32_t first = wk->seg.first;
    if (wk->cache)
        ps_wc_begin_stage(wk, st);
    if (worker_build_batch(wk, st, cur, first, err) ||
        (wk->cache ? ps_wc_plan(wk, cur, first, err) || ps_wc_send_pulls(wk, cur, first, err)
                   : worker_send_pulls(wk, cur, first, err)))
        return PS_ERR;
    double sent_at = ps_now(wk->be), iter_start = sent_at; /* iteration c ends at its pushes */
    for (int32_t c = first; c < wk->seg.end; c++) {
        if (worker_wait_replies(wk, cur, c, sent_at, err))
            return PS_ERR;
        int crash = ps_run_crash_point(wk->run, wk->be, 0, wk->index, c, err);
        if (crash < 0)
            return PS_ERR;
        wk->interrupted |= crash; /* dead, in sim: it pushes nothing more */
        if (wk->interrupted)
            return PS_INTERRUPTED;
        if (worker_step(wk, st, cur, c, &iter_start, err))
            return PS_ERR;
        sent_at = iter_start;
        cur = !cur;
    }
    return PS_OK;
}

/* ---- direct model transfer: a one-worker stage keeps the model itself ---- */

/* Sends a MODEL message of served table t to server s. */
static int direct_send(ps_worker *wk, int t, int s, uint16_t flags, int32_t clock, uint32_t n,
                       uint64_t lo, const uint64_t *keys, ps_err *err)
{
    uint32_t v = wk->run->tables[t].spec.vals_per_key;
    ps_msg_writer m;
    if (ps_msg_build(&m, PS_MSG_MODEL, flags | (keys ? 0 : n ? PS_MSG_F_KEY_RANGE : 0),
                     (uint32_t)ps_worker_actor(wk->run, wk->index), (uint32_t)t, clock, n,
                     n ? v : 0, 0, err))
        return PS_ERR;
    if (n && keys)
        memcpy(m.keys, keys, n * sizeof *keys);
    if (n && !keys)
        m.keys[0] = lo;
    for (uint32_t i = 0; i < n; i++)
        memcpy(m.vals + (size_t)i * v, wk->local[t] + (keys ? keys[i] : lo + i) * v, v * sizeof(float));
    return ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err);
}

/* Waits for `expected` MODEL messages of clock `clock` from the servers, copying the
 * values of those that carry some into the local model. */
static int direct_receive(ps_worker *wk, int expected, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    for (int got = 0; got < expected; got++) {
        void *buf;
        ps_msg m;
        int rc = ps_worker_recv(wk, &buf, &m, err);
        int s = (int)m.sender - ps_server_actor(0);
        if (rc == PS_OK && (m.type != PS_MSG_MODEL || s < 0 || s >= r->n_servers ||
                            m.table >= (uint32_t)r->n_tables || m.clock != clock ||
                            (m.nkeys && m.vals_per_key != r->tables[m.table].spec.vals_per_key)))
            rc = ps_err_set(err, "unexpected %s message from actor %u during a model transfer",
                            ps_msg_type_name(m.type), m.sender);
        for (uint32_t k = 0; rc == PS_OK && k < m.nkeys; k++) {
            uint64_t key = ps_msg_key(&m, k);
            uint32_t v = m.vals_per_key;
            if (key >= r->tables[m.table].spec.n_keys)
                rc = ps_err_set(err, "server %d sent key %llu beyond its table", s,
                                (unsigned long long)key);
            else
                memcpy(wk->local[m.table] + key * v, m.vals + (size_t)k * v, v * sizeof(float));
        }
        free(buf);
        if (rc)
            return PS_ERR;
    }
    return PS_OK;
}

/* The stage begins: every server's shard of every table, in bulk. */
static int direct_fetch(ps_worker *wk, const ps_stage *st, ps_err *err)
{
    const ps_run *r = wk->run;
    double t0 = ps_now(wk->be);
    for (int t = 0; t < r->n_tables; t++) {
        size_t n = (size_t)(r->tables[t].spec.n_keys * r->tables[t].spec.vals_per_key);
        free(wk->local[t]);
        if (!(wk->local[t] = calloc(n ? n : 1, sizeof(float))))
            return ps_err_set(err, "out of memory for the model (%zu values)", n);
        for (int s = 0; s < r->n_servers; s++)
            if (direct_send(wk, t, s, 0, st->clock_base, 0, 0, NULL, err))
                return PS_ERR;
    }
    int rc = direct_receive(wk, r->n_tables * r->n_servers, st->clock_base, err);
    wk->stats[wk->stage].transfer_in_s += ps_now(wk->be) - t0;
    return rc;
}

/* The stage ends: each server gets its keys' values back, the last message closing
 * the stage there, and acknowledges. */
static int direct_return(ps_worker *wk, const ps_stage *st, ps_err *err)
{
    const ps_run *r = wk->run;
    double t0 = ps_now(wk->be);
    int32_t last = st->clock_base + st->iterations - 1;
    for (int t = 0; t < r->n_tables; t++) {
        const ps_run_table *rt = &r->tables[t];
        uint64_t n = rt->spec.n_keys, lo, hi, *keys = NULL;
        if (!ps_partition_shard_range(r->partitioner, &rt->partition, 0, &lo, &hi) &&
            !(keys = malloc((n ? n : 1) * sizeof *keys)))
            return ps_err_set(err, "out of memory returning the model");
        for (int s = 0; s < r->n_servers; s++) {
            uint16_t flags = t == r->n_tables - 1 ? PS_MSG_F_CLOCK_END : 0;
            uint32_t m = 0;
            int rc;
            if (keys) { /* a hash shard: its keys, found by the partition */
                for (uint64_t k = 0; k < n; k++)
                    if (ps_partition_server(r->partitioner, &rt->partition, k) == s)
                        keys[m++] = k;
                rc = direct_send(wk, t, s, flags, last, m, 0, keys, err);
            } else {
                ps_partition_shard_range(r->partitioner, &rt->partition, s, &lo, &hi);
                rc = direct_send(wk, t, s, flags, last, (uint32_t)(hi - lo), lo, NULL, err);
            }
            if (rc) {
                free(keys);
                return PS_ERR;
            }
        }
        free(keys);
    }
    int rc = direct_receive(wk, r->n_servers, last + 1, err);
    wk->stats[wk->stage].transfer_out_s += ps_now(wk->be) - t0;
    for (int t = 0; t < r->n_tables; t++) {
        free(wk->local[t]);
        wk->local[t] = NULL;
    }
    return rc;
}

/* The batch's values from the local model (stored changes plus initial values). */
static void direct_pull(ps_worker *wk, int cur)
{
    const ps_run *r = wk->run;
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_model_table *mt = &r->model_tables[t];
        const uint64_t *keys;
        uint32_t n = worker_keys(wk, cur, t, &keys), v = mt->spec.vals_per_key;
        for (uint32_t i = 0; i < n; i++) {
            float *w = wk->tables[t].w + (size_t)i * v;
            memcpy(w, wk->local[mt->served] + (mt->base + keys[i]) * v, v * sizeof *w);
            if (!r->model_ops->init_values)
                continue;
            r->model_ops->init_values(r->model, t, keys[i], wk->init);
            for (uint32_t j = 0; j < v; j++)
                w[j] += wk->init[j];
        }
    }
}

/* The step's results applied to the local model by each table's rule, as a server
 * would apply them (rules.h), and traced as pushes. */
static int direct_apply(ps_worker *wk, int cur, double rate, ps_err *err)
{
    const ps_run *r = wk->run;
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_model_table *mt = &r->model_tables[t];
        const ps_table_spec *sp = &r->tables[mt->served].spec;
        const uint64_t *keys;
        uint32_t n = worker_keys(wk, cur, t, &keys), v = mt->spec.vals_per_key;
        const float *out = wk->tables[t].out;
        for (uint32_t i = 0; i < n; i++) {
            float *stored = wk->local[mt->served] + (mt->base + keys[i]) * v;
            int skip = mt->base + keys[i] == sp->l1_skip_key;
            for (uint32_t j = 0; j < v; j++) {
                float d = out[(size_t)i * v + j];
                if (sp->rule == PS_RULE_ASSIGN)
                    stored[j] = d;
                else
                    stored[j] += sp->rule == PS_RULE_ADD_L1 && !skip
                                     ? ps_l1_delta(stored[j], d, rate * sp->l1) : d;
            }
        }
        if (r->trace && sp->rule != PS_RULE_ASSIGN && !sp->zero_at_full_gradient &&
            ps_trace_push(&wk->trace, keys, mt->base, mt->served, v, out, n, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* A one-worker stage on the worker's own copy of the model: no message per
 * iteration, the same arithmetic as the servers'. */
static int worker_run_direct_stage(ps_worker *wk, const ps_stage *st, ps_err *err)
{
    if (direct_fetch(wk, st, err))
        return PS_ERR;
    ps_worker_stats *stats = &wk->stats[wk->stage];
    for (int32_t c = st->clock_base; c < st->clock_base + st->iterations; c++) {
        if (worker_build_batch(wk, st, 0, c, err))
            return PS_ERR;
        direct_pull(wk, 0);
        double t0 = ps_now(wk->be), loss;
        ps_step_ctx ctx = {.rate = ps_run_step_rate(wk->run, c), .clock = c - st->clock_base,
                           .workers = 1, .step = st->step,
                           .stage_examples = (double)st->batch * st->iterations};
        const float *w[PS_MODEL_MAX_TABLES];
        float *out[PS_MODEL_MAX_TABLES];
        for (int t = 0; t < wk->run->n_model_tables; t++) {
            w[t] = wk->tables[t].w;
            out[t] = wk->tables[t].out;
        }
        double flops = wk->run->model_ops->step(wk->run->model, wk->batch[0], w, out, &ctx, &loss);
        if (worker_check_finite(wk, 0, st, c, loss, err))
            return PS_ERR;
        worker_assign_offsets(wk, 0);
        if (direct_apply(wk, 0, ctx.rate, err))
            return PS_ERR;
        worker_charge(wk, st, c, t0, flops, loss);
        stats->iterations = c + 1 - st->clock_base;
    }
    return direct_return(wk, st, err);
}

/* This worker's share of the training rows when `n_workers` share them: a stage's
 * workers split the whole training set, so that a stage of fewer workers than the
 * cluster's still trains on all of it. */
static void worker_shard(ps_worker *wk, int rank, int n_workers)
{
    uint64_t n = ps_dataset_rows(wk->run->train), W = (uint64_t)n_workers;
    wk->lo = n * (uint64_t)rank / W;
    wk->n_rows = n * (uint64_t)(rank + 1) / W - wk->lo;
}

/* Stage wk->stage, this worker being its rank-th of st->workers. What it trains on
 * depends on the rank alone (its shard, its batch order, and the rows that rank
 * took in earlier stages), so a task trains one model wherever a scheduler puts
 * its stages: with workers 0 .. n-1 the rank is the worker's index. */
static int worker_take_part(ps_worker *wk, int rank, const ps_segment *seg, ps_err *err)
{
    const ps_run *r = wk->run;
    const ps_stage *st = &r->stages[wk->stage];
    wk->rank = rank;
    wk->seg = *seg;
    wk->rows_done = 0;
    for (int k = 0; k < wk->stage; k++)
        if (rank < r->stages[k].workers)
            wk->rows_done += (uint64_t)r->stages[k].iterations * (uint64_t)r->stages[k].batch;
    worker_shard(wk, rank, seg->workers);
    wk->stats[wk->stage].member = 1;
    wk->stats[wk->stage].granted += seg->end - seg->first;
    int rc = st->direct ? worker_run_direct_stage(wk, st, err) : worker_run_stage(wk, st, err);
    wk->stats[wk->stage].end_time_s = ps_now(wk->be);
    return rc;
}

/* A GRANT's segment of its stage and this worker's rank in it. */
static int worker_read_grant(const ps_worker *wk, const ps_msg *m, ps_segment *seg, int *rank,
                             ps_err *err)
{
    ps_grant g;
    if (ps_grant_decode(wk->run, m, &g, err))
        return PS_ERR;
    const ps_stage *st = &wk->run->stages[g.stage];
    *seg = (ps_segment){.first = st->clock_base + (int32_t)g.first,
                        .end = st->clock_base + (int32_t)(g.first + g.iterations),
                        .workers = (int)g.n, .batch = (int)g.batch};
    *rank = -1;
    for (uint32_t i = 0; i < g.n; i++)
        if (ps_grant_worker(&g, i) == (uint32_t)wk->index)
            *rank = (int)i;
    if (*rank < 0)
        return ps_err_set(err, "the scheduler's grant of stage %d (%u workers) leaves this "
                          "worker out", g.stage + 1, g.n);
    return PS_OK;
}

/* The scheduler's next word to this worker: a segment of a stage it takes part in
 * (*stage, the segment and its rank there), or *stage = -1: the task is over. */
static int worker_await_grant(ps_worker *wk, int *stage, ps_segment *seg, int *rank,
                              ps_err *err)
{
    void *buf;
    ps_msg m;
    int rc = ps_worker_recv(wk, &buf, &m, err);
    *stage = -1;
    if (rc == PS_OK && m.type == PS_MSG_GRANT && m.clock >= wk->stage) {
        *stage = m.clock;
        rc = worker_read_grant(wk, &m, seg, rank, err);
    } else if (rc == PS_OK && m.type != PS_MSG_TASK_END) {
        rc = ps_err_set(err, "unexpected %s message from actor %u for clock %d while waiting "
                        "for the scheduler", ps_msg_type_name(m.type), m.sender, m.clock);
    }
    free(buf);
    return rc;
}

/* Tells the scheduler this worker is done with its segment of the stage; `failed`:
 * it stopped short, and the task ends there. */
static int worker_report_stage_end(ps_worker *wk, uint32_t failed, ps_err *err)
{
    ps_msg_writer m;
    const ps_run *r = wk->run;
    uint32_t aux[2] = {(uint32_t)(wk->seg.first - r->stages[wk->stage].clock_base), failed};
    if (ps_msg_build(&m, PS_MSG_STAGE_END, 0, (uint32_t)ps_worker_actor(r, wk->index),
                     (uint32_t)r->task, wk->stage, 0, 0, failed ? 8 : 4, err))
        return PS_ERR;
    memcpy(m.aux, aux, failed ? 8 : 4);
    return ps_send(wk->be, PS_SCHEDULER_ACTOR, m.buf, m.len, err);
}

/* The stages this worker takes part in, in order; it idles through the others
 * (the servers hold its next stage's messages until that stage begins). In a
 * multi-task run the scheduler says which and when. */
static int worker_iterate(ps_worker *wk, ps_err *err)
{
    const ps_run *r = wk->run;
    if (r->scheduled) {
        int rank;
        ps_segment seg;
        for (wk->stage = -1;;) {
            int next;
            if (worker_await_grant(wk, &next, &seg, &rank, err))
                return PS_ERR;
            if (next < 0)
                return PS_OK;
            wk->stage = next;
            if (worker_take_part(wk, rank, &seg, err)) {
                ps_err report_err;
                worker_report_stage_end(wk, 1, &report_err); /* the error above says why */
                return PS_ERR;
            }
            if (worker_report_stage_end(wk, 0, err))
                return PS_ERR;
        }
    }
    for (wk->stage = 0; wk->stage < r->n_stages; wk->stage++) {
        const ps_stage *st = &r->stages[wk->stage];
        ps_segment whole = {st->clock_base, st->clock_base + st->iterations, st->workers,
                            st->batch};
        if (r->resumed && whole.end <= r->resume_clock)
            continue; /* done before the checkpoint */
        if (r->resumed && whole.first < r->resume_clock)
            whole.first = r->resume_clock;
        int rc = wk->index < st->workers ? worker_take_part(wk, wk->index, &whole, err) : PS_OK;
        if (rc)
            return rc;
    }
    return PS_OK;
}

/* lost: the node whose loss stopped it, or -1 */
static int worker_send_done(ps_worker *wk, int lost, ps_err *err)
{
    ps_msg_writer m;
    const ps_run *r = wk->run;
    uint32_t len = (uint32_t)(r->n_stages * sizeof wk->stats[0]);
    uint32_t cache_len = wk->cache ? (uint32_t)sizeof wk->cache_stats : 0;
    uint32_t why = wk->interrupted ? PS_DONE_INTERRUPTED : lost >= 0 ? PS_DONE_LOST : 0;
    if (ps_msg_build(&m, PS_MSG_DONE, 0, (uint32_t)ps_worker_actor(r, wk->index), why,
                     why == PS_DONE_LOST ? lost : r->total_clocks, 0, 0, len + cache_len, err))
        return PS_ERR;
    memcpy(m.aux, wk->stats, len);
    if (wk->cache) { /* a node's first worker speaks for its cache */
        if (wk->index % wk->n_cache_waiters == 0) {
            ps_cache_lock(wk->cache);
            wk->cache_stats.evictions = (double)ps_cache_evictions(wk->cache);
            wk->cache_stats.peak_bytes = (double)ps_cache_bytes_peak(wk->cache);
            ps_cache_unlock(wk->cache);
        }
        memcpy(m.aux + len, &wk->cache_stats, cache_len);
    }
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
    wk->shuffled = strcmp(r->cfg->order, "shuffled") == 0;
    if (wk->n_rows == 0)
        return ps_err_set(err, "worker %d has no training rows (%llu rows for %d workers)", index,
                          (unsigned long long)n, r->n_workers);
    for (int i = 0; i < 2; i++)
        if (!(wk->batch[i] = r->model_ops->batch_new()))
            return ps_err_set(err, "out of memory");
    uint32_t max_vpk = 1;
    for (int t = 0; t < r->n_model_tables; t++) {
        for (int i = 0; i < 2; i++) {
            key_groups *g = &wk->tables[t].groups[i];
            g->count = calloc((size_t)r->n_servers, sizeof(uint32_t));
            g->start = calloc((size_t)r->n_servers, sizeof(uint32_t));
            if (!g->count || !g->start)
                return ps_err_set(err, "out of memory");
        }
        if (worker_vpk(wk, t) > max_vpk)
            max_vpk = worker_vpk(wk, t);
    }
    wk->init = malloc(max_vpk * sizeof *wk->init);
    if (!wk->init)
        return ps_err_set(err, "out of memory");
    if (r->trace && ps_trace_open_worker(&wk->trace, r->out_dir, index, err))
        return PS_ERR;
    return ps_wc_init(wk, err);
}

static void worker_free(ps_worker *wk)
{
    for (int i = 0; i < 2; i++)
        if (wk->batch[i])
            wk->run->model_ops->batch_free(wk->batch[i]);
    for (int t = 0; t < PS_MODEL_MAX_TABLES; t++) {
        for (int i = 0; i < 2; i++) {
            free(wk->tables[t].groups[i].count);
            free(wk->tables[t].groups[i].start);
        }
        free(wk->tables[t].w);
        free(wk->tables[t].out);
    }
    free(wk->init);
    ps_wc_free(wk);
    for (int t = 0; t < PS_MODEL_MAX_TABLES; t++)
        free(wk->local[t]);
    ps_trace_abandon(&wk->trace);
    ps_row_buf_free(&wk->rowbuf);
    free(wk->server_of);
    free(wk->rows);
}

void ps_worker_main(ps_backend *be, void *arg)
{
    ps_actor_arg *a = arg;
    ps_worker wk;
    ps_err err;
    char who[32];
    snprintf(who, sizeof who, "worker %d", a->index);
    int rc = worker_init(&wk, a->run, be, a->index, &err);
    if (rc == PS_OK && a->run->indexer)
        rc = ps_indexer_work(a->run, be, a->index, wk.lo, wk.n_rows, &err);
    if (rc == PS_OK)
        rc = worker_iterate(&wk, &err);
    else if (rc == 1) /* the coordinator ended the index build: it reports why */
        rc = PS_OK;
    if (rc == PS_INTERRUPTED) /* what it did is kept; the coordinator says where it stopped */
        rc = PS_OK;
    if (rc == PS_OK && a->run->trace)
        rc = ps_trace_close_worker(&wk.trace, &err);
    int lost = rc ? ps_lost_node(be) : -1;
    if (rc)
        ps_run_fail(a->run, who, &err);
    /* Sent even after a failure (with fewer iterations than asked), so that the
     * coordinator learns of it and ends the run instead of waiting. */
    ps_err done_err;
    if (worker_send_done(&wk, lost, &done_err))
        ps_run_fail(a->run, who, &done_err);
    worker_free(&wk);
}
