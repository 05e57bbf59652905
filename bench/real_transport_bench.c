/* Benchmark of the real backend on loopback against this machine's raw limits: the
 * engine's own server actor, over the sockets backend, serving dense pushes and
 * pulls (1M and 10M float values) and 1-key push-pull round trips, for 1 worker
 * with 1 server and 4 workers with 2 servers; beside them a raw single-stream TCP
 * bandwidth and small-message round trip measured here. Prints medians.
 * A dense push or pull travels as messages of --part values (1 MB by default), so
 * that the server applies or copies one part while the next is on the wire; under
 * BSP the server applies the last worker's parts as they arrive (engine/ps/server.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_stats.h"
#include "engine/ps/msg.h"
#include "engine/ps/run.h"
#include "real/backend_real.h"
#include "real/net.h"

#define PS_BENCH_MAX_SERVERS 2
#define PS_BENCH_MAX_PARTS 128 /* messages per server per push or pull */

/* ---- raw TCP on loopback ---- */

static int raw_pair(int *a, int *b)
{
    ps_addr at, bound;
    ps_err err;
    ps_net_parse_addr("127.0.0.1:0", &at, &err);
    int l = ps_net_listen(&at, &bound, &err);
    if (l < 0)
        return -1;
    *a = ps_net_connect(&bound, 5, &err);
    *b = ps_net_accept(l, ps_net_now() + 5, NULL, &err);
    close(l);
    return *a >= 0 && *b >= 0 ? 0 : -1;
}

static double raw_bandwidth_chunk(size_t total, size_t chunk, int reps)
{
    double r[16];
    for (int k = 0; k < reps; k++) {
        int a, b;
        if (raw_pair(&a, &b))
            return 0;
        char *buf = calloc(1, chunk);
        pid_t pid = fork();
        if (pid == 0) {
            close(a);
            size_t got = 0;
            while (got < total) {
                ssize_t n = read(b, buf, chunk);
                if (n <= 0)
                    _exit(1);
                got += (size_t)n;
            }
            ssize_t w = write(b, "k", 1);
            _exit(w == 1 ? 0 : 1);
        }
        close(b);
        double t0 = ps_net_now();
        for (size_t sent = 0; sent < total; sent += chunk) {
            ps_err err;
            if (ps_net_write_full(a, buf, chunk, &err))
                break;
        }
        char ack;
        if (read(a, &ack, 1) != 1)
            fprintf(stderr, "raw: no ack\n");
        r[k] = (double)total / (ps_net_now() - t0);
        waitpid(pid, NULL, 0);
        close(a);
        free(buf);
    }
    return ps_bench_median(r, reps);
}

/* The best single-stream rate over the write sizes an application might use: the
 * smaller ones stay in the caches, the larger ones make fewer system calls, and
 * which wins depends on the machine. */
static double raw_bandwidth(size_t total, int reps)
{
    static const size_t chunks[] = {64u << 10, 256u << 10, 1u << 20, 4u << 20};
    double best = 0;
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        double bw = raw_bandwidth_chunk(total, chunks[i], reps);
        best = bw > best ? bw : best;
    }
    return best;
}

static double raw_rtt(int trips)
{
    int a, b;
    if (raw_pair(&a, &b))
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        close(a);
        char m[64];
        for (int i = 0; i < trips; i++) {
            if (read(b, m, sizeof m) <= 0 || write(b, m, 48) != 48)
                _exit(1);
        }
        _exit(0);
    }
    close(b);
    char m[64] = {0};
    double *t = malloc((size_t)trips * sizeof *t);
    for (int i = 0; i < trips; i++) {
        double t0 = ps_net_now();
        if (write(a, m, 48) != 48 || read(a, m, sizeof m) <= 0)
            break;
        t[i] = ps_net_now() - t0;
    }
    waitpid(pid, NULL, 0);
    close(a);
    double med = ps_bench_median(t, trips);
    free(t);
    return med;
}

/* ---- pslab: the engine's server over the real backend ---- */

typedef struct bench {
    ps_run run;
    ps_config cfg;
    uint64_t n_vals;     /* dense values per worker per push or pull */
    uint32_t part_vals;  /* at most this many values per message (0: one message) */
    int reps, trips;
    double *push_s, *pull_s, *rtt_s; /* results of worker 0 */
} bench;

static void sink_main(ps_backend *be, void *arg)
{
    bench *b = arg;
    int done = 0;
    while (done < b->run.n_workers) {
        void *buf;
        size_t len;
        ps_err err;
        ps_msg m;
        if (ps_recv(be, PS_FOREVER, &buf, &len, &err))
            return;
        if (ps_msg_decode(buf, len, &m, &err) == PS_OK && m.type == PS_MSG_DONE)
            done++;
        free(buf);
    }
    /* Only now: a worker that stopped the servers when it finished could cut off
     * another's last reply (their messages travel on different connections). */
    for (int s = 0; s < b->run.n_servers; s++) {
        ps_err err;
        ps_msg_writer m;
        if (ps_msg_build(&m, PS_MSG_STOP, 0, (uint32_t)ps_self(be), 0, 0, 0, 0, 0, &err) == PS_OK)
            ps_send(be, ps_server_actor(s), m.buf, m.len, &err);
    }
}

static int wait_reply(ps_backend *be, int want, ps_err *err)
{
    for (int got = 0; got < want; got++) {
        void *buf;
        size_t len;
        ps_msg m;
        if (ps_recv(be, PS_FOREVER, &buf, &len, err))
            return PS_ERR;
        int rc = ps_msg_decode(buf, len, &m, err);
        if (rc == PS_OK && m.type != PS_MSG_PULL_REPLY)
            rc = ps_err_set(err, "unexpected %s", ps_msg_type_name(m.type));
        free(buf);
        if (rc)
            return PS_ERR;
    }
    return PS_OK;
}

/* This worker's dense range on server s: its share of the server's shard. */
static void worker_range(const bench *b, int w, int s, uint64_t *lo, uint32_t *n)
{
    uint64_t per = b->run.tables[0].spec.n_keys / (uint64_t)b->run.n_servers;
    uint64_t slice = per / (uint64_t)b->run.n_workers;
    *lo = (uint64_t)s * per + (uint64_t)w * slice;
    *n = (uint32_t)slice;
}

/* How many messages carry a range of n values, and the values in part p of them. */
static uint32_t range_parts(const bench *b, uint32_t n)
{
    uint32_t per = b->part_vals ? b->part_vals : n;
    uint32_t k = per ? (n + per - 1) / per : 1;
    return k ? k : 1;
}

static void range_part(const bench *b, uint64_t lo, uint32_t n, uint32_t p, uint64_t *plo,
                       uint32_t *pn)
{
    uint32_t k = range_parts(b, n), per = n / k, extra = n % k;
    *plo = lo + (uint64_t)p * per + (p < extra ? p : extra);
    *pn = per + (p < extra);
}

/* Builds the messages closing clock c at every server, in sending order, and
 * returns how many: a dense push of this worker's range (in parts of at most
 * part_vals values, the last closing the clock), or (with one_key) a 1-key push
 * carrying the pull of one key for c+1, or a bare clock. Building is the worker's
 * own work (its gradient written into the message), so the timed push starts after
 * it, as a ps-lite or FlexPS push starts with its values ready. */
static int build_clock(bench *b, int w, int32_t c, int dense, int one_key, ps_msg_writer *out,
                       int *n_out, ps_err *err)
{
    uint32_t me = (uint32_t)ps_worker_actor(&b->run, w);
    int k = 0, rc = PS_OK;
    for (int s = 0; rc == PS_OK && s < b->run.n_servers; s++) {
        uint64_t lo;
        uint32_t n;
        worker_range(b, w, s, &lo, &n);
        int is_mine = s == w % b->run.n_servers;
        if (dense) {
            uint32_t parts = range_parts(b, n);
            for (uint32_t p = 0; rc == PS_OK && p < parts; p++) {
                uint64_t plo;
                uint32_t pn;
                range_part(b, lo, n, p, &plo, &pn);
                uint32_t flags = PS_MSG_F_KEY_RANGE | (p + 1 == parts ? PS_MSG_F_CLOCK_END : 0);
                ps_msg_writer *m = &out[k];
                rc = ps_msg_build(m, PS_MSG_PUSH, flags, me, 0, c, pn, 1, 0, err);
                if (rc == PS_OK) {
                    k++;
                    m->keys[0] = plo;
                    for (uint32_t i = 0; i < pn; i++)
                        m->vals[i] = 1e-6f;
                }
            }
        } else if (one_key && is_mine) {
            ps_msg_writer *m = &out[k];
            rc = ps_msg_build(m, PS_MSG_PUSH, PS_MSG_F_CLOCK_END | PS_MSG_F_PULL_NEXT, me, 0, c, 1,
                              1, 8, err);
            if (rc == PS_OK) {
                k++;
                m->keys[0] = lo;
                m->vals[0] = 1e-6f;
                memcpy(m->aux, &lo, 8);
            }
        } else {
            rc = ps_msg_build(&out[k], PS_MSG_CLOCK, PS_MSG_F_CLOCK_END, me, 0, c, 0, 0, 0, err);
            k += rc == PS_OK;
        }
    }
    if (rc) {
        while (k-- > 0)
            free(out[k].buf);
        return PS_ERR;
    }
    *n_out = k;
    return PS_OK;
}

/* Sends the messages of build_clock to their servers (the same number to each). */
static int send_clock(bench *b, ps_backend *be, ps_msg_writer *m, int n, ps_err *err)
{
    int rc = PS_OK, per = n / b->run.n_servers;
    for (int i = 0; i < n; i++) {
        if (rc == PS_OK)
            rc = ps_send(be, ps_server_actor(i / per), m[i].buf, m[i].len, err);
        else
            free(m[i].buf);
    }
    return rc;
}

/* Sends the pull of this worker's range (dense, in parts) or of its one key on its
 * own server, and returns how many replies to wait for. */
static int send_pull(bench *b, ps_backend *be, int w, int32_t c, int dense, int *replies,
                     ps_err *err)
{
    *replies = 0;
    for (int s = 0; s < b->run.n_servers; s++) {
        uint64_t lo;
        uint32_t n;
        worker_range(b, w, s, &lo, &n);
        if (!dense && s != w % b->run.n_servers)
            continue;
        uint32_t parts = dense ? range_parts(b, n) : 1;
        for (uint32_t p = 0; p < parts; p++) {
            uint64_t plo = lo;
            uint32_t pn = 1;
            if (dense)
                range_part(b, lo, n, p, &plo, &pn);
            ps_msg_writer m;
            if (ps_msg_build(&m, PS_MSG_PULL, PS_MSG_F_KEY_RANGE,
                             (uint32_t)ps_worker_actor(&b->run, w), 0, c, pn, 0, 0, err))
                return PS_ERR;
            m.keys[0] = plo;
            if (ps_send(be, ps_server_actor(s), m.buf, m.len, err))
                return PS_ERR;
            ++*replies;
        }
    }
    return PS_OK;
}

static void worker_main(ps_backend *be, void *arg)
{
    bench *b = arg;
    int w = ps_self(be) - ps_worker_actor(&b->run, 0), replies = 0, n = 0;
    int32_t c = 0;
    ps_err err;
    int rc = PS_OK;
    ps_msg_writer m[PS_BENCH_MAX_SERVERS * PS_BENCH_MAX_PARTS];
    /* Dense: push clock c (then a 1-key pull of c+1 tells that it was applied),
     * then pull the whole range at c+1. */
    for (int k = 0; rc == PS_OK && k < b->reps; k++) {
        rc = build_clock(b, w, c, 1, 0, m, &n, &err);
        double t0 = ps_now(be);
        if (rc == PS_OK)
            rc = send_clock(b, be, m, n, &err);
        if (rc == PS_OK)
            rc = send_pull(b, be, w, c + 1, 0, &replies, &err);
        if (rc == PS_OK)
            rc = wait_reply(be, replies, &err);
        double t1 = ps_now(be);
        if (rc == PS_OK)
            rc = send_pull(b, be, w, c + 1, 1, &replies, &err);
        if (rc == PS_OK)
            rc = wait_reply(be, replies, &err);
        double t2 = ps_now(be);
        if (w == 0 && b->push_s) {
            b->push_s[k] = t1 - t0;
            b->pull_s[k] = t2 - t1;
        }
        c++;
    }
    /* 1-key push-pull: the push of clock c carries the pull for c+1, as workers do. */
    if (rc == PS_OK)
        rc = send_pull(b, be, w, c, 0, &replies, &err);
    if (rc == PS_OK)
        rc = wait_reply(be, replies, &err);
    for (int k = 0; rc == PS_OK && k < b->trips; k++) {
        rc = build_clock(b, w, c, 0, 1, m, &n, &err);
        double t0 = ps_now(be);
        if (rc == PS_OK)
            rc = send_clock(b, be, m, n, &err);
        if (rc == PS_OK)
            rc = wait_reply(be, 1, &err);
        if (w == 0 && b->rtt_s)
            b->rtt_s[k] = ps_now(be) - t0;
        c++;
    }
    if (rc)
        fprintf(stderr, "bench worker %d: %s\n", w, err.msg);
    ps_msg_writer done;
    if (ps_msg_build(&done, PS_MSG_DONE, 0, (uint32_t)ps_self(be), 0, c, 0, 0, 0, &err) == PS_OK)
        ps_send(be, PS_COORDINATOR_ID, done.buf, done.len, &err);
}

/* One configuration: nodes 0 (sink), 1..S (servers), S+1.. (workers), each its own
 * process; node W0's measurements come back through a pipe. */
typedef struct bench_opts {
    int reps;
    uint32_t part_vals;
} bench_opts;

static int run_case(int S, int W, uint64_t n_vals, const bench_opts *o, int trips, double *push,
                    double *pull, double *rtt)
{
    int reps = o->reps;
    bench b;
    memset(&b, 0, sizeof b);
    ps_config_init_defaults(&b.cfg);
    b.cfg.iterations = 1 << 30;
    b.cfg.eval_every = 1 << 30;
    b.run.cfg = &b.cfg;
    b.run.n_servers = S;
    b.run.n_workers = W;
    b.run.consistency = ps_consistency_by_name("bsp");
    b.part_vals = o->part_vals;
    b.run.partitioner = ps_partitioner_by_name("range");
    /* each worker owns a slice of every shard */
    ps_table_spec table = {.name = "values", .n_keys = n_vals * (uint64_t)W, .vals_per_key = 1};
    ps_err terr;
    if (ps_run_set_tables(&b.run, &table, 1, &terr) || ps_run_plan(&b.run, &terr)) {
        fprintf(stderr, "pslab_bench_real: %s\n", terr.msg);
        return 1;
    }
    b.run.store_ops = &ps_store_mem_ops;
    b.run.out_dir = "/tmp";
    b.reps = reps;
    b.trips = trips;
    int n_nodes = 1 + S + W;
    ps_actor_arg *sargs = calloc((size_t)S, sizeof *sargs);
    ps_actor_spec *spec = calloc((size_t)n_nodes, sizeof *spec);
    for (int i = 0; i < n_nodes; i++) {
        spec[i].id = i;
        spec[i].node = i;
        spec[i].name = i == 0 ? "sink" : i <= S ? "server" : "worker";
        if (i == 0) {
            spec[i].main = sink_main;
            spec[i].arg = &b;
        } else if (i <= S) {
            sargs[i - 1] = (ps_actor_arg){.run = &b.run, .index = i - 1};
            spec[i].main = ps_server_main;
            spec[i].arg = &sargs[i - 1];
        } else {
            spec[i].main = worker_main;
            spec[i].arg = &b;
        }
    }
    ps_addr at, bound;
    ps_err err;
    ps_net_parse_addr("127.0.0.1:0", &at, &err);
    int lfd = ps_net_listen(&at, &bound, &err);
    int fds[2];
    if (lfd < 0 || pipe(fds))
        return -1;
    pid_t *pid = calloc((size_t)n_nodes, sizeof *pid);
    for (int r = 1; r < n_nodes; r++) {
        if ((pid[r] = fork()) == 0) {
            close(lfd);
            close(fds[0]);
            ps_real_params p = {.rank = r, .n_nodes = n_nodes, .coordinator = bound,
                                .listen_fd = -1, .timeout_s = 30};
            ps_backend *be;
            if (r == S + 1) {
                b.push_s = calloc((size_t)reps + 1, sizeof(double));
                b.pull_s = calloc((size_t)reps + 1, sizeof(double));
                b.rtt_s = calloc((size_t)trips + 1, sizeof(double));
            }
            int rc = ps_real_backend_create(&be, &p, NULL, NULL, &err);
            if (rc == PS_OK)
                rc = be->ops->launch(be, spec, n_nodes, &err);
            if (rc)
                fprintf(stderr, "bench node %d: %s\n", r, err.msg);
            if (r == S + 1) {
                ssize_t x = write(fds[1], b.push_s, (size_t)reps * sizeof(double));
                x += write(fds[1], b.pull_s, (size_t)reps * sizeof(double));
                x += write(fds[1], b.rtt_s, (size_t)trips * sizeof(double));
                (void)x;
            }
            _exit(rc ? 1 : 0);
        }
    }
    close(fds[1]);
    ps_real_params p = {.rank = 0, .n_nodes = n_nodes, .coordinator = bound, .listen_fd = lfd,
                        .timeout_s = 30};
    ps_backend *be;
    int rc = ps_real_backend_create(&be, &p, NULL, NULL, &err);
    if (rc == PS_OK) {
        rc = be->ops->launch(be, spec, n_nodes, &err);
        be->ops->destroy(be);
    }
    double *pu = calloc((size_t)reps, sizeof *pu), *pl = calloc((size_t)reps, sizeof *pl),
           *rt = calloc((size_t)trips, sizeof *rt);
    FILE *f = fdopen(fds[0], "rb");
    int ok = fread(pu, sizeof *pu, (size_t)reps, f) == (size_t)reps &&
             fread(pl, sizeof *pl, (size_t)reps, f) == (size_t)reps &&
             fread(rt, sizeof *rt, (size_t)trips, f) == (size_t)trips;
    fclose(f);
    for (int r = 1; r < n_nodes; r++) {
        int st;
        waitpid(pid[r], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            ok = 0;
    }
    *push = ps_bench_median(pu, reps);
    *pull = ps_bench_median(pl, reps);
    /* the first trips pay for connection set-up: skip a tenth */
    *rtt = ps_bench_median(rt + trips / 10, trips - trips / 10);
    free(pu);
    free(pl);
    free(rt);
    free(pid);
    free(spec);
    free(sargs);
    ps_config_free(&b.cfg);
    return rc == PS_OK && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    int reps = 7, trips = 20000, only = -1;
    bench_opts o = {.part_vals = 1u << 18};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--trips") && i + 1 < argc)
            trips = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--part") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || end == argv[i] || argv[i][0] == '-' || v > UINT32_MAX) {
                fprintf(stderr, "--part wants a count of values, not '%s'\n", argv[i]);
                return 2;
            }
            o.part_vals = (uint32_t)v;
        }
        else if (!strcmp(argv[i], "--case") && i + 1 < argc)
            only = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--reps N] [--trips N] [--case 0..3] [--part VALUES]\n"
                            "  --part: values per message of a dense push or pull (default %u;\n"
                            "          0 sends each as one message)\n", argv[0], o.part_vals);
            return 2;
        }
    }
    if (reps < 1 || reps > 15 || trips < 10) {
        fprintf(stderr, "--reps must be 1..15 and --trips at least 10\n");
        return 2;
    }
    if (o.part_vals && (10000000u + o.part_vals - 1) / o.part_vals > PS_BENCH_MAX_PARTS) {
        fprintf(stderr, "--part %u splits 10M values into more than %d messages\n", o.part_vals,
                PS_BENCH_MAX_PARTS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    double bw = raw_bandwidth(1u << 30, reps < 5 ? reps : 5), rtt = raw_rtt(trips);
    printf("raw loopback TCP, one stream:     %8.0f MB/s\n", bw / 1e6);
    printf("raw loopback TCP, 48-byte RTT:    %8.1f us\n", rtt * 1e6);
    int fail = 0;
    struct { int S, W; uint64_t n; } cases[] = {{1, 1, 1000000}, {1, 1, 10000000},
                                                {2, 4, 1000000}, {2, 4, 10000000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (only >= 0 && (size_t)only != i)
            continue;
        /* This VM's loopback varies by tens of percent from minute to minute, so
         * each case is set against raw figures taken just before it. */
        double case_bw = raw_bandwidth(512u << 20, 3), case_rtt = raw_rtt(trips / 4);
        double push, pull, krtt;
        int S = cases[i].S, W = cases[i].W;
        o.reps = reps;
        if (run_case(S, W, cases[i].n, &o, trips / (W > 1 ? 4 : 1), &push, &pull, &krtt)) {
            printf("%d worker(s) x %d server(s): FAILED\n", W, S);
            fail = 1;
            continue;
        }
        /* every worker moves n values at once: the rate is all workers' values */
        double bytes = 4.0 * (double)cases[i].n * W;
        printf("pslab %dw x %ds, %5.0fM values per worker: push %7.1f ms %6.0f MB/s (%3.0f%% of "
               "raw), pull %7.1f ms %6.0f MB/s (%3.0f%% of raw; raw just before: %.0f MB/s)\n",
               W, S, (double)cases[i].n / 1e6, push * 1e3, bytes / push / 1e6,
               100 * bytes / push / case_bw, pull * 1e3, bytes / pull / 1e6,
               100 * bytes / pull / case_bw, case_bw / 1e6);
        if (cases[i].n == 1000000)
            printf("pslab %dw x %ds, 1-key push-pull round trip: %6.1f us (%.2fx raw RTT of %.1f "
                   "us just before)\n", W, S, krtt * 1e6, krtt / case_rtt, case_rtt * 1e6);
    }
    return fail;
}
