/* The sockets backend (see backend_real.c) and how a node process joins a cluster. */
#ifndef PS_REAL_BACKEND_H
#define PS_REAL_BACKEND_H

#include <stddef.h>

#include "engine/core/backend.h"
#include "real/net.h"

typedef struct ps_real_params {
    int rank;              /* this process's node */
    int n_nodes;           /* rank 0: required; others: 0 = learn from the coordinator */
    ps_addr coordinator;   /* where node 0 accepts joins (and peers) */
    int listen_fd;         /* rank 0: its bound listening socket */
    double timeout_s;      /* joining, connecting, shutting down */
    size_t send_limit;     /* bytes queued per connection before send() blocks */
    size_t recv_staging;   /* per-connection read buffer for small frames */
    const char *config_text; /* rank 0: the resolved config, sent to joiners */
    const char *run_dir;     /* rank 0: the run directory, sent to joiners */
    double start_time;     /* monotonic origin of now(); 0 = at create */
    int keep_signals;      /* a local launch's child: SIGINT and SIGTERM are left as they
                            * are (the launcher's node takes Ctrl-C for the run) */
} ps_real_params;

/* Joins the cluster (rank 0: waits for every other node; others: connect to the
 * coordinator) and returns a backend whose launch() runs this node's actors.
 * Non-zero ranks get the coordinator's config text and run directory (malloc'd,
 * may be NULL when not wanted). */
int ps_real_backend_create(ps_backend **be, ps_real_params *p, char **config_text,
                           char **run_dir, ps_err *err);

/* fault.on_worker_failure = continue: nodes from rank `from` on (the workers') may
 * be lost, each told to the coordinator, without failing this node; 0: none. */
int ps_real_backend_set_expendable(ps_backend *be, int from, ps_err *err);

/* The node this node found stalled (silent for real.timeout on its join
 * connection, with the process alive: SIGSTOP, a hang), or -1; -1 for a backend
 * that is not this one. */
int ps_real_backend_stalled_node(const ps_backend *be);

#endif
