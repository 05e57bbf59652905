/* How many more SimGrid actors this process can hold: every actor's stack is a
 * memory mapping and its guard page another, and SimGrid aborts ("Failed to protect
 * stack") once the process reaches Linux's vm.max_map_count. */
#ifndef PS_SIM_MAP_BUDGET_H
#define PS_SIM_MAP_BUDGET_H

#include "engine/core/err.h"

#include <stddef.h>

typedef struct ps_map_budget {
    long limit;     /* vm.max_map_count, or PSLAB_SIM_MAX_MAPS; <= 0: unknown, no limit */
    long held;      /* mappings this process held when last counted */
    size_t actors;  /* SimGrid actors alive then */
    long per_actor; /* mappings one actor takes (2 until measured) */
    long reserve;   /* kept for the allocator's own mappings as the run grows */
} ps_map_budget;

/* Reads the limit and counts the process's mappings, with `actors` alive now. */
void ps_map_budget_init(ps_map_budget *b, size_t actors);

/* PS_OK if `more` actors fit beside the ones alive (the error says how many
 * mappings they need, against which limit, and how to raise it). */
int ps_map_budget_fit(const ps_map_budget *b, size_t actors, size_t more, ps_err *err);

/* 1 if one more actor fits beside `actors` alive, without counting anything: under
 * the limit less a fixed reserve for everything else (a function of the limit
 * alone, so that where a run stops making actors does not vary between runs), and
 * under the process's own count. */
int ps_map_budget_room(const ps_map_budget *b, size_t actors);

/* Counts the mappings again, `actors` alive, and derives what each of the
 * `started` actors begun since the last count took. */
void ps_map_budget_measure(ps_map_budget *b, size_t actors, size_t started);

#endif
