/* A worker's reads through its node's parameter cache (policy.cache; cache.h).
 * Each batch's keys are planned when the batch is built: a chunk the staleness
 * bound lets the cache give goes straight into the batch, one another worker of
 * the node is fetching for the same clock is waited for (its fetcher wakes it
 * when the reply is in: ps_wake), and the rest is pulled as without a cache. The
 * push that closes the clock then carries the pulled keys' deltas named by the
 * pull (PS_MSG_F_KEYS_ASKED) and the others' with their keys in aux, so that the
 * servers apply exactly what they would without the cache.
 *
 * When reads are safe: a chunk served when every worker had completed f clocks
 * holds every update of clocks below f, so the rule c - f <= bound is the
 * consistency model's own (BSP: f >= c). A worker must also see its own pushes
 * (SSP's read-my-writes): with a bound above 0 a push is written through into the
 * node's chunks, and a chunk whose reply may lack a push of the node (its server
 * had not yet applied a push that left before the fetch, as the reply's clocks of
 * the node's workers tell; or one written while it was in flight) is read only by
 * those waiting for it. Sharing a fetch in
 * flight is safe only when the gate waits for every worker's previous clock
 * (a bound of 0), since the sharer's own last push may otherwise reach the server
 * after the fetch was served; with a larger bound such a chunk is fetched again. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/ps/worker_impl.h"

static int wc_pairs(const ps_worker *wk) { return wk->run->n_tables * wk->run->n_servers; }

/* The cache's name for served table st's key. */
static uint64_t wc_id(int st, uint64_t key) { return ps_trace_param(st, key); }

/* Whether served table st's chunks go through the cache: a written-through chunk
 * must take deltas the way its server does, by plain addition. */
static int wc_cacheable(const ps_worker *wk, int st)
{
    const ps_table_spec *sp = &wk->run->tables[st].spec;
    return !wk->write_through || (sp->rule == PS_RULE_ADD && !sp->zero_at_full_gradient);
}

/* The model table (*t) and position in its batch arrays of the i-th key asked of
 * server s for served table st in batch slot `slot`. */
static uint32_t wc_pos(const ps_worker *wk, int st, int slot, int s, uint32_t i, int *t)
{
    const ps_run *r = wk->run;
    for (int k = 0; k < r->n_model_tables; k++) {
        if (r->model_tables[k].served != st)
            continue;
        uint32_t n = slice_count(wk, k, slot, s);
        if (i < n) {
            *t = k;
            return wk->tables[k].groups[slot].start[s] + i;
        }
        i -= n;
    }
    abort(); /* i is below served_count by construction */
}

/* The batch's values of key `pos` of model table t: stored changes plus the
 * model's initial values, as worker.c's take_slice makes them. */
static float *wc_value(ps_worker *wk, int t, uint32_t pos)
{
    return wk->tables[t].w + (size_t)pos * worker_vpk(wk, t);
}

static void wc_add_init(ps_worker *wk, int slot, int t, uint32_t pos)
{
    const ps_model_ops *ops = wk->run->model_ops;
    if (!ops->init_values)
        return;
    const uint64_t *keys;
    worker_keys(wk, slot, t, &keys);
    ops->init_values(wk->run->model, t, keys[pos], wk->init);
    float *w = wc_value(wk, t, pos);
    for (uint32_t j = 0; j < worker_vpk(wk, t); j++)
        w[j] += wk->init[j];
}

int ps_wc_init(ps_worker *wk, ps_err *err)
{
    const ps_run *r = wk->run;
    if (!r->cache_policy)
        return PS_OK;
    int wpn = ps_run_node_workers(r);
    wk->cache = r->caches[wk->index / wpn];
    wk->n_cache_waiters = wpn;
    if (!(wk->cache_waiters = malloc((size_t)wpn * sizeof *wk->cache_waiters)) ||
        !(wk->cache_done = malloc((size_t)wpn * sizeof *wk->cache_done)))
        return ps_err_set(err, "out of memory for the cache's notices");
    for (int i = 0; i < 2; i++)
        if (!(wk->plan[i].pairs = calloc((size_t)wc_pairs(wk), sizeof(wc_pair))) ||
            !(wk->plan[i].pushed = malloc((size_t)wpn * sizeof(int32_t))))
            return ps_err_set(err, "out of memory for the cache's plans");
    if (r->trace)
        return ps_trace_open_reads(&wk->trace, r->out_dir, err);
    return PS_OK;
}

void ps_wc_free(ps_worker *wk)
{
    free(wk->cache_waiters);
    free(wk->cache_done);
    wk->cache_waiters = NULL;
    wk->cache_done = NULL;
    for (int i = 0; i < 2; i++) {
        wc_plan *p = &wk->plan[i];
        for (int k = 0; p->pairs && k < wc_pairs(wk); k++) {
            free(p->pairs[k].keys);
            free(p->pairs[k].fetch);
            free(p->pairs[k].extra);
        }
        free(p->pairs);
        free(p->joins);
        free(p->pushed);
        memset(p, 0, sizeof *p);
    }
}

void ps_wc_begin_stage(ps_worker *wk, const ps_stage *st)
{
    const ps_config *cfg = wk->run->cfg;
    int model_bound = ps_consistency_bound(st->consistency, st->consistency_params.staleness);
    /* a model without a bound (asp) reads only what is fresh, unless told otherwise */
    int32_t bound = cfg->cache_staleness >= 0 ? cfg->cache_staleness : model_bound < 0 ? 0
                                                                                       : model_bound;
    wk->rule = (ps_cache_rule){.bound = bound, .joins = model_bound == 0};
    wk->write_through = bound > 0;
}

static int pair_reserve(wc_pair *p, uint32_t n, ps_err *err)
{
    if (n <= p->cap)
        return PS_OK;
    if (ps_resize(&p->keys, n, sizeof *p->keys) || ps_resize(&p->fetch, n, sizeof *p->fetch) ||
        ps_resize(&p->extra, n, sizeof *p->extra))
        return ps_err_set(err, "out of memory planning a pull of %u keys", n);
    p->cap = n;
    return PS_OK;
}

static int plan_join(ps_worker *wk, wc_plan *p, uint32_t pair, uint32_t i,
                     const ps_cache_read *rd, int32_t clock, ps_err *err)
{
    if (p->n_joins == p->cap_joins) {
        uint32_t cap = p->cap_joins ? 2 * p->cap_joins : 64;
        if (ps_resize(&p->joins, cap, sizeof *p->joins))
            return ps_err_set(err, "out of memory planning a pull");
        p->cap_joins = cap;
    }
    p->joins[p->n_joins++] = (wc_join){pair, i, rd->slot};
    int fresh = ps_cache_wait(wk->cache, rd->fetcher, wk->index, pair, clock);
    if (fresh < 0)
        return ps_err_set(err, "out of memory waiting for worker %d's fetch", rd->fetcher);
    p->notices += fresh;
    return PS_OK;
}

/* One pair's keys: each looked up (the cache lock held by the caller). */
static int plan_pair(ps_worker *wk, int slot, int st, int s, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    wc_plan *p = &wk->plan[slot];
    uint32_t pair = (uint32_t)(st * r->n_servers + s), n = served_count(wk, st, slot, s);
    uint32_t v = r->tables[st].spec.vals_per_key;
    wc_pair *q = &p->pairs[pair];
    if (pair_reserve(q, n, err))
        return PS_ERR;
    served_keys(wk, st, slot, s, q->keys);
    q->n = n;
    q->n_fetch = q->n_extra = 0;
    int cacheable = wc_cacheable(wk, st);
    ps_cache_stats *cs = &wk->cache_stats;
    for (uint32_t i = 0; i < n; i++) {
        ps_cache_read rd = {.what = PS_CACHE_FETCH, .slot = PS_CACHE_NONE};
        if (cacheable && ps_cache_lookup(wk->cache, &wk->rule, wc_id(st, q->keys[i]), v,
                                         wk->index, wk->stage, clock, &rd))
            return ps_err_set(err, "out of memory in the parameter cache");
        cs->reads++;
        if (rd.what == PS_CACHE_FETCH) {
            q->fetch[q->n_fetch++] = (wc_fetch){i, rd.slot};
            cs->fetched++;
            continue;
        }
        q->extra[q->n_extra++] = i;
        cs->bytes_saved += sizeof(uint64_t) + (double)v * sizeof(float);
        cs->bytes_added += sizeof(uint64_t);
        if (rd.what == PS_CACHE_JOIN) {
            cs->joins++;
            if (plan_join(wk, p, pair, i, &rd, clock, err))
                return PS_ERR;
            continue;
        }
        int t;
        uint32_t pos = wc_pos(wk, st, slot, s, i, &t);
        memcpy(wc_value(wk, t, pos), ps_cache_values(wk->cache, rd.slot), v * sizeof(float));
        wc_add_init(wk, slot, t, pos);
        cs->hits++;
        p->reads++;
        p->fresh_min = rd.fresh < p->fresh_min ? rd.fresh : p->fresh_min;
    }
    return PS_OK;
}

int ps_wc_plan(ps_worker *wk, int slot, int32_t clock, ps_err *err)
{
    wc_plan *p = &wk->plan[slot];
    p->n_joins = 0;
    p->notices = 0;
    p->reads = 0;
    p->fresh_min = INT32_MAX;
    int rc = PS_OK;
    ps_cache_lock(wk->cache);
    ps_cache_pushed(wk->cache, p->pushed);
    for (int st = 0; rc == PS_OK && st < wk->run->n_tables; st++)
        for (int s = 0; rc == PS_OK && s < wk->run->n_servers; s++)
            rc = plan_pair(wk, slot, st, s, clock, err);
    ps_cache_unlock(wk->cache);
    return rc;
}

int ps_wc_send_pulls(ps_worker *wk, int slot, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    for (int st = 0; st < r->n_tables; st++)
        for (int s = 0; s < r->n_servers; s++) {
            const wc_pair *q = &wk->plan[slot].pairs[st * r->n_servers + s];
            if (!q->n_fetch)
                continue;
            ps_msg_writer m;
            if (ps_msg_build(&m, PS_MSG_PULL, 0, (uint32_t)ps_worker_actor(r, wk->index),
                             (uint32_t)st, clock, q->n_fetch, 0, 0, err))
                return PS_ERR;
            for (uint32_t j = 0; j < q->n_fetch; j++)
                m.keys[j] = q->keys[q->fetch[j].idx];
            if (ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err))
                return PS_ERR;
        }
    return PS_OK;
}

/* The deltas of index i of pair (table, s) of batch cur, into v. */
static void push_value(const ps_worker *wk, int cur, int table, int s, uint32_t i, float *v)
{
    int t;
    uint32_t pos = wc_pos(wk, table, cur, s, i, &t), n = worker_vpk(wk, t);
    memcpy(v, wk->tables[t].out + (size_t)pos * n, n * sizeof *v);
}

int ps_wc_send_push(ps_worker *wk, int cur, int table, int s, int32_t clock, int has_next,
                    int clock_end, ps_err *err)
{
    const ps_run *r = wk->run;
    int pair = table * r->n_servers + s;
    const wc_pair *q = &wk->plan[cur].pairs[pair];
    const wc_pair *next = has_next ? &wk->plan[!cur].pairs[pair] : NULL;
    uint32_t v = r->tables[table].spec.vals_per_key, np = next ? next->n_fetch : 0;
    int asked = q->n_fetch > 0;
    /* named by the pull, the others' keys first in aux; no pull: keys carried */
    uint16_t flags = (clock_end ? PS_MSG_F_CLOCK_END : 0) | (np ? PS_MSG_F_PULL_NEXT : 0) |
                     (asked ? PS_MSG_F_KEYS_ASKED : 0);
    uint8_t type = q->n || np ? PS_MSG_PUSH : PS_MSG_CLOCK;
    uint32_t extra_len = asked ? q->n_extra * (uint32_t)sizeof(uint64_t) : 0;
    uint32_t keys_len = extra_len + np * (uint32_t)sizeof(uint64_t);
    ps_msg_writer m;
    if (ps_msg_build(&m, type, flags, (uint32_t)ps_worker_actor(r, wk->index), (uint32_t)table,
                     clock, q->n, type == PS_MSG_PUSH ? v : 0, keys_len, err))
        return PS_ERR;
    uint64_t *aux = (uint64_t *)(void *)m.aux; /* 8-byte aligned by the format */
    for (uint32_t j = 0; j < q->n_fetch; j++)
        push_value(wk, cur, table, s, q->fetch[j].idx, m.vals + (size_t)j * v);
    for (uint32_t j = 0; j < q->n_extra; j++) {
        push_value(wk, cur, table, s, q->extra[j], m.vals + (size_t)(q->n_fetch + j) * v);
        if (asked)
            aux[j] = q->keys[q->extra[j]];
        else
            m.keys[j] = q->keys[q->extra[j]];
    }
    for (uint32_t j = 0; j < np; j++)
        aux[extra_len / sizeof(uint64_t) + j] = next->keys[next->fetch[j].idx];
    for (int t = 0; t < r->n_model_tables; t++)
        if (r->model_tables[t].served == table && ps_worker_trace_slice(wk, cur, t, s, err)) {
            free(m.buf);
            return PS_ERR;
        }
    return ps_send(wk->be, ps_server_actor(s), m.buf, m.len, err);
}

void ps_wc_write_through(ps_worker *wk, int cur)
{
    if (!wk->write_through)
        return;
    const ps_run *r = wk->run;
    ps_cache_lock(wk->cache);
    for (int st = 0; st < r->n_tables; st++) {
        if (!wc_cacheable(wk, st))
            continue;
        uint32_t v = r->tables[st].spec.vals_per_key;
        for (int s = 0; s < r->n_servers; s++) {
            const wc_pair *q = &wk->plan[cur].pairs[st * r->n_servers + s];
            for (uint32_t i = 0; i < q->n; i++) {
                int t;
                uint32_t pos = wc_pos(wk, st, cur, s, i, &t);
                ps_cache_write(wk->cache, wc_id(st, q->keys[i]), wk->stage,
                               wk->tables[t].out + (size_t)pos * v, v);
            }
        }
    }
    ps_cache_unlock(wk->cache);
}

void ps_wc_note_push(ps_worker *wk, int32_t clock)
{
    ps_cache_lock(wk->cache);
    ps_cache_note_push(wk->cache, wk->index % wk->n_cache_waiters, clock);
    ps_cache_unlock(wk->cache);
}

/* Wakes each worker of the node waiting for this reply. */
static int wc_notify(ps_worker *wk, const int *who, int n, ps_err *err)
{
    for (int i = 0; i < n; i++)
        if (ps_wake(wk->be, ps_worker_actor(wk->run, who[i]), err))
            return PS_ERR;
    return PS_OK;
}

/* A reply to this plan's fetch: into the batch and the cache, then the notices. */
static int wc_take_reply(ps_worker *wk, int cur, const ps_msg *m, int32_t clock, double *held,
                         ps_err *err)
{
    const ps_run *r = wk->run;
    int s = (int)m->sender - ps_server_actor(0), st = (int)m->table;
    if (s < 0 || s >= r->n_servers || m->table >= (uint32_t)r->n_tables)
        return ps_err_set(err, "pull reply from actor %u for table %u, not a server's", m->sender,
                          m->table);
    const wc_pair *q = &wk->plan[cur].pairs[st * r->n_servers + s];
    uint32_t v = r->tables[st].spec.vals_per_key;
    int wpn = wk->n_cache_waiters;
    size_t aux_len = 2 * sizeof(double) + (size_t)wpn * sizeof(int32_t);
    if (m->clock != clock || m->nkeys != q->n_fetch || m->vals_per_key != v ||
        !(m->flags & PS_MSG_F_KEYS_ASKED) || m->aux_len != aux_len)
        return ps_err_set(err, "server %d answered clock %d with %u keys of %u values (%u aux "
                          "bytes), expected clock %d with the %u keys asked, %u values each and "
                          "its clocks (%zu bytes)", s, m->clock, m->nkeys, m->vals_per_key,
                          m->aux_len, clock, q->n_fetch, v, aux_len);
    double fresh;
    memcpy(held, m->aux, sizeof *held);
    memcpy(&fresh, m->aux + sizeof(double), sizeof fresh);
    int32_t *done = wk->cache_done;
    memcpy(done, m->aux + 2 * sizeof(double), (size_t)wpn * sizeof *done);
    int keep = ps_cache_reply_keeps(wk->plan[cur].pushed, done, wpn);
    int *who = wk->cache_waiters;
    ps_cache_lock(wk->cache);
    for (uint32_t j = 0; j < q->n_fetch; j++) {
        int t;
        uint32_t pos = wc_pos(wk, st, cur, s, q->fetch[j].idx, &t);
        memcpy(wc_value(wk, t, pos), m->vals + (size_t)j * v, v * sizeof(float));
        if (q->fetch[j].slot != PS_CACHE_NONE)
            ps_cache_fill(wk->cache, q->fetch[j].slot, m->vals + (size_t)j * v, (int32_t)fresh,
                          keep);
        wc_add_init(wk, cur, t, pos);
    }
    int n = ps_cache_waiters(wk->cache, wk->index, (uint32_t)(st * r->n_servers + s), clock, who,
                             wk->n_cache_waiters);
    ps_cache_unlock(wk->cache);
    return wc_notify(wk, who, n, err);
}

/* Every fetch this plan joined has been filled: its chunks into the batch. */
static void wc_take_joins(ps_worker *wk, int cur)
{
    const ps_run *r = wk->run;
    wc_plan *p = &wk->plan[cur];
    ps_cache_lock(wk->cache);
    for (uint32_t i = 0; i < p->n_joins; i++) {
        const wc_join *j = &p->joins[i];
        int t, st = (int)j->pair / r->n_servers, s = (int)j->pair % r->n_servers;
        uint32_t pos = wc_pos(wk, st, cur, s, j->idx, &t);
        int32_t fresh = ps_cache_take(wk->cache, j->slot, wc_value(wk, t, pos));
        wc_add_init(wk, cur, t, pos);
        p->fresh_min = fresh < p->fresh_min ? fresh : p->fresh_min;
        p->reads++;
    }
    ps_cache_unlock(wk->cache);
}

/* A server's interrupted reply in place of a fetch: its joiners are woken to end. */
static int wc_take_interrupted(ps_worker *wk, const ps_msg *m, int32_t clock, ps_err *err)
{
    const ps_run *r = wk->run;
    int s = (int)m->sender - ps_server_actor(0);
    if (s < 0 || s >= r->n_servers || m->table >= (uint32_t)r->n_tables || m->clock != clock)
        return ps_err_set(err, "interrupted reply from actor %u for table %u, clock %d",
                          m->sender, m->table, m->clock);
    int *who = wk->cache_waiters;
    ps_cache_lock(wk->cache);
    ps_cache_set_interrupted(wk->cache);
    int n = ps_cache_waiters(wk->cache, wk->index, (uint32_t)((int)m->table * r->n_servers + s),
                             clock, who, wk->n_cache_waiters);
    ps_cache_unlock(wk->cache);
    wk->interrupted = 1;
    return wc_notify(wk, who, n, err);
}

int ps_wc_wait(ps_worker *wk, int cur, int32_t clock, double *held_max, ps_err *err)
{
    const ps_run *r = wk->run;
    const wc_plan *p = &wk->plan[cur];
    int expected = 0;
    for (int k = 0; k < wc_pairs(wk); k++)
        expected += p->pairs[k].n_fetch != 0;
    *held_max = 0;
    for (int got = 0; got < expected; got++) {
        void *buf;
        ps_msg m;
        double held = 0;
        int rc = ps_worker_recv(wk, &buf, &m, err);
        if (rc == PS_OK && m.type == PS_MSG_PULL_REPLY && (m.flags & PS_MSG_F_INTERRUPTED))
            rc = wc_take_interrupted(wk, &m, clock, err);
        else if (rc == PS_OK && m.type == PS_MSG_PULL_REPLY)
            rc = wc_take_reply(wk, cur, &m, clock, &held, err);
        else if (rc == PS_OK)
            rc = ps_err_set(err, "unexpected %s message from actor %u while waiting for clock "
                            "%d's values", ps_msg_type_name(m.type), m.sender, clock);
        free(buf);
        if (rc)
            return PS_ERR;
        *held_max = held > *held_max ? held : *held_max;
    }
    /* one wake-up per fetch joined, from its fetcher once its reply is in */
    if (p->notices && ps_wait_wakes(wk->be, p->notices, err))
        return PS_ERR;
    ps_cache_lock(wk->cache);
    wk->interrupted |= ps_cache_interrupted(wk->cache);
    ps_cache_unlock(wk->cache);
    if (wk->interrupted)
        return PS_OK; /* what was not fetched is not in the cache: no step on it */
    wc_take_joins(wk, cur);
    if (r->trace && p->reads &&
        ps_trace_cache_reads(&wk->trace, ps_now(wk->be), clock, p->fresh_min, p->reads, err))
        return PS_ERR;
    return PS_OK;
}
