/* pslab command line: `run` an experiment, generate a `platform`, `plot` runs.
 * This file is the composition root: the only place that knows which backends
 * exist, so the engine itself stays free of SimGrid and socket headers. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/core/interrupt.h"
#include "engine/core/memory.h"
#include "engine/core/rng.h"
#include "engine/ps/checkpoint.h"
#include "engine/tools/sweep.h"
#include "engine/trace/check.h"
#include "engine/trace/trace.h"
#include "engine/core/config.h"
#include "engine/index/block_index.h"
#include "engine/ps/cluster.h"
#include "engine/ps/indexer.h"
#include "engine/ps/outputs.h"
#include "engine/ps/run.h"
#include "engine/ps/server_table.h"
#include "plots/plot.h"
#ifdef PSLAB_HAVE_REAL
#include "real/backend_real.h"
#include "real/launch.h"
#endif
#ifdef PSLAB_HAVE_SIMGRID
#include "sim/backend_sim.h"
#include "sim/platform.h"
#endif

#define MAX_SETS 256

static const char run_usage[] =
    "usage: pslab run CONFIG [--backend sim] [--set SECTION.KEY=VALUE]... [--out DIR]\n"
    "                 [--trace] [--cfg=SIMGRID_OPTION]... [--log=SIMGRID_LOG]...\n"
    "       pslab run --resume RUN_DIR [--trace] [--cfg=...]...\n"
    "       pslab run --help-config\n"
    "\n"
    "Runs the experiment described by the INI file CONFIG and writes a run directory:\n"
    "config.ini (resolved), metrics.csv, workers.csv, summary.txt (and platform.xml\n"
    "when the platform was generated). Without --out the directory is runs/NAME, or\n"
    "runs/NAME-2, -3 ... if that exists; an existing --out directory is refused.\n"
    "\n"
    "  --backend NAME   the backend (same as --set run.backend=NAME): sim, or real\n"
    "                   (one local process per node on 127.0.0.1)\n"
    "  --set K=V        override a config key, e.g. --set model.lr=0.1 (repeatable)\n"
    "  --out DIR        the run directory to create\n"
    "  --trace          also write DIR/trace/: every pull served (with the slowest\n"
    "                   worker's clock), every worker's pushed sums, the final model;\n"
    "                   `pslab check DIR` verifies the consistency model with it;\n"
    "                   a resumed or restarted run traces its last attempt, from\n"
    "                   its checkpoint, and keeps the earlier ones as trace.1, ...\n"
    "  --resume RUN_DIR go on with an interrupted run from its servers' newest\n"
    "                   checkpoint (fault.checkpoint_every), with its config.ini;\n"
    "                   metrics.csv keeps its rows up to the checkpoint and goes on\n"
    "  --help-config    print every config key with its type, default and meaning\n"
    "  --cfg=..., --log=...  passed to SimGrid (sim backend; checked before the run)\n";

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct run_args {
    const char *config_path, *out;
    const char *sets[MAX_SETS];
    int n_sets;
    char *sim_argv[MAX_SETS + 2];
    int sim_argc;
    int trace;
    const char *resume;  /* --resume: the run directory to go on with */
    char resume_config[4200];
} run_args;

static int parse_run_args(int argc, char **argv, run_args *a, ps_err *err)
{
    static char backend_set[128];
    memset(a, 0, sizeof *a);
    a->sim_argv[a->sim_argc++] = "pslab";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "--set") || !strcmp(s, "--backend") || !strcmp(s, "--out")) && i + 1 >= argc)
            return ps_err_set(err, "%s needs a value", s);
        if (!strcmp(s, "--set") && a->n_sets < MAX_SETS) {
            a->sets[a->n_sets++] = argv[++i];
        } else if (!strcmp(s, "--backend") && a->n_sets < MAX_SETS) {
            snprintf(backend_set, sizeof backend_set, "run.backend=%s", argv[++i]);
            a->sets[a->n_sets++] = backend_set;
        } else if (!strcmp(s, "--out")) {
            a->out = argv[++i];
        } else if (!strcmp(s, "--trace")) {
            a->trace = 1;
        } else if (!strcmp(s, "--resume")) {
            if (i + 1 >= argc)
                return ps_err_set(err, "--resume needs a run directory");
            a->resume = argv[++i];
        } else if ((!strncmp(s, "--cfg=", 6) || !strncmp(s, "--log=", 6)) && a->sim_argc < MAX_SETS) {
            a->sim_argv[a->sim_argc++] = argv[i];
        } else if (s[0] == '-') {
            return ps_err_set(err, "unknown option %s (see pslab run --help)", s);
        } else if (a->config_path) {
            return ps_err_set(err, "more than one config file: %s and %s", a->config_path, s);
        } else {
            a->config_path = s;
        }
    }
    if (a->resume) {
        /* the run goes on as it was configured: its own config.ini, as written */
        if (a->config_path || a->n_sets || a->out)
            return ps_err_set(err, "--resume takes only the run directory (its config.ini "
                              "says the rest) and --trace");
        snprintf(a->resume_config, sizeof a->resume_config, "%s/config.ini", a->resume);
        a->config_path = a->resume_config;
    }
    if (!a->config_path)
        return ps_err_set(err, "no config file given (see pslab run --help)");
    a->sim_argv[a->sim_argc] = NULL;
    return PS_OK;
}

static int make_run_dir(const run_args *a, const ps_config *cfg, char *dir, size_t n, ps_err *err)
{
    if (a->out) {
        if (access(a->out, F_OK) == 0)
            return ps_err_set(err, "%s already exists; choose another --out so that an earlier "
                              "run is not overwritten", a->out);
        snprintf(dir, n, "%s", a->out);
        return ps_outputs_mkdir(dir, err);
    }
    char base[4096];
    snprintf(base, sizeof base, "runs/%s", cfg->name);
    return ps_outputs_new_run_dir(base, dir, n, err);
}

#ifdef PSLAB_HAVE_SIMGRID
static int make_sim_backend(run_args *a, const ps_config *cfg, const char *dir, ps_backend **be,
                            ps_err *err)
{
    char path[4200];
    const char *platform = cfg->platform;
    if (!platform || !platform[0]) {
        ps_platform_params p;
        ps_platform_defaults(&p);
        p.hosts = ps_config_nodes(cfg);
        p.speed = cfg->host_speed;
        p.bandwidth = cfg->bandwidth;
        p.latency = cfg->latency;
        p.speed_spread = cfg->speed_spread;
        p.slow_fraction = cfg->slow_fraction;
        p.slow_factor = cfg->slow_factor;
        p.disk_read_bw = cfg->disk_read_bw;
        p.disk_write_bw = cfg->disk_write_bw;
        p.cores = cfg->cores;
        p.seed = cfg->seed;
        p.linked_hosts = cfg->worker_links ? 0 : cfg->servers;
        if (snprintf(path, sizeof path, "%s/platform.xml", dir) >= (int)sizeof path)
            return ps_err_set(err, "%s: path too long", dir);
        if (ps_platform_write(&p, path, err))
            return PS_ERR;
        platform = path;
    } else if (access(platform, R_OK) != 0) {
        return ps_err_set(err, "%s: cluster.platform = %s: %s", cfg->source_path, platform,
                          strerror(errno));
    } else if (ps_platform_validate(platform, ps_config_nodes(cfg), cfg->servers, err)) {
        return PS_ERR;
    }
    /* The config's precision goes before the user's own --cfg, which wins. */
    static char precision[64];
    snprintf(precision, sizeof precision, "--cfg=surf/precision:%.17g", cfg->precision);
    memmove(&a->sim_argv[2], &a->sim_argv[1], (size_t)a->sim_argc * sizeof *a->sim_argv);
    a->sim_argv[1] = precision;
    a->sim_argc++;
    return ps_sim_backend_create(be, platform, &a->sim_argc, a->sim_argv, err);
}
#endif

#ifdef PSLAB_HAVE_REAL
static ps_real_children real_kids; /* the local cluster's other node processes */
#endif

/* What a node runs: one run's actors, or a multi-task run's. */
typedef int (*launch_fn)(void *ctx, ps_backend *be, ps_err *err);
static int launch_run(void *ctx, ps_backend *be, ps_err *err) { return ps_run_launch(ctx, be, err); }
static int launch_tasks(void *ctx, ps_backend *be, ps_err *err)
{
    return ps_cluster_launch(ctx, be, err);
}

static int make_backend(run_args *a, const ps_config *cfg, launch_fn launch, void *ctx,
                        const char *dir, ps_backend **be, ps_err *err)
{
#ifdef PSLAB_HAVE_REAL
    if (strcmp(cfg->backend, "real") == 0)
        return ps_real_local_start(launch, ctx, cfg, dir, be, &real_kids, err);
#endif
    (void)launch;
    (void)ctx;
#ifdef PSLAB_HAVE_SIMGRID
    if (strcmp(cfg->backend, "sim") == 0)
        return make_sim_backend(a, cfg, dir, be, err);
#endif
    (void)a;
    (void)dir;
    (void)be;
    return ps_err_set(err, "backend '%s' is not built into this binary", cfg->backend);
}

/* A store on disk in sim needs a disk on each server's host. */
static int check_store_disks(ps_backend *be, const ps_config *cfg, ps_err *err)
{
#ifdef PSLAB_HAVE_SIMGRID
    if (strcmp(cfg->backend, "sim") == 0 && strcmp(cfg->store, "mem") != 0) {
        char why[64];
        snprintf(why, sizeof why, "server.store = %s", cfg->store);
        /* the page cache of server.cache bytes also holds the writes not yet on disk */
        if (strcmp(cfg->store, "disk") == 0 &&
            ps_sim_set_write_behind(be, (double)cfg->cache_bytes, err))
            return PS_ERR;
        return ps_sim_check_disks(be, cfg->servers, why, err);
    }
#endif
    (void)be;
    (void)cfg;
    (void)err;
    return PS_OK;
}

/* fault.slow and fault.link_down, on the sim backend (the config refuses them on
 * the real one), their times in the run's, which a resumed run's clock starts at
 * offset. */
static int set_sim_faults(ps_backend *be, const ps_config *cfg, double offset, ps_err *err)
{
#ifdef PSLAB_HAVE_SIMGRID
    if (cfg->n_windows && strcmp(cfg->backend, "sim") == 0)
        return ps_sim_set_faults(be, cfg->windows, cfg->n_windows, offset,
                                 cfg->servers + cfg->workers, err);
#endif
    (void)be, (void)cfg, (void)offset, (void)err;
    return PS_OK;
}

/* The servers' store: the simulator's disk store in sim, else mem, or RocksDB
 * (for disk on the real backend, and rocksdb on both) when it is built in. */
/* A sim run, or a local real one, holds every server's shard on this machine: a
 * model whose mem-store shards alone exceed its memory is refused with the figure,
 * rather than left to thrash. */
static int check_memory(const ps_run *run, const ps_config *cfg, ps_err *err)
{
    uint64_t need = ps_server_tables_mem_bytes(run), mem = ps_physical_memory_bytes();
    uint64_t truth = run->has_truth ? ps_run_truth_bytes(run) : 0;
    if (!mem || need + truth <= mem)
        return PS_OK;
    char beside[96] = "";
    if (truth)
        snprintf(beside, sizeof beside, " beside the generator's %.1f GB of true model", truth / 1e9);
    return ps_err_set(err, "%s: the servers' mem stores would hold %.1f GB of parameters%s, and "
                      "this machine has %.1f GB of memory: fewer features (data.features), or "
                      "server.store = disk%s, whose memory its cache bounds", cfg->source_path,
                      need / 1e9, beside, mem / 1e9,
                      strcmp(cfg->backend, "real") == 0 ? " or rocksdb" : "");
}

static int select_store(ps_run *run, const ps_config *cfg, ps_err *err)
{
    if (strcmp(cfg->store, "disk") == 0 && strcmp(cfg->backend, "sim") == 0) {
        run->store_ops = &ps_store_simdisk_ops;
        run->store_block_keys = (uint32_t)cfg->block_keys;
        run->store_cache_bytes = cfg->cache_bytes;
        return PS_OK;
    }
#ifdef PSLAB_HAVE_REAL
    return ps_real_select_store(run, cfg, err);
#else
    return strcmp(cfg->store, "mem") == 0
               ? PS_OK
               : ps_err_set(err, "server.store = %s is not built into this binary", cfg->store);
#endif
}

static void print_result(const ps_run *r, const ps_backend *be, const char *dir, double wall)
{
    printf("pslab: run directory: %s\n", dir);
    printf("pslab: %d servers, %d workers, %d iterations in %d stage%s, %s/%s\n", r->n_servers,
           r->n_workers, r->total_clocks, r->n_stages, r->n_stages > 1 ? "s" : "",
           r->stages[0].consistency->name, r->cfg->partitioner);
    printf("pslab: wall %.2f s, %llu messages (%.0f per wall second), %.1f MB\n", wall,
           be->messages_sent, wall > 0 ? (double)be->messages_sent / wall : 0.0,
           (double)be->bytes_sent / 1e6);
    const ps_index_report *ix = ps_indexer_report(r);
    if (ix && r->index) /* wall time is not the run's result: here, not in summary.txt */
        printf("pslab: index %s%s: %u blocks of %llu hot keys in %.6f s (backend), %.2f s wall\n",
               r->cfg->index_strategy, ix->loaded ? " (loaded)" : "", r->index->n_blocks,
               (unsigned long long)ix->hot, ix->time_s, ix->wall_s);
}

/* Launches on be and waits for the local cluster's other nodes; returns the wall. */
static int launch_and_wait(launch_fn launch, void *ctx, ps_backend *be, const int *failed,
                           const int *interrupted, double *wall, ps_err *err)
{
    double t0 = wall_seconds();
    int rc = launch(ctx, be, err);
#ifdef PSLAB_HAVE_REAL
    if (real_kids.pid) {
        ps_err kerr;
        /* a run stopped by a signal ends cleanly: its nodes finish their files */
        int stopped = interrupted && *interrupted, stalled = ps_real_backend_stalled_node(be);
        real_kids.stalled_node = stalled > 0 ? stalled : 0;
        if (ps_real_local_wait(&real_kids, (rc != PS_OK && !stopped) || *failed, &kerr) &&
            rc == PS_OK)
            rc = ps_err_set(err, "%s", kerr.msg);
    }
#endif
    (void)failed, (void)interrupted;
    *wall = wall_seconds() - t0;
    return rc;
}

/* A local real run: each node's peak memory, in RUN_DIR/nodes.csv. */
static int write_nodes(const ps_config *cfg, const char *dir, int rc, ps_err *err)
{
#ifdef PSLAB_HAVE_REAL
    ps_err werr;
    if (real_kids.peak_rss_kb && ps_real_write_nodes(&real_kids, cfg, dir, &werr) && rc == PS_OK)
        rc = ps_err_set(err, "%s", werr.msg);
    ps_real_local_free(&real_kids);
#else
    (void)cfg, (void)dir, (void)err;
#endif
    return rc;
}

/* --resume: the servers' newest common checkpoint, and a store to rebuild from it
 * (the interrupted run's store holds what came after). A restart after a node's
 * death (restart set) with no checkpoint yet starts the run again from the start. */
static int prepare_resume(ps_run *run, const char *dir, int restart, ps_err *err)
{
    int rc = ps_checkpoint_find(dir, run, &run->resume_clock, &run->time_offset, err);
    if (rc == PS_CHECKPOINT_NONE && restart) {
        fprintf(stderr, "pslab: no checkpoint yet: the run starts again from the start\n");
        return PS_OK;
    }
    if (rc)
        return ps_err_prefix(err, "resume: ");
    if (run->resume_clock >= run->total_clocks)
        return ps_err_set(err, "resume: %s's checkpoint is at its last clock (%d): the run "
                          "was complete", dir, run->resume_clock);
    run->resumed = 1;
    if (restart) /* the real backend's clock runs on from the first start: no offset */
        run->time_offset = 0;
    char store[4200];
    snprintf(store, sizeof store, "%s/store", dir);
    if (ps_outputs_remove_tree(store, err))
        return ps_err_prefix(err, "resume: ");
    if (restart)
        fprintf(stderr, "pslab: resuming %s from its checkpoint at clock %d\n", dir,
                run->resume_clock);
    else
        fprintf(stderr, "pslab: resuming %s from its checkpoint at clock %d (time %.6f s)\n",
                dir, run->resume_clock, run->time_offset);
    return PS_OK;
}

/* What a failed attempt leaves for the next: a node's death. */
typedef struct attempt_end {
    int crashed;         /* sim: an injected crash, at crash_time */
    int crashed_worker;  /* it was a worker's */
    double crash_time;
} attempt_end;

/* fault.crash: attempt k injects its k-th crash that restarts the run and the ones
 * (a worker's under continue) listed between it and the one before. */
static void arm_listed_crashes(ps_run *run, const ps_config *cfg, int attempt)
{
    /* a time of the run is the backend's on the real one (every attempt's nodes share
     * the first's clock), the attempt's own after time_offset in sim */
    double offset = strcmp(cfg->backend, "sim") == 0 ? run->time_offset : 0;
    for (int i = 0, group = 0; i < cfg->n_crashes; i++) {
        const struct ps_config_crash *k = &cfg->crashes[i];
        double after = k->at_s < 0 ? -1 : k->at_s > offset ? k->at_s - offset : 0;
        if (group == attempt && run->n_crashes < PS_RUN_MAX_CRASHES)
            run->crashes[run->n_crashes++] =
                (struct ps_run_crash){k->server, k->index, k->clock, after, 0, 0};
        group += ps_config_crash_restarts(cfg, i);
    }
}

/* fault.rate: this attempt's crashes, from the seed and the attempt's number: each
 * after an exponential time of rate (eligible nodes) x fault.rate an hour from the
 * one before, on an eligible node drawn uniformly (on the real backend node 0, the
 * launcher, is not), at that backend time (sim: each attempt's starts at 0; real:
 * the first's start). The first that restarts the run ends the attempt; under
 * continue the workers' before it are each lost in turn. */
static void draw_crashes(ps_run *run, const ps_config *cfg, int attempt)
{
    ps_rng rng;
    ps_rng_init(&rng, cfg->seed ^ ((uint64_t)attempt << 32), PS_STREAM_FAULT);
    int real = strcmp(cfg->backend, "real") == 0, first = real ? 1 : 0;
    int nodes = cfg->servers + cfg->workers - first;
    int cont = strcmp(cfg->on_worker_failure, "continue") == 0;
    double t = 0;
#ifdef PSLAB_HAVE_REAL
    if (real)
        t = wall_seconds() - real_kids.start_time;
#endif
    while (run->n_crashes < (cont ? PS_RUN_MAX_CRASHES : 1)) {
        t += -log(ps_rng_unit(&rng)) * 3600.0 / (cfg->fault_rate * nodes);
        int n = first + (int)ps_rng_below(&rng, (uint64_t)nodes), server = n < cfg->servers;
        run->crashes[run->n_crashes++] = (struct ps_run_crash){
            server, server ? n : n - cfg->servers, 0, t, 1, 0};
        if (server)
            break;
    }
}

/* One launch of the run: from the start, or (resume: 1 for --resume, 2 for a
 * restart) from its checkpoint; the restarts-th of fault.crash is armed. */
static int run_attempt(run_args *a, const ps_config *cfg, const char *dir, int resume,
                       int restarts, attempt_end *end, ps_err *err)
{
    ps_run run;
    ps_backend *be = NULL;
    int rc = ps_run_init(&run, cfg, dir, err);
    if (rc == PS_OK && resume && a->trace) /* the attempt before keeps its trace */
        rc = ps_trace_keep_attempt(dir, err);
    if (rc == PS_OK && resume)
        rc = prepare_resume(&run, dir, resume == 2, err);
    if (rc == PS_OK && resume == 2 && end->crashed) { /* sim: after the crash and recovery */
        run.time_offset = end->crash_time + cfg->fault_recovery_s;
        fprintf(stderr, "pslab: the run goes on at %.6f s (its crash, plus fault.recovery_s)\n",
                run.time_offset);
    }
    run.restarts = restarts;
    arm_listed_crashes(&run, cfg, restarts);
    if (rc == PS_OK)
        rc = select_store(&run, cfg, err);
    if (rc == PS_OK)
        rc = check_memory(&run, cfg, err);
    /* set before make_backend: the real backend forks the other nodes there */
    run.progress = isatty(STDERR_FILENO);
    run.trace = a->trace;
#ifdef PSLAB_HAVE_REAL
    /* with restarts, every attempt's nodes share the first's clock: the times after
     * a restart count the work lost and the restart itself */
    if (cfg->fault_restarts && !real_kids.start_time)
        real_kids.start_time = wall_seconds();
#endif
    if (cfg->fault_rate > 0)
        draw_crashes(&run, cfg, restarts);
    if (rc == PS_OK)
        rc = make_backend(a, cfg, launch_run, &run, dir, &be, err);
    if (rc == PS_OK)
        rc = check_store_disks(be, cfg, err);
    if (rc == PS_OK)
        rc = set_sim_faults(be, cfg, run.time_offset, err);
    if (rc == PS_OK) {
        double wall;
        rc = launch_and_wait(launch_run, &run, be, &run.failed, &run.interrupted, &wall, err);
        rc = write_nodes(cfg, dir, rc, err);
        print_result(&run, be, dir, wall);
    }
    end->crashed = run.crashed;
    end->crashed_worker = run.crashed && run.crashed_worker;
    end->crash_time = run.crash_time;
    if (be)
        be->ops->destroy(be);
    ps_run_free(&run);
    return rc;
}

/* An attempt in a child process: SimGrid runs one simulation a process, and a sim
 * run that restarts after an injected crash needs one an attempt. The parent
 * passes on a Ctrl-C or SIGTERM it gets to the child, which stops cleanly. */
static int run_attempt_forked(run_args *a, const ps_config *cfg, const char *dir, int resume,
                              int restarts, attempt_end *end, ps_err *err)
{
    struct { attempt_end end; ps_err err; int rc; } out = {*end, {{0}}, PS_ERR};
    int fds[2];
    if (pipe(fds))
        return ps_err_set(err, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return ps_err_set(err, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        out.rc = run_attempt(a, cfg, dir, resume, restarts, &out.end, &out.err);
        ssize_t w = write(fds[1], &out, sizeof out);
        fflush(NULL);
        _exit(w == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    ps_interrupt_install(-1);
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        int sig = ps_interrupt_take();
        if (sig)
            kill(pid, sig);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ps_interrupt_uninstall();
    ssize_t got = read(fds[0], &out, sizeof out);
    close(fds[0]);
    if (got != (ssize_t)sizeof out)
        return ps_err_set(err, "the run's process ended by %s %d", WIFSIGNALED(st) ? "signal" :
                          "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    *end = out.end;
    if (out.rc)
        *err = out.err;
    return out.rc;
}

/* A failed local real run whose node was killed: that node, not the ones that
 * failed after it for want of it, is what the error names. */
static int name_first_lost(const ps_config *cfg, int rc, ps_err *err)
{
#ifdef PSLAB_HAVE_REAL
    int r = real_kids.crashed_node;
    if (r > 0) {
        char role[32];
        snprintf(role, sizeof role, r < cfg->servers ? "server %d" : "a worker node", r);
        ps_err first;
        ps_err_set(&first, "node %d (%s) died of signal %d (%s) and the run failed with it "
                   "(fault.restarts = %d): %s", r, role, real_kids.crashed_signal,
                   strsignal(real_kids.crashed_signal), cfg->fault_restarts, err->msg);
        *err = first;
    }
#endif
    (void)cfg;
    return rc;
}

/* One task: the run of the config itself, started again (fault.restarts) when one
 * of its nodes dies: a local real node process killed by a signal, or a crash the
 * config injects. */
static int run_one(run_args *a, const ps_config *cfg, const char *dir, ps_err *err)
{
    attempt_end end = {0, 0, 0};
    for (int restarts = 0;; restarts++) {
        int resume = a->resume ? 1 : restarts ? 2 : 0;
        int rc = strcmp(cfg->backend, "sim") == 0 && (cfg->n_crashes || cfg->fault_rate > 0)
                     ? run_attempt_forked(a, cfg, dir, resume, restarts, &end, err)
                     : run_attempt(a, cfg, dir, resume, restarts, &end, err);
        int died = end.crashed, worker_died = end.crashed_worker;
#ifdef PSLAB_HAVE_REAL
        died |= real_kids.crashed_node != 0;
        worker_died |= real_kids.crashed_node >= cfg->servers;
#endif
        if (rc && died && worker_died && strcmp(cfg->on_worker_failure, "abort") == 0) {
            fprintf(stderr, "pslab run: a worker's node died, and fault.on_worker_failure = "
                    "abort: the run fails\n");
            return rc;
        }
        if (!rc || !died || restarts >= cfg->fault_restarts || ps_interrupt_signal())
            return rc ? name_first_lost(cfg, rc, err) : rc;
        fprintf(stderr, "pslab run: %s\n", err->msg);
#ifdef PSLAB_HAVE_REAL
        if (real_kids.crashed_node)
            fprintf(stderr, "pslab: node %d died of signal %d: ", real_kids.crashed_node,
                    real_kids.crashed_signal);
        real_kids.crashed_node = 0;
#endif
        fprintf(stderr, "%srestart %d of %d on fresh nodes\n", end.crashed ? "pslab: " : "",
                restarts + 1, cfg->fault_restarts);
        a->resume = NULL;
    }
}

/* [task.N] sections: the tasks share the cluster under policy.scheduler. */
static int run_tasks(run_args *a, const ps_config *cfg, const char *dir, ps_err *err)
{
    ps_cluster *cl = calloc(1, sizeof *cl);
    ps_backend *be = NULL;
    int rc = cl ? ps_cluster_init(cl, cfg, dir, 1, err) : ps_err_set(err, "out of memory");
    for (int k = 0; rc == PS_OK && k < cl->n_tasks; k++) {
        rc = select_store(&cl->tasks[k].run, cl->tasks[k].tcfg, err);
        cl->tasks[k].run.trace = a->trace;
    }
    if (rc == PS_OK)
        rc = make_backend(a, cfg, launch_tasks, cl, dir, &be, err);
    for (int k = 0; rc == PS_OK && k < cl->n_tasks; k++)
        if (check_store_disks(be, cl->tasks[k].tcfg, err))
            rc = ps_err_prefix(err, "task %s: ", cl->tasks[k].name);
    if (rc == PS_OK)
        rc = set_sim_faults(be, cfg, 0, err);
    if (rc == PS_OK) {
        double wall;
        rc = launch_and_wait(launch_tasks, cl, be, &cl->failed, NULL, &wall, err);
        rc = write_nodes(cfg, dir, rc, err);
        printf("pslab: run directory: %s\n", dir);
        printf("pslab: %d tasks on %d servers and %d workers, scheduler %s (%s/summary.txt, "
               "%s/schedule.csv)\n", cl->n_tasks, cfg->servers, cfg->workers, cfg->scheduler, dir,
               dir);
        printf("pslab: wall %.2f s, %llu messages, %.1f MB\n", wall, be->messages_sent,
               (double)be->bytes_sent / 1e6);
    }
    if (be)
        be->ops->destroy(be);
    if (cl)
        ps_cluster_free(cl);
    free(cl);
    return rc;
}

/* A failed run's directory holds nothing but what a run writes before it starts
 * (config.ini, platform.xml; a multi-task run's task directories of the same):
 * when `unlink` is set, removes them and the directories. Anything else is the
 * run's evidence and is kept. Returns 1 when the directory was (or would be) empty
 * of results. */
static int prune_unstarted(const char *dir, int depth, int unlink_them)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int only_setup = 1;
    struct dirent *e;
    while (only_setup && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4400];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) != 0) /* a path too long to name is not ours to remove */
            only_setup = 0;
        else if (S_ISDIR(st.st_mode))
            only_setup = depth > 0 && prune_unstarted(path, depth - 1, unlink_them);
        else if (strcmp(e->d_name, "config.ini") && strcmp(e->d_name, "platform.xml"))
            only_setup = 0;
        else if (unlink_them)
            only_setup = unlink(path) == 0;
    }
    closedir(d);
    if (only_setup && unlink_them)
        only_setup = rmdir(dir) == 0;
    return only_setup;
}

/* --cfg= and --log= are SimGrid's: checked by SimGrid itself before the run
 * directory is made, and refused on the real backend, which has no use for them. */
static int check_sim_options(run_args *a, const ps_config *cfg, ps_err *err)
{
    if (a->sim_argc <= 1)
        return PS_OK;
    if (strcmp(cfg->backend, "real") == 0)
        return ps_err_set(err, "%s is a SimGrid option, for the sim backend; run.backend = real "
                          "has no use for it", a->sim_argv[1]);
#ifdef PSLAB_HAVE_SIMGRID
    return ps_sim_options_validate(a->sim_argc, a->sim_argv, err);
#else
    return ps_err_set(err, "%s: this pslab was built without SimGrid", a->sim_argv[1]);
#endif
}

static int cmd_run(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(run_usage, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--help-config")) {
        ps_config_print_reference(stdout);
        return 0;
    }
    run_args a;
    ps_config cfg;
    ps_err err;
    char dir[4096];
    int rc = parse_run_args(argc, argv, &a, &err);
    memset(&cfg, 0, sizeof cfg); /* ps_config_load sets the defaults itself */
    if (rc == PS_OK)
        rc = ps_config_load(&cfg, a.config_path, a.sets, a.n_sets, &err);
    if (rc == PS_OK)
        rc = check_sim_options(&a, &cfg, &err);
    if (rc == PS_OK && a.resume)
        snprintf(dir, sizeof dir, "%s", a.resume);
    else if (rc == PS_OK)
        rc = make_run_dir(&a, &cfg, dir, sizeof dir, &err);
    int made_dir = rc == PS_OK && !a.resume;
    if (rc == PS_OK && !a.resume)
        rc = ps_outputs_write_config(dir, &cfg, &err);
    if (rc == PS_OK)
        rc = cfg.n_tasks || !strcmp(cfg.scheduler, "auto") ? run_tasks(&a, &cfg, dir, &err)
                                                            : run_one(&a, &cfg, dir, &err);
    if (rc)
        fprintf(stderr, "pslab run: %s\n", err.msg);
    /* failed before any result: nothing to keep, and the same --out may be retried */
    if (rc && made_dir && prune_unstarted(dir, 1, 0) && prune_unstarted(dir, 1, 1))
        fprintf(stderr, "pslab run: removed %s: the run failed before writing any result\n",
                dir);
    ps_config_free(&cfg);
    /* as a shell reports a process ended by the signal: 130 for Ctrl-C */
    return rc ? (ps_interrupt_signal() ? 128 + ps_interrupt_signal() : 1) : 0;
}

static const char index_usage[] =
    "usage: pslab index CONFIG [--set SECTION.KEY=VALUE]... --out FILE\n"
    "\n"
    "Builds the block index a run of CONFIG would build (index.strategy, index.*),\n"
    "from the same sampled batches of every worker, in this process and without the\n"
    "backend's messages, and writes it to FILE (as a run's index.csv), for\n"
    "index.load. The index is the one the run builds over the backend.\n";

/* pslab index: the run's block index, built directly. */
static int cmd_index(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(index_usage, stdout);
        return 0;
    }
    run_args a;
    ps_config cfg;
    ps_run run;
    ps_err err;
    ps_block_index x = {0};
    memset(&cfg, 0, sizeof cfg);
    memset(&run, 0, sizeof run);
    int rc = parse_run_args(argc, argv, &a, &err);
    if (rc == PS_OK && (!a.out || a.trace || a.sim_argc > 1))
        rc = ps_err_set(&err, "pslab index takes CONFIG, --set and --out FILE (see --help)");
    if (rc == PS_OK)
        rc = ps_config_load(&cfg, a.config_path, a.sets, a.n_sets, &err);
    if (rc == PS_OK && !strcmp(cfg.index_strategy, "off"))
        rc = ps_err_set(&err, "%s: index.strategy is off: there is no index to build",
                        a.config_path);
    if (rc == PS_OK && cfg.index_load[0])
        rc = ps_err_set(&err, "%s: index.load is set: the index is read, not built",
                        a.config_path);
    if (rc == PS_OK)
        rc = ps_run_init(&run, &cfg, NULL, &err);
    if (rc == PS_OK)
        rc = ps_indexer_build_direct(&run, &x, &err);
    if (rc == PS_OK)
        rc = ps_indexer_write(&run, &x, a.out, &err);
    if (rc == PS_OK)
        printf("pslab index: %s: %u blocks, %u rounds, %u merges\n", a.out, x.n_blocks, x.rounds,
               x.merges);
    else
        fprintf(stderr, "pslab index: %s\n", err.msg);
    ps_index_free(&x);
    ps_run_free(&run);
    ps_config_free(&cfg);
    return rc ? 1 : 0;
}

static const char usage[] =
    "usage: pslab COMMAND [ARGS]\n"
    "\n"
    "  run CONFIG ...     run an experiment (pslab run --help)\n"
    "  node ...           one node of a real cluster (pslab node --help)\n"
    "  platform ...       write a SimGrid platform file (pslab platform --help)\n"
    "  plot RUN_DIR ...   plot runs with gnuplot (pslab plot --help)\n"
    "  check RUN_DIR      verify a traced run's consistency model (pslab check --help)\n"
    "  sweep FILE         run every point of a sweep (pslab sweep --help)\n"
    "  index CONFIG ...   build a run's block index without running it (pslab index --help)\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "plot"))
        return ps_plot_main(argc - 1, argv + 1);
#ifdef PSLAB_HAVE_REAL
    if (!strcmp(argv[1], "node"))
        return ps_real_node_main(argc - 1, argv + 1);
#endif
    if (!strcmp(argv[1], "check"))
        return ps_check_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "index"))
        return cmd_index(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sweep"))
        return ps_sweep_main(argc - 1, argv + 1);
#ifdef PSLAB_HAVE_SIMGRID
    if (!strcmp(argv[1], "platform"))
        return ps_platform_main(argc - 1, argv + 1);
#endif
    fprintf(stderr, "pslab: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
