/*
 * Samples for the call tree, decoded a batch ahead on a second thread. The
 * tree's walk is bound by memory latency on one core; decoding a sample
 * (varints of deferred protobuf, id -> index) is ~15% of a 10^6-sample
 * flame graph that the other core, idle once the input is inflated, can
 * take. Batches are handed over in order through a small ring, so the
 * tree sees exactly the sequence one thread would produce.
 */
#include "sample_feed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"

/* Below this many samples the thread is not worth starting. */
#define THREAD_MIN_SAMPLES 20000
#define BATCH_SAMPLES 4096
#define N_BATCHES 4

struct feed_batch {
    size_t n;                         /* samples */
    int64_t v[BATCH_SAMPLES];
    uint32_t off[BATCH_SAMPLES + 1];  /* sample i's path: idx[off[i], off[i+1]) */
    uint32_t *idx;
    size_t cap_idx;
    bool last;                        /* no batch follows */
    int rc;                           /* last: 0, or the error */
    char msg[512];                    /* its message (errors are per thread) */
};

struct feed_shared {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    feed_batch b[N_BATCHES];
    size_t head, count;               /* under mu */
    bool stop;                        /* under mu */
    const profile *p;
    int sample_index;
    bool reverse;
};

/* Writes s's path of location indexes into out (room for n_locations). */
static void put_path(uint32_t *out, const profile *p, const profile_sample *s, bool dense,
                     bool reverse)
{
    size_t n = s->n_locations;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = s->location_ids[reverse ? i : n - 1 - i];
        out[i] = dense ? (uint32_t)(id - 1)
                       : (uint32_t)(profile_location_find(p, id) - p->locations);
    }
}

static int reserve(uint32_t **a, size_t *cap, size_t need)
{
    /* Allocated even for need == 0: a path is never a null pointer. */
    if (need <= *cap && *a)
        return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    uint32_t *n = realloc(*a, nc * sizeof *n);
    if (!n)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    *a = n;
    *cap = nc;
    return 0;
}

/* Fills b from it; sets b->last at the end or on an error. */
static void fill(feed_shared *sh, pprof_samples *it, feed_batch *b)
{
    size_t used = 0;
    b->n = 0;
    b->last = false;
    while (b->n < BATCH_SAMPLES) {
        const profile_sample *s;
        int rc = pprof_samples_next(it, &s);
        if (rc > 0 && s->values[sh->sample_index] == 0)
            continue;
        if (rc > 0 && reserve(&b->idx, &b->cap_idx, used + s->n_locations))
            rc = HEARTH_ENOMEM;
        if (rc <= 0) {
            b->last = true;
            b->rc = rc;
            snprintf(b->msg, sizeof b->msg, "%s", rc ? hearth_error_last() : "");
            break;
        }
        put_path(b->idx + used, sh->p, s, it->dense, sh->reverse);
        b->off[b->n] = (uint32_t)used;
        b->v[b->n++] = s->values[sh->sample_index];
        used += s->n_locations;
    }
    b->off[b->n] = (uint32_t)used;
}

static void *producer(void *arg)
{
    feed_shared *sh = arg;
    pprof_samples it;
    int rc = pprof_samples_begin(&it, sh->p);
    for (size_t tail = 0;; tail = (tail + 1) % N_BATCHES) {
        pthread_mutex_lock(&sh->mu);
        while (sh->count == N_BATCHES && !sh->stop)
            pthread_cond_wait(&sh->cv, &sh->mu);
        bool stop = sh->stop;
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            break;
        feed_batch *b = &sh->b[tail];
        if (rc) {
            b->n = 0;
            b->last = true;
            b->rc = rc;
            snprintf(b->msg, sizeof b->msg, "out of memory");
        } else {
            fill(sh, &it, b);
        }
        pthread_mutex_lock(&sh->mu);
        sh->count++;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        if (b->last)
            break;
    }
    if (!rc)
        pprof_samples_end(&it);
    return NULL;
}

int sample_feed_start(sample_feed *f, const profile *p, int sample_index, bool reverse)
{
    memset(f, 0, sizeof *f);
    f->p = p;
    f->sample_index = sample_index;
    f->reverse = reverse;
    if (p->n_samples + p->n_deferred >= THREAD_MIN_SAMPLES) {
        feed_shared *sh = calloc(1, sizeof *sh);
        if (sh) {
            sh->p = p;
            sh->sample_index = sample_index;
            sh->reverse = reverse;
            pthread_mutex_init(&sh->mu, NULL);
            pthread_cond_init(&sh->cv, NULL);
            if (pthread_create(&sh->thread, NULL, producer, sh) == 0) {
                f->sh = sh;
                return 0;
            }
            pthread_mutex_destroy(&sh->mu);
            pthread_cond_destroy(&sh->cv);
            free(sh);
        }
    }
    /* Inline, one sample at a time. */
    pprof_samples *it = malloc(sizeof *it);
    if (!it || pprof_samples_begin(it, p)) {
        free(it);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    f->samples = it;
    return 0;
}

static int next_inline(sample_feed *f, int64_t *value, const uint32_t **path, size_t *n)
{
    pprof_samples *it = f->samples;
    const profile_sample *s;
    int rc;
    while ((rc = pprof_samples_next(it, &s)) > 0) {
        int64_t v = s->values[f->sample_index];
        if (v == 0)
            continue;
        if ((rc = reserve(&f->path, &f->cap, s->n_locations)))
            return rc;
        put_path(f->path, f->p, s, it->dense, f->reverse);
        *value = v;
        *path = f->path;
        *n = s->n_locations;
        return 1;
    }
    return rc;
}

int sample_feed_next(sample_feed *f, int64_t *value, const uint32_t **path, size_t *n)
{
    if (!f->sh)
        return next_inline(f, value, path, n);
    feed_shared *sh = f->sh;
    for (;;) {
        feed_batch *b = f->cur;
        if (b && f->at < b->n) {
            size_t i = f->at++;
            *value = b->v[i];
            *path = b->idx + b->off[i];
            *n = b->off[i + 1] - b->off[i];
            return 1;
        }
        if (b && b->last)
            return b->rc ? hearth_error_set(b->rc, "%s", b->msg) : 0;
        pthread_mutex_lock(&sh->mu);
        if (b) {
            /* Hand the batch back to the producer. */
            sh->head = (sh->head + 1) % N_BATCHES;
            sh->count--;
            pthread_cond_broadcast(&sh->cv);
        }
        while (sh->count == 0)
            pthread_cond_wait(&sh->cv, &sh->mu);
        f->cur = &sh->b[sh->head];
        f->at = 0;
        pthread_mutex_unlock(&sh->mu);
    }
}

void sample_feed_stop(sample_feed *f)
{
    if (f->sh) {
        feed_shared *sh = f->sh;
        pthread_mutex_lock(&sh->mu);
        sh->stop = true;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        pthread_join(sh->thread, NULL);
        for (size_t i = 0; i < N_BATCHES; i++)
            free(sh->b[i].idx);
        pthread_mutex_destroy(&sh->mu);
        pthread_cond_destroy(&sh->cv);
        free(sh);
    }
    if (f->samples) {
        pprof_samples_end(f->samples);
        free(f->samples);
    }
    free(f->path);
    memset(f, 0, sizeof *f);
}
