/* The RocksDB parameter store (ps_store_rocksdb_ops): one database per server, WAL on,
 * a bounded LRU block cache, parameters packed in blocks of block_keys consecutive keys.
 * The engine reaches it only through engine/store/store.h; the extra calls below are for the
 * benchmark and the tests. This header deliberately does not include RocksDB's. */
#ifndef PS_STORE_ROCKSDB_H
#define PS_STORE_ROCKSDB_H

#include <stdint.h>

#include "engine/core/err.h"
#include "engine/store/store.h"

struct rocksdb_t;

extern const ps_store_ops ps_store_rocksdb_ops;

/* The database under an open rocksdb store, so that a benchmark can time RocksDB's
 * own multi-get on the very same handle, cache and data. */
struct rocksdb_t *ps_store_rocksdb_db(ps_store *st);

/* Writes the memtable out to table files, so that later reads go through the block
 * cache as they would on a long-running server (benchmarks). */
int ps_store_rocksdb_flush(ps_store *st, ps_err *err);

/* The on-disk key of block `block`: 8 bytes, big-endian, so that RocksDB's bytewise
 * order is block order. */
void ps_store_rocksdb_block_key(uint64_t block, char out[8]);

#endif
