/* Partitioners: every key has exactly one server, in range; range gives contiguous
 * near-equal chunks; hash spreads keys evenly; registry lookups by name. */
#include <string.h>

#include "policies/registry.h"
#include "tests/unit/cu_main.h"

static void test_range_contiguous_and_balanced(void)
{
    const ps_partitioner_ops *ops = ps_partitioner_by_name("range");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    ps_partition p;
    ps_partition_init(&p, 1001, 7);
    int count[7] = {0}, last = 0;
    for (uint64_t k = 0; k < 1001; k++) {
        int s = ps_partition_server(ops, &p, k);
        CU_ASSERT_FATAL(s >= 0 && s < 7);
        CU_ASSERT(s == last || s == last + 1); /* contiguous, ascending */
        last = s;
        count[s]++;
    }
    for (int s = 0; s < 7; s++)
        CU_ASSERT(count[s] >= 1001 / 7 - 7 && count[s] <= 1001 / 7 + 7);
}

static void test_range_more_servers_than_keys(void)
{
    const ps_partitioner_ops *ops = ps_partitioner_by_name("range");
    ps_partition p;
    ps_partition_init(&p, 3, 10);
    for (uint64_t k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(ps_partition_server(ops, &p, k), (int)k);
}

static void test_hash_balanced(void)
{
    const ps_partitioner_ops *ops = ps_partitioner_by_name("hash");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    ps_partition p;
    enum { S = 16, N = 160000 };
    ps_partition_init(&p, N, S);
    int count[S] = {0};
    for (uint64_t k = 0; k < N; k++) {
        int s = ps_partition_server(ops, &p, k);
        CU_ASSERT_FATAL(s >= 0 && s < S);
        count[s]++;
    }
    for (int s = 0; s < S; s++) /* within 5% of the mean: a biased hash would fail */
        CU_ASSERT(count[s] > N / S * 95 / 100 && count[s] < N / S * 105 / 100);
    /* consecutive keys do not all land together */
    CU_ASSERT(ps_partition_server(ops, &p, 0) != ps_partition_server(ops, &p, 1) ||
              ps_partition_server(ops, &p, 1) != ps_partition_server(ops, &p, 2));
}

/* A hash partition's places agree with the partitioner for every key, number each
 * server's keys 0, 1, ... in key order, and count them; a range partition and a
 * table over the budget get none. */
static void test_hash_places(void)
{
    const ps_partitioner_ops *ops = ps_partitioner_by_name("hash");
    enum { S = 5, N = 10007 };
    ps_partition p;
    ps_partition_init(&p, N, S);
    ps_partition_place(&p, ops, (uint64_t)N * sizeof(ps_key_place));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p.place);
    uint64_t next[S] = {0};
    for (uint64_t k = 0; k < N; k++) {
        int s = ops->server_of(&p, k);
        CU_ASSERT_EQUAL_FATAL(p.place[k].server, (uint32_t)s);
        CU_ASSERT_EQUAL_FATAL(p.place[k].slot, next[s]);
        next[s]++;
        CU_ASSERT_EQUAL(ps_partition_server(ops, &p, k), s);
    }
    for (int s = 0; s < S; s++)
        CU_ASSERT_EQUAL(p.shard_keys[s], next[s]);
    /* keys past the table still get the partitioner's answer */
    CU_ASSERT_EQUAL(ps_partition_server(ops, &p, N + 3), ops->server_of(&p, N + 3));
    ps_partition_free(&p);
    CU_ASSERT_PTR_NULL(p.place);

    ps_partition_init(&p, N, S);
    ps_partition_place(&p, ops, (uint64_t)N * sizeof(ps_key_place) - 1);
    CU_ASSERT_PTR_NULL(p.place);
    ps_partition_init(&p, N, S);
    ps_partition_place(&p, ps_partitioner_by_name("range"), UINT64_MAX);
    CU_ASSERT_PTR_NULL(p.place);
}

static void test_registry(void)
{
    for (int i = 0; ps_partitioner_names[i]; i++)
        CU_ASSERT_PTR_NOT_NULL(ps_partitioner_by_name(ps_partitioner_names[i]));
    for (int i = 0; ps_consistency_names[i]; i++)
        CU_ASSERT_PTR_NOT_NULL(ps_consistency_by_name(ps_consistency_names[i]));
    CU_ASSERT_PTR_NULL(ps_partitioner_by_name("nope"));
    CU_ASSERT_PTR_NULL(ps_consistency_by_name("bspx"));
}

static void test_bsp_can_serve(void)
{
    const ps_consistency_ops *bsp = ps_consistency_by_name("bsp");
    int32_t done[3] = {2, 1, 3};
    ps_clock_table t = {.n_workers = 3, .done = done, .min_done = 1};
    ps_consistency_params p = {0};
    CU_ASSERT_TRUE(bsp->can_serve(&p, &t, 0, 0, NULL));
    CU_ASSERT_TRUE(bsp->can_serve(&p, &t, 0, 1, NULL));
    CU_ASSERT_FALSE(bsp->can_serve(&p, &t, 2, 2, NULL));
    CU_ASSERT_TRUE(bsp->defer_updates);
}

/* drps: blocks in ascending cost, each to the least-loaded server (ties: fewer
 * blocks, then the lower number). Costs {5, 1, 3, 2, 4, 0} on 3 servers, by hand:
 * block 5 (0) to s0; 1 (1) to s1, the tie of s1 and s2 on cost and count; 3 (2) to
 * s2; 2 (3) to s0 (load 0); 4 (4) to s1 (load 1); 0 (5) to s2 (load 2): loads 3,
 * 5 and 7. */
static void test_drps_by_hand(void)
{
    const ps_partitioner_ops *ops = ps_partitioner_by_name("drps");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops->place_blocks);
    ps_partition p;
    ps_partition_init(&p, 100, 3);
    const double cost[6] = {5, 1, 3, 2, 4, 0};
    const uint64_t first[6] = {0, 10, 20, 30, 40, 50};
    uint32_t home[6];
    ops->place_blocks(&p, cost, first, 6, home);
    const uint32_t want[6] = {2, 1, 0, 2, 1, 0};
    for (int b = 0; b < 6; b++)
        CU_ASSERT_EQUAL(home[b], want[b]);
    /* blocks nobody sampled (cost 0) spread by count, not all to server 0 */
    const double zero[6] = {0};
    ops->place_blocks(&p, zero, first, 6, home);
    int on[3] = {0};
    for (int b = 0; b < 6; b++)
        on[home[b]]++;
    CU_ASSERT(on[0] == 2 && on[1] == 2 && on[2] == 2);
    /* cold keys: by hash, on every server */
    int cold[3] = {0};
    for (uint64_t k = 0; k < 100; k++)
        cold[ps_partition_server(ops, &p, k)]++;
    CU_ASSERT(cold[0] > 20 && cold[1] > 20 && cold[2] > 20);
}

static CU_TestInfo tests[] = {
    {"drps places blocks as by hand", test_drps_by_hand},
    {"range is contiguous and balanced", test_range_contiguous_and_balanced},
    {"range with more servers than keys", test_range_more_servers_than_keys},
    {"hash is balanced", test_hash_balanced},
    {"hash places match the partitioner", test_hash_places},
    {"registry finds every listed name", test_registry},
    {"bsp gate predicate", test_bsp_can_serve},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"partitioner", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
