/* A scripted backend for unit tests: one actor whose recv() returns queued
 * messages in order (then a STOP), and whose send() records what it sent. It lets
 * a test drive a server actor message by message and inspect every reply. */
#ifndef PS_SCRIPT_BACKEND_H
#define PS_SCRIPT_BACKEND_H

#include <stdlib.h>
#include <string.h>

#include "engine/core/backend.h"
#include "engine/ps/msg.h"

#define SCRIPT_MAX 256

typedef struct script_msg {
    int to;
    void *buf;
    size_t len;
} script_msg;

typedef struct script_state {
    int self;
    double now;
    script_msg in[SCRIPT_MAX], out[SCRIPT_MAX];
    int n_in, next_in, n_out;
} script_state;

static int script_self(ps_backend *be) { return ((script_state *)be->impl)->self; }
static double script_now(ps_backend *be) { return ((script_state *)be->impl)->now; }
static void script_compute(ps_backend *be, double f) { (void)be; (void)f; }
static void script_disk(ps_backend *be, size_t b, int w) { (void)be; (void)b; (void)w; }
static void script_sleep(ps_backend *be, double s) { ((script_state *)be->impl)->now += s; }

static int script_send(ps_backend *be, int to, void *buf, size_t len, ps_err *err)
{
    script_state *s = be->impl;
    if (s->n_out == SCRIPT_MAX) {
        free(buf);
        return ps_err_set(err, "script outbox full");
    }
    s->out[s->n_out++] = (script_msg){to, buf, len};
    return PS_OK;
}

static int script_recv(ps_backend *be, double timeout, void **buf, size_t *len, ps_err *err)
{
    script_state *s = be->impl;
    (void)timeout;
    s->now += 1.0; /* each delivery takes a simulated second: hold times become visible */
    if (s->next_in < s->n_in) {
        *buf = s->in[s->next_in].buf;
        *len = s->in[s->next_in].len;
        s->next_in++;
        return PS_OK;
    }
    ps_msg_writer w;
    if (ps_msg_build(&w, PS_MSG_STOP, 0, 0, 0, 0, 0, 0, 0, err))
        return PS_ERR;
    *buf = w.buf;
    *len = w.len;
    return PS_OK;
}

static const ps_backend_ops script_ops = {
    .name = "script", .self = script_self, .send = script_send, .recv = script_recv,
    .now = script_now, .compute = script_compute, .disk = script_disk, .sleep = script_sleep,
};

/* Queues a message for the actor under test. */
static void script_push_in(script_state *s, void *buf, size_t len)
{
    s->in[s->n_in++] = (script_msg){0, buf, len};
}

static void script_free(script_state *s)
{
    for (int i = s->next_in; i < s->n_in; i++)
        free(s->in[i].buf);
    for (int i = 0; i < s->n_out; i++)
        free(s->out[i].buf);
}

#endif
