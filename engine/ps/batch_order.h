/* The order a worker takes its shard's rows in: a new pseudo-random permutation
 * each epoch, drawn from the seed (data.order = shuffled), or the shard's own
 * order (file). A permutation of n rows is a 4-round Feistel network on the
 * smallest even number of bits that holds n, walked until it lands below n: no
 * memory per worker (a thousand simulated workers share one process), and the
 * same rows on both backends. */
#ifndef PS_BATCH_ORDER_H
#define PS_BATCH_ORDER_H

#include <stdint.h>

/* The row (0 .. n-1) at position `pos` of epoch `epoch` of worker `worker`. */
uint64_t ps_batch_order_row(uint64_t seed, int worker, uint64_t epoch, uint64_t pos, uint64_t n);

#endif
