/* The BSP gate as the server enforces it: scripted sequences of pushes, clocks and
 * pulls from three workers, checking which pulls wait, which are served, in what
 * order, with which values, and that held pushes are summed in worker order. */
#include <math.h>
#include <string.h>

#include "engine/ps/run.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/script_backend.h"

enum { N_WORKERS = 3, N_KEYS = 8 };

static ps_config cfg;
static ps_run run;
static script_state st;
static ps_backend be = {.ops = &script_ops, .impl = &st};

static void setup(void)
{
    ps_config_init_defaults(&cfg);
    cfg.iterations = 4;
    cfg.eval_every = 1;
    memset(&run, 0, sizeof run);
    run.cfg = &cfg;
    run.n_servers = 1;
    run.n_workers = N_WORKERS;
    run.consistency = ps_consistency_by_name("bsp");
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

static void send_pull(int w, int32_t clock, uint64_t key)
{
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PULL, 0, (uint32_t)worker_id(w), 0, clock, 1, 0, 0, NULL) == PS_OK);
    m.keys[0] = key;
    script_push_in(&st, m.buf, m.len);
}

/* A push of one delta on `key` for `clock`, closing the clock, with a pull of
 * `key` for clock+1 piggy-backed. */
static void send_push(int w, int32_t clock, uint64_t key, float delta, int pull_next)
{
    ps_msg_writer m;
    uint16_t flags = PS_MSG_F_CLOCK_END | (pull_next ? PS_MSG_F_PULL_NEXT : 0);
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PUSH, flags, (uint32_t)worker_id(w), 0, clock, 1, 1,
                                 pull_next ? 8 : 0, NULL) == PS_OK);
    m.keys[0] = key;
    m.vals[0] = delta;
    if (pull_next)
        memcpy(m.aux, &key, sizeof key);
    script_push_in(&st, m.buf, m.len);
}

/* A push of deltas for the n keys of worker w's pull of `clock`, naming them
 * (PS_MSG_F_KEYS_ASKED) instead of carrying them; next_key >= 0 is pulled for
 * clock+1. */
static void send_push_named(int w, int32_t clock, uint32_t n, float delta, int64_t next_key)
{
    ps_msg_writer m;
    uint16_t flags = PS_MSG_F_CLOCK_END | PS_MSG_F_KEYS_ASKED |
                     (next_key >= 0 ? PS_MSG_F_PULL_NEXT : 0);
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_PUSH, flags, (uint32_t)worker_id(w), 0, clock, n, 1,
                                 next_key >= 0 ? 8 : 0, NULL) == PS_OK);
    CU_ASSERT_PTR_NULL(m.keys);
    for (uint32_t i = 0; i < n; i++)
        m.vals[i] = delta;
    if (next_key >= 0) {
        uint64_t k = (uint64_t)next_key;
        memcpy(m.aux, &k, sizeof k);
    }
    script_push_in(&st, m.buf, m.len);
}

static void send_clock(int w, int32_t clock)
{
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_CLOCK, PS_MSG_F_CLOCK_END, (uint32_t)worker_id(w), 0,
                                 clock, 0, 0, 0, NULL) == PS_OK);
    script_push_in(&st, m.buf, m.len);
}

static void run_server(void)
{
    ps_actor_arg a = {.run = &run, .index = 0};
    ps_server_main(&be, &a);
    CU_ASSERT_EQUAL(run.failed, 0);
}

/* The i-th message the server sent, decoded. */
static ps_msg out(int i)
{
    ps_msg m;
    memset(&m, 0, sizeof m);
    CU_ASSERT_FATAL(i < st.n_out);
    CU_ASSERT_FATAL(ps_msg_decode(st.out[i].buf, st.out[i].len, &m, NULL) == PS_OK);
    return m;
}

static void expect_reply(int i, int w, int32_t clock, float value)
{
    ps_msg m = out(i);
    CU_ASSERT_EQUAL(m.type, PS_MSG_PULL_REPLY);
    CU_ASSERT_EQUAL(st.out[i].to, worker_id(w));
    CU_ASSERT_EQUAL(m.clock, clock);
    CU_ASSERT_EQUAL(m.nkeys, 1);
    if (m.nkeys == 1)
        CU_ASSERT_DOUBLE_EQUAL(m.vals[0], value, 1e-6);
}

static void expect_snapshot(int i, int32_t clock)
{
    ps_msg m = out(i);
    CU_ASSERT_EQUAL(m.type, PS_MSG_SNAPSHOT);
    CU_ASSERT_EQUAL(st.out[i].to, PS_COORDINATOR_ID);
    CU_ASSERT_EQUAL(m.clock, clock);
}

static void test_pull_clock0_served_at_once(void)
{
    send_pull(1, 0, 3);
    send_pull(0, 0, 3);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 3);
    expect_snapshot(0, 0);
    expect_reply(1, 1, 0, 0.0f);
    expect_reply(2, 0, 0, 0.0f);
}

/* Pulls for clock 1 wait until the last worker closes clock 0, then are served in
 * arrival order and see every clock-0 update. */
static void test_pull_waits_for_slowest(void)
{
    send_push(2, 0, 5, 1.0f, 1);
    send_push(0, 0, 5, 2.0f, 1);
    send_push(1, 0, 5, 4.0f, 0);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 4);
    expect_snapshot(0, 0);
    expect_snapshot(1, 1);
    expect_reply(2, 2, 1, 7.0f);
    expect_reply(3, 0, 1, 7.0f);
}

/* Until the slowest closes clock 0, nobody's clock-0 update is visible, not even
 * to the worker that pushed it. */
static void test_updates_held_until_clock_completes(void)
{
    send_push(0, 0, 2, 5.0f, 1);
    send_clock(1, 0);
    run_server(); /* worker 2 never closes clock 0 */
    CU_ASSERT_EQUAL(st.n_out, 1);
    expect_snapshot(0, 0);
}

/* Deltas chosen so that float addition order shows: worker order gives
 * (1 + 1e8) - 1e8 = 0 in float; the arrival order (-1e8 + 1e8) + 1 would give 1. */
static void test_updates_applied_in_worker_order(void)
{
    send_push(2, 0, 1, -1e8f, 0);
    send_push(1, 0, 1, 1e8f, 0);
    send_push(0, 0, 1, 1.0f, 1);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 3);
    expect_snapshot(1, 1);
    expect_reply(2, 0, 1, 0.0f);
}

/* A push for the wrong clock is refused and does not move the worker's clock. */
static void test_wrong_clock_dropped(void)
{
    send_push(0, 1, 1, 1.0f, 0);
    send_clock(0, 0);
    send_clock(1, 0);
    send_clock(2, 0);
    send_pull(0, 1, 1);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 3);
    expect_snapshot(1, 1);
    expect_reply(2, 0, 1, 0.0f);
}

/* Keys that are out of the table are refused. */
static void test_bad_key_dropped(void)
{
    send_pull(0, 0, N_KEYS + 10);
    send_pull(0, 0, 1);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 2);
    expect_reply(1, 0, 0, 0.0f);
}

/* Pushes that name the keys of their pull update those keys (key 3 here; a server
 * reading the missing keys section as a range would update key 0), also when held
 * for the clock's end, and the pull piggy-backed on them is kept in turn. */
static void test_push_names_pulled_keys(void)
{
    for (int w = 0; w < N_WORKERS; w++)
        send_pull(w, 0, 3);
    send_push_named(0, 0, 1, 1.0f, 3);
    send_push_named(1, 0, 1, 2.0f, 3);
    send_push_named(2, 0, 1, 4.0f, -1);
    send_push_named(0, 1, 1, 8.0f, -1); /* the keys of its clock-1 pull, key 3 again */
    send_clock(1, 1);
    send_clock(2, 1);
    send_pull(2, 2, 3);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 9);
    expect_snapshot(0, 0);
    for (int w = 0; w < N_WORKERS; w++)
        expect_reply(1 + w, w, 0, 0.0f);
    expect_snapshot(4, 1);
    expect_reply(5, 0, 1, 7.0f);
    expect_reply(6, 1, 1, 7.0f);
    expect_snapshot(7, 2);
    expect_reply(8, 2, 2, 15.0f);
}

/* A push naming pulled keys is dropped, its clock not closed, when no pull was
 * served to that worker, or one of another clock or another number of keys. */
static void test_push_naming_unknown_keys_dropped(void)
{
    send_push_named(0, 0, 1, 1.0f, -1); /* nothing pulled yet */
    send_pull(0, 0, 2);
    send_push_named(0, 0, 2, 1.0f, -1); /* pulled 1 key, names 2 */
    send_push_named(0, 0, 1, 5.0f, -1);
    send_clock(1, 0);
    send_clock(2, 0);
    send_push_named(0, 1, 1, 1.0f, -1); /* its clock-0 keys are used up, no pull of clock 1 */
    send_pull(0, 1, 2);
    run_server();
    CU_ASSERT_EQUAL(st.n_out, 4);
    expect_snapshot(0, 0);
    expect_reply(1, 0, 0, 0.0f);
    expect_snapshot(2, 1);
    expect_reply(3, 0, 1, 5.0f);
}

static CU_TestInfo tests[] = {
    {"pull at clock 0 is served at once", test_pull_clock0_served_at_once},
    {"pull waits for the slowest worker", test_pull_waits_for_slowest},
    {"updates held until their clock completes", test_updates_held_until_clock_completes},
    {"held updates applied in worker order", test_updates_applied_in_worker_order},
    {"push of a wrong clock is dropped", test_wrong_clock_dropped},
    {"out-of-range key is dropped", test_bad_key_dropped},
    {"pushes naming their pull's keys", test_push_names_pulled_keys},
    {"push naming keys never pulled is dropped", test_push_naming_unknown_keys_dropped},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"bsp_gate", NULL, NULL, setup, teardown, tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
