/*
 * HEARTH_* variables. Parsed once at load, before the allocator hooks are
 * live, so nothing here allocates (no strdup, no stdio buffers: messages go
 * out with one write(2)). A bad value never aborts the service: it is named
 * on stderr and the default stays.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void warn(const char *var, const char *value, const char *why, const char *dflt)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "hearth: %s=%.100s: %s; using %s\n", var, value, why, dflt);
    if (n > 0)
        (void)!write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int config_parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1ull << 10, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1ull << 20, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1ull << 30, end++;
    if (*end || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int config_parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "1") || !strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcasecmp(s, "true"))
        *out = true;
    else if (!strcmp(s, "0") || !strcasecmp(s, "off") || !strcasecmp(s, "no") || !strcasecmp(s, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

int config_parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 1e7)
        return -1;
    *out = v;
    return 0;
}

int config_parse_signal(const char *s, int *out)
{
    static const struct { const char *name; int sig; } sigs[] = {
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP}, {"URG", SIGURG},
        {"WINCH", SIGWINCH}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"PWR", SIGPWR},
    };
    if (!strcasecmp(s, "none") || !strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (!strcasecmp(name, sigs[i].name)) {
            *out = sigs[i].sig;
            return 0;
        }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v >= SIGRTMIN && v <= SIGRTMAX) {
        *out = (int)v;
        return 0;
    }
    return -1;
}

void config_from_env(config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->out_prefix, "./hearth");
    c->alloc_rate = 524288;
    c->dump_signal = SIGUSR2;
    c->dump_at_exit = true;
    c->dump_interval_s = 0;
    c->max_stacks = 65536;
    c->max_depth = 128;
    c->symbolize = true;
    c->cpu_hz = 100;
    c->cpu_seconds = 10;
    c->timeline_interval_s = 1;

    const char *v;
    if ((v = getenv("HEARTH_OUT")) && *v) {
        if (strlen(v) >= sizeof c->out_prefix - 64)
            warn("HEARTH_OUT", v, "path too long", "./hearth");
        else
            strcpy(c->out_prefix, v);
    }
    uint64_t n;
    if ((v = getenv("HEARTH_ALLOC_RATE")) && *v) {
        if (config_parse_bytes(v, &n) || n > (1ull << 40))
            warn("HEARTH_ALLOC_RATE", v, "not a byte count (0 = off, 1 = every allocation)", "524288");
        else
            c->alloc_rate = n;
    }
    if ((v = getenv("HEARTH_SIGNAL")) && *v && config_parse_signal(v, &c->dump_signal))
        warn("HEARTH_SIGNAL", v, "not a signal name (USR1, USR2, HUP, a real-time number) or none", "SIGUSR2");
    if ((v = getenv("HEARTH_DUMP_AT_EXIT")) && *v && config_parse_bool(v, &c->dump_at_exit))
        warn("HEARTH_DUMP_AT_EXIT", v, "not on or off", "on");
    if ((v = getenv("HEARTH_DUMP_INTERVAL")) && *v && config_parse_seconds(v, &c->dump_interval_s))
        warn("HEARTH_DUMP_INTERVAL", v, "not a number of seconds", "0 (off)");
    if ((v = getenv("HEARTH_MAX_STACKS")) && *v) {
        if (config_parse_bytes(v, &n) || n < 16 || n > (1u << 24))
            warn("HEARTH_MAX_STACKS", v, "not a count in 16..16777216", "65536");
        else
            c->max_stacks = (uint32_t)n;
    }
    if ((v = getenv("HEARTH_MAX_DEPTH")) && *v) {
        if (config_parse_bytes(v, &n) || n < 1 || n > 1024)
            warn("HEARTH_MAX_DEPTH", v, "not a depth in 1..1024", "128");
        else
            c->max_depth = (uint32_t)n;
    }
    if ((v = getenv("HEARTH_SYMBOLIZE")) && *v) {
        if (!strcmp(v, "full"))
            c->symbolize = c->symbolize_debug_files = true;
        else if (config_parse_bool(v, &c->symbolize))
            warn("HEARTH_SYMBOLIZE", v, "not on, full or off", "on");
    }
    if ((v = getenv("HEARTH_CPU")) && *v && config_parse_bool(v, &c->cpu))
        warn("HEARTH_CPU", v, "not on or off", "off");
    if ((v = getenv("HEARTH_CPU_HZ")) && *v) {
        if (config_parse_bytes(v, &n) || n < 1 || n > 1000)
            warn("HEARTH_CPU_HZ", v, "not a rate in 1..1000", "100");
        else
            c->cpu_hz = (uint32_t)n;
    }
    if ((v = getenv("HEARTH_CPU_TIMER")) && *v) {
        if (!strcasecmp(v, "perf"))
            c->cpu_timer = CPU_TIMER_PERF;
        else if (!strcasecmp(v, "posix"))
            c->cpu_timer = CPU_TIMER_POSIX;
        else if (!strcasecmp(v, "itimer"))
            c->cpu_timer = CPU_TIMER_ITIMER;
        else
            warn("HEARTH_CPU_TIMER", v, "not perf, posix or itimer", "perf");
    }
    double secs;
    if ((v = getenv("HEARTH_CPU_SECONDS")) && *v) {
        if (config_parse_seconds(v, &secs) || secs <= 0)
            warn("HEARTH_CPU_SECONDS", v, "not a positive number of seconds", "10");
        else
            c->cpu_seconds = secs;
    }
    if ((v = getenv("HEARTH_TIMELINE_INTERVAL")) && *v) {
        double s;
        if (!strcasecmp(v, "off"))
            c->timeline_interval_s = 0;
        else if (config_parse_seconds(v, &s) || (s > 0 && s < 0.01))
            warn("HEARTH_TIMELINE_INTERVAL", v, "not a number of seconds >= 0.01 (0 or off = no timeline)", "1");
        else
            c->timeline_interval_s = s;
    }
    /* After the timeline's interval: its ticks are what watch the heap. */
    if ((v = getenv("HEARTH_DUMP_GROWTH")) && *v) {
        if (config_parse_bytes(v, &n) || (n > 0 && n < (1u << 20)))
            warn("HEARTH_DUMP_GROWTH", v, "not a byte count of at least 1M (0 = off)", "0 (off)");
        else if (n > 0 && c->timeline_interval_s <= 0)
            warn("HEARTH_DUMP_GROWTH", v, "the timeline is off (HEARTH_TIMELINE_INTERVAL), and its ticks watch the heap", "0 (off)");
        else if (n > 0 && c->alloc_rate == 0)
            warn("HEARTH_DUMP_GROWTH", v, "allocation sampling is off (HEARTH_ALLOC_RATE=0): no heap profile to write", "0 (off)");
        else
            c->dump_growth_bytes = n;
    }
    if ((v = getenv("HEARTH_HTTP")) && *v) {
        if (strlen(v) >= sizeof c->http_addr)
            warn("HEARTH_HTTP", v, "address too long", "no HTTP server");
        else
            strcpy(c->http_addr, v);
    }
    if ((v = getenv("HEARTH_HTTP_TOKEN")) && *v) {
        /* The token itself is never echoed to stderr. */
        if (strlen(v) >= sizeof c->http_token) {
            warn("HEARTH_HTTP_TOKEN", "...", "longer than 255 bytes", "no HTTP server");
            c->http_addr[0] = '\0';
        } else {
            strcpy(c->http_token, v);
        }
    }
}
