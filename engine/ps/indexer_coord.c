/* The coordinator's side of the index build (see indexer.c for the steps): it
 * sums the workers' counts, picks the hot keys and each round's merges, and sends
 * the finished index to every actor; or it reads an index.csv instead (index.load).
 * The index is written to RUN_DIR/index.csv either way. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ps/indexer_impl.h"
#include "engine/ps/msg.h"

typedef struct gather_state {
    ps_run *r;
    ps_backend *be;
    uint8_t *got;       /* per worker: its message of this step came */
    int *done;          /* workers that ended (DONE) */
    ps_index_report *rep;
} gather_state;

typedef int (*take_fn)(void *ctx, const ps_msg *m, ps_err *err);

static double patience(const ps_run *r)
{
    return r->cfg->real_stall_timeout > 0 ? r->cfg->real_stall_timeout : PS_FOREVER;
}

/* Receives one index message of step `step` from every worker, handing each to take. */
static int gather(gather_state *g, int32_t step, take_fn take, void *ctx, ps_err *err)
{
    ps_run *r = g->r;
    memset(g->got, 0, (size_t)r->n_workers);
    for (int n = 0; n < r->n_workers;) {
        void *buf;
        size_t len;
        ps_msg m;
        int rc = ps_recv(g->be, patience(r), &buf, &len, err);
        if (rc == PS_TIMEOUT)
            return ps_err_set(err, "building the index: %d of %d workers sent step %d's counts "
                                   "within real.stall_timeout", n, r->n_workers, step);
        if (rc)
            return PS_ERR;
        g->rep->bytes += len;
        g->rep->messages++;
        rc = ps_msg_decode(buf, len, &m, err);
        int w = rc == PS_OK ? (int)m.sender - ps_worker_actor(r, 0) : -1;
        if (rc == PS_OK && (w < 0 || w >= r->n_workers))
            rc = ps_err_set(err, "building the index: a %s message from actor %u, not a worker",
                            ps_msg_type_name(m.type), m.sender);
        else if (rc == PS_OK && m.type == PS_MSG_DONE) {
            (*g->done)++;
            rc = ps_err_set(err, "building the index: worker %d ended at step %d", w, step);
        } else if (rc == PS_OK && (m.type != PS_MSG_INDEX || m.clock != step || g->got[w]))
            rc = ps_err_set(err, "building the index: worker %d sent a %s message of step %d at "
                                 "step %d", w, ps_msg_type_name(m.type), m.clock, step);
        else if (rc == PS_OK && (m.flags & PS_MSG_F_KEY_RANGE || m.vals_per_key != 1 ||
                                 (m.nkeys && !m.keys)))
            rc = ps_err_set(err, "building the index: worker %d's counts are not keys with one "
                                 "value each", w);
        if (rc == PS_OK) {
            for (uint32_t i = 0; i < m.nkeys && rc == PS_OK; i++)
                if (!(m.vals[i] >= 0) || m.vals[i] != floorf(m.vals[i]))
                    rc = ps_err_set(err, "building the index: worker %d's count %u is %g", w, i,
                                    (double)m.vals[i]);
            if (rc == PS_OK && (rc = take(ctx, &m, err)))
                ps_err_prefix(err, "building the index: worker %d's counts: ", w);
            g->got[w] = 1;
            n++;
        }
        free(buf);
        if (rc)
            return PS_ERR;
    }
    return PS_OK;
}

typedef struct key_counts {
    uint32_t *count;
    uint64_t n_keys;
} key_counts;

static int take_key_counts(void *ctx, const ps_msg *m, ps_err *err)
{
    key_counts *k = ctx;
    for (uint32_t i = 0; i < m->nkeys; i++) {
        if (m->keys[i] >= k->n_keys)
            return ps_err_set(err, "key %" PRIu64 " of a table of %" PRIu64, m->keys[i], k->n_keys);
        k->count[m->keys[i]] += (uint32_t)m->vals[i];
    }
    return PS_OK;
}

static int take_coaccess(void *ctx, const ps_msg *m, ps_err *err)
{
    ps_index_builder *b = ctx;
    for (uint32_t i = 0; i < m->nkeys; i++)
        if (ps_index_builder_add(b, (uint32_t)(m->keys[i] >> 32), (uint32_t)m->keys[i], m->vals[i],
                                 err))
            return PS_ERR;
    return PS_OK;
}

static int to_workers(gather_state *g, int32_t step, const uint64_t *keys, uint32_t n,
                      ps_err *err)
{
    for (int w = 0; w < g->r->n_workers; w++)
        if (ps_indexer_send(g->be, PS_COORDINATOR_ID, ps_worker_actor(g->r, w), step, 0, keys,
                            NULL, n, NULL, 0, g->rep, err))
            return PS_ERR;
    return PS_OK;
}

/* Step 0: the hot keys from the summed counts; tells the workers. */
/* access[b]: the sampled batches touching hot key b. */
static int build_start(gather_state *g, ps_block_index *x, double **access, ps_err *err)
{
    ps_run *r = g->r;
    key_counts k = {.n_keys = r->tables[INDEX_TABLE].spec.n_keys};
    if (!(k.count = calloc(k.n_keys ? k.n_keys : 1, sizeof *k.count)))
        return ps_err_set(err, "out of memory counting %" PRIu64 " keys", k.n_keys);
    int rc = gather(g, 0, take_key_counts, &k, err);
    if (rc == PS_OK)
        rc = ps_index_start(x, k.count, k.n_keys, r->indexer->hot, err);
    if (rc == PS_OK && !(*access = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof **access)))
        rc = ps_err_set(err, "out of memory for %u blocks", x->n_blocks);
    for (uint64_t d = 0; rc == PS_OK && d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD)
            (*access)[x->block[d]] = k.count[d];
    free(k.count);
    uint64_t *hot = rc == PS_OK ? malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *hot) : NULL;
    if (rc == PS_OK && !hot)
        rc = ps_err_set(err, "out of memory listing %u hot keys", x->n_blocks);
    if (rc == PS_OK) {
        uint32_t n = 0;
        for (uint64_t d = 0; d < x->n_dims; d++)
            if (x->block[d] != PS_INDEX_COLD)
                hot[n++] = d;
        r->indexer->report.hot = n;
        rc = to_workers(g, 0, hot, n, err);
    }
    free(hot);
    return rc;
}

/* The run's merge parameters, once the hot keys are known. */
static ps_index_params round_params(const ps_run *r, const ps_block_index *x)
{
    ps_index_params p = r->indexer->params;
    if (p.max_block == 0) { /* DRPS's rule */
        p.max_block = x->n_blocks / ((uint64_t)r->n_servers * 6);
        if (p.max_block < 2)
            p.max_block = 2;
    }
    return p;
}

/* The rounds; x ends compact, access[b] as the sampled batches touching its
 * block b. */
static int build(gather_state *g, ps_block_index *x, double **access, ps_err *err)
{
    if (build_start(g, x, access, err))
        return PS_ERR;
    ps_index_params p = round_params(g->r, x);
    ps_index_builder *b = NULL;
    ps_index_pair *merged = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *merged);
    uint64_t *keys = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *keys);
    int rc = merged && keys ? ps_index_builder_new(&p, x, &b, err)
                            : ps_err_set(err, "out of memory building the index");
    for (int32_t step = 1;
         rc == PS_OK && p.strategy != PS_INDEX_NONE && ps_index_live(x) >= 2; step++) {
        int n;
        if (gather(g, step, take_coaccess, b, err) ||
            (n = ps_index_builder_round(b, merged, err)) < 0) {
            rc = PS_ERR;
            break;
        }
        if (n == 0) { /* the counts are the final blocks' */
            ps_index_builder_access(b, *access);
            break;
        }
        if (ps_index_live(x) < 2) /* merged into one: its accesses do not matter */
            (*access)[0] = 1;
        for (int k = 0; k < n; k++)
            keys[k] = (uint64_t)merged[k].i << 32 | merged[k].j;
        rc = to_workers(g, step, keys, (uint32_t)n, err);
    }
    free(merged);
    free(keys);
    ps_index_builder_free(b);
    return rc ? rc : ps_index_compact(x, err);
}

/* ---- index.csv ---- */

int ps_indexer_write(const ps_run *r, const ps_block_index *x, const char *path, ps_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    uint64_t hot = 0;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        hot += x->size[b];
    fprintf(f, "# pslab block index v1: table=%s keys=%" PRIu64 " hot=%" PRIu64
               " blocks=%u rounds=%u merges=%u strategy=%s\nkey,block\n",
            r->tables[INDEX_TABLE].name[0] ? r->tables[INDEX_TABLE].name
                                            : r->tables[INDEX_TABLE].spec.name, x->n_dims, hot, x->n_blocks, x->rounds, x->merges,
            r->cfg->index_strategy);
    for (uint64_t d = 0; d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD)
            fprintf(f, "%" PRIu64 ",%u\n", d, x->block[d]);
    int bad = ferror(f);
    if (fclose(f) || bad)
        return ps_err_set(err, "%s: write failed: %s", path, strerror(errno));
    return PS_OK;
}

static int load_fail(FILE *f, ps_block_index *x, int rc)
{
    fclose(f);
    ps_index_free(x);
    return rc;
}

/* An index.csv as write_file writes it, for a table of the run's size. */
static int load_file(const ps_run *r, const char *path, ps_block_index *x, ps_err *err)
{
    memset(x, 0, sizeof *x);
    FILE *f = fopen(path, "r");
    if (!f)
        return ps_err_set(err, "index.load = %s: cannot open: %s", path, strerror(errno));
    char line[512];
    uint64_t keys = 0, hot = 0;
    unsigned blocks = 0, rounds = 0, merges = 0;
    if (!fgets(line, sizeof line, f) ||
        sscanf(line, "# pslab block index v1: table=%*s keys=%" SCNu64 " hot=%" SCNu64
                     " blocks=%u rounds=%u merges=%u", &keys, &hot, &blocks, &rounds, &merges) != 5)
        return load_fail(f, x, ps_err_set(err, "%s:1: not a pslab block index (index.csv) header", path));
    uint64_t want = r->tables[INDEX_TABLE].spec.n_keys;
    if (keys != want)
        return load_fail(f, x, ps_err_set(err, "%s:1: an index of %" PRIu64 " keys, but table %s has %" PRIu64,
                          path, keys, r->tables[INDEX_TABLE].spec.name, want));
    if (!fgets(line, sizeof line, f) || strcmp(line, "key,block\n") != 0)
        return load_fail(f, x, ps_err_set(err, "%s:2: expected the line \"key,block\"", path));
    x->n_dims = keys;
    x->n_blocks = blocks;
    x->rounds = rounds;
    x->merges = merges;
    x->block = malloc((keys ? keys : 1) * sizeof *x->block);
    x->size = calloc(blocks ? blocks : 1, sizeof *x->size);
    if (!x->block || !x->size)
        return load_fail(f, x, ps_err_set(err, "%s: out of memory for %" PRIu64 " keys", path, keys));
    for (uint64_t d = 0; d < keys; d++)
        x->block[d] = PS_INDEX_COLD;
    uint64_t lineno = 2, n = 0, last = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        uint64_t d;
        unsigned b;
        char end;
        if (sscanf(line, "%" SCNu64 ",%u%c", &d, &b, &end) != 3 || end != '\n')
            return load_fail(f, x, ps_err_set(err, "%s:%" PRIu64 ": expected \"key,block\"", path, lineno));
        if (d >= keys || (n && d <= last) || b >= blocks)
            return load_fail(f, x, ps_err_set(err, "%s:%" PRIu64 ": key %" PRIu64 " of block %u: keys must rise "
                                   "and stay below %" PRIu64 ", blocks below %u", path, lineno, d, b,
                              keys, blocks));
        x->block[d] = b;
        x->size[b]++;
        last = d;
        n++;
    }
    if (ferror(f) || n != hot)
        return load_fail(f, x, ps_err_set(err, "%s: %" PRIu64 " keys listed, the header says %" PRIu64, path, n,
                          hot));
    for (unsigned b = 0; b < blocks; b++)
        if (!x->size[b])
            return load_fail(f, x, ps_err_set(err, "%s: block %u has no key", path, b));
    fclose(f);
    return PS_OK;
}

/* ---- the whole ---- */

/* Each block's server (home[b]): the partitioner's place_blocks from the blocks'
 * expected costs, or its first key's server. A block's cost: its sampled accesses
 * times a disk read of it and its values' pull and push over a link. */
static int block_homes(const ps_run *r, const ps_block_index *x, const double *access,
                       uint32_t *home, ps_err *err)
{
    const ps_partition *p = &r->tables[INDEX_TABLE].partition;
    uint64_t *first = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *first);
    double *cost = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *cost);
    if (!first || !cost) {
        free(first);
        free(cost);
        return ps_err_set(err, "out of memory placing %u blocks", x->n_blocks);
    }
    for (uint32_t b = 0; b < x->n_blocks; b++)
        first[b] = UINT64_MAX;
    for (uint64_t d = 0; d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD && first[x->block[d]] == UINT64_MAX)
            first[x->block[d]] = d;
    const ps_index_cost *c = &r->indexer->params.cost;
    double vbytes = 4.0 * r->tables[INDEX_TABLE].spec.vals_per_key;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        cost[b] = (access ? access[b] : 0) * (ps_index_read_cost(c, x->size[b]) +
                                              2 * (double)x->size[b] * vbytes / r->cfg->bandwidth);
    if (r->partitioner->place_blocks)
        r->partitioner->place_blocks(p, cost, first, x->n_blocks, home);
    else
        for (uint32_t b = 0; b < x->n_blocks; b++)
            home[b] = (uint32_t)ps_partition_server(r->partitioner, p, first[b]);
    free(first);
    free(cost);
    return PS_OK;
}

/* FINAL to every server and worker: the hot keys and their blocks, the rounds and
 * merges, and each block's server. Leaves the homes in *homes. */
static int send_final(gather_state *g, const ps_block_index *x, const double *access,
                      uint32_t **homes, ps_err *err)
{
    ps_run *r = g->r;
    uint64_t hot = r->indexer->report.hot, n_aux = hot + 2 + x->n_blocks;
    uint64_t *keys = malloc((hot ? hot : 1) * sizeof *keys);
    uint32_t *aux = malloc(n_aux * sizeof *aux);
    int rc = keys && aux ? PS_OK : ps_err_set(err, "out of memory sending the index");
    uint32_t n = 0;
    for (uint64_t d = 0; rc == PS_OK && d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD) {
            keys[n] = d;
            aux[n++] = x->block[d];
        }
    if (rc == PS_OK) {
        aux[n] = x->rounds;
        aux[n + 1] = x->merges;
        rc = block_homes(r, x, access, aux + n + 2, err);
    }
    for (int s = 0; rc == PS_OK && s < r->n_servers; s++)
        rc = ps_indexer_send(g->be, PS_COORDINATOR_ID, ps_server_actor(s), STEP_FINAL,
                             x->n_blocks, keys, NULL, n, aux, (uint32_t)n_aux, g->rep, err);
    for (int w = 0; rc == PS_OK && w < r->n_workers; w++)
        rc = ps_indexer_send(g->be, PS_COORDINATOR_ID, ps_worker_actor(r, w), STEP_FINAL,
                             x->n_blocks, keys, NULL, n, aux, (uint32_t)n_aux, g->rep, err);
    if (rc == PS_OK && (*homes = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof **homes)))
        memcpy(*homes, aux + n + 2, x->n_blocks * sizeof **homes);
    else if (rc == PS_OK)
        rc = ps_err_set(err, "out of memory");
    free(keys);
    free(aux);
    return rc;
}

int ps_indexer_coordinate(ps_run *r, ps_backend *be, int *workers_done, ps_err *err)
{
    struct ps_indexer *ix = r->indexer;
    double t0 = ps_now(be), w0 = ps_indexer_wall();
    gather_state g = {.r = r, .be = be, .done = workers_done, .rep = &ix->report};
    ps_block_index x = {0};
    double *access = NULL;
    uint32_t *homes = NULL;
    int rc;
    if (!(g.got = calloc((size_t)r->n_workers, 1)))
        return ps_err_set(err, "out of memory");
    if (r->cfg->index_load[0]) {
        ix->report.loaded = 1;
        rc = load_file(r, r->cfg->index_load, &x, err);
        for (uint32_t b = 0; rc == PS_OK && b < x.n_blocks; b++)
            ix->report.hot += x.size[b];
    } else {
        rc = build(&g, &x, &access, err);
    }
    free(g.got);
    char path[4200];
    if (rc == PS_OK && r->out_dir) {
        snprintf(path, sizeof path, "%s/index.csv", r->out_dir);
        rc = ps_indexer_write(r, &x, path, err);
    }
    if (rc == PS_OK)
        rc = send_final(&g, &x, access, &homes, err);
    free(access);
    if (rc == PS_OK)
        rc = ps_indexer_install(r, &x, homes, err);
    else
        ps_index_free(&x);
    free(homes);
    if (rc) { /* the workers still in the build stop; the run ends */
        ps_err ignored;
        for (int w = 0; w < r->n_workers; w++)
            ps_indexer_send(be, PS_COORDINATOR_ID, ps_worker_actor(r, w), STEP_ABORT, 0, NULL,
                            NULL, 0, NULL, 0, NULL, &ignored);
    }
    ix->report.time_s = ps_now(be) - t0;
    ix->report.wall_s = ps_indexer_wall() - w0;
    return rc;
}

/* ---- the same index, built in one process (pslab index) ---- */

int ps_indexer_build_direct(ps_run *r, ps_block_index *x, ps_err *err)
{
    ps_index_samples all;
    uint64_t *dims = NULL, *start = NULL;
    if (ps_indexer_sample_all(r, &dims, &start, &all.n_batches, err))
        return PS_ERR;
    all.dims = dims;
    all.start = start;
    uint64_t n_dims = r->tables[INDEX_TABLE].spec.n_keys;
    uint32_t *count = calloc(n_dims ? n_dims : 1, sizeof *count);
    int rc = count ? PS_OK : ps_err_set(err, "out of memory counting %" PRIu64 " keys", n_dims);
    if (rc == PS_OK) {
        ps_index_count_dims(&all, n_dims, count);
        rc = ps_index_start(x, count, n_dims, r->indexer->hot, err);
    }
    free(count);
    ps_index_params p = rc == PS_OK ? round_params(r, x) : r->indexer->params;
    if (rc == PS_OK)
        rc = ps_index_build_rounds(&p, x, &all, NULL, err);
    if (rc == PS_OK)
        rc = ps_index_compact(x, err);
    free(dims);
    free(start);
    if (rc)
        ps_index_free(x);
    return rc;
}
