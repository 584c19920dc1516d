/*
 * gzip decoding step by step: pprof_gunzip (pprof.h) inflates in one go;
 * these let a caller inflate in steps of its choosing, for instance beside
 * the decoder on another thread (render/gunzip_thread.c).
 */
#ifndef HEARTH_FORMATS_GUNZIP_H
#define HEARTH_FORMATS_GUNZIP_H

#include <stddef.h>
#include <stdint.h>

typedef struct gunzip_stream gunzip_stream;

/* A stream over gz[0, len) (all members), or NULL on ENOMEM. gz must stay
 * valid until gunzip_stream_free. */
gunzip_stream *gunzip_stream_new(const uint8_t *gz, size_t len);
/* Inflates into dst[*used, *used + room). Returns 1 at the end of the last
 * member, 0 when the room is used up, or a negative error with its message
 * (the same messages as pprof_gunzip). */
int gunzip_stream_step(gunzip_stream *g, uint8_t *dst, size_t *used, size_t room);
void gunzip_stream_free(gunzip_stream *g);

#endif
