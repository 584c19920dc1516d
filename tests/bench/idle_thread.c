/*
 * A preload that does nothing but start one thread that sleeps forever:
 * what any in-process sampler with a thread of its own costs a
 * single-threaded program through glibc (malloc's arena locks and
 * pthread_mutex_lock skip their atomic operations only while a process
 * has never had a second thread). tests/bench/pair_run compares it with
 * libhearth.so (BENCHMARKS.md, "Allocation sampler").
 *   cc -O2 -shared -fPIC -o idle_thread.so tests/bench/idle_thread.c
 */
#include <pthread.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

__attribute__((constructor)) static void start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, NULL) == 0)
        pthread_detach(t);
}
