/* Plain TCP helpers for the sockets backend: address parsing, listening and
 * connecting with a deadline, so that an unreachable peer is an error naming its
 * address instead of a hang. IPv4, as cluster launchers hand out. */
#ifndef PS_REAL_NET_H
#define PS_REAL_NET_H

#include <stdint.h>

#include "engine/core/err.h"

typedef struct ps_addr {
    uint32_t ip;     /* network byte order */
    uint16_t port;   /* host byte order */
} ps_addr;

/* "HOST:PORT" (HOST a name or dotted quad) to an address. */
int ps_net_parse_addr(const char *s, ps_addr *out, ps_err *err);
/* "1.2.3.4:5" into buf (at least 32 bytes). */
const char *ps_net_addr_str(const ps_addr *a, char *buf, int n);

/* A listening socket on ip:port (port 0: any free port); *bound gets the port. */
int ps_net_listen(const ps_addr *at, ps_addr *bound, ps_err *err);
/* Connects to `to`, retrying refused connections until timeout_s has passed
 * (the peer may not be listening yet); returns the fd, or -1 with err naming
 * the address. The socket is blocking, with TCP_NODELAY. */
int ps_net_connect(const ps_addr *to, double timeout_s, ps_err *err);
/* Accepts one connection before the deadline (monotonic seconds); -1 on timeout
 * or error. */
int ps_net_accept(int listen_fd, double deadline, ps_addr *peer, ps_err *err);
/* Reads or writes exactly n bytes before the deadline on a blocking socket. */
int ps_net_read_full(int fd, void *buf, size_t n, double deadline, ps_err *err);
int ps_net_write_full(int fd, const void *buf, size_t n, ps_err *err);
int ps_net_set_nonblocking(int fd, int on);
/* The local address of a connected socket (what peers can reach us at). */
int ps_net_local_ip(int fd, uint32_t *ip);
double ps_net_now(void);
/* Makes room for the descriptors a node of an n-node cluster may hold (about two
 * connections per peer): raises the soft RLIMIT_NOFILE up to the hard one if it
 * must; an error naming the figures and the fix if even that is too few. */
int ps_net_reserve_fds(int n_nodes, ps_err *err);

#endif
