/* The server's parameter store, as a table of operations (LevelDB's Env, SQLite's
 * VFS): `mem` keeps the shard in memory (engine/store/store_mem.c); `rocksdb` keeps it in
 * a RocksDB database, packed in blocks of consecutive keys (real/store_rocksdb.c);
 * `simdisk` counts that store's blocks and I/O for the simulator, the values in
 * memory (engine/store/store_simdisk.c).
 * The composition root picks one by name; the server only calls these. */
#ifndef PS_STORE_H
#define PS_STORE_H

#include <stdint.h>

#include "engine/core/err.h"
#include "policies/partitioner/partitioner.h"

typedef struct ps_store ps_store;

typedef struct ps_store_spec {
    const char *dir;        /* on-disk stores: the database directory (created if
                             * missing, reopened if present); mem: unused */
    int server;             /* which server, for error messages */
    uint64_t n_keys;        /* keys of the whole table are 0 .. n_keys-1 */
    int dense;              /* nonzero: the shard is exactly the keys [lo, hi) */
    uint64_t lo, hi;
    /* Optional, for a sparse shard: every key's server and slot (place[key], key <
     * n_keys), and how many keys this server has; a store may then keep the shard
     * in an array of that size. */
    const ps_key_place *place;
    uint64_t shard_keys;
    uint32_t block_keys;    /* blocked stores: consecutive keys stored together */
    uint64_t cache_bytes;   /* blocked stores: bound on the block cache */
    /* Optional, for blocked stores: the table's block index (index = basic, ours or
     * none): each index block is stored together, each cold key alone; store key k
     * is table key k / vals_per_key. NULL: blocks of block_keys consecutive keys. */
    const struct ps_block_index *index;
    uint32_t vals_per_key;
} ps_store_spec;

typedef struct ps_store_ops {
    const char *name;
    const char *doc;
    int (*open)(const ps_store_spec *spec, ps_store **out, ps_err *err);
    /* out[i] = the value of keys[i], or of key lo+i when keys is NULL. A key never
     * written reads as 0, the model's initial value. */
    int (*get)(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n, float *out,
               ps_err *err);
    /* Optional: the values of keys lo .. lo+n-1 where the store keeps them side by
     * side, valid until the next add; NULL when it does not (then use get). Lets a
     * server answer a dense pull without copying it first. */
    const float *(*view)(ps_store *st, uint64_t lo, uint32_t n);
    /* value[keys[i]] += delta[i] (keys NULL: key lo+i), durably for on-disk stores
     * (one write batch, WAL on). Keys within one call are distinct. */
    int (*add)(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n, const float *delta,
               ps_err *err);
    /* Optional: value[keys[i]] = vals[i] (keys NULL: key lo+i), as add, for the
     * assign rule; a server refuses an assign table on a store without it. */
    int (*set)(ps_store *st, const uint64_t *keys, uint64_t lo, uint32_t n, const float *vals,
               ps_err *err);
    /* Optional, for a store opened with places (spec.place): get and add of keys
     * named by their slots (slots[i] == place[keys[i]].slot, a key of this server),
     * without loading each key's place again. A server resolves a pull's keys to
     * slots once, when it checks them, and uses the slots for the reply and for the
     * push that follows: at 1000 hosts the place table is 8 MB read at random, and
     * each lookup misses the cache. Refused by a store opened without places. */
    int (*get_slots)(ps_store *st, const uint32_t *slots, uint32_t n, float *out, ps_err *err);
    int (*add_slots)(ps_store *st, const uint64_t *keys, const uint32_t *slots, uint32_t n,
                     const float *delta, ps_err *err);
    /* Every key written so far and its value, in malloc'd arrays the caller frees
     * (any order). Used for snapshots of sparse shards. */
    int (*dump)(ps_store *st, uint64_t **keys, float **vals, uint64_t *n, ps_err *err);
    /* Bytes read from and written to the device since open (0 for mem): the server
     * charges them to the backend's disk. */
    void (*io_bytes)(ps_store *st, uint64_t *read, uint64_t *written);
    /* Optional: blocks read from the device since open (the server charges each a
     * seek, platform.disk_seek). */
    uint64_t (*io_reads)(ps_store *st);
    /* Optional: while on (1), gets and dumps are the testbed reading the model for
     * an evaluation, not the training system's work: the simulated disk store
     * neither counts them nor lets them into its page cache, which stays as
     * training left it. Without it (mem; RocksDB, whose reads are real and counted)
     * they are reads like any other. */
    void (*observe)(ps_store *st, int on);
    void (*close)(ps_store *st);
} ps_store_ops;

extern const ps_store_ops ps_store_mem_ops;
/* server.store = disk in sim: the RocksDB store's blocks and I/O, counted
 * (engine/store/store_simdisk.c). */
extern const ps_store_ops ps_store_simdisk_ops;

#endif
