/* DRPS's block index: which parameters share a disk block, so that one read serves
 * parameters that batches touch together. From sampled batches, dimensions touched
 * in more than a threshold of them are hot and start as one block each (cold ones
 * stay single keys, placed by the partitioner's default); blocks then merge
 * greedily by the gain of their co-access,
 *     gain(i, j) = AF_ii·cost(|i|) + AF_jj·cost(|j|) − (AF_ii + AF_jj − AF_ij)·cost(|i|+|j|)
 * where AF_ij counts the sampled batches touching both blocks (AF_ii: touching i)
 * and cost(n) = seek + (header + n·bytes_per_param)·t_byte is a read of n
 * parameters: the reads the merge saves minus the bytes it adds. `ours` merges the
 * best K disjoint pairs a round, `basic` the best pair; a block-size cap and a
 * least gain stop it; co-access is counted again from the samples each round. */
#ifndef PS_BLOCK_INDEX_H
#define PS_BLOCK_INDEX_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_index_cost {
    double seek, header, bytes_per_param, t_byte; /* seconds, bytes, bytes, seconds a byte */
} ps_index_cost;

double ps_index_read_cost(const ps_index_cost *c, uint64_t n);
/* The gain of merging blocks of sizes ni and nj, accessed by af_ii and af_jj sampled
 * batches, af_ij of them touching both. */
double ps_index_gain(const ps_index_cost *c, double af_ii, double af_jj, double af_ij,
                     uint64_t ni, uint64_t nj);

enum { PS_INDEX_NONE = 0, PS_INDEX_BASIC = 1, PS_INDEX_OURS = 2 };

/* A pair of blocks that some sampled batch touched together. */
typedef struct ps_index_pair {
    uint32_t i, j;          /* i < j */
    double af_ij;
    double gain;            /* set by ps_index_pick */
} ps_index_pair;

typedef struct ps_index_params {
    int strategy;           /* PS_INDEX_* */
    uint32_t per_round;     /* ours: disjoint pairs merged a round */
    uint64_t max_block;     /* parameters a block may hold */
    double min_gain;        /* a merge must gain more than this */
    ps_index_cost cost;
} ps_index_params;

/* One round's merges from candidate pairs, given each block's size and AF_ii:
 * the gains computed into pairs[], then the chosen pairs (their indices into
 * pairs, best first) in out, at most `max` of them: none for PS_INDEX_NONE, the
 * best for basic, the best disjoint ones for ours; only pairs gaining more than
 * min_gain and within max_block. Ties go to the lower (i, j), so the choice is
 * deterministic. Returns how many; -1 when out of memory. */
int ps_index_pick(const ps_index_params *p, ps_index_pair *pairs, uint32_t n_pairs,
                  const uint64_t *size, const double *af_self, uint32_t n_blocks, uint32_t *out,
                  uint32_t max);

/* A built index: block[d] for each dimension d < n_dims, or PS_INDEX_COLD for a
 * cold one; blocks numbered 0 .. n_blocks-1 with their sizes. */
#define PS_INDEX_COLD UINT32_MAX
typedef struct ps_block_index {
    uint64_t n_dims;
    uint32_t *block;
    uint32_t n_blocks;
    uint64_t *size;
    uint32_t rounds, merges;
    /* While it is built: a union-find over the starting blocks (block[] holds a
     * starting block, its root the block now; n_blocks - merges of them are left);
     * NULL once compact (ps_index_compact): block[] is then final. */
    uint32_t *parent;
    /* Once compact, optional (ps_index_offsets): each hot key's place among its
     * block's keys, in key order, for a store that packs a block's values. */
    uint32_t *offset;
} ps_block_index;

/* The disk block of table key `key` under index x: a hot key's index block; a
 * cold key (or one past n_dims) a block of its own, numbered after them. */
static inline uint64_t ps_index_block_of(const ps_block_index *x, uint64_t key)
{
    uint32_t b = key < x->n_dims ? x->block[key] : PS_INDEX_COLD;
    return b != PS_INDEX_COLD ? b : (uint64_t)x->n_blocks + key;
}
/* The table keys in block b. */
static inline uint64_t ps_index_block_size(const ps_block_index *x, uint64_t b)
{
    return b < x->n_blocks ? x->size[b] : 1;
}

/* Sampled batches: batch b's dimensions are dims[start[b] .. start[b+1]), each
 * once. */
typedef struct ps_index_samples {
    const uint64_t *dims;
    const uint64_t *start;
    uint32_t n_batches;
} ps_index_samples;

/* Builds the index of n_dims dimensions from the samples: hot = touched by more
 * than hot_threshold batches. The same as the distributed build below run with
 * one worker. */
int ps_index_build(const ps_index_params *p, const ps_index_samples *s, uint64_t n_dims,
                   uint32_t hot_threshold, ps_block_index *out, ps_err *err);
void ps_index_free(ps_block_index *x);

/* ---- the distributed build's steps (engine/ps/indexer.c): each worker counts its
 * own samples, the coordinator sums the counts and merges; summing counts gives
 * the counts of all the samples, so the index is the one built from them all. ---- */

/* count[d] += batches of s touching dimension d (d < n_dims). */
void ps_index_count_dims(const ps_index_samples *s, uint64_t n_dims, uint32_t *count);
/* The starting index: dimensions with count above hot one block each, in order. */
int ps_index_start(ps_block_index *x, const uint32_t *count, uint64_t n_dims, uint32_t hot,
                   ps_err *err);

/* Co-access counts as they travel: af_self per block, and the pairs touched
 * together. */
typedef struct ps_index_counts {
    double *af_self;
    uint32_t n_blocks;
    ps_index_pair *pairs;
    uint32_t n_pairs, cap_pairs;
    struct ps_keymap *pair_of;  /* (i << 32 | j) -> index into pairs */
} ps_index_counts;

/* Empties c for an index of n_blocks blocks. */
int ps_index_counts_reset(ps_index_counts *c, uint32_t n_blocks, ps_err *err);
/* Adds af to pair (i, j), i < j, or to af_self[i] when i == j (the form counts
 * travel in). */
int ps_index_counts_add(ps_index_counts *c, uint32_t i, uint32_t j, double af, ps_err *err);
void ps_index_counts_free(ps_index_counts *c);

/* The block that starting block b is now part of. */
uint32_t ps_index_root(ps_block_index *x, uint32_t b);
/* Adds the co-access of x's blocks in the samples to c: all of it (changed NULL),
 * or what a round's merges changed: for each block k marked in changed (by its
 * root), AF_kk and AF_kx with every other block x (once when both are marked).
 * The counts of two unchanged blocks are the same as in the round before. */
int ps_index_count(ps_block_index *x, const ps_index_samples *s, const uint8_t *changed,
                   ps_index_counts *c, ps_err *err);
/* Applies a round's merges (j into i, both blocks now, i < j): afterwards i is
 * the merged block, j is gone. */
int ps_index_merge(ps_block_index *x, const ps_index_pair *merged, uint32_t n, ps_err *err);
/* Numbers the blocks left densely, in the order of the blocks they grew from
 * (what renumbering after every round gives), and drops the union-find. */
int ps_index_compact(ps_block_index *x, ps_err *err);

/* Fills x->offset (x compact). */
int ps_index_offsets(ps_block_index *x, ps_err *err);

/* ---- the coordinator's rounds (engine/index/index_build.c) ---- */

/* The summed counts across rounds: a round's counts are added only for the
 * blocks its merges changed (the others' stay), and the candidates wait in a
 * heap by gain, so that a round costs what it changed, not every pair again. */
typedef struct ps_index_builder ps_index_builder;

int ps_index_builder_new(const ps_index_params *p, ps_block_index *x, ps_index_builder **out,
                         ps_err *err);
/* Adds a worker's count for this round: (i, j) by block ids, i == j for AF_ii. */
int ps_index_builder_add(ps_index_builder *b, uint32_t i, uint32_t j, double af, ps_err *err);
/* Picks the round's merges from the counts (as ps_index_pick would from all of
 * them) and applies them to x; their pairs in merged (room for x->n_blocks).
 * Returns how many (0: the index is final) or -1. */
int ps_index_builder_round(ps_index_builder *b, ps_index_pair *merged, ps_err *err);
/* The blocks the last round changed, by id, for the next counts. */
const uint8_t *ps_index_builder_changed(const ps_index_builder *b);
/* After a round that merged nothing: each block's AF_ii, in compact order. */
void ps_index_builder_access(ps_index_builder *b, double *out);
void ps_index_builder_free(ps_index_builder *b);
/* Every round in one process, the samples counted whole: the merges the
 * distributed build makes. With access, *access (malloc'd) ends as each final
 * block's AF_ii in compact order, when the last round merged nothing. */
int ps_index_build_rounds(const ps_index_params *p, ps_block_index *x, const ps_index_samples *s,
                          double **access, ps_err *err);

/* Blocks of x left (while it is built). */
static inline uint32_t ps_index_live(const ps_block_index *x)
{
    return x->parent ? x->n_blocks - x->merges : x->n_blocks;
}

#endif
