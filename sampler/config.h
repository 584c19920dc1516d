/*
 * The sampler's settings, from HEARTH_* environment variables (LD_PRELOAD
 * use) or from hearth_options (link-in use).
 */
#ifndef HEARTH_SAMPLER_CONFIG_H
#define HEARTH_SAMPLER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_PATH_MAX 1024

/* The CPU sampler's clocks, in the order they are tried (cpu_timers.c). */
enum { CPU_TIMER_PERF = 0, CPU_TIMER_POSIX, CPU_TIMER_ITIMER };

typedef struct config {
    char out_prefix[CONFIG_PATH_MAX]; /* HEARTH_OUT, default "./hearth" */
    uint64_t alloc_rate;              /* HEARTH_ALLOC_RATE: mean bytes between
                                         samples; 1 = every allocation; 0 = off */
    int dump_signal;                  /* HEARTH_SIGNAL: default SIGUSR2; 0 = none */
    bool dump_at_exit;                /* HEARTH_DUMP_AT_EXIT, default on */
    double dump_interval_s;           /* HEARTH_DUMP_INTERVAL, 0 = off */
    uint64_t dump_growth_bytes;       /* HEARTH_DUMP_GROWTH: a heap profile each
                                         time the in-use heap has grown this much
                                         since the last such dump; 0 = off */
    uint32_t max_stacks;              /* HEARTH_MAX_STACKS, default 65536 */
    uint32_t max_depth;               /* HEARTH_MAX_DEPTH, default 128 */
    bool symbolize;                   /* HEARTH_SYMBOLIZE, default on */
    bool symbolize_debug_files;       /* HEARTH_SYMBOLIZE=full: lines from
                                         separate debug files too */
    char http_addr[128];              /* HEARTH_HTTP: HOST:PORT of the
                                         /debug/pprof/ server, "" = off */
    char http_token[256];             /* HEARTH_HTTP_TOKEN: the bearer token
                                         every request must carry, "" = none */
    bool cpu;                         /* HEARTH_CPU: profile CPU for the whole run */
    uint32_t cpu_hz;                  /* HEARTH_CPU_HZ, default 100, 1..1000 */
    int cpu_timer;                    /* HEARTH_CPU_TIMER: the first clock tried,
                                         CPU_TIMER_PERF (default), _POSIX, _ITIMER */
    double cpu_seconds;               /* HEARTH_CPU_SECONDS: length of a profile the
                                         dump signal starts, default 10 */
    double timeline_interval_s;       /* HEARTH_TIMELINE_INTERVAL, default 1;
                                         0 (or off) = no timeline */
} config;

/* Defaults, then each HEARTH_* variable that is set. A bad value prints one
 * line to stderr ("hearth: HEARTH_ALLOC_RATE=abc: not a byte count; using
 * 524288") and keeps the default. Never allocates: it runs before the
 * allocator hooks are ready. */
void config_from_env(config *c);

/* Parses one variable's value; exposed for tests. Returns 0 or -1 (and
 * leaves *out alone). */
int config_parse_bytes(const char *s, uint64_t *out);
int config_parse_bool(const char *s, bool *out);
int config_parse_seconds(const char *s, double *out);
int config_parse_signal(const char *s, int *out);

#endif
