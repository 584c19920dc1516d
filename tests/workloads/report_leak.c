/*
 * A service with one known leak, for the report's leak test
 * (tests/cli/report.sh): cache_keep_response() keeps RATE bytes a second
 * forever, in blocks of 1, 2, 4 and 8 KiB paced every 10 ms against the
 * clock (so the rate holds over any window longer than a few ticks);
 * handle_request() allocates and frees as much again, and load_config()
 * holds 4 MiB from the start. Functions are noinline so each is its own
 * frame. Prints "ready" once the config is loaded; runs until killed.
 * Usage: report_leak RATE_BYTES_PER_S
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static void *volatile keep_config[64];
static void **cache;
static size_t cache_n, cache_cap;

static NOINLINE void load_config(void)
{
    for (int i = 0; i < 64; i++) {
        keep_config[i] = malloc(65536);
        memset(keep_config[i], 1, 65536);
    }
}

static NOINLINE void cache_keep_response(size_t len)
{
    if (cache_n == cache_cap) {
        cache_cap = cache_cap ? cache_cap * 2 : 4096;
        void **n = realloc(cache, cache_cap * sizeof *n);
        if (!n)
            abort();
        cache = n;
    }
    char *b = malloc(len);
    if (!b)
        abort();
    memset(b, 2, len);
    cache[cache_n++] = b;
}

static NOINLINE void handle_request(size_t len)
{
    char *volatile b = malloc(len);
    if (b)
        memset(b, 3, len);
    free(b);
}

int main(int argc, char **argv)
{
    long rate = argc > 1 ? atol(argv[1]) : 0;
    if (rate < 15 * 100) {
        fprintf(stderr, "usage: report_leak RATE_BYTES_PER_S (at least 1500)\n");
        return 2;
    }
    load_config();
    puts("ready");
    fflush(stdout);
    /* Every 10 ms: rate/100 bytes kept, as blocks cycling 1, 2, 4, 8 KiB,
     * the remainder carried to the next tick. */
    static const size_t sizes[] = {1024, 2048, 4096, 8192};
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    size_t owed = 0, k = 0;
    for (;;) {
        owed += (size_t)rate / 100;
        while (owed >= sizes[k % 4]) {
            owed -= sizes[k % 4];
            cache_keep_response(sizes[k % 4]);
            handle_request(sizes[k % 4]);
            k++;
        }
        next.tv_nsec += 10000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
}
