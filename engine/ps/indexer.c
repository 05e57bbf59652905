/* The block index's distributed build and its installation (see indexer.h). The
 * steps, as messages (PS_MSG_INDEX, clock = step):
 *   0      worker -> coordinator: its sampled keys and how many of its batches
 *          touch each; coordinator -> worker: the hot keys, ascending (block b is
 *          the b-th), unless the index is loaded from a file.
 *   r > 0  worker -> coordinator: co-access counts of the current blocks, as keys
 *          i << 32 | j (j == i: AF_ii) and float counts; coordinator -> worker:
 *          the round's merges (i << 32 | j: j merged into i), while it merges.
 *   FINAL  coordinator -> every worker and server: the index, hot keys with their
 *          blocks (aux: u32 each, then its rounds and merges, then each block's
 *          server; table = the number of blocks).
 *   ABORT  coordinator -> workers: the build failed; stop.
 * A worker keeps only its own sampled keys (a thousand simulated workers share one
 * process): its copy of the index is over them, renumbered 0 .. m-1. */
#include "engine/ps/indexer_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/mem.h"
#include "engine/index/block_index.h"
#include "engine/ps/batch_order.h"
#include "engine/ps/msg.h"

double ps_indexer_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int strategy_of(const char *name)
{
    return strcmp(name, "ours") == 0 ? PS_INDEX_OURS
           : strcmp(name, "basic") == 0 ? PS_INDEX_BASIC
                                        : PS_INDEX_NONE;
}

int ps_indexer_setup(ps_run *r, ps_err *err)
{
    const ps_config *cfg = r->cfg;
    r->indexer = NULL;
    r->index = NULL;
    if (strcmp(cfg->index_strategy, "off") == 0) {
        return PS_OK; /* (the config's check refuses index keys without an index) */
    }
    if (r->tables[INDEX_TABLE].spec.n_keys > UINT32_MAX)
        return ps_err_set(err, "index.strategy = %s: table %s has %" PRIu64 " keys, more than the "
                               "index holds (2^32 - 1)", cfg->index_strategy,
                          r->tables[INDEX_TABLE].name, r->tables[INDEX_TABLE].spec.n_keys);
    struct ps_indexer *x = calloc(1, sizeof *x);
    if (!x)
        return ps_err_set(err, "out of memory");
    pthread_mutex_init(&x->mu, NULL);
    double vpk = r->tables[INDEX_TABLE].spec.vals_per_key;
    x->params = (ps_index_params){
        .strategy = strategy_of(cfg->index_strategy),
        .per_round = (uint32_t)cfg->index_per_round,
        .max_block = (uint64_t)cfg->index_max_block,
        .min_gain = cfg->index_min_gain,
        /* a read of a block: a seek, its 8-byte key, its floats and their bitmap */
        .cost = {.seek = cfg->disk_seek, .header = 8, .bytes_per_param = 4 * vpk + vpk / 8,
                 .t_byte = 1 / cfg->disk_read_bw},
    };
    x->hot = (uint32_t)cfg->index_hot;
    r->indexer = x;
    return PS_OK;
}

void ps_indexer_free(ps_run *r)
{
    if (!r->indexer)
        return;
    pthread_mutex_destroy(&r->indexer->mu);
    ps_index_free(&r->indexer->index);
    free(r->indexer);
    r->indexer = NULL;
    r->index = NULL;
}

const ps_index_report *ps_indexer_report(const ps_run *r)
{
    return r->indexer ? &r->indexer->report : NULL;
}

/* ---- installing: the placement and the layout of the process's run ---- */

/* Each block lives on one server, home[b]; a cold key where the partitioner puts
 * it. Slots count up in key order. */
static int place_blocks(ps_run *r, const ps_block_index *x, const uint32_t *home, ps_err *err)
{
    ps_partition *p = &r->tables[INDEX_TABLE].partition;
    uint64_t n = p->n_keys;
    ps_key_place *place = malloc((n ? n : 1) * sizeof *place);
    uint64_t *count = calloc((size_t)p->n_servers, sizeof *count);
    if (!place || !count) {
        free(place);
        free(count);
        return ps_err_set(err, "out of memory placing %" PRIu64 " keys by the index", n);
    }
    for (uint64_t k = 0; k < n; k++) {
        uint32_t b = k < x->n_dims ? x->block[k] : PS_INDEX_COLD;
        uint32_t s = b != PS_INDEX_COLD ? home[b]
                                        : (uint32_t)ps_partition_server(r->partitioner, p, k);
        place[k] = (ps_key_place){s, (uint32_t)count[s]++};
    }
    ps_partition_free(p);
    p->place = place;
    p->shard_keys = count;
    p->placed = 1;
    return PS_OK;
}

/* Installs x (taken) in the process's run, unless an actor of it already did. */
int ps_indexer_install(ps_run *r, ps_block_index *x, const uint32_t *home, ps_err *err)
{
    struct ps_indexer *ix = r->indexer;
    int rc = PS_OK;
    pthread_mutex_lock(&ix->mu);
    if (!ix->installed) {
        rc = ps_index_offsets(x, err);
        if (rc == PS_OK)
            rc = place_blocks(r, x, home, err);
        if (rc == PS_OK) {
            ix->index = *x;
            memset(x, 0, sizeof *x);
            r->index = &ix->index;
            ix->installed = 1;
        }
    }
    pthread_mutex_unlock(&ix->mu);
    ps_index_free(x);
    return rc;
}

/* The index of a FINAL message: hot keys ascending, below the table's size, each
 * block 0 .. table-1 holding one at least. */
static int decode_final(const ps_run *r, const ps_msg *m, ps_block_index *x, uint32_t **home,
                        ps_err *err)
{
    uint64_t n_dims = r->tables[INDEX_TABLE].spec.n_keys;
    *home = NULL;
    if (m->flags & PS_MSG_F_KEY_RANGE || (uint64_t)m->aux_len != 4 * ((uint64_t)m->nkeys + 2 + m->table) ||
        (m->nkeys && !m->keys))
        return ps_err_set(err, "index from the coordinator: %u keys with %u bytes of blocks",
                          m->nkeys, m->aux_len);
    memset(x, 0, sizeof *x);
    x->n_dims = n_dims;
    x->n_blocks = m->table;
    memcpy(&x->rounds, m->aux + 4 * (size_t)m->nkeys, 4);
    memcpy(&x->merges, m->aux + 4 * (size_t)m->nkeys + 4, 4);
    x->block = malloc((n_dims ? n_dims : 1) * sizeof *x->block);
    x->size = calloc(x->n_blocks ? x->n_blocks : 1, sizeof *x->size);
    if (!x->block || !x->size) {
        ps_index_free(x);
        return ps_err_set(err, "out of memory for an index of %" PRIu64 " keys", n_dims);
    }
    for (uint64_t d = 0; d < n_dims; d++)
        x->block[d] = PS_INDEX_COLD;
    for (uint32_t i = 0; i < m->nkeys; i++) {
        uint32_t b;
        memcpy(&b, m->aux + 4 * (size_t)i, 4);
        if (m->keys[i] >= n_dims || (i && m->keys[i] <= m->keys[i - 1]) || b >= x->n_blocks) {
            ps_index_free(x);
            return ps_err_set(err, "index from the coordinator: key %" PRIu64 " (block %u) of %u "
                                   "is out of order or range", m->keys[i], b, m->nkeys);
        }
        x->block[m->keys[i]] = b;
        x->size[b]++;
    }
    for (uint32_t b = 0; b < x->n_blocks; b++)
        if (!x->size[b]) {
            ps_index_free(x);
            return ps_err_set(err, "index from the coordinator: block %u is empty", b);
        }
    if (!(*home = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof **home))) {
        ps_index_free(x);
        return ps_err_set(err, "out of memory for %u blocks", x->n_blocks);
    }
    memcpy(*home, m->aux + 4 * ((size_t)m->nkeys + 2), 4 * (size_t)x->n_blocks);
    for (uint32_t b = 0; b < x->n_blocks; b++)
        if ((*home)[b] >= (uint32_t)r->n_servers) {
            uint32_t s = (*home)[b];
            ps_index_free(x);
            free(*home);
            *home = NULL;
            return ps_err_set(err, "index from the coordinator: block %u on server %u of %d", b, s,
                              r->n_servers);
        }
    return PS_OK;
}

/* ---- messages ---- */

int ps_indexer_send(ps_backend *be, uint32_t sender, int to, int32_t step, uint32_t table,
                    const uint64_t *keys, const float *vals, uint32_t n, const uint32_t *aux,
                    uint32_t n_aux, ps_index_report *rep, ps_err *err)
{
    ps_msg_writer w;
    if (ps_msg_build(&w, PS_MSG_INDEX, 0, sender, table, step, n, vals ? 1 : 0, 4 * n_aux, err))
        return PS_ERR;
    if (n)
        memcpy(w.keys, keys, n * sizeof *keys);
    if (vals && n)
        memcpy(w.vals, vals, n * sizeof *vals);
    if (n_aux)
        memcpy(w.aux, aux, 4 * (size_t)n_aux);
    if (rep) {
        rep->bytes += w.len;
        rep->messages++;
    }
    return ps_send(be, to, w.buf, w.len, err);
}

/* The next index message for a worker: the coordinator's, of step `step` (or
 * FINAL, or ABORT). *buf is the caller's to free. */
static int recv_index(ps_backend *be, int32_t step, void **buf, ps_msg *m, ps_err *err)
{
    size_t len;
    if (ps_recv(be, PS_FOREVER, buf, &len, err))
        return PS_ERR;
    if (ps_msg_decode(*buf, len, m, err) == PS_OK) {
        if (m->type == PS_MSG_INDEX && m->sender == PS_COORDINATOR_ID &&
            (m->clock == step || m->clock == STEP_FINAL || m->clock == STEP_ABORT))
            return PS_OK;
        ps_err_set(err, "a %s message from actor %u (step %d) while building the index (step %d)",
                   ps_msg_type_name(m->type), m->sender, m->clock, step);
    }
    free(*buf);
    *buf = NULL;
    return PS_ERR;
}

/* ---- a worker's side ---- */

typedef struct worker_samples {
    uint64_t *dims, *start;     /* local ids after remap */
    uint32_t n_batches;
    uint64_t *keys;             /* the distinct sampled keys, ascending: local id -> key */
    uint64_t n_keys;
} worker_samples;

static void samples_free(worker_samples *s)
{
    free(s->dims);
    free(s->start);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

int ps_indexer_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t sort_unique(uint64_t *v, uint64_t n)
{
    qsort(v, n, sizeof *v, ps_indexer_cmp_u64);
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* Appends batch b's keys of the indexed table (the worker's b-th training batch). */
static int sample_batch(ps_run *r, void *batch, int worker, uint64_t lo, uint64_t n_rows,
                        uint32_t b, uint64_t *rows, ps_row_buf *rb, worker_samples *s,
                        uint64_t *cap, ps_err *err)
{
    uint32_t B = (uint32_t)r->stages[0].batch;
    int shuffled = strcmp(r->cfg->order, "shuffled") == 0;
    for (uint32_t j = 0; j < B; j++) {
        uint64_t at = (uint64_t)b * B + j, pos = at % n_rows;
        rows[j] = lo + (shuffled ? ps_batch_order_row(r->cfg->seed, worker, at / n_rows, pos, n_rows)
                                 : pos);
    }
    if (r->model_ops->batch_build(r->model, batch, r->train, rows, B, rb, err))
        return PS_ERR;
    uint64_t at = s->start[b];
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_model_table *mt = &r->model_tables[t];
        if (mt->served != INDEX_TABLE)
            continue;
        const uint64_t *keys;
        uint32_t n = r->model_ops->batch_keys(batch, t, &keys);
        if (at + n > *cap) {
            uint64_t c = 2 * (at + n);
            if (ps_resize(&s->dims, c, sizeof *s->dims))
                return ps_err_set(err, "out of memory sampling batches for the index");
            *cap = c;
        }
        for (uint32_t i = 0; i < n; i++)
            s->dims[at++] = mt->base + keys[i];
    }
    s->start[b + 1] = s->start[b] + sort_unique(s->dims + s->start[b], at - s->start[b]);
    return PS_OK;
}

/* The worker's first index.samples batches, their keys renumbered 0 .. m-1. */
static int sample(ps_run *r, int worker, uint64_t lo, uint64_t n_rows, worker_samples *s,
                  ps_err *err)
{
    memset(s, 0, sizeof *s);
    s->n_batches = (uint32_t)r->cfg->index_samples;
    uint32_t B = (uint32_t)r->stages[0].batch;
    uint64_t cap = 0, *rows = malloc(B * sizeof *rows);
    void *batch = r->model_ops->batch_new();
    ps_row_buf rb = {0};
    s->start = calloc(s->n_batches + 1, sizeof *s->start);
    int rc = rows && batch && s->start ? PS_OK : ps_err_set(err, "out of memory sampling batches");
    for (uint32_t b = 0; rc == PS_OK && b < s->n_batches; b++)
        rc = sample_batch(r, batch, worker, lo, n_rows, b, rows, &rb, s, &cap, err);
    free(rows);
    if (batch)
        r->model_ops->batch_free(batch);
    ps_row_buf_free(&rb);
    uint64_t total = rc == PS_OK ? s->start[s->n_batches] : 0;
    if (rc == PS_OK && !(s->keys = malloc((total ? total : 1) * sizeof *s->keys)))
        rc = ps_err_set(err, "out of memory sampling batches");
    if (rc) {
        samples_free(s);
        return PS_ERR;
    }
    memcpy(s->keys, s->dims, total * sizeof *s->keys);
    s->n_keys = sort_unique(s->keys, total);
    for (uint64_t k = 0; k < total; k++)
        s->dims[k] = (uint64_t)((uint64_t *)bsearch(&s->dims[k], s->keys, s->n_keys,
                                                    sizeof *s->keys, ps_indexer_cmp_u64) - s->keys);
    return PS_OK;
}

int ps_indexer_sample_all(ps_run *r, uint64_t **dims, uint64_t **start, uint32_t *n_batches,
                          ps_err *err)
{
    uint64_t n = ps_dataset_rows(r->train), W = (uint64_t)r->n_workers, at = 0, cap = 0;
    uint32_t S = (uint32_t)r->cfg->index_samples;
    *dims = NULL;
    *n_batches = 0;
    if (!(*start = calloc((size_t)W * S + 1, sizeof **start)))
        return ps_err_set(err, "out of memory sampling batches");
    for (uint64_t w = 0; w < W; w++) {
        worker_samples s;
        uint64_t lo = n * w / W;
        if (sample(r, (int)w, lo, n * (w + 1) / W - lo, &s, err))
            return PS_ERR;
        uint64_t m = s.start[s.n_batches];
        if (at + m > cap && ps_resize(dims, cap = 2 * (at + m), sizeof **dims)) {
            samples_free(&s);
            return ps_err_set(err, "out of memory sampling batches");
        }
        for (uint32_t b = 0; b < s.n_batches; b++) {
            for (uint64_t k = s.start[b]; k < s.start[b + 1]; k++)
                (*dims)[at++] = s.keys[s.dims[k]];
            (*start)[++*n_batches] = at;
        }
        samples_free(&s);
    }
    return PS_OK;
}

/* Step 0: how many sampled batches touch each sampled key. */
static int send_key_counts(ps_backend *be, uint32_t me, const worker_samples *s,
                           ps_err *err)
{
    if (s->n_keys > UINT32_MAX)
        return ps_err_set(err, "too many sampled keys for one message");
    uint32_t *count = calloc(s->n_keys ? s->n_keys : 1, sizeof *count);
    float *vals = malloc((s->n_keys ? s->n_keys : 1) * sizeof *vals);
    if (!count || !vals) {
        free(count);
        free(vals);
        return ps_err_set(err, "out of memory");
    }
    ps_index_samples view = {s->dims, s->start, s->n_batches};
    ps_index_count_dims(&view, s->n_keys, count);
    for (uint64_t k = 0; k < s->n_keys; k++)
        vals[k] = (float)count[k];
    free(count);
    int rc = ps_indexer_send(be, me, PS_COORDINATOR_ID, 0, 0, s->keys, vals, (uint32_t)s->n_keys,
                             NULL, 0, NULL, err);
    free(vals);
    return rc;
}

/* The worker's copy of the starting index, over its own keys: the hot ones of
 * the coordinator's list are blocks 0 .. n_hot-1 in its order. */
static int local_start(const worker_samples *s, const ps_msg *m, ps_block_index *x, ps_err *err)
{
    if (m->flags & PS_MSG_F_KEY_RANGE || (m->nkeys && !m->keys))
        return ps_err_set(err, "hot keys from the coordinator: not a key list");
    memset(x, 0, sizeof *x);
    x->n_dims = s->n_keys;
    x->n_blocks = m->nkeys;
    x->block = malloc((s->n_keys ? s->n_keys : 1) * sizeof *x->block);
    x->size = malloc((m->nkeys ? m->nkeys : 1) * sizeof *x->size);
    if (!x->block || !x->size) {
        ps_index_free(x);
        return ps_err_set(err, "out of memory for the index");
    }
    for (uint32_t b = 0; b < m->nkeys; b++)
        x->size[b] = 1;
    for (uint64_t k = 0; k < s->n_keys; k++) {
        const uint64_t *at = m->nkeys ? bsearch(&s->keys[k], m->keys, m->nkeys, sizeof *m->keys,
                                                ps_indexer_cmp_u64)
                                      : NULL;
        x->block[k] = at ? (uint32_t)(at - m->keys) : PS_INDEX_COLD;
    }
    return PS_OK;
}

/* Co-access counts of what the last round's merges changed (changed NULL: all). */
static int send_coaccess(ps_backend *be, uint32_t me, int32_t step, ps_block_index *x,
                         const worker_samples *s, const uint8_t *changed, ps_index_counts *c,
                         ps_err *err)
{
    ps_index_samples view = {s->dims, s->start, s->n_batches};
    if (ps_index_counts_reset(c, x->n_blocks, err) || ps_index_count(x, &view, changed, c, err))
        return PS_ERR;
    uint64_t n = c->n_pairs;
    for (uint32_t b = 0; b < c->n_blocks; b++)
        n += c->af_self[b] > 0;
    if (n > UINT32_MAX / 16)
        return ps_err_set(err, "too many co-access counts for one message");
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    float *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return ps_err_set(err, "out of memory");
    }
    uint32_t k = 0;
    for (uint32_t b = 0; b < c->n_blocks; b++)
        if (c->af_self[b] > 0) {
            keys[k] = (uint64_t)b << 32 | b;
            vals[k++] = (float)c->af_self[b];
        }
    for (uint32_t i = 0; i < c->n_pairs; i++) {
        keys[k] = (uint64_t)c->pairs[i].i << 32 | c->pairs[i].j;
        vals[k++] = (float)c->pairs[i].af_ij;
    }
    /* before the send, which lets the other actors run: a thousand simulated
     * workers' counting maps at once would take gigabytes */
    ps_index_counts_free(c);
    int rc = ps_indexer_send(be, me, PS_COORDINATOR_ID, step, 0, keys, vals, k, NULL, 0, NULL, err);
    free(keys);
    free(vals);
    return rc;
}

/* The round's merges, applied to the worker's copy; the merged blocks marked. */
static int apply_merges(ps_block_index *x, const ps_msg *m, uint8_t **changed, ps_err *err)
{
    if (!*changed && !(*changed = malloc(x->n_blocks ? x->n_blocks : 1)))
        return ps_err_set(err, "out of memory");
    memset(*changed, 0, x->n_blocks);
    if (m->flags & PS_MSG_F_KEY_RANGE || (m->nkeys && !m->keys))
        return ps_err_set(err, "merges from the coordinator: not a key list");
    ps_index_pair *q = malloc((m->nkeys ? m->nkeys : 1) * sizeof *q);
    if (!q)
        return ps_err_set(err, "out of memory");
    for (uint32_t i = 0; i < m->nkeys; i++)
        q[i] = (ps_index_pair){(uint32_t)(m->keys[i] >> 32), (uint32_t)m->keys[i], 0, 0};
    int rc = ps_index_merge(x, q, m->nkeys, err);
    for (uint32_t i = 0; rc == PS_OK && i < m->nkeys; i++)
        (*changed)[q[i].i] = 1;
    free(q);
    return rc;
}

/* The rounds, from the hot keys to the FINAL message; 1 on ABORT. */
static int worker_rounds(ps_run *r, ps_backend *be, uint32_t me, const worker_samples *s,
                         ps_err *err)
{
    void *buf = NULL;
    ps_msg m;
    ps_block_index x = {0};
    ps_index_counts c = {0};
    uint8_t *changed = NULL; /* NULL: the first round counts everything */
    int rc = PS_OK;
    int32_t step = 0;
    if (!r->cfg->index_load[0]) {
        rc = recv_index(be, 0, &buf, &m, err);
        if (rc == PS_OK && m.clock == 0)
            rc = local_start(s, &m, &x, err);
        step = 1;
        while (rc == PS_OK && m.clock == step - 1 && r->indexer->params.strategy != PS_INDEX_NONE &&
               ps_index_live(&x) >= 2) {
            free(buf);
            buf = NULL;
            rc = send_coaccess(be, me, step, &x, s, changed, &c, err);
            if (rc == PS_OK)
                rc = recv_index(be, step, &buf, &m, err);
            if (rc == PS_OK && m.clock == step)
                rc = apply_merges(&x, &m, &changed, err);
            step++;
        }
    }
    if (rc == PS_OK && (!buf || (m.clock != STEP_FINAL && m.clock != STEP_ABORT))) {
        free(buf);
        rc = recv_index(be, STEP_FINAL, &buf, &m, err);
    }
    ps_index_free(&x);
    ps_index_counts_free(&c);
    free(changed);
    if (rc == PS_OK && m.clock == STEP_ABORT)
        rc = 1;
    else if (rc == PS_OK && m.clock != STEP_FINAL)
        rc = ps_err_set(err, "index step %d from the coordinator after the last round", m.clock);
    else if (rc == PS_OK) {
        ps_block_index full;
        uint32_t *home;
        rc = decode_final(r, &m, &full, &home, err);
        if (rc == PS_OK)
            rc = ps_indexer_install(r, &full, home, err);
        free(home);
    }
    free(buf);
    return rc;
}

int ps_indexer_work(ps_run *r, ps_backend *be, int worker, uint64_t lo, uint64_t n_rows,
                    ps_err *err)
{
    uint32_t me = (uint32_t)ps_worker_actor(r, worker);
    worker_samples s = {0};
    int rc = PS_OK;
    if (!r->cfg->index_load[0]) {
        rc = sample(r, worker, lo, n_rows, &s, err);
        if (rc == PS_OK)
            rc = send_key_counts(be, me, &s, err);
    }
    if (rc == PS_OK)
        rc = worker_rounds(r, be, me, &s, err);
    samples_free(&s);
    return rc;
}

/* ---- a server's side ---- */

int ps_indexer_await(ps_run *r, ps_backend *be, ps_kept_queue *kept, ps_err *err)
{
    for (;;) {
        void *buf;
        size_t len;
        ps_msg m;
        if (ps_recv(be, PS_FOREVER, &buf, &len, err))
            return PS_ERR;
        if (ps_msg_decode(buf, len, &m, err)) {
            free(buf);
            return PS_ERR;
        }
        if (m.type == PS_MSG_STOP) {
            free(buf);
            return 1;
        }
        if (m.type == PS_MSG_INDEX && m.sender == PS_COORDINATOR_ID && m.clock == STEP_FINAL) {
            ps_block_index x;
            uint32_t *home;
            int rc = decode_final(r, &m, &x, &home, err);
            free(buf);
            if (rc == PS_OK)
                rc = ps_indexer_install(r, &x, home, err);
            free(home);
            return rc;
        }
        ps_kept_msg *k = malloc(sizeof *k);
        if (!k) {
            free(buf);
            return ps_err_set(err, "out of memory keeping a message");
        }
        *k = (ps_kept_msg){.buf = buf, .len = len, .arrived_at = ps_now(be)};
        ps_kept_push(kept, k);
    }
}
