/* The files of a run directory: config.ini (resolved), metrics.csv (one row per
 * evaluation point, flushed as it goes), workers.csv (per-worker timing) and
 * summary.txt. Files written whole go through a temporary name and rename(), so a
 * failure never leaves a half-written file in place of a good one. */
#ifndef PS_OUTPUTS_H
#define PS_OUTPUTS_H

#include <stdio.h>

#include "engine/core/err.h"
#include "engine/ps/run.h"

/* metrics.csv: time_s,stage,iteration, then a column per metric of the model,
 * named for it, then staleness_mean,staleness_max: these describe the pulls served
 * since the previous evaluation point, over all servers; a pull's staleness is its
 * clock minus the clocks completed by the slowest worker when it was served (0
 * under BSP). */

typedef struct ps_outputs_staleness {
    double mean, max;
} ps_outputs_staleness;

/* A stage as the servers reported its start (the first stage has no report). */
typedef struct ps_outputs_stage {
    int reports;            /* servers that reported */
    double start_s;         /* the latest server's end of the previous stage */
    double transition_s;    /* the longest time from that end to a first served pull */
} ps_outputs_stage;

typedef struct ps_outputs_summary {
    int iterations_done;
    const double *final_metrics; /* the run's metrics at its last evaluation */
    double sim_time_s;
    int failed_workers;
    int interrupted;                   /* the signal that stopped the run early, or 0 */
    int32_t clock_min, clock_max;      /* interrupted: the clocks the workers had reached */
    const ps_outputs_stage *stages;    /* per stage */
    const ps_worker_stats *stats;      /* per worker and stage: [w * n_stages + k] */
    const ps_cache_stats *cache_stats; /* per worker, with policy.cache; else NULL */
    const double *disk_read, *disk_written; /* per server, with a store on disk; else NULL */
    const double *net_bytes;  /* per server, with disk_read: bytes received and replied */
    const int32_t *lost_at;   /* per worker: the clock it was lost at (-1: it was not) */
} ps_outputs_summary;

/* Removes path and, if it is a directory, everything under it; a path that does
 * not exist is fine. */
int ps_outputs_remove_tree(const char *path, ps_err *err);
/* Creates dir and its parents; an existing directory is fine. */
int ps_outputs_mkdir(const char *dir, ps_err *err);
/* A new run directory: base itself if it does not exist, else base-2, base-3 ...
 * so that an earlier run's files are never overwritten. */
int ps_outputs_new_run_dir(const char *base, char *out, size_t out_len, ps_err *err);
int ps_outputs_write_config(const char *dir, const ps_config *cfg, ps_err *err);
/* Whole files are written to NAME.tmp (tmp: that path, n bytes) and renamed into
 * place when complete, so that a file is there whole or not at all. */
FILE *ps_outputs_open_tmp(const char *dir, const char *name, char *tmp, size_t n, ps_err *err);
int ps_outputs_commit_tmp(FILE *f, const char *dir, const char *name, const char *tmp,
                          ps_err *err);
/* pslab run --resume: metrics.csv keeps its header and its rows up to `clock`
 * (global; later ones are written again), and is opened to append; *last is the
 * clock of the last row kept (-1: none). */
int ps_outputs_resume_metrics(const char *dir, const ps_run *r, int32_t clock, FILE **out,
                              int64_t *last, ps_err *err);
/* Opens metrics.csv and writes its header, with the metrics' names. */
int ps_outputs_open_metrics(const char *dir, const char *const *metric_names, FILE **out,
                            ps_err *err);
int ps_outputs_metrics_row(FILE *f, double time_s, int stage, int iteration,
                           const double *metrics, int n_metrics, const ps_outputs_staleness *st,
                           ps_err *err);
/* workers.csv: a row per worker and stage it took part in (st as in the summary). */
int ps_outputs_write_workers(const char *dir, const ps_run *r, const ps_worker_stats *st,
                             ps_err *err);
/* cache.csv (policy.cache): per worker, what its reads did (ps_cache_stats). */
int ps_outputs_write_cache(const char *dir, const ps_run *r, const ps_cache_stats *cs,
                           ps_err *err);
int ps_outputs_write_summary(const char *dir, const ps_run *r, const ps_outputs_summary *s,
                             ps_err *err);

#endif
