/* The worker-side parameter cache (FlexPS, Petuum's process cache): one per node,
 * shared by the node's workers, holding pulled chunks (a key's values) up to a
 * size in bytes, evicted by a policy (policies/cache/). A worker reads a chunk
 * from it when the consistency model's staleness bound allows (the chunk records
 * how many clocks the slowest worker had completed at its server when it was
 * served), and a chunk another worker of the node is fetching for the same clock
 * is waited for rather than fetched twice. Every call but new/free is made
 * between ps_cache_lock and ps_cache_unlock: the real backend runs a node's
 * workers as threads. */
#ifndef PS_CACHE_H
#define PS_CACHE_H

#include <stdint.h>

#include "engine/core/err.h"
#include "policies/cache/cache_policy.h"

typedef struct ps_cache ps_cache;

#define PS_CACHE_NONE UINT32_MAX

/* What a worker may do with the cache at a read (see worker_cache.c). */
typedef struct ps_cache_rule {
    int32_t bound;  /* a chunk filled when the slowest worker had completed f clocks may
                     * be read at clock c when c - f <= bound */
    int joins;      /* nonzero: a fetch in flight for the same stage and clock is shared */
} ps_cache_rule;

enum { PS_CACHE_FETCH = 0, PS_CACHE_HIT = 1, PS_CACHE_JOIN = 2 };

typedef struct ps_cache_read {
    int what;       /* PS_CACHE_* */
    uint32_t slot;  /* HIT, JOIN: the chunk; FETCH: the chunk now waiting for this
                     * worker's fetch, or PS_CACHE_NONE (fetched but not cached) */
    int fetcher;    /* JOIN: the worker whose fetch fills it */
    int32_t fresh;  /* HIT: its slowest-worker clocks */
} ps_cache_read;

/* Each chunk counts its values and its bookkeeping against the size. */
uint64_t ps_cache_chunk_bytes(uint32_t vals_per_key);

/* A cache of `bytes` for a node of n_workers workers. */
ps_cache *ps_cache_new(const ps_cache_policy_ops *policy, uint64_t bytes, int n_workers,
                       ps_err *err);
void ps_cache_free(ps_cache *c);
void ps_cache_lock(ps_cache *c);
void ps_cache_unlock(ps_cache *c);

/* Worker `worker` wants chunk `id` (vpk values) for clock `clock` of stage
 * `stage`. A HIT's values are ps_cache_values(slot), to copy before unlocking; a
 * JOIN pins the chunk until ps_cache_take; a FETCH may leave a chunk waiting for
 * the caller's reply (ps_cache_fill). -1 only when out of memory. */
int ps_cache_lookup(ps_cache *c, const ps_cache_rule *rule, uint64_t id, uint32_t vpk,
                    int worker, int stage, int32_t clock, ps_cache_read *out);
const float *ps_cache_values(const ps_cache *c, uint32_t slot);

/* The fetch's reply for a waiting chunk: its values, served when the slowest worker
 * had completed `fresh` clocks; keep = 0: it may lack a push of the node, so only
 * those waiting for it read it (ps_cache_reply_keeps). */
void ps_cache_fill(ps_cache *c, uint32_t slot, const float *vals, int32_t fresh, int keep);
/* A joined chunk, once filled: copies its values, unpins it, returns its fresh. */
int32_t ps_cache_take(ps_cache *c, uint32_t slot, float *out);

/* Worker `at` (its index within the node) is about to push deltas of `clock`. */
void ps_cache_note_push(ps_cache *c, int at, int32_t clock);
/* The clocks each worker of the node had last pushed (n of them), when a fetch
 * leaves: its reply is kept for later reads only if its server had, for each of
 * them, completed that clock (done[i] > pushed[i]), i.e. applied the pushes that
 * left before it, which a reply overtaking them would lack. */
void ps_cache_pushed(const ps_cache *c, int32_t *pushed);
int ps_cache_reply_keeps(const int32_t *pushed, const int32_t *done, int n);
/* Write-through of a local push (read-my-writes across clocks): a filled chunk of
 * the stage gets the deltas, as the server adds them; one being fetched is marked,
 * and dropped once its readers have it. */
void ps_cache_write(ps_cache *c, uint64_t id, int stage, const float *delta, uint32_t vpk);

/* Joiners: `joiner` waits for `fetcher`'s fetch tagged `tag` (its table and server)
 * of `clock`, once however many chunks it joined. -1 when out of memory. */
int ps_cache_wait(ps_cache *c, int fetcher, int joiner, uint32_t tag, int32_t clock);
/* The fetcher, its reply in: moves up to max of those waiting for (tag, clock) into
 * out; returns how many. */
int ps_cache_waiters(ps_cache *c, int fetcher, uint32_t tag, int32_t clock, int *out, int max);

/* The run is being interrupted (a fetcher's reply said so), under the lock: its
 * joiners, woken with nothing filled, end instead of stepping on it. */
void ps_cache_set_interrupted(ps_cache *c);
int ps_cache_interrupted(const ps_cache *c);

/* For tests and reports. */
uint64_t ps_cache_bytes_used(const ps_cache *c);
uint64_t ps_cache_bytes_peak(const ps_cache *c);
uint64_t ps_cache_evictions(const ps_cache *c);
/* The slot holding id, or PS_CACHE_NONE. */
uint32_t ps_cache_find(const ps_cache *c, uint64_t id);

#endif
