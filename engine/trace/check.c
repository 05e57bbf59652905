/* The trace checker (see check.h). Rules, with slowest = clocks completed by the
 * slowest worker when the pull was served:
 *   bsp       clock <= slowest (a pull for c waits for every worker to finish c-1)
 *   ssp, wsp  clock - slowest <= policy.staleness
 *   asp       no bound
 * each pull judged by the rule, staleness and worker set of its clock's stage
 * ([stage.N]: clocks are global, stage after stage), and, for every model, per key: the sum of all deltas the workers pushed equals
 * the final value minus the initial one (0, or a resumed run's checkpoint's:
 * serverS.initial.csv), within the rounding that float addition on
 * the server can introduce: (pushes + 2) * 2^-24 * sum of |delta|; and every
 * clock each worker ran (workers.csv) has its pull at some server or its cache
 * reads (check_complete). */
#include "engine/trace/check.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "engine/models/model.h"
#include "engine/trace/trace.h"
#include "policies/registry.h"

/* A stage's rule: clocks base .. base+iterations-1, workers 0 .. workers-1. */
typedef struct check_stage {
    const char *model;
    int limit;               /* most clocks a pull may be ahead of the slowest; -1: none */
    int workers;
    int32_t base, iterations;
} check_stage;

/* A model table, as trace/tables.csv places it in its served table. */
typedef struct check_table {
    char name[64];
    int served;
    uint64_t first, end; /* its parameters in the served table: [first, end) */
} check_table;

typedef struct checker checker;
static int model_table_of(const checker *k, uint64_t id);

struct checker {
    const char *dir;
    check_table tables[PS_MODEL_MAX_TABLES];
    int n_tables;        /* 0: no tables.csv (a trace of an older run) */
    ps_config cfg;
    check_stage stages[PS_CONFIG_MAX_STAGES];
    int n_stages;
    int32_t clocks;          /* of every stage */
    int *seg_workers;        /* per clock, when a scheduler split stages (schedule.csv) */
    int max_report;
    long violations;
    FILE *report;
    long pulls;
    double cache_reads;      /* chunks workers read from their nodes' caches */
    double stale_sum, stale_max;
    ps_key_sums pushed;
    uint8_t *seen;           /* per pushed key: found in a final file */
    /* a resumed run's serverS.initial.csv, the values its pushes add to (sum: the
     * value); none: every value starts at 0 */
    ps_key_sums initial;
    int has_initial;
    int32_t resumed_at;      /* its clock (trace/resumed.csv), else 0 */
    uint8_t *initial_seen;   /* per initial key: found in a final file */
    uint8_t *clock_seen;     /* worker * clocks + clock: a pull or cache read of it */
    double worst_err;
};

/* ---- CSV lines ---------------------------------------------------------------- */

typedef struct csv_file {
    FILE *f;
    char path[4200];
    char *line;
    size_t cap;
    long lineno;
    unsigned long long rows; /* data lines read */
    int ended;               /* its "# end: N" line was read */
} csv_file;

static int csv_open(csv_file *c, const char *dir, const char *name, int index,
                    const char *suffix, const char *header, ps_err *err)
{
    memset(c, 0, sizeof *c);
    if (index < 0) /* a file of the whole run, not of one actor */
        snprintf(c->path, sizeof c->path, "%s/trace/%s.%s", dir, name, suffix);
    else
        snprintf(c->path, sizeof c->path, "%s/trace/%s%d.%s", dir, name, index, suffix);
    c->f = fopen(c->path, "r");
    if (!c->f)
        return ps_err_set(err, "%s: cannot open: %s%s", c->path, strerror(errno),
                          errno == ENOENT ? " (was the run made with pslab run --trace?)" : "");
    ssize_t n = getline(&c->line, &c->cap, c->f);
    c->lineno = 1;
    if (n > 0 && c->line[n - 1] == '\n')
        c->line[n - 1] = '\0';
    if (n < 0 || strcmp(c->line, header) != 0)
        return ps_err_set(err, "%s:1: expected the header '%s'", c->path, header);
    return PS_OK;
}

static void csv_close(csv_file *c)
{
    if (c->f)
        fclose(c->f);
    free(c->line);
    c->f = NULL;
    c->line = NULL;
}

/* The file's last line, "# end: N" (trace.h): the count of its data lines. A
 * file without it was cut short; lines after it do not belong. */
static int csv_end(csv_file *c, ps_err *err)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(c->line + strlen(PS_TRACE_END), &end, 10);
    if (c->ended || *end || errno)
        return ps_err_set(err, "%s:%ld: '%s' is not the one end line '%sN'", c->path,
                          c->lineno, c->line, PS_TRACE_END);
    if (n != c->rows)
        return ps_err_set(err, "%s:%ld: the file says it has %llu lines and has %llu: lines "
                          "are missing", c->path, c->lineno, n, c->rows);
    c->ended = 1;
    return PS_OK;
}

/* Next non-empty line split into exactly n numbers: 1, 0 at the end, PS_ERR. */
static int csv_next(csv_file *c, int n, double *v, ps_err *err)
{
    for (;;) {
        ssize_t len = getline(&c->line, &c->cap, c->f);
        if (len < 0 && ferror(c->f))
            return ps_err_set(err, "%s: read error", c->path);
        if (len < 0)
            return c->ended ? 0
                            : ps_err_set(err, "%s: ends without its last line '%sN': the "
                                         "trace was cut short (was the run interrupted?)",
                                         c->path, PS_TRACE_END);
        c->lineno++;
        int whole = len > 0 && c->line[len - 1] == '\n';
        if (whole)
            c->line[--len] = '\0';
        if (len == 0)
            continue;
        if (!whole) /* the last line, not ended: written half */
            return ps_err_set(err, "%s:%ld: '%.100s' is cut short (no end of line)", c->path,
                              c->lineno, c->line);
        if (strncmp(c->line, PS_TRACE_END, strlen(PS_TRACE_END)) == 0) {
            if (csv_end(c, err))
                return PS_ERR;
            continue;
        }
        if (c->ended)
            return ps_err_set(err, "%s:%ld: a line after the end line", c->path, c->lineno);
        c->rows++;
        char *p = c->line;
        for (int i = 0; i < n; i++) {
            char *end;
            errno = 0;
            v[i] = strtod(p, &end);
            if (end == p || errno == ERANGE || !isfinite(v[i]) ||
                *end != (i + 1 < n ? ',' : '\0'))
                return ps_err_set(err, "%s:%ld: field %d of '%.100s' is not a number, or the "
                                  "line does not have %d fields", c->path, c->lineno, i + 1,
                                  c->line, n);
            p = end + 1;
        }
        return 1;
    }
}

/* ---- reporting ---------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void violation(checker *k, const char *fmt, ...)
{
    if (k->violations++ < k->max_report) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(k->report, fmt, ap);
        va_end(ap);
        fputc('\n', k->report);
    }
}

static int is_whole(double v, double lo, double hi) { return v == floor(v) && v >= lo && v <= hi; }

/* ---- pulls -------------------------------------------------------------------- */

/* The stage global clock `clock` belongs to. */
static const check_stage *stage_of(const checker *k, int clock)
{
    const check_stage *st = &k->stages[0];
    for (int i = 1; i < k->n_stages && clock >= k->stages[i].base; i++)
        st = &k->stages[i];
    return st;
}

/* A served pull, as its line says. */
typedef struct pull_row {
    double time;
    int worker, clock, slowest;
    long lineno;
} pull_row;

/* The workers a pull of `clock` counts as the slowest's: its stage's, or its
 * scheduler segment's. */
static int workers_of(const checker *k, int clock)
{
    return k->seg_workers && clock < k->clocks ? k->seg_workers[clock] : stage_of(k, clock)->workers;
}

static int read_pulls(checker *k, int server, pull_row **rows, size_t *n, char *path, size_t np,
                      ps_err *err)
{
    csv_file c;
    int rc = csv_open(&c, k->dir, "server", server, "pulls.csv",
                      "time_s,server,worker,clock,slowest", err);
    size_t cap = 0;
    double v[5];
    while (rc == PS_OK && (rc = csv_next(&c, 5, v, err)) == 1) {
        rc = PS_OK;
        if (v[1] != server || !is_whole(v[2], 0, k->cfg.workers - 1) ||
            !is_whole(v[3], 0, k->clocks) || !is_whole(v[4], 0, k->clocks)) {
            rc = ps_err_set(err, "%s:%ld: '%s' is not a pull of server %d (worker 0..%d, "
                            "clocks 0..%d)", c.path, c.lineno, c.line, server,
                            k->cfg.workers - 1, k->clocks);
            break;
        }
        if (*n == cap) {
            pull_row *r = realloc(*rows, (cap = cap ? 2 * cap : 1024) * sizeof *r);
            if (!r) {
                rc = ps_err_set(err, "%s: out of memory", c.path);
                break;
            }
            *rows = r;
        }
        (*rows)[(*n)++] = (pull_row){v[0], (int)v[2], (int)v[3], (int)v[4], c.lineno};
    }
    snprintf(path, np, "%s", c.path);
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* The most clocks the slowest worker can have completed when each pull was served,
 * from the trace alone rather than the server's own column: a worker cannot
 * complete clock c before its pull for c is answered, so the clock of each
 * worker's next pull this server serves bounds its progress (a worker with none
 * left is unbounded). A min-tree over the workers, filled from the last line up. */
static int bound_slowest(const checker *k, const pull_row *rows, size_t n, int *bound)
{
    int w = k->cfg.workers, size = 1;
    while (size < w)
        size *= 2;
    int *tree = malloc(2 * (size_t)size * sizeof *tree);
    if (!tree)
        return PS_ERR;
    for (int i = 0; i < 2 * size; i++)
        tree[i] = INT_MAX;
    for (size_t i = n; i-- > 0;) {
        int at = size + rows[i].worker;
        for (tree[at] = rows[i].clock; at > 1; at /= 2)
            tree[at / 2] = tree[at] < tree[at ^ 1] ? tree[at] : tree[at ^ 1];
        int lo = size, hi = size + workers_of(k, rows[i].clock), m = INT_MAX; /* [lo, hi) */
        for (; lo < hi; lo /= 2, hi /= 2) {
            if (lo & 1)
                m = tree[lo] < m ? tree[lo] : m, lo++;
            if (hi & 1)
                hi--, m = tree[hi] < m ? tree[hi] : m;
        }
        bound[i] = m;
    }
    free(tree);
    return PS_OK;
}

static void mark_clock(checker *k, int worker, int clock)
{
    if (k->clock_seen && clock < k->clocks)
        k->clock_seen[(size_t)worker * (size_t)k->clocks + (size_t)clock] = 1;
}

static void check_pull(checker *k, int server, const char *path, const pull_row *p, int bound,
                       int *last_clock, double *last_time)
{
    const check_stage *st = stage_of(k, p->clock);
    const char *model = st->model;
    int workers = workers_of(k, p->clock);
    if (p->worker >= workers)
        violation(k, "%s:%ld: server %d served worker %d a pull for clock %d, of a stage "
                  "of %d workers (0 .. %d)", path, p->lineno, server, p->worker, p->clock,
                  workers, workers - 1);
    if (p->clock < last_clock[p->worker]) /* several pulls of one clock: one a table */
        violation(k, "%s:%ld: server %d served worker %d's pull for clock %d after its pull for "
                  "clock %d: a worker's clocks never go back", path, p->lineno, server,
                  p->worker, p->clock, last_clock[p->worker]);
    last_clock[p->worker] = p->clock;
    mark_clock(k, p->worker, p->clock);
    if (p->slowest > bound)
        violation(k, "%s:%ld: server %d says the slowest worker had completed %d clocks when "
                  "it served worker %d's pull for clock %d, but a worker's later pull there "
                  "shows at most %d", path, p->lineno, server, p->slowest, p->worker, p->clock,
                  bound);
    int slowest = p->slowest < bound ? p->slowest : bound;
    k->pulls++;
    double ahead = p->clock - slowest;
    k->stale_sum += ahead;
    k->stale_max = ahead > k->stale_max ? ahead : k->stale_max;
    if (p->time < *last_time)
        violation(k, "%s:%ld: server %d served worker %d's pull for clock %d at time %.9f, "
                  "before the previous pull (%.9f): the trace is out of order", path,
                  p->lineno, server, p->worker, p->clock, p->time, *last_time);
    *last_time = p->time;
    if (st->limit >= 0 && ahead > st->limit)
        violation(k, "%s:%ld: %s%s violated: server %d served worker %d its pull for clock "
                  "%d while the slowest worker had completed %d clocks (%.0f ahead, at "
                  "most %d allowed), at time %.9f s", path, p->lineno, model,
                  strcmp(model, "bsp") ? "(staleness)" : "", server, p->worker, p->clock,
                  slowest, ahead, st->limit, p->time);
}

static int check_pulls(checker *k, int server, ps_err *err)
{
    pull_row *rows = NULL;
    size_t n = 0;
    char path[4200];
    int rc = read_pulls(k, server, &rows, &n, path, sizeof path, err);
    int *bound = rc == PS_OK ? malloc((n ? n : 1) * sizeof *bound) : NULL;
    int *last_clock = rc == PS_OK ? malloc((size_t)k->cfg.workers * sizeof *last_clock) : NULL;
    if (rc == PS_OK && (!bound || !last_clock || bound_slowest(k, rows, n, bound)))
        rc = ps_err_set(err, "%s: out of memory", path);
    for (int w = 0; rc == PS_OK && w < k->cfg.workers; w++)
        last_clock[w] = -1;
    double last_time = -INFINITY;
    for (size_t i = 0; rc == PS_OK && i < n; i++)
        check_pull(k, server, path, &rows[i], bound[i], last_clock, &last_time);
    free(rows);
    free(bound);
    free(last_clock);
    return rc;
}

/* ---- cache reads ---------------------------------------------------------------- */

/* With policy.cache, workerW.reads.csv: each clock's chunks read from the node's
 * cache were served when the slowest worker had completed at least `slowest`
 * clocks, which must obey the cache's bound: cache.staleness, else the stage's
 * (asp: 0). */
static int check_reads(checker *k, int worker, ps_err *err)
{
    csv_file c;
    int rc = csv_open(&c, k->dir, "worker", worker, "reads.csv",
                      "time_s,worker,clock,slowest,chunks", err);
    double v[5];
    while (rc == PS_OK && (rc = csv_next(&c, 5, v, err)) == 1) {
        rc = PS_OK;
        if (v[1] != worker || !is_whole(v[2], 0, k->clocks) || !is_whole(v[3], 0, k->clocks) ||
            !is_whole(v[4], 1, 1e12)) {
            rc = ps_err_set(err, "%s:%ld: '%s' is not a cache read of worker %d (clocks 0..%d, "
                            "at least one chunk)", c.path, c.lineno, c.line, worker, k->clocks);
            break;
        }
        int clock = (int)v[2];
        mark_clock(k, worker, clock);
        const check_stage *st = stage_of(k, clock);
        int limit = k->cfg.cache_staleness >= 0 ? k->cfg.cache_staleness
                    : st->limit < 0             ? 0
                                                : st->limit;
        k->cache_reads += v[4];
        double ahead = clock - v[3];
        if (ahead > limit)
            violation(k, "%s:%ld: the cache gave worker %d %.0f chunks for clock %d served when "
                      "the slowest worker had completed %.0f clocks (%.0f ahead, at most %d "
                      "allowed), at time %.9f s", c.path, c.lineno, worker, v[4], clock, v[3],
                      ahead, limit, v[0]);
    }
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* ---- updates ------------------------------------------------------------------ */

static int load_pushes(checker *k, int worker, ps_err *err)
{
    csv_file c;
    int rc = csv_open(&c, k->dir, "worker", worker, "pushes.csv", "table,key,pushes,sum,abs_sum",
                      err);
    double v[5];
    while (rc == PS_OK && (rc = csv_next(&c, 5, v, err)) == 1) {
        rc = PS_OK;
        if (!is_whole(v[0], 0, PS_MODEL_MAX_TABLES - 1) || !is_whole(v[1], 0, 9007199254740992.0) ||
            !is_whole(v[2], 1, 1e18) || v[4] < 0) {
            rc = ps_err_set(err, "%s:%ld: '%s' is not table,key,pushes,sum,abs_sum", c.path,
                            c.lineno, c.line);
            break;
        }
        int64_t r = ps_key_sums_row(&k->pushed, ps_trace_param((int)v[0], (uint64_t)v[1]));
        if (r < 0) {
            rc = ps_err_set(err, "out of memory reading %s", c.path);
            break;
        }
        k->pushed.count[r] += (uint64_t)v[2];
        k->pushed.sum[r] += v[3];
        k->pushed.abs_sum[r] += v[4];
    }
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* A key's value at the start: its initial.csv line's, else 0; *row its row there. */
static double initial_of(const checker *k, uint64_t id, int64_t *row)
{
    const uint32_t *r = k->has_initial ? ps_keymap_get(&k->initial.map, id) : NULL;
    *row = r ? (int64_t)*r : -1;
    return r ? k->initial.sum[*r] : 0.0;
}

/* Float addition on the server rounds each sum by at most 2^-24 of the running
 * value, which never exceeds |initial| + the deltas' |sum|. */
static double tolerance(const ps_key_sums *p, int64_t r, double initial)
{
    double pushes = r < 0 ? 0 : (double)p->count[r], abs_sum = r < 0 ? 0 : p->abs_sum[r];
    return (pushes + 2) * ldexp(1.0, -24) * (abs_sum + fabs(initial));
}

static void compare_key(checker *k, int64_t r, uint64_t id, double final, const char *where)
{
    int64_t ir;
    double init = initial_of(k, id, &ir);
    double sum = r < 0 ? 0 : k->pushed.sum[r], diff = fabs(final - init - sum);
    double tol = tolerance(&k->pushed, r, init);
    char which[96] = "";
    int mt = model_table_of(k, id);
    if (mt >= 0) /* the model's name for it */
        snprintf(which, sizeof which, " (%s parameter %llu)", k->tables[mt].name,
                 (unsigned long long)(ps_trace_value(id) - k->tables[mt].first));
    if (diff > tol)
        violation(k, "%s: update lost on table %d key %llu%s: the workers pushed deltas summing "
                  "to %.9g (%llu pushes) but the final value is %.9g (initial %.9g%s): off by "
                  "%.3g, tolerance %.3g", where, ps_trace_table(id),
                  (unsigned long long)ps_trace_value(id), which, sum,
                  (unsigned long long)(r < 0 ? 0 : k->pushed.count[r]), final, init,
                  k->has_initial ? ", from the checkpoint" : "", diff, tol);
    else if (sum != 0 && diff / (fabs(sum) + fabs(init)) > k->worst_err)
        k->worst_err = diff / (fabs(sum) + fabs(init));
}

/* A line of a shard file (final.csv, initial.csv): 1, 0 at the end, PS_ERR. */
static int next_shard_row(csv_file *c, double *v, ps_err *err)
{
    int rc = csv_next(c, 3, v, err);
    if (rc == 1 &&
        (!is_whole(v[0], 0, PS_MODEL_MAX_TABLES - 1) || !is_whole(v[1], 0, 9007199254740992.0)))
        return ps_err_set(err, "%s:%ld: '%s' is not table,key,value", c->path, c->lineno, c->line);
    return rc;
}

/* serverS.initial.csv, in a resumed run's trace: a key in two shards is refused. */
static int load_initial(checker *k, int server, ps_err *err)
{
    csv_file c;
    int rc = csv_open(&c, k->dir, "server", server, "initial.csv", "table,key,value", err);
    double v[3];
    while (rc == PS_OK && (rc = next_shard_row(&c, v, err)) == 1) {
        rc = PS_OK;
        int64_t r = ps_key_sums_row(&k->initial, ps_trace_param((int)v[0], (uint64_t)v[1]));
        if (r < 0) {
            rc = ps_err_set(err, "out of memory reading %s", c.path);
            break;
        }
        if (k->initial.count[r]++) {
            rc = ps_err_set(err, "%s:%ld: table %d key %llu is in another server's initial shard "
                            "too", c.path, c.lineno, (int)v[0], (unsigned long long)v[1]);
            break;
        }
        k->initial.sum[r] = v[2];
    }
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* trace/resumed.csv: the clock a resumed run went on from. */
static int load_resumed(checker *k, ps_err *err)
{
    csv_file c;
    double v[1];
    int rc = csv_open(&c, k->dir, "resumed", -1, "csv", "clock", err);
    if (rc == PS_OK && (rc = csv_next(&c, 1, v, err)) == 1) {
        rc = is_whole(v[0], 1, k->clocks - 1) ? PS_OK
                                               : ps_err_set(err, "%s:%ld: '%s' is not a clock of "
                                                            "this run", c.path, c.lineno, c.line);
        k->resumed_at = (int32_t)v[0];
        if (rc == PS_OK && csv_next(&c, 1, v, err) != 0)
            rc = ps_err_set(err, "%s: one line, its clock, expected", c.path);
    } else if (rc == 0) {
        rc = ps_err_set(err, "%s: no clock in it", c.path);
    }
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* A resumed run's trace has every server's initial.csv, another none. */
static int load_initials(checker *k, ps_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/trace/server0.initial.csv", k->dir);
    k->has_initial = access(path, F_OK) == 0;
    for (int s = 0; k->has_initial && s < k->cfg.servers; s++)
        if (load_initial(k, s, err))
            return PS_ERR;
    if (k->has_initial && !(k->initial_seen = calloc(k->initial.n ? k->initial.n : 1, 1)))
        return ps_err_set(err, "out of memory");
    return k->has_initial ? load_resumed(k, err) : PS_OK;
}

static int check_finals(checker *k, int server, ps_err *err)
{
    csv_file c;
    int rc = csv_open(&c, k->dir, "server", server, "final.csv", "table,key,value", err);
    double v[3];
    char where[4300];
    while (rc == PS_OK && (rc = next_shard_row(&c, v, err)) == 1) {
        rc = PS_OK;
        uint64_t id = ps_trace_param((int)v[0], (uint64_t)v[1]);
        const uint32_t *row = ps_keymap_get(&k->pushed.map, id);
        snprintf(where, sizeof where, "%s:%ld", c.path, c.lineno);
        if (row && k->seen[*row]++)
            violation(k, "%s: table %d key %llu appears in more than one final shard", where,
                      (int)v[0], (unsigned long long)v[1]);
        int64_t ir;
        (void)initial_of(k, id, &ir);
        if (ir >= 0)
            k->initial_seen[ir] = 1;
        compare_key(k, row ? (int64_t)*row : -1, id, v[2], where);
    }
    csv_close(&c);
    return rc < 0 ? PS_ERR : PS_OK;
}

/* Pushed keys that no server holds at the end: their updates are all lost. */
/* The model table of a parameter id, or -1 (no tables.csv, or none holds it). */
static int model_table_of(const checker *k, uint64_t id)
{
    int served = ps_trace_table(id);
    uint64_t p = ps_trace_value(id);
    for (int t = 0; t < k->n_tables; t++)
        if (k->tables[t].served == served && p >= k->tables[t].first && p < k->tables[t].end)
            return t;
    return -1;
}

/* trace/tables.csv, when the run wrote one: the model's tables. */
static int load_tables(checker *k, ps_err *err)
{
    char path[4200], line[256];
    snprintf(path, sizeof path, "%s/trace/tables.csv", k->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return PS_OK;
    int lineno = 0, rc = PS_OK;
    while (rc == PS_OK && fgets(line, sizeof line, f)) {
        if (++lineno == 1)
            continue;
        char name[64];
        int served;
        unsigned long long base, keys;
        unsigned vpk;
        if (k->n_tables == PS_MODEL_MAX_TABLES ||
            sscanf(line, "%63[^,],%d,%llu,%llu,%u", name, &served, &base, &keys, &vpk) != 5 ||
            served < 0 || served >= PS_MODEL_MAX_TABLES || vpk == 0) {
            rc = ps_err_set(err, "%s:%d: not name,served,base,keys,values_per_key", path, lineno);
            break;
        }
        check_table *t = &k->tables[k->n_tables++];
        snprintf(t->name, sizeof t->name, "%s", name);
        t->served = served;
        t->first = (uint64_t)base * vpk;
        t->end = ((uint64_t)base + keys) * vpk;
    }
    fclose(f);
    return rc;
}

/* "" for one table, else " (users: 16000, items: 8000)": the parameters pushed per
 * model table (per served table without tables.csv) */
static void describe_tables(const checker *k, char *buf, size_t n)
{
    uint64_t per[PS_MODEL_MAX_TABLES] = {0};
    int tables = 0;
    for (uint32_t r = 0; r < k->pushed.n; r++) {
        int t = k->n_tables ? model_table_of(k, k->pushed.keys[r]) : ps_trace_table(k->pushed.keys[r]);
        if (t < 0)
            continue;
        per[t]++;
        tables = t + 1 > tables ? t + 1 : tables;
    }
    buf[0] = '\0';
    size_t used = 0;
    for (int t = 0; tables > 1 && t < tables && used < n; t++) {
        char label[80];
        if (k->n_tables)
            snprintf(label, sizeof label, "%s", k->tables[t].name);
        else
            snprintf(label, sizeof label, "table %d", t);
        used += (size_t)snprintf(buf + used, n - used, "%s%s: %llu%s", t ? ", " : " (", label,
                                 (unsigned long long)per[t], t == tables - 1 ? ")" : "");
    }
}

static void check_missing(checker *k)
{
    char where[4300];
    snprintf(where, sizeof where, "%s/trace/server*.final.csv", k->dir);
    for (uint32_t r = 0; r < k->pushed.n; r++)
        if (!k->seen[r])
            compare_key(k, r, k->pushed.keys[r], 0.0, where);
    for (uint32_t r = 0; k->has_initial && r < k->initial.n; r++) /* not pushed since */
        if (!k->initial_seen[r] && !ps_keymap_get(&k->pushed.map, k->initial.keys[r]))
            compare_key(k, -1, k->initial.keys[r], 0.0, where);
}

/* ---- completeness ---------------------------------------------------------------- */

/* Every clock a worker ran, as workers.csv counts them per stage (clocks base ..
 * base + iterations - 1 of the stage), needs its pull at some server or, with
 * policy.cache, its read from the node's cache: a clock with neither means lines
 * missing from the trace. Not held to it: a stage whose model a worker took in
 * bulk (policy.direct_transfer: transfer_in_s > 0), and runs whose scheduler split
 * stages into segments of other worker sets (schedule.csv). */
static int check_complete(checker *k, ps_err *err)
{
    if (!k->clock_seen || k->seg_workers)
        return PS_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s/workers.csv", k->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ps_err_set(err, "%s: cannot open: %s (the trace's clocks are checked against it)",
                          path, strerror(errno));
    char line[512];
    long lineno = 0;
    int rc = PS_OK;
    while (rc == PS_OK && fgets(line, sizeof line, f)) {
        if (++lineno == 1)
            continue;
        int w, stage;
        double iters, direct_in;
        /* worker,iterations,compute_s,wait_s,comm_s,end_time_s,examples,flops,
         * mean_batch_loss,stage,transfer_in_s,transfer_out_s */
        if (sscanf(line, "%d,%lf,%*f,%*f,%*f,%*f,%*f,%*f,%*g,%d,%lf", &w, &iters, &stage,
                   &direct_in) != 4 ||
            w < 0 || w >= k->cfg.workers || !is_whole(iters, 0, k->clocks) || stage < 0 ||
            stage > k->n_stages || (stage == 0) != (k->cfg.n_stages == 0)) {
            rc = ps_err_set(err, "%s:%ld: not a row of worker 0..%d, iterations 0..%d and a stage "
                            "of this run", path, lineno, k->cfg.workers - 1, k->clocks);
            break;
        }
        const check_stage *st = &k->stages[stage ? stage - 1 : 0];
        if (direct_in > 0) /* policy.direct_transfer: the stage's model came in bulk */
            continue;
        if (iters > st->iterations)
            rc = ps_err_set(err, "%s:%ld: worker %d ran %.0f iterations of a stage of %d", path,
                            lineno, w, iters, st->iterations);
        /* a resumed run's workers count their clocks from the checkpoint's */
        int from = st->base < k->resumed_at ? k->resumed_at : st->base;
        if (from > st->base + st->iterations) /* a stage done before the checkpoint */
            from = st->base + st->iterations;
        if (rc == PS_OK && from + iters > st->base + st->iterations)
            rc = ps_err_set(err, "%s:%ld: worker %d ran %.0f iterations from clock %d, past its "
                            "stage's end (clock %d)", path, lineno, w, iters, from,
                            st->base + st->iterations);
        for (int c = from; rc == PS_OK && c < from + (int)iters; c++)
            if (!k->clock_seen[(size_t)w * (size_t)k->clocks + (size_t)c])
                violation(k, "worker %d ran clock %d (workers.csv: %.0f iterations of its stage), "
                          "but no server's trace has its pull nor its cache reads: lines are "
                          "missing from the trace", w, c, iters);
    }
    if (rc == PS_OK && ferror(f))
        rc = ps_err_set(err, "%s: read error", path);
    fclose(f);
    return rc;
}

/* ---- the run ------------------------------------------------------------------ */

static int rule_limit(const char *m, int staleness, int *limit, ps_err *err)
{
    const ps_consistency_ops *ops = ps_consistency_by_name(m);
    if (!ops)
        return ps_err_set(err, "no rule to check for consistency model '%s'", m);
    *limit = ps_consistency_bound(ops, staleness);
    return PS_OK;
}

/* The stages as the run planned them (ps_run_plan): [stage.N], or the run's keys. */
static int check_rule(checker *k, ps_err *err)
{
    const ps_config *c = &k->cfg;
    k->n_stages = c->n_stages ? c->n_stages : 1;
    int32_t base = 0;
    for (int i = 0; i < k->n_stages; i++) {
        check_stage *st = &k->stages[i];
        const ps_stage_config *sc = c->n_stages ? &c->stages[i] : NULL;
        *st = (check_stage){.model = sc ? sc->consistency : c->consistency,
                            .workers = sc ? sc->workers : c->workers, .base = base,
                            .iterations = sc ? sc->iterations : c->iterations};
        if (rule_limit(st->model, sc ? sc->staleness : c->staleness, &st->limit, err))
            return PS_ERR;
        base += st->iterations;
    }
    k->clocks = base;
    return PS_OK;
}

/* The worker count of each clock, when the run's scheduler split its stages into
 * segments of other worker sets (auto's probes): the rows of schedule.csv, in the
 * run directory or, for a task of a multi-task run, its parent, of this task. */
static int check_segments(checker *k, ps_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/schedule.csv", k->dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(path, sizeof path, "%s/../schedule.csv", k->dir);
        f = fopen(path, "r");
    }
    if (!f)
        return PS_OK; /* a run of one task without a scheduler */
    if (!(k->seg_workers = calloc((size_t)k->clocks + 1, sizeof(int)))) {
        fclose(f);
        return ps_err_set(err, "out of memory");
    }
    for (int32_t c = 0; c < k->clocks; c++) /* a clock no row names keeps its stage's */
        k->seg_workers[c] = -1;
    char line[1024], task[256];
    int stage, workers, rc = PS_OK;
    unsigned first, iters;
    long lineno = 1;
    if (!fgets(line, sizeof line, f))
        rc = ps_err_set(err, "%s: empty", path);
    while (rc == PS_OK && fgets(line, sizeof line, f)) {
        lineno++;
        /* task,stage,workers,start_s,end_s,nodes,first,iterations,batch */
        char *field[9];
        int n = 0;
        for (char *at = line; n < 9 && at; n++) {
            field[n] = at;
            if ((at = strchr(at, ',')))
                *at++ = '\0';
        }
        char *end;
        if (n != 9 || strlen(field[0]) >= sizeof task ||
            sscanf(field[1], "%d", &stage) != 1 || sscanf(field[2], "%d", &workers) != 1 ||
            (first = (unsigned)strtoul(field[6], &end, 10), end == field[6]) ||
            (iters = (unsigned)strtoul(field[7], &end, 10), end == field[7])) {
            rc = ps_err_set(err, "%s:%ld: not a row of task,stage,workers,start_s,end_s,nodes,"
                            "first,iterations,batch", path, lineno);
            break;
        }
        snprintf(task, sizeof task, "%s", field[0]);
        if (strcmp(task, k->cfg.name) != 0)
            continue;
        if (stage < 1 || stage > k->n_stages || workers < 1 ||
            first + (uint64_t)iters > (uint64_t)k->stages[stage - 1].iterations) {
            rc = ps_err_set(err, "%s:%ld: stage %d iterations %u..%u with %d workers is not "
                            "in the run's plan", path, lineno, stage, first, first + iters,
                            workers);
            break;
        }
        for (unsigned i = 0; i < iters; i++)
            k->seg_workers[k->stages[stage - 1].base + (int32_t)(first + i)] = workers;
    }
    fclose(f);
    for (int32_t c = 0; rc == PS_OK && c < k->clocks; c++)
        if (k->seg_workers[c] < 0) {
            const check_stage *st = &k->stages[0];
            for (int i = 1; i < k->n_stages && c >= k->stages[i].base; i++)
                st = &k->stages[i];
            k->seg_workers[c] = st->workers;
        }
    return rc;
}

/* "bsp", or per stage "stage 1: bsp (at most 0), stage 2: ssp (at most 2)" */
static void describe_rules(const checker *k, char *buf, size_t n)
{
    size_t used = 0;
    for (int i = 0; i < k->n_stages && used < n; i++) {
        const check_stage *st = &k->stages[i];
        char allowed[32] = "unbounded";
        if (st->limit >= 0)
            snprintf(allowed, sizeof allowed, "at most %d", st->limit);
        if (k->n_stages == 1)
            used += (size_t)snprintf(buf + used, n - used, "%s", st->model);
        else
            used += (size_t)snprintf(buf + used, n - used, "%sstage %d: %s (%s)", i ? ", " : "",
                                     i + 1, st->model, allowed);
    }
}

int ps_check_run(const char *dir, int max_report, FILE *out, FILE *report, ps_err *err)
{
    checker k;
    memset(&k, 0, sizeof k);
    k.dir = dir;
    k.max_report = max_report;
    k.report = report;
    char path[4200];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    if (ps_config_load(&k.cfg, path, NULL, 0, err))
        return PS_ERR;
    int rc = check_rule(&k, err);
    if (rc == PS_OK)
        rc = check_segments(&k, err);
    if (rc == PS_OK)
        rc = load_tables(&k, err);
    if (rc == PS_OK)
        rc = ps_key_sums_init(&k.pushed, err);
    if (rc == PS_OK)
        rc = ps_key_sums_init(&k.initial, err);
    if (rc == PS_OK)
        rc = load_initials(&k, err);
    /* the completeness rule's table, up to 256 MB (a bigger run is not held to it) */
    if (rc == PS_OK && (uint64_t)k.cfg.workers * (uint64_t)k.clocks <= (UINT64_C(256) << 20))
        k.clock_seen = calloc((size_t)k.cfg.workers * (size_t)k.clocks + 1, 1);
    for (int s = 0; rc == PS_OK && s < k.cfg.servers; s++)
        rc = check_pulls(&k, s, err);
    for (int w = 0; rc == PS_OK && w < k.cfg.workers; w++)
        rc = load_pushes(&k, w, err);
    for (int w = 0; rc == PS_OK && strcmp(k.cfg.cache, "off") != 0 && w < k.cfg.workers; w++)
        rc = check_reads(&k, w, err);
    if (rc == PS_OK && !(k.seen = calloc(k.pushed.n ? k.pushed.n : 1, 1)))
        rc = ps_err_set(err, "out of memory");
    for (int s = 0; rc == PS_OK && s < k.cfg.servers; s++)
        rc = check_finals(&k, s, err);
    if (rc == PS_OK)
        check_missing(&k);
    if (rc == PS_OK)
        rc = check_complete(&k, err);
    if (rc == PS_OK && k.violations > k.max_report)
        fprintf(report, "... and %ld more violations\n", k.violations - k.max_report);
    if (rc == PS_OK && k.violations)
        fprintf(out, "pslab check: %s: %ld violation(s) in %ld pulls and %u keys\n", dir,
                k.violations, k.pulls, k.pushed.n);
    else if (rc == PS_OK) {
        char allowed[32] = "unbounded", rules[512];
        if (k.stages[0].limit >= 0)
            snprintf(allowed, sizeof allowed, "at most %d", k.stages[0].limit);
        describe_rules(&k, rules, sizeof rules);
        char tables[256];
        describe_tables(&k, tables, sizeof tables);
        char reads[96] = "";
        if (strcmp(k.cfg.cache, "off") != 0)
            snprintf(reads, sizeof reads, ", %.0f chunks read from caches within the bound",
                     k.cache_reads);
        fprintf(out, "pslab check: %s: ok: %s, %ld pulls on %d servers, staleness mean %.3g max "
                "%.0f%s%s%s%s; %u keys pushed by %d workers%s, no update lost (largest relative "
                "error %.2g)\n", dir, rules, k.pulls, k.cfg.servers,
                k.pulls ? k.stale_sum / (double)k.pulls : 0.0, k.stale_max,
                k.n_stages == 1 ? " (" : "", k.n_stages == 1 ? allowed : "",
                k.n_stages == 1 ? ")" : "", reads, k.pushed.n, k.cfg.workers, tables,
                k.worst_err);
    }
    free(k.seen);
    free(k.initial_seen);
    ps_key_sums_free(&k.initial);
    free(k.clock_seen);
    free(k.seg_workers);
    ps_key_sums_free(&k.pushed);
    ps_config_free(&k.cfg);
    return rc < 0 ? PS_ERR : k.violations ? 1 : 0;
}

static const char check_usage[] =
    "usage: pslab check RUN_DIR [--max-report N]\n"
    "\n"
    "Verifies a run made with `pslab run --trace`: reads RUN_DIR/config.ini and\n"
    "RUN_DIR/trace/ and checks, for every pull served, the consistency model's rule\n"
    "(slowest = clocks completed by the slowest worker at that moment):\n"
    "  bsp        clock <= slowest\n"
    "  ssp, wsp   clock - slowest <= policy.staleness\n"
    "  asp        no bound\n"
    "With policy.cache, the same rule (or cache.staleness, the tighter) for the\n"
    "chunks each worker read from its node's cache (trace/workerW.reads.csv);\n"
    "and, for every model, that no update was lost: per key, the deltas the workers\n"
    "pushed sum to the final value minus the initial one (0, or in a resumed or\n"
    "restarted run the checkpoint's, trace/serverS.initial.csv), within float\n"
    "rounding (the trace covers the last attempt; earlier ones are kept in\n"
    "RUN_DIR/trace.1, trace.2, ...);\n"
    "and that every clock a worker ran (RUN_DIR/workers.csv) has its pull at some\n"
    "server or its cache reads (stages taken by direct transfer excepted).\n"
    "A trace file cut short (without its last line '# end: N', N its data lines,\n"
    "or with lines missing) is an I/O error, naming the file.\n"
    "Each violation names the trace file and line, the server, worker, clock, the\n"
    "slowest clock and the time.\n"
    "\n"
    "  --max-report N   print at most N violations (default 20)\n"
    "\n"
    "Exit status: 0 all rules hold, 1 violations found, 2 usage or I/O error.\n";

int ps_check_main(int argc, char **argv)
{
    const char *dir = NULL;
    int max_report = 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(check_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--max-report") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || n < 0 || n > 1000000) {
                fprintf(stderr, "pslab check: --max-report needs a count, got '%s'\n", argv[i]);
                return 2;
            }
            max_report = (int)n;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "pslab check: unexpected argument '%s'\n%s", argv[i], check_usage);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "pslab check: no run directory given\n%s", check_usage);
        return 2;
    }
    ps_err err;
    int rc = ps_check_run(dir, max_report, stdout, stderr, &err);
    if (rc == PS_ERR) {
        fprintf(stderr, "pslab check: %s\n", err.msg);
        return 2;
    }
    return rc;
}
