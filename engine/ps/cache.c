/* The node's parameter cache (cache.h): a key map to chunk slots, a heap of the
 * evictable chunks (filled, unpinned) in the policy's order, and the list of
 * workers waiting for another's fetch. */
#include "engine/ps/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/store/keymap.h"

enum { CHUNK_FREE = 0, CHUNK_PENDING = 1, CHUNK_FILLED = 2 };

typedef struct chunk {
    uint64_t id;
    float *vals;
    uint32_t vpk, pins, heap_at; /* heap_at: PS_CACHE_NONE when not evictable */
    int32_t fresh, clock;
    int stage, owner;
    uint8_t state, dirty, doomed;
    ps_cache_use use;
} chunk;

typedef struct waiter {
    int fetcher, joiner;
    uint32_t tag;
    int32_t clock;
} waiter;

struct ps_cache {
    pthread_mutex_t mu;
    int interrupted;
    const ps_cache_policy_ops *policy;
    uint64_t cap_bytes, used_bytes, peak_bytes, tick, evictions;
    ps_keymap map;             /* id -> slot */
    chunk *chunks;
    uint32_t n_chunks, cap_chunks, *free_slots, n_free;
    uint32_t *heap, n_heap;    /* slots, the first to evict on top */
    waiter *waiters;
    size_t n_waiters, cap_waiters;
    int32_t *pushed;           /* per worker of the node: the last clock it pushed */
    int n_workers;
};

uint64_t ps_cache_chunk_bytes(uint32_t vals_per_key)
{
    /* the chunk, its map entry (key, value, used byte), its heap entry, its values */
    return sizeof(chunk) + sizeof(uint64_t) + 2 * sizeof(uint32_t) + 1 +
           (uint64_t)vals_per_key * sizeof(float);
}

ps_cache *ps_cache_new(const ps_cache_policy_ops *policy, uint64_t bytes, int n_workers,
                       ps_err *err)
{
    ps_cache *c = calloc(1, sizeof *c);
    int32_t *pushed = malloc((size_t)(n_workers > 0 ? n_workers : 1) * sizeof *pushed);
    if (!c || !pushed || ps_keymap_init(&c->map, 1024, err)) {
        free(c);
        free(pushed);
        return ps_err_set(err, "out of memory for a parameter cache"), NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->policy = policy;
    c->cap_bytes = bytes;
    c->pushed = pushed;
    c->n_workers = n_workers;
    for (int i = 0; i < n_workers; i++)
        pushed[i] = -1;
    return c;
}

void ps_cache_free(ps_cache *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n_chunks; i++)
        free(c->chunks[i].vals);
    free(c->chunks);
    free(c->free_slots);
    free(c->heap);
    free(c->waiters);
    free(c->pushed);
    ps_keymap_free(&c->map);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void ps_cache_lock(ps_cache *c) { pthread_mutex_lock(&c->mu); }
void ps_cache_unlock(ps_cache *c) { pthread_mutex_unlock(&c->mu); }

/* ---- the eviction heap ---- */

static int heap_before(const ps_cache *c, uint32_t a, uint32_t b)
{
    return c->policy->evict_before(&c->chunks[a].use, &c->chunks[b].use);
}

static void heap_set(ps_cache *c, uint32_t at, uint32_t slot)
{
    c->heap[at] = slot;
    c->chunks[slot].heap_at = at;
}

static void heap_fix(ps_cache *c, uint32_t at)
{
    uint32_t slot = c->heap[at];
    while (at > 0 && heap_before(c, slot, c->heap[(at - 1) / 2])) {
        heap_set(c, at, c->heap[(at - 1) / 2]);
        at = (at - 1) / 2;
    }
    for (;;) {
        uint32_t l = 2 * at + 1, best = at;
        uint32_t best_slot = slot;
        if (l < c->n_heap && heap_before(c, c->heap[l], best_slot))
            best = l, best_slot = c->heap[l];
        if (l + 1 < c->n_heap && heap_before(c, c->heap[l + 1], best_slot))
            best = l + 1, best_slot = c->heap[l + 1];
        if (best == at)
            break;
        heap_set(c, at, best_slot);
        at = best;
    }
    heap_set(c, at, slot);
}

static void heap_add(ps_cache *c, uint32_t slot)
{
    /* the heap's room is that of the chunks, reserved when a chunk is made */
    heap_set(c, c->n_heap++, slot);
    heap_fix(c, c->n_heap - 1);
}

static void heap_remove(ps_cache *c, uint32_t slot)
{
    uint32_t at = c->chunks[slot].heap_at;
    if (at == PS_CACHE_NONE)
        return;
    c->chunks[slot].heap_at = PS_CACHE_NONE;
    uint32_t last = c->heap[--c->n_heap];
    if (at < c->n_heap) {
        heap_set(c, at, last);
        heap_fix(c, at);
    }
}

/* ---- chunks ---- */

static void chunk_touch(ps_cache *c, chunk *k)
{
    k->use.last = ++c->tick;
    k->use.uses++;
}

static void chunk_drop(ps_cache *c, uint32_t slot)
{
    chunk *k = &c->chunks[slot];
    heap_remove(c, slot);
    ps_keymap_del(&c->map, k->id);
    c->used_bytes -= ps_cache_chunk_bytes(k->vpk);
    free(k->vals);
    *k = (chunk){.state = CHUNK_FREE, .heap_at = PS_CACHE_NONE};
    c->free_slots[c->n_free++] = slot;
}

/* A chunk nobody waits on: evictable if it may be read again, else gone. */
static void chunk_settle(ps_cache *c, uint32_t slot)
{
    chunk *k = &c->chunks[slot];
    if (k->state != CHUNK_FILLED || k->pins)
        return;
    if (k->doomed)
        chunk_drop(c, slot);
    else if (k->heap_at == PS_CACHE_NONE)
        heap_add(c, slot);
}

static int chunks_reserve(ps_cache *c)
{
    if (c->n_chunks < c->cap_chunks)
        return PS_OK;
    uint32_t cap = c->cap_chunks ? 2 * c->cap_chunks : 256;
    if (ps_resize(&c->chunks, cap, sizeof *c->chunks) ||
        ps_resize(&c->free_slots, cap, sizeof *c->free_slots) ||
        ps_resize(&c->heap, cap, sizeof *c->heap))
        return PS_ERR;
    c->cap_chunks = cap;
    return PS_OK;
}

/* A new chunk, room made by evicting; NONE when the cache cannot hold it
 * (everything else is pinned or being fetched). */
static uint32_t chunk_new(ps_cache *c, uint64_t id, uint32_t vpk, int *oom)
{
    uint64_t need = ps_cache_chunk_bytes(vpk);
    while (c->used_bytes + need > c->cap_bytes && c->n_heap) {
        chunk_drop(c, c->heap[0]);
        c->evictions++;
    }
    if (c->used_bytes + need > c->cap_bytes)
        return PS_CACHE_NONE;
    float *vals = malloc((size_t)vpk * sizeof *vals);
    if (!vals || (!c->n_free && chunks_reserve(c))) {
        free(vals);
        *oom = 1;
        return PS_CACHE_NONE;
    }
    uint32_t slot = c->n_free ? c->free_slots[--c->n_free] : c->n_chunks++;
    int inserted;
    uint32_t *at = ps_keymap_put(&c->map, id, &inserted);
    if (!at) {
        free(vals);
        c->free_slots[c->n_free++] = slot;
        *oom = 1;
        return PS_CACHE_NONE;
    }
    *at = slot;
    c->chunks[slot] = (chunk){.id = id, .vals = vals, .vpk = vpk, .heap_at = PS_CACHE_NONE};
    c->used_bytes += need;
    if (c->used_bytes > c->peak_bytes)
        c->peak_bytes = c->used_bytes;
    return slot;
}

/* Slot `slot` (new or reused) now waits for `worker`'s fetch for clock `clock`. */
static void chunk_await(ps_cache *c, uint32_t slot, int worker, int stage, int32_t clock)
{
    chunk *k = &c->chunks[slot];
    heap_remove(c, slot);
    k->state = CHUNK_PENDING;
    k->owner = worker;
    k->stage = stage;
    k->clock = clock;
    k->dirty = k->doomed = 0;
    chunk_touch(c, k);
}

int ps_cache_lookup(ps_cache *c, const ps_cache_rule *rule, uint64_t id, uint32_t vpk,
                    int worker, int stage, int32_t clock, ps_cache_read *out)
{
    *out = (ps_cache_read){.what = PS_CACHE_FETCH, .slot = PS_CACHE_NONE};
    const uint32_t *at = ps_keymap_get(&c->map, id);
    if (at) {
        uint32_t slot = *at;
        chunk *k = &c->chunks[slot];
        if (k->state == CHUNK_FILLED && k->stage == stage && k->vpk == vpk &&
            clock - k->fresh <= rule->bound && !k->doomed) {
            chunk_touch(c, k);
            if (k->heap_at != PS_CACHE_NONE)
                heap_fix(c, k->heap_at);
            *out = (ps_cache_read){.what = PS_CACHE_HIT, .slot = slot, .fresh = k->fresh};
            return 0;
        }
        if (k->state == CHUNK_PENDING && rule->joins && k->stage == stage && k->clock == clock &&
            k->owner != worker && k->vpk == vpk) {
            k->pins++;
            chunk_touch(c, k);
            *out = (ps_cache_read){.what = PS_CACHE_JOIN, .slot = slot, .fetcher = k->owner};
            return 0;
        }
        if (k->state == CHUNK_FILLED && !k->pins && k->vpk == vpk) { /* stale: fetch again */
            chunk_await(c, slot, worker, stage, clock);
            out->slot = slot;
        }
        return 0; /* being fetched for another clock, or still read: fetched uncached */
    }
    int oom = 0;
    uint32_t slot = chunk_new(c, id, vpk, &oom);
    if (slot != PS_CACHE_NONE) {
        chunk_await(c, slot, worker, stage, clock);
        out->slot = slot;
    }
    return oom ? -1 : 0;
}

const float *ps_cache_values(const ps_cache *c, uint32_t slot) { return c->chunks[slot].vals; }

void ps_cache_fill(ps_cache *c, uint32_t slot, const float *vals, int32_t fresh, int keep)
{
    chunk *k = &c->chunks[slot];
    memcpy(k->vals, vals, (size_t)k->vpk * sizeof *vals);
    k->state = CHUNK_FILLED;
    k->fresh = fresh;
    /* a local push it may lack: its readers of this fetch have it, nobody later */
    k->doomed = k->dirty || !keep;
    chunk_settle(c, slot);
}

int32_t ps_cache_take(ps_cache *c, uint32_t slot, float *out)
{
    chunk *k = &c->chunks[slot];
    if (k->state != CHUNK_FILLED || !k->pins)
        abort(); /* a joiner takes a chunk once, after its fetcher said it is filled */
    memcpy(out, k->vals, (size_t)k->vpk * sizeof *out);
    int32_t fresh = k->fresh;
    k->pins--;
    chunk_settle(c, slot);
    return fresh;
}

void ps_cache_note_push(ps_cache *c, int at, int32_t clock)
{
    if (at >= 0 && at < c->n_workers && clock > c->pushed[at])
        c->pushed[at] = clock;
}

void ps_cache_pushed(const ps_cache *c, int32_t *pushed)
{
    memcpy(pushed, c->pushed, (size_t)c->n_workers * sizeof *pushed);
}

int ps_cache_reply_keeps(const int32_t *pushed, const int32_t *done, int n)
{
    for (int i = 0; i < n; i++)
        if (done[i] <= pushed[i])
            return 0;
    return 1;
}

void ps_cache_write(ps_cache *c, uint64_t id, int stage, const float *delta, uint32_t vpk)
{
    const uint32_t *at = ps_keymap_get(&c->map, id);
    if (!at)
        return;
    chunk *k = &c->chunks[*at];
    if (k->state == CHUNK_PENDING || k->stage != stage || k->vpk != vpk) {
        k->dirty = 1;
        if (k->state == CHUNK_FILLED) /* of another stage: read no more */
            k->doomed = 1, chunk_settle(c, *at);
        return;
    }
    for (uint32_t j = 0; j < vpk; j++)
        k->vals[j] += delta[j];
}

int ps_cache_wait(ps_cache *c, int fetcher, int joiner, uint32_t tag, int32_t clock)
{
    for (size_t i = 0; i < c->n_waiters; i++) {
        const waiter *w = &c->waiters[i];
        if (w->fetcher == fetcher && w->joiner == joiner && w->tag == tag && w->clock == clock)
            return 0;
    }
    if (c->n_waiters == c->cap_waiters) {
        size_t cap = c->cap_waiters ? 2 * c->cap_waiters : 16;
        if (ps_resize(&c->waiters, cap, sizeof *c->waiters))
            return -1;
        c->cap_waiters = cap;
    }
    c->waiters[c->n_waiters++] = (waiter){fetcher, joiner, tag, clock};
    return 1;
}

int ps_cache_waiters(ps_cache *c, int fetcher, uint32_t tag, int32_t clock, int *out, int max)
{
    int n = 0;
    size_t kept = 0;
    for (size_t i = 0; i < c->n_waiters; i++) {
        const waiter *w = &c->waiters[i];
        if (n < max && w->fetcher == fetcher && w->tag == tag && w->clock == clock)
            out[n++] = w->joiner;
        else
            c->waiters[kept++] = *w;
    }
    c->n_waiters = kept;
    return n;
}

uint64_t ps_cache_bytes_used(const ps_cache *c) { return c->used_bytes; }
uint64_t ps_cache_bytes_peak(const ps_cache *c) { return c->peak_bytes; }
uint64_t ps_cache_evictions(const ps_cache *c) { return c->evictions; }

uint32_t ps_cache_find(const ps_cache *c, uint64_t id)
{
    const uint32_t *at = ps_keymap_get(&c->map, id);
    return at ? *at : PS_CACHE_NONE;
}

void ps_cache_set_interrupted(ps_cache *c) { c->interrupted = 1; }
int ps_cache_interrupted(const ps_cache *c) { return c->interrupted; }
