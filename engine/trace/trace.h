/* The run trace (pslab run --trace), the evidence `pslab check` reads. Every actor
 * writes its own files under RUN_DIR/trace/, so that in the real backend, where
 * each actor is its own process on a shared filesystem, nobody shares a file:
 *   serverS.pulls.csv    time_s,server,worker,clock,slowest: one line per pull
 *                        served; slowest = clocks completed by the slowest worker
 *   serverS.final.csv    table,key,value: the shards at the end, as stored
 *                        (changes from the initial values, so starting at 0)
 *   serverS.initial.csv  table,key,value: a resumed or restarted run's shards as
 *                        its checkpoint gave them, the values its pushes add to
 *   resumed.csv          clock: the checkpoint's clock such a run went on from
 *   workerW.pushes.csv   table,key,pushes,sum,abs_sum: per parameter, the deltas
 *                        that worker pushed, summed in double (abs_sum bounds float
 *                        rounding)
 *   workerW.reads.csv    time_s,worker,clock,slowest,chunks: with policy.cache, one
 *                        line per clock whose batch read chunks from the node's
 *                        cache; slowest = the least clocks completed by the slowest
 *                        worker at the servers when those chunks were served
 * A key here is a parameter: one value of a table (key k's value j is k *
 * vals_per_key + j; with one value per key it is the table's key). Tables whose
 * rule is assign, or that are zeroed at full-gradient stages, are not traced
 * (their values are not sums of pushes). No update is lost when, per table and
 * parameter, the workers' sums equal the final value. Every file ends with the line
 * "# end: N", N its data lines, so that a file cut short (an interrupted run, a
 * full disk) is told from a whole one. A resumed or restarted run traces its last
 * attempt (from its checkpoint's clock) in trace/, the attempts before it being
 * kept as trace.1, trace.2, ... (oldest first). */
#ifndef PS_TRACE_H
#define PS_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "engine/core/err.h"
#include "engine/store/keymap.h"

/* Per-key sums of deltas: the writer's accumulator and the checker's table. */
typedef struct ps_key_sums {
    ps_keymap map;
    uint64_t *keys, *count;
    double *sum, *abs_sum;
    uint32_t n, cap;
} ps_key_sums;

int ps_key_sums_init(ps_key_sums *k, ps_err *err);
void ps_key_sums_free(ps_key_sums *k);
/* The index of key's row, created at zero if new; -1 when out of memory. */
int64_t ps_key_sums_row(ps_key_sums *k, uint64_t key);

/* A parameter's id in the sums: its table in the top 8 bits, its key below. */
#define PS_TRACE_KEY_BITS 56
static inline uint64_t ps_trace_param(int table, uint64_t key)
{
    return (uint64_t)table << PS_TRACE_KEY_BITS | key;
}
static inline int ps_trace_table(uint64_t id) { return (int)(id >> PS_TRACE_KEY_BITS); }
static inline uint64_t ps_trace_value(uint64_t id)
{
    return id & ((UINT64_C(1) << PS_TRACE_KEY_BITS) - 1);
}

#define PS_TRACE_END "# end: "

typedef struct ps_trace {
    FILE *f;               /* server: the pulls file; worker: the cache reads file */
    char path[4096];       /* of the pulls file, or of the pushes file for a worker */
    char reads_path[4096];
    ps_key_sums sums;      /* worker: what it pushed */
    int is_worker, index;
    uint64_t lines;        /* data lines written to f */
} ps_trace;

/* Opens a server's (or worker's) trace; creates RUN_DIR/trace/ if needed. */
int ps_trace_open_server(ps_trace *t, const char *run_dir, int server, ps_err *err);
int ps_trace_open_worker(ps_trace *t, const char *run_dir, int worker, ps_err *err);
int ps_trace_pull(ps_trace *t, double time_s, int worker, int32_t clock, int32_t slowest,
                  ps_err *err);
/* Worker with a cache: opens workerW.reads.csv; one line per clock of reads. */
int ps_trace_open_reads(ps_trace *t, const char *run_dir, ps_err *err);
int ps_trace_cache_reads(ps_trace *t, double time_s, int32_t clock, int32_t slowest,
                         uint32_t chunks, ps_err *err);
/* Worker: n keys' pushed values (vpk each) of a served table, the keys offset by
 * base (their model table's place in it). */
int ps_trace_push(ps_trace *t, const uint64_t *keys, uint64_t base, int table, uint32_t vpk,
                  const float *vals, uint32_t n, ps_err *err);
/* Server: writes the final shard and closes. Worker: writes its sums and closes. */
int ps_trace_close_server(ps_trace *t, const char *run_dir, const uint64_t *keys,
                          const float *vals, uint32_t n, ps_err *err);
int ps_trace_close_worker(ps_trace *t, ps_err *err);
/* Server of a resumed run: its shard as loaded from the checkpoint. */
int ps_trace_server_initial(ps_trace *t, const char *run_dir, const uint64_t *keys,
                            const float *vals, uint32_t n, ps_err *err);
/* Server 0 of a resumed run: the clock it goes on from (resumed.csv). */
int ps_trace_resumed(const char *run_dir, int32_t clock, ps_err *err);
/* Before an attempt that resumes: RUN_DIR/trace, if any, becomes trace.N, the
 * first N free. */
int ps_trace_keep_attempt(const char *run_dir, ps_err *err);
/* Releases whatever is open, without writing (after an error). */
void ps_trace_abandon(ps_trace *t);

#endif
