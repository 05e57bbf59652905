/* DRPS's block index (engine/index/block_index.c): the gain formula by hand, both
 * merge strategies on a hand-built AF matrix, and a build from samples whose
 * co-access is known. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/index/block_index.h"
#include "tests/unit/cu_main.h"

/* DRPS's abstract units: cost(n) = 1 + (22 n + 128) x 0.001 */
static const ps_index_cost drps = {.seek = 1, .header = 128, .bytes_per_param = 22, .t_byte = 0.001};

static void test_gain_by_hand(void)
{
    CU_ASSERT_DOUBLE_EQUAL(ps_index_read_cost(&drps, 1), 1.15, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ps_index_read_cost(&drps, 2), 1.172, 1e-12);
    /* 10 x 1.15 + 10 x 1.15 - (10 + 10 - 8) x 1.172 */
    CU_ASSERT_DOUBLE_EQUAL(ps_index_gain(&drps, 10, 10, 8, 1, 1), 8.936, 1e-9);
    /* never read together: merging only makes each read longer */
    CU_ASSERT_DOUBLE_EQUAL(ps_index_gain(&drps, 10, 10, 0, 1, 1), 23 - 20 * 1.172, 1e-9);
    CU_ASSERT(ps_index_gain(&drps, 10, 10, 0, 1, 1) < 0);
    /* sizes: a block of 3 and one of 1, 5 and 4 reads, 4 together */
    double want = 5 * ps_index_read_cost(&drps, 3) + 4 * ps_index_read_cost(&drps, 1) -
                  5 * ps_index_read_cost(&drps, 4);
    CU_ASSERT_DOUBLE_EQUAL(ps_index_gain(&drps, 5, 4, 4, 3, 1), want, 1e-12);
}

/* Four blocks of one, read 10 times each; co-read: (1,2) 9, (0,1) 8, (2,3) 7, (0,3) 1. */
static ps_index_pair pairs[4];
static const uint64_t size1[4] = {1, 1, 1, 1};
static const double self10[4] = {10, 10, 10, 10};
static void hand_pairs(void)
{
    pairs[0] = (ps_index_pair){0, 1, 8, 0};
    pairs[1] = (ps_index_pair){1, 2, 9, 0};
    pairs[2] = (ps_index_pair){2, 3, 7, 0};
    pairs[3] = (ps_index_pair){0, 3, 1, 0};
}

static void test_pick_on_hand_built_af(void)
{
    ps_index_params p = {.strategy = PS_INDEX_BASIC, .per_round = 10, .max_block = 100,
                         .min_gain = 0, .cost = drps};
    uint32_t out[4];
    hand_pairs();
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 1);
    CU_ASSERT_EQUAL(out[0], 1); /* (1,2): the best */
    CU_ASSERT_DOUBLE_EQUAL(pairs[1].gain, 23 - 11 * 1.172, 1e-9);
    /* ours: the best disjoint pairs; (0,1) and (2,3) share a block with (1,2) */
    p.strategy = PS_INDEX_OURS;
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 2);
    CU_ASSERT_EQUAL(out[0], 1);
    CU_ASSERT_EQUAL(out[1], 3); /* (0,3): 23 - 19 x 1.172 = 0.732 */
    p.min_gain = 1; /* ... which a least gain of 1 refuses */
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 1);
    p.min_gain = 0;
    p.per_round = 1;
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 1);
    p.per_round = 10;
    p.max_block = 1; /* a cap of one parameter a block: nothing merges */
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 0);
    p.max_block = 100;
    p.strategy = PS_INDEX_NONE;
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 0);
    /* ties go to the lower pair */
    p.strategy = PS_INDEX_BASIC;
    pairs[0].af_ij = pairs[1].af_ij = 9;
    CU_ASSERT_EQUAL(ps_index_pick(&p, pairs, 4, size1, self10, 4, out, 4), 1);
    CU_ASSERT_EQUAL(out[0], 0);
}

/* Ten batches: dims 0 and 1 always together, 2 and 3 always together, 4 in two
 * batches, 5 in one (cold at a threshold of 1), 6 in none. */
static uint64_t dims[64], start[11];
static ps_index_samples samples(void)
{
    uint64_t n = 0;
    for (int b = 0; b < 10; b++) {
        start[b] = n;
        dims[n++] = 0, dims[n++] = 1;
        if (b % 2 == 0)
            dims[n++] = 2, dims[n++] = 3;
        if (b < 2)
            dims[n++] = 4;
        if (b == 5)
            dims[n++] = 5;
    }
    start[10] = n;
    return (ps_index_samples){dims, start, 10};
}

static void test_build_from_samples(void)
{
    ps_index_samples s = samples();
    ps_index_params p = {.strategy = PS_INDEX_OURS, .per_round = 10, .max_block = 2,
                         .min_gain = 0, .cost = drps};
    ps_block_index x;
    CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &s, 7, 1, &x, NULL), PS_OK);
    CU_ASSERT_EQUAL(x.n_dims, 7);
    CU_ASSERT_EQUAL(x.block[5], PS_INDEX_COLD);
    CU_ASSERT_EQUAL(x.block[6], PS_INDEX_COLD);
    CU_ASSERT_EQUAL(x.block[0], x.block[1]); /* read together every time */
    CU_ASSERT_EQUAL(x.block[2], x.block[3]);
    CU_ASSERT_NOT_EQUAL(x.block[0], x.block[2]); /* the cap of 2 */
    CU_ASSERT_EQUAL(x.n_blocks, 3);               /* {0,1}, {2,3}, {4} */
    CU_ASSERT_EQUAL(x.size[x.block[0]], 2);
    CU_ASSERT_EQUAL(x.size[x.block[4]], 1);
    CU_ASSERT_EQUAL(x.rounds, 1); /* both pairs in one round */
    CU_ASSERT_EQUAL(x.merges, 2);
    ps_index_free(&x);
    /* basic: the same blocks, a pair a round */
    p.strategy = PS_INDEX_BASIC;
    CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &s, 7, 1, &x, NULL), PS_OK);
    CU_ASSERT_EQUAL(x.n_blocks, 3);
    CU_ASSERT_EQUAL(x.block[0], x.block[1]);
    CU_ASSERT_EQUAL(x.rounds, 2);
    ps_index_free(&x);
    /* none: every hot dimension its own block */
    p.strategy = PS_INDEX_NONE;
    CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &s, 7, 1, &x, NULL), PS_OK);
    CU_ASSERT_EQUAL(x.n_blocks, 5);
    CU_ASSERT_EQUAL(x.merges, 0);
    ps_index_free(&x);
    /* a higher cap lets {0,1} and {2,3} merge too: 5 of 10 batches read both */
    p.strategy = PS_INDEX_OURS;
    p.max_block = 8;
    CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &s, 7, 1, &x, NULL), PS_OK);
    double g = ps_index_gain(&drps, 10, 5, 5, 2, 2);
    CU_ASSERT_EQUAL(x.block[0] == x.block[2], g > 0);
    ps_index_free(&x);
}

/* The distributed build's steps: three workers' share of the same batches, each
 * counted apart (after the first round only what the merges changed) and summed
 * at the builder, give the index built from all of them at once. */
static void build_by_parts(int strategy, uint64_t max_block)
{
    ps_index_samples all = samples();
    ps_index_params p = {.strategy = strategy, .per_round = 10, .max_block = max_block,
                         .min_gain = 0, .cost = drps};
    ps_block_index want, x;
    CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &all, 7, 1, &want, NULL), PS_OK);
    /* worker w: batches cut[w] .. cut[w+1] */
    const uint32_t cut[4] = {0, 3, 4, 10};
    ps_index_samples part[3];
    for (int w = 0; w < 3; w++)
        part[w] = (ps_index_samples){dims, start + cut[w], cut[w + 1] - cut[w]};
    uint32_t count[7] = {0};
    for (int w = 0; w < 3; w++)
        ps_index_count_dims(&part[w], 7, count);
    CU_ASSERT_EQUAL(count[0], 10);
    CU_ASSERT_EQUAL(count[4], 2);
    CU_ASSERT_EQUAL_FATAL(ps_index_start(&x, count, 7, 1, NULL), PS_OK);
    ps_index_builder *b;
    CU_ASSERT_EQUAL_FATAL(ps_index_builder_new(&p, &x, &b, NULL), PS_OK);
    ps_index_counts one = {0}, sum = {0};
    ps_index_pair merged[8];
    int n = 1, rounds = 0;
    while (n > 0 && ps_index_live(&x) >= 2 && rounds < 20) {
        CU_ASSERT_EQUAL_FATAL(ps_index_counts_reset(&sum, x.n_blocks, NULL), PS_OK);
        for (int w = 0; w < 3; w++) {
            CU_ASSERT_EQUAL_FATAL(ps_index_counts_reset(&one, x.n_blocks, NULL), PS_OK);
            CU_ASSERT_EQUAL_FATAL(ps_index_count(&x, &part[w], rounds ? ps_index_builder_changed(b)
                                                                      : NULL, &one, NULL), PS_OK);
            for (uint32_t k = 0; k < one.n_blocks; k++) /* as they travel: (i, i) is AF_ii */
                if (one.af_self[k] > 0) {
                    CU_ASSERT_EQUAL(ps_index_builder_add(b, k, k, one.af_self[k], NULL), PS_OK);
                    ps_index_counts_add(&sum, k, k, one.af_self[k], NULL);
                }
            for (uint32_t k = 0; k < one.n_pairs; k++) {
                CU_ASSERT_EQUAL(ps_index_builder_add(b, one.pairs[k].i, one.pairs[k].j,
                                                     one.pairs[k].af_ij, NULL), PS_OK);
                ps_index_counts_add(&sum, one.pairs[k].i, one.pairs[k].j, one.pairs[k].af_ij, NULL);
            }
        }
        if (rounds == 0) { /* by hand: dim 0 in all 10 batches, dim 4 in 2, 0 and 1 in 10 */
            CU_ASSERT_EQUAL(sum.af_self[x.block[0]], 10);
            CU_ASSERT_EQUAL(sum.af_self[x.block[4]], 2);
            double af01 = 0;
            for (uint32_t k = 0; k < sum.n_pairs; k++)
                if (sum.pairs[k].i == x.block[0] && sum.pairs[k].j == x.block[1])
                    af01 = sum.pairs[k].af_ij;
            CU_ASSERT_EQUAL(af01, 10);
            /* a pair outside the blocks, or backwards, is refused */
            CU_ASSERT_EQUAL(ps_index_builder_add(b, 0, x.n_blocks, 1, NULL), PS_ERR);
            CU_ASSERT_EQUAL(ps_index_builder_add(b, 1, 0, 1, NULL), PS_ERR);
        }
        n = ps_index_builder_round(b, merged, NULL);
        rounds++;
    }
    CU_ASSERT(n >= 0);
    ps_index_builder_free(b);
    CU_ASSERT_EQUAL_FATAL(ps_index_compact(&x, NULL), PS_OK);
    CU_ASSERT_EQUAL(x.n_blocks, want.n_blocks);
    CU_ASSERT_EQUAL(x.rounds, want.rounds);
    CU_ASSERT_EQUAL(x.merges, want.merges);
    CU_ASSERT_EQUAL(memcmp(x.block, want.block, 7 * sizeof *x.block), 0);
    CU_ASSERT_EQUAL(memcmp(x.size, want.size, x.n_blocks * sizeof *x.size), 0);
    ps_index_counts_free(&sum);
    ps_index_counts_free(&one);
    ps_index_free(&x);
    ps_index_free(&want);
}

static void test_steps_summed_equal_direct(void)
{
    build_by_parts(PS_INDEX_BASIC, 8);
    build_by_parts(PS_INDEX_OURS, 8);
    build_by_parts(PS_INDEX_OURS, 2);
}

/* The old way, the reference: every round counts every pair again and picks from
 * them all (ps_index_pick), then renumbers the blocks. */
static void reference_build(const ps_index_params *p, const ps_index_samples *s, uint64_t n_dims,
                            uint32_t hot, ps_block_index *x)
{
    uint32_t *count = calloc(n_dims, sizeof *count);
    ps_index_count_dims(s, n_dims, count);
    CU_ASSERT_EQUAL_FATAL(ps_index_start(x, count, n_dims, hot, NULL), PS_OK);
    free(count);
    ps_index_counts c = {0};
    uint32_t *chosen = malloc((x->n_blocks + 1) * sizeof *chosen);
    ps_index_pair *merged = malloc((x->n_blocks + 1) * sizeof *merged);
    for (;;) {
        CU_ASSERT_EQUAL_FATAL(ps_index_counts_reset(&c, x->n_blocks, NULL), PS_OK);
        CU_ASSERT_EQUAL_FATAL(ps_index_count(x, s, NULL, &c, NULL), PS_OK);
        int n = ps_index_pick(p, c.pairs, c.n_pairs, x->size, c.af_self, x->n_blocks, chosen,
                              x->n_blocks);
        if (n <= 0)
            break;
        for (int k = 0; k < n; k++)
            merged[k] = c.pairs[chosen[k]];
        CU_ASSERT_EQUAL_FATAL(ps_index_merge(x, merged, (uint32_t)n, NULL), PS_OK);
        CU_ASSERT_EQUAL_FATAL(ps_index_compact(x, NULL), PS_OK);
    }
    free(chosen);
    free(merged);
    ps_index_counts_free(&c);
}

/* On 300 random batches over 80 dimensions (groups of keys that come together,
 * and noise), the incremental rounds make the reference's merges exactly. */
static void test_incremental_equals_reference(void)
{
    enum { B = 300, D = 80 };
    static uint64_t rd[B * 40], rs[B + 1];
    uint64_t n = 0, seed = 12345;
    for (int b = 0; b < B; b++) {
        rs[b] = n;
        uint64_t have[D] = {0};
        for (int k = 0; k < 12; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            uint64_t d = (seed >> 33) % D;
            for (uint64_t g = d - d % 4; g < d - d % 4 + 4 && (seed >> 20) % 3; g++)
                have[g] = 1; /* its group of 4, two times in three */
            have[d] = 1;
        }
        for (int d = 0; d < D; d++)
            if (have[d])
                rd[n++] = (uint64_t)d;
    }
    rs[B] = n;
    ps_index_samples s = {rd, rs, B};
    const int strategies[2] = {PS_INDEX_BASIC, PS_INDEX_OURS};
    const uint64_t caps[3] = {2, 6, 40};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++) {
            ps_index_params p = {.strategy = strategies[k], .per_round = 5, .max_block = caps[c],
                                 .min_gain = 0.5, .cost = drps};
            ps_block_index want, got;
            reference_build(&p, &s, D, 20, &want);
            CU_ASSERT_EQUAL_FATAL(ps_index_build(&p, &s, D, 20, &got, NULL), PS_OK);
            CU_ASSERT(want.merges > 0);
            CU_ASSERT_EQUAL(got.n_blocks, want.n_blocks);
            CU_ASSERT_EQUAL(got.rounds, want.rounds);
            CU_ASSERT_EQUAL(got.merges, want.merges);
            CU_ASSERT_EQUAL(memcmp(got.block, want.block, D * sizeof *got.block), 0);
            ps_index_free(&want);
            ps_index_free(&got);
        }
}

/* Merges keep the blocks' union: a block merged away or into itself is refused,
 * and compacting numbers what is left in order. */
static void test_merge_and_compact(void)
{
    uint32_t count[6] = {5, 5, 5, 5, 0, 5};
    ps_block_index x;
    CU_ASSERT_EQUAL_FATAL(ps_index_start(&x, count, 6, 1, NULL), PS_OK); /* blocks 0..4 */
    CU_ASSERT_EQUAL(x.n_blocks, 5);
    ps_index_pair m1[2] = {{1, 3, 0, 0}, {0, 4, 0, 0}};
    CU_ASSERT_EQUAL(ps_index_merge(&x, m1, 2, NULL), PS_OK);
    CU_ASSERT_EQUAL(ps_index_live(&x), 3);
    CU_ASSERT_EQUAL(ps_index_root(&x, 3), 1);
    ps_index_pair gone[1] = {{2, 3, 0, 0}}, self[1] = {{2, 2, 0, 0}};
    CU_ASSERT_EQUAL(ps_index_merge(&x, gone, 1, NULL), PS_ERR);
    CU_ASSERT_EQUAL(ps_index_merge(&x, self, 1, NULL), PS_ERR);
    ps_index_pair m2[1] = {{0, 2, 0, 0}};
    CU_ASSERT_EQUAL(ps_index_merge(&x, m2, 1, NULL), PS_OK);
    CU_ASSERT_EQUAL_FATAL(ps_index_compact(&x, NULL), PS_OK);
    /* dims 0, 2, 5 (blocks 0, 2, 4) are block 0; dims 1, 3 (blocks 1, 3) block 1 */
    CU_ASSERT_EQUAL(x.n_blocks, 2);
    CU_ASSERT(x.block[0] == 0 && x.block[2] == 0 && x.block[5] == 0);
    CU_ASSERT(x.block[1] == 1 && x.block[3] == 1 && x.block[4] == PS_INDEX_COLD);
    CU_ASSERT(x.size[0] == 3 && x.size[1] == 2);
    CU_ASSERT(x.rounds == 2 && x.merges == 3);
    ps_index_free(&x);
}

static CU_TestInfo tests[] = {
    {"the gain formula by hand", test_gain_by_hand},
    {"basic and ours on a hand-built AF matrix", test_pick_on_hand_built_af},
    {"a build from samples", test_build_from_samples},
    {"counts summed over workers give the same index", test_steps_summed_equal_direct},
    {"merges and compaction", test_merge_and_compact},
    {"incremental rounds make the reference's merges", test_incremental_equals_reference},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"block_index", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
