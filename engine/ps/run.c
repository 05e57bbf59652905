/* Builds the run context from a config and launches the actor table; see run.h. */
#include "engine/ps/run.h"
#include "engine/core/memory.h"

#include "engine/core/interrupt.h"
#include "engine/ps/indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/data/readers.h"
#include "engine/ps/cache.h"
#include "engine/ps/msg.h"
#include "engine/ps/straggler.h"

uint64_t ps_run_truth_bytes(const ps_run *r) { return 2 * ps_gen_truth_bytes(&r->gen); }

/* The generators other than CTR: the same rows on every node, from the seed. */
static int run_generate(ps_run *r, const ps_config *cfg, ps_err *err)
{
    int kind = strcmp(cfg->generator, "ratings") == 0   ? PS_GEN_RATINGS
               : strcmp(cfg->generator, "mixture") == 0 ? PS_GEN_MIXTURE
                                                        : PS_GEN_DENSE;
    uint64_t dims = cfg->features ? cfg->features : PS_CONFIG_DENSE_FEATURES;
    if (kind != PS_GEN_RATINGS && dims > 100000)
        return ps_err_set(err, "data.generator = %s makes dense rows of data.features = %llu "
                          "values; at most 100000", cfg->generator,
                          (unsigned long long)dims);
    r->gen = (ps_gen_params){.kind = kind, .seed = cfg->seed, .users = (uint32_t)cfg->users,
                             .items = (uint32_t)cfg->items, .rank = (uint32_t)cfg->true_rank,
                             .zipf = cfg->zipf, .noise = cfg->noise, .mean = cfg->rating_mean,
                             .dims = (uint32_t)dims, .clusters = (uint32_t)cfg->clusters,
                             .spread = cfg->spread, .weight_scale = cfg->weight_scale};
    r->gen_kind = kind;
    uint64_t truth = ps_run_truth_bytes(r), mem = ps_physical_memory_bytes();
    if (mem && truth > mem)
        return ps_err_set(err, "%s: data.generator = %s would hold %.1f GB of its true model "
                          "(for the training and the test set), and this machine has %.1f GB "
                          "of memory: %s", cfg->source_path, cfg->generator, truth / 1e9,
                          mem / 1e9, kind == PS_GEN_RATINGS
                                         ? "fewer data.users or data.items, or a lower data.true_rank"
                                         : "fewer data.features or data.clusters");
    if (ps_dataset_generated(&r->train, &r->gen, 0, cfg->train_examples, err) ||
        ps_dataset_generated(&r->test, &r->gen, cfg->train_examples, cfg->test_examples, err))
        return PS_ERR;
    r->has_truth = 1;
    return PS_OK;
}

static int run_load_data(ps_run *r, const ps_config *cfg, ps_err *err)
{
    if (strcmp(cfg->source, "synthetic") == 0 && strcmp(cfg->generator, "ctr") != 0) {
        if (run_generate(r, cfg, err))
            return PS_ERR;
    } else if (strcmp(cfg->source, "synthetic") == 0) {
        uint64_t nf = cfg->features ? cfg->features : PS_CONFIG_CTR_FEATURES;
        r->ctr = (ps_ctr_params){.seed = cfg->seed, .n_features = (uint32_t)nf,
                                 .nnz = (uint32_t)cfg->nnz, .zipf = cfg->zipf,
                                 .weight_scale = cfg->weight_scale,
                                 .true_density = cfg->true_density,
                                 .linear = strcmp(cfg->target, "linear") == 0,
                                 .noise = cfg->noise};
        if (ps_dataset_synthetic(&r->train, &r->ctr, 0, cfg->train_examples, err) ||
            ps_dataset_synthetic(&r->test, &r->ctr, cfg->train_examples, cfg->test_examples, err))
            return PS_ERR;
        r->has_truth = 1;
    } else if (ps_data_load_files(cfg, &r->train, &r->test, &r->all, err)) {
        return PS_ERR;
    }
    r->n_features = ps_dataset_features(r->train);
    return PS_OK;
}

/* Served table st's eval_keys: its model tables' keys that evaluation reads, each
 * offset by the model table's base (so still in order). */
static int run_eval_keys(ps_run *r, int st, ps_err *err)
{
    ps_run_table *rt = &r->tables[st];
    for (int t = 0; t < r->n_model_tables; t++) {
        const ps_model_table *mt = &r->model_tables[t];
        if (mt->served != st)
            continue;
        uint64_t *keys, n;
        if (r->model_ops->eval_keys(r->model, r->test, t, &keys, &n, err))
            return PS_ERR;
        uint64_t *all = realloc(rt->eval_keys, (rt->n_eval_keys + n + 1) * sizeof *all);
        if (!all) {
            free(keys);
            return ps_err_set(err, "out of memory for the evaluation's keys");
        }
        for (uint64_t i = 0; i < n; i++)
            all[rt->n_eval_keys + i] = mt->base + keys[i];
        rt->eval_keys = all;
        rt->n_eval_keys += n;
        free(keys);
    }
    return PS_OK;
}

/* The model, its table and its metrics (and the true model's, when known). */
static int run_make_model(ps_run *r, const ps_config *cfg, ps_err *err)
{
    r->model_ops = ps_model_by_name(cfg->type);
    if (!r->model_ops)
        return ps_err_set(err, "unknown model %s", cfg->type);
    ps_model_env env = {.cfg = cfg, .train = r->train, .test = r->test,
                        .truth = r->has_truth && !r->gen_kind ? &r->ctr : NULL,
                        .gen = r->gen_kind ? &r->gen : NULL};
    if (r->model_ops->create(&env, &r->model, err))
        return ps_err_prefix(err, "model %s: ", cfg->type);
    ps_table_spec tables[PS_MODEL_MAX_TABLES];
    int n = r->model_ops->tables(r->model, tables);
    if (ps_run_set_tables(r, tables, n, err))
        return ps_err_prefix(err, "model %s: ", cfg->type);
    for (int t = 0; t < r->n_tables && r->model_ops->eval_keys; t++) {
        const ps_table_spec *spec = &r->tables[t].spec;
        if ((double)spec->n_keys * spec->vals_per_key * sizeof(float) <= (double)cfg->eval_full_max)
            continue;
        if (run_eval_keys(r, t, err))
            return ps_err_prefix(err, "model %s, table %s: ", cfg->type, spec->name);
    }
    r->metric_names = r->model_ops->metrics(r->model);
    r->n_metrics = ps_model_metric_count(r->model_ops, r->model);
    if (r->has_truth)
        r->has_truth = r->model_ops->truth(r->model, r->test, r->truth_metrics);
    return PS_OK;
}

/* Tables that one served table can hold: the same values per key and rule (and
 * no rule that names a key: the L1 step's unpenalised bias). */
static int same_shape(const ps_table_spec *a, const ps_table_spec *b)
{
    return a->vals_per_key == b->vals_per_key && a->rule == b->rule &&
           a->rule != PS_RULE_ADD_L1 && a->zero_at_full_gradient == b->zero_at_full_gradient;
}

int ps_run_set_tables(ps_run *r, const ps_table_spec *specs, int n, ps_err *err)
{
    if (n < 1 || n > PS_MODEL_MAX_TABLES)
        return ps_err_set(err, "%d parameter tables (1 .. %d)", n, PS_MODEL_MAX_TABLES);
    uint64_t place_budget = (uint64_t)64 << 20;
    r->n_tables = 0;
    for (int t = 0; t < n; t++) {
        const ps_table_spec *s = &specs[t];
        if (s->n_keys == 0 || s->vals_per_key == 0 || s->vals_per_key > PS_MSG_MAX_VALS_PER_KEY)
            return ps_err_set(err, "table %s: %llu keys of %u values", s->name ? s->name : "?",
                              (unsigned long long)s->n_keys, s->vals_per_key);
        /* a table of the previous one's shape joins its served table */
        ps_run_table *prev = r->n_tables ? &r->tables[r->n_tables - 1] : NULL;
        int join = prev && same_shape(&prev->spec, s);
        if (!join)
            r->tables[r->n_tables++] = (ps_run_table){.spec = *s};
        ps_run_table *rt = &r->tables[r->n_tables - 1];
        r->model_tables[t] = (ps_model_table){.spec = *s, .served = r->n_tables - 1,
                                              .base = join ? rt->spec.n_keys : 0};
        if (join) {
            rt->spec.n_keys += s->n_keys;
            char joined[sizeof rt->name];
            snprintf(joined, sizeof joined, "%s+%s", rt->spec.name ? rt->spec.name : "?",
                     s->name ? s->name : "?");
            memcpy(rt->name, joined, sizeof joined);
            rt->spec.name = rt->name;
        }
    }
    r->n_model_tables = n;
    for (int t = 0; t < r->n_tables; t++) {
        const ps_table_spec *s = &r->tables[t].spec;
        /* a parameter (key x value) must fit the trace's 56 bits */
        if (s->n_keys > (UINT64_C(1) << 56) / s->vals_per_key)
            return ps_err_set(err, "table %s: %llu keys of %u values", s->name,
                              (unsigned long long)s->n_keys, s->vals_per_key);
        ps_partition_init(&r->tables[t].partition, s->n_keys, r->n_servers);
        /* 8 bytes a key: 8 MB for a million features, shared by every simulated
         * node; only one-value tables use places (their stores index by slot) */
        if (r->partitioner && s->vals_per_key == 1) {
            ps_partition_place(&r->tables[t].partition, r->partitioner, place_budget);
            if (r->tables[t].partition.place)
                place_budget -= s->n_keys * sizeof(ps_key_place);
        }
    }
    return PS_OK;
}

static int plan_step(const char *name) { return strcmp(name, "full_gradient") == 0; }

/* Evaluation points: 0, then per stage every eval_every clocks and its last. */
static int plan_evals(ps_run *r, ps_err *err)
{
    int cap = 1;
    for (int k = 0; k < r->n_stages; k++)
        cap += r->stages[k].iterations / r->cfg->eval_every + 1;
    free(r->evals);
    r->evals = malloc((size_t)cap * sizeof *r->evals);
    if (!r->evals)
        return ps_err_set(err, "out of memory for %d evaluation points", cap);
    r->n_evals = 0;
    r->evals[r->n_evals++] = 0;
    for (int k = 0; k < r->n_stages; k++) {
        const ps_stage *st = &r->stages[k];
        /* a direct stage's model is the worker's own until it ends: its end alone */
        for (int32_t c = r->cfg->eval_every; !st->direct && c < st->iterations;
             c += r->cfg->eval_every)
            r->evals[r->n_evals++] = st->clock_base + c;
        r->evals[r->n_evals++] = st->clock_base + st->iterations;
    }
    return PS_OK;
}

int ps_run_plan(ps_run *r, ps_err *err)
{
    const ps_config *cfg = r->cfg;
    int32_t base = 0;
    r->n_stages = cfg->n_stages ? cfg->n_stages : 1;
    for (int k = 0; k < r->n_stages; k++) {
        ps_stage *st = &r->stages[k];
        if (!cfg->n_stages) {
            *st = (ps_stage){.number = 0, .workers = r->n_workers, .batch = cfg->batch,
                             .iterations = cfg->iterations, .lr = cfg->lr,
                             .lr_decay = cfg->lr_decay, .consistency = r->consistency,
                             .consistency_params = r->consistency_params};
        } else {
            const ps_stage_config *c = &cfg->stages[k];
            *st = (ps_stage){.number = k + 1, .workers = c->workers, .batch = c->batch,
                             .iterations = c->iterations, .lr = c->lr, .lr_decay = c->lr_decay,
                             .consistency = ps_consistency_by_name(c->consistency),
                             .consistency_params = r->consistency_params,
                             .step = plan_step(c->step)};
            st->consistency_params.staleness = c->staleness;
            if (!st->consistency)
                return ps_err_set(err, "stage %d: unknown consistency %s", k + 1, c->consistency);
        }
        st->direct = st->workers == 1 && strcmp(cfg->direct_transfer, "on") == 0;
        if (st->workers < 1 || st->workers > r->n_workers || st->iterations < 1)
            return ps_err_set(err, "stage %d: %d workers of %d, %d iterations", st->number,
                              st->workers, r->n_workers, st->iterations);
        if ((int64_t)base + st->iterations > INT32_MAX - 1)
            return ps_err_set(err, "the stages' iterations add up past 2^31");
        st->clock_base = base;
        base += st->iterations;
    }
    r->total_clocks = base;
    return plan_evals(r, err);
}

int ps_run_stage_of(const ps_run *r, int32_t c)
{
    int k = 0;
    while (k + 1 < r->n_stages && c >= r->stages[k + 1].clock_base)
        k++;
    return k;
}

int32_t ps_run_next_eval(const ps_run *r, int32_t c)
{
    int lo = 0, hi = r->n_evals; /* the first point > c */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (r->evals[mid] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_evals ? r->evals[lo] : INT32_MAX;
}

double ps_run_step_rate_for(const ps_run *r, int32_t clock, int workers)
{
    const ps_stage *st = &r->stages[ps_run_stage_of(r, clock)];
    double rate = st->lr / (1.0 + st->lr_decay * (clock - st->clock_base));
    return strcmp(r->cfg->update, "average") == 0 ? rate / workers : rate;
}

double ps_run_step_rate(const ps_run *r, int32_t clock)
{
    return ps_run_step_rate_for(r, clock, r->stages[ps_run_stage_of(r, clock)].workers);
}

/* policy.cache: one cache per worker node, made before any actor runs (the real
 * backend's workers of a node are threads; nobody creates one lazily). */
static int run_make_caches(ps_run *r, const ps_config *cfg, ps_err *err)
{
    r->cache_policy = ps_cache_policy_by_name(cfg->cache);
    if (!r->cache_policy)
        return PS_OK;
    int wpn = ps_run_node_workers(r);
    r->n_caches = (r->n_workers + wpn - 1) / wpn;
    if (!(r->caches = calloc((size_t)r->n_caches, sizeof *r->caches)))
        return ps_err_set(err, "out of memory for %d caches", r->n_caches);
    for (int i = 0; i < r->n_caches; i++)
        if (!(r->caches[i] = ps_cache_new(r->cache_policy, cfg->worker_cache_bytes, wpn, err)))
            return PS_ERR;
    return PS_OK;
}

int ps_run_init(ps_run *r, const ps_config *cfg, const char *out_dir, ps_err *err)
{
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    r->out_dir = out_dir;
    r->n_servers = cfg->servers;
    r->n_workers = cfg->workers;
    r->consistency = ps_consistency_by_name(cfg->consistency);
    r->partitioner = ps_partitioner_by_name(cfg->partitioner);
    if (!r->consistency || !r->partitioner)
        return ps_err_set(err, "unknown policy %s/%s", cfg->consistency, cfg->partitioner);
    r->consistency_params = (ps_consistency_params){
        .staleness = cfg->staleness,
        .wsp_wait_weight = ps_config_module_double(cfg, "policy", "wsp_wait_weight"),
        .wsp_staleness_weight = ps_config_module_double(cfg, "policy", "wsp_staleness_weight"),
    };
    if (ps_stragglers_fixed(cfg, r->n_workers, &r->slowdown, err) || ps_run_plan(r, err))
        return PS_ERR;
    if (run_load_data(r, cfg, err))
        return PS_ERR;
    if (ps_dataset_rows(r->train) < (uint64_t)r->n_workers)
        return ps_err_set(err, "%llu training rows cannot be shared by %d workers",
                          (unsigned long long)ps_dataset_rows(r->train), r->n_workers);
    if (run_make_model(r, cfg, err))
        return PS_ERR;
    r->store_ops = &ps_store_mem_ops;
    r->store_block_keys = 64;
    r->store_cache_bytes = 64u << 20;
    if (ps_indexer_setup(r, err))
        return PS_ERR;
    return run_make_caches(r, cfg, err);
}

void ps_run_free(ps_run *r)
{
    ps_indexer_free(r);
    for (int i = 0; i < r->n_caches; i++)
        ps_cache_free(r->caches[i]);
    free(r->caches);
    r->caches = NULL;
    r->n_caches = 0;
    if (r->model)
        r->model_ops->destroy(r->model);
    r->model = NULL;
    ps_dataset_free(r->train);
    ps_dataset_free(r->test);
    ps_dataset_free(r->all);
    free(r->slowdown);
    r->slowdown = NULL;
    free(r->evals);
    r->evals = NULL;
    for (int t = 0; t < r->n_tables; t++) {
        ps_partition_free(&r->tables[t].partition);
        free(r->tables[t].eval_keys);
        r->tables[t].eval_keys = NULL;
    }
    r->n_tables = 0;
}

void ps_run_actors(ps_run *r, ps_actor_spec *spec, ps_actor_arg *args, char (*names)[32])
{
    /* The coordinator shares node 0 with server 0; each server has a node, and
     * each node after them holds cluster.workers_per_node workers. */
    int wpn = r->cfg->workers_per_node > 0 ? r->cfg->workers_per_node : 1;
    for (int i = 0; i < ps_actor_count(r); i++) {
        int is_server = i >= 1 && i <= r->n_servers;
        int index = i == 0 ? 0 : is_server ? i - 1 : i - 1 - r->n_servers;
        args[i] = (ps_actor_arg){.run = r, .index = index};
        snprintf(names[i], sizeof names[i], "%s%d",
                 i == 0 ? "coordinator" : is_server ? "server" : "worker", index);
        spec[i] = (ps_actor_spec){
            .id = i,
            .node = i == 0 ? 0 : is_server ? i - 1 : r->n_servers + index / wpn,
            .name = names[i],
            .main = i == 0 ? ps_coordinator_main : is_server ? ps_server_main : ps_worker_main,
            .arg = &args[i],
        };
    }
}

int ps_run_launch(ps_run *r, ps_backend *be, ps_err *err)
{
    int n = ps_actor_count(r);
    ps_actor_spec *spec = calloc((size_t)n, sizeof *spec);
    ps_actor_arg *args = calloc((size_t)n, sizeof *args);
    char (*names)[32] = calloc((size_t)n, sizeof *names);
    int rc = spec && args && names ? PS_OK : ps_err_set(err, "out of memory for %d actors", n);
    if (rc == PS_OK) {
        ps_run_actors(r, spec, args, names);
        r->be = be;
        rc = be->ops->launch(be, spec, n, err);
        r->be = NULL;
    }
    free(spec);
    free(args);
    free(names);
    if (rc == PS_OK && r->failed)
        rc = ps_err_set(err, "the run failed (see the errors above)");
    else if (rc == PS_OK && r->crashed)
        rc = ps_err_set(err, "a node crashed (fault.crash) at %.6f s", r->crash_time);
    else if (rc == PS_OK && r->interrupted)
        rc = ps_err_set(err, "interrupted by %s; its files are whole, and summary.txt says at "
                        "which clock it stopped", ps_interrupt_name(r->interrupted));
    return rc;
}

int ps_run_crash_point(ps_run *r, ps_backend *be, int server, int index, int32_t clock,
                       ps_err *err)
{
    struct ps_run_crash *k = NULL;
    for (int i = 0; i < r->n_crashes && !k; i++) {
        struct ps_run_crash *x = &r->crashes[i];
        if (!x->fired && x->server == server && x->index == index &&
            (x->after_s >= 0 ? ps_now(be) >= x->after_s : clock >= x->clock))
            k = x;
    }
    if (!k)
        return 0;
    k->fired = 1;
    fprintf(stderr, "pslab: %s: %s%d dies at clock %d\n",
            k->drawn ? "fault.rate" : "fault.crash", server ? "server" : "worker",
            index, clock);
    if (be->ops->crash)
        be->ops->crash(be);
    double aux[2] = {ps_now(be) + r->time_offset, (double)clock};
    ps_msg_writer w;
    if (ps_msg_build(&w, PS_MSG_INTERRUPT, 0, (uint32_t)ps_self(be), PS_INTERRUPT_CRASH, 9, 0, 0,
                     sizeof aux, err))
        return PS_ERR;
    memcpy(w.aux, aux, sizeof aux);
    return ps_send(be, PS_COORDINATOR_ID, w.buf, w.len, err) ? PS_ERR : 1;
}

void ps_run_fail(ps_run *r, const char *who, const ps_err *err)
{
    fprintf(stderr, "pslab: %s: %s\n", who, err->msg);
    r->failed = 1;
    char why[1200];
    snprintf(why, sizeof why, "%s: %s", who, err->msg);
    ps_backend_fail(r->be, why);
}

int ps_grant_decode(const ps_run *r, const ps_msg *m, ps_grant *g, ps_err *err)
{
    uint32_t head[3] = {0, 0, 0};
    memset(g, 0, sizeof *g);
    g->stage = m->clock;
    if (m->type != PS_MSG_GRANT || m->aux_len <= PS_GRANT_HEAD || m->aux_len % 4)
        return ps_err_set(err, "a %s message of %u aux bytes is not a grant",
                          ps_msg_type_name(m->type), m->aux_len);
    memcpy(head, m->aux, sizeof head);
    *g = (ps_grant){.stage = m->clock, .first = head[0], .iterations = head[1],
                    .batch = head[2], .n = (m->aux_len - PS_GRANT_HEAD) / 4,
                    .list = m->aux + PS_GRANT_HEAD};
    if (g->stage < 0 || g->stage >= r->n_stages || g->n > (uint32_t)r->n_workers ||
        g->iterations < 1 ||
        g->first + (uint64_t)g->iterations > (uint64_t)r->stages[g->stage].iterations ||
        g->batch < 1 || g->batch > 10000000u)
        return ps_err_set(err, "a grant of stage %d (iterations %u.. of %u, batch %u, %u "
                          "workers) is not in the run's plan", g->stage + 1, g->first,
                          g->iterations, g->batch, g->n);
    return PS_OK;
}

uint32_t ps_grant_worker(const ps_grant *g, uint32_t i)
{
    uint32_t w;
    memcpy(&w, g->list + 4 * (size_t)i, sizeof w);
    return w;
}
