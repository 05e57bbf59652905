/* The coordinator's reading of workers' DONE messages: a worker that stopped
 * because a node died (PS_DONE_LOST) fails the run with that node named and no
 * summary, even when the coordinator's own node has not yet seen the death; a
 * worker that merely stopped short is counted in summary.txt's failed_workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "engine/ps/run.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/script_backend.h"

enum { N_WORKERS = 2 };

typedef struct coord_case {
    char dir[64];
    ps_config cfg;
    ps_run run;
    script_state st;
    ps_backend be;
} coord_case;

static void case_init(coord_case *t)
{
    const char *set[] = {"cluster.workers=2", "run.iterations=4", "run.eval_every=2"};
    ps_err err = {0};
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/pslab-coord-done.XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(t->dir) != NULL);
    int rc = ps_config_load(&t->cfg, "tests/expected/golden8.ini", set, 3, &err);
    if (rc == PS_OK)
        rc = ps_run_init(&t->run, &t->cfg, t->dir, &err);
    if (rc)
        fprintf(stderr, "case_init: %s\n", err.msg);
    CU_ASSERT_FATAL(rc == PS_OK);
    t->be = (ps_backend){.ops = &script_ops, .impl = &t->st};
    t->st.self = PS_COORDINATOR_ID;
}

/* Worker w's DONE after `iterations` of the run's one stage; why is its table. */
static void push_done(coord_case *t, int w, uint32_t why, int32_t clock, double iterations)
{
    ps_run *r = &t->run;
    ps_worker_stats st[4];
    CU_ASSERT_FATAL(r->n_stages == 1 && r->cache_policy == NULL);
    memset(st, 0, sizeof st);
    st[0] = (ps_worker_stats){.iterations = iterations, .end_time_s = 1.0, .member = 1};
    ps_msg_writer m;
    CU_ASSERT_FATAL(ps_msg_build(&m, PS_MSG_DONE, 0, (uint32_t)ps_worker_actor(r, w), why, clock,
                                 0, 0, sizeof st[0], NULL) == PS_OK);
    memcpy(m.aux, st, sizeof st[0]);
    script_push_in(&t->st, m.buf, m.len);
}

static int file_exists(const coord_case *t, const char *name)
{
    char path[128];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    return stat(path, &sb) == 0;
}

static int sent_of_type(const coord_case *t, int type)
{
    int n = 0;
    for (int i = 0; i < t->st.n_out; i++) {
        ps_msg m;
        ps_err err;
        if (ps_msg_decode(t->st.out[i].buf, t->st.out[i].len, &m, &err) == PS_OK &&
            m.type == type)
            n++;
    }
    return n;
}

static void case_run(coord_case *t)
{
    ps_actor_arg arg = {.run = &t->run, .index = 0};
    t->run.be = &t->be;
    ps_coordinator_main(&t->be, &arg);
}

static void case_free(coord_case *t)
{
    const char *names[] = {"metrics.csv", "summary.txt", "workers.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", t->dir, names[i]);
        unlink(path);
    }
    rmdir(t->dir);
    script_free(&t->st);
    ps_run_free(&t->run);
    ps_config_free(&t->cfg);
}

/* Worker 0 lost node 1 (a server) after one iteration; worker 1 stopped short
 * with it: the run fails on the loss, writes no summary, and stops the rest. */
static void test_lost_node_fails_the_run(void)
{
    coord_case t;
    case_init(&t);
    push_done(&t, 0, PS_DONE_LOST, 1, 1);
    push_done(&t, 1, 0, 4, 1);
    case_run(&t);
    CU_ASSERT_TRUE(t.run.failed);
    CU_ASSERT_TRUE(file_exists(&t, "metrics.csv"));
    CU_ASSERT_FALSE(file_exists(&t, "summary.txt"));
    CU_ASSERT_EQUAL(sent_of_type(&t, PS_MSG_INTERRUPT), t.run.n_servers); /* the rest stopped */
    CU_ASSERT_EQUAL(t.st.next_in, N_WORKERS); /* and worker 1's end awaited */
    case_free(&t);
}

/* Both workers stopped short, neither for a lost node: the summary counts them. */
static void test_short_workers_are_counted(void)
{
    coord_case t;
    case_init(&t);
    push_done(&t, 0, 0, 4, 1);
    push_done(&t, 1, 0, 4, 3);
    case_run(&t);
    CU_ASSERT_TRUE(t.run.failed);
    CU_ASSERT_TRUE(file_exists(&t, "summary.txt"));
    CU_ASSERT_EQUAL(sent_of_type(&t, PS_MSG_INTERRUPT), 0);
    char path[128], line[256];
    int failed = -1;
    snprintf(path, sizeof path, "%s/summary.txt", t.dir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    while (fgets(line, sizeof line, f))
        sscanf(line, "failed_workers: %d", &failed);
    fclose(f);
    CU_ASSERT_EQUAL(failed, N_WORKERS);
    case_free(&t);
}

static CU_TestInfo tests[] = {
    {"a worker that lost a node fails the run, with no summary", test_lost_node_fails_the_run},
    {"workers that stopped short are counted in the summary", test_short_workers_are_counted},
    CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {
    {"coord_done", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
PS_CUNIT_MAIN(suites)
