/* Framing and queues of one connection; see conn.h. */
#define _GNU_SOURCE
#include "real/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/ps/msg.h"
#include "real/net.h"
#include "real/wire.h"

ps_conn *ps_conn_new(int fd, int rank, int outgoing, size_t staging)
{
    ps_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->rcap = staging ? staging : 4096;
    c->rbuf = malloc(c->rcap);
    if (!c->rbuf) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->rank = rank;
    c->outgoing = outgoing;
    c->blame = -1;
    c->heard_at = ps_net_now();
    pthread_mutex_init(&c->wmu, NULL);
    pthread_cond_init(&c->wcv, NULL);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
        snprintf(c->addr_str, sizeof c->addr_str, "%s:%u", ip, ntohs(sa.sin_port));
    } else {
        snprintf(c->addr_str, sizeof c->addr_str, "?");
    }
    snprintf(c->name, sizeof c->name, "%s", c->addr_str);
    return c;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Cuts complete frames out of the staging buffer. */
static int conn_parse(ps_conn *c, ps_conn_frame_fn on_frame, void *ctx, char *why, size_t n)
{
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && c->rlen - off >= PS_WIRE_FRAME_LEN) {
        const uint8_t *f = c->rbuf + off;
        uint32_t dest = get32(f), kind = get32(f + 4);
        if ((kind == PS_WIRE_BYE || kind == PS_WIRE_BEAT) && c->member) {
            c->bye |= kind == PS_WIRE_BYE;
            off += PS_WIRE_FRAME_LEN;
            continue;
        }
        if (kind == PS_WIRE_ABORT && c->member) { /* the first one counts */
            if (c->blame < 0)
                c->blame = dest <= INT32_MAX ? (int)dest : c->rank;
            off += PS_WIRE_FRAME_LEN;
            continue;
        }
        if (kind != PS_WIRE_MSG && kind != PS_WIRE_HELLO) {
            snprintf(why, n, "unknown frame kind %u", kind);
            return -1;
        }
        if (c->rlen - off < PS_WIRE_FRAME_LEN + PS_MSG_HEADER_LEN)
            break;
        size_t total;
        ps_err e;
        if (ps_msg_check_header(f + PS_WIRE_FRAME_LEN, PS_MSG_HEADER_LEN, &total, &e)) {
            snprintf(why, n, "bad message header: %s", e.msg);
            return -1;
        }
        if (!c->member && (kind != PS_WIRE_HELLO || total > PS_CONN_MAX_HELLO)) {
            snprintf(why, n, "expected a handshake first, got a %zu-byte %s frame", total,
                     kind == PS_WIRE_HELLO ? "hello" : "message");
            return -1;
        }
        size_t avail = c->rlen - off - PS_WIRE_FRAME_LEN;
        if (avail >= total) {
            void *buf = malloc(total);
            if (!buf) {
                snprintf(why, n, "out of memory for a %zu-byte message", total);
                return -1;
            }
            memcpy(buf, f + PS_WIRE_FRAME_LEN, total);
            off += PS_WIRE_FRAME_LEN + total;
            c->after_big = 0;
            if (on_frame(ctx, c, kind, dest, buf, total, why, n)) {
                free(buf);
                return -1;
            }
        } else if (PS_WIRE_FRAME_LEN + total > c->rcap) {
            c->big = malloc(total);
            if (!c->big) {
                snprintf(why, n, "out of memory for a %zu-byte message", total);
                return -1;
            }
            memcpy(c->big, f + PS_WIRE_FRAME_LEN, avail);
            c->big_len = total;
            c->big_got = avail;
            c->big_dest = dest;
            c->big_kind = kind;
            off = c->rlen;
        } else {
            break;
        }
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return rc;
}

int ps_conn_read(ps_conn *c, ps_conn_frame_fn on_frame, void *ctx, char *why, size_t n)
{
    for (;;) {
        if (c->fd < 0)
            return PS_CONN_EOF;
        if (c->big) {
            ssize_t r = read(c->fd, c->big + c->big_got, c->big_len - c->big_got);
            if (r > 0) {
                c->heard_at = ps_net_now();
                c->big_got += (size_t)r;
                if (c->big_got == c->big_len) {
                    void *buf = c->big;
                    c->big = NULL;
                    c->after_big = 1;
                    if (on_frame(ctx, c, c->big_kind, c->big_dest, buf, c->big_len, why, n)) {
                        free(buf);
                        return -1;
                    }
                }
                continue;
            }
            if (r == 0) {
                snprintf(why, n, "stream ended inside a message (%zu of %zu bytes)", c->big_got,
                         c->big_len);
                return -1;
            }
        } else {
            /* After a big message another may follow: reading just its headers
             * lets its payload go straight to its own buffer, not through staging
             * and a copy (a quarter of a 1 MB message's bytes with 256 KB staging). */
            size_t want = c->rcap - c->rlen, hdrs = PS_WIRE_FRAME_LEN + PS_MSG_HEADER_LEN;
            if (c->after_big && c->rlen < hdrs)
                want = hdrs - c->rlen;
            ssize_t r = read(c->fd, c->rbuf + c->rlen, want);
            if (r > 0) {
                c->heard_at = ps_net_now();
                c->rlen += (size_t)r;
                if (conn_parse(c, on_frame, ctx, why, n))
                    return -1;
                continue;
            }
            if (r == 0) {
                if (c->rlen) {
                    snprintf(why, n, "stream ended inside a frame (%zu bytes pending)", c->rlen);
                    return -1;
                }
                return PS_CONN_EOF;
            }
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno != EINTR) {
            snprintf(why, n, "read: %s", strerror(errno));
            return -1;
        }
    }
}

int ps_conn_flush(ps_conn *c, char *why, size_t n)
{
    while (c->qhead) {
        struct iovec iov[64];
        int k = 0;
        for (ps_out_item *it = c->qhead; it && k < 62; it = it->next) {
            if (it->off < PS_WIRE_FRAME_LEN) {
                iov[k++] = (struct iovec){it->fh + it->off, PS_WIRE_FRAME_LEN - it->off};
                if (it->len)
                    iov[k++] = (struct iovec){it->buf, it->len};
            } else {
                size_t o = it->off - PS_WIRE_FRAME_LEN;
                iov[k++] = (struct iovec){(uint8_t *)it->buf + o, it->len - o};
            }
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            snprintf(why, n, "write: %s", strerror(errno));
            return -1;
        }
        size_t left = (size_t)w;
        c->queued -= left;
        while (left && c->qhead) {
            ps_out_item *it = c->qhead;
            size_t rest = PS_WIRE_FRAME_LEN + it->len - it->off;
            if (left < rest) {
                it->off += left;
                break;
            }
            left -= rest;
            c->qhead = it->next;
            if (!c->qhead)
                c->qtail = NULL;
            free(it->buf);
            free(it);
        }
    }
    return 0;
}

int ps_conn_enqueue(ps_conn *c, uint32_t dest, uint32_t kind, void *buf, size_t len, char *why,
                    size_t n)
{
    ps_out_item *it = malloc(sizeof *it);
    if (!it) {
        free(buf);
        snprintf(why, n, "out of memory");
        return -1;
    }
    ps_wire_frame(it->fh, dest, kind);
    it->next = NULL;
    it->buf = buf;
    it->len = len;
    it->off = 0;
    if (c->qtail)
        c->qtail->next = it;
    else
        c->qhead = it;
    c->qtail = it;
    c->queued += PS_WIRE_FRAME_LEN + len;
    return c->qhead == it ? ps_conn_flush(c, why, n) : 0;
}

/* A message given as head[0..at) + view + head[at..head_len), after its frame
 * header: the pieces in wire order. */
typedef struct spliced {
    const uint8_t *piece[4];
    size_t len[4];
} spliced;

static void spliced_init(spliced *m, const uint8_t *fh, const void *head, size_t head_len,
                         size_t at, const void *view, size_t view_len)
{
    *m = (spliced){{fh, head, view, (const uint8_t *)head + at},
                   {PS_WIRE_FRAME_LEN, at, view_len, head_len - at}};
}

/* The wire bytes [from, end) of m as up to 4 iovecs; returns how many. */
static int spliced_iov(const spliced *m, size_t from, struct iovec *iov)
{
    int k = 0;
    for (int i = 0; i < 4; i++) {
        if (from >= m->len[i]) {
            from -= m->len[i];
            continue;
        }
        iov[k++] = (struct iovec){(void *)(m->piece[i] + from), m->len[i] - from};
        from = 0;
    }
    return k;
}

int ps_conn_send_spliced(ps_conn *c, uint32_t dest, uint32_t kind, void *head, size_t head_len,
                         size_t at, const void *view, size_t view_len, char *why, size_t n)
{
    uint8_t fh[PS_WIRE_FRAME_LEN];
    ps_wire_frame(fh, dest, kind);
    spliced m;
    spliced_init(&m, fh, head, head_len, at, view, view_len);
    size_t total = PS_WIRE_FRAME_LEN + head_len + view_len, sent = 0;
    while (!c->qhead && sent < total) {
        struct iovec iov[4];
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)spliced_iov(&m, sent, iov)};
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            free(head);
            snprintf(why, n, "write: %s", strerror(errno));
            return -1;
        }
        sent += (size_t)w;
    }
    if (sent == total) {
        free(head);
        return 0;
    }
    /* The rest waits in the queue, so it must stop depending on the caller's
     * memory: copy just that part (the whole message if the frame header is
     * not out yet, as queue items carry their own). */
    size_t from = sent < PS_WIRE_FRAME_LEN ? PS_WIRE_FRAME_LEN : sent;
    size_t rest = total - from;
    ps_out_item *it = malloc(sizeof *it);
    uint8_t *buf = malloc(rest ? rest : 1);
    if (!it || !buf) {
        free(it);
        free(buf);
        free(head);
        snprintf(why, n, "out of memory queueing %zu bytes", rest);
        return -1;
    }
    struct iovec iov[4];
    uint8_t *dst = buf;
    for (int i = 0, k = spliced_iov(&m, from, iov); i < k; i++) {
        memcpy(dst, iov[i].iov_base, iov[i].iov_len);
        dst += iov[i].iov_len;
    }
    free(head);
    memcpy(it->fh, fh, sizeof fh);
    it->next = NULL;
    it->buf = buf;
    it->len = rest;
    it->off = sent < PS_WIRE_FRAME_LEN ? sent : PS_WIRE_FRAME_LEN;
    if (c->qtail)
        c->qtail->next = it;
    else
        c->qhead = it;
    c->qtail = it;
    c->queued += PS_WIRE_FRAME_LEN + it->len - it->off;
    return 0;
}

void ps_conn_close(ps_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void ps_conn_free(ps_conn *c)
{
    while (c->qhead) {
        ps_out_item *it = c->qhead;
        c->qhead = it->next;
        free(it->buf);
        free(it);
    }
    free(c->big);
    free(c->rbuf);
    pthread_mutex_destroy(&c->wmu);
    pthread_cond_destroy(&c->wcv);
    free(c);
}
