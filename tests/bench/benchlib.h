/*
 * Pieces every benchmark program shares: a fixed-seed PRNG (so every
 * machine benchmarks the same bytes), an allocation that exits on failure,
 * and running a command in a fresh process to time it. Define BENCH_NAME
 * (for messages) before including, and BENCH_SEED for the PRNG.
 */
#ifndef HEARTH_TESTS_BENCHLIB_H
#define HEARTH_TESTS_BENCHLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_SEED
/* --- deterministic PRNG (splitmix64) --- */

static uint64_t rng_state = BENCH_SEED;

static inline uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static inline double rng_unit(void)
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

#define PICK(arr) ((arr)[rng_below(sizeof(arr) / sizeof(arr)[0])])
#endif

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, BENCH_NAME ": out of memory\n");
        exit(1);
    }
    return p;
}

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Runs argv in a fresh process with stdout on /dev/null and stdin from
 * `in` (NULL: inherited), waits, and reports its wall time and resource
 * usage (peak RSS, CPU). Returns 0 when it exited 0, else 1 after a
 * message.
 */
static inline int bench_spawn(char **argv, const char *in, int64_t *wall_ns,
                              struct rusage *ru)
{
    fflush(stdout);
    int64_t t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, BENCH_NAME ": fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        close(fd);
        if (in) {
            fd = open(in, O_RDONLY);
            if (fd < 0 || dup2(fd, 0) < 0)
                _exit(127);
            close(fd);
        }
        execvp(argv[0], argv);
        fprintf(stderr, BENCH_NAME ": %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (wait4(pid, &status, 0, ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, BENCH_NAME ": wait4: %s\n", strerror(errno));
            return 1;
        }
    }
    *wall_ns = bench_now_ns() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, BENCH_NAME ": %s failed\n", argv[0]);
        return 1;
    }
    return 0;
}

#endif
