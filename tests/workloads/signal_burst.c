/*
 * Allocates steadily until told to stop, so a test can send it a burst of
 * dump signals and check it neither hangs nor writes a broken file.
 * Usage: signal_burst SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((noinline)) static void *keep(size_t n)
{
    void *p = malloc(n);
    memset(p, 3, n);
    return p;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    void *held[1024] = {0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    unsigned i = 0;
    for (;;) {
        free(held[i % 1024]);
        held[i % 1024] = keep(1024 + (i % 7) * 512);
        i++;
        clock_gettime(CLOCK_MONOTONIC, &b);
        if ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 > seconds)
            break;
    }
    printf("signal_burst: %u allocations\n", i);
    return 0;
}
