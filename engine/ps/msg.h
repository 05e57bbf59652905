/* The one binary message format, used unchanged by both backends: sim passes the
 * buffer and charges its length as the simulated size; real writes it to a socket.
 *
 * Layout (little-endian, 32-byte header, payload 8-byte aligned sections):
 *   off  size  field
 *    0    4    magic         PS_MSG_MAGIC ("PSLB")
 *    4    1    version       PS_MSG_VERSION
 *    5    1    type          enum ps_msg_type
 *    6    2    flags         PS_MSG_F_*
 *    8    4    sender        actor id
 *   12    4    table         parameter table id
 *   16    4    clock         signed
 *   20    4    nkeys
 *   24    4    vals_per_key  0 = the message carries keys only
 *   28    4    payload_len   bytes after the header
 *   32         keys          nkeys x u64 (KEY_RANGE flag: one u64, the first key;
 *                            KEYS_ASKED flag: none)
 *              values        nkeys x vals_per_key x f32, padded to a multiple of 8
 *              aux           payload_len - keys - padded values bytes (opaque)
 */
#ifndef PS_MSG_H
#define PS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/err.h"

#define PS_MSG_MAGIC 0x424C5350u /* "PSLB" read as a little-endian u32 */
#define PS_MSG_VERSION 1
#define PS_MSG_HEADER_LEN 32
#define PS_MSG_MAX_PAYLOAD (512u << 20) /* a hostile length must not make us allocate GBs */
#define PS_MSG_MAX_VALS_PER_KEY 4096u

enum ps_msg_type {
    PS_MSG_PULL = 1,       /* worker -> server: keys wanted for clock `clock` */
    PS_MSG_PULL_REPLY = 2, /* server -> worker: keys and values */
    PS_MSG_PUSH = 3,       /* worker -> server: keys and deltas of clock `clock` */
    PS_MSG_CLOCK = 4,      /* worker -> server: clock `clock` done, no keys touched */
    PS_MSG_SNAPSHOT = 5,   /* server -> coordinator: shard contents after clock */
    PS_MSG_DONE = 6,       /* worker -> coordinator: finished; aux = timing; table =
                            * PS_DONE_INTERRUPTED if it stopped for an interrupt,
                            * PS_DONE_LOST (clock = the node) if for a lost node */
    PS_MSG_STOP = 7,       /* coordinator -> server: shut down */
    PS_MSG_HELLO = 8,      /* real backend: handshake */
    PS_MSG_STAGE = 9,      /* server -> coordinator: a stage began; clock = its index,
                            * aux = f64 when the previous one ended, f64 when the new
                            * one's first pull was served (-1: none) */
    PS_MSG_MODEL = 10,     /* direct model transfer of a one-worker stage (worker.c):
                            * worker -> server, no keys: send me your shard of `table`;
                            * server -> worker: that shard; worker -> server: keys and
                            * values to set, CLOCK_END on the last: the stage is done;
                            * server -> worker, no keys: applied */
    PS_MSG_GRANT = 11,     /* a multi-task run's scheduler -> a task's coordinator, servers
                            * and the stage's workers: stage `clock` starts; aux = the
                            * workers taking part, u32 each, ascending */
    PS_MSG_STAGE_END = 12, /* worker -> scheduler: it has done stage `clock` of task
                            * `table` */
    PS_MSG_TASK_END = 13,  /* scheduler -> a task's workers: every stage has run */
    PS_MSG_INDEX = 14,     /* the block index's build (engine/ps/indexer.c): clock = its
                            * step; worker -> coordinator: counts, keys and float vals;
                            * coordinator -> workers: hot keys, a round's merges, the
                            * index (and to servers: the index) */
    PS_MSG_INTERRUPT = 15, /* the run was asked to stop (SIGINT, SIGTERM; clock = the
                            * signal): a backend -> the coordinator (backend.h); the
                            * coordinator -> servers, which then answer every pull with
                            * an INTERRUPTED reply */
    PS_MSG_TYPE_MAX = 15
};

#define PS_DONE_INTERRUPTED 1u
#define PS_DONE_LOST 2u
/* INTERRUPT to the coordinator, table: a node's injected crash (fault.crash) in
 * sim; aux = f64 its time, f64 its clock. */
#define PS_INTERRUPT_CRASH 1u
/* INTERRUPT, table: a node was lost and the run goes on without its workers
 * (fault.on_worker_failure = continue): the real backend -> the coordinator, clock =
 * the node; the coordinator -> servers, clock = a worker it lost. */
#define PS_INTERRUPT_LOST 2u

/* PUSH/CLOCK: this message closes the sender's clock `clock`. */
#define PS_MSG_F_CLOCK_END 0x1u
/* PUSH: aux holds the keys (u64) of the sender's pull for clock+1, so one message
 * per server and iteration carries both; see engine/ps/worker.c. */
#define PS_MSG_F_PULL_NEXT 0x2u
/* The keys are the range key_lo .. key_lo+nkeys-1 and the keys section holds only
 * key_lo: dense pulls, pushes and snapshots carry 4 bytes per value, not 12. */
#define PS_MSG_F_KEY_RANGE 0x8u
/* PUSH/CLOCK closing a clock: the last 16 bytes of aux are the sender's timing of
 * that iteration, two f64: when it started and how long it took (backend seconds).
 * No worker sends it since WSP predicts from arrivals at the server; a server
 * still accepts and skips the trailer. */
#define PS_MSG_F_TIMING 0x4u
#define PS_MSG_TIMING_LEN 16u
/* The keys section is empty: the keys are those of a pull both ends know, in its
 * order. On a PULL_REPLY, the pull it answers: the worker knows what it asked, so a
 * sparse reply carries 4 bytes per value, not 12 (at 1000 hosts, 30 MB less written
 * and read per iteration). On a PUSH, the sender's pull of the same clock from this
 * server, which the server keeps from serving it: a worker pushes deltas for
 * exactly the keys it pulled, so the keys cross the wire and are checked once per
 * iteration, not twice. Never with KEY_RANGE. */
#define PS_MSG_F_KEYS_ASKED 0x10u
/* PULL_REPLY, no keys: the run is being interrupted; the worker ends after this
 * clock's replies have all come (engine/ps/worker.c). */
#define PS_MSG_F_INTERRUPTED 0x20u
#define PS_MSG_F_ALL 0x3Fu

/* A decoded message: a view into the buffer it was decoded from (no copies). */
typedef struct ps_msg {
    uint8_t type;
    uint16_t flags;
    uint32_t sender;
    uint32_t table;
    int32_t clock;
    uint32_t nkeys;
    uint32_t vals_per_key;
    const uint64_t *keys; /* NULL for a key range (use ps_msg_key()) or KEYS_ASKED */
    uint64_t key_lo;      /* KEY_RANGE: the first key */
    const float *vals;   /* NULL when vals_per_key == 0 */
    const uint8_t *aux;  /* NULL when aux_len == 0; 8-byte aligned */
    uint32_t aux_len;
} ps_msg;

/* A message being built in place: fill keys/vals/aux, then send buf/len. */
typedef struct ps_msg_writer {
    void *buf;   /* malloc'd; ownership passes to ps_send */
    size_t len;
    uint64_t *keys; /* KEY_RANGE: one slot, for the first key */
    float *vals;
    uint8_t *aux;
} ps_msg_writer;

/* The i-th key of a decoded message, explicit or in a range (not KEYS_ASKED). */
static inline uint64_t ps_msg_key(const ps_msg *m, uint32_t i)
{
    return m->keys ? m->keys[i] : m->key_lo + i;
}

/* Total encoded size; 0 if the counts are over the format's limits. */
size_t ps_msg_encoded_size(uint32_t nkeys, uint32_t vals_per_key, uint32_t aux_len);
size_t ps_msg_encoded_size_flags(uint16_t flags, uint32_t nkeys, uint32_t vals_per_key,
                                 uint32_t aux_len);

/* Allocates a buffer and writes the header; the caller fills keys, vals and aux. */
int ps_msg_build(ps_msg_writer *w, uint8_t type, uint16_t flags, uint32_t sender,
                 uint32_t table, int32_t clock, uint32_t nkeys, uint32_t vals_per_key,
                 uint32_t aux_len, ps_err *err);

/* Like ps_msg_build, but the buffer leaves the values section out, for values that
 * already sit in memory (a dense pull answered from the store): w->vals is NULL,
 * *at is where the *vals_len bytes of values belong. Send with ps_send_spliced. */
int ps_msg_build_spliced(ps_msg_writer *w, uint8_t type, uint16_t flags, uint32_t sender,
                         uint32_t table, int32_t clock, uint32_t nkeys, uint32_t vals_per_key,
                         uint32_t aux_len, size_t *at, size_t *vals_len, ps_err *err);
/* Validates a 32-byte header alone (magic, version, type, flags, counts, length);
 * on success *total_len is the whole message's length. The sockets backend calls
 * this before reading a payload, so a hostile length is refused before allocating. */
int ps_msg_check_header(const void *hdr, size_t hdr_len, size_t *total_len, ps_err *err);

/* Decodes a whole buffer (which must be 8-byte aligned, as malloc'd buffers are),
 * refusing anything malformed or truncated with a message saying what is wrong. */
int ps_msg_decode(const void *buf, size_t len, ps_msg *out, ps_err *err);

const char *ps_msg_type_name(int type);

/* A backend's PS_MSG_INTERRUPT for signal sig (backend.h), malloc'd; NULL when out
 * of memory. */
void *ps_msg_new_interrupt(uint32_t sender, int sig, size_t *len);

/* The sender field of an encoded message (at least a header), read or rewritten in
 * place: a multi-task run's view of the backend maps a task's ids to the run's. */
uint32_t ps_msg_sender_of(const void *buf);
void ps_msg_set_sender(void *buf, uint32_t sender);

#endif
