/*
 * Whether glibc still serves large blocks as it would without the sampler:
 * the service's malloc of 1.5 and 6 MB must come from mmap (glibc's default
 * mmap threshold is 128 KiB; smaller sizes may fit the free top of the
 * heap and say nothing). glibc raises that threshold, for the whole
 * process, whenever a large mmap'd block is freed; a sampler that frees
 * one of its own (a probe, unwind-table scratch, a dump buffer) changes
 * the service's memory use. Usage: glibc_thresholds [DUMP_PATH]: with a
 * path, also writes a heap profile through hearth_dump_heap first (found
 * with dlsym, so this runs with and without the sampler). Prints one line
 * per size "SIZE mmapped|arena" and exits 0.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    /* Enough allocation for many samples, freed, as a service would. */
    for (int i = 0; i < 20000; i++) {
        char *p = malloc(4096 + (size_t)(i % 64) * 64);
        if (!p)
            return 1;
        memset(p, i, 64);
        free(p);
    }
    if (argc > 1) {
        int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "hearth_dump_heap");
        if (!dump || dump(argv[1]) != 0) {
            fprintf(stderr, "glibc_thresholds: hearth_dump_heap missing or failed\n");
            return 1;
        }
    }
    static const size_t sizes[] = {1500000, 6000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p = malloc(sizes[i]);
        if (!p)
            return 1;
        /* glibc's chunk header: bit 1 of the size word marks an mmap'd chunk. */
        int mmapped = (((const uint64_t *)p)[-1] & 2) != 0;
        printf("%zu %s\n", sizes[i], mmapped ? "mmapped" : "arena");
        free(p);
    }
    return 0;
}
