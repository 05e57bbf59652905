/* The message codec: round trips of every type and shape, byte-exact builds, and
 * every malformed or truncated buffer refused with an error saying why; a seeded
 * mutation loop checks that no corruption crashes the decoder. */
#include <stdlib.h>
#include <string.h>

#include "engine/ps/msg.h"
#include "engine/core/rng.h"
#include "tests/unit/cu_main.h"

static void *build_sample(size_t *len, uint8_t type, uint32_t nkeys, uint32_t vpk, uint32_t aux)
{
    ps_msg_writer w;
    CU_ASSERT_FATAL(ps_msg_build(&w, type, PS_MSG_F_CLOCK_END, 7, 3, -5, nkeys, vpk, aux, NULL) == PS_OK);
    for (uint32_t i = 0; i < nkeys; i++) {
        w.keys[i] = 1000003ull * i + 1;
        for (uint32_t j = 0; j < vpk; j++)
            w.vals[i * vpk + j] = (float)i - 0.25f * (float)j;
    }
    for (uint32_t i = 0; i < aux; i++)
        w.aux[i] = (uint8_t)(i * 7);
    *len = w.len;
    return w.buf;
}

static void check_round_trip(uint8_t type, uint32_t nkeys, uint32_t vpk, uint32_t aux)
{
    size_t len;
    void *buf = build_sample(&len, type, nkeys, vpk, aux);
    CU_ASSERT_EQUAL(len, ps_msg_encoded_size(nkeys, vpk, aux));
    ps_msg m;
    ps_err err;
    CU_ASSERT_FATAL(ps_msg_decode(buf, len, &m, &err) == PS_OK);
    CU_ASSERT_EQUAL(m.type, type);
    CU_ASSERT_EQUAL(m.flags, PS_MSG_F_CLOCK_END);
    CU_ASSERT_EQUAL(m.sender, 7);
    CU_ASSERT_EQUAL(m.table, 3);
    CU_ASSERT_EQUAL(m.clock, -5);
    CU_ASSERT_EQUAL(m.nkeys, nkeys);
    CU_ASSERT_EQUAL(m.vals_per_key, vpk);
    CU_ASSERT_EQUAL(m.aux_len, aux);
    CU_ASSERT((m.vals == NULL) == (vpk == 0 || nkeys == 0));
    CU_ASSERT((m.aux == NULL) == (aux == 0));
    for (uint32_t i = 0; i < nkeys; i++) {
        CU_ASSERT_EQUAL(m.keys[i], 1000003ull * i + 1);
        for (uint32_t j = 0; j < vpk; j++)
            CU_ASSERT_EQUAL(m.vals[i * vpk + j], (float)i - 0.25f * (float)j);
    }
    for (uint32_t i = 0; i < aux; i++)
        CU_ASSERT_EQUAL(m.aux[i], (uint8_t)(i * 7));
    free(buf);
}

static void test_round_trips(void)
{
    uint32_t keys[] = {0, 1, 3, 1000}, vpks[] = {0, 1, 8}, auxes[] = {0, 8, 13};
    for (int t = 1; t <= PS_MSG_TYPE_MAX; t++)
        for (size_t k = 0; k < 4; k++)
            for (size_t v = 0; v < 3; v++)
                for (size_t a = 0; a < 3; a++)
                    check_round_trip((uint8_t)t, keys[k], vpks[v], auxes[a]);
}

static void test_build_is_deterministic(void)
{
    size_t l1, l2;
    void *a = build_sample(&l1, PS_MSG_PUSH, 3, 1, 5), *b = build_sample(&l2, PS_MSG_PUSH, 3, 1, 5);
    CU_ASSERT_EQUAL(l1, l2);
    CU_ASSERT_EQUAL(memcmp(a, b, l1), 0); /* padding included */
    free(a);
    free(b);
}

static void test_build_refuses(void)
{
    ps_msg_writer w;
    ps_err err;
    CU_ASSERT_EQUAL(ps_msg_build(&w, 0, 0, 0, 0, 0, 0, 0, 0, &err), PS_ERR);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_TYPE_MAX + 1, 0, 0, 0, 0, 0, 0, 0, &err), PS_ERR);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PUSH, 0x80, 0, 0, 0, 0, 0, 0, &err), PS_ERR);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PUSH, 0, 0, 0, 0, 1, PS_MSG_MAX_VALS_PER_KEY + 1, 0, &err), PS_ERR);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PUSH, 0, 0, 0, 0, 0xFFFFFFFFu, 1, 0, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "limits"));
}

/* Decodes a mutated copy (in an aligned buffer) and expects an error mentioning `why`. */
static void expect_refused(const void *src, size_t len, const char *why)
{
    uint64_t *copy = malloc(len + 8);
    memcpy(copy, src, len);
    ps_msg m;
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_msg_decode(copy, len, &m, &err), PS_ERR);
    if (!strstr(err.msg, why))
        fprintf(stderr, "\n  expected '%s' in error, got '%s'\n", why, err.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, why));
    free(copy);
}

static void set32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static void test_malformed(void)
{
    size_t len;
    uint8_t *good = build_sample(&len, PS_MSG_PUSH, 4, 2, 8), *bad = malloc(len + 16);
    ps_err err;
    CU_ASSERT_EQUAL(ps_msg_decode(NULL, 0, NULL, &err), PS_ERR);
    for (size_t cut = 0; cut < PS_MSG_HEADER_LEN; cut++)
        expect_refused(good, cut, "truncated header");
    expect_refused(good, len - 1, "truncated message");
    expect_refused(good, PS_MSG_HEADER_LEN, "truncated message");
    memcpy(bad, good, len);
    memset(bad + len, 0, 8);
    expect_refused(bad, len + 8, "trailing");
#define MUTATE(stmt, why)          \
    do {                           \
        memcpy(bad, good, len);    \
        stmt;                      \
        expect_refused(bad, len, why); \
    } while (0)
    MUTATE(bad[0] ^= 1, "magic");
    MUTATE(bad[4] = 0, "version 0");
    MUTATE(bad[4] = 2, "version 2");
    MUTATE(bad[5] = 0, "type 0");
    MUTATE(bad[5] = PS_MSG_TYPE_MAX + 1, "type");
    MUTATE(bad[7] = 0x80, "flags");
    MUTATE(set32(bad, 24, PS_MSG_MAX_VALS_PER_KEY + 1), "values per key");
    MUTATE(set32(bad, 28, PS_MSG_MAX_PAYLOAD + 1), "over the limit");
    MUTATE(set32(bad, 20, 5), "do not fit");
    MUTATE(set32(bad, 20, 0xFFFFFFFFu), "do not fit");
    MUTATE((set32(bad, 20, 0x40000000u), set32(bad, 24, 4096)), "do not fit");
    MUTATE(set32(bad, 28, (uint32_t)(len - PS_MSG_HEADER_LEN + 8)), "truncated message");
    MUTATE(set32(bad, 28, (uint32_t)(len - PS_MSG_HEADER_LEN - 8)), "trailing");
#undef MUTATE
    /* an unaligned buffer is refused rather than read through misaligned pointers */
    memcpy(bad + 1, good, len);
    CU_ASSERT_EQUAL(ps_msg_decode(bad + 1, len, &(ps_msg){0}, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "aligned"));
    free(good);
    free(bad);
}

static void test_check_header_alone(void)
{
    size_t len, total = 0;
    void *good = build_sample(&len, PS_MSG_PULL_REPLY, 10, 1, 8);
    CU_ASSERT_EQUAL(ps_msg_check_header(good, PS_MSG_HEADER_LEN, &total, NULL), PS_OK);
    CU_ASSERT_EQUAL(total, len);
    free(good);
}

/* Key ranges: only the first key is carried, ps_msg_key() gives every key, and
 * a range running past 2^64 or a payload too short for it is refused. */
static void test_key_ranges(void)
{
    ps_msg_writer w;
    ps_msg m;
    ps_err err;
    CU_ASSERT_FATAL(ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_KEY_RANGE, 2, 0, 4, 1000, 1, 8,
                                 &err) == PS_OK);
    CU_ASSERT_EQUAL(w.len, PS_MSG_HEADER_LEN + 8 + 4000 + 8);
    w.keys[0] = 5000;
    for (int i = 0; i < 1000; i++)
        w.vals[i] = (float)i;
    CU_ASSERT_FATAL(ps_msg_decode(w.buf, w.len, &m, &err) == PS_OK);
    CU_ASSERT_PTR_NULL(m.keys);
    CU_ASSERT_EQUAL(m.key_lo, 5000);
    CU_ASSERT_EQUAL(ps_msg_key(&m, 0), 5000);
    CU_ASSERT_EQUAL(ps_msg_key(&m, 999), 5999);
    CU_ASSERT_EQUAL(m.vals[999], 999.0f);
    CU_ASSERT_EQUAL(m.aux_len, 8);
    /* the same counts without the flag need 8 bytes per key: this payload is short */
    uint16_t plain = 0;
    memcpy((uint8_t *)w.buf + 6, &plain, 2);
    CU_ASSERT_EQUAL(ps_msg_decode(w.buf, w.len, &m, &err), PS_ERR);
    uint16_t range = PS_MSG_F_KEY_RANGE;
    memcpy((uint8_t *)w.buf + 6, &range, 2);
    w.keys[0] = UINT64_MAX - 10;
    CU_ASSERT_EQUAL(ps_msg_decode(w.buf, w.len, &m, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "overflows"));
    free(w.buf);
}

/* A pull reply or a push of the keys asked carries no keys: 4 bytes per value; the
 * flag goes with those two types only and never with a key range, in a build or a
 * decode. */
static void test_keys_asked(void)
{
    ps_msg_writer w;
    ps_msg m;
    ps_err err;
    CU_ASSERT_FATAL(ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_KEYS_ASKED, 2, 0, 4, 3, 1, 8,
                                 &err) == PS_OK);
    CU_ASSERT_EQUAL(w.len, PS_MSG_HEADER_LEN + 16 + 8); /* 3 values padded to 16, aux */
    CU_ASSERT_PTR_NULL(w.keys);
    for (int i = 0; i < 3; i++)
        w.vals[i] = (float)i + 0.5f;
    memset(w.aux, 7, 8);
    CU_ASSERT_FATAL(ps_msg_decode(w.buf, w.len, &m, &err) == PS_OK);
    CU_ASSERT_PTR_NULL(m.keys);
    CU_ASSERT_EQUAL(m.nkeys, 3);
    CU_ASSERT_EQUAL(m.vals[2], 2.5f);
    CU_ASSERT_EQUAL(m.aux_len, 8);
    CU_ASSERT_EQUAL(m.aux[7], 7);
    /* as a push they mean the same; as a pull, or with a key range too, they are
     * refused */
    uint8_t type = PS_MSG_PUSH;
    memcpy((uint8_t *)w.buf + 5, &type, 1);
    CU_ASSERT_FATAL(ps_msg_decode(w.buf, w.len, &m, &err) == PS_OK);
    CU_ASSERT_PTR_NULL(m.keys);
    CU_ASSERT_EQUAL(m.vals[1], 1.5f);
    type = PS_MSG_PULL;
    memcpy((uint8_t *)w.buf + 5, &type, 1);
    CU_ASSERT_EQUAL(ps_msg_decode(w.buf, w.len, &m, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "only a pull reply or a push"));
    CU_ASSERT_EQUAL(ps_msg_check_header(w.buf, w.len, NULL, &err), PS_ERR);
    type = PS_MSG_PULL_REPLY;
    memcpy((uint8_t *)w.buf + 5, &type, 1);
    uint16_t both = PS_MSG_F_KEYS_ASKED | PS_MSG_F_KEY_RANGE;
    memcpy((uint8_t *)w.buf + 6, &both, 2);
    CU_ASSERT_EQUAL(ps_msg_decode(w.buf, w.len, &m, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "key range"));
    CU_ASSERT_EQUAL(ps_msg_check_header(w.buf, w.len, NULL, &err), PS_ERR);
    free(w.buf);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PULL, PS_MSG_F_KEYS_ASKED, 2, 0, 4, 3, 0, 0, &err),
                    PS_ERR);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_CLOCK, PS_MSG_F_KEYS_ASKED, 2, 0, 4, 0, 0, 0, &err),
                    PS_ERR);
    CU_ASSERT_FATAL(ps_msg_build(&w, PS_MSG_PUSH, PS_MSG_F_KEYS_ASKED, 2, 0, 4, 3, 1, 0, &err) ==
                    PS_OK);
    CU_ASSERT_EQUAL(w.len, PS_MSG_HEADER_LEN + 16);
    CU_ASSERT_PTR_NULL(w.keys);
    free(w.buf);
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_KEYS_ASKED | PS_MSG_F_KEY_RANGE,
                                 2, 0, 4, 3, 1, 0, &err),
                    PS_ERR);
}

/* Random corruption of valid messages: the decoder either refuses or returns a
 * view that lies wholly inside the buffer. */
static void test_fuzz_mutations(void)
{
    ps_rng r;
    ps_rng_init(&r, 2024, 99);
    size_t len;
    uint8_t *good = build_sample(&len, PS_MSG_PUSH, 6, 1, 16);
    uint64_t *bad = malloc(len);
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(bad, good, len);
        int flips = 1 + (int)ps_rng_below(&r, 4);
        for (int f = 0; f < flips; f++)
            ((uint8_t *)bad)[ps_rng_below(&r, len)] ^= (uint8_t)(1u << ps_rng_below(&r, 8));
        size_t cut = ps_rng_below(&r, 5) == 0 ? ps_rng_below(&r, len + 1) : len;
        ps_msg m;
        if (ps_msg_decode(bad, cut, &m, NULL) != PS_OK)
            continue;
        accepted++;
        const uint8_t *lo = (const uint8_t *)bad, *hi = lo + cut;
        uint64_t kbytes = m.keys                               ? 8ull * m.nkeys
                          : (m.flags & PS_MSG_F_KEYS_ASKED) || !m.nkeys ? 0u
                                                                        : 8u;
        uint64_t need = kbytes + 4ull * m.nkeys * m.vals_per_key + m.aux_len;
        CU_ASSERT_FATAL(need <= cut - PS_MSG_HEADER_LEN);
        if (m.keys)
            CU_ASSERT_FATAL((const uint8_t *)(m.keys + m.nkeys) <= hi);
        if (m.aux)
            CU_ASSERT_FATAL(m.aux + m.aux_len <= hi && m.aux >= lo);
    }
    CU_ASSERT(accepted > 0); /* flips in keys/values/aux are still valid messages */
    free(good);
    free(bad);
}

/* A spliced build with its values put back at *at is byte for byte the message
 * ps_msg_build makes, for key lists and ranges, odd and even value counts (the
 * padding after the values stays in the head). */
static void test_spliced_build(void)
{
    uint32_t counts[] = {1, 2, 7, 1000};
    for (int range = 0; range < 2; range++)
        for (size_t k = 0; k < 4; k++) {
            uint32_t n = counts[k];
            uint16_t flags = range ? PS_MSG_F_KEY_RANGE : 0;
            float *vals = malloc(n * sizeof *vals);
            for (uint32_t i = 0; i < n; i++)
                vals[i] = 0.5f * (float)i - 3.0f;
            ps_msg_writer full, head;
            size_t at, vals_len;
            CU_ASSERT_FATAL(ps_msg_build(&full, PS_MSG_PULL_REPLY, flags, 4, 0, 9, n, 1, 8,
                                         NULL) == PS_OK);
            CU_ASSERT_FATAL(ps_msg_build_spliced(&head, PS_MSG_PULL_REPLY, flags, 4, 0, 9, n, 1,
                                                 8, &at, &vals_len, NULL) == PS_OK);
            CU_ASSERT_PTR_NULL(head.vals);
            CU_ASSERT_EQUAL(vals_len, 4u * n);
            CU_ASSERT_EQUAL(head.len + vals_len, full.len);
            for (uint32_t i = 0; i < (range ? 1 : n); i++)
                full.keys[i] = head.keys[i] = 100 + 3ull * i;
            memcpy(full.vals, vals, vals_len);
            memcpy(full.aux, "abcdefgh", 8);
            memcpy(head.aux, "abcdefgh", 8);
            uint8_t *joined = malloc(full.len);
            memcpy(joined, head.buf, at);
            memcpy(joined + at, vals, vals_len);
            memcpy(joined + at + vals_len, (uint8_t *)head.buf + at, head.len - at);
            CU_ASSERT_EQUAL(memcmp(joined, full.buf, full.len), 0);
            ps_msg m;
            CU_ASSERT_EQUAL(ps_msg_decode(joined, full.len, &m, NULL), PS_OK);
            free(joined);
            free(full.buf);
            free(head.buf);
            free(vals);
        }
}

static CU_TestInfo tests[] = {
    {"round trips of every type and shape", test_round_trips},
    {"builds are byte-identical", test_build_is_deterministic},
    {"build refuses bad arguments", test_build_refuses},
    {"every malformed buffer is refused", test_malformed},
    {"header check alone gives the length", test_check_header_alone},
    {"key ranges", test_key_ranges},
    {"pull replies of the keys asked", test_keys_asked},
    {"random corruption never crashes", test_fuzz_mutations},
    {"a spliced build joins into the same bytes", test_spliced_build},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"msg", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
