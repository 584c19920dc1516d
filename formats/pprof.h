/*
 * pprof files: profile.proto bytes, gzip-compressed or raw, to and from the
 * profile model.
 */
#ifndef HEARTH_FORMATS_PPROF_H
#define HEARTH_FORMATS_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

typedef struct pprof_read_options {
    /* Largest decompressed size accepted; a gzip bomb becomes HEARTH_ELIMIT
     * instead of exhausting memory. */
    size_t max_bytes;
} pprof_read_options;

#define PPROF_DEFAULT_MAX_BYTES ((size_t)1 << 30)
#define PPROF_READ_OPTIONS_INIT { PPROF_DEFAULT_MAX_BYTES }

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
