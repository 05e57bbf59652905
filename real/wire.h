/* What the sockets backend puts on a TCP stream around the engine's messages: an
 * 8-byte frame header (destination actor, frame kind), then, for MSG and HELLO
 * frames, one engine message (engine/ps/msg.h), validated before it is delivered. */
#ifndef PS_REAL_WIRE_H
#define PS_REAL_WIRE_H

#include <stdint.h>

#define PS_WIRE_VERSION 1
#define PS_WIRE_FRAME_LEN 8

enum ps_wire_kind {
    PS_WIRE_MSG = 0,   /* an engine message for actor `dest` */
    PS_WIRE_BYE = 1,   /* the sender is shutting down cleanly: its EOF is not a failure */
    PS_WIRE_HELLO = 2, /* handshake: a PS_MSG_HELLO message whose aux is ps_wire_hello */
    PS_WIRE_BEAT = 3,  /* a heartbeat on a join connection, both ways: the sender's
                        * process runs (a stopped or hung one falls silent) */
    PS_WIRE_ABORT = 4, /* the sender is failing, and its frame's dest is the rank of
                        * the node it blames: the first one lost, as far as it
                        * knows, or its own for a failure of its own; no payload */
};

/* HELLO's aux: who is connecting. Joining the coordinator, token is 0 and
 * listen_* say where the joiner accepts peers; on a peer connection, token is the
 * run's token from the coordinator, so a stray or hostile client cannot pose as a
 * member. The coordinator's WELCOME (also a HELLO) appends the peer table and the
 * resolved config: ps_wire_peer[n_nodes], then config_len bytes, then dir_len bytes. */
/* A WELCOME whose rank is this refuses the join: its aux holds the reason
 * (config_len bytes), so that the refused node can say why it is not in the run. */
#define PS_WIRE_REFUSED UINT32_MAX

typedef struct ps_wire_hello {
    uint32_t version;
    uint32_t rank;
    uint32_t n_nodes;
    uint32_t listen_ip;    /* network byte order */
    uint32_t listen_port;
    uint32_t config_len;   /* WELCOME only */
    uint32_t dir_len;      /* WELCOME only */
    uint32_t reserved;
    uint64_t token;
} ps_wire_hello;

typedef struct ps_wire_peer {
    uint32_t ip, port;
} ps_wire_peer;

static inline void ps_wire_frame(uint8_t *fh, uint32_t dest, uint32_t kind)
{
    for (int i = 0; i < 4; i++) {
        fh[i] = (uint8_t)(dest >> (8 * i));
        fh[4 + i] = (uint8_t)(kind >> (8 * i));
    }
}

#endif
