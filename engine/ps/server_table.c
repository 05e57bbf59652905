/* A server's shard of one table; see server_table.h. */
#include "engine/ps/server_table.h"

#include "engine/core/mem.h"
#include "engine/ps/rules.h"

#include <stdlib.h>
#include <string.h>

uint64_t ps_server_tables_mem_bytes(const ps_run *r)
{
    if (r->store_ops != &ps_store_mem_ops)
        return 0;
    uint64_t bytes = 0;
    for (int t = 0; t < r->n_tables; t++) {
        const ps_run_table *rt = &r->tables[t];
        uint64_t vpk = rt->spec.vals_per_key, lo, hi;
        for (int s = 0; s < r->n_servers; s++)
            if (ps_partition_shard_range(r->partitioner, &rt->partition, s, &lo, &hi))
                bytes += (hi - lo) * vpk * sizeof(float);
            else if (rt->partition.place && vpk == 1)
                bytes += rt->partition.shard_keys[s] * (sizeof(float) + 1);
    }
    return bytes;
}

int ps_server_table_open(ps_server_table *T, const ps_run *r, int t, int server,
                         const char *dir, ps_err *err)
{
    const ps_run_table *rt = &r->tables[t];
    memset(T, 0, sizeof *T);
    T->rt = rt;
    T->ops = r->store_ops;
    T->vpk = rt->spec.vals_per_key;
    if ((rt->spec.rule == PS_RULE_ASSIGN || rt->spec.zero_at_full_gradient) && !T->ops->set)
        return ps_err_set(err, "table %s assigns its values, which the %s store cannot",
                          rt->spec.name, T->ops->name);
    ps_store_spec spec = {.dir = dir, .server = server, .n_keys = rt->spec.n_keys * T->vpk,
                          .block_keys = r->store_block_keys, .cache_bytes = r->store_cache_bytes};
    T->dense = ps_partition_shard_range(r->partitioner, &rt->partition, server, &T->lo, &T->hi);
    spec.dense = T->dense;
    spec.lo = T->lo * T->vpk;
    spec.hi = T->hi * T->vpk;
    if (!T->dense && rt->partition.place && T->vpk == 1) {
        spec.place = rt->partition.place;
        spec.shard_keys = rt->partition.shard_keys[server];
    }
    if (t == 0 && r->index) {
        spec.index = r->index;
        spec.vals_per_key = T->vpk;
    }
    T->by_slot = spec.place && T->ops->get_slots && T->ops->add_slots;
    return T->ops->open(&spec, &T->store, err);
}

void ps_server_table_close(ps_server_table *T)
{
    if (T->store)
        T->ops->close(T->store);
    free(T->dirty);
    free(T->flat);
    free(T->scratch);
    memset(T, 0, sizeof *T);
}

static int grow(void **p, uint32_t *cap, uint64_t need, size_t size, ps_err *err)
{
    if (need <= *cap)
        return PS_OK;
    if (need > UINT32_MAX)
        return ps_err_set(err, "%llu values in one message", (unsigned long long)need);
    if (ps_resize(p, (size_t)need, size))
        return ps_err_set(err, "out of memory for %llu values", (unsigned long long)need);
    *cap = (uint32_t)need;
    return PS_OK;
}

int ps_server_table_track(ps_server_table *T, ps_err *err)
{
    if (!T->dense || T->dirty)
        return PS_OK;
    if (!(T->dirty = calloc((size_t)((T->hi - T->lo + 7) / 8) + 1, 1)))
        return ps_err_set(err, "out of memory for table %s's written keys", T->rt->spec.name);
    return PS_OK;
}

void ps_server_table_dirty_clear(ps_server_table *T)
{
    if (T->dirty)
        memset(T->dirty, 0, (size_t)((T->hi - T->lo + 7) / 8) + 1);
}

/* Notes n keys (the list, or the range from lo) as written. */
static void table_mark(ps_server_table *T, const uint64_t *keys, uint64_t lo, uint32_t n)
{
    for (uint32_t i = 0; T->dirty && i < n; i++) {
        uint64_t k = (keys ? keys[i] : lo + i) - T->lo;
        if (k < T->hi - T->lo)
            T->dirty[k >> 3] |= (uint8_t)(1u << (k & 7));
    }
}

/* The store's keys of n table keys: a list (*fk) or the range from *flo. */
static int table_flat(ps_server_table *T, const uint64_t *keys, uint64_t lo, uint32_t n,
                      const uint64_t **fk, uint64_t *flo, uint32_t *fn, ps_err *err)
{
    uint32_t v = T->vpk;
    if ((uint64_t)n * v > UINT32_MAX)
        return ps_err_set(err, "%u keys of %u values in one message", n, v);
    *fk = keys;
    *flo = lo * v;
    *fn = n * v;
    if (v == 1 || !keys)
        return PS_OK;
    if (grow((void **)&T->flat, &T->cap_flat, (uint64_t)n * v, sizeof *T->flat, err))
        return PS_ERR;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < v; j++)
            T->flat[i * v + j] = keys[i] * v + j;
    *fk = T->flat;
    return PS_OK;
}

/* A store operation's result; a failed one (an I/O error: the keys were checked)
 * marks the table, so that the server fails instead of dropping the message. */
static int store_done(ps_server_table *T, int rc)
{
    if (rc)
        T->store_failed = 1;
    return rc;
}

int ps_server_table_get(ps_server_table *T, const uint64_t *keys, const uint32_t *slots,
                        uint64_t lo, uint32_t n, float *out, ps_err *err)
{
    if (slots)
        return store_done(T, T->ops->get_slots(T->store, slots, n, out, err));
    const uint64_t *fk;
    uint64_t flo;
    uint32_t fn;
    if (table_flat(T, keys, lo, n, &fk, &flo, &fn, err))
        return PS_ERR;
    return store_done(T, T->ops->get(T->store, fk, flo, fn, out, err));
}

/* The proximal step of an L1 penalty: deltas that take each value v to
 * soft(v + d, tau). Where the threshold zeroes a value the delta is -v, and
 * v + -v is exactly 0. */
static int table_prox(ps_server_table *T, const uint64_t *keys, const uint32_t *slots,
                      uint64_t lo, uint32_t n, const float *vals, double rate, ps_err *err)
{
    uint32_t v = T->vpk;
    if (grow((void **)&T->scratch, &T->cap_scratch, (uint64_t)n * v, sizeof *T->scratch, err) ||
        ps_server_table_get(T, keys, slots, lo, n, T->scratch, err))
        return PS_ERR;
    double tau = rate * T->rt->spec.l1;
    for (uint32_t i = 0; i < n; i++) {
        int skip = (keys ? keys[i] : lo + i) == T->rt->spec.l1_skip_key;
        for (uint32_t j = 0; j < v; j++) {
            float *d = &T->scratch[i * v + j];
            *d = skip ? vals[i * v + j] : ps_l1_delta(*d, vals[i * v + j], tau);
        }
    }
    return PS_OK;
}

int ps_server_table_apply(ps_server_table *T, const uint64_t *keys, const uint32_t *slots,
                          uint64_t lo, uint32_t n, const float *vals, double rate, ps_err *err)
{
    int rule = T->rt->spec.rule;
    if (rule == PS_RULE_ADD_L1) {
        if (table_prox(T, keys, slots, lo, n, vals, rate, err))
            return PS_ERR;
        vals = T->scratch;
    }
    if (slots && rule != PS_RULE_ASSIGN)
        return store_done(T, T->ops->add_slots(T->store, keys, slots, n, vals, err));
    table_mark(T, keys, lo, n);
    const uint64_t *fk;
    uint64_t flo;
    uint32_t fn;
    if (table_flat(T, keys, lo, n, &fk, &flo, &fn, err))
        return PS_ERR;
    if (rule == PS_RULE_ASSIGN)
        return store_done(T, T->ops->set(T->store, fk, flo, fn, vals, err));
    return store_done(T, T->ops->add(T->store, fk, flo, fn, vals, err));
}

int ps_server_table_set(ps_server_table *T, const uint64_t *keys, uint64_t lo, uint32_t n,
                        const float *vals, ps_err *err)
{
    const uint64_t *fk;
    uint64_t flo;
    uint32_t fn;
    if (!T->ops->set)
        return ps_err_set(err, "the %s store cannot set values", T->ops->name);
    if (table_flat(T, keys, lo, n, &fk, &flo, &fn, err))
        return PS_ERR;
    table_mark(T, keys, lo, n);
    return store_done(T, T->ops->set(T->store, fk, flo, fn, vals, err));
}

int ps_server_table_zero(ps_server_table *T, ps_err *err)
{
    uint64_t *keys = NULL, n = T->hi - T->lo;
    float *vals = NULL;
    if (!T->dense && ps_server_table_dump(T, &keys, &vals, &n, err))
        return PS_ERR;
    free(vals);
    int rc = PS_OK;
    const uint32_t chunk = 1u << 16;
    float *zeros = calloc((size_t)chunk * T->vpk, sizeof *zeros);
    if (!zeros)
        rc = ps_err_set(err, "out of memory zeroing table %s", T->rt->spec.name);
    /* through the store's own set, chunk by chunk, keys and ranges alike */
    for (uint64_t at = 0; rc == PS_OK && at < n; at += chunk) {
        uint32_t m = n - at < chunk ? (uint32_t)(n - at) : chunk;
        const uint64_t *fk;
        uint64_t flo;
        uint32_t fn;
        rc = table_flat(T, keys ? keys + at : NULL, T->lo + at, m, &fk, &flo, &fn, err);
        if (rc == PS_OK)
            rc = store_done(T, T->ops->set(T->store, fk, flo, fn, zeros, err));
    }
    free(zeros);
    free(keys);
    if (T->dirty && T->dense)
        memset(T->dirty, 0xff, (size_t)((T->hi - T->lo + 7) / 8) + 1);
    return rc;
}

const float *ps_server_table_view(ps_server_table *T, uint64_t lo, uint32_t n)
{
    if (!T->ops->view || (uint64_t)n * T->vpk > UINT32_MAX)
        return NULL;
    return T->ops->view(T->store, lo * T->vpk, n * T->vpk);
}

/* A store dumps the keys in the order first written, and a key's values are
 * always written together, in order: its vpk store keys follow each other. */
int ps_server_table_dump(ps_server_table *T, uint64_t **keys, float **vals, uint64_t *n,
                         ps_err *err)
{
    if (T->ops->dump(T->store, keys, vals, n, err))
        return PS_ERR;
    uint32_t v = T->vpk;
    if (v == 1)
        return PS_OK;
    if (*n % v)
        return ps_err_set(err, "table %s: the store holds %llu values, not a whole number of "
                          "keys of %u", T->rt->spec.name, (unsigned long long)*n, v);
    for (uint64_t i = 0; i < *n; i += v) {
        uint64_t k = (*keys)[i] / v;
        for (uint32_t j = 0; j < v; j++)
            if ((*keys)[i + j] != k * v + j)
                return ps_err_set(err, "table %s: the store's values of key %llu are not "
                                  "together", T->rt->spec.name, (unsigned long long)k);
        (*keys)[i / v] = k;
    }
    *n /= v;
    return PS_OK;
}

void ps_server_table_io(ps_server_table *T, uint64_t *read, uint64_t *written)
{
    T->ops->io_bytes(T->store, read, written);
}
