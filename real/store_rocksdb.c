/* The RocksDB store of a server's shard; see store_rocksdb.h and engine/store/store.h.
 * On disk: key = block id (u64 big-endian), value = block_keys float32 little-endian,
 * then a bitmap of ceil(block_keys/8) bytes marking the keys ever add()ed, so that
 * dump() returns exactly the keys written (a block also holds keys of other shards
 * under hash partitioning, and keys never touched). A missing block reads as zeros.
 * With a block index (spec.index), block b < n_blocks holds index block b's keys
 * (their values in key order, vals_per_key each) and block n_blocks + k cold table
 * key k, each value followed by its bitmap likewise.
 * One more key, "pslab.meta" (10 bytes, so never a block key), records block_keys,
 * or the index's layout (its size and a hash of every key's block): reopening with
 * another layout would silently misread every value.
 * Not thread-safe: one server actor owns a store. */
#include "real/store_rocksdb.h"

#include <errno.h>
#include <inttypes.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/index/block_index.h"

#define DEFAULT_CACHE_BYTES (8u << 20)
static const char META_KEY[] = "pslab.meta";

struct ps_store {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_cache_t *cache;
    rocksdb_readoptions_t *ropts, *scan_ropts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_writebatch_t *batch;
    char *path;
    int server, dense;
    uint64_t n_keys, lo, hi;
    uint32_t bk;   /* keys per block */
    size_t vbytes; /* bytes of one block's value */
    uint64_t io_read, io_written;
    /* Scratch reused across calls, so that a pull allocates nothing beyond what
     * RocksDB's multi-get itself returns. Arrays of blk_cap entries, one per block. */
    size_t blk_cap;
    uint64_t *blk;
    char *kbuf; /* 8 bytes per block key */
    const char **kptr;
    size_t *ksz, *vsz;
    char **vals, **errs;
    uint32_t *slot; /* unsorted calls: per requested key, index of its block in blk */
    size_t slot_cap;
    int by_slot;    /* the last gather() filled slot (keys were not ascending) */
    int strict;     /* else: keys strictly increasing, so runs can be spotted */
    uint64_t klo, kspan; /* valid keys: klo <= k < klo + kspan */
    char *zeros; /* a block never written: lets the pull loop skip a test per key */
    char *data;  /* add(): the blocks being rewritten */
    size_t data_cap;
    /* With a block index (spec.index): a block per index block and per cold key,
     * of its keys' values (store key k is table key k / vpk) and their bitmap. */
    const ps_block_index *index;
    uint32_t vpk;
    uint32_t *mstart, *members; /* index block b's table keys, in key order */
    uint64_t layout_hash;       /* of the index's blocks: the meta key records it */
    size_t *doff, doff_cap;     /* write: each listed block's place in data */
};

/* ---- a block index's layout ---- */

/* Store key k's block, and the place of its value in the block. */
static uint64_t idx_locate(const ps_store *st, uint64_t k, uint32_t *pos)
{
    uint64_t t = k / st->vpk;
    uint32_t j = (uint32_t)(k % st->vpk);
    const ps_block_index *x = st->index;
    uint32_t b = t < x->n_dims ? x->block[t] : PS_INDEX_COLD;
    if (b == PS_INDEX_COLD) {
        *pos = j;
        return (uint64_t)x->n_blocks + t;
    }
    *pos = x->offset[t] * st->vpk + j;
    return b;
}

static uint64_t idx_nvals(const ps_store *st, uint64_t b)
{
    return ps_index_block_size(st->index, b) * st->vpk;
}

static size_t idx_vbytes(const ps_store *st, uint64_t b)
{
    uint64_t n = idx_nvals(st, b);
    return 4 * (size_t)n + (size_t)(n + 7) / 8;
}

/* ---- encoding ---- */

void ps_store_rocksdb_block_key(uint64_t block, char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (char)(block & 0xff);
        block >>= 8;
    }
}

static uint64_t decode_block_key(const char *k)
{
    uint64_t b = 0;
    for (int i = 0; i < 8; i++)
        b = b << 8 | (unsigned char)k[i];
    return b;
}

/* Values are little-endian on disk whatever the host; on the usual little-endian host
 * these are plain memcpy()s. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static float load_f32(const char *p)
{
    unsigned char b[4] = {(unsigned char)p[3], (unsigned char)p[2], (unsigned char)p[1],
                          (unsigned char)p[0]};
    float f;
    memcpy(&f, b, 4);
    return f;
}
static void store_f32(char *p, float f)
{
    unsigned char b[4];
    memcpy(b, &f, 4);
    p[0] = (char)b[3], p[1] = (char)b[2], p[2] = (char)b[1], p[3] = (char)b[0];
}
static void copy_f32(float *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = load_f32(src + 4 * i);
}
#else
static float load_f32(const char *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}
static void store_f32(char *p, float f) { memcpy(p, &f, 4); }
static void copy_f32(float *dst, const char *src, size_t n) { memcpy(dst, src, 4 * n); }
#endif

/* ---- errors ---- */

/* Sets err to "server S: rocksdb store PATH: what: detail" and frees RocksDB's
 * message. */
static int st_err(const ps_store *st, ps_err *err, const char *what, char *rerr)
{
    ps_err_set(err, "server %d: rocksdb store %s: %s%s%s", st->server, st->path, what,
               rerr ? ": " : "", rerr ? rerr : "");
    rocksdb_free(rerr);
    return PS_ERR;
}

/* The message for a key outside the valid range; check_key() is the fast test. */
/* A block whose value is not of its size: another layout wrote it, or it is damaged. */
static int bad_block(const ps_store *st, uint64_t b, size_t have, size_t want, ps_err *err)
{
    char what[128];
    snprintf(what, sizeof what, "block %" PRIu64 " has %zu bytes, expected %zu", b, have, want);
    return st_err(st, err, what, NULL);
}

static int bad_key(const ps_store *st, uint64_t k, ps_err *err)
{
    if (st->n_keys && k >= st->n_keys) {
        char what[128];
        snprintf(what, sizeof what, "key %" PRIu64 " outside the table of %" PRIu64 " keys",
                 k, st->n_keys);
        return st_err(st, err, what, NULL);
    }
    if (st->dense && (k < st->lo || k >= st->hi)) {
        char what[160];
        snprintf(what, sizeof what, "key %" PRIu64 " outside the shard [%" PRIu64 ", %" PRIu64 ")",
                 k, st->lo, st->hi);
        return st_err(st, err, what, NULL);
    }
    return PS_OK;
}

static inline int check_key(const ps_store *st, uint64_t k, ps_err *err)
{
    return k - st->klo < st->kspan ? PS_OK : bad_key(st, k, err);
}

/* ---- scratch ---- */

static int grow_blocks(ps_store *st, size_t need, ps_err *err)
{
    if (need <= st->blk_cap)
        return PS_OK;
    size_t cap = st->blk_cap ? st->blk_cap : 64;
    while (cap < need)
        cap *= 2;
    /* Each realloc either moves the array or leaves it, so on failure every array
     * is still valid (and freed by close). */
    void *p;
    if (!(p = realloc(st->blk, cap * sizeof *st->blk)))
        goto oom;
    st->blk = p;
    if (!(p = realloc(st->kbuf, cap * 8)))
        goto oom;
    st->kbuf = p;
    if (!(p = realloc(st->kptr, cap * sizeof *st->kptr)))
        goto oom;
    st->kptr = p;
    if (!(p = realloc(st->ksz, cap * sizeof *st->ksz)))
        goto oom;
    st->ksz = p;
    if (!(p = realloc(st->vsz, cap * sizeof *st->vsz)))
        goto oom;
    st->vsz = p;
    if (!(p = realloc(st->vals, cap * sizeof *st->vals)))
        goto oom;
    st->vals = p;
    if (!(p = realloc(st->errs, cap * sizeof *st->errs)))
        goto oom;
    st->errs = p;
    st->blk_cap = cap;
    return PS_OK;
oom:
    return st_err(st, err, "out of memory for the block lists", NULL);
}

static int grow_slots(ps_store *st, size_t need, ps_err *err)
{
    if (need <= st->slot_cap)
        return PS_OK;
    uint32_t *p = realloc(st->slot, need * sizeof *p);
    if (!p)
        return st_err(st, err, "out of memory for the key list", NULL);
    st->slot = p;
    st->slot_cap = need;
    return PS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists in st->blk the distinct blocks of the requested keys, ascending. Keys NULL
 * means the range lo .. lo+n-1, whose blocks are simply consecutive. Listed keys in
 * ascending blocks (the server's usual order) take one pass, and callers find each
 * key's block by walking the list alongside; any other order is sorted and
 * st->slot[i] gives key i's block (st->by_slot set). Returns the number of blocks,
 * or -1 with err set. */
static int64_t gather(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n, ps_err *err)
{
    const uint64_t bk = st->bk;
    st->by_slot = 0;
    st->strict = 1;
    if (st->index) { /* blocks of any keys: sorted, and each key's found */
        if (grow_blocks(st, n, err) || grow_slots(st, n, err))
            return -1;
        st->by_slot = 1;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t k = keys ? keys[i] : lo + i;
            uint32_t pos;
            if (check_key(st, k, err))
                return -1;
            st->blk[i] = idx_locate(st, k, &pos);
        }
        qsort(st->blk, n, sizeof *st->blk, cmp_u64);
        size_t m = 0;
        for (uint32_t i = 0; i < n; i++)
            if (m == 0 || st->blk[i] != st->blk[m - 1])
                st->blk[m++] = st->blk[i];
        for (uint32_t i = 0; i < n; i++) {
            uint32_t pos;
            uint64_t b = idx_locate(st, keys ? keys[i] : lo + i, &pos);
            const uint64_t *at = bsearch(&b, st->blk, m, sizeof *st->blk, cmp_u64);
            st->slot[i] = (uint32_t)(at - st->blk);
        }
        return (int64_t)m;
    }
    if (!keys) {
        if (lo + n < lo || check_key(st, lo, err) || check_key(st, lo + n - 1, err))
            return -1;
        uint64_t first = lo / bk, nb = (lo + n - 1) / bk - first + 1;
        if (grow_blocks(st, nb, err))
            return -1;
        for (uint64_t j = 0; j < nb; j++)
            st->blk[j] = first + j;
        return (int64_t)nb;
    }
    size_t nb = 0;
    uint32_t i;
    /* Keys of the current block are [start, start + bk): one division per block,
     * not per key, which is a visible share of a cached pull. */
    uint64_t start = 1, end = 0;
    for (i = 0; i < n; i++) {
        uint64_t k = keys[i];
        if (check_key(st, k, err))
            return -1;
        st->strict &= i == 0 || k > keys[i - 1];
        if (k >= end) {
            if (nb == st->blk_cap && grow_blocks(st, nb + 1, err))
                return -1;
            uint64_t b = k / bk;
            st->blk[nb++] = b;
            start = b * bk;
            end = start + bk;
        } else if (k < start) {
            break; /* not ascending */
        }
    }
    if (i == n)
        return (int64_t)nb;
    /* Unsorted: sort every key's block, drop repeats, then find each key's block. */
    if (grow_blocks(st, n, err) || grow_slots(st, n, err))
        return -1;
    st->by_slot = 1;
    for (i = 0; i < n; i++) {
        if (check_key(st, keys[i], err))
            return -1;
        st->blk[i] = keys[i] / bk;
    }
    qsort(st->blk, n, sizeof *st->blk, cmp_u64);
    nb = 0;
    for (i = 0; i < n; i++)
        if (nb == 0 || st->blk[i] != st->blk[nb - 1])
            st->blk[nb++] = st->blk[i];
    for (i = 0; i < n; i++) {
        uint64_t b = keys[i] / bk;
        const uint64_t *at = bsearch(&b, st->blk, nb, sizeof *st->blk, cmp_u64);
        st->slot[i] = (uint32_t)(at - st->blk);
    }
    return (int64_t)nb;
}

static void free_vals(ps_store *st, size_t nb)
{
    for (size_t j = 0; j < nb; j++) {
        rocksdb_free(st->vals[j]);
        st->vals[j] = NULL;
    }
}

/* One multi-get for blocks blk[0..nb): st->vals[j] is block j's value (malloc'd by
 * RocksDB, freed with free_vals) or NULL when the block was never written. */
static int read_blocks(ps_store *st, size_t nb, ps_err *err)
{
    for (size_t j = 0; j < nb; j++) {
        ps_store_rocksdb_block_key(st->blk[j], st->kbuf + 8 * j);
        st->kptr[j] = st->kbuf + 8 * j;
        st->ksz[j] = 8;
    }
    rocksdb_multi_get(st->db, st->ropts, nb, st->kptr, st->ksz, st->vals, st->vsz, st->errs);
    int rc = PS_OK;
    for (size_t j = 0; j < nb; j++) {
        if (st->errs[j]) {
            if (rc == PS_OK)
                rc = st_err(st, err, "multi-get", st->errs[j]);
            else
                rocksdb_free(st->errs[j]);
        } else if (st->vals[j]) {
            st->io_read += st->vsz[j];
            size_t want = st->index ? idx_vbytes(st, st->blk[j]) : st->vbytes;
            if (st->vsz[j] != want && rc == PS_OK) {
                rc = bad_block(st, st->blk[j], st->vsz[j], want, err);
            }
        }
    }
    if (rc)
        free_vals(st, nb);
    return rc;
}

/* ---- the operations ---- */

static int rdb_get(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n, float *out,
                   ps_err *err)
{
    if (n == 0)
        return PS_OK;
    int64_t nb = gather(st, keys, lo, n, err);
    if (nb < 0 || read_blocks(st, (size_t)nb, err))
        return PS_ERR;
    const uint32_t bk = st->bk;
    if (st->index) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t pos;
            idx_locate(st, keys ? keys[i] : lo + i, &pos);
            const char *v = st->vals[st->slot[i]];
            out[i] = v ? load_f32(v + 4 * (size_t)pos) : 0.0f;
        }
    } else if (!keys) {
        /* A range: copy whole runs of each block. */
        uint64_t k = lo, end = lo + n;
        for (int64_t j = 0; j < nb; j++) {
            uint64_t off = k % bk, run = bk - off;
            if (run > end - k)
                run = end - k;
            float *dst = out + (k - lo);
            if (st->vals[j])
                copy_f32(dst, st->vals[j] + 4 * off, run);
            else
                memset(dst, 0, run * sizeof *dst);
            k += run;
        }
    } else if (st->by_slot) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t j = st->slot[i];
            const char *v = st->vals[j];
            out[i] = v ? load_f32(v + 4 * (keys[i] - st->blk[j] * bk)) : 0.0f;
        }
    } else {
        /* Ascending blocks: every listed block holds the next keys. Strictly
         * increasing keys whose last one in the block is first + count - 1 are a
         * consecutive run, copied whole; other keys one by one. This loop is the
         * store's whole per-key cost on a cached pull. */
        uint32_t i = 0;
        for (size_t j = 0; i < n; j++) {
            uint64_t base = st->blk[j] * bk, end = base + bk, k = keys[i];
            const char *v = st->vals[j] ? st->vals[j] : st->zeros;
            if (st->strict) {
                uint64_t run = end - k < n - i ? end - k : n - i;
                if (keys[i + run - 1] == k + run - 1) {
                    copy_f32(out + i, v + 4 * (k - base), run);
                    i += (uint32_t)run;
                    continue;
                }
            }
            for (; i < n && keys[i] < end; i++)
                out[i] = load_f32(v + 4 * (keys[i] - base));
        }
    }
    free_vals(st, (size_t)nb);
    return PS_OK;
}

/* add (assign 0) or set (assign 1) the keys' values, one write batch; the blocks
 * being rewritten lie side by side in data, block j at doff[j] (with an index
 * their sizes differ). */
static int rdb_write(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n,
                     const float *delta, int assign, ps_err *err)
{
    if (n == 0)
        return PS_OK;
    int64_t nb = gather(st, keys, lo, n, err);
    if (nb < 0)
        return PS_ERR;
    if ((size_t)nb + 1 > st->doff_cap) {
        size_t *p = realloc(st->doff, ((size_t)nb + 1) * sizeof *p);
        if (!p)
            return st_err(st, err, "out of memory for the blocks to write", NULL);
        st->doff = p;
        st->doff_cap = (size_t)nb + 1;
    }
    size_t need = 0;
    for (int64_t j = 0; j < nb; j++) {
        st->doff[j] = need;
        need += st->index ? idx_vbytes(st, st->blk[j]) : st->vbytes;
    }
    st->doff[nb] = need;
    if (need > st->data_cap) {
        char *p = realloc(st->data, need);
        if (!p)
            return st_err(st, err, "out of memory for the blocks to write", NULL);
        st->data = p;
        st->data_cap = need;
    }
    if (read_blocks(st, (size_t)nb, err))
        return PS_ERR;
    for (int64_t j = 0; j < nb; j++) {
        char *d = st->data + st->doff[j];
        if (st->vals[j])
            memcpy(d, st->vals[j], st->doff[j + 1] - st->doff[j]);
        else
            memset(d, 0, st->doff[j + 1] - st->doff[j]);
    }
    free_vals(st, (size_t)nb);
    const uint32_t bk = st->bk;
    size_t j = 0; /* block of key i: walked along the list, unless by_slot */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k = keys ? keys[i] : lo + i;
        if (st->by_slot)
            j = st->slot[i];
        else if (k >= (st->blk[j] + 1) * bk)
            j++;
        uint32_t off;
        size_t vals_len; /* the block's values, before its bitmap */
        if (st->index) {
            idx_locate(st, k, &off);
            vals_len = 4 * (size_t)idx_nvals(st, st->blk[j]);
        } else {
            off = (uint32_t)(k - st->blk[j] * bk);
            vals_len = 4 * (size_t)bk;
        }
        char *v = st->data + st->doff[j] + 4 * (size_t)off;
        store_f32(v, assign ? delta[i] : load_f32(v) + delta[i]);
        char *d = st->data + st->doff[j];
        d[vals_len + off / 8] |= (char)(1u << (off % 8));
    }
    /* All touched blocks in one batch: one WAL record, so an update is applied
     * entirely or not at all after a crash. */
    rocksdb_writebatch_clear(st->batch);
    for (int64_t j = 0; j < nb; j++)
        rocksdb_writebatch_put(st->batch, st->kbuf + 8 * j, 8, st->data + st->doff[j],
                               st->doff[j + 1] - st->doff[j]);
    char *rerr = NULL;
    rocksdb_write(st->db, st->wopts, st->batch, &rerr);
    rocksdb_writebatch_clear(st->batch);
    if (rerr)
        return st_err(st, err, "write", rerr);
    st->io_written += need;
    return PS_OK;
}

static int rdb_add(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n,
                   const float *delta, ps_err *err)
{
    return rdb_write(st, keys, lo, n, delta, 0, err);
}

static int rdb_set(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n,
                   const float *vals, ps_err *err)
{
    return rdb_write(st, keys, lo, n, vals, 1, err);
}

static int push_pair(uint64_t **keys, float **vals, uint64_t *n, uint64_t *cap, uint64_t k,
                     float v)
{
    if (*n == *cap) {
        uint64_t c = *cap * 2;
        uint64_t *nk = realloc(*keys, c * sizeof *nk);
        if (!nk)
            return PS_ERR;
        *keys = nk;
        float *nv = realloc(*vals, c * sizeof *nv);
        if (!nv)
            return PS_ERR;
        *vals = nv;
        *cap = c;
    }
    (*keys)[*n] = k;
    (*vals)[*n] = v;
    (*n)++;
    return PS_OK;
}

/* A dump's block under an index: its table keys' values whose bits are set. */
static int idx_dump_block(ps_store *st, uint64_t b, const char *v, size_t vlen, uint64_t **keys,
                          float **vals, uint64_t *n, uint64_t *cap, ps_err *err)
{
    if (vlen != idx_vbytes(st, b))
        return bad_block(st, b, vlen, idx_vbytes(st, b), err);
    st->io_read += vlen;
    const ps_block_index *x = st->index;
    uint64_t first = b < x->n_blocks ? st->mstart[b] : 0;
    uint64_t count = b < x->n_blocks ? st->mstart[b + 1] - first : 1;
    const unsigned char *bits = (const unsigned char *)v + 4 * (size_t)idx_nvals(st, b);
    for (uint64_t m = 0; m < count; m++) {
        uint64_t t = b < x->n_blocks ? st->members[first + m] : b - x->n_blocks;
        for (uint32_t j = 0; j < st->vpk; j++) {
            uint64_t p = m * st->vpk + j;
            if ((bits[p / 8] >> (p % 8) & 1) &&
                push_pair(keys, vals, n, cap, t * st->vpk + j, load_f32(v + 4 * p)))
                return st_err(st, err, "out of memory for the dump", NULL);
        }
    }
    return PS_OK;
}

/* Every key whose bit is set in its block's bitmap, in key order (with an index:
 * in block order). */
static int rdb_dump(ps_store *st, uint64_t **keys_out, float **vals_out, uint64_t *n_out,
                    ps_err *err)
{
    uint64_t n = 0, cap = 1024;
    uint64_t *keys = malloc(cap * sizeof *keys);
    float *vals = malloc(cap * sizeof *vals);
    rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->scan_ropts);
    int rc = PS_OK;
    if (!keys || !vals) {
        rc = st_err(st, err, "out of memory for the dump", NULL);
        goto out;
    }
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen), *v = rocksdb_iter_value(it, &vlen);
        if (klen != 8)
            continue; /* the meta key */
        uint64_t b = decode_block_key(k);
        if (st->index) {
            if ((rc = idx_dump_block(st, b, v, vlen, &keys, &vals, &n, &cap, err)))
                goto out;
            continue;
        }
        if (vlen != st->vbytes) {
            rc = bad_block(st, b, vlen, st->vbytes, err);
            goto out;
        }
        st->io_read += vlen;
        const unsigned char *bits = (const unsigned char *)v + 4 * (size_t)st->bk;
        for (uint32_t j = 0; j < st->bk; j++)
            if (bits[j / 8] >> (j % 8) & 1)
                if (push_pair(&keys, &vals, &n, &cap, b * st->bk + j, load_f32(v + 4 * j))) {
                    rc = st_err(st, err, "out of memory for the dump", NULL);
                    goto out;
                }
    }
    char *rerr = NULL;
    rocksdb_iter_get_error(it, &rerr);
    if (rerr)
        rc = st_err(st, err, "iterating", rerr);
out:
    rocksdb_iter_destroy(it);
    if (rc) {
        free(keys);
        free(vals);
        return rc;
    }
    *keys_out = keys;
    *vals_out = vals;
    *n_out = n;
    return PS_OK;
}

static void rdb_io_bytes(ps_store *st, uint64_t *read, uint64_t *written)
{
    *read = st->io_read;
    *written = st->io_written;
}

static void rdb_close(ps_store *st)
{
    if (!st)
        return;
    if (st->db)
        rocksdb_close(st->db);
    if (st->batch)
        rocksdb_writebatch_destroy(st->batch);
    if (st->wopts)
        rocksdb_writeoptions_destroy(st->wopts);
    if (st->ropts)
        rocksdb_readoptions_destroy(st->ropts);
    if (st->scan_ropts)
        rocksdb_readoptions_destroy(st->scan_ropts);
    if (st->opts)
        rocksdb_options_destroy(st->opts);
    if (st->cache)
        rocksdb_cache_destroy(st->cache);
    free(st->blk);
    free(st->kbuf);
    free(st->kptr);
    free(st->ksz);
    free(st->vsz);
    free(st->vals);
    free(st->errs);
    free(st->slot);
    free(st->data);
    free(st->zeros);
    free(st->mstart);
    free(st->members);
    free(st->doff);
    free(st->path);
    free(st);
}

/* ---- open ---- */

/* Creates the parents of the database directory (RocksDB creates only the last
 * level), so that a store can live at RUN/server-0/db. */
static int make_parents(ps_store *st, ps_err *err)
{
    char *p = st->path;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int rc = mkdir(p, 0777);
        int e = errno;
        struct stat sb;
        int ok = rc == 0 || (e == EEXIST && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
        if (!ok) {
            char what[1024];
            snprintf(what, sizeof what, "cannot create directory %s: %s", p,
                     e == EEXIST ? "exists and is not a directory" : strerror(e));
            *s = '/';
            return st_err(st, err, what, NULL);
        }
        *s = '/';
    }
    return PS_OK;
}

/* A new database gets the meta key; an existing one must be a pslab store with the
 * same block size. */
static int check_meta(ps_store *st, ps_err *err)
{
    char *rerr = NULL;
    size_t len = 0;
    char *v = rocksdb_get(st->db, st->ropts, META_KEY, sizeof META_KEY - 1, &len, &rerr);
    if (rerr)
        return st_err(st, err, "reading the meta key", rerr);
    char want[96];
    if (st->index) /* the layout: a reopen with another index would misread every block */
        snprintf(want, sizeof want, "pslab-rocksdb-store v1 index blocks=%u keys=%" PRIu64
                 " vpk=%u hash=%016" PRIx64, st->index->n_blocks, st->index->n_dims, st->vpk,
                 st->layout_hash);
    else
        snprintf(want, sizeof want, "pslab-rocksdb-store v1 block_keys=%u", st->bk);
    if (v) {
        char have[96];
        size_t m = len < sizeof have - 1 ? len : sizeof have - 1;
        memcpy(have, v, m);
        have[m] = '\0';
        rocksdb_free(v);
        if (st->index || strncmp(have, "pslab-rocksdb-store v1 index", 28) == 0) {
            if (strcmp(have, want) == 0)
                return PS_OK;
            char what[256];
            snprintf(what, sizeof what, "written as '%s', opened as '%s'", have, want);
            return st_err(st, err, what, NULL);
        }
        unsigned bk = 0;
        if (sscanf(have, "pslab-rocksdb-store v1 block_keys=%u", &bk) != 1)
            return st_err(st, err, "unrecognised meta key (not a pslab store?)", NULL);
        if (bk != st->bk) {
            char what[128];
            snprintf(what, sizeof what, "written with block_keys=%u, opened with %u", bk,
                     st->bk);
            return st_err(st, err, what, NULL);
        }
        return PS_OK;
    }
    rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->scan_ropts);
    rocksdb_iter_seek_to_first(it);
    int used = rocksdb_iter_valid(it);
    rocksdb_iter_destroy(it);
    if (used)
        return st_err(st, err, "holds a database that is not a pslab store", NULL);
    rocksdb_writeoptions_t *sync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(sync, 1);
    rocksdb_put(st->db, sync, META_KEY, sizeof META_KEY - 1, want, strlen(want), &rerr);
    rocksdb_writeoptions_destroy(sync);
    if (rerr)
        return st_err(st, err, "writing the meta key", rerr);
    return PS_OK;
}

static void set_options(ps_store *st, const ps_store_spec *spec)
{
    st->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(st->opts, 1);
    /* Float parameters barely compress; compressing would only cost CPU per read. */
    rocksdb_options_set_compression(st->opts, rocksdb_no_compression);
    rocksdb_options_set_keep_log_file_num(st->opts, 2);
    /* The memtables are the write side of the server's memory: up to two of
     * write_buffer_size each. RocksDB's 64 MB would be four times a 16 MB cache, so
     * they take the cache's size (at least 4 MB, at most RocksDB's default). */
    size_t cache = spec->cache_bytes ? spec->cache_bytes : DEFAULT_CACHE_BYTES;
    size_t wb = cache < ((size_t)4 << 20)    ? (size_t)4 << 20
                : cache > ((size_t)64 << 20) ? (size_t)64 << 20
                                             : cache;
    rocksdb_options_set_write_buffer_size(st->opts, wb);
    st->cache = rocksdb_cache_create_lru(spec->cache_bytes ? spec->cache_bytes
                                                           : DEFAULT_CACHE_BYTES);
    rocksdb_block_based_table_options_t *t = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(t, st->cache);
    /* Index and filter blocks count against the cache too, so its bound is the whole
     * read-side memory; level-0 ones stay pinned so a small cache does not thrash them. */
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(t, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(t, 1);
    /* Blocks never written are common in sparse shards: a Bloom filter answers
     * "missing" without a data-block read. The table options take ownership. */
    rocksdb_block_based_options_set_filter_policy(t, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_options_set_block_based_table_factory(st->opts, t);
    rocksdb_block_based_options_destroy(t);
    st->ropts = rocksdb_readoptions_create();
    /* A dump scans everything once: keep it from evicting the working set. */
    st->scan_ropts = rocksdb_readoptions_create();
    rocksdb_readoptions_set_fill_cache(st->scan_ropts, 0);
    /* WAL on (the default), no fsync per write: survives a process crash, and an OS
     * crash loses at most the last writes. */
    st->wopts = rocksdb_writeoptions_create();
    st->batch = rocksdb_writebatch_create();
}

/* jemalloc's control, when the program runs on jemalloc (weak: NULL otherwise). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/* pslab's programs keep freed pages (engine/core/jemalloc_conf.c: the real backend's
 * large messages fault on every use otherwise). RocksDB's many small transient
 * allocations (a multi-get's values, write batches, compactions) then fragment a
 * heap that never shrinks: a server with 16 MB of cache grew to 1.5 GB in 20
 * iterations of bench/larger_than_memory.sh's uniform workload, 193 MB with this.
 * So a process that opens a RocksDB store hands freed pages back after a second. */
static void return_freed_pages(void)
{
    static int done;
    if (done || !mallctl)
        return;
    done = 1;
    ssize_t dirty = 1000, muzzy = 0;
    unsigned narenas = 0;
    size_t len = sizeof narenas;
    mallctl("arenas.dirty_decay_ms", NULL, NULL, &dirty, sizeof dirty); /* arenas to come */
    mallctl("arenas.muzzy_decay_ms", NULL, NULL, &muzzy, sizeof muzzy);
    if (mallctl("arenas.narenas", &narenas, &len, NULL, 0))
        return;
    for (unsigned i = 0; i < narenas; i++) { /* and those there are */
        char name[64];
        snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", i);
        mallctl(name, NULL, NULL, &dirty, sizeof dirty);
        snprintf(name, sizeof name, "arena.%u.muzzy_decay_ms", i);
        mallctl(name, NULL, NULL, &muzzy, sizeof muzzy);
    }
}

/* An index's layout: its blocks' members, from its offsets. */
static int idx_open(ps_store *st, const ps_store_spec *spec, ps_err *err)
{
    const ps_block_index *x = spec->index;
    if (!x->offset)
        return ps_err_set(err, "server %d: rocksdb store %s: the index has no offsets",
                          st->server, st->path);
    st->index = x;
    st->vpk = spec->vals_per_key ? spec->vals_per_key : 1;
    st->mstart = calloc((size_t)x->n_blocks + 1, sizeof *st->mstart);
    uint64_t hot = 0;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        hot += x->size[b];
    st->members = malloc((hot ? hot : 1) * sizeof *st->members);
    if (!st->mstart || !st->members)
        return ps_err_set(err, "server %d: rocksdb store %s: out of memory for the index",
                          st->server, st->path);
    for (uint32_t b = 0; b < x->n_blocks; b++)
        st->mstart[b + 1] = st->mstart[b] + (uint32_t)x->size[b];
    st->layout_hash = 1469598103934665603u; /* FNV-1a over every key's block */
    for (uint64_t d = 0; d < x->n_dims; d++) {
        if (x->block[d] != PS_INDEX_COLD)
            st->members[st->mstart[x->block[d]] + x->offset[d]] = (uint32_t)d;
        st->layout_hash = (st->layout_hash ^ x->block[d]) * 1099511628211u;
    }
    return PS_OK;
}

static int rdb_open(const ps_store_spec *spec, ps_store **out, ps_err *err)
{
    *out = NULL;
    if (!spec->dir || !*spec->dir)
        return ps_err_set(err, "server %d: rocksdb store: no directory given", spec->server);
    if (spec->block_keys == 0 || spec->block_keys > (1u << 24))
        return ps_err_set(err, "server %d: rocksdb store %s: block_keys %u not in 1..%u",
                          spec->server, spec->dir, spec->block_keys, 1u << 24);
    if (spec->dense && (spec->lo > spec->hi || (spec->n_keys && spec->hi > spec->n_keys)))
        return ps_err_set(err, "server %d: rocksdb store %s: bad shard [%" PRIu64 ", %" PRIu64
                          ") of a table of %" PRIu64 " keys",
                          spec->server, spec->dir, spec->lo, spec->hi, spec->n_keys);
    return_freed_pages();
    ps_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(spec->dir))) {
        free(st);
        return ps_err_set(err, "server %d: rocksdb store %s: out of memory", spec->server,
                          spec->dir);
    }
    st->server = spec->server;
    st->dense = spec->dense;
    st->n_keys = spec->n_keys;
    st->lo = spec->lo;
    st->hi = spec->hi;
    st->bk = spec->block_keys;
    st->klo = spec->dense ? spec->lo : 0;
    st->kspan = spec->dense ? spec->hi - spec->lo : spec->n_keys ? spec->n_keys : UINT64_MAX;
    st->vbytes = 4 * (size_t)st->bk + (st->bk + 7) / 8;
    if (spec->index && idx_open(st, spec, err))
        goto fail;
    if (!(st->zeros = calloc(1, st->vbytes))) {
        ps_err_set(err, "server %d: rocksdb store %s: out of memory", st->server, st->path);
        goto fail;
    }
    if (make_parents(st, err))
        goto fail;
    set_options(st, spec);
    char *rerr = NULL;
    st->db = rocksdb_open(st->opts, st->path, &rerr);
    if (rerr) {
        st->db = NULL;
        st_err(st, err, "cannot open", rerr);
        goto fail;
    }
    if (check_meta(st, err))
        goto fail;
    *out = st;
    return PS_OK;
fail:
    rdb_close(st);
    return PS_ERR;
}

/* ---- extras for benchmarks and tests ---- */

struct rocksdb_t *ps_store_rocksdb_db(ps_store *st) { return st->db; }

int ps_store_rocksdb_flush(ps_store *st, ps_err *err)
{
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    char *rerr = NULL;
    rocksdb_flush(st->db, fo, &rerr);
    rocksdb_flushoptions_destroy(fo);
    return rerr ? st_err(st, err, "flush", rerr) : PS_OK;
}

const ps_store_ops ps_store_rocksdb_ops = {
    .name = "rocksdb",
    .doc = "RocksDB database per server (WAL on, bounded LRU block cache), parameters "
           "packed in blocks of block_keys consecutive keys",
    .open = rdb_open,
    .get = rdb_get,
    .add = rdb_add,
    .set = rdb_set,
    .dump = rdb_dump,
    .io_bytes = rdb_io_bytes,
    .close = rdb_close,
};
