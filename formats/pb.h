/*
 * Protocol buffers wire format: a bounds-checked reader over a byte buffer
 * and an append-only writer. Knows nothing of any message; callers (pprof.c)
 * name fields and turn reader failures into messages with a field path.
 */
#ifndef HEARTH_FORMATS_PB_H
#define HEARTH_FORMATS_PB_H

#include <stddef.h>
#include <stdint.h>

enum pb_wire {
    PB_VARINT = 0,
    PB_FIXED64 = 1,
    PB_LEN = 2,
    PB_SGROUP = 3, /* deprecated groups: rejected */
    PB_EGROUP = 4,
    PB_FIXED32 = 5,
};

/* Reader failures, kept in pb_reader.err (also returned, negated). */
enum pb_err {
    PB_ERR_NONE = 0,
    PB_ERR_TRUNC_VARINT,   /* buffer ends inside a varint */
    PB_ERR_LONG_VARINT,    /* more than 10 bytes */
    PB_ERR_TRUNC,          /* length or fixed field runs past the end */
    PB_ERR_WIRE,           /* wire type 3, 4, 6 or 7 */
    PB_ERR_FIELD_ZERO,     /* field number 0 */
};

typedef struct pb_reader {
    const uint8_t *p;     /* next byte to read */
    const uint8_t *end;   /* one past the last byte of this (sub)message */
    const uint8_t *base;  /* start of the whole buffer, for offsets */
    int err;              /* enum pb_err of the first failure */
    size_t err_offset;    /* offset from base where it happened */
} pb_reader;

void pb_reader_init(pb_reader *r, const uint8_t *buf, size_t len);
/* A reader over a length-delimited field of parent, sharing its base. */
void pb_reader_sub(pb_reader *out, const pb_reader *parent,
                   const uint8_t *data, size_t len);

static inline int pb_eof(const pb_reader *r)
{
    return r->p >= r->end;
}

static inline size_t pb_offset(const pb_reader *r)
{
    return (size_t)(r->p - r->base);
}

int pb_fail(pb_reader *r, int err, const uint8_t *at);
int pb_read_varint_slow(pb_reader *r, uint64_t *out);

/* Reads a varint; returns 0 or -PB_ERR_*. */
static inline int pb_read_varint(pb_reader *r, uint64_t *out)
{
    const uint8_t *p = r->p;
    ptrdiff_t left = r->end - p;
    if (__builtin_expect(left > 0 && p[0] < 0x80, 1)) {
        *out = p[0];
        r->p = p + 1;
        return 0;
    }
    if (left >= 2 && p[1] < 0x80) {
        *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        r->p = p + 2;
        return 0;
    }
    if (left >= 3 && p[1] >= 0x80 && p[2] < 0x80) {
        *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
               (uint64_t)p[2] << 14;
        r->p = p + 3;
        return 0;
    }
    return pb_read_varint_slow(r, out);
}

/* Reads a field key; fails on field number 0 and on group wire types. */
int pb_read_tag(pb_reader *r, uint32_t *field, int *wire);
/* Reads a length-delimited payload without copying it. */
int pb_read_len(pb_reader *r, const uint8_t **data, size_t *len);
/* Skips one value of the given wire type (unknown fields). */
int pb_skip(pb_reader *r, int wire);

/* A short description of a reader failure ("truncated varint"). */
const char *pb_strerror(int err);

/* Writer: a growable buffer. On allocation failure it sets oom and stops
 * writing; check pb_writer.oom once at the end. */
typedef struct pb_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int oom;
} pb_writer;

void pb_writer_init(pb_writer *w);
void pb_writer_fini(pb_writer *w);
int pb_writer_reserve(pb_writer *w, size_t extra);

static inline void pb_put_varint(pb_writer *w, uint64_t v)
{
    if (w->cap - w->len < 10 && pb_writer_reserve(w, 10))
        return;
    while (v >= 0x80) {
        w->buf[w->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    w->buf[w->len++] = (uint8_t)v;
}

static inline size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline void pb_put_tag(pb_writer *w, uint32_t field, int wire)
{
    pb_put_varint(w, ((uint64_t)field << 3) | (unsigned)wire);
}

/* An int64 field; negative values take 10 bytes (no zigzag), as proto3
 * int64 does. Zero values are omitted, as proto3 writers do. */
void pb_put_int64(pb_writer *w, uint32_t field, int64_t v);
void pb_put_uint64(pb_writer *w, uint32_t field, uint64_t v);
void pb_put_bool(pb_writer *w, uint32_t field, int v);
void pb_put_bytes(pb_writer *w, uint32_t field, const void *data, size_t len);
/* A packed repeated field of varints (omitted when n == 0). */
void pb_put_packed_u64(pb_writer *w, uint32_t field, const uint64_t *v, size_t n);
void pb_put_packed_i64(pb_writer *w, uint32_t field, const int64_t *v, size_t n);

/* Nested messages: begin returns a mark, end patches the length. */
size_t pb_begin(pb_writer *w, uint32_t field);
void pb_end(pb_writer *w, size_t mark);

#endif
