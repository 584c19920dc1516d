/*
 * Short-lived threads that allocate from varied stacks: what allocation
 * sampling costs where each thread's caches start cold (libunwind's
 * per-thread cache of frame rules, against the shared CFI table;
 * BENCHMARKS.md, "Short-lived threads and the unwinders"). ROUNDS rounds of THREADS threads, created and joined; each
 * thread makes eight walks down a chain of DEPTH calls picked at random
 * from eight functions of different frame sizes, and at the bottom
 * allocates and frees OPS blocks of 16 to 2,063 bytes. Prints the wall
 * time in seconds. Fixed seeds, so every run does the same work.
 * Usage: bench_threads ROUNDS THREADS DEPTH OPS
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BENCH_NAME "bench_threads"
#include "benchlib.h"

#define MAX_THREADS 64

static int depth, ops;

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef void (*step_fn)(uint64_t *, int);
static step_fn steps[8];

static __attribute__((noinline)) void leaf(uint64_t *s)
{
    void *keep[16] = {0};
    for (int i = 0; i < ops; i++) {
        int k = (int)(xorshift(s) % 16);
        free(keep[k]);
        keep[k] = malloc(16 + xorshift(s) % 2048);
    }
    for (int k = 0; k < 16; k++)
        free(keep[k]);
}

/* Frames of different sizes, so that each has its own unwind rule. */
#define STEP(n)                                                   \
    static __attribute__((noinline)) void step##n(uint64_t *s, int d) \
    {                                                             \
        volatile int pad[n + 1];                                  \
        pad[0] = d;                                               \
        if (d <= 0)                                               \
            leaf(s);                                              \
        else                                                      \
            steps[xorshift(s) % 8](s, d - 1);                     \
        __asm__ volatile("" : : "r"(pad) : "memory");             \
    }
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)

static void *thread_main(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
    for (int r = 0; r < 8; r++)
        steps[xorshift(&s) % 8](&s, depth);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fputs("usage: bench_threads ROUNDS THREADS DEPTH OPS\n", stderr);
        return 2;
    }
    int rounds = atoi(argv[1]), threads = atoi(argv[2]);
    depth = atoi(argv[3]);
    ops = atoi(argv[4]);
    if (rounds < 1 || threads < 1 || threads > MAX_THREADS || depth < 0 || ops < 1) {
        fputs("bench_threads: ROUNDS >= 1, THREADS 1 to 64, DEPTH >= 0, OPS >= 1\n", stderr);
        return 2;
    }
    step_fn all[8] = {step0, step1, step2, step3, step4, step5, step6, step7};
    for (int i = 0; i < 8; i++)
        steps[i] = all[i];
    int64_t t0 = bench_now_ns();
    for (int r = 0; r < rounds; r++) {
        pthread_t t[MAX_THREADS];
        for (int i = 0; i < threads; i++)
            if (pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(r * MAX_THREADS + i + 1))) {
                fputs("bench_threads: pthread_create failed\n", stderr);
                return 1;
            }
        for (int i = 0; i < threads; i++)
            pthread_join(t[i], NULL);
    }
    printf("%.3f\n", (double)(bench_now_ns() - t0) / 1e9);
    return 0;
}
