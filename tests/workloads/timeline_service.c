/*
 * A service for the timeline tests, run under LD_PRELOAD=libhearth.so.
 * Usage: timeline_service leak|steady SECONDS
 *   leak:   every 20 ms keeps 32 blocks of 1000 bytes (about 1.5 MiB/s)
 *           and churns short-lived blocks; prints the true growth rate
 *           (usable bytes kept / seconds between the first and last keep).
 *   steady: the same churn over a fixed working set; nothing grows.
 * Both call hearth_mark (looked up at run time, so the program runs
 * without libhearth too) and print what it returned.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mark(const char *label)
{
    int (*fn)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "hearth_mark");
    return fn ? fn(label) : -2;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "leak") && strcmp(argv[1], "steady"))) {
        fprintf(stderr, "usage: timeline_service leak|steady SECONDS\n");
        return 2;
    }
    int leak = !strcmp(argv[1], "leak");
    double seconds = atof(argv[2]);
    printf("mark: %d\n", mark(leak ? "leak starts <here> & \"now\"" : "steady state"));
    fflush(stdout);
    enum { SET = 4096 };
    static void *set[SET];
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < SET; i++)
        set[i] = malloc(64 + (size_t)(i % 61) * 32);
    uint64_t kept = 0;
    double first = 0, last = 0, start = now();
    while (now() - start < seconds) {
        for (int k = 0; k < 2000; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            int i = (int)(rng % SET);
            size_t n = 64 + (size_t)(i % 61) * 32; /* same size class: no growth */
            free(set[i]);
            set[i] = malloc(n);
            memset(set[i], 1, 16);
        }
        if (leak) {
            for (int k = 0; k < 32; k++) {
                void *p = malloc(1000);
                memset(p, 2, 1000);
                kept += malloc_usable_size(p);
            }
            last = now();
            if (first == 0)
                first = last;
        }
        usleep(20000);
    }
    if (leak)
        printf("true_rate_bytes_per_s %.1f\n", (double)kept / (last - first));
    return 0;
}
