/* One TCP connection of the sockets backend: the receive side cuts the stream into
 * frames (validating each engine header before allocating its payload), the send
 * side is a queue of frames written with scatter-gather, never blocking. */
#ifndef PS_REAL_CONN_H
#define PS_REAL_CONN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PS_CONN_EOF 1
/* The largest first frame accepted before the handshake: a stranger cannot make
 * us allocate a big payload. */
#define PS_CONN_MAX_HELLO (64u << 10)

typedef struct ps_out_item {
    struct ps_out_item *next;
    uint8_t fh[8];
    void *buf;
    size_t len, off;   /* off counts the frame header too */
} ps_out_item;

typedef struct ps_conn {
    int fd, rank, outgoing, member, bye;
    int blame;          /* from its PS_WIRE_ABORT: the node it blames, or -1 */
    int beats;          /* a join connection: its peer sends PS_WIRE_BEAT */
    double heard_at;    /* ps_net_now() of the last bytes read from it */
    char addr_str[32];
    char name[96];      /* "from node 2 (127.0.0.1:40000)", for logs */
    uint8_t *rbuf;      /* staging for small frames */
    size_t rcap, rlen;
    uint8_t *big;       /* a payload too big for staging, read in place */
    size_t big_len, big_got;
    uint32_t big_dest, big_kind;
    int after_big;      /* the last message was big: read the next header alone */
    pthread_mutex_t wmu;
    pthread_cond_t wcv;
    ps_out_item *qhead, *qtail;
    size_t queued;      /* bytes not yet written */
} ps_conn;

/* Called per complete frame; returns 0 having taken buf, or nonzero (with why)
 * leaving buf to the caller, which then drops the connection. */
typedef int (*ps_conn_frame_fn)(void *ctx, ps_conn *c, uint32_t kind, uint32_t dest, void *buf,
                                size_t len, char *why, size_t why_len);

ps_conn *ps_conn_new(int fd, int rank, int outgoing, size_t staging);
/* Reads all that is available: 0, PS_CONN_EOF at a clean end of stream, or -1
 * with why (malformed frame, truncated stream, reset). */
int ps_conn_read(ps_conn *c, ps_conn_frame_fn on_frame, void *ctx, char *why, size_t why_len);
/* Under wmu: queues a frame (buf may be NULL for BYE; ownership passes) and writes
 * what the socket takes now. */
int ps_conn_enqueue(ps_conn *c, uint32_t dest, uint32_t kind, void *buf, size_t len, char *why,
                    size_t why_len);
/* Under wmu: sends the message head[0..at) + view + head[at..head_len). With
 * nothing queued it goes straight from the caller's memory to the socket, and
 * only what the socket does not take is copied and queued: a dense pull reply
 * leaves the store with the kernel's copy alone. Takes head; view is read only
 * during the call. */
int ps_conn_send_spliced(ps_conn *c, uint32_t dest, uint32_t kind, void *head, size_t head_len,
                         size_t at, const void *view, size_t view_len, char *why, size_t why_len);
/* Under wmu: writes queued frames until the socket would block. */
int ps_conn_flush(ps_conn *c, char *why, size_t why_len);
void ps_conn_close(ps_conn *c);
void ps_conn_free(ps_conn *c);

#endif
