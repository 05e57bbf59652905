/* The block index's rounds at the coordinator (see block_index.h). A merge of
 * blocks i and j changes only the counts involving them: the pairs of i and j
 * die, and the next round's counts bring the merged block's pairs and AF_ii; all
 * other pairs keep their counts and their gains (a gain depends only on the two
 * blocks' sizes and counts). So the candidates wait in a heap, best gain first
 * (ties to the lower pair, as ps_index_pick), and a round pops the best disjoint
 * ones: the same merges as picking from every pair counted again, at the cost of
 * what changed. */
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/index/block_index.h"
#include "engine/store/keymap.h"

typedef struct adj_list {
    uint32_t *pair, n, cap;
} adj_list;

struct ps_index_builder {
    ps_index_params p;
    ps_block_index *x;
    double *af_self;            /* per block id */
    ps_index_pair *pairs;       /* every pair counted; dead ones flagged */
    uint8_t *alive;
    uint32_t n_pairs, cap_pairs;
    ps_keymap pair_of;          /* (i << 32 | j) -> its live entry */
    adj_list *adj;              /* per block id: its pairs' entries */
    uint32_t *fresh, n_fresh, cap_fresh;   /* entries counted this round */
    uint32_t *heap, n_heap, cap_heap;      /* candidates */
    uint8_t *changed, *used;    /* per block id */
};

static int push_u32(uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t x)
{
    if (*n == *cap) {
        uint32_t c = *cap ? 2 * *cap : 64;
        if (ps_resize(v, c, sizeof **v))
            return PS_ERR;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return PS_OK;
}

int ps_index_builder_new(const ps_index_params *p, ps_block_index *x, ps_index_builder **out,
                         ps_err *err)
{
    ps_index_builder *b = calloc(1, sizeof *b);
    uint32_t n = x->n_blocks ? x->n_blocks : 1;
    if (!b)
        return ps_err_set(err, "out of memory for the index's rounds");
    b->p = *p;
    b->x = x;
    b->af_self = calloc(n, sizeof *b->af_self);
    b->adj = calloc(n, sizeof *b->adj);
    b->changed = malloc(n);
    b->used = calloc(n, 1);
    if (!b->af_self || !b->adj || !b->changed || !b->used ||
        ps_keymap_init(&b->pair_of, 1024, err)) {
        ps_index_builder_free(b);
        return ps_err_set(err, "out of memory for the index's rounds");
    }
    memset(b->changed, 1, n); /* the first round counts everything */
    *out = b;
    return PS_OK;
}

void ps_index_builder_free(ps_index_builder *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; b->adj && i < b->x->n_blocks; i++)
        free(b->adj[i].pair);
    free(b->adj);
    free(b->af_self);
    free(b->pairs);
    free(b->alive);
    ps_keymap_free(&b->pair_of);
    free(b->fresh);
    free(b->heap);
    free(b->changed);
    free(b->used);
    free(b);
}

const uint8_t *ps_index_builder_changed(const ps_index_builder *b) { return b->changed; }

int ps_index_builder_add(ps_index_builder *b, uint32_t i, uint32_t j, double af, ps_err *err)
{
    uint32_t n = b->x->n_blocks;
    /* a round counts what its merges changed: a pair has a changed block */
    if (i >= n || j >= n || i > j || !(b->changed[i] || b->changed[j]) ||
        ps_index_root(b->x, i) != i || ps_index_root(b->x, j) != j)
        return ps_err_set(err, "co-access count of blocks (%u, %u), which this round does not "
                               "count (%u blocks)", i, j, n);
    if (i == j) {
        b->af_self[i] += af;
        return PS_OK;
    }
    int inserted;
    uint32_t *at = ps_keymap_put(&b->pair_of, (uint64_t)i << 32 | j, &inserted);
    if (!at)
        return ps_err_set(err, "out of memory counting co-access");
    if (inserted) {
        if (b->n_pairs == b->cap_pairs) {
            uint32_t cap = b->cap_pairs ? 2 * b->cap_pairs : 1024;
            if (ps_resize(&b->pairs, cap, sizeof *b->pairs) ||
                ps_resize(&b->alive, cap, sizeof *b->alive)) {
                ps_keymap_del(&b->pair_of, (uint64_t)i << 32 | j);
                return ps_err_set(err, "out of memory counting co-access");
            }
            b->cap_pairs = cap;
        }
        uint32_t e = b->n_pairs++;
        *at = e;
        b->pairs[e] = (ps_index_pair){i, j, 0, 0};
        b->alive[e] = 1;
        if (push_u32(&b->adj[i].pair, &b->adj[i].n, &b->adj[i].cap, e) ||
            push_u32(&b->adj[j].pair, &b->adj[j].n, &b->adj[j].cap, e) ||
            push_u32(&b->fresh, &b->n_fresh, &b->cap_fresh, e))
            return ps_err_set(err, "out of memory counting co-access");
    }
    b->pairs[*at].af_ij += af;
    return PS_OK;
}

/* ---- the heap: best gain on top, ties to the lower pair ---- */

static int better(const ps_index_builder *b, uint32_t e, uint32_t f)
{
    const ps_index_pair *x = &b->pairs[e], *y = &b->pairs[f];
    if (x->gain != y->gain)
        return x->gain > y->gain;
    if (x->i != y->i)
        return x->i < y->i;
    return x->j < y->j;
}

static int heap_push(ps_index_builder *b, uint32_t e)
{
    if (push_u32(&b->heap, &b->n_heap, &b->cap_heap, e))
        return PS_ERR;
    for (uint32_t k = b->n_heap - 1; k > 0;) {
        uint32_t up = (k - 1) / 2;
        if (!better(b, b->heap[k], b->heap[up]))
            break;
        uint32_t t = b->heap[k];
        b->heap[k] = b->heap[up];
        b->heap[up] = t;
        k = up;
    }
    return PS_OK;
}

static uint32_t heap_pop(ps_index_builder *b)
{
    uint32_t top = b->heap[0];
    b->heap[0] = b->heap[--b->n_heap];
    for (uint32_t k = 0;;) {
        uint32_t l = 2 * k + 1, r = l + 1, m = k;
        if (l < b->n_heap && better(b, b->heap[l], b->heap[m]))
            m = l;
        if (r < b->n_heap && better(b, b->heap[r], b->heap[m]))
            m = r;
        if (m == k)
            break;
        uint32_t t = b->heap[k];
        b->heap[k] = b->heap[m];
        b->heap[m] = t;
        k = m;
    }
    return top;
}

/* The fresh pairs' gains, and those that may merge into the heap. */
static int take_fresh(ps_index_builder *b)
{
    const ps_block_index *x = b->x;
    for (uint32_t k = 0; k < b->n_fresh; k++) {
        ps_index_pair *q = &b->pairs[b->fresh[k]];
        q->gain = ps_index_gain(&b->p.cost, b->af_self[q->i], b->af_self[q->j], q->af_ij,
                                x->size[q->i], x->size[q->j]);
        if (q->gain > b->p.min_gain && x->size[q->i] + x->size[q->j] <= b->p.max_block &&
            heap_push(b, b->fresh[k]))
            return PS_ERR;
    }
    b->n_fresh = 0;
    return PS_OK;
}

/* Merging i and j: their pairs die, and their counts wait for the next round. */
static void kill_pairs(ps_index_builder *b, uint32_t blk)
{
    adj_list *a = &b->adj[blk];
    for (uint32_t k = 0; k < a->n; k++) {
        uint32_t e = a->pair[k];
        if (b->alive[e]) {
            b->alive[e] = 0;
            ps_keymap_del(&b->pair_of, (uint64_t)b->pairs[e].i << 32 | b->pairs[e].j);
        }
    }
    a->n = 0;
    b->af_self[blk] = 0;
}

int ps_index_builder_round(ps_index_builder *b, ps_index_pair *merged, ps_err *err)
{
    ps_block_index *x = b->x;
    if (take_fresh(b))
        return ps_err_set(err, "out of memory choosing merges");
    uint32_t limit = b->p.strategy == PS_INDEX_BASIC ? 1 : b->p.per_round, got = 0;
    if (b->p.strategy == PS_INDEX_NONE)
        limit = 0;
    while (got < limit && b->n_heap) {
        uint32_t e = heap_pop(b);
        if (!b->alive[e])
            continue;
        const ps_index_pair *q = &b->pairs[e];
        /* a pair with a block merged this round dies with its block's pairs */
        if (b->used[q->i] || b->used[q->j])
            continue;
        b->used[q->i] = b->used[q->j] = 1;
        merged[got++] = *q;
    }
    int rc = PS_OK;
    memset(b->changed, 0, x->n_blocks);
    for (uint32_t k = 0; k < got; k++) {
        b->used[merged[k].i] = b->used[merged[k].j] = 0;
        kill_pairs(b, merged[k].i);
        kill_pairs(b, merged[k].j);
        b->changed[merged[k].i] = 1;
    }
    if (rc == PS_OK && got)
        rc = ps_index_merge(x, merged, got, err);
    return rc ? -1 : (int)got;
}

void ps_index_builder_access(ps_index_builder *b, double *out)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < b->x->n_blocks; i++)
        if (ps_index_root(b->x, i) == i)
            out[m++] = b->af_self[i];
}

int ps_index_build_rounds(const ps_index_params *p, ps_block_index *x, const ps_index_samples *s,
                          double **access, ps_err *err)
{
    ps_index_builder *b;
    if (ps_index_builder_new(p, x, &b, err))
        return PS_ERR;
    ps_index_counts c = {0};
    ps_index_pair *merged = malloc((x->n_blocks ? x->n_blocks : 1) * sizeof *merged);
    int rc = merged ? PS_OK : ps_err_set(err, "out of memory building the index");
    for (int n = 1; rc == PS_OK && n > 0 && p->strategy != PS_INDEX_NONE && ps_index_live(x) >= 2;) {
        rc = ps_index_counts_reset(&c, x->n_blocks, err);
        if (rc == PS_OK)
            rc = ps_index_count(x, s, ps_index_builder_changed(b), &c, err);
        for (uint32_t k = 0; rc == PS_OK && k < c.n_blocks; k++)
            if (c.af_self[k] > 0)
                rc = ps_index_builder_add(b, k, k, c.af_self[k], err);
        for (uint32_t k = 0; rc == PS_OK && k < c.n_pairs; k++)
            rc = ps_index_builder_add(b, c.pairs[k].i, c.pairs[k].j, c.pairs[k].af_ij, err);
        if (rc == PS_OK && (n = ps_index_builder_round(b, merged, err)) < 0)
            rc = PS_ERR;
        if (rc == PS_OK && n == 0 && access &&
            (*access = malloc((ps_index_live(x) ? ps_index_live(x) : 1) * sizeof **access)))
            ps_index_builder_access(b, *access);
    }
    free(merged);
    ps_index_counts_free(&c);
    ps_index_builder_free(b);
    return rc;
}
