/* The stage schedulers on scripted task sets (which stage starts when, on which
 * nodes), through ps_sched_replay with scripted stage durations: sequential and
 * greedy order, placement on the nodes a task used least, priority's angry tasks
 * against greedy's starvation; and auto-parallelism on scripted cost curves. */
#include <string.h>

#include "policies/registry.h"
#include "policies/scheduler/auto_parallel.h"
#include "tests/unit/cu_main.h"

typedef struct replay {
    ps_sched_run *runs;
    int n_runs;
    double done[16];
} replay;

static void run_replay(const char *policy, int angry_after, int nodes, int slots,
                       const ps_sched_task *tasks, int n_tasks, const double *const *dur,
                       replay *r)
{
    const ps_scheduler_ops *ops = ps_scheduler_by_name(policy);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    ps_sched_params p = {.angry_after = angry_after};
    ps_err err = {0};
    int rc = ps_sched_replay(ops, &p, nodes, slots, tasks, n_tasks, dur, &r->runs, &r->n_runs,
                             r->done, &err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static const ps_sched_run *find(const replay *r, int task, int stage)
{
    for (int i = 0; i < r->n_runs; i++)
        if (r->runs[i].task == task && r->runs[i].stage == stage)
            return &r->runs[i];
    CU_FAIL_FATAL("stage never ran");
    return NULL;
}

static int nodes_are(const ps_sched_run *run, const int *want, int n)
{
    return memcmp(run->per_node, want, sizeof(int) * (size_t)n) == 0;
}

/* Task 0: stages of 2 then 4 workers (1 s, 2 s); task 1, submitted at 0.5 s while
 * task 0 runs: one stage of 1 worker (1 s). */
static const int a_workers[] = {2, 4}, b_workers[] = {1};
static const double a_dur[] = {1, 2}, b_dur[] = {1};
static const double *const ab_dur[] = {a_dur, b_dur};
static const ps_sched_task ab_tasks[] = {
    {.submit = 0, .n_stages = 2, .workers = a_workers},
    {.submit = 0.5, .n_stages = 1, .workers = b_workers},
};

static void test_sequential(void)
{
    replay r;
    run_replay("sequential", 0, 2, 2, ab_tasks, 2, ab_dur, &r);
    CU_ASSERT_EQUAL(r.n_runs, 3);
    const int spread[] = {1, 1}, all[] = {2, 2}, first[] = {1, 0};
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 0, 0)->start, 0, 1e-12);
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 0), spread, 2));
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 0, 1)->start, 1, 1e-12);
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 1), all, 2));
    /* one stage in flight at a time: task 1 waits for all of task 0 */
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 1, 0)->start, 3, 1e-12);
    CU_ASSERT_TRUE(nodes_are(find(&r, 1, 0), first, 2));
    CU_ASSERT_DOUBLE_EQUAL(r.done[0], 3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.done[1], 4, 1e-12);
    ps_sched_runs_free(r.runs, r.n_runs);
}

static void test_greedy(void)
{
    replay r;
    run_replay("greedy", 0, 2, 2, ab_tasks, 2, ab_dur, &r);
    const int first[] = {1, 0};
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 0, 0)->start, 0, 1e-12);
    /* task 1 fits beside task 0's first stage */
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 1, 0)->start, 0.5, 1e-12);
    CU_ASSERT_TRUE(nodes_are(find(&r, 1, 0), first, 2));
    /* and task 0's 4-worker stage waits for its slot */
    CU_ASSERT_DOUBLE_EQUAL(find(&r, 0, 1)->start, 1.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.done[0], 3.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.done[1], 1.5, 1e-12);
    ps_sched_runs_free(r.runs, r.n_runs);
}

/* A task's stages go to the nodes it has used least, evenly, then round robin. */
static void test_placement(void)
{
    static const int w[] = {2, 2, 2}, w7[] = {7};
    static const double d[] = {1, 1, 1}, d7[] = {1};
    const double *const dur[] = {d}, *const dur7[] = {d7};
    ps_sched_task t = {.submit = 0, .n_stages = 3, .workers = w};
    replay r;
    run_replay("greedy", 0, 4, 1, &t, 1, dur, &r);
    const int s0[] = {1, 1, 0, 0}, s1[] = {0, 0, 1, 1};
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 0), s0, 4));
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 1), s1, 4));
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 2), s0, 4));
    ps_sched_runs_free(r.runs, r.n_runs);

    ps_sched_task t7 = {.submit = 0, .n_stages = 1, .workers = w7};
    run_replay("sequential", 0, 3, 4, &t7, 1, dur7, &r);
    const int even[] = {3, 2, 2};
    CU_ASSERT_TRUE(nodes_are(find(&r, 0, 0), even, 3));
    ps_sched_runs_free(r.runs, r.n_runs);
}

/* One node of 4 slots; ten one-slot tasks arrive every 0.5 s and run 1 s each, so
 * two run at once; a 4-slot task arrives at 0.1 s. Greedy starves it until the
 * stream ends; priority (angry after 2 failures) reserves slots and starts it at 1.5. */
#define N_SMALL 10
static void starvation_set(ps_sched_task *tasks, const double **dur)
{
    static const int one[] = {1}, four[] = {4};
    static const double d1[] = {1}, d4[] = {1};
    for (int i = 0; i < N_SMALL; i++) {
        tasks[i] = (ps_sched_task){.submit = 0.5 * i, .n_stages = 1, .workers = one};
        dur[i] = d1;
    }
    tasks[N_SMALL] = (ps_sched_task){.submit = 0.1, .n_stages = 1, .workers = four};
    dur[N_SMALL] = d4;
}

static void test_priority_against_starvation(void)
{
    ps_sched_task tasks[N_SMALL + 1];
    const double *dur[N_SMALL + 1];
    starvation_set(tasks, dur);
    replay g, p;
    run_replay("greedy", 2, 1, 4, tasks, N_SMALL + 1, dur, &g);
    CU_ASSERT_DOUBLE_EQUAL(find(&g, N_SMALL, 0)->start, 5.5, 1e-12);
    run_replay("priority", 2, 1, 4, tasks, N_SMALL + 1, dur, &p);
    CU_ASSERT_DOUBLE_EQUAL(find(&p, N_SMALL, 0)->start, 1.5, 1e-12);
    /* the small task arriving at 1.0 waited behind the reservation */
    CU_ASSERT_DOUBLE_EQUAL(find(&p, 2, 0)->start, 2.5, 1e-12);
    ps_sched_runs_free(p.runs, p.n_runs);
    /* never angry: priority is greedy */
    run_replay("priority", 100, 1, 4, tasks, N_SMALL + 1, dur, &p);
    CU_ASSERT_DOUBLE_EQUAL(find(&p, N_SMALL, 0)->start, 5.5, 1e-12);
    ps_sched_runs_free(g.runs, g.n_runs);
    ps_sched_runs_free(p.runs, p.n_runs);
}

static void test_bad_task_sets(void)
{
    static const int big[] = {9};
    static const double d[] = {1};
    const double *const dur[] = {d};
    ps_sched_task t = {.submit = 0, .n_stages = 1, .workers = big};
    ps_sched_params p = {0};
    ps_sched_run *runs;
    int n_runs;
    double done[1];
    ps_err err = {0};
    CU_ASSERT_NOT_EQUAL(ps_sched_replay(ps_scheduler_by_name("greedy"), &p, 2, 4, &t, 1, dur,
                                        &runs, &n_runs, done, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "task 0 stage 0 asks for 9 workers"));
    CU_ASSERT_PTR_NULL(ps_scheduler_by_name("fifo"));
}

/* ---- auto-parallelism on scripted cost curves ---------------------------------- */

typedef double (*cost_curve)(int count);
static double cost_a(int c) { return 20.0 / c + 2 * c; }    /* best 3 */
static double cost_b(int c) { return 80.0 / c + 2 * c; }    /* best 6 */
static double cost_c(int c) { return 45.0 / c + 2 * c; }    /* best 5 */
static double cost_down(int c) { return 100.0 / c; }        /* more is always better */

static int search(ps_auto *a, int64_t batch, int max_count, cost_curve cost, int *probed)
{
    int count = ps_auto_begin(a, batch, max_count), n = 0;
    while (!a->decided) {
        probed[n++] = count;
        count = ps_auto_probe_done(a, cost(count));
    }
    probed[n] = 0;
    return count;
}

static void test_auto_parallelism(void)
{
    ps_auto a;
    ps_auto_init(&a);
    int probed[16];
    CU_ASSERT_EQUAL(search(&a, 350, 8, cost_a, probed), 3);
    CU_ASSERT_EQUAL(a.probes, 4);   /* 1, 2, 3, then 4 was slower */
    CU_ASSERT_EQUAL(probed[0], 1);
    CU_ASSERT_EQUAL(probed[3], 4);
    /* the same batch size: no probe */
    CU_ASSERT_EQUAL(search(&a, 350, 8, cost_b, probed), 3);
    CU_ASSERT_EQUAL(a.probes, 0);
    /* a larger batch: from the smaller one's best (3) up */
    CU_ASSERT_EQUAL(search(&a, 35000, 8, cost_b, probed), 6);
    CU_ASSERT_EQUAL(probed[0], 3);
    CU_ASSERT_EQUAL(a.probes, 5);   /* 3 4 5 6 7 */
    /* between two known batch sizes: only between their bests, 3 .. 6 */
    CU_ASSERT_EQUAL(search(&a, 3500, 8, cost_c, probed), 5);
    CU_ASSERT_EQUAL(probed[0], 3);
    CU_ASSERT_EQUAL(a.probes, 4);   /* 3 4 5 6 */
    /* a curve that keeps falling stops at the node's worker count */
    ps_auto_init(&a);
    CU_ASSERT_EQUAL(search(&a, 10, 5, cost_down, probed), 5);
    CU_ASSERT_EQUAL(a.probes, 5);
}

static CU_TestInfo scheduler_tests[] = {
    {"sequential: one stage in flight, submission order", test_sequential},
    {"greedy: every ready stage that fits", test_greedy},
    {"placement: least-used nodes, evenly, round robin", test_placement},
    {"priority: angry task reserves, greedy starves it", test_priority_against_starvation},
    {"bad task sets are errors", test_bad_task_sets},
    {"auto-parallelism on scripted cost curves", test_auto_parallelism},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"scheduler", NULL, NULL, NULL, NULL, scheduler_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
