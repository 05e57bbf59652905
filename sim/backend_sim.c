/* The SimGrid backend (engine/core/backend.h over SimGrid 3.32's C API): engine actors
 * run as SimGrid actors on the platform's hosts, messages travel as SimGrid comms
 * sized by their true byte length, compute/disk/sleep advance simulated time.
 *
 * Sends are eager like TCP with buffers: every actor is the permanent receiver of
 * its mailboxes, so a transfer starts when the message is sent and completes
 * without the receiver's help; a send never waits for the receiver. An actor has
 * several mailboxes, received from in the order one would give (see ps__put).
 * The rest of this file exists because of how SimGrid 3.32 keeps unfinished comms (measured with
 * bench/raw_simgrid_ps.c, whose "postman" mode is this design):
 *  - CommImpl::finish() removes the comm from std::lists with std::list::remove, a
 *    full scan, on every completion: detached comms sit in one engine-wide list (so
 *    put_init + detach costs O(messages in flight) per message: 1,900 msg/s at 1000
 *    hosts), other comms in the list of the actor that started them, scanned again
 *    by each of that actor's own receives, executions and waits. (3.34 made it a set.)
 *  - That list is cleaned only when the starting actor *waits* for the comm; a
 *    successful sg_comm_test leaves it there for good.
 * So an actor starts up to PS__DIRECT_MAX sends itself and reclaims them with a
 * wait-any on {oldest send, its pending receive} while it is blocked anyway; beyond
 * that, sends are started by a helper actor on the same host at the same simulated
 * instant (its "postman") that never waits, so nothing ever scans its list; a
 * postman retires after PS__POSTMAN_SENDS sends and exits once they are all
 * reclaimed, which frees its list at once. A server answering 950 workers thus costs
 * O(1) per message instead of O(950).
 * Waits go through sg_comm_wait_any / sg_comm_wait_all_for, never sg_comm_wait: the
 * latter, called by an actor that is neither end of a comm (a postman's send),
 * overwrites the receiver's timeout action.
 * Timed faults (fault.slow, fault.link_down) are sim/fault_sim.c's; a link down holds
 * the messages that would cross it (ps__hold). Not handled: SimGrid's own host and
 * link failures, whose failed comms are C++ exceptions that the C API's wait-any
 * lets through, aborting the process; an injected crash is the engine's
 * (fault.crash). */
#include "sim/backend_sim.h"
#include "sim/fault_sim.h"
#include "sim/host_order.h"
#include "sim/map_budget.h"
#include "engine/core/interrupt.h"
#include "engine/ps/msg.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/disk.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <xbt/log.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Measured at 1000 hosts: 16/64 runs as fast as 32/256 (within this VM's noise) and
 * peaks at 190 MB instead of 330 MB for 100 iterations, since a postman's list keeps
 * its comms alive until it exits. */
#define PS__DIRECT_MAX 16         /* an actor's own unreclaimed sends (its list length) */
#define PS__POSTMAN_SENDS 64      /* sends a postman starts before it retires */
#define PS__RECLAIM_AT 64         /* reclaim finished sends without a receive past this many */
#define PS__PEND_MAX 65536        /* a send past this many unreclaimed waits for the oldest */
#define PS__POSTMAN_STACK (128 * 1024)

/* Settings applied before the user's own --cfg (which override them).
 * crosstraffic: LV08 also loads every flow onto the links of the reverse route at 5%
 * of its rate (TCP acks), doubling the max-min solver's work per flow; without it a
 * bulk-synchronous run at 1000 hosts goes 10-15% faster and its simulated time is
 * 2-4% shorter. The default model (LV08) and raw contexts are kept: CM02 was barely
 * faster and is less realistic, ucontext 15% slower. */
static const char *const ps__default_cfg[] = {"--cfg=network/crosstraffic:0"};
#define PS__DEFAULT_LOG "--log=root.thres:warning"

/* What travels in a comm: the engine's buffer and its true length. Envelopes come
 * from chunks and go back to a free list, so that the run's end can find and free
 * those never received (comms that are not detached have no clean function). A
 * list of live envelopes did that too, but each receive then wrote to two other
 * envelopes, both long out of cache at 1000 hosts (0.5% of the run). */
typedef struct ps__env {
    void *buf; /* NULL: free */
    size_t len;
    struct ps__env *next_free;
} ps__env;

#define PS__ENV_CHUNK 4096

typedef struct ps__env_pool {
    ps__env **chunks;
    size_t n_chunks, cap_chunks;
    ps__env *free;
} ps__env_pool;

/* A FIFO of fixed-size elements that grows by doubling. */
typedef struct ps__ring {
    unsigned char *mem;
    size_t esize, head, n, cap;
} ps__ring;

struct ps__actor;
typedef struct ps__postman {
    struct ps__actor *owner;
    sg_sem_t wake;
    int idle, retiring, quit;
    unsigned issued, reclaimed;
    struct ps__postman *prev, *next; /* the backend's list, to free killed ones */
} ps__postman;

typedef struct ps__pend { /* a started send, not yet reclaimed */
    sg_comm_t comm;
    ps__postman *by; /* NULL: started by the actor itself */
} ps__pend;

typedef struct ps__out { /* a send queued for the postman */
    int to;
    ps__env *env;
    size_t len; /* the envelope's, so that the postman need not load it (a miss) */
} ps__out;

typedef struct ps__sim ps__sim;
typedef struct ps__actor {
    ps__sim *sim;
    ps_actor_spec spec;
    sg_host_t host;
    sg_disk_t disk; /* first disk of the host, or NULL */
    ps__ring pend, outq;
    ps__postman *post;
    unsigned direct;  /* unreclaimed sends started by the actor itself */
    unsigned sends_since_reclaim;
    sg_comm_t rx;     /* pending receive, kept across a timed-out recv */
    void *rx_data;    /* where SimGrid writes the received envelope */
    sg_sem_t wakes;   /* its node-local wake-ups (made at the first use) */
    ps__ring arrivals; /* the shard of every message put to it and not received, in put order */
    unsigned promised; /* sends to it not yet put: room kept in arrivals */
    int listening;     /* its pending receive, on shard 0, awaits the next put */
    struct ps__holder *holder; /* its sends held by a link down, or NULL */
} ps__actor;

struct ps__sim {
    ps_backend be; /* be.impl points back here */
    sg_host_t *hosts;
    size_t n_hosts;
    ps__actor *actors;
    int n_actors;
    int shards;          /* mailboxes per actor (see ps__put) */
    sg_mailbox_t *mbox;  /* actor id * shards + shard, named by ps__mbox_name */
    ps__env_pool envs;
    ps__postman postmen; /* sentinel of the postmen not yet freed */
    int launched;
    FILE *pattern; /* PSLAB_SIM_PATTERN: every send and compute, for bench/raw_simgrid_ps */
    /* Write-behind (ps_sim_set_write_behind): per host, bytes written but not yet on
     * its disk and when that was last brought up to date; 0 limit: writes block. */
    double write_behind, *dirty, *dirty_at;
    ps_simf faults; /* fault.slow, fault.link_down (ps_sim_set_faults) */
    ps_map_budget maps; /* actors' stacks against vm.max_map_count */
    int postmen_refused; /* the map budget stopped making postmen (said once) */
};

/* The message pattern of a run, for bench/raw_simgrid_ps --pattern to replay the
 * same sizes and flops: after an 8-byte magic, records of (from actor, to actor or
 * PS__PATTERN_COMPUTE, bytes or flops), in the order the simulation made them. */
#define PS__PATTERN_MAGIC "PSPAT1\n"
#define PS__PATTERN_COMPUTE UINT32_MAX
typedef struct ps__pattern_rec {
    uint32_t from, to;
    double value;
} ps__pattern_rec;

static void ps__pattern_note(ps__sim *sim, int from, uint32_t to, double value)
{
    ps__pattern_rec r = {(uint32_t)from, to, value};
    if (sim->pattern && fwrite(&r, sizeof r, 1, sim->pattern) != 1) {
        fprintf(stderr, "pslab: sim: writing the message pattern failed: %s; not recording it\n",
                strerror(errno));
        fclose(sim->pattern);
        sim->pattern = NULL;
    }
}

static int ps__simgrid_initialised;

/* ---- rings ---- */

static int ps__ring_reserve(ps__ring *r, size_t need)
{
    if (need <= r->cap)
        return PS_OK;
    size_t cap = r->cap ? r->cap : 64;
    while (cap < need)
        cap *= 2;
    unsigned char *m = malloc(cap * r->esize);
    if (!m)
        return PS_ERR;
    for (size_t i = 0; i < r->n; i++)
        memcpy(m + i * r->esize, r->mem + ((r->head + i) % r->cap) * r->esize, r->esize);
    free(r->mem);
    r->mem = m, r->cap = cap, r->head = 0;
    return PS_OK;
}

/* The caller reserved room. */
static void ps__ring_push(ps__ring *r, const void *e)
{
    memcpy(r->mem + ((r->head + r->n++) % r->cap) * r->esize, e, r->esize);
}

static void *ps__ring_front(const ps__ring *r) { return r->mem + r->head * r->esize; }

static void ps__ring_pop(ps__ring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->n--;
}

/* ---- actors and postmen ---- */

static ps__actor *ps__self_actor(ps__sim *sim)
{
    sg_actor_t me = sg_actor_self();
    ps__actor *a = me ? sg_actor_get_data(me) : NULL;
    /* Postmen carry other data; only engine actors live in this array. */
    uintptr_t p = (uintptr_t)a, lo = (uintptr_t)sim->actors, hi = (uintptr_t)(sim->actors + sim->n_actors);
    return a && sim->actors && p >= lo && p < hi ? a : NULL;
}

static void ps__postman_free(ps__postman *p)
{
    p->prev->next = p->next;
    p->next->prev = p->prev;
    sg_sem_destroy(p->wake);
    free(p);
}

/* Bookkeeping once the oldest started send is reclaimed: a retired postman whose
 * sends are all reclaimed may exit (it holds no unfinished comm to cancel). */
static void ps__reclaimed(ps__actor *a)
{
    ps__postman *p = ((ps__pend *)ps__ring_front(&a->pend))->by;
    ps__ring_pop(&a->pend);
    if (!p) {
        a->direct--;
    } else if (++p->reclaimed == p->issued && p->retiring) {
        p->quit = 1;
        sg_sem_release(p->wake);
    }
}

/* Blocks until the oldest send is delivered (never on its receiver). */
static void ps__reclaim_oldest(ps__actor *a)
{
    sg_comm_t c = ((ps__pend *)ps__ring_front(&a->pend))->comm;
    sg_comm_wait_any(&c, 1);
    ps__reclaimed(a);
}

/* Reclaims the sends already delivered, oldest first, without blocking. */
static void ps__reclaim_finished(ps__actor *a)
{
    while (a->pend.n > 0) {
        sg_comm_t c = ((ps__pend *)ps__ring_front(&a->pend))->comm;
        if (sg_comm_wait_all_for(&c, 1, 0.0) != 1)
            break;
        ps__reclaimed(a);
    }
}

/* Every message goes through ps__put. SimGrid 3.32 keeps a mailbox's queue in a
 * boost::circular_buffer, whose erase shifts every element behind the one taken:
 * a server whose one mailbox held the messages of 2,375 workers paid O(2,375) per
 * receive (a deque since 3.35). So each actor has `shards` mailboxes (about
 * sqrt(actors)/2), and its `arrivals` ring notes the shard of every message put to
 * it, in put order, so that it always receives the oldest one, from its shard:
 * what one mailbox would have given it, so the simulation is the same. A sender
 * uses its own shard (id mod shards), except that a receive posted while nothing
 * was due (ps__post_rx) is matched by the next put, on shard 0, as one mailbox's
 * pending receive would be. The bookkeeping adds no simcall: the order of every
 * actor's simcalls, and so the simulation, is as with one mailbox. */
static sg_comm_t ps__put(ps__sim *sim, int from, int to, ps__env *e, size_t len)
{
    ps__actor *d = &sim->actors[to];
    int k = d->listening ? 0 : from % sim->shards;
    /* Noted before the put's simcall, which lets other actors run: the receiver
     * then finds the arrival of every put already made, in order. */
    d->listening = 0;
    ps__ring_push(&d->arrivals, &k); /* room was kept when the send was made */
    if (d->promised)
        d->promised--;
    return sg_mailbox_put_async(sim->mbox[(size_t)to * sim->shards + k], e, (long)len);
}

/* Posts a's receive, unless one is pending: of the oldest message put to it, or,
 * with none due, of the next one (see ps__put). Its arrival is popped once it is
 * received. */
static void ps__post_rx(ps__actor *a)
{
    if (a->rx)
        return;
    int k = 0;
    if (a->arrivals.n)
        k = *(int *)ps__ring_front(&a->arrivals);
    else
        a->listening = 1;
    a->rx_data = NULL;
    a->rx = sg_mailbox_get_async(a->sim->mbox[(size_t)a->spec.id * a->sim->shards + k], &a->rx_data);
}

/* Starts the owner's queued sends in order; retires once past its quota. An entry
 * leaves the queue only once started, so the owner never starts a later message
 * directly before it (see ps__send). */
static void ps__postman_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    ps__postman *p = sg_actor_self_get_data();
    ps__actor *a = p->owner;
    while (!p->quit) {
        sg_sem_acquire(p->wake);
        while (!p->quit && a->outq.n > 0) {
            ps__out o = *(ps__out *)ps__ring_front(&a->outq);
            ps__pend e = {ps__put(a->sim, a->spec.id, o.to, o.env, o.len), p};
            ps__ring_push(&a->pend, &e);
            ps__ring_pop(&a->outq);
            p->issued++;
        }
        p->idle = 1;
        if (p->issued >= PS__POSTMAN_SENDS && a->post == p) {
            a->post = NULL; /* the owner's next queued send makes a new one */
            p->retiring = 1;
            if (p->reclaimed == p->issued)
                p->quit = 1;
        }
    }
    ps__postman_free(p);
}

/* NULL when out of memory or of mappings for its stack: the owner then starts its
 * sends itself, at more wall cost per send; its sends then start a scheduling round
 * earlier than a postman's would, which can order messages of one instant
 * otherwise. Where that begins is a function of vm.max_map_count and the run
 * (ps_map_budget_room), so reruns on one machine give the same files. */
static ps__postman *ps__postman_new(ps__actor *a)
{
    if (!ps_map_budget_room(&a->sim->maps, sg_actor_count())) {
        if (!a->sim->postmen_refused++)
            fprintf(stderr, "pslab: sim: vm.max_map_count (%ld) leaves no room for more helper "
                    "actors: actors start their sends themselves from here on (more wall "
                    "cost; messages sent at one instant may be ordered otherwise than with a "
                    "higher vm.max_map_count)\n", a->sim->maps.limit);
        return NULL;
    }
    ps__postman *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->owner = a;
    p->idle = 1;
    p->wake = sg_sem_init(0);
    p->next = a->sim->postmen.next;
    p->prev = &a->sim->postmen;
    p->next->prev = p;
    p->prev->next = p;
    sg_actor_t act = sg_actor_init("ps.postman", a->host);
    sg_actor_set_stacksize(act, PS__POSTMAN_STACK);
    sg_actor_set_data(act, p);
    sg_actor_start_(act, ps__postman_main, 0, NULL);
    /* Killed at the end of the run if still waiting for work. */
    sg_actor_daemonize(act);
    return p;
}

static ps__env *ps__env_take(ps__env_pool *p)
{
    if (!p->free) {
        if (p->n_chunks == p->cap_chunks) {
            size_t cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
            ps__env **c = realloc(p->chunks, cap * sizeof *c);
            if (!c)
                return NULL;
            p->chunks = c;
            p->cap_chunks = cap;
        }
        ps__env *chunk = calloc(PS__ENV_CHUNK, sizeof *chunk);
        if (!chunk)
            return NULL;
        p->chunks[p->n_chunks++] = chunk;
        for (size_t i = PS__ENV_CHUNK; i-- > 0;) {
            chunk[i].next_free = p->free;
            p->free = &chunk[i];
        }
    }
    ps__env *e = p->free;
    p->free = e->next_free;
    return e;
}

static void ps__env_give(ps__env_pool *p, ps__env *e)
{
    e->buf = NULL;
    e->next_free = p->free;
    p->free = e;
}

/* Frees the buffers of envelopes never received, and the pool. */
static void ps__env_pool_free(ps__env_pool *p)
{
    for (size_t c = 0; c < p->n_chunks; c++) {
        for (size_t i = 0; i < PS__ENV_CHUNK; i++)
            free(p->chunks[c][i].buf);
        free(p->chunks[c]);
    }
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

/* After the engine's code returns: every send must be delivered before the actor
 * ends, since SimGrid cancels an ending actor's unfinished comms. A receive left
 * pending by a timed-out recv is kept until something lands in it (then dropped, as
 * a closed socket would), so that a sender is never failed by our exit. */
static void ps__actor_end(ps__actor *a)
{
    while (a->outq.n > 0)
        sg_actor_yield(); /* lets the postman start what is queued */
    while (a->pend.n > 0)
        ps__reclaim_oldest(a);
    if (a->post) {
        a->post->quit = 1;
        sg_sem_release(a->post->wake);
        a->post = NULL;
    }
    if (a->rx) {
        sg_actor_daemonize(sg_actor_self());
        /* The call owns the reference from here, also if the end of the run kills
         * this daemon inside it. */
        sg_comm_t rx = a->rx;
        a->rx = NULL;
        sg_comm_wait_any(&rx, 1);
        ps__env *e = a->rx_data;
        free(e->buf);
        ps__env_give(&a->sim->envs, e);
    }
}

static void ps__mbox_name(char *name, size_t n, size_t actor, int shard)
{
    snprintf(name, n, "ps.mb.%zu.%d", actor, shard);
}

static void ps__actor_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    ps__actor *a = sg_actor_self_get_data();
    /* Before any send of the run: every actor's first simcall is this one. */
    for (int k = 0; k < a->sim->shards; k++) {
        char name[48];
        ps__mbox_name(name, sizeof name, (size_t)a->spec.id, k);
        sg_mailbox_set_receiver(name);
    }
    a->spec.main(&a->sim->be, a->spec.arg);
    ps__actor_end(a);
}

/* ---- backend operations ---- */

static int ps__send(ps_backend *be, int to, void *buf, size_t len, ps_err *err);

/* A signal asked the run to stop (backend.h): the first actor to call in after it
 * tells the coordinator. A handler may not touch SimGrid; an actor may. */
static void ps__forward_interrupt(ps__sim *sim, ps__actor *a)
{
    int sig = ps_interrupt_take();
    size_t len;
    void *buf = sig ? ps_msg_new_interrupt((uint32_t)a->spec.id, sig, &len) : NULL;
    ps_err ignored;
    if (buf)
        ps__send(&sim->be, 0, buf, len, &ignored);
}

/* ---- sends held by a link down (fault.link_down) ---- */

/* An actor's held sends and the actor on its host that starts each once its link is
 * up again (and waits for them: an ending actor's unfinished comms are cancelled).
 * A send of a pair with one held waits behind it, so that each pair stays FIFO. */
typedef struct ps__held {
    int to;
    ps__env *env;
    size_t len;
    double at; /* when it may leave */
} ps__held;

typedef struct ps__holder {
    ps__actor *owner;
    ps__held *items;
    size_t n, cap;
    sg_sem_t wake; /* a new item, maybe earlier than the one it sleeps for */
} ps__holder;

static void ps__holder_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    ps__holder *h = sg_actor_self_get_data();
    ps__sim *sim = h->owner->sim;
    sg_comm_t *comms = NULL;
    size_t n_comms = 0, cap_comms = 0;
    while (h->n > 0) {
        double now = simgrid_get_clock(), first = INFINITY;
        size_t kept = 0;
        for (size_t i = 0; i < h->n; i++) { /* in order: those due leave, the rest stay */
            ps__held *it = &h->items[i];
            if (it->at > now) {
                first = it->at < first ? it->at : first;
                h->items[kept++] = *it;
                continue;
            }
            sg_comm_t *c = n_comms < cap_comms ? comms
                           : realloc(comms, (cap_comms ? 2 * cap_comms : 16) * sizeof *c);
            if (c && n_comms == cap_comms) {
                comms = c;
                cap_comms = cap_comms ? 2 * cap_comms : 16;
            } else if (!c) { /* out of memory: wait for those started, one at a time */
                sg_comm_wait_all(comms, n_comms);
                n_comms = 0;
                if (!cap_comms) {
                    sg_comm_t one = ps__put(sim, h->owner->spec.id, it->to, it->env, it->len);
                    sg_comm_wait_all(&one, 1);
                    continue;
                }
            }
            comms[n_comms++] = ps__put(sim, h->owner->spec.id, it->to, it->env, it->len);
        }
        h->n = kept;
        if (kept)
            sg_sem_acquire_timeout(h->wake, first - now);
    }
    h->owner->holder = NULL; /* later sends go straight again */
    if (n_comms)
        sg_comm_wait_all(comms, n_comms);
    free(comms);
    free(h->items);
    sg_sem_destroy(h->wake);
    free(h);
}

/* Holds the send of e to `to` if a link down lies on its route, or one of the same
 * pair is held; 1: held (e is the holder's), 0: send it now, -1: out of memory. */
static int ps__hold(ps__sim *sim, ps__actor *a, int to, ps__env *e, size_t len)
{
    ps__holder *h = a->holder;
    double now = simgrid_get_clock(), at = 0;
    for (size_t i = 0; h && i < h->n; i++)
        if (h->items[i].to == to && h->items[i].at > at)
            at = h->items[i].at;
    double down = sim->faults.n_down ? ps_simf_down_until(&sim->faults, a->host,
                                                          sim->actors[to].host, now) : 0;
    at = down > at ? down : at;
    if (at <= 0)
        return 0;
    int fresh = !h;
    if (fresh && !(h = calloc(1, sizeof *h)))
        return -1;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        ps__held *items = realloc(h->items, cap * sizeof *items);
        if (!items) {
            if (fresh)
                free(h);
            return -1;
        }
        h->items = items;
        h->cap = cap;
    }
    h->items[h->n++] = (ps__held){to, e, len, at};
    if (!fresh) {
        sg_sem_release(h->wake);
        return 1;
    }
    /* started with its first item: a new actor may run before its creator goes on */
    h->owner = a;
    h->wake = sg_sem_init(0);
    a->holder = h;
    sg_actor_t act = sg_actor_init("ps.held", a->host);
    sg_actor_set_stacksize(act, PS__POSTMAN_STACK);
    sg_actor_set_data(act, h);
    sg_actor_start_(act, ps__holder_main, 0, NULL);
    return 1;
}

static int ps__send(ps_backend *be, int to, void *buf, size_t len, ps_err *err)
{
    ps__sim *sim = be->impl;
    ps__actor *a = ps__self_actor(sim);
    if (!a) {
        free(buf);
        return ps_err_set(err, "sim: send called outside a simulated actor");
    }
    ps__forward_interrupt(sim, a);
    if (to < 0 || to >= sim->n_actors) {
        free(buf);
        return ps_err_set(err, "sim: actor %d sends to actor %d, but actors are 0..%d", a->spec.id, to,
                          sim->n_actors - 1);
    }
    if (!buf)
        return ps_err_set(err, "sim: actor %d sends a NULL buffer to actor %d", a->spec.id, to);
    /* Room for this send whichever way it goes, before anything is started. */
    ps__env *e = NULL;
    ps__actor *d = &sim->actors[to];
    if (ps__ring_reserve(&a->pend, a->pend.n + a->outq.n + 1) ||
        ps__ring_reserve(&a->outq, a->outq.n + 1) ||
        ps__ring_reserve(&d->arrivals, d->arrivals.n + d->promised + 1) ||
        !(e = ps__env_take(&sim->envs))) {
        free(buf);
        return ps_err_set(err, "sim: out of memory sending %zu bytes from actor %d", len, a->spec.id);
    }
    if (sim->pattern)
        ps__pattern_note(sim, a->spec.id, (uint32_t)to, (double)len);
    d->promised++;
    *e = (ps__env){buf, len, NULL};
    if (sim->faults.n_down || a->holder) {
        int held = ps__hold(sim, a, to, e, len);
        if (held < 0) {
            free(buf);
            ps__env_give(&sim->envs, e);
            return ps_err_set(err, "sim: out of memory holding a message of actor %d", a->spec.id);
        }
        if (held)
            return PS_OK;
    }
    /* An actor that seldom receives reclaims here: a finished check every
     * PS__RECLAIM_AT sends (a failed one costs a timer at the current instant), and
     * a wait for the oldest send when far too many are pending. */
    if (a->pend.n >= PS__RECLAIM_AT && ++a->sends_since_reclaim >= PS__RECLAIM_AT) {
        a->sends_since_reclaim = 0;
        ps__reclaim_finished(a);
    }
    if (a->pend.n >= PS__PEND_MAX)
        ps__reclaim_oldest(a);
    /* Queued sends go first (FIFO per pair); without a postman (out of memory) the
     * actor starts the send itself, which is only slower. */
    if (a->outq.n == 0 && (a->direct < PS__DIRECT_MAX || (!a->post && !(a->post = ps__postman_new(a))))) {
        ps__pend p = {ps__put(sim, a->spec.id, to, e, len), NULL};
        ps__ring_push(&a->pend, &p);
        a->direct++;
        return PS_OK;
    }
    ps__ring_push(&a->outq, &(ps__out){to, e, len});
    if (a->post->idle) {
        a->post->idle = 0;
        sg_sem_release(a->post->wake);
    }
    return PS_OK;
}

/* Waits for the pending receive, reclaiming delivered sends meanwhile. */
static void ps__wait_rx(ps__actor *a)
{
    while (a->pend.n > 0) {
        sg_comm_t c[2] = {((ps__pend *)ps__ring_front(&a->pend))->comm, a->rx};
        if (sg_comm_wait_any(c, 2) == 1)
            return;
        ps__reclaimed(a);
    }
    sg_comm_t rx = a->rx;
    sg_comm_wait_any(&rx, 1);
}

/* As ps__wait_rx with a timeout; 0 on timeout, the receive staying pending (a
 * receive abandoned on timeout could lose a message already on its way to it). The
 * C API's wait-any drops the comms' references on timeout; wait-all keeps them. */
static int ps__wait_rx_for(ps__actor *a, double timeout_s)
{
    if (a->pend.n >= PS__RECLAIM_AT)
        ps__reclaim_finished(a);
    sg_comm_t rx = a->rx;
    return sg_comm_wait_all_for(&rx, 1, timeout_s) == 1;
}

static int ps__recv(ps_backend *be, double timeout_s, void **buf, size_t *len, ps_err *err)
{
    ps__sim *sim = be->impl;
    ps__actor *a = ps__self_actor(sim);
    *buf = NULL;
    *len = 0;
    if (!a)
        return ps_err_set(err, "sim: recv called outside a simulated actor");
    ps__forward_interrupt(sim, a);
    ps__post_rx(a);
    if (timeout_s < 0)
        ps__wait_rx(a);
    else if (!ps__wait_rx_for(a, timeout_s))
        return PS_TIMEOUT;
    if (!a->arrivals.n) /* every put notes its arrival before it can complete */
        abort();
    ps__ring_pop(&a->arrivals);
    ps__env *e = a->rx_data;
    a->rx = NULL;
    a->rx_data = NULL;
    *buf = e->buf;
    *len = e->len;
    ps__env_give(&sim->envs, e);
    return PS_OK;
}

static int ps__self(ps_backend *be)
{
    ps__actor *a = ps__self_actor(be->impl);
    return a ? a->spec.id : -1;
}

static double ps__now(ps_backend *be)
{
    (void)be;
    return simgrid_get_clock();
}

/* fault.slow's .cpu: the flops done at FACTOR times the cost while a window is in
 * force, split at its ends (at the host's full speed: its sharing with the host's
 * other actors is SimGrid's, within each piece). */
static void ps__execute_slowed(ps__sim *sim, double flops)
{
    ps__actor *a = ps__self_actor(sim);
    double speed = a ? sg_host_get_speed(a->host) : 0;
    while (a && speed > 0 && flops > 0) {
        double now = simgrid_get_clock(), next;
        double x = ps_simf_factor(&sim->faults, PS_FAULT_SLOW_CPU, a->spec.node, now, &next);
        if (x == 1 && !isfinite(next))
            break;
        double room = (next - now) * speed; /* host flops before the factor changes */
        if (flops * x <= room || room <= 1) {
            sg_actor_execute(flops * x);
            return;
        }
        sg_actor_execute(room);
        flops -= room / x;
    }
    if (flops > 0)
        sg_actor_execute(flops);
}

static void ps__compute(ps_backend *be, double flops)
{
    ps__sim *sim = be->impl;
    if (sim->pattern) {
        ps__actor *a = ps__self_actor(sim);
        ps__pattern_note(sim, a ? a->spec.id : -1, PS__PATTERN_COMPUTE, flops);
    }
    if (flops > 0 && sim->faults.any_cpu)
        ps__execute_slowed(sim, flops);
    else if (flops > 0)
        sg_actor_execute(flops);
    if (ps_interrupt_pending) { /* the actor is looked up only then */
        ps__actor *a = ps__self_actor(sim);
        if (a)
            ps__forward_interrupt(sim, a);
    }
}

/* Reads block for their time on the disk. Writes, with write-behind, go to the
 * host's page cache and reach the disk in the background at its write bandwidth
 * (computed, not simulated as activities); a writer waits, as one disk write, only
 * when more than the limit is dirty, until half of it is written back. One disk
 * activity per message would make every server I/O a simulation step, whose cost
 * grows with the flows in flight: 60x a mem run's wall at 300 hosts. */
static void ps__disk(ps_backend *be, size_t bytes, int is_write)
{
    ps__sim *sim = be->impl;
    ps__actor *a = ps__self_actor(sim);
    if (!a || !a->disk || bytes == 0)
        return;
    /* fault.slow's .disk: an access costs FACTOR times as long */
    double x = sim->faults.any_disk ? ps_simf_factor(&sim->faults, PS_FAULT_SLOW_DISK,
                                                     a->spec.node, simgrid_get_clock(), NULL)
                                    : 1;
    if (!is_write) {
        sg_disk_read(a->disk, (sg_size_t)((double)bytes * x));
        return;
    }
    if (sim->write_behind <= 0 || !sim->dirty) {
        sg_disk_write(a->disk, (sg_size_t)((double)bytes * x));
        return;
    }
    int h = a->spec.node;
    double now = simgrid_get_clock(), bw = sg_disk_write_bandwidth(a->disk) / x;
    double d = sim->dirty[h] - (now - sim->dirty_at[h]) * bw;
    d = (d > 0 ? d : 0) + (double)bytes;
    if (d > sim->write_behind) {
        sg_disk_write(a->disk, (sg_size_t)(d - sim->write_behind / 2));
        d = sim->write_behind / 2;
        now = simgrid_get_clock();
    }
    sim->dirty[h] = d;
    sim->dirty_at[h] = now;
}

/* A write in the background: an actor of the caller's host that writes and ends.
 * Not a daemon, so the simulation ends only once it is on the disk. */
typedef struct ps__behind {
    sg_disk_t disk;
    size_t bytes;
} ps__behind;

static void ps__behind_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    ps__behind *b = sg_actor_self_get_data();
    sg_disk_write(b->disk, (sg_size_t)b->bytes);
    free(b);
}

static void ps__disk_behind(ps_backend *be, size_t bytes)
{
    ps__actor *a = ps__self_actor(be->impl);
    ps__behind *b = a && a->disk && bytes ? malloc(sizeof *b) : NULL;
    if (!b)
        return;
    *b = (ps__behind){a->disk, bytes};
    sg_actor_t act = sg_actor_init("ps.disk_behind", a->host);
    sg_actor_set_stacksize(act, PS__POSTMAN_STACK);
    sg_actor_set_data(act, b);
    sg_actor_start_(act, ps__behind_main, 0, NULL);
}

static void ps__sleep(ps_backend *be, double seconds)
{
    (void)be;
    if (seconds > 0)
        sg_actor_sleep_for(seconds);
}

/* ---- launch ---- */

static int ps__check_specs(const ps__sim *sim, const ps_actor_spec *specs, int n, ps_err *err)
{
    if (sim->launched)
        return ps_err_set(err, "sim: launch called twice (SimGrid runs once per process)");
    if (n < 1)
        return ps_err_set(err, "sim: launch needs at least one actor, got %d", n);
    char *seen = calloc((size_t)n, 1);
    if (!seen)
        return ps_err_set(err, "sim: out of memory launching %d actors", n);
    for (int i = 0; i < n; i++) {
        const ps_actor_spec *s = &specs[i];
        const char *why = s->id < 0 || s->id >= n ? "id out of 0..n-1"
                          : seen[s->id]             ? "duplicate id"
                          : s->node < 0             ? "negative node"
                          : !s->main                ? "no main function"
                                                    : NULL;
        if (why) {
            free(seen);
            return ps_err_set(err, "sim: actor spec %d (id %d, node %d, %s): %s", i, s->id, s->node,
                              s->name ? s->name : "unnamed", why);
        }
        seen[s->id] = 1;
    }
    free(seen);
    return PS_OK;
}

static int ps__make_actors(ps__sim *sim, const ps_actor_spec *specs, int n, ps_err *err)
{
    sim->actors = calloc((size_t)n, sizeof *sim->actors);
    sim->shards = (int)ceil(sqrt((double)n) / 2);
    size_t n_mbox = (size_t)n * (size_t)sim->shards;
    sim->mbox = calloc(n_mbox, sizeof *sim->mbox);
    if (!sim->actors || !sim->mbox)
        return ps_err_set(err, "sim: out of memory launching %d actors", n);
    sim->n_actors = n;
    for (int i = 0; i < n; i++) {
        ps__actor *a = &sim->actors[specs[i].id];
        a->sim = sim;
        a->spec = specs[i];
        a->host = sim->hosts[(size_t)a->spec.node % sim->n_hosts];
        a->pend.esize = sizeof(ps__pend);
        a->outq.esize = sizeof(ps__out);
        a->arrivals.esize = sizeof(int);
        unsigned nd = 0;
        sg_disk_t *disks = NULL;
        sg_host_get_disks(a->host, &nd, &disks);
        a->disk = nd > 0 ? disks[0] : NULL;
        free(disks);
    }
    for (size_t m = 0; m < n_mbox; m++) {
        char name[48];
        ps__mbox_name(name, sizeof name, m / (size_t)sim->shards, (int)(m % (size_t)sim->shards));
        sim->mbox[m] = sg_mailbox_by_name(name);
    }
    return PS_OK;
}

/* Frees what the run left: envelopes never received, receives and sends of actors
 * that were killed, postmen killed while idle. */
static void ps__after_run(ps__sim *sim)
{
    for (int i = 0; i < sim->n_actors; i++) {
        ps__actor *a = &sim->actors[i];
        if (a->rx)
            sg_comm_unref(a->rx);
        a->rx = NULL;
        if (a->wakes)
            sg_sem_destroy(a->wakes);
        a->wakes = NULL;
        free(a->arrivals.mem);
        a->arrivals = (ps__ring){.esize = sizeof(int)};
        for (; a->pend.n > 0; ps__ring_pop(&a->pend))
            sg_comm_unref(((ps__pend *)ps__ring_front(&a->pend))->comm);
        free(a->pend.mem);
        free(a->outq.mem);
        a->pend = a->outq = (ps__ring){0};
    }
    ps__env_pool_free(&sim->envs);
    while (sim->postmen.next != &sim->postmen)
        ps__postman_free(sim->postmen.next);
}

static int ps__launch(ps_backend *be, const ps_actor_spec *specs, int n, ps_err *err)
{
    ps__sim *sim = be->impl;
    if (ps__check_specs(sim, specs, n, err))
        return PS_ERR;
    sim->launched = 1;
    ps_map_budget_init(&sim->maps, sg_actor_count());
    if (ps_map_budget_fit(&sim->maps, sg_actor_count(), (size_t)n, err))
        return PS_ERR;
    if (ps__make_actors(sim, specs, n, err))
        return PS_ERR;
    /* In id order, which is also SimGrid's scheduling order: runs are reproducible. */
    for (int id = 0; id < n; id++) {
        ps__actor *a = &sim->actors[id];
        char name[32];
        if (!a->spec.name)
            snprintf(name, sizeof name, "actor%d", id);
        sg_actor_t act = sg_actor_init(a->spec.name ? a->spec.name : name, a->host);
        sg_actor_set_data(act, a);
        sg_actor_start_(act, ps__actor_main, 0, NULL);
    }
    ps_map_budget_measure(&sim->maps, sg_actor_count(), (size_t)n);
    ps_simf_start(&sim->faults, sim->hosts[0]);
    /* after SimGrid's own SIGINT handler, which prints every actor and exits */
    ps_interrupt_install(-1);
    simgrid_run();
    ps_interrupt_uninstall();
    ps__after_run(sim);
    return PS_OK;
}

static void ps__destroy(ps_backend *be)
{
    if (!be)
        return;
    ps__sim *sim = be->impl;
    if (sim->actors)
        ps__after_run(sim); /* no-op after a launch; frees rings otherwise */
    free(sim->mbox);
    free(sim->actors);
    free(sim->hosts);
    free(sim->dirty);
    free(sim->dirty_at);
    ps_simf_free(&sim->faults);
    if (sim->pattern && fclose(sim->pattern))
        fprintf(stderr, "pslab: sim: closing the message pattern failed: %s\n", strerror(errno));
    free(sim);
}

/* A semaphore per actor: SimGrid's own model of a wake-up within a host, which
 * takes no simulated time (a message would cross the host's links and back). */
static sg_sem_t ps__wakes_of(ps__actor *a)
{
    if (!a->wakes)
        a->wakes = sg_sem_init(0);
    return a->wakes;
}

static int ps__wake(ps_backend *be, int to, ps_err *err)
{
    ps__sim *sim = be->impl;
    ps__actor *a = ps__self_actor(sim);
    if (!a || to < 0 || to >= sim->n_actors)
        return ps_err_set(err, "sim: wake of unknown actor %d", to);
    if (sim->actors[to].host != a->host)
        return ps_err_set(err, "sim: actor %d woke actor %d, which is on another host", a->spec.id,
                          to);
    sg_sem_release(ps__wakes_of(&sim->actors[to]));
    return PS_OK;
}

static int ps__wait_wakes(ps_backend *be, int n, ps_err *err)
{
    ps__actor *a = ps__self_actor(be->impl);
    if (!a)
        return ps_err_set(err, "sim: wait called outside a simulated actor");
    for (int i = 0; i < n; i++)
        sg_sem_acquire(ps__wakes_of(a));
    return PS_OK;
}

XBT_LOG_EXTERNAL_CATEGORY(ker_engine);

/* An actor failed (ps_run_fail): the actors that waited for it may wait forever,
 * which SimGrid reports as a deadlock ("Oops! Deadlock detected") when nothing is
 * left to run, and the simulation ends. The run's own error says what happened,
 * so that report is silenced from here on. */
static void ps__fail(ps_backend *be, const char *why)
{
    (void)be, (void)why;
    xbt_log_threshold_set(&_XBT_LOGV(ker_engine), xbt_log_priority_infinite);
}

static const ps_backend_ops ps__sim_ops = {
    .name = "sim",
    .launch = ps__launch,
    .self = ps__self,
    .send = ps__send,
    .recv = ps__recv,
    .now = ps__now,
    .compute = ps__compute,
    .disk = ps__disk,
    .disk_behind = ps__disk_behind,
    .sleep = ps__sleep,
    .fail = ps__fail,
    .wake = ps__wake,
    .wait_wakes = ps__wait_wakes,
    .destroy = ps__destroy,
};

/* ---- creation ---- */

/* simgrid_init on argv[0], our defaults, then the user's arguments; what SimGrid
 * left (the user's other arguments: every default is consumed) goes back to argv. */
static int ps__init_simgrid(int *argc, char **argv, ps_err *err)
{
    int n = argc && argv ? *argc : 0, ndef = (int)(sizeof ps__default_cfg / sizeof *ps__default_cfg);
    int user_log = 0;
    for (int i = 1; i < n; i++)
        user_log |= strncmp(argv[i], "--log=", 6) == 0;
    char **v = calloc((size_t)(n + ndef + 3), sizeof *v);
    if (!v)
        return ps_err_set(err, "sim: out of memory initialising SimGrid");
    int k = 0;
    v[k++] = n > 0 ? argv[0] : (char *)"pslab";
    if (!user_log)
        v[k++] = (char *)PS__DEFAULT_LOG;
    for (int i = 0; i < ndef; i++)
        v[k++] = (char *)ps__default_cfg[i];
    for (int i = 1; i < n; i++)
        v[k++] = argv[i];
    v[k] = NULL;
    simgrid_init(&k, v);
    ps__simgrid_initialised = 1;
    if (n > 0) {
        for (int i = 1; i < k; i++)
            argv[i] = v[i];
        if (k < n)
            argv[k] = NULL;
        *argc = k;
    }
    free(v);
    return PS_OK;
}

static int ps__load_hosts(ps__sim *sim, const char *platform_path, ps_err *err)
{
    simgrid_load_platform(platform_path);
    sim->hosts = ps_sim_sorted_hosts(&sim->n_hosts);
    if (!sim->hosts)
        return ps_err_set(err, "sim: platform %s has no host", platform_path);
    return PS_OK;
}

/* Actors and postmen share queues without locks: SimGrid must run actors one at a
 * time (its default). */
static int ps__check_args(const int *argc, char **argv, ps_err *err)
{
    for (int i = 1; argc && argv && i < *argc; i++)
        if (strncmp(argv[i], "--cfg=contexts/nthreads:", 24) == 0 && strcmp(argv[i] + 24, "1") != 0)
            return ps_err_set(err, "sim: %s: the sim backend runs actors in one thread only", argv[i]);
    return PS_OK;
}

int ps_sim_backend_create(ps_backend **out, const char *platform_path, int *argc, char **argv, ps_err *err)
{
    *out = NULL;
    if (ps__check_args(argc, argv, err))
        return PS_ERR;
    if (ps__simgrid_initialised)
        return ps_err_set(err, "sim: SimGrid can be initialised once per process");
    if (!platform_path)
        return ps_err_set(err, "sim: no platform file given");
    /* SimGrid aborts on a missing file; say so properly instead. */
    FILE *f = fopen(platform_path, "r");
    if (!f)
        return ps_err_set(err, "sim: cannot read platform file %s: %s", platform_path, strerror(errno));
    fclose(f);
    ps__sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return ps_err_set(err, "sim: out of memory");
    sim->be.ops = &ps__sim_ops;
    sim->be.impl = sim;
    sim->postmen.prev = sim->postmen.next = &sim->postmen;
    const char *pattern = getenv("PSLAB_SIM_PATTERN");
    if (pattern && *pattern) {
        sim->pattern = fopen(pattern, "wb");
        if (!sim->pattern || fwrite(PS__PATTERN_MAGIC, 8, 1, sim->pattern) != 1) {
            ps_err_set(err, "sim: cannot write the message pattern to %s (PSLAB_SIM_PATTERN): %s",
                       pattern, strerror(errno));
            ps__destroy(&sim->be);
            return PS_ERR;
        }
    }
    if (ps__init_simgrid(argc, argv, err) || ps__load_hosts(sim, platform_path, err)) {
        ps__destroy(&sim->be);
        return PS_ERR;
    }
    *out = &sim->be;
    return PS_OK;
}

int ps_sim_host_count(ps_backend *be)
{
    return (int)((ps__sim *)be->impl)->n_hosts;
}

int ps_sim_set_write_behind(ps_backend *be, double bytes, ps_err *err)
{
    ps__sim *sim = be->impl;
    free(sim->dirty);
    free(sim->dirty_at);
    sim->dirty = calloc(sim->n_hosts ? sim->n_hosts : 1, sizeof *sim->dirty);
    sim->dirty_at = calloc(sim->n_hosts ? sim->n_hosts : 1, sizeof *sim->dirty_at);
    if (!sim->dirty || !sim->dirty_at)
        return ps_err_set(err, "sim: out of memory");
    sim->write_behind = bytes;
    return PS_OK;
}

int ps_sim_check_disks(ps_backend *be, int n_nodes, const char *why, ps_err *err)
{
    ps__sim *sim = be->impl;
    for (int i = 0; i < n_nodes && (size_t)i < sim->n_hosts; i++) {
        unsigned int nd = 0;
        sg_disk_t *disks = NULL;
        sg_host_get_disks(sim->hosts[i], &nd, &disks);
        free(disks);
        if (nd == 0)
            return ps_err_set(err, "platform host %s (node %d) has no <disk>, which %s needs: "
                              "its disk I/O would cost nothing", sg_host_get_name(sim->hosts[i]),
                              i, why);
    }
    return PS_OK;
}

int ps_sim_set_faults(ps_backend *be, const ps_fault_window *w, int n, double offset, int nodes,
                      ps_err *err)
{
    ps__sim *sim = be->impl;
    ps_simf_free(&sim->faults);
    return ps_simf_init(&sim->faults, w, n, offset, sim->hosts, sim->n_hosts, nodes, err);
}
