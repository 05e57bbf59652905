/* The SimGrid backend: message delivery (exact bytes, FIFO per pair, many-to-one,
 * bursts past the postman threshold), timeouts, compute/disk/sleep time, host
 * mapping in natural order, argument handling and errors. SimGrid runs once per
 * process, so the suite's init runs one simulation whose actors record what they
 * observe; the tests check the records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/backend.h"
#include "sim/backend_sim.h"
#include "tests/unit/cu_main.h"

/* Hosts declared out of natural order; natural order h1 h2 h3 h10 gives speeds
 * 1, 2, 4, 8 Gf, so node k computes 1 Gflop in 1/2^(k%4) s. */
static const char platform_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
    "<platform version=\"4.1\">\n"
    "  <zone id=\"z\" routing=\"Cluster\">\n"
    "    <host id=\"h10\" speed=\"8Gf\"><disk id=\"d10\" read_bw=\"200MBps\" write_bw=\"100MBps\"/></host>\n"
    "    <host id=\"h3\" speed=\"4Gf\"><disk id=\"d3\" read_bw=\"200MBps\" write_bw=\"100MBps\"/></host>\n"
    "    <host id=\"h1\" speed=\"1Gf\"><disk id=\"d1\" read_bw=\"200MBps\" write_bw=\"100MBps\"/></host>\n"
    "    <host id=\"h2\" speed=\"2Gf\"/>\n"
    "    <link id=\"l10\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n"
    "    <link id=\"l3\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n"
    "    <link id=\"l1\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n"
    "    <link id=\"l2\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n"
    "    <host_link id=\"h10\" up=\"l10_UP\" down=\"l10_DOWN\"/>\n"
    "    <host_link id=\"h3\" up=\"l3_UP\" down=\"l3_DOWN\"/>\n"
    "    <host_link id=\"h1\" up=\"l1_UP\" down=\"l1_DOWN\"/>\n"
    "    <host_link id=\"h2\" up=\"l2_UP\" down=\"l2_DOWN\"/>\n"
    "    <backbone id=\"bb\" bandwidth=\"1.25GBps\" latency=\"50us\"/>\n"
    "  </zone>\n"
    "</platform>\n";

#define ROUTE_LATENCY 150e-6 /* two private links and the backbone */
#define FANIN 20             /* many-to-one senders ... */
#define FANIN_MSGS 10        /* ... each sending this many */
#define BURST 700            /* one sender's burst: past the direct and postman quotas */
#define MAPPED 4             /* actors that only time 1 Gflop, on nodes 4..7 */

enum {
    A_PING, A_PONG, A_TIMER, A_WORK, A_SINK, A_BURST, A_BAD, A_WRITER, A_MAPPED0,
    A_FANIN0 = A_MAPPED0 + MAPPED,
    N_ACTORS = A_FANIN0 + FANIN
};

static const char ping_bytes[] = "ping \x00\x01\xff payload";
static const char pong_bytes[] = "pong, a longer answer than the question";

static struct {
    char path[64];
    int create_rc, launch_rc, argc_after, host_count;
    char argv1_after[32];
    ps_err err;
    /* ping-pong */
    int ping_rc, pong_rc, ping_ok, pong_ok, same_pointer;
    void *ping_buf;
    double ping_sent, pong_got, ping_got;
    /* timeouts */
    int t1_rc, t2_rc, t3_rc, t2_ok;
    double t1_at, t2_at, t3_at, t2_sent;
    /* compute, disk, sleep */
    double c0, c1, r0, r1, w0, w1, s0, s1;
    double mapped_took[MAPPED];
    /* many-to-one and burst */
    int sink_count, sink_bad, sink_order_bad, burst_count, burst_bad;
    /* errors and ids */
    int bad_send_rc, null_send_rc, self_ok, self_send_ok;
    double nodisk_took;
    ps_err bad_send_err;
    /* write-behind */
    double wb_small, wb_over, wb_read;
} R;

static ps_actor_spec specs[N_ACTORS];

static void *dup_bytes(const void *p, size_t n)
{
    void *b = malloc(n);
    if (b)
        memcpy(b, p, n);
    return b;
}

static void ping_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err;
    R.ping_sent = ps_now(be);
    R.ping_buf = dup_bytes(ping_bytes, sizeof ping_bytes);
    ps_send(be, A_PONG, R.ping_buf, sizeof ping_bytes, &err);
    void *buf;
    size_t len;
    R.ping_rc = ps_recv(be, PS_FOREVER, &buf, &len, &err);
    R.ping_got = ps_now(be);
    R.ping_ok = R.ping_rc == PS_OK && len == sizeof pong_bytes && memcmp(buf, pong_bytes, len) == 0;
    free(buf);
}

static void pong_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err;
    void *buf;
    size_t len;
    R.pong_rc = ps_recv(be, PS_FOREVER, &buf, &len, &err);
    R.pong_got = ps_now(be);
    R.pong_ok = R.pong_rc == PS_OK && len == sizeof ping_bytes && memcmp(buf, ping_bytes, len) == 0;
    R.same_pointer = buf == R.ping_buf; /* ownership passed, no copy */
    free(buf);
    ps_send(be, A_PING, dup_bytes(pong_bytes, sizeof pong_bytes), sizeof pong_bytes, &err);
}

/* Times out at 0.5; then gets the message A_WORK sends at 1.0; then times out at
 * once and ends with a receive pending, into which A_WORK's late message lands. */
static void timer_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err;
    void *buf = NULL;
    size_t len;
    R.t1_rc = ps_recv(be, 0.5, &buf, &len, &err);
    R.t1_at = ps_now(be);
    R.t2_rc = ps_recv(be, 2.0, &buf, &len, &err);
    R.t2_at = ps_now(be);
    R.t2_ok = R.t2_rc == PS_OK && len == 5 && memcmp(buf, "wake", 5) == 0;
    free(buf);
    R.t3_rc = ps_recv(be, 0.0, &buf, &len, &err);
    R.t3_at = ps_now(be);
}

static void work_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err;
    R.c0 = ps_now(be);
    ps_compute(be, 1e9);
    R.c1 = ps_now(be);
    R.t2_sent = ps_now(be);
    ps_send(be, A_TIMER, dup_bytes("wake", 5), 5, &err);
    R.r0 = ps_now(be);
    ps_disk(be, 200000000, 0);
    R.r1 = R.w0 = ps_now(be);
    ps_disk(be, 100000000, 1);
    R.w1 = R.s0 = ps_now(be);
    ps_sleep(be, 0.25);
    R.s1 = ps_now(be);
    ps_sleep(be, 10.0);
    ps_send(be, A_TIMER, dup_bytes("late", 5), 5, &err);
    /* Never received by anyone: freed by the backend after the run. */
    ps_send(be, A_PING, dup_bytes("orphan", 7), 7, &err);
}

/* Messages are {sender, seq}; each sender's must arrive in order. */
static int next_seq[N_ACTORS];

static void sink_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err;
    for (int i = 0; i < FANIN * FANIN_MSGS + BURST; i++) {
        void *buf;
        size_t len;
        if (ps_recv(be, PS_FOREVER, &buf, &len, &err) != PS_OK || len != 2 * sizeof(int)) {
            R.sink_bad++;
            free(buf);
            continue;
        }
        int m[2];
        memcpy(m, buf, sizeof m);
        free(buf);
        if (m[0] < 0 || m[0] >= N_ACTORS || m[1] != next_seq[m[0]]) {
            R.sink_order_bad++;
            continue;
        }
        next_seq[m[0]]++;
        if (m[0] == A_BURST)
            R.burst_count++;
        else
            R.sink_count++;
    }
}

static void send_seq(ps_backend *be, int to, int seq)
{
    ps_err err;
    int m[2] = {ps_self(be), seq};
    if (ps_send(be, to, dup_bytes(m, sizeof m), sizeof m, &err) != PS_OK)
        R.burst_bad++;
}

static void fanin_main(ps_backend *be, void *arg)
{
    (void)arg;
    for (int k = 0; k < FANIN_MSGS; k++) {
        send_seq(be, A_SINK, k);
        ps_sleep(be, 0.001 * (ps_self(be) % 3));
    }
}

/* Two bursts with a pause: the first postman retires, a second one takes over. */
static void burst_main(ps_backend *be, void *arg)
{
    (void)arg;
    for (int k = 0; k < BURST; k++) {
        if (k == BURST / 2)
            ps_sleep(be, 0.01);
        send_seq(be, A_SINK, k);
    }
}

static void bad_main(ps_backend *be, void *arg)
{
    (void)arg;
    ps_err err = {{0}};
    R.self_ok = ps_self(be) == A_BAD;
    R.bad_send_rc = ps_send(be, N_ACTORS, dup_bytes("x", 1), 1, &err); /* freed by the backend */
    R.bad_send_err = err;
    R.null_send_rc = ps_send(be, A_SINK, NULL, 0, &err);
    void *buf;
    size_t len;
    ps_send(be, A_BAD, dup_bytes("me", 3), 3, &err);
    R.self_send_ok = ps_recv(be, PS_FOREVER, &buf, &len, &err) == PS_OK && len == 3 && !strcmp(buf, "me");
    free(buf);
    double t = ps_now(be);
    ps_disk(be, 1000000, 0); /* node 1 is h2, which has no disk */
    R.nodisk_took = ps_now(be) - t;
}

/* Write-behind of 40 MB (ps_sim_set_write_behind) on h10, 100 MB/s: writes within
 * it are free, the disk writes them back meanwhile, and past it the writer waits
 * until half is left; reads wait for their own time. */
static void writer_main(ps_backend *be, void *arg)
{
    (void)arg;
    double t = ps_now(be);
    ps_disk(be, 10000000, 1);
    R.wb_small = ps_now(be) - t;
    ps_sleep(be, 0.05); /* 5 MB written back: 5 MB left */
    t = ps_now(be);
    ps_disk(be, 50000000, 1); /* 55 MB dirty: waits for 35 MB */
    R.wb_over = ps_now(be) - t;
    t = ps_now(be);
    ps_disk(be, 20000000, 0);
    R.wb_read = ps_now(be) - t;
}

/* Starts once every other actor is done computing, so it has its host's core alone. */
static void mapped_main(ps_backend *be, void *arg)
{
    int k = (int)(intptr_t)arg;
    ps_sleep(be, 20.0);
    double t = ps_now(be);
    ps_compute(be, 1e9);
    R.mapped_took[k] = ps_now(be) - t;
}

static void add(int id, int node, const char *name, ps_actor_main main, void *arg)
{
    specs[id] = (ps_actor_spec){id, node, name, main, arg};
}

static int run_simulation(void)
{
    snprintf(R.path, sizeof R.path, "/tmp/pslab-test-sim-%ld.xml", (long)getpid());
    FILE *f = fopen(R.path, "w");
    if (!f || fputs(platform_xml, f) == EOF || fclose(f) != 0)
        return 1;
    char a0[] = "test_sim_backend", a1[] = "--cfg=network/model:LV08", a2[] = "extra";
    char *argv[] = {a0, a1, a2, NULL};
    int argc = 3;
    ps_backend *be = NULL;
    R.create_rc = ps_sim_backend_create(&be, R.path, &argc, argv, &R.err);
    if (R.create_rc != PS_OK)
        return 0; /* the tests report it */
    R.argc_after = argc;
    snprintf(R.argv1_after, sizeof R.argv1_after, "%s", argc > 1 ? argv[1] : "");
    R.host_count = ps_sim_host_count(be);
    /* Ids and spec order differ on purpose: the table need not be sorted. */
    for (int k = 0; k < FANIN; k++)
        add(A_FANIN0 + k, k, "fanin", fanin_main, NULL);
    add(A_PING, 0, "ping", ping_main, NULL);
    add(A_PONG, 1, "pong", pong_main, NULL);
    add(A_TIMER, 2, "timer", timer_main, NULL);
    add(A_WORK, 0, "work", work_main, NULL);
    add(A_SINK, 3, "sink", sink_main, NULL);
    add(A_BURST, 2, "burst", burst_main, NULL);
    add(A_BAD, 1, "bad", bad_main, NULL);
    add(A_WRITER, 3, "writer", writer_main, NULL);
    if (ps_sim_set_write_behind(be, 40e6, &R.err))
        return 0;
    for (int k = 0; k < MAPPED; k++)
        add(A_MAPPED0 + k, 4 + k, NULL, mapped_main, (void *)(intptr_t)k);
    R.launch_rc = be->ops->launch(be, specs, N_ACTORS, &R.err);
    be->ops->destroy(be);
    return 0;
}

static int suite_init(void) { return run_simulation(); }

static int suite_clean(void)
{
    remove(R.path);
    return 0;
}

static void test_created_and_ran(void)
{
    if (R.create_rc != PS_OK || R.launch_rc != PS_OK)
        fprintf(stderr, "\n  backend error: %s\n", R.err.msg);
    CU_ASSERT_EQUAL_FATAL(R.create_rc, PS_OK);
    CU_ASSERT_EQUAL(R.launch_rc, PS_OK);
    CU_ASSERT_EQUAL(R.host_count, 4);
}

static void test_simgrid_args_consumed(void)
{
    CU_ASSERT_EQUAL(R.argc_after, 2);
    CU_ASSERT_STRING_EQUAL(R.argv1_after, "extra");
}

static void test_ping_pong_exact_bytes_and_latency(void)
{
    CU_ASSERT_EQUAL(R.ping_rc, PS_OK);
    CU_ASSERT_EQUAL(R.pong_rc, PS_OK);
    CU_ASSERT(R.pong_ok);
    CU_ASSERT(R.same_pointer);
    CU_ASSERT(R.ping_ok);
    CU_ASSERT(R.pong_got - R.ping_sent >= ROUTE_LATENCY);
    CU_ASSERT(R.ping_got - R.pong_got >= ROUTE_LATENCY);
    CU_ASSERT(R.ping_got - R.ping_sent < 0.1);
}

static void test_timeouts(void)
{
    CU_ASSERT_EQUAL(R.t1_rc, PS_TIMEOUT);
    CU_ASSERT_DOUBLE_EQUAL(R.t1_at, 0.5, 1e-9);
    /* The receive left pending by the timeout still gets the next message. */
    CU_ASSERT_EQUAL(R.t2_rc, PS_OK);
    CU_ASSERT(R.t2_ok);
    CU_ASSERT(R.t2_at >= R.t2_sent + ROUTE_LATENCY && R.t2_at < R.t2_sent + 0.1);
    CU_ASSERT_EQUAL(R.t3_rc, PS_TIMEOUT);
    CU_ASSERT_DOUBLE_EQUAL(R.t3_at, R.t2_at, 1e-12);
}

static void test_compute_disk_sleep_time(void)
{
    CU_ASSERT_DOUBLE_EQUAL(R.c1 - R.c0, 1.0, 1e-6); /* 1 Gflop on the 1 Gf host */
    CU_ASSERT_DOUBLE_EQUAL(R.r1 - R.r0, 1.0, 1e-3); /* 200 MB at 200 MB/s */
    CU_ASSERT_DOUBLE_EQUAL(R.w1 - R.w0, 0.8, 1e-3); /* 100 MB: waits for 80 MB at 100 MB/s */
    CU_ASSERT_DOUBLE_EQUAL(R.s1 - R.s0, 0.25, 1e-9);
}

static void test_write_behind(void)
{
    CU_ASSERT_EQUAL(R.wb_small, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(R.wb_over, 0.35, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(R.wb_read, 0.1, 1e-3); /* 20 MB at 200 MB/s */
}

static void test_host_mapping_natural_order(void)
{
    /* Nodes 4..7 map to hosts 0..3 (node % 4) in natural order: 1, 2, 4, 8 Gf. */
    for (int k = 0; k < MAPPED; k++)
        CU_ASSERT_DOUBLE_EQUAL(R.mapped_took[k], 1.0 / (1 << k), 1e-6);
}

static void test_many_to_one_all_arrive_in_order(void)
{
    CU_ASSERT_EQUAL(R.sink_bad, 0);
    CU_ASSERT_EQUAL(R.sink_order_bad, 0);
    CU_ASSERT_EQUAL(R.sink_count, FANIN * FANIN_MSGS);
}

static void test_burst_past_postman_quota_in_order(void)
{
    CU_ASSERT_EQUAL(R.burst_bad, 0);
    CU_ASSERT_EQUAL(R.burst_count, BURST);
}

static void test_errors_and_self(void)
{
    CU_ASSERT(R.self_ok);
    CU_ASSERT_EQUAL(R.bad_send_rc, PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(R.bad_send_err.msg, "actors are 0.."));
    CU_ASSERT_EQUAL(R.null_send_rc, PS_ERR);
    CU_ASSERT(R.self_send_ok);
    CU_ASSERT_EQUAL(R.nodisk_took, 0.0);
}

static void test_second_create_refused(void)
{
    ps_backend *be = (ps_backend *)1;
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_sim_backend_create(&be, R.path, NULL, NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NULL(be);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "once per process"));
}

static void test_parallel_contexts_refused(void)
{
    /* Checked before anything else, so this holds after the run too. */
    char a0[] = "t", a1[] = "--cfg=contexts/nthreads:2";
    char *argv[] = {a0, a1, NULL};
    int argc = 2;
    ps_backend *be = NULL;
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_sim_backend_create(&be, R.path, &argc, argv, &err), PS_ERR);
    CU_ASSERT_PTR_NULL(be);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "one thread"));
}

static CU_TestInfo sim_tests[] = {
    {"backend created, run completed", test_created_and_ran},
    {"SimGrid's arguments are consumed", test_simgrid_args_consumed},
    {"ping-pong: exact bytes, at least the latency", test_ping_pong_exact_bytes_and_latency},
    {"recv timeouts at the right time, no loss", test_timeouts},
    {"compute, disk and sleep advance the clock", test_compute_disk_sleep_time},
    {"writes behind a bounded page cache", test_write_behind},
    {"hosts mapped in natural order", test_host_mapping_natural_order},
    {"many-to-one: all arrive, FIFO per sender", test_many_to_one_all_arrive_in_order},
    {"a burst past the postman quota stays in order", test_burst_past_postman_quota_in_order},
    {"bad destination, NULL buffer; self, self-send, no disk", test_errors_and_self},
    {"SimGrid initialised once per process", test_second_create_refused},
    {"parallel contexts refused", test_parallel_contexts_refused},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim backend", suite_init, suite_clean, NULL, NULL, sim_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
