/* A stage's worker set as an actor holds it: the workers taking part, ascending, and
 * each worker's rank among them. Consistency trackers, data shards and the outputs
 * count workers by rank, so a stage placed on any workers (a multi-task run's
 * scheduler picks them) runs as one of workers 0 .. n-1 would. */
#ifndef PS_MEMBERS_H
#define PS_MEMBERS_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_members {
    int n;               /* workers taking part */
    int n_workers;       /* the task's workers, all told */
    int *member;         /* member[rank]: the worker index */
    int *rank_of;        /* rank_of[w]: its rank, or -1 when w is not in the stage */
} ps_members;

int ps_members_init(ps_members *m, int n_workers, ps_err *err);
void ps_members_free(ps_members *m);
/* Workers 0 .. n-1: a stage planned from the config alone. */
void ps_members_prefix(ps_members *m, int n);
/* The list of a GRANT message (u32 worker indices): refused unless ascending,
 * in range, and `expected` long. */
int ps_members_set(ps_members *m, const uint8_t *list, uint32_t len, int expected, ps_err *err);
static inline int ps_members_rank(const ps_members *m, int w)
{
    return w >= 0 && w < m->n_workers ? m->rank_of[w] : -1;
}

#endif
