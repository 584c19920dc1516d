/*
 * gzip decoding. One inflate step serves both ways of running it: in one
 * go into a growing buffer (pprof_gunzip), and step by step for a caller
 * that inflates beside the decoder (render/gunzip_thread.c runs it on a
 * second thread; formats/ itself knows no threads).
 */
#include "gunzip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "pprof.h"

int pprof_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

struct gunzip_stream {
    z_stream zs;
    const uint8_t *in;
    size_t in_len;
};
typedef gunzip_stream gz_state;

static int gz_init(gz_state *g, const uint8_t *in, size_t len)
{
    memset(g, 0, sizeof *g);
    g->in = in;
    g->in_len = len;
    if (inflateInit2(&g->zs, 15 + 16) != Z_OK)
        return hearth_error_set(HEARTH_ENOMEM, "gzip: cannot initialise zlib");
    g->zs.next_in = (Bytef *)in;
    return 0;
}

/*
 * Inflates into dst[*used, *used + room). Returns 1 at the end of the last
 * member, 0 when the room is used up, or a negative error with its message.
 * Concatenated members are one stream (gzip -d, Go's reader); trailing
 * zero padding is ignored, anything else is an error.
 */
int gunzip_stream_step(gunzip_stream *g, uint8_t *dst, size_t *used, size_t room)
{
    z_stream *zs = &g->zs;
    while (room) {
        size_t in_left = g->in_len - (size_t)(zs->next_in - g->in);
        zs->avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        zs->next_out = dst + *used;
        zs->avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt before = zs->avail_out;
        int z = inflate(zs, Z_NO_FLUSH);
        *used += before - zs->avail_out;
        room -= before - zs->avail_out;
        if (z == Z_STREAM_END) {
            size_t pos = (size_t)(zs->next_in - g->in);
            while (pos < g->in_len && g->in[pos] == 0)
                pos++;
            if (pos == g->in_len)
                return 1;
            if (!pprof_is_gzip(g->in + pos, g->in_len - pos))
                return hearth_error_set(HEARTH_EFORMAT, "gzip: trailing garbage at offset %zu",
                                        (size_t)(zs->next_in - g->in));
            zs->next_in = (Bytef *)g->in + pos;
            inflateReset(zs);
            continue;
        }
        if (z == Z_BUF_ERROR && zs->avail_out != 0)
            return hearth_error_set(HEARTH_EFORMAT, "gzip: truncated stream at offset %zu",
                                    (size_t)(zs->next_in - g->in));
        if (z != Z_OK && z != Z_BUF_ERROR)
            return hearth_error_set(z == Z_MEM_ERROR ? HEARTH_ENOMEM : HEARTH_EFORMAT,
                                    "gzip: %s at offset %zu", zs->msg ? zs->msg : "corrupt data",
                                    (size_t)(zs->next_in - g->in));
    }
    return 0;
}

static int limit_error(size_t max_bytes)
{
    return hearth_error_set(HEARTH_ELIMIT, "gzip: decompressed size exceeds the limit of %zu bytes",
                            max_bytes);
}

int pprof_gunzip(uint8_t **out, size_t *out_len, const uint8_t *buf, size_t len, size_t max_bytes)
{
    gz_state g;
    int rc = gz_init(&g, buf, len);
    if (rc)
        return rc;
    size_t cap = len < (SIZE_MAX / 4) ? len * 4 + 4096 : len;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    uint8_t *dst = malloc(cap);
    size_t used = 0;
    if (!dst) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (used == cap) {
            if (cap > max_bytes) {
                rc = limit_error(max_bytes);
                goto out;
            }
            size_t nc = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            uint8_t *n = realloc(dst, nc);
            if (!n) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
            dst = n;
            cap = nc;
        }
        rc = gunzip_stream_step(&g, dst, &used, cap - used);
        if (rc < 0)
            goto out;
        if (rc == 1)
            break;
    }
    rc = 0;
    if (used > max_bytes) {
        rc = limit_error(max_bytes);
        goto out;
    }
    *out = dst;
    *out_len = used;
    dst = NULL;
out:
    inflateEnd(&g.zs);
    free(dst);
    return rc;
}

gunzip_stream *gunzip_stream_new(const uint8_t *gz, size_t len)
{
    gunzip_stream *g = malloc(sizeof *g);
    if (g && gz_init(g, gz, len)) {
        free(g);
        return NULL;
    }
    return g;
}

void gunzip_stream_free(gunzip_stream *g)
{
    if (g) {
        inflateEnd(&g->zs);
        free(g);
    }
}
