/*
 * pprof_read's inflater on a second thread (pprof_inflater): see
 * gunzip_thread.c. The functions are also callable directly.
 */
#ifndef HEARTH_RENDER_GUNZIP_THREAD_H
#define HEARTH_RENDER_GUNZIP_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/pprof.h"

extern const pprof_inflater gunzip_thread;

typedef struct gunzip_async gunzip_async;

/*
 * Starts inflating gz[0, len) on a new thread into one buffer sized from
 * the gzip trailer (the size of the last member), or returns NULL when that
 * is not worth it or not possible (a small input, an implausible or too
 * large size, no memory, no thread): the caller then uses pprof_gunzip.
 * gz must stay valid until gunzip_async_finish.
 */
gunzip_async *gunzip_async_start(const uint8_t *gz, size_t len, size_t max_bytes);

/* The buffer being filled; its first gunzip_async_wait() bytes are final. */
const uint8_t *gunzip_async_data(const gunzip_async *a);

/* Blocks until at least want bytes are inflated or the inflater stopped
 * (*done, then no more will come); returns the number inflated. */
size_t gunzip_async_wait(gunzip_async *a, size_t want, bool *done);

/*
 * Waits for the thread. Returns 0 and the inflated length when the whole
 * input was inflated into the buffer within max_bytes; -1 otherwise (a
 * corrupt stream, several members, more than the trailer said, a limit):
 * the caller must then inflate again with pprof_gunzip, which reports the
 * error exactly. Either way the buffer stays valid until gunzip_async_free.
 */
int gunzip_async_finish(gunzip_async *a, size_t *len);

/* After a successful finish: the buffer, now the caller's to free. */
uint8_t *gunzip_async_take(gunzip_async *a);

/* Joins the thread if still running and frees everything. NULL is fine. */
void gunzip_async_free(gunzip_async *a);

#endif
