/* Writers for the files of a run directory; see outputs.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "engine/ps/outputs.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/interrupt.h"
#include "engine/index/block_index.h"
#include "engine/ps/indexer.h"

int ps_outputs_mkdir(const char *dir, ps_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return ps_err_set(err, "%s: path too long", dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) && errno != EEXIST)
            return ps_err_set(err, "cannot create directory %s: %s", path, strerror(errno));
        *p = c;
        if (!c)
            break;
    }
    return PS_OK;
}

int ps_outputs_new_run_dir(const char *base, char *out, size_t out_len, ps_err *err)
{
    struct stat st;
    for (int i = 1; i < 10000; i++) {
        int n = i == 1 ? snprintf(out, out_len, "%s", base) : snprintf(out, out_len, "%s-%d", base, i);
        if (n < 0 || (size_t)n >= out_len)
            return ps_err_set(err, "%s: path too long", base);
        if (stat(out, &st) != 0 && errno == ENOENT)
            return ps_outputs_mkdir(out, err);
    }
    return ps_err_set(err, "%s: too many runs with this name", base);
}

FILE *ps_outputs_open_tmp(const char *dir, const char *name, char *tmp, size_t n, ps_err *err)
{
    snprintf(tmp, n, "%s/%s.tmp", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        ps_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    return f;
}

int ps_outputs_commit_tmp(FILE *f, const char *dir, const char *name, const char *tmp, ps_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        remove(tmp);
        return ps_err_set(err, "error writing %s", tmp);
    }
    if (rename(tmp, path))
        return ps_err_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    return PS_OK;
}

int ps_outputs_write_config(const char *dir, const ps_config *cfg, ps_err *err)
{
    char tmp[4096];
    FILE *f = ps_outputs_open_tmp(dir, "config.ini", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    ps_config_write(cfg, f);
    return ps_outputs_commit_tmp(f, dir, "config.ini", tmp, err);
}

int ps_outputs_open_metrics(const char *dir, const char *const *metric_names, FILE **out,
                            ps_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    *out = fopen(path, "w");
    if (!*out)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    setvbuf(*out, NULL, _IONBF, 0); /* each write whole (ps_outputs_metrics_row) */
    char head[1024];
    int n = snprintf(head, sizeof head, "time_s,stage,iteration");
    for (int i = 0; metric_names[i] && n > 0 && (size_t)n < sizeof head; i++)
        n += snprintf(head + n, sizeof head - (size_t)n, ",%s", metric_names[i]);
    if (n > 0 && (size_t)n < sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, ",staleness_mean,staleness_max\n");
    if (n <= 0 || (size_t)n >= sizeof head)
        return ps_err_set(err, "%s: the header's metric names are too long", path);
    if (fwrite(head, 1, (size_t)n, *out) != (size_t)n)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    return PS_OK;
}

/* A metrics.csv row's global clock: its stage's first clock plus its iteration;
 * -1 when the row is not one of this run's. */
static int64_t metrics_row_clock(const ps_run *r, const char *line)
{
    double t;
    int stage, it, k = 0;
    if (sscanf(line, "%lf,%d,%d,", &t, &stage, &it) != 3 || it < 0)
        return -1;
    while (k < r->n_stages && r->stages[k].number != stage)
        k++;
    return k < r->n_stages ? (int64_t)r->stages[k].clock_base + it : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int ps_outputs_remove_tree(const char *path, ps_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? PS_OK : ps_err_set(err, "%s: %s", path, strerror(errno));
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ps_err_set(err, "cannot remove %s: %s", path, strerror(errno));
    return PS_OK;
}

int ps_outputs_resume_metrics(const char *dir, const ps_run *r, int32_t clock, FILE **out,
                              int64_t *last, ps_err *err)
{
    *last = -1;
    char path[4096], tmp[4096], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *in = fopen(path, "r");
    if (!in)
        return ps_err_set(err, "cannot read %s: %s", path, strerror(errno));
    FILE *f = ps_outputs_open_tmp(dir, "metrics.csv", tmp, sizeof tmp, err);
    int rc = f ? PS_OK : PS_ERR;
    for (long n = 1; rc == PS_OK && getline(&line, &cap, in) > 0; n++) {
        size_t len = strlen(line);
        int64_t c = n == 1 ? 0 : metrics_row_clock(r, line);
        if (c < 0 || line[len - 1] != '\n')
            rc = ps_err_set(err, "%s:%ld: not a whole row of this run", path, n);
        else if (c <= clock) { /* a row past the checkpoint is computed again */
            fputs(line, f);
            *last = n == 1 ? -1 : c;
        }
    }
    free(line);
    fclose(in);
    if (rc == PS_OK)
        rc = ps_outputs_commit_tmp(f, dir, "metrics.csv", tmp, err);
    else if (f)
        fclose(f), remove(tmp);
    if (rc == PS_OK && !(*out = fopen(path, "a")))
        rc = ps_err_set(err, "cannot append to %s: %s", path, strerror(errno));
    if (rc == PS_OK)
        setvbuf(*out, NULL, _IONBF, 0); /* rows written whole (ps_outputs_metrics_row) */
    return rc;
}

int ps_outputs_metrics_row(FILE *f, double time_s, int stage, int iteration,
                           const double *metrics, int n_metrics, const ps_outputs_staleness *st,
                           ps_err *err)
{
    /* %.12g keeps metrics exact enough to compare backends at 1e-9 and golden files
     * stable. The row is formatted whole and written with one write on the
     * unbuffered stream, so that a crash later loses nothing; a write that fails
     * (a full disk) is cut back off, so the file keeps only whole rows. */
    char row[64 + 24 * PS_MODEL_MAX_METRICS];
    int n = snprintf(row, sizeof row, "%.6f,%d,%d", time_s, stage, iteration);
    for (int i = 0; i < n_metrics && n > 0 && (size_t)n < sizeof row; i++)
        n += snprintf(row + n, sizeof row - (size_t)n, ",%.12g", metrics[i]);
    if (n > 0 && (size_t)n < sizeof row)
        n += snprintf(row + n, sizeof row - (size_t)n, ",%.6g,%.0f\n", st->mean, st->max);
    if (n <= 0 || (size_t)n >= sizeof row)
        return ps_err_set(err, "metrics.csv: a row of %d metrics does not fit", n_metrics);
    off_t start = lseek(fileno(f), 0, SEEK_END);
    if (fwrite(row, 1, (size_t)n, f) == (size_t)n && fflush(f) == 0)
        return PS_OK;
    int e = errno;
    clearerr(f);
    if (start >= 0 && ftruncate(fileno(f), start) == 0)
        return ps_err_set(err, "cannot write metrics.csv: %s (the rows before this one are "
                          "kept whole)", strerror(e));
    return ps_err_set(err, "cannot write metrics.csv: %s", strerror(e));
}

int ps_outputs_write_workers(const char *dir, const ps_run *r, const ps_worker_stats *st,
                             ps_err *err)
{
    char tmp[4096];
    FILE *f = ps_outputs_open_tmp(dir, "workers.csv", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    fprintf(f, "worker,iterations,compute_s,wait_s,comm_s,end_time_s,examples,flops,"
               "mean_batch_loss,stage,transfer_in_s,transfer_out_s\n");
    for (int w = 0; w < r->n_workers; w++)
        for (int k = 0; k < r->n_stages; k++) {
            const ps_worker_stats *s = &st[(size_t)w * (size_t)r->n_stages + (size_t)k];
            if (!ps_run_took_part(r, st, w, k))
                continue;
            fprintf(f, "%d,%.0f,%.6f,%.6f,%.6f,%.6f,%.0f,%.0f,%.9g,%d,%.6f,%.6f\n", w,
                    s->iterations, s->compute_s, s->wait_s, s->comm_s, s->end_time_s, s->examples,
                    s->flops, s->iterations > 0 ? s->loss_sum / s->iterations : 0.0,
                    r->stages[k].number, s->transfer_in_s, s->transfer_out_s);
        }
    return ps_outputs_commit_tmp(f, dir, "workers.csv", tmp, err);
}

int ps_outputs_write_cache(const char *dir, const ps_run *r, const ps_cache_stats *cs,
                           ps_err *err)
{
    char tmp[4096];
    FILE *f = ps_outputs_open_tmp(dir, "cache.csv", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    int wpn = ps_run_node_workers(r);
    fprintf(f, "worker,node,reads,hits,joins,fetched,bytes_saved,bytes_added,evictions,"
               "peak_bytes\n");
    for (int w = 0; w < r->n_workers; w++) {
        const ps_cache_stats *s = &cs[w];
        fprintf(f, "%d,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", w, w / wpn, s->reads,
                s->hits, s->joins, s->fetched, s->bytes_saved, s->bytes_added, s->evictions,
                s->peak_bytes);
    }
    return ps_outputs_commit_tmp(f, dir, "cache.csv", tmp, err);
}

/* A store on disk: the bytes the servers' stores read and wrote, and those of
 * the servers' messages in and pull replies out (as of the last evaluation), all
 * told and the busiest server's against the mean: DRPS's Fig. 12 indicators. */
static void summary_disk(FILE *f, const ps_run *r, const ps_outputs_summary *s)
{
    if (!s->disk_read)
        return;
    double rd = 0, wr = 0, top = 0;
    for (int i = 0; i < r->n_servers; i++) {
        rd += s->disk_read[i];
        wr += s->disk_written[i];
        double load = s->disk_read[i] + s->disk_written[i];
        top = load > top ? load : top;
    }
    double mean = (rd + wr) / r->n_servers;
    fprintf(f, "store: %s\ndisk_read_bytes: %.0f\ndisk_written_bytes: %.0f\n"
               "disk_load_max_over_mean: %.4f\n", r->cfg->store, rd, wr, mean > 0 ? top / mean : 0.0);
    for (int i = 0; i < r->n_servers; i++)
        fprintf(f, "disk_server_%d: read_bytes %.0f, written_bytes %.0f\n", i, s->disk_read[i],
                s->disk_written[i]);
    double net = 0, net_top = 0;
    for (int i = 0; i < r->n_servers; i++) {
        net += s->net_bytes[i];
        net_top = s->net_bytes[i] > net_top ? s->net_bytes[i] : net_top;
    }
    fprintf(f, "net_bytes: %.0f\nnet_load_max_over_mean: %.4f\n", net,
            net > 0 ? net_top / (net / r->n_servers) : 0.0);
    for (int i = 0; i < r->n_servers; i++)
        fprintf(f, "net_server_%d: bytes %.0f\n", i, s->net_bytes[i]);
}

/* The cache's totals over the workers, when there is one. */
static void summary_cache(FILE *f, const ps_run *r, const ps_outputs_summary *s)
{
    if (!s->cache_stats)
        return;
    ps_cache_stats t = {0};
    for (int w = 0; w < r->n_workers; w++) {
        const ps_cache_stats *c = &s->cache_stats[w];
        t.reads += c->reads;
        t.hits += c->hits;
        t.joins += c->joins;
        t.fetched += c->fetched;
        t.bytes_saved += c->bytes_saved;
        t.bytes_added += c->bytes_added;
        t.evictions += c->evictions;
        t.peak_bytes = c->peak_bytes > t.peak_bytes ? c->peak_bytes : t.peak_bytes;
    }
    fprintf(f, "cache: %s, %llu bytes per node\n", r->cfg->cache,
            (unsigned long long)r->cfg->worker_cache_bytes);
    fprintf(f, "cache_reads: %.0f\ncache_hits: %.0f\ncache_joins: %.0f\ncache_fetched: %.0f\n",
            t.reads, t.hits, t.joins, t.fetched);
    fprintf(f, "cache_bytes_saved: %.0f\ncache_bytes_added: %.0f\ncache_evictions: %.0f\n"
               "cache_peak_bytes: %.0f\n", t.bytes_saved, t.bytes_added, t.evictions,
            t.peak_bytes);
}

/* The block index: what it holds, and what its build cost apart from training
 * (sim_time_s counts both; train_time_s is the rest). */
static void summary_index(FILE *f, const ps_run *r, const ps_outputs_summary *s)
{
    const ps_index_report *rep = ps_indexer_report(r);
    if (!rep || !r->index)
        return;
    const ps_block_index *x = r->index;
    uint64_t largest = 0;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        largest = x->size[b] > largest ? x->size[b] : largest;
    fprintf(f, "index: %s%s\nindex_hot_keys: %llu\nindex_blocks: %u\nindex_largest_block: %llu\n"
               "index_rounds: %u\nindex_merges: %u\n", r->cfg->index_strategy,
            rep->loaded ? " (loaded)" : "", (unsigned long long)rep->hot, x->n_blocks,
            (unsigned long long)largest, x->rounds, x->merges);
    fprintf(f, "index_time_s: %.6f\nindex_messages: %llu\nindex_bytes: %llu\ntrain_time_s: %.6f\n",
            rep->time_s,
            (unsigned long long)rep->messages, (unsigned long long)rep->bytes,
            s->sim_time_s - rep->time_s);
    /* where the blocks went: each lives whole on one server */
    const ps_partition *p = &r->tables[0].partition;
    uint8_t *on = calloc((size_t)x->n_blocks * (size_t)r->n_servers + 1, 1);
    uint64_t *hot = calloc((size_t)r->n_servers, sizeof *hot);
    uint32_t *blocks = calloc((size_t)r->n_servers, sizeof *blocks);
    for (uint64_t d = 0; on && hot && blocks && p->place && d < x->n_dims; d++) {
        uint32_t b = x->block[d], srv = p->place[d].server;
        if (b == PS_INDEX_COLD)
            continue;
        hot[srv]++;
        blocks[srv] += !on[(size_t)b * (size_t)r->n_servers + srv];
        on[(size_t)b * (size_t)r->n_servers + srv] = 1;
    }
    for (int i = 0; on && hot && blocks && p->shard_keys && i < r->n_servers; i++)
        fprintf(f, "index_server_%d: keys %llu, hot_keys %llu, blocks %u\n", i,
                (unsigned long long)p->shard_keys[i], (unsigned long long)hot[i], blocks[i]);
    free(on);
    free(hot);
    free(blocks);
}

/* Per stage: its workers and iterations, when it ended (the latest worker), and
 * the transition from the previous stage (the servers' reports). */
static void summary_stages(FILE *f, const ps_run *r, const ps_outputs_summary *s)
{
    fprintf(f, "stages: %d\n", r->n_stages);
    for (int k = 0; k < r->n_stages; k++) {
        const ps_stage *st = &r->stages[k];
        double end = 0;
        int first = -1; /* its first worker */
        for (int w = 0; w < r->n_workers; w++) {
            if (!ps_run_took_part(r, s->stats, w, k))
                continue;
            double e = s->stats[(size_t)w * (size_t)r->n_stages + (size_t)k].end_time_s;
            end = e > end ? e : end;
            first = first < 0 ? w : first;
        }
        const ps_worker_stats *one = &s->stats[(size_t)(first < 0 ? 0 : first) *
                                                   (size_t)r->n_stages + (size_t)k];
        double start = k ? s->stages[k].start_s : 0;
        fprintf(f, "stage_%d: workers %d, iterations %d, batch %d, consistency %s, start_s %.6f, "
                   "end_s %.6f, transition_s %.9f", st->number, st->workers, st->iterations,
                st->batch, st->consistency->name, start, end, k ? s->stages[k].transition_s : 0.0);
        if (st->direct) /* its one worker's bulk model transfers */
            fprintf(f, ", direct_in_s %.6f, direct_out_s %.6f", one->transfer_in_s,
                    one->transfer_out_s);
        fputc('\n', f);
    }
}

int ps_outputs_write_summary(const char *dir, const ps_run *r, const ps_outputs_summary *s,
                             ps_err *err)
{
    char tmp[4096];
    const ps_config *c = r->cfg;
    FILE *f = ps_outputs_open_tmp(dir, "summary.txt", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    fprintf(f, "name: %s\nbackend: %s\nseed: %llu\n", c->name, c->backend,
            (unsigned long long)c->seed);
    fprintf(f, "servers: %d\nworkers: %d\nconsistency: %s\npartitioner: %s\n", r->n_servers,
            r->n_workers, c->consistency, c->partitioner);
    fprintf(f, "iterations: %d\niterations_done: %d\nfailed_workers: %d\n", c->iterations,
            s->iterations_done, s->failed_workers);
    if (r->restarts)
        fprintf(f, "restarts: %d\n", r->restarts);
    int lost = 0; /* fault.on_worker_failure = continue */
    for (int w = 0; s->lost_at && w < r->n_workers; w++)
        lost += s->lost_at[w] >= 0;
    if (lost)
        fprintf(f, "lost_workers: %d\n", lost);
    for (int w = 0; lost && w < r->n_workers; w++)
        if (s->lost_at[w] >= 0)
            fprintf(f, "lost_worker_%d: at clock %d\n", w, s->lost_at[w]);
    if (r->resumed)
        fprintf(f, "resumed_from_clock: %d\n", r->resume_clock);
    if (s->interrupted)
        fprintf(f, "interrupted: %s\ninterrupted_at_clock: %d\ninterrupted_min_clock: %d\n",
                ps_interrupt_name(s->interrupted), s->clock_max, s->clock_min);
    fprintf(f, "model: %s\n", c->type);
    for (int i = 0; i < r->n_metrics; i++)
        fprintf(f, "final_%s: %.12g\n", r->metric_names[i], s->final_metrics[i]);
    fprintf(f, "sim_time_s: %.6f\n", s->sim_time_s);
    for (int i = 0; r->has_truth && i < r->n_metrics; i++)
        fprintf(f, "true_model_%s: %.12g\n", r->metric_names[i], r->truth_metrics[i]);
    summary_stages(f, r, s);
    summary_cache(f, r, s);
    summary_index(f, r, s);
    summary_disk(f, r, s);
    return ps_outputs_commit_tmp(f, dir, "summary.txt", tmp, err);
}
