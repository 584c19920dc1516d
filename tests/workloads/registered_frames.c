/*
 * A program that registers frames with libgcc, as a JIT does
 * (__register_frame_info, here for its own .eh_frame), then in a fresh
 * thread walks its stack with libgcc's unwinder, which is what a C++ throw
 * and glibc's backtrace() do. The walk's first lookup in the registered
 * object sorts its FDEs into arrays that libgcc mallocs while holding its
 * own lock; under libhearth at HEARTH_ALLOC_RATE=1 that malloc is sampled,
 * and the sample must not walk with libgcc (it would wait for that lock
 * forever). Prints how many frames the walk saw.
 *
 * Built with -DOWN_MALLOC, the program brings its own malloc, free, calloc
 * and realloc (forwarding to glibc's), which take precedence over
 * libhearth's, and that malloc starts a thread when libgcc calls it under
 * its lock, as an allocator with background threads may. libhearth's
 * pthread_create hook then walks the creating stack while this thread
 * holds libgcc's lock, and must not walk with libgcc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unwind.h>

extern void __register_frame_info(const void *begin, void *object);

/* libgcc's struct object, opaque here: six pointers and a few words. */
static void *object[16];
static const char *eh_frame;

/* The executable's .eh_frame, from its .eh_frame_hdr (version 1, the
 * pointer encoded pc-relative, signed 4 bytes: DW_EH_PE_pcrel|sdata4). */
static int find_eh_frame(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (info->dlpi_name[0])
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_GNU_EH_FRAME)
            continue;
        const unsigned char *hdr =
            (const unsigned char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        if (hdr[0] != 1 || hdr[1] != 0x1b)
            return 0;
        int32_t off;
        memcpy(&off, hdr + 4, 4);
        eh_frame = (const char *)(hdr + 4) + off;
        return 1;
    }
    return 0;
}

static int frames;

#ifdef OWN_MALLOC
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static _Atomic int armed;
static pthread_t started;
static _Atomic int started_ok;

static void *noop(void *arg)
{
    return arg;
}

void *malloc(size_t n)
{
    /* Only inside the walk below, where libgcc allocates under its lock;
     * disarmed first, since pthread_create allocates too. */
    if (armed && __atomic_exchange_n(&armed, 0, __ATOMIC_SEQ_CST))
        started_ok = pthread_create(&started, NULL, noop, NULL) == 0;
    return __libc_malloc(n);
}

void free(void *p)
{
    __libc_free(p);
}

void *calloc(size_t n, size_t size)
{
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return __libc_realloc(p, n);
}
#endif

static _Unwind_Reason_Code count(struct _Unwind_Context *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    frames++;
    return _URC_NO_REASON;
}

static void *walk(void *arg)
{
    (void)arg;
    __register_frame_info(eh_frame, object);
#ifdef OWN_MALLOC
    armed = 1;
#endif
    _Unwind_Backtrace(count, NULL);
    return NULL;
}

int main(void)
{
    dl_iterate_phdr(find_eh_frame, NULL);
    if (!eh_frame) {
        fprintf(stderr, "registered_frames: no .eh_frame_hdr in the executable\n");
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, walk, NULL) || pthread_join(t, NULL)) {
        fprintf(stderr, "registered_frames: pthread_create failed\n");
        return 1;
    }
#ifdef OWN_MALLOC
    /* libgcc must have called malloc under its lock, and that malloc must
     * have started its thread: otherwise this checked nothing. */
    if (!started_ok || pthread_join(started, NULL)) {
        fprintf(stderr, "registered_frames: no thread started from libgcc's malloc\n");
        return 1;
    }
#endif
    printf("walked %d frames\n", frames);
    return frames > 0 ? 0 : 1;
}
