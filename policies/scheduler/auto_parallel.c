/* Auto-parallelism's search over worker counts per node (see auto_parallel.h). */
#include "policies/scheduler/auto_parallel.h"

#include <string.h>

void ps_auto_init(ps_auto *a)
{
    memset(a, 0, sizeof *a);
}

static void remember(ps_auto *a, int64_t batch, int best)
{
    int i = 0;
    while (i < a->n_memo && a->memo_batch[i] < batch)
        i++;
    if (i < a->n_memo && a->memo_batch[i] == batch) {
        a->memo_best[i] = best;
        return;
    }
    if (a->n_memo == PS_AUTO_MEMO_MAX)
        return;     /* full: this batch size will be searched again, which is only slower */
    memmove(&a->memo_batch[i + 1], &a->memo_batch[i], sizeof(int64_t) * (size_t)(a->n_memo - i));
    memmove(&a->memo_best[i + 1], &a->memo_best[i], sizeof(int) * (size_t)(a->n_memo - i));
    a->memo_batch[i] = batch;
    a->memo_best[i] = best;
    a->n_memo++;
}

static int decide(ps_auto *a, int count)
{
    a->current = count;
    a->decided = 1;
    remember(a, a->batch, count);
    return count;
}

int ps_auto_begin(ps_auto *a, int64_t batch, int max_count)
{
    if (max_count < 1)
        max_count = 1;
    a->batch = batch;
    a->prev = 0;
    a->prev_time = 0;
    a->decided = 0;
    a->probes = 0;
    int below = -1, above = -1;
    for (int i = 0; i < a->n_memo; i++) {
        if (a->memo_batch[i] == batch) {
            a->current = a->memo_best[i] < max_count ? a->memo_best[i] : max_count;
            a->decided = 1;
            return a->current;
        }
        if (a->memo_batch[i] < batch)
            below = i;
        else if (above < 0)
            above = i;
    }
    a->lo = below >= 0 ? a->memo_best[below] : 1;
    a->hi = above >= 0 ? a->memo_best[above] : max_count;
    if (a->lo > a->hi) {
        int t = a->lo;
        a->lo = a->hi;
        a->hi = t;
    }
    if (a->hi > max_count)
        a->hi = max_count;
    if (a->lo > a->hi)
        a->lo = a->hi;
    a->current = a->lo;
    if (a->lo == a->hi)
        return decide(a, a->lo);
    return a->current;
}

int ps_auto_probe_done(ps_auto *a, double seconds)
{
    if (a->decided)
        return a->current;
    a->probes++;
    if (a->prev > 0 && seconds > a->prev_time)
        return decide(a, a->prev);
    if (a->current >= a->hi)
        return decide(a, a->current);
    a->prev = a->current;
    a->prev_time = seconds;
    return ++a->current;
}
