/* A server's shard of one parameter table: its store, and the translation of a
 * table's keys of vals_per_key values to the store's keys of one value each (key
 * k's value j is store key k * vals_per_key + j; a one-value table is passed
 * through untouched). The update rules are applied here: add, the proximal L1
 * step, assign. */
#ifndef PS_SERVER_TABLE_H
#define PS_SERVER_TABLE_H

#include "engine/ps/run.h"

typedef struct ps_server_table {
    const ps_run_table *rt;
    const ps_store_ops *ops;
    ps_store *store;
    int dense;          /* the shard is the key range [lo, hi) */
    int by_slot;        /* pulled keys are resolved to store slots (see store.h) */
    uint64_t lo, hi;
    uint32_t vpk;
    uint64_t io_read, io_written; /* store I/O already charged to the backend */
    uint64_t io_reads;            /* blocks read already charged a seek */
    uint64_t *flat;     /* vpk > 1: a key list as the store's keys */
    uint32_t cap_flat;
    float *scratch;     /* the deltas of a proximal step; the values of an assign */
    uint32_t cap_scratch;
    uint8_t *dirty;     /* dense, tracked: a bit per key written since the last clear */
    int store_failed;   /* a store operation failed: the server cannot go on */
} ps_server_table;

/* Opens server `server`'s shard of table t (its store under dir). */
int ps_server_table_open(ps_server_table *T, const ps_run *r, int t, int server,
                         const char *dir, ps_err *err);
void ps_server_table_close(ps_server_table *T);
/* The bytes the mem store allocates up front for every server's shard of every
 * table of r (a dense range, or a placed shard; a sparse one grows as it is
 * written and counts 0); 0 for other stores, whose memory their cache bounds. */
uint64_t ps_server_tables_mem_bytes(const ps_run *r);

/* out (n * vpk values) = the values of keys (NULL: lo .. lo+n-1), or of their
 * slots when slots is given (by_slot tables). */
int ps_server_table_get(ps_server_table *T, const uint64_t *keys, const uint32_t *slots,
                        uint64_t lo, uint32_t n, float *out, ps_err *err);
/* Applies pushed values (n * vpk) to the keys by the table's rule; rate is the
 * step size of the push's clock (the proximal step's threshold is rate * l1). */
int ps_server_table_apply(ps_server_table *T, const uint64_t *keys, const uint32_t *slots,
                          uint64_t lo, uint32_t n, const float *vals, double rate, ps_err *err);
/* Sets the keys' values (n * vpk), whatever the rule: a model handed back in bulk. */
int ps_server_table_set(ps_server_table *T, const uint64_t *keys, uint64_t lo, uint32_t n,
                        const float *vals, ps_err *err);
/* Sets every value of the shard to 0 (PS_RULE_ADD tables that restart a sum). */
int ps_server_table_zero(ps_server_table *T, ps_err *err);
/* The values of keys lo .. lo+n-1 in place, when the store keeps them so; else NULL. */
const float *ps_server_table_view(ps_server_table *T, uint64_t lo, uint32_t n);
/* Every key written so far and its vpk values (malloc'd, the caller frees). */
int ps_server_table_dump(ps_server_table *T, uint64_t **keys, float **vals, uint64_t *n,
                         ps_err *err);
/* Incremental checkpoints: a dense shard keeps a bit per key that apply, set or
 * zero wrote since the last clear (a sparse shard: none, 0). */
int ps_server_table_track(ps_server_table *T, ps_err *err);
void ps_server_table_dirty_clear(ps_server_table *T);
/* The store's device traffic since the last call. */
void ps_server_table_io(ps_server_table *T, uint64_t *read, uint64_t *written);

#endif
