/* The SimGrid backend: runs the engine's actors as SimGrid actors on the hosts of a
 * platform file, with eager (TCP-like) message passing, simulated compute, disk and
 * time. Implements engine/core/backend.h; see sim/backend_sim.c for how sends are made
 * cheap at 1000 hosts on SimGrid 3.32. */
#ifndef PS_BACKEND_SIM_H
#define PS_BACKEND_SIM_H

#include "engine/core/backend.h"
#include "engine/core/err.h"
#include "engine/core/fault_plan.h"

/* Initialises SimGrid and loads the platform. argc/argv are handed to simgrid_init,
 * so --cfg=... and --log=... work; the arguments SimGrid consumed are removed from
 * argv (as simgrid_init does) and *argc updated. Default settings (see
 * PS__SIM_DEFAULT_CFG in the .c file) come first, so the user's --cfg overrides them;
 * SimGrid's log threshold is "warning" unless the user passes a --log. SimGrid can
 * be initialised once per process: a second call fails. */
int ps_sim_backend_create(ps_backend **out, const char *platform_path, int *argc, char **argv, ps_err *err);

/* Number of hosts of the loaded platform. */
int ps_sim_host_count(ps_backend *be);

/* Writes to a host's disk go to its page cache and are written back in the
 * background; a writer waits only when more than `bytes` are dirty (until half is
 * written back). 0 (the default): every write waits for the disk. */
int ps_sim_set_write_behind(ps_backend *be, double bytes, ps_err *err);

/* Refuses, naming the host, a platform whose nodes 0 .. n_nodes-1 (the servers'
 * hosts) lack a disk that `why` (a store on disk) needs; a host's first disk is the
 * one charged. */
int ps_sim_check_disks(ps_backend *be, int n_nodes, const char *why, ps_err *err);

/* The config's timed faults (fault.slow, fault.link_down; sim/fault_sim.h), their
 * times in the run's, whose clock here starts at `offset` (a resumed run), for a
 * cluster of `nodes`. An unknown link, or a node with no link of its own, is an
 * error naming it. */
int ps_sim_set_faults(ps_backend *be, const ps_fault_window *w, int n, double offset, int nodes,
                      ps_err *err);

#endif
