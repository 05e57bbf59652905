/* Which platform host a node runs on: the platform's hosts in natural name order
 * (host2 before host10, whatever the file's order), node i on host i mod count.
 * Shared by the sim backend and the platform check, so both map nodes alike. */
#ifndef PS_SIM_HOST_ORDER_H
#define PS_SIM_HOST_ORDER_H

#include <simgrid/host.h>

#include <stddef.h>

/* The loaded platform's hosts, sorted; malloc'd (free it), NULL if there is none. */
sg_host_t *ps_sim_sorted_hosts(size_t *count);

#endif
