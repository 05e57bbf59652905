/* DRPS's block index (see block_index.h): hot dimensions, co-access counts, and
 * the greedy merge rounds. */
#include "engine/index/block_index.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/store/keymap.h"

double ps_index_read_cost(const ps_index_cost *c, uint64_t n)
{
    return c->seek + (c->header + (double)n * c->bytes_per_param) * c->t_byte;
}

double ps_index_gain(const ps_index_cost *c, double af_ii, double af_jj, double af_ij,
                     uint64_t ni, uint64_t nj)
{
    return af_ii * ps_index_read_cost(c, ni) + af_jj * ps_index_read_cost(c, nj) -
           (af_ii + af_jj - af_ij) * ps_index_read_cost(c, ni + nj);
}

static const ps_index_pair *sort_pairs; /* qsort's context: one sort at a time */

static int by_gain(const void *a, const void *b)
{
    const ps_index_pair *x = &sort_pairs[*(const uint32_t *)a], *y = &sort_pairs[*(const uint32_t *)b];
    if (x->gain != y->gain)
        return x->gain > y->gain ? -1 : 1;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

int ps_index_pick(const ps_index_params *p, ps_index_pair *pairs, uint32_t n_pairs,
                  const uint64_t *size, const double *af_self, uint32_t n_blocks, uint32_t *out,
                  uint32_t max)
{
    if (p->strategy == PS_INDEX_NONE || max == 0)
        return 0;
    uint32_t *cand = malloc((n_pairs ? n_pairs : 1) * sizeof *cand), n = 0;
    uint8_t *used = calloc(n_blocks ? n_blocks : 1, 1);
    if (!cand || !used) {
        free(cand);
        free(used);
        return -1;
    }
    for (uint32_t k = 0; k < n_pairs; k++) {
        ps_index_pair *q = &pairs[k];
        q->gain = ps_index_gain(&p->cost, af_self[q->i], af_self[q->j], q->af_ij, size[q->i],
                                size[q->j]);
        if (q->gain > p->min_gain && size[q->i] + size[q->j] <= p->max_block)
            cand[n++] = k;
    }
    sort_pairs = pairs;
    qsort(cand, n, sizeof *cand, by_gain);
    uint32_t limit = p->strategy == PS_INDEX_BASIC ? 1 : p->per_round, got = 0;
    for (uint32_t k = 0; k < n && got < limit && got < max; k++) {
        const ps_index_pair *q = &pairs[cand[k]];
        if (used[q->i] || used[q->j])
            continue;
        used[q->i] = used[q->j] = 1;
        out[got++] = cand[k];
    }
    free(cand);
    free(used);
    return (int)got;
}

/* ---- building from samples ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int ps_index_counts_reset(ps_index_counts *c, uint32_t n_blocks, ps_err *err)
{
    if (!c->pair_of) {
        if (!(c->pair_of = malloc(sizeof *c->pair_of)))
            return ps_err_set(err, "out of memory for co-access counts");
        if (ps_keymap_init(c->pair_of, 1024, err)) {
            free(c->pair_of);
            c->pair_of = NULL;
            return PS_ERR;
        }
    }
    if (n_blocks > c->n_blocks && ps_resize(&c->af_self, n_blocks, sizeof *c->af_self))
        return ps_err_set(err, "out of memory for co-access counts of %u blocks", n_blocks);
    c->n_blocks = n_blocks;
    memset(c->af_self, 0, n_blocks * sizeof *c->af_self);
    c->n_pairs = 0;
    ps_keymap_clear(c->pair_of);
    return PS_OK;
}

int ps_index_counts_add(ps_index_counts *c, uint32_t i, uint32_t j, double af, ps_err *err)
{
    if (i >= c->n_blocks || j >= c->n_blocks || i > j)
        return ps_err_set(err, "co-access count of blocks (%u, %u) outside the %u blocks", i, j,
                          c->n_blocks);
    if (i == j) {
        c->af_self[i] += af;
        return PS_OK;
    }
    int inserted;
    uint32_t *at = ps_keymap_put(c->pair_of, (uint64_t)i << 32 | j, &inserted);
    if (!at)
        return ps_err_set(err, "out of memory counting co-access");
    if (inserted) {
        if (c->n_pairs == c->cap_pairs) {
            uint32_t cap = c->cap_pairs ? 2 * c->cap_pairs : 1024;
            if (ps_resize(&c->pairs, cap, sizeof *c->pairs)) {
                ps_keymap_del(c->pair_of, (uint64_t)i << 32 | j);
                return ps_err_set(err, "out of memory counting co-access");
            }
            c->cap_pairs = cap;
        }
        *at = c->n_pairs;
        c->pairs[c->n_pairs++] = (ps_index_pair){i, j, 0, 0};
    }
    c->pairs[*at].af_ij += af;
    return PS_OK;
}

void ps_index_counts_free(ps_index_counts *c)
{
    free(c->af_self);
    free(c->pairs);
    if (c->pair_of)
        ps_keymap_free(c->pair_of);
    free(c->pair_of);
    memset(c, 0, sizeof *c);
}

uint32_t ps_index_root(ps_block_index *x, uint32_t b)
{
    if (!x->parent)
        return b;
    while (x->parent[b] != b) { /* path halving */
        x->parent[b] = x->parent[x->parent[b]];
        b = x->parent[b];
    }
    return b;
}

/* Per batch, its distinct blocks, and their pairs (or only the changed ones'). */
int ps_index_count(ps_block_index *x, const ps_index_samples *s, const uint8_t *changed,
                   ps_index_counts *c, ps_err *err)
{
    uint32_t *touched = NULL, cap = 0;
    int rc = PS_OK;
    for (uint32_t b = 0; b < s->n_batches && rc == PS_OK; b++) {
        uint64_t lo = s->start[b], hi = s->start[b + 1];
        if (hi - lo > cap) {
            if (ps_resize(&touched, hi - lo, sizeof *touched)) {
                rc = ps_err_set(err, "out of memory counting co-access");
                break;
            }
            cap = (uint32_t)(hi - lo);
        }
        uint32_t n = 0;
        for (uint64_t k = lo; k < hi; k++)
            if (s->dims[k] < x->n_dims && x->block[s->dims[k]] != PS_INDEX_COLD)
                touched[n++] = ps_index_root(x, x->block[s->dims[k]]);
        qsort(touched, n, sizeof *touched, cmp_u32);
        uint32_t m = 0;
        for (uint32_t k = 0; k < n; k++)
            if (m == 0 || touched[k] != touched[m - 1])
                touched[m++] = touched[k];
        for (uint32_t a = 0; a < m && rc == PS_OK; a++) {
            uint32_t i = touched[a];
            if (changed && !changed[i])
                continue;
            rc = ps_index_counts_add(c, i, i, 1, err);
            for (uint32_t d = 0; d < m && rc == PS_OK; d++) {
                uint32_t j = touched[d];
                /* every pair once: all of them, or those with a changed block, by
                 * the lower of two changed ones */
                if (j == i || (changed ? changed[j] && j < i : j < i))
                    continue;
                rc = ps_index_counts_add(c, i < j ? i : j, i < j ? j : i, 1, err);
            }
        }
    }
    free(touched);
    return rc;
}

int ps_index_merge(ps_block_index *x, const ps_index_pair *merged, uint32_t n, ps_err *err)
{
    if (!x->parent) {
        if (!(x->parent = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *x->parent)))
            return ps_err_set(err, "out of memory merging blocks");
        for (uint32_t b = 0; b < x->n_blocks; b++)
            x->parent[b] = b;
    }
    for (uint32_t k = 0; k < n; k++) {
        const ps_index_pair *q = &merged[k];
        if (q->i >= q->j || q->j >= x->n_blocks || ps_index_root(x, q->i) != q->i ||
            ps_index_root(x, q->j) != q->j)
            return ps_err_set(err, "merge %u of a round: blocks (%u, %u) are not two blocks of the "
                                   "index", k, q->i, q->j);
        x->parent[q->j] = q->i;
        x->size[q->i] += x->size[q->j];
    }
    x->merges += n;
    x->rounds += n > 0;
    return PS_OK;
}

int ps_index_compact(ps_block_index *x, ps_err *err)
{
    if (!x->parent)
        return PS_OK;
    uint32_t *renum = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *renum);
    if (!renum)
        return ps_err_set(err, "out of memory numbering blocks");
    uint32_t m = 0;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        if (x->parent[b] == b) {
            renum[b] = m;
            x->size[m++] = x->size[b];
        }
    for (uint64_t d = 0; d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD)
            x->block[d] = renum[ps_index_root(x, x->block[d])];
    x->n_blocks = m;
    free(renum);
    free(x->parent);
    x->parent = NULL;
    return PS_OK;
}

void ps_index_count_dims(const ps_index_samples *s, uint64_t n_dims, uint32_t *count)
{
    for (uint64_t k = s->start[0]; k < s->start[s->n_batches]; k++)
        if (s->dims[k] < n_dims)
            count[s->dims[k]]++;
}

int ps_index_start(ps_block_index *x, const uint32_t *count, uint64_t n_dims, uint32_t hot,
                   ps_err *err)
{
    memset(x, 0, sizeof *x);
    x->n_dims = n_dims;
    x->block = malloc((n_dims ? n_dims : 1) * sizeof *x->block);
    if (!x->block)
        return ps_err_set(err, "out of memory for an index of %llu dimensions",
                          (unsigned long long)n_dims);
    for (uint64_t d = 0; d < n_dims; d++) {
        x->block[d] = count[d] > hot ? x->n_blocks : PS_INDEX_COLD;
        x->n_blocks += count[d] > hot;
    }
    x->size = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *x->size);
    if (!x->size) {
        ps_index_free(x);
        return ps_err_set(err, "out of memory for %u blocks", x->n_blocks);
    }
    for (uint32_t b = 0; b < x->n_blocks; b++)
        x->size[b] = 1;
    return PS_OK;
}

int ps_index_build(const ps_index_params *p, const ps_index_samples *s, uint64_t n_dims,
                   uint32_t hot_threshold, ps_block_index *out, ps_err *err)
{
    uint32_t *count = calloc(n_dims ? n_dims : 1, sizeof *count);
    if (!count)
        return ps_err_set(err, "out of memory for an index of %llu dimensions",
                          (unsigned long long)n_dims);
    ps_index_count_dims(s, n_dims, count);
    int rc = ps_index_start(out, count, n_dims, hot_threshold, err);
    free(count);
    if (rc)
        return PS_ERR;
    rc = ps_index_build_rounds(p, out, s, NULL, err);
    if (rc == PS_OK)
        rc = ps_index_compact(out, err);
    if (rc)
        ps_index_free(out);
    return rc;
}

int ps_index_offsets(ps_block_index *x, ps_err *err)
{
    free(x->offset);
    x->offset = malloc((x->n_dims ? x->n_dims : 1) * sizeof *x->offset);
    uint32_t *next = calloc(x->n_blocks ? x->n_blocks : 1, sizeof *next);
    if (!x->offset || !next) {
        free(next);
        free(x->offset);
        x->offset = NULL;
        return ps_err_set(err, "out of memory for the index's offsets");
    }
    for (uint64_t d = 0; d < x->n_dims; d++)
        x->offset[d] = x->block[d] != PS_INDEX_COLD ? next[x->block[d]]++ : 0;
    free(next);
    return PS_OK;
}

void ps_index_free(ps_block_index *x)
{
    free(x->block);
    free(x->size);
    free(x->parent);
    free(x->offset);
    memset(x, 0, sizeof *x);
}
