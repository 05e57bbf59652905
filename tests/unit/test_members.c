/* A stage's worker set (engine/ps/members.c) and the scheduler's grants decoded
 * against the run's plan (ps_grant_decode): every malformed or out-of-plan grant is
 * refused with what is wrong. */
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "engine/ps/members.h"
#include "engine/ps/msg.h"
#include "engine/ps/run.h"

/* A plan of two stages (10 then 5 iterations) for 4 workers. */
static void plan(ps_run *r)
{
    memset(r, 0, sizeof *r);
    r->n_workers = 4;
    r->n_stages = 2;
    r->stages[0] = (ps_stage){.number = 1, .workers = 4, .batch = 10, .iterations = 10};
    r->stages[1] = (ps_stage){.number = 2, .workers = 2, .batch = 10, .iterations = 5,
                              .clock_base = 10};
}

/* Decodes a message of `type` for stage k with aux u32 words; returns the result. */
static int decode(const ps_run *r, uint8_t type, int k, const uint32_t *aux, uint32_t n,
                  ps_grant *g, ps_err *err)
{
    ps_msg_writer w;
    ps_msg m;
    CU_ASSERT_FATAL(ps_msg_build(&w, type, 0, 0, 0, k, 0, 0, n * 4, err) == PS_OK);
    if (n)
        memcpy(w.aux, aux, n * 4);
    CU_ASSERT_FATAL(ps_msg_decode(w.buf, w.len, &m, err) == PS_OK);
    int rc = ps_grant_decode(r, &m, g, err);
    if (rc == PS_OK) /* the list points into the buffer: read it before freeing */
        CU_ASSERT_EQUAL(ps_grant_worker(g, g->n - 1), aux[n - 1]);
    free(w.buf);
    return rc;
}

static void test_grant_decode(void)
{
    ps_run r;
    ps_grant g;
    ps_err err;
    plan(&r);
    uint32_t ok[] = {0, 10, 5, 0, 2};
    CU_ASSERT_EQUAL(decode(&r, PS_MSG_GRANT, 0, ok, 5, &g, &err), PS_OK);
    CU_ASSERT(g.stage == 0 && g.first == 0 && g.iterations == 10 && g.batch == 5 && g.n == 2);
    uint32_t probe[] = {5, 5, 20, 1};
    CU_ASSERT_EQUAL(decode(&r, PS_MSG_GRANT, 0, probe, 4, &g, &err), PS_OK);
    CU_ASSERT(g.first == 5 && g.iterations == 5 && g.n == 1);
    struct { int k; uint32_t aux[8], n; const char *why; } bad[] = {
        {2, {0, 5, 5, 0}, 4, "stage 3"},                    /* no such stage */
        {-1, {0, 5, 5, 0}, 4, "stage 0"},
        {1, {0, 6, 5, 0}, 4, "iterations 0.. of 6"},        /* past the stage's 5 */
        {1, {4, 2, 5, 0}, 4, "iterations 4.. of 2"},
        {0, {0, 0, 5, 0}, 4, "of 0"},                       /* no iterations */
        {0, {0, 10, 0, 0}, 4, "batch 0"},
        {0, {0, 10, 5, 0, 1, 2, 3, 0}, 8, "5 workers"},     /* more than the task's 4 */
        {0, {0, 10, 5}, 3, "not a grant"},                  /* no workers at all */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(decode(&r, PS_MSG_GRANT, bad[i].k, bad[i].aux, bad[i].n, &g, &err),
                        PS_ERR);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].why));
    }
    CU_ASSERT_EQUAL(decode(&r, PS_MSG_STAGE_END, 0, ok, 5, &g, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stage_end message"));
}

static void test_members(void)
{
    ps_members m;
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_members_init(&m, 4, &err), PS_OK);
    ps_members_prefix(&m, 2);
    CU_ASSERT(m.n == 2 && ps_members_rank(&m, 1) == 1 && ps_members_rank(&m, 2) == -1);
    uint32_t list[] = {1, 3};
    CU_ASSERT_EQUAL(ps_members_set(&m, (const uint8_t *)list, sizeof list, 2, &err), PS_OK);
    CU_ASSERT(m.n == 2 && m.member[1] == 3 && ps_members_rank(&m, 3) == 1);
    CU_ASSERT(ps_members_rank(&m, 0) == -1 && ps_members_rank(&m, 4) == -1);
    uint32_t down[] = {3, 1}, out[] = {1, 4};
    CU_ASSERT_EQUAL(ps_members_set(&m, (const uint8_t *)down, sizeof down, 2, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "must ascend"));
    CU_ASSERT(m.n == 0 && ps_members_rank(&m, 3) == -1); /* cleared, not half set */
    CU_ASSERT_EQUAL(ps_members_set(&m, (const uint8_t *)out, sizeof out, 2, &err), PS_ERR);
    CU_ASSERT_EQUAL(ps_members_set(&m, (const uint8_t *)list, sizeof list, 3, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 workers"));
    ps_members_free(&m);
}

static CU_TestInfo tests[] = {
    {"grants decoded against the plan", test_grant_decode},
    {"worker sets and ranks", test_members},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"members", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
