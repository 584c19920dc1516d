/*
 * Protocol buffers wire format. Reading is the hot loop of loading a profile
 * (a 200,000-sample profile is ~2 million varints), so the one-byte varint is
 * inline in pb.h and everything else is here. Every read checks the bounds of
 * the enclosing message: profiles are untrusted input.
 * Writing keeps equal input to equal bytes: no maps, no timestamps.
 */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

void pb_reader_init(pb_reader *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf + len;
    r->base = buf;
    r->err = PB_ERR_NONE;
    r->err_offset = 0;
}

void pb_reader_sub(pb_reader *out, const pb_reader *parent,
                   const uint8_t *data, size_t len)
{
    out->p = data;
    out->end = data + len;
    out->base = parent->base;
    out->err = PB_ERR_NONE;
    out->err_offset = 0;
}

int pb_fail(pb_reader *r, int err, const uint8_t *at)
{
    if (r->err == PB_ERR_NONE) {
        r->err = err;
        r->err_offset = (size_t)(at - r->base);
    }
    return -err;
}

int pb_read_varint_slow(pb_reader *r, uint64_t *out)
{
    const uint8_t *start = r->p;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return pb_fail(r, PB_ERR_TRUNC_VARINT, start);
        uint8_t b = *r->p++;
        /* The tenth byte may carry only the top bit of a 64-bit value. */
        if (i == 9 && b > 1)
            return pb_fail(r, PB_ERR_LONG_VARINT, start);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *out = v;
            return 0;
        }
    }
    return pb_fail(r, PB_ERR_LONG_VARINT, start);
}

int pb_read_tag(pb_reader *r, uint32_t *field, int *wire)
{
    const uint8_t *start = r->p;
    uint64_t key;
    int rc = pb_read_varint(r, &key);
    if (rc)
        return rc;
    int w = (int)(key & 7);
    uint64_t f = key >> 3;
    if (f == 0 || f > 0x1fffffff)
        return pb_fail(r, PB_ERR_FIELD_ZERO, start);
    if (w == PB_SGROUP || w == PB_EGROUP || w > PB_FIXED32)
        return pb_fail(r, PB_ERR_WIRE, start);
    *field = (uint32_t)f;
    *wire = w;
    return 0;
}

int pb_read_len(pb_reader *r, const uint8_t **data, size_t *len)
{
    const uint8_t *start = r->p;
    uint64_t n;
    int rc = pb_read_varint(r, &n);
    if (rc)
        return rc;
    if (n > (uint64_t)(r->end - r->p))
        return pb_fail(r, PB_ERR_TRUNC, start);
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

int pb_skip(pb_reader *r, int wire)
{
    uint64_t v;
    const uint8_t *d;
    size_t n;
    switch (wire) {
    case PB_VARINT:
        return pb_read_varint(r, &v);
    case PB_LEN:
        return pb_read_len(r, &d, &n);
    case PB_FIXED64:
    case PB_FIXED32:
        n = wire == PB_FIXED64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return pb_fail(r, PB_ERR_TRUNC, r->p);
        r->p += n;
        return 0;
    default:
        return pb_fail(r, PB_ERR_WIRE, r->p);
    }
}

const char *pb_strerror(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case PB_ERR_NONE: return "no error";
    case PB_ERR_TRUNC_VARINT: return "truncated varint";
    case PB_ERR_LONG_VARINT: return "varint longer than 10 bytes";
    case PB_ERR_TRUNC: return "field runs past the end of its message";
    case PB_ERR_WIRE: return "unsupported wire type";
    case PB_ERR_FIELD_ZERO: return "invalid field number";
    default: return "malformed protobuf";
    }
}

void pb_writer_init(pb_writer *w)
{
    memset(w, 0, sizeof *w);
}

void pb_writer_fini(pb_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

int pb_writer_reserve(pb_writer *w, size_t extra)
{
    if (w->oom)
        return -1;
    if (w->cap - w->len >= extra)
        return 0;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < extra) {
        if (cap > SIZE_MAX / 2) {
            w->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *b = realloc(w->buf, cap);
    if (!b) {
        w->oom = 1;
        return -1;
    }
    w->buf = b;
    w->cap = cap;
    return 0;
}

void pb_put_int64(pb_writer *w, uint32_t field, int64_t v)
{
    if (v == 0)
        return;
    pb_put_tag(w, field, PB_VARINT);
    pb_put_varint(w, (uint64_t)v);
}

void pb_put_uint64(pb_writer *w, uint32_t field, uint64_t v)
{
    if (v == 0)
        return;
    pb_put_tag(w, field, PB_VARINT);
    pb_put_varint(w, v);
}

void pb_put_bool(pb_writer *w, uint32_t field, int v)
{
    if (!v)
        return;
    pb_put_tag(w, field, PB_VARINT);
    pb_put_varint(w, 1);
}

void pb_put_bytes(pb_writer *w, uint32_t field, const void *data, size_t len)
{
    pb_put_tag(w, field, PB_LEN);
    pb_put_varint(w, len);
    if (pb_writer_reserve(w, len))
        return;
    if (len)
        memcpy(w->buf + w->len, data, len);
    w->len += len;
}

void pb_put_packed_u64(pb_writer *w, uint32_t field, const uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += pb_varint_size(v[i]);
    pb_put_tag(w, field, PB_LEN);
    pb_put_varint(w, bytes);
    if (pb_writer_reserve(w, bytes))
        return;
    for (size_t i = 0; i < n; i++)
        pb_put_varint(w, v[i]);
}

void pb_put_packed_i64(pb_writer *w, uint32_t field, const int64_t *v, size_t n)
{
    pb_put_packed_u64(w, field, (const uint64_t *)v, n);
}

/* Reserves one byte for the length: most nested messages (samples, lines)
 * are shorter than 128 bytes, so pb_end rarely has to move the body. */
size_t pb_begin(pb_writer *w, uint32_t field)
{
    pb_put_tag(w, field, PB_LEN);
    if (pb_writer_reserve(w, 1))
        return w->len;
    w->buf[w->len++] = 0;
    return w->len;
}

void pb_end(pb_writer *w, size_t mark)
{
    if (w->oom)
        return;
    size_t body = w->len - mark;
    size_t extra = pb_varint_size(body) - 1;
    if (extra) {
        if (pb_writer_reserve(w, extra))
            return;
        memmove(w->buf + mark + extra, w->buf + mark, body);
        w->len += extra;
    }
    uint8_t *p = w->buf + mark - 1;
    uint64_t v = body;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}
