/* How nodes find each other: each node connects to the coordinator (node 0) and
 * says who it is and where it listens; when all have joined, the coordinator
 * answers each with the peer table, a run token and the resolved config. */
#ifndef PS_REAL_RENDEZVOUS_H
#define PS_REAL_RENDEZVOUS_H

#include <stdint.h>

#include "real/backend_real.h"

/* Rank 0: accepts n_nodes-1 joins on listen_fd before the timeout; fills peers
 * and the token; join_fds[r] is node r's connection (it then sends us its traffic). */
int ps_rendezvous_host(const ps_real_params *p, int listen_fd, ps_addr *peers, uint64_t *token,
                       int *join_fds, ps_err *err);
/* Rank > 0: the node count, its listening socket, the peers, the token, the
 * connection to the coordinator and (optionally) its config text and run dir. */
int ps_rendezvous_join(ps_real_params *p, int *listen_fd, ps_addr **peers, uint64_t *token,
                       int *join_fd, char **config_text, char **run_dir, ps_err *err);
/* Opens a peer connection: our HELLO with the run token. */
int ps_rendezvous_hello(int fd, int rank, int n_nodes, uint64_t token, ps_err *err);

#endif
