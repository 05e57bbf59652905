/* The disk store as the simulator runs it (server.store = disk on the sim backend):
 * the RocksDB store's block layout (real/store_rocksdb.c: block_keys consecutive
 * keys a block, a block's value their floats plus a bitmap, under an 8-byte key)
 * and its I/O, counted rather than done. The values live in the mem store, so a
 * run costs about what a mem run does in wall time; what it would cost on disk is
 * the blocks it reads and writes, which the server charges to the host's simulated
 * disk (ps_disk: sg_disk_read/write at the platform's bandwidths).
 *   - A bounded page cache of server.cache bytes holds blocks, least recently used
 *     first out; a hit costs nothing.
 *   - get: each distinct block of the call not cached is read, unless it was never
 *     written (RocksDB's bloom filter finds it missing without a read).
 *   - add, set: each distinct block is read if not cached (a block is rewritten
 *     whole: read-modify-write), then written once (RocksDB's write batch; its
 *     compactions are not modelled).
 *   - dump (snapshots of a sparse shard): every block ever written is scanned, the
 *     ones not cached read, without filling the cache (an iterator's scan).
 *   - while observe()d (an evaluation reading the model): nothing counted or cached. */
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/index/block_index.h"
#include "engine/store/keymap.h"
#include "engine/store/store.h"

#define SIMDISK_NONE UINT32_MAX

/* The LRU page cache, bounded in bytes: blocks in slots, a doubly linked list most
 * recent first; slots freed by eviction are reused. */
typedef struct page_cache {
    ps_keymap map;          /* block -> slot */
    uint64_t *block, *bytes;
    uint32_t *prev, *next;
    uint32_t n, cap, head, tail; /* n: slots in use */
    uint32_t *free_slots;
    uint32_t n_free, n_slots;    /* n_slots: slots ever made */
    uint64_t used, cap_bytes;
} page_cache;

struct ps_store {
    ps_store *mem;          /* the values */
    uint32_t bk;            /* keys a block */
    uint64_t block_bytes;   /* a block as stored: key, values, bitmap */
    const ps_block_index *index; /* NULL: blocks of bk consecutive keys */
    uint32_t vpk;           /* with an index: store keys a table key */
    page_cache cache;
    ps_keymap written;      /* blocks ever written, for dumps */
    uint64_t *written_list;
    uint32_t n_written, cap_written;
    uint64_t *scratch;      /* a call's blocks */
    uint32_t cap_scratch;
    uint64_t io_read, io_written, reads; /* reads: blocks read */
    int observing;          /* observe(): reads neither counted nor cached */
    int server;
};

static int cache_init(page_cache *c, uint64_t cap_bytes, ps_err *err)
{
    memset(c, 0, sizeof *c);
    c->cap_bytes = cap_bytes;
    c->head = c->tail = SIMDISK_NONE;
    if (ps_keymap_init(&c->map, 1024, err))
        return ps_err_set(err, "out of memory for a page cache");
    return PS_OK;
}

static void cache_free(page_cache *c)
{
    free(c->block);
    free(c->bytes);
    free(c->prev);
    free(c->next);
    free(c->free_slots);
    ps_keymap_free(&c->map);
}

static void cache_unlink(page_cache *c, uint32_t s)
{
    if (c->prev[s] != SIMDISK_NONE)
        c->next[c->prev[s]] = c->next[s];
    else
        c->head = c->next[s];
    if (c->next[s] != SIMDISK_NONE)
        c->prev[c->next[s]] = c->prev[s];
    else
        c->tail = c->prev[s];
}

static void cache_push_front(page_cache *c, uint32_t s)
{
    c->prev[s] = SIMDISK_NONE;
    c->next[s] = c->head;
    if (c->head != SIMDISK_NONE)
        c->prev[c->head] = s;
    c->head = s;
    if (c->tail == SIMDISK_NONE)
        c->tail = s;
}

/* A free slot: a reused one or a new one (0 on success). */
static int cache_slot(page_cache *c, uint32_t *s)
{
    if (c->n_free) {
        *s = c->free_slots[--c->n_free];
        return 0;
    }
    if (c->n_slots == c->cap) {
        uint32_t cap = c->cap ? 2 * c->cap : 64;
        if (ps_resize(&c->block, cap, sizeof *c->block) ||
            ps_resize(&c->bytes, cap, sizeof *c->bytes) ||
            ps_resize(&c->prev, cap, sizeof *c->prev) || ps_resize(&c->next, cap, sizeof *c->next) ||
            ps_resize(&c->free_slots, cap, sizeof *c->free_slots))
            return 1;
        c->cap = cap;
    }
    *s = c->n_slots++;
    return 0;
}

/* Touches block b of `bytes`: 1 if it was cached; else it is now, the least
 * recent ones out until it fits (a block larger than the cache still stays, alone). */
static int cache_touch(page_cache *c, uint64_t b, uint64_t bytes, int *oom)
{
    const uint32_t *at = ps_keymap_get(&c->map, b);
    if (at) {
        cache_unlink(c, *at);
        cache_push_front(c, *at);
        return 1;
    }
    while (c->n > 0 && c->used + bytes > c->cap_bytes) {
        uint32_t s = c->tail;
        cache_unlink(c, s);
        ps_keymap_del(&c->map, c->block[s]);
        c->used -= c->bytes[s];
        c->free_slots[c->n_free++] = s;
        c->n--;
    }
    uint32_t s;
    int inserted;
    uint32_t *v;
    if (cache_slot(c, &s) || !(v = ps_keymap_put(&c->map, b, &inserted))) {
        *oom = 1;
        return 0;
    }
    *v = s;
    c->block[s] = b;
    c->bytes[s] = bytes;
    c->used += bytes;
    c->n++;
    cache_push_front(c, s);
    return 0;
}

/* A block as RocksDB keeps it: an 8-byte key, its floats and a bitmap of them. */
static uint64_t stored_bytes(uint64_t floats) { return 8 + floats * sizeof(float) + (floats + 7) / 8; }

static uint64_t block_of(const ps_store *t, uint64_t key)
{
    return t->index ? ps_index_block_of(t->index, key / t->vpk) : key / t->bk;
}

static uint64_t block_bytes(const ps_store *t, uint64_t b)
{
    return t->index ? stored_bytes(ps_index_block_size(t->index, b) * t->vpk) : t->block_bytes;
}

static int simdisk_open(const ps_store_spec *spec, ps_store **out, ps_err *err)
{
    ps_store *t = calloc(1, sizeof *t);
    if (!t)
        return ps_err_set(err, "server %d: out of memory", spec->server);
    t->server = spec->server;
    t->bk = spec->block_keys ? spec->block_keys : 64;
    t->block_bytes = stored_bytes(t->bk);
    t->index = spec->index;
    t->vpk = spec->vals_per_key ? spec->vals_per_key : 1;
    if (cache_init(&t->cache, spec->cache_bytes, err) || ps_keymap_init(&t->written, 1024, err) ||
        ps_store_mem_ops.open(spec, &t->mem, err)) {
        cache_free(&t->cache);
        ps_keymap_free(&t->written);
        free(t);
        return PS_ERR;
    }
    *out = t;
    return PS_OK;
}

static void simdisk_close(ps_store *t)
{
    if (!t)
        return;
    ps_store_mem_ops.close(t->mem);
    cache_free(&t->cache);
    ps_keymap_free(&t->written);
    free(t->written_list);
    free(t->scratch);
    free(t);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The distinct blocks of a call's keys, ascending, in t->scratch; their count. */
static uint32_t call_blocks(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n,
                            int *oom)
{
    if (!n)
        return 0;
    if (!keys && !t->index) { /* a range: its blocks are consecutive */
        uint64_t first = lo / t->bk, last = (lo + n - 1) / t->bk, m = last - first + 1;
        if (m > t->cap_scratch && ps_resize(&t->scratch, m, sizeof *t->scratch)) {
            *oom = 1;
            return 0;
        }
        t->cap_scratch = m > t->cap_scratch ? (uint32_t)m : t->cap_scratch;
        for (uint64_t i = 0; i < m; i++)
            t->scratch[i] = first + i;
        return (uint32_t)m;
    }
    if (n > t->cap_scratch) { /* (a range's keys with an index go one by one) */
        if (ps_resize(&t->scratch, n, sizeof *t->scratch)) {
            *oom = 1;
            return 0;
        }
        t->cap_scratch = n;
    }
    int sorted = 1;
    for (uint32_t i = 0; i < n; i++) {
        t->scratch[i] = block_of(t, keys ? keys[i] : lo + i);
        sorted &= i == 0 || t->scratch[i] >= t->scratch[i - 1];
    }
    if (!sorted)
        qsort(t->scratch, n, sizeof *t->scratch, cmp_u64);
    uint32_t m = 1;
    for (uint32_t i = 1; i < n; i++)
        if (t->scratch[i] != t->scratch[m - 1])
            t->scratch[m++] = t->scratch[i];
    return m;
}

/* Reads the call's blocks not cached (they are cached after); writes each when
 * `write`, and remembers it written. */
static int charge(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n, int write,
                  ps_err *err)
{
    if (t->observing && !write)
        return PS_OK;
    int oom = 0;
    uint32_t m = call_blocks(t, keys, lo, n, &oom);
    for (uint32_t i = 0; i < m && !oom; i++) {
        uint64_t b = t->scratch[i];
        /* a block never written is not on the disk: RocksDB's filter answers it */
        uint64_t bytes = block_bytes(t, b);
        if (!cache_touch(&t->cache, b, bytes, &oom) && ps_keymap_get(&t->written, b)) {
            t->io_read += bytes;
            t->reads++;
        }
        if (!write)
            continue;
        t->io_written += bytes;
        int inserted;
        if (!ps_keymap_put(&t->written, b, &inserted)) {
            oom = 1;
        } else if (inserted) {
            if (t->n_written == t->cap_written) {
                uint32_t cap = t->cap_written ? 2 * t->cap_written : 1024;
                if (ps_resize(&t->written_list, cap, sizeof *t->written_list)) {
                    oom = 1;
                    break;
                }
                t->cap_written = cap;
            }
            t->written_list[t->n_written++] = b;
        }
    }
    return oom ? ps_err_set(err, "server %d: out of memory counting the disk's blocks", t->server)
               : PS_OK;
}

static int simdisk_get(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n, float *out,
                       ps_err *err)
{
    if (charge(t, keys, lo, n, 0, err))
        return PS_ERR;
    return ps_store_mem_ops.get(t->mem, keys, lo, n, out, err);
}

static int simdisk_add(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n,
                       const float *delta, ps_err *err)
{
    if (charge(t, keys, lo, n, 1, err))
        return PS_ERR;
    return ps_store_mem_ops.add(t->mem, keys, lo, n, delta, err);
}

static int simdisk_set(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n,
                       const float *vals, ps_err *err)
{
    if (charge(t, keys, lo, n, 1, err))
        return PS_ERR;
    return ps_store_mem_ops.set(t->mem, keys, lo, n, vals, err);
}

static void simdisk_observe(ps_store *t, int on) { t->observing = on; }

static int simdisk_dump(ps_store *t, uint64_t **keys, float **vals, uint64_t *n, ps_err *err)
{
    for (uint32_t i = 0; i < t->n_written && !t->observing; i++)
        if (!ps_keymap_get(&t->cache.map, t->written_list[i])) {
            t->io_read += block_bytes(t, t->written_list[i]);
            t->reads++;
        }
    return ps_store_mem_ops.dump(t->mem, keys, vals, n, err);
}

static void simdisk_io_bytes(ps_store *t, uint64_t *read, uint64_t *written)
{
    *read = t->io_read;
    *written = t->io_written;
}

static uint64_t simdisk_io_reads(ps_store *t) { return t->reads; }

const ps_store_ops ps_store_simdisk_ops = {
    .name = "disk (simulated)",
    .doc = "the RocksDB store's blocks and I/O, counted and charged to the simulated disk; "
           "values in memory",
    .open = simdisk_open,
    .get = simdisk_get,
    .add = simdisk_add,
    .set = simdisk_set,
    .dump = simdisk_dump,
    .observe = simdisk_observe,
    .io_bytes = simdisk_io_bytes,
    .io_reads = simdisk_io_reads,
    .close = simdisk_close,
};
