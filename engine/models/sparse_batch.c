/* Batches of sparse rows, shared by the linear models; see sparse_batch.h. */
#include "engine/models/sparse_batch.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"

static int grow_u32(uint32_t **p, uint32_t *cap, uint32_t need)
{
    if (need <= *cap)
        return PS_OK;
    uint32_t c = need + need / 2 + 16;
    if (ps_resize(p, c, sizeof **p))
        return PS_ERR;
    *cap = c;
    return PS_OK;
}

static int batch_reserve(ps_batch *b, uint32_t rows, uint32_t nnz)
{
    uint32_t cr = b->cap_rows, cn = b->cap_nnz;
    if (grow_u32(&b->row_ptr, &cr, rows + 1) || grow_u32(&b->col, &cn, nnz))
        return PS_ERR;
    if (cr != b->cap_rows) {
        float *l = realloc(b->label, cr * sizeof *l);
        if (!l)
            return PS_ERR;
        b->label = l;
    }
    if (cn != b->cap_nnz) {
        float *v = realloc(b->val, cn * sizeof *v);
        uint64_t *k = v ? realloc(b->keys, cn * sizeof *k) : NULL;
        if (v)
            b->val = v;
        if (!k)
            return PS_ERR;
        b->keys = k;
        b->cap_keys = cn;
    }
    b->cap_rows = cr;
    b->cap_nnz = cn;
    return PS_OK;
}

/* LSD radix sort of (feature << 32 | position) pairs on the feature half, 8 bits
 * a pass, up to the highest byte any feature uses (feature_bits: all of them
 * or-ed), skipping passes where every feature has the same byte. A batch has a few
 * thousand nonzeros and this runs once per worker iteration: it was the largest
 * engine cost under qsort. Stable, so positions stay ascending within a feature. */
static uint64_t *radix_sort_pairs(uint64_t *a, uint64_t *tmp, uint32_t n, uint64_t feature_bits)
{
    for (int shift = 32; shift < 64 && (feature_bits >> (shift - 32)) != 0; shift += 8) {
        uint32_t count[257] = {0};
        for (uint32_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xFF) + 1]++;
        if (count[((a[0] >> shift) & 0xFF) + 1] == n)
            continue;
        for (int c = 0; c < 256; c++)
            count[c + 1] += count[c];
        for (uint32_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xFF]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Sort space for ps_batch_build, one per OS thread. A simulation runs all its
 * workers on one thread and a build never yields, so they share one buffer that
 * stays in cache, where a buffer per worker was cold again at each of its builds
 * (a thousand workers run between two builds of one). */
static _Thread_local struct {
    uint64_t *a, *b;
    uint32_t cap;
} sort_space;

/* Keeps the pairs already written (a batch grows row by row). */
static int sort_space_reserve(uint32_t n)
{
    if (n <= sort_space.cap)
        return PS_OK;
    uint32_t cap = n + n / 2 + 16;
    uint64_t *a = realloc(sort_space.a, cap * sizeof *a);
    if (!a)
        return PS_ERR;
    sort_space.a = a;
    uint64_t *b = realloc(sort_space.b, cap * sizeof *b);
    if (!b)
        return PS_ERR;
    sort_space.b = b;
    sort_space.cap = cap;
    return PS_OK;
}

void ps_batch_release_sort_space(void)
{
    free(sort_space.a);
    free(sort_space.b);
    sort_space.a = sort_space.b = NULL;
    sort_space.cap = 0;
}

int ps_batch_build(ps_batch *b, const ps_dataset *d, const uint64_t *rows, uint32_t n_rows,
                   ps_row_buf *buf, ps_err *err)
{
    uint64_t bias = ps_dataset_features(d);
    b->n_rows = n_rows;
    b->nnz = 0;
    /* One-hot rows (all synthetic data) leave val unwritten: a thousand simulated
     * workers' batches are most of what a run touches between two of its
     * iterations, and every byte less is cache left to the simulator. */
    b->unit_vals = 1;
    uint64_t feature_bits = bias;
    for (uint32_t r = 0; r < n_rows; r++) {
        ps_row row;
        ps_dataset_row(d, rows[r], &row, buf);
        if (batch_reserve(b, n_rows, b->nnz + row.nnz + 1) ||
            sort_space_reserve(b->nnz + row.nnz + 1))
            return ps_err_set(err, "out of memory for a batch");
        b->row_ptr[r] = b->nnz;
        b->label[r] = row.label;
        for (uint32_t k = 0; k < row.nnz; k++) {
            if (b->unit_vals && row.val[k] != 1.0f) {
                for (uint32_t i = 0; i < b->nnz; i++)
                    b->val[i] = 1.0f;
                b->unit_vals = 0;
            }
            sort_space.a[b->nnz] = (uint64_t)row.idx[k] << 32 | b->nnz;
            feature_bits |= row.idx[k];
            if (!b->unit_vals)
                b->val[b->nnz] = row.val[k];
            b->nnz++;
        }
        /* the bias is a feature of value 1 in every row */
        sort_space.a[b->nnz] = bias << 32 | b->nnz;
        if (!b->unit_vals)
            b->val[b->nnz] = 1.0f;
        b->nnz++;
    }
    b->row_ptr[n_rows] = b->nnz;
    const uint64_t *sorted = radix_sort_pairs(sort_space.a, sort_space.b, b->nnz, feature_bits);
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->nnz; i++) {
        uint64_t key = sorted[i] >> 32;
        if (n == 0 || b->keys[n - 1] != key)
            b->keys[n++] = key;
        b->col[(uint32_t)sorted[i]] = n - 1;
    }
    b->n_keys = n;
    b->bias = n - 1;
    return PS_OK;
}

int ps_batch_group(ps_batch *b, const uint32_t *group_of, int n_groups, uint32_t *start,
                   uint32_t *count, ps_err *err)
{
    /* the sort space (free again after a build) holds the keys' new places and
     * a copy of the keys */
    if (sort_space_reserve(b->n_keys))
        return ps_err_set(err, "out of memory grouping %u keys", b->n_keys);
    uint64_t *place = sort_space.a, *old_keys = sort_space.b;
    memset(count, 0, (size_t)n_groups * sizeof *count);
    for (uint32_t k = 0; k < b->n_keys; k++)
        count[group_of[k]]++;
    for (uint32_t g = 0, at = 0; g < (uint32_t)n_groups; g++) {
        start[g] = at;
        at += count[g];
    }
    for (uint32_t k = 0; k < b->n_keys; k++)
        place[k] = start[group_of[k]]++;
    for (int g = 0; g < n_groups; g++)
        start[g] -= count[g];
    memcpy(old_keys, b->keys, b->n_keys * sizeof *old_keys);
    for (uint32_t k = 0; k < b->n_keys; k++)
        b->keys[place[k]] = old_keys[k];
    for (uint32_t i = 0; i < b->nnz; i++)
        b->col[i] = (uint32_t)place[b->col[i]];
    if (b->n_keys)
        b->bias = (uint32_t)place[b->bias];
    return PS_OK;
}

void ps_batch_free(ps_batch *b)
{
    free(b->row_ptr);
    free(b->col);
    free(b->val);
    free(b->label);
    free(b->keys);
    memset(b, 0, sizeof *b);
}
