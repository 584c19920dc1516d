/*
 * A program that registers frames with libgcc, as a JIT does
 * (__register_frame_info, here for its own .eh_frame), then in a fresh
 * thread walks its stack with libgcc's unwinder, which is what a C++ throw
 * and glibc's backtrace() do. The walk's first lookup in the registered
 * object sorts its FDEs into arrays that libgcc mallocs while holding its
 * own lock; under libhearth at HEARTH_ALLOC_RATE=1 that malloc is sampled,
 * and the sample must not walk with libgcc (it would wait for that lock
 * forever). Prints how many frames the walk saw.
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
    printf("walked %d frames\n", frames);
    return frames > 0 ? 0 : 1;
}
