/* The simulator's timed faults (engine/core/fault_plan.h) played on SimGrid: a
 * node's CPU and disk slowed (factors the backend applies to its computations and
 * accesses), links slowed (their bandwidth changed by a daemon actor at each
 * window's ends) and links down (the backend holds a message whose route crosses
 * one until it is up). */
#ifndef PS_FAULT_SIM_H
#define PS_FAULT_SIM_H

#include <stddef.h>

#include <simgrid/forward.h>

#include "engine/core/fault_plan.h"

typedef struct ps_simf_win {
    ps_fault_window w;   /* start and end on SimGrid's clock (the run's time - offset) */
    sg_link_t links[2];  /* SLOW_LINK and LINK_DOWN: the link(s), a node's up and down */
    int n_links;
    double base_bw[2];   /* the links' bandwidths before any window */
    sg_host_t host;      /* a node's window: its host */
} ps_simf_win;

typedef struct ps_simf {
    ps_simf_win *win;
    int n, n_down, n_slow_link, any_cpu, any_disk;
} ps_simf;

/* Resolves windows w[0..n) on the loaded platform (node k of `nodes` is on
 * hosts[k % n_hosts]),
 * shifting them by -offset (a resumed run's clock starts at its checkpoint's time);
 * an unknown link, or a node without links of its own, is an error naming it. */
int ps_simf_init(ps_simf *f, const ps_fault_window *w, int n, double offset,
                 sg_host_t *hosts, size_t n_hosts, int nodes, ps_err *err);
/* The product of the factors of `kind` on `node` in force at `now`, and when that
 * next changes (*next; INFINITY: never). */
double ps_simf_factor(const ps_simf *f, ps_fault_kind kind, int node, double now, double *next);
/* When a message from host `from` to host `to` sent at `now` may leave: the latest
 * end of the down windows in force whose links its route crosses, or 0: now. */
double ps_simf_down_until(const ps_simf *f, sg_host_t from, sg_host_t to, double now);
/* Starts the daemon that sets the slowed links' bandwidths (none: no actor). */
void ps_simf_start(ps_simf *f, sg_host_t host);
void ps_simf_free(ps_simf *f);

#endif
