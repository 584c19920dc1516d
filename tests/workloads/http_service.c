/*
 * A small service for the HTTP endpoint tests and the load benchmark, with
 * known stacks (noinline functions):
 *   http_service SECONDS [--retain MIB] [--churn] [--threads N]
 *                        [--thread-leak N] [--burn] [--progress]
 * --retain keeps MIB MiB in 64 KiB blocks allocated by retain_blocks;
 * --churn makes N worker threads allocate and free 256-byte to 4 KiB blocks
 * in churn_step, counting operations (and their CPU time); --thread-leak
 * starts N threads that
 * block forever in stuck_forever (named "leaked-N"); --burn spins in
 * burn_cpu. At the end it prints "ops N" (churn operations done),
 * "ops_per_s X", "churn_cpu_s" (the churn threads' CPU time) and
 * "process_cpu_s" on stdout, so a benchmark can see the throughput drop
 * and what the rest of the process (the HTTP server) used; --progress
 * also prints "t S ops N" after every second S.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static _Atomic long ops;
static _Atomic long churn_cpu_ns; /* CPU time of the churn threads */
static _Atomic int stop;
static void **retained;
static volatile double sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

NOINLINE static void retain_blocks(size_t mib)
{
    size_t n = mib * 16;
    retained = malloc(n * sizeof *retained);
    for (size_t i = 0; i < n; i++) {
        retained[i] = malloc(64 * 1024);
        memset(retained[i], 1, 64 * 1024);
    }
}

NOINLINE static void churn_step(unsigned *seed)
{
    void *p[16];
    for (int i = 0; i < 16; i++) {
        size_t size = 256 + (size_t)(rand_r(seed) % 3841);
        p[i] = malloc(size);
        memset(p[i], i, size);
    }
    for (int i = 0; i < 16; i++)
        free(p[i]);
}

static void *churn_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        churn_step(&seed);
        atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
    }
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    atomic_fetch_add(&churn_cpu_ns, (long)ts.tv_sec * 1000000000L + ts.tv_nsec);
    return NULL;
}

NOINLINE static void stuck_forever(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&c, &m);
}

static void *leaked_main(void *arg)
{
    (void)arg;
    stuck_forever();
    return NULL;
}

NOINLINE static void burn_cpu(double until)
{
    double x = 0;
    while (now_s() < until && !atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 100000; i++)
            x += i * 0.5;
        sink = x;
    }
}

static void *burn_main(void *arg)
{
    burn_cpu(*(double *)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: http_service SECONDS [--retain MIB] [--churn] [--threads N] "
                        "[--thread-leak N] [--burn]\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    size_t retain = 0;
    int churn = 0, threads = 1, leak = 0, burn = 0, progress = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--retain") && i + 1 < argc)
            retain = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--churn"))
            churn = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--thread-leak") && i + 1 < argc)
            leak = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--burn"))
            burn = 1;
        else if (!strcmp(argv[i], "--progress"))
            progress = 1;
        else {
            fprintf(stderr, "http_service: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (retain)
        retain_blocks(retain);
    for (int i = 0; i < leak; i++) {
        pthread_t th;
        char name[16];
        pthread_create(&th, NULL, leaked_main, NULL);
        snprintf(name, sizeof name, "leaked-%d", i % 1000);
        pthread_setname_np(th, name);
    }
    double start = now_s(), until = start + seconds;
    pthread_t workers[64];
    int n_workers = 0;
    if (churn)
        for (; n_workers < threads && n_workers < 64; n_workers++)
            pthread_create(&workers[n_workers], NULL, churn_main, (void *)(uintptr_t)(n_workers + 1));
    pthread_t burner;
    if (burn)
        pthread_create(&burner, NULL, burn_main, &until);
    printf("ready\n");
    fflush(stdout);
    int next_report = 1;
    while (now_s() < until) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        if (progress && now_s() - start >= next_report) {
            printf("t %d ops %ld\n", next_report, atomic_load(&ops));
            next_report++;
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    if (burn)
        pthread_join(burner, NULL);
    double took = now_s() - start;
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    printf("ops %ld\nops_per_s %.0f\nchurn_cpu_s %.3f\nprocess_cpu_s %.3f\n", atomic_load(&ops),
           (double)atomic_load(&ops) / took, (double)atomic_load(&churn_cpu_ns) / 1e9,
           (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
    return retained && !retained[0];
}
