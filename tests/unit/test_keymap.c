/* The key map against a plain reference: random inserts and lookups with growth,
 * extreme keys, clear. */
#include <stdlib.h>

#include "engine/store/keymap.h"
#include "engine/core/rng.h"
#include "tests/unit/cu_main.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_against_reference(void)
{
    enum { N = 100000 };
    ps_keymap m;
    ps_rng r;
    CU_ASSERT_FATAL(ps_keymap_init(&m, 4, NULL) == PS_OK); /* forces many growths */
    ps_rng_init(&r, 5, 1);
    uint64_t *keys = malloc(N * sizeof *keys);
    for (uint32_t i = 0; i < N; i++) {
        keys[i] = ps_rng_u64(&r) % 50000; /* many repeats */
        int inserted;
        uint32_t *v = ps_keymap_put(&m, keys[i], &inserted);
        CU_ASSERT_FATAL(v != NULL);
        if (inserted)
            *v = (uint32_t)(keys[i] * 3);
        else
            CU_ASSERT_EQUAL(*v, (uint32_t)(keys[i] * 3));
    }
    qsort(keys, N, sizeof *keys, cmp_u64);
    uint32_t distinct = 0;
    for (uint32_t i = 0; i < N; i++)
        distinct += i == 0 || keys[i] != keys[i - 1];
    CU_ASSERT_EQUAL(m.count, distinct);
    for (uint64_t k = 0; k < 50000; k++) {
        const uint32_t *v = ps_keymap_get(&m, k);
        int present = bsearch(&k, keys, N, sizeof *keys, cmp_u64) != NULL;
        CU_ASSERT_EQUAL(v != NULL, present);
        if (v)
            CU_ASSERT_EQUAL(*v, (uint32_t)(k * 3));
    }
    free(keys);
    ps_keymap_free(&m);
}

static void test_extreme_keys_and_clear(void)
{
    ps_keymap m;
    int ins;
    CU_ASSERT_FATAL(ps_keymap_init(&m, 10, NULL) == PS_OK);
    *ps_keymap_put(&m, 0, &ins) = 1;
    CU_ASSERT_TRUE(ins);
    *ps_keymap_put(&m, UINT64_MAX, &ins) = 2;
    CU_ASSERT_TRUE(ins);
    CU_ASSERT_EQUAL(*ps_keymap_get(&m, 0), 1);
    CU_ASSERT_EQUAL(*ps_keymap_get(&m, UINT64_MAX), 2);
    CU_ASSERT_PTR_NULL(ps_keymap_get(&m, 1));
    ps_keymap_clear(&m);
    CU_ASSERT_EQUAL(m.count, 0);
    CU_ASSERT_PTR_NULL(ps_keymap_get(&m, 0));
    ps_keymap_put(&m, 0, &ins);
    CU_ASSERT_TRUE(ins);
    ps_keymap_free(&m);
}

/* Deletes interleaved with inserts, in a small map so that probe runs wrap and
 * cross: every key present in the reference is found with its value, no other. */
static void test_delete_against_reference(void)
{
    enum { KEYS = 700, OPS = 200000 };
    ps_keymap m;
    ps_rng r;
    uint32_t ref[KEYS]; /* 0: absent, else value */
    CU_ASSERT_FATAL(ps_keymap_init(&m, 600, NULL) == PS_OK);
    ps_rng_init(&r, 9, 1);
    for (int k = 0; k < KEYS; k++)
        ref[k] = 0;
    uint32_t present = 0;
    for (uint32_t i = 1; i <= OPS; i++) {
        uint64_t k = ps_rng_u64(&r) % KEYS;
        if (ps_rng_u64(&r) % 2) {
            int ins;
            uint32_t *v = ps_keymap_put(&m, k * 0x9E3779B97F4A7C15ull, &ins);
            CU_ASSERT_FATAL(v != NULL);
            CU_ASSERT_EQUAL(ins, ref[k] == 0);
            present += ins;
            *v = ref[k] = i;
        } else {
            CU_ASSERT_EQUAL(ps_keymap_del(&m, k * 0x9E3779B97F4A7C15ull), ref[k] != 0);
            present -= ref[k] != 0;
            ref[k] = 0;
        }
        if (i % 997 == 0)
            for (uint64_t j = 0; j < KEYS; j++) {
                const uint32_t *v = ps_keymap_get(&m, j * 0x9E3779B97F4A7C15ull);
                CU_ASSERT_EQUAL(v ? *v : 0, ref[j]);
            }
    }
    CU_ASSERT_EQUAL(m.count, present);
    ps_keymap_free(&m);
}

static CU_TestInfo tests[] = {
    {"deletes match a reference", test_delete_against_reference},
    {"matches a reference under growth", test_against_reference},
    {"extreme keys and clear", test_extreme_keys_and_clear},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"keymap", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
