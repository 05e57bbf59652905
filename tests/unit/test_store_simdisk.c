/* The simulated disk store (engine/store/store_simdisk.c) against a hand count of
 * the blocks it reads and writes through its page cache, and its values against
 * the mem store's. */
#include <stdlib.h>
#include <string.h>

#include "engine/index/block_index.h"
#include "engine/store/store.h"
#include "tests/unit/cu_main.h"

/* 4 keys a block: a block is 8 + 16 + 1 = 25 bytes; a cache of 50 holds 2. */
#define BK 4
#define BLOCK 25

static ps_store *open_store(uint64_t cache_bytes, int dense)
{
    ps_store_spec spec = {.server = 0, .n_keys = 1000, .dense = dense, .lo = 0, .hi = 1000,
                          .block_keys = BK, .cache_bytes = cache_bytes};
    ps_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(ps_store_simdisk_ops.open(&spec, &st, NULL), PS_OK);
    return st;
}

static void io(ps_store *st, uint64_t want_read, uint64_t want_written)
{
    uint64_t r, w;
    ps_store_simdisk_ops.io_bytes(st, &r, &w);
    CU_ASSERT_EQUAL(r, want_read);
    CU_ASSERT_EQUAL(w, want_written);
}

static void test_hand_count(void)
{
    ps_store *st = open_store(2 * BLOCK, 0);
    float out[8], d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint64_t k0[] = {0, 1, 5};                  /* blocks 0, 1 never written: nothing read */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k0, 0, 3, out, NULL), PS_OK);
    io(st, 0, 0);
    uint64_t w0[] = {0, 5, 9};                  /* blocks 0, 1, 2 written; 0 evicted by 2 */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, w0, 0, 3, d, NULL), PS_OK);
    io(st, 0, 3 * BLOCK);
    uint64_t k1[] = {0, 1, 5};                  /* block 0 read (evicts 1), block 1 read */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k1, 0, 3, out, NULL), PS_OK);
    io(st, 2 * BLOCK, 3 * BLOCK);
    uint64_t k2[] = {7, 2, 3};                  /* blocks 1, 0, unsorted: both cached, and
                                                 * touched in block order: 1 the most recent */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k2, 0, 3, out, NULL), PS_OK);
    io(st, 2 * BLOCK, 3 * BLOCK);
    uint64_t k3[] = {9, 10};                    /* block 2: read, written; evicts block 0 */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, k3, 0, 2, d, NULL), PS_OK);
    io(st, 3 * BLOCK, 4 * BLOCK);
    uint64_t k4[] = {4};                        /* block 1: still cached */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k4, 0, 1, out, NULL), PS_OK);
    io(st, 3 * BLOCK, 4 * BLOCK);
    uint64_t k5[] = {1, 8};                     /* block 0 read (evicts 2), 2 read (evicts 1) */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, k5, 0, 2, d, NULL), PS_OK);
    io(st, 5 * BLOCK, 6 * BLOCK);
    /* a range: keys 12 .. 19 are blocks 3 and 4, never written: not read */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, NULL, 12, 8, d, NULL), PS_OK);
    io(st, 5 * BLOCK, 8 * BLOCK);
    /* a dump scans the 5 blocks written (0 .. 4), reading those not cached (0, 1, 2) */
    uint64_t *keys, n;
    float *vals;
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.dump(st, &keys, &vals, &n, NULL), PS_OK);
    io(st, 8 * BLOCK, 8 * BLOCK);
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.io_reads(st), 8); /* each a seek */
    CU_ASSERT_EQUAL(n, 14); /* keys written: 0, 1, 5, 8, 9, 10, 12 .. 19 */
    free(keys);
    free(vals);
    /* observed (an evaluation): blocks 0 and 1, not cached (3 and 4 are), nor the
     * dump's, are counted, and the cache keeps 3 and 4 */
    ps_store_simdisk_ops.observe(st, 1);
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k1, 0, 3, out, NULL), PS_OK);
    CU_ASSERT_EQUAL(out[0], 1); /* key 0: the values are still read */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.dump(st, &keys, &vals, &n, NULL), PS_OK);
    free(keys);
    free(vals);
    io(st, 8 * BLOCK, 8 * BLOCK);
    ps_store_simdisk_ops.observe(st, 0);
    uint64_t k6[] = {12, 16};                   /* blocks 3, 4: still cached */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k6, 0, 2, out, NULL), PS_OK);
    io(st, 8 * BLOCK, 8 * BLOCK);
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, k1, 0, 3, out, NULL), PS_OK);
    io(st, 10 * BLOCK, 8 * BLOCK);              /* not observed: blocks 0 and 1 read */
    ps_store_simdisk_ops.close(st);
}

/* The values are the mem store's, whatever the cache does. */
static void test_values_match_mem(void)
{
    ps_store *st = open_store(2 * BLOCK, 1), *ref = NULL;
    ps_store_spec spec = {.server = 0, .n_keys = 1000, .dense = 1, .lo = 0, .hi = 1000};
    CU_ASSERT_EQUAL_FATAL(ps_store_mem_ops.open(&spec, &ref, NULL), PS_OK);
    uint64_t keys[16];
    float d[16], a[16], b[16];
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 300; round++) {
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            keys[i] = (x % 62) * 16 + (uint64_t)i; /* distinct within a call */
            d[i] = (float)(x % 1000) / 100.0f - 5.0f;
        }
        CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, keys, 0, 16, d, NULL), PS_OK);
        CU_ASSERT_EQUAL(ps_store_mem_ops.add(ref, keys, 0, 16, d, NULL), PS_OK);
        CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, keys, 0, 16, a, NULL), PS_OK);
        CU_ASSERT_EQUAL(ps_store_mem_ops.get(ref, keys, 0, 16, b, NULL), PS_OK);
        CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    }
    uint64_t r, w;
    ps_store_simdisk_ops.io_bytes(st, &r, &w);
    CU_ASSERT(w >= 300 * BLOCK); /* at least a block written per call */
    CU_ASSERT(r > 0);
    ps_store_simdisk_ops.close(st);
    ps_store_mem_ops.close(ref);
}

/* An index of 10 keys of 2 values each: block 0 = keys {1, 4, 7}, block 1 = {2, 3};
 * the others cold, a block each (numbered 2 + key). A block of n keys is 8 + 2n x 4
 * + ceil(2n / 8) bytes: block 0 is 8 + 24 + 1 = 33, block 1 8 + 16 + 1 = 25, a cold
 * key 8 + 8 + 1 = 17. A cache of 60 bytes holds blocks 0 and 1, or 0 and a key. */
static void test_index_layout(void)
{
    uint32_t block[10] = {PS_INDEX_COLD, 0, 1, 1, 0, PS_INDEX_COLD, PS_INDEX_COLD, 0,
                          PS_INDEX_COLD, PS_INDEX_COLD};
    uint64_t size[2] = {3, 2};
    ps_block_index x = {.n_dims = 10, .block = block, .n_blocks = 2, .size = size};
    ps_store_spec spec = {.server = 0, .n_keys = 20, .dense = 1, .lo = 0, .hi = 20,
                          .block_keys = BK, .cache_bytes = 60, .index = &x, .vals_per_key = 2};
    ps_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(ps_store_simdisk_ops.open(&spec, &st, NULL), PS_OK);
    float d[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    uint64_t w0[] = {2, 3, 14, 15}; /* keys 1 and 7 (store keys 2k, 2k+1): block 0 once */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, w0, 0, 4, d, NULL), PS_OK);
    io(st, 0, 33);
    uint64_t w1[] = {4, 10}; /* keys 2 and 5: block 1 and cold key 5's block; 5's evicts 0 */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.add(st, w1, 0, 2, d, NULL), PS_OK);
    io(st, 0, 33 + 25 + 17);
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, NULL, 8, 2, out, NULL), PS_OK); /* key 4: block 0 */
    io(st, 33, 75);                 /* read back, evicting block 1 (25 + 17 + 33 > 60) */
    uint64_t r1[] = {6, 10}; /* key 3: block 1, read, evicting key 5's, read again */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, r1, 0, 2, out, NULL), PS_OK);
    io(st, 33 + 25 + 17, 75);
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.io_reads(st), 3);
    uint64_t r2[] = {18}; /* key 9: cold, never written, not read */
    CU_ASSERT_EQUAL(ps_store_simdisk_ops.get(st, r2, 0, 1, out, NULL), PS_OK);
    io(st, 75, 75);
    ps_store_simdisk_ops.close(st);
}

static CU_TestInfo tests[] = {
    {"blocks read and written, by hand", test_hand_count},
    {"blocks of a block index, by hand", test_index_layout},
    {"values match the mem store", test_values_match_mem},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"store_simdisk", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
