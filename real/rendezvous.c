/* The join protocol of the sockets backend; see rendezvous.h. Blocking I/O with
 * deadlines: it runs before the event loop, and a missing node must be an error
 * naming it, not a hang. */
#include "real/rendezvous.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ps/msg.h"
#include "real/conn.h"
#include "real/wire.h"

static int send_hello(int fd, const ps_wire_hello *h, const void *extra, size_t extra_len,
                      ps_err *err)
{
    ps_msg_writer w;
    if (ps_msg_build(&w, PS_MSG_HELLO, 0, h->rank, 0, 0, 0, 0,
                     (uint32_t)(sizeof *h + extra_len), err))
        return PS_ERR;
    memcpy(w.aux, h, sizeof *h);
    if (extra_len)
        memcpy(w.aux + sizeof *h, extra, extra_len);
    uint8_t fh[PS_WIRE_FRAME_LEN];
    ps_wire_frame(fh, UINT32_MAX, PS_WIRE_HELLO);
    int rc = ps_net_write_full(fd, fh, sizeof fh, err);
    if (rc == PS_OK)
        rc = ps_net_write_full(fd, w.buf, w.len, err);
    free(w.buf);
    return rc;
}

/* Reads one HELLO frame of at most max bytes; *buf is the decoded message's buffer. */
static int read_hello(int fd, double deadline, size_t max, void **buf, ps_msg *m,
                      ps_wire_hello *h, ps_err *err)
{
    uint8_t head[PS_WIRE_FRAME_LEN + PS_MSG_HEADER_LEN];
    size_t total;
    *buf = NULL;
    if (ps_net_read_full(fd, head, sizeof head, deadline, err))
        return PS_ERR;
    uint32_t kind;
    memcpy(&kind, head + 4, 4);
    if (kind != PS_WIRE_HELLO)
        return ps_err_set(err, "expected a hello frame, got kind %u", kind);
    if (ps_msg_check_header(head + PS_WIRE_FRAME_LEN, PS_MSG_HEADER_LEN, &total, err))
        return PS_ERR;
    if (total > max)
        return ps_err_set(err, "hello of %zu bytes, more than %zu", total, max);
    *buf = malloc(total);
    if (!*buf)
        return ps_err_set(err, "out of memory");
    memcpy(*buf, head + PS_WIRE_FRAME_LEN, PS_MSG_HEADER_LEN);
    if (ps_net_read_full(fd, (uint8_t *)*buf + PS_MSG_HEADER_LEN, total - PS_MSG_HEADER_LEN,
                         deadline, err) ||
        ps_msg_decode(*buf, total, m, err))
        return PS_ERR;
    if (m->type != PS_MSG_HELLO || m->aux_len < sizeof *h)
        return ps_err_set(err, "hello message is malformed");
    memcpy(h, m->aux, sizeof *h);
    if (h->version != PS_WIRE_VERSION)
        return ps_err_set(err, "transport version %u, expected %d", h->version, PS_WIRE_VERSION);
    return PS_OK;
}

int ps_rendezvous_hello(int fd, int rank, int n_nodes, uint64_t token, ps_err *err)
{
    ps_wire_hello h = {.version = PS_WIRE_VERSION, .rank = (uint32_t)rank,
                       .n_nodes = (uint32_t)n_nodes, .token = token};
    return send_hello(fd, &h, NULL, 0, err);
}

static uint64_t make_token(void)
{
    uint64_t t = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &t, sizeof t) != (ssize_t)sizeof t)
            t = 0;
        close(fd);
    }
    t ^= (uint64_t)getpid() << 32 ^ (uint64_t)(ps_net_now() * 1e9);
    return t ? t : 1;
}

int ps_rendezvous_host(const ps_real_params *p, int listen_fd, ps_addr *peers, uint64_t *token,
                       int *join_fds, ps_err *err)
{
    int n = p->n_nodes, joined = 0;
    double deadline = ps_net_now() + p->timeout_s;
    char as[32];
    *token = make_token();
    for (int r = 0; r < n; r++)
        join_fds[r] = -1;
    peers[0] = p->coordinator;
    while (joined < n - 1) {
        ps_addr from;
        ps_err e;
        int fd = ps_net_accept(listen_fd, deadline, &from, &e);
        if (fd < 0) {
            char missing[256] = "";
            size_t used = 0;
            for (int r = 1; r < n && used < sizeof missing - 16; r++)
                if (join_fds[r] < 0)
                    used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%d",
                                             used ? ", " : "", r);
            for (int r = 1; r < n; r++)
                if (join_fds[r] >= 0)
                    close(join_fds[r]);
            if (strcmp(e.msg, "timed out") != 0) /* not the nodes' fault: EMFILE, say */
                return ps_err_set(err, "the coordinator at %s could not take the join of rank(s) "
                                  "%s: %s", ps_net_addr_str(&p->coordinator, as, sizeof as),
                                  missing, e.msg);
            return ps_err_set(err, "only %d of %d nodes joined the coordinator at %s within "
                              "%.1f s; missing rank(s) %s", joined + 1, n,
                              ps_net_addr_str(&p->coordinator, as, sizeof as), p->timeout_s,
                              missing);
        }
        void *buf;
        ps_msg m;
        ps_wire_hello h;
        double conn_deadline = ps_net_now() + 5.0 < deadline ? ps_net_now() + 5.0 : deadline;
        int rc = read_hello(fd, conn_deadline, PS_CONN_MAX_HELLO, &buf, &m, &h, &e);
        free(buf);
        if (rc == PS_OK && (h.rank == 0 || h.rank >= (uint32_t)n))
            rc = ps_err_set(&e, "rank %u is not in 1..%d (the config has %d nodes)", h.rank,
                            n - 1, n);
        else if (rc == PS_OK && join_fds[h.rank] >= 0)
            rc = ps_err_set(&e, "rank %u has already joined", h.rank);
        else if (rc == PS_OK && h.n_nodes && h.n_nodes != (uint32_t)n)
            rc = ps_err_set(&e, "it was started for %u nodes, the config has %d", h.n_nodes, n);
        if (rc) {
            fprintf(stderr, "pslab: coordinator: refusing a join from %s: %s\n",
                    ps_net_addr_str(&from, as, sizeof as), e.msg);
            ps_wire_hello no = {.version = PS_WIRE_VERSION, .rank = PS_WIRE_REFUSED,
                                .config_len = (uint32_t)strlen(e.msg)};
            ps_err ignored; /* a peer that has gone needs no reason */
            (void)send_hello(fd, &no, e.msg, strlen(e.msg), &ignored);
            close(fd);
            continue;
        }
        join_fds[h.rank] = fd;
        peers[h.rank].ip = h.listen_ip ? h.listen_ip : from.ip;
        peers[h.rank].port = (uint16_t)h.listen_port;
        joined++;
    }
    size_t cfg_len = p->config_text ? strlen(p->config_text) : 0;
    size_t dir_len = p->run_dir ? strlen(p->run_dir) : 0;
    size_t extra = (size_t)n * sizeof(ps_wire_peer) + cfg_len + dir_len;
    uint8_t *x = malloc(extra ? extra : 1);
    if (!x)
        return ps_err_set(err, "out of memory");
    for (int r = 0; r < n; r++) {
        ps_wire_peer wp = {.ip = peers[r].ip, .port = peers[r].port};
        memcpy(x + (size_t)r * sizeof wp, &wp, sizeof wp);
    }
    memcpy(x + (size_t)n * sizeof(ps_wire_peer), p->config_text ? p->config_text : "", cfg_len);
    memcpy(x + (size_t)n * sizeof(ps_wire_peer) + cfg_len, p->run_dir ? p->run_dir : "", dir_len);
    ps_wire_hello welcome = {.version = PS_WIRE_VERSION, .rank = 0, .n_nodes = (uint32_t)n,
                             .config_len = (uint32_t)cfg_len, .dir_len = (uint32_t)dir_len,
                             .token = *token};
    int rc = PS_OK;
    for (int r = 1; r < n && rc == PS_OK; r++) {
        ps_err e;
        if (send_hello(join_fds[r], &welcome, x, extra, &e))
            rc = ps_err_set(err, "welcoming node %d: %s", r, e.msg);
    }
    free(x);
    return rc;
}

int ps_rendezvous_join(ps_real_params *p, int *listen_fd, ps_addr **peers_out, uint64_t *token,
                       int *join_fd, char **config_text, char **run_dir, ps_err *err)
{
    char as[32];
    ps_err e;
    *join_fd = *listen_fd = -1;
    *peers_out = NULL;
    int fd = ps_net_connect(&p->coordinator, p->timeout_s, &e);
    if (fd < 0)
        return ps_err_set(err, "node %d: cannot reach the coordinator: %s", p->rank, e.msg);
    ps_addr me = {.ip = 0, .port = 0}, bound;
    ps_net_local_ip(fd, &me.ip);
    int lfd = ps_net_listen(&me, &bound, err);
    if (lfd < 0) {
        close(fd);
        return PS_ERR;
    }
    ps_wire_hello h = {.version = PS_WIRE_VERSION, .rank = (uint32_t)p->rank,
                       .n_nodes = (uint32_t)p->n_nodes, .listen_ip = bound.ip,
                       .listen_port = bound.port};
    void *buf = NULL;
    ps_msg m;
    ps_wire_hello w;
    int rc = send_hello(fd, &h, NULL, 0, &e);
    /* The coordinator answers once every node has joined. */
    if (rc == PS_OK)
        rc = read_hello(fd, ps_net_now() + p->timeout_s, PS_MSG_MAX_PAYLOAD, &buf, &m, &w, &e);
    if (rc == PS_OK && w.rank == PS_WIRE_REFUSED) {
        size_t len = w.config_len <= m.aux_len - sizeof w ? w.config_len : m.aux_len - sizeof w;
        rc = ps_err_set(&e, "it refused this node: %.*s", (int)(len < 512 ? len : 512),
                        (const char *)m.aux + sizeof w);
    } else if (rc == PS_OK) {
        uint64_t need = (uint64_t)w.n_nodes * sizeof(ps_wire_peer) + w.config_len + w.dir_len;
        if (w.n_nodes < 2 || w.n_nodes > 1000000 || need != m.aux_len - sizeof w ||
            (p->n_nodes && w.n_nodes != (uint32_t)p->n_nodes) || (uint32_t)p->rank >= w.n_nodes)
            rc = ps_err_set(&e, "its welcome is inconsistent (%u nodes, %u bytes; we are rank "
                            "%d of %d)", w.n_nodes, m.aux_len, p->rank, p->n_nodes);
    }
    if (rc) {
        free(buf);
        close(fd);
        close(lfd);
        return ps_err_set(err, "node %d: joining the coordinator at %s: %s", p->rank,
                          ps_net_addr_str(&p->coordinator, as, sizeof as), e.msg);
    }
    p->n_nodes = (int)w.n_nodes;
    ps_addr *peers = calloc(w.n_nodes, sizeof *peers);
    const uint8_t *x = m.aux + sizeof w;
    for (uint32_t r = 0; peers && r < w.n_nodes; r++) {
        ps_wire_peer wp;
        memcpy(&wp, x + r * sizeof wp, sizeof wp);
        peers[r].ip = wp.ip;
        peers[r].port = (uint16_t)wp.port;
    }
    x += (size_t)w.n_nodes * sizeof(ps_wire_peer);
    if (config_text && (*config_text = malloc(w.config_len + 1))) {
        memcpy(*config_text, x, w.config_len);
        (*config_text)[w.config_len] = 0;
    }
    if (run_dir && (*run_dir = malloc(w.dir_len + 1))) {
        memcpy(*run_dir, x + w.config_len, w.dir_len);
        (*run_dir)[w.dir_len] = 0;
    }
    free(buf);
    if (!peers) {
        close(fd);
        close(lfd);
        return ps_err_set(err, "out of memory");
    }
    *peers_out = peers;
    *token = w.token;
    *join_fd = fd;
    *listen_fd = lfd;
    return PS_OK;
}
