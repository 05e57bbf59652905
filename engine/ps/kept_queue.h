/* A FIFO of received messages kept for later: a server holds those of a stage
 * that has not begun there, and handles them, in arrival order, once it has. */
#ifndef PS_KEPT_QUEUE_H
#define PS_KEPT_QUEUE_H

#include <stddef.h>

typedef struct ps_kept_msg {
    struct ps_kept_msg *next;
    void *buf;
    size_t len;
    double arrived_at;  /* a pull's wait runs from here */
} ps_kept_msg;

typedef struct ps_kept_queue {
    ps_kept_msg *head, *tail;
} ps_kept_queue;

void ps_kept_push(ps_kept_queue *q, ps_kept_msg *k);
ps_kept_msg *ps_kept_pop(ps_kept_queue *q); /* NULL when empty */
void ps_kept_free(ps_kept_queue *q);     /* frees the messages too */

#endif
