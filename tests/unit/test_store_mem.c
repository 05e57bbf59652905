/* The in-memory store, dense (a key range) and hash shards (placed and mapped): unwritten
 * keys read 0, adds accumulate, ranges and key lists agree, dumps list what is
 * held, and keys outside a dense or placed shard are refused rather than written. */
#include <stdlib.h>
#include <string.h>

#include "engine/store/store.h"
#include "tests/unit/cu_main.h"

/* The places of a 1000-key table: keys 900 and up belong to server 1, the others
 * to server 0, which numbers them backwards (slot 899 - key), so that a store
 * indexing by key instead of slot would not pass. */
static ps_key_place places[1000];

/* kind: 1 dense; 0 hash shard, mapped (no places given); 2 hash shard, placed */
static ps_store *open_store(int kind)
{
    for (uint32_t k = 0; k < 1000; k++)
        places[k] = k < 900 ? (ps_key_place){0, 899 - k} : (ps_key_place){1, k - 900};
    ps_store_spec spec = {.server = 0, .n_keys = 1000, .dense = kind == 1, .lo = 100, .hi = 200,
                          .place = kind == 2 ? places : NULL, .shard_keys = 900};
    ps_store *st = NULL;
    ps_err err;
    CU_ASSERT_FATAL(ps_store_mem_ops.open(&spec, &st, &err) == PS_OK);
    return st;
}

static void check_semantics(int kind)
{
    ps_store *st = open_store(kind);
    const ps_store_ops *o = &ps_store_mem_ops;
    ps_err err;
    uint64_t keys[] = {150, 101, 199};
    float d[] = {1.5f, -2.0f, 0.25f}, out[100];
    CU_ASSERT_EQUAL(o->add(st, keys, 0, 3, d, &err), PS_OK);
    CU_ASSERT_EQUAL(o->add(st, keys, 0, 3, d, &err), PS_OK);
    CU_ASSERT_EQUAL(o->get(st, keys, 0, 3, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 3.0f);
    CU_ASSERT_EQUAL(out[1], -4.0f);
    CU_ASSERT_EQUAL(out[2], 0.5f);
    float ones[10];
    for (int i = 0; i < 10; i++)
        ones[i] = 1.0f;
    CU_ASSERT_EQUAL(o->add(st, NULL, 145, 10, ones, &err), PS_OK);
    CU_ASSERT_EQUAL(o->get(st, NULL, 140, 20, out, &err), PS_OK);
    for (int i = 0; i < 20; i++) {
        float want = (i >= 5 && i < 15 ? 1.0f : 0.0f) + (i == 10 ? 3.0f : 0.0f);
        CU_ASSERT_EQUAL(out[i], want);
    }
    uint64_t *dk, n;
    float *dv;
    CU_ASSERT_EQUAL_FATAL(o->dump(st, &dk, &dv, &n, &err), PS_OK);
    CU_ASSERT_EQUAL(n, kind == 1 ? 100u : 12u);
    double sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += dv[i];
    CU_ASSERT_DOUBLE_EQUAL(sum, 3.0 - 4.0 + 0.5 + 10.0, 1e-6);
    free(dk);
    free(dv);
    /* set replaces (the assign rule), a key list or a range, written or not */
    float v[] = {7.0f, 8.0f};
    uint64_t two[] = {150, 160};
    CU_ASSERT_EQUAL(o->set(st, two, 0, 2, v, &err), PS_OK);
    CU_ASSERT_EQUAL(o->set(st, NULL, 198, 2, v, &err), PS_OK);
    CU_ASSERT_EQUAL(o->get(st, NULL, 150, 1, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 7.0f);
    CU_ASSERT_EQUAL(o->get(st, NULL, 160, 1, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 8.0f);
    CU_ASSERT_EQUAL(o->get(st, NULL, 198, 2, out, &err), PS_OK);
    CU_ASSERT(out[0] == 7.0f && out[1] == 8.0f);
    CU_ASSERT_EQUAL(o->add(st, two, 0, 1, d, &err), PS_OK);
    CU_ASSERT_EQUAL(o->get(st, two, 0, 1, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 8.5f);
    o->close(st);
}

static void test_dense(void) { check_semantics(1); }
static void test_sparse(void) { check_semantics(0); }
static void test_placed(void) { check_semantics(2); }

/* A placed shard dumps the keys written, in the order first written (as a mapped
 * one does), with their values, and refuses keys outside the table or another
 * server's. */
static void test_placed_dump_and_bounds(void)
{
    ps_store *st = open_store(2), *mapped = open_store(0);
    const ps_store_ops *o = &ps_store_mem_ops;
    ps_err err;
    uint64_t keys[] = {899, 3, 500, 3, 0};
    float d[] = {1, 2, 3, 4, 5};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(o->add(st, &keys[i], 0, 1, &d[i], &err), PS_OK);
        CU_ASSERT_EQUAL(o->add(mapped, &keys[i], 0, 1, &d[i], &err), PS_OK);
    }
    uint64_t *dk, *mk, n, mn;
    float *dv, *mv;
    CU_ASSERT_EQUAL_FATAL(o->dump(st, &dk, &dv, &n, &err), PS_OK);
    CU_ASSERT_EQUAL_FATAL(o->dump(mapped, &mk, &mv, &mn, &err), PS_OK);
    CU_ASSERT_EQUAL_FATAL(n, 4u);
    CU_ASSERT_EQUAL(mn, n);
    uint64_t want_k[] = {899, 3, 500, 0};
    float want_v[] = {1, 6, 3, 5};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(dk[i], want_k[i]);
        CU_ASSERT_EQUAL(dv[i], want_v[i]);
        CU_ASSERT_EQUAL(mk[i], dk[i]);
        CU_ASSERT_EQUAL(mv[i], dv[i]);
    }
    free(dk);
    free(dv);
    free(mk);
    free(mv);
    uint64_t outside = 1000;
    float out;
    CU_ASSERT_EQUAL(o->add(st, &outside, 0, 1, d, &err), PS_ERR);
    CU_ASSERT(strstr(err.msg, "outside the table") != NULL);
    CU_ASSERT_EQUAL(o->get(st, &outside, 0, 1, &out, &err), PS_ERR);
    uint64_t foreign = 900;
    CU_ASSERT_EQUAL(o->add(st, &foreign, 0, 1, d, &err), PS_ERR);
    CU_ASSERT(strstr(err.msg, "belongs to server 1") != NULL);
    CU_ASSERT_EQUAL(o->get(st, &foreign, 0, 1, &out, &err), PS_ERR);
    o->close(st);
    o->close(mapped);
}

/* Keys named by their slots read and add the same values as by key, note first
 * writes for dumps alike, and are refused outside the shard's slots or by a store
 * opened without places. */
static void test_placed_by_slot(void)
{
    ps_store *st = open_store(2);
    const ps_store_ops *o = &ps_store_mem_ops;
    ps_err err;
    uint64_t keys[] = {7, 420, 0};
    uint32_t slots[3];
    for (int i = 0; i < 3; i++)
        slots[i] = places[keys[i]].slot;
    float d[] = {1.0f, 2.0f, 3.0f}, out[3];
    CU_ASSERT_EQUAL(o->add_slots(st, keys, slots, 3, d, &err), PS_OK);
    CU_ASSERT_EQUAL(o->add(st, &keys[1], 0, 1, &d[2], &err), PS_OK);
    CU_ASSERT_EQUAL(o->get(st, keys, 0, 3, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 1.0f);
    CU_ASSERT_EQUAL(out[1], 5.0f);
    CU_ASSERT_EQUAL(out[2], 3.0f);
    CU_ASSERT_EQUAL(o->add_slots(st, &keys[1], &slots[1], 1, &d[0], &err), PS_OK);
    CU_ASSERT_EQUAL(o->get_slots(st, slots, 3, out, &err), PS_OK);
    CU_ASSERT_EQUAL(out[0], 1.0f);
    CU_ASSERT_EQUAL(out[1], 6.0f);
    CU_ASSERT_EQUAL(out[2], 3.0f);
    uint64_t *dk, n;
    float *dv;
    CU_ASSERT_EQUAL_FATAL(o->dump(st, &dk, &dv, &n, &err), PS_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3u);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(dk[i], keys[i]);
        CU_ASSERT_EQUAL(dv[i], out[i]);
    }
    free(dk);
    free(dv);
    uint32_t past = 900;
    CU_ASSERT_EQUAL(o->get_slots(st, &past, 1, out, &err), PS_ERR);
    CU_ASSERT(strstr(err.msg, "outside the shard's 900 slots") != NULL);
    CU_ASSERT_EQUAL(o->add_slots(st, keys, &past, 1, d, &err), PS_ERR);
    o->close(st);
    ps_store *mapped = open_store(0);
    CU_ASSERT_EQUAL(o->get_slots(mapped, slots, 1, out, &err), PS_ERR);
    CU_ASSERT(strstr(err.msg, "not opened with places") != NULL);
    CU_ASSERT_EQUAL(o->add_slots(mapped, keys, slots, 1, d, &err), PS_ERR);
    o->close(mapped);
}

static void test_dense_refuses_foreign_keys(void)
{
    ps_store *st = open_store(1);
    ps_err err;
    uint64_t k = 200;
    float d = 1, out[2];
    CU_ASSERT_EQUAL(ps_store_mem_ops.add(st, &k, 0, 1, &d, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "outside the shard"));
    CU_ASSERT_EQUAL(ps_store_mem_ops.get(st, NULL, 199, 2, out, &err), PS_ERR);
    ps_store_mem_ops.close(st);
}

/* A view of a dense shard is its values in place, only within the shard; a sparse
 * shard has none. */
static void test_view(void)
{
    const ps_store_ops *o = &ps_store_mem_ops;
    ps_store *st = open_store(1);
    ps_err err;
    float d[3] = {1.0f, 2.0f, 3.0f};
    CU_ASSERT_EQUAL(o->add(st, NULL, 150, 3, d, &err), PS_OK);
    const float *v = o->view(st, 149, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v[0], 0.0f);
    CU_ASSERT_EQUAL(v[1], 1.0f);
    CU_ASSERT_EQUAL(v[3], 3.0f);
    CU_ASSERT_EQUAL(v[4], 0.0f);
    CU_ASSERT_PTR_NOT_NULL(o->view(st, 100, 100));
    CU_ASSERT_PTR_NULL(o->view(st, 100, 101));
    CU_ASSERT_PTR_NULL(o->view(st, 99, 2));
    CU_ASSERT_PTR_NULL(o->view(st, 199, 2));
    CU_ASSERT_PTR_NULL(o->view(st, 200, 1));
    CU_ASSERT_PTR_NULL(o->view(st, 150, 0));
    CU_ASSERT_PTR_NULL(o->view(st, UINT64_MAX, 2));
    o->close(st);
    st = open_store(0);
    CU_ASSERT_EQUAL(o->add(st, NULL, 150, 3, d, &err), PS_OK);
    CU_ASSERT_PTR_NULL(o->view(st, 150, 3));
    o->close(st);
}

static CU_TestInfo tests[] = {
    {"dense shard", test_dense},
    {"hash shard, placed", test_placed},
    {"hash shard, placed: dump order, bounds and owner", test_placed_dump_and_bounds},
    {"hash shard, placed: keys named by slots", test_placed_by_slot},
    {"sparse shard", test_sparse},
    {"dense shard refuses foreign keys", test_dense_refuses_foreign_keys},
    {"views of a dense shard", test_view},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"store_mem", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
