/*
 * Preloaded before libhearth by the CPU test: timer_create always fails
 * with ENOTSUP, as under a seccomp policy or an old kernel, so the sampler
 * must fall back to setitimer(ITIMER_PROF) and say so.
 */
#include <errno.h>
#include <signal.h>
#include <time.h>

int timer_create(clockid_t clock, struct sigevent *sev, timer_t *out)
{
    (void)clock;
    (void)sev;
    (void)out;
    errno = ENOTSUP;
    return -1;
}
