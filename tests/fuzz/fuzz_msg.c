/* libFuzzer harness: the message decoder (engine/ps/msg.c), which every byte from a
 * peer goes through. A decoded message must be safe to read whole: every key,
 * value and aux byte it claims. */
#include "engine/ps/msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the decoder wants the 8-byte alignment of a malloc'd receive buffer */
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    size_t total;
    ps_err err;
    if (size >= 32 && ps_msg_check_header(buf, 32, &total, &err) == 0 && total > 32u + PS_MSG_MAX_PAYLOAD)
        abort(); /* a header the sockets backend would allocate for: bounded */
    ps_msg m;
    if (ps_msg_decode(buf, size, &m, &err) == 0) {
        volatile uint64_t sum = 0;
        if (m.keys) /* a range is two numbers, however many keys it spans */
            for (uint32_t i = 0; i < m.nkeys; i++)
                sum += m.keys[i];
        if (m.vals)
            for (uint64_t i = 0; i < (uint64_t)m.nkeys * m.vals_per_key; i++)
            {
                uint32_t bits; /* a value's bits: any float, NaN too, is a valid payload */
                memcpy(&bits, &m.vals[i], sizeof bits);
                sum += bits;
            }
        for (uint32_t i = 0; i < m.aux_len; i++)
            sum += m.aux[i];
        (void)ps_msg_type_name(m.type);
        (void)sum;
    }
    free(buf);
    return 0;
}
