/*
 * The allocation sampler's stress workload: worker threads doing malloc,
 * calloc, realloc, memalign, posix_memalign, aligned_alloc and free of
 * random sizes, threads created and joined all the time, dlopen/dlclose of
 * a library, fork of children that allocate and exit, and heap dumps
 * requested by signal and through the API while all of that runs.
 * Usage: stress SECONDS THREADS DLOPEN_PATH
 */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int (*dump_fn)(const char *);

static _Atomic int stop;
static const char *lib_path;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t rsize(uint64_t *s)
{
    uint64_t r = rnd(s);
    switch (r % 8) {
    case 0: return r % 16;
    case 1: case 2: case 3: return 16 + r % 256;
    case 4: case 5: return 256 + r % 4096;
    case 6: return 4096 + r % 65536;
    default: return 65536 + r % (1 << 20);
    }
}

static void churn(uint64_t *seed, int rounds)
{
    void *slots[64] = {0};
    for (int i = 0; i < rounds; i++) {
        int k = (int)(rnd(seed) % 64);
        size_t n = rsize(seed);
        void *p = NULL;
        switch (rnd(seed) % 7) {
        case 0: p = malloc(n); break;
        case 1: p = calloc(1, n); break;
        case 2: p = slots[k] ? realloc(slots[k], n) : malloc(n); slots[k] = NULL; break;
        case 3: p = memalign(64, n); break;
        case 4: if (posix_memalign(&p, 128, n)) p = NULL; break;
        case 5: p = aligned_alloc(256, (n + 255) & ~(size_t)255); break;
        default: p = reallocarray(NULL, n / 8 + 1, 8); break;
        }
        if (p && n)
            memset(p, 0x5a, n < 128 ? n : 128);
        free(slots[k]);
        slots[k] = p;
    }
    for (int k = 0; k < 64; k++)
        free(slots[k]);
}

static void *worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    while (!atomic_load(&stop))
        churn(&seed, 1000);
    return NULL;
}

static void *short_lived(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg + 7;
    churn(&seed, 200);
    return NULL;
}

static void *churner_of_threads(void *arg)
{
    (void)arg;
    uintptr_t i = 0;
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, (void *)++i) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

static void *loader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *h = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            void *p = malloc(1000);
            free(p);
            dlclose(h);
        }
        usleep(2000);
    }
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pid_t pid = fork();
        if (pid == 0) {
            uint64_t seed = (uint64_t)getpid();
            churn(&seed, 2000);
            _exit(0);
        }
        if (pid > 0) {
            int st;
            waitpid(pid, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "stress: child %d failed (status %d)\n", (int)pid, st);
                exit(3);
            }
        }
        usleep(50000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    int nthreads = argc > 2 ? atoi(argv[2]) : 8;
    lib_path = argc > 3 ? argv[3] : "libm.so.6";
    dump_fn dump = (dump_fn)dlsym(RTLD_DEFAULT, "hearth_dump_heap");
    pthread_t th[64], extra[3];
    if (nthreads > 64)
        nthreads = 64;
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    pthread_create(&extra[0], NULL, churner_of_threads, NULL);
    pthread_create(&extra[1], NULL, loader, NULL);
    pthread_create(&extra[2], NULL, forker, NULL);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int dumps = 0;
    do {
        usleep(100000);
        kill(getpid(), SIGUSR2);
        if (dump && dump(NULL) == 0)
            dumps++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    atomic_store(&stop, 1);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(extra[i], NULL);
    printf("stress: ok, %d API dumps\n", dumps);
    return 0;
}
