/* TCP helpers for the sockets backend; see net.h. */
#define _GNU_SOURCE
#include "real/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double ps_net_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ps_net_parse_addr(const char *s, ps_addr *out, ps_err *err)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return ps_err_set(err, "'%s' is not HOST:PORT", s);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return ps_err_set(err, "'%s': port must be 0..65535", s);
    char host[256];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof host)
        return ps_err_set(err, "'%s': host name too long", s);
    memcpy(host, s, n);
    host[n] = 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc || !res)
        return ps_err_set(err, "'%s': cannot resolve %s: %s", s, host, gai_strerror(rc));
    out->ip = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr.s_addr;
    out->port = (uint16_t)port;
    freeaddrinfo(res);
    return PS_OK;
}

const char *ps_net_addr_str(const ps_addr *a, char *buf, int n)
{
    struct in_addr in = {.s_addr = a->ip};
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, ip, sizeof ip);
    snprintf(buf, (size_t)n, "%s:%u", ip, a->port);
    return buf;
}

static void to_sockaddr(const ps_addr *a, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = a->ip;
    sa->sin_port = htons(a->port);
}

int ps_net_set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int ps_net_listen(const ps_addr *at, ps_addr *bound, ps_err *err)
{
    char as[32];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ps_err_set(err, "socket: %s", strerror(errno)), -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    to_sockaddr(at, &sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1024)) {
        ps_err_set(err, "cannot listen on %s: %s", ps_net_addr_str(at, as, sizeof as),
                   strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    bound->ip = sa.sin_addr.s_addr;
    bound->port = ntohs(sa.sin_port);
    return fd;
}

int ps_net_connect(const ps_addr *to, double timeout_s, ps_err *err)
{
    char as[32];
    double deadline = ps_net_now() + timeout_s;
    int last = 0;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return ps_err_set(err, "socket: %s", strerror(errno)), -1;
        struct sockaddr_in sa;
        to_sockaddr(to, &sa);
        ps_net_set_nonblocking(fd, 1);
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        if (rc && errno == EINPROGRESS) {
            double left = deadline - ps_net_now();
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int ms = left > 0 ? (int)(left * 1000) + 1 : 0;
            if (poll(&p, 1, ms) == 1) {
                socklen_t sl = sizeof last;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &sl);
                rc = last ? -1 : 0;
            } else {
                last = ETIMEDOUT;
                rc = -1;
            }
        } else if (rc) {
            last = errno;
        }
        if (rc == 0) {
            ps_net_set_nonblocking(fd, 0);
            set_nodelay(fd);
            return fd;
        }
        close(fd);
        if (ps_net_now() >= deadline || (last != ECONNREFUSED && last != ETIMEDOUT &&
                                          last != EHOSTUNREACH && last != ENETUNREACH))
            break;
        struct timespec nap = {0, 50 * 1000 * 1000}; /* the peer may still be starting */
        nanosleep(&nap, NULL);
    }
    ps_err_set(err, "cannot connect to %s within %.1f s: %s", ps_net_addr_str(to, as, sizeof as),
               timeout_s, strerror(last));
    return -1;
}

int ps_net_accept(int listen_fd, double deadline, ps_addr *peer, ps_err *err)
{
    for (;;) {
        double left = deadline - ps_net_now();
        if (left <= 0)
            return ps_err_set(err, "timed out"), -1;
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)(left * 1000) + 1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            continue;
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(listen_fd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
                continue;
            return ps_err_set(err, "accept: %s", strerror(errno)), -1;
        }
        set_nodelay(fd);
        if (peer) {
            peer->ip = sa.sin_addr.s_addr;
            peer->port = ntohs(sa.sin_port);
        }
        return fd;
    }
}

int ps_net_read_full(int fd, void *buf, size_t n, double deadline, ps_err *err)
{
    size_t got = 0;
    while (got < n) {
        double left = deadline - ps_net_now();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) == 0)
            return ps_err_set(err, "timed out after %zu of %zu bytes", got, n);
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r == 0)
            return ps_err_set(err, "connection closed after %zu of %zu bytes", got, n);
        if (r < 0 && errno != EINTR && errno != EAGAIN)
            return ps_err_set(err, "read: %s", strerror(errno));
        if (r > 0)
            got += (size_t)r;
    }
    return PS_OK;
}

int ps_net_write_full(int fd, const void *buf, size_t n, ps_err *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ps_err_set(err, "write: %s", strerror(errno));
        done += (size_t)w;
    }
    return PS_OK;
}

int ps_net_local_ip(int fd, uint32_t *ip)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl))
        return -1;
    *ip = sa.sin_addr.s_addr;
    return 0;
}

int ps_net_reserve_fds(int n_nodes, ps_err *err)
{
    rlim_t need = 2 * (rlim_t)n_nodes + 64; /* a join, a peer link each way, files */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return PS_OK;
    rlim_t cur = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
        return PS_OK;
    return ps_err_set(err, "a node of this %d-node cluster may hold about %llu file "
                      "descriptors (two connections per peer), and the limit is %llu (hard "
                      "%llu): raise it, e.g. ulimit -n %llu", n_nodes, (unsigned long long)need,
                      (unsigned long long)cur, (unsigned long long)rl.rlim_max,
                      (unsigned long long)need);
}
