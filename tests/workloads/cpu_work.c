/*
 * CPU workloads with known stacks for the CPU sampler's tests (built -O2
 * -fomit-frame-pointer by tests/cli/cpu.sh). Each mode burns CPU in
 * noinline functions whose names the test looks for:
 *   threads N SECONDS  N threads ("burn-0".."burn-N-1") each burn SECONDS
 *                      of their own CPU time; main only waits
 *   qsort SECONDS      main -> sort_things -> qsort -> cmp, for SECONDS of CPU
 *   sorts ROUNDS       the same for a fixed ROUNDS sorts of 20,000 numbers
 *                      (fixed work, for the overhead benchmark)
 *   deep FRAMES SECONDS  recursion FRAMES deep (recurse), burning at the bottom
 *   api PATH           hearth_cpu_start, a refused second start, burn 0.5 s,
 *                      hearth_cpu_stop(PATH), a refused stop; exit 0 if all
 *                      returned what they should
 *   sigprof SECONDS    the program's own SIGPROF handler and ITIMER_PROF;
 *                      prints how many of its signals it got
 *   bursts N SECONDS BURST_MS PACE_MS
 *                      N threads ("pulse-0".."pulse-N-1"), each woken on an
 *                      absolute PACE_MS grid for SECONDS of wall time, burn
 *                      BURST_MS of CPU per wake-up, the first half in
 *                      pulse_first and the second in pulse_second (a
 *                      service's requests: shorter than a kernel tick, on
 *                      a fixed pace); prints "cpu S", the threads' total
 *   daemon PATH DIR    hearth_cpu_start, then what a daemonizing service
 *                      does: close every descriptor from 3 up and open
 *                      its own files (DIR/f0..f15, taking the numbers the
 *                      sampler's descriptors had); hearth_cpu_stop(PATH);
 *                      exit 0 if every one of its files is still open
 *   pingpong ROUNDS    main and a second thread pass a byte back and forth
 *                      over two pipes ROUNDS times (two context switches
 *                      per round trip when both share one CPU); prints
 *                      "us per round trip X"
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink;

__attribute__((noinline)) static void burn(double seconds)
{
    double end = thread_cpu() + seconds;
    uint64_t x = 88172645463325252ull;
    while (thread_cpu() < end) {
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    }
    sink = x;
}

static double burn_seconds;

static void *burner(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "burn-%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    burn(burn_seconds);
    return NULL;
}

static double pulse_seconds, pulse_burst, pulse_pace;
static double pulse_cpu[64];

__attribute__((noipa)) static void pulse_first(double seconds)
{
    burn(seconds);
    sink++;
}

__attribute__((noipa)) static void pulse_second(double seconds)
{
    burn(seconds);
    sink += 2; /* differs from pulse_first: never folded into one */
}

static void *pulser(void *arg)
{
    int id = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "pulse-%d", id);
    pthread_setname_np(pthread_self(), name);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long pace_ns = (long)(pulse_pace * 1e6);
    long wakes = (long)(pulse_seconds * 1e3 / pulse_pace);
    for (long i = 0; i < wakes; i++) {
        next.tv_nsec += pace_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        pulse_first(pulse_burst / 2e3);
        pulse_second(pulse_burst / 2e3);
    }
    pulse_cpu[id] = thread_cpu();
    return NULL;
}

static int ping[2], pong[2];

static void *ponger(void *arg)
{
    long rounds = (long)(intptr_t)arg;
    char c;
    for (long i = 0; i < rounds; i++)
        if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
            break;
    return NULL;
}

static unsigned long compares;

__attribute__((noinline)) static int cmp(const void *a, const void *b)
{
    /* A deliberately expensive comparison, so the comparator is hot. */
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    for (int i = 0; i < 40; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        y = y * 6364136223846793005ull + 1442695040888963407ull;
    }
    compares++;
    return x < y ? -1 : x > y;
}

static unsigned long sorts;

__attribute__((noinline)) static void sort_things(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    sorts++; /* work after the call: qsort is not a tail call */
}

__attribute__((noipa)) static uint64_t recurse(int depth, double seconds)
{
    /* A live local after the call keeps each frame on the stack (no tail
     * call, no recursion turned into a loop). */
    volatile uint64_t keep = (uint64_t)depth;
    if (depth <= 1)
        burn(seconds);
    else
        keep += recurse(depth - 1, seconds);
    return keep;
}

static volatile sig_atomic_t own_signals;

static void own_handler(int sig)
{
    (void)sig;
    own_signals++;
}

typedef int (*start_fn)(void);
typedef int (*stop_fn)(const char *);

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "threads")) {
        int n = atoi(argv[2]);
        burn_seconds = atof(argv[3]);
        pthread_t th[64];
        if (n > 64)
            n = 64;
        for (int i = 0; i < n; i++)
            pthread_create(&th[i], NULL, burner, (void *)(intptr_t)i);
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        return 0;
    }
    if (argc >= 6 && !strcmp(argv[1], "bursts")) {
        int n = atoi(argv[2]);
        pulse_seconds = atof(argv[3]);
        pulse_burst = atof(argv[4]);
        pulse_pace = atof(argv[5]);
        if (n > 64)
            n = 64;
        if (pulse_pace <= 0)
            return 2;
        pthread_t th[64];
        for (int i = 0; i < n; i++)
            pthread_create(&th[i], NULL, pulser, (void *)(intptr_t)i);
        double total = 0;
        for (int i = 0; i < n; i++) {
            pthread_join(th[i], NULL);
            total += pulse_cpu[i];
        }
        printf("cpu %.6f\n", total);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "pingpong")) {
        long rounds = atol(argv[2]);
        if (rounds <= 0 || pipe(ping) || pipe(pong))
            return 2;
        pthread_t th;
        pthread_create(&th, NULL, ponger, (void *)(intptr_t)rounds);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        char c = 'x';
        for (long i = 0; i < rounds; i++)
            if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
                return 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        pthread_join(th, NULL);
        printf("us per round trip %.3f\n",
               ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / (double)rounds);
        return 0;
    }
    if (argc >= 3 && (!strcmp(argv[1], "qsort") || !strcmp(argv[1], "sorts"))) {
        bool fixed = !strcmp(argv[1], "sorts");
        double end = thread_cpu() + atof(argv[2]);
        long rounds = fixed ? atol(argv[2]) : -1;
        size_t n = 20000;
        uint64_t *v = malloc(n * sizeof *v);
        uint64_t s = 1;
        struct timespec p0, p1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
        while (fixed ? rounds-- > 0 : thread_cpu() < end) {
            for (size_t i = 0; i < n; i++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                v[i] = s;
            }
            sort_things(v, n);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
        /* The work alone, without start-up and exit: the benchmark's
         * steady-state figure. */
        if (fixed)
            fprintf(stderr, "work cpu ns %lld\n",
                    (long long)(p1.tv_sec - p0.tv_sec) * 1000000000LL + (p1.tv_nsec - p0.tv_nsec));
        printf("compares %lu\n", compares);
        free(v);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "deep")) {
        printf("%llu\n", (unsigned long long)recurse(atoi(argv[2]), atof(argv[3])));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "api")) {
        start_fn start = (start_fn)dlsym(RTLD_DEFAULT, "hearth_cpu_start");
        stop_fn stop = (stop_fn)dlsym(RTLD_DEFAULT, "hearth_cpu_stop");
        if (!start || !stop)
            return 2;
        int ok = start() == 0;
        ok &= start() == -1; /* a second start is refused */
        burn(0.5);
        ok &= stop(argv[2]) == 0;
        ok &= stop(argv[2]) == -1; /* nothing to stop */
        return ok ? 0 : 1;
    }
    if (argc >= 4 && !strcmp(argv[1], "daemon")) {
        start_fn start = (start_fn)dlsym(RTLD_DEFAULT, "hearth_cpu_start");
        stop_fn stop = (stop_fn)dlsym(RTLD_DEFAULT, "hearth_cpu_stop");
        if (!start || !stop || start() != 0)
            return 2;
        burn(0.2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        int fds[16];
        for (int i = 0; i < 16; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/f%d", argv[3], i);
            fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fds[i] < 0)
                return 3;
        }
        burn(0.2);
        if (stop(argv[2]) != 0)
            return 4;
        int lost = 0;
        for (int i = 0; i < 16; i++)
            if (write(fds[i], "kept\n", 5) != 5) {
                printf("file %d (descriptor %d) was closed\n", i, fds[i]);
                lost++;
            }
        return lost ? 1 : 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "sigprof")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = own_handler;
        sigaction(SIGPROF, &sa, NULL);
        struct itimerval it = {{0, 10000}, {0, 10000}};
        setitimer(ITIMER_PROF, &it, NULL);
        burn(atof(argv[2]));
        printf("own signals %d\n", (int)own_signals);
        return 0;
    }
    fprintf(stderr, "usage: cpu_work threads N S | qsort S | sorts N | deep FRAMES S | api PATH | sigprof S\n");
    return 2;
}
