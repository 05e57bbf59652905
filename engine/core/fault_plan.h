/* The simulator's timed faults of a config (fault.slow, fault.link_down): a node's
 * CPU, disk or own links, or a platform link by name, slowed or down for a window of
 * the run's time. Parsed here; sim/fault_sim.c plays them. */
#ifndef PS_FAULT_PLAN_H
#define PS_FAULT_PLAN_H

#include "engine/core/err.h"

#define PS_FAULT_MAX_WINDOWS 32

typedef enum ps_fault_kind {
    PS_FAULT_SLOW_CPU,  /* the node's computations take factor times as long */
    PS_FAULT_SLOW_DISK, /* its disk's accesses take factor times as long */
    PS_FAULT_SLOW_LINK, /* the link's bandwidth is divided by factor */
    PS_FAULT_LINK_DOWN, /* messages whose route crosses the link wait until it is up */
} ps_fault_kind;

typedef struct ps_fault_window {
    ps_fault_kind kind;
    int node;          /* the node (servers 0.., then workers), or -1: `link` by name */
    char link[64];     /* a platform link's name (node == -1) */
    char what[160];    /* as the config wrote it, for messages */
    double start, end; /* seconds of the run's time */
    double factor;     /* slowdowns: >= 1 */
} ps_fault_window;

/* Parses a comma-separated list of TARGET@START+DURATION (link_down) or
 * TARGET@START+DURATIONxFACTOR (slow) into w[*n..], for a cluster of `servers` and
 * `workers`. TARGET: serverN or workerN with .cpu, .disk or .net (its own links;
 * link_down: the node alone means .net), or link:NAME. `key` names the list in
 * errors. */
int ps_fault_windows_parse(const char *text, const char *key, int is_down, int servers,
                           int workers, ps_fault_window *w, int *n, ps_err *err);

#endif
