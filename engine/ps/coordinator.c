/* The coordinator: gathers the servers' snapshots at each evaluation point,
 * evaluates the global model on the held-out set, writes metrics.csv row by row
 * (flushed, so a crash later loses nothing), then the per-worker timing and the
 * summary, and stops the servers when every worker is done. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/interrupt.h"
#include "engine/ps/indexer.h"
#include "engine/ps/msg.h"
#include "engine/ps/outputs.h"
#include "engine/ps/run.h"

typedef struct eval_point {
    int32_t clock;
    int got;
    void **snap;      /* per server and table ([s * n_tables + t]), held until the
                       * point is complete */
    size_t *len;
} eval_point;

typedef struct ps_coord {
    ps_run *run;
    ps_backend *be;
    float *w[PS_MODEL_MAX_TABLES];    /* the global model as stored, from snapshots: every
                                       * key, or a table's eval_keys (their positions) */
    float *eval[PS_MODEL_MAX_TABLES]; /* with the initial values: what is evaluated */
    ps_table_view views[PS_MODEL_MAX_TABLES];  /* per served table */
    ps_table_view mviews[PS_MODEL_MAX_TABLES]; /* per model table: a slice of its served one */
    int n_snaps;                      /* snapshots per point: servers x tables */
    eval_point *evals;
    int n_evals, next_eval;
    ps_worker_stats *stats;   /* per worker and stage: [w * n_stages + k] */
    ps_cache_stats *cache_stats; /* per worker, with policy.cache */
    double *disk_read, *disk_written; /* per server: its store's bytes, at the last snapshot */
    double *net_bytes;                /* per server: its messages' bytes, likewise */
    int n_done, n_failed;
    int32_t *lost_at;                 /* per worker: the clock it was lost at, or -1 */
    int n_lost;
    int interrupted;                  /* the signal of an INTERRUPT message, or 0 */
    int crashed;                      /* it was a node's injected crash, at crash_time */
    int crash_worker;                 /* a worker's */
    int64_t row_written;              /* resumed: the clock whose row is already there */
    double crash_time;
    ps_outputs_stage stages[PS_CONFIG_MAX_STAGES]; /* from the servers' STAGE reports */
    FILE *metrics;
    double last_metrics[PS_MODEL_MAX_METRICS], last_time;
} ps_coord;

static int coord_eval_index(const ps_coord *c, int32_t clock)
{
    for (int lo = 0, hi = c->n_evals - 1; lo <= hi;) {
        int mid = (lo + hi) / 2;
        if (c->evals[mid].clock == clock)
            return mid;
        if (c->evals[mid].clock < clock)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* The values evaluated: the stored changes plus the model's initial values (the
 * stored ones alone when it starts from zeros). */
static void coord_add_init(ps_coord *c)
{
    const ps_run *r = c->run;
    if (!r->model_ops->init_values)
        return;
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_table_view *view = &c->mviews[t];
        int st = r->model_tables[t].served;
        size_t at = (size_t)(view->vals - c->eval[st]);
        uint32_t v = view->vpk;
        for (uint64_t i = 0; i < view->n; i++) {
            float *e = c->eval[st] + at + i * v;
            r->model_ops->init_values(r->model, t, view->keys ? view->keys[i] - view->key_base : i,
                                      e);
            for (uint32_t j = 0; j < v; j++)
                e[j] += c->w[st][at + i * v + j];
        }
    }
}

/* Writes the complete evaluation point e into the model and evaluates it. */
static int coord_evaluate(ps_coord *c, eval_point *e, ps_err *err)
{
    const ps_run *r = c->run;
    double time_s = 0, pulls = 0, stale_sum = 0, stale_max = 0;
    for (int i = 0; i < c->n_snaps; i++) {
        ps_msg m;
        int s = i / r->n_tables, t = i % r->n_tables;
        const ps_table_spec *spec = &r->tables[t].spec;
        uint32_t v = spec->vals_per_key;
        if (ps_msg_decode(e->snap[i], e->len[i], &m, err))
            return PS_ERR;
        ps_table_view held = c->views[t];
        held.vals = c->w[t];
        for (uint32_t k = 0; k < m.nkeys; k++) {
            uint64_t key = ps_msg_key(&m, k);
            const float *at = ps_table_value(&held, key);
            if (!at)
                return ps_err_set(err, "server %d snapshot of table %s has key %llu, which %s",
                                  s, spec->name, (unsigned long long)key,
                                  held.keys ? "evaluation does not read" : "is out of range");
            memcpy((float *)at, m.vals + (size_t)k * v, v * sizeof(float));
        }
        double aux[PS_SNAPSHOT_AUX_IO] = {0};
        memcpy(aux, m.aux, m.aux_len);
        if (m.aux_len == sizeof aux) { /* cumulative: the latest is the run's so far */
            c->disk_read[s] = aux[4];
            c->disk_written[s] = aux[5];
            c->net_bytes[s] = aux[6];
        }
        time_s = aux[0] + r->time_offset > time_s ? aux[0] + r->time_offset : time_s;
        pulls += aux[1];
        stale_sum += aux[2];
        stale_max = aux[3] > stale_max ? aux[3] : stale_max;
        free(e->snap[i]);
        e->snap[i] = NULL;
    }
    double metrics[PS_MODEL_MAX_METRICS];
    coord_add_init(c);
    r->model_ops->evaluate(r->model, r->test, c->mviews, metrics);
    ps_outputs_staleness st = {pulls > 0 ? stale_sum / pulls : 0, stale_max};
    /* the row is written first: what led up to a divergence is evidence */
    /* the point after global clock G counts in the stage G ended (clock 0: the first) */
    const ps_stage *stage = &r->stages[e->clock ? ps_run_stage_of(r, e->clock - 1) : 0];
    int32_t iteration = e->clock - stage->clock_base;
    if (e->clock != c->row_written &&
        ps_outputs_metrics_row(c->metrics, time_s, stage->number, iteration, metrics, r->n_metrics,
                               &st, err))
        return PS_ERR;
    for (int i = 0; i < r->n_metrics; i++)
        if (!isfinite(metrics[i]))
            return ps_err_set(err, "diverged at stage %d, iteration %d: the held-out %s is %g "
                              "(its lr = %g may be too large)", stage->number, iteration,
                              r->metric_names[i], metrics[i], stage->lr);
    memcpy(c->last_metrics, metrics, sizeof metrics);
    c->last_time = time_s;
    if (r->progress) {
        fprintf(stderr, "\rpslab: stage %d iteration %d/%d ", stage->number, iteration,
                stage->iterations);
        for (int i = 0; i < r->n_metrics && i < 2; i++)
            fprintf(stderr, " %s %.5g", r->metric_names[i], metrics[i]);
        fprintf(stderr, "  sim time %.3f s   ", time_s);
    }
    return PS_OK;
}

static int coord_take_snapshot(ps_coord *c, void *buf, size_t len, const ps_msg *m, ps_err *err)
{
    const ps_run *r = c->run;
    int s = (int)m->sender - ps_server_actor(0), e = coord_eval_index(c, m->clock);
    int i = s * r->n_tables + (int)m->table;
    if (s < 0 || s >= r->n_servers || m->table >= (uint32_t)r->n_tables || e < 0 ||
        c->evals[e].snap[i] || e < c->next_eval ||
        m->vals_per_key != r->tables[m->table].spec.vals_per_key ||
        (m->aux_len != sizeof(double) && m->aux_len != PS_SNAPSHOT_AUX * sizeof(double) &&
         (m->aux_len != PS_SNAPSHOT_AUX_IO * sizeof(double) || m->table != 0))) {
        free(buf);
        return ps_err_set(err, "unexpected snapshot from actor %u for clock %d", m->sender,
                          m->clock);
    }
    c->evals[e].snap[i] = buf;
    c->evals[e].len[i] = len;
    c->evals[e].got++;
    /* Snapshots of one point can arrive after a later point's: evaluate in order. */
    while (c->next_eval < c->n_evals && c->evals[c->next_eval].got == c->n_snaps)
        if (coord_evaluate(c, &c->evals[c->next_eval++], err))
            return PS_ERR;
    return PS_OK;
}

/* The clocks of stage k a worker of it runs: those after the checkpoint, resumed. */
static double coord_stage_clocks(const ps_run *r, int k)
{
    const ps_stage *st = &r->stages[k];
    int32_t from = r->resumed && r->resume_clock > st->clock_base ? r->resume_clock
                                                                  : st->clock_base;
    int32_t end = st->clock_base + st->iterations;
    return end > from ? end - from : 0;
}

/* A worker's per-stage statistics; it failed if a stage it was in stopped short. */
static int coord_take_done(ps_coord *c, const ps_msg *m, ps_err *err)
{
    const ps_run *r = c->run;
    int w = (int)m->sender - ps_worker_actor(r, 0);
    size_t len = (size_t)r->n_stages * sizeof(ps_worker_stats);
    size_t cache_len = r->cache_policy ? sizeof(ps_cache_stats) : 0;
    if (w < 0 || w >= r->n_workers || m->aux_len != len + cache_len)
        return ps_err_set(err, "unexpected done message from actor %u", m->sender);
    ps_worker_stats *st = &c->stats[(size_t)w * (size_t)r->n_stages];
    memcpy(st, m->aux, len);
    for (int k = 0; r->time_offset > 0 && k < r->n_stages; k++)
        if (st[k].end_time_s > 0) /* a resumed run's times go on from its checkpoint's */
            st[k].end_time_s += r->time_offset;
    if (cache_len)
        memcpy(&c->cache_stats[w], m->aux + len, cache_len);
    if (c->lost_at[w] >= 0)
        return PS_OK; /* counted when it was lost; what it did till then is kept */
    c->n_done++;
    if (m->table == PS_DONE_LOST) /* a death, not workers that stopped short: no summary */
        return ps_err_set(err, "lost node %d, as worker %d found (it stopped on losing it)",
                          m->clock, w);
    if (m->table == PS_DONE_INTERRUPTED)
        return PS_OK; /* it stopped short because the run was told to */
    for (int k = 0; k < r->n_stages; k++)
        if (ps_run_took_part(r, c->stats, w, k) &&
            st[k].iterations < (r->scheduled ? st[k].granted : coord_stage_clocks(r, k))) {
            c->n_failed++;
            break;
        }
    return PS_OK;
}

/* A server's report of a stage's start: the stage's transition is the longest any
 * server took from the previous stage's end to its first served pull. */
static int coord_take_stage(ps_coord *c, const ps_msg *m, ps_err *err)
{
    const ps_run *r = c->run;
    int s = (int)m->sender - ps_server_actor(0), k = m->clock;
    double t[2];
    if (s < 0 || s >= r->n_servers || k < 1 || k >= r->n_stages || m->aux_len != sizeof t)
        return ps_err_set(err, "unexpected stage message from actor %u", m->sender);
    memcpy(t, m->aux, sizeof t);
    ps_outputs_stage *st = &c->stages[k];
    st->reports++;
    st->start_s = t[0] > st->start_s ? t[0] : st->start_s;
    if (t[1] >= 0 && t[1] - t[0] > st->transition_s)
        st->transition_s = t[1] - t[0];
    return PS_OK;
}

/* fault.on_worker_failure = continue: worker w is gone since its clock `clock`; the
 * servers count the others only, and the run ends without its end. */
static int coord_lose_worker(ps_coord *c, int w, int32_t clock, ps_err *err)
{
    const ps_run *r = c->run;
    if (w < 0 || w >= r->n_workers || c->lost_at[w] >= 0)
        return PS_OK;
    /* the real backend knows no clock: the newest evaluated, which it had reached */
    c->lost_at[w] = clock >= 0 ? clock : c->next_eval ? c->evals[c->next_eval - 1].clock : 0;
    c->n_lost++;
    c->n_done++;
    if (c->n_lost == r->n_workers)
        return ps_err_set(err, "every worker is lost: the run cannot go on");
    fprintf(stderr, "%spslab: worker %d lost (fault.on_worker_failure = continue): the run goes on "
            "with %d workers\n", r->progress ? "\n" : "", w, r->n_workers - c->n_lost);
    for (int s = 0; s < r->n_servers; s++) {
        ps_msg_writer m;
        if (ps_msg_build(&m, PS_MSG_INTERRUPT, 0, PS_COORDINATOR_ID, PS_INTERRUPT_LOST, w, 0, 0, 0,
                         err) ||
            ps_send(c->be, ps_server_actor(s), m.buf, m.len, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* A worker's death under continue: in sim its crash (sender, aux: time, clock),
 * from the real backend its node (clock), each of that node's workers. */
static int coord_take_loss(ps_coord *c, const ps_msg *m, ps_err *err)
{
    const ps_run *r = c->run;
    if (m->table == PS_INTERRUPT_CRASH) {
        double aux[2];
        memcpy(aux, m->aux, sizeof aux);
        return coord_lose_worker(c, (int)m->sender - ps_worker_actor(r, 0), (int32_t)aux[1], err);
    }
    int wpn = ps_run_node_workers(r), first = (m->clock - r->n_servers) * wpn;
    for (int w = first; w >= 0 && w < first + wpn && w < r->n_workers; w++)
        if (coord_lose_worker(c, w, -1, err))
            return PS_ERR;
    return PS_OK;
}

/* Whether an INTERRUPT is a worker's death the run survives. */
static int coord_is_loss(const ps_coord *c, const ps_msg *m)
{
    const ps_run *r = c->run;
    if (strcmp(r->cfg->on_worker_failure, "continue") != 0)
        return 0;
    if (m->table == PS_INTERRUPT_LOST)
        return m->clock >= r->n_servers;
    int w = (int)m->sender - ps_worker_actor(r, 0);
    return m->table == PS_INTERRUPT_CRASH && m->aux_len == 2 * sizeof(double) && w >= 0 &&
           w < r->n_workers;
}

/* SIGINT or SIGTERM: the servers answer every pull from now on with an interrupted
 * reply, so that each worker ends at the end of the clock it is in, and sends its
 * done; the run then ends as usual, without waiting for the evaluations left. */
static int coord_take_interrupt(ps_coord *c, const ps_msg *m, ps_err *err)
{
    if (coord_is_loss(c, m))
        return coord_take_loss(c, m, err);
    if (m->table == PS_INTERRUPT_CRASH && m->aux_len == 2 * sizeof(double) && !c->crashed) {
        double aux[2];
        memcpy(aux, m->aux, sizeof aux);
        c->crashed = 1; /* sim: the run stops as its peers would see the node gone */
        c->crash_time = aux[0];
        c->crash_worker = (int)m->sender >= ps_worker_actor(c->run, 0);
    }
    if (c->interrupted)
        return PS_OK; /* every node of a local launch may forward the same Ctrl-C */
    c->interrupted = m->clock > 0 ? m->clock : 2;
    if (!c->crashed)
        fprintf(stderr, "%spslab: %s: stopping every worker at the end of its clock "
                "(again to stop at once)\n", c->run->progress ? "\n" : "",
                ps_interrupt_name(c->interrupted));
    for (int s = 0; s < c->run->n_servers; s++) {
        ps_msg_writer w;
        if (ps_msg_build(&w, PS_MSG_INTERRUPT, 0, PS_COORDINATOR_ID, 0, c->interrupted, 0, 0, 0,
                         err) ||
            ps_send(c->be, ps_server_actor(s), w.buf, w.len, err))
            return PS_ERR;
    }
    return PS_OK;
}

static int coord_handle(ps_coord *c, void *buf, size_t len, ps_err *err)
{
    ps_msg m;
    if (ps_msg_decode(buf, len, &m, err)) {
        free(buf);
        return ps_err_prefix(err, "coordinator: ");
    }
    if (m.type == PS_MSG_SNAPSHOT)
        return coord_take_snapshot(c, buf, len, &m, err);
    int rc = m.type == PS_MSG_DONE        ? coord_take_done(c, &m, err)
             : m.type == PS_MSG_STAGE     ? coord_take_stage(c, &m, err)
             : m.type == PS_MSG_INTERRUPT ? coord_take_interrupt(c, &m, err)
                                          : ps_err_set(err, "unexpected %s message from actor %u",
                                                   ps_msg_type_name(m.type), m.sender);
    free(buf);
    return rc;
}

/* Model table t's view: its key range of its served table's. */
static void coord_model_view(ps_coord *c, int t)
{
    const ps_model_table *mt = &c->run->model_tables[t];
    const ps_table_view *sv = &c->views[mt->served];
    uint32_t v = sv->vpk;
    if (!sv->keys) {
        c->mviews[t] = (ps_table_view){.vals = sv->vals + mt->base * v, .n = mt->spec.n_keys,
                                       .vpk = v};
        return;
    }
    uint64_t lo = 0, hi = 0; /* the served keys in [base, base + n_keys) */
    while (lo < sv->n && sv->keys[lo] < mt->base)
        lo++;
    for (hi = lo; hi < sv->n && sv->keys[hi] < mt->base + mt->spec.n_keys; hi++)
        ;
    c->mviews[t] = (ps_table_view){.vals = sv->vals + lo * v, .keys = sv->keys + lo,
                                   .n = hi - lo, .vpk = v, .key_base = mt->base};
}

static int coord_init(ps_coord *c, ps_run *r, ps_backend *be, ps_err *err)
{
    memset(c, 0, sizeof *c);
    c->run = r;
    c->be = be;
    /* resumed: the checkpoint's clock is evaluated again if it is a point (its row
     * may not have been written before the run stopped) */
    int32_t first = r->resumed ? ps_run_next_eval(r, r->resume_clock - 1) : 0;
    for (int32_t k = first; k != INT32_MAX; k = ps_run_next_eval(r, k))
        c->n_evals++;
    c->evals = calloc((size_t)c->n_evals, sizeof *c->evals);
    c->stats = calloc((size_t)r->n_workers * (size_t)r->n_stages, sizeof *c->stats);
    if (r->cache_policy)
        c->cache_stats = calloc((size_t)r->n_workers, sizeof *c->cache_stats);
    c->disk_read = calloc((size_t)r->n_servers, sizeof *c->disk_read);
    c->disk_written = calloc((size_t)r->n_servers, sizeof *c->disk_written);
    c->net_bytes = calloc((size_t)r->n_servers, sizeof *c->net_bytes);
    c->lost_at = malloc((size_t)r->n_workers * sizeof *c->lost_at);
    for (int w = 0; c->lost_at && w < r->n_workers; w++)
        c->lost_at[w] = -1;
    if (!c->disk_read || !c->disk_written || !c->net_bytes)
        return ps_err_set(err, "out of memory");
    if (!c->evals || !c->stats || !c->lost_at || (r->cache_policy && !c->cache_stats))
        return ps_err_set(err, "coordinator: out of memory");
    c->n_snaps = r->n_servers * r->n_tables;
    for (int t = 0; t < r->n_tables; t++) {
        const ps_run_table *rt = &r->tables[t];
        uint64_t keys = rt->eval_keys ? rt->n_eval_keys : rt->spec.n_keys;
        size_t n = (size_t)(keys * rt->spec.vals_per_key);
        c->w[t] = calloc(n ? n : 1, sizeof(float));
        c->eval[t] = r->model_ops->init_values ? calloc(n ? n : 1, sizeof(float)) : c->w[t];
        if (!c->w[t] || !c->eval[t])
            return ps_err_set(err, "coordinator: out of memory for table %s (%zu values)",
                              rt->spec.name, n);
        c->views[t] = (ps_table_view){.vals = c->eval[t], .keys = rt->eval_keys, .n = keys,
                                      .vpk = rt->spec.vals_per_key};
    }
    for (int t = 0; t < r->n_model_tables; t++)
        coord_model_view(c, t);
    int i = 0;
    for (int32_t k = first; k != INT32_MAX; k = ps_run_next_eval(r, k), i++) {
        c->evals[i].clock = k;
        c->evals[i].snap = calloc((size_t)c->n_snaps, sizeof(void *));
        c->evals[i].len = calloc((size_t)c->n_snaps, sizeof(size_t));
        if (!c->evals[i].snap || !c->evals[i].len)
            return ps_err_set(err, "coordinator: out of memory");
    }
    if (r->resumed) {
        int64_t last;
        if (ps_outputs_resume_metrics(r->out_dir, r, r->resume_clock, &c->metrics, &last, err))
            return PS_ERR;
        c->row_written = last == r->resume_clock ? r->resume_clock : -1;
        return PS_OK;
    }
    c->row_written = -1;
    return ps_outputs_open_metrics(r->out_dir, r->metric_names, &c->metrics, err);
}

static void coord_free(ps_coord *c)
{
    for (int i = 0; c->evals && i < c->n_evals; i++) {
        for (int s = 0; c->evals[i].snap && s < c->n_snaps; s++)
            free(c->evals[i].snap[s]);
        free(c->evals[i].snap);
        free(c->evals[i].len);
    }
    free(c->evals);
    for (int t = 0; t < PS_MODEL_MAX_TABLES; t++) {
        if (c->eval[t] != c->w[t])
            free(c->eval[t]);
        free(c->w[t]);
    }
    free(c->stats);
    free(c->cache_stats);
    free(c->disk_read);
    free(c->disk_written);
    free(c->net_bytes);
    free(c->lost_at);
    if (c->metrics)
        fclose(c->metrics);
}

/* The global clocks the workers had reached: a worker's is where it began the
 * last stage it took part in, plus the iterations it did there. */
static void coord_clock_range(const ps_coord *c, int32_t *lo, int32_t *hi)
{
    const ps_run *r = c->run;
    *lo = INT32_MAX;
    *hi = 0;
    for (int w = 0; w < r->n_workers; w++) {
        int32_t at = 0;
        for (int k = 0; k < r->n_stages; k++) {
            const ps_worker_stats *st = &c->stats[(size_t)w * (size_t)r->n_stages + (size_t)k];
            int32_t from = r->stages[k].clock_base; /* resumed: from the checkpoint */
            if (r->resumed && r->resume_clock > from)
                from = r->resume_clock;
            if (st->iterations > 0)
                at = from + (int32_t)st->iterations;
        }
        *lo = at < *lo ? at : *lo;
        *hi = at > *hi ? at : *hi;
    }
    if (*lo == INT32_MAX)
        *lo = 0;
}

static int coord_finish(ps_coord *c, ps_err *err)
{
    ps_run *r = c->run;
    if (r->progress)
        fputc('\n', stderr);
    ps_outputs_summary sum = {
        .iterations_done = c->evals[c->next_eval ? c->next_eval - 1 : 0].clock,
        .final_metrics = c->last_metrics,
        .sim_time_s = c->last_time,
        .failed_workers = c->n_failed,
        .stages = c->stages,
        .stats = c->stats,
        .cache_stats = c->cache_stats,
        .disk_read = r->store_ops != &ps_store_mem_ops ? c->disk_read : NULL,
        .disk_written = c->disk_written,
        .net_bytes = c->net_bytes,
        .interrupted = c->crashed ? 0 : c->interrupted,
        .lost_at = c->lost_at,
    };
    if (c->next_eval == 0)
        sum.iterations_done = 0;
    if (c->interrupted)
        coord_clock_range(c, &sum.clock_min, &sum.clock_max);
    if (ps_outputs_write_workers(r->out_dir, r, c->stats, err) ||
        (c->cache_stats && ps_outputs_write_cache(r->out_dir, r, c->cache_stats, err)) ||
        ps_outputs_write_summary(r->out_dir, r, &sum, err))
        return PS_ERR;
    if (c->n_failed)
        return ps_err_set(err, "%d worker(s) stopped early", c->n_failed);
    if (c->crashed) {
        r->crashed = 1;
        r->crashed_worker = c->crash_worker;
        r->crash_time = c->crash_time;
    } else {
        r->interrupted = c->interrupted;
    }
    return PS_OK;
}

static int coord_stop_servers(ps_coord *c, ps_err *err)
{
    for (int s = 0; s < c->run->n_servers; s++) {
        ps_msg_writer m;
        if (ps_msg_build(&m, PS_MSG_STOP, 0, PS_COORDINATOR_ID, 0, 0, 0, 0, 0, err) ||
            ps_send(c->be, ps_server_actor(s), m.buf, m.len, err))
            return PS_ERR;
    }
    return PS_OK;
}

/* How long to wait for a message: real.stall_timeout on the real backend (a
 * stopped or hung process never closes its connections), forever in sim (where
 * SimGrid itself reports actors that all wait). */
static double coord_patience(const ps_run *r)
{
    const ps_config *cfg = r->cfg;
    return strcmp(cfg->backend, "real") == 0 && cfg->real_stall_timeout > 0
               ? cfg->real_stall_timeout : PS_FOREVER;
}

/* Nothing arrived for real.stall_timeout: names the evaluation point and the
 * workers still awaited. */
static int coord_stalled(ps_coord *c, ps_err *err)
{
    const ps_run *r = c->run;
    char late[256] = "";
    size_t used = 0;
    int n_late = 0;
    for (int w = 0; w < r->n_workers; w++) {
        int done = 0;
        for (int k = 0; k < r->n_stages; k++)
            done |= c->stats[(size_t)w * (size_t)r->n_stages + (size_t)k].end_time_s > 0;
        if (!done && used < sizeof late - 16)
            used += (size_t)snprintf(late + used, sizeof late - used, "%s%d", n_late++ ? ", " : "",
                                     w);
    }
    const eval_point *e = c->next_eval < c->n_evals ? &c->evals[c->next_eval] : NULL;
    return ps_err_set(err, "the run stalled: no message for %g s (real.stall_timeout); waiting "
                      "for %s%d of %d snapshots of the evaluation after clock %d, and for the end "
                      "of worker(s) %s", r->cfg->real_stall_timeout, e ? "" : "none: ",
                      e ? e->got : 0, c->n_snaps, e ? e->clock : -1, n_late ? late : "none");
}

/* After a failed index build: the end of every worker not yet ended (each sends
 * one however it stops), so that none is left talking to a run that is over. */
static void coord_drain_workers(ps_coord *c, int ended)
{
    for (int n = ended; n < c->run->n_workers;) {
        void *buf;
        size_t len;
        ps_msg m;
        ps_err ignored;
        if (ps_recv(c->be, coord_patience(c->run), &buf, &len, &ignored))
            return;
        if (ps_msg_decode(buf, len, &m, &ignored) == PS_OK && m.type == PS_MSG_DONE)
            n++;
        free(buf);
    }
}

/* The coordinator failed mid-run (its metrics.csv could not be written, a message
 * made no sense): every worker still running is stopped at the end of its clock,
 * as by an interrupt, and its done awaited, so that none is left waiting on a run
 * that is over (a sim run would end in SimGrid's deadlock report). */
static void coord_abandon_workers(ps_coord *c)
{
    if (c->n_done >= c->run->n_workers)
        return;
    for (int s = 0; s < c->run->n_servers && !c->interrupted; s++) {
        ps_msg_writer w;
        ps_err ignored;
        if (ps_msg_build(&w, PS_MSG_INTERRUPT, 0, PS_COORDINATOR_ID, 0, SIGTERM, 0, 0, 0,
                         &ignored) == PS_OK)
            (void)ps_send(c->be, ps_server_actor(s), w.buf, w.len, &ignored);
    }
    coord_drain_workers(c, c->n_done);
}

void ps_coordinator_main(ps_backend *be, void *arg)
{
    ps_actor_arg *a = arg;
    ps_coord c;
    ps_err err;
    int rc = PS_OK;
    memset(&c, 0, sizeof c);
    c.run = a->run;
    c.be = be;
    /* the index first: a run refused its index.load has written nothing */
    if (a->run->indexer) {
        int ended = 0;
        if ((rc = ps_indexer_coordinate(a->run, be, &ended, &err)))
            coord_drain_workers(&c, ended);
    }
    if (rc == PS_OK)
        rc = coord_init(&c, a->run, be, &err);
    while (rc == PS_OK &&
           (c.n_done < a->run->n_workers ||
            (c.next_eval < c.n_evals && !c.n_failed && !c.interrupted))) {
        void *buf;
        size_t len;
        rc = ps_recv(be, coord_patience(a->run), &buf, &len, &err);
        if (rc == PS_TIMEOUT)
            rc = coord_stalled(&c, &err);
        else if (rc == PS_OK)
            rc = coord_handle(&c, buf, len, &err);
    }
    if (rc != PS_OK && c.metrics) /* it got past its start: the workers are running */
        coord_abandon_workers(&c);
    if (rc == PS_OK)
        rc = coord_finish(&c, &err);
    ps_err stop_err;
    if (coord_stop_servers(&c, &stop_err) && rc == PS_OK) {
        rc = PS_ERR;
        err = stop_err;
    }
    if (rc)
        ps_run_fail(a->run, "coordinator", &err);
    coord_free(&c);
}
