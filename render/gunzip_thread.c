/*
 * A large gzip'd profile inflated on a second thread into one buffer sized
 * from the gzip trailer, publishing its progress so that pprof_read decodes
 * behind it (pprof_read_options.inflater). On 2 cores that hides most of
 * the decompression (BENCHMARKS.md, "Flame graphs"). Any failure of the
 * inflater (corrupt data, a trailer that lies, several members, the size
 * limit) makes pprof_read start again in one go, which reports the error.
 */
#include "gunzip_thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/gunzip.h"


/* Below this the thread is not worth starting. */
#define ASYNC_MIN_INPUT (1u << 20)
/* Progress is published after each chunk. */
#define ASYNC_CHUNK (1u << 20)

enum { RUNNING, DONE, FAILED };

struct gunzip_async {
    gunzip_stream *g;
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
        int rc = gunzip_stream_step(a->g, a->buf, &used, room < ASYNC_CHUNK ? room : ASYNC_CHUNK);
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
    if (!a->buf || !(a->g = gunzip_stream_new(gz, len))) {
        free(a->buf);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->state = RUNNING;
    if (pthread_create(&a->thread, NULL, inflater, a)) {
        gunzip_stream_free(a->g);
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
    gunzip_stream_free(a->g);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->buf);
    free(a);
}

static void *start_op(const uint8_t *gz, size_t len, size_t max_bytes)
{
    return gunzip_async_start(gz, len, max_bytes);
}
static const uint8_t *data_op(void *a) { return gunzip_async_data(a); }
static size_t wait_op(void *a, size_t want, bool *done) { return gunzip_async_wait(a, want, done); }
static int finish_op(void *a, size_t *len) { return gunzip_async_finish(a, len); }
static uint8_t *take_op(void *a) { return gunzip_async_take(a); }
static void release_op(void *a) { gunzip_async_free(a); }

const pprof_inflater gunzip_thread = {start_op, data_op, wait_op, finish_op, take_op, release_op};
