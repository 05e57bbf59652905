/* Per-epoch permutations of a worker's rows; see batch_order.h. */
#include "engine/ps/batch_order.h"

#include "engine/core/rng.h"

static uint64_t feistel(uint64_t x, unsigned half, uint64_t key)
{
    uint64_t mask = (UINT64_C(1) << half) - 1, l = x >> half, r = x & mask;
    for (int round = 0; round < 4; round++) {
        uint64_t f = ps_hash64(key + (uint64_t)round * 0x9E3779B97F4A7C15ull + r) & mask;
        uint64_t t = r;
        r = l ^ f;
        l = t;
    }
    return l << half | r;
}

uint64_t ps_batch_order_row(uint64_t seed, int worker, uint64_t epoch, uint64_t pos, uint64_t n)
{
    if (n <= 1)
        return 0;
    unsigned bits = 0;
    while (bits < 64 && (UINT64_C(1) << bits) < n)
        bits++;
    bits += bits & 1; /* two equal halves */
    uint64_t key = ps_hash64(seed ^ ((uint64_t)PS_STREAM_SAMPLE << 56) ^
                             ps_hash64((uint64_t)worker << 32 ^ epoch));
    uint64_t x = pos;
    do /* cycle-walking: a permutation of [0, 2^bits) restricted to [0, n) */
        x = feistel(x, bits / 2, key);
    while (x >= n);
    return x;
}
