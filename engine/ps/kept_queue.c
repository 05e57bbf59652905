/* The kept-message FIFO; see kept_queue.h. */
#include "engine/ps/kept_queue.h"

#include <stdlib.h>

void ps_kept_push(ps_kept_queue *q, ps_kept_msg *k)
{
    k->next = NULL;
    if (q->tail)
        q->tail->next = k;
    else
        q->head = k;
    q->tail = k;
}

ps_kept_msg *ps_kept_pop(ps_kept_queue *q)
{
    ps_kept_msg *k = q->head;
    if (k && !(q->head = k->next))
        q->tail = NULL;
    return k;
}

void ps_kept_free(ps_kept_queue *q)
{
    for (ps_kept_msg *k; (k = ps_kept_pop(q));) {
        free(k->buf);
        free(k);
    }
}
