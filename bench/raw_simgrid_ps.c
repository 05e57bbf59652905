/* Raw-SimGrid baseline for pslab's BSP parameter-server message pattern: the least a
 * SimGrid program can do to move the same messages, so bench/scale.sh can tell how
 * much the engine adds. --mode selects how messages are sent, to compare SimGrid's
 * ways of doing eager sends (see the comment at enum send_mode).
 *   raw_simgrid_ps PLATFORM.xml SERVERS WORKERS ITERATIONS [--mode M] [--flops F]
 *                  [--flops-spread X] [--size BYTES] [--size-spread X] [--pattern FILE]
 * plus SimGrid's own --cfg=... and --log=... arguments. --pattern replays the exact
 * message sizes and worker flops of a pslab run recorded with PSLAB_SIM_PATTERN=FILE
 * (sim/backend_sim.c): the k-th message from A to B here has the size of pslab's
 * k-th message from A to B, the k-th execution of a worker pslab's k-th flops. */
#include "sim/host_order.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How a message is sent and its comm reclaimed. SimGrid 3.32 keeps unfinished comms
 * in std::lists that CommImpl::finish() scans in full (std::list::remove) on every
 * completion: detached comms in one engine-wide list, the others in the list of the
 * actor that started them, which is cleaned only when that actor *waits* for them
 * (a successful sg_comm_test does not clean it), and which is scanned again each
 * time that actor's own receives, executions or waits finish. (3.34 made it a set.)
 * detached:      put_init + detach, plain get. Rendezvous: the transfer starts when
 *                the receiver calls get. Every pending message is in the global list.
 * perm:          as detached, but each actor is its mailbox's permanent receiver,
 *                so the transfer starts at send time (TCP with buffers).
 * async-test:    put_async with permanent receivers; the sender keeps its comms and
 *                frees them with sg_comm_test once done (its list only grows).
 * async-waitany: put_async with permanent receivers; a receiving actor waits for
 *                {its oldest unfinished send, the receive} with sg_comm_wait_any,
 *                reclaiming sends while it is blocked anyway. A server's burst of W
 *                replies still costs O(W^2) list scans.
 * async-rdv:     async-waitany without permanent receivers (rendezvous).
 * postman:       (default; sim/backend_sim.c does the same) async-waitany while the
 *                actor has fewer than DIRECT_MAX of its own sends unreclaimed;
 *                beyond, the put_async is issued by a helper actor (the actor's
 *                "postman", same host, same simulated instant) that never waits, so
 *                no finish() scans its list; a postman is replaced after
 *                POSTMAN_SENDS sends and exits once they are all reclaimed, which
 *                frees its list in one go.
 * The rendezvous modes are not eager, and their simulated time is wrong for this
 * pattern: a server pulls its W requests one transfer at a time (sim_s 10-40x). */
enum send_mode { MODE_DETACHED, MODE_PERM, MODE_ASYNC_TEST, MODE_ASYNC_WAITANY, MODE_ASYNC_RDV, MODE_POSTMAN,
                 MODE_COUNT };
static const char *const mode_names[] = {"detached",      "perm",      "async-test",
                                         "async-waitany", "async-rdv", "postman"};
#define POSTMAN_SENDS 64
#define DIRECT_MAX 16

/* A message of the pattern: closes clock `clock_end` (-1: none) and/or pulls for
 * clock `pull` (-1: none); replies carry the pulled clock. */
typedef struct bmsg {
    int sender;
    int clock_end;
    int pull;
} bmsg;

/* A FIFO of fixed-size elements that grows by doubling. */
typedef struct ring {
    unsigned char *mem;
    size_t esize, head, n, cap;
} ring;

static void *oom(void *p)
{
    if (!p) {
        fprintf(stderr, "raw_simgrid_ps: out of memory\n");
        exit(1);
    }
    return p;
}

static void ring_push(ring *r, const void *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        unsigned char *m = oom(malloc(cap * r->esize));
        for (size_t i = 0; i < r->n; i++)
            memcpy(m + i * r->esize, r->mem + ((r->head + i) % r->cap) * r->esize, r->esize);
        free(r->mem);
        r->mem = m, r->cap = cap, r->head = 0;
    }
    memcpy(r->mem + ((r->head + r->n++) % r->cap) * r->esize, e, r->esize);
}

static void *ring_front(ring *r) { return r->mem + r->head * r->esize; }

static void ring_pop(ring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->n--;
}

struct actor_ctx;
typedef struct postman {
    struct actor_ctx *owner;
    sg_sem_t wake;
    int idle, retiring, quit;
    unsigned issued, reaped;
} postman;

typedef struct pend_ent { sg_comm_t comm; postman *by; } pend_ent; /* a started send */
typedef struct out_ent { int to; long size; void *msg; } out_ent;  /* a send not yet started */

/* Per actor: its index (servers 0..S-1, workers S..S+W-1), the started sends not yet
 * reclaimed, and in postman mode the sends waiting for the postman. */
typedef struct actor_ctx {
    int idx;
    ring pend, outq;
    postman *post;
    unsigned direct; /* unreclaimed sends this actor started itself */
} actor_ctx;

/* A recorded pattern, per ordered pair: sizes of worker w's requests to server s at
 * req[req_off[w*S+s] ...], of server s's replies to worker w at rep[rep_off[s*W+w]
 * ...], and worker w's flops at flops[flops_off[w] ...]; cursors say how many were
 * used. Messages past the recorded ones (none when the runs match) take the default
 * size, and are counted. */
typedef struct pattern {
    uint32_t *req, *rep;
    double *flops;
    size_t *req_off, *rep_off, *flops_off;
    size_t *req_cur, *rep_cur, *flops_cur;
    unsigned long long misses;
} pattern;

static struct {
    enum send_mode mode;
    pattern *pat;
    int servers, workers, iters;
    double flops, flops_spread, size_spread;
    long req_size, rep_size;
    sg_mailbox_t *mbox;
    char **mbox_name;
    unsigned long long messages;
} g = {.mode = MODE_POSTMAN, .flops = 1e7};

static int is_perm(void) { return g.mode != MODE_DETACHED && g.mode != MODE_ASYNC_RDV; }

/* Bookkeeping once a started send is reclaimed: a retired postman whose sends are
 * all reclaimed may exit (it holds no unfinished comm, so nothing is cancelled). */
static void reclaimed(actor_ctx *a)
{
    postman *p = ((pend_ent *)ring_front(&a->pend))->by;
    ring_pop(&a->pend);
    if (!p)
        a->direct--;
    else if (++p->reaped == p->issued && p->retiring) {
        p->quit = 1;
        sg_sem_release(p->wake);
    }
}

static void postman_main(int argc, char **argv);

static postman *postman_new(actor_ctx *a)
{
    postman *p = oom(calloc(1, sizeof *p));
    p->owner = a;
    p->wake = sg_sem_init(0);
    p->idle = 1;
    sg_actor_t act = sg_actor_init("postman", sg_host_self());
    sg_actor_set_stacksize(act, 128 * 1024);
    sg_actor_set_data(act, p);
    sg_actor_start_(act, postman_main, 0, NULL);
    sg_actor_daemonize(act);
    return p;
}

/* Starts the owner's queued sends, in order, until retired. */
static void postman_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    postman *p = sg_actor_self_get_data();
    actor_ctx *a = p->owner;
    while (!p->quit) {
        sg_sem_acquire(p->wake);
        while (!p->quit && a->outq.n > 0) {
            /* Popped only once started: until then the owner queues behind it. */
            out_ent o = *(out_ent *)ring_front(&a->outq);
            pend_ent e = {sg_mailbox_put_async(g.mbox[o.to], o.msg, o.size), p};
            ring_push(&a->pend, &e);
            ring_pop(&a->outq);
            p->issued++;
        }
        p->idle = 1;
        if (p->issued >= POSTMAN_SENDS && a->post == p) {
            a->post = NULL; /* the owner's next queued send makes a new one */
            p->retiring = 1;
            p->quit = p->reaped == p->issued;
        }
    }
    sg_sem_destroy(p->wake);
    free(p);
}

/* A message's payload times 1 +- size_spread, drawn from its sequence number: the
 * engine's messages carry however many keys a batch has on that server, so their
 * sizes (and so their flows' completion instants) differ, which costs SimGrid's
 * bandwidth solver far more than identical sizes do. */
static long msg_size(long size)
{
    if (g.size_spread <= 0)
        return size;
    uint64_t x = g.messages * 0x9E3779B97F4A7C15u;
    x ^= x >> 31, x *= 0xBF58476D1CE4E5B9u, x ^= x >> 29;
    double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
    return 32 + (long)((double)(size - 32) * (1 + g.size_spread * (2 * u - 1)));
}

static long pattern_size(int from, int to, long fallback)
{
    pattern *p = g.pat;
    int S = g.servers, W = g.workers;
    size_t pair = from >= S ? (size_t)(from - S) * (size_t)S + (size_t)to
                            : (size_t)from * (size_t)W + (size_t)(to - S);
    size_t *off = from >= S ? p->req_off : p->rep_off, *cur = from >= S ? p->req_cur : p->rep_cur;
    if (off[pair] + cur[pair] < off[pair + 1])
        return (from >= S ? p->req : p->rep)[off[pair] + cur[pair]++];
    p->misses++;
    return fallback;
}

static void send_msg(actor_ctx *a, int to, int clock_end, int pull, long size)
{
    size = g.pat ? pattern_size(a->idx, to, size) : msg_size(size);
    bmsg *m = oom(malloc(sizeof *m));
    *m = (bmsg){a->idx, clock_end, pull};
    g.messages++;
    if (g.mode == MODE_DETACHED || g.mode == MODE_PERM) {
        sg_comm_detach(sg_mailbox_put_init(g.mbox[to], m, size), free);
        return;
    }
    /* Queued sends go first (FIFO): a direct send waits for an empty queue. */
    if (g.mode == MODE_POSTMAN && (a->direct >= DIRECT_MAX || a->outq.n > 0)) {
        ring_push(&a->outq, &(out_ent){to, size, m});
        if (!a->post)
            a->post = postman_new(a);
        if (a->post->idle) {
            a->post->idle = 0;
            sg_sem_release(a->post->wake);
        }
        return;
    }
    ring_push(&a->pend, &(pend_ent){sg_mailbox_put_async(g.mbox[to], m, size), NULL});
    a->direct++;
    /* Test only once a batch has piled up: each test is a simcall. */
    while (g.mode == MODE_ASYNC_TEST && a->pend.n >= 64 &&
           sg_comm_test(((pend_ent *)ring_front(&a->pend))->comm))
        ring_pop(&a->pend);
}

/* Next message of the caller's mailbox. In the wait-any modes, sends that finish
 * while the actor waits are reclaimed on the way, oldest first. */
static void *recv_msg(actor_ctx *a)
{
    if (g.mode == MODE_DETACHED || g.mode == MODE_PERM || g.mode == MODE_ASYNC_TEST)
        return sg_mailbox_get(g.mbox[a->idx]);
    void *data = NULL;
    sg_comm_t rx = sg_mailbox_get_async(g.mbox[a->idx], &data);
    while (a->pend.n > 0) {
        sg_comm_t c[2] = {((pend_ent *)ring_front(&a->pend))->comm, rx};
        /* Releases the finished one, keeps the other's reference. */
        if (sg_comm_wait_any(c, 2) != 0)
            return data;
        reclaimed(a);
    }
    sg_comm_wait(rx);
    return data;
}

static void actor_begin(actor_ctx *a)
{
    a->pend.esize = sizeof(pend_ent);
    a->outq.esize = sizeof(out_ent);
    if (is_perm())
        sg_mailbox_set_receiver(g.mbox_name[a->idx]);
}

/* An actor's unfinished sends would be cancelled when it ends: let the postman
 * start the queued ones and wait for all of them
 * (they finish without the receiver's help in the permanent-receiver modes). */
static void actor_end(actor_ctx *a)
{
    while (a->outq.n > 0)
        sg_actor_yield();
    /* Wait through wait_any: sg_comm_wait by an actor that is neither end of the
     * comm (a postman's send) overwrites the receiver's timeout action in 3.32. */
    while (a->pend.n > 0) {
        sg_comm_t c = ((pend_ent *)ring_front(&a->pend))->comm;
        sg_comm_wait_any(&c, 1);
        reclaimed(a);
    }
    if (a->post) {
        a->post->quit = 1;
        sg_sem_release(a->post->wake);
    }
    free(a->pend.mem);
    free(a->outq.mem);
}

static void reply(actor_ctx *a, int worker, int clock)
{
    send_msg(a, g.servers + worker, -1, clock, g.rep_size);
}

static void server_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    actor_ctx *a = sg_actor_self_get_data();
    int W = g.workers, T = g.iters, nheld = 0;
    int *closed = oom(calloc((size_t)T + 1, sizeof *closed)), *held = oom(malloc((size_t)W * sizeof *held));
    actor_begin(a);
    for (long n = 0; n < (long)W * (T + 1); n++) {
        bmsg *m = recv_msg(a);
        int w = m->sender - g.servers;
        /* Close first: a message closing c-1 and pulling c must not hold itself. */
        if (m->clock_end >= 0 && ++closed[m->clock_end] == W) {
            for (int i = 0; i < nheld; i++)
                reply(a, held[i], m->clock_end + 1);
            nheld = 0;
        }
        if (m->pull == 0 || (m->pull > 0 && closed[m->pull - 1] == W))
            reply(a, w, m->pull);
        else if (m->pull > 0)
            held[nheld++] = w;
        free(m);
    }
    actor_end(a);
    free(closed);
    free(held);
}

/* Flops of one worker's iteration: g.flops, times 1 +- flops_spread drawn from a
 * hash of (worker, iteration), so that workers finish at different instants as in a
 * real run (synchronous bursts let SimGrid batch the network model's updates). */
static double work_flops(int worker, int iter)
{
    pattern *p = g.pat;
    if (p) {
        int w = worker - g.servers; /* worker is the actor's index */
        if (p->flops_off[w] + p->flops_cur[w] < p->flops_off[w + 1])
            return p->flops[p->flops_off[w] + p->flops_cur[w]++];
        p->misses++;
    }
    uint64_t x = (uint64_t)worker * 0x9E3779B97F4A7C15u ^ (uint64_t)iter * 0xC2B2AE3D27D4EB4Fu;
    x ^= x >> 31, x *= 0xBF58476D1CE4E5B9u, x ^= x >> 29;
    double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
    return g.flops * (1 + g.flops_spread * (2 * u - 1));
}

static void worker_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    actor_ctx *a = sg_actor_self_get_data();
    actor_begin(a);
    for (int it = 0; it < g.iters; it++) {
        for (int s = 0; s < g.servers; s++)
            send_msg(a, s, it - 1, it, g.req_size);
        for (int s = 0; s < g.servers; s++)
            free(recv_msg(a));
        sg_actor_execute(work_flops(a->idx, it));
    }
    for (int s = 0; s < g.servers; s++)
        send_msg(a, s, g.iters - 1, -1, g.req_size);
    actor_end(a);
}

/* Reads a pattern recorded by pslab's sim backend (see sim/backend_sim.c): pslab's
 * actor 0 is its coordinator (not replayed), server s is actor 1+s, worker w actor
 * 1+S+w. Two passes: count per pair, then fill. */
#define PATTERN_COMPUTE UINT32_MAX
typedef struct pattern_rec {
    uint32_t from, to;
    double value;
} pattern_rec;

static int pattern_pass(FILE *f, const char *path, pattern *p, int fill)
{
    int S = g.servers, W = g.workers;
    pattern_rec r[4096];
    size_t n;
    unsigned long long at = 0;
    while ((n = fread(r, sizeof *r, 4096, f)) > 0) {
        for (size_t i = 0; i < n; i++, at++) {
            if (r[i].from == 0 || r[i].to == 0)
                continue; /* the coordinator's traffic */
            long from = (long)r[i].from - 1, to = r[i].to == PATTERN_COMPUTE ? -1 : (long)r[i].to - 1;
            if (from >= S + W || to >= S + W) {
                fprintf(stderr, "raw_simgrid_ps: %s: record %llu names actor %ld, past %d servers "
                                "and %d workers: not a run of this size\n",
                        path, at, (from > to ? from : to) + 1, S, W);
                return -1;
            }
            size_t *slot;
            if (to < 0 && from >= S)
                slot = &p->flops_cur[from - S];
            else if (to >= 0 && from >= S && to < S)
                slot = &p->req_cur[(size_t)(from - S) * (size_t)S + (size_t)to];
            else if (to >= S && from < S)
                slot = &p->rep_cur[(size_t)from * (size_t)W + (size_t)(to - S)];
            else
                continue; /* not part of the replayed pattern */
            if (fill) {
                if (to < 0)
                    p->flops[p->flops_off[from - S] + *slot] = r[i].value;
                else if (from >= S)
                    p->req[p->req_off[slot - p->req_cur] + *slot] = (uint32_t)r[i].value;
                else
                    p->rep[p->rep_off[slot - p->rep_cur] + *slot] = (uint32_t)r[i].value;
            }
            ++*slot;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "raw_simgrid_ps: reading %s failed\n", path);
        return -1;
    }
    return 0;
}

/* counts in cur become offsets in off (one more entry), cur is zeroed */
static size_t counts_to_offsets(size_t *cur, size_t *off, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        off[i] = total;
        total += cur[i];
        cur[i] = 0;
    }
    off[n] = total;
    return total;
}

static int pattern_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[8];
    if (!f || fread(magic, 8, 1, f) != 1 || memcmp(magic, "PSPAT1\n", 8)) {
        fprintf(stderr, "raw_simgrid_ps: %s is not a pattern recorded with PSLAB_SIM_PATTERN\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    /* a recording cut short (a full disk, a killed run) must not replay as if whole */
    long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (end < 8 || (end - 8) % (long)sizeof(pattern_rec) || fseek(f, 8, SEEK_SET)) {
        fprintf(stderr, "raw_simgrid_ps: %s is truncated: %ld bytes after the header is not a "
                        "whole number of %zu-byte records\n", path, end - 8, sizeof(pattern_rec));
        fclose(f);
        return -1;
    }
    size_t S = (size_t)g.servers, W = (size_t)g.workers;
    pattern *p = oom(calloc(1, sizeof *p));
    p->req_cur = oom(calloc(W * S, sizeof(size_t)));
    p->rep_cur = oom(calloc(W * S, sizeof(size_t)));
    p->flops_cur = oom(calloc(W, sizeof(size_t)));
    p->req_off = oom(malloc((W * S + 1) * sizeof(size_t)));
    p->rep_off = oom(malloc((W * S + 1) * sizeof(size_t)));
    p->flops_off = oom(malloc((W + 1) * sizeof(size_t)));
    if (pattern_pass(f, path, p, 0)) {
        fclose(f);
        return -1;
    }
    p->req = oom(malloc((counts_to_offsets(p->req_cur, p->req_off, W * S) + 1) * sizeof *p->req));
    p->rep = oom(malloc((counts_to_offsets(p->rep_cur, p->rep_off, W * S) + 1) * sizeof *p->rep));
    p->flops = oom(malloc((counts_to_offsets(p->flops_cur, p->flops_off, W) + 1) * sizeof *p->flops));
    fseek(f, 8, SEEK_SET);
    int rc = pattern_pass(f, path, p, 1);
    fclose(f);
    for (size_t i = 0; i < W * S; i++)
        p->req_cur[i] = p->rep_cur[i] = 0;
    for (size_t i = 0; i < W; i++)
        p->flops_cur[i] = 0;
    g.pat = p;
    return rc;
}

static int parse_args(int argc, char **argv, const char **platform)
{
    int pos = 0;
    long size = 0;
    const char *posv[4] = {0}, *pattern_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            const char *m = argv[++i];
            int found = 0;
            for (int k = 0; k < MODE_COUNT; k++)
                if (!strcmp(m, mode_names[k]))
                    g.mode = (enum send_mode)k, found = 1;
            if (!found) {
                fprintf(stderr, "raw_simgrid_ps: unknown mode '%s' (detached, perm, async-test,"
                                " async-waitany, async-rdv, postman)\n", m);
                return -1;
            }
        } else if (!strcmp(argv[i], "--flops") && i + 1 < argc) {
            g.flops = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--flops-spread") && i + 1 < argc) {
            g.flops_spread = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--size-spread") && i + 1 < argc) {
            g.size_spread = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--pattern") && i + 1 < argc) {
            pattern_path = argv[++i];
        } else if (pos < 4) {
            posv[pos++] = argv[i];
        } else {
            fprintf(stderr, "raw_simgrid_ps: unexpected argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (pos != 4) {
        fprintf(stderr, "usage: raw_simgrid_ps PLATFORM.xml SERVERS WORKERS ITERATIONS\n"
                        "  [--mode detached|perm|async-test|async-waitany|async-rdv|postman]\n"
                        "  [--flops F] [--flops-spread X] [--size BYTES] [--size-spread X] [--pattern FILE]\n"
                        "  [--cfg=...] [--log=...]\n");
        return -1;
    }
    *platform = posv[0];
    g.servers = atoi(posv[1]);
    g.workers = atoi(posv[2]);
    g.iters = atoi(posv[3]);
    if (g.servers < 1 || g.workers < 1 || g.iters < 1) {
        fprintf(stderr, "raw_simgrid_ps: SERVERS, WORKERS and ITERATIONS must be positive\n");
        return -1;
    }
    /* ~2000 keys spread over the servers; 12 bytes a key (u64 key + f32 value). */
    long k = 2000 / g.servers;
    g.req_size = g.rep_size = size > 0 ? size : 32 + 12 * k;
    return pattern_path ? pattern_load(pattern_path) : 0;
}

/* One actor per host: servers on the first hosts in natural order, then workers. */
static void launch(actor_ctx *ctx, int n)
{
    size_t nh;
    sg_host_t *hosts = ps_sim_sorted_hosts(&nh); /* nodes on hosts as pslab maps them */
    g.mbox = oom(malloc((size_t)n * sizeof *g.mbox));
    g.mbox_name = oom(malloc((size_t)n * sizeof *g.mbox_name));
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "mb%d", i);
        g.mbox_name[i] = oom(strdup(name));
        g.mbox[i] = sg_mailbox_by_name(name);
        ctx[i] = (actor_ctx){.idx = i};
        int server = i < g.servers;
        snprintf(name, sizeof name, server ? "server%d" : "worker%d", server ? i : i - g.servers);
        sg_actor_t act = sg_actor_init(name, hosts[(size_t)i % nh]);
        sg_actor_set_data(act, &ctx[i]);
        sg_actor_start_(act, i < g.servers ? server_main : worker_main, 0, NULL);
    }
    free(hosts);
}

int main(int argc, char **argv)
{
    const char *platform;
    simgrid_init(&argc, argv);
    if (parse_args(argc, argv, &platform))
        return 2;
    simgrid_load_platform(platform);
    int n = g.servers + g.workers;
    actor_ctx *ctx = oom(calloc((size_t)n, sizeof *ctx));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    launch(ctx, n);
    simgrid_run();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("hosts %zu servers %d workers %d iterations %d mode %s messages %llu sim_s %.6f wall_s %.3f"
           " msgs_per_s %.0f\n",
           sg_host_count(), g.servers, g.workers, g.iters, mode_names[g.mode], g.messages,
           simgrid_get_clock(), wall, (double)g.messages / wall);
    if (g.pat && g.pat->misses)
        fprintf(stderr, "raw_simgrid_ps: %llu messages or executions past the recorded pattern took "
                        "the default size or flops\n", g.pat->misses);
    if (g.pat) {
        pattern *p = g.pat;
        free(p->req), free(p->rep), free(p->flops);
        free(p->req_off), free(p->rep_off), free(p->flops_off);
        free(p->req_cur), free(p->rep_cur), free(p->flops_cur);
        free(p);
    }
    for (int i = 0; i < n; i++)
        free(g.mbox_name[i]);
    free(g.mbox_name);
    free(g.mbox);
    free(ctx);
    return 0;
}
