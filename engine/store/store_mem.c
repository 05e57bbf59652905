/* The in-memory store: a dense array when the shard is a contiguous key range
 * (range partitioning). A hash shard is an array of the shard's size indexed by
 * each key's slot when the partition's places are given (one load per key, where a
 * map probe and its slot missed the cache up to four times: 17% of a 100-host run),
 * else a key -> slot map that grows as keys are first written. Both keep the keys
 * written, in the order first written, for dumps. */
#include <stdlib.h>
#include <string.h>

#include "engine/store/keymap.h"
#include "engine/store/store.h"

/* four floats, for the dense add (GCC and Clang vector extension) */
typedef float ps_v4f __attribute__((vector_size(16)));

struct ps_store {
    int dense;
    uint64_t lo, n_dense;   /* dense: vals[key - lo] */
    int server;
    const ps_key_place *place; /* hash shard, placed: vals[place[key].slot] */
    uint64_t n_place;       /* placed: keys of the table, which place covers */
    uint64_t n_slots;       /* placed: keys of this shard */
    uint8_t *written;       /* placed: a bit per slot, set once written */
    ps_keymap map;          /* hash shard, mapped: key -> index into keys/vals */
    uint64_t *keys;         /* hash shard: keys written, in the order first written */
    float *vals;
    uint32_t n, cap;
};

static int mem_open(const ps_store_spec *spec, ps_store **out, ps_err *err)
{
    ps_store *t = calloc(1, sizeof *t);
    if (!t)
        return ps_err_set(err, "server %d: out of memory", spec->server);
    t->dense = spec->dense;
    t->server = spec->server;
    if (t->dense) {
        t->lo = spec->lo;
        t->n_dense = spec->hi - spec->lo;
        t->vals = calloc(t->n_dense ? t->n_dense : 1, sizeof *t->vals);
        if (!t->vals) {
            free(t);
            return ps_err_set(err, "server %d: out of memory for %llu parameters", spec->server,
                              (unsigned long long)(spec->hi - spec->lo));
        }
    } else if (spec->place) {
        t->place = spec->place;
        t->n_place = spec->n_keys;
        t->n_slots = spec->shard_keys;
        t->cap = 1024;
        t->vals = calloc(spec->shard_keys ? spec->shard_keys : 1, sizeof *t->vals);
        t->written = calloc(spec->shard_keys / 8 + 1, 1);
        t->keys = malloc(t->cap * sizeof *t->keys);
        if (!t->vals || !t->written || !t->keys) {
            free(t->vals);
            free(t->written);
            free(t->keys);
            free(t);
            return ps_err_set(err, "server %d: out of memory for %llu parameters", spec->server,
                              (unsigned long long)spec->shard_keys);
        }
    } else {
        t->cap = 1024;
        t->keys = malloc(t->cap * sizeof *t->keys);
        t->vals = malloc(t->cap * sizeof *t->vals);
        if (!t->keys || !t->vals || ps_keymap_init(&t->map, t->cap, err)) {
            free(t->keys);
            free(t->vals);
            free(t);
            return ps_err_set(err, "server %d: out of memory for a store", spec->server);
        }
    }
    *out = t;
    return PS_OK;
}

static void mem_close(ps_store *t)
{
    if (!t)
        return;
    if (!t->dense && !t->place)
        ps_keymap_free(&t->map);
    free(t->written);
    free(t->keys);
    free(t->vals);
    free(t);
}

/* Room for one more written key (and, mapped, its value). */
static int mem_grow(ps_store *t)
{
    uint32_t cap = t->cap * 2;
    uint64_t *k = realloc(t->keys, cap * sizeof *k);
    if (!k)
        return PS_ERR;
    t->keys = k;
    if (t->place) {
        t->cap = cap;
        return PS_OK;
    }
    float *v = realloc(t->vals, cap * sizeof *v);
    if (!v)
        return PS_ERR;
    t->vals = v;
    t->cap = cap;
    return PS_OK;
}

/* The slot of key in a sparse store, created at 0 when create is set; NULL when
 * absent (and not created) or out of memory (*oom set). */
static float *mem_sparse_slot(ps_store *t, uint64_t key, int create, int *oom)
{
    if (!create) {
        const uint32_t *slot = ps_keymap_get(&t->map, key);
        return slot ? &t->vals[*slot] : NULL;
    }
    int inserted = 0;
    uint32_t *slot = ps_keymap_put(&t->map, key, &inserted);
    if (!slot || (inserted && t->n == t->cap && mem_grow(t))) {
        *oom = 1;
        return NULL;
    }
    if (inserted) {
        *slot = t->n;
        t->keys[t->n] = key;
        t->vals[t->n] = 0.0f;
        t->n++;
    }
    return &t->vals[*slot];
}

static int mem_check_dense(const ps_store *t, uint64_t key, ps_err *err)
{
    if (key - t->lo >= t->n_dense)
        return ps_err_set(err, "key %llu is outside the shard [%llu, %llu)",
                          (unsigned long long)key, (unsigned long long)t->lo,
                          (unsigned long long)(t->lo + t->n_dense));
    return PS_OK;
}

/* Notes the first write of key, in slot, for dumps. */
static int mem_placed_note_write(ps_store *t, uint64_t key, uint32_t slot, ps_err *err)
{
    uint8_t bit = (uint8_t)(1u << (slot & 7));
    if (t->written[slot >> 3] & bit)
        return PS_OK;
    if (t->n == t->cap && mem_grow(t))
        return ps_err_set(err, "out of memory growing the shard");
    t->keys[t->n++] = key;
    t->written[slot >> 3] |= bit;
    return PS_OK;
}

/* The value of key in a placed shard, noting its first write when create is set;
 * NULL with *failed set for a key outside the table or of another server, or out of
 * memory. */
static float *mem_placed_slot(ps_store *t, uint64_t key, int create, int *failed, ps_err *err)
{
    if (key >= t->n_place) {
        *failed = 1;
        ps_err_set(err, "key %llu is outside the table [0, %llu)", (unsigned long long)key,
                   (unsigned long long)t->n_place);
        return NULL;
    }
    ps_key_place p = t->place[key];
    if (p.server != (uint32_t)t->server) {
        *failed = 1;
        ps_err_set(err, "key %llu belongs to server %u, not to this shard (server %d)",
                   (unsigned long long)key, p.server, t->server);
        return NULL;
    }
    if (create && mem_placed_note_write(t, key, p.slot, err)) {
        *failed = 1;
        return NULL;
    }
    return &t->vals[p.slot];
}

/* The value slot of one key: NULL with *failed set when the key is outside a dense
 * shard or the table, or memory ran out; NULL alone when a mapped shard lacks it
 * (not create). */
static float *mem_value(ps_store *t, uint64_t key, int create, int *failed, ps_err *err)
{
    if (t->place)
        return mem_placed_slot(t, key, create, failed, err);
    if (t->dense) {
        if (mem_check_dense(t, key, err)) {
            *failed = 1;
            return NULL;
        }
        return &t->vals[key - t->lo];
    }
    int oom = 0;
    float *v = mem_sparse_slot(t, key, create, &oom);
    if (oom) {
        *failed = 1;
        ps_err_set(err, "out of memory growing the shard");
    }
    return v;
}

static int mem_get(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n, float *out,
                   ps_err *err)
{
    if (t->dense && !keys) {
        if (n && (mem_check_dense(t, lo, err) || mem_check_dense(t, lo + n - 1, err)))
            return PS_ERR;
        memcpy(out, t->vals + (lo - t->lo), (size_t)n * sizeof *out);
        return PS_OK;
    }
    for (uint32_t i = 0; i < n; i++) {
        int failed = 0;
        const float *v = mem_value(t, keys ? keys[i] : lo + i, 0, &failed, err);
        if (failed)
            return PS_ERR;
        out[i] = v ? *v : 0.0f;
    }
    return PS_OK;
}

static const float *mem_view(ps_store *t, uint64_t lo, uint32_t n)
{
    if (!t->dense || n == 0 || lo < t->lo || lo - t->lo > t->n_dense ||
        n > t->n_dense - (lo - t->lo))
        return NULL;
    return t->vals + (lo - t->lo);
}

/* Key by key: value += v[i], or value = v[i] (assign). */
static int mem_write_each(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n,
                          const float *v, int assign, ps_err *err)
{
    for (uint32_t i = 0; i < n; i++) {
        int failed = 0;
        float *p = mem_value(t, keys ? keys[i] : lo + i, 1, &failed, err);
        if (!p)
            return PS_ERR;
        *p = assign ? v[i] : *p + v[i];
    }
    return PS_OK;
}

static int mem_add(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n, const float *delta,
                   ps_err *err)
{
    if (t->dense && !keys) {
        /* a dense push: one bounds check, then 4 values per vector add. -O2 leaves
         * the plain loop scalar (its cheap cost model will not version it for
         * aliasing); this is 3x faster on 10M values and adds element by element,
         * so the sums are the same. */
        if (n && (mem_check_dense(t, lo, err) || mem_check_dense(t, lo + n - 1, err)))
            return PS_ERR;
        float *v = t->vals + (lo - t->lo);
        uint32_t i = 0;
        for (; i + 4 <= n; i += 4) {
            ps_v4f a, b;
            memcpy(&a, v + i, sizeof a);
            memcpy(&b, delta + i, sizeof b);
            a += b;
            memcpy(v + i, &a, sizeof a);
        }
        for (; i < n; i++)
            v[i] += delta[i];
        return PS_OK;
    }
    return mem_write_each(t, keys, lo, n, delta, 0, err);
}

static int mem_set(ps_store *t, const uint64_t *keys, uint64_t lo, uint32_t n, const float *vals,
                   ps_err *err)
{
    return mem_write_each(t, keys, lo, n, vals, 1, err);
}

static int mem_check_slots(const ps_store *t, const uint32_t *slots, uint32_t n, ps_err *err)
{
    if (!t->place)
        return ps_err_set(err, "server %d: keys named by slots, but the shard was not opened "
                          "with places", t->server);
    for (uint32_t i = 0; i < n; i++)
        if (slots[i] >= t->n_slots)
            return ps_err_set(err, "slot %u is outside the shard's %llu slots", slots[i],
                              (unsigned long long)t->n_slots);
    return PS_OK;
}

static int mem_get_slots(ps_store *t, const uint32_t *slots, uint32_t n, float *out, ps_err *err)
{
    if (mem_check_slots(t, slots, n, err))
        return PS_ERR;
    for (uint32_t i = 0; i < n; i++)
        out[i] = t->vals[slots[i]];
    return PS_OK;
}

static int mem_add_slots(ps_store *t, const uint64_t *keys, const uint32_t *slots, uint32_t n,
                         const float *delta, ps_err *err)
{
    if (mem_check_slots(t, slots, n, err))
        return PS_ERR;
    for (uint32_t i = 0; i < n; i++) {
        if (mem_placed_note_write(t, keys[i], slots[i], err))
            return PS_ERR;
        t->vals[slots[i]] += delta[i];
    }
    return PS_OK;
}

static int mem_dump(ps_store *t, uint64_t **keys, float **vals, uint64_t *n, ps_err *err)
{
    uint64_t count = t->dense ? t->n_dense : t->n;
    *keys = malloc((count ? count : 1) * sizeof **keys);
    *vals = malloc((count ? count : 1) * sizeof **vals);
    if (!*keys || !*vals) {
        free(*keys);
        free(*vals);
        *keys = NULL;
        *vals = NULL;
        return ps_err_set(err, "out of memory dumping %llu parameters", (unsigned long long)count);
    }
    for (uint64_t i = 0; i < count; i++)
        (*keys)[i] = t->dense ? t->lo + i : t->keys[i];
    if (t->place)
        for (uint64_t i = 0; i < count; i++)
            (*vals)[i] = t->vals[t->place[t->keys[i]].slot];
    else if (count)
        memcpy(*vals, t->vals, count * sizeof **vals);
    *n = count;
    return PS_OK;
}

static void mem_io_bytes(ps_store *t, uint64_t *read, uint64_t *written)
{
    (void)t;
    *read = 0;
    *written = 0;
}

const ps_store_ops ps_store_mem_ops = {
    .name = "mem",
    .doc = "in memory: a dense array per range shard; per hash shard an array of its size "
           "(when the partition's key places fit 64 MiB), else a hash map",
    .open = mem_open,
    .get = mem_get,
    .view = mem_view,
    .add = mem_add,
    .set = mem_set,
    .get_slots = mem_get_slots,
    .add_slots = mem_add_slots,
    .dump = mem_dump,
    .io_bytes = mem_io_bytes,
    .close = mem_close,
};
