/*
 * Allocates and frees small blocks for a while, from one call site: a
 * stream of samples at HEARTH_ALLOC_RATE=1 for the tests of which unwinder
 * takes allocation stacks. With "dlclose" it first opens and closes a
 * library, which retires libunwind's cached walk in libhearth. With
 * "threads" the allocations are made by short-lived threads, one after
 * another, 8 each, for at least MIN_THREADS threads.
 * Usage: alloc_loop MILLISECONDS [dlclose|threads]
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile uintptr_t sink;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __attribute__((noinline)) void churn(int n)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(64);
        sink = (uintptr_t)p;
        free(p);
    }
}

#define MIN_THREADS 4096

static void *short_thread(void *arg)
{
    (void)arg;
    churn(8);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: alloc_loop MILLISECONDS [dlclose|threads]\n");
        return 2;
    }
    double ms = atof(argv[1]);
    if (argc > 2 && strcmp(argv[2], "threads") == 0) {
        /* At least MIN_THREADS threads, however slow the machine: the
         * tests need the first 8,192 samples' walks and what follows. */
        double end = now_ms() + ms;
        long threads = 0;
        while (threads < MIN_THREADS || now_ms() < end) {
            pthread_t t;
            if (pthread_create(&t, NULL, short_thread, NULL) || pthread_join(t, NULL)) {
                fprintf(stderr, "alloc_loop: pthread_create failed\n");
                return 1;
            }
            threads++;
        }
        printf("%ld threads\n", threads);
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "dlclose") == 0) {
        void *h = dlopen("libz.so.1", RTLD_NOW);
        if (!h || dlclose(h)) {
            fprintf(stderr, "alloc_loop: dlopen/dlclose of libz.so.1 failed\n");
            return 1;
        }
    }
    double end = now_ms() + ms;
    long rounds = 0;
    while (now_ms() < end) {
        churn(1000);
        rounds++;
    }
    printf("%ld allocations\n", rounds * 1000);
    return 0;
}
