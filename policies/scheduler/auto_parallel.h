/* Auto-parallelism (FlexPS): for a stage, probe 1, 2, 3, ... workers per node for a
 * few iterations each; when a probe is slower than the one before, keep the count
 * before and run the rest of the stage with it. The best count is remembered per
 * batch size: a later stage with a known batch size skips the probe, and one with a
 * new batch size searches only between its neighbours' best counts. Pure: the
 * caller times the probes (simulated time in sim, wall time on real). */
#ifndef PS_AUTO_PARALLEL_H
#define PS_AUTO_PARALLEL_H

#include <stdint.h>

#define PS_AUTO_MEMO_MAX 64

typedef struct ps_auto {
    int n_memo;
    int64_t memo_batch[PS_AUTO_MEMO_MAX];   /* batch sizes seen, ascending */
    int memo_best[PS_AUTO_MEMO_MAX];
    /* the stage being searched */
    int64_t batch;
    int lo, hi;         /* counts it may pick */
    int current;        /* the count to run now: a probe, or the pick */
    int prev;           /* the count probed before, 0 if none */
    double prev_time;
    int decided;        /* nonzero once `current` is the stage's count */
    int probes;         /* probes run for this stage */
} ps_auto;

void ps_auto_init(ps_auto *a);
/* Starts a stage of `batch` examples on nodes of at most `max_count` workers each;
 * returns the first count to run (the pick if the batch size is known). */
int ps_auto_begin(ps_auto *a, int64_t batch, int max_count);
/* The probe of `a->current` took `seconds`; returns the next count to run, and sets
 * a->decided when that is the stage's count. */
int ps_auto_probe_done(ps_auto *a, double seconds);

#endif
