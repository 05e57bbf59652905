/* The consistency gates beyond BSP. First as pure functions over scripted clock
 * tables (SSP s=0 and s=2, ASP, WSP's choice of whom to wait for, reset), then
 * through a server actor driven message by message (tests/unit/script_backend.h):
 * which pulls wait, which are served, in what order, and with which values. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/ps/run.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/script_backend.h"

/* ---- pure gates ----------------------------------------------------------------- */

static int serve(const char *model, const ps_consistency_params *p, ps_clock_table *t, int w,
                 int32_t clock, double now)
{
    const ps_consistency_ops *ops = ps_consistency_by_name(model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    ps_gate_decision d = {0};
    if (ops->decide)
        d = ops->decide(p, t, w, clock, now);
    return ops->can_serve(p, t, w, clock, &d);
}

static void test_ssp_bound(void)
{
    int32_t done[3] = {4, 2, 3};
    ps_clock_table t = {.n_workers = 3, .done = done, .min_done = 2};
    ps_consistency_params s0 = {.staleness = 0}, s2 = {.staleness = 2};
    /* s = 0: exactly BSP's gate */
    CU_ASSERT_TRUE(serve("ssp", &s0, &t, 1, 2, 0));
    CU_ASSERT_FALSE(serve("ssp", &s0, &t, 2, 3, 0));
    CU_ASSERT_FALSE(serve("ssp", &s0, &t, 0, 4, 0));
    /* s = 2: up to two clocks ahead of the slowest */
    CU_ASSERT_TRUE(serve("ssp", &s2, &t, 2, 3, 0));
    CU_ASSERT_TRUE(serve("ssp", &s2, &t, 0, 4, 0));
    CU_ASSERT_FALSE(serve("ssp", &s2, &t, 0, 5, 0));
    CU_ASSERT_FALSE(ps_consistency_by_name("ssp")->defer_updates);
}

static void test_asp_never_waits(void)
{
    int32_t done[2] = {100, 0};
    ps_clock_table t = {.n_workers = 2, .done = done, .min_done = 0};
    ps_consistency_params p = {0};
    CU_ASSERT_TRUE(serve("asp", &p, &t, 0, 100, 0));
    CU_ASSERT_FALSE(ps_consistency_by_name("asp")->defer_updates);
}

/* Four workers; worker 0 pulls clock 5 at time 10 with an own iteration of 1 s.
 * Worker 1 (done 4) is predicted to finish at 10.2, worker 2 (done 4) at 13,
 * worker 3 is caught up. Staleness if waiting for nobody: 2 missing clocks / 4
 * workers = 0.5; waiting for worker 1: 0.2 + 1/4 = 0.45; for worker 2: 3 + 0. */
static double start[4] = {9, 9.7, 11, 9.5}, exec_[4] = {1, 0.5, 2, 0.5};
static int32_t wdone[4];
static ps_clock_table wsp_table(void)
{
    int32_t d[4] = {5, 4, 4, 5};
    memcpy(wdone, d, sizeof d);
    return (ps_clock_table){.n_workers = 4, .done = wdone, .min_done = 4, .start = start,
                            .exec = exec_};
}

static void test_wsp_waits_for_the_worker_about_to_finish(void)
{
    const ps_consistency_ops *wsp = ps_consistency_by_name("wsp");
    ps_consistency_params p = {.staleness = 3, .wsp_wait_weight = 1, .wsp_staleness_weight = 1};
    ps_clock_table t = wsp_table();
    /* in floating point 2/4 = 0.5; integer division would make it 0, never waiting */
    ps_gate_decision d = wsp->decide(&p, &t, 0, 5, 10.0);
    CU_ASSERT_DOUBLE_EQUAL(d.deadline, 10.2, 1e-12);
    CU_ASSERT_FALSE(wsp->can_serve(&p, &t, 0, 5, &d));
    /* worker 2 finishing first does not release it: worker 1 is still awaited */
    wdone[2] = 5;
    start[2] = 13;
    CU_ASSERT_FALSE(wsp->can_serve(&p, &t, 0, 5, &d));
    wdone[2] = 4;
    start[2] = 11;
    /* worker 1 finishes: served, without waiting for worker 2 */
    wdone[1] = 5;
    start[1] = 10.2;
    CU_ASSERT_TRUE(wsp->can_serve(&p, &t, 0, 5, &d));
    start[1] = 9.7;
}

static void test_wsp_weights(void)
{
    const ps_consistency_ops *wsp = ps_consistency_by_name("wsp");
    ps_clock_table t = wsp_table();
    /* waiting is dear: wait for nobody, served at once */
    ps_consistency_params dear = {.staleness = 3, .wsp_wait_weight = 10, .wsp_staleness_weight = 1};
    ps_gate_decision d = wsp->decide(&dear, &t, 0, 5, 10.0);
    CU_ASSERT_TRUE(isinf(d.deadline) && d.deadline < 0);
    CU_ASSERT_TRUE(wsp->can_serve(&dear, &t, 0, 5, &d));
    /* staleness is dear: wait for both (3 + 0 beats 0.2 + 0.25 * 20) */
    ps_consistency_params stale = {.staleness = 3, .wsp_wait_weight = 1, .wsp_staleness_weight = 20};
    d = wsp->decide(&stale, &t, 0, 5, 10.0);
    CU_ASSERT_DOUBLE_EQUAL(d.deadline, 13.0, 1e-12);
    wdone[1] = 5;
    start[1] = 10.2;
    CU_ASSERT_FALSE(wsp->can_serve(&stale, &t, 0, 5, &d));
    start[1] = 9.7;
    /* the staleness bound holds whatever the weights: 5 - 4 > 0 */
    ps_consistency_params bound = {.staleness = 0, .wsp_wait_weight = 10, .wsp_staleness_weight = 0};
    t = wsp_table();
    d = wsp->decide(&bound, &t, 0, 5, 10.0);
    CU_ASSERT_FALSE(wsp->can_serve(&bound, &t, 0, 5, &d));
}

/* A worker with no cycle measured yet costs no predicted wait: it is waited for.
 * One already past its predicted arrival is predicted on its next cycle after now,
 * so that a straggler does not cost nothing to wait for. */
static void test_wsp_unknown_and_overdue(void)
{
    const ps_consistency_ops *wsp = ps_consistency_by_name("wsp");
    ps_consistency_params p = {.staleness = 3, .wsp_wait_weight = 1, .wsp_staleness_weight = 1};
    ps_clock_table t = wsp_table();
    exec_[2] = -1; /* worker 2 never reported */
    ps_gate_decision d = wsp->decide(&p, &t, 0, 5, 10.0);
    CU_ASSERT_FALSE(wsp->can_serve(&p, &t, 0, 5, &d));
    wdone[1] = 5;
    start[1] = 10.2;
    CU_ASSERT_FALSE(wsp->can_serve(&p, &t, 0, 5, &d)); /* still worker 2 */
    exec_[2] = 2;
    start[1] = 9.7;
    t = wsp_table();
    /* both overdue at 20: worker 1 (every 0.5 s from 10.2) is next due at 20.2, worker
     * 2 (every 2 s from 13) at 21, a whole cycle of the puller's away: 0.2 + 1/4
     * beats 1 + 0 and 2/4, so the pull waits for worker 1 only */
    d = wsp->decide(&p, &t, 0, 5, 20.0);
    CU_ASSERT_DOUBLE_EQUAL(d.deadline, 20.2, 1e-9);
    CU_ASSERT_FALSE(wsp->can_serve(&p, &t, 0, 5, &d));
    wdone[1] = 5;
    CU_ASSERT_TRUE(wsp->can_serve(&p, &t, 0, 5, &d)); /* not waiting for worker 2 */
    wdone[1] = 4;
}

static void test_reset(void)
{
    ps_clock_table t;
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_clock_table_init(&t, 3, &err), PS_OK);
    t.done[1] = 5;
    ps_clock_table_arrival(&t, 1, 2.0);
    CU_ASSERT_TRUE(t.exec[1] < 0); /* one arrival: no cycle yet */
    ps_clock_table_arrival(&t, 1, 2.5);
    CU_ASSERT_DOUBLE_EQUAL(t.start[1], 2.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(t.exec[1], 0.5, 1e-12);
    for (const char *const *n = ps_consistency_names; *n; n++) {
        const ps_consistency_ops *ops = ps_consistency_by_name(*n);
        ps_consistency_params p = {.staleness = 1, .wsp_wait_weight = 1, .wsp_staleness_weight = 1};
        CU_ASSERT_EQUAL_FATAL(ops->reset(&p, &t, 5, 7, &err), PS_OK);
        CU_ASSERT_EQUAL(t.n_workers, 5);
        CU_ASSERT_EQUAL(t.min_done, 7);
        CU_ASSERT_EQUAL(t.done[4], 7);
        CU_ASSERT_TRUE(t.exec[1] < 0);
        CU_ASSERT_TRUE(serve(*n, &p, &t, 4, 7, 0));
        t.done[0] = 8;
        CU_ASSERT_EQUAL(serve(*n, &p, &t, 0, 9, 0), !strcmp(*n, "asp"));
    }
    CU_ASSERT_EQUAL(ps_clock_table_reset(&t, 0, 0, &err), PS_ERR);
    ps_clock_table_free(&t);
}

/* ---- through a server ----------------------------------------------------------- */

enum { N_WORKERS = 3, N_KEYS = 8 };

static ps_config cfg;
static ps_run run;
static script_state st;
static ps_backend be = {.ops = &script_ops, .impl = &st};

static void setup_model(const char *model, int staleness)
{
    ps_config_init_defaults(&cfg);
    cfg.iterations = 10;
    cfg.eval_every = 1;
    memset(&run, 0, sizeof run);
    run.cfg = &cfg;
    run.n_servers = 1;
    run.n_workers = N_WORKERS;
    run.consistency = ps_consistency_by_name(model);
    run.consistency_params = (ps_consistency_params){
        .staleness = staleness, .wsp_wait_weight = 1, .wsp_staleness_weight = 1};
    run.partitioner = ps_partitioner_by_name("range");
    ps_table_spec table = {.name = "t", .n_keys = N_KEYS, .vals_per_key = 1};
    CU_ASSERT_FATAL(ps_run_set_tables(&run, &table, 1, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_run_plan(&run, NULL) == PS_OK);
    run.store_ops = &ps_store_mem_ops;
    memset(&st, 0, sizeof st);
    st.self = ps_server_actor(0);
}

static void teardown(void)
{
    script_free(&st);
    free(run.evals);
    run.evals = NULL;
    ps_config_free(&cfg);
}

static int worker_id(int w) { return ps_worker_actor(&run, w); }

/* A push of `delta` on `key` closing `clock`, optionally pulling `key` for
 * clock+1, optionally with a timing trailer (start, exec). */
static void send_push(int w, int32_t clock, uint64_t key, float delta, int pull_next,
                      const double *timing)
{
    ps_msg_writer m;
    uint16_t flags = PS_MSG_F_CLOCK_END | (pull_next ? PS_MSG_F_PULL_NEXT : 0) |
                     (timing ? PS_MSG_F_TIMING : 0);
    uint32_t aux = (pull_next ? 8 : 0) + (timing ? PS_MSG_TIMING_LEN : 0);
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PUSH, flags, (uint32_t)worker_id(w), 0, clock, 1, 1,
                                 aux, NULL) == PS_OK);
    m.keys[0] = key;
    m.vals[0] = delta;
    if (pull_next)
        memcpy(m.aux, &key, sizeof key);
    if (timing)
        memcpy(m.aux + (pull_next ? 8 : 0), timing, PS_MSG_TIMING_LEN);
    script_push_in(&st, m.buf, m.len);
}

static void send_clock(int w, int32_t clock, const double *timing)
{
    ps_msg_writer m;
    uint16_t flags = PS_MSG_F_CLOCK_END | (timing ? PS_MSG_F_TIMING : 0);
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_CLOCK, flags, (uint32_t)worker_id(w), 0, clock, 0, 0,
                                 timing ? PS_MSG_TIMING_LEN : 0, NULL) == PS_OK);
    if (timing)
        memcpy(m.aux, timing, PS_MSG_TIMING_LEN);
    script_push_in(&st, m.buf, m.len);
}

static void send_pull(int w, int32_t clock, uint64_t key)
{
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PULL, 0, (uint32_t)worker_id(w), 0, clock, 1, 0, 0,
                                 NULL) == PS_OK);
    m.keys[0] = key;
    script_push_in(&st, m.buf, m.len);
}

static void run_server(void)
{
    ps_actor_arg a = {.run = &run, .index = 0};
    ps_server_main(&be, &a);
    CU_ASSERT_EQUAL(run.failed, 0);
}

/* The pull replies the server sent, in order, as (worker, clock, value). */
typedef struct reply {
    int worker;
    int32_t clock;
    float value;
} reply;

static int replies(reply *r, int max)
{
    int n = 0;
    for (int i = 0; i < st.n_out && n < max; i++) {
        ps_msg m;
        CU_ASSERT_FATAL(ps_msg_decode(st.out[i].buf, st.out[i].len, &m, NULL) == PS_OK);
        if (m.type != PS_MSG_PULL_REPLY)
            continue;
        r[n++] = (reply){st.out[i].to - worker_id(0), m.clock, m.nkeys ? m.vals[0] : NAN};
    }
    return n;
}

#define EXPECT_REPLY(r, w, c, v)                                                               \
    do {                                                                                       \
        CU_ASSERT_EQUAL((r).worker, (w));                                                      \
        CU_ASSERT_EQUAL((r).clock, (c));                                                       \
        CU_ASSERT_DOUBLE_EQUAL((r).value, (v), 1e-6);                                          \
    } while (0)

/* SSP s=0: the same waiting as BSP, but pushes apply at once. */
static void test_server_ssp0(void)
{
    setup_model("ssp", 0);
    send_push(0, 0, 5, 2.0f, 1, NULL);
    send_push(1, 0, 5, 4.0f, 1, NULL);
    send_pull(2, 0, 5); /* a clock-0 pull sees the updates already applied */
    send_push(2, 0, 5, 1.0f, 0, NULL);
    run_server();
    reply r[8];
    int n = replies(r, 8);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    EXPECT_REPLY(r[0], 2, 0, 6.0f);
    EXPECT_REPLY(r[1], 0, 1, 7.0f);
    EXPECT_REPLY(r[2], 1, 1, 7.0f);
}

/* SSP s=2: worker 0 runs two clocks ahead, seeing its own updates, then waits
 * for the others to finish clock 0. */
static void test_server_ssp2(void)
{
    setup_model("ssp", 2);
    send_push(0, 0, 5, 2.0f, 1, NULL); /* pull c1: 1-2 <= 0, served: 2 */
    send_push(0, 1, 5, 3.0f, 1, NULL); /* pull c2: served: 5 */
    send_push(0, 2, 5, 1.0f, 1, NULL); /* pull c3: needs min 1, held */
    send_push(1, 0, 5, 10.0f, 0, NULL);
    send_clock(2, 0, NULL);            /* min 1: c3 served with 16 */
    run_server();
    reply r[8];
    int n = replies(r, 8);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    EXPECT_REPLY(r[0], 0, 1, 2.0f);
    EXPECT_REPLY(r[1], 0, 2, 5.0f);
    EXPECT_REPLY(r[2], 0, 3, 16.0f);
    /* the reply for c3 came after the snapshot of clock 1 */
    ps_msg last;
    CU_ASSERT_FATAL(ps_msg_decode(st.out[st.n_out - 1].buf, st.out[st.n_out - 1].len, &last,
                                  NULL) == PS_OK);
    CU_ASSERT_EQUAL(last.type, PS_MSG_PULL_REPLY);
}

/* ASP: every pull served on arrival, whatever the others' clocks. */
static void test_server_asp(void)
{
    setup_model("asp", 0);
    for (int c = 0; c < 5; c++)
        send_push(0, c, 3, 1.0f, 1, NULL);
    run_server();
    reply r[8];
    int n = replies(r, 8);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    for (int c = 0; c < 5; c++)
        EXPECT_REPLY(r[c], 0, c + 1, (float)(c + 1));
}

/* WSP: worker 0 pulls clock 2 while workers 1 and 2 are at clock 1. Worker 1 is
 * overdue (predicted to finish at 4, now is 5), worker 2 due at 6. Waiting for
 * worker 1 costs nothing and halves the staleness: the pull waits for worker 1
 * only, and is released by worker 1's clock although the slowest (worker 2)
 * has not moved. Each scripted message arrives one simulated second later. */
static void test_server_wsp(void)
{
    setup_model("wsp", 5);
    /* the script's clock moves one second a message: each arrival is at its index */
    send_clock(0, 0, NULL);     /* 1 */
    send_clock(1, 0, NULL);     /* 2 */
    send_clock(2, 0, NULL);     /* 3 */
    send_clock(0, 1, NULL);     /* 4: worker 0 every 3 s */
    send_clock(1, 1, NULL);     /* 5: worker 1 every 3 s, next due at 8 */
    send_clock(2, 1, NULL);     /* 6: worker 2 every 3 s, next due at 9 */
    send_clock(0, 2, NULL);     /* 7 */
    /* 8: waiting for nobody costs 2/3 in staleness; for worker 1 (due now) 1/3; for
     * worker 2 a third of a cycle and no staleness, 1/3 too: the shorter wait wins */
    send_pull(0, 3, 1);
    send_clock(1, 2, NULL);     /* 9: released, without worker 2 */
    send_clock(2, 2, NULL);     /* 10 */
    run_server();
    reply r[8];
    int n = replies(r, 8);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    EXPECT_REPLY(r[0], 0, 3, 0.0f);
    /* held from 8 to 9 (waiting for everyone would hold it until 10) */
    double held = -1;
    for (int i = 0; i < st.n_out; i++) {
        ps_msg m;
        CU_ASSERT_FATAL(ps_msg_decode(st.out[i].buf, st.out[i].len, &m, NULL) == PS_OK);
        if (m.type == PS_MSG_PULL_REPLY && m.aux_len == sizeof held)
            memcpy(&held, m.aux, sizeof held);
    }
    CU_ASSERT_DOUBLE_EQUAL(held, 1.0, 1e-9);
}

/* BSP defers pushes: a clock's push split into parts is applied whole, and a
 * push of the next clock sent ahead stays invisible until that clock completes. */
static void test_server_bsp_parts_and_ahead(void)
{
    setup_model("bsp", 0);
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PUSH, 0, (uint32_t)worker_id(0), 0, 0, 1, 1, 0,
                                 NULL) == PS_OK);
    m.keys[0] = 5;
    m.vals[0] = 2.0f; /* first part of worker 0's clock 0, no clock end */
    script_push_in(&st, m.buf, m.len);
    send_push(0, 0, 5, 3.0f, 1, NULL);
    send_push(0, 1, 5, 100.0f, 0, NULL); /* ahead: clock 1 while the others are at 0 */
    send_push(1, 0, 5, 4.0f, 1, NULL);
    send_push(2, 0, 5, 1.0f, 1, NULL);
    run_server();
    reply r[8];
    int n = replies(r, 8);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_DOUBLE_EQUAL(r[i].value, 10.0f, 1e-6);
}

/* A part of worker w's push of `clock` that does not close the clock. */
static void send_part(int w, int32_t clock, uint64_t key, float delta)
{
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PUSH, 0, (uint32_t)worker_id(w), 0, clock, 1, 1, 0,
                                 NULL) == PS_OK);
    m.keys[0] = key;
    m.vals[0] = delta;
    script_push_in(&st, m.buf, m.len);
}

/* The last worker of a clock may have its parts applied as they arrive, but only
 * when that keeps worker order: 1e8 - 1e8 + 1 is 1 in float, while adding worker
 * 2's 1 first would give 0 (1e8 + 1 rounds to 1e8). Worker 0 arriving last takes
 * the early path and must still come first. */
static void test_server_bsp_last_worker_parts(void)
{
    setup_model("bsp", 0);
    send_push(0, 0, 5, 1e8f, 0, NULL);
    send_push(1, 0, 5, -1e8f, 0, NULL);
    send_part(2, 0, 5, 0.5f);
    send_push(2, 0, 5, 0.5f, 1, NULL);
    send_pull(0, 1, 5);
    send_part(1, 1, 5, -1e8f); /* clock 1: worker 0 last */
    send_push(1, 1, 5, 0.0f, 0, NULL);
    send_push(2, 1, 5, 1.0f, 0, NULL);
    send_part(0, 1, 5, 5e7f);
    send_push(0, 1, 5, 5e7f, 1, NULL);
    run_server();
    reply r[4];
    CU_ASSERT_EQUAL_FATAL(replies(r, 4), 3);
    EXPECT_REPLY(r[0], 2, 1, 1.0f);
    EXPECT_REPLY(r[1], 0, 1, 1.0f);
    EXPECT_REPLY(r[2], 0, 2, 1.0f);
}

/* A timing flag without its trailer is refused, and the clock does not move. */
static void test_server_bad_timing(void)
{
    setup_model("wsp", 5);
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_CLOCK, PS_MSG_F_CLOCK_END | PS_MSG_F_TIMING,
                                 (uint32_t)worker_id(0), 0, 0, 0, 0, 8, NULL) == PS_OK);
    script_push_in(&st, m.buf, m.len);
    send_clock(1, 0, NULL);
    send_clock(2, 0, NULL);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 1); /* only the initial snapshot: worker 0 never closed 0 */
}

static CU_TestInfo pure_tests[] = {
    {"ssp bound s=0 and s=2", test_ssp_bound},
    {"asp never waits", test_asp_never_waits},
    {"wsp waits for the worker about to finish", test_wsp_waits_for_the_worker_about_to_finish},
    {"wsp weights and staleness bound", test_wsp_weights},
    {"wsp unknown and overdue workers", test_wsp_unknown_and_overdue},
    {"reset to a new worker set", test_reset},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo server_tests[] = {
    {"ssp s=0 through a server", test_server_ssp0},
    {"ssp s=2 through a server", test_server_ssp2},
    {"asp through a server", test_server_asp},
    {"wsp through a server", test_server_wsp},
    {"timing flag without trailer", test_server_bad_timing},
    {"bsp: split push and a push ahead", test_server_bsp_parts_and_ahead},
    {"bsp: the last worker's parts keep worker order", test_server_bsp_last_worker_parts},
    CU_TEST_INFO_NULL,
};

static void noop(void) {}

static CU_SuiteInfo suites[] = {
    {"gates", NULL, NULL, noop, noop, pure_tests},
    {"gates_server", NULL, NULL, noop, teardown, server_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
