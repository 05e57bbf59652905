/* One connection of the sockets backend over a socket pair: a spliced send that the
 * socket takes only in part queues a copy of the rest (so the caller's memory may
 * change at once) and keeps frame order; the receive side cuts big and small
 * messages, in any mix, out of the stream whole and in order, and keeps the node a
 * failing peer blames (PS_WIRE_ABORT). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine/ps/msg.h"
#include "real/conn.h"
#include "real/wire.h"
#include "tests/unit/cu_main.h"

static int fds[2];

static void make_pair(int sndbuf)
{
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    if (sndbuf)
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    /* bytes that never come fail the test instead of hanging it */
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* A message of n values (value i = i * scale + key_lo) in one piece. */
static void *whole_message(uint32_t n, uint64_t lo, float scale, size_t *len)
{
    ps_msg_writer w;
    CU_ASSERT_FATAL(ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_KEY_RANGE, 3, 0, 1, n, 1, 8,
                                 NULL) == PS_OK);
    w.keys[0] = lo;
    for (uint32_t i = 0; i < n; i++)
        w.vals[i] = (float)i * scale + (float)lo;
    memcpy(w.aux, "12345678", 8);
    *len = w.len;
    return w.buf;
}

/* Reads exactly len bytes from fds[1], flushing the sender's queue meanwhile. */
static void drain(ps_conn *c, uint8_t *out, size_t len)
{
    char why[200];
    size_t got = 0;
    while (got < len) {
        CU_ASSERT_FATAL(ps_conn_flush(c, why, sizeof why) == 0);
        ssize_t r = read(fds[1], out + got, len - got);
        CU_ASSERT_FATAL(r > 0);
        got += (size_t)r;
    }
}

static void check_frame(const uint8_t *wire, uint32_t dest, const void *msg, size_t len)
{
    uint8_t fh[PS_WIRE_FRAME_LEN];
    ps_wire_frame(fh, dest, PS_WIRE_MSG);
    CU_ASSERT_EQUAL(memcmp(wire, fh, sizeof fh), 0);
    CU_ASSERT_EQUAL(memcmp(wire + PS_WIRE_FRAME_LEN, msg, len), 0);
}

static void test_spliced_partial_write(void)
{
    make_pair(4096);
    ps_conn *c = ps_conn_new(fds[0], 1, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint32_t n = 200000; /* 800 KB: far more than the socket takes at once */
    size_t len, at, vals_len;
    void *want = whole_message(n, 40, 0.5f, &len);
    float *store = malloc(n * sizeof *store);
    for (uint32_t i = 0; i < n; i++)
        store[i] = (float)i * 0.5f + 40.0f;
    ps_msg_writer h;
    CU_ASSERT_FATAL(ps_msg_build_spliced(&h, PS_MSG_PULL_REPLY, PS_MSG_F_KEY_RANGE, 3, 0, 1, n, 1,
                                         8, &at, &vals_len, NULL) == PS_OK);
    h.keys[0] = 40;
    memcpy(h.aux, "12345678", 8);
    char why[200];
    CU_ASSERT_EQUAL(ps_conn_send_spliced(c, 9, PS_WIRE_MSG, h.buf, h.len, at, store, vals_len,
                                         why, sizeof why), 0);
    CU_ASSERT_PTR_NOT_NULL(c->qhead); /* the socket took only part of it */
    CU_ASSERT(c->queued > 0 && c->queued < PS_WIRE_FRAME_LEN + len);
    /* the store moves on at once; what is on the way must not */
    memset(store, 0xff, n * sizeof *store);
    /* queued behind it: a plain frame, then a spliced one that cannot go direct */
    size_t len2;
    void *second = whole_message(5, 7, 2.0f, &len2);
    void *second_copy = malloc(len2);
    memcpy(second_copy, second, len2);
    CU_ASSERT_EQUAL(ps_conn_enqueue(c, 10, PS_WIRE_MSG, second, len2, why, sizeof why), 0);
    float small[3] = {1, 2, 3};
    size_t len3, at3, vl3;
    ps_msg_writer h3;
    CU_ASSERT_FATAL(ps_msg_build_spliced(&h3, PS_MSG_PULL_REPLY, PS_MSG_F_KEY_RANGE, 3, 0, 1, 3, 1,
                                         8, &at3, &vl3, NULL) == PS_OK);
    h3.keys[0] = 0;
    memcpy(h3.aux, "abcdefgh", 8);
    len3 = h3.len + vl3;
    uint8_t *third = malloc(len3);
    memcpy(third, h3.buf, at3);
    memcpy(third + at3, small, vl3);
    memcpy(third + at3 + vl3, (uint8_t *)h3.buf + at3, h3.len - at3);
    CU_ASSERT_EQUAL(ps_conn_send_spliced(c, 11, PS_WIRE_MSG, h3.buf, h3.len, at3, small, vl3, why,
                                         sizeof why), 0);
    small[0] = -1; /* queued behind the others: it had to be copied whole */
    size_t total = 3 * PS_WIRE_FRAME_LEN + len + len2 + len3;
    uint8_t *wire = malloc(total);
    drain(c, wire, total);
    CU_ASSERT_PTR_NULL(c->qhead);
    CU_ASSERT_EQUAL(c->queued, 0);
    check_frame(wire, 9, want, len);
    check_frame(wire + PS_WIRE_FRAME_LEN + len, 10, second_copy, len2);
    check_frame(wire + 2 * PS_WIRE_FRAME_LEN + len + len2, 11, third, len3);
    free(wire);
    free(third);
    free(second_copy);
    free(want);
    free(store);
    ps_conn_close(c);
    ps_conn_free(c);
    close(fds[1]);
}

/* A spliced send the socket takes whole leaves nothing queued. */
static void test_spliced_direct(void)
{
    make_pair(0);
    ps_conn *c = ps_conn_new(fds[0], 1, 1, 0);
    float vals[4] = {1, 2, 3, 4};
    ps_msg_writer h;
    size_t at, vl;
    CU_ASSERT_FATAL(ps_msg_build_spliced(&h, PS_MSG_PULL_REPLY, PS_MSG_F_KEY_RANGE, 3, 0, 1, 4, 1,
                                         8, &at, &vl, NULL) == PS_OK);
    h.keys[0] = 0;
    memset(h.aux, 0, 8);
    size_t len = h.len + vl;
    char why[200];
    CU_ASSERT_EQUAL(ps_conn_send_spliced(c, 2, PS_WIRE_MSG, h.buf, h.len, at, vals, vl, why,
                                         sizeof why), 0);
    CU_ASSERT_PTR_NULL(c->qhead);
    uint8_t wire[256];
    drain(c, wire, PS_WIRE_FRAME_LEN + len);
    ps_msg m;
    CU_ASSERT_EQUAL_FATAL(ps_msg_decode(wire + PS_WIRE_FRAME_LEN, len, &m, NULL), PS_OK);
    CU_ASSERT_EQUAL(m.vals[3], 4.0f);
    ps_conn_close(c);
    ps_conn_free(c);
    close(fds[1]);
}

typedef struct got_frames {
    int n;
    size_t len[8];
    uint32_t dest[8];
    void *buf[8];
} got_frames;

static int on_frame(void *ctx, ps_conn *c, uint32_t kind, uint32_t dest, void *buf, size_t len,
                    char *why, size_t n)
{
    (void)c;
    (void)kind;
    (void)why;
    (void)n;
    got_frames *g = ctx;
    if (g->n == 8)
        return -1;
    g->len[g->n] = len;
    g->dest[g->n] = dest;
    g->buf[g->n++] = buf;
    return 0;
}

/* Big (past staging), small, big, big, small: each arrives whole and in order,
 * whatever the read sizes (a big message makes the next read take its headers
 * alone). */
static void test_receive_big_and_small(void)
{
    make_pair(0);
    ps_conn *tx = ps_conn_new(fds[0], 1, 1, 0);
    ps_conn *rx = ps_conn_new(fds[1], 0, 0, 4096);
    rx->member = 1;
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    uint32_t sizes[5] = {30000, 3, 20000, 50000, 10};
    void *sent[5];
    size_t lens[5];
    char why[200];
    got_frames g = {0};
    for (int i = 0; i < 5; i++) {
        sent[i] = whole_message(sizes[i], (uint64_t)i, 1.0f, &lens[i]);
        void *copy = malloc(lens[i]);
        memcpy(copy, sent[i], lens[i]);
        CU_ASSERT_EQUAL(ps_conn_enqueue(tx, (uint32_t)(20 + i), PS_WIRE_MSG, copy, lens[i], why,
                                        sizeof why), 0);
        while (tx->qhead) { /* drain as it goes, so reads see every kind of split */
            CU_ASSERT_EQUAL_FATAL(ps_conn_read(rx, on_frame, &g, why, sizeof why), 0);
            CU_ASSERT_EQUAL_FATAL(ps_conn_flush(tx, why, sizeof why), 0);
        }
    }
    for (int spins = 0; g.n < 5 && spins < 1000; spins++)
        CU_ASSERT_EQUAL_FATAL(ps_conn_read(rx, on_frame, &g, why, sizeof why), 0);
    CU_ASSERT_EQUAL_FATAL(g.n, 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(g.dest[i], (uint32_t)(20 + i));
        CU_ASSERT_EQUAL_FATAL(g.len[i], lens[i]);
        CU_ASSERT_EQUAL(memcmp(g.buf[i], sent[i], lens[i]), 0);
        free(g.buf[i]);
        free(sent[i]);
    }
    ps_conn_close(tx);
    ps_conn_free(tx);
    ps_conn_close(rx);
    ps_conn_free(rx);
}

/* A peer's PS_WIRE_ABORT names whom it blames, the first of them kept, between
 * messages that still arrive; from a stranger (no handshake) it is refused. */
static void test_abort_frame_blame(void)
{
    make_pair(0);
    ps_conn *tx = ps_conn_new(fds[0], 1, 1, 0);
    ps_conn *rx = ps_conn_new(fds[1], 2, 0, 4096);
    rx->member = 1;
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    char why[200];
    size_t len;
    void *msg = whole_message(4, 0, 1.0f, &len);
    CU_ASSERT_EQUAL(ps_conn_enqueue(tx, 0, PS_WIRE_MSG, msg, len, why, sizeof why), 0);
    CU_ASSERT_EQUAL(ps_conn_enqueue(tx, 3, PS_WIRE_ABORT, NULL, 0, why, sizeof why), 0);
    CU_ASSERT_EQUAL(ps_conn_enqueue(tx, 4, PS_WIRE_ABORT, NULL, 0, why, sizeof why), 0);
    msg = whole_message(5, 0, 1.0f, &len);
    CU_ASSERT_EQUAL(ps_conn_enqueue(tx, 0, PS_WIRE_MSG, msg, len, why, sizeof why), 0);
    got_frames g = {0};
    for (int spins = 0; g.n < 2 && spins < 1000; spins++)
        CU_ASSERT_EQUAL_FATAL(ps_conn_read(rx, on_frame, &g, why, sizeof why), 0);
    CU_ASSERT_EQUAL(g.n, 2);
    CU_ASSERT_EQUAL(rx->blame, 3);
    CU_ASSERT_EQUAL(rx->bye, 0); /* failing is not a clean goodbye */
    for (int i = 0; i < g.n; i++)
        free(g.buf[i]);
    ps_conn_free(rx);
    rx = ps_conn_new(fds[1], 2, 0, 4096); /* a stranger's abort */
    CU_ASSERT_EQUAL(ps_conn_enqueue(tx, 3, PS_WIRE_ABORT, NULL, 0, why, sizeof why), 0);
    int rc = 0;
    for (int spins = 0; rc == 0 && spins < 1000; spins++)
        rc = ps_conn_read(rx, on_frame, &g, why, sizeof why);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown frame kind 4"));
    CU_ASSERT_EQUAL(rx->blame, -1);
    ps_conn_close(tx);
    ps_conn_free(tx);
    ps_conn_close(rx);
    ps_conn_free(rx);
}

static CU_TestInfo tests[] = {
    {"an abort frame names the node blamed, the first kept", test_abort_frame_blame},
    {"spliced send written in part queues a copy of the rest", test_spliced_partial_write},
    {"spliced send taken whole queues nothing", test_spliced_direct},
    {"big and small messages arrive whole and in order", test_receive_big_and_small},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"conn", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
