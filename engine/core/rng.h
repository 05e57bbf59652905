/* Deterministic random numbers. One run seed drives everything: each consumer
 * derives its own stream from (seed, stream id), so adding a consumer does not
 * shift the draws of the others. Stateless hashing (ps_hash64) gives values that
 * are a pure function of an index, e.g. the true weight of feature j. */
#ifndef PS_RNG_H
#define PS_RNG_H

#include <stdint.h>

typedef struct ps_rng {
    uint64_t s[4]; /* xoshiro256** state */
} ps_rng;

/* Streams used by the engine; new consumers take a new number. */
enum {
    PS_STREAM_DATA = 1,      /* synthetic data generation */
    PS_STREAM_TRUTH = 2,     /* true model of synthetic data */
    PS_STREAM_INIT = 3,      /* parameter initialisation */
    PS_STREAM_SAMPLE = 4,    /* mini-batch sampling, shuffles */
    PS_STREAM_PLATFORM = 5,  /* platform heterogeneity */
    PS_STREAM_STRAGGLER = 6, /* injected slowdowns */
    PS_STREAM_FAULT = 7      /* failures drawn at fault.rate (+ the attempt) */
};

/* splitmix64 finaliser: a good 64-bit mix, bijective. */
static inline uint64_t ps_hash64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Uniform in (0, 1], from a 64-bit value; never 0 so log() is safe. */
static inline double ps_u64_to_unit(uint64_t x)
{
    return ((double)(x >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

void ps_rng_init(ps_rng *r, uint64_t seed, uint64_t stream);
uint64_t ps_rng_u64(ps_rng *r);
double ps_rng_unit(ps_rng *r);            /* (0, 1] */
uint64_t ps_rng_below(ps_rng *r, uint64_t n); /* [0, n), unbiased; n > 0 */
double ps_rng_normal(ps_rng *r);          /* standard normal */

#endif
