/*
 * gzip decoding. One inflate step serves both ways of running it: in one
 * go into a growing buffer (pprof_gunzip), and on a second thread into a
 * buffer sized from the trailer, publishing its progress so that the
 * protobuf decoder can read behind it. On 2 cores that hides most of the
 * decompression of a large profile (BENCHMARKS.md, "Flame graphs").
 */
#include "gunzip.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "pprof.h"

int pprof_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

typedef struct gz_state {
    z_stream zs;
    const uint8_t *in;
    size_t in_len;
} gz_state;

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
static int gz_step(gz_state *g, uint8_t *dst, size_t *used, size_t room)
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
        rc = gz_step(&g, dst, &used, cap - used);
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

/* --- on a second thread --- */

/* Below this the thread is not worth starting. */
#define ASYNC_MIN_INPUT (1u << 20)
/* Progress is published after each chunk. */
#define ASYNC_CHUNK (1u << 20)

enum { RUNNING, DONE, FAILED };

struct gunzip_async {
    gz_state g;
    uint8_t *buf;
    size_t cap, max_bytes;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic size_t avail; /* bytes final in buf */
    int state;            /* under mu */
    bool joined;
};

static void publish(gunzip_async *a, size_t used, int state)
{
    pthread_mutex_lock(&a->mu);
    atomic_store_explicit(&a->avail, used, memory_order_release);
    a->state = state;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static void *inflater(void *arg)
{
    gunzip_async *a = arg;
    size_t used = 0;
    for (;;) {
        size_t room = a->cap - used;
        if (room == 0) {
            /* More than the trailer said: several members, or a lie. */
            publish(a, used, FAILED);
            return NULL;
        }
        int rc = gz_step(&a->g, a->buf, &used, room < ASYNC_CHUNK ? room : ASYNC_CHUNK);
        if (rc != 0) {
            /* used can reach max_bytes + 1 when members add up to more
             * than the last one's size: the limit is checked here too. */
            publish(a, used, rc == 1 && used <= a->max_bytes ? DONE : FAILED);
            return NULL;
        }
        publish(a, used, RUNNING);
    }
}

gunzip_async *gunzip_async_start(const uint8_t *gz, size_t len, size_t max_bytes)
{
    if (len < ASYNC_MIN_INPUT || !pprof_is_gzip(gz, len))
        return NULL;
    /* ISIZE: the last member's size mod 2^32. Only a hint: a wrong one
     * makes the thread stop, and the caller starts again in one go. */
    const uint8_t *t = gz + len - 4;
    size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    if (isize < len / 2 || isize > max_bytes)
        return NULL;
    gunzip_async *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cap = isize + 1; /* room for one byte more than promised, to notice it */
    a->max_bytes = max_bytes;
    a->buf = malloc(a->cap);
    if (!a->buf || gz_init(&a->g, gz, len)) {
        free(a->buf);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->state = RUNNING;
    if (pthread_create(&a->thread, NULL, inflater, a)) {
        inflateEnd(&a->g.zs);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a->buf);
        free(a);
        return NULL;
    }
    return a;
}

const uint8_t *gunzip_async_data(const gunzip_async *a)
{
    return a->buf;
}

size_t gunzip_async_wait(gunzip_async *a, size_t want, bool *done)
{
    size_t n = atomic_load_explicit(&a->avail, memory_order_acquire);
    if (n >= want) {
        *done = false;
        return n;
    }
    pthread_mutex_lock(&a->mu);
    while ((n = atomic_load_explicit(&a->avail, memory_order_acquire)) < want &&
           a->state == RUNNING)
        pthread_cond_wait(&a->cv, &a->mu);
    *done = a->state != RUNNING;
    pthread_mutex_unlock(&a->mu);
    return n;
}

int gunzip_async_finish(gunzip_async *a, size_t *len)
{
    if (!a->joined) {
        pthread_join(a->thread, NULL);
        a->joined = true;
    }
    *len = atomic_load_explicit(&a->avail, memory_order_acquire);
    return a->state == DONE ? 0 : -1;
}

uint8_t *gunzip_async_take(gunzip_async *a)
{
    uint8_t *b = a->buf;
    a->buf = NULL;
    return b;
}

void gunzip_async_free(gunzip_async *a)
{
    if (!a)
        return;
    size_t len;
    gunzip_async_finish(a, &len);
    inflateEnd(&a->g.zs);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->buf);
    free(a);
}
