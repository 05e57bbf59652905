/* Writers of the run trace (format in trace.h). Pulls are written as they are
 * served; sums and final values when the actor ends. Numbers are written so that
 * they read back exactly: %.17g for doubles, %.9g for floats. */
#include "engine/trace/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/mem.h"
#include "engine/ps/outputs.h"

int ps_key_sums_init(ps_key_sums *k, ps_err *err)
{
    memset(k, 0, sizeof *k);
    return ps_keymap_init(&k->map, 1024, err);
}

void ps_key_sums_free(ps_key_sums *k)
{
    ps_keymap_free(&k->map);
    free(k->keys);
    free(k->count);
    free(k->sum);
    free(k->abs_sum);
    memset(k, 0, sizeof *k);
}

static int sums_grow(ps_key_sums *k)
{
    uint32_t cap = k->cap ? 2 * k->cap : 1024;
    if (ps_resize(&k->keys, cap, sizeof *k->keys) || ps_resize(&k->count, cap, sizeof *k->count) ||
        ps_resize(&k->sum, cap, sizeof *k->sum) || ps_resize(&k->abs_sum, cap, sizeof *k->abs_sum))
        return PS_ERR;
    k->cap = cap;
    return PS_OK;
}

int64_t ps_key_sums_row(ps_key_sums *k, uint64_t key)
{
    const uint32_t *found = ps_keymap_get(&k->map, key);
    if (found)
        return *found;
    /* room for the row first, so that the map never points past the arrays */
    if (k->n == k->cap && sums_grow(k))
        return -1;
    int inserted;
    uint32_t *slot = ps_keymap_put(&k->map, key, &inserted);
    if (!slot)
        return -1;
    uint32_t i = k->n++;
    *slot = i;
    k->keys[i] = key;
    k->count[i] = 0;
    k->sum[i] = k->abs_sum[i] = 0;
    return i;
}

static int open_in_trace_dir(ps_trace *t, const char *run_dir, const char *name, int index,
                             const char *suffix, ps_err *err)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/trace", run_dir) >= (int)sizeof dir ||
        snprintf(t->path, sizeof t->path, "%s/%s%d.%s", dir, name, index, suffix) >=
            (int)sizeof t->path)
        return ps_err_set(err, "%s: path too long", run_dir);
    return ps_outputs_mkdir(dir, err);
}

int ps_trace_open_server(ps_trace *t, const char *run_dir, int server, ps_err *err)
{
    memset(t, 0, sizeof *t);
    t->index = server;
    if (open_in_trace_dir(t, run_dir, "server", server, "pulls.csv", err))
        return PS_ERR;
    t->f = fopen(t->path, "w");
    if (!t->f)
        return ps_err_set(err, "cannot write %s: %s", t->path, strerror(errno));
    fputs("time_s,server,worker,clock,slowest\n", t->f);
    return PS_OK;
}

int ps_trace_open_worker(ps_trace *t, const char *run_dir, int worker, ps_err *err)
{
    memset(t, 0, sizeof *t);
    t->is_worker = 1;
    t->index = worker;
    if (open_in_trace_dir(t, run_dir, "worker", worker, "pushes.csv", err))
        return PS_ERR;
    return ps_key_sums_init(&t->sums, err);
}

int ps_trace_open_reads(ps_trace *t, const char *run_dir, ps_err *err)
{
    if (snprintf(t->reads_path, sizeof t->reads_path, "%s/trace/worker%d.reads.csv", run_dir,
                 t->index) >= (int)sizeof t->reads_path)
        return ps_err_set(err, "%s: path too long", run_dir);
    t->f = fopen(t->reads_path, "w");
    if (!t->f)
        return ps_err_set(err, "cannot write %s: %s", t->reads_path, strerror(errno));
    fputs("time_s,worker,clock,slowest,chunks\n", t->f);
    return PS_OK;
}

int ps_trace_cache_reads(ps_trace *t, double time_s, int32_t clock, int32_t slowest,
                         uint32_t chunks, ps_err *err)
{
    t->lines++;
    if (fprintf(t->f, "%.9f,%d,%d,%d,%u\n", time_s, t->index, clock, slowest, chunks) < 0)
        return ps_err_set(err, "cannot write %s: %s", t->reads_path, strerror(errno));
    return PS_OK;
}

int ps_trace_pull(ps_trace *t, double time_s, int worker, int32_t clock, int32_t slowest,
                  ps_err *err)
{
    t->lines++;
    if (fprintf(t->f, "%.9f,%d,%d,%d,%d\n", time_s, t->index, worker, clock, slowest) < 0)
        return ps_err_set(err, "cannot write %s: %s", t->path, strerror(errno));
    return PS_OK;
}

int ps_trace_push(ps_trace *t, const uint64_t *keys, uint64_t base, int table, uint32_t vpk,
                  const float *vals, uint32_t n, ps_err *err)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < vpk; j++) {
            int64_t r = ps_key_sums_row(&t->sums,
                                        ps_trace_param(table, (base + keys[i]) * vpk + j));
            if (r < 0)
                return ps_err_set(err, "out of memory tracing pushes");
            double d = vals[(size_t)i * vpk + j];
            t->sums.count[r]++;
            t->sums.sum[r] += d;
            t->sums.abs_sum[r] += d < 0 ? -d : d;
        }
    return PS_OK;
}

static int finish_file(FILE *f, const char *path, ps_err *err)
{
    int bad = ferror(f);
    if (fclose(f) || bad)
        return ps_err_set(err, "error writing %s", path);
    return PS_OK;
}

/* serverS.NAME.csv: a shard's values, one line per parameter. */
static int write_shard(const char *run_dir, int server, const char *name, const uint64_t *keys,
                       const float *vals, uint32_t n, ps_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/trace/server%d.%s.csv", run_dir, server, name) >=
        (int)sizeof path)
        return ps_err_set(err, "%s: path too long", run_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    fputs("table,key,value\n", f);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%d,%llu,%.9g\n", ps_trace_table(keys[i]),
                (unsigned long long)ps_trace_value(keys[i]), (double)vals[i]);
    fprintf(f, PS_TRACE_END "%u\n", n);
    return finish_file(f, path, err);
}

int ps_trace_server_initial(ps_trace *t, const char *run_dir, const uint64_t *keys,
                            const float *vals, uint32_t n, ps_err *err)
{
    return write_shard(run_dir, t->index, "initial", keys, vals, n, err);
}

int ps_trace_resumed(const char *run_dir, int32_t clock, ps_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/trace/resumed.csv", run_dir) >= (int)sizeof path)
        return ps_err_set(err, "%s: path too long", run_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "clock\n%d\n" PS_TRACE_END "1\n", clock);
    return finish_file(f, path, err);
}

int ps_trace_close_server(ps_trace *t, const char *run_dir, const uint64_t *keys,
                          const float *vals, uint32_t n, ps_err *err)
{
    FILE *pulls = t->f;
    t->f = NULL;
    fprintf(pulls, PS_TRACE_END "%llu\n", (unsigned long long)t->lines);
    if (finish_file(pulls, t->path, err))
        return PS_ERR;
    return write_shard(run_dir, t->index, "final", keys, vals, n, err);
}

int ps_trace_close_worker(ps_trace *t, ps_err *err)
{
    FILE *reads = t->f;
    t->f = NULL;
    if (reads)
        fprintf(reads, PS_TRACE_END "%llu\n", (unsigned long long)t->lines);
    if (reads && finish_file(reads, t->reads_path, err)) {
        ps_key_sums_free(&t->sums);
        return PS_ERR;
    }
    FILE *f = fopen(t->path, "w");
    if (!f) {
        ps_err_set(err, "cannot write %s: %s", t->path, strerror(errno));
        ps_key_sums_free(&t->sums);
        return PS_ERR;
    }
    fputs("table,key,pushes,sum,abs_sum\n", f);
    const ps_key_sums *k = &t->sums;
    for (uint32_t i = 0; i < k->n; i++)
        fprintf(f, "%d,%llu,%llu,%.17g,%.17g\n", ps_trace_table(k->keys[i]),
                (unsigned long long)ps_trace_value(k->keys[i]), (unsigned long long)k->count[i],
                k->sum[i], k->abs_sum[i]);
    fprintf(f, PS_TRACE_END "%u\n", k->n);
    ps_key_sums_free(&t->sums);
    return finish_file(f, t->path, err);
}

int ps_trace_keep_attempt(const char *run_dir, ps_err *err)
{
    char from[4096], to[4200];
    struct stat st;
    if (snprintf(from, sizeof from, "%s/trace", run_dir) >= (int)sizeof from)
        return ps_err_set(err, "%s: path too long", run_dir);
    if (stat(from, &st) != 0)
        return PS_OK; /* the attempt before traced nothing */
    for (int n = 1; n < 100000; n++) {
        snprintf(to, sizeof to, "%s.%d", from, n);
        if (stat(to, &st) == 0)
            continue;
        if (rename(from, to) != 0)
            return ps_err_set(err, "cannot keep %s as %s: %s", from, to, strerror(errno));
        return PS_OK;
    }
    return ps_err_set(err, "%s: too many earlier traces (trace.1 .. trace.99999)", run_dir);
}

void ps_trace_abandon(ps_trace *t)
{
    if (t->f)
        fclose(t->f);
    t->f = NULL;
    if (t->is_worker)
        ps_key_sums_free(&t->sums);
}
