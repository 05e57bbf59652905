/* A server: holds one shard of each parameter table in its stores
 * (server_table.c), applies pushed updates by the table's rule and answers pulls
 * when the consistency model allows. Gates are checked here, on pull, so that
 * workers need no knowledge of the model. A message names its table; clocks are
 * the server's, whatever the tables. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/ps/checkpoint.h"
#include "engine/ps/indexer.h"
#include "engine/ps/kept_queue.h"
#include "engine/ps/members.h"
#include "engine/ps/msg.h"
#include "engine/ps/run.h"
#include "engine/ps/server_table.h"
#include "engine/trace/trace.h"

typedef struct held_pull {
    int worker, table;
    int32_t clock;
    uint32_t nkeys;
    uint64_t *keys;          /* NULL: the key range lo .. lo+nkeys-1; malloc'd */
    uint32_t *slots;         /* NULL, or the keys' slots in the store: after keys, same block */
    uint64_t lo;
    double since;
    int decided;               /* the model's decision is taken at the first check */
    ps_gate_decision decision;
} held_pull;

/* The keys of the last pull served to a worker, kept for its push of the same
 * clock, which names them by PS_MSG_F_KEYS_ASKED instead of carrying them. */
typedef struct pulled_keys {
    int32_t clock; /* -1: none kept */
    int table;
    uint32_t nkeys;
    uint64_t *keys; /* NULL: the key range lo .. lo+nkeys-1 */
    uint32_t *slots; /* as held_pull's */
    uint64_t lo;
} pulled_keys;

/* A push held by a model that defers updates until its clock completes, decoded
 * once on arrival (its keys and values point into buf, or the keys are those kept
 * from the pull). A worker may split one clock's push into several messages, and a
 * worker that pushes ahead keeps its later clocks queued behind, so each worker has
 * a queue. */
typedef struct deferred_push {
    struct deferred_push *next;
    int32_t clock;
    int table;
    uint32_t nkeys;
    const uint64_t *keys; /* NULL: the key range lo .. lo+nkeys-1 */
    const uint32_t *slots; /* NULL, or the keys' slots (pulled keys only) */
    uint64_t lo;
    const float *vals;
    uint64_t *owned_keys; /* the pull's keys, when the push named them */
    void *buf;
} deferred_push;

/* A scheduler's grant of a segment of a stage, kept until this server opens it. */
typedef struct kept_grant {
    void *buf;
    ps_grant g;              /* its list points into buf */
} kept_grant;

typedef struct ps_server {
    ps_run *run;
    ps_backend *be;
    int index;
    double net_bytes;    /* of the messages received and the pull replies sent */
    ps_server_table tables[PS_MODEL_MAX_TABLES];
    int n_tables;
    ps_clock_table clocks;
    int32_t n_at_min;        /* workers whose done == min_done */
    deferred_push **deferred_head, **deferred_tail; /* per worker, in arrival order */
    pulled_keys *pulled;     /* per worker and table: [w * n_tables + t] */
    held_pull *held;
    size_t n_held, cap_held;
    int32_t next_eval;       /* next clock at which to send a snapshot */
    /* Staleness (clock - slowest's completed clocks) of the pulls served since the
     * last snapshot, reported with it for metrics.csv. */
    double stale_n, stale_sum, stale_max;
    ps_trace trace;          /* open when run->trace */
    int stage;               /* the stage in progress (ps_run.stages) */
    ps_kept_queue pending;      /* messages of stages after it, in arrival order */
    ps_kept_queue replay;       /* to handle before receiving more: a stage began */
    int stage_reported;      /* the coordinator has this stage's transition */
    double arrived_at;       /* when the message being handled arrived */
    uint64_t *eval_keys[PS_MODEL_MAX_TABLES]; /* this server's share of a table's */
    uint64_t n_eval_keys[PS_MODEL_MAX_TABLES];
    /* The stage's workers: the tracker, held pulls and pushes count them by rank. */
    ps_members members;
    int stage_open;          /* the stage's workers are known (a multi-task run: granted) */
    int32_t seg_end;         /* the clock where the segment in progress ends */
    int awaiting_grant;      /* the segment is done here; the next is not yet granted */
    int want_stage;          /* the segment to open next: its stage and first clock in it */
    uint32_t want_first;
    double stage_done_at;    /* when the last stage to end here ended (segments aside) */
    kept_grant *grants;      /* a multi-task run's grants not yet opened */
    int n_grants, cap_grants;
    int interrupted;         /* told so by the coordinator: every pull is answered so */
    char *lost;              /* per rank: the worker is lost (fault.on_worker_failure) */
    int n_lost;
    int32_t next_ckpt;       /* the next checkpoint's clock (INT32_MAX: none) */
    int ckpt_taken;          /* checkpoints this attempt took: the first is whole */
    int32_t ckpt_last, ckpt_full; /* the clocks of the last one and of its chain's whole one */
    pthread_t ckpt_writer;   /* writing the checkpoint taken last (mem store), if */
    int ckpt_writing, ckpt_rc; /* ckpt_writing; its result, ckpt_err its error */
    ps_checkpoint_image ckpt_image;
    ps_err ckpt_err;
} ps_server;

/* The actor of the stage's rank-th worker. */
static int server_worker_actor(const ps_server *s, int rank)
{
    return ps_worker_actor(s->run, s->members.member[rank]);
}

static const ps_stage *server_stage(const ps_server *s) { return &s->run->stages[s->stage]; }
static int server_report_stage(ps_server *s, double first_served, ps_err *err);

static void server_log_drop(ps_server *s, uint32_t from, const char *why)
{
    fprintf(stderr, "pslab: server %d: dropped message from actor %u: %s\n", s->index, from, why);
}

/* Every key must be one of ours: a wrong key is a peer's bug or a hostile message.
 * keys NULL: the range lo .. lo+n-1. slots non-NULL (keys given, s->by_slot): each
 * key's slot in the store, from the same load of its place that checks it. */
static int server_check_keys(ps_server *s, const ps_server_table *T, const uint64_t *keys,
                             uint64_t lo, uint32_t n, uint32_t *slots, ps_err *err)
{
    const ps_run *r = s->run;
    const ps_partition *part = &T->rt->partition;
    uint64_t n_keys = T->rt->spec.n_keys;
    if (!keys && n) {
        if (lo >= n_keys || n_keys - lo < n)
            return ps_err_set(err, "key range [%llu, %llu) out of range (table %s has %llu keys)",
                              (unsigned long long)lo, (unsigned long long)(lo + n),
                              T->rt->spec.name, (unsigned long long)n_keys);
        if (T->dense && (lo < T->lo || lo + n > T->hi))
            return ps_err_set(err, "key range [%llu, %llu) is not within this shard [%llu, %llu)",
                              (unsigned long long)lo, (unsigned long long)(lo + n),
                              (unsigned long long)T->lo, (unsigned long long)T->hi);
        if (T->dense)
            return PS_OK;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t key = keys ? keys[i] : lo + i;
        if (key >= n_keys)
            return ps_err_set(err, "key %llu out of range (table %s has %llu keys)",
                              (unsigned long long)key, T->rt->spec.name,
                              (unsigned long long)n_keys);
        if (ps_partition_server(r->partitioner, part, key) != s->index)
            return ps_err_set(err, "key %llu of table %s belongs to server %d",
                              (unsigned long long)key, T->rt->spec.name,
                              ps_partition_server(r->partitioner, part, key));
        if (slots) /* the place the owner check just loaded */
            slots[i] = part->place[key].slot;
    }
    return PS_OK;
}

/* Charges the store's device traffic since the last call to the node's disk (sim
 * simulates it; real does nothing, the I/O has happened). */
static void server_charge_io(ps_server *s, ps_server_table *T)
{
    uint64_t rd, wr;
    ps_server_table_io(T, &rd, &wr);
    if (rd > T->io_read)
        ps_disk(s->be, (size_t)(rd - T->io_read), 0);
    if (wr > T->io_written)
        ps_disk(s->be, (size_t)(wr - T->io_written), 1);
    T->io_read = rd;
    T->io_written = wr;
    /* each block read from the device first waits for its seek */
    uint64_t reads = T->ops->io_reads ? T->ops->io_reads(T->store) : 0;
    if (reads > T->io_reads && s->run->cfg->disk_seek > 0)
        ps_sleep(s->be, (double)(reads - T->io_reads) * s->run->cfg->disk_seek);
    T->io_reads = reads;
}

/* An evaluation snapshot is the testbed reading the model (see store.h's observe). */
static void server_observe(ps_server_table *T, int on)
{
    if (T->ops->observe)
        T->ops->observe(T->store, on);
}

/* The values of this server's keys among table t's eval_keys (malloc'd arrays). */
static int server_eval_values(ps_server *s, int t, uint64_t **keys, float **vals, uint64_t *n,
                              ps_err *err)
{
    ps_server_table *T = &s->tables[t];
    *n = s->n_eval_keys[t];
    *keys = malloc((*n ? *n : 1) * sizeof **keys);
    *vals = malloc((*n ? *n : 1) * T->vpk * sizeof **vals);
    if (!*keys || !*vals)
        return ps_err_set(err, "out of memory for a snapshot of %llu keys", (unsigned long long)*n);
    memcpy(*keys, s->eval_keys[t], *n * sizeof **keys);
    for (uint64_t at = 0; at < *n; at += 65536) { /* in messages' sizes */
        uint32_t m = *n - at < 65536 ? (uint32_t)(*n - at) : 65536;
        if (ps_server_table_get(T, *keys + at, NULL, 0, m, *vals + at * T->vpk, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* Table t's shard after clock `clock`, to the coordinator: a dense shard as one
 * key range, a sparse one as the keys written so far, or, for a table evaluated
 * on the keys the held-out set touches, this server's share of those. Table 0's
 * carries the staleness of the pulls served since the last snapshot. */
static int server_send_table_snapshot(ps_server *s, int t, int32_t clock, ps_err *err)
{
    ps_server_table *T = &s->tables[t];
    ps_msg_writer w;
    double aux[PS_SNAPSHOT_AUX_IO] = {ps_now(s->be), s->stale_n, s->stale_sum, s->stale_max};
    /* Under BSP every pull is served at staleness 0, and the snapshot stays the 8
     * bytes of time it always was (BSP runs keep their message sizes, hence their
     * simulated times); a stale pull under BSP would still be reported. */
    uint32_t aux_len = t > 0 || (server_stage(s)->consistency->defer_updates && s->stale_sum == 0)
                           ? sizeof aux[0] : PS_SNAPSHOT_AUX * sizeof aux[0];
    if (t == 0 && s->run->store_ops != &ps_store_mem_ops) { /* and the store's I/O so far */
        for (int k = 0; k < s->n_tables; k++) {
            uint64_t rd, wr;
            ps_server_table_io(&s->tables[k], &rd, &wr);
            aux[4] += (double)rd;
            aux[5] += (double)wr;
        }
        aux[6] = s->net_bytes;
        aux_len = sizeof aux;
    }
    uint64_t n = T->hi - T->lo, *keys = NULL;
    float *vals = NULL;
    server_observe(T, 1);
    if (s->eval_keys[t] && server_eval_values(s, t, &keys, &vals, &n, err))
        return server_observe(T, 0), PS_ERR;
    else if (!s->eval_keys[t] && !T->dense && ps_server_table_dump(T, &keys, &vals, &n, err))
        return server_observe(T, 0), PS_ERR;
    int range = T->dense && !s->eval_keys[t];
    int rc = PS_ERR;
    if (n > UINT32_MAX / T->vpk) {
        ps_err_set(err, "a shard of %llu keys does not fit in one snapshot message",
                   (unsigned long long)n);
    } else if (ps_msg_build(&w, PS_MSG_SNAPSHOT, range ? PS_MSG_F_KEY_RANGE : 0,
                            (uint32_t)ps_server_actor(s->index), (uint32_t)t, clock, (uint32_t)n,
                            T->vpk, aux_len, err) == PS_OK) {
        if (t == 0)
            s->stale_n = s->stale_sum = s->stale_max = 0;
        rc = PS_OK;
        if (range && n) {
            w.keys[0] = T->lo;
            rc = ps_server_table_get(T, NULL, NULL, T->lo, (uint32_t)n, w.vals, err);
        } else if (n) {
            memcpy(w.keys, keys, n * sizeof *w.keys);
            memcpy(w.vals, vals, n * T->vpk * sizeof *w.vals);
        }
        memcpy(w.aux, aux, aux_len);
        if (rc == PS_OK) {
            server_charge_io(s, T);
            rc = ps_send(s->be, PS_COORDINATOR_ID, w.buf, w.len, err);
        } else {
            free(w.buf);
        }
    }
    server_observe(T, 0);
    free(keys);
    free(vals);
    return rc;
}

static int server_send_snapshot(ps_server *s, int32_t clock, ps_err *err)
{
    for (int t = 0; t < s->n_tables; t++)
        if (server_send_table_snapshot(s, t, clock, err))
            return PS_ERR;
    return PS_OK;
}

/* For a worker-side cache: f64 the clocks every worker has completed here, then
 * for each worker of the node of the worker ranked `rank` (by index within the
 * node) the clocks it has completed here, INT32_MAX for one not in the stage. */
static void server_reply_clocks(const ps_server *s, int rank, uint8_t *out)
{
    int per_node = ps_run_node_workers(s->run), first = s->members.member[rank] / per_node * per_node;
    double fresh = (double)s->clocks.min_done;
    memcpy(out, &fresh, sizeof fresh);
    for (int i = 0; i < per_node; i++) {
        int r = ps_members_rank(&s->members, first + i);
        int32_t done = r < 0 ? INT32_MAX : s->clocks.done[r];
        memcpy(out + sizeof fresh + (size_t)i * sizeof done, &done, sizeof done);
    }
}

static int server_serve_pull(ps_server *s, const held_pull *p, ps_err *err)
{
    if (!s->stage_reported && server_report_stage(s, ps_now(s->be), err))
        return PS_ERR;
    ps_msg_writer w;
    double held_s = ps_now(s->be) - p->since;
    uint16_t flags = p->keys ? PS_MSG_F_KEYS_ASKED : PS_MSG_F_KEY_RANGE;
    uint32_t me = (uint32_t)ps_server_actor(s->index);
    /* A dense range the store keeps side by side goes out from the store itself,
     * not through a copy: on the sockets backend the kernel's copy is the only one. */
    ps_server_table *T = &s->tables[p->table];
    const float *view = !p->keys && p->nkeys ? ps_server_table_view(T, p->lo, p->nkeys) : NULL;
    size_t at = 0, view_len = 0;
    uint32_t table = (uint32_t)p->table;
    /* a worker-side cache also needs the reply's freshness (clocks every worker had
     * completed here) and the clocks of each worker of the puller's node (cache.h) */
    uint32_t aux_len = (uint32_t)sizeof(double);
    if (s->run->cache_policy)
        aux_len = (uint32_t)(2 * sizeof(double) + ps_run_node_workers(s->run) * sizeof(int32_t));
    if (view ? ps_msg_build_spliced(&w, PS_MSG_PULL_REPLY, flags, me, table, p->clock, p->nkeys,
                                    T->vpk, aux_len, &at, &view_len, err)
             : ps_msg_build(&w, PS_MSG_PULL_REPLY, flags, me, table, p->clock, p->nkeys, T->vpk,
                            aux_len, err))
        return PS_ERR;
    if (p->nkeys) {
        if (!p->keys)
            w.keys[0] = p->lo;
        if (!view && ps_server_table_get(T, p->keys, p->slots, p->lo, p->nkeys, w.vals, err)) {
            free(w.buf);
            return PS_ERR;
        }
        server_charge_io(s, T);
    }
    memcpy(w.aux, &held_s, sizeof held_s);
    if (s->run->cache_policy)
        server_reply_clocks(s, p->worker, w.aux + sizeof held_s);
    double stale = (double)p->clock - (double)s->clocks.min_done;
    s->stale_n++;
    s->stale_sum += stale;
    s->stale_max = stale > s->stale_max ? stale : s->stale_max;
    if (s->run->trace && ps_trace_pull(&s->trace, ps_now(s->be), p->worker, p->clock,
                                       s->clocks.min_done, err)) {
        free(w.buf);
        return PS_ERR;
    }
    int to = server_worker_actor(s, p->worker);
    s->net_bytes += (double)(w.len + view_len);
    if (view)
        return ps_send_spliced(s->be, to, w.buf, w.len, at, view, view_len, err);
    return ps_send(s->be, to, w.buf, w.len, err);
}

/* Whether the model lets p be served now. The decision is taken at the first
 * check, which always comes after the clock that carried the pull has advanced. */
static int server_can_serve(ps_server *s, held_pull *p)
{
    const ps_stage *st = server_stage(s);
    /* a checkpoint's barrier: no worker goes past its clock before it is written */
    if (p->clock >= s->next_ckpt && s->clocks.min_done < s->next_ckpt)
        return 0;
    if (!p->decided) {
        p->decided = 1;
        if (st->consistency->decide)
            p->decision = st->consistency->decide(&st->consistency_params, &s->clocks, p->worker,
                                                  p->clock, ps_now(s->be));
    }
    return st->consistency->can_serve(&st->consistency_params, &s->clocks, p->worker, p->clock,
                                      &p->decision);
}

/* After serving p: its keys become those its worker's next push names. */
static void server_keep_pulled(ps_server *s, held_pull *p)
{
    pulled_keys *k = &s->pulled[p->worker * s->n_tables + p->table];
    free(k->keys);
    *k = (pulled_keys){.clock = p->clock, .table = p->table, .nkeys = p->nkeys, .keys = p->keys,
                       .slots = p->slots,
                       .lo = p->lo};
    p->keys = NULL;
    p->slots = NULL;
}

/* Serves, in arrival order, every held pull the model now allows. */
static int server_serve_ready(ps_server *s, ps_err *err)
{
    size_t kept = 0;
    int rc = PS_OK;
    for (size_t i = 0; i < s->n_held; i++) {
        held_pull *p = &s->held[i];
        if (rc == PS_OK && server_can_serve(s, p)) {
            rc = server_serve_pull(s, p, err);
            server_keep_pulled(s, p);
        } else {
            s->held[kept++] = *p;
        }
    }
    s->n_held = kept;
    return rc;
}

/* Serves the pull just held if the model allows it now. Older held pulls can only
 * become servable when clocks move, which server_on_min_advance handles; checking
 * just the newest keeps a burst of W pulls O(W) instead of O(W^2). */
static int server_serve_newest(ps_server *s, int worker, int table, int32_t clock, ps_err *err)
{
    if (s->n_held == 0)
        return PS_OK;
    held_pull *p = &s->held[s->n_held - 1];
    /* a clock advance in between may already have served it */
    if (p->worker != worker || p->table != table || p->clock != clock || !server_can_serve(s, p))
        return PS_OK;
    int rc = server_serve_pull(s, p, err);
    server_keep_pulled(s, p);
    s->n_held--;
    return rc;
}

/* The run is being interrupted: p is answered with no values, and its worker ends
 * once it has every reply of its clock (whichever way the other servers answer). */
static int server_send_interrupted(ps_server *s, int to, uint32_t table, int32_t clock,
                                   ps_err *err)
{
    ps_msg_writer w;
    if (ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_INTERRUPTED,
                     (uint32_t)ps_server_actor(s->index), table, clock, 0, s->tables[table].vpk,
                     0, err))
        return PS_ERR;
    return ps_send(s->be, to, w.buf, w.len, err);
}

static int server_answer_interrupted(ps_server *s, held_pull *p, ps_err *err)
{
    free(p->keys);
    p->keys = NULL;
    p->slots = NULL;
    return server_send_interrupted(s, server_worker_actor(s, p->worker), (uint32_t)p->table,
                                   p->clock, err);
}

/* A message of a stage that has not begun here, interrupted: its pull, if it
 * carries one, is answered so (the stage never begins); the rest is dropped. */
static int server_drop_interrupted(ps_server *s, void *buf, size_t len, ps_err *err)
{
    ps_msg m;
    ps_err why;
    int rc = PS_OK;
    if (ps_msg_decode(buf, len, &m, &why) == PS_OK && m.table < (uint32_t)s->n_tables &&
        (m.type == PS_MSG_PULL || (m.type == PS_MSG_PUSH && (m.flags & PS_MSG_F_PULL_NEXT))))
        rc = server_send_interrupted(s, (int)m.sender, m.table,
                                     m.type == PS_MSG_PULL ? m.clock : m.clock + 1, err);
    free(buf);
    return rc;
}

/* The coordinator's INTERRUPT: the pulls held now and every one after are answered
 * interrupted; pushes still apply, so that what a worker sent is kept. */
static int server_take_interrupt(ps_server *s, ps_err *err)
{
    int rc = PS_OK;
    s->interrupted = 1;
    for (size_t i = 0; i < s->n_held; i++)
        if (server_answer_interrupted(s, &s->held[i], err))
            rc = PS_ERR;
    s->n_held = 0;
    for (ps_kept_msg *k; (k = ps_kept_pop(&s->pending));) {
        if (server_drop_interrupted(s, k->buf, k->len, err))
            rc = PS_ERR;
        free(k);
    }
    return rc;
}

/* Holds a pull until the model lets it be served, after checking its keys (and
 * resolving them to slots). */
static int server_hold_pull(ps_server *s, int worker, int table, int32_t clock,
                            const uint64_t *keys, uint64_t lo, uint32_t n, ps_err *err)
{
    const ps_server_table *T = &s->tables[table];
    if (s->n_held == s->cap_held) {
        size_t cap = s->cap_held ? 2 * s->cap_held : 64;
        held_pull *h = realloc(s->held, cap * sizeof *h);
        if (!h)
            return ps_err_set(err, "out of memory holding pulls");
        s->held = h;
        s->cap_held = cap;
    }
    held_pull *p = &s->held[s->n_held];
    p->keys = NULL;
    p->slots = NULL;
    p->lo = lo;
    if (keys) {
        size_t per_key = sizeof *keys + (T->by_slot ? sizeof *p->slots : 0);
        p->keys = malloc((n ? n : 1) * per_key);
        if (!p->keys)
            return ps_err_set(err, "out of memory holding a pull");
        if (T->by_slot)
            p->slots = (uint32_t *)(p->keys + n);
        if (n)
            memcpy(p->keys, keys, n * sizeof *keys);
    }
    if (server_check_keys(s, T, keys, lo, n, p->slots, err)) {
        free(p->keys);
        return PS_ERR;
    }
    p->worker = worker;
    p->table = table;
    p->clock = clock;
    p->nkeys = n;
    p->since = s->arrived_at;
    p->decided = 0;
    memset(&p->decision, 0, sizeof p->decision);
    if (s->interrupted)
        return server_answer_interrupted(s, p, err);
    s->n_held++;
    return PS_OK;
}

static int server_apply(ps_server *s, int table, const uint64_t *keys, const uint32_t *slots,
                        uint64_t lo, uint32_t n, int32_t clock, const float *vals, ps_err *err)
{
    ps_server_table *T = &s->tables[table];
    double rate = ps_run_step_rate_for(s->run, clock, s->members.n - s->n_lost);
    if (ps_server_table_apply(T, keys, slots, lo, n, vals, rate, err))
        return PS_ERR;
    server_charge_io(s, T);
    return PS_OK;
}

/* Takes the oldest deferred push of worker w (there is one). */
static deferred_push *server_deferred_pop(ps_server *s, int w)
{
    deferred_push *d = s->deferred_head[w];
    s->deferred_head[w] = d->next;
    if (!d->next)
        s->deferred_tail[w] = NULL;
    return d;
}

/* The slowest clock moved: apply held pushes in worker order (so the sum is the
 * same on every run and backend), snapshot at evaluation points, serve pulls. */
/* Tells the coordinator the transition to the stage in progress: when the
 * previous one ended here, and when this one's first pull was served (-1: none). */
static int server_report_stage(ps_server *s, double first_served, ps_err *err)
{
    s->stage_reported = 1;
    if (s->stage == 0)
        return PS_OK;
    ps_msg_writer w;
    double aux[2] = {s->stage_done_at, first_served};
    if (ps_msg_build(&w, PS_MSG_STAGE, 0, (uint32_t)ps_server_actor(s->index), 0, s->stage, 0, 0,
                     sizeof aux, err))
        return PS_ERR;
    memcpy(w.aux, aux, sizeof aux);
    return ps_send(s->be, PS_COORDINATOR_ID, w.buf, w.len, err);
}

/* Every worker of the stage has completed it: the servers stay up and move to
 * the next stage's worker set (FlexPS's stage-aware consistency: the tracker is
 * reset, the clocks run on), and the messages held for it are handled next. */
static int server_next_stage(ps_server *s, ps_err *err)
{
    s->stage++;
    const ps_stage *st = server_stage(s);
    s->stage_reported = 0;
    if (!s->run->scheduled) { /* else the grant set its workers and segment */
        ps_members_prefix(&s->members, st->workers);
        s->seg_end = st->clock_base + st->iterations;
    }
    if (st->consistency->reset(&st->consistency_params, &s->clocks, s->members.n,
                               st->clock_base, err))
        return PS_ERR;
    s->n_at_min = s->members.n;
    for (int t = 0; st->step == PS_STEP_FULL_GRADIENT && t < s->n_tables; t++)
        if (s->tables[t].rt->spec.zero_at_full_gradient) {
            if (ps_server_table_zero(&s->tables[t], err))
                return PS_ERR;
            server_charge_io(s, &s->tables[t]);
        }
    for (ps_kept_msg *k; (k = ps_kept_pop(&s->pending));)
        ps_kept_push(&s->replay, k);
    return PS_OK;
}

/* The kept grant of stage k's segment from `first` (within the stage), or -1. */
static int server_find_grant(const ps_server *s, int k, uint32_t first)
{
    for (int i = 0; i < s->n_grants; i++)
        if (s->grants[i].g.stage == k && s->grants[i].g.first == first)
            return i;
    return -1;
}

/* Opens kept grant i: its workers and clocks are the segment's now. A segment of
 * the stage in progress resets the tracker to its workers, as a stage change does
 * (auto-parallelism's probes); one of the next stage is that change. */
static int server_open_segment(ps_server *s, int i, ps_err *err)
{
    void *buf = s->grants[i].buf;
    ps_grant g = s->grants[i].g;
    s->grants[i] = s->grants[--s->n_grants];
    const ps_stage *st = &s->run->stages[g.stage];
    int rc = ps_members_set(&s->members, g.list, g.n * 4u, (int)g.n, err);
    s->seg_end = st->clock_base + (int32_t)(g.first + g.iterations);
    s->awaiting_grant = 0;
    if (rc == PS_OK && s->stage_open && g.stage != s->stage) {
        rc = server_next_stage(s, err);
    } else if (rc == PS_OK) {
        s->stage_open = 1;
        rc = st->consistency->reset(&st->consistency_params, &s->clocks, s->members.n,
                                    st->clock_base + (int32_t)g.first, err);
        s->n_at_min = s->members.n;
        for (ps_kept_msg *k; rc == PS_OK && (k = ps_kept_pop(&s->pending));)
            ps_kept_push(&s->replay, k);
    }
    free(buf);
    return rc;
}

/* Every worker has completed min_done clocks and, held by the barrier, none has
 * begun the next: the shards are written as they stand, the file's bytes charged
 * to this host's disk (their reads are the testbed's, as a snapshot's are). A
 * stage of direct transfer moves the minimum past the planned clock in one step:
 * the checkpoint is then at its end. */
static void *server_ckpt_writer(void *arg)
{
    ps_server *s = arg;
    s->ckpt_rc = ps_checkpoint_commit(&s->ckpt_image, &s->ckpt_err);
    return NULL;
}

/* The checkpoint being written in the background is on disk (or failed). */
static int server_ckpt_wait(ps_server *s, ps_err *err)
{
    if (!s->ckpt_writing)
        return PS_OK;
    pthread_join(s->ckpt_writer, NULL);
    s->ckpt_writing = 0;
    if (s->ckpt_rc)
        *err = s->ckpt_err;
    return s->ckpt_rc ? PS_ERR : PS_OK;
}

/* A mem store's shards are copied at the barrier and written by a thread while
 * training goes on (the disk's time charged in the background); a store on disk
 * has no room for a copy, and is written at the barrier. */
static int server_ckpt_save(ps_server *s, int32_t c, ps_err *err)
{
    double at = ps_now(s->be) + s->run->time_offset;
    int every = s->run->cfg->checkpoint_full_every;
    ps_checkpoint_delta d = {s->ckpt_last, s->ckpt_full};
    const ps_checkpoint_delta *delta = every > 1 && s->ckpt_taken % every ? &d : NULL;
    s->ckpt_taken++;
    s->ckpt_last = c;
    if (!delta)
        s->ckpt_full = c;
    if (s->run->store_ops != &ps_store_mem_ops) {
        uint64_t bytes = 0;
        if (ps_checkpoint_write(s->run, s->index, c, at, delta, s->tables, s->n_tables, &bytes,
                                err))
            return PS_ERR;
        ps_disk(s->be, (size_t)bytes, 1);
        return PS_OK;
    }
    if (server_ckpt_wait(s, err) ||
        ps_checkpoint_take(s->run, s->index, c, at, delta, s->tables, s->n_tables, &s->ckpt_image,
                           err))
        return PS_ERR;
    ps_disk_behind(s->be, s->ckpt_image.len);
    if (pthread_create(&s->ckpt_writer, NULL, server_ckpt_writer, s) == 0) {
        s->ckpt_writing = 1;
        return PS_OK;
    }
    return ps_checkpoint_commit(&s->ckpt_image, err); /* no thread: at once */
}

static int server_checkpoint(ps_server *s, ps_err *err)
{
    int32_t c = s->clocks.min_done;
    for (int t = 0; t < s->n_tables; t++)
        server_observe(&s->tables[t], 1);
    int rc = server_ckpt_save(s, c, err);
    for (int t = 0; t < s->n_tables; t++)
        server_observe(&s->tables[t], 0);
    if (rc)
        return PS_ERR;
    int every = s->run->cfg->checkpoint_every;
    s->next_ckpt = c / every < (INT32_MAX - every) / every ? (c / every + 1) * every : INT32_MAX;
    return PS_OK;
}

static int server_on_min_advance(ps_server *s, ps_err *err)
{
    for (int w = 0; w < s->clocks.n_workers; w++) {
        while (s->deferred_head[w] && s->deferred_head[w]->clock < s->clocks.min_done) {
            deferred_push *d = server_deferred_pop(s, w);
            int rc = server_apply(s, d->table, d->keys, d->slots, d->lo, d->nkeys, d->clock,
                                  d->vals, err);
            free(d->owned_keys);
            free(d->buf);
            free(d);
            if (rc)
                return PS_ERR;
        }
    }
    if (s->clocks.min_done >= s->next_ckpt && server_checkpoint(s, err))
        return PS_ERR;
    int crash = ps_run_crash_point(s->run, s->be, 1, s->index, s->clocks.min_done, err);
    if (crash) /* dead: it serves no pull again */
        return crash < 0 ? PS_ERR : server_take_interrupt(s, err);
    /* Under BSP the minimum moves one clock at a time; a model that lets it jump
     * labels the skipped evaluation points with the newest state, which is all the
     * server still has. */
    const ps_stage *st = server_stage(s);
    int32_t end = st->clock_base + st->iterations;
    if (s->clocks.min_done >= end && !s->stage_reported && server_report_stage(s, -1, err))
        return PS_ERR; /* a stage that served no pull here */
    while (s->next_eval <= s->clocks.min_done) {
        if (server_send_snapshot(s, s->next_eval, err))
            return PS_ERR;
        s->next_eval = ps_run_next_eval(s->run, s->next_eval);
    }
    if (s->clocks.min_done >= s->seg_end && (s->seg_end < end || s->stage + 1 < s->run->n_stages)) {
        int same = s->seg_end < end; /* a probe ended: the stage goes on */
        if (!same)
            s->stage_done_at = ps_now(s->be);
        if (!s->run->scheduled)
            return server_next_stage(s, err);
        s->want_stage = same ? s->stage : s->stage + 1;
        s->want_first = same ? (uint32_t)(s->seg_end - st->clock_base) : 0;
        s->awaiting_grant = 1; /* its grant will open it */
        int i = server_find_grant(s, s->want_stage, s->want_first);
        return i >= 0 ? server_open_segment(s, i, err) : PS_OK;
    }
    return server_serve_ready(s, err);
}

/* The last worker at the slowest clock has left it: the new slowest clock and how
 * many workers are at it. */
static void server_min_moved(ps_server *s)
{
    ps_clock_table *t = &s->clocks;
    while (s->n_at_min == 0) {
        t->min_done++;
        for (int i = 0; i < t->n_workers; i++)
            s->n_at_min += t->done[i] == t->min_done;
    }
}

static int server_advance_clock(ps_server *s, int w, ps_err *err)
{
    ps_clock_table *t = &s->clocks;
    if (server_stage(s)->consistency->decide) /* WSP predicts from arrivals */
        ps_clock_table_arrival(t, w, ps_now(s->be));
    int32_t d = t->done[w]++;
    if (d != t->min_done || --s->n_at_min > 0)
        return server_stage(s)->consistency->recheck_on_any_clock ? server_serve_ready(s, err)
                                                                  : PS_OK;
    server_min_moved(s);
    return server_on_min_advance(s, err);
}

/* fault.on_worker_failure = continue: worker w is gone. Its clock no longer holds
 * anyone back (what it pushed is applied as ever), as if the stage had changed to
 * the others; with none of them behind it, the slowest clock moves on now. */
static int server_lose_worker(ps_server *s, int w, ps_err *err)
{
    int r = ps_members_rank(&s->members, w);
    ps_clock_table *t = &s->clocks;
    if (r < 0 || s->lost[r])
        return PS_OK;
    s->lost[r] = 1;
    s->n_lost++;
    int32_t d = t->done[r];
    t->done[r] = PS_CLOCK_GONE;
    if (s->n_lost == s->members.n)
        return ps_err_set(err, "server %d: every worker is lost", s->index);
    if (d != t->min_done || --s->n_at_min > 0)
        return server_serve_ready(s, err);
    server_min_moved(s);
    return server_on_min_advance(s, err);
}

/* Whether a push of worker w for clock c, under a model that defers updates, can
 * be applied on arrival with the same result as at the clock's end: every other
 * worker has completed c (so no pull for c can still come, and pulls for c+1 wait
 * for w's clock end), and no push ahead of it in worker order is still held. A
 * push split in parts is then applied part by part as the parts arrive, while the
 * next ones are on the wire. */
static int server_may_apply_early(const ps_server *s, int w, int32_t c)
{
    if (s->clocks.min_done != c || s->n_at_min != 1)
        return 0;
    for (int v = 0; v <= w; v++)
        if (s->deferred_head[v])
            return 0;
    return 1;
}

/* A push naming its pull's keys k and, first in aux, the keys its worker read from
 * its cache: one array of both (checked, and resolved to slots when k has them). */
static int server_push_keys_more(ps_server *s, pulled_keys *k, const ps_msg *m,
                                 uint32_t keys_len, const uint64_t **keys,
                                 const uint32_t **slots, uint64_t **owned, ps_err *err)
{
    uint32_t more = m->nkeys - k->nkeys;
    if ((uint64_t)keys_len < (uint64_t)more * sizeof(uint64_t))
        return ps_err_set(err, "push of clock %d has %u keys beyond its pull's %u, but only %u "
                          "bytes of aux to hold them", m->clock, more, k->nkeys, keys_len);
    /* the slots follow the keys in one block, as a held pull's do */
    size_t per_key = sizeof(uint64_t) + (k->slots ? sizeof(uint32_t) : 0);
    uint64_t *all = malloc((size_t)m->nkeys * per_key);
    if (!all)
        return ps_err_set(err, "out of memory for a push of %u keys", m->nkeys);
    uint32_t *sl = k->slots ? (uint32_t *)(all + m->nkeys) : NULL;
    for (uint32_t i = 0; i < k->nkeys; i++)
        all[i] = k->keys ? k->keys[i] : k->lo + i;
    memcpy(all + k->nkeys, m->aux, (size_t)more * sizeof *all); /* aux is 8-byte aligned */
    if (sl)
        memcpy(sl, k->slots, (size_t)k->nkeys * sizeof *sl);
    if (server_check_keys(s, &s->tables[m->table], all + k->nkeys, 0, more,
                          sl ? sl + k->nkeys : NULL, err)) {
        free(all);
        return PS_ERR;
    }
    free(k->keys); /* and its slots, in the same block */
    *k = (pulled_keys){.clock = -1};
    *keys = *owned = all;
    *slots = sl;
    return PS_OK;
}

/* The keys a push of worker w applies to: its own, or, when it names them
 * (PS_MSG_F_KEYS_ASKED), those of w's pull of the same clock, which pass to the
 * caller in *owned, followed by *aux_used bytes of aux of keys read from a cache;
 * keys_len: the bytes of aux before its timing trailer. */
static int server_push_keys(ps_server *s, int w, const ps_msg *m, uint32_t keys_len,
                            const uint64_t **keys, const uint32_t **slots, uint64_t *lo,
                            uint64_t **owned, uint32_t *aux_used, ps_err *err)
{
    *aux_used = 0;
    *keys = m->keys;
    *slots = NULL;
    *lo = m->key_lo;
    *owned = NULL;
    if (!(m->flags & PS_MSG_F_KEYS_ASKED) || !m->nkeys)
        return PS_OK;
    pulled_keys *k = &s->pulled[w * s->n_tables + (int)m->table];
    /* with a worker-side cache, keys it read from the cache follow in aux */
    int more = s->run->cache_policy && k->clock == m->clock && k->nkeys < m->nkeys;
    if (k->clock != m->clock || (k->nkeys != m->nkeys && !more)) {
        if (k->clock < 0)
            return ps_err_set(err, "push of clock %d names the keys of its pull, but worker %d "
                              "has no served pull awaiting its push", m->clock, w);
        return ps_err_set(err, "push of clock %d names %u keys of its pull, but worker %d's "
                          "served pull awaiting its push is of clock %d with %u keys", m->clock,
                          m->nkeys, w, k->clock, k->nkeys);
    }
    if (more) {
        *aux_used = (m->nkeys - k->nkeys) * (uint32_t)sizeof(uint64_t);
        return server_push_keys_more(s, k, m, keys_len, keys, slots, owned, err);
    }
    *keys = *owned = k->keys;
    *slots = k->slots;
    *lo = k->lo;
    *k = (pulled_keys){.clock = -1};
    return PS_OK;
}

/* A push (or clock-only message) of worker w: apply or defer the deltas, close
 * the clock, then register the piggy-backed pull for the next clock. The buffer
 * is consumed (kept while deferred). */
static int server_handle_push(ps_server *s, int w, const ps_msg *m, void *buf, ps_err *err)
{
    ps_clock_table *t = &s->clocks;
    int rc = PS_OK;
    const uint64_t *keys;
    const uint32_t *slots = NULL;
    uint64_t lo, *owned = NULL;
    if (m->clock != t->done[w])
        rc = ps_err_set(err, "worker %d pushed clock %d while at clock %d", w, m->clock,
                        t->done[w]);
    else if (m->type == PS_MSG_PUSH && m->vals_per_key != s->tables[m->table].vpk)
        rc = ps_err_set(err, "push with %u values per key, table %s has %u", m->vals_per_key,
                        s->tables[m->table].rt->spec.name, s->tables[m->table].vpk);
    uint32_t keys_len = m->aux_len;
    if (rc == PS_OK && (m->flags & PS_MSG_F_TIMING)) {
        if (!(m->flags & PS_MSG_F_CLOCK_END) || m->aux_len < PS_MSG_TIMING_LEN)
            rc = ps_err_set(err, "timing flag without a clock end and a %u-byte trailer",
                            PS_MSG_TIMING_LEN);
        keys_len -= PS_MSG_TIMING_LEN;
    }
    uint32_t aux_used = 0;
    if (rc == PS_OK)
        rc = server_push_keys(s, w, m, keys_len, &keys, &slots, &lo, &owned, &aux_used, err);
    if (rc == PS_OK)
        keys_len -= aux_used;
    if (rc == PS_OK && (m->flags & PS_MSG_F_PULL_NEXT)) {
        /* aux is 8-byte aligned by the message format */
        const uint64_t *pull_keys = (const uint64_t *)(const void *)(m->aux + aux_used);
        uint32_t n_pull = keys_len / (uint32_t)sizeof(uint64_t);
        if (keys_len % sizeof(uint64_t))
            rc = ps_err_set(err, "pull keys are not a whole number of u64 (%u bytes)", keys_len);
        else
            rc = server_hold_pull(s, w, (int)m->table, m->clock + 1, pull_keys, 0, n_pull, err);
    }
    if (rc) {
        free(owned);
        free(buf);
        return PS_ERR;
    }
    if (m->nkeys && server_stage(s)->consistency->defer_updates &&
        !server_may_apply_early(s, w, m->clock)) {
        deferred_push *d = malloc(sizeof *d);
        if (!d) {
            free(owned);
            free(buf);
            return ps_err_set(err, "out of memory deferring a push of worker %d", w);
        }
        *d = (deferred_push){.next = NULL, .clock = m->clock, .table = (int)m->table,
                             .nkeys = m->nkeys, .keys = keys,
                             .slots = slots, .lo = lo, .vals = m->vals, .owned_keys = owned,
                             .buf = buf};
        if (s->deferred_tail[w])
            s->deferred_tail[w]->next = d;
        else
            s->deferred_head[w] = d;
        s->deferred_tail[w] = d;
        buf = NULL;
        owned = NULL;
    } else if (m->nkeys) {
        rc = server_apply(s, (int)m->table, keys, slots, lo, m->nkeys, m->clock, m->vals, err);
    }
    free(owned);
    free(buf);
    if (rc == PS_OK && (m->flags & PS_MSG_F_CLOCK_END))
        rc = server_advance_clock(s, w, err);
    if (rc == PS_OK && (m->flags & PS_MSG_F_PULL_NEXT))
        rc = server_serve_newest(s, w, (int)m->table, m->clock + 1, err);
    return rc;
}

static int server_handle_pull(ps_server *s, int w, const ps_msg *m, ps_err *err)
{
    if (server_hold_pull(s, w, (int)m->table, m->clock, m->keys, m->key_lo, m->nkeys, err))
        return PS_ERR;
    return server_serve_newest(s, w, (int)m->table, m->clock, err);
}

/* Direct model transfer (a one-worker stage; see worker.c): a request is answered
 * with this server's shard of the table; values sent back are set, and the last
 * message closes the stage for the worker, which is told when it is applied. */
static int server_handle_model(ps_server *s, int w, const ps_msg *m, ps_err *err)
{
    const ps_stage *st = server_stage(s);
    ps_server_table *T = &s->tables[m->table];
    uint32_t me = (uint32_t)ps_server_actor(s->index);
    if (!st->direct)
        return ps_err_set(err, "a model transfer in stage %d, which is not a direct one",
                          st->number);
    if (!m->nkeys && !(m->flags & PS_MSG_F_CLOCK_END)) {
        if (m->clock != st->clock_base)
            return ps_err_set(err, "model request for clock %d; the stage begins at %d", m->clock,
                              st->clock_base);
        uint64_t n = T->hi - T->lo, *keys = NULL;
        float *vals = NULL;
        if (!T->dense && ps_server_table_dump(T, &keys, &vals, &n, err))
            return PS_ERR;
        ps_msg_writer r;
        int rc = n > UINT32_MAX / T->vpk ? ps_err_set(err, "a shard too large to send") : PS_OK;
        if (rc == PS_OK)
            rc = ps_msg_build(&r, PS_MSG_MODEL, T->dense && n ? PS_MSG_F_KEY_RANGE : 0, me,
                              m->table, m->clock, (uint32_t)n, n ? T->vpk : 0, 0, err);
        if (rc == PS_OK && T->dense && n) {
            r.keys[0] = T->lo;
            rc = ps_server_table_get(T, NULL, NULL, T->lo, (uint32_t)n, r.vals, err);
        } else if (rc == PS_OK && n) {
            memcpy(r.keys, keys, n * sizeof *keys);
            memcpy(r.vals, vals, n * T->vpk * sizeof *vals);
        }
        free(keys);
        free(vals);
        if (rc == PS_OK)
            server_charge_io(s, T);
        return rc ? PS_ERR : ps_send(s->be, server_worker_actor(s, w), r.buf, r.len, err);
    }
    int32_t end = st->clock_base + st->iterations;
    if (m->clock != end - 1 || (m->nkeys && m->vals_per_key != T->vpk))
        return ps_err_set(err, "model of clock %d with %u values per key; the stage ends at %d "
                          "and the table has %u", m->clock, m->vals_per_key, end, T->vpk);
    if (m->nkeys && (server_check_keys(s, T, m->keys, m->key_lo, m->nkeys, NULL, err) ||
                     ps_server_table_set(T, m->keys, m->key_lo, m->nkeys, m->vals, err)))
        return PS_ERR;
    server_charge_io(s, T);
    if (!(m->flags & PS_MSG_F_CLOCK_END))
        return PS_OK;
    ps_msg_writer a;
    if (ps_msg_build(&a, PS_MSG_MODEL, 0, me, 0, end, 0, 0, 0, err) ||
        ps_send(s->be, server_worker_actor(s, w), a.buf, a.len, err))
        return PS_ERR;
    /* the stage's one worker has done all of its clocks */
    s->clocks.done[w] = end;
    s->clocks.min_done = end;
    s->n_at_min = 1;
    return server_on_min_advance(s, err);
}

static int server_keep_for_later(ps_server *s, void *buf, size_t len, ps_err *err)
{
    if (s->interrupted)
        return server_drop_interrupted(s, buf, len, err) ? PS_ERR : 0;
    ps_kept_msg *k = malloc(sizeof *k);
    if (!k) {
        free(buf);
        return ps_err_set(err, "out of memory keeping a message for a later stage");
    }
    k->buf = buf;
    k->len = len;
    k->arrived_at = s->arrived_at;
    ps_kept_push(&s->pending, k);
    return 0;
}

/* A multi-task run's scheduler starts a segment of stage k (PS_GRANT_HEAD, then
 * its workers): kept until this server is done with what comes before it. */
static int server_take_grant(ps_server *s, void *buf, const ps_msg *m, ps_err *err)
{
    ps_grant g;
    int rc = ps_grant_decode(s->run, m, &g, err);
    if (rc == PS_OK && (!s->run->scheduled || g.stage < s->stage || g.n < 1 ||
                        server_find_grant(s, g.stage, g.first) >= 0))
        rc = ps_err_set(err, "unexpected grant of stage %d (iterations %u.., %u workers)",
                        g.stage + 1, g.first, g.n);
    if (rc == PS_OK && s->n_grants == s->cap_grants) {
        int cap = s->cap_grants ? 2 * s->cap_grants : 4;
        rc = ps_resize(&s->grants, (size_t)cap, sizeof *s->grants)
                 ? ps_err_set(err, "out of memory keeping a grant") : PS_OK;
        s->cap_grants = rc == PS_OK ? cap : s->cap_grants;
    }
    if (rc) {
        free(buf);
        return PS_ERR;
    }
    s->grants[s->n_grants++] = (kept_grant){.buf = buf, .g = g};
    if (s->awaiting_grant && g.stage == s->want_stage && g.first == s->want_first)
        return server_open_segment(s, s->n_grants - 1, err);
    return PS_OK;
}

/* Returns 1 when told to stop, 0 to go on, PS_ERR on a fatal error. Messages that
 * are malformed or break the protocol are dropped with a log line naming the peer. */
static int server_handle(ps_server *s, void *buf, size_t len, ps_err *err)
{
    ps_msg m;
    ps_err why;
    if (ps_msg_decode(buf, len, &m, &why)) {
        server_log_drop(s, len >= 12 ? ((const uint32_t *)buf)[2] : 0, why.msg);
        free(buf);
        return 0;
    }
    if (m.type == PS_MSG_STOP) {
        free(buf);
        return 1;
    }
    if (m.type == PS_MSG_INTERRUPT && m.sender == PS_COORDINATOR_ID) {
        free(buf);
        if (m.table == PS_INTERRUPT_LOST)
            return server_lose_worker(s, m.clock, err) ? PS_ERR : 0;
        return server_take_interrupt(s, err) ? PS_ERR : 0;
    }
    if (m.type == PS_MSG_GRANT) {
        ps_err gerr;
        if (server_take_grant(s, buf, &m, &gerr) == PS_OK)
            return 0;
        server_log_drop(s, m.sender, gerr.msg);
        return s->run->scheduled ? ps_err_set(err, "%s", gerr.msg) : 0;
    }
    int w = (int)m.sender - ps_worker_actor(s->run, 0);
    int rc = PS_OK;
    if (w < 0 || w >= s->run->n_workers || (m.type != PS_MSG_PUSH && m.type != PS_MSG_PULL &&
                                            m.type != PS_MSG_CLOCK && m.type != PS_MSG_MODEL)) {
        snprintf(why.msg, sizeof why.msg, "unexpected %s message", ps_msg_type_name(m.type));
        rc = PS_ERR;
    } else if (m.table >= (uint32_t)s->n_tables) {
        snprintf(why.msg, sizeof why.msg, "%s message for table %u; the model has %d",
                 ps_msg_type_name(m.type), m.table, s->n_tables);
        rc = PS_ERR;
    } else if (!s->stage_open || (m.clock >= s->seg_end && s->seg_end < s->run->total_clocks)) {
        return server_keep_for_later(s, buf, len, err); /* its stage has not begun here */
    } else if ((w = ps_members_rank(&s->members, w)) < 0) {
        snprintf(why.msg, sizeof why.msg, "%s message of worker %d, which is not in stage %d "
                 "(%d workers)", ps_msg_type_name(m.type),
                 (int)m.sender - ps_worker_actor(s->run, 0), server_stage(s)->number,
                 server_stage(s)->workers);
        rc = PS_ERR;
    } else if (m.type == PS_MSG_MODEL) {
        rc = server_handle_model(s, w, &m, &why);
    } else if (m.type != PS_MSG_PULL && !(m.flags & PS_MSG_F_KEYS_ASKED) &&
               server_check_keys(s, &s->tables[m.table], m.keys, m.key_lo, m.nkeys, NULL, &why)) {
        rc = PS_ERR; /* pulls are checked as they are held, and their keys with them */
    } else if (m.type == PS_MSG_PULL) {
        rc = server_handle_pull(s, w, &m, &why);
    } else {
        rc = server_handle_push(s, w, &m, buf, &why);
        buf = NULL;
    }
    free(buf);
    for (int t = 0; rc && t < s->n_tables; t++)
        if (s->tables[t].store_failed) /* its store, not the message, is at fault */
            return ps_err_set(err, "%s", why.msg);
    if (rc)
        server_log_drop(s, m.sender, why.msg);
    return 0;
}

/* This server's keys among table t's eval_keys (ps_run_table), if it has any. */
static int server_share_eval_keys(ps_server *s, int t, ps_err *err)
{
    const ps_run_table *rt = &s->run->tables[t];
    if (!rt->eval_keys)
        return PS_OK;
    s->eval_keys[t] = malloc((rt->n_eval_keys ? rt->n_eval_keys : 1) * sizeof(uint64_t));
    if (!s->eval_keys[t])
        return ps_err_set(err, "out of memory for %llu evaluation keys",
                          (unsigned long long)rt->n_eval_keys);
    uint64_t n = 0;
    for (uint64_t i = 0; i < rt->n_eval_keys; i++)
        if (ps_partition_server(s->run->partitioner, &rt->partition, rt->eval_keys[i]) == s->index)
            s->eval_keys[t][n++] = rt->eval_keys[i];
    s->n_eval_keys[t] = n;
    return PS_OK;
}

/* trace/tables.csv: the model's tables and where each is in its served table, so
 * that pslab check can name them. */
static int server_trace_tables(const ps_run *r, ps_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/trace/tables.csv", r->out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    fputs("name,served,base,keys,values_per_key\n", f);
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_model_table *mt = &r->model_tables[t];
        fprintf(f, "%s,%d,%llu,%llu,%u\n", mt->spec.name ? mt->spec.name : "?", mt->served,
                (unsigned long long)mt->base, (unsigned long long)mt->spec.n_keys,
                mt->spec.vals_per_key);
    }
    int bad = ferror(f);
    if (fclose(f) || bad)
        return ps_err_set(err, "error writing %s", path);
    return PS_OK;
}

static int server_final_params(ps_server *s, uint64_t **ids, float **vals, uint64_t *n,
                               ps_err *err);

/* A trace's shard file: final, the shards at the end (which close the trace), or
 * initial, a resumed run's shards as its checkpoint gave them (what its pushes
 * add to). */
static int server_trace_shard(ps_server *s, int final, ps_err *err)
{
    uint64_t *ids = NULL, n = 0;
    float *vals = NULL;
    int rc = server_final_params(s, &ids, &vals, &n, err);
    if (rc == PS_OK && n > UINT32_MAX)
        rc = ps_err_set(err, "shard too large to trace");
    else if (rc == PS_OK)
        rc = final ? ps_trace_close_server(&s->trace, s->run->out_dir, ids, vals, (uint32_t)n, err)
                   : ps_trace_server_initial(&s->trace, s->run->out_dir, ids, vals, (uint32_t)n,
                                             err);
    free(ids);
    free(vals);
    return rc;
}

/* pslab run --resume: the shards as checkpointed, and the clocks as they stood
 * then, every worker of the stage in progress having completed resume_clock. */
static int server_resume(ps_server *s, ps_err *err)
{
    const ps_run *r = s->run;
    int32_t c = r->resume_clock;
    if (ps_checkpoint_load(r, s->index, c, s->tables, s->n_tables, err))
        return ps_err_prefix(err, "resume: ");
    ps_checkpoint_prune(r->out_dir, s->index, c);
    s->stage = ps_run_stage_of(r, c);
    const ps_stage *st = &r->stages[s->stage];
    ps_members_prefix(&s->members, st->workers);
    s->seg_end = st->clock_base + st->iterations;
    s->stage_reported = 1; /* its transition was before the checkpoint */
    if (st->consistency->reset(&st->consistency_params, &s->clocks, s->members.n, c, err))
        return PS_ERR;
    s->n_at_min = s->members.n;
    int every = r->cfg->checkpoint_every;
    s->next_ckpt = every && c / every < (INT32_MAX - every) / every ? (c / every + 1) * every
                                                                  : INT32_MAX;
    if (r->trace && s->index == 0 && ps_trace_resumed(r->out_dir, c, err))
        return PS_ERR;
    return r->trace ? server_trace_shard(s, 0, err) : PS_OK;
}

static int server_init(ps_server *s, ps_run *r, ps_backend *be, int index, ps_err *err)
{
    memset(s, 0, sizeof *s);
    s->run = r;
    s->be = be;
    s->index = index;
    int n = r->n_workers;
    if (ps_clock_table_init(&s->clocks, r->stages[0].workers, err) ||
        ps_members_init(&s->members, n, err))
        return PS_ERR;
    if (!(s->lost = calloc((size_t)n, 1)))
        return ps_err_set(err, "out of memory for %d workers", n);
    if (!r->scheduled) {
        ps_members_prefix(&s->members, r->stages[0].workers);
        s->stage_open = 1;
        s->seg_end = r->stages[0].clock_base + r->stages[0].iterations;
    } else {
        s->awaiting_grant = 1; /* stage 1 from its first clock */
    }
    s->deferred_head = calloc((size_t)n, sizeof *s->deferred_head);
    s->deferred_tail = calloc((size_t)n, sizeof *s->deferred_tail);
    s->n_tables = r->n_tables;
    s->pulled = calloc((size_t)n * (size_t)r->n_tables, sizeof *s->pulled);
    s->n_at_min = r->stages[0].workers;
    if (!s->deferred_head || !s->deferred_tail || !s->pulled)
        return ps_err_set(err, "out of memory for %d workers", n);
    for (int i = 0; i < n * r->n_tables; i++)
        s->pulled[i].clock = -1;
    if (r->trace && ps_trace_open_server(&s->trace, r->out_dir, index, err))
        return PS_ERR;
    if (r->trace && index == 0 && server_trace_tables(r, err))
        return PS_ERR;
    for (int t = 0; t < r->n_tables; t++) {
        /* table 0's store is serverS, as it was before tables; others add the name */
        char dir[4200];
        const char *base = r->out_dir ? r->out_dir : ".";
        int len = t == 0 ? snprintf(dir, sizeof dir, "%s/store/server%d", base, index)
                         : snprintf(dir, sizeof dir, "%s/store/server%d-%s", base, index,
                                    r->tables[t].spec.name);
        if (len >= (int)sizeof dir)
            return ps_err_set(err, "store directory path too long");
        if (ps_server_table_open(&s->tables[t], r, t, index, dir, err) ||
            server_share_eval_keys(s, t, err))
            return PS_ERR;
    }
    int every = r->cfg->checkpoint_every;
    for (int t = 0; every && r->cfg->checkpoint_full_every > 1 && t < s->n_tables; t++)
        if (ps_server_table_track(&s->tables[t], err)) /* for the deltas */
            return PS_ERR;
    s->next_ckpt = every ? every : INT32_MAX;
    return r->resumed ? server_resume(s, err) : PS_OK;
}

static void server_free(ps_server *s)
{
    for (size_t i = 0; i < s->n_held; i++)
        free(s->held[i].keys);
    free(s->held);
    for (int w = 0; s->deferred_head && w < s->run->n_workers; w++) {
        while (s->deferred_head[w]) {
            deferred_push *d = server_deferred_pop(s, w);
            free(d->owned_keys);
            free(d->buf);
            free(d);
        }
    }
    for (int i = 0; s->pulled && i < s->run->n_workers * s->n_tables; i++)
        free(s->pulled[i].keys);
    ps_kept_free(&s->pending);
    ps_kept_free(&s->replay);
    ps_members_free(&s->members);
    free(s->lost);
    for (int i = 0; i < s->n_grants; i++)
        free(s->grants[i].buf);
    free(s->grants);
    free(s->pulled);
    free(s->deferred_head);
    free(s->deferred_tail);
    ps_clock_table_free(&s->clocks);
    ps_trace_abandon(&s->trace); /* a no-op once closed */
    for (int t = 0; t < s->n_tables; t++) {
        ps_server_table_close(&s->tables[t]);
        free(s->eval_keys[t]);
    }
}

/* The final values of every add table's shard, as the stores hold them, each
 * named by its table and parameter (ps_trace_param); assign tables and tables
 * zeroed at full-gradient stages are left out, as their values are not sums of
 * what was pushed. */
static int server_final_params(ps_server *s, uint64_t **ids, float **vals, uint64_t *n,
                               ps_err *err)
{
    *ids = NULL;
    *vals = NULL;
    *n = 0;
    for (int t = 0; t < s->n_tables; t++) {
        ps_server_table *T = &s->tables[t];
        if (T->rt->spec.rule == PS_RULE_ASSIGN || T->rt->spec.zero_at_full_gradient)
            continue;
        uint64_t *k = NULL, m = 0;
        float *v = NULL;
        if (ps_server_table_dump(T, &k, &v, &m, err))
            return PS_ERR;
        uint64_t add = m * T->vpk;
        uint64_t *ni = realloc(*ids, (*n + add + 1) * sizeof *ni);
        if (ni)
            *ids = ni;
        float *nv = ni ? realloc(*vals, (*n + add + 1) * sizeof *nv) : NULL;
        if (nv)
            *vals = nv;
        if (!ni || !nv) {
            free(k);
            free(v);
            return ps_err_set(err, "out of memory tracing the final shard");
        }
        for (uint64_t i = 0; i < m; i++)
            for (uint32_t j = 0; j < T->vpk; j++)
                (*ids)[*n + i * T->vpk + j] = ps_trace_param(t, k[i] * T->vpk + j);
        memcpy(*vals + *n, v, add * sizeof *v);
        *n += add;
        free(k);
        free(v);
    }
    return PS_OK;
}

void ps_server_main(ps_backend *be, void *arg)
{
    ps_actor_arg *a = arg;
    ps_server s;
    ps_err err;
    char who[32];
    snprintf(who, sizeof who, "server %d", a->index);
    ps_kept_queue early = {0}; /* what came before the index */
    if (a->run->indexer) {
        int rc = ps_indexer_await(a->run, be, &early, &err);
        if (rc) {
            if (rc < 0)
                ps_run_fail(a->run, who, &err);
            ps_kept_free(&early);
            return;
        }
    }
    if (server_init(&s, a->run, be, a->index, &err)) {
        ps_kept_free(&early);
        ps_run_fail(a->run, who, &err);
        server_free(&s);
        return;
    }
    /* Clock 0 is complete before anyone pushes: the initial model is evaluation
     * point 0. */
    /* Resumed: the checkpoint's clock, if it is an evaluation point, again. */
    int32_t c0 = a->run->resumed ? a->run->resume_clock : 0;
    s.next_eval = c0;
    int rc = !a->run->resumed || ps_run_next_eval(a->run, c0 - 1) == c0
                 ? server_send_snapshot(&s, c0, &err) : PS_OK;
    s.next_eval = ps_run_next_eval(a->run, c0);
    for (ps_kept_msg *k; (k = ps_kept_pop(&early));) {
        s.net_bytes += (double)k->len;
        ps_kept_push(&s.replay, k);
    }
    while (rc == PS_OK) {
        void *buf;
        size_t len;
        ps_kept_msg *k = ps_kept_pop(&s.replay); /* a stage began: what was held for it first */
        if (k) {
            buf = k->buf;
            len = k->len;
            s.arrived_at = k->arrived_at;
            free(k);
        } else {
            rc = ps_recv(be, PS_FOREVER, &buf, &len, &err);
            s.arrived_at = ps_now(be);
            s.net_bytes += (double)len;
        }
        if (rc == PS_OK)
            rc = server_handle(&s, buf, len, &err);
        if (rc == 1)
            break;
    }
    ps_err ckpt_err;
    if (server_ckpt_wait(&s, &ckpt_err) && rc >= 0) {
        rc = PS_ERR;
        err = ckpt_err;
    }
    /* the final shard closes the trace: told to stop, every update has arrived */
    if (rc == 1 && a->run->trace)
        rc = server_trace_shard(&s, 1, &err);
    if (rc < 0)
        ps_run_fail(a->run, who, &err);
    server_free(&s);
}
