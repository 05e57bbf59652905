/* The backend boundary: everything the engine asks of the outside world (message
 * passing, time, compute and disk cost, actor launch) goes through this table, in
 * the spirit of SQLite's sqlite3_vfs. sim/ implements it over SimGrid, real/ over
 * sockets. Engine code never includes a SimGrid or socket header. */
#ifndef PS_BACKEND_H
#define PS_BACKEND_H

#include <stddef.h>

#include "engine/core/err.h"

#define PS_TIMEOUT 1 /* recv: nothing arrived before the timeout */
#define PS_FOREVER (-1.0)

typedef struct ps_backend ps_backend;

/* Interrupts: a backend installs engine/core/interrupt.h's handlers while it runs
 * actors, and when SIGINT or SIGTERM comes, it delivers one PS_MSG_INTERRUPT
 * (engine/ps/msg.h; clock = the signal) to actor 0, which stops the run cleanly. */

/* An actor is plain sequential code that blocks on the calls below. */
typedef void (*ps_actor_main)(ps_backend *be, void *arg);

/* One actor of a run: its id (its mailbox address), the node that hosts it and
 * its code. Actor ids are dense small integers, 0 .. n-1. */
typedef struct ps_actor_spec {
    int id;
    int node;           /* index of the hosting node (sim: host; real: process) */
    const char *name;   /* for logs, e.g. "server3" */
    ps_actor_main main;
    void *arg;
} ps_actor_spec;

typedef struct ps_backend_ops {
    const char *name;
    /* Runs every actor of the table to completion; returns when all have ended. */
    int (*launch)(ps_backend *be, const ps_actor_spec *actors, int n_actors, ps_err *err);
    /* The calling actor's id. */
    int (*self)(ps_backend *be);
    /* Eager send: never blocks the sender; takes ownership of buf (malloc'd), also
     * on error. The buffer is an encoded engine message (engine/ps/msg.h). */
    int (*send)(ps_backend *be, int to, void *buf, size_t len, ps_err *err);
    /* Optional. Sends the message head[0..at) + view + head[at..head_len): head is
     * owned as in send; view is the caller's memory (a dense range of the store),
     * read only during the call. A backend that can write it straight to the wire
     * copies only what the wire does not take at once; without this op,
     * ps_send_spliced joins the pieces and calls send. */
    int (*send_spliced)(ps_backend *be, int to, void *head, size_t head_len, size_t at,
                        const void *view, size_t view_len, ps_err *err);
    /* Next message of the caller's mailbox; timeout < 0 waits forever. Returns
     * PS_OK (caller owns *buf and frees it), PS_TIMEOUT or PS_ERR. */
    int (*recv)(ps_backend *be, double timeout_s, void **buf, size_t *len, ps_err *err);
    /* Seconds: simulated in sim, monotonic wall clock in real. */
    double (*now)(ps_backend *be);
    /* Charges work just done: sim advances the actor's clock; real does nothing. */
    void (*compute)(ps_backend *be, double flops);
    /* Charges a disk access on the actor's node: sim blocks for its simulated
     * duration; real does nothing (the RocksDB store did the I/O). */
    void (*disk)(ps_backend *be, size_t bytes, int is_write);
    /* Optional: charges a write that goes on in the background on the caller's
     * node's disk (a checkpoint another thread writes): it takes the disk's time,
     * shared with whatever else the disk does, without blocking the caller. Real
     * has none: its thread does the real I/O. */
    void (*disk_behind)(ps_backend *be, size_t bytes);
    void (*sleep)(ps_backend *be, double seconds);
    /* Optional: the caller's node dies now, as a crash would kill it (real: the
     * process kills itself with SIGKILL; never returns). Without it (sim) the
     * engine plays the crash out itself (fault.crash). */
    void (*crash)(ps_backend *be);
    /* Optional: an actor of the caller's node hit a fatal error (ps_run_fail): real
     * fails the node, so that its other actors stop instead of waiting for the one
     * gone, and its peers then see it gone; sim lets the actors left waiting end
     * the simulation without SimGrid's deadlock report. */
    void (*fail)(ps_backend *be, const char *why);
    /* Optional: the node whose loss failed the caller's node (another node that
     * died, or the one it blames), or -1: nothing failed, or the node failed on
     * its own. A worker tells the coordinator, whose node may not know yet, so
     * that a server's death is reported as that, not as workers stopped short.
     * Sim has none: its losses are faults the engine injects and plays out. */
    int (*lost_node)(ps_backend *be);
    /* A node-local wake-up between actors sharing a node's memory (the real
     * backend's threads of one process, sim's actors of one host), as a condition
     * variable would give: wake adds one to the count of actor `to`, which must be
     * on the caller's node; wait_wakes blocks until the caller's count reaches n
     * and takes n from it. No message and no simulated network time: what a
     * thread's wake-up costs is its scheduling, not a transfer. */
    int (*wake)(ps_backend *be, int to, ps_err *err);
    int (*wait_wakes)(ps_backend *be, int n, ps_err *err);
    void (*destroy)(ps_backend *be);
} ps_backend_ops;

struct ps_backend {
    const ps_backend_ops *ops;
    void *impl;
    /* Counted by ps_send for the whole process (sim runs every actor in one
     * thread; real has one process per node), for benchmarks and summaries. */
    unsigned long long messages_sent, bytes_sent;
};

/* Thin wrappers, one line each (SQLite's os.c): the engine calls these. */
static inline int ps_send(ps_backend *be, int to, void *buf, size_t len, ps_err *err)
{
    be->messages_sent++;
    be->bytes_sent += len;
    return be->ops->send(be, to, buf, len, err);
}
int ps_send_spliced(ps_backend *be, int to, void *head, size_t head_len, size_t at,
                    const void *view, size_t view_len, ps_err *err);
/* The message of a spliced send in one malloc'd buffer (NULL when out of memory),
 * for a backend that must keep it. */
void *ps_splice_join(const void *head, size_t head_len, size_t at, const void *view,
                     size_t view_len);
static inline int ps_recv(ps_backend *be, double timeout_s, void **buf, size_t *len, ps_err *err)
{
    return be->ops->recv(be, timeout_s, buf, len, err);
}
static inline double ps_now(ps_backend *be) { return be->ops->now(be); }
static inline int ps_self(ps_backend *be) { return be->ops->self(be); }
static inline void ps_compute(ps_backend *be, double flops) { be->ops->compute(be, flops); }
static inline void ps_disk(ps_backend *be, size_t bytes, int is_write) { be->ops->disk(be, bytes, is_write); }
static inline void ps_disk_behind(ps_backend *be, size_t bytes)
{
    if (be->ops->disk_behind)
        be->ops->disk_behind(be, bytes);
}
static inline void ps_sleep(ps_backend *be, double s) { be->ops->sleep(be, s); }
static inline void ps_backend_fail(ps_backend *be, const char *why)
{
    if (be && be->ops->fail)
        be->ops->fail(be, why);
}
static inline int ps_lost_node(ps_backend *be)
{
    return be && be->ops->lost_node ? be->ops->lost_node(be) : -1;
}
static inline int ps_wake(ps_backend *be, int to, ps_err *err) { return be->ops->wake(be, to, err); }
static inline int ps_wait_wakes(ps_backend *be, int n, ps_err *err)
{
    return be->ops->wait_wakes(be, n, err);
}

#endif
