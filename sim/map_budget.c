/* Memory mappings against vm.max_map_count (sim/map_budget.h). */
#include "sim/map_budget.h"

#include <stdio.h>
#include <stdlib.h>

#define PS__MAPS_PER_ACTOR 2 /* SimGrid 3.32: the stack, and its mprotect'ed guard page */

static long read_limit(void)
{
    const char *env = getenv("PSLAB_SIM_MAX_MAPS"); /* for tests: a smaller limit */
    if (env && *env)
        return strtol(env, NULL, 10);
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long v = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

static long count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    long n = 0;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++)
            n += buf[i] == '\n';
    fclose(f);
    return n;
}

void ps_map_budget_init(ps_map_budget *b, size_t actors)
{
    b->limit = read_limit();
    b->held = count_maps();
    b->actors = actors;
    b->per_actor = PS__MAPS_PER_ACTOR;
    b->reserve = b->limit > 0 ? (b->limit / 16 > 256 ? b->limit / 16 : 256) : 0;
}

static long needed(const ps_map_budget *b, size_t actors, size_t more)
{
    long delta = (long)actors - (long)b->actors + (long)more;
    return b->held + b->per_actor * (delta > 0 ? delta : 0) + b->reserve;
}

int ps_map_budget_fit(const ps_map_budget *b, size_t actors, size_t more, ps_err *err)
{
    if (b->limit <= 0)
        return PS_OK;
    long need = needed(b, actors, more);
    if (need <= b->limit)
        return PS_OK;
    /* room for as many helper actors again (a server answering every worker) */
    long advice = need + b->per_actor * (long)more;
    return ps_err_set(err, "sim: %zu actors need about %ld memory mappings (this process holds %ld, "
                      "each actor's stack takes %ld and %ld are kept for the allocator), but "
                      "vm.max_map_count is %ld: raise it (sudo sysctl -w vm.max_map_count=%ld) or "
                      "run fewer nodes", more, need, b->held, b->per_actor, b->reserve, b->limit,
                      advice);
}

/* Kept for the allocator, the libraries and SimGrid's own mappings. */
static long fixed_reserve(long limit) { return limit / 8 > 4096 ? limit / 8 : 4096; }

int ps_map_budget_room(const ps_map_budget *b, size_t actors)
{
    if (b->limit <= 0)
        return 1;
    long cap = (b->limit - fixed_reserve(b->limit)) / PS__MAPS_PER_ACTOR;
    return (long)actors + 1 <= cap && needed(b, actors, 1) <= b->limit;
}

void ps_map_budget_measure(ps_map_budget *b, size_t actors, size_t started)
{
    long before = b->held;
    b->held = count_maps();
    b->actors = actors;
    if (started > 0 && b->held > before) {
        long per = (b->held - before + (long)started / 2) / (long)started;
        b->per_actor = per > 0 ? per : 1;
    }
}
