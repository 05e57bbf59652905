/* The worker-side parameter cache (engine/ps/cache.c) driven directly: its size
 * bound and each policy's eviction order, the staleness bound of a read, fetches
 * shared within a node, pins, write-through, and the guards that keep a chunk
 * that may lack a local push from being read later. */
#include "engine/ps/cache.h"
#include "tests/unit/cu_main.h"

extern const ps_cache_policy_ops ps_cache_lru, ps_cache_lfu;

static const ps_cache_rule bsp = {.bound = 0, .joins = 1};
static const ps_cache_rule ssp2 = {.bound = 2, .joins = 0};

/* Worker w fetches chunk id for clock c and fills it with v, served at `fresh`. */
static uint32_t fetch_fill(ps_cache *c, const ps_cache_rule *rule, uint64_t id, int w,
                           int32_t clock, float v, int32_t fresh)
{
    ps_cache_read rd;
    CU_ASSERT_EQUAL_FATAL(ps_cache_lookup(c, rule, id, 1, w, 0, clock, &rd), 0);
    CU_ASSERT_EQUAL(rd.what, PS_CACHE_FETCH);
    if (rd.slot != PS_CACHE_NONE)
        ps_cache_fill(c, rd.slot, &v, fresh, 1);
    return rd.slot;
}

static int what(ps_cache *c, const ps_cache_rule *rule, uint64_t id, int w, int32_t clock)
{
    ps_cache_read rd;
    CU_ASSERT_EQUAL(ps_cache_lookup(c, rule, id, 1, w, 0, clock, &rd), 0);
    return rd.what;
}

static void test_size_bound_and_lru(void)
{
    uint64_t one = ps_cache_chunk_bytes(1);
    ps_cache *c = ps_cache_new(&ps_cache_lru, 3 * one, 4, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (uint64_t id = 1; id <= 3; id++)
        CU_ASSERT_NOT_EQUAL(fetch_fill(c, &ssp2, id, 0, 5, (float)id, 5), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_bytes_used(c), 3 * one);
    CU_ASSERT_EQUAL(what(c, &ssp2, 1, 0, 5), PS_CACHE_HIT); /* 1 is now the most recent */
    fetch_fill(c, &ssp2, 4, 0, 5, 4, 5);                    /* evicts 2, the least recent */
    CU_ASSERT_EQUAL(ps_cache_bytes_used(c), 3 * one);
    CU_ASSERT_EQUAL(ps_cache_evictions(c), 1);
    CU_ASSERT_EQUAL(ps_cache_find(c, 2), PS_CACHE_NONE);
    CU_ASSERT_NOT_EQUAL(ps_cache_find(c, 1), PS_CACHE_NONE);
    CU_ASSERT_NOT_EQUAL(ps_cache_find(c, 3), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_bytes_peak(c), 3 * one);
    ps_cache_free(c);
}

static void test_lfu_keeps_the_frequent(void)
{
    uint64_t one = ps_cache_chunk_bytes(1);
    ps_cache *c = ps_cache_new(&ps_cache_lfu, 3 * one, 4, NULL);
    for (uint64_t id = 1; id <= 3; id++)
        fetch_fill(c, &ssp2, id, 0, 5, 0, 5);
    for (int i = 0; i < 3; i++) /* 1 read often, long ago; 2 and 3 once more, later */
        CU_ASSERT_EQUAL(what(c, &ssp2, 1, 0, 5), PS_CACHE_HIT);
    CU_ASSERT_EQUAL(what(c, &ssp2, 3, 0, 5), PS_CACHE_HIT);
    CU_ASSERT_EQUAL(what(c, &ssp2, 2, 0, 5), PS_CACHE_HIT);
    fetch_fill(c, &ssp2, 4, 0, 5, 0, 5); /* LRU would evict 1; LFU evicts 3 (2 uses, older) */
    CU_ASSERT_NOT_EQUAL(ps_cache_find(c, 1), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_find(c, 3), PS_CACHE_NONE);
    ps_cache_free(c);
}

/* A chunk served when the slowest worker had completed f clocks may be read at
 * clocks up to f + bound, and not one more; BSP's bound 0: only at f. */
static void test_staleness_bound(void)
{
    ps_cache *c = ps_cache_new(&ps_cache_lru, 1 << 20, 4, NULL);
    float v = 7;
    ps_cache_read rd;
    fetch_fill(c, &ssp2, 9, 0, 10, v, 8);
    for (int32_t clock = 8; clock <= 10; clock++) {
        CU_ASSERT_EQUAL(ps_cache_lookup(c, &ssp2, 9, 1, 1, 0, clock, &rd), 0);
        CU_ASSERT_EQUAL(rd.what, PS_CACHE_HIT);
        CU_ASSERT_EQUAL(rd.fresh, 8);
        CU_ASSERT_EQUAL(ps_cache_values(c, rd.slot)[0], 7);
    }
    CU_ASSERT_EQUAL(what(c, &ssp2, 9, 1, 11), PS_CACHE_FETCH); /* 3 ahead: fetched again */
    fetch_fill(c, &bsp, 5, 0, 4, v, 4);
    CU_ASSERT_EQUAL(what(c, &bsp, 5, 1, 4), PS_CACHE_HIT);
    CU_ASSERT_EQUAL(what(c, &bsp, 5, 1, 5), PS_CACHE_FETCH);
    /* a chunk of another stage is never read */
    fetch_fill(c, &ssp2, 6, 0, 4, v, 4);
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &ssp2, 6, 1, 1, 1, 4, &rd), 0);
    CU_ASSERT_EQUAL(rd.what, PS_CACHE_FETCH);
    ps_cache_free(c);
}

/* A fetch in flight is shared by the node's workers of the same clock, once each,
 * and its chunk stays until every joiner took it, whatever the size bound says. */
static void test_joins_and_pins(void)
{
    uint64_t one = ps_cache_chunk_bytes(1);
    ps_cache *c = ps_cache_new(&ps_cache_lru, 2 * one, 4, NULL);
    ps_cache_read rd, a, b;
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 1, 1, 0, 0, 3, &rd), 0);
    CU_ASSERT_EQUAL(rd.what, PS_CACHE_FETCH);
    uint32_t slot = rd.slot;
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 1, 1, 1, 0, 3, &a), 0);
    CU_ASSERT_EQUAL(a.what, PS_CACHE_JOIN);
    CU_ASSERT_EQUAL(a.fetcher, 0);
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 1, 1, 2, 0, 3, &b), 0);
    CU_ASSERT_EQUAL(b.what, PS_CACHE_JOIN);
    CU_ASSERT_EQUAL(what(c, &bsp, 1, 3, 4), PS_CACHE_FETCH); /* another clock: not shared */
    CU_ASSERT_EQUAL(what(c, &bsp, 1, 0, 3), PS_CACHE_FETCH); /* nor with its own fetcher */
    CU_ASSERT_EQUAL(what(c, &ssp2, 1, 1, 3), PS_CACHE_FETCH); /* nor where joins are off */
    CU_ASSERT_EQUAL(ps_cache_wait(c, 0, 1, 7, 3), 1);
    CU_ASSERT_EQUAL(ps_cache_wait(c, 0, 1, 7, 3), 0); /* one wake-up per fetch */
    CU_ASSERT_EQUAL(ps_cache_wait(c, 0, 2, 7, 3), 1);
    CU_ASSERT_EQUAL(ps_cache_wait(c, 0, 2, 8, 3), 1);
    float v = 2.5f, got = 0;
    ps_cache_fill(c, slot, &v, 3, 1);
    int who[4];
    CU_ASSERT_EQUAL(ps_cache_waiters(c, 0, 7, 3, who, 4), 2);
    CU_ASSERT_EQUAL(who[0], 1);
    CU_ASSERT_EQUAL(who[1], 2);
    CU_ASSERT_EQUAL(ps_cache_waiters(c, 0, 7, 3, who, 4), 0);
    CU_ASSERT_EQUAL(ps_cache_waiters(c, 0, 8, 3, who, 4), 1);
    fetch_fill(c, &bsp, 2, 0, 3, 0, 3);
    /* full; chunk 1 is pinned by its two joiners, so room is made by evicting 2 */
    CU_ASSERT_NOT_EQUAL(fetch_fill(c, &bsp, 3, 0, 3, 0, 3), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_find(c, 2), PS_CACHE_NONE);
    CU_ASSERT_NOT_EQUAL(ps_cache_find(c, 1), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_take(c, a.slot, &got), 3);
    CU_ASSERT_EQUAL(got, 2.5f);
    CU_ASSERT_NOT_EQUAL(fetch_fill(c, &bsp, 4, 0, 3, 0, 3), PS_CACHE_NONE); /* evicts 3 */
    CU_ASSERT_NOT_EQUAL(ps_cache_find(c, 1), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_take(c, b.slot, &got), 3);
    CU_ASSERT_NOT_EQUAL(fetch_fill(c, &bsp, 5, 0, 3, 0, 3), PS_CACHE_NONE); /* now 1 goes */
    CU_ASSERT_EQUAL(ps_cache_find(c, 1), PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_bytes_used(c), 2 * one);
    /* nothing evictable (one pending, one pinned): a new chunk is fetched uncached */
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 6, 1, 0, 0, 9, &rd), 0);
    CU_ASSERT_NOT_EQUAL(rd.slot, PS_CACHE_NONE);
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 6, 1, 1, 0, 9, &a), 0);
    CU_ASSERT_EQUAL(a.what, PS_CACHE_JOIN);
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 7, 1, 0, 0, 9, &b), 0);
    CU_ASSERT_NOT_EQUAL(b.slot, PS_CACHE_NONE); /* evicted 4 */
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &bsp, 8, 1, 0, 0, 9, &b), 0);
    CU_ASSERT_EQUAL(b.what, PS_CACHE_FETCH);
    CU_ASSERT_EQUAL(b.slot, PS_CACHE_NONE);
    ps_cache_free(c);
}

/* Write-through adds a local push to a filled chunk, as the server does; a chunk
 * written while being fetched, or fetched while a push of the node may not have
 * reached its server, serves its fetch and is then dropped. */
static void test_write_through_and_guards(void)
{
    ps_cache *c = ps_cache_new(&ps_cache_lru, 1 << 20, 4, NULL);
    float d = 0.5f;
    ps_cache_read rd;
    fetch_fill(c, &ssp2, 1, 0, 4, 1.0f, 4);
    ps_cache_write(c, 1, 0, &d, 1);
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &ssp2, 1, 1, 1, 0, 5, &rd), 0);
    CU_ASSERT_EQUAL(rd.what, PS_CACHE_HIT);
    CU_ASSERT_EQUAL(ps_cache_values(c, rd.slot)[0], 1.5f);
    /* written while in flight */
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &ssp2, 2, 1, 0, 0, 4, &rd), 0);
    ps_cache_write(c, 2, 0, &d, 1);
    float v = 3;
    ps_cache_fill(c, rd.slot, &v, 4, 1);
    CU_ASSERT_EQUAL(ps_cache_find(c, 2), PS_CACHE_NONE);
    /* a reply that may lack a push of the node serves its readers, nobody later */
    CU_ASSERT_EQUAL(ps_cache_lookup(c, &ssp2, 3, 1, 0, 0, 7, &rd), 0);
    ps_cache_fill(c, rd.slot, &v, 6, 0);
    CU_ASSERT_EQUAL(ps_cache_find(c, 3), PS_CACHE_NONE);
    fetch_fill(c, &ssp2, 3, 0, 7, 0, 6);
    CU_ASSERT_EQUAL(what(c, &ssp2, 3, 1, 8), PS_CACHE_HIT);
    /* whether it may: the node's pushes as the fetch left, its server's clocks */
    int32_t pushed[4];
    ps_cache_pushed(c, pushed);
    CU_ASSERT_EQUAL(pushed[2], -1);
    ps_cache_note_push(c, 2, 6);
    ps_cache_note_push(c, 2, 5); /* never backwards */
    ps_cache_note_push(c, 0, 3);
    ps_cache_pushed(c, pushed);
    CU_ASSERT_EQUAL(pushed[2], 6);
    CU_ASSERT_EQUAL(pushed[0], 3);
    int32_t done[4] = {4, 0, 7, 0};
    CU_ASSERT_TRUE(ps_cache_reply_keeps(pushed, done, 4));
    done[2] = 6; /* worker 2's push of clock 6 had not reached the server */
    CU_ASSERT_FALSE(ps_cache_reply_keeps(pushed, done, 4));
    ps_cache_free(c);
}

static CU_TestInfo tests[] = {
    {"size bound and LRU order", test_size_bound_and_lru},
    {"LFU keeps the frequent", test_lfu_keeps_the_frequent},
    {"the staleness bound of a read", test_staleness_bound},
    {"fetches shared in a node, pins", test_joins_and_pins},
    {"write-through and the guards", test_write_through_and_guards},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"cache", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
