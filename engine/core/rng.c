/* xoshiro256** seeded through splitmix64; see rng.h. */
#include "engine/core/rng.h"

#include <math.h>

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void ps_rng_init(ps_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = ps_hash64(seed) ^ ps_hash64(stream * 0xD1342543DE82EF95ull + 1);
    for (int i = 0; i < 4; i++) {
        x = ps_hash64(x + (uint64_t)i);
        r->s[i] = x;
    }
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

uint64_t ps_rng_u64(ps_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ps_rng_unit(ps_rng *r) { return ps_u64_to_unit(ps_rng_u64(r)); }

uint64_t ps_rng_below(ps_rng *r, uint64_t n)
{
    /* Lemire's rejection keeps the draw unbiased for any n. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = ps_rng_u64(r);
        unsigned __int128 m = (unsigned __int128)x * n;
        if ((uint64_t)m >= threshold)
            return (uint64_t)(m >> 64);
    }
}

double ps_rng_normal(ps_rng *r)
{
    double u1 = ps_rng_unit(r), u2 = ps_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
