/* The sockets backend: one process per node, its actors on threads, one epoll
 * event loop per process, one TCP connection per ordered pair of nodes (the sender
 * connects, lazily), engine messages framed and validated on arrival, bounded send
 * queues that block the sender (back-pressure), and a clean BYE on shutdown so that
 * only an unannounced EOF counts as a failed peer. */
#define _GNU_SOURCE
#include "real/backend_real.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/interrupt.h"
#include "engine/ps/msg.h"
#include "real/conn.h"
#include "real/net.h"
#include "real/rendezvous.h"
#include "real/wire.h"

typedef struct rb_item {
    struct rb_item *next;
    void *buf;
    size_t len;
} rb_item;

typedef struct rb_mailbox {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rb_item *head, *tail;
    int wakes;          /* node-local wake-ups not yet taken (backend.h) */
} rb_mailbox;

typedef struct real_be {
    ps_backend base;               /* first: the engine sees a ps_backend */
    ps_real_params p;
    ps_addr *peers;                /* per rank: where it accepts connections */
    uint64_t token;
    int epfd, wake_fd, listen_fd;
    pthread_mutex_t mu;            /* out[] creation, in[] list, failure state */
    ps_conn **out;                 /* per rank: our connection to it, or NULL */
    ps_conn **in;                  /* accepted connections */
    int n_in, cap_in;
    int n_actors, *actor_node;
    rb_mailbox *mbox;              /* per actor (only this node's are used) */
    int inline_mode;               /* one local actor: it runs the loop itself */
    int live_actors;
    int failed;
    atomic_int interrupt_pending; /* a signal for the coordinator, on another node */
    char fail_msg[400];
    int blame; /* after a failure: the node blamed for it (PS_WIRE_ABORT), or -1 */
    double t0;
    /* Heartbeats on the join connections (node 0's to every node, each node's to
     * node 0): a peer silent for real.timeout is stalled (rb_check_beats). */
    ps_conn **beat_conns;
    int n_beat_conns, stalled_node;
    double beat_checked_at;
    pthread_t beat_thread;
    int beat_started, beat_stop;
    pthread_mutex_t beat_mu;
    pthread_cond_t beat_cv;
    /* fault.on_worker_failure = continue: nodes from this rank on (the workers')
     * may be lost without failing the run (0: none may); dead[rank]: lost. */
    int expendable_from;
    char *dead;
} real_be;

static _Thread_local int tl_self = -1;

/* The CLOCK_REALTIME instant `seconds` from now, for pthread_cond_timedwait. */
static struct timespec rb_abstime(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

static real_be *rb_of(ps_backend *be) { return (real_be *)be; }

/* ---- failure: a member peer vanished or broke the protocol ---- */

static void rb_wake_all(real_be *rb)
{
    for (int i = 0; i < rb->n_actors; i++) {
        pthread_mutex_lock(&rb->mbox[i].mu);
        pthread_cond_broadcast(&rb->mbox[i].cv);
        pthread_mutex_unlock(&rb->mbox[i].mu);
    }
}

/* The run cannot go on, because of node `blame` (this one's own rank for a failure
 * of its own): told to every peer as the process ends (rb_say_abort). */
static void rb_fail(real_be *rb, int blame, const char *msg)
{
    pthread_mutex_lock(&rb->mu);
    if (!rb->failed) {
        rb->failed = 1;
        rb->blame = blame;
        snprintf(rb->fail_msg, sizeof rb->fail_msg, "%s", msg);
    }
    pthread_mutex_unlock(&rb->mu);
    rb_wake_all(rb);
}

/* ---- mailboxes ---- */

static int rb_deliver(real_be *rb, int to, void *buf, size_t len)
{
    rb_item *it = malloc(sizeof *it);
    if (!it) {
        free(buf);
        return PS_ERR;
    }
    it->next = NULL;
    it->buf = buf;
    it->len = len;
    rb_mailbox *m = &rb->mbox[to];
    pthread_mutex_lock(&m->mu);
    if (m->tail)
        m->tail->next = it;
    else
        m->head = it;
    m->tail = it;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return PS_OK;
}

static rb_item *rb_take(rb_mailbox *m)
{
    rb_item *it = m->head;
    if (it) {
        m->head = it->next;
        if (!m->head)
            m->tail = NULL;
    }
    return it;
}

/* ---- interrupts (backend.h) ---- */

/* From the loop: a signal came. The coordinator's node delivers it at once; another
 * node leaves it to its next actor call, since the loop must never block on a full
 * send queue that only it can drain. */
static void rb_interrupt(real_be *rb, int sig)
{
    size_t len;
    void *buf;
    if (rb->n_actors > 0 && rb->actor_node[0] == rb->p.rank) {
        if ((buf = ps_msg_new_interrupt(0, sig, &len)))
            rb_deliver(rb, 0, buf, len);
        return;
    }
    atomic_store(&rb->interrupt_pending, sig);
    rb_wake_all(rb);
}

static int rb_send_message(real_be *rb, int to, void *buf, size_t len, size_t at,
                           const void *view, size_t view_len, ps_err *err);

/* From an actor: sends a pending signal on to the coordinator. */
static void rb_forward_interrupt(real_be *rb)
{
    int sig = atomic_exchange(&rb->interrupt_pending, 0);
    size_t len;
    void *buf = sig ? ps_msg_new_interrupt((uint32_t)tl_self, sig, &len) : NULL;
    ps_err ignored;
    if (buf)
        rb_send_message(rb, 0, buf, len, len, NULL, 0, &ignored);
}

/* ---- the event loop ---- */

/* Under the write lock: an actor thread may be writing to this socket right now,
 * and its fd number must not be reused under it. */
static void rb_close_conn(real_be *rb, ps_conn *c)
{
    pthread_mutex_lock(&c->wmu);
    if (c->fd >= 0)
        epoll_ctl(rb->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    ps_conn_close(c);
    pthread_cond_broadcast(&c->wcv);
    pthread_mutex_unlock(&c->wmu);
}

static int rb_expendable(const real_be *rb, int rank)
{
    return rb->expendable_from > 0 && rank >= rb->expendable_from && rank < rb->p.n_nodes &&
           rb->dead;
}

/* An expendable node is gone: sends to it are dropped from now on, and the node of
 * the coordinator tells it (PS_INTERRUPT_LOST), which goes on without its workers. */
static void rb_lose(real_be *rb, int rank, const char *why)
{
    pthread_mutex_lock(&rb->mu);
    int first = !rb->dead[rank];
    rb->dead[rank] = 1;
    pthread_mutex_unlock(&rb->mu);
    if (!first)
        return;
    fprintf(stderr, "pslab: node %d: lost node %d (%s); fault.on_worker_failure = continue: "
            "going on without it\n", rb->p.rank, rank, why);
    ps_msg_writer w;
    ps_err err;
    if (rb->n_actors > 0 && rb->actor_node[0] == rb->p.rank &&
        ps_msg_build(&w, PS_MSG_INTERRUPT, 0, 0, PS_INTERRUPT_LOST, rank, 0, 0, 0, &err) == PS_OK)
        rb_deliver(rb, 0, w.buf, w.len);
}

/* The node a peer's PS_WIRE_ABORT blames: a rank outside the cluster is the
 * peer's own failure. */
static int rb_blamed_by(const real_be *rb, const ps_conn *c)
{
    return c->blame >= 0 && c->blame < rb->p.n_nodes ? c->blame : c->rank;
}

/* c's peer is gone, or said it is failing: the run goes on without it if it is
 * expendable and blames nobody else who is not, else fails, blaming the node its
 * peer blamed (so that every node names the one lost first, not one that died in
 * the cascade). */
static void rb_drop(real_be *rb, ps_conn *c, const char *why)
{
    int was_member = c->member && !c->bye, blame = rb_blamed_by(rb, c);
    char said[96];
    if (c->blame >= 0) { /* it said why it went: that, not how the stream ended */
        snprintf(said, sizeof said, "it is failing, and blames node %d", blame);
        why = said;
    }
    fprintf(stderr, "pslab: node %d: closing connection %s: %s\n", rb->p.rank, c->name, why);
    if (was_member && rb_expendable(rb, c->rank) &&
        (blame == c->rank || rb_expendable(rb, blame))) { /* before a send can find it closed */
        rb_lose(rb, c->rank, why);
        rb_close_conn(rb, c);
        return;
    }
    if (was_member) { /* failed before closed: a send that finds it closed knows why */
        char msg[400];
        if (blame != c->rank)
            snprintf(msg, sizeof msg, "lost node %d, the first node lost (node %d, %s, stopped "
                     "on losing it)", blame, c->rank, c->addr_str);
        else
            snprintf(msg, sizeof msg, "lost %s: %s", c->name, why);
        rb_fail(rb, blame, msg);
    }
    rb_close_conn(rb, c);
}

/* A whole frame arrived on c: check it fully, then hand it to its actor. */
static int rb_on_frame(void *ctx, ps_conn *c, uint32_t kind, uint32_t dest, void *buf, size_t len,
                       char *why, size_t why_len)
{
    real_be *rb = ctx;
    ps_msg m;
    ps_err err;
    if (ps_msg_decode(buf, len, &m, &err)) {
        snprintf(why, why_len, "malformed message: %s", err.msg);
        return PS_ERR;
    }
    if (kind == PS_WIRE_HELLO) {
        ps_wire_hello h;
        if (m.type != PS_MSG_HELLO || m.aux_len < sizeof h) {
            snprintf(why, why_len, "handshake is not a hello (%s, %u bytes)",
                     ps_msg_type_name(m.type), m.aux_len);
            return PS_ERR;
        }
        memcpy(&h, m.aux, sizeof h);
        if (h.version != PS_WIRE_VERSION) {
            snprintf(why, why_len, "transport version %u, expected %d", h.version,
                     PS_WIRE_VERSION);
            return PS_ERR;
        }
        if (h.token != rb->token || h.rank >= (uint32_t)rb->p.n_nodes ||
            h.rank == (uint32_t)rb->p.rank) {
            snprintf(why, why_len, "hello from rank %u with a wrong run token", h.rank);
            return PS_ERR;
        }
        c->member = 1;
        c->rank = (int)h.rank;
        snprintf(c->name, sizeof c->name, "from node %u (%s)", h.rank, c->addr_str);
        free(buf);
        return PS_OK;
    }
    if (!c->member) {
        snprintf(why, why_len, "%s message before the handshake", ps_msg_type_name(m.type));
        return PS_ERR;
    }
    if (dest >= (uint32_t)rb->n_actors || rb->actor_node[dest] != rb->p.rank) {
        snprintf(why, why_len, "message for actor %u, which is not on this node", dest);
        return PS_ERR;
    }
    if (m.sender >= (uint32_t)rb->n_actors || rb->actor_node[m.sender] != c->rank) {
        snprintf(why, why_len, "message claims sender actor %u, which is not on node %d",
                 m.sender, c->rank);
        return PS_ERR;
    }
    if (rb_deliver(rb, (int)dest, buf, len)) {
        snprintf(why, why_len, "out of memory");
        return PS_ERR;
    }
    return PS_OK;
}

static void rb_accept(real_be *rb)
{
    for (;;) {
        ps_addr peer;
        int fd = accept4(rb->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        (void)peer;
        ps_conn *c = ps_conn_new(fd, -1, 0, rb->p.recv_staging);
        if (!c) {
            close(fd);
            return;
        }
        ps_net_set_nonblocking(fd, 1);
        snprintf(c->name, sizeof c->name, "from %s", c->addr_str);
        pthread_mutex_lock(&rb->mu);
        if (rb->n_in == rb->cap_in) {
            int cap = rb->cap_in ? 2 * rb->cap_in : 16;
            ps_conn **in = realloc(rb->in, (size_t)cap * sizeof *in);
            if (!in) {
                pthread_mutex_unlock(&rb->mu);
                ps_conn_free(c);
                close(fd);
                return;
            }
            rb->in = in;
            rb->cap_in = cap;
        }
        rb->in[rb->n_in++] = c;
        pthread_mutex_unlock(&rb->mu);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(rb->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void rb_set_out_interest(real_be *rb, ps_conn *c, int want)
{
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(rb->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* ---- heartbeats: a stopped (SIGSTOP) or hung peer, whose connection stays open ---- */

/* Seconds between beats: a few per real.timeout, so that one late beat is not a stall. */
static double rb_beat_interval(const real_be *rb)
{
    return rb->p.timeout_s / 4 < 1.0 ? rb->p.timeout_s / 4 : 1.0;
}

static void *rb_beat_main(void *p)
{
    real_be *rb = p;
    pthread_mutex_lock(&rb->beat_mu);
    while (!rb->beat_stop) {
        struct timespec ts = rb_abstime(rb_beat_interval(rb));
        pthread_cond_timedwait(&rb->beat_cv, &rb->beat_mu, &ts);
        for (int i = 0; i < rb->n_beat_conns && !rb->beat_stop; i++) {
            ps_conn *c = rb->beat_conns[i];
            char why[300];
            pthread_mutex_lock(&c->wmu);
            /* Beats do not pile up behind a peer that reads nothing. */
            if (c->fd >= 0 && !c->qhead &&
                ps_conn_enqueue(c, 0, PS_WIRE_BEAT, NULL, 0, why, sizeof why) == PS_OK &&
                c->qhead)
                rb_set_out_interest(rb, c, 1);
            pthread_mutex_unlock(&c->wmu);
        }
    }
    pthread_mutex_unlock(&rb->beat_mu);
    return NULL;
}

static void rb_beats_start(real_be *rb)
{
    pthread_mutex_init(&rb->beat_mu, NULL);
    pthread_cond_init(&rb->beat_cv, NULL);
    rb->stalled_node = -1;
    rb->beat_checked_at = ps_net_now();
    for (int i = 0; i < rb->n_beat_conns; i++)
        rb->beat_conns[i]->beats = 1;
    rb->beat_started = rb->n_beat_conns > 0 &&
                       pthread_create(&rb->beat_thread, NULL, rb_beat_main, rb) == 0;
}

static void rb_beats_stop(real_be *rb)
{
    if (!rb->beat_started)
        return;
    pthread_mutex_lock(&rb->beat_mu);
    rb->beat_stop = 1;
    pthread_cond_signal(&rb->beat_cv);
    pthread_mutex_unlock(&rb->beat_mu);
    pthread_join(rb->beat_thread, NULL);
    rb->beat_started = 0;
}

/* From the loop, after its reads: a join connection silent for real.timeout, with
 * nothing unread on it, is a stalled peer, failed like a lost one. A gap in our
 * own checks (this process stopped, as a terminal's Ctrl-Z stops every node, or a
 * single actor computing instead of polling) restarts every peer's count. */
static void rb_check_beats(real_be *rb)
{
    double now = ps_net_now(), gap = now - rb->beat_checked_at;
    if (rb->failed || gap < 0.1)
        return;
    rb->beat_checked_at = now;
    for (int i = 0; i < rb->n_beat_conns; i++) {
        ps_conn *c = rb->beat_conns[i];
        int unread = 0;
        if (gap > rb->p.timeout_s / 2)
            c->heard_at = now;
        if (c->fd < 0 || c->bye || now - c->heard_at <= rb->p.timeout_s ||
            (rb->dead && rb->dead[c->rank]) ||
            (ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0))
            continue;
        char msg[400];
        snprintf(msg, sizeof msg, "node %d sent nothing for %.1f s (real.timeout = %g s): it is "
                 "stopped or hung, and counts as failed", c->rank, now - c->heard_at,
                 rb->p.timeout_s);
        rb->stalled_node = c->rank; /* a local launch kills it */
        if (rb_expendable(rb, c->rank)) {
            rb_lose(rb, c->rank, "it sent nothing for real.timeout: stopped or hung");
            continue;
        }
        fprintf(stderr, "pslab: node %d: %s\n", rb->p.rank, msg);
        rb_fail(rb, c->rank, msg);
        return;
    }
}

/* One round of the loop: waits up to timeout_ms for socket events and handles
 * them. Only one thread runs this at a time (the I/O thread, or the single actor). */
static void rb_poll(real_be *rb, int timeout_ms)
{
    struct epoll_event ev[64];
    int n = epoll_wait(rb->epfd, ev, 64, timeout_ms);
    for (int i = 0; i < n; i++) {
        void *p = ev[i].data.ptr;
        if (p == &rb->listen_fd) {
            rb_accept(rb);
            continue;
        }
        if (p == &rb->wake_fd) {
            uint64_t v;
            ssize_t r = read(rb->wake_fd, &v, sizeof v);
            (void)r;
            int sig = ps_interrupt_take();
            if (sig)
                rb_interrupt(rb, sig);
            continue;
        }
        ps_conn *c = p;
        if (c->fd < 0)
            continue;
        char why[300];
        if (ev[i].events & EPOLLOUT) {
            pthread_mutex_lock(&c->wmu);
            int rc = ps_conn_flush(c, why, sizeof why);
            if (rc == PS_OK && !c->qhead)
                rb_set_out_interest(rb, c, 0);
            pthread_cond_broadcast(&c->wcv);
            pthread_mutex_unlock(&c->wmu);
            if (rc) {
                rb_drop(rb, c, why);
                continue;
            }
        }
        if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            int rc = ps_conn_read(c, rb_on_frame, rb, why, sizeof why);
            if (rc == PS_CONN_EOF) {
                /* A peer closes our outgoing connection when it exits; its own
                 * connections to us say whether that was clean. */
                if (c->member && !c->bye && !c->outgoing)
                    rb_drop(rb, c, "closed without saying goodbye (did the process die?)");
                else
                    rb_close_conn(rb, c);
            } else if (rc) {
                rb_drop(rb, c, why);
            } else if (c->blame >= 0) {
                rb_drop(rb, c, "it is failing");
            }
        }
    }
    rb_check_beats(rb);
}

/* ---- sending ---- */

static ps_conn *rb_out_conn(real_be *rb, int node, ps_err *err)
{
    pthread_mutex_lock(&rb->mu);
    ps_conn *c = rb->out[node];
    if (c) {
        pthread_mutex_unlock(&rb->mu);
        return c;
    }
    char as[32];
    if (rb->failed) { /* a peer is gone: no new connection (it would wait real.timeout) */
        ps_err_set(err, "%s", rb->fail_msg);
        pthread_mutex_unlock(&rb->mu);
        return NULL;
    }
    int fd = ps_net_connect(&rb->peers[node], rb->p.timeout_s, err);
    if (fd >= 0 && ps_rendezvous_hello(fd, rb->p.rank, rb->p.n_nodes, rb->token, err))
        fd = (close(fd), -1);
    if (fd < 0) {
        pthread_mutex_unlock(&rb->mu);
        ps_err e2 = *err;
        ps_err_set(err, "node %d: cannot reach node %d at %s: %s", rb->p.rank, node,
                   ps_net_addr_str(&rb->peers[node], as, sizeof as), e2.msg);
        return NULL;
    }
    c = ps_conn_new(fd, node, 1, 0);
    if (!c) {
        close(fd);
        pthread_mutex_unlock(&rb->mu);
        ps_err_set(err, "out of memory");
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "to node %d (%s)", node,
             ps_net_addr_str(&rb->peers[node], as, sizeof as));
    c->member = 1;
    ps_net_set_nonblocking(fd, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(rb->epfd, EPOLL_CTL_ADD, fd, &ev);
    rb->out[node] = c;
    pthread_mutex_unlock(&rb->mu);
    return c;
}

/* A send found node's connection gone (closed, a write error) before the loop
 * read why: wait a little for the loop to read the peer's end (its PS_WIRE_ABORT
 * names the node lost first), then report that; PS_OK if the node turns out to
 * be expendable and lost. */
static int rb_send_failed(real_be *rb, int node, ps_err *err)
{
    double until = ps_net_now() + 2.0;
    pthread_mutex_lock(&rb->mu);
    while (!rb->failed && !(rb->dead && rb->dead[node]) && ps_net_now() < until) {
        pthread_mutex_unlock(&rb->mu);
        if (rb->inline_mode)
            rb_poll(rb, 20);
        else
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        pthread_mutex_lock(&rb->mu);
    }
    int rc = PS_ERR;
    if (rb->dead && rb->dead[node])
        rc = PS_OK;
    else if (rb->failed)
        ps_err_set(err, "%s", rb->fail_msg);
    pthread_mutex_unlock(&rb->mu);
    return rc;
}

/* Sends one message to actor `to`: buf[0..at) + view + buf[at..len) (view_len 0:
 * just buf). Takes buf; view is read only during the call. */
static int rb_send_message(real_be *rb, int to, void *buf, size_t len, size_t at,
                           const void *view, size_t view_len, ps_err *err)
{
    if (atomic_load(&rb->interrupt_pending))
        rb_forward_interrupt(rb);
    if (to < 0 || to >= rb->n_actors) {
        free(buf);
        return ps_err_set(err, "send to unknown actor %d", to);
    }
    int node = rb->actor_node[to];
    if (rb->dead && rb->dead[node]) { /* lost, and the run goes on: as to a closed socket */
        free(buf);
        return PS_OK;
    }
    if (node == rb->p.rank) {
        if (view_len) { /* a local mailbox keeps the message: join the pieces */
            void *joined = ps_splice_join(buf, len, at, view, view_len);
            free(buf);
            if (!joined)
                return ps_err_set(err, "out of memory");
            buf = joined;
            len += view_len;
        }
        if (rb_deliver(rb, to, buf, len))
            return ps_err_set(err, "out of memory");
        return PS_OK;
    }
    ps_conn *c = rb_out_conn(rb, node, err);
    if (!c) {
        free(buf);
        return PS_ERR;
    }
    char why[300] = "";
    err->msg[0] = 0;
    pthread_mutex_lock(&c->wmu);
    int had_queue = c->qhead != NULL, rc;
    if (c->fd < 0 && rb_expendable(rb, node)) { /* it closed first: lost */
        pthread_mutex_unlock(&c->wmu);
        free(buf);
        rb_lose(rb, node, "its connection closed");
        return PS_OK;
    } else if (c->fd < 0) {
        free(buf);
        rc = ps_err_set(err, "connection %s is closed", c->name);
    } else if (view_len) {
        rc = ps_conn_send_spliced(c, (uint32_t)to, PS_WIRE_MSG, buf, len, at, view, view_len,
                                  why, sizeof why) ? PS_ERR : PS_OK;
    } else {
        rc = ps_conn_enqueue(c, (uint32_t)to, PS_WIRE_MSG, buf, len, why, sizeof why);
    }
    if (rc == PS_OK && c->qhead && !had_queue)
        rb_set_out_interest(rb, c, 1);
    /* Back-pressure: the queue is bounded; wait for the loop to drain it. */
    while (rc == PS_OK && c->fd >= 0 && c->queued > rb->p.send_limit && !rb->failed) {
        if (rb->inline_mode) {
            pthread_mutex_unlock(&c->wmu);
            rb_poll(rb, 100);
            pthread_mutex_lock(&c->wmu);
        } else {
            struct timespec ts = rb_abstime(0.1);
            pthread_cond_timedwait(&c->wcv, &c->wmu, &ts);
        }
    }
    /* Closed with bytes still queued: they will never arrive. (Closed after all
     * was written is a peer that got its message and finished.) */
    if (rc == PS_OK && c->fd < 0 && c->qhead && !(rb->dead && rb->dead[node]))
        rc = ps_err_set(err, "sending %s: the connection closed with %zu bytes unsent", c->name,
                        c->queued);
    pthread_mutex_unlock(&c->wmu);
    if (rc == PS_ERR && why[0] && !err->msg[0])
        ps_err_set(err, "sending %s: %s", c->name, why);
    return rc == PS_ERR ? rb_send_failed(rb, node, err) : rc;
}

static int rb_send(ps_backend *be, int to, void *buf, size_t len, ps_err *err)
{
    return rb_send_message(rb_of(be), to, buf, len, len, NULL, 0, err);
}

static int rb_send_spliced(ps_backend *be, int to, void *head, size_t head_len, size_t at,
                           const void *view, size_t view_len, ps_err *err)
{
    return rb_send_message(rb_of(be), to, head, head_len, at, view, view_len, err);
}

/* ---- receiving ---- */

static double rb_now(ps_backend *be) { return ps_net_now() - rb_of(be)->t0; }

static int rb_recv(ps_backend *be, double timeout_s, void **buf, size_t *len, ps_err *err)
{
    real_be *rb = rb_of(be);
    int self = tl_self;
    rb_mailbox *m = &rb->mbox[self];
    double deadline = timeout_s < 0 ? -1 : ps_net_now() + timeout_s;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        rb_item *it = rb_take(m);
        if (it) {
            pthread_mutex_unlock(&m->mu);
            *buf = it->buf;
            *len = it->len;
            free(it);
            return PS_OK;
        }
        if (rb->failed) {
            pthread_mutex_unlock(&m->mu);
            return ps_err_set(err, "%s", rb->fail_msg);
        }
        if (atomic_load(&rb->interrupt_pending)) {
            pthread_mutex_unlock(&m->mu);
            rb_forward_interrupt(rb);
            pthread_mutex_lock(&m->mu);
            continue;
        }
        double left = deadline < 0 ? 1.0 : deadline - ps_net_now();
        if (left <= 0) {
            pthread_mutex_unlock(&m->mu);
            return PS_TIMEOUT;
        }
        if (rb->inline_mode) { /* the loop checks the beats at least once a beat */
            double cap = rb_beat_interval(rb);
            pthread_mutex_unlock(&m->mu);
            rb_poll(rb, (int)((left > cap ? cap : left) * 1000) + 1);
            pthread_mutex_lock(&m->mu);
        } else {
            struct timespec ts = rb_abstime(left > 1.0 ? 1.0 : left);
            pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        }
    }
}

/* ---- the rest of the ops ---- */

static int rb_self(ps_backend *be)
{
    (void)be;
    return tl_self;
}
static void rb_compute(ps_backend *be, double flops)
{
    (void)be;
    (void)flops; /* the math really ran: wall time already passed */
}
static void rb_disk(ps_backend *be, size_t bytes, int is_write)
{
    (void)be;
    (void)bytes;
    (void)is_write; /* the store did the I/O itself */
}
static void rb_sleep(ps_backend *be, double s)
{
    (void)be;
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

typedef struct rb_thread_arg {
    real_be *rb;
    const ps_actor_spec *spec;
} rb_thread_arg;

static void *rb_actor_thread(void *p)
{
    rb_thread_arg *a = p;
    tl_self = a->spec->id;
    a->spec->main(&a->rb->base, a->spec->arg);
    pthread_mutex_lock(&a->rb->mu);
    a->rb->live_actors--;
    pthread_mutex_unlock(&a->rb->mu);
    uint64_t one = 1;
    ssize_t w = write(a->rb->wake_fd, &one, sizeof one);
    (void)w;
    return NULL;
}

/* Flushes every send queue, then says goodbye on each connection, so that peers
 * see our EOF as a clean exit. Skipped after a failure: then peers must notice. */
static void rb_say_goodbye(real_be *rb)
{
    double deadline = ps_net_now() + rb->p.timeout_s;
    for (int r = 0; r < rb->p.n_nodes; r++) {
        ps_conn *c = rb->out[r];
        if (!c || c->fd < 0)
            continue;
        char why[300];
        pthread_mutex_lock(&c->wmu);
        int rc = ps_conn_enqueue(c, 0, PS_WIRE_BYE, NULL, 0, why, sizeof why);
        pthread_mutex_unlock(&c->wmu);
        ps_net_set_nonblocking(c->fd, 0);
        while (rc == PS_OK && c->qhead && ps_net_now() < deadline) {
            pthread_mutex_lock(&c->wmu);
            rc = ps_conn_flush(c, why, sizeof why);
            pthread_mutex_unlock(&c->wmu);
        }
        shutdown(c->fd, SHUT_WR);
    }
}

/* After a failure: tells every peer, on every connection, which node this one
 * blames, so that each can name the first node lost; best effort within a second
 * (a peer that reads nothing then sees only our end of stream, and blames us). */
static void rb_say_abort(real_be *rb)
{
    double deadline = ps_net_now() + (rb->p.timeout_s < 1 ? rb->p.timeout_s : 1.0);
    int n = rb->p.n_nodes + rb->n_in;
    for (int i = 0; i < n; i++) {
        ps_conn *c = i < rb->p.n_nodes ? rb->out[i] : rb->in[i - rb->p.n_nodes];
        if (!c || c->fd < 0 || !c->member)
            continue;
        char why[300];
        pthread_mutex_lock(&c->wmu);
        int rc = ps_conn_enqueue(c, (uint32_t)rb->blame, PS_WIRE_ABORT, NULL, 0, why, sizeof why);
        while (rc == PS_OK && c->qhead && ps_net_now() < deadline) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            if (poll(&pfd, 1, 10) > 0)
                rc = ps_conn_flush(c, why, sizeof why);
        }
        pthread_mutex_unlock(&c->wmu);
        shutdown(c->fd, SHUT_WR);
    }
}

static int rb_launch(ps_backend *be, const ps_actor_spec *actors, int n, ps_err *err)
{
    real_be *rb = rb_of(be);
    rb->n_actors = n;
    rb->actor_node = calloc((size_t)n, sizeof *rb->actor_node);
    rb->mbox = calloc((size_t)n, sizeof *rb->mbox);
    rb_thread_arg *args = calloc((size_t)n, sizeof *args);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (!rb->actor_node || !rb->mbox || !args || !th) {
        free(args);
        free(th);
        return ps_err_set(err, "out of memory for %d actors", n);
    }
    int local = 0, last = -1;
    for (int i = 0; i < n; i++) {
        if (actors[i].node < 0 || actors[i].node >= rb->p.n_nodes) {
            free(args);
            free(th);
            return ps_err_set(err, "actor %s is on node %d, but the cluster has %d nodes",
                              actors[i].name, actors[i].node, rb->p.n_nodes);
        }
        rb->actor_node[actors[i].id] = actors[i].node;
        pthread_mutex_init(&rb->mbox[i].mu, NULL);
        pthread_cond_init(&rb->mbox[i].cv, NULL);
        if (actors[i].node == rb->p.rank) {
            local++;
            last = i;
        }
    }
    rb->live_actors = local;
    if (!rb->p.keep_signals)
        ps_interrupt_install(rb->wake_fd);
    if (local == 1) {
        rb->inline_mode = 1;
        tl_self = actors[last].id;
        actors[last].main(be, actors[last].arg);
    } else if (local > 1) {
        int started = 0;
        for (int i = 0; i < n; i++) {
            if (actors[i].node != rb->p.rank)
                continue;
            args[i] = (rb_thread_arg){.rb = rb, .spec = &actors[i]};
            if (pthread_create(&th[i], NULL, rb_actor_thread, &args[i]) == 0)
                started++;
            else
                rb_fail(rb, rb->p.rank, "cannot start an actor thread");
        }
        for (;;) {
            pthread_mutex_lock(&rb->mu);
            int live = rb->live_actors - (local - started);
            pthread_mutex_unlock(&rb->mu);
            if (live <= 0)
                break;
            rb_poll(rb, (int)(rb_beat_interval(rb) * 1000 < 200 ? rb_beat_interval(rb) * 1000 : 200) + 1);
        }
        for (int i = 0; i < n; i++)
            if (actors[i].node == rb->p.rank && args[i].rb)
                pthread_join(th[i], NULL);
    }
    if (!rb->p.keep_signals)
        ps_interrupt_uninstall();
    if (!rb->failed)
        rb_say_goodbye(rb);
    else
        rb_say_abort(rb);
    free(args);
    free(th);
    return PS_OK;
}

static void rb_destroy(ps_backend *be)
{
    real_be *rb = rb_of(be);
    rb_beats_stop(rb);
    for (int r = 0; rb->out && r < rb->p.n_nodes; r++)
        if (rb->out[r]) {
            ps_conn_close(rb->out[r]);
            ps_conn_free(rb->out[r]);
        }
    for (int i = 0; i < rb->n_in; i++) {
        ps_conn_close(rb->in[i]);
        ps_conn_free(rb->in[i]);
    }
    for (int i = 0; rb->mbox && i < rb->n_actors; i++) {
        rb_item *it;
        while ((it = rb_take(&rb->mbox[i]))) {
            free(it->buf);
            free(it);
        }
        pthread_mutex_destroy(&rb->mbox[i].mu);
        pthread_cond_destroy(&rb->mbox[i].cv);
    }
    if (rb->listen_fd >= 0)
        close(rb->listen_fd);
    if (rb->epfd >= 0)
        close(rb->epfd);
    if (rb->wake_fd >= 0)
        close(rb->wake_fd);
    pthread_mutex_destroy(&rb->mu);
    free(rb->beat_conns);
    free(rb->dead);
    free(rb->in);
    free(rb->out);
    free(rb->peers);
    free(rb->mbox);
    free(rb->actor_node);
    free(rb);
}

static int rb_wake(ps_backend *be, int to, ps_err *err)
{
    real_be *rb = rb_of(be);
    if (to < 0 || to >= rb->n_actors || rb->actor_node[to] != rb->p.rank)
        return ps_err_set(err, "real: wake of actor %d, which is not on node %d", to, rb->p.rank);
    rb_mailbox *m = &rb->mbox[to];
    pthread_mutex_lock(&m->mu);
    m->wakes++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return PS_OK;
}

static int rb_wait_wakes(ps_backend *be, int n, ps_err *err)
{
    real_be *rb = rb_of(be);
    rb_mailbox *m = &rb->mbox[tl_self];
    pthread_mutex_lock(&m->mu);
    while (m->wakes < n && !rb->failed) {
        struct timespec ts; /* a bounded wait, so that a failure is noticed */
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&m->cv, &m->mu, &ts);
    }
    int ok = m->wakes >= n;
    if (ok)
        m->wakes -= n;
    pthread_mutex_unlock(&m->mu);
    return ok ? PS_OK : ps_err_set(err, "%s", rb->fail_msg);
}

static void rb_crash(ps_backend *be)
{
    (void)be;
    fflush(NULL);
    raise(SIGKILL);
}

static void rb_fail_node(ps_backend *be, const char *why)
{
    rb_fail((real_be *)be, ((real_be *)be)->p.rank, why);
}

static int rb_lost_node(ps_backend *be)
{
    real_be *rb = rb_of(be);
    pthread_mutex_lock(&rb->mu);
    int lost = rb->failed && rb->blame >= 0 && rb->blame != rb->p.rank ? rb->blame : -1;
    pthread_mutex_unlock(&rb->mu);
    return lost;
}

static const ps_backend_ops real_ops = {
    .name = "real",
    .launch = rb_launch,
    .self = rb_self,
    .send = rb_send,
    .send_spliced = rb_send_spliced,
    .recv = rb_recv,
    .now = rb_now,
    .compute = rb_compute,
    .disk = rb_disk,
    .sleep = rb_sleep,
    .crash = rb_crash,
    .fail = rb_fail_node,
    .lost_node = rb_lost_node,
    .wake = rb_wake,
    .wait_wakes = rb_wait_wakes,
    .destroy = rb_destroy,
};

int ps_real_backend_set_expendable(ps_backend *be, int from, ps_err *err)
{
    real_be *rb = (real_be *)be;
    if (from <= 0)
        return PS_OK;
    if (!(rb->dead = calloc((size_t)rb->p.n_nodes, 1)))
        return ps_err_set(err, "out of memory");
    rb->expendable_from = from;
    return PS_OK;
}

int ps_real_backend_stalled_node(const ps_backend *be)
{
    return be && be->ops == &real_ops ? ((const real_be *)be)->stalled_node : -1;
}

/* Registers an accepted, already-identified connection (a join) with the loop. */
static int rb_adopt_in(real_be *rb, int fd, int rank, ps_err *err)
{
    ps_conn *c = ps_conn_new(fd, rank, 0, rb->p.recv_staging);
    int cap = rb->cap_in ? 2 * rb->cap_in : 16;
    ps_conn **in = rb->n_in == rb->cap_in ? realloc(rb->in, (size_t)cap * sizeof *in) : rb->in;
    if (!c || !in) {
        if (c)
            ps_conn_free(c);
        close(fd);
        return ps_err_set(err, "out of memory");
    }
    if (rb->n_in == rb->cap_in) {
        rb->in = in;
        rb->cap_in = cap;
    }
    c->member = 1;
    snprintf(c->name, sizeof c->name, "from node %d (%s)", rank, c->addr_str);
    ps_net_set_nonblocking(fd, 1);
    rb->in[rb->n_in++] = c;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(rb->epfd, EPOLL_CTL_ADD, fd, &ev);
    return PS_OK;
}

int ps_real_backend_create(ps_backend **out, ps_real_params *p, char **config_text,
                           char **run_dir, ps_err *err)
{
    /* Large messages (dense pulls of millions of values) would otherwise be fresh
     * mmap()s, page-faulted on every use; keep them in the reusable heap. This is
     * for glibc's malloc (sanitized builds, -DPSLAB_WITH_JEMALLOC=OFF); jemalloc's
     * own settings are in engine/core/jemalloc_conf.c. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    if (p->rank == 0 && p->n_nodes < 2)
        return ps_err_set(err, "a real cluster needs at least 2 nodes, not %d", p->n_nodes);
    real_be *rb = calloc(1, sizeof *rb);
    if (!rb)
        return ps_err_set(err, "out of memory");
    rb->base.ops = &real_ops;
    rb->base.impl = rb;
    if (p->send_limit == 0)
        p->send_limit = 64u << 20;
    if (p->recv_staging == 0)
        p->recv_staging = 256u << 10;
    rb->listen_fd = rb->epfd = rb->wake_fd = -1;
    rb->blame = -1;
    pthread_mutex_init(&rb->mu, NULL);
    rb->t0 = p->start_time > 0 ? p->start_time : ps_net_now();
    rb->epfd = epoll_create1(EPOLL_CLOEXEC);
    rb->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    rb->p = *p;
    if (rb->epfd < 0 || rb->wake_fd < 0) {
        rb_destroy(&rb->base);
        return ps_err_set(err, "cannot set up the event loop: %s", strerror(errno));
    }
    int join_fd = -1, *join_fds = NULL, rc;
    if (p->rank == 0) {
        rb->listen_fd = p->listen_fd;
        rb->peers = calloc((size_t)p->n_nodes, sizeof *rb->peers);
        join_fds = calloc((size_t)p->n_nodes, sizeof *join_fds);
        rc = rb->peers && join_fds ? ps_rendezvous_host(p, rb->listen_fd, rb->peers, &rb->token,
                                                        join_fds, err)
                                   : ps_err_set(err, "out of memory");
    } else {
        rc = ps_rendezvous_join(p, &rb->listen_fd, &rb->peers, &rb->token, &join_fd, config_text,
                                run_dir, err);
        rb->p.n_nodes = p->n_nodes;
    }
    rb->out = rc == PS_OK ? calloc((size_t)rb->p.n_nodes, sizeof *rb->out) : NULL;
    if (rc == PS_OK && !rb->out)
        rc = ps_err_set(err, "out of memory");
    for (int r = 1; rc == PS_OK && join_fds && r < rb->p.n_nodes; r++) {
        rc = rb_adopt_in(rb, join_fds[r], r, err);
        join_fds[r] = -1;
    }
    for (int r = 1; join_fds && r < rb->p.n_nodes; r++)
        if (join_fds[r] >= 0)
            close(join_fds[r]);
    free(join_fds);
    if (rc) {
        if (join_fd >= 0)
            close(join_fd);
        rb_destroy(&rb->base);
        return PS_ERR;
    }
    ps_net_set_nonblocking(rb->listen_fd, 1);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &rb->listen_fd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &rb->wake_fd};
    epoll_ctl(rb->epfd, EPOLL_CTL_ADD, rb->listen_fd, &lev);
    epoll_ctl(rb->epfd, EPOLL_CTL_ADD, rb->wake_fd, &wev);
    if (join_fd >= 0) {
        /* The join connection carries this node's traffic to the coordinator's node. */
        ps_conn *c = ps_conn_new(join_fd, 0, 1, 0);
        if (!c) {
            close(join_fd);
            rb_destroy(&rb->base);
            return ps_err_set(err, "out of memory");
        }
        char as[32];
        snprintf(c->name, sizeof c->name, "to node 0 (%s)",
                 ps_net_addr_str(&p->coordinator, as, sizeof as));
        c->member = 1;
        ps_net_set_nonblocking(join_fd, 1);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(rb->epfd, EPOLL_CTL_ADD, join_fd, &ev);
        rb->out[0] = c;
    }
    /* the join connections: node 0's accepted ones, or this node's to node 0 */
    rb->beat_conns = calloc((size_t)rb->p.n_nodes, sizeof *rb->beat_conns);
    for (int i = 0; rb->beat_conns && i < rb->n_in; i++)
        rb->beat_conns[rb->n_beat_conns++] = rb->in[i];
    if (rb->beat_conns && rb->out[0])
        rb->beat_conns[rb->n_beat_conns++] = rb->out[0];
    rb_beats_start(rb);
    *out = &rb->base;
    return PS_OK;
}
