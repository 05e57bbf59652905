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

typedef struct round_counts {
    double *af_self;        /* per block */
    ps_index_pair *pairs;
    uint32_t n_pairs, cap_pairs;
    ps_keymap pair_of;      /* (i << 32 | j) -> index into pairs */
} round_counts;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* AF for the current blocks: per batch, its distinct blocks, and each pair of them. */
static int count_round(const ps_block_index *x, const ps_index_samples *s, round_counts *rc,
                       ps_err *err)
{
    memset(rc->af_self, 0, x->n_blocks * sizeof *rc->af_self);
    rc->n_pairs = 0;
    ps_keymap_clear(&rc->pair_of);
    uint32_t *touched = NULL, cap = 0;
    int rc_err = PS_OK;
    for (uint32_t b = 0; b < s->n_batches && rc_err == PS_OK; b++) {
        uint64_t lo = s->start[b], hi = s->start[b + 1];
        if (hi - lo > cap && ps_resize(&touched, hi - lo, sizeof *touched)) {
            rc_err = ps_err_set(err, "out of memory counting co-access");
            break;
        }
        cap = hi - lo > cap ? (uint32_t)(hi - lo) : cap;
        uint32_t n = 0;
        for (uint64_t k = lo; k < hi; k++)
            if (s->dims[k] < x->n_dims && x->block[s->dims[k]] != PS_INDEX_COLD)
                touched[n++] = x->block[s->dims[k]];
        qsort(touched, n, sizeof *touched, cmp_u32);
        uint32_t m = 0;
        for (uint32_t k = 0; k < n; k++)
            if (m == 0 || touched[k] != touched[m - 1])
                touched[m++] = touched[k];
        for (uint32_t a = 0; a < m && rc_err == PS_OK; a++) {
            rc->af_self[touched[a]]++;
            for (uint32_t c = a + 1; c < m; c++) {
                int inserted;
                uint32_t *at = ps_keymap_put(&rc->pair_of, (uint64_t)touched[a] << 32 | touched[c],
                                             &inserted);
                if (!at || (inserted && rc->n_pairs == rc->cap_pairs &&
                            ps_resize(&rc->pairs, rc->cap_pairs = rc->cap_pairs ? 2 * rc->cap_pairs
                                                                                : 1024,
                                      sizeof *rc->pairs))) {
                    rc_err = ps_err_set(err, "out of memory counting co-access");
                    break;
                }
                if (inserted) {
                    *at = rc->n_pairs;
                    rc->pairs[rc->n_pairs++] = (ps_index_pair){touched[a], touched[c], 0, 0};
                }
                rc->pairs[*at].af_ij++;
            }
        }
    }
    free(touched);
    return rc_err;
}

/* Merges the chosen pairs (j into i) and numbers the blocks densely again. */
static int merge_round(ps_block_index *x, const ps_index_pair *pairs, const uint32_t *chosen,
                       int n, ps_err *err)
{
    uint32_t *into = malloc(x->n_blocks * sizeof *into), *renum = malloc(x->n_blocks * sizeof *renum);
    if (!into || !renum) {
        free(into);
        free(renum);
        return ps_err_set(err, "out of memory merging blocks");
    }
    for (uint32_t b = 0; b < x->n_blocks; b++)
        into[b] = b;
    for (int k = 0; k < n; k++) {
        const ps_index_pair *q = &pairs[chosen[k]];
        into[q->j] = q->i;
        x->size[q->i] += x->size[q->j];
    }
    uint32_t m = 0;
    for (uint32_t b = 0; b < x->n_blocks; b++)
        if (into[b] == b) {
            renum[b] = m;
            x->size[m++] = x->size[b];
        }
    for (uint64_t d = 0; d < x->n_dims; d++)
        if (x->block[d] != PS_INDEX_COLD)
            x->block[d] = renum[into[x->block[d]]];
    x->n_blocks = m;
    x->merges += (uint32_t)n;
    free(into);
    free(renum);
    return PS_OK;
}

/* Hot dimensions: one block each, in dimension order. */
static int index_start(ps_block_index *x, const ps_index_samples *s, uint64_t n_dims,
                       uint32_t hot, ps_err *err)
{
    memset(x, 0, sizeof *x);
    x->n_dims = n_dims;
    uint32_t *count = calloc(n_dims ? n_dims : 1, sizeof *count);
    x->block = malloc((n_dims ? n_dims : 1) * sizeof *x->block);
    if (!count || !x->block) {
        free(count);
        return ps_err_set(err, "out of memory for an index of %llu dimensions",
                          (unsigned long long)n_dims);
    }
    for (uint64_t k = 0; k < s->start[s->n_batches]; k++)
        if (s->dims[k] < n_dims)
            count[s->dims[k]]++;
    for (uint64_t d = 0; d < n_dims; d++) {
        x->block[d] = count[d] > hot ? x->n_blocks : PS_INDEX_COLD;
        x->n_blocks += count[d] > hot;
    }
    free(count);
    x->size = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *x->size);
    if (!x->size)
        return ps_err_set(err, "out of memory for %u blocks", x->n_blocks);
    for (uint32_t b = 0; b < x->n_blocks; b++)
        x->size[b] = 1;
    return PS_OK;
}

int ps_index_build(const ps_index_params *p, const ps_index_samples *s, uint64_t n_dims,
                   uint32_t hot_threshold, ps_block_index *out, ps_err *err)
{
    if (index_start(out, s, n_dims, hot_threshold, err))
        return PS_ERR;
    round_counts rc = {0};
    rc.af_self = malloc((out->n_blocks ? out->n_blocks : 1) * sizeof *rc.af_self);
    uint32_t *chosen = malloc((out->n_blocks ? out->n_blocks : 1) * sizeof *chosen);
    int rcode = rc.af_self && chosen && ps_keymap_init(&rc.pair_of, 1024, err) == PS_OK
                    ? PS_OK
                    : ps_err_set(err, "out of memory building the index");
    while (rcode == PS_OK && p->strategy != PS_INDEX_NONE && out->n_blocks > 1) {
        if ((rcode = count_round(out, s, &rc, err)))
            break;
        int n = ps_index_pick(p, rc.pairs, rc.n_pairs, out->size, rc.af_self, out->n_blocks,
                              chosen, out->n_blocks);
        if (n < 0)
            rcode = ps_err_set(err, "out of memory choosing merges");
        if (n <= 0)
            break;
        out->rounds++;
        rcode = merge_round(out, rc.pairs, chosen, n, err);
    }
    free(rc.af_self);
    free(rc.pairs);
    free(chosen);
    ps_keymap_free(&rc.pair_of);
    if (rcode)
        ps_index_free(out);
    return rcode;
}

void ps_index_free(ps_block_index *x)
{
    free(x->block);
    free(x->size);
    memset(x, 0, sizeof *x);
}
