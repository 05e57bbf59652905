/* Encode and decode of the engine's binary messages (layout in msg.h). Decoding
 * trusts nothing: every count and length is checked against the buffer before a
 * pointer into it is handed out. */
#include "engine/ps/msg.h"

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pslab's message format is little-endian and written with memcpy: port the codec"
#endif

static uint64_t pad8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* Bytes of the keys section: a range stores only its first key, a message of the
 * keys asked none. */
static uint64_t keys_len(uint16_t flags, uint32_t nkeys)
{
    if (flags & PS_MSG_F_KEYS_ASKED)
        return 0;
    return (flags & PS_MSG_F_KEY_RANGE) ? (nkeys ? 8u : 0u) : 8ull * nkeys;
}

/* NULL when the flags may go together, else what is wrong with them. */
static const char *flags_conflict(uint8_t type, uint16_t flags)
{
    if ((flags & PS_MSG_F_KEYS_ASKED) && (flags & PS_MSG_F_KEY_RANGE))
        return "a key range cannot also leave its keys out";
    if ((flags & PS_MSG_F_KEYS_ASKED) && type != PS_MSG_PULL_REPLY && type != PS_MSG_PUSH)
        return "only a pull reply or a push can leave its keys out";
    return NULL;
}

/* Bytes of keys plus padded values; 64-bit so that hostile counts cannot wrap. */
static uint64_t body_len(uint16_t flags, uint32_t nkeys, uint32_t vals_per_key)
{
    return keys_len(flags, nkeys) + pad8(4ull * nkeys * vals_per_key);
}

size_t ps_msg_encoded_size(uint32_t nkeys, uint32_t vals_per_key, uint32_t aux_len)
{
    return ps_msg_encoded_size_flags(0, nkeys, vals_per_key, aux_len);
}

size_t ps_msg_encoded_size_flags(uint16_t flags, uint32_t nkeys, uint32_t vals_per_key,
                                 uint32_t aux_len)
{
    if (vals_per_key > PS_MSG_MAX_VALS_PER_KEY)
        return 0;
    uint64_t payload = body_len(flags, nkeys, vals_per_key) + aux_len;
    if (payload > PS_MSG_MAX_PAYLOAD)
        return 0;
    return (size_t)(PS_MSG_HEADER_LEN + payload);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static int msg_check_build(uint8_t type, uint16_t flags, uint32_t nkeys, uint32_t vals_per_key,
                           uint32_t aux_len, size_t *len, ps_err *err)
{
    if (type < 1 || type > PS_MSG_TYPE_MAX)
        return ps_err_set(err, "cannot build a message of unknown type %u", type);
    if (flags & ~PS_MSG_F_ALL)
        return ps_err_set(err, "cannot build a message with unknown flags 0x%x", flags);
    const char *conflict = flags_conflict(type, flags);
    if (conflict)
        return ps_err_set(err, "cannot build a message with flags 0x%x: %s", flags, conflict);
    *len = ps_msg_encoded_size_flags(flags, nkeys, vals_per_key, aux_len);
    if (*len == 0)
        return ps_err_set(err, "message of %u keys x %u values + %u aux bytes is over the "
                          "format's limits", nkeys, vals_per_key, aux_len);
    return PS_OK;
}

static void msg_put_header(uint8_t *b, uint8_t type, uint16_t flags, uint32_t sender,
                           uint32_t table, int32_t clock, uint32_t nkeys, uint32_t vals_per_key,
                           size_t len)
{
    memset(b, 0, PS_MSG_HEADER_LEN);
    put32(b, PS_MSG_MAGIC);
    b[4] = PS_MSG_VERSION;
    b[5] = type;
    put16(b + 6, flags);
    put32(b + 8, sender);
    put32(b + 12, table);
    put32(b + 16, (uint32_t)clock);
    put32(b + 20, nkeys);
    put32(b + 24, vals_per_key);
    put32(b + 28, (uint32_t)(len - PS_MSG_HEADER_LEN));
}

int ps_msg_build(ps_msg_writer *w, uint8_t type, uint16_t flags, uint32_t sender,
                 uint32_t table, int32_t clock, uint32_t nkeys, uint32_t vals_per_key,
                 uint32_t aux_len, ps_err *err)
{
    size_t len;
    if (msg_check_build(type, flags, nkeys, vals_per_key, aux_len, &len, err))
        return PS_ERR;
    /* Not calloc: zeroing a dense pull's 40 MB only for callers to overwrite it
     * costs as much as sending it. Callers fill keys and values; the header, the
     * values' padding and aux are zeroed here, so the bytes stay deterministic. */
    uint8_t *b = malloc(len);
    if (!b)
        return ps_err_set(err, "out of memory for a %zu-byte message", len);
    uint64_t vals_end = PS_MSG_HEADER_LEN + keys_len(flags, nkeys) + 4ull * nkeys * vals_per_key;
    memset(b + vals_end, 0, len - vals_end);
    msg_put_header(b, type, flags, sender, table, clock, nkeys, vals_per_key, len);
    uint8_t *body = b + PS_MSG_HEADER_LEN;
    w->buf = b;
    w->len = len;
    w->keys = nkeys && keys_len(flags, nkeys) ? (uint64_t *)(void *)body : NULL;
    w->vals = nkeys && vals_per_key ? (float *)(void *)(body + keys_len(flags, nkeys)) : NULL;
    w->aux = aux_len ? body + body_len(flags, nkeys, vals_per_key) : NULL;
    return PS_OK;
}

int ps_msg_build_spliced(ps_msg_writer *w, uint8_t type, uint16_t flags, uint32_t sender,
                         uint32_t table, int32_t clock, uint32_t nkeys, uint32_t vals_per_key,
                         uint32_t aux_len, size_t *at, size_t *vals_len, ps_err *err)
{
    size_t len;
    if (msg_check_build(type, flags, nkeys, vals_per_key, aux_len, &len, err))
        return PS_ERR;
    size_t k_len = keys_len(flags, nkeys), v_len = 4ull * nkeys * vals_per_key;
    size_t head_len = len - v_len;
    uint8_t *b = malloc(head_len);
    if (!b)
        return ps_err_set(err, "out of memory for a %zu-byte message", head_len);
    memset(b + PS_MSG_HEADER_LEN + k_len, 0, head_len - PS_MSG_HEADER_LEN - k_len);
    msg_put_header(b, type, flags, sender, table, clock, nkeys, vals_per_key, len);
    uint8_t *body = b + PS_MSG_HEADER_LEN;
    w->buf = b;
    w->len = head_len;
    w->keys = nkeys && k_len ? (uint64_t *)(void *)body : NULL;
    w->vals = NULL;
    w->aux = aux_len ? body + body_len(flags, nkeys, vals_per_key) - v_len : NULL;
    *at = PS_MSG_HEADER_LEN + k_len;
    *vals_len = v_len;
    return PS_OK;
}

int ps_msg_check_header(const void *hdr, size_t hdr_len, size_t *total_len, ps_err *err)
{
    const uint8_t *h = hdr;
    if (hdr_len < PS_MSG_HEADER_LEN)
        return ps_err_set(err, "truncated header: %zu bytes of %d", hdr_len, PS_MSG_HEADER_LEN);
    if (get32(h) != PS_MSG_MAGIC)
        return ps_err_set(err, "bad magic 0x%08x", get32(h));
    if (h[4] != PS_MSG_VERSION)
        return ps_err_set(err, "version %u, expected %d", h[4], PS_MSG_VERSION);
    if (h[5] < 1 || h[5] > PS_MSG_TYPE_MAX)
        return ps_err_set(err, "unknown message type %u", h[5]);
    if (get16(h + 6) & ~PS_MSG_F_ALL)
        return ps_err_set(err, "unknown flags 0x%x", get16(h + 6));
    uint16_t flags = get16(h + 6);
    const char *conflict = flags_conflict(h[5], flags);
    if (conflict)
        return ps_err_set(err, "flags 0x%x: %s", flags, conflict);
    uint32_t nkeys = get32(h + 20), vpk = get32(h + 24), payload = get32(h + 28);
    if (vpk > PS_MSG_MAX_VALS_PER_KEY)
        return ps_err_set(err, "%u values per key, more than the limit %u", vpk,
                          PS_MSG_MAX_VALS_PER_KEY);
    if (payload > PS_MSG_MAX_PAYLOAD)
        return ps_err_set(err, "payload length %u over the limit %u", payload,
                          PS_MSG_MAX_PAYLOAD);
    if (body_len(flags, nkeys, vpk) > payload)
        return ps_err_set(err, "%u keys x %u values do not fit in a payload of %u bytes", nkeys,
                          vpk, payload);
    if (total_len)
        *total_len = PS_MSG_HEADER_LEN + (size_t)payload;
    return PS_OK;
}

int ps_msg_decode(const void *buf, size_t len, ps_msg *out, ps_err *err)
{
    size_t total = 0;
    if (!buf)
        return ps_err_set(err, "no buffer");
    if (ps_msg_check_header(buf, len, &total, err))
        return PS_ERR;
    if (len < total)
        return ps_err_set(err, "truncated message: %zu bytes of %zu", len, total);
    if (len > total)
        return ps_err_set(err, "%zu trailing bytes after a %zu-byte message", len - total, total);
    if ((uintptr_t)buf % 8)
        return ps_err_set(err, "message buffer is not 8-byte aligned");
    const uint8_t *h = buf, *body = h + PS_MSG_HEADER_LEN;
    out->type = h[5];
    out->flags = get16(h + 6);
    out->sender = get32(h + 8);
    out->table = get32(h + 12);
    out->clock = (int32_t)get32(h + 16);
    out->nkeys = get32(h + 20);
    out->vals_per_key = get32(h + 24);
    uint64_t body_bytes = body_len(out->flags, out->nkeys, out->vals_per_key);
    uint64_t kbytes = keys_len(out->flags, out->nkeys);
    out->aux_len = (uint32_t)(total - PS_MSG_HEADER_LEN - body_bytes);
    int range = (out->flags & PS_MSG_F_KEY_RANGE) != 0;
    out->keys = out->nkeys && !range && kbytes ? (const uint64_t *)(const void *)body : NULL;
    out->key_lo = 0;
    if (range && out->nkeys) {
        memcpy(&out->key_lo, body, 8);
        if (out->key_lo > UINT64_MAX - out->nkeys)
            return ps_err_set(err, "key range %llu + %u overflows", (unsigned long long)out->key_lo,
                              out->nkeys);
    }
    out->vals = out->nkeys && out->vals_per_key ? (const float *)(const void *)(body + kbytes)
                                                : NULL;
    out->aux = out->aux_len ? body + body_bytes : NULL;
    return PS_OK;
}

const char *ps_msg_type_name(int type)
{
    static const char *const names[] = {"unknown", "pull", "pull_reply", "push", "clock",
                                        "snapshot", "done", "stop", "hello", "stage",
                                        "model", "grant", "stage_end", "task_end", "index",
                                        "interrupt"};
    return type >= 1 && type <= PS_MSG_TYPE_MAX ? names[type] : names[0];
}

void *ps_msg_new_interrupt(uint32_t sender, int sig, size_t *len)
{
    ps_msg_writer m;
    ps_err ignored;
    memset(&m, 0, sizeof m);
    if (ps_msg_build(&m, PS_MSG_INTERRUPT, 0, sender, 0, sig, 0, 0, 0, &ignored))
        return NULL;
    *len = m.len;
    return m.buf;
}

uint32_t ps_msg_sender_of(const void *buf) { return get32((const uint8_t *)buf + 8); }

void ps_msg_set_sender(void *buf, uint32_t sender)
{
    uint8_t *b = (uint8_t *)buf + 8;
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(sender >> (8 * i));
}
