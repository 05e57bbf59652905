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
 *     ones not cached read, without filling the cache (an iterator's scan). */
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/store/keymap.h"
#include "engine/store/store.h"

#define SIMDISK_NONE UINT32_MAX

/* The LRU page cache: blocks in slots, a doubly linked list most recent first. */
typedef struct page_cache {
    ps_keymap map;          /* block -> slot */
    uint64_t *block;
    uint32_t *prev, *next;
    uint32_t n, cap, head, tail;
} page_cache;

struct ps_store {
    ps_store *mem;          /* the values */
    uint32_t bk;            /* keys a block */
    uint64_t block_bytes;   /* a block as stored: key, values, bitmap */
    page_cache cache;
    ps_keymap written;      /* blocks ever written, for dumps */
    uint64_t *written_list;
    uint32_t n_written, cap_written;
    uint64_t *scratch;      /* a call's blocks */
    uint32_t cap_scratch;
    uint64_t io_read, io_written, reads; /* reads: blocks read */
    int server;
};

static int cache_init(page_cache *c, uint32_t cap, ps_err *err)
{
    memset(c, 0, sizeof *c);
    c->cap = cap;
    c->head = c->tail = SIMDISK_NONE;
    c->block = malloc((size_t)cap * sizeof *c->block);
    c->prev = malloc((size_t)cap * sizeof *c->prev);
    c->next = malloc((size_t)cap * sizeof *c->next);
    if (!c->block || !c->prev || !c->next || ps_keymap_init(&c->map, cap, err))
        return ps_err_set(err, "out of memory for a page cache of %u blocks", cap);
    return PS_OK;
}

static void cache_free(page_cache *c)
{
    free(c->block);
    free(c->prev);
    free(c->next);
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

/* Touches block b: 1 if it was cached; else it is now (the least recent out). */
static int cache_touch(page_cache *c, uint64_t b, int *oom)
{
    const uint32_t *at = ps_keymap_get(&c->map, b);
    if (at) {
        cache_unlink(c, *at);
        cache_push_front(c, *at);
        return 1;
    }
    uint32_t s;
    if (c->n < c->cap) {
        s = c->n++;
    } else {
        s = c->tail;
        cache_unlink(c, s);
        ps_keymap_del(&c->map, c->block[s]);
    }
    int inserted;
    uint32_t *v = ps_keymap_put(&c->map, b, &inserted);
    if (!v) {
        *oom = 1;
        return 0;
    }
    *v = s;
    c->block[s] = b;
    cache_push_front(c, s);
    return 0;
}

static int simdisk_open(const ps_store_spec *spec, ps_store **out, ps_err *err)
{
    ps_store *t = calloc(1, sizeof *t);
    if (!t)
        return ps_err_set(err, "server %d: out of memory", spec->server);
    t->server = spec->server;
    t->bk = spec->block_keys ? spec->block_keys : 64;
    t->block_bytes = 8 + (uint64_t)t->bk * sizeof(float) + (t->bk + 7) / 8;
    uint64_t blocks = spec->cache_bytes / t->block_bytes;
    if (blocks < 1)
        blocks = 1;
    if (blocks > UINT32_MAX / 2)
        blocks = UINT32_MAX / 2;
    if (cache_init(&t->cache, (uint32_t)blocks, err) || ps_keymap_init(&t->written, 1024, err) ||
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
    if (!keys) { /* a range: its blocks are consecutive */
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
    if (n > t->cap_scratch) {
        if (ps_resize(&t->scratch, n, sizeof *t->scratch)) {
            *oom = 1;
            return 0;
        }
        t->cap_scratch = n;
    }
    int sorted = 1;
    for (uint32_t i = 0; i < n; i++) {
        t->scratch[i] = keys[i] / t->bk;
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
    int oom = 0;
    uint32_t m = call_blocks(t, keys, lo, n, &oom);
    for (uint32_t i = 0; i < m && !oom; i++) {
        uint64_t b = t->scratch[i];
        /* a block never written is not on the disk: RocksDB's filter answers it */
        if (!cache_touch(&t->cache, b, &oom) && ps_keymap_get(&t->written, b)) {
            t->io_read += t->block_bytes;
            t->reads++;
        }
        if (!write)
            continue;
        t->io_written += t->block_bytes;
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

static int simdisk_dump(ps_store *t, uint64_t **keys, float **vals, uint64_t *n, ps_err *err)
{
    for (uint32_t i = 0; i < t->n_written; i++)
        if (!ps_keymap_get(&t->cache.map, t->written_list[i])) {
            t->io_read += t->block_bytes;
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
    .io_bytes = simdisk_io_bytes,
    .io_reads = simdisk_io_reads,
    .close = simdisk_close,
};
