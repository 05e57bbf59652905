/* The backend calls that are more than a one-line wrapper (engine/core/backend.h):
 * a spliced send, for a backend without its own, joins the pieces and sends. */
#include "engine/core/backend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *ps_splice_join(const void *head, size_t head_len, size_t at, const void *view,
                     size_t view_len)
{
    uint8_t *buf = malloc(head_len + view_len);
    if (!buf)
        return NULL;
    memcpy(buf, head, at);
    if (view_len)
        memcpy(buf + at, view, view_len);
    memcpy(buf + at + view_len, (const uint8_t *)head + at, head_len - at);
    return buf;
}

int ps_send_spliced(ps_backend *be, int to, void *head, size_t head_len, size_t at,
                    const void *view, size_t view_len, ps_err *err)
{
    if (at > head_len) {
        free(head);
        return ps_err_set(err, "splice offset %zu past a %zu-byte head", at, head_len);
    }
    if (be->ops->send_spliced) {
        be->messages_sent++;
        be->bytes_sent += head_len + view_len;
        return be->ops->send_spliced(be, to, head, head_len, at, view, view_len, err);
    }
    void *buf = ps_splice_join(head, head_len, at, view, view_len);
    free(head);
    if (!buf)
        return ps_err_set(err, "out of memory for a %zu-byte message", head_len + view_len);
    return ps_send(be, to, buf, head_len + view_len, err);
}
