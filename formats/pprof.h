/*
 * pprof files: profile.proto bytes, gzip-compressed or raw, to and from the
 * profile model.
 */
#ifndef HEARTH_FORMATS_PPROF_H
#define HEARTH_FORMATS_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/*
 * Something that inflates a gzip'd input beside the decoder, so that
 * pprof_read reads what is inflated so far instead of waiting for all of
 * it (render/gunzip_thread.c runs one on a second thread; formats/ knows
 * no threads). start returns NULL when it is not worth it; data is the
 * buffer being filled; wait blocks until at least want bytes are final or
 * no more will come (*done) and returns how many are; finish returns 0 and
 * the length when all was inflated within max_bytes, else -1 (pprof_read
 * then inflates again in one go, which reports the error); take hands the
 * buffer over after a successful finish; release frees the rest.
 */
typedef struct pprof_inflater {
    void *(*start)(const uint8_t *gz, size_t len, size_t max_bytes);
    const uint8_t *(*data)(void *a);
    size_t (*wait)(void *a, size_t want, bool *done);
    int (*finish)(void *a, size_t *len);
    uint8_t *(*take)(void *a);
    void (*release)(void *a);
} pprof_inflater;

typedef struct pprof_read_options {
    /* Largest decompressed size accepted; a gzip bomb becomes HEARTH_ELIMIT
     * instead of exhausting memory. */
    size_t max_bytes;
    /* Leave the samples encoded (profile.deferred): for a reader that walks
     * them once with pprof_samples_next, which then costs no memory per
     * sample. Everything else is decoded and validated as usual. */
    bool defer_samples;
    /* Inflate beside the decoder with this (NULL: in one go first). */
    const pprof_inflater *inflater;
} pprof_read_options;

#define PPROF_DEFAULT_MAX_BYTES ((size_t)1 << 30)
#define PPROF_READ_OPTIONS_INIT { PPROF_DEFAULT_MAX_BYTES, false, NULL }

/* 1 if buf starts with the gzip magic 1f 8b. */
int pprof_is_gzip(const uint8_t *buf, size_t len);

/*
 * Decodes a profile from gzip'd or raw protobuf bytes and validates it.
 * opts may be NULL for defaults. Returns 0 and a new profile in *out (the
 * caller's), or HEARTH_EFORMAT / HEARTH_ELIMIT / HEARTH_ENOMEM with a
 * message naming the field path and byte offset. Never frees buf.
 */
int pprof_read(profile **out, const uint8_t *buf, size_t len,
               const pprof_read_options *opts);

/* Walks a profile's samples in order, whether decoded or deferred. */
typedef struct pprof_samples {
    const profile *p;
    size_t next;          /* index of the next sample */
    bool dense;           /* locations numbered 1..N */
    void *dec;            /* deferred: the decoder's scratch */
    const uint8_t *pos;   /* deferred: the next top-level field */
    profile_sample cur;
} pprof_samples;

/* Returns 0 or HEARTH_ENOMEM. */
int pprof_samples_begin(pprof_samples *it, const profile *p);
/* The next sample in *out, borrowed until the next call: returns 1, or 0
 * after the last, or HEARTH_EFORMAT for a deferred sample that does not
 * decode or fails profile_check_sample (message set, naming the sample). */
int pprof_samples_next(pprof_samples *it, const profile_sample **out);
void pprof_samples_end(pprof_samples *it);
/* Decodes deferred samples into p->samples, for code that needs them all.
 * Returns 0 or an error as pprof_read would have. */
int pprof_undefer_samples(profile *p);

/*
 * Inflates gzip data (all members) into a new malloc'd buffer, at most
 * max_bytes long. Returns 0, HEARTH_EFORMAT or HEARTH_ELIMIT.
 */
int pprof_gunzip(uint8_t **out, size_t *out_len, const uint8_t *buf,
                 size_t len, size_t max_bytes);

/* Encodes p as raw protobuf into a new malloc'd buffer. Equal profiles give
 * equal bytes. Returns 0 or HEARTH_ENOMEM. */
int pprof_encode(uint8_t **out, size_t *out_len, const profile *p);

/* Encodes p gzip-compressed at zlib level 1 (Go's gzip.BestSpeed), as
 * runtime/pprof writes profiles. Returns 0 or HEARTH_ENOMEM. */
int pprof_write(uint8_t **out, size_t *out_len, const profile *p);

#endif
