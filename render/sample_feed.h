/*
 * A profile's samples as the call tree wants them: the value of one sample
 * type and the path of location indexes, root first (or leaf first for
 * the caller view), zero samples skipped. For a large profile a second
 * thread decodes them (deferred samples are still protobuf) a batch ahead
 * of the tree, so that decoding is off the tree's critical path.
 */
#ifndef HEARTH_RENDER_SAMPLE_FEED_H
#define HEARTH_RENDER_SAMPLE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"

typedef struct feed_batch feed_batch;
typedef struct feed_shared feed_shared;

typedef struct sample_feed {
    feed_shared *sh;      /* with a thread; NULL: inline */
    feed_batch *cur;      /* being read */
    size_t at;            /* next sample in cur */
    /* inline: */
    const profile *p;
    int sample_index;
    bool reverse;
    void *samples;        /* pprof_samples */
    uint32_t *path;
    size_t cap;
} sample_feed;

/* Returns 0 or HEARTH_ENOMEM. The profile must not change until stop. */
int sample_feed_start(sample_feed *f, const profile *p, int sample_index, bool reverse);
/* The next nonzero sample: 1 with its value and path (borrowed until the
 * next call), 0 after the last, or a negative error with its message. */
int sample_feed_next(sample_feed *f, int64_t *value, const uint32_t **path, size_t *n);
void sample_feed_stop(sample_feed *f);

#endif
